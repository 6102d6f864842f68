/* ACPI discovery and the application processors: the RSDP comes from the
 * loader (Multiboot2 copy or PVH address) or a scan of the BIOS areas,
 * the MADT lists the CPUs and IOAPICs, and every enabled AP is started
 * with INIT-SIPI-SIPI through the trampoline in ap_boot.S (INIT to all at
 * once, then the SIPIs one AP at a time, since they share the trampoline).
 * An AP sets itself up (page tables, GDT/TSS, GS base, IDT, control
 * registers, LAPIC), reports online and idles until smp_run_aps gives
 * it work. */
#include <stdatomic.h>
#include <stdint.h>

#include "acpi.h"
#include "arch.h"
#include "fmt.h"
#include "hal/aspace.h"
#include "hal/cpu.h"
#include "kerr.h"
#include "kstring.h"
#include "x86.h"

#define AP_STACK_SIZE   16384
#define TRAMPOLINE_PREF 0x8000ull     /* the usual free page under 1 MiB */
#define LOW_LIMIT       0x9F000ull    /* a SIPI vector must point below the EBDA */
#define ICR_INIT        0x00000500u
#define ICR_STARTUP     0x00000600u
#define ICR_ASSERT      0x00004000u
#define EBDA_SEG_PTR    0x40Eull      /* BIOS data area: EBDA segment */
#define BIOS_ROM        0xE0000ull
#define BIOS_ROM_LEN    0x20000u
#define AP_WAIT_US      1000000u      /* TCG can take long to schedule a new vCPU */

extern const char x86_ap_trampoline[], x86_ap_trampoline_end[], x86_ap_gdt[], x86_ap_long[];
extern char x86_ap_gdt_ptr[], x86_ap_far_ptr[], x86_ap_cr3[], x86_ap_stack[], x86_ap_percpu[];
extern char x86_boot_pml4[];

_Noreturn void x86_ap_entry(struct x86_percpu *pc);

static struct acpi_info acpi;
static bool have_acpi;
/* Each AP's boot stack (its idle loop's) with a guard page under it that
 * the final page tables leave unmapped (x86_stack_guard_cpu), as boot.S
 * does for the boot CPU. Index: CPU - 1. */
static struct ap_stack {
    uint8_t guard[HAL_PAGE_SIZE];
    uint8_t stack[AP_STACK_SIZE];
} ap_stacks[X86_MAX_CPUS - 1] __attribute__((aligned(HAL_PAGE_SIZE)));
static uint64_t trampoline_pa;
/* What APs run once smp_run_aps is called; NULL until then. */
static _Atomic(smp_entry_fn) ap_work;

/* bootinfo_phys_fn over the direct map: NULL unless all of [pa, pa + len)
 * is mapped. */
static const void *acpi_phys(uint64_t pa, size_t len, void *ctx)
{
    (void)ctx;
    if (len == 0 || pa + len < pa || hal_phys_to_virt(pa + len - 1) == NULL)
        return NULL;
    return hal_phys_to_virt(pa);
}

/* The CPU whose boot-stack guard page holds va (0: the boot CPU's), or -1. */
int x86_stack_guard_cpu(uintptr_t va)
{
    uintptr_t boot = (uintptr_t)x86_boot_stack_guard;

    if (va >= boot && va - boot < HAL_PAGE_SIZE)
        return 0;
    for (unsigned c = 1; c < X86_MAX_CPUS; c++) {
        uintptr_t g = (uintptr_t)ap_stacks[c - 1].guard;

        if (va >= g && va - g < HAL_PAGE_SIZE)
            return (int)c;
    }
    return -1;
}

/* Looks for the RSDP in the first KiB of the EBDA, then in the BIOS ROM
 * area (ACPI 5.2.5.1). */
static int scan_rsdp(uint64_t *rsdp_phys)
{
    const uint16_t *seg = acpi_phys(EBDA_SEG_PTR, 2, NULL);
    uint64_t ebda = seg == NULL ? 0 : (uint64_t)*seg << 4;
    const void *p;

    if (ebda >= 0x80000 && ebda < 0xA0000 && (p = acpi_phys(ebda, 1024, NULL)) != NULL &&
        acpi_find_rsdp(p, 1024, ebda, rsdp_phys) == FB_OK)
        return FB_OK;
    if ((p = acpi_phys(BIOS_ROM, BIOS_ROM_LEN, NULL)) == NULL)
        return FB_ENOENT;
    return acpi_find_rsdp(p, BIOS_ROM_LEN, BIOS_ROM, rsdp_phys);
}

/* Parses the MADT from what the loader gave, else from a scanned RSDP.
 * Without it the machine runs on one CPU with the 8259. */
