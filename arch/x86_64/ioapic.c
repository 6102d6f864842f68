/* Device interrupt lines through the IOAPICs of the MADT: line n is
 * global system interrupt n and arrives at vector X86_VEC_LINE_BASE + n.
 * Owns hal_irqline_*; the line that carries the PIT tick belongs to the
 * HAL and is refused to everyone else. Trigger mode and polarity come
 * from the MADT's overrides (ISA default: edge, active high; other
 * lines: level, active low, as PCI wires them). */
#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "fmt.h"
#include "hal/aspace.h"
#include "hal/cpu.h"
#include "hal/irqline.h"
#include "hal/panic.h"
#include "kerr.h"
#include "spinlock.h"
#include "x86.h"

#define IOAPIC_REGSEL 0          /* index register, in 32-bit words */
#define IOAPIC_WIN    4          /* data window (offset 0x10) */
#define IOAPIC_VER    0x01
#define IOAPIC_REDIR  0x10       /* entry n: low word 0x10 + 2n, high 0x11 + 2n */

#define RTE_POLARITY_LOW (1u << 13)
#define RTE_LEVEL        (1u << 15)
#define RTE_MASKED       (1u << 16)

#define INTI_POLARITY_MASK 0x3u  /* MPS INTI flags: 01 high, 11 low */
#define INTI_POLARITY_LOW  0x3u
#define INTI_TRIGGER_SHIFT 2     /* 01 edge, 11 level */
#define INTI_TRIGGER_LEVEL 0x3u

struct ioapic {
    volatile uint32_t *regs;
    uint32_t gsi_base;
    uint32_t count;              /* redirection entries */
};

/* Set up by ioapic_init on the boot CPU before interrupts are enabled or
 * an AP runs; the per-line words change only under lock afterwards. */
static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned nioapics;
static unsigned nlines;
static int isa_line[16];                     /* -1: no line */
static int tick_line = -1;
static uint32_t rte_low[X86_MAX_LINES];      /* vector, trigger, polarity, mask */
static uint32_t rte_dest[X86_MAX_LINES];     /* destination APIC ID */
static spinlock_t lock = SPINLOCK_INIT;      /* IOREGSEL/IOWIN pairs, rte_* */

/* Set at boot, before lines are unmasked (the contract), so plain. */
static hal_irqline_fn handler;
static void *handler_ctx;
static atomic_ulong unhandled;

/* Reads IOAPIC register reg. Caller holds lock (or runs before SMP). */
static uint32_t ioapic_read(const struct ioapic *io, uint32_t reg)
{
    io->regs[IOAPIC_REGSEL] = reg;
    return io->regs[IOAPIC_WIN];
}

/* Writes IOAPIC register reg. Caller holds lock (or runs before SMP). */
static void ioapic_write(const struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->regs[IOAPIC_REGSEL] = reg;
    io->regs[IOAPIC_WIN] = v;
}

/* The IOAPIC that serves line, or NULL. */
static const struct ioapic *ioapic_of(unsigned line)
{
    for (unsigned i = 0; i < nioapics; i++) {
        if (line >= ioapics[i].gsi_base && line - ioapics[i].gsi_base < ioapics[i].count)
            return &ioapics[i];
    }
    return NULL;
}

/* Writes line's redirection entry from rte_low/rte_dest; the high word
 * first, so a newly unmasked low word never meets a stale destination
 * (in between, the entry is the old one with the new destination, also
 * valid). Caller holds lock. */
static void write_rte(unsigned line)
{
    const struct ioapic *io = ioapic_of(line);
    uint32_t idx = IOAPIC_REDIR + 2 * (line - io->gsi_base);

    ioapic_write(io, idx + 1, rte_dest[line] << 24);
    ioapic_write(io, idx, rte_low[line]);
}

/* Trigger and polarity bits of a redirection entry from MPS INTI flags;
 * "conforms to the bus" (0) means the bus default (isa: edge, high). */
