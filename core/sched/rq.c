/* Run queues driven through a policy: the core's arrival list and counts
 * around each exo_sched_ops hook, policy install and the per-queue check.
 * Every function expects the queue's lock held (or a private queue). */
#include "kerr.h"
#include "sched_internal.h"

/* Appends t to rq's arrival list. */
static void arrival_push(struct sched_rq *rq, struct sched_thread *t)
{
    t->rq = rq;
    t->rq_next = NULL;
    t->rq_prev = rq->q_tail;
    if (rq->q_tail != NULL)
        rq->q_tail->rq_next = t;
    else
        rq->q_head = t;
    rq->q_tail = t;
    rq->nr_queued++;
}

/* Unlinks t from rq's arrival list. */
static void arrival_remove(struct sched_rq *rq, struct sched_thread *t)
{
    if (t->rq_prev != NULL)
        t->rq_prev->rq_next = t->rq_next;
    else
        rq->q_head = t->rq_next;
    if (t->rq_next != NULL)
        t->rq_next->rq_prev = t->rq_prev;
    else
        rq->q_tail = t->rq_prev;
    t->rq = NULL;
    t->rq_next = NULL;
    t->rq_prev = NULL;
    rq->nr_queued--;
}

/* Sets up an empty queue; the per-CPU fields start cleared. */
void sched_rq_init(struct sched_rq *rq, unsigned cpu, const struct exo_sched_ops *ops,
                   uint64_t slice_ns)
{
    rq->lock = (spinlock_t)SPINLOCK_INIT;
    rq->cpu = cpu;
    rq->ops = ops != NULL ? ops : &sched_rr_ops;
    rq->gen = 1;
    rq->slice_ns = slice_ns != 0 ? slice_ns : SCHED_SLICE_DEFAULT_NS;
    rq->enqueues = 0;
    rq->picks = 0;
    rq->q_head = NULL;
    rq->q_tail = NULL;
    rq->nr_queued = 0;
    rq->curr = NULL;
    rq->switched_from = NULL;
    rq->switched_from_dead = false;
    rq->migrating = NULL;
    rq->need_resched = false;
    rq->timer_fired = false;
    rq->idling = false;
    rq->online = false;
    rq->charged_at = 0;
    rq->stats = (struct sched_cpu_stats){ 0 };
    rq->ops->init(rq);
}

/* Queues t through the policy and returns its preemption verdict. */
bool sched_rq_enqueue(struct sched_rq *rq, struct sched_thread *t)
{
    arrival_push(rq, t);
    t->state = SCHED_RUNNABLE;
    rq->enqueues++;
    return rq->ops->enqueue(rq, t);
}

/* Re-queues t (just off the CPU) after a voluntary yield. */
void sched_rq_yield(struct sched_rq *rq, struct sched_thread *t)
{
    arrival_push(rq, t);
    t->state = SCHED_RUNNABLE;
    rq->enqueues++;
    rq->ops->yield(rq, t);
}

/* Takes queued t off rq. */
void sched_rq_dequeue(struct sched_rq *rq, struct sched_thread *t)
{
    rq->ops->dequeue(rq, t);
    arrival_remove(rq, t);
}

/* Starts t's turn: running, fresh slice. */
static void start_turn(struct sched_rq *rq, struct sched_thread *t)
{
    t->state = SCHED_RUNNING;
    t->link.slice_used_ns = 0;
    t->stats.slices++;
    rq->picks++;
}

/* Takes the policy's choice off rq. */
struct sched_thread *sched_rq_pick(struct sched_rq *rq)
{
    struct sched_thread *t = rq->ops->pick_next(rq);

    if (t == NULL)
        return NULL;
    arrival_remove(rq, t);
    start_turn(rq, t);
    return t;
}

/* Takes queued t off rq to run it now, out of the policy's order (steal,
 * directed yield). */
void sched_rq_take(struct sched_rq *rq, struct sched_thread *t)
{
    sched_rq_dequeue(rq, t);
    start_turn(rq, t);
}

