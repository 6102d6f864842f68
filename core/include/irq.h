/* Device interrupts as capability-protected resources. The kernel owns
 * one CAP_T_IRQ root capability per line (object = line number); an
 * environment that holds a capability for a line (derived or granted,
 * with CAP_R_RECV) may bind the line, wait for its interrupts and
 * acknowledge them. The HAL routes and masks (hal/irqline.h); this module
 * decides who gets what. */
#ifndef FB_IRQ_H
#define FB_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "cap.h"

/** Most lines this module manages (lines above are never bindable). */
#define IRQ_MAX_LINES 64u

/** The right every IRQ operation needs on the presented capability. */
#define IRQ_RIGHTS CAP_R_RECV

/** Counters and state of one line, from irq_stats. */
struct irq_stats {
    bool bound;           /**< a live binding holds the line */
    unsigned cpu;         /**< CPU the line is routed to while bound */
    uint32_t pending;     /**< interrupts not yet taken by irq_wait */
    uint64_t delivered;   /**< interrupts delivered to a binding */
    uint64_t dropped;     /**< interrupts on the line with no live binding */
    uint64_t binds;       /**< successful irq_bind calls */
};

/**
 * Resets every line to unbound, masks them and installs this module's
 * handler with the HAL. Boot, before any other call; again in tests.
 * @return FB_OK.
 */
int irq_init(void);

/**
 * Binds the line named by capability @p h in @p t to that capability:
 * routes it to CPU @p cpu, unmasks it, and from then on its interrupts
 * are counted for the binding and wake irq_wait. A binding whose
 * capability stops verifying (revoked, deleted) is dead: its next
 * interrupt is dropped and the line may be bound again.
 * @return FB_OK; the errors of cap_verify (the capability must hold
 *         IRQ_RIGHTS); FB_EINVAL when it is not a CAP_T_IRQ capability,
 *         names a line the HAL does not have or >= IRQ_MAX_LINES, or
 *         @p cpu is not up; FB_EBUSY when a live binding holds the line
 *         or the HAL keeps the line for itself (the timer tick's).
 */
int irq_bind(const struct cap_table *t, cap_handle_t h, unsigned cpu);

/**
 * Ends the binding made with exactly this capability: masks the line,
 * drops pending interrupts and wakes waiters (they get FB_ENOENT).
 * @return FB_OK; the errors of cap_verify; FB_EINVAL (not an IRQ
 *         capability or a line out of range); FB_ENOENT when the line is
 *         not bound; FB_EPERM when another capability holds the binding.
 */
int irq_unbind(const struct cap_table *t, cap_handle_t h);

/**
 * Acknowledges the interrupts taken so far: unmasks the line, which the
 * handler masked when the interrupt came (so a level-triggered device
 * cannot storm the CPU before its driver ran). Errors as irq_unbind.
 */
int irq_ack(const struct cap_table *t, cap_handle_t h);

/**
 * Blocks the calling thread until the bound line has a pending interrupt,
 * then takes them all: *@p count (may be NULL) receives how many arrived
 * since the last wait. The line stays masked until irq_ack.
 * @return FB_OK; errors as irq_unbind, checked again after every wake-up:
 *         FB_ENOENT when the line was unbound while waiting, the errors
 *         of cap_verify when the capability died while waiting. Revoking
 *         needs no call into this module, so a waiter whose capability
 *         was revoked learns it at the line's next interrupt or unbind.
 *         Called outside a scheduled thread with nothing pending, the
 *         scheduler's FB_EPERM (nothing could wake the caller).
 */
int irq_wait(const struct cap_table *t, cap_handle_t h, uint32_t *count);

/**
 * irq_wait without blocking. @return FB_OK and *@p count > 0; FB_EAGAIN
 *         when nothing is pending; otherwise the errors of irq_wait.
 */
int irq_poll(const struct cap_table *t, cap_handle_t h, uint32_t *count);

/** Copies line @p line's state. @return FB_OK; FB_EINVAL for a line out of
 *  range or a NULL @p out. */
int irq_stats(unsigned line, struct irq_stats *out);

/** Interrupts dropped on all lines because nothing live was bound. */
uint64_t irq_dropped_total(void);

#endif