static uint32_t mode_bits(uint16_t flags, bool isa)
{
    unsigned pol = flags & INTI_POLARITY_MASK;
    unsigned trig = (flags >> INTI_TRIGGER_SHIFT) & 0x3u;
    uint32_t bits = 0;

    if (pol == INTI_POLARITY_LOW || (pol == 0 && !isa))
        bits |= RTE_POLARITY_LOW;
    if (trig == INTI_TRIGGER_LEVEL || (trig == 0 && !isa))
        bits |= RTE_LEVEL;
    return bits;
}

/* True when an override moved another ISA IRQ onto gsi: then ISA IRQ
 * isa_irq, which would sit there by identity, has no line (QEMU and most
 * PCs: IRQ 0 on GSI 2, so IRQ 2, the 8259 cascade, is nowhere). */
static bool taken_by_override(const struct acpi_info *ai, unsigned isa_irq, uint32_t gsi)
{
    for (uint32_t i = 0; i < ai->iso_count; i++) {
        if (ai->isos[i].bus == 0 && ai->isos[i].source != isa_irq && ai->isos[i].gsi == gsi)
            return true;
    }
    return false;
}

/* Maps every IOAPIC of the MADT, masks all its entries and records each
 * line's vector, mode and the ISA overrides. False (and the 8259 stays in
 * charge) when there is no usable IOAPIC. Boot CPU, before interrupts. */
bool ioapic_init(const struct acpi_info *ai, uint32_t loglevel)
{
    for (unsigned isa = 0; isa < 16; isa++)
        isa_line[isa] = -1;
    if (ai == NULL)
        return false;
    for (uint32_t i = 0; i < ai->ioapic_count && nioapics < ACPI_MAX_IOAPICS; i++) {
        struct ioapic *io = &ioapics[nioapics];

        io->regs = hal_phys_to_virt(ai->ioapics[i].addr);
        if (io->regs == NULL || ai->ioapics[i].gsi_base >= X86_MAX_LINES)
            continue;
        io->gsi_base = ai->ioapics[i].gsi_base;
        io->count = ((ioapic_read(io, IOAPIC_VER) >> 16) & 0xFF) + 1;
        if (io->count > X86_MAX_LINES - io->gsi_base)
            io->count = X86_MAX_LINES - io->gsi_base;
        if (io->gsi_base + io->count > nlines)
            nlines = io->gsi_base + io->count;
        nioapics++;
    }
    if (nioapics == 0)
        return false;
    for (unsigned line = 0; line < nlines; line++) {
        rte_low[line] = RTE_MASKED | (X86_VEC_LINE_BASE + line) | mode_bits(0, line < 16);
        rte_dest[line] = x86_percpus[0].apic_id;
    }
    for (unsigned isa = 0; isa < 16; isa++) {
        uint16_t flags;
        uint32_t gsi = acpi_isa_to_gsi(ai, isa, &flags);

        if (gsi >= nlines || ioapic_of(gsi) == NULL || taken_by_override(ai, isa, gsi))
            continue;
        isa_line[isa] = (int)gsi;
        rte_low[gsi] = RTE_MASKED | (X86_VEC_LINE_BASE + gsi) | mode_bits(flags, true);
    }
    for (unsigned line = 0; line < nlines; line++) {
        if (ioapic_of(line) != NULL)
            write_rte(line);
    }
    if (loglevel >= 1)
        kprintf("FeuerBird: %u IOAPIC(s), %u lines, ISA IRQ0 on line %d\n", nioapics, nlines,
                isa_line[0]);
    return true;
}

/* Takes the periodic tick over from the 8259: everything on the 8259 is
 * masked, LINT0 too, and ISA IRQ 0's line goes to the boot CPU. */
