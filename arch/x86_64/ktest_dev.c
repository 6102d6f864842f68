/* In-kernel tests of the machine under the scheduler (see ktest.c for
 * the harness): FPU/SSE registers across switches, preemption and
 * migration; a device interrupt through a line bound with a CAP_T_IRQ
 * capability, unbound and unrouted interrupts counted; the cost of a
 * context switch in TSC cycles; DMA pool buffers from the boot DMA zone. */
#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "buddy.h"
#include "cap.h"
#include "dma.h"
#include "exo_sched.h"
#include "fmt.h"
#include "hal/hal.h"
#include "irq.h"
#include "kerr.h"
#include "ktest.h"
#include "x86.h"

#define BENCH_ROUNDS 1000    /* round trips per timed batch */
#define BENCH_BATCHES 5
#define COM1_IER   (0x3F8 + 1)
#define IER_THRE   0x02      /* interrupt when the transmit register is empty */
#define COM1_ISA_IRQ 4
#define VEC_NO_LINE  0xE8    /* a line vector past every IOAPIC's lines */
#define VEC_UNOWNED  0xF8    /* a vector nobody owns */

/* Loads a and b into XMM0 and XMM15. The kernel is built without SSE, so
 * compiled code never touches XMM registers: the asm needs no clobbers
 * and the values must survive everything but a broken switch. */
static void xmm_set(uint64_t a, uint64_t b)
{
    __asm__ volatile("movq %0, %%xmm0\n\tmovq %1, %%xmm15" : : "r"(a), "r"(b));
}

/* Reads XMM0 and XMM15. */
static void xmm_get(uint64_t *a, uint64_t *b)
{
    __asm__ volatile("movq %%xmm0, %0\n\tmovq %%xmm15, %1" : "=r"(*a), "=r"(*b));
}

/* FPU worker: starts from the clean state (zero registers), then keeps
 * its own values in XMM0/XMM15 across yields and preemptions. A worker
 * with migrate set moves to the next CPU before each yield, so its state
 * is restored on a CPU other than the one that saved it. */
static void fpu_worker(void *arg)
{
    struct ktest_work *w = arg;
    uint64_t a, b;

    xmm_get(&a, &b);
    if (a != 0 || b != 0)
        w->errors++;   /* the previous FPU user's registers leaked */
    for (unsigned i = 0; i < w->iters; i++) {
        uint64_t v = w->value ^ i;

        xmm_set(v, ~v);
        if (w->migrate)
            sched_set_affinity(sched_current(), 1ull << (i % hal_cpu_count()));
        if (i % 2 || w->migrate)
            sched_yield_cpu();
        else
            ktest_spin_us(300);
        xmm_get(&a, &b);
        if (a != v || b != ~v)
            w->errors++;
        /* relaxed: statistics. */
        atomic_fetch_or_explicit(&w->cpus, 1ull << hal_cpu_id(), memory_order_relaxed);
        w->done_iters++;
    }
    ktest_worker_finished();
}

/* test=fpu: two FPU workers pinned to CPU 0, one moving from CPU to CPU,
 * and a counting worker that never touches the FPU between them. */
void ktest_dev_fpu(void)
{
    unsigned errors = 0;

    ktest_expect(4);
    for (unsigned i = 0; i < 4; i++)
        ktest_works[i] = (struct ktest_work){
            .id = i, .iters = 100, .value = ktest_mix(i + 1), .migrate = i == 2,
        };
    ktest_spawn(0, fpu_worker, 1);
    ktest_spawn(1, fpu_worker, 1);
    ktest_spawn(2, fpu_worker, SCHED_AFFINITY_ALL);
    ktest_spawn(3, ktest_count_worker, SCHED_AFFINITY_ALL);
    ktest_wait_workers(4);
    for (unsigned i = 0; i < 3; i++)
        errors += ktest_works[i].errors + (ktest_works[i].done_iters != 100);
    /* relaxed: the workers are done. */
    kprintf("ktest: fpu: 3 SSE threads x 100 switches, %u mismatches, "
            "migrating thread on CPUs 0x%lx\n",
            errors, atomic_load_explicit(&ktest_works[2].cpus, memory_order_relaxed));
    if (errors != 0)
        ktest_finish(false, "fpu", "XMM registers changed across a switch");
}

static struct cap_table irq_table;
static struct cap_slot irq_slots[4];
static cap_handle_t irq_cap;

/* IRQ worker: twice makes COM1 raise its transmitter-empty interrupt,
 * waits for it through irq_wait, silences the UART and acknowledges. */
