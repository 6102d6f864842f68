/* HAL contract: timers. */
#ifndef HAL_TIMER_H
#define HAL_TIMER_H

#include <stdint.h>

/** Callback run from timer interrupt context (host: the timer thread). */
typedef void (*hal_timer_fn)(void *ctx);

/**
 * Arms the calling CPU's one-shot timer to call @p fn(@p ctx) once, about
 * @p ns nanoseconds from now (never earlier). Re-arming replaces a pending
 * shot. Thread context.
 * @return FB_OK; FB_EINVAL when @p fn is NULL or @p ns is 0; FB_EAGAIN
 *         before the timer is calibrated (x86_64: early boot).
 */
int hal_timer_oneshot(uint64_t ns, hal_timer_fn fn, void *ctx);

/** Cancels the calling CPU's pending one-shot, if any. */
void hal_timer_cancel(void);

/** Periodic ticks counted since the timer started (x86_64: 100 Hz). Any context. */
uint64_t hal_timer_ticks(void);

/** Period of the periodic tick in nanoseconds. */
uint64_t hal_timer_period_ns(void);

#endif
