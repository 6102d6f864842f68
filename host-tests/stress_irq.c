/* Stress of core/irq on four simulated CPUs: one waiter thread per line
 * loops on irq_wait/irq_ack while plain pthreads play devices raising the
 * lines as fast as they can; then a controller thread unbinds every line.
 * Checks that each waiter took only interrupts that were delivered, that
 * delivered ones never outnumber the edges raised, that unbinding wakes
 * every waiter, and that the scheduler is consistent afterwards. Meant to
 * run under host-tsan too. Exit 0 = pass. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>

#include "cap.h"
#include "hal_host.h"
#include "hal_host_irqline.h"
#include "irq.h"
#include "kerr.h"
#include "lattice.h"
#include "exo_sched.h"

#define CPUS 4u
#define LINES 4u
#define EDGES 5000u
#define STACK (64u * 1024u)
#define SLOTS 64u

static _Alignas(64) struct cap_slot slots[SLOTS];
static struct cap_table table;
static cap_handle_t caps[LINES];
static struct sched_thread waiters[LINES], controller;
static _Alignas(16) unsigned char stacks[LINES + 1][STACK];
static uint64_t taken[LINES];      /* written by waiter i only */
static int endings[LINES];         /* irq_wait's result that ended waiter i */
static atomic_uint bound, devices_done;

/* Prints why and fails. */
static void fail(const char *what, int err)
{
    fprintf(stderr, "stress_irq: %s: %s\n", what, fb_strerror(err));
    exit(1);
}

/* Waiter i: binds line i, then takes interrupts until the line is unbound. */
static void waiter_main(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    int err = irq_bind(&table, caps[i], i % CPUS);

    if (err != FB_OK)
        fail("irq_bind", err);
    /* release: the devices start raising only after every bind. */
    atomic_fetch_add_explicit(&bound, 1, memory_order_release);
    for (;;) {
        uint32_t n = 0;

        err = irq_wait(&table, caps[i], &n);
        if (err != FB_OK)
            break;
        taken[i] += n;
        err = irq_ack(&table, caps[i]);
        if (err != FB_OK && err != FB_ENOENT)
            fail("irq_ack", err);
    }
    endings[i] = err;
}

/* Controller: waits for the devices, then unbinds every line. */
static void controller_main(void *arg)
{
    (void)arg;
    /* acquire: pairs with the devices' release of their last raise. */
    while (atomic_load_explicit(&devices_done, memory_order_acquire) < LINES)
        sched_yield_cpu();
    for (unsigned i = 0; i < LINES; i++) {
        int err = irq_unbind(&table, caps[i]);

        if (err != FB_OK)
            fail("irq_unbind", err);
    }
}

/* Device i: raises line i EDGES times once every line is bound. */
static void *device_main(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;

    while (atomic_load_explicit(&bound, memory_order_acquire) < LINES)
        sched_yield();   /* POSIX: a plain host thread, not a simulated CPU */
    for (unsigned k = 0; k < EDGES; k++) {
        int err = hal_host_irqline_raise(i);

        if (err != FB_OK)
            fail("raise", err);
        sched_yield();   /* let the waiters interleave with the edges */
    }
    atomic_fetch_add_explicit(&devices_done, 1, memory_order_release);
    return NULL;
}

/* Body of simulated CPUs 1 .. CPUS - 1. */
static void cpu_main(void *arg)
{
    (void)arg;
    sched_cpu_run();
}

int main(void)
{
    pthread_t devices[LINES];
    const char *why = NULL;
    int err;

    if ((err = hal_host_set_cpu_count(CPUS)) != FB_OK)
        fail("set_cpu_count", err);
    if ((err = sched_init(NULL, 0)) != FB_OK)
        fail("sched_init", err);
    if ((err = irq_init()) != FB_OK)
        fail("irq_init", err);
    if ((err = cap_table_init(&table, slots, SLOTS, lattice_top())) != FB_OK)
        fail("cap_table_init", err);
    for (unsigned i = 0; i < LINES; i++) {
        if ((err = cap_create(&table, CAP_T_IRQ, i, CAP_R_RECV, lattice_bottom(), &caps[i])) != FB_OK)
            fail("cap_create", err);
        if ((err = sched_thread_create(&waiters[i], "waiter", waiter_main, (void *)(uintptr_t)i,
                                       stacks[i], STACK, NULL)) != FB_OK)
            fail("sched_thread_create", err);
    }
    if ((err = sched_thread_create(&controller, "controller", controller_main, NULL,
                                   stacks[LINES], STACK, NULL)) != FB_OK)
        fail("sched_thread_create", err);
    for (unsigned i = 0; i < LINES; i++) {
        if (pthread_create(&devices[i], NULL, device_main, (void *)(uintptr_t)i) != 0)
            fail("pthread_create", FB_ENOMEM);
    }
    for (unsigned c = 1; c < CPUS; c++) {
        if ((err = hal_host_cpu_start(c, cpu_main, NULL)) != FB_OK)
            fail("hal_host_cpu_start", err);
    }
    for (unsigned i = 0; i < LINES; i++)
        sched_thread_start(&waiters[i]);
    sched_thread_start(&controller);
    sched_shutdown();
    sched_cpu_run();
    for (unsigned c = 1; c < CPUS; c++)
        hal_host_cpu_join(c);
    for (unsigned i = 0; i < LINES; i++)
        pthread_join(devices[i], NULL);

    if ((err = sched_check(&why)) != FB_OK) {
        fprintf(stderr, "stress_irq: sched_check: %s\n", why ? why : "?");
        return 1;
    }
    for (unsigned i = 0; i < LINES; i++) {
        struct irq_stats st;

        irq_stats(i, &st);
        if (endings[i] != FB_ENOENT)
            fail("a waiter ended otherwise than by unbind", endings[i]);
        if (taken[i] == 0 || taken[i] > st.delivered || st.delivered > EDGES) {
            fprintf(stderr, "stress_irq: line %u: took %lu, delivered %lu, raised %u\n", i,
                    (unsigned long)taken[i], (unsigned long)st.delivered, EDGES);
            return 1;
        }
        printf("stress_irq: line %u: %u edges raised, %lu delivered, %lu taken, %lu dropped\n", i,
               EDGES, (unsigned long)st.delivered, (unsigned long)taken[i],
               (unsigned long)st.dropped);
    }
    return 0;
}
