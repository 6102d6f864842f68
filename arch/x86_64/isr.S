/* Interrupt entry: one 16-byte entry per vector pushes a uniform frame
 * (error code or 0, then the vector), and isr_common saves the general
 * registers and calls x86_isr_dispatch(struct x86_frame *). */
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
    jmp isr_common
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
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    /* Handlers never touch user memory: drop a STAC left by usercopy. */
    cmpb $0, x86_smap_active(%rip)
    je 1f
    clac
1:  movq %rsp, %rdi                     /* 22 quadwords pushed: RSP is 16-aligned */
    call x86_isr_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                      /* vector and error code */
    iretq
