/* The scheduler core: per-CPU run queues and their idle loops, switching
 * with the on_cpu hand-off, the slice timer and resched hook, wake-up
 * placement and stealing under affinity, live policy switches, and the
 * whole-scheduler invariant check.
 *
 * Locks, in the order they nest: a wait queue's lock, a thread's lock,
 * run-queue locks in ascending CPU order (a second one out of order only
 * with spin_trylock). Every one is taken with interrupts disabled. A
 * thread's cpu field changes only with the new CPU's queue lock held plus
 * either the old CPU's queue lock or (when it is on no queue and no CPU)
 * its own lock; so "lock t->cpu's queue, re-check t->cpu" pins it. No lock
 * is held across hal_context_switch: the switched-out thread stays on_cpu
 * until the thread resumed after it clears that flag (release), and a CPU
 * that picked it waits for the clear (acquire) before switching to it.
 * That wait cannot form a cycle because a thread with on_cpu set is only
 * ever on the queue of the CPU it is leaving: wakers and affinity moves
 * wait for the clear before queueing it elsewhere, a prev that must move
 * is queued by finish_switch after the clear, and stealing skips it. */
#include "hal/aspace.h"
#include "hal/context.h"
#include "hal/cpu.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "hal/timer.h"
#include "hal/timestamp.h"
#include "kerr.h"
#include "sched_internal.h"

static struct sched_rq rqs[SCHED_MAX_CPUS];

/* Queued threads a CPU looks at when deciding whether an idle CPU could
 * take one of them (kick_for_surplus). */
#define SURPLUS_SCAN 8

/* The policy new queues get; changed under every queue lock. Acquire on
 * load pairs with the release in sched_set_policy (the ops table is
 * constant data, so this is about a fresh view, not correctness). */
static _Atomic(const struct exo_sched_ops *) active_ops;

/* CPUs running sched_cpu_run / waiting idle: hints for placement and
 * kicks (relaxed everywhere: correctness never depends on them, because
 * every queue's own CPU runs what is on it and idling is re-checked under
 * the queue lock). */
static _Atomic uint64_t online_mask;
static _Atomic uint64_t idle_mask;

/* Registry of created threads, for sched_check. */
static spinlock_t registry_lock;
static struct sched_thread *registry;

/* Started threads not yet dead, and the shutdown request. */
static atomic_uint live_threads;
static atomic_bool shutting_down;

/* Serializes sched_set_policy callers. */
static spinlock_t policy_lock;

/* An interrupt state meaning "enabled", captured in sched_cpu_run (the
 * contract has no enable call); new threads start by restoring it. Written
 * before any thread can run (the first sched_cpu_run), read by threads
 * that a CPU switched to after its own sched_cpu_run: ordered by the
 * switch-in chain. Release/acquire through irq_on_known. */
static _Atomic hal_irq_state_t irq_on_state;
static atomic_bool irq_on_known;

/* The run queue of CPU cpu. */
struct sched_rq *sched_cpu_rq(unsigned cpu)
{
    return &rqs[cpu % SCHED_MAX_CPUS];
}

/* The calling CPU's run queue. Interrupts disabled. */
static struct sched_rq *this_rq(void)
{
    return sched_cpu_rq(hal_cpu_id());
}

/* Bit of CPU cpu in an affinity mask. */
static uint64_t cpu_bit(unsigned cpu)
{
    return 1ull << (cpu % SCHED_MAX_CPUS);
}

/* CPUs that exist: 0 .. hal_cpu_count() - 1. */
static uint64_t present_mask(void)
{
    unsigned n = hal_cpu_count();

    return n >= SCHED_MAX_CPUS ? SCHED_AFFINITY_ALL : (1ull << n) - 1;
}

/* Relaxed read of t->cpu: a hint until re-checked under the queue lock. */
static unsigned thread_cpu(const struct sched_thread *t)
{
    return atomic_load_explicit(&t->cpu, memory_order_relaxed);
}

/* Sets t->cpu; callers hold the locks named in the file comment. Relaxed:
 * the queue locks order it for everyone who relies on it. */
static void set_thread_cpu(struct sched_thread *t, unsigned cpu)
{
    if (thread_cpu(t) != cpu)
        t->stats.migrations++;
    atomic_store_explicit(&t->cpu, cpu, memory_order_relaxed);
}

/* Locks the queues of CPUs a and b (maybe equal) in ascending order. */
static void lock_pair(unsigned a, unsigned b)
{
    if (a == b) {
        spin_lock(&rqs[a].lock);
    } else {
        spin_lock(&rqs[a < b ? a : b].lock);
        spin_lock(&rqs[a < b ? b : a].lock);
    }
}

/* Unlocks what lock_pair(a, b) took. */
static void unlock_pair(unsigned a, unsigned b)
{
    spin_unlock(&rqs[a].lock);
    if (a != b)
        spin_unlock(&rqs[b].lock);
}