static void irq_worker(void *arg)
{
    struct ktest_work *w = arg;
    uint32_t count;

    for (unsigned i = 0; i < 2; i++) {
        outb(COM1_IER, IER_THRE);
        if (irq_wait(&irq_table, irq_cap, &count) != FB_OK || count == 0)
            w->errors++;
        outb(COM1_IER, 0);
        if (irq_ack(&irq_table, irq_cap) != FB_OK)
            w->errors++;
        w->done_iters++;
    }
    ktest_worker_finished();
}

/* Waits (interrupts on) until *counter passes base, at most 100 ms. */
static bool wait_count(uint64_t (*counter)(void), uint64_t base)
{
    uint64_t end = hal_read_timestamp() + 100000000ull;

    while (counter() <= base && hal_read_timestamp() < end)
        hal_cpu_relax();
    return counter() > base;
}

/* hal_irqline_unhandled as a uint64_t counter for wait_count. */
static uint64_t line_unhandled(void)
{
    return hal_irqline_unhandled();
}

/* A kick to the calling CPU (a self-IPI) is taken as soon as interrupts
 * are on again; a kick to a CPU that is not up is refused. */
static void check_self_kick(void)
{
    hal_irq_state_t irq = hal_irq_disable();
    struct x86_percpu *pc = x86_this_cpu();
    /* relaxed (both loads of kicks): a statistic; the kick's interrupt
     * runs on this CPU, ordered with this thread by the CPU itself. */
    uint64_t before = atomic_load_explicit(&pc->kicks, memory_order_relaxed);
    int err = hal_cpu_kick(pc->id);

    hal_irq_restore(irq);
    if (err != FB_OK || atomic_load_explicit(&pc->kicks, memory_order_relaxed) == before)
        ktest_finish(false, "irq", "a kick to the calling CPU was not taken");
    if (hal_cpu_kick(hal_cpu_count()) != FB_EINVAL)
        ktest_finish(false, "irq", "a kick to a CPU that is not up must give FB_EINVAL");
}

/* test=irq: COM1's line bound through a CAP_T_IRQ capability and routed
 * to the last CPU, two interrupts taken with irq_wait; then unbound, an
 * interrupt on it is dropped and counted; a vector past the lines and an
 * unowned one are counted too, and a self-kick is taken. */
void ktest_dev_irq(void)
{
    int line = hal_irqline_from_isa(COM1_ISA_IRQ);
    unsigned cpu = hal_cpu_count() - 1;
    /* relaxed (both loads of line_irqs): statistics. */
    uint64_t before = atomic_load_explicit(&x86_percpus[cpu].line_irqs, memory_order_relaxed);
    uint64_t dropped, unhandled, unexpected;
    struct irq_stats st;
    int err;

    if (line < 0)
        ktest_finish(false, "irq", "no IOAPIC line for COM1");
    err = irq_init();
    if (err == FB_OK)
        err = cap_table_init(&irq_table, irq_slots, 4, lattice_top());
    if (err == FB_OK)
        err = cap_create(&irq_table, CAP_T_IRQ, (uint64_t)line, CAP_R_ALL, lattice_bottom(),
                         &irq_cap);
    if (err == FB_OK)
        err = irq_bind(&irq_table, irq_cap, cpu);
    if (err != FB_OK)
        ktest_finish(false, "irq", fb_strerror(err));
    ktest_expect(1);
    ktest_works[0] = (struct ktest_work){ .id = 0 };
    ktest_spawn(0, irq_worker, SCHED_AFFINITY_ALL);
    ktest_wait_workers(1);
    if ((err = irq_unbind(&irq_table, irq_cap)) != FB_OK)
        ktest_finish(false, "irq", fb_strerror(err));
    if (ktest_works[0].errors != 0 || irq_stats((unsigned)line, &st) != FB_OK || st.delivered < 2)
        ktest_finish(false, "irq", "the bound line's interrupts did not arrive");
    kprintf("ktest: irq: line %d bound to cpu %u, %lu delivered, %lu taken there\n", line, cpu,
            st.delivered,
            atomic_load_explicit(&x86_percpus[cpu].line_irqs, memory_order_relaxed) - before);

    dropped = irq_dropped_total();
    hal_irqline_unmask((unsigned)line);
    outb(COM1_IER, IER_THRE);
    if (!wait_count(irq_dropped_total, dropped))
        ktest_finish(false, "irq", "an interrupt on the unbound line was not counted");
    outb(COM1_IER, 0);

    unhandled = hal_irqline_unhandled();
    unexpected = x86_unexpected_count();
    lapic_send_ipi(x86_this_cpu()->apic_id, VEC_NO_LINE);
    lapic_send_ipi(x86_this_cpu()->apic_id, VEC_UNOWNED);
    if (!wait_count(line_unhandled, unhandled) || !wait_count(x86_unexpected_count, unexpected))
        ktest_finish(false, "irq", "an interrupt on an unrouted vector was not counted");
    check_self_kick();
    kprintf("ktest: irq: unbound line dropped %lu, unrouted vectors counted (%lu, %lu), "
            "%lu spurious\n", irq_dropped_total() - dropped, hal_irqline_unhandled() - unhandled,
            x86_unexpected_count() - unexpected, x86_spurious_count());
}

