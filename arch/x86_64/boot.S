/* Kernel entry from Multiboot2 (GRUB, BIOS or EFI) and PVH (qemu -kernel):
 * both arrive in 32-bit protected mode without paging. This file checks
 * the CPU, builds the boot page tables, enters long mode and calls main64
 * on the higher-half boot stack. See docs/BOOT_SEQUENCE.md. */
#include "x86.h"

#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_ARCH_I386    0
#define PVH_MAGIC        0x336ec578     /* PVH_START_MAGIC in bootinfo.h */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define COM1 0x3F8
#define DEBUG_EXIT_PORT 0xF4
#define EXIT_FAILURE_CODE 0x11          /* HAL_EXIT_FAILURE */

#define PTE_P  0x001
#define PTE_W  0x002
#define PTE_PS 0x080
#define BOOT_PD_COUNT 4                 /* 4 page directories: 4 GiB */

/* ---- Multiboot2 header: no tags but the end tag; GRUB loads the ELF
 * segments at their physical addresses and enters at e_entry. */
    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    .short 0                            /* end tag: type 0 */
    .short 0                            /* flags */
    .long 8                             /* size */
mb2_header_end:

/* ---- PVH: the 32-bit physical entry point, read by QEMU from PT_NOTE. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                             /* namesz: "Xen\0" */
    .long 4                             /* descsz */
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .long pvh_entry

/* ---- Boot data at its physical address (reachable before paging). */
    .section .boot.data, "aw"
    .balign 8
boot_magic:     .long 0                 /* EAX from GRUB, or PVH_MAGIC */
boot_info_phys: .long 0                 /* EBX: MB2 info or PVH start_info */
boot_tsc:       .quad 0                 /* TSC at entry */

    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF            /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00CF92000000FFFF            /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

msg_no_cpuid:   .asciz "FeuerBird: CPU has no CPUID, cannot boot\r\n"
msg_no_lm:      .asciz "FeuerBird: CPU lacks long mode (x86_64), cannot boot\r\n"
msg_no_pae_nx:  .asciz "FeuerBird: CPU lacks PAE or NX, cannot boot\r\n"

/* Boot page tables: PML4, three PDPTs (identity, direct map, -2 GiB) and
 * four page directories of 2 MiB pages covering physical 0..4 GiB. */
    .section .boot.bss, "aw", @nobits
    .balign 4096
    .globl x86_boot_pml4                /* smp.c: the APs' way into long mode */
x86_boot_pml4:
boot_pml4:        .skip 4096
boot_pdpt_ident:  .skip 4096
boot_pdpt_direct: .skip 4096
boot_pdpt_high:   .skip 4096
boot_pd:          .skip 4096 * BOOT_PD_COUNT
boot_tables_end:
boot_stack32:     .skip 1024            /* only for the 32-bit helpers */
boot_stack32_top:

/* The boot stack lives in the higher half. The page under it is never
 * mapped by the final page tables, so an overflow faults. */
    .section .bss.boot_stack, "aw", @nobits
    .balign 4096
    .globl x86_boot_stack_guard
x86_boot_stack_guard:
    .skip 4096
    .skip X86_BOOT_STACK_SIZE
x86_boot_stack_top:

    .section .boot.text, "ax"
    .code32

/* Multiboot2 entry: EAX = magic, EBX = physical address of the info. */
    .globl mb2_entry
mb2_entry:
    cli
    cld
    movl %eax, boot_magic
    movl %ebx, boot_info_phys
    jmp entry_common

/* PVH entry: EBX = physical address of struct hvm_start_info. Its own
 * magic is checked by bootinfo_parse_pvh; here we only note the path. */
    .globl pvh_entry
pvh_entry:
    cli
    cld
    movl $PVH_MAGIC, boot_magic
    movl %ebx, boot_info_phys

entry_common:
    rdtsc
    movl %eax, boot_tsc
    movl %edx, boot_tsc + 4
    movl $boot_stack32_top, %esp
    call check_cpu
    call build_boot_tables

    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $(1 << 5), %eax                 /* PAE */
    movl %eax, %cr4
    movl $MSR_EFER, %ecx
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax   /* LME, NXE */
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax   /* PG, WP, PE */
    movl %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $X86_SEL_KCODE, $long_entry

