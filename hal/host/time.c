/* Host time: CLOCK_MONOTONIC nanoseconds for hal_read_timestamp and
 * hal_read_cycles, and the process start time the tick count runs from. */
#include <time.h>

#include "hal/timestamp.h"
#include "host_internal.h"

uint64_t host_start_ns;

/* Reads CLOCK_MONOTONIC in nanoseconds; that clock cannot fail on Linux
 * with a valid clock id and pointer, so there is no error path. */
uint64_t hal_read_timestamp(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The host has no cycle counter it can scale portably: cycles are ns. */
uint64_t hal_read_cycles(void)
{
    return hal_read_timestamp();
}

/* Records time zero of the simulated periodic tick before main() runs, so
 * hal_timer_ticks never depends on which HAL call came first. Written
 * before any thread exists, read-only afterwards. */
__attribute__((constructor)) static void host_time_start(void)
{
    host_start_ns = hal_read_timestamp();
}