/* See sched_internal.h. */
struct sched_rq *sched_lock_thread_rq(struct sched_thread *t)
{
    for (;;) {
        unsigned c = thread_cpu(t);

        spin_lock(&rqs[c].lock);
        if (thread_cpu(t) == c)
            return &rqs[c];
        spin_unlock(&rqs[c].lock);
    }
}

/* Lowest CPU set in mask (mask non-zero). */
static unsigned lowest(uint64_t mask)
{
    return (unsigned)__builtin_ctzll(mask);
}

/* Where a thread last on CPU last with affinity mask should be queued:
 * last if idle, else an idle allowed CPU, else last if it runs the
 * scheduler, else the lowest such CPU, else the lowest allowed CPU that
 * exists. */
static unsigned pick_cpu(uint64_t affinity, unsigned last)
{
    uint64_t allowed = affinity & present_mask();
    /* relaxed: placement hints (see online_mask). */
    uint64_t online = atomic_load_explicit(&online_mask, memory_order_relaxed) & allowed;
    uint64_t idle = atomic_load_explicit(&idle_mask, memory_order_relaxed) & online;

    if (allowed == 0)
        allowed = affinity;
    if (idle & cpu_bit(last))
        return last;
    if (idle != 0)
        return lowest(idle);
    if (online & cpu_bit(last))
        return last;
    if (online != 0)
        return lowest(online);
    return (allowed & cpu_bit(last)) ? last : lowest(allowed);
}

/* Where t should be queued (pick_cpu). t's lock or queue lock held. */
static unsigned select_cpu(const struct sched_thread *t)
{
    return pick_cpu(t->affinity, thread_cpu(t));
}

/* Locks the queues of t's CPU (*home) and of the CPU it should go to
 * under mask (*target: pick_cpu's choice, or home itself when keep_home
 * and mask allows it), retrying until t's CPU did not change before both
 * were held. t's lock held, so t's CPU can only change through a queue
 * lock (see the file comment). */
static void lock_home_and_target(const struct sched_thread *t, uint64_t mask, bool keep_home,
                                 unsigned *home, unsigned *target)
{
    for (;;) {
        unsigned c = thread_cpu(t);
        unsigned to = keep_home && (mask & cpu_bit(c)) ? c : pick_cpu(mask, c);

        lock_pair(c, to);
        if (thread_cpu(t) == c) {
            *home = c;
            *target = to;
            return;
        }
        unlock_pair(c, to);
    }
}

/* Queues t on rq (its lock held) as CPU rq->cpu's thread and decides
 * whether that CPU must be kicked: it idles, or t should preempt. */
static bool enqueue_and_judge(struct sched_rq *rq, struct sched_thread *t)
{
    bool preempt;

    set_thread_cpu(t, rq->cpu);
    preempt = sched_rq_enqueue(rq, t);
    if (preempt)
        rq->need_resched = true;
    return preempt || rq->idling;
}

/* Kicks CPU cpu if it is up (a kick to a CPU not scheduling is pointless). */
static void kick(unsigned cpu)
{
    if (cpu < hal_cpu_count())
        hal_cpu_kick(cpu);
}

/* Charges rq->curr for the time since the last charge; true when the
 * policy says its slice is used. rq's lock held. */
static bool charge_curr(struct sched_rq *rq)
{
    uint64_t now = hal_read_timestamp();
    uint64_t ran = now > rq->charged_at ? now - rq->charged_at : 0;
    struct sched_thread *t = rq->curr;

    rq->charged_at = now;
    if (t->is_idle)
        return false;
    t->stats.runtime_ns += ran;
    return rq->ops->tick(rq, t, ran);
}

/* Tries to take a thread allowed on rq's CPU from another CPU's queue,
 * with spin_trylock only (rq's lock is held). */
static struct sched_thread *steal(struct sched_rq *rq)
{
    unsigned n = hal_cpu_count();

    for (unsigned i = 1; i < n && i < SCHED_MAX_CPUS; i++) {
        struct sched_rq *v = &rqs[(rq->cpu + i) % n];

        if (v == rq || !spin_trylock(&v->lock))
            continue;
        for (struct sched_thread *t = v->q_head; t != NULL; t = t->rq_next) {
            /* acquire: pairs with finish_switch's release; a thread still
             * being saved stays with its CPU (see the file comment). */
            if ((t->affinity & cpu_bit(rq->cpu)) &&
                !atomic_load_explicit(&t->on_cpu, memory_order_acquire)) {
                sched_rq_take(v, t);
                set_thread_cpu(t, rq->cpu);
                spin_unlock(&v->lock);
                rq->stats.steals++;
                return t;
            }
        }
        spin_unlock(&v->lock);
    }
    return NULL;
}

/* Waits until t (off every CPU's current slot) is fully saved; before
 * queueing it on a CPU other than the one it left. Any locks may be held:
 * the CPU saving t needs none to finish. */
static void wait_saved(struct sched_thread *t)
{
    /* acquire: pairs with finish_switch's release. */
    while (atomic_load_explicit(&t->on_cpu, memory_order_acquire))
        hal_cpu_relax();
}

