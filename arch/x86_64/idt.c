/* The IDT (one, shared by all CPUs) and the C side of every interrupt:
 * exceptions end in a register dump and a failure exit (except user-copy
 * faults, which are fixed up, #NM, the first FPU use of a context, and
 * exceptions of user code, which go to the user fault handler),
 * device interrupts go to the PIC, IOAPIC and LAPIC code, anything else
 * is acknowledged, counted and reported once per vector. After an
 * interrupt that hit code running with interrupts on, the resched hook
 * runs on the interrupted stack. */
#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "fmt.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "x86.h"

/* One 64-bit interrupt gate (Intel SDM vol. 3, 6.14.1). */
struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

struct idt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8E   /* P, DPL 0, 64-bit interrupt gate: IF cleared */

extern const uint64_t x86_isr_table[256];

static struct idt_gate idt[256];
static _Atomic uint64_t unexpected_seen[256 / 64];
static atomic_int dumping;
static atomic_ulong spurious;
static atomic_ulong unexpected_count;
/* Set once at boot before the scheduler starts (the contract); the AP
 * start orders it before any AP reads it. */
static hal_resched_fn resched_hook;

static const char *const exception_names[32] = {
    "#DE divide error",        "#DB debug",
    "NMI",                     "#BP breakpoint",
    "#OF overflow",            "#BR bound range exceeded",
    "#UD invalid opcode",      "#NM device not available",
    "#DF double fault",        "coprocessor segment overrun",
    "#TS invalid TSS",         "#NP segment not present",
    "#SS stack-segment fault", "#GP general protection",
    "#PF page fault",          "reserved",
    "#MF x87 floating point",  "#AC alignment check",
    "#MC machine check",       "#XM SIMD floating point",
    "#VE virtualization",      "#CP control protection",
    "reserved",                "reserved",
    "reserved",                "reserved",
    "reserved",                "reserved",
    "#HV hypervisor injection", "#VC VMM communication",
    "#SX security",            "reserved",
};

/* Points gate v at its entry point, on interrupt stack ist (0: current stack). */
static void set_gate(unsigned v, unsigned ist)
{
    uint64_t addr = x86_isr_table[v];

    idt[v].offset_lo = (uint16_t)addr;
    idt[v].selector = X86_SEL_KCODE;
    idt[v].ist = (uint8_t)ist;
    idt[v].type_attr = GATE_INTERRUPT;
    idt[v].offset_mid = (uint16_t)(addr >> 16);
    idt[v].offset_hi = (uint32_t)(addr >> 32);
    idt[v].reserved = 0;
}

/* Fills all 256 gates and loads the IDT. #DF, NMI and #MC run on their
 * own IST stacks: they must work when the current stack is broken. Every
 * other vector stays on the interrupted stack, since the resched hook may
 * switch contexts from inside the handler. */
void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        set_gate(v, 0);
    set_gate(8, X86_IST_DF);
    set_gate(2, X86_IST_NMI);
    set_gate(18, X86_IST_MC);
    idt_load();
}

