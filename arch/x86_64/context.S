/* Kernel context switch: the callee-saved registers and RSP (the C side
 * sees an ordinary call), plus the FPU/SSE registers of contexts that use
 * them. FPU state is lazy: a context that never touched the FPU runs with
 * CR0.TS set, and its first FPU instruction traps (#NM) into
 * x86_fpu_first_use, which marks this CPU's running context as an FPU
 * user (%gs:X86_PCPU_FPU_LIVE). Such a context's registers are saved with
 * FXSAVE when it is switched away from and restored when it is switched
 * to, so it may resume on any CPU. The incoming context's kernel stack
 * top becomes this CPU's TSS.rsp0 and SYSCALL stack (%gs:X86_PCPU_KSTACK):
 * a trap from user mode lands on the stack of the thread that runs there.
 * See x86.h for the context layout. */
#include "x86.h"

/* void hal_context_switch(hal_context_t *from, hal_context_t *to)
 * Interrupts are off (the contract), so this CPU's FPU state and CR0.TS
 * cannot change under us. */
    .text
    .globl hal_context_switch
hal_context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, X86_CTX_RSP(%rdi)
    movzbl %gs:X86_PCPU_FPU_LIVE, %eax  /* a running FPU user is always live, */
    movq %rax, X86_CTX_FPU(%rdi)        /* so this is from's flag (also for a */
    testl %eax, %eax                    /* boot context never initialized) */
    jz 1f
    fxsaveq X86_CTX_FX(%rdi)
1:  cmpq $0, X86_CTX_FPU(%rsi)
    je 2f
    clts                                /* to uses the FPU: its state goes live */
    fxrstorq X86_CTX_FX(%rsi)
    movb $1, %gs:X86_PCPU_FPU_LIVE
    jmp 3f
2:  cmpb $0, %gs:X86_PCPU_FPU_LIVE      /* TS is clear only while FPU state is live */
    je 3f
    movq %cr0, %rax
    orq $8, %rax                        /* CR0.TS: trap to's first FPU use */
    movq %rax, %cr0
    movb $0, %gs:X86_PCPU_FPU_LIVE
3:  movq X86_CTX_KSTACK(%rsi), %rax     /* 0 for a boot context: it never */
    movq %rax, %gs:X86_PCPU_KSTACK      /* runs user code (hal_user_enter */
    movq %gs:X86_PCPU_TSS_RSP0, %rdx    /* refuses a 0 stack top) */
    movq %rax, (%rdx)
    movq X86_CTX_RSP(%rsi), %rsp
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
