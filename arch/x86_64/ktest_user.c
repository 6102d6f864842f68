/* test=user: user threads under the scheduler, each in an address space
 * of its own holding the programs of ktest_user.S (one shared code page),
 * a stack page and sometimes a data page. A system call handler and a
 * fault handler of the test's own stand in for core's. Rounds: a system
 * call with no handler (FB_ENOSYS); 100000 null calls, timed; SSE state
 * of four threads across yields and preemption; registers kept across a
 * call; hal_copy_from_user with bad pointers; faults of every kind; TLB
 * entries dropped on other CPUs after protect and unmap. Then the
 * address-space walk (hal_aspace_next) and the console's receiver. */
#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "exo_sched.h"
#include "fmt.h"
#include "hal/hal.h"
#include "kerr.h"
#include "kstring.h"
#include "ktest.h"
#include "ktest_user.h"
#include "x86.h"

#define LOG_MAX   16
#define USER_CODE (HAL_MAP_READ | HAL_MAP_EXEC | HAL_MAP_USER)
#define USER_RW   (HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_USER)
#define PF_USER   0x4      /* #PF error: user mode */
#define PF_WRITE  0x6      /* #PF error: write, user mode */
#define PF_PROT_WRITE 0x7  /* #PF error: present, write, user mode */
#define COM1_MCR  (0x3F8 + 4)
#define MCR_LOOP  0x10     /* UART loopback: what is sent is received */

_Static_assert(KT_PROT_RO == (HAL_MAP_READ | HAL_MAP_USER), "ktest_user.h");
_Static_assert(KT_ENOSYS == FB_ENOSYS, "ktest_user.h");
_Static_assert(KT_CODE_VA == HAL_USER_BASE, "ktest_user.h");

extern const char ktest_user_code[], ktest_user_code_end[];
extern const char ktest_user_enosys[], ktest_user_enosys_ok[], ktest_user_null[],
    ktest_user_sse[], ktest_user_sse_spin[], ktest_user_regs[], ktest_user_regs_ret[],
    ktest_user_copy[], ktest_user_pf[], ktest_user_pf_at[], ktest_user_ud[], ktest_user_gp[],
    ktest_user_wx[], ktest_user_wx_at[], ktest_user_tlb_protect[], ktest_user_tlb_protect_local[],
    ktest_user_tlb_unmap[], ktest_user_tlb_unmap_local[], ktest_user_tlb_at[];

/* One program to start: where, with what, on which CPUs. */
struct uprog {
    const char *entry;     /* its label in ktest_user.S; NULL: TOP_SYSCALL */
    uint64_t arg;
    uint64_t affinity;
    bool data;             /* map a data page at KT_DATA_VA */
};

/* A SYSCALL in the last two bytes of user space (the code page mapped a
 * second time at the top): its return address is not canonical. */
#define TOP_PAGE    (HAL_USER_TOP - HAL_PAGE_SIZE)
#define TOP_SYSCALL (HAL_USER_TOP - 2)

/* One user thread of the current round. Written by the thread (through
 * the handlers), read by the controller after ktest_wait_workers. */
struct urun {
    hal_aspace_t *as;
    uint64_t stack_pa, data_pa;    /* its own frames (data_pa 0: none) */
    uintptr_t ip;
    bool exited, faulted;
    int64_t exit_code;
    struct hal_user_fault fault;
    int64_t log[LOG_MAX];          /* KT_RECORD values */
    unsigned nlog;
    uint64_t copied;               /* what the last good KT_COPY read */
    uint64_t cpus;                 /* CPUs KT_MIGRATE reached */
};

static struct urun runs[KTEST_WORKERS];
static uint64_t code_pa;
static _Atomic uint64_t null_calls;

/* The user address of a label in ktest_user.S. */
static uintptr_t user_ip(const char *label)
{
    return KT_CODE_VA + (uintptr_t)(label - ktest_user_code);
}

/* Stops the test with why. */
_Noreturn static void fail(const char *why)
{
    ktest_finish(false, "user", why);
}