void smp_acpi_init(const struct boot_info *bi, uint32_t loglevel)
{
    uint64_t rsdp = 0;
    int err = FB_ENOENT;

    if (bi->rsdp_len > 0)
        err = acpi_parse_rsdp(bi->rsdp, bi->rsdp_len, acpi_phys, NULL, &acpi);
    else if (bi->rsdp_phys != 0)
        err = acpi_parse(bi->rsdp_phys, acpi_phys, NULL, &acpi);
    if (err != FB_OK && scan_rsdp(&rsdp) == FB_OK)
        err = acpi_parse(rsdp, acpi_phys, NULL, &acpi);
    have_acpi = err == FB_OK;
    if (!have_acpi) {
        kprintf("FeuerBird: no ACPI MADT (%s): one CPU, 8259 interrupts\n", fb_strerror(err));
        return;
    }
    if (loglevel >= 1)
        kprintf("FeuerBird: ACPI %u MADT: %u CPUs, %u IOAPICs, %u overrides, warnings 0x%x\n",
                acpi.revision, acpi.cpu_count, acpi.ioapic_count, acpi.iso_count, acpi.warnings);
}

/* The parsed MADT, or NULL without one. */
const struct acpi_info *smp_acpi(void)
{
    return have_acpi ? &acpi : NULL;
}

/* True when page [pa, pa + 4 KiB) is usable RAM and holds no boot module
 * (the boot information itself is parsed into struct boot_info by now). */
static bool page_free(const struct boot_info *bi, uint64_t pa)
{
    bool usable = false;

    for (uint32_t i = 0; i < bi->region_count; i++) {
        const struct mem_region *r = &bi->regions[i];

        if (r->type == MEM_USABLE && r->base <= pa && pa + 0x1000 <= r->base + r->length)
            usable = true;
    }
    for (uint32_t i = 0; i < bi->module_count; i++) {
        if (bi->modules[i].start < pa + 0x1000 && pa < bi->modules[i].end)
            return false;
    }
    return usable;
}

/* Picks the page under 1 MiB the trampoline is copied to: 0x8000 when it
 * is free, else the lowest free page. The frame allocator never hands
 * out the low 1 MiB (bootmem.c), so the page stays ours. */
static bool pick_trampoline(const struct boot_info *bi)
{
    trampoline_pa = 0;
    if (page_free(bi, TRAMPOLINE_PREF)) {
        trampoline_pa = TRAMPOLINE_PREF;
        return true;
    }
    for (uint64_t pa = 0x1000; pa < LOW_LIMIT; pa += 0x1000) {
        if (page_free(bi, pa)) {
            trampoline_pa = pa;
            return true;
        }
    }
    return false;
}

/* Copies the trampoline and fills in its addresses. */
static void install_trampoline(void)
{
    uint8_t *page = hal_phys_to_virt(trampoline_pa);
    uint32_t gdt_base = (uint32_t)(trampoline_pa + (uint64_t)(x86_ap_gdt - x86_ap_trampoline));
    uint32_t long_ip = (uint32_t)(trampoline_pa + (uint64_t)(x86_ap_long - x86_ap_trampoline));
    uint32_t cr3 = (uint32_t)(uintptr_t)x86_boot_pml4;   /* linked at its physical address */

    kmemcpy(page, x86_ap_trampoline, (size_t)(x86_ap_trampoline_end - x86_ap_trampoline));
    kmemcpy(page + (x86_ap_gdt_ptr - x86_ap_trampoline) + 2, &gdt_base, 4);
    kmemcpy(page + (x86_ap_far_ptr - x86_ap_trampoline), &long_ip, 4);
    kmemcpy(page + (x86_ap_cr3 - x86_ap_trampoline), &cr3, 4);
}

/* Waits up to us microseconds for flag; true when it was set. */
static bool wait_online(atomic_bool *flag, uint64_t us)
{
    uint64_t end = rdtsc() + time_tsc_hz() / 1000000 * us;

    /* acquire: pairs with the AP's release, so its setup is visible. */
    while (!atomic_load_explicit(flag, memory_order_acquire)) {
        if (rdtsc() > end)
            return false;
        hal_cpu_relax();
    }
    return true;
}

/* Starts the AP with APIC ID apic_id, already through INIT, as CPU index
 * cpu: its stack and per-CPU pointer go into the trampoline, then a SIPI,
 * and a second one if it has not come up 200 us later (Intel SDM vol. 3,
 * 9.4.4.1). True once it reports online; an AP that never does gets INIT
 * again, which parks it for good. */