/* Queues a thread this CPU just switched away from, and that may no
 * longer run here, on a CPU it may run on. No lock held. */
static void place_migrant(struct sched_rq *rq, struct sched_thread *t)
{
    unsigned c, target;
    bool kick_it;

    spin_lock(&t->lock);
    lock_home_and_target(t, t->affinity, false, &c, &target);
    rq->migrating = NULL;
    kick_it = enqueue_and_judge(&rqs[target], t);
    unlock_pair(c, target);
    spin_unlock(&t->lock);
    if (kick_it)
        kick(target);
}

/* True when prev is this CPU's pending migrant (read under rq's lock:
 * sched_check reads the field from other CPUs). */
static bool prev_migrates(struct sched_rq *rq, const struct sched_thread *prev)
{
    bool m;

    spin_lock(&rq->lock);
    m = rq->migrating == prev;
    spin_unlock(&rq->lock);
    return m;
}

/* Clears the on_cpu flag of the thread this CPU just switched away from;
 * first thing every thread does when it (re)gains a CPU. Interrupts
 * disabled. A dead predecessor leaves the live count here, after its
 * last use of its stack. */
static void finish_switch(void)
{
    struct sched_rq *rq = this_rq();
    struct sched_thread *prev = rq->switched_from;
    bool dead;

    dead = rq->switched_from_dead;
    rq->switched_from = NULL;
    rq->switched_from_dead = false;
    if (prev == NULL)
        return;
    /* release: everything prev's CPU wrote while saving it (its context,
     * its stats) happens before a CPU that acquires on_cpu == false
     * switches to it or reuses its stack. */
    atomic_store_explicit(&prev->on_cpu, false, memory_order_release);
    /* acq_rel: the last exit's decrement is seen by sched_cpu_run's
     * acquire load, after every dead thread's on_cpu release above. */
    if (dead && atomic_fetch_sub_explicit(&live_threads, 1, memory_order_acq_rel) == 1 &&
        atomic_load_explicit(&shutting_down, memory_order_acquire)) {
        for (unsigned c = 0; c < hal_cpu_count(); c++)
            kick(c);
    }
    if (prev_migrates(rq, prev))
        place_migrant(rq, prev);
}

/* Arms this CPU's slice timer for what is left of next's slice, or
 * cancels it for the idle thread. Thread context, no lock held. */
static void arm_slice(struct sched_rq *rq, struct sched_thread *next, uint64_t used)
{
    if (next->is_idle) {
        hal_timer_cancel();
        return;
    }
    hal_timer_oneshot(used < rq->slice_ns ? rq->slice_ns - used : 1, sched_tick, NULL);
}

/* Installs next as rq's current thread and switches to it from prev
 * (which exits when prev_dead; prev itself may already be queued on
 * another CPU, so its fields are not read here). Expects rq's lock (and
 * prev's lock unless prev is idle) held; drops them. Returns when prev
 * runs again. Interrupts disabled. */
static void switch_to(struct sched_rq *rq, struct sched_thread *prev, struct sched_thread *next,
                      bool prev_dead)
{
    uint64_t used = next->link.slice_used_ns;

    next->is_curr = true;
    rq->curr = next;
    rq->timer_fired = false;
    if (next != prev) {
        rq->stats.switches++;
        next->stats.switches++;
    }
    spin_unlock(&rq->lock);
    if (!prev->is_idle)
        spin_unlock(&prev->lock);
    arm_slice(rq, next, used);
    if (next == prev)
        return;
    /* acquire: pairs with finish_switch's release on next's old CPU, so
     * next's saved context is complete before we load it. */
    while (atomic_load_explicit(&next->on_cpu, memory_order_acquire))
        hal_cpu_relax();
    /* relaxed: only this CPU touches next until it switches away, and the
     * release in finish_switch publishes the clear. */
    atomic_store_explicit(&next->on_cpu, true, memory_order_relaxed);
    rq->switched_from = prev;
    rq->switched_from_dead = prev_dead;
    /* A user thread runs in its environment's address space; every other
     * thread in the kernel-only tables, so a dead environment's tables are
     * never left loaded on a CPU. */
    if (next->as != hal_aspace_current())
        hal_aspace_switch(next->as);
    hal_context_switch(&prev->ctx, &next->ctx);
    finish_switch();
}

/* Puts prev (still rq->curr, running until now) back on this queue or
 * lets it go, per its state. One that may no longer run here is left to
 * finish_switch (rq->migrating): it must be saved before another CPU may
 * see it. rq's and prev's locks held. */
static void put_prev(struct sched_rq *rq, struct sched_thread *prev, enum sched_why why)
{
    prev->is_curr = false;
    if (prev->state != SCHED_RUNNING)
        return;  /* blocked or dead: it leaves */
    if ((prev->affinity & cpu_bit(rq->cpu)) == 0) {
        prev->state = SCHED_RUNNABLE;
        rq->migrating = prev;
    } else if (why == SCHED_WHY_YIELD) {
        sched_rq_yield(rq, prev);
    } else {
        sched_rq_enqueue(rq, prev);
    }
}

