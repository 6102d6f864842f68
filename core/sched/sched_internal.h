/* Shared by the files of core/sched: the FIFO used by round robin and
 * fixed priority, slice accounting, and the scheduler-core helpers that
 * the wait-queue code needs. */
#ifndef FB_SCHED_INTERNAL_H
#define FB_SCHED_INTERNAL_H

#include "exo_sched.h"

/* Appends t to the FIFO (*head, *tail) through t->link. Queue lock held. */
static inline void sched_fifo_push(struct sched_thread **head, struct sched_thread **tail,
                                   struct sched_thread *t)
{
    t->link.next = NULL;
    t->link.prev = *tail;
    if (*tail != NULL)
        (*tail)->link.next = t;
    else
        *head = t;
    *tail = t;
}

/* Unlinks t from the FIFO (*head, *tail). Queue lock held. */
static inline void sched_fifo_remove(struct sched_thread **head, struct sched_thread **tail,
                                     struct sched_thread *t)
{
    if (t->link.prev != NULL)
        t->link.prev->link.next = t->link.next;
    else
        *head = t->link.next;
    if (t->link.next != NULL)
        t->link.next->link.prev = t->link.prev;
    else
        *tail = t->link.prev;
    t->link.next = NULL;
    t->link.prev = NULL;
}

/* Walks the FIFO (head, tail): back links, ends, and that every member is
 * queued on rq. Adds the members to *count (bounded by limit so a cycle
 * ends). Queue lock held. @return true when consistent. */
bool sched_fifo_check(const struct sched_rq *rq, const struct sched_thread *head,
                      const struct sched_thread *tail, unsigned limit, unsigned *count);

/* Adds ran_ns to t's current slice; true once the slice is used up.
 * Queue lock held. */
bool sched_slice_charge(struct sched_rq *rq, struct sched_thread *t, uint64_t ran_ns);

/* rq.c: takes queued t off rq to run it now, out of the policy's order
 * (steal, directed yield). Queue lock held. */
void sched_rq_take(struct sched_rq *rq, struct sched_thread *t);

/* sched.c: the run queue of CPU cpu. */
struct sched_rq *sched_cpu_rq(unsigned cpu);

/* sched.c: why the current thread is leaving the CPU. */
enum sched_why { SCHED_WHY_YIELD, SCHED_WHY_PREEMPT, SCHED_WHY_BLOCK, SCHED_WHY_EXIT };

/* sched.c: takes the calling CPU's current thread off the CPU for @p why
 * and runs the next one; returns when the caller runs again (never for
 * SCHED_WHY_EXIT). Interrupts disabled, no scheduler lock held. */
void sched_reschedule(enum sched_why why);

/* sched.c: locks t's run queue (that of CPU t->cpu, re-checked). t->lock
 * held, interrupts disabled. */
struct sched_rq *sched_lock_thread_rq(struct sched_thread *t);

/* sched.c: makes blocked thread t runnable: back to RUNNING when it never
 * left its CPU, else queued on an allowed CPU that is kicked if needed.
 * Caller holds t's wait-queue lock (t is already off that queue) and has
 * interrupts disabled. */
void sched_wake_thread(struct sched_thread *t);

/* sleep.c: an idle CPU arms its one-shot for the earliest sleeper.
 * Interrupts disabled. */
void sched_sleep_arm(void);

#endif
