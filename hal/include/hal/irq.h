/* HAL contract: interrupt masking on the calling CPU. */
#ifndef HAL_IRQ_H
#define HAL_IRQ_H

#include <stdbool.h>

/** Opaque saved interrupt state, only for hal_irq_restore. */
typedef unsigned long hal_irq_state_t;

/**
 * Disables interrupts on the calling CPU and returns the previous state.
 * Nests: pair every call with hal_irq_restore in reverse order.
 * Host: masks the simulated timer interrupt of the calling thread.
 */
hal_irq_state_t hal_irq_disable(void);

/** Restores the state returned by the matching hal_irq_disable. */
void hal_irq_restore(hal_irq_state_t state);

/** True when interrupts are enabled on the calling CPU. */
bool hal_irq_enabled(void);

/** The scheduler's entry after an interrupt; see hal_irq_set_resched_hook. */
typedef void (*hal_resched_fn)(void);

/**
 * Registers @p fn (NULL: none) as the resched hook. The HAL calls it on
 * the interrupted CPU, in thread context, with interrupts disabled, on
 * the interrupted thread's stack, after an interrupt or kick was handled
 * and only when the interrupted code had interrupts enabled; the hook may
 * switch contexts (hal_context_switch), and the interrupted code resumes
 * when something switches back. x86_64: at the end of every interrupt
 * taken with IF set (after EOI). Host: the simulated CPU's own thread
 * runs it in hal_irq_restore when that re-enables interrupts and in
 * hal_cpu_idle, whenever a timer shot, IRQ line or kick was delivered to
 * that CPU since the hook last ran; a host thread that never touches
 * interrupts is never preempted. Boot, before the scheduler starts.
 */
void hal_irq_set_resched_hook(hal_resched_fn fn);

#endif
