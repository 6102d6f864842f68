/* The local APICs: the boot CPU's starts in virtual-wire mode (the 8259
 * delivers the tick through LINT0 until an IOAPIC takes over), every
 * CPU's timer runs one-shots at the rate calibrated once against the PIT,
 * and IPIs (INIT, SIPI, kicks) go out through the ICR. Works in xAPIC
 * (MMIO through the direct map) and in x2APIC mode (MSRs) if the firmware
 * left it on. */
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

#define LAPIC_ID         0x020
#define LAPIC_TPR        0x080
#define LAPIC_EOI        0x0B0
#define LAPIC_SVR        0x0F0
#define LAPIC_ISR        0x100
#define LAPIC_ICR_LOW    0x300
#define LAPIC_ICR_HIGH   0x310
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
#define MSR_X2APIC_ICR  0x830u
#define ICR_PENDING     (1u << 12)   /* xAPIC delivery status: send pending */

/* Written once by the boot CPU before any AP starts (the AP start is
 * ordered after them), read-only afterwards. */
static volatile uint32_t *mmio;
static bool x2apic;
static bool lapic_up;
/* counts = (ns * count_mult) >> 32; written once at boot. */
static uint64_t count_mult;

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

/* Programs the calling CPU's LAPIC: LINT0 as ExtINT (the 8259 path) or
 * masked, LINT1 as NMI, errors and the timer masked, spurious vector 0xFF. */
static void lapic_setup(bool extint)
{
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_LVT_LINT0, extint ? LVT_EXTINT : LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | X86_VEC_LAPIC_TIMER);
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
    lapic_write(LAPIC_SVR, SVR_ENABLE | X86_VEC_SPURIOUS);
}

/* Enables the boot CPU's LAPIC in the mode the firmware chose, LINT0 as
 * ExtINT so the 8259 keeps working. Needs the final page tables (the
 * MMIO page is mapped uncached there). */
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
    lapic_setup(true);
    lapic_up = true;
}

/* Enables an AP's LAPIC in the boot CPU's mode (x2APIC must be switched
 * on per CPU), LINT0 masked: only the boot CPU takes 8259 interrupts. */
void lapic_init_ap(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

    if (x2apic)
        base |= APIC_BASE_X2APIC;
    wrmsr(MSR_APIC_BASE, base);
    lapic_setup(false);
}

/* Masks LINT0 once the IOAPIC delivers the tick instead of the 8259. */
void lapic_mask_lint0(void)
{
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
}

/* The calling CPU's local APIC ID. */
uint32_t lapic_id(void)
{
    if (x2apic)
        return lapic_read(LAPIC_ID);
    return lapic_read(LAPIC_ID) >> 24;
}

/* True when an IPI can name apic_id in the current mode: xAPIC has an
 * 8-bit destination field, x2APIC a 32-bit one. */
bool lapic_addressable(uint32_t apic_id)
{
    return x2apic || apic_id <= 0xFF;
}

/* Sends an IPI (ICR low word icr_low: vector, delivery mode, level) to
 * the CPU with APIC ID apic_id. xAPIC writes the two ICR halves with
 * interrupts off so no handler on this CPU interleaves its own IPI, and
 * first waits for the previous IPI to leave. An APIC ID the mode cannot
 * address is not sent to (lapic_addressable). */
void lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
    hal_irq_state_t irq;

    if (!lapic_addressable(apic_id))
        return;   /* truncated, it would hit another CPU (APIC ID 256 -> 0) */
    irq = hal_irq_disable();
    if (x2apic) {
        wrmsr(MSR_X2APIC_ICR, ((uint64_t)apic_id << 32) | icr_low);
    } else {
        while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
            __asm__ volatile("pause");
        lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
        lapic_write(LAPIC_ICR_LOW, icr_low);
    }
    hal_irq_restore(irq);
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
    struct x86_percpu *pc;
    uint64_t now;

    if (fn == NULL || ns == 0)
        return FB_EINVAL;
    if (count_mult == 0)
        return FB_EAGAIN;   /* before time_calibrate: no timer yet */
    irq = hal_irq_disable();
    pc = x86_this_cpu();
    now = hal_read_timestamp();
    pc->shot.fn = fn;
    pc->shot.ctx = ctx;
    pc->shot.deadline_ns = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
    pc->shot.armed = true;
    arm(ns);
    hal_irq_restore(irq);
    return FB_OK;
}

/* Disarms the calling CPU's one-shot and stops its countdown. */
void hal_timer_cancel(void)
{
    hal_irq_state_t irq = hal_irq_disable();

    x86_this_cpu()->shot.armed = false;
    if (lapic_up)
        lapic_write(LAPIC_TIMER_INIT, 0);
    hal_irq_restore(irq);
}

/* Timer interrupt: fires this CPU's callback once its deadline has
 * passed, otherwise counts down the remainder. */
void lapic_timer_irq(void)
{
    struct x86_percpu *pc = x86_this_cpu();
    uint64_t now;

    lapic_eoi();
    if (!pc->shot.armed)
        return;
    now = hal_read_timestamp();
    if (now < pc->shot.deadline_ns) {
        arm(pc->shot.deadline_ns - now);
        return;
    }
    pc->shot.armed = false;
    pc->shot.fn(pc->shot.ctx);
}
