/* The local APIC: enabled in virtual-wire mode (the 8259 still delivers
 * the periodic tick through LINT0), its timer calibrated against the PIT
 * and used for hal_timer_oneshot. Works in xAPIC (MMIO through the direct
 * map) and in x2APIC mode (MSRs) if the firmware left it on. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "hal/aspace.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "hal/timer.h"
#include "hal/timestamp.h"
#include "kerr.h"
#include "x86.h"

#define LAPIC_TPR        0x080
#define LAPIC_EOI        0x0B0
#define LAPIC_SVR        0x0F0
#define LAPIC_ISR        0x100
#define LAPIC_LVT_TIMER  0x320
#define LAPIC_LVT_LINT0  0x350
#define LAPIC_LVT_LINT1  0x360
#define LAPIC_LVT_ERROR  0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR  0x390
#define LAPIC_TIMER_DIV  0x3E0

#define LVT_MASKED      0x10000u
#define LVT_EXTINT      0x700u
#define LVT_NMI         0x400u
#define SVR_ENABLE      0x100u
#define TIMER_DIV_16    0x3u
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define MSR_X2APIC_BASE 0x800u

static volatile uint32_t *mmio;
static bool x2apic;
static bool lapic_up;
/* counts = (ns * count_mult) >> 32; written once at boot. */
static uint64_t count_mult;

/* The pending one-shot; touched only with interrupts off. */
static struct {
    hal_timer_fn fn;
    void *ctx;
    uint64_t deadline_ns;
    bool armed;
} shot;

/* Reads a LAPIC register given by its xAPIC MMIO offset. */
static uint32_t lapic_read(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
    return mmio[reg / 4];
}

/* Writes a LAPIC register given by its xAPIC MMIO offset. */
static void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
    else
        mmio[reg / 4] = v;
}

/* Enables the LAPIC: LINT0 as ExtINT so the 8259 keeps working, LINT1 as
 * NMI, errors and the timer masked, spurious vector 0xFF. Needs the
 * final page tables (the MMIO page is mapped uncached there). */
void lapic_init(void)
{
    uint64_t base;

    if (!x86_cpu.apic)
        hal_panic("CPU has no local APIC");
    base = rdmsr(MSR_APIC_BASE);
    x2apic = (base & APIC_BASE_X2APIC) != 0;
    if ((base & APIC_BASE_ENABLE) == 0)
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    if (!x2apic) {
        uint64_t phys = base & PTE_ADDR & ((1ull << x86_cpu.phys_bits) - 1);

        mmio = hal_phys_to_virt(phys);
        if (mmio == NULL)
            hal_panic("LAPIC registers lie outside the direct map");
    }
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_LINT0, LVT_EXTINT);
    lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | X86_VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
    lapic_write(LAPIC_SVR, SVR_ENABLE | X86_VEC_SPURIOUS);
    lapic_up = true;
}

/* Starts the timer counting down from the top, masked, for calibration. */
void lapic_calibrate_start(void)
{
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | X86_VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_INIT, 0xFFFFFFFFu);
}

/* Stops the calibration count after a window of pit_ticks PIT ticks and
 * derives the timer's count rate from it. */
void lapic_calibrate_finish(uint32_t pit_ticks)
{
    uint64_t counted = 0xFFFFFFFFull - lapic_read(LAPIC_TIMER_CUR);
    uint64_t count_hz;

    lapic_write(LAPIC_TIMER_INIT, 0);
    count_hz = counted * X86_PIT_HZ / pit_ticks;
    if (count_hz == 0 || count_hz >= (1ull << 32))
        hal_panic("LAPIC timer rate out of range");
    count_mult = (count_hz << 32) / 1000000000ull;
    if (count_mult == 0)
        count_mult = 1;
}

/* Signals end of interrupt to the LAPIC. */
void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

/* True when the LAPIC has vector v in service (needs an EOI). */
bool lapic_in_service(unsigned vector)
{
    if (!lapic_up)
        return false;
    return (lapic_read(LAPIC_ISR + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

/* Starts a one-shot countdown of at least ns (rounded up by one count,
 * capped at the 32-bit counter: the interrupt then re-arms for the rest). */
static void arm(uint64_t ns)
{
    uint64_t counts = (uint64_t)(((unsigned __int128)ns * count_mult) >> 32) + 1;

    if (counts > 0xFFFFFFFFull)
        counts = 0xFFFFFFFFull;
    lapic_write(LAPIC_LVT_TIMER, X86_VEC_LAPIC_TIMER);   /* one-shot, unmasked */
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)counts);
}

/* Arms the one-shot; the deadline is checked against hal_read_timestamp
 * in the interrupt, so the callback never runs early even if the LAPIC
 * rate was measured a little high. */
int hal_timer_oneshot(uint64_t ns, hal_timer_fn fn, void *ctx)
{
    hal_irq_state_t irq;
    uint64_t now;

    if (fn == NULL || ns == 0)
        return FB_EINVAL;
    if (count_mult == 0)
        return FB_EAGAIN;   /* before time_calibrate: no timer yet */
    irq = hal_irq_disable();
    now = hal_read_timestamp();
    shot.fn = fn;
    shot.ctx = ctx;
    shot.deadline_ns = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
    shot.armed = true;
    arm(ns);
    hal_irq_restore(irq);
    return FB_OK;
}

/* Disarms the one-shot and stops the countdown. */
void hal_timer_cancel(void)
{
    hal_irq_state_t irq = hal_irq_disable();

    shot.armed = false;
    if (lapic_up)
        lapic_write(LAPIC_TIMER_INIT, 0);
    hal_irq_restore(irq);
}

/* Timer interrupt: fires the callback once its deadline has passed,
 * otherwise counts down the remainder. */
void lapic_timer_irq(void)
{
    uint64_t now;
    hal_timer_fn fn;

    lapic_eoi();
    if (!shot.armed)
        return;
    now = hal_read_timestamp();
    if (now < shot.deadline_ns) {
        arm(shot.deadline_ns - now);
        return;
    }
    shot.armed = false;
    fn = shot.fn;
    fn(shot.ctx);
}
