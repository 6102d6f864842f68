/* Simulated CPUs: CPU 0 is the main thread (and any thread the HAL did not
 * start); CPUs 1..n-1 are threads started by hal_host_cpu_start. Owns the
 * per-CPU blocks and the thread-local CPU identity. */
#include <pthread.h>
#include <sched.h>

#include "hal/cpu.h"
#include "host_internal.h"
#include "kerr.h"

struct host_cpu host_cpus[HAL_HOST_MAX_CPUS] = {
    [0 ... HAL_HOST_MAX_CPUS - 1] = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .irq_idle = PTHREAD_COND_INITIALIZER,
        .wake = PTHREAD_COND_INITIALIZER,
        .irq_enabled = true,
    },
};

_Thread_local unsigned host_tls_cpu;
_Thread_local bool host_tls_in_irq;

enum cpu_thread_state { CPU_IDLE, CPU_RUNNING, CPU_JOINING };

/* The thread behind each simulated CPU; guarded by threads_lock. */
static struct {
    enum cpu_thread_state state;
    pthread_t thread;
    void (*fn)(void *);
    void *arg;
} threads[HAL_HOST_MAX_CPUS];
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;

/* Relaxed would do for readers that only want a recent value, but acquire
 * pairs with the release in hal_host_set_cpu_count so a CPU index below
 * the count it reads was configured before it looked. */
static atomic_uint cpu_count = 1;

/* The simulated CPU the calling thread runs as. */
unsigned hal_cpu_id(void)
{
    return host_tls_cpu;
}

/* How many CPUs hal_host_set_cpu_count declared up (1 by default). */
unsigned hal_cpu_count(void)
{
    return atomic_load_explicit(&cpu_count, memory_order_acquire);
}

/* PAUSE on x86 (as the real HAL); elsewhere give the core away. */
void hal_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    sched_yield();
#endif
}

/* Marks cpu and wakes it if it idles. */
int hal_cpu_kick(unsigned cpu)
{
    if (cpu >= hal_cpu_count())
        return FB_EINVAL;
    host_cpu_note_interrupt(cpu);
    return FB_OK;
}

/* Changes the CPU count unless a running CPU would fall outside it.
 * Takes threads_lock. */
int hal_host_set_cpu_count(unsigned n)
{
    int err = FB_OK;

    if (n == 0 || n > HAL_HOST_MAX_CPUS)
        return FB_EINVAL;
    pthread_mutex_lock(&threads_lock);
    for (unsigned i = n; i < HAL_HOST_MAX_CPUS; i++) {
        if (threads[i].state != CPU_IDLE)
            err = FB_EBUSY;
    }
    if (err == FB_OK)
        atomic_store_explicit(&cpu_count, n, memory_order_release);
    pthread_mutex_unlock(&threads_lock);
    return err;
}

/* Thread body of a simulated CPU: take on the identity, enable the
 * simulated interrupts, run the payload. fn and arg were written before
 * pthread_create, which orders them before this thread starts. */
static void *cpu_thread_main(void *p)
{
    unsigned cpu = (unsigned)(uintptr_t)p;

    host_tls_cpu = cpu;
    host_irq_online(cpu);
    threads[cpu].fn(threads[cpu].arg);
    return NULL;
}

/* Starts the thread of simulated CPU cpu. Takes threads_lock. */
int hal_host_cpu_start(unsigned cpu, void (*fn)(void *), void *arg)
{
    int err = FB_OK;

    if (fn == NULL || cpu == 0 || cpu >= HAL_HOST_MAX_CPUS)
        return FB_EINVAL;
    pthread_mutex_lock(&threads_lock);
    if (cpu >= atomic_load_explicit(&cpu_count, memory_order_relaxed)) {
        err = FB_EINVAL;
    } else if (threads[cpu].state != CPU_IDLE) {
        err = FB_EBUSY;
    } else {
        threads[cpu].fn = fn;
        threads[cpu].arg = arg;
        if (pthread_create(&threads[cpu].thread, NULL, cpu_thread_main,
                           (void *)(uintptr_t)cpu) != 0)
            err = FB_ENOMEM;
        else
            threads[cpu].state = CPU_RUNNING;
    }
    pthread_mutex_unlock(&threads_lock);
    return err;
}

/* Joins the thread of simulated CPU cpu. Takes threads_lock around the
 * state changes, not across the wait. */
int hal_host_cpu_join(unsigned cpu)
{
    pthread_t thread;

    if (cpu == 0 || cpu >= HAL_HOST_MAX_CPUS)
        return FB_EINVAL;
    pthread_mutex_lock(&threads_lock);
    if (threads[cpu].state != CPU_RUNNING) {
        int err = threads[cpu].state == CPU_IDLE ? FB_ENOENT : FB_EBUSY;
        pthread_mutex_unlock(&threads_lock);
        return err;
    }
    threads[cpu].state = CPU_JOINING;
    thread = threads[cpu].thread;
    pthread_mutex_unlock(&threads_lock);

    pthread_join(thread, NULL);

    pthread_mutex_lock(&threads_lock);
    threads[cpu].state = CPU_IDLE;
    pthread_mutex_unlock(&threads_lock);
    return FB_OK;
}