/* A zeroed frame from the boot allocator. */
static uint64_t zeroed_frame(void)
{
    uint64_t pa;

    if (bootmem_frame_alloc(&pa) != FB_OK)
        fail("out of frames");
    kmemset(hal_phys_to_virt(pa), 0, HAL_PAGE_SIZE);
    return pa;
}

/* The run of the calling thread. */
static struct urun *current_run(void)
{
    struct sched_thread *t = sched_current();

    for (unsigned i = 0; i < KTEST_WORKERS; i++) {
        if (ktest_thread(i) == t)
            return &runs[i];
    }
    fail("a system call or fault from a thread that is not a test thread");
}

/* Ends the calling user thread. */
_Noreturn static void end_thread(void)
{
    ktest_worker_finished();
    sched_exit();
}

/* KT_CLOBBER: every caller-saved register the SYSCALL path must not hand
 * back gets a kernel value. */
static void clobber(void)
{
    __asm__ volatile("movq $-1, %%rdi\n\tmovq $-1, %%rsi\n\tmovq $-1, %%rdx\n\t"
                     "movq $-1, %%rcx\n\tmovq $-1, %%r8\n\tmovq $-1, %%r9\n\t"
                     "movq $-1, %%r10\n\tmovq $-1, %%r11"
                     ::: "rdi", "rsi", "rdx", "rcx", "r8", "r9", "r10", "r11");
}

/* KT_CHECK_REGS: the program pushed RBX, RBP, RDI, RSI, RDX, R8-R10,
 * R12-R15, RCX, R11 (lowest address first) right after the call. Bit n
 * of the result: word n differs; bit 14: RSP was not kept. */
static int64_t check_regs(uintptr_t u)
{
    uint64_t got[14];
    int64_t mask = 0;
    int err = hal_copy_from_user(got, u, sizeof got);

    if (err != FB_OK)
        return err;
    for (unsigned n = 0; n < 12; n++)
        mask |= (int64_t)(got[n] != (uint64_t)KT_REG(n + 1)) << n;
    mask |= (int64_t)(got[12] != user_ip(ktest_user_regs_ret)) << 12;
    mask |= (int64_t)(got[13] != KT_RFLAGS) << 13;
    mask |= (int64_t)(u != KT_STACK_TOP - sizeof got) << 14;
    return mask;
}

/* KT_MIGRATE: moves the caller to CPU n mod CPUs (KT_LAST_CPU: the last). */
static int64_t migrate(struct urun *r, uint64_t n)
{
    unsigned count = hal_cpu_count();
    unsigned c = n == KT_LAST_CPU ? count - 1 : (unsigned)(n % count);

    if (sched_set_affinity(sched_current(), 1ull << c) != FB_OK)
        fail("sched_set_affinity");
    sched_yield_cpu();
    r->cpus |= 1ull << hal_cpu_id();
    return hal_cpu_id();
}

/* KT_COPY: up to 8 bytes through hal_copy_from_user. */
static int64_t copy(struct urun *r, uintptr_t u, uint64_t n)
{
    uint64_t v = 0;
    int err = hal_copy_from_user(&v, u, n > sizeof v ? sizeof v : n);

    if (err == FB_OK)
        r->copied = v;
    return err;
}

/* The test's system call handler (hal_syscall_fn). */
static int64_t test_syscall(uint64_t nr, const uint64_t a[HAL_SYSCALL_ARGS])
{
    struct urun *r;

    if (nr == KT_NULL) {
        /* relaxed: a count read after the thread finished. */
        atomic_fetch_add_explicit(&null_calls, 1, memory_order_relaxed);
        return KT_NULL_MARK;
    }
    r = current_run();
    switch (nr) {
    case KT_EXIT:
        r->exited = true;
        r->exit_code = (int64_t)a[0];
        end_thread();
    case KT_YIELD:
        sched_yield_cpu();
        return 0;
    case KT_RECORD:
        if (r->nlog < LOG_MAX)
            r->log[r->nlog++] = (int64_t)a[0];
        return 0;
    case KT_COPY:
        return copy(r, a[0], a[1]);
    case KT_CLOBBER:
        clobber();
        return 0;
    case KT_CHECK_REGS:
        return check_regs(a[0]);
    case KT_MIGRATE:
        return migrate(r, a[0]);
    case KT_PROTECT:
        return hal_aspace_protect(hal_aspace_current(), a[0], (uint32_t)a[1]);
    case KT_UNMAP:
        return hal_aspace_unmap(hal_aspace_current(), a[0]);
    default:
        return FB_ENOSYS;
    }
}

