/* Simulated timers: one one-shot per simulated CPU, all served by a single
 * timer thread (created on first use) that sleeps on a CLOCK_MONOTONIC
 * condition variable until the earliest deadline; and the 100 Hz periodic
 * tick, counted from elapsed time since process start. */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "hal/cpu.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "hal/timer.h"
#include "hal/timestamp.h"
#include "host_internal.h"
#include "kerr.h"

#define TICK_PERIOD_NS 10000000ull

_Static_assert(HAL_HOST_MAX_CPUS <= 64, "fired CPUs are tracked in one uint64_t");

/* One CPU's armed shot; all of them guarded by timer_lock. */
struct shot {
    bool armed;
    uint64_t deadline;   /* hal_read_timestamp() value it may fire at */
    hal_timer_fn fn;
    void *ctx;
};

static struct shot shots[HAL_HOST_MAX_CPUS];
static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_wake;   /* CLOCK_MONOTONIC; set up in timer_start */
static pthread_once_t timer_once = PTHREAD_ONCE_INIT;

/* Moves every shot whose deadline has passed to its CPU's pending slot and
 * returns the set of CPUs that got one; *next is the earliest deadline
 * still armed (UINT64_MAX when none). Expects timer_lock held. */
static uint64_t fire_expired_locked(uint64_t now, uint64_t *next)
{
    uint64_t fired = 0;

    *next = UINT64_MAX;
    for (unsigned cpu = 0; cpu < HAL_HOST_MAX_CPUS; cpu++) {
        struct shot *s = &shots[cpu];

        if (!s->armed)
            continue;
        if (s->deadline <= now) {
            s->armed = false;
            host_irq_post(cpu, s->fn, s->ctx);
            fired |= 1ull << cpu;
        } else if (s->deadline < *next) {
            *next = s->deadline;
        }
    }
    return fired;
}

/* Sleeps on timer_wake until @p deadline (a CLOCK_MONOTONIC ns value) or
 * until woken. Expects timer_lock held. */
static void sleep_until_locked(uint64_t deadline)
{
    struct timespec ts;

    if (deadline == UINT64_MAX) {
        pthread_cond_wait(&timer_wake, &timer_lock);
        return;
    }
    ts.tv_sec = (time_t)(deadline / 1000000000ull);
    ts.tv_nsec = (long)(deadline % 1000000000ull);
    pthread_cond_timedwait(&timer_wake, &timer_lock, &ts);
}

/* The timer thread: fires due shots, then delivers them with timer_lock
 * dropped so callbacks may re-arm. Lives as long as the process. */
static void *timer_thread_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&timer_lock);
    for (;;) {
        uint64_t next;
        uint64_t fired = fire_expired_locked(hal_read_timestamp(), &next);

        if (fired == 0) {
            sleep_until_locked(next);
            continue;
        }
        pthread_mutex_unlock(&timer_lock);
        for (unsigned cpu = 0; cpu < HAL_HOST_MAX_CPUS; cpu++) {
            if (fired & (1ull << cpu))
                host_irq_deliver(cpu);
        }
        pthread_mutex_lock(&timer_lock);
    }
    return NULL;
}

/* Creates the condition variable and the detached timer thread, with all
 * signals blocked in it so process signals reach the simulated CPUs. */
static void timer_start(void)
{
    pthread_condattr_t attr;
    pthread_attr_t tattr;
    pthread_t thread;
    sigset_t all, old;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&timer_wake, &attr);
    pthread_condattr_destroy(&attr);

    pthread_attr_init(&tattr);
    pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_create(&thread, &tattr, timer_thread_main, NULL) != 0)
        hal_panic("host timer: cannot create the timer thread");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&tattr);
}

/* Sets or clears the calling CPU's shot. Interrupts are disabled around
 * it so a callback of this CPU running on the timer thread finishes first
 * (as it would on hardware) and a shot that fired but was not delivered
 * yet is withdrawn rather than delivered late. Takes timer_lock. */
static void shot_set(bool armed, uint64_t ns, hal_timer_fn fn, void *ctx)
{
    unsigned cpu = hal_cpu_id();
    hal_irq_state_t irq = hal_irq_disable();
    uint64_t now = hal_read_timestamp();

    pthread_once(&timer_once, timer_start);
    pthread_mutex_lock(&timer_lock);
    shots[cpu].armed = armed;
    shots[cpu].deadline = ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
    shots[cpu].fn = fn;
    shots[cpu].ctx = ctx;
    host_irq_withdraw(cpu);
    pthread_cond_signal(&timer_wake);
    pthread_mutex_unlock(&timer_lock);
    hal_irq_restore(irq);
}

/* Arms the calling CPU's one-shot; the deadline is taken after any wait
 * for a running callback, so the shot never fires early. */
int hal_timer_oneshot(uint64_t ns, hal_timer_fn fn, void *ctx)
{
    if (fn == NULL || ns == 0)
        return FB_EINVAL;
    shot_set(true, ns, fn, ctx);
    return FB_OK;
}

/* Cancels the calling CPU's shot, armed or fired-but-undelivered. */
void hal_timer_cancel(void)
{
    shot_set(false, 0, NULL, NULL);
}

/* Ticks of the simulated 100 Hz tick: whole periods since process start. */
uint64_t hal_timer_ticks(void)
{
    return (hal_read_timestamp() - host_start_ns) / TICK_PERIOD_NS;
}

/* The simulated tick period: 10 ms, as the x86_64 HAL programs it. */
uint64_t hal_timer_period_ns(void)
{
    return TICK_PERIOD_NS;
}