/* Loads the shared IDT on the calling CPU. */
void idt_load(void)
{
    struct idt_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

    __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

/* Registers the scheduler's hook (NULL: none). Boot only. */
void hal_irq_set_resched_hook(hal_resched_fn fn)
{
    resched_hook = fn;
}

/* LAPIC spurious interrupts seen, all CPUs. */
uint64_t x86_spurious_count(void)
{
    /* relaxed: a statistic. */
    return atomic_load_explicit(&spurious, memory_order_relaxed);
}

/* Interrupts on vectors nobody owns, all CPUs. */
uint64_t x86_unexpected_count(void)
{
    /* relaxed: a statistic. */
    return atomic_load_explicit(&unexpected_count, memory_order_relaxed);
}

/* One line of explanation for the faults whose cause can be named. */
static void explain(const struct x86_frame *f, uint64_t cr2)
{
    int guard_cpu = x86_stack_guard_cpu((uintptr_t)cr2);

    if (guard_cpu >= 0 && (f->vector == 8 || f->vector == 14)) {
        kprintf("  kernel stack overflow: CPU %d's boot stack guard page hit at 0x%016lx\n",
                guard_cpu, cr2);
    } else if (f->vector == 14) {
        kprintf("  page fault: %s %s page at 0x%016lx (%s mode%s)\n",
                (f->error & 0x10) ? "instruction fetch from" :
                (f->error & 0x2) ? "write to" : "read from",
                (f->error & 0x1) ? "protected" : "not-present", cr2,
                (f->error & 0x4) ? "user" : "kernel",
                (f->error & 0x8) ? ", reserved bit set" : "");
    }
}

/* Prints the full register state of an exception. */
static void dump(const struct x86_frame *f)
{
    uint64_t cr2 = read_cr2();

    kprintf("FeuerBird: EXCEPTION vector=%lu %s error=0x%lx\n", f->vector,
            exception_names[f->vector], f->error);
    kprintf("  RIP=0x%016lx CS=0x%04lx RFLAGS=0x%016lx\n", f->rip, f->cs, f->rflags);
    kprintf("  RSP=0x%016lx SS=0x%04lx\n", f->rsp, f->ss);
    kprintf("  RAX=0x%016lx RBX=0x%016lx RCX=0x%016lx\n", f->rax, f->rbx, f->rcx);
    kprintf("  RDX=0x%016lx RSI=0x%016lx RDI=0x%016lx\n", f->rdx, f->rsi, f->rdi);
    kprintf("  RBP=0x%016lx R8=0x%016lx R9=0x%016lx\n", f->rbp, f->r8, f->r9);
    kprintf("  R10=0x%016lx R11=0x%016lx R12=0x%016lx\n", f->r10, f->r11, f->r12);
    kprintf("  R13=0x%016lx R14=0x%016lx R15=0x%016lx\n", f->r13, f->r14, f->r15);
    kprintf("  CR0=0x%016lx CR2=0x%016lx CR3=0x%016lx CR4=0x%016lx\n", read_cr0(), cr2,
            read_cr3(), read_cr4());
    explain(f, cr2);
}

/* True for an exception raised by what user code did: anything taken in
 * ring 3 but NMI, #DF and #MC, which report the machine, not the program. */
static bool user_exception(const struct x86_frame *f)
{
    return (f->cs & 3) == 3 && f->vector != 2 && f->vector != 8 && f->vector != 18;
}

/* Handles vectors 0-31: a user-copy #PF resumes at its fixup, #NM with
 * CR0.TS set is the running context's first FPU use (from either ring),
 * an exception of user code goes to the user fault handler and never
 * comes back; without one, and for every kernel exception, it is fatal.
 * A fault while dumping (the formatter or the console itself broken)
 * prints a fixed line instead of recursing. */
static void exception(struct x86_frame *f)
{
    if (f->vector == 14 && usercopy_fixup(f))
        return;
    if (f->vector == X86_VEC_NM && (read_cr0() & CR0_TS)) {
        x86_fpu_first_use();
        return;
    }
    if (user_exception(f))
        x86_user_fault(f);
    serial_enter_panic_mode();
    /* relaxed: only tells a second fault while one is being dumped (on
     * any CPU) to take the short path; nothing is ordered with it. */
    if (atomic_fetch_add_explicit(&dumping, 1, memory_order_relaxed) != 0) {
        serial_write_raw("FeuerBird: EXCEPTION while dumping an exception, halting\n");
        hal_halt(HAL_EXIT_FAILURE);
    }
    dump(f);
    kprintf("FeuerBird: fatal exception, halting\n");
    hal_halt(HAL_EXIT_FAILURE);
}

/* Acknowledges a vector nobody owns, counts it and reports it the first
 * time it is seen on any CPU. */
static void unexpected(unsigned v)
{
    uint64_t bit = 1ull << (v % 64);

    if (lapic_in_service(v))
        lapic_eoi();
    /* relaxed: statistics; the fetch_or makes one CPU the reporter. */
    atomic_fetch_add_explicit(&unexpected_count, 1, memory_order_relaxed);
    if ((atomic_fetch_or_explicit(&unexpected_seen[v / 64], bit, memory_order_relaxed) & bit) == 0)
        kprintf("FeuerBird: unexpected interrupt vector %u acknowledged\n", v);
}

/* Runs the handler of device or IPI vector v (32..255). */
static void interrupt(unsigned v)
{
    if (v < X86_VEC_PIC_BASE + 16) {
        pic_irq(v - X86_VEC_PIC_BASE);
    } else if (v >= X86_VEC_LINE_BASE && v < X86_VEC_LINE_BASE + X86_MAX_LINES) {
        ioapic_irq(v - X86_VEC_LINE_BASE);
    } else if (v == X86_VEC_LAPIC_TIMER) {
        lapic_timer_irq();
    } else if (v == X86_VEC_KICK) {
        /* relaxed: a statistic. */
        atomic_fetch_add_explicit(&x86_this_cpu()->kicks, 1, memory_order_relaxed);
        lapic_eoi();
    } else if (v == X86_VEC_SPURIOUS) {
        /* relaxed: a statistic. A spurious LAPIC vector takes no EOI. */
        atomic_fetch_add_explicit(&spurious, 1, memory_order_relaxed);
    } else {
        unexpected(v);
    }
}

/* Entry from isr_common with interrupts disabled. After an interrupt
 * (not an exception) that hit code with IF set, the resched hook runs
 * here, on the interrupted stack, after the EOI: it may switch to another
 * context, and this frame returns when something switches back. */
void x86_isr_dispatch(struct x86_frame *f)
{
    unsigned v = (unsigned)f->vector;

    if (v < 32) {
        exception(f);
        return;
    }
    interrupt(v);
    if ((f->rflags & X86_RFLAGS_IF) && resched_hook != NULL)
        resched_hook();
    if ((f->cs & 3) == 3)
        x86_user_return();
}
