/* Specification of the three scheduling policies, driven directly on a
 * private run queue (no CPUs, no timer): the order each one picks in,
 * stride's proportional shares, priority order, policy install keeping
 * every thread, and the run-queue check. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "expect.h"
#include "exo_sched.h"

#define SLICE 1000000ull   /* 1 ms: the simulated slice */

static struct sched_rq rq;

/* n threads with default parameters but priority prios[i] / tickets. */
static void make(struct sched_thread *t, unsigned n, const unsigned *prio, const unsigned *tickets)
{
    for (unsigned i = 0; i < n; i++) {
        struct sched_params p = { prio ? prio[i] : SCHED_PRIO_DEFAULT,
                                 tickets ? tickets[i] : SCHED_TICKETS_DEFAULT };
        char name[16];

        snprintf(name, sizeof name, "t%u", i);
        expect(sched_thread_init(&t[i], name, &p), FB_OK);
    }
}

/* Runs one simulated slice: pick, charge a full slice, re-queue. */
static struct sched_thread *run_slice(void)
{
    struct sched_thread *t = sched_rq_pick(&rq);

    cr_assert_not_null(t, "expected a runnable thread");
    rq.ops->tick(&rq, t, SLICE);
    sched_rq_enqueue(&rq, t);
    return t;
}

Test(sched_rr, picks_in_arrival_order_and_rotates)
{
    struct sched_thread t[4];

    sched_rq_init(&rq, 0, &sched_rr_ops, SLICE);
    make(t, 4, NULL, NULL);
    for (int i = 0; i < 4; i++)
        sched_rq_enqueue(&rq, &t[i]);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 4; i++)
            cr_assert_eq(run_slice(), &t[i], "expected t%d in round %d", i, round);
    expect(sched_rq_check(&rq), FB_OK);
}

Test(sched_rr, empty_queue_picks_null)
{
    sched_rq_init(&rq, 0, &sched_rr_ops, SLICE);
    cr_assert_null(sched_rq_pick(&rq), "expected NULL from an empty queue");
}

Test(sched_rr, tick_asks_for_preemption_only_after_a_full_slice)
{
    struct sched_thread t;

    sched_rq_init(&rq, 0, &sched_rr_ops, SLICE);
    make(&t, 1, NULL, NULL);
    sched_rq_enqueue(&rq, &t);
    cr_assert_eq(sched_rq_pick(&rq), &t);
    cr_assert_not(rq.ops->tick(&rq, &t, SLICE / 2), "half a slice must not preempt");
    cr_assert(rq.ops->tick(&rq, &t, SLICE / 2), "a full slice must preempt");
}

Test(sched_rr, dequeue_from_the_middle_keeps_the_rest_in_order)
{
    struct sched_thread t[3];

    sched_rq_init(&rq, 0, &sched_rr_ops, SLICE);
    make(t, 3, NULL, NULL);
    for (int i = 0; i < 3; i++)
        sched_rq_enqueue(&rq, &t[i]);
    sched_rq_dequeue(&rq, &t[1]);
    expect(sched_rq_check(&rq), FB_OK);
    cr_assert_eq(sched_rq_pick(&rq), &t[0]);
    cr_assert_eq(sched_rq_pick(&rq), &t[2]);
    cr_assert_null(sched_rq_pick(&rq));
}

Test(sched_prio, highest_level_always_runs_first)
{
    static const unsigned prio[5] = { 3, 15, 0, 7, 15 };
    struct sched_thread t[5];

    sched_rq_init(&rq, 0, &sched_prio_ops, SLICE);
    make(t, 5, prio, NULL);
    for (int i = 0; i < 5; i++)
        sched_rq_enqueue(&rq, &t[i]);
    cr_assert_eq(sched_rq_pick(&rq), &t[1], "expected the first priority-15 thread");
    cr_assert_eq(sched_rq_pick(&rq), &t[4], "expected the second priority-15 thread");
    cr_assert_eq(sched_rq_pick(&rq), &t[3], "expected priority 7");
    cr_assert_eq(sched_rq_pick(&rq), &t[0], "expected priority 3");
    cr_assert_eq(sched_rq_pick(&rq), &t[2], "expected priority 0");
}

