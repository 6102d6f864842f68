/* HAL contract: device interrupt lines (x86_64: IOAPIC inputs; host:
 * simulated lines raised by tests). Policy (who may bind a line) lives
 * in core/irq; the HAL only routes, masks and delivers. */
#ifndef HAL_IRQLINE_H
#define HAL_IRQLINE_H

/** Handler of every device line; runs in interrupt context on the CPU the
 *  line is routed to, interrupts disabled. */
typedef void (*hal_irqline_fn)(unsigned line, void *ctx);

/**
 * Number of device lines, numbered 0 .. count - 1 (x86_64: global system
 * interrupts of every IOAPIC; 0 when there is no IOAPIC. Host: 24). Any
 * context.
 */
unsigned hal_irqline_count(void);

/**
 * The line an ISA interrupt (0..15) arrives on, after the firmware's
 * overrides (x86_64: MADT interrupt source overrides, so ISA IRQ 0 is
 * usually line 2). Host: the identity.
 * @return the line; FB_EINVAL for @p isa_irq > 15 or no such line.
 */
int hal_irqline_from_isa(unsigned isa_irq);

/**
 * Sets the one handler for all lines (NULL: none; an interrupt then is
 * only counted by the HAL). Lines start masked. Boot, before unmasking.
 */
void hal_irqline_set_handler(hal_irqline_fn fn, void *ctx);

/**
 * Routes @p line to CPU @p cpu; takes effect for the next interrupt.
 * @return FB_OK; FB_EINVAL for a line >= hal_irqline_count() or
 *         @p cpu >= hal_cpu_count(); FB_EBUSY for a line the HAL keeps
 *         for itself (x86_64: the PIT's, which carries the periodic tick).
 */
int hal_irqline_route(unsigned line, unsigned cpu);

/** Masks @p line: its interrupts are held by the device side (x86_64: the
 *  IOAPIC redirection entry is masked; an edge that comes meanwhile may be
 *  lost; host: latched and delivered at unmask).
 *  @return FB_OK; FB_EINVAL for a line out of range; FB_EBUSY for a line
 *  the HAL keeps (see hal_irqline_route). Any context. */
int hal_irqline_mask(unsigned line);

/** Unmasks @p line. @return FB_OK; FB_EINVAL for a line out of range;
 *  FB_EBUSY for a line the HAL keeps. Any context. */
int hal_irqline_unmask(unsigned line);

/** Interrupts that arrived with no handler set, per HAL. Any context. */
unsigned long hal_irqline_unhandled(void);

#endif