/* The test's fault handler (hal_user_fault_fn): notes the fault and ends
 * the thread, as core's handler ends the environment. */
static void test_fault(const struct hal_user_fault *f)
{
    struct urun *r = current_run();

    r->faulted = true;
    r->fault = *f;
    end_thread();
}

/* Kernel entry of every user thread: the scheduler has made its address
 * space current; it dirties the SSE registers and leaves for its program. */
static void user_main(void *arg)
{
    struct ktest_work *w = arg;
    struct urun *r = &runs[w->id];

    if (hal_aspace_current() != r->as)
        fail("the scheduler did not switch to the thread's address space");
    /* Kernel values in XMM0/XMM15 (this context becomes an FPU user):
     * hal_user_enter must not let them through (the SSE programs check). */
    __asm__ volatile("movq %0, %%xmm0\n\tmovq %0, %%xmm15" : : "r"(~0ull));
    hal_user_enter(r->ip, KT_STACK_TOP, w->value);
}

/* Builds run i's address space: the shared code page, a stack page and,
 * when asked, a data page. */
static void setup_run(unsigned i, const struct uprog *p)
{
    struct urun *r = &runs[i];

    *r = (struct urun){ .ip = p->entry != NULL ? user_ip(p->entry) : TOP_SYSCALL,
                        .stack_pa = zeroed_frame() };
    if (hal_aspace_create(&r->as) != FB_OK)
        fail("hal_aspace_create");
    if (hal_aspace_map(r->as, KT_CODE_VA, code_pa, USER_CODE) != FB_OK ||
        hal_aspace_map(r->as, KT_STACK_TOP - HAL_PAGE_SIZE, r->stack_pa, USER_RW) != FB_OK ||
        (p->entry == NULL && hal_aspace_map(r->as, TOP_PAGE, code_pa, USER_CODE) != FB_OK))
        fail("hal_aspace_map");
    if (p->data) {
        r->data_pa = zeroed_frame();
        if (hal_aspace_map(r->as, KT_DATA_VA, r->data_pa, USER_RW) != FB_OK)
            fail("hal_aspace_map of the data page");
    }
    ktest_works[i] = (struct ktest_work){ .id = i, .value = p->arg };
}

/* Takes run i's address space apart through hal_aspace_next: unmaps what
 * is left (its pages in ascending order, the code page first), destroys
 * it and frees its frames. */
static void teardown_run(unsigned i)
{
    struct urun *r = &runs[i];
    uintptr_t va = 0, prev = 0;
    uint64_t pa;
    unsigned n = 0;

    while (hal_aspace_next(r->as, prev, &va, &pa, NULL) == FB_OK) {
        if ((n == 0 && (va != KT_CODE_VA || pa != code_pa)) || (n > 0 && va <= prev) ||
            hal_aspace_unmap(r->as, va) != FB_OK)
            fail("hal_aspace_next: mappings out of order or wrong");
        prev = va;
        n++;
    }
    if (n < 2)
        fail("hal_aspace_next: a mapping was missed");
    hal_aspace_destroy(r->as);
    bootmem_frame_free(r->stack_pa);
    if (r->data_pa != 0)
        bootmem_frame_free(r->data_pa);
}

/* Runs the n programs of progs as one round and waits for all of them. */
static void run_round(const struct uprog *progs, unsigned n)
{
    ktest_expect(n);
    for (unsigned i = 0; i < n; i++)
        setup_run(i, &progs[i]);
    for (unsigned i = 0; i < n; i++)
        ktest_spawn_in(i, user_main, progs[i].affinity, runs[i].as);
    ktest_wait_workers(n);
}

/* Ends the round: every address space goes. */
static void end_round(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        teardown_run(i);
}

/* True when run i exited with code 0. */
static bool exited_ok(unsigned i)
{
    return runs[i].exited && runs[i].exit_code == 0;
}