/* Halts with a message unless the CPU has CPUID, long mode, PAE and NX. */
check_cpu:
    pushfl                              /* CPUID exists iff EFLAGS.ID toggles */
    popl %eax
    movl %eax, %ecx
    xorl $(1 << 21), %eax
    pushl %eax
    popfl
    pushfl
    popl %eax
    pushl %ecx
    popfl
    cmpl %eax, %ecx
    movl $msg_no_cpuid, %esi
    je cpu_fail

    movl $0x80000000, %eax
    cpuid
    movl $msg_no_lm, %esi
    cmpl $0x80000001, %eax
    jb cpu_fail
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx                       /* LM */
    jnc cpu_fail
    movl $msg_no_pae_nx, %esi
    btl $20, %edx                       /* NX */
    jnc cpu_fail
    movl $1, %eax
    cpuid
    btl $6, %edx                        /* PAE */
    jnc cpu_fail
    ret

/* Prints the string at ESI on COM1, reports failure to QEMU, halts. */
cpu_fail:
    movw $(COM1 + 1), %dx               /* no UART interrupts */
    xorb %al, %al
    outb %al, %dx
    movw $(COM1 + 3), %dx               /* DLAB for the divisor */
    movb $0x80, %al
    outb %al, %dx
    movw $COM1, %dx                     /* divisor 1: 115200 baud */
    movb $1, %al
    outb %al, %dx
    movw $(COM1 + 1), %dx
    xorb %al, %al
    outb %al, %dx
    movw $(COM1 + 3), %dx               /* 8N1 */
    movb $3, %al
    outb %al, %dx
1:  lodsb
    testb %al, %al
    jz 3f
    movb %al, %ah
    movw $(COM1 + 5), %dx
2:  inb %dx, %al                        /* wait for the transmitter */
    testb $0x20, %al
    jz 2b
    movw $COM1, %dx
    movb %ah, %al
    outb %al, %dx
    jmp 1b
3:  movw $DEBUG_EXIT_PORT, %dx
    movl $EXIT_FAILURE_CODE, %eax
    outl %eax, %dx
4:  cli
    hlt
    jmp 4b

/* Fills the boot page tables: the first 1 GiB identity-mapped (this code
 * keeps running after CR0.PG), 0..4 GiB at X86_DIRECT_MAP, and the first
 * 1 GiB at X86_KERNEL_VMA, all with 2 MiB pages. */
build_boot_tables:
    movl $boot_pml4, %edi
    movl $((boot_tables_end - boot_pml4) / 4), %ecx
    xorl %eax, %eax
    rep stosl

    movl $(boot_pdpt_ident + PTE_P + PTE_W), boot_pml4
    movl $(boot_pdpt_direct + PTE_P + PTE_W), boot_pml4 + 8 * 256
    movl $(boot_pdpt_high + PTE_P + PTE_W), boot_pml4 + 8 * 511
    movl $(boot_pd + PTE_P + PTE_W), boot_pdpt_ident
    movl $(boot_pd + PTE_P + PTE_W), boot_pdpt_high + 8 * 510

    xorl %ecx, %ecx                     /* PDPT entries 0..3 of the direct map */
1:  movl %ecx, %eax
    shll $12, %eax
    addl $(boot_pd + PTE_P + PTE_W), %eax
    movl %eax, boot_pdpt_direct(, %ecx, 8)
    incl %ecx
    cmpl $BOOT_PD_COUNT, %ecx
    jb 1b

    xorl %ecx, %ecx                     /* 2048 PD entries, 2 MiB each */
2:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P + PTE_W + PTE_PS), %eax
    movl %eax, boot_pd(, %ecx, 8)
    incl %ecx
    cmpl $(512 * BOOT_PD_COUNT), %ecx
    jb 2b
    ret

    .code64
/* Long mode, still on the identity map: zero .bss, hand the entry TSC to
 * C, move to the higher-half boot stack and call main64(magic, info). */
long_entry:
    movw $X86_SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs

    movq $__bss_start, %rdi
    movq $__bss_end, %rcx
    subq %rdi, %rcx
    xorl %eax, %eax
    rep stosb

    movq boot_tsc, %rax
    movq %rax, x86_boot_entry_tsc
    movl boot_magic, %edi
    movl boot_info_phys, %esi
    movq $x86_boot_stack_top, %rsp
    xorl %ebp, %ebp
    movabsq $main64, %rax
    call *%rax
1:  cli
    hlt
    jmp 1b
