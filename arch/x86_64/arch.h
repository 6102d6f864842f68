/* Private interfaces between the parts of the x86_64 HAL: boot-time
 * setup calls made by main64, the exception frame built by isr.S, and
 * the state other files share (CPU features, TSC scale). */
#ifndef FB_ARCH_H
#define FB_ARCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "hal/aspace.h"
#include "hal/timer.h"
#include "x86.h"

/* Registers saved by isr.S, lowest address first. */
struct x86_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;   /* pushed by the CPU */
};
_Static_assert(__builtin_offsetof(struct x86_frame, rip) == X86_FRAME_RIP, "asm offset");
_Static_assert(__builtin_offsetof(struct x86_frame, cs) == X86_FRAME_CS, "asm offset");
_Static_assert(__builtin_offsetof(struct x86_frame, rflags) == X86_FRAME_RFLAGS, "asm offset");
_Static_assert(__builtin_offsetof(struct x86_frame, rsp) == X86_FRAME_RSP, "asm offset");

/* CPU features probed once at boot (cpu.c). */
struct x86_features {
    bool smep, smap, pge, rdrand, rdseed, apic, pcid;
    unsigned phys_bits;                  /* MAXPHYADDR */
};
extern struct x86_features x86_cpu;

/* One CPU's private state, reached through the GS base. Fields other
 * CPUs read are atomic; the rest is touched only by its own CPU with
 * interrupts off. */
struct x86_percpu {
    struct x86_percpu *self;     /* %gs:0, to turn GS into a pointer */
    uint32_t id;                 /* %gs:X86_PCPU_ID: index for hal_cpu_id */
    uint8_t fpu_live;            /* %gs:X86_PCPU_FPU_LIVE: the running context owns the FPU */
    uint64_t kstack_top;         /* %gs:X86_PCPU_KSTACK: published by hal_context_switch */
    uint64_t user_rsp;           /* %gs:X86_PCPU_USER_RSP: SYSCALL entry scratch */
    void *tss_rsp0;              /* %gs:X86_PCPU_TSS_RSP0: &TSS.rsp0 (unaligned, asm only) */
    _Atomic(hal_aspace_t *) aspace; /* current address space (NULL: kernel only); read by
                                       hal_aspace_destroy on any CPU */
    uint32_t apic_id;            /* local APIC ID, for IPIs and IOAPIC routes */
    atomic_bool online;          /* set once by the CPU itself when it is up */
    struct {                     /* the pending one-shot of lapic.c */
        hal_timer_fn fn;
        void *ctx;
        uint64_t deadline_ns;
        bool armed;
    } shot;
    _Atomic uint64_t kicks;      /* kick IPIs taken (statistic) */
    _Atomic uint64_t line_irqs;  /* device-line interrupts handed to the handler (statistic) */
};
_Static_assert(__builtin_offsetof(struct x86_percpu, id) == X86_PCPU_ID, "asm offset");
_Static_assert(__builtin_offsetof(struct x86_percpu, fpu_live) == X86_PCPU_FPU_LIVE, "asm offset");
_Static_assert(__builtin_offsetof(struct x86_percpu, kstack_top) == X86_PCPU_KSTACK, "asm offset");
_Static_assert(__builtin_offsetof(struct x86_percpu, user_rsp) == X86_PCPU_USER_RSP, "asm offset");
_Static_assert(__builtin_offsetof(struct x86_percpu, tss_rsp0) == X86_PCPU_TSS_RSP0, "asm offset");

extern struct x86_percpu x86_percpus[X86_MAX_CPUS];

/* The calling CPU's x86_percpu (valid after x86_percpu_init on it). */
static inline struct x86_percpu *x86_this_cpu(void)
{
    struct x86_percpu *p;

    __asm__ volatile("movq %%gs:0, %0" : "=r"(p));
    return p;
}

/* TSC value recorded by boot.S at the first instruction of the kernel. */
extern uint64_t x86_boot_entry_tsc;