/* Kicks an idle CPU that one of the first SURPLUS_SCAN threads still
 * queued on rq may run on, so it steals it; a CPU their affinity forbids
 * is left asleep (pinned threads would otherwise cost an IPI per yield).
 * rq's lock held. */
static void kick_for_surplus(const struct sched_rq *rq)
{
    /* relaxed: a hint; the stealing CPU re-checks under the queue lock. */
    uint64_t idle = atomic_load_explicit(&idle_mask, memory_order_relaxed) & ~cpu_bit(rq->cpu);
    unsigned seen = 0;

    for (const struct sched_thread *t = rq->q_head; t != NULL && idle != 0 && seen < SURPLUS_SCAN;
         t = t->rq_next, seen++) {
        if ((t->affinity & idle) != 0) {
            kick(lowest(t->affinity & idle));
            return;
        }
    }
}

/* See sched_internal.h. */
void sched_reschedule(enum sched_why why)
{
    struct sched_rq *rq = this_rq();
    struct sched_thread *prev = rq->curr, *next;

    if (!prev->is_idle)
        spin_lock(&prev->lock);
    spin_lock(&rq->lock);
    charge_curr(rq);
    if (!prev->is_idle) {
        if (why == SCHED_WHY_PREEMPT) {
            prev->stats.preemptions++;
            rq->stats.preemptions++;
        }
        put_prev(rq, prev, why);
    }
    rq->need_resched = false;
    next = sched_rq_pick(rq);
    if (next == NULL)
        next = steal(rq);
    if (next == NULL)
        next = &rq->idle;
    else
        kick_for_surplus(rq);
    switch_to(rq, prev, next, why == SCHED_WHY_EXIT);
}

/* First code of every thread: complete the switch, enable interrupts,
 * run the body, exit. */
static void thread_main(void *arg)
{
    struct sched_thread *t = arg;

    finish_switch();
    /* acquire: pairs with the release in sched_cpu_run; this CPU ran it
     * before switching here, so the value is there. */
    if (atomic_load_explicit(&irq_on_known, memory_order_acquire))
        hal_irq_restore(atomic_load_explicit(&irq_on_state, memory_order_relaxed));
    t->entry(t->arg);
    sched_exit();
}

/* t's runtime under t's lock and its queue's lock (charge_curr writes it
 * under the queue lock). */
uint64_t sched_thread_runtime_ns(struct sched_thread *t)
{
    hal_irq_state_t s = hal_irq_disable();
    struct sched_rq *rq;
    uint64_t ns;

    spin_lock(&t->lock);
    rq = sched_lock_thread_rq(t);
    ns = t->stats.runtime_ns;
    spin_unlock(&rq->lock);
    spin_unlock(&t->lock);
    hal_irq_restore(s);
    return ns;
}

/* The slice every run queue was set up with. */
uint64_t sched_slice_ns(void)
{
    return sched_cpu_rq(0)->slice_ns;
}

/* Sets up every queue, the idle threads and the resched hook. */
int sched_init(const struct exo_sched_ops *ops, uint64_t slice_ns)
{
    if (ops == NULL)
        ops = &sched_rr_ops;
    if (ops->init == NULL || ops->enqueue == NULL || ops->dequeue == NULL ||
        ops->pick_next == NULL || ops->tick == NULL || ops->yield == NULL ||
        ops->yield_to == NULL || ops->set_param == NULL || ops->stats == NULL)
        return FB_EINVAL;
    for (unsigned c = 0; c < SCHED_MAX_CPUS; c++) {
        struct sched_thread *idle = &rqs[c].idle;

        sched_rq_init(&rqs[c], c, ops, slice_ns);
        sched_thread_init(idle, "idle", NULL);
        idle->is_idle = true;
        idle->state = SCHED_RUNNING;
        idle->affinity = cpu_bit(c);
        /* relaxed: boot, nothing runs concurrently yet. */
        atomic_store_explicit(&idle->cpu, c, memory_order_relaxed);
    }
    registry_lock = (spinlock_t)SPINLOCK_INIT;
    policy_lock = (spinlock_t)SPINLOCK_INIT;
    registry = NULL;
    /* relaxed (all of these): boot, before any CPU schedules. */
    atomic_store_explicit(&active_ops, ops, memory_order_relaxed);
    atomic_store_explicit(&online_mask, 0, memory_order_relaxed);
    atomic_store_explicit(&idle_mask, 0, memory_order_relaxed);
    atomic_store_explicit(&live_threads, 0, memory_order_relaxed);
    atomic_store_explicit(&shutting_down, false, memory_order_relaxed);
    hal_irq_set_resched_hook(sched_resched);
    return FB_OK;
}

/* True once shutdown was asked for and no started thread lives. */
static bool done_running(void)
{
    /* acquire: pairs with finish_switch's acq_rel decrement, so every
     * thread's exit is complete when this CPU stops. */
    return atomic_load_explicit(&shutting_down, memory_order_acquire) &&
           atomic_load_explicit(&live_threads, memory_order_acquire) == 0;
}

