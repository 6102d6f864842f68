/* The ways between ring 3 and the kernel that are not interrupts: the
 * SYSCALL entry and its SYSRET return, and the first IRETQ into user mode
 * (hal_user_enter). A system call runs on the calling thread's kernel
 * stack (%gs:X86_PCPU_KSTACK, published by hal_context_switch) in a
 * struct x86_frame built like an interrupt's, so a thread preempted or
 * blocked inside a system call is switched like any other. */
#include "frame_asm.h"
#include "x86.h"

/* Offset of a frame field from RSP once POP_GPRS has run (15 words). */
#define POPPED(off) ((off) - 8 * 15)

    .text

/* SYSCALL lands here (IA32_LSTAR) with RCX = user RIP, R11 = user RFLAGS,
 * the kernel's CS/SS and IF, DF, TF and AC cleared (IA32_FMASK), but
 * still the user's RSP and GS. Interrupts stay off until the frame is
 * complete; NMI and #MC use IST stacks and test the GS base themselves. */
    .globl x86_syscall_entry
x86_syscall_entry:
    swapgs
    movq %rsp, %gs:X86_PCPU_USER_RSP
    movq %gs:X86_PCPU_KSTACK, %rsp
    pushq $X86_USER_SS
    pushq %gs:X86_PCPU_USER_RSP
    pushq %r11                          /* RFLAGS */
    pushq $X86_USER_CS
    pushq %rcx                          /* RIP */
    pushq $0                            /* error code */
    pushq $X86_VEC_SYSCALL
    PUSH_GPRS
    sti
    movq %rsp, %rdi                     /* 22 quadwords below a 16-aligned top */
    call x86_syscall                    /* result in the frame's RAX */
    cli
    POP_GPRS
    /* Every register but RAX, RCX and R11 is the user's again. SYSRET
     * takes RIP from RCX and RFLAGS from R11; x86_syscall made sure RIP is
     * canonical (Intel's SYSRET would fault in ring 0 on the user stack). */
    movq POPPED(X86_FRAME_RIP)(%rsp), %rcx
    movq POPPED(X86_FRAME_RFLAGS)(%rsp), %r11
    movq POPPED(X86_FRAME_RSP)(%rsp), %rsp
    swapgs
    sysretq

/* _Noreturn void x86_user_iret(uintptr_t ip, uintptr_t sp, uint64_t arg)
 * Interrupts are off (hal_user_enter). Builds an IRETQ frame to ring 3
 * with IF set, puts arg in RDI and zeroes every other register, so no
 * kernel value reaches user mode; DS and ES hold kernel selectors, which
 * IRETQ to ring 3 replaces with null. This thread's kernel stack is
 * abandoned: its traps start again at its top. */
    .globl x86_user_iret
x86_user_iret:
    pushq $X86_USER_SS
    pushq %rsi
    pushq $0x202                        /* IF, and bit 1, which is always set */
    pushq $X86_USER_CS
    pushq %rdi
    movq %rdx, %rdi
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    swapgs
    iretq