/* True when run i ended in fault vector at ip (error and addr as given,
 * its stack untouched). */
static bool faulted_at(unsigned i, uint32_t vector, const char *ip, uint64_t error, uint64_t addr)
{
    const struct hal_user_fault *f = &runs[i].fault;

    return runs[i].faulted && f->vector == vector && f->ip == user_ip(ip) && f->error == error &&
           f->addr == addr && f->sp == KT_STACK_TOP;
}

/* The null system call round: one thread, 100000 calls, each counted
 * here and checked there. Returns the TSC cycles of one round trip (the
 * fastest batch's mean). */
static uint64_t null_round(void)
{
    static const struct uprog prog = { ktest_user_null, 0, SCHED_AFFINITY_ALL, false };
    int64_t best = INT64_MAX;

    /* relaxed: no thread runs yet. */
    atomic_store_explicit(&null_calls, 0, memory_order_relaxed);
    run_round(&prog, 1);
    if (!exited_ok(0) || runs[0].nlog != KT_NULL_BATCHES)
        fail("the null system call program failed");
    /* relaxed: the thread is done (ktest_wait_workers ordered it). */
    if (atomic_load_explicit(&null_calls, memory_order_relaxed) !=
        KT_NULL_BATCHES * KT_NULL_PER_BATCH)
        fail("the kernel did not count every null system call");
    for (unsigned b = 0; b < KT_NULL_BATCHES; b++) {
        if (runs[0].log[b] < best)
            best = runs[0].log[b];
    }
    end_round(1);
    return (uint64_t)best / KT_NULL_PER_BATCH;
}

/* Before a system call handler exists: FB_ENOSYS. */
static void test_no_handler(void)
{
    static const struct uprog prog = { ktest_user_enosys, 0, SCHED_AFFINITY_ALL, false };

    run_round(&prog, 1);
    if (!faulted_at(0, 6, ktest_user_enosys_ok, 0, 0))
        fail("a system call without a handler did not return FB_ENOSYS");
    end_round(1);
    kprintf("ktest: user: no handler: a system call returned FB_ENOSYS\n");
}

/* SSE in four address spaces: two threads moving to another CPU after
 * every round, two that never enter the kernel sharing CPU 0, so only
 * preemption switches them; then the register check, the user-copy
 * check and a SYSCALL whose return address is not canonical (#GP there,
 * never a SYSRET that would fault in ring 0 on Intel; QEMU's TCG
 * behaves like AMD, so only KVM on Intel tells the two apart). */
static void test_state(void)
{
    uint64_t all = (1ull << hal_cpu_count()) - 1, preempt = 0;
    const struct uprog progs[7] = {
        { ktest_user_sse, ktest_mix(1), SCHED_AFFINITY_ALL, false },
        { ktest_user_sse, ktest_mix(2), SCHED_AFFINITY_ALL, false },
        { ktest_user_sse_spin, ktest_mix(3), 1, false },
        { ktest_user_sse_spin, ktest_mix(4), 1, false },
        { ktest_user_regs, 0, SCHED_AFFINITY_ALL, false },
        { ktest_user_copy, 0, SCHED_AFFINITY_ALL, false },
        { NULL, 0, SCHED_AFFINITY_ALL, false },
    };
    static const int64_t copy_want[4] = { FB_OK, FB_EFAULT, FB_EFAULT, FB_EFAULT };
    const struct hal_user_fault *top = &runs[6].fault;

    run_round(progs, 7);
    for (unsigned i = 0; i < 4; i++) {
        if (!exited_ok(i))
            fail(runs[i].exit_code == 2 ? "user SSE state did not start clean"
                                        : "user SSE registers changed across a switch");
    }
    if (runs[0].cpus != all || runs[1].cpus != all)
        fail("a moving SSE thread did not run on every CPU");
    preempt = ktest_thread(2)->stats.preemptions + ktest_thread(3)->stats.preemptions;
    if (preempt == 0)
        fail("the spinning SSE threads were never preempted");
    if (!runs[4].exited || runs[4].exit_code != 0) {
        kprintf("ktest: user: register mismatch mask 0x%lx\n", (uint64_t)runs[4].exit_code);
        fail("a register other than RAX, RCX, R11 changed across a system call");
    }
    if (!exited_ok(5) || runs[5].nlog != 4 || runs[5].copied != KT_COPY_VALUE ||
        kmemcmp(runs[5].log, copy_want, sizeof copy_want) != 0)
        fail("hal_copy_from_user: wrong result for a good or a bad user pointer");
    if (!runs[6].faulted || top->vector != 13 || top->ip != HAL_USER_TOP || top->error != 0)
        fail("a system call returning to a non-canonical address did not end in #GP");
    end_round(7);
    kprintf("ktest: user: sse: 4 threads in 4 address spaces x %u rounds, 0 mismatches, "
            "moved across CPUs 0x%lx, %lu preemptions in user mode\n", KT_SSE_ROUNDS, all, preempt);
    kprintf("ktest: user: registers but RAX, RCX, R11 kept across a system call\n");
    kprintf("ktest: user: copy: good pointer FB_OK, unmapped, kernel and straddling FB_EFAULT\n");
    kprintf("ktest: user: a system call at the top of user space ends in #GP, not SYSRET\n");
}

