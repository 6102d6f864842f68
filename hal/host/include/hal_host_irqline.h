/* Host-only control of the simulated device lines (hal/include/hal/irqline.h):
 * tests play the device and raise a line. */
#ifndef HAL_HOST_IRQLINE_H
#define HAL_HOST_IRQLINE_H

#include <stdbool.h>

/** Simulated device lines, numbered 0 .. HAL_HOST_IRQ_LINES - 1. */
#define HAL_HOST_IRQ_LINES 24u

/**
 * Plays a device asserting @p line once (an edge). An unmasked line's
 * handler runs at once on the calling thread as the CPU the line is
 * routed to (hal_cpu_id() is that CPU, interrupts read as disabled), and
 * that CPU is told an interrupt arrived so its resched hook runs. A
 * masked line latches the edge (several edges latch as one) and delivers
 * it when unmasked, as an IOAPIC delivers a held edge.
 * @return FB_OK; FB_EINVAL for a line out of range.
 */
int hal_host_irqline_raise(unsigned line);

/** True when @p line is masked (false for a line out of range). */
bool hal_host_irqline_masked(unsigned line);

/** The CPU @p line is routed to (0 until routed or out of range). */
unsigned hal_host_irqline_cpu(unsigned line);

/** Masks every line, forgets routes, latches and the handler (tests). */
void hal_host_irqline_reset(void);

#endif