Test(sched_prio, never_runs_a_lower_level_while_a_higher_one_is_runnable)
{
    static const unsigned prio[4] = { 2, 9, 9, 5 };
    struct sched_thread t[4];

    sched_rq_init(&rq, 0, &sched_prio_ops, SLICE);
    make(t, 4, prio, NULL);
    for (int i = 0; i < 4; i++)
        sched_rq_enqueue(&rq, &t[i]);
    for (int i = 0; i < 1000; i++) {
        struct sched_thread *r = run_slice();

        cr_assert_eq(r->param.priority, 9, "slice %d went to priority %u while 9 was runnable",
                     i, r->param.priority);
    }
    cr_assert_eq(t[1].stats.slices, t[2].stats.slices, "peers of one level must alternate");
    expect(sched_rq_check(&rq), FB_OK);
}

Test(sched_prio, newcomer_above_the_running_level_preempts)
{
    static const unsigned prio[3] = { 5, 9, 5 };
    struct sched_thread t[3];

    sched_rq_init(&rq, 0, &sched_prio_ops, SLICE);
    make(t, 3, prio, NULL);
    rq.curr = &t[0];
    cr_assert(sched_rq_enqueue(&rq, &t[1]), "priority 9 must preempt a running 5");
    cr_assert_not(sched_rq_enqueue(&rq, &t[2]), "an equal level must not preempt");
}

Test(sched_prio, set_param_moves_a_queued_thread_to_its_new_level)
{
    static const unsigned prio[2] = { 4, 6 };
    struct sched_thread t[2];
    struct sched_params up = { 12, 1 };

    sched_rq_init(&rq, 0, &sched_prio_ops, SLICE);
    make(t, 2, prio, NULL);
    sched_rq_enqueue(&rq, &t[0]);
    sched_rq_enqueue(&rq, &t[1]);
    rq.ops->set_param(&rq, &t[0], &up);
    expect(sched_rq_check(&rq), FB_OK);
    cr_assert_eq(sched_rq_pick(&rq), &t[0], "the raised thread must run first");
}

/* Runs `slices` simulated slices and checks each thread's share of them
 * is within 5% of its share of the tickets. */
static void expect_shares(const unsigned *tickets, unsigned n, unsigned slices)
{
    struct sched_thread t[8];
    unsigned total = 0;

    sched_rq_init(&rq, 0, &sched_stride_ops, SLICE);
    make(t, n, NULL, tickets);
    for (unsigned i = 0; i < n; i++) {
        sched_rq_enqueue(&rq, &t[i]);
        total += tickets[i];
    }
    for (unsigned i = 0; i < slices; i++)
        run_slice();
    for (unsigned i = 0; i < n; i++) {
        double want = (double)tickets[i] / total;
        double got = (double)t[i].stats.slices / slices;

        cr_assert(got >= want * 0.95 && got <= want * 1.05,
                  "thread %u with %u tickets got %.4f of the slices, want %.4f +- 5%%",
                  i, tickets[i], got, want);
    }
    expect(sched_rq_check(&rq), FB_OK);
}

Test(sched_stride, shares_follow_a_3_2_1_ticket_ratio)
{
    static const unsigned tickets[3] = { 300, 200, 100 };

    expect_shares(tickets, 3, 60000);
}

Test(sched_stride, shares_follow_skewed_tickets)
{
    static const unsigned tickets[5] = { 1, 10, 50, 100, 1000 };

    expect_shares(tickets, 5, 200000);
}

Test(sched_stride, partial_slices_are_charged_pro_rata)
{
    static const unsigned tickets[2] = { 100, 100 };
    struct sched_thread t[2];
    uint64_t ran[2] = { 0, 0 };

    sched_rq_init(&rq, 0, &sched_stride_ops, SLICE);
    make(t, 2, NULL, tickets);
    sched_rq_enqueue(&rq, &t[0]);
    sched_rq_enqueue(&rq, &t[1]);
    /* t0 always uses a quarter slice, t1 a full one: equal tickets mean
     * equal time, so t0 must be picked about four times as often. */
    for (int i = 0; i < 50000; i++) {
        struct sched_thread *r = sched_rq_pick(&rq);
        uint64_t ns = r == &t[0] ? SLICE / 4 : SLICE;

        rq.ops->tick(&rq, r, ns);
        ran[r - t] += ns;
        sched_rq_enqueue(&rq, r);
    }
    double share = (double)ran[0] / (double)(ran[0] + ran[1]);
    cr_assert(share > 0.475 && share < 0.525, "equal tickets got time share %.3f, want 0.5", share);
}