/* Faults of every kind end their threads and nothing else; protect and
 * unmap are seen by the CPU that changed the page (INVLPG) and by a CPU
 * whose TLB still held it (with one CPU: the same, after a switch). */
static void test_faults(void)
{
    const struct uprog progs[8] = {
        { ktest_user_pf, 0, SCHED_AFFINITY_ALL, false },
        { ktest_user_ud, 0, SCHED_AFFINITY_ALL, false },
        { ktest_user_gp, 0, SCHED_AFFINITY_ALL, false },
        { ktest_user_wx, 0, SCHED_AFFINITY_ALL, false },
        { ktest_user_tlb_protect, KT_DATA_VA, SCHED_AFFINITY_ALL, true },
        { ktest_user_tlb_unmap, KT_DATA_VA, SCHED_AFFINITY_ALL, true },
        { ktest_user_tlb_protect_local, KT_DATA_VA, SCHED_AFFINITY_ALL, true },
        { ktest_user_tlb_unmap_local, KT_DATA_VA, SCHED_AFFINITY_ALL, true },
    };
    uint64_t both = (1ull << (hal_cpu_count() - 1)) | 1;

    run_round(progs, 8);
    if (!faulted_at(0, 14, ktest_user_pf_at, PF_USER, KT_UNMAPPED) ||
        !faulted_at(1, 6, ktest_user_ud, 0, 0) || !faulted_at(2, 13, ktest_user_gp, 0, 0) ||
        !faulted_at(3, 14, ktest_user_wx_at, PF_PROT_WRITE, user_ip(ktest_user_wx)))
        fail("a user fault was not reported with its vector, ip, error and address");
    for (unsigned i = 4; i < 8; i++) {
        if (!faulted_at(i, 14, ktest_user_tlb_at, i % 2 ? PF_WRITE : PF_PROT_WRITE, KT_DATA_VA))
            fail(i < 6 ? "a stale TLB entry survived protect or unmap on another CPU"
                       : "a stale TLB entry survived protect or unmap on this CPU");
        if (runs[i].cpus != (i < 6 ? both : 1))
            fail("a TLB program did not run on the CPUs it asked for");
    }
    end_round(8);
    kprintf("ktest: user: faults: #PF at 0x%x, #UD, #GP, write to code #PF error 0x%x, "
            "the kernel survived\n", KT_UNMAPPED, PF_PROT_WRITE);
    kprintf("ktest: user: tlb: protect and unmap from CPU %u and from CPU 0 seen on CPU 0, "
            "pcid %s\n", hal_cpu_count() - 1, x86_cpu.pcid ? "on" : "off");
}

/* hal_aspace_next and hal_aspace_protect on tables alone: pages in
 * different PTs, PDs and PML4 slots come back in order with their
 * rights, and every table frame goes back on destroy. */
