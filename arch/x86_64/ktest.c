/* In-kernel tests (test=NAME on the command line) of what only a real
 * machine has. This file is the harness (the scheduler on every CPU, a
 * controller thread that runs the tests, prints "ktest: NAME ok" lines
 * and ends the run through isa-debug-exit, workers and their records)
 * and the scheduler tests: kernel threads under each policy on every CPU,
 * live policy switches, timer preemption. ktest_dev.c has the FPU, device
 * interrupt and context-switch tests, ktest_user.c the user-mode ones. */
#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "exo_sched.h"
#include "fmt.h"
#include "hal/hal.h"
#include "kerr.h"
#include "ktest.h"
#include "x86.h"

#define ITERS      200       /* sched test: yields per worker */
#define SWITCH_ITERS 1000    /* switch test: yields per worker */
#define WORK_US    100       /* work per iteration, interrupts on */

/* Every test round (one ktest_expect) gets fresh thread structs, so a
 * round never waits for the last round's threads to be off their CPUs;
 * stacks are reused once their threads are done. */
static struct sched_thread threads[KTEST_ROUNDS][KTEST_WORKERS];
static unsigned rounds;                /* rounds begun; the current one is rounds - 1 */
uint8_t ktest_stacks[KTEST_WORKERS][KTEST_STACK_SIZE] __attribute__((aligned(16)));
struct ktest_work ktest_works[KTEST_WORKERS];
static struct sched_thread controller;
static uint8_t controller_stack[KTEST_STACK_SIZE] __attribute__((aligned(16)));
static const struct cmdline_opts *opts;
static _Atomic uint64_t cpu_iters[X86_MAX_CPUS];
static atomic_uint double_runs;
static struct sched_waitq done_wq;
static atomic_uint live;               /* workers not yet finished */

/* Ends the run: prints the verdict of test name and leaves QEMU. */
_Noreturn void ktest_finish(bool ok, const char *name, const char *why)
{
    if (ok)
        kprintf("ktest: %s ok\n", name);
    else
        kprintf("ktest: %s FAILED: %s\n", name, why);
    hal_halt(ok ? HAL_EXIT_SUCCESS : HAL_EXIT_FAILURE);
}

/* A 64-bit mix (splitmix64's finalizer): each iteration's share of a
 * worker's checksum. */
uint64_t ktest_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* The checksum worker id must reach after iters iterations. */
static uint64_t expected_sum(unsigned id, unsigned iters)
{
    uint64_t s = 0;

    for (unsigned i = 0; i < iters; i++)
        s += ktest_mix((uint64_t)id << 32 | i);
    return s;
}

/* Busy-waits us microseconds with interrupts on: preemptible work. */
void ktest_spin_us(uint64_t us)
{
    uint64_t end = hal_read_timestamp() + us * 1000;

    while (hal_read_timestamp() < end)
        hal_cpu_relax();
}

/* Marks one worker finished and wakes the controller. */
void ktest_worker_finished(void)
{
    /* release: the worker's results happen before the controller's
     * acquire load of live. */
    atomic_fetch_sub_explicit(&live, 1, memory_order_release);
    sched_wake_all(&done_wq);
}

/* sched_cond_fn: every worker has finished. */
static bool all_finished(void *arg)
{
    (void)arg;
    /* acquire: pairs with ktest_worker_finished. */
    return atomic_load_explicit(&live, memory_order_acquire) == 0;
}

/* Begins a test round: n workers will call ktest_worker_finished before
 * the controller goes on. Call before starting them. */
void ktest_expect(unsigned n)
{
    if (rounds == KTEST_ROUNDS)
        ktest_finish(false, "ktest", "more test rounds than KTEST_ROUNDS");
    rounds++;
    /* relaxed: sched_thread_start orders it before the workers run. */
    atomic_store_explicit(&live, n, memory_order_relaxed);
}

/* Worker i of the current round. */
struct sched_thread *ktest_thread(unsigned i)
{
    return &threads[rounds - 1][i];
}

/* Creates and starts worker i running fn on the CPUs in affinity, in
 * address space as (NULL: the kernel's only). */
void ktest_spawn_in(unsigned i, void (*fn)(void *), uint64_t affinity, hal_aspace_t *as)
{
    char name[SCHED_NAME_LEN];
    int err;

    fmt_snprintf(name, sizeof name, "worker%u", i);
    err = sched_thread_create(ktest_thread(i), name, fn, &ktest_works[i], ktest_stacks[i],
                              KTEST_STACK_SIZE, NULL);
    ktest_thread(i)->as = as;
    if (err == FB_OK && affinity != SCHED_AFFINITY_ALL)
        err = sched_set_affinity(ktest_thread(i), affinity);
    if (err == FB_OK)
        err = sched_thread_start(ktest_thread(i));
    if (err != FB_OK)
        ktest_finish(false, "spawn", fb_strerror(err));
}

/* Creates and starts kernel worker i running fn on the CPUs in affinity. */
void ktest_spawn(unsigned i, void (*fn)(void *), uint64_t affinity)
{
    ktest_spawn_in(i, fn, affinity, NULL);
}

