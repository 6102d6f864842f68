/* main64: the C entry of the kernel, called by boot.S in long mode on the
 * boot stack. Brings the machine up in order (console, descriptor tables,
 * per-CPU data, boot info, memory, page tables, time and interrupt
 * routing, the other CPUs, self-check) and then runs the command line's
 * request: a fault, an in-kernel test, an automatic exit, or (the
 * default) user space from the initrd. */
#include <stdint.h>

#include "arch.h"
#include "bootinfo.h"
#include "cap.h"
#include "cmdline.h"
#include "fmt.h"
#include "hal/hal.h"
#include "kerr.h"
#include "x86.h"

/* The line tests look for; printed once everything above is up. */
const char boot_success_marker[] = "FeuerBird: boot ok";

static struct boot_info boot_info;
static struct cmdline_opts opts;

/* Prints one ignored command-line option (cmdline_warn_fn). */
static void cmdline_warning(const char *msg, void *ctx)
{
    (void)ctx;
    kprintf("FeuerBird: cmdline warning: %s\n", msg);
}

/* Parses and prints the boot information; a loader we cannot understand
 * stops the boot, since nothing is known about memory then. */
static void read_boot_info(uint32_t magic, uint32_t info_phys)
{
    int err = bootmem_parse(magic, info_phys, &boot_info);

    if (err != FB_OK) {
        kprintf("FeuerBird: cannot use boot info (magic 0x%x at 0x%x): %s\n", magic, info_phys,
                fb_strerror(err));
        hal_halt(HAL_EXIT_FAILURE);
    }
    /* The first pass only learns the loglevel, so the boot info can be
     * printed (or not) before the warnings about the line it contains. */
    cmdline_parse(boot_info.cmdline, &opts, NULL, NULL);
    if (opts.loglevel >= 1)
        bootmem_print(&boot_info);
    cmdline_parse(boot_info.cmdline, &opts, cmdline_warning, NULL);
}

/* Starts time keeping and both timers, routes interrupts (the IOAPIC
 * when the MADT has one, else the 8259), then enables interrupts. */
static void start_time(void)
{
    bool ioapic;

    lapic_init();
    x86_percpus[0].apic_id = lapic_id();
    time_calibrate();
    smp_acpi_init(&boot_info, opts.loglevel);
    ioapic = ioapic_init(smp_acpi(), opts.loglevel);
    if (ioapic)
        ioapic_start_tick();
    else
        pic_init_periodic();
    if (opts.loglevel >= 1)
        kprintf("FeuerBird: TSC %lu kHz, tick %lu ns via %s\n", time_tsc_hz() / 1000,
                hal_timer_period_ns(), ioapic ? "IOAPIC" : "8259");
    __asm__ volatile("sti");
}

/* Draws the per-boot key that tags capability tokens. Without RDSEED or
 * RDRAND there is no key and tokens are refused (FB_EAGAIN); everything
 * else about capabilities works. */
static void start_caps(void)
{
    int err = cap_token_init();

    if (err != FB_OK && opts.loglevel >= 1)
        kprintf("FeuerBird: no token key (%s): capability tokens disabled\n", fb_strerror(err));
}

/* Carves the DMA zone below 4 GiB. A machine without such a run of free
 * RAM boots without DMA pools; nothing else depends on them. */
static void start_dma(void)
{
    uint64_t base = 0;
    int err = bootmem_dma_zone_init(&base);

    if (err != FB_OK)
        kprintf("FeuerBird: no DMA zone (%s): DMA pools disabled\n", fb_strerror(err));
    else if (opts.loglevel >= 1)
        kprintf("FeuerBird: DMA zone %u KiB at 0x%lx\n", X86_DMA_ZONE_BYTES / 1024, base);
}

/* Waits for opts.ticks timer interrupts, then leaves QEMU with success. */
_Noreturn static void autoexit(void)
{
    uint64_t start = hal_timer_ticks();

    while (hal_timer_ticks() - start < opts.ticks)
        __asm__ volatile("hlt");
    kprintf("FeuerBird: %u timer ticks, exiting\n", opts.ticks);
    hal_halt(HAL_EXIT_SUCCESS);
}

/* The kernel's C entry point; never returns. */
_Noreturn void main64(uint32_t magic, uint32_t info_phys);
_Noreturn void main64(uint32_t magic, uint32_t info_phys)
{
    uint64_t cycles;

    serial_init();
    gdt_init(0);
    x86_percpu_init(0, 0);
    idt_init();
    x86_cpu_probe();
    read_boot_info(magic, info_phys);
    bootmem_frames_init(&boot_info, magic, info_phys);
    x86_paging_init(&boot_info);
    x86_cpu_setup();
    start_dma();
    if (opts.loglevel >= 2)
        kprintf("FeuerBird: page tables live, %lu frames free\n", bootmem_free_frames());
    start_time();
    smp_start(&boot_info, opts.smp, opts.loglevel);
    start_caps();
    x86_selftest(opts.loglevel);

    cycles = rdtsc() - x86_boot_entry_tsc;
    kprintf("%s (entry->ok %lu cycles)\n", boot_success_marker, cycles);
    if (opts.loglevel >= 1)
        kprintf("FeuerBird: entry->ok %lu us\n", time_cycles_to_ns(cycles) / 1000);

    x86_inject_fault(opts.fault);
    if (opts.test != TEST_NONE)
        ktest_run(&opts);
    if (opts.autoexit)
        autoexit();
    userland_run(&boot_info, &opts);
}