static void test_walk(void)
{
    static const uintptr_t vas[] = {
        KT_CODE_VA, KT_CODE_VA + HAL_PAGE_SIZE, 0x40000000, 0x8000000000,
        KT_STACK_TOP - HAL_PAGE_SIZE,
    };
    uint64_t before = bootmem_free_frames(), pa = zeroed_frame();
    uintptr_t va = 0;
    uint32_t flags = 0;
    hal_aspace_t *as;
    unsigned n = 0;

    if (hal_aspace_create(&as) != FB_OK)
        fail("hal_aspace_create");
    for (unsigned i = 0; i < 5; i++) {
        if (hal_aspace_map(as, vas[4 - i], pa, USER_RW) != FB_OK)
            fail("hal_aspace_map");
    }
    if (hal_aspace_protect(as, 0x40000000, HAL_MAP_READ) != FB_OK ||
        hal_aspace_protect(as, 0x40001000, HAL_MAP_READ) != FB_ENOENT)
        fail("hal_aspace_protect");
    for (uintptr_t from = 0; hal_aspace_next(as, from, &va, NULL, &flags) == FB_OK; n++) {
        if (n >= 5 || va != vas[n] || flags != (n == 2 ? HAL_MAP_READ : USER_RW))
            fail("hal_aspace_next: wrong page, order or rights");
        if (hal_aspace_unmap(as, va) != FB_OK)
            fail("hal_aspace_unmap");
        from = va + 1;
    }
    if (n != 5 || hal_aspace_next(as, 0, &va, NULL, NULL) != FB_ENOENT)
        fail("hal_aspace_next: pages missed or left");
    hal_aspace_destroy(as);
    bootmem_frame_free(pa);
    if (bootmem_free_frames() != before)
        fail("page-table frames leaked");
    kprintf("ktest: user: aspace: next walks 5 pages in order, protect, all frames back\n");
}

/* hal_console_read with COM1 in loopback: what is sent comes back. */
static void test_console(void)
{
    uint8_t mcr = inb(COM1_MCR);
    hal_irq_state_t s = hal_irq_disable();
    uint64_t end = hal_read_timestamp() + 10000000;
    char got[8];
    size_t n = 0;

    while (hal_console_read(got, sizeof got) > 0)
        ;
    outb(COM1_MCR, mcr | MCR_LOOP);
    hal_console_write("fb!", 3);
    while (n < 3 && hal_read_timestamp() < end)
        n += hal_console_read(got + n, sizeof got - n);
    outb(COM1_MCR, mcr);
    hal_irq_restore(s);
    if (n != 3 || kmemcmp(got, "fb!", 3) != 0)
        fail("hal_console_read did not return what COM1 looped back");
    kprintf("ktest: user: console: 3 bytes looped back through COM1's receiver\n");
}

/* Copies the programs into their page (once per boot), with a SYSCALL
 * in its last two bytes for TOP_SYSCALL, and installs the fault handler. */
static void prepare(void)
{
    static const uint8_t syscall_insn[2] = { 0x0F, 0x05 };
    size_t size = (size_t)(ktest_user_code_end - ktest_user_code);
    uint8_t *page;

    if (code_pa != 0)
        return;
    if (size > HAL_PAGE_SIZE - sizeof syscall_insn)
        fail("the user programs do not fit one page");
    code_pa = zeroed_frame();
    page = hal_phys_to_virt(code_pa);
    kmemcpy(page, ktest_user_code, size);
    kmemcpy(page + HAL_PAGE_SIZE - sizeof syscall_insn, syscall_insn, sizeof syscall_insn);
    hal_user_set_fault_handler(test_fault);
}

/* test=user. */
void ktest_user(void)
{
    uint64_t before, cycles;

    prepare();
    before = bootmem_free_frames();
    test_no_handler();
    hal_user_set_syscall_handler(test_syscall);
    cycles = null_round();
    kprintf("ktest: user: %u null system calls counted, %lu cycles each\n",
            KT_NULL_BATCHES * KT_NULL_PER_BATCH, cycles);
    test_state();
    test_faults();
    if (bootmem_free_frames() != before)
        fail("frames leaked by the user rounds");
    test_walk();
    test_console();
}

/* test=ctxsw's part: the cycles of a null system call round trip. */
void ktest_user_bench(void)
{
    prepare();
    hal_user_set_syscall_handler(test_syscall);
    kprintf("bench: null_syscall_cycles %lu\n", null_round());
}
