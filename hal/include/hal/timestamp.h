/* HAL contract: time. */
#ifndef HAL_TIMESTAMP_H
#define HAL_TIMESTAMP_H

#include <stdint.h>

/**
 * Nanoseconds since an arbitrary point at or before boot; monotonic per CPU.
 * x86_64: RDTSC scaled by the TSC frequency calibrated at boot (against the
 * PIT). Host: clock_gettime(CLOCK_MONOTONIC).
 * Callable from any context, including interrupt handlers; never fails.
 * x86_64: returns 0 until the TSC is calibrated early in main64.
 */
uint64_t hal_read_timestamp(void);

/**
 * The raw cycle counter (x86_64: RDTSC; host: the same as
 * hal_read_timestamp). For benchmarks that report cycles. Any context.
 */
uint64_t hal_read_cycles(void);

#endif