/* Starts n workers with iters iterations each and waits until all have
 * finished (blocked on done_wq, so the controller takes no CPU time). */
static void run_workers(unsigned n, unsigned iters, void (*fn)(void *), uint64_t affinity)
{
    ktest_expect(n);
    for (unsigned i = 0; i < n; i++) {
        ktest_works[i] = (struct ktest_work){ .id = i, .iters = iters };
        ktest_spawn(i, fn, affinity);
    }
}

/* Blocks the controller until every worker finished, then waits until
 * their stacks are off every CPU. */
void ktest_wait_workers(unsigned n)
{
    int err = sched_wait_event(&done_wq, all_finished, NULL);

    if (err != FB_OK)
        ktest_finish(false, "wait", fb_strerror(err));
    for (unsigned i = 0; i < n; i++) {
        while (!sched_thread_done(ktest_thread(i)))
            sched_yield_cpu();
    }
}

/* The counting worker: each iteration adds its share to the checksum,
 * notes the CPU, works WORK_US and yields (long enough that every CPU,
 * a vCPU thread the host may run late, gets to steal some). running
 * catches the same thread on two CPUs at once. */
void ktest_count_worker(void *arg)
{
    struct ktest_work *w = arg;

    for (unsigned i = 0; i < w->iters; i++) {
        unsigned cpu = hal_cpu_id();

        /* acq_rel: an overlap with another CPU running this thread would
         * see the other's 1. */
        if (atomic_exchange_explicit(&w->running, 1, memory_order_acq_rel) != 0) {
            /* relaxed: a count read after all workers finished. */
            atomic_fetch_add_explicit(&double_runs, 1, memory_order_relaxed);
        }
        w->sum += ktest_mix((uint64_t)w->id << 32 | i);
        w->done_iters++;
        /* relaxed: statistics read after all workers finished. */
        atomic_fetch_or_explicit(&w->cpus, 1ull << cpu, memory_order_relaxed);
        atomic_fetch_add_explicit(&cpu_iters[cpu], 1, memory_order_relaxed);
        ktest_spin_us(WORK_US);
        atomic_store_explicit(&w->running, 0, memory_order_release);
        sched_yield_cpu();
    }
    ktest_worker_finished();
}

/* True when every counting worker ran all its iterations, each once,
 * and reached its checksum. */
static bool sums_ok(unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (ktest_works[i].done_iters != ktest_works[i].iters ||
            ktest_works[i].sum != expected_sum(i, ktest_works[i].iters))
            return false;
    }
    /* relaxed: the workers are done. */
    return atomic_load_explicit(&double_runs, memory_order_relaxed) == 0;
}

/* Prints what each CPU ran; true when every CPU that is up ran some. */
static bool every_cpu_ran(void)
{
    bool all = true;

    for (unsigned c = 0; c < hal_cpu_count(); c++) {
        /* relaxed: the workers are done. */
        uint64_t it = atomic_load_explicit(&cpu_iters[c], memory_order_relaxed);

        kprintf("ktest: cpu %u ran %lu iterations, %lu kicks taken\n", c, it,
                atomic_load_explicit(&x86_percpus[c].kicks, memory_order_relaxed));
        all &= it != 0;
    }
    return all;
}

/* test=sched: KTEST_WORKERS threads x ITERS yields under the chosen policy. */
static void test_sched(void)
{
    const char *why = NULL;
    bool ok;

    run_workers(KTEST_WORKERS, ITERS, ktest_count_worker, SCHED_AFFINITY_ALL);
    ktest_wait_workers(KTEST_WORKERS);
    ok = sums_ok(KTEST_WORKERS);
    kprintf("ktest: sched %s: %u threads x %u iterations on %u CPUs, checksums %s\n",
            sched_policy()->name, KTEST_WORKERS, ITERS, hal_cpu_count(), ok ? "match" : "differ");
    if (!ok)
        ktest_finish(false, "sched", "a thread's work was lost or done twice");
    if (!every_cpu_ran())
        ktest_finish(false, "sched", "a CPU ran no thread");
    if (sched_check(&why) != FB_OK)
        ktest_finish(false, "sched", why);
}

/* test=switch: the active policy cycles through rr, prio and stride
 * while the workers run; each switch is followed by sched_check. */
static void test_switch(void)
{
    static const char *const names[] = { "prio", "stride", "rr" };
    const char *why = NULL;
    unsigned switches = 0;

    run_workers(KTEST_WORKERS, SWITCH_ITERS, ktest_count_worker, SCHED_AFFINITY_ALL);
    /* acquire: pairs with ktest_worker_finished. */
    while (atomic_load_explicit(&live, memory_order_acquire) != 0) {
        int err = sched_set_policy(sched_policy_find(names[switches % 3]));

        if (err != FB_OK)
            ktest_finish(false, "switch", fb_strerror(err));
        switches++;
        if (sched_check(&why) != FB_OK)
            ktest_finish(false, "switch", why);
        ktest_spin_us(2000);
    }
    ktest_wait_workers(KTEST_WORKERS);
    if (!sums_ok(KTEST_WORKERS))
        ktest_finish(false, "switch", "a thread's work was lost or done twice");
    every_cpu_ran();
    if (switches < 3)
        ktest_finish(false, "switch", "the workers finished before three policy switches");
    kprintf("ktest: switch: %u live policy switches, %u threads x %u iterations, none lost or "
            "run twice\n", switches, KTEST_WORKERS, SWITCH_ITERS);
}

