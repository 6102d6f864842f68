/* The boot CPU: feature probing, CR0/CR4 protection bits, and the small
 * HAL calls that are single instructions (cpu id, irq masking, halt). */
#include "arch.h"
#include "fmt.h"
#include "hal/cpu.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xF4

struct x86_features x86_cpu;
uint64_t x86_boot_entry_tsc;

/* Reads the CPUID bits the HAL cares about into x86_cpu. */
void x86_cpu_probe(void)
{
    uint32_t r[4];
    uint32_t max_leaf, max_ext;

    cpuid(0, 0, r);
    max_leaf = r[0];
    cpuid(1, 0, r);
    x86_cpu.rdrand = (r[2] >> 30) & 1;
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

/* Turns on supervisor write protection (CR0.WP), and SMEP/SMAP where the
 * CPU has them, so the kernel can neither run nor touch user pages by
 * accident. usercopy.S brackets user accesses with STAC/CLAC. */
void x86_cpu_protect(void)
{
    uint64_t cr4 = read_cr4();

    write_cr0(read_cr0() | CR0_WP);
    if (x86_cpu.smep)
        cr4 |= CR4_SMEP;
    if (x86_cpu.smap)
        cr4 |= CR4_SMAP;
    write_cr4(cr4);
    x86_smap_active = x86_cpu.smap;
}

/* Boot CPU only until SMP exists. */
unsigned hal_cpu_id(void)
{
    return 0;
}

/* Boot CPU only until SMP exists. */
unsigned hal_cpu_count(void)
{
    return 1;
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
