/* Round robin: one FIFO per run queue, one slice per turn.
 * Every operation is O(1). Queue lock held in every hook. */
#include "kerr.h"
#include "sched_internal.h"

/* Empty FIFO. */
static void rr_init(struct sched_rq *rq)
{
    rq->pol.rr.head = NULL;
    rq->pol.rr.tail = NULL;
}

/* Joins the tail; round robin never preempts on arrival. */
static bool rr_enqueue(struct sched_rq *rq, struct sched_thread *t)
{
    sched_fifo_push(&rq->pol.rr.head, &rq->pol.rr.tail, t);
    return false;
}

/* Leaves the FIFO from anywhere. */
static void rr_dequeue(struct sched_rq *rq, struct sched_thread *t)
{
    sched_fifo_remove(&rq->pol.rr.head, &rq->pol.rr.tail, t);
}

/* The head: longest waiting. O(1). */
static struct sched_thread *rr_pick_next(struct sched_rq *rq)
{
    struct sched_thread *t = rq->pol.rr.head;

    if (t != NULL)
        sched_fifo_remove(&rq->pol.rr.head, &rq->pol.rr.tail, t);
    return t;
}

/* Preempt once the slice is used. */
static bool rr_tick(struct sched_rq *rq, struct sched_thread *t, uint64_t ran_ns)
{
    return sched_slice_charge(rq, t, ran_ns);
}

/* A yielder goes to the tail like any arrival. */
static void rr_yield(struct sched_rq *rq, struct sched_thread *t)
{
    rr_enqueue(rq, t);
}

/* Nothing to settle: every turn is one slice. */
static void rr_yield_to(struct sched_rq *rq, struct sched_thread *curr, struct sched_thread *target)
{
    (void)rq;
    (void)curr;
    (void)target;
}

/* Parameters do not affect the order. */
static void rr_set_param(struct sched_rq *rq, struct sched_thread *t, const struct sched_params *p)
{
    (void)rq;
    t->param = *p;
}

/* Walks the FIFO. */
static int rr_stats(const struct sched_rq *rq, struct sched_rq_stats *st)
{
    unsigned n = 0;
    bool ok = sched_fifo_check(rq, rq->pol.rr.head, rq->pol.rr.tail, rq->nr_queued, &n);

    *st = (struct sched_rq_stats){ .queued = n, .enqueues = rq->enqueues, .picks = rq->picks };
    return ok ? FB_OK : FB_EINVAL;
}

const struct exo_sched_ops sched_rr_ops = {
    .name = "rr",
    .init = rr_init,
    .enqueue = rr_enqueue,
    .dequeue = rr_dequeue,
    .pick_next = rr_pick_next,
    .tick = rr_tick,
    .yield = rr_yield,
    .yield_to = rr_yield_to,
    .set_param = rr_set_param,
    .stats = rr_stats,
};
