/* The CPUs: feature probing, per-CPU data behind the GS base, the
 * CR0/CR4 bits every CPU sets, and the small HAL calls that are a few
 * instructions (cpu id and count, idle, kick, irq masking, halt). */
#include <stdatomic.h>

#include "arch.h"
#include "fmt.h"
#include "hal/cpu.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "kerr.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xF4

struct x86_features x86_cpu;
uint64_t x86_boot_entry_tsc;
struct x86_percpu x86_percpus[X86_MAX_CPUS];
static atomic_uint cpus_up = 1;

/* Reads the CPUID bits the HAL cares about into x86_cpu. */
void x86_cpu_probe(void)
{
    uint32_t r[4];
    uint32_t max_leaf, max_ext;

    cpuid(0, 0, r);
    max_leaf = r[0];
    cpuid(1, 0, r);
    x86_cpu.rdrand = (r[2] >> 30) & 1;
    x86_cpu.pcid = (r[2] >> 17) & 1;
    x86_cpu.pge = (r[3] >> 13) & 1;
    x86_cpu.apic = (r[3] >> 9) & 1;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        x86_cpu.smep = (r[1] >> 7) & 1;
        x86_cpu.rdseed = (r[1] >> 18) & 1;
        x86_cpu.smap = (r[1] >> 20) & 1;
    }
    cpuid(0x80000000, 0, r);
    max_ext = r[0];
    x86_cpu.phys_bits = 36;   /* the architectural default without leaf 0x80000008 */
    if (max_ext >= 0x80000008) {
        cpuid(0x80000008, 0, r);
        x86_cpu.phys_bits = r[0] & 0xFF;
    }
}

/* Sets the calling CPU's control bits: supervisor write protection
 * (CR0.WP), SMEP/SMAP where the CPU has them (usercopy.S brackets user
 * accesses with STAC/CLAC), global pages, PCIDs (aspace.c; CR3 holds
 * PCID 0 here, as enabling them requires), and SSE with lazy FPU state:
 * CR0.TS is set, so the first FPU/SSE instruction of a context traps
 * (#NM, x86_fpu_first_use); then SYSCALL (user.c). Runs on every CPU,
 * interrupts off, on the kernel page tables. */
void x86_cpu_setup(void)
{
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;

    write_cr0((read_cr0() & ~CR0_EM) | CR0_WP | CR0_MP | CR0_NE | CR0_TS);
    if (x86_cpu.pge)
        cr4 |= CR4_PGE;
    if (x86_cpu.smep)
        cr4 |= CR4_SMEP;
    if (x86_cpu.smap)
        cr4 |= CR4_SMAP;
    if (x86_cpu.pcid)
        cr4 |= CR4_PCIDE;
    write_cr4(cr4);
    x86_smap_active = x86_cpu.smap;
    x86_user_cpu_init();
}

/* Points the calling CPU's GS base at x86_percpus[id]. After gdt_init,
 * whose null GS load may clear the base. Interrupts off. */
void x86_percpu_init(unsigned id, uint32_t apic_id)
{
    struct x86_percpu *p = &x86_percpus[id];

    p->self = p;
    p->id = id;
    p->apic_id = apic_id;
    p->fpu_live = 0;
    p->kstack_top = 0;
    p->tss_rsp0 = gdt_tss_rsp0(id);
    atomic_store_explicit(&p->aspace, NULL, memory_order_relaxed);   /* boot: CPU not up yet */
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
}

/* Publishes how many CPUs are up (smp.c, once per started AP). */
void x86_cpu_set_online(unsigned count)
{
    /* release: a reader that sees the count also sees each counted CPU's
     * x86_percpus entry (apic_id) written before. */
    atomic_store_explicit(&cpus_up, count, memory_order_release);
}

/* Busy-waits at least us microseconds on the TSC (after time_calibrate). */
void x86_udelay(uint64_t us)
{
    uint64_t start = rdtsc();
    uint64_t cycles = time_tsc_hz() / 1000000 * us + 1;

    while (rdtsc() - start < cycles)
        hal_cpu_relax();
}

/* The index kept in this CPU's x86_percpu (0 on the boot CPU). */
unsigned hal_cpu_id(void)
{
    uint32_t id;

    __asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(X86_PCPU_ID));
    return id;
}

/* CPUs started so far; APs only join during smp_start. */
unsigned hal_cpu_count(void)
{
    /* acquire: pairs with x86_cpu_set_online. */
    return atomic_load_explicit(&cpus_up, memory_order_acquire);
}

/* STI's one-instruction shadow means an interrupt pending at STI is taken
 * at HLT (which it then ends), never between them and lost. */
void hal_cpu_idle(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* Sends the kick IPI; the vector's handler only acknowledges it, the
 * resched hook at the end of interrupt dispatch does the work. */
int hal_cpu_kick(unsigned cpu)
{
    if (cpu >= hal_cpu_count())
        return FB_EINVAL;
    lapic_send_ipi(x86_percpus[cpu].apic_id, X86_VEC_KICK);
    return FB_OK;
}

/* PAUSE: tells the core it is in a spin loop. */
void hal_cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

/* Saves RFLAGS and clears IF. */
hal_irq_state_t hal_irq_disable(void)
{
    uint64_t flags;

    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

/* Sets IF again only if it was set when the state was saved. */
void hal_irq_restore(hal_irq_state_t state)
{
    if (state & X86_RFLAGS_IF)
        __asm__ volatile("sti" ::: "memory");
}

/* IF of the calling CPU. */
bool hal_irq_enabled(void)
{
    return (read_rflags() & X86_RFLAGS_IF) != 0;
}

/* Reports code to QEMU's isa-debug-exit and stops this CPU for good. */
_Noreturn void hal_halt(int code)
{
    __asm__ volatile("cli");
    outl(DEBUG_EXIT_PORT, (uint32_t)code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Prints the message unlocked (the lock holder may be what failed). */
_Noreturn void hal_panic(const char *msg)
{
    serial_enter_panic_mode();
    kprintf("PANIC: %s\n", msg);
    hal_halt(HAL_EXIT_FAILURE);
}
