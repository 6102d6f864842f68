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

#endif
