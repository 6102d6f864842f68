/* Kernel context switch: only the callee-saved registers and RSP need
 * saving, since hal_context_switch is an ordinary call for the C side. */

/* void hal_context_switch(hal_context_t *from, hal_context_t *to)
 * The first quadword of a context is its saved RSP. */
    .text
    .globl hal_context_switch
hal_context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq (%rsi), %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* First code of a new context (see hal_context_init): R12 = entry,
 * R13 = arg. An entry that returns has nowhere to go. */
    .globl x86_context_trampoline
x86_context_trampoline:
    movq %r13, %rdi
    call *%r12
    call x86_context_returned
    ud2
