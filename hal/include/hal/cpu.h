/* HAL contract: the CPUs. */
#ifndef HAL_CPU_H
#define HAL_CPU_H

/**
 * Index of the calling CPU, 0 .. hal_cpu_count() - 1. Stable while the
 * caller cannot migrate (interrupts disabled, or the boot CPU before SMP).
 * Host: the simulated CPU the calling thread was started as (0 for the
 * main thread). Any context.
 */
unsigned hal_cpu_id(void);

/** Number of CPUs that are up. Any context; never 0. */
unsigned hal_cpu_count(void);

/** Spin-wait hint (x86_64: PAUSE). Any context. */
void hal_cpu_relax(void);

#endif
