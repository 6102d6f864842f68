/* Assembly macros shared by the trap entries (isr.S, syscall.S): saving
 * and restoring the general registers in struct x86_frame's order, and
 * the entry work every path does before it calls C. */
#ifndef FB_FRAME_ASM_H
#define FB_FRAME_ASM_H

#ifdef __ASSEMBLER__

/* Pushes RAX .. R15: with the vector, error code and the CPU's (or
 * syscall.S's) five words above them, RSP then points at a struct x86_frame. */
    .macro PUSH_GPRS
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
    .endm

/* Pops what PUSH_GPRS pushed; RSP then points at the vector slot. */
    .macro POP_GPRS
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
    .endm

/* Clears DF (the ABI's direction) and drops a STAC left by usercopy:
 * handlers never touch user memory. */
    .macro ENTRY_FLAGS
    cld
    cmpb $0, x86_smap_active(%rip)
    je 9f
    clac
9:
    .endm

#endif
#endif
