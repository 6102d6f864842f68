/* Simulated device lines: a route, a mask bit and a latched edge per line,
 * one handler for all. Delivery runs the handler on the raising (or
 * unmasking) thread as the routed CPU. One lock guards the line table; it
 * is dropped while the handler runs, and `delivering` keeps one line's
 * handler from overlapping itself, as a CPU would not re-enter it. */
#include <pthread.h>
#include <stdatomic.h>

#include "hal/cpu.h"
#include "hal/irqline.h"
#include "hal_host_irqline.h"
#include "host_internal.h"
#include "kerr.h"

struct line {
    unsigned cpu;
    bool masked;
    bool latched;      /* an edge arrived while masked or while delivering */
    bool delivering;   /* its handler is running */
};

static pthread_mutex_t lines_lock = PTHREAD_MUTEX_INITIALIZER;
static struct line lines[HAL_HOST_IRQ_LINES] = {
    [0 ... HAL_HOST_IRQ_LINES - 1] = { .masked = true },
};
static hal_irqline_fn handler;
static void *handler_ctx;
/* relaxed: a statistic, read on its own. */
static atomic_ulong unhandled;

/* Runs fn(line, ctx) on this thread as simulated CPU cpu in interrupt
 * context: hal_cpu_id() is cpu and interrupts read as disabled. */
static void run_as_cpu(unsigned cpu, hal_irqline_fn fn, unsigned line, void *ctx)
{
    unsigned saved_cpu = host_tls_cpu;
    bool saved_in_irq = host_tls_in_irq;

    host_tls_cpu = cpu;
    host_tls_in_irq = true;
    fn(line, ctx);
    host_tls_cpu = saved_cpu;
    host_tls_in_irq = saved_in_irq;
}

/* Number of simulated lines. */
unsigned hal_irqline_count(void)
{
    return HAL_HOST_IRQ_LINES;
}

/* ISA IRQ n is line n on the host: no overrides to apply. */
int hal_irqline_from_isa(unsigned isa_irq)
{
    return isa_irq > 15 ? FB_EINVAL : (int)isa_irq;
}

/* Installs the handler of every line. Takes lines_lock. */
void hal_irqline_set_handler(hal_irqline_fn fn, void *ctx)
{
    pthread_mutex_lock(&lines_lock);
    handler = fn;
    handler_ctx = ctx;
    pthread_mutex_unlock(&lines_lock);
}

/* Routes a line to a CPU. Takes lines_lock. */
int hal_irqline_route(unsigned line, unsigned cpu)
{
    if (line >= HAL_HOST_IRQ_LINES || cpu >= hal_cpu_count())
        return FB_EINVAL;
    pthread_mutex_lock(&lines_lock);
    lines[line].cpu = cpu;
    pthread_mutex_unlock(&lines_lock);
    return FB_OK;
}

/* Runs the handler for a latched or fresh edge of line, as its CPU, until
 * no edge is latched any more. Expects lines_lock held; drops it around
 * each handler call and returns with it held. */
static void deliver_locked(unsigned line)
{
    struct line *l = &lines[line];

    while (l->latched && !l->masked && !l->delivering) {
        hal_irqline_fn fn = handler;
        void *ctx = handler_ctx;
        unsigned cpu = l->cpu;

        l->latched = false;
        if (fn == NULL) {
            /* relaxed: a statistic. */
            atomic_fetch_add_explicit(&unhandled, 1, memory_order_relaxed);
            continue;
        }
        l->delivering = true;
        pthread_mutex_unlock(&lines_lock);
        run_as_cpu(cpu, fn, line, ctx);
        host_cpu_note_interrupt(cpu);
        pthread_mutex_lock(&lines_lock);
        l->delivering = false;
    }
}

/* Masks a line. Takes lines_lock. */
int hal_irqline_mask(unsigned line)
{
    if (line >= HAL_HOST_IRQ_LINES)
        return FB_EINVAL;
    pthread_mutex_lock(&lines_lock);
    lines[line].masked = true;
    pthread_mutex_unlock(&lines_lock);
    return FB_OK;
}

/* Unmasks a line and delivers an edge it latched meanwhile. Takes
 * lines_lock. */
int hal_irqline_unmask(unsigned line)
{
    if (line >= HAL_HOST_IRQ_LINES)
        return FB_EINVAL;
    pthread_mutex_lock(&lines_lock);
    lines[line].masked = false;
    deliver_locked(line);
    pthread_mutex_unlock(&lines_lock);
    return FB_OK;
}

/* Interrupts that found no handler. */
unsigned long hal_irqline_unhandled(void)
{
    return atomic_load_explicit(&unhandled, memory_order_relaxed);
}

/* One edge on line: latched, then delivered unless masked or busy.
 * Takes lines_lock. */
int hal_host_irqline_raise(unsigned line)
{
    if (line >= HAL_HOST_IRQ_LINES)
        return FB_EINVAL;
    pthread_mutex_lock(&lines_lock);
    lines[line].latched = true;
    deliver_locked(line);
    pthread_mutex_unlock(&lines_lock);
    return FB_OK;
}

/* Whether line is masked. Takes lines_lock. */
bool hal_host_irqline_masked(unsigned line)
{
    bool m;

    if (line >= HAL_HOST_IRQ_LINES)
        return false;
    pthread_mutex_lock(&lines_lock);
    m = lines[line].masked;
    pthread_mutex_unlock(&lines_lock);
    return m;
}

/* The CPU line is routed to. Takes lines_lock. */
unsigned hal_host_irqline_cpu(unsigned line)
{
    unsigned cpu;

    if (line >= HAL_HOST_IRQ_LINES)
        return 0;
    pthread_mutex_lock(&lines_lock);
    cpu = lines[line].cpu;
    pthread_mutex_unlock(&lines_lock);
    return cpu;
}

/* Back to the boot state. Takes lines_lock. */
void hal_host_irqline_reset(void)
{
    pthread_mutex_lock(&lines_lock);
    for (unsigned i = 0; i < HAL_HOST_IRQ_LINES; i++)
        lines[i] = (struct line){ .masked = true };
    handler = NULL;
    handler_ctx = NULL;
    pthread_mutex_unlock(&lines_lock);
}