static hal_context_t bench_a, bench_b;

/* The other side of the raw switch benchmark: switches straight back. */
static void bench_entry(void *arg)
{
    bool fpu = arg != NULL;

    for (;;) {
        if (fpu)
            xmm_set(1, 2);
        hal_context_switch(&bench_b, &bench_a);
    }
}

/* Cycles of one hal_context_switch: the fastest of BENCH_BATCHES batches
 * of BENCH_ROUNDS ping-pong round trips, halved (the fastest, since under
 * TCG on a shared host the slower ones measure the host). With fpu both
 * sides are FPU users: FXSAVE and FXRSTOR on every switch. */
static uint64_t bench_raw(bool fpu)
{
    hal_irq_state_t irq = hal_irq_disable();
    uint64_t best = UINT64_MAX;

    hal_context_init(&bench_b, ktest_stacks[KTEST_WORKERS - 1], KTEST_STACK_SIZE, bench_entry,
                     fpu ? &bench_b : NULL);
    hal_context_switch(&bench_a, &bench_b);        /* warm up: the first run takes #NM */
    if (fpu)
        xmm_set(3, 4);
    for (unsigned b = 0; b < BENCH_BATCHES; b++) {
        uint64_t t0 = hal_read_cycles();

        for (unsigned i = 0; i < BENCH_ROUNDS; i++)
            hal_context_switch(&bench_a, &bench_b);
        t0 = hal_read_cycles() - t0;
        if (t0 < best)
            best = t0;
    }
    hal_irq_restore(irq);
    return best / (2 * BENCH_ROUNDS);
}

static uint64_t yield_best;     /* written by yield worker 0, read once it is done */
static atomic_bool yield_done;

/* The sched_yield_cpu pair, pinned to one CPU so each yield switches to
 * the other: worker 0 times BENCH_BATCHES batches of BENCH_ROUNDS yields
 * (two switches each) and keeps the fastest; worker 1 yields until
 * worker 0 is done. */
static void yield_worker(void *arg)
{
    struct ktest_work *w = arg;

    if (w->id != 0) {
        /* acquire: pairs with worker 0's release below. */
        while (!atomic_load_explicit(&yield_done, memory_order_acquire))
            sched_yield_cpu();
        ktest_worker_finished();
        return;
    }
    yield_best = UINT64_MAX;
    for (unsigned b = 0; b < BENCH_BATCHES; b++) {
        uint64_t t0 = hal_read_cycles();

        for (unsigned i = 0; i < BENCH_ROUNDS; i++)
            sched_yield_cpu();
        t0 = hal_read_cycles() - t0;
        if (t0 < yield_best)
            yield_best = t0;
    }
    /* release: ends worker 1's loop. */
    atomic_store_explicit(&yield_done, true, memory_order_release);
    ktest_worker_finished();
}

/* test=ctxsw: hal_context_switch alone (with and without FPU state), a
 * sched_yield_cpu switch between two threads on one CPU and a null system
 * call round trip from user mode (ktest_user.c), in TSC cycles. */
void ktest_dev_ctxsw(void)
{
    uint64_t raw = bench_raw(false), fpu = bench_raw(true);
    uint64_t cpu = 1ull << (hal_cpu_count() - 1);

    ktest_expect(2);
    ktest_works[0] = (struct ktest_work){ .id = 0 };
    ktest_works[1] = (struct ktest_work){ .id = 1 };
    ktest_spawn(0, yield_worker, cpu);
    ktest_spawn(1, yield_worker, cpu);
    ktest_wait_workers(2);
    kprintf("bench: ctxsw_cycles %lu\n", raw);
    kprintf("bench: ctxsw_fpu_cycles %lu\n", fpu);
    kprintf("bench: ctxsw_yield_cycles %lu\n", yield_best / (2 * BENCH_ROUNDS));
    ktest_user_bench();
}

#define DMA_BUFS      8
#define DMA_BUF_BYTES 8192u
#define DMA_ALIGN     16384u

static struct cap_table dma_table;
static struct cap_slot dma_slots[2 * DMA_BUFS + 4];
static struct dma_buf dma_records[DMA_BUFS], big_records[DMA_BUFS];
static struct dma_pool dma_pool, big_pool;

/* Stops the dma test with why when err is not want. */
static void dma_expect(int err, int want, const char *why)
{
    if (err != want)
        ktest_finish(false, "dma", why);
}

/* True when the len bytes at p are all zero. */
static bool all_zero(const volatile uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0)
            return false;
    }
    return true;
}

