/* Inline wrappers for x86_64 instructions (port I/O, MSRs, control
 * registers, CPUID, TSC) and the layout constants shared by the
 * boot assembly, the linker script and the C side of the HAL. */
#ifndef FB_X86_H
#define FB_X86_H

/* Virtual base of the kernel image: physical 0 maps here (-2 GiB). */
#define X86_KERNEL_VMA     0xFFFFFFFF80000000
/* Virtual base of the direct map of physical memory. */
#define X86_DIRECT_MAP     0xFFFF800000000000
/* The boot page tables reach this much physical memory (4 GiB). */
#define X86_BOOT_MAP_LIMIT 0x100000000

/* GDT selectors; the user pair is ordered for SYSRET (data, then code). */
#define X86_SEL_KCODE 0x08
#define X86_SEL_KDATA 0x10
#define X86_SEL_UDATA 0x18
#define X86_SEL_UCODE 0x20
#define X86_SEL_TSS   0x28

/* Interrupt stack table slots used by the IDT. */
#define X86_IST_DF  1
#define X86_IST_NMI 2
#define X86_IST_MC  3

/* Interrupt vectors owned by the HAL. */
#define X86_VEC_NM          7    /* #NM: first FPU use of a context */
#define X86_VEC_PIC_BASE    0x20 /* 8259 master IRQ0..7, slave IRQ8..15 */
#define X86_VEC_LINE_BASE   0x30 /* IOAPIC line n (GSI n) arrives at 0x30 + n */
#define X86_MAX_LINES       0xC0 /* lines that have a vector: 0x30..0xEF */
#define X86_VEC_LAPIC_TIMER 0xF0 /* one-shot timer */
#define X86_VEC_KICK        0xF1 /* hal_cpu_kick IPI */
#define X86_VEC_SPURIOUS    0xFF /* LAPIC spurious vector */

/* Not an IDT vector: marks a SYSCALL frame (syscall.S) in its vector slot. */
#define X86_VEC_SYSCALL     0x100

/* CPUs the HAL can run; more in the MADT are left halted. */
#define X86_MAX_CPUS 16
/* Offsets in struct x86_percpu that assembly reads through %gs. */
#define X86_PCPU_ID        8
#define X86_PCPU_FPU_LIVE  12
#define X86_PCPU_KSTACK    16   /* running thread's kernel stack top */
#define X86_PCPU_USER_RSP  24   /* SYSCALL entry's scratch for the user RSP */
#define X86_PCPU_TSS_RSP0  32   /* address of this CPU's TSS.rsp0 */
/* Offsets in a hal_context_t: saved RSP, FPU-user flag, kernel stack top
 * (0 for contexts hal_context_init did not make), FXSAVE area. */
#define X86_CTX_RSP    0
#define X86_CTX_FPU    8
#define X86_CTX_KSTACK 16
#define X86_CTX_FX     64
#define X86_FX_BYTES 512

/* Offsets in struct x86_frame (arch.h) that assembly reads. */
#define X86_FRAME_RIP    136
#define X86_FRAME_CS     144
#define X86_FRAME_RFLAGS 152
#define X86_FRAME_RSP    160

/* User selectors with RPL 3, as IRETQ and SYSRET leave them. */
#define X86_USER_CS (X86_SEL_UCODE | 3)
#define X86_USER_SS (X86_SEL_UDATA | 3)

/* MSRs used by the HAL. */
#define MSR_EFER           0xC0000080
#define MSR_STAR           0xC0000081
#define MSR_LSTAR          0xC0000082
#define MSR_FMASK          0xC0000084
#define MSR_FS_BASE        0xC0000100
#define MSR_GS_BASE        0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102
#define MSR_SYSENTER_CS    0x174
#define MSR_APIC_BASE      0x1B
#define EFER_SCE           0x1   /* SYSCALL/SYSRET enabled */

/* The 8254 PIT's input clock (Hz) and the divisor for the 100 Hz tick. */
#define X86_PIT_HZ      1193182
#define X86_PIT_DIVISOR 11932

/* The boot stack and the guard page under it. */
#define X86_BOOT_STACK_SIZE 16384

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>

/* Writes one byte to an I/O port. */
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

/* Writes four bytes to an I/O port. */
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* Reads one byte from an I/O port. */
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* Reads the time-stamp counter. */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Reads a model-specific register. */
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

/* Writes a model-specific register. */
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Executes CPUID for @leaf/@subleaf; r[0..3] = eax, ebx, ecx, edx. */
static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(subleaf));
}

/* Control register accessors; "memory" keeps accesses ordered around them. */
static inline uint64_t read_cr0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline void write_cr0(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* Drops the TLB entry for one virtual address. */
static inline void invlpg(uintptr_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Reads RFLAGS. */
static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

#define X86_RFLAGS_IF (1ull << 9)


/* Control register bits. */
#define CR0_MP   (1ull << 1)
#define CR0_EM   (1ull << 2)
#define CR0_TS   (1ull << 3)
#define CR0_NE   (1ull << 5)
#define CR0_WP   (1ull << 16)
#define CR4_PGE  (1ull << 7)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR3_NOFLUSH (1ull << 63)   /* with CR4.PCIDE: keep the PCID's TLB entries */

/* RFLAGS bits the SYSCALL entry clears (IA32_FMASK). */
#define X86_RFLAGS_TF (1ull << 8)
#define X86_RFLAGS_DF (1ull << 10)
#define X86_RFLAGS_AC (1ull << 18)

/* Physical address of a symbol in the kernel image (linked at X86_KERNEL_VMA). */
static inline uint64_t x86_image_phys(const void *p)
{
    return (uint64_t)(uintptr_t)p - X86_KERNEL_VMA;
}

#endif /* !__ASSEMBLER__ */
#endif
