/* The application processors' first code, copied by smp.c to a page
 * below 1 MiB whose number is the SIPI vector. An AP starts there in real
 * mode with CS = page >> 4 and IP = 0, and goes straight to long mode on
 * the boot page tables (boot.S: below 4 GiB, so CR3 can be loaded in
 * 16-bit code, and they identity-map this page, which the kernel's own
 * tables do not), then jumps to x86_ap_entry in the higher half, which
 * moves to the kernel's page tables. smp.c fills in the fields from
 * x86_ap_gdt_ptr on before each start. Position independent: 16-bit code
 * addresses through DS = CS, 64-bit code RIP-relative. */
#include "x86.h"

#define OFF(sym) ((sym) - x86_ap_trampoline)

    .section .rodata
    .balign 16
    .globl x86_ap_trampoline
    .code16
x86_ap_trampoline:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl OFF(x86_ap_gdt_ptr)
    movl OFF(x86_ap_cr3), %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $(1 << 5), %eax                 /* PAE */
    movl %eax, %cr4
    movl $MSR_EFER, %ecx
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax   /* LME, NXE */
    wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax   /* PG, WP, PE at once: compatibility mode */
    movl %eax, %cr0
    ljmpl *OFF(x86_ap_far_ptr)          /* into the 64-bit code segment */

    .code64
    .globl x86_ap_long
x86_ap_long:
    movw $X86_SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movq x86_ap_stack(%rip), %rsp
    movq x86_ap_percpu(%rip), %rdi
    xorl %ebp, %ebp
    movabsq $x86_ap_entry, %rax
    jmp *%rax

    .balign 8
    .globl x86_ap_gdt, x86_ap_gdt_ptr, x86_ap_far_ptr, x86_ap_cr3, x86_ap_stack, x86_ap_percpu
x86_ap_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF            /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00CF92000000FFFF            /* 0x10: data, DPL 0 */
x86_ap_gdt_ptr:
    .short 3 * 8 - 1
    .long 0                             /* physical address of x86_ap_gdt */
    .balign 8
x86_ap_far_ptr:
    .long 0                             /* physical address of x86_ap_long */
    .short X86_SEL_KCODE
    .balign 8
x86_ap_cr3:
    .long 0                             /* x86_boot_pml4 */
    .balign 8
x86_ap_stack:
    .quad 0                             /* the AP's RSP */
x86_ap_percpu:
    .quad 0                             /* its struct x86_percpu, the entry's argument */
    .globl x86_ap_trampoline_end
x86_ap_trampoline_end:
