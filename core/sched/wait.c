/* Wait queues: a thread blocks until a condition, checked under the
 * queue's lock, holds; wakers (any context, interrupts included) take
 * threads off in FIFO order and make them runnable. */
#include "hal/irq.h"
#include "kerr.h"
#include "sched_internal.h"

/* Empty queue. */
void sched_waitq_init(struct sched_waitq *wq)
{
    wq->lock = (spinlock_t)SPINLOCK_INIT;
    wq->head = NULL;
    wq->tail = NULL;
}

/* Appends t. wq's lock held. */
static void waitq_push(struct sched_waitq *wq, struct sched_thread *t)
{
    t->wq = wq;
    t->wq_next = NULL;
    t->wq_prev = wq->tail;
    if (wq->tail != NULL)
        wq->tail->wq_next = t;
    else
        wq->head = t;
    wq->tail = t;
}

/* Takes the head off, or returns NULL. wq's lock held. */
static struct sched_thread *waitq_pop(struct sched_waitq *wq)
{
    struct sched_thread *t = wq->head;

    if (t == NULL)
        return NULL;
    wq->head = t->wq_next;
    if (wq->head != NULL)
        wq->head->wq_prev = NULL;
    else
        wq->tail = NULL;
    t->wq_next = NULL;
    t->wq_prev = NULL;
    return t;
}

/* Blocks until cond(arg); see sched.h. Takes wq's lock, then the
 * caller's lock and queue; none is held across the switch. */
int sched_wait_event(struct sched_waitq *wq, sched_cond_fn cond, void *arg)
{
    hal_irq_state_t s;
    struct sched_thread *self;
    struct sched_rq *rq;

    if (wq == NULL || cond == NULL)
        return FB_EINVAL;
    s = hal_irq_disable();
    rq = sched_cpu_rq(hal_cpu_id());
    self = rq->online ? rq->curr : NULL;
    if (self == NULL || self->is_idle) {
        hal_irq_restore(s);
        return FB_EPERM;
    }
    for (;;) {
        spin_lock(&wq->lock);
        if (cond(arg)) {
            spin_unlock(&wq->lock);
            break;
        }
        waitq_push(wq, self);
        spin_lock(&self->lock);
        rq = sched_lock_thread_rq(self);
        self->state = SCHED_BLOCKED;
        spin_unlock(&rq->lock);
        spin_unlock(&self->lock);
        spin_unlock(&wq->lock);
        sched_reschedule(SCHED_WHY_BLOCK);
    }
    hal_irq_restore(s);
    return FB_OK;
}

/* Wakes up to max threads of wq in FIFO order; returns how many. */
static unsigned wake(struct sched_waitq *wq, unsigned max)
{
    hal_irq_state_t s = spin_lock_irqsave(&wq->lock);
    unsigned n = 0;
    struct sched_thread *t;

    while (n < max && (t = waitq_pop(wq)) != NULL) {
        sched_wake_thread(t);
        n++;
    }
    spin_unlock_irqrestore(&wq->lock, s);
    return n;
}

/* The longest waiter. */
unsigned sched_wake_one(struct sched_waitq *wq)
{
    return wq == NULL ? 0 : wake(wq, 1);
}

/* Every waiter. */
unsigned sched_wake_all(struct sched_waitq *wq)
{
    return wq == NULL ? 0 : wake(wq, ~0u);
}