/* Drains rq in the old policy's order, installs ops, re-queues all. */
void sched_rq_set_policy(struct sched_rq *rq, const struct exo_sched_ops *ops)
{
    struct sched_thread *head = NULL, *tail = NULL, *t;

    while ((t = rq->ops->pick_next(rq)) != NULL) {
        arrival_remove(rq, t);
        t->rq_next = NULL;
        if (tail != NULL)
            tail->rq_next = t;
        else
            head = t;
        tail = t;
    }
    rq->ops = ops;
    rq->gen++;
    rq->enqueues = 0;
    rq->picks = 0;
    ops->init(rq);
    while (head != NULL) {
        t = head;
        head = t->rq_next;
        sched_rq_enqueue(rq, t);
    }
}

/* Arrival list versus counts versus the policy's own walk. */
int sched_rq_check(const struct sched_rq *rq)
{
    struct sched_rq_stats st = { 0 };
    const struct sched_thread *prev = NULL;
    unsigned n = 0;

    for (const struct sched_thread *t = rq->q_head; t != NULL; t = t->rq_next) {
        if (++n > rq->nr_queued || t->rq != rq || t->rq_prev != prev ||
            t->state != SCHED_RUNNABLE || t->is_curr)
            return FB_EINVAL;
        if ((t->affinity & (1ull << (rq->cpu % SCHED_MAX_CPUS))) == 0)
            return FB_EINVAL;
        prev = t;
    }
    if (n != rq->nr_queued || rq->q_tail != prev)
        return FB_EINVAL;
    if (rq->ops->stats(rq, &st) != FB_OK || st.queued != n)
        return FB_EINVAL;
    return FB_OK;
}

/* See sched_internal.h. */
bool sched_fifo_check(const struct sched_rq *rq, const struct sched_thread *head,
                      const struct sched_thread *tail, unsigned limit, unsigned *count)
{
    const struct sched_thread *prev = NULL;

    for (const struct sched_thread *t = head; t != NULL; t = t->link.next) {
        if (*count >= limit || t->link.prev != prev || t->rq != rq)
            return false;
        (*count)++;
        prev = t;
    }
    return tail == prev;
}

/* See sched_internal.h. */
bool sched_slice_charge(struct sched_rq *rq, struct sched_thread *t, uint64_t ran_ns)
{
    t->link.slice_used_ns += ran_ns;
    return t->link.slice_used_ns >= rq->slice_ns;
}

/* Fills t's scheduling fields; no context, not registered. */
int sched_thread_init(struct sched_thread *t, const char *name, const struct sched_params *p)
{
    struct sched_params def = { SCHED_PRIO_DEFAULT, SCHED_TICKETS_DEFAULT };
    unsigned i = 0;

    if (t == NULL)
        return FB_EINVAL;
    if (p == NULL)
        p = &def;
    if (p->priority > SCHED_PRIO_MAX || p->tickets == 0 || p->tickets > SCHED_MAX_TICKETS)
        return FB_EINVAL;
    for (; name != NULL && name[i] != '\0' && i + 1 < SCHED_NAME_LEN; i++)
        t->name[i] = name[i];
    t->name[i] = '\0';
    t->stack = NULL;
    t->stack_size = 0;
    t->entry = NULL;
    t->arg = NULL;
    t->as = NULL;
    t->owner = NULL;
    t->lock = (spinlock_t)SPINLOCK_INIT;
    t->state = SCHED_NEW;
    /* relaxed: nobody else can see t yet. */
    atomic_store_explicit(&t->cpu, 0, memory_order_relaxed);
    t->affinity = SCHED_AFFINITY_ALL;
    t->param = *p;
    t->is_curr = false;
    /* relaxed: as above; the thread's first switch-in publishes it. */
    atomic_store_explicit(&t->on_cpu, false, memory_order_relaxed);
    t->is_idle = false;
    t->rq = NULL;
    t->rq_next = NULL;
    t->rq_prev = NULL;
    t->link = (struct sched_link){ 0 };
    t->wq = NULL;
    t->wq_next = NULL;
    t->wq_prev = NULL;
    t->all_next = NULL;
    t->stats = (struct sched_thread_stats){ 0 };
    return FB_OK;
}
