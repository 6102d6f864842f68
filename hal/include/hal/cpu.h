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

/**
 * Waits for an interrupt on the calling CPU. Call with interrupts
 * disabled; they are enabled while waiting, the interrupt (or kick) is
 * handled, including the resched hook (hal_irq_set_resched_hook), and the
 * call returns with interrupts disabled again. May return without an
 * interrupt (callers loop on their own condition).
 * x86_64: STI; HLT; CLI (STI's one-instruction shadow makes it race-free).
 * Host: sleeps until a timer shot, a kick or an IRQ line is pending for
 * this simulated CPU. Thread context.
 */
void hal_cpu_idle(void);

/**
 * Interrupts CPU @p cpu so that it leaves hal_cpu_idle and runs the
 * resched hook as soon as it has interrupts enabled. Kicks are not
 * counted: several before the CPU reacts may run the hook once.
 * x86_64: a fixed IPI (X86_VEC_KICK); kicking the calling CPU is a
 * self-IPI. Host: marks the simulated CPU and wakes it. Any context.
 * @return FB_OK; FB_EINVAL when @p cpu >= hal_cpu_count().
 */
int hal_cpu_kick(unsigned cpu);

#endif