static atomic_bool spinner_started, spinner_stop;

/* Never yields: spins with interrupts on until told to stop. */
static void spinner(void *arg)
{
    (void)arg;
    /* release/acquire: flags between two threads, nothing else ordered. */
    atomic_store_explicit(&spinner_started, true, memory_order_release);
    while (!atomic_load_explicit(&spinner_stop, memory_order_acquire))
        hal_cpu_relax();
    ktest_worker_finished();
}

/* Also never yields: makes progress in 200 us steps, then stops the
 * spinner. It can only run while the spinner is preempted. */
static void progresser(void *arg)
{
    struct ktest_work *w = arg;

    for (unsigned i = 0; i < w->iters; i++) {
        ktest_spin_us(200);
        w->done_iters++;
    }
    /* release: pairs with the spinner's acquire. */
    atomic_store_explicit(&spinner_stop, true, memory_order_release);
    ktest_worker_finished();
}

/* test=preempt: a spinner and a progresser pinned to CPU 0; the
 * progresser started only once the spinner runs. */
static void test_preempt(void)
{
    ktest_expect(2);
    ktest_works[0] = (struct ktest_work){ .id = 0 };
    ktest_works[1] = (struct ktest_work){ .id = 1, .iters = 50 };
    ktest_spawn(0, spinner, 1);
    /* acquire: pairs with the spinner's release. */
    while (!atomic_load_explicit(&spinner_started, memory_order_acquire))
        sched_yield_cpu();
    ktest_spawn(1, progresser, 1);
    ktest_wait_workers(2);
    kprintf("ktest: preempt: the spinner was preempted %lu times, the progresser made %u steps\n",
            ktest_thread(0)->stats.preemptions, ktest_works[1].done_iters);
    if (ktest_thread(0)->stats.preemptions == 0 || ktest_works[1].done_iters != 50)
        ktest_finish(false, "preempt", "the spinner was never preempted");
}

/* Waits until every CPU that is up has reached its scheduler idle loop,
 * so no test starts while an AP (a vCPU the host may run late) is still
 * on its way and the first placements all go to the boot CPU. */
static void wait_cpus_scheduling(void)
{
    for (unsigned c = 0; c < hal_cpu_count(); c++) {
        struct sched_cpu_stats st = { 0 };

        while (sched_cpu_stats(c, &st) == FB_OK && st.idle_waits == 0 && c != hal_cpu_id())
            sched_yield_cpu();
    }
}

/* The controller thread: runs the selected test(s), then ends the run. */
static void controller_main(void *arg)
{
    enum cmdline_test t = opts->test;

    (void)arg;
    wait_cpus_scheduling();
    if (t == TEST_SCHED || t == TEST_ALL)
        test_sched();
    if (t == TEST_SWITCH || t == TEST_ALL)
        test_switch();
    if (t == TEST_PREEMPT || t == TEST_ALL)
        test_preempt();
    if (t == TEST_FPU || t == TEST_ALL)
        ktest_dev_fpu();
    if (t == TEST_IRQ || t == TEST_ALL)
        ktest_dev_irq();
    if (t == TEST_DMA || t == TEST_ALL)
        ktest_dev_dma();
    if (t == TEST_USER || t == TEST_ALL)
        ktest_user();
    if (t == TEST_CTXSW)
        ktest_dev_ctxsw();
    ktest_finish(true, cmdline_test_name(t), NULL);
}

/* What each AP runs: scheduling, with interrupts on as sched_cpu_run wants. */
static void ap_sched(void)
{
    __asm__ volatile("sti");
    sched_cpu_run();
}

/* Starts the scheduler with the policy of sched= on every CPU and runs
 * the test of test= in the controller thread. Boot CPU, after boot ok. */
_Noreturn void ktest_run(const struct cmdline_opts *o)
{
    const struct exo_sched_ops *ops = NULL;
    int err;

    opts = o;
    if (o->sched[0] != '\0' && (ops = sched_policy_find(o->sched)) == NULL)
        ktest_finish(false, "setup", "unknown sched= policy");
    if ((err = sched_init(ops, 0)) != FB_OK)
        ktest_finish(false, "sched_init", fb_strerror(err));
    sched_waitq_init(&done_wq);
    err = sched_thread_create(&controller, "controller", controller_main, NULL, controller_stack,
                              KTEST_STACK_SIZE, NULL);
    if (err == FB_OK)
        err = sched_thread_start(&controller);
    if (err != FB_OK)
        ktest_finish(false, "controller", fb_strerror(err));
    smp_run_aps(ap_sched);
    sched_cpu_run();
    ktest_finish(false, "ktest", "sched_cpu_run returned");
}