/* The idle loop of the calling CPU. */
void sched_cpu_run(void)
{
    bool was_on = hal_irq_enabled();
    hal_irq_state_t s = hal_irq_disable();
    struct sched_rq *rq = this_rq();

    if (was_on && !atomic_load_explicit(&irq_on_known, memory_order_relaxed)) {
        /* relaxed: CPUs starting together may both store it, the same
         * value; the release below publishes it to thread_main's acquire. */
        atomic_store_explicit(&irq_on_state, s, memory_order_relaxed);
        /* release: publishes irq_on_state to thread_main's acquire. */
        atomic_store_explicit(&irq_on_known, true, memory_order_release);
    }
    spin_lock(&rq->lock);
    rq->curr = &rq->idle;
    rq->idle.is_curr = true;
    rq->online = true;
    rq->charged_at = hal_read_timestamp();
    spin_unlock(&rq->lock);
    /* relaxed: a placement hint (see online_mask). */
    atomic_fetch_or_explicit(&online_mask, cpu_bit(rq->cpu), memory_order_relaxed);
    while (!done_running()) {
        bool idle;

        sched_reschedule(SCHED_WHY_YIELD);
        spin_lock(&rq->lock);
        idle = rq->nr_queued == 0 && !done_running();
        rq->idling = idle;
        if (idle)
            rq->stats.idle_waits++;
        spin_unlock(&rq->lock);
        if (!idle)
            continue;
        /* relaxed: hint only; the queue-locked idling flag is what wakers
         * use to decide on the kick that ends hal_cpu_idle. */
        atomic_fetch_or_explicit(&idle_mask, cpu_bit(rq->cpu), memory_order_relaxed);
        sched_sleep_arm();
        hal_cpu_idle();
        atomic_fetch_and_explicit(&idle_mask, ~cpu_bit(rq->cpu), memory_order_relaxed);
        spin_lock(&rq->lock);
        rq->idling = false;
        spin_unlock(&rq->lock);
    }
    hal_timer_cancel();
    spin_lock(&rq->lock);
    rq->online = false;
    spin_unlock(&rq->lock);
    /* relaxed: hint. */
    atomic_fetch_and_explicit(&online_mask, ~cpu_bit(rq->cpu), memory_order_relaxed);
    hal_irq_restore(s);
}

/* Requests shutdown and wakes every CPU to notice. */
void sched_shutdown(void)
{
    /* release: pairs with done_running's acquire. */
    atomic_store_explicit(&shutting_down, true, memory_order_release);
    for (unsigned c = 0; c < hal_cpu_count(); c++)
        kick(c);
}

/* Checks parameters against their ranges. */
static bool param_ok(const struct sched_params *p)
{
    return p != NULL && p->priority <= SCHED_PRIO_MAX && p->tickets != 0 &&
           p->tickets <= SCHED_MAX_TICKETS;
}

/* Unlinks t from the registry when it is there. Takes the registry lock. */
static void registry_remove(struct sched_thread *t)
{
    hal_irq_state_t s = spin_lock_irqsave(&registry_lock);
    struct sched_thread **pp = &registry;

    while (*pp != NULL && *pp != t)
        pp = &(*pp)->all_next;
    if (*pp == t)
        *pp = t->all_next;
    spin_unlock_irqrestore(&registry_lock, s);
}

/* True when t is in the registry. Takes the registry lock. */
static bool registry_has(const struct sched_thread *t)
{
    hal_irq_state_t s = spin_lock_irqsave(&registry_lock);
    const struct sched_thread *r = registry;

    while (r != NULL && r != t)
        r = r->all_next;
    spin_unlock_irqrestore(&registry_lock, s);
    return r != NULL;
}

/* Creates and registers a thread; a struct that still holds a registered
 * thread is taken over only once that thread is dead and off every CPU.
 * O(threads): the registry is searched. Takes the registry lock. */
int sched_thread_create(struct sched_thread *t, const char *name, void (*entry)(void *arg),
                        void *arg, void *stack, size_t stack_size, const struct sched_params *p)
{
    hal_irq_state_t s;
    int err;

    if (t == NULL || entry == NULL || stack == NULL || stack_size < SCHED_STACK_MIN ||
        (p != NULL && !param_ok(p)))
        return FB_EINVAL;
    if (registry_has(t)) {
        if (!sched_thread_done(t))
            return FB_EBUSY;
        registry_remove(t);
    }
    err = sched_thread_init(t, name, p);
    if (err != FB_OK)
        return err;
    t->stack = stack;
    t->stack_size = stack_size;
    t->entry = entry;
    t->arg = arg;
    err = hal_context_init(&t->ctx, stack, stack_size, thread_main, t);
    if (err != FB_OK)
        return err;
    s = spin_lock_irqsave(&registry_lock);
    t->all_next = registry;
    registry = t;
    spin_unlock_irqrestore(&registry_lock, s);
    return FB_OK;
}

/* Queues a new thread where select_cpu says. Takes t's lock, then a queue
 * lock. */