void ioapic_start_tick(void)
{
    hal_irq_state_t s;

    if (isa_line[0] < 0)
        hal_panic("the IOAPIC has no line for the PIT");
    pic_disable();
    lapic_mask_lint0();
    tick_line = isa_line[0];
    s = spin_lock_irqsave(&lock);
    rte_dest[tick_line] = x86_percpus[0].apic_id;
    rte_low[tick_line] &= ~RTE_MASKED;
    write_rte((unsigned)tick_line);
    spin_unlock_irqrestore(&lock, s);
    pit_start_periodic();
}

/* Entry for vector X86_VEC_LINE_BASE + line, interrupts off. The tick is
 * the HAL's; any other line goes to the handler, or, with none, is
 * counted and masked so a level-triggered line cannot storm. The EOI
 * comes last, after the handler masked a level-triggered line. */
void ioapic_irq(unsigned line)
{
    if ((int)line == tick_line) {
        x86_tick();
    } else if (line < nlines && handler != NULL) {
        /* relaxed: a statistic. */
        atomic_fetch_add_explicit(&x86_this_cpu()->line_irqs, 1, memory_order_relaxed);
        handler(line, handler_ctx);
    } else {
        /* relaxed: a statistic, nothing is ordered with it. */
        atomic_fetch_add_explicit(&unhandled, 1, memory_order_relaxed);
        if (line < nlines)
            hal_irqline_mask(line);
    }
    lapic_eoi();
}

/* GSIs of all IOAPICs (0 without one). */
unsigned hal_irqline_count(void)
{
    return nlines;
}

/* The line of an ISA IRQ after the MADT overrides. */
int hal_irqline_from_isa(unsigned isa_irq)
{
    if (isa_irq > 15 || nioapics == 0 || isa_line[isa_irq] < 0)
        return FB_EINVAL;
    return isa_line[isa_irq];
}

/* Sets the one line handler. Boot, before any line is unmasked. */
void hal_irqline_set_handler(hal_irqline_fn fn, void *ctx)
{
    handler_ctx = ctx;
    handler = fn;
}

/* FB_OK for a line others may use; FB_EINVAL out of range or not wired
 * to an IOAPIC; FB_EBUSY for the tick's line, which the HAL owns. */
static int check_line(unsigned line)
{
    if (line >= nlines || ioapic_of(line) == NULL)
        return FB_EINVAL;
    if ((int)line == tick_line)
        return FB_EBUSY;
    return FB_OK;
}

/* Points line at CPU cpu's APIC ID (fixed delivery, physical mode). */
int hal_irqline_route(unsigned line, unsigned cpu)
{
    hal_irq_state_t s;
    int err = check_line(line);

    if (err != FB_OK)
        return err;
    if (cpu >= hal_cpu_count())
        return FB_EINVAL;
    s = spin_lock_irqsave(&lock);
    rte_dest[line] = x86_percpus[cpu].apic_id;
    write_rte(line);
    spin_unlock_irqrestore(&lock, s);
    return FB_OK;
}

/* Sets or clears the mask bit of line's redirection entry. */
static int set_masked(unsigned line, bool masked)
{
    hal_irq_state_t s;
    int err = check_line(line);

    if (err != FB_OK)
        return err;
    s = spin_lock_irqsave(&lock);
    rte_low[line] = masked ? rte_low[line] | RTE_MASKED : rte_low[line] & ~RTE_MASKED;
    write_rte(line);
    spin_unlock_irqrestore(&lock, s);
    return FB_OK;
}

/* Masks line at its IOAPIC. */
int hal_irqline_mask(unsigned line)
{
    return set_masked(line, true);
}

/* Unmasks line at its IOAPIC. */
int hal_irqline_unmask(unsigned line)
{
    return set_masked(line, false);
}

/* Line interrupts that found no handler. */
unsigned long hal_irqline_unhandled(void)
{
    /* relaxed: a statistic. */
    return atomic_load_explicit(&unhandled, memory_order_relaxed);
}
