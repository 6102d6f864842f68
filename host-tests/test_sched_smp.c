/* Specification of the scheduler on simulated CPUs (pthreads): threads
 * run to completion and exit, affinity binds, directed yield, blocking
 * and waking, timer preemption, stride shares in real time, and live
 * policy switches under load with nothing lost or run twice. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "expect.h"
#include "hal/cpu.h"
#include "sched_harness.h"

#define MS 1000000ull

/* A worker: counts its iterations and where they ran. */
struct worker {
    struct sched_thread t;
    unsigned iters;            /* to do */
    atomic_uint done;          /* done so far */
    atomic_uint wrong_cpu;     /* iterations on a CPU outside want_cpu (if set) */
    int want_cpu;              /* -1: any */
    atomic_int running;        /* >1 would mean it runs twice at once */
};

static atomic_uint finished;

/* Loops iters times, yielding or passing a preemption point in turn. */
static void worker_main(void *arg)
{
    struct worker *w = arg;

    for (unsigned i = 0; i < w->iters; i++) {
        cr_assert_eq(atomic_fetch_add(&w->running, 1), 0, "%s runs twice at once", w->t.name);
        if (w->want_cpu >= 0 && hal_cpu_id() != (unsigned)w->want_cpu)
            atomic_fetch_add(&w->wrong_cpu, 1);
        atomic_fetch_sub(&w->running, 1);
        atomic_fetch_add(&w->done, 1);
        if (i % 2 == 0)
            sched_yield_cpu();
        else
            sched_preempt_point();
    }
    atomic_fetch_add(&finished, 1);
}

/* Sets up worker w. */
static void worker_init(struct worker *w, unsigned iters, int want_cpu)
{
    w->iters = iters;
    atomic_store(&w->done, 0);
    atomic_store(&w->wrong_cpu, 0);
    atomic_store(&w->running, 0);
    w->want_cpu = want_cpu;
}

/* Halts, then checks every worker finished exactly its iterations. */
static void halt_and_check(unsigned ncpus, struct worker *w, unsigned n)
{
    const char *why = NULL;

    cr_assert_eq(harness_halt(ncpus), 0, "expected every CPU to stop after all threads died");
    expect(sched_check(&why), FB_OK);
    for (unsigned i = 0; i < n; i++) {
        cr_assert_eq(atomic_load(&w[i].done), w[i].iters, "%s did %u of %u iterations",
                     w[i].t.name, atomic_load(&w[i].done), w[i].iters);
        cr_assert(sched_thread_done(&w[i].t), "%s must be dead and off its CPU", w[i].t.name);
        harness_reap(&w[i].t);
    }
}

Test(sched_smp, every_thread_runs_to_completion_and_exits)
{
    static struct worker w[24];

    cr_assert_eq(harness_boot(3, &sched_rr_ops, 2 * MS), 0);
    for (unsigned i = 0; i < 24; i++) {
        worker_init(&w[i], 200, -1);
        cr_assert_eq(harness_spawn(&w[i].t, "w", worker_main, &w[i], NULL), 0);
    }
    cr_assert(harness_wait_for(&finished, 24, 60000), "expected all 24 workers to finish");
    halt_and_check(3, w, 24);
}

Test(sched_smp, a_dead_threads_struct_can_be_created_again_a_live_ones_cannot)
{
    static struct worker w;
    void *stack = malloc(HARNESS_STACK);
    const char *why = NULL;

    cr_assert_eq(harness_boot(2, &sched_rr_ops, 2 * MS), 0);
    worker_init(&w, 20, -1);
    expect(sched_thread_create(&w.t, "again", worker_main, &w, stack, HARNESS_STACK, NULL), FB_OK);
    expect(sched_thread_create(&w.t, "again", worker_main, &w, stack, HARNESS_STACK, NULL),
           FB_EBUSY);
    expect(sched_thread_start(&w.t), FB_OK);
    cr_assert(harness_wait_for(&finished, 1, 60000), "expected the first run to finish");
    while (!sched_thread_done(&w.t))
        harness_sleep_ms(1);
    worker_init(&w, 20, -1);
    expect(sched_thread_create(&w.t, "again", worker_main, &w, stack, HARNESS_STACK, NULL), FB_OK);
    expect(sched_thread_start(&w.t), FB_OK);
    cr_assert(harness_wait_for(&finished, 2, 60000), "expected the second run to finish");
    cr_assert_eq(harness_halt(2), 0, "expected every CPU to stop after all threads died");
    expect(sched_check(&why), FB_OK);
    cr_assert_eq(atomic_load(&w.done), 20u, "expected the second run's 20 iterations");
    free(stack);
}