/* test=dma: buffers from the boot DMA zone are physically contiguous,
 * below 4 GiB, aligned and zeroed, owned by their root capability (a
 * derived copy cannot free, a second free is stale), and the zone runs
 * out cleanly and coalesces back to one block. */
void ktest_dev_dma(void)
{
    struct buddy *zone = bootmem_dma_zone();
    cap_handle_t h[DMA_BUFS], child, extra;
    uint64_t pa[DMA_BUFS], big_pa, bad;
    void *kva[DMA_BUFS];
    struct buddy_stats bs;
    unsigned big = 0;

    if (zone == NULL)
        ktest_finish(false, "dma", "no DMA zone at boot");
    dma_expect(cap_table_init(&dma_table, dma_slots, 2 * DMA_BUFS + 4, lattice_top()), FB_OK,
               "cap_table_init");
    dma_expect(dma_pool_init(&dma_pool, zone, DMA_BUF_BYTES, DMA_ALIGN, dma_records, DMA_BUFS),
               FB_OK, "dma_pool_init");
    for (unsigned i = 0; i < DMA_BUFS; i++) {
        dma_expect(dma_alloc(&dma_pool, &dma_table, &h[i], &pa[i], &kva[i]), FB_OK, "dma_alloc");
        if (pa[i] % DMA_ALIGN != 0 || pa[i] + DMA_BUF_BYTES > DMA_LIMIT)
            ktest_finish(false, "dma", "a buffer is misaligned or above 4 GiB");
        if (!all_zero(kva[i], DMA_ALIGN))
            ktest_finish(false, "dma", "a fresh buffer is not zeroed");
        for (unsigned b = 0; b < DMA_BUF_BYTES; b++)
            ((volatile uint8_t *)kva[i])[b] = (uint8_t)(0xA5 ^ i);
    }
    dma_expect(dma_alloc(&dma_pool, &dma_table, &extra, &bad, &kva[0]), FB_ENOMEM,
               "a pool with every record in use must refuse");
    dma_expect(cap_derive(&dma_table, h[0], CAP_R_READ | CAP_R_WRITE, lattice_bottom(), &child),
               FB_OK, "cap_derive");
    dma_expect(dma_free(&dma_pool, &dma_table, child), FB_EPERM, "a derived copy freed a buffer");
    dma_expect(dma_free(&dma_pool, &dma_table, h[0]), FB_OK, "dma_free");
    if (cap_verify(&dma_table, child, CAP_R_READ) == FB_OK)
        ktest_finish(false, "dma", "a copy outlived its freed buffer");
    dma_expect(dma_free(&dma_pool, &dma_table, h[0]), FB_ESTALE, "a second free must be stale");
    dma_expect(dma_alloc(&dma_pool, &dma_table, &h[0], &pa[0], &kva[0]), FB_OK, "dma_alloc again");
    if (!all_zero(kva[0], DMA_ALIGN))
        ktest_finish(false, "dma", "a reused buffer kept the previous owner's bytes");

    /* 1 MiB buffers from the same zone until it runs out. */
    dma_expect(dma_pool_init(&big_pool, zone, 1u << 20, 0, big_records, DMA_BUFS), FB_OK,
               "dma_pool_init (1 MiB)");
    cap_handle_t bh[DMA_BUFS];
    int err;

    while ((err = dma_alloc(&big_pool, &dma_table, &bh[big], &big_pa, &kva[0])) == FB_OK)
        big++;
    dma_expect(err, FB_ENOMEM, "an exhausted zone must give FB_ENOMEM");
    if (big == 0 || big >= X86_DMA_ZONE_BYTES >> 20)
        ktest_finish(false, "dma", "the 1 MiB pool got an impossible number of buffers");
    for (unsigned i = 0; i < big; i++)
        dma_expect(dma_free(&big_pool, &dma_table, bh[i]), FB_OK, "dma_free (1 MiB)");
    for (unsigned i = 0; i < DMA_BUFS; i++)
        dma_expect(dma_free(&dma_pool, &dma_table, h[i]), FB_OK, "dma_free (all)");
    dma_expect(buddy_check(zone, &bad), FB_OK, "the zone's buddy check failed");
    dma_expect(buddy_stats(zone, &bs), FB_OK, "buddy_stats");
    if (bs.largest_free_bytes != X86_DMA_ZONE_BYTES)
        ktest_finish(false, "dma", "the zone did not coalesce back into one block");
    kprintf("ktest: dma: %u buffers of %u bytes (%u-aligned, below 4 GiB, zeroed), "
            "%u of 1 MiB until FB_ENOMEM, ownership errors ok, zone coalesced\n", DMA_BUFS,
            DMA_BUF_BYTES, DMA_ALIGN, big);
}
