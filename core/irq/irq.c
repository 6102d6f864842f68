/* Device interrupt bindings: one record per line saying which capability
 * holds it, how many interrupts are pending, and who waits for them. The
 * handler runs in interrupt context on the CPU the line is routed to; it
 * masks the line, so a device cannot storm a CPU before the bound
 * environment acknowledged it. */
#include <stdatomic.h>

#include "hal/cpu.h"
#include "hal/irqline.h"
#include "irq.h"
#include "kerr.h"
#include "exo_sched.h"
#include "spinlock.h"

/* One line. lock guards every field but the waitq (which has its own). */
struct line {
    spinlock_t lock;
    bool bound;
    const struct cap_table *table;   /* the binding capability's table... */
    cap_handle_t handle;             /* ...and handle */
    unsigned cpu;
    uint32_t pending;
    uint32_t binding;                /* advances at every bind and unbind */
    uint64_t delivered;
    uint64_t dropped;
    uint64_t binds;
    struct sched_waitq waiters;
};

static struct line lines[IRQ_MAX_LINES];
/* relaxed: a statistic summed on its own; per-line counts are exact. */
static _Atomic uint64_t dropped_total;

/* Number of lines usable: the HAL's, capped at IRQ_MAX_LINES. */
static unsigned line_limit(void)
{
    unsigned n = hal_irqline_count();

    return n < IRQ_MAX_LINES ? n : IRQ_MAX_LINES;
}

/* True while the line's binding capability still verifies. Lock-free
 * (cap_verify is), so the handler may call it. Expects l->lock held. */
static bool binding_live(const struct line *l)
{
    return l->bound && cap_verify(l->table, l->handle, IRQ_RIGHTS) == FB_OK;
}

/* Drops a binding: line masked, pending interrupts forgotten, waiters
 * woken (the caller wakes them after unlocking). Expects l->lock held. */
static void unbind_locked(struct line *l, unsigned line)
{
    l->bound = false;
    l->table = NULL;
    l->handle = CAP_HANDLE_NONE;
    l->pending = 0;
    l->binding++;
    hal_irqline_mask(line);
}

/* The HAL's handler for every line (interrupt context, interrupts off). */
static void irq_handler(unsigned line, void *ctx)
{
    struct line *l;
    bool wake = false;

    (void)ctx;
    if (line >= IRQ_MAX_LINES) {
        /* relaxed: a statistic. */
        atomic_fetch_add_explicit(&dropped_total, 1, memory_order_relaxed);
        hal_irqline_mask(line);
        return;
    }
    l = &lines[line];
    spin_lock(&l->lock);
    if (binding_live(l)) {
        hal_irqline_mask(line);
        l->pending++;
        l->delivered++;
        wake = true;
    } else {
        if (l->bound) {
            unbind_locked(l, line);   /* its capability died: free the line */
            wake = true;
        }
        hal_irqline_mask(line);
        l->dropped++;
        atomic_fetch_add_explicit(&dropped_total, 1, memory_order_relaxed);
    }
    spin_unlock(&l->lock);
    if (wake)
        sched_wake_all(&l->waiters);
}

/* Resets all lines and takes over the HAL's line handler. Boot only. */
int irq_init(void)
{
    for (unsigned i = 0; i < IRQ_MAX_LINES; i++) {
        if (i < hal_irqline_count())
            hal_irqline_mask(i);
        lines[i] = (struct line){ .lock = SPINLOCK_INIT };
        sched_waitq_init(&lines[i].waiters);
    }
    atomic_store_explicit(&dropped_total, 0, memory_order_relaxed);
    hal_irqline_set_handler(irq_handler, NULL);
    return FB_OK;
}

/* Checks that h in t is an IRQ capability with IRQ_RIGHTS for a line we
 * manage, and returns that line. Lock-free. */
static int line_of(const struct cap_table *t, cap_handle_t h, unsigned *line)
{
    struct cap_info info;
    int err = cap_verify(t, h, IRQ_RIGHTS);

    if (err != FB_OK)
        return err;
    err = cap_lookup(t, h, &info);
    if (err != FB_OK)
        return err;
    if (info.type != CAP_T_IRQ || info.object >= line_limit())
        return FB_EINVAL;
    *line = (unsigned)info.object;
    return FB_OK;
}

/* Binds a line to the capability that names it. Takes the line's lock. */
int irq_bind(const struct cap_table *t, cap_handle_t h, unsigned cpu)
{
    unsigned line;
    struct line *l;
    hal_irq_state_t s;
    bool woke_dead = false;
    int err = line_of(t, h, &line);

    if (err != FB_OK)
        return err;
    if (cpu >= hal_cpu_count())
        return FB_EINVAL;
    l = &lines[line];
    s = spin_lock_irqsave(&l->lock);
    if (binding_live(l)) {
        err = FB_EBUSY;
    } else {
        if (l->bound) {
            unbind_locked(l, line);   /* a dead binding gives way */
            woke_dead = true;
        }
        err = hal_irqline_route(line, cpu);
        if (err == FB_OK) {
            l->bound = true;
            l->table = t;
            l->handle = h;
            l->cpu = cpu;
            l->pending = 0;
            l->binding++;
            l->binds++;
        }
    }
    spin_unlock_irqrestore(&l->lock, s);
    if (woke_dead)
        sched_wake_all(&l->waiters);
    /* Unmasked outside the lock: the host HAL delivers a latched edge
     * from inside unmask, and the handler takes this lock. */
    if (err == FB_OK)
        hal_irqline_unmask(line);
    return err;
}

