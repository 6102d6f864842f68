/* HAL contract: running user code. A kernel thread becomes a user thread
 * by calling hal_user_enter in the address space it should run in; from
 * then on its system calls and its faults come back into the kernel on
 * that thread's own kernel stack (the stack given to hal_context_init),
 * through the two handlers core registers here. */
#ifndef HAL_USER_H
#define HAL_USER_H

#include <stdint.h>

/** Arguments a system call carries (x86_64: RDI RSI RDX R10 R8 R9). */
#define HAL_SYSCALL_ARGS 6

/**
 * Handles system call @p nr with @p args; the return value goes back to
 * user mode in the return register (x86_64: RAX). Runs in thread context
 * on the calling thread's kernel stack with interrupts enabled; it may
 * block, and it may end the thread (sched_exit) instead of returning.
 */
typedef int64_t (*hal_syscall_fn)(uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS]);

/** A fault raised by user code. */
struct hal_user_fault {
    uint32_t vector;   /**< x86_64 exception vector (14 = page fault, 13 = general protection, ...) */
    uint32_t reserved; /**< 0 */
    uint64_t error;    /**< the exception's error code, else 0 */
    uint64_t ip;       /**< user instruction pointer */
    uint64_t sp;       /**< user stack pointer */
    uint64_t addr;     /**< faulting address (page faults: CR2), else 0 */
};

/**
 * Handles a fault raised in user mode: it must not return (it ends the
 * thread with sched_exit). Runs in thread context on the faulting
 * thread's kernel stack with interrupts enabled.
 */
typedef void (*hal_user_fault_fn)(const struct hal_user_fault *f);

/**
 * Runs on the way back to user mode after an interrupt or exception, in
 * thread context on the thread's kernel stack with interrupts enabled
 * (after the resched hook, so on the thread that will resume). It may
 * end the thread (sched_exit) instead of returning: this is how the
 * kernel acts on a user thread that never makes a system call (a kill).
 */
typedef void (*hal_user_return_fn)(void);

/** Installs the system call handler (once, at boot; NULL is refused and
 *  a system call without a handler returns FB_ENOSYS). */
void hal_user_set_syscall_handler(hal_syscall_fn fn);

/** Installs the user fault handler (once, at boot). Without one a user
 *  fault panics. */
void hal_user_set_fault_handler(hal_user_fault_fn fn);

/** Installs the return-to-user hook (once, at boot; NULL: none). Host:
 *  simulated user code has no interrupts, so it runs the hook where the
 *  program calls hal_host_user_return (hal_host_user.h). */
void hal_user_set_return_hook(hal_user_return_fn fn);

/**
 * Leaves the kernel: the calling thread continues in user mode at @p ip
 * with stack pointer @p sp and @p arg in the first argument register
 * (x86_64: RDI), every other register zero, interrupts enabled and a
 * clean FPU/SSE state (user code may use SSE; its state is saved and
 * restored with the thread's context). The current address space
 * (hal_aspace_switch) must map @p ip and @p sp. Thread context, on a
 * thread created with hal_context_init. Never returns.
 * Host: calls the runner registered with hal_host_set_user_runner
 * (hal_host_user.h), which simulates the program; its system calls and
 * faults (hal_host_syscall, hal_host_user_fault) reach the same handlers
 * as on hardware.
 */
_Noreturn void hal_user_enter(uintptr_t ip, uintptr_t sp, uint64_t arg);

#endif