int sched_thread_start(struct sched_thread *t)
{
    hal_irq_state_t s;
    unsigned target;
    bool kick_it;

    if (t == NULL)
        return FB_EINVAL;
    s = hal_irq_disable();
    spin_lock(&t->lock);
    if (t->state != SCHED_NEW) {
        spin_unlock(&t->lock);
        hal_irq_restore(s);
        return FB_EBUSY;
    }
    /* relaxed: counted before it can run, so it cannot exit first. */
    atomic_fetch_add_explicit(&live_threads, 1, memory_order_relaxed);
    target = select_cpu(t);
    spin_lock(&rqs[target].lock);
    kick_it = enqueue_and_judge(&rqs[target], t);
    spin_unlock(&rqs[target].lock);
    spin_unlock(&t->lock);
    if (kick_it)
        kick(target);
    hal_irq_restore(s);
    return FB_OK;
}

/* Marks the caller dead and switches away for good. */
_Noreturn void sched_exit(void)
{
    struct sched_rq *rq;
    struct sched_thread *self;

    hal_irq_disable();
    self = this_rq()->curr;
    if (self == NULL || self->is_idle)
        hal_panic("sched_exit: not a scheduled thread");
    spin_lock(&self->lock);
    rq = sched_lock_thread_rq(self);
    self->state = SCHED_DEAD;
    spin_unlock(&rq->lock);
    spin_unlock(&self->lock);
    sched_reschedule(SCHED_WHY_EXIT);
    hal_panic("sched_exit: a dead thread was resumed");
}

/* Dead and saved: reads state under t's locks, on_cpu with acquire. */
bool sched_thread_done(struct sched_thread *t)
{
    hal_irq_state_t s = hal_irq_disable();
    struct sched_rq *rq;
    bool dead;

    spin_lock(&t->lock);
    rq = sched_lock_thread_rq(t);
    dead = t->state == SCHED_DEAD;
    spin_unlock(&rq->lock);
    spin_unlock(&t->lock);
    hal_irq_restore(s);
    /* acquire: pairs with finish_switch's release; the stack is free. */
    return dead && !atomic_load_explicit(&t->on_cpu, memory_order_acquire);
}

/* The calling CPU's current thread. */
struct sched_thread *sched_current(void)
{
    hal_irq_state_t s = hal_irq_disable();
    struct sched_thread *t = this_rq()->online ? this_rq()->curr : NULL;

    hal_irq_restore(s);
    return t;
}

/* The calling CPU's current thread when it is a scheduled (non-idle) one,
 * else NULL. Interrupts disabled. */
static struct sched_thread *current_thread(void)
{
    struct sched_rq *rq = this_rq();

    return rq->online && rq->curr != NULL && !rq->curr->is_idle ? rq->curr : NULL;
}

/* Voluntary switch. */
void sched_yield_cpu(void)
{
    hal_irq_state_t s = hal_irq_disable();
    struct sched_thread *self = current_thread();

    if (self != NULL) {
        self->stats.yields++;
        sched_reschedule(SCHED_WHY_YIELD);
    }
    hal_irq_restore(s);
}

/* Directed yield; see sched.h. Takes the caller's lock, then the two
 * queues in order. */
int sched_yield_to(struct sched_thread *t)
{
    hal_irq_state_t s = hal_irq_disable();
    struct sched_thread *self = current_thread();
    struct sched_rq *rq, *trq;
    unsigned c;
    int err = FB_OK;

    if (t == NULL || self == NULL || t == self) {
        hal_irq_restore(s);
        return FB_EINVAL;
    }
    rq = this_rq();
    spin_lock(&self->lock);
    for (;;) {
        c = thread_cpu(t);
        lock_pair(rq->cpu, c);
        if (thread_cpu(t) == c)
            break;
        unlock_pair(rq->cpu, c);
    }
    trq = &rqs[c];
    /* acquire: pairs with finish_switch's release (see the file comment). */
    if (t->rq != trq || atomic_load_explicit(&t->on_cpu, memory_order_acquire))
        err = FB_EAGAIN;
    else if ((t->affinity & cpu_bit(rq->cpu)) == 0)
        err = FB_EPERM;
    if (err != FB_OK) {
        unlock_pair(rq->cpu, c);
        spin_unlock(&self->lock);
        hal_irq_restore(s);
        return err;
    }
    sched_rq_take(trq, t);
    set_thread_cpu(t, rq->cpu);
    if (trq != rq)
        spin_unlock(&trq->lock);
    self->stats.yields++;
    charge_curr(rq);
    rq->ops->yield_to(rq, self, t);  /* both still off every queue */
    put_prev(rq, self, SCHED_WHY_YIELD);
    rq->need_resched = false;
    switch_to(rq, self, t, false);
    hal_irq_restore(s);
    return FB_OK;
}

/* Lets a pending interrupt's resched happen now. */
void sched_preempt_point(void)
{
    hal_irq_restore(hal_irq_disable());
}

/* Through the policy of t's queue; a running t is asked to reschedule.
 * Takes t's lock, then its queue. */