/* Finds the line whose live binding is exactly (t, h), with its lock
 * taken (state in *s). Errors as irq_unbind. */
static int bound_line(const struct cap_table *t, cap_handle_t h, struct line **out,
                      unsigned *line_out, hal_irq_state_t *s)
{
    unsigned line;
    struct line *l;
    int err = line_of(t, h, &line);

    if (err != FB_OK)
        return err;
    l = &lines[line];
    *s = spin_lock_irqsave(&l->lock);
    if (!l->bound)
        err = FB_ENOENT;
    else if (l->table != t || l->handle != h)
        err = FB_EPERM;
    if (err != FB_OK) {
        spin_unlock_irqrestore(&l->lock, *s);
        return err;
    }
    *out = l;
    *line_out = line;
    return FB_OK;
}

/* Ends a binding. Takes the line's lock. */
int irq_unbind(const struct cap_table *t, cap_handle_t h)
{
    struct line *l;
    unsigned line;
    hal_irq_state_t s;
    int err = bound_line(t, h, &l, &line, &s);

    if (err != FB_OK)
        return err;
    unbind_locked(l, line);
    spin_unlock_irqrestore(&l->lock, s);
    sched_wake_all(&l->waiters);
    return FB_OK;
}

/* Unmasks a bound line again. Takes the line's lock. */
int irq_ack(const struct cap_table *t, cap_handle_t h)
{
    struct line *l;
    unsigned line;
    hal_irq_state_t s;
    int err = bound_line(t, h, &l, &line, &s);

    if (err != FB_OK)
        return err;
    spin_unlock_irqrestore(&l->lock, s);
    /* Outside the lock for the same reason as in irq_bind. A racing
     * unbind may mask it again first; then the line stays masked, which
     * is what unbind wants, or gets unmasked unbound and its next
     * interrupt is dropped and masks it: nothing is lost either way. */
    hal_irqline_unmask(line);
    return FB_OK;
}

/* Takes the pending count of the binding (t, h). Takes the line's lock. */
int irq_poll(const struct cap_table *t, cap_handle_t h, uint32_t *count)
{
    struct line *l;
    unsigned line;
    hal_irq_state_t s;
    uint32_t n;
    int err = bound_line(t, h, &l, &line, &s);

    if (err != FB_OK)
        return err;
    n = l->pending;
    l->pending = 0;
    spin_unlock_irqrestore(&l->lock, s);
    if (n == 0)
        return FB_EAGAIN;
    if (count != NULL)
        *count = n;
    return FB_OK;
}

/* What irq_wait waits for: the binding it started with has an interrupt
 * pending, or is gone. */
struct wait_cond {
    struct line *l;
    uint32_t binding;
};

/* sched_wait_event's condition; reads under the line's lock. */
static bool wait_done(void *arg)
{
    struct wait_cond *c = arg;
    hal_irq_state_t s = spin_lock_irqsave(&c->l->lock);
    bool done = c->l->pending > 0 || c->l->binding != c->binding;

    spin_unlock_irqrestore(&c->l->lock, s);
    return done;
}

/* Blocks until the binding (t, h) has interrupts pending, then takes them.
 * Takes the line's lock; sleeps on its waitq. */
int irq_wait(const struct cap_table *t, cap_handle_t h, uint32_t *count)
{
    for (;;) {
        struct line *l;
        unsigned line;
        hal_irq_state_t s;
        struct wait_cond c;
        int err = bound_line(t, h, &l, &line, &s);

        if (err != FB_OK)
            return err;
        if (l->pending > 0) {
            if (count != NULL)
                *count = l->pending;
            l->pending = 0;
            spin_unlock_irqrestore(&l->lock, s);
            return FB_OK;
        }
        c.l = l;
        c.binding = l->binding;
        spin_unlock_irqrestore(&l->lock, s);
        err = sched_wait_event(&l->waiters, wait_done, &c);
        if (err != FB_OK)
            return err;
    }
}

/* Copies one line's state. Takes the line's lock. */
int irq_stats(unsigned line, struct irq_stats *out)
{
    struct line *l;
    hal_irq_state_t s;

    if (line >= IRQ_MAX_LINES || out == NULL)
        return FB_EINVAL;
    l = &lines[line];
    s = spin_lock_irqsave(&l->lock);
    out->bound = binding_live(l);
    out->cpu = l->cpu;
    out->pending = l->pending;
    out->delivered = l->delivered;
    out->dropped = l->dropped;
    out->binds = l->binds;
    spin_unlock_irqrestore(&l->lock, s);
    return FB_OK;
}

/* Sum of dropped interrupts over all lines. */
uint64_t irq_dropped_total(void)
{
    return atomic_load_explicit(&dropped_total, memory_order_relaxed);
}
