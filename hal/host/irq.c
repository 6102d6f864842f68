/* Simulated interrupt masking. Each simulated CPU has an interrupt flag;
 * its timer callback (the only simulated interrupt) runs only while that
 * flag is set, never alongside a section the CPU runs with interrupts
 * disabled, and a shot that fires meanwhile is delivered on the CPU's own
 * thread by the hal_irq_restore that re-enables interrupts. Every
 * delivered shot, kick or device line marks the CPU; the resched hook then
 * runs on the CPU's own thread at its next re-enable or idle wait. */
#include <stdatomic.h>

#include "hal/cpu.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "host_internal.h"

/* hal_irq_state_t values; anything else passed to restore is a bug. */
#define IRQ_STATE_ON  0x1ul
#define IRQ_STATE_OFF 0x2ul

/* The scheduler's resched hook. Release on store pairs with the acquire
 * loads so the scheduler state set up before registering is visible to
 * whichever CPU runs the hook first. */
static _Atomic(hal_resched_fn) resched_hook;

/* Runs fn(ctx) on this thread as simulated CPU cpu in interrupt context:
 * hal_cpu_id() is cpu and interrupts read as disabled until it returns. */
static void run_as_irq(unsigned cpu, hal_timer_fn fn, void *ctx)
{
    unsigned saved_cpu = host_tls_cpu;
    bool saved_in_irq = host_tls_in_irq;

    host_tls_cpu = cpu;
    host_tls_in_irq = true;
    fn(ctx);
    host_tls_cpu = saved_cpu;
    host_tls_in_irq = saved_in_irq;
}

/* Delivers c's pending shot while c can take an interrupt; the callback
 * runs with c->lock dropped and in_irq set so no second one overlaps it.
 * Expects c->lock held; returns with it held. */
static void deliver_locked(struct host_cpu *c, unsigned cpu)
{
    while (c->irq_enabled && !c->in_irq && c->pending_fn != NULL) {
        hal_timer_fn fn = c->pending_fn;
        void *ctx = c->pending_ctx;

        c->pending_fn = NULL;
        c->pending_ctx = NULL;
        c->in_irq = true;
        pthread_mutex_unlock(&c->lock);
        run_as_irq(cpu, fn, ctx);
        pthread_mutex_lock(&c->lock);
        c->in_irq = false;
        c->resched_pending = true;
        pthread_cond_broadcast(&c->irq_idle);
        pthread_cond_broadcast(&c->wake);
    }
}

/* Sets simulated CPU cpu's flag from its own thread and returns the old
 * value. Disabling first waits for a callback of this CPU running on the
 * timer thread: on hardware the handler would finish before the CPU ran
 * its next instruction. Enabling delivers a shot that fired meanwhile.
 * Takes the CPU's lock. */
static bool irq_set(unsigned cpu, bool on)
{
    struct host_cpu *c = &host_cpus[cpu];
    bool was;

    pthread_mutex_lock(&c->lock);
    while (!on && c->in_irq)
        pthread_cond_wait(&c->irq_idle, &c->lock);
    was = c->irq_enabled;
    c->irq_enabled = on;
    deliver_locked(c, cpu);
    pthread_mutex_unlock(&c->lock);
    return was;
}

/* Disables simulated interrupts; inside a callback they already are. */
hal_irq_state_t hal_irq_disable(void)
{
    if (host_tls_in_irq)
        return IRQ_STATE_OFF;
    return irq_set(host_tls_cpu, false) ? IRQ_STATE_ON : IRQ_STATE_OFF;
}

/* Restores a state from hal_irq_disable. A callback may not turn
 * interrupts on: the host does not simulate nested interrupts. */
void hal_irq_restore(hal_irq_state_t state)
{
    if (state != IRQ_STATE_ON && state != IRQ_STATE_OFF)
        hal_panic("hal_irq_restore: state did not come from hal_irq_disable");
    if (host_tls_in_irq) {
        if (state == IRQ_STATE_ON)
            hal_panic("hal_irq_restore: enabling interrupts inside a timer callback");
        return;
    }
    irq_set(host_tls_cpu, state == IRQ_STATE_ON);
    if (state == IRQ_STATE_ON)
        host_run_resched_hook(true);
}

