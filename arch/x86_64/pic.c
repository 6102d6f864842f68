/* The periodic tick: PIT channel 0 at 100 Hz, delivered through an
 * IOAPIC line when there is one (ioapic.c; the 8259 pair is then fully
 * masked) and otherwise through the 8259 pair, remapped to vectors
 * 0x20-0x2F with only IRQ0 unmasked. Owns hal_timer_ticks and
 * hal_timer_period_ns. */
#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "fmt.h"
#include "hal/timer.h"
#include "x86.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI   0x20
#define PIC_READ_ISR 0x0B
#define PIT_CH0   0x40
#define PIT_CMD   0x43

static _Atomic uint64_t ticks;

/* A write to port 0x80 takes about 1 us: old PICs need the pause. */
static void io_wait(void)
{
    outb(0x80, 0);
}

/* Remaps both PICs (ICW1-ICW4) to X86_VEC_PIC_BASE, every line masked:
 * even a masked 8259 can raise its spurious IRQ7, which must not land
 * on an exception vector. */
void pic_disable(void)
{
    outb(PIC1_CMD, 0x11);                  /* ICW1: init, ICW4 follows */
    io_wait();
    outb(PIC2_CMD, 0x11);
    io_wait();
    outb(PIC1_DATA, X86_VEC_PIC_BASE);     /* ICW2: vector bases */
    io_wait();
    outb(PIC2_DATA, X86_VEC_PIC_BASE + 8);
    io_wait();
    outb(PIC1_DATA, 0x04);                 /* ICW3: slave on IRQ2 */
    io_wait();
    outb(PIC2_DATA, 0x02);
    io_wait();
    outb(PIC1_DATA, 0x01);                 /* ICW4: 8086 mode */
    io_wait();
    outb(PIC2_DATA, 0x01);
    io_wait();
    outb(PIC1_DATA, 0xFF);
    outb(PIC2_DATA, 0xFF);
}

/* Starts PIT channel 0 as a rate generator at X86_PIT_HZ / X86_PIT_DIVISOR Hz. */
void pit_start_periodic(void)
{
    outb(PIT_CMD, 0x34);                   /* ch0, lo/hi byte, mode 2 */
    outb(PIT_CH0, X86_PIT_DIVISOR & 0xFF);
    outb(PIT_CH0, X86_PIT_DIVISOR >> 8);
}

/* The fallback without an IOAPIC: the tick through the 8259's IRQ0 and
 * the boot CPU's LINT0 (ExtINT). */
void pic_init_periodic(void)
{
    pic_disable();
    outb(PIC1_DATA, 0xFE);                 /* only IRQ0 */
    pit_start_periodic();
}

/* Counts one periodic tick (from either delivery path). */
void x86_tick(void)
{
    /* relaxed: a counter; readers need no other data ordered with it. */
    atomic_fetch_add_explicit(&ticks, 1, memory_order_relaxed);
}

/* In-service register of one PIC. */
static uint8_t pic_isr(uint16_t cmd_port)
{
    outb(cmd_port, PIC_READ_ISR);
    return inb(cmd_port);
}

/* Handles IRQ 0-15. IRQ7/IRQ15 with no in-service bit are spurious and
 * take no EOI on their own PIC (the slave's still needs the master's). */
void pic_irq(unsigned irq)
{
    if (irq == 7 && (pic_isr(PIC1_CMD) & 0x80) == 0)
        return;
    if (irq == 15 && (pic_isr(PIC2_CMD) & 0x80) == 0) {
        outb(PIC1_CMD, PIC_EOI);
        return;
    }
    if (irq == 0) {
        x86_tick();
    } else {
        kprintf("FeuerBird: unexpected IRQ %u acknowledged\n", irq);
    }
    if (irq >= 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}

/* Ticks since the PIT started. */
uint64_t hal_timer_ticks(void)
{
    /* relaxed: see x86_tick. */
    return atomic_load_explicit(&ticks, memory_order_relaxed);
}

/* 11932 / 1193182 Hz = 10000150.9 ns, rounded to the nearest ns. */
uint64_t hal_timer_period_ns(void)
{
    return ((uint64_t)X86_PIT_DIVISOR * 1000000000ull + X86_PIT_HZ / 2) / X86_PIT_HZ;
}