Test(sched_smp, a_bound_thread_only_ever_runs_on_its_cpu)
{
    static struct worker w[12];

    cr_assert_eq(harness_boot(3, &sched_stride_ops, 2 * MS), 0);
    for (unsigned i = 0; i < 12; i++) {
        int cpu = i < 6 ? (int)(1 + i % 3) : -1;

        worker_init(&w[i], 300, cpu);
        expect(sched_thread_create(&w[i].t, "b", worker_main, &w[i], malloc(HARNESS_STACK),
                                   HARNESS_STACK, NULL), FB_OK);
        if (cpu >= 0)
            expect(sched_set_affinity(&w[i].t, 1ull << cpu), FB_OK);
        expect(sched_thread_start(&w[i].t), FB_OK);
    }
    cr_assert(harness_wait_for(&finished, 12, 60000), "expected all workers to finish");
    for (unsigned i = 0; i < 6; i++)
        cr_assert_eq(atomic_load(&w[i].wrong_cpu), 0, "thread bound to CPU %d ran elsewhere %u times",
                     w[i].want_cpu, atomic_load(&w[i].wrong_cpu));
    halt_and_check(3, w, 12);
}

/* Yields iters times; two of these pinned to one CPU ping-pong. */
static void yielder_main(void *arg)
{
    struct worker *w = arg;

    for (unsigned i = 0; i < w->iters; i++) {
        atomic_fetch_add(&w->done, 1);
        sched_yield_cpu();
    }
    atomic_fetch_add(&finished, 1);
}

Test(sched_smp, threads_pinned_to_one_cpu_leave_the_idle_cpus_asleep)
{
    static struct worker w[2];
    struct sched_cpu_stats before[4], after[4];

    cr_assert_eq(harness_boot(3, &sched_rr_ops, 1000 * MS), 0);
    for (unsigned c = 2; c <= 3; c++)
        expect(sched_cpu_stats(c, &before[c]), FB_OK);
    for (unsigned i = 0; i < 2; i++) {
        worker_init(&w[i], 2000, 1);
        expect(sched_thread_create(&w[i].t, "pinned", yielder_main, &w[i], malloc(HARNESS_STACK),
                                   HARNESS_STACK, NULL), FB_OK);
        expect(sched_set_affinity(&w[i].t, 1ull << 1), FB_OK);
        expect(sched_thread_start(&w[i].t), FB_OK);
    }
    cr_assert(harness_wait_for(&finished, 2, 60000), "expected both pinned threads to finish");
    for (unsigned c = 2; c <= 3; c++) {
        expect(sched_cpu_stats(c, &after[c]), FB_OK);
        /* A few wake-ups may come from the starts themselves; one per
         * yield (4000 here) would mean every yield kicked them. */
        cr_assert_lt(after[c].idle_waits - before[c].idle_waits, 100,
                     "CPU %u woke %lu times for threads it may not run", c,
                     (unsigned long)(after[c].idle_waits - before[c].idle_waits));
    }
    halt_and_check(3, w, 2);
}

Test(sched_smp, affinity_rejects_a_mask_without_any_cpu)
{
    struct sched_thread t;

    cr_assert_eq(harness_boot(1, NULL, 0), 0);
    expect(sched_thread_create(&t, "x", (void (*)(void *))abort, NULL, malloc(HARNESS_STACK),
                               HARNESS_STACK, NULL), FB_OK);
    expect(sched_set_affinity(&t, 1ull << 40), FB_EINVAL);
    expect(sched_set_affinity(&t, 0), FB_EINVAL);
    free(t.stack);
    expect(sched_thread_create(&t, "x", NULL, NULL, NULL, 0, NULL), FB_EINVAL);
}

/* Directed yield fixture: a log of who ran, one letter each. */
static char ylog[16];
static atomic_uint ylen;
static struct sched_thread ya, yb, yc;
static int yield_to_self, yield_to_dead;
static atomic_bool ygo;   /* set once B and C are queued behind A */

/* Appends c to the log. */
static void ylog_put(char c)
{
    ylog[atomic_fetch_add(&ylen, 1)] = c;
}

/* B and C only log. */
static void yb_main(void *arg)
{
    ylog_put(*(const char *)arg);
    atomic_fetch_add(&finished, 1);
}

