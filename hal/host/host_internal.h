/* State shared between the files of the pthread HAL: the per-CPU block
 * (interrupt flag, pending timer shot, current address space) and the
 * thread-local identity of the calling simulated CPU. */
#ifndef HAL_HOST_INTERNAL_H
#define HAL_HOST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "hal/aspace.h"
#include "hal/timer.h"
#include "hal_host.h"

/* One simulated CPU. lock guards every field except aspace. */
struct host_cpu {
    pthread_mutex_t lock;
    pthread_cond_t irq_idle;      /* broadcast when in_irq drops to false */
    pthread_cond_t wake;          /* broadcast when resched_pending is set */
    bool irq_enabled;             /* the CPU's own interrupt flag */
    bool in_irq;                  /* a timer callback of this CPU is running */
    bool resched_pending;         /* an interrupt or kick came since the hook last ran */
    hal_timer_fn pending_fn;      /* fired shot waiting for delivery, or NULL */
    void *pending_ctx;
    _Atomic(hal_aspace_t *) aspace; /* current address space (NULL: kernel) */
};

extern struct host_cpu host_cpus[HAL_HOST_MAX_CPUS];

/* Which simulated CPU the calling thread runs as (0 for threads the HAL
 * did not start), and whether it is inside a timer callback right now. */
extern _Thread_local unsigned host_tls_cpu;
extern _Thread_local bool host_tls_in_irq;

/* The per-CPU block of the calling thread's simulated CPU. */
static inline struct host_cpu *host_cpu_self(void)
{
    return &host_cpus[host_tls_cpu];
}

/* Monotonic nanoseconds at process start: time zero of hal_timer_ticks. */
extern uint64_t host_start_ns;

/* irq.c: marks CPU @p cpu's shot @p fn(@p ctx) as fired; the caller holds
 * the timer lock so arming and cancelling can withdraw it atomically. */
void host_irq_post(unsigned cpu, hal_timer_fn fn, void *ctx);
/* irq.c: withdraws a fired, undelivered shot of @p cpu (timer lock held). */
void host_irq_withdraw(unsigned cpu);
/* irq.c: runs @p cpu's fired shot on the calling thread, as that CPU, if
 * its interrupts are enabled and no callback of it is running. No locks. */
void host_irq_deliver(unsigned cpu);
/* irq.c: brings @p cpu's interrupt flag up for a freshly started thread. */
void host_irq_online(unsigned cpu);
/* irq.c: records that an interrupt (timer shot, kick, device line) was
 * delivered to @p cpu: the resched hook runs on that CPU's own thread at
 * its next hal_irq_restore that re-enables interrupts, or in hal_cpu_idle,
 * which this also wakes. Any thread, any context; takes the CPU's lock
 * (so not while holding it). */
void host_cpu_note_interrupt(unsigned cpu);
/* irq.c: runs the resched hook on the calling thread if its CPU has an
 * interrupt noted and a hook is set, with interrupts disabled for the
 * call. With @p enable_after (hal_irq_restore, interrupts just enabled)
 * it re-enables them after each call and repeats while more were noted;
 * without (hal_cpu_idle, interrupts disabled) it runs the hook at most once
 * and leaves them disabled. The hook may switch contexts, so the CPU is
 * re-read after each call. No locks held by the caller. */
void host_run_resched_hook(bool enable_after);

/* aspace.c: locks @p as against map/unmap while a user copy walks it. */
void host_aspace_lock(hal_aspace_t *as);
void host_aspace_unlock(hal_aspace_t *as);
/* aspace.c: host pointer to user address @p va when its page is mapped
 * with all of @p need, else NULL. The caller holds the aspace lock. */
void *host_aspace_reach(hal_aspace_t *as, uintptr_t va, uint32_t need);

#endif
