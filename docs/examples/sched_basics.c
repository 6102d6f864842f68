/* docs/examples/sched_basics.c */
/* Two simulated CPUs run three kernel threads under stride scheduling,
 * the policy is switched to round robin while they run, and a thread
 * waits on a wait queue until another wakes it. Host build only: the
 * simulated CPUs are threads (hal_host.h); in the kernel each CPU calls
 * sched_cpu_run() at the end of its bring-up instead. */
#include <stdatomic.h>
#include <stdio.h>

#include "exo_sched.h"
#include "hal_host.h"
#include "kerr.h"

#define STACK 65536

static struct sched_thread workers[2], sleeper;
static _Alignas(16) unsigned char stacks[3][STACK];
static atomic_uint rounds[2];
static struct sched_waitq wq;
static atomic_bool ready;

/* Yields 1000 times, counting its turns. */
static void worker(void *arg)
{
    atomic_uint *count = arg;

    for (int i = 0; i < 1000; i++) {
        atomic_fetch_add(count, 1);
        sched_yield_cpu();
    }
}

/* Checked by sched_wait_event under the wait queue's lock. */
static bool is_ready(void *arg)
{
    (void)arg;
    return atomic_load(&ready);
}

/* Blocks until a worker has made the condition true and woken it. */
static void waits(void *arg)
{
    (void)arg;
    sched_wait_event(&wq, is_ready, NULL);
    printf("sleeper woke on CPU %u\n", hal_cpu_id());
}

/* Simulated CPU 1's body: schedule until shutdown. */
static void cpu1(void *arg)
{
    (void)arg;
    sched_cpu_run();
}

int main(void)
{
    struct sched_params heavy = { SCHED_PRIO_DEFAULT, 300 }, light = { SCHED_PRIO_DEFAULT, 100 };

    if (hal_host_set_cpu_count(2) != FB_OK || sched_init(&sched_stride_ops, 0) != FB_OK)
        return 1;
    sched_waitq_init(&wq);
    sched_thread_create(&workers[0], "heavy", worker, &rounds[0], stacks[0], STACK, &heavy);
    sched_thread_create(&workers[1], "light", worker, &rounds[1], stacks[1], STACK, &light);
    sched_thread_create(&sleeper, "sleeper", waits, NULL, stacks[2], STACK, NULL);
    sched_thread_start(&sleeper);
    sched_thread_start(&workers[0]);
    sched_thread_start(&workers[1]);
    hal_host_cpu_start(1, cpu1, NULL);

    /* Live switch while the workers run; none is lost or run twice. */
    if (sched_set_policy(sched_policy_find("rr")) != FB_OK)
        return 1;
    atomic_store(&ready, true);
    sched_wake_all(&wq);

    sched_shutdown();          /* the CPUs return once every thread is dead */
    sched_cpu_run();           /* CPU 0 (this thread) schedules too */
    hal_host_cpu_join(1);
    printf("heavy %u rounds, light %u rounds, policy %s\n", atomic_load(&rounds[0]),
           atomic_load(&rounds[1]), sched_policy()->name);
    return atomic_load(&rounds[0]) == 1000 && atomic_load(&rounds[1]) == 1000 ? 0 : 1;
}
