/* The console: COM1, a 16550 UART at 115200 8N1, polled. Owns
 * hal_console_write, hal_console_read and the lock that keeps one call's
 * bytes together. */
#include <stdatomic.h>

#include "arch.h"
#include "hal/console.h"
#include "hal/irq.h"
#include "x86.h"

#define COM1 0x3F8
#define UART_THR 0  /* transmit holding (DLAB=0) / divisor low (DLAB=1) */
#define UART_RBR 0  /* receive buffer (DLAB=0), read side of UART_THR */
#define UART_IER 1  /* interrupt enable / divisor high */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LSR_NO_UART   0xFF  /* what a missing UART's status reads as */

static atomic_flag console_lock = ATOMIC_FLAG_INIT;
static atomic_bool console_panicking;

/* Programs COM1 for 115200 baud, 8 data bits, no parity, 1 stop bit. */
void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);   /* polled: no UART interrupts */
    outb(COM1 + UART_LCR, 0x80);   /* DLAB on to reach the divisor */
    outb(COM1 + UART_THR, 0x01);   /* 115200 = 115200 / 1 */
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x03);   /* 8N1, DLAB off */
    outb(COM1 + UART_FCR, 0xC7);   /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + UART_MCR, 0x03);   /* DTR, RTS */
}

/* Sends one byte once the transmitter has room. A missing UART reads
 * 0xFF, which looks empty, so this never spins forever. */
static void serial_putc(char c)
{
    while ((inb(COM1 + UART_LSR) & LSR_THR_EMPTY) == 0)
        __asm__ volatile("pause");
    outb(COM1 + UART_THR, (uint8_t)c);
}

/* Sends n bytes, "\n" as "\r\n". Caller holds the console lock. */
static void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

/* From now on writers skip the lock: a fault or NMI may have hit while
 * the lock was held, and the dump must still come out. */
void serial_enter_panic_mode(void)
{
    /* seq_cst: the flag must be visible before this CPU writes anything. */
    atomic_store(&console_panicking, true);
}

/* Writes a NUL-terminated string with no lock and no formatting: the
 * last-resort path when formatting itself faulted. */
void serial_write_raw(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    serial_write(s, n);
}

/* Takes the console lock with interrupts off (an interrupt handler that
 * prints cannot deadlock against its CPU); in panic mode only the
 * interrupts. Returns what console_release needs. */
static hal_irq_state_t console_acquire(bool *locked)
{
    hal_irq_state_t irq = hal_irq_disable();

    /* relaxed: only selects the path; panic mode never turns off again. */
    *locked = !atomic_load_explicit(&console_panicking, memory_order_relaxed);
    if (*locked) {
        /* acquire: bytes of the previous holder are fully sent first. */
        while (atomic_flag_test_and_set_explicit(&console_lock, memory_order_acquire))
            __asm__ volatile("pause");
    }
    return irq;
}

/* Undoes console_acquire. */
static void console_release(hal_irq_state_t irq, bool locked)
{
    if (locked) {
        /* release: pairs with the acquire in console_acquire. */
        atomic_flag_clear_explicit(&console_lock, memory_order_release);
    }
    hal_irq_restore(irq);
}

/* Writes n bytes as one unit, under the console lock. */
void hal_console_write(const char *s, size_t n)
{
    bool locked;
    hal_irq_state_t irq = console_acquire(&locked);

    serial_write(s, n);
    console_release(irq, locked);
}

/* Takes what the receiver holds (its FIFO), up to n bytes, under the
 * console lock so concurrent readers each get whole bytes in order. */
size_t hal_console_read(char *buf, size_t n)
{
    bool locked;
    hal_irq_state_t irq = console_acquire(&locked);
    size_t got = 0;
    uint8_t lsr;

    while (got < n && (lsr = inb(COM1 + UART_LSR)) != LSR_NO_UART && (lsr & LSR_DATA_READY))
        buf[got++] = (char)inb(COM1 + UART_RBR);
    console_release(irq, locked);
    return got;
}
