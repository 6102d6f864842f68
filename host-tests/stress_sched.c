/* Stress of the scheduler on 4 simulated CPUs: 200 threads yield, pass
 * preemption points, block and wake each other through wait queues, and
 * change their parameters and affinity, while the main thread switches
 * the policy live again and again and checks the invariants. Passes (exit
 * 0) when every thread finished exactly its work, no thread ever ran on
 * two CPUs at once, bound threads stayed on their CPU, and sched_check
 * held throughout. Meant for host-tsan as much as for the plain build. */
#include <stdio.h>

#include "hal/cpu.h"
#include "sched_harness.h"

#define NCPUS    4u
#define NTHREADS 200u
#define ITERS    1000u
#define NQUEUES  8u

struct stress_thread {
    struct sched_thread t;
    unsigned id;
    atomic_int running;    /* > 1: the same thread on two CPUs */
    atomic_uint done;
};

static struct stress_thread th[NTHREADS];
static struct sched_waitq queues[NQUEUES];
static unsigned tickets[NQUEUES];  /* each guarded by its queue's lock */
static atomic_uint finished, errors;

/* Takes a token of the queue arg points into (under that queue's lock). */
static bool take(void *arg)
{
    unsigned *tok = arg;

    if (*tok == 0)
        return false;
    (*tok)--;
    return true;
}

/* Adds a token to queue q and wakes one waiter. */
static void post(unsigned q)
{
    hal_irq_state_t s = spin_lock_irqsave(&queues[q].lock);

    tickets[q]++;
    spin_unlock_irqrestore(&queues[q].lock, s);
    sched_wake_one(&queues[q]);
}

/* Counts an error with a message. */
static void fail(const char *what, unsigned id)
{
    fprintf(stderr, "stress_sched: thread %u: %s\n", id, what);
    atomic_fetch_add(&errors, 1);
}

/* One stress thread: mixes every operation; odd ids first post a token
 * for their even partner, which blocks for it, so no wait is forever. */
static void stress_main(void *arg)
{
    struct stress_thread *s = arg;
    unsigned bound = s->id < 8 ? 1 + s->id % NCPUS : 0;
    unsigned q = (s->id / 2) % NQUEUES;

    for (unsigned i = 0; i < ITERS; i++) {
        if (atomic_fetch_add(&s->running, 1) != 0)
            fail("runs on two CPUs at once", s->id);
        if (bound != 0 && hal_cpu_id() != bound)
            fail("ran off its bound CPU", s->id);
        atomic_fetch_sub(&s->running, 1);
        atomic_fetch_add(&s->done, 1);
        switch ((i + s->id) % 5) {
        case 0:
            sched_yield_cpu();
            break;
        case 1:
            sched_preempt_point();
            break;
        case 2: {
            struct sched_params p = { (i * 7 + s->id) % 16, 1 + (i * 13 + s->id) % 300 };
            if (sched_set_param(&s->t, &p) != FB_OK)
                fail("set_param refused", s->id);
            break;
        }
        case 3:
            if (bound == 0 && sched_set_affinity(&s->t, (i & 1) ? 0x6ull : 0x1eull) != FB_OK)
                fail("set_affinity refused", s->id);
            break;
        default:
            sched_yield_to(&th[s->id ^ 1].t);
            break;
        }
        if (i % 10 == 0) {
            if (s->id & 1)
                post(q);
            else if (sched_wait_event(&queues[q], take, &tickets[q]) != FB_OK)
                fail("wait refused", s->id);
        }
    }
    atomic_fetch_add(&finished, 1);
}

int main(void)
{
    static const char *const names[3] = { "stride", "rr", "prio" };
    const char *why = NULL;
    unsigned round = 0;

    for (unsigned q = 0; q < NQUEUES; q++)
        sched_waitq_init(&queues[q]);
    if (harness_boot(NCPUS, &sched_rr_ops, 500000) != 0) {
        fprintf(stderr, "stress_sched: boot failed\n");
        return 1;
    }
    for (unsigned i = 0; i < NTHREADS; i++) {
        struct sched_params p = { i % 16, 1 + i % 100 };

        th[i].id = i;
        if (sched_thread_create(&th[i].t, "stress", stress_main, &th[i], malloc(HARNESS_STACK),
                                HARNESS_STACK, &p) != FB_OK)
            return 1;
        if (i < 8 && sched_set_affinity(&th[i].t, 1ull << (1 + i % NCPUS)) != FB_OK)
            return 1;
    }
    /* All exist before any runs: they yield_to and wake each other. */
    for (unsigned i = 0; i < NTHREADS; i++) {
        if (sched_thread_start(&th[i].t) != FB_OK)
            return 1;
    }
    while (atomic_load(&finished) < NTHREADS && round < 100000) {
        if (sched_set_policy(sched_policy_find(names[round++ % 3])) != FB_OK ||
            sched_check(&why) != FB_OK) {
            fprintf(stderr, "stress_sched: check failed in round %u: %s\n", round,
                    why ? why : "set_policy refused");
            return 1;
        }
        harness_sleep_ms(2);
    }
    if (harness_halt(NCPUS) != 0 || sched_check(&why) != FB_OK) {
        fprintf(stderr, "stress_sched: final check failed: %s\n", why ? why : "halt");
        return 1;
    }
    for (unsigned i = 0; i < NTHREADS; i++) {
        if (atomic_load(&th[i].done) != ITERS || !sched_thread_done(&th[i].t))
            fail("did not finish its iterations", i);
        harness_reap(&th[i].t);
    }
    printf("stress_sched: %u threads x %u iterations on %u CPUs, %u live policy switches: %s\n",
           NTHREADS, ITERS, NCPUS, round, atomic_load(&errors) ? "FAIL" : "ok");
    return atomic_load(&errors) == 0 ? 0 : 1;
}
