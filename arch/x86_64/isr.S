/* Interrupt entry: one 16-byte entry per vector pushes a uniform frame
 * (error code or 0, then the vector), and isr_common saves the general
 * registers and calls x86_isr_dispatch(struct x86_frame *).
 *
 * GS: in the kernel the GS base is this CPU's x86_percpu; in user mode it
 * is the user's (always 0: user code cannot change it), the kernel's
 * parked in IA32_KERNEL_GS_BASE. An entry from ring 3 (saved CS & 3)
 * swaps them on the way in and back on the way out. That test is not
 * enough for #DF, NMI and #MC: they arrive on their own IST stacks at any
 * instruction, also between the SWAPGS and the SYSRET/IRETQ of a return
 * to user mode (CS still the kernel's, GS already the user's). Their entry
 * (isr_paranoid) reads the GS base itself instead: the kernel's is a
 * higher-half address, negative as a signed number, the user's never is. */
#include "frame_asm.h"
#include "x86.h"

    .altmacro

/* One entry point. Vectors 8, 10-14, 17, 21, 29 and 30 get an error code
 * from the CPU; every other entry pushes 0 in its place. */
    .macro ISR_ENTRY v
    .balign 16
isr_entry_\v:
    .if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
    .else
    pushq $0
    .endif
    pushq $\v
    .if (\v == 2) || (\v == 8) || (\v == 18)
    jmp isr_paranoid
    .else
    jmp isr_common
    .endif
    .endm

    .macro ISR_TABLE_ENTRY v
    .quad isr_entry_\v
    .endm

    .text
    .set vec, 0
    .rept 256
    ISR_ENTRY %vec
    .set vec, vec + 1
    .endr

/* x86_isr_table[v] is the entry point of vector v, for the IDT. */
    .section .rodata
    .balign 8
    .globl x86_isr_table
x86_isr_table:
    .set vec, 0
    .rept 256
    ISR_TABLE_ENTRY %vec
    .set vec, vec + 1
    .endr

    .text
isr_common:
    PUSH_GPRS
    testb $3, X86_FRAME_CS(%rsp)
    jz 1f
    swapgs                              /* from ring 3: the kernel's GS */
1:  ENTRY_FLAGS
    movq %rsp, %rdi                     /* 22 quadwords pushed: RSP is 16-aligned */
    call x86_isr_dispatch
    testb $3, X86_FRAME_CS(%rsp)
    jz 2f
    cli                                 /* nothing may run between here and IRETQ */
    swapgs
2:  POP_GPRS
    addq $16, %rsp                      /* vector and error code */
    iretq

/* #DF, NMI, #MC: swaps GS only when the kernel's is not loaded, and
 * remembers that in RBX (callee-saved) to swap back before IRETQ. */
isr_paranoid:
    PUSH_GPRS
    movl $MSR_GS_BASE, %ecx
    rdmsr
    xorl %ebx, %ebx
    testl %edx, %edx
    js 1f                               /* already the kernel's */
    swapgs
    movl $1, %ebx
1:  ENTRY_FLAGS
    movq %rsp, %rdi
    call x86_isr_dispatch
    testl %ebx, %ebx
    jz 2f
    swapgs
2:  POP_GPRS
    addq $16, %rsp
    iretq
