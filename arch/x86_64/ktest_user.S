/* test=user: the user programs. Assembled into .rodata and copied to one
 * page at KT_CODE_VA, so they are position independent; each starts with
 * RDI = its argument and RSP = KT_STACK_TOP, ends with KT_EXIT (a failure
 * code unless said otherwise) or a fault the test expects, and reaches
 * the kernel only through the test's system calls (ktest_user.h). */
#include "ktest_user.h"

#define SYS(n) movl $(n), %eax; syscall
#define EXIT(code) movl $(code), %edi; SYS(KT_EXIT)

    .section .rodata
    .balign 16
    .globl ktest_user_code, ktest_user_code_end
ktest_user_code:

/* Before any handler exists: a system call returns FB_ENOSYS, which this
 * reports as #UD at ktest_user_enosys_ok (anything else: #GP). */
    .globl ktest_user_enosys, ktest_user_enosys_ok
ktest_user_enosys:
    movl $KT_UNKNOWN, %eax
    syscall
    cmpq $KT_ENOSYS, %rax
    jne 1f
ktest_user_enosys_ok:
    ud2
1:  hlt

/* KT_NULL_BATCHES batches of KT_NULL_PER_BATCH null calls, each result
 * checked; the TSC cycles of each batch are recorded. Exit 0. */
    .globl ktest_user_null
ktest_user_null:
    movl $KT_NULL_BATCHES, %r12d
1:  rdtsc
    shlq $32, %rdx
    orq %rax, %rdx
    movq %rdx, %r13
    movl $KT_NULL_PER_BATCH, %ebx
2:  SYS(KT_NULL)
    cmpq $KT_NULL_MARK, %rax
    jne 3f
    decl %ebx
    jnz 2b
    rdtsc
    shlq $32, %rdx
    orq %rax, %rdx
    subq %r13, %rdx
    movq %rdx, %rdi
    SYS(KT_RECORD)
    decl %r12d
    jnz 1b
    EXIT(0)
3:  EXIT(1)

/* RDI = a pattern: checks XMM0 and XMM15 start at zero (exit 2), keeps
 * the pattern and its complement in them across KT_SSE_ROUNDS rounds
 * (exit 1 on a change). ktest_user_sse moves to CPU (round mod CPUs)
 * after each round's spin; ktest_user_sse_spin never enters the kernel,
 * so only preemption takes it off its CPU. Exit 0. */
    .globl ktest_user_sse, ktest_user_sse_spin
ktest_user_sse_spin:
    movl $1, %r14d
ktest_user_sse:
    movq %xmm0, %rax
    movq %xmm15, %rdx
    orq %rdx, %rax
    jnz 8f
    movq %rdi, %xmm0
    movq %rdi, %r12
    notq %r12
    movq %r12, %xmm15
    movq %rdi, %r13
    movl $KT_SSE_ROUNDS, %ebx
1:  movl $KT_SSE_SPIN, %ecx
2:  decl %ecx
    jnz 2b
    testl %r14d, %r14d
    jnz 3f
    movl %ebx, %edi
    SYS(KT_MIGRATE)
3:  movq %xmm0, %rax
    cmpq %r13, %rax
    jne 9f
    movq %xmm15, %rax
    cmpq %r12, %rax
    jne 9f
    decl %ebx
    jnz 1b
    EXIT(0)
8:  EXIT(2)
9:  EXIT(1)

/* Fills twelve registers with KT_REG(1..12), makes a call that clobbers
 * the kernel's caller-saved registers, then has the kernel compare those
 * twelve, RCX (must be ktest_user_regs_ret) and R11 (must be KT_RFLAGS)
 * as saved on its stack. Exits with the kernel's mismatch mask. */
    .globl ktest_user_regs, ktest_user_regs_ret