int sched_set_param(struct sched_thread *t, const struct sched_params *p)
{
    hal_irq_state_t s;
    struct sched_rq *rq;
    bool kick_it = false;
    unsigned cpu;

    if (t == NULL || !param_ok(p))
        return FB_EINVAL;
    s = hal_irq_disable();
    spin_lock(&t->lock);
    rq = sched_lock_thread_rq(t);
    rq->ops->set_param(rq, t, p);
    if (t->is_curr && !t->is_idle) {
        rq->need_resched = true;
        kick_it = true;
    }
    cpu = rq->cpu;
    spin_unlock(&rq->lock);
    spin_unlock(&t->lock);
    if (kick_it)
        kick(cpu);
    hal_irq_restore(s);
    return FB_OK;
}

/* Changes t's affinity; moves it when queued where it may no longer run,
 * kicks its CPU when it runs there. Takes t's lock, then the old and new
 * queues in order. */
int sched_set_affinity(struct sched_thread *t, uint64_t mask)
{
    hal_irq_state_t s;
    unsigned c, target, kick_cpu = 0;
    bool kick_it = false;

    if (t == NULL || (mask & present_mask()) == 0 || t->is_idle)
        return FB_EINVAL;
    s = hal_irq_disable();
    spin_lock(&t->lock);
    lock_home_and_target(t, mask, true, &c, &target);
    t->affinity = mask;
    if (t->rq == &rqs[c] && target != c) {
        wait_saved(t);
        sched_rq_dequeue(&rqs[c], t);
        kick_it = enqueue_and_judge(&rqs[target], t);
        kick_cpu = target;
    } else if (t->is_curr && target != c) {
        rqs[c].need_resched = true;
        kick_it = true;
        kick_cpu = c;
    }
    unlock_pair(c, target);
    spin_unlock(&t->lock);
    if (kick_it)
        kick(kick_cpu);
    hal_irq_restore(s);
    return FB_OK;
}

/* See sched_internal.h. Takes t's lock, then t's old and new queues. */
void sched_wake_thread(struct sched_thread *t)
{
    unsigned c, target;
    bool kick_it = false;

    spin_lock(&t->lock);
    t->wq = NULL;
    lock_home_and_target(t, t->affinity, false, &c, &target);
    if (t->state == SCHED_BLOCKED) {
        if (t->is_curr) {
            t->state = SCHED_RUNNING;  /* never left its CPU: carry on */
        } else {
            if (target != c)
                wait_saved(t);
            kick_it = enqueue_and_judge(&rqs[target], t);
        }
    }
    unlock_pair(c, target);
    spin_unlock(&t->lock);
    if (kick_it)
        kick(target);
}

/* The resched hook: switch when asked; after a slice timer that did not
 * end the slice, re-arm it for the rest. */
void sched_resched(void)
{
    struct sched_rq *rq = this_rq();
    bool go, rearm;
    uint64_t used;

    /* Every interrupt passes here (x86_64: also the periodic tick), so
     * sleepers wake on time even on CPUs with no slice timer armed. */
    sched_sleep_tick();
    spin_lock(&rq->lock);
    if (!rq->online || rq->curr == NULL || rq->curr->is_idle) {
        spin_unlock(&rq->lock);
        return;
    }
    go = rq->need_resched;
    rearm = rq->timer_fired && !go;
    rq->timer_fired = false;
    used = rq->curr->link.slice_used_ns;
    spin_unlock(&rq->lock);
    if (go)
        sched_reschedule(SCHED_WHY_PREEMPT);
    else if (rearm)
        arm_slice(rq, rq->curr, used);
}

/* Slice timer: charge, and ask for a switch once the slice is used. */
void sched_tick(void *unused)
{
    struct sched_rq *rq = this_rq();
    hal_irq_state_t s = spin_lock_irqsave(&rq->lock);

    (void)unused;
    if (rq->online && rq->curr != NULL) {
        rq->stats.ticks++;
        rq->timer_fired = true;
        if (charge_curr(rq))
            rq->need_resched = true;
    }
    spin_unlock_irqrestore(&rq->lock, s);
    sched_sleep_tick();
}

/* True when ops has every hook. */
static bool ops_complete(const struct exo_sched_ops *ops)
{
    return ops != NULL && ops->init != NULL && ops->enqueue != NULL && ops->dequeue != NULL &&
           ops->pick_next != NULL && ops->tick != NULL && ops->yield != NULL &&
           ops->yield_to != NULL && ops->set_param != NULL && ops->stats != NULL;
}