static bool start_ap(unsigned cpu, uint32_t apic_id)
{
    struct x86_percpu *pc = &x86_percpus[cpu];
    uint8_t *page = hal_phys_to_virt(trampoline_pa);
    /* RSP as right after a call, which is what a C function expects. */
    uint64_t stack = (uint64_t)(uintptr_t)&ap_stacks[cpu - 1].stack[AP_STACK_SIZE] - 8;
    uint64_t pcp = (uint64_t)(uintptr_t)pc;
    uint32_t sipi = ICR_STARTUP | (uint32_t)(trampoline_pa >> 12);

    pc->id = cpu;
    pc->apic_id = apic_id;
    kmemcpy(page + (x86_ap_stack - x86_ap_trampoline), &stack, 8);
    kmemcpy(page + (x86_ap_percpu - x86_ap_trampoline), &pcp, 8);
    /* seq_cst fence (MFENCE): the trampoline's fields must be in memory
     * before the IPI; a WRMSR to the x2APIC ICR is not serializing. */
    atomic_thread_fence(memory_order_seq_cst);
    lapic_send_ipi(apic_id, sipi);
    if (!wait_online(&pc->online, 200)) {
        lapic_send_ipi(apic_id, sipi);
        if (!wait_online(&pc->online, AP_WAIT_US)) {
            lapic_send_ipi(apic_id, ICR_INIT | ICR_ASSERT);
            return false;
        }
    }
    return true;
}

/* True for the MADT entries smp_start brings up: enabled, not the boot
 * CPU, and addressable by an IPI in the LAPIC's mode (an x2APIC entry
 * above 255 cannot be named in xAPIC mode). */
static bool is_ap(const struct acpi_cpu *c, uint32_t bsp)
{
    return c->enabled && c->apic_id != bsp && lapic_addressable(c->apic_id);
}

/* Starts every enabled AP of the MADT, at most max_cpus CPUs in all
 * (0: no limit besides X86_MAX_CPUS). All of them get INIT first and
 * share one 10 ms wait; then they start one at a time, since they share
 * the trampoline. Boot CPU, interrupts on. */
void smp_start(const struct boot_info *bi, unsigned max_cpus, uint32_t loglevel)
{
    uint32_t bsp = x86_percpus[0].apic_id;
    uint64_t t0 = rdtsc();
    unsigned n = 1, inited = 1;

    if (max_cpus == 0 || max_cpus > X86_MAX_CPUS)
        max_cpus = X86_MAX_CPUS;
    if (have_acpi && acpi.cpu_count > 1 && max_cpus > 1) {
        if (!pick_trampoline(bi)) {
            kprintf("FeuerBird: no free page under 1 MiB for the AP trampoline: one CPU\n");
            return;
        }
        install_trampoline();
        for (uint32_t i = 0; i < acpi.cpu_count && inited < max_cpus; i++) {
            if (is_ap(&acpi.cpus[i], bsp)) {
                lapic_send_ipi(acpi.cpus[i].apic_id, ICR_INIT | ICR_ASSERT);
                inited++;
            }
        }
        x86_udelay(10000);
        for (uint32_t i = 0; i < acpi.cpu_count && n < inited; i++) {
            const struct acpi_cpu *c = &acpi.cpus[i];

            if (!is_ap(c, bsp))
                continue;
            if (!start_ap(n, c->apic_id)) {
                kprintf("FeuerBird: CPU with APIC ID %u did not start\n", c->apic_id);
                inited--;
                continue;
            }
            n++;
            x86_cpu_set_online(n);
        }
    }
    if (loglevel >= 1)
        kprintf("FeuerBird: SMP: %u CPU(s) up (APs started in %lu us)\n", n,
                time_cycles_to_ns(rdtsc() - t0) / 1000);
}

/* Makes every AP call fn (which need not return) and kicks them out of
 * their idle wait. */
void smp_run_aps(smp_entry_fn fn)
{
    /* release: what the caller set up before is visible to an AP that
     * sees fn (its acquire in x86_ap_entry). */
    atomic_store_explicit(&ap_work, fn, memory_order_release);
    for (unsigned cpu = 1; cpu < hal_cpu_count(); cpu++)
        hal_cpu_kick(cpu);
}

/* An AP's C entry on its own stack, still on the boot page tables, with
 * interrupts off: set up this CPU, report online, then idle until
 * smp_run_aps hands out work. */
_Noreturn void x86_ap_entry(struct x86_percpu *pc)
{
    smp_entry_fn fn;

    write_cr3(x86_kernel_pml4());
    gdt_init(pc->id);
    x86_percpu_init(pc->id, pc->apic_id);
    idt_load();
    x86_cpu_setup();
    lapic_init_ap();
    /* release: the boot CPU's acquire in wait_online sees this CPU set up. */
    atomic_store_explicit(&pc->online, true, memory_order_release);
    /* acquire: pairs with smp_run_aps. */
    while ((fn = atomic_load_explicit(&ap_work, memory_order_acquire)) == NULL)
        hal_cpu_idle();
    fn();
    for (;;)
        hal_cpu_idle();
}
