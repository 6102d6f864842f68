/* The per-CPU GDTs (kernel and user segments in SYSCALL/SYSRET order) and
 * TSSs, whose interrupt stack tables give #DF, NMI and #MC their own
 * stacks, so they are handled even when the interrupted stack is unusable.
 * Each CPU has its own TSS: a busy TSS cannot be loaded twice. TSS.rsp0,
 * the stack an interrupt from ring 3 lands on, is the running thread's
 * kernel stack top, written by hal_context_switch (context.S). */
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "x86.h"

#define IST_STACK_SIZE 8192

/* 64-bit TSS (Intel SDM vol. 3, 8.7). */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct gdt_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* Null, kernel code, kernel data, user data, user code, TSS (two slots). */
static const uint64_t gdt_template[7] = {
    0,
    0x00AF9A000000FFFFull,   /* 0x08 kernel code: P, DPL 0, exec/read, L */
    0x00CF92000000FFFFull,   /* 0x10 kernel data: P, DPL 0, read/write */
    0x00CFF2000000FFFFull,   /* 0x18 user data: P, DPL 3, read/write */
    0x00AFFA000000FFFFull,   /* 0x20 user code: P, DPL 3, exec/read, L */
    0, 0,                    /* 0x28 TSS, filled in by gdt_init */
};

static uint64_t gdts[X86_MAX_CPUS][7];
static struct tss64 tsss[X86_MAX_CPUS];
static uint8_t ist_stacks[X86_MAX_CPUS][3][IST_STACK_SIZE] __attribute__((aligned(16)));

/* Writes the 16-byte descriptor of an available 64-bit TSS into gdt[5..6]. */
static void set_tss_descriptor(uint64_t *gdt, const struct tss64 *tss)
{
    uint64_t base = (uint64_t)(uintptr_t)tss;
    uint64_t limit = sizeof(*tss) - 1;

    gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
             (0x89ull << 40) |                 /* P, type 9: available TSS */
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[6] = base >> 32;
}

/* Address of CPU cpu's TSS.rsp0 (4 bytes into the packed TSS, so not
 * 8-byte aligned: only context.S stores through it). */
void *gdt_tss_rsp0(unsigned cpu)
{
    return (char *)&tsss[cpu] + offsetof(struct tss64, rsp);
}

/* Builds CPU cpu's GDT and TSS, loads them and reloads every segment
 * register and the task register. Runs on that CPU, interrupts off. */
void gdt_init(unsigned cpu)
{
    uint64_t *gdt = gdts[cpu];
    struct tss64 *tss = &tsss[cpu];
    struct gdt_ptr p = { sizeof(gdts[0]) - 1, (uint64_t)(uintptr_t)gdt };

    for (unsigned i = 0; i < 7; i++)
        gdt[i] = gdt_template[i];
    tss->ist[X86_IST_DF - 1] = (uint64_t)(uintptr_t)&ist_stacks[cpu][0][IST_STACK_SIZE];
    tss->ist[X86_IST_NMI - 1] = (uint64_t)(uintptr_t)&ist_stacks[cpu][1][IST_STACK_SIZE];
    tss->ist[X86_IST_MC - 1] = (uint64_t)(uintptr_t)&ist_stacks[cpu][2][IST_STACK_SIZE];
    tss->iomap_base = sizeof(*tss);   /* no I/O bitmap: ring 3 gets no ports */
    set_tss_descriptor(gdt, tss);

    __asm__ volatile("lgdt %0" : : "m"(p) : "memory");
    /* CS can only be reloaded by a far transfer: return to the next line. */
    __asm__ volatile("pushq %[cs]\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w[ds], %%ds\n\t"
                     "movw %w[ds], %%es\n\t"
                     "movw %w[ds], %%ss\n\t"
                     "movw %w[null], %%fs\n\t"
                     "movw %w[null], %%gs\n\t"
                     "ltr %w[tr]"
                     :
                     : [cs] "i"(X86_SEL_KCODE), [ds] "r"(X86_SEL_KDATA), [null] "r"(0),
                       [tr] "r"(X86_SEL_TSS)
                     : "rax", "memory");
}