/* Live policy switch under every queue lock, in CPU order. */
int sched_set_policy(const struct exo_sched_ops *ops)
{
    hal_irq_state_t s;

    if (!ops_complete(ops))
        return FB_EINVAL;
    s = hal_irq_disable();
    spin_lock(&policy_lock);
    for (unsigned c = 0; c < SCHED_MAX_CPUS; c++)
        spin_lock(&rqs[c].lock);
    for (unsigned c = 0; c < SCHED_MAX_CPUS; c++) {
        sched_rq_set_policy(&rqs[c], ops);
        if (rqs[c].online)
            rqs[c].need_resched = true;  /* re-pick under the new order */
    }
    /* release: pairs with sched_policy's acquire. */
    atomic_store_explicit(&active_ops, ops, memory_order_release);
    for (unsigned c = SCHED_MAX_CPUS; c-- > 0;)
        spin_unlock(&rqs[c].lock);
    spin_unlock(&policy_lock);
    for (unsigned c = 0; c < hal_cpu_count(); c++)
        kick(c);
    hal_irq_restore(s);
    return FB_OK;
}

/* Equal C strings. */
static bool same_name(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Built-in policy by name. */
const struct exo_sched_ops *sched_policy_find(const char *name)
{
    static const struct exo_sched_ops *const builtin[] = {
        &sched_rr_ops, &sched_prio_ops, &sched_stride_ops,
    };

    for (size_t i = 0; name != NULL && i < sizeof builtin / sizeof builtin[0]; i++) {
        if (same_name(builtin[i]->name, name))
            return builtin[i];
    }
    return NULL;
}

/* The active policy. */
const struct exo_sched_ops *sched_policy(void)
{
    /* acquire: pairs with sched_set_policy's release. */
    return atomic_load_explicit(&active_ops, memory_order_acquire);
}

/* Snapshot of a CPU's counters under its queue lock. */
int sched_cpu_stats(unsigned cpu, struct sched_cpu_stats *st)
{
    hal_irq_state_t s;

    if (st == NULL || cpu >= SCHED_MAX_CPUS)
        return FB_EINVAL;
    s = spin_lock_irqsave(&rqs[cpu].lock);
    *st = rqs[cpu].stats;
    spin_unlock_irqrestore(&rqs[cpu].lock, s);
    return FB_OK;
}

/* One registered thread against its state; queue locks all held. */
static const char *check_thread(const struct sched_thread *t)
{
    unsigned c = thread_cpu(t);
    bool queued = t->rq != NULL, curr = t->is_curr;

    if (c >= SCHED_MAX_CPUS)
        return "thread on a CPU out of range";
    if (curr && rqs[c].curr != t)
        return "thread claims a CPU that runs another";
    if (queued && t->rq != &rqs[c])
        return "queued thread's cpu is not its queue's";
    if (queued && curr)
        return "thread both queued and running";
    switch (t->state) {
    case SCHED_NEW:
        return queued || curr ? "new thread on a queue or CPU" : NULL;
    case SCHED_DEAD:
        /* Like a blocking thread, an exiting one is marked under the
         * queue lock and stays its CPU's current until that CPU's
         * reschedule (which takes the lock again) switches away. */
        return queued ? "dead thread on a queue" : NULL;
    case SCHED_RUNNABLE:
        if (!queued && rqs[c].migrating != t)
            return "runnable thread on no queue";
        if (!queued)
            return NULL;  /* saved by CPU c, about to move */
        return (t->affinity & cpu_bit(c)) ? NULL : "thread queued against its affinity";
    case SCHED_RUNNING:
        if (!curr)
            return "running thread on no CPU";
        return (t->affinity & cpu_bit(c)) || rqs[c].need_resched
                   ? NULL : "thread running against its affinity";
    case SCHED_BLOCKED:
        return queued ? "blocked thread on a queue" : NULL;
    }
    return "thread in an unknown state";
}

/* The whole-scheduler check; see sched.h. Takes the registry lock, then
 * every queue lock in order. */
int sched_check(const char **why)
{
    hal_irq_state_t s = hal_irq_disable();
    const char *bad = NULL;
    unsigned queued[SCHED_MAX_CPUS] = { 0 };

    spin_lock(&registry_lock);
    for (unsigned c = 0; c < SCHED_MAX_CPUS; c++)
        spin_lock(&rqs[c].lock);
    for (const struct sched_thread *t = registry; t != NULL && bad == NULL; t = t->all_next) {
        bad = check_thread(t);
        if (bad == NULL && t->rq != NULL)
            queued[thread_cpu(t)]++;
    }
    for (unsigned c = 0; c < SCHED_MAX_CPUS && bad == NULL; c++) {
        const struct sched_rq *rq = &rqs[c];

        if (sched_rq_check(rq) != FB_OK)
            bad = "run queue inconsistent (arrival list, counts or policy structure)";
        else if (queued[c] != rq->nr_queued)
            bad = "run queue holds threads that are not registered, or misses some";
        else if (rq->ops != sched_policy())
            bad = "run queue under a policy that is not the active one";
        else if (rq->online && (rq->curr == NULL || !rq->curr->is_curr))
            bad = "online CPU without a current thread";
    }
    for (unsigned c = SCHED_MAX_CPUS; c-- > 0;)
        spin_unlock(&rqs[c].lock);
    spin_unlock(&registry_lock);
    hal_irq_restore(s);
    if (why != NULL)
        *why = bad;
    return bad == NULL ? FB_OK : FB_EINVAL;
}