Test(sched_stride, newcomer_joins_at_the_queue_clock)
{
    static const unsigned tickets[3] = { 100, 100, 100 };
    struct sched_thread t[3];

    sched_rq_init(&rq, 0, &sched_stride_ops, SLICE);
    make(t, 3, NULL, tickets);
    sched_rq_enqueue(&rq, &t[0]);
    sched_rq_enqueue(&rq, &t[1]);
    for (int i = 0; i < 1000; i++)
        run_slice();
    sched_rq_enqueue(&rq, &t[2]);
    /* Joining at pass 0 would give the newcomer the next 500 slices. */
    for (int i = 0; i < 300; i++)
        run_slice();
    cr_assert(t[2].stats.slices >= 90 && t[2].stats.slices <= 110,
              "newcomer got %llu of 300 slices, want about 100",
              (unsigned long long)t[2].stats.slices);
}

Test(sched_stride, heap_stays_consistent_through_random_removals)
{
    enum { N = 257 };
    static struct sched_thread t[N];
    unsigned tickets[N];
    uint32_t x = 12345;

    sched_rq_init(&rq, 0, &sched_stride_ops, SLICE);
    for (unsigned i = 0; i < N; i++)
        tickets[i] = 1 + i * 7 % 500;
    for (unsigned i = 0; i < N; i++) {
        struct sched_params p = { 0, tickets[i] };
        expect(sched_thread_init(&t[i], "h", &p), FB_OK);
        sched_rq_enqueue(&rq, &t[i]);
    }
    for (int i = 0; i < 5000; i++) {
        x = x * 1103515245u + 12345u;
        struct sched_thread *v = &t[(x >> 8) % N];

        if (v->rq == &rq)
            sched_rq_dequeue(&rq, v);
        else
            run_slice(), sched_rq_enqueue(&rq, v);
        expect(sched_rq_check(&rq), FB_OK);
    }
    struct sched_rq_stats st;
    expect(rq.ops->stats(&rq, &st), FB_OK);
    cr_assert_leq(st.heap_depth, 9u, "a complete heap of <= 257 nodes is at most 9 deep");
}

Test(sched_policy, install_keeps_every_thread_in_the_old_order)
{
    struct sched_thread t[6];
    static const unsigned prio[6] = { 1, 2, 3, 4, 5, 6 };

    sched_rq_init(&rq, 0, &sched_prio_ops, SLICE);
    make(t, 6, prio, NULL);
    for (int i = 0; i < 6; i++)
        sched_rq_enqueue(&rq, &t[i]);
    sched_rq_set_policy(&rq, &sched_rr_ops);
    expect(sched_rq_check(&rq), FB_OK);
    cr_assert_eq(rq.nr_queued, 6u, "no thread may be lost");
    for (int i = 5; i >= 0; i--)
        cr_assert_eq(sched_rq_pick(&rq), &t[i], "expected the old priority order");
    cr_assert_null(sched_rq_pick(&rq), "no thread may be queued twice");
}

Test(sched_policy, find_by_name)
{
    cr_assert_eq(sched_policy_find("rr"), &sched_rr_ops);
    cr_assert_eq(sched_policy_find("prio"), &sched_prio_ops);
    cr_assert_eq(sched_policy_find("stride"), &sched_stride_ops);
    cr_assert_null(sched_policy_find("cfs"));
    cr_assert_null(sched_policy_find(NULL));
}

Test(sched_policy, check_catches_a_corrupted_queue)
{
    struct sched_thread t[3];

    sched_rq_init(&rq, 0, &sched_stride_ops, SLICE);
    make(t, 3, NULL, NULL);
    for (int i = 0; i < 3; i++)
        sched_rq_enqueue(&rq, &t[i]);
    expect(sched_rq_check(&rq), FB_OK);
    rq.pol.stride.root->link.pass = ~0ull;  /* breaks heap order */
    expect(sched_rq_check(&rq), FB_EINVAL);
}

Test(sched_thread, init_rejects_parameters_out_of_range)
{
    struct sched_thread t;
    struct sched_params p = { SCHED_PRIO_MAX + 1, 1 };

    expect(sched_thread_init(&t, "x", &p), FB_EINVAL);
    p = (struct sched_params){ 0, 0 };
    expect(sched_thread_init(&t, "x", &p), FB_EINVAL);
    p = (struct sched_params){ 0, SCHED_MAX_TICKETS + 1 };
    expect(sched_thread_init(&t, "x", &p), FB_EINVAL);
    expect(sched_thread_init(NULL, "x", NULL), FB_EINVAL);
    expect(sched_thread_init(&t, "a-name-longer-than-sixteen", NULL), FB_OK);
    cr_assert_str_eq(t.name, "a-name-longer-t", "names are truncated to fit");
}