/* Registers the hook (boot, before the scheduler starts). */
void hal_irq_set_resched_hook(hal_resched_fn fn)
{
    atomic_store_explicit(&resched_hook, fn, memory_order_release);
}

/* See host_internal.h. Takes the CPU's lock around each check. */
void host_run_resched_hook(bool enable_after)
{
    for (;;) {
        struct host_cpu *c = host_cpu_self();
        /* acquire: pairs with the release in hal_irq_set_resched_hook. */
        hal_resched_fn fn = atomic_load_explicit(&resched_hook, memory_order_acquire);
        bool run;

        pthread_mutex_lock(&c->lock);
        run = c->resched_pending && fn != NULL;
        c->resched_pending = false;
        if (run) {
            while (c->in_irq)
                pthread_cond_wait(&c->irq_idle, &c->lock);
            c->irq_enabled = false;
        }
        pthread_mutex_unlock(&c->lock);
        if (!run)
            return;
        fn();
        if (!enable_after)
            return;
        irq_set(host_tls_cpu, true);
    }
}

/* Sleeps until something is delivered to this CPU, with interrupts
 * enabled meanwhile (a held shot is delivered first; the timer thread
 * delivers later ones), then runs the resched hook with them disabled
 * again. Takes the CPU's lock, not across callbacks or the hook. */
void hal_cpu_idle(void)
{
    unsigned cpu = host_tls_cpu;
    struct host_cpu *c = &host_cpus[cpu];

    pthread_mutex_lock(&c->lock);
    c->irq_enabled = true;
    deliver_locked(c, cpu);
    while (!c->resched_pending)
        pthread_cond_wait(&c->wake, &c->lock);
    while (c->in_irq)
        pthread_cond_wait(&c->irq_idle, &c->lock);
    c->irq_enabled = false;
    pthread_mutex_unlock(&c->lock);
    host_run_resched_hook(false);
}

/* Marks cpu and wakes a hal_cpu_idle of it. Takes the CPU's lock. */
void host_cpu_note_interrupt(unsigned cpu)
{
    struct host_cpu *c = &host_cpus[cpu];

    pthread_mutex_lock(&c->lock);
    c->resched_pending = true;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

/* Reads the calling CPU's flag (always false inside a callback). */
bool hal_irq_enabled(void)
{
    struct host_cpu *c = host_cpu_self();
    bool on;

    if (host_tls_in_irq)
        return false;
    pthread_mutex_lock(&c->lock);
    on = c->irq_enabled;
    pthread_mutex_unlock(&c->lock);
    return on;
}

/* Stores a fired shot for cpu; see host_internal.h. Takes the CPU's lock. */
void host_irq_post(unsigned cpu, hal_timer_fn fn, void *ctx)
{
    struct host_cpu *c = &host_cpus[cpu];

    pthread_mutex_lock(&c->lock);
    c->pending_fn = fn;
    c->pending_ctx = ctx;
    pthread_mutex_unlock(&c->lock);
}

/* Drops cpu's fired, undelivered shot. Takes the CPU's lock. */
void host_irq_withdraw(unsigned cpu)
{
    host_irq_post(cpu, NULL, NULL);
}

/* Delivers cpu's fired shot now if it can take it. Takes the CPU's lock. */
void host_irq_deliver(unsigned cpu)
{
    struct host_cpu *c = &host_cpus[cpu];

    pthread_mutex_lock(&c->lock);
    deliver_locked(c, cpu);
    pthread_mutex_unlock(&c->lock);
}

/* Enables interrupts of a freshly started CPU thread (a previous thread
 * of the same CPU may have ended with them disabled). */
void host_irq_online(unsigned cpu)
{
    irq_set(cpu, true);
}
