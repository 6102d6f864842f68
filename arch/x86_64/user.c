/* User mode on x86_64: the SYSCALL MSRs of every CPU, the C side of a
 * system call (syscall.S builds the frame), user faults handed to core's
 * handler, and hal_user_enter. Ring 3 runs with CS 0x23, SS 0x1B, IF set,
 * IOPL 0 and no I/O bitmap; every IDT gate has DPL 0, so INT n from user
 * code is a #GP, and SYSENTER is off (IA32_SYSENTER_CS 0: #GP too). */
#include <stdatomic.h>
#include <stdint.h>

#include "arch.h"
#include "hal/aspace.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "hal/user.h"
#include "kerr.h"
#include "x86.h"

#define VEC_GP 13
#define VEC_PF 14

/* Set at boot (or by a test before its first user thread); the release
 * stores pair with the acquire loads at each use, so what the registrant
 * set up before is visible to a handler call on any CPU. */
static _Atomic(hal_syscall_fn) syscall_fn;
static _Atomic(hal_user_fault_fn) fault_fn;
static _Atomic(hal_user_return_fn) return_fn;

/* Installs fn as the system call handler; NULL is refused (ignored). */
void hal_user_set_syscall_handler(hal_syscall_fn fn)
{
    if (fn != NULL)
        atomic_store_explicit(&syscall_fn, fn, memory_order_release);
}

/* Installs fn as the user fault handler. */
void hal_user_set_fault_handler(hal_user_fault_fn fn)
{
    atomic_store_explicit(&fault_fn, fn, memory_order_release);
}

/* Installs fn as the return-to-user hook. */
void hal_user_set_return_hook(hal_user_return_fn fn)
{
    atomic_store_explicit(&return_fn, fn, memory_order_release);
}

/* Called by x86_isr_dispatch before an interrupt or exception frame goes
 * back to ring 3: runs the return hook with interrupts on (the EOI is
 * done; the hook may block or end the thread). Interrupts off again on
 * return, as the exit path expects. */
void x86_user_return(void)
{
    /* acquire: see the top of the file. */
    hal_user_return_fn fn = atomic_load_explicit(&return_fn, memory_order_acquire);

    if (fn == NULL)
        return;
    __asm__ volatile("sti" ::: "memory");
    fn();
    __asm__ volatile("cli" ::: "memory");
}

/* Sets up SYSCALL on the calling CPU: STAR's kernel base 0x08 gives
 * CS 0x08 / SS 0x10 on entry, its user base 0x10 gives CS 0x20|3 / SS
 * 0x18|3 on SYSRET (gdt.c orders the segments for this); FMASK clears IF
 * (the entry has no stack yet), DF (the C ABI), TF (no single-stepping
 * into the kernel) and AC (SMAP stays on). The GS base user code sees
 * after SWAPGS starts at 0, as does FS's. Interrupts off. */
void x86_user_cpu_init(void)
{
    wrmsr(MSR_STAR, ((uint64_t)(X86_SEL_UDATA - 8) << 48) | ((uint64_t)X86_SEL_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)x86_syscall_entry);
    wrmsr(MSR_FMASK, X86_RFLAGS_IF | X86_RFLAGS_DF | X86_RFLAGS_TF | X86_RFLAGS_AC);
    wrmsr(MSR_SYSENTER_CS, 0);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

/* Runs the fault handler with interrupts on, on this thread's kernel
 * stack (where the trap landed); it ends the thread. */
_Noreturn static void deliver(hal_user_fault_fn fn, const struct hal_user_fault *uf)
{
    __asm__ volatile("sti" ::: "memory");
    fn(uf);
    hal_panic("the user fault handler returned");
}

/* A system call from syscall.S, interrupts on: nr in RAX, arguments in
 * RDI RSI RDX R10 R8 R9 (R10 stands in for RCX, which SYSCALL takes), the
 * result back into RAX. A return address that is not canonical (a
 * SYSCALL in the last bytes of the lower half) cannot be SYSRET to, so
 * the caller gets the #GP the next instruction fetch would have raised. */
void x86_syscall(struct x86_frame *f)
{
    const uint64_t args[HAL_SYSCALL_ARGS] = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 };
    /* acquire: see syscall_fn. */
    hal_syscall_fn fn = atomic_load_explicit(&syscall_fn, memory_order_acquire);
    hal_user_fault_fn ffn;

    f->rax = (uint64_t)(fn != NULL ? fn(f->rax, args) : FB_ENOSYS);
    if (f->rip < HAL_USER_TOP)
        return;
    /* acquire: see syscall_fn. */
    ffn = atomic_load_explicit(&fault_fn, memory_order_acquire);
    if (ffn == NULL)
        hal_panic("system call returns to a non-canonical address and no user fault handler");
    deliver(ffn, &(struct hal_user_fault){ .vector = VEC_GP, .ip = f->rip, .sp = f->rsp });
}

/* An exception taken in ring 3 (interrupts off, on this thread's kernel
 * stack, GS already the kernel's): hands it to the fault handler, which
 * never returns. False when there is none (the caller dumps and halts).
 * NMI, #DF and #MC are never the user's doing and do not come here. */
bool x86_user_fault(const struct x86_frame *f)
{
    /* acquire: see syscall_fn. */
    hal_user_fault_fn fn = atomic_load_explicit(&fault_fn, memory_order_acquire);
    struct hal_user_fault uf = {
        .vector = (uint32_t)f->vector, .error = f->error, .ip = f->rip, .sp = f->rsp,
        /* CR2 before interrupts go on: a page fault elsewhere would change it. */
        .addr = f->vector == VEC_PF ? read_cr2() : 0,
    };

    if (fn == NULL)
        return false;
    deliver(fn, &uf);
}

/* Checks the contract (a user ip and sp, a thread with a kernel stack),
 * gives the FPU a clean state and drops to ring 3. */
_Noreturn void hal_user_enter(uintptr_t ip, uintptr_t sp, uint64_t arg)
{
    hal_irq_disable();
    if (ip < HAL_USER_BASE || ip >= HAL_USER_TOP || sp < HAL_USER_BASE || sp >= HAL_USER_TOP)
        hal_panic("hal_user_enter: ip or sp outside user space");
    if (x86_this_cpu()->kstack_top == 0)
        hal_panic("hal_user_enter: not in a context made by hal_context_init");
    x86_fpu_clean();
    x86_user_iret(ip, sp, arg);
}
