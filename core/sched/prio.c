/* Fixed priority: 16 FIFOs (15 highest) and a bitmap of the non-empty
 * ones; the highest non-empty level runs, round robin within a level.
 * pick_next is O(1) (find the highest set bit), enqueue and dequeue O(1).
 * Queue lock held in every hook. */
#include "kerr.h"
#include "sched_internal.h"

_Static_assert(SCHED_PRIO_LEVELS <= 32, "levels are bits of a uint32_t");

/* Empty levels. */
static void prio_init(struct sched_rq *rq)
{
    struct sched_prio_rq *q = &rq->pol.prio;

    q->bitmap = 0;
    for (unsigned p = 0; p < SCHED_PRIO_LEVELS; p++) {
        q->head[p] = NULL;
        q->tail[p] = NULL;
    }
}

/* Tail of t's level. */
static void level_push(struct sched_prio_rq *q, struct sched_thread *t)
{
    unsigned p = t->param.priority;

    sched_fifo_push(&q->head[p], &q->tail[p], t);
    q->bitmap |= 1u << p;
}

/* Out of t's level; the bit drops with its last member. */
static void level_remove(struct sched_prio_rq *q, struct sched_thread *t)
{
    unsigned p = t->param.priority;

    sched_fifo_remove(&q->head[p], &q->tail[p], t);
    if (q->head[p] == NULL)
        q->bitmap &= ~(1u << p);
}

/* Queues t; it preempts a running thread of a lower level. */
static bool prio_enqueue(struct sched_rq *rq, struct sched_thread *t)
{
    level_push(&rq->pol.prio, t);
    return rq->curr != NULL && !rq->curr->is_idle &&
           t->param.priority > rq->curr->param.priority;
}

/* Out of its level. */
static void prio_dequeue(struct sched_rq *rq, struct sched_thread *t)
{
    level_remove(&rq->pol.prio, t);
}

/* Head of the highest non-empty level: 31 - clz of the bitmap. O(1). */
static struct sched_thread *prio_pick_next(struct sched_rq *rq)
{
    struct sched_prio_rq *q = &rq->pol.prio;
    struct sched_thread *t;

    if (q->bitmap == 0)
        return NULL;
    t = q->head[31 - __builtin_clz(q->bitmap)];
    level_remove(q, t);
    return t;
}

/* Preempt once the slice is used (peers of the same level take turns). */
static bool prio_tick(struct sched_rq *rq, struct sched_thread *t, uint64_t ran_ns)
{
    return sched_slice_charge(rq, t, ran_ns);
}

/* Behind the peers of its level. */
static void prio_yield(struct sched_rq *rq, struct sched_thread *t)
{
    level_push(&rq->pol.prio, t);
}

/* Nothing to settle: priorities are fixed. */
static void prio_yield_to(struct sched_rq *rq, struct sched_thread *curr, struct sched_thread *target)
{
    (void)rq;
    (void)curr;
    (void)target;
}

/* A queued thread moves to the tail of its new level. */
static void prio_set_param(struct sched_rq *rq, struct sched_thread *t, const struct sched_params *p)
{
    bool queued = t->rq == rq;

    if (queued)
        level_remove(&rq->pol.prio, t);
    t->param = *p;
    if (queued)
        level_push(&rq->pol.prio, t);
}

/* Walks every level: bit set iff non-empty, members of the right level. */
static int prio_stats(const struct sched_rq *rq, struct sched_rq_stats *st)
{
    const struct sched_prio_rq *q = &rq->pol.prio;
    unsigned n = 0;
    bool ok = true;

    for (unsigned p = 0; p < SCHED_PRIO_LEVELS && ok; p++) {
        unsigned before = n;

        ok = sched_fifo_check(rq, q->head[p], q->tail[p], rq->nr_queued, &n) &&
             ((q->bitmap >> p) & 1u) == (n > before ? 1u : 0u);
        for (const struct sched_thread *t = q->head[p]; ok && t != NULL; t = t->link.next)
            ok = t->param.priority == p;
    }
    if (q->bitmap >> SCHED_PRIO_LEVELS != 0)
        ok = false;
    *st = (struct sched_rq_stats){ .queued = n, .enqueues = rq->enqueues, .picks = rq->picks,
                                   .prio_bitmap = q->bitmap };
    return ok ? FB_OK : FB_EINVAL;
}

const struct exo_sched_ops sched_prio_ops = {
    .name = "prio",
    .init = prio_init,
    .enqueue = prio_enqueue,
    .dequeue = prio_dequeue,
    .pick_next = prio_pick_next,
    .tick = prio_tick,
    .yield = prio_yield,
    .yield_to = prio_yield_to,
    .set_param = prio_set_param,
    .stats = prio_stats,
};