/* A logs, hands the CPU to C, logs again once it is back. */
static void ya_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&ygo))
        hal_cpu_relax();   /* hold the CPU until B and C are queued */
    ylog_put('A');
    yield_to_self = sched_yield_to(&ya);
    sched_yield_to(&yc);
    ylog_put('a');
    yield_to_dead = sched_yield_to(&yc);
    atomic_fetch_add(&finished, 1);
}

Test(sched_smp, yield_to_runs_the_target_next)
{
    cr_assert_eq(harness_boot(1, &sched_rr_ops, 1000 * MS), 0);
    expect(sched_thread_create(&ya, "A", ya_main, NULL, malloc(HARNESS_STACK), HARNESS_STACK, NULL), FB_OK);
    expect(sched_thread_create(&yb, "B", yb_main, "B", malloc(HARNESS_STACK), HARNESS_STACK, NULL), FB_OK);
    expect(sched_thread_create(&yc, "C", yb_main, "C", malloc(HARNESS_STACK), HARNESS_STACK, NULL), FB_OK);
    /* A runs (or is queued) first and holds the one CPU until B and C
     * are queued behind it, whatever the host's timing. */
    expect(sched_set_affinity(&ya, 2), FB_OK);
    expect(sched_thread_start(&ya), FB_OK);
    expect(sched_thread_start(&yb), FB_OK);
    expect(sched_thread_start(&yc), FB_OK);
    atomic_store(&ygo, true);
    cr_assert(harness_wait_for(&finished, 3, 10000));
    cr_assert_eq(harness_halt(1), 0);
    ylog[atomic_load(&ylen)] = '\0';
    cr_assert_str_eq(ylog, "ACBa", "C must run right after A's yield_to, before B; got %s", ylog);
    expect(yield_to_self, FB_EINVAL);
    expect(yield_to_dead, FB_EAGAIN);
}

/* Wait-queue fixture: tokens handed out one per wake_one. */
static struct sched_waitq wq;
static unsigned tokens;  /* guarded by wq.lock */

/* Takes a token if one is there (runs under wq's lock). */
static bool take_token(void *arg)
{
    (void)arg;
    if (tokens == 0)
        return false;
    tokens--;
    return true;
}

/* Waits for one token. */
static void waiter_main(void *arg)
{
    (void)arg;
    expect(sched_wait_event(&wq, take_token, NULL), FB_OK);
    atomic_fetch_add(&finished, 1);
}

/* Adds one token under the queue's lock. */
static void give_token(void)
{
    hal_irq_state_t s = spin_lock_irqsave(&wq.lock);

    tokens++;
    spin_unlock_irqrestore(&wq.lock, s);
}

Test(sched_smp, wake_one_releases_exactly_one_waiter)
{
    static struct sched_thread t[5];

    sched_waitq_init(&wq);
    cr_assert_eq(harness_boot(2, &sched_prio_ops, 2 * MS), 0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(harness_spawn(&t[i], "wait", waiter_main, NULL, NULL), 0);
    harness_sleep_ms(50);
    cr_assert_eq(atomic_load(&finished), 0, "nobody may pass before a token exists");
    for (unsigned i = 1; i <= 5; i++) {
        give_token();
        sched_wake_one(&wq);
        cr_assert(harness_wait_for(&finished, i, 10000), "token %u must release a waiter", i);
        harness_sleep_ms(5);
        cr_assert_eq(atomic_load(&finished), i, "token %u released more than one waiter", i);
    }
    cr_assert_eq(sched_wake_all(&wq), 0, "the queue must be empty at the end");
    cr_assert_eq(harness_halt(2), 0);
    expect(sched_check(NULL), FB_OK);
}

Test(sched_smp, wake_all_releases_every_waiter)
{
    static struct sched_thread t[8];

    sched_waitq_init(&wq);
    cr_assert_eq(harness_boot(3, &sched_stride_ops, 2 * MS), 0);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(harness_spawn(&t[i], "wait", waiter_main, NULL, NULL), 0);
    harness_sleep_ms(50);
    for (int i = 0; i < 8; i++)
        give_token();
    sched_wake_all(&wq);
    cr_assert(harness_wait_for(&finished, 8, 10000), "expected all 8 waiters released");
    cr_assert_eq(harness_halt(3), 0);
    expect(sched_check(NULL), FB_OK);
}

Test(sched_smp, wait_outside_a_scheduled_thread_is_refused)
{
    sched_waitq_init(&wq);
    cr_assert_eq(sched_init(NULL, 0), FB_OK);
    expect(sched_wait_event(&wq, take_token, NULL), FB_EPERM);
    expect(sched_wait_event(NULL, take_token, NULL), FB_EINVAL);
}

/* Preemption fixture: a spinner that never yields. */
static atomic_bool other_ran;

/* Spins (passing preemption points only) until the other thread ran. */
static void spinner_main(void *arg)
{
    uint64_t end = hal_read_timestamp() + 10000 * MS;

    (void)arg;
    while (!atomic_load(&other_ran) && hal_read_timestamp() < end)
        sched_preempt_point();
    atomic_fetch_add(&finished, 1);
}

/* Marks that it ran. */
static void other_main(void *arg)
{
    (void)arg;
    atomic_store(&other_ran, true);
    atomic_fetch_add(&finished, 1);
}

Test(sched_smp, the_slice_timer_preempts_a_thread_that_never_yields)
{
    static struct sched_thread s, o;

    cr_assert_eq(harness_boot(1, &sched_rr_ops, 2 * MS), 0);
    cr_assert_eq(harness_spawn(&s, "spin", spinner_main, NULL, NULL), 0);
    harness_sleep_ms(20);
    cr_assert_eq(harness_spawn(&o, "other", other_main, NULL, NULL), 0);
    cr_assert(harness_wait_for(&finished, 2, 20000));
    cr_assert(atomic_load(&other_ran), "the spinner must have been preempted for the other");
    cr_assert_geq(s.stats.preemptions, 1, "expected at least one preemption of the spinner");
    cr_assert_eq(harness_halt(1), 0);
}

/* Stride real-time fixture: spin until told to stop. */
static atomic_bool stop;

/* Burns CPU, passing preemption points. */
static void burner_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        sched_preempt_point();
    atomic_fetch_add(&finished, 1);
}

