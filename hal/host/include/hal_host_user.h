/* Host-only controls of user mode (hal/user.h). The host cannot run
 * machine code in a ring, so "user mode" is whatever test code registers
 * as the runner: hal_user_enter hands it ip, sp and arg (it decides what
 * ip means, e.g. which simulated program), and the simulated program
 * traps into the kernel through hal_host_syscall and hal_host_user_fault,
 * which reach core's handlers exactly as the x86_64 trap paths do. Tests
 * use this header; core/ never includes it. */
#ifndef HAL_HOST_USER_H
#define HAL_HOST_USER_H

#include <stdint.h>

#include "hal/user.h"

/** A simulated user program: runs on the calling thread and must never
 *  return (it ends through a system call or a fault that ends the thread). */
typedef void (*hal_host_user_fn)(uintptr_t ip, uintptr_t sp, uint64_t arg);

/** Installs @p fn as what hal_user_enter runs (NULL: none; then
 *  hal_user_enter panics). Any thread. */
void hal_host_set_user_runner(hal_host_user_fn fn);

/**
 * A system call of the simulated program: calls the handler registered
 * with hal_user_set_syscall_handler with @p nr and a copy of @p args (NULL
 * reads as six zeros), as the trap would. Thread context.
 * @return the handler's result; FB_ENOSYS when none is registered.
 */
int64_t hal_host_syscall(uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS]);

/** A point where the simulated program was interrupted and goes back to
 *  user mode: runs the hook of hal_user_set_return_hook (nothing without
 *  one; it may end the thread). Thread context. */
void hal_host_user_return(void);

/** A fault of the simulated program: calls the handler registered with
 *  hal_user_set_fault_handler with @p f; panics when there is none or
 *  when it returns. Thread context. */
_Noreturn void hal_host_user_fault(const struct hal_user_fault *f);

#endif
