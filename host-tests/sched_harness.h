/* Shared by the scheduler's multi-CPU host tests and its stress program:
 * simulated CPUs 1..n each run sched_cpu_run while the main thread (CPU
 * 0, never scheduling) creates threads, drives and inspects. */
#ifndef FB_EXO_SCHED_HARNESS_H
#define FB_EXO_SCHED_HARNESS_H

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "hal/timestamp.h"
#include "hal_host.h"
#include "kerr.h"
#include "exo_sched.h"

#define HARNESS_STACK (256u * 1024u)

/* Body of each simulated CPU. */
static inline void harness_cpu_main(void *arg)
{
    (void)arg;
    sched_cpu_run();
}

/* Starts the scheduler with policy ops and CPUs 1..ncpus; 0 on success. */
static inline int harness_boot(unsigned ncpus, const struct exo_sched_ops *ops, uint64_t slice_ns)
{
    if (sched_init(ops, slice_ns) != FB_OK || hal_host_set_cpu_count(ncpus + 1) != FB_OK)
        return -1;
    for (unsigned c = 1; c <= ncpus; c++) {
        if (hal_host_cpu_start(c, harness_cpu_main, NULL) != FB_OK)
            return -1;
    }
    /* Every CPU must be in its idle loop before threads are placed, or
     * they would land on CPU 0's queue, which only stealing drains. */
    for (unsigned c = 1; c <= ncpus; c++) {
        struct sched_cpu_stats st = { 0 };

        for (int tries = 0; st.idle_waits == 0; tries++) {
            if (tries > 10000)
                return -1;
            nanosleep(&(struct timespec){ 0, 1000000L }, NULL);
            sched_cpu_stats(c, &st);
        }
    }
    return 0;
}

/* Asks for shutdown and joins every CPU (returns once all threads died). */
static inline int harness_halt(unsigned ncpus)
{
    sched_shutdown();
    for (unsigned c = 1; c <= ncpus; c++) {
        if (hal_host_cpu_join(c) != FB_OK)
            return -1;
    }
    return 0;
}

/* Creates and starts a thread on a fresh malloc'd stack. */
static inline int harness_spawn(struct sched_thread *t, const char *name, void (*fn)(void *), void *arg,
                         const struct sched_params *p)
{
    void *stack = malloc(HARNESS_STACK);

    if (stack == NULL || sched_thread_create(t, name, fn, arg, stack, HARNESS_STACK, p) != FB_OK)
        return -1;
    return sched_thread_start(t) == FB_OK ? 0 : -1;
}

/* Frees a dead thread's stack. */
static inline void harness_reap(struct sched_thread *t)
{
    free(t->stack);
}

/* Sleeps the calling host thread for ms milliseconds. */
static inline void harness_sleep_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Waits until *v >= want, for at most timeout_ms; true when reached. */
static inline bool harness_wait_for(atomic_uint *v, unsigned want, unsigned timeout_ms)
{
    uint64_t end = hal_read_timestamp() + (uint64_t)timeout_ms * 1000000ull;

    while (atomic_load(v) < want) {
        if (hal_read_timestamp() > end)
            return false;
        harness_sleep_ms(1);
    }
    return true;
}

#endif