Test(sched_smp, stride_shares_cpu_time_by_tickets_in_a_real_run)
{
    static struct sched_thread t[2];
    static const struct sched_params p[2] = { { 0, 300 }, { 0, 100 } };

    cr_assert_eq(harness_boot(1, &sched_stride_ops, 1 * MS), 0);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(harness_spawn(&t[i], "burn", burner_main, NULL, &p[i]), 0);
    harness_sleep_ms(800);
    atomic_store(&stop, true);
    cr_assert(harness_wait_for(&finished, 2, 10000));
    cr_assert_eq(harness_halt(1), 0);
    double share = (double)t[0].stats.runtime_ns /
                   (double)(t[0].stats.runtime_ns + t[1].stats.runtime_ns);
    cr_assert(share > 0.75 * 0.95 && share < 0.75 * 1.05,
              "300:100 tickets got a %.3f share of the CPU time, want 0.75 +- 5%%", share);
}

Test(sched_smp, switching_policy_under_load_loses_and_duplicates_nothing)
{
    static struct worker w[32];
    static const char *const names[3] = { "rr", "prio", "stride" };
    const char *why = NULL;

    cr_assert_eq(harness_boot(4, &sched_rr_ops, 1 * MS), 0);
    for (unsigned i = 0; i < 32; i++) {
        struct sched_params p = { i % 16, 1 + i * 37 % 200 };

        worker_init(&w[i], 400, i < 4 ? (int)(1 + i) : -1);
        expect(sched_thread_create(&w[i].t, "sw", worker_main, &w[i], malloc(HARNESS_STACK),
                                   HARNESS_STACK, &p), FB_OK);
        if (i < 4)
            expect(sched_set_affinity(&w[i].t, 1ull << (1 + i)), FB_OK);
        expect(sched_thread_start(&w[i].t), FB_OK);
    }
    for (int round = 0; round < 30 && atomic_load(&finished) < 32; round++) {
        const struct exo_sched_ops *ops = sched_policy_find(names[round % 3]);

        expect(sched_set_policy(ops), FB_OK);
        cr_assert_eq(sched_policy(), ops);
        expect(sched_check(&why), FB_OK);
        harness_sleep_ms(3);
    }
    cr_assert(harness_wait_for(&finished, 32, 60000), "expected all 32 workers to finish");
    for (unsigned i = 0; i < 4; i++)
        cr_assert_eq(atomic_load(&w[i].wrong_cpu), 0, "a bound worker ran off its CPU");
    halt_and_check(4, w, 32);
}

Test(sched_smp, set_policy_rejects_an_incomplete_ops_table)
{
    struct exo_sched_ops bad = sched_rr_ops;

    cr_assert_eq(sched_init(NULL, 0), FB_OK);
    bad.yield_to = NULL;
    expect(sched_set_policy(&bad), FB_EINVAL);
    expect(sched_set_policy(NULL), FB_EINVAL);
    expect(sched_init(&bad, 0), FB_EINVAL);
}