/* Linker-script and boot.S symbols; only their addresses matter. */
extern char __kernel_phys_start[], __kernel_phys_end[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_end[];
extern char x86_boot_stack_guard[];

/* serial.c */
void serial_init(void);
void serial_enter_panic_mode(void);
void serial_write_raw(const char *s);

/* cpu.c: features, per-CPU data and control-register setup. */
void x86_cpu_probe(void);
void x86_cpu_setup(void);
void x86_percpu_init(unsigned id, uint32_t apic_id);
void x86_cpu_set_online(unsigned count);
void x86_udelay(uint64_t us);

/* gdt.c, idt.c */
void gdt_init(unsigned cpu);
void *gdt_tss_rsp0(unsigned cpu);
void idt_init(void);
void idt_load(void);
void x86_isr_dispatch(struct x86_frame *f);
uint64_t x86_spurious_count(void);
uint64_t x86_unexpected_count(void);

/* context.c: lazy FPU state. */
void x86_fpu_first_use(void);
void x86_fpu_clean(void);

/* user.c, syscall.S: SYSCALL/SYSRET, ring 3 entry and user faults. */
void x86_user_cpu_init(void);
void x86_user_return(void);
void x86_syscall(struct x86_frame *f);
bool x86_user_fault(const struct x86_frame *f);
_Noreturn void x86_user_iret(uintptr_t ip, uintptr_t sp, uint64_t arg);
void x86_syscall_entry(void);

/* smp.c: ACPI discovery and application processors. */
void smp_acpi_init(const struct boot_info *bi, uint32_t loglevel);
const struct acpi_info *smp_acpi(void);
void smp_start(const struct boot_info *bi, unsigned max_cpus, uint32_t loglevel);
typedef void (*smp_entry_fn)(void);
void smp_run_aps(smp_entry_fn fn);
int x86_stack_guard_cpu(uintptr_t va);

/* ioapic.c: device lines and the tick's line. */
bool ioapic_init(const struct acpi_info *ai, uint32_t loglevel);
void ioapic_start_tick(void);
void ioapic_irq(unsigned line);

/* paging.c: the kernel's own page tables and the direct map. */
void x86_paging_init(const struct boot_info *bi);
uint64_t x86_kernel_pml4(void);
/* A zeroed page-table frame from alloc (returned via free_fn if unusable). */
int x86_zeroed_table_frame(hal_frame_alloc_fn alloc, hal_frame_free_fn free_fn, uint64_t *pa);
typedef int (*x86_table_alloc_fn)(uint64_t *pa);
uint64_t *x86_pte_walk(uint64_t pml4_pa, uintptr_t va, uint64_t table_flags,
                       x86_table_alloc_fn alloc, int *err);

/* Page-table entry bits. */
#define PTE_P    0x001ull
#define PTE_W    0x002ull
#define PTE_U    0x004ull
#define PTE_PWT  0x008ull
#define PTE_PCD  0x010ull
#define PTE_PS   0x080ull
#define PTE_G    0x100ull
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

/* bootmem.c: boot info and the physical frame allocator. */
int bootmem_parse(uint32_t magic, uint32_t info_phys, struct boot_info *bi);
void bootmem_print(const struct boot_info *bi);
void bootmem_frames_init(const struct boot_info *bi, uint32_t magic, uint32_t info_phys);
int bootmem_frame_alloc(uint64_t *pa);
void bootmem_frame_free(uint64_t pa);
uint64_t bootmem_free_frames(void);
struct frame_allocator;
struct frame_allocator *bootmem_frames(void);
/* The DMA zone: X86_DMA_ZONE_BYTES below 4 GiB under a buddy allocator. */
#define X86_DMA_ZONE_BYTES (4u << 20)
struct buddy;
int bootmem_dma_zone_init(uint64_t *base);
struct buddy *bootmem_dma_zone(void);

/* userland.c: the initrd, the environment layer and /init. */
struct cmdline_opts;
_Noreturn void userland_run(const struct boot_info *bi, const struct cmdline_opts *o);

/* time.c, pic.c, lapic.c */
void time_calibrate(void);
uint64_t time_tsc_hz(void);
uint64_t time_cycles_to_ns(uint64_t cycles);
void pic_init_periodic(void);
void pic_disable(void);
void pit_start_periodic(void);
void pic_irq(unsigned irq);
void x86_tick(void);
void lapic_init(void);
void lapic_init_ap(void);
void lapic_mask_lint0(void);
uint32_t lapic_id(void);
bool lapic_addressable(uint32_t apic_id);
void lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);
void lapic_calibrate_start(void);
void lapic_calibrate_finish(uint32_t pit_ticks);
void lapic_timer_irq(void);
void lapic_eoi(void);
bool lapic_in_service(unsigned vector);

/* usercopy.c */
bool usercopy_fixup(struct x86_frame *f);
extern uint64_t x86_usercopy_fixups;
extern uint8_t x86_smap_active;

/* ktest.c: test=NAME, in-kernel tests on the scheduler. */
_Noreturn void ktest_run(const struct cmdline_opts *o);

/* selftest.c, faults.c */
void x86_selftest(uint32_t loglevel);
void x86_inject_fault(enum cmdline_fault fault);

#endif