ktest_user_regs:
    movabsq $KT_REG(1), %rbx
    movabsq $KT_REG(2), %rbp
    movabsq $KT_REG(3), %rdi
    movabsq $KT_REG(4), %rsi
    movabsq $KT_REG(5), %rdx
    movabsq $KT_REG(6), %r8
    movabsq $KT_REG(7), %r9
    movabsq $KT_REG(8), %r10
    movabsq $KT_REG(9), %r12
    movabsq $KT_REG(10), %r13
    movabsq $KT_REG(11), %r14
    movabsq $KT_REG(12), %r15
    SYS(KT_CLOBBER)
ktest_user_regs_ret:
    pushq %r11
    pushq %rcx
    pushq %r15
    pushq %r14
    pushq %r13
    pushq %r12
    pushq %r10
    pushq %r9
    pushq %r8
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %rbx
    movq %rsp, %rdi
    SYS(KT_CHECK_REGS)
    movq %rax, %rdi
    SYS(KT_EXIT)

/* Records what KT_COPY returns for 8 bytes at a good stack address, an
 * unmapped user address, a kernel address and a range running off the
 * top of the stack page. Exit 0. */
    .globl ktest_user_copy
ktest_user_copy:
    movabsq $KT_COPY_VALUE, %rax
    pushq %rax
    movq %rsp, %rdi
    call 1f
    movl $KT_UNMAPPED, %edi
    call 1f
    movq $KT_KERNEL_VA, %rdi
    call 1f
    movabsq $(KT_STACK_TOP - 4), %rdi
    call 1f
    EXIT(0)
1:  movl $8, %esi
    SYS(KT_COPY)
    movq %rax, %rdi
    SYS(KT_RECORD)
    ret

/* Faults the test expects, each at a known instruction. */
    .globl ktest_user_pf, ktest_user_pf_at
ktest_user_pf:
    movl $KT_UNMAPPED, %eax
ktest_user_pf_at:
    movq (%rax), %rax
    EXIT(1)

    .globl ktest_user_ud
ktest_user_ud:
    ud2
    EXIT(1)

    .globl ktest_user_gp
ktest_user_gp:
    hlt
    EXIT(1)

/* Writes to its own code page, which is mapped without write. */
    .globl ktest_user_wx, ktest_user_wx_at
ktest_user_wx:
    leaq ktest_user_wx(%rip), %rax
ktest_user_wx_at:
    movq %rax, (%rax)
    EXIT(1)

/* RDI = the data page. Writes it on CPU 0 (its TLB now holds a writable
 * translation), has it made read-only (KT_PROTECT) or unmapped
 * (KT_UNMAP), and writes it on CPU 0 again: that must fault. The plain
 * entries change it from the last CPU (another CPU's TLB), the _local
 * ones from CPU 0 without leaving it (INVLPG). R14: unmap, R15: local. */
    .globl ktest_user_tlb_protect, ktest_user_tlb_protect_local
    .globl ktest_user_tlb_unmap, ktest_user_tlb_unmap_local, ktest_user_tlb_at
ktest_user_tlb_unmap_local:
    movl $1, %r15d
ktest_user_tlb_unmap:
    movl $1, %r14d
    jmp 1f
ktest_user_tlb_protect_local:
    movl $1, %r15d
ktest_user_tlb_protect:
1:  movq %rdi, %r12
    xorl %edi, %edi
    SYS(KT_MIGRATE)
    movq %rax, (%r12)
    testl %r15d, %r15d
    jnz 2f
    movl $KT_LAST_CPU, %edi
    SYS(KT_MIGRATE)
2:  movq %r12, %rdi
    movl $KT_PROT_RO, %esi
    movl $KT_PROTECT, %eax
    testl %r14d, %r14d
    jz 3f
    movl $KT_UNMAP, %eax
3:  syscall
    testq %rax, %rax
    jnz 9f
    testl %r15d, %r15d
    jnz ktest_user_tlb_at
    xorl %edi, %edi
    SYS(KT_MIGRATE)
ktest_user_tlb_at:
    movq %rax, (%r12)
    EXIT(1)
9:  EXIT(2)

ktest_user_code_end:
