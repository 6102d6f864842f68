/* Host user mode (hal/user.h, hal_host_user.h): the registered handlers
 * and the test-supplied runner that stands in for ring 3. The pointers
 * are atomic because any simulated CPU may trap while another registers;
 * release on store and acquire on load make what the registrant set up
 * before visible to the call. */
#include <stdatomic.h>
#include <string.h>

#include "hal/panic.h"
#include "hal/user.h"
#include "hal_host_user.h"
#include "kerr.h"

static _Atomic(hal_syscall_fn) syscall_fn;
static _Atomic(hal_user_fault_fn) fault_fn;
static _Atomic(hal_host_user_fn) runner_fn;
static _Atomic(hal_user_return_fn) return_fn;

/* Installs the system call handler; NULL is refused (ignored). */
void hal_user_set_syscall_handler(hal_syscall_fn fn)
{
    if (fn != NULL)
        atomic_store_explicit(&syscall_fn, fn, memory_order_release);
}

/* Installs the user fault handler. */
void hal_user_set_fault_handler(hal_user_fault_fn fn)
{
    atomic_store_explicit(&fault_fn, fn, memory_order_release);
}

/* Installs the return-to-user hook. */
void hal_user_set_return_hook(hal_user_return_fn fn)
{
    atomic_store_explicit(&return_fn, fn, memory_order_release);
}

/* Where a simulated program stands for "an interrupt returned to user
 * mode here": runs the return hook. */
void hal_host_user_return(void)
{
    /* acquire: see the top of the file. */
    hal_user_return_fn fn = atomic_load_explicit(&return_fn, memory_order_acquire);

    if (fn != NULL)
        fn();
}

/* Installs the runner hal_user_enter calls. */
void hal_host_set_user_runner(hal_host_user_fn fn)
{
    atomic_store_explicit(&runner_fn, fn, memory_order_release);
}

/* Runs the simulated program; it must end the thread, not return. */
_Noreturn void hal_user_enter(uintptr_t ip, uintptr_t sp, uint64_t arg)
{
    /* acquire: see the top of the file. */
    hal_host_user_fn fn = atomic_load_explicit(&runner_fn, memory_order_acquire);

    if (fn == NULL)
        hal_panic("hal_user_enter: no user runner registered (hal_host_set_user_runner)");
    fn(ip, sp, arg);
    hal_panic("hal_user_enter: the user runner returned");
}

/* The trap of a system call: the handler gets its own copy of the
 * arguments, as it gets registers copied into an array on hardware. */
int64_t hal_host_syscall(uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS])
{
    uint64_t copy[HAL_SYSCALL_ARGS] = { 0 };
    /* acquire: see the top of the file. */
    hal_syscall_fn fn = atomic_load_explicit(&syscall_fn, memory_order_acquire);

    if (fn == NULL)
        return FB_ENOSYS;
    if (args != NULL)
        memcpy(copy, args, sizeof copy);
    return fn(nr, copy);
}

/* The trap of a user fault: the handler ends the thread. */
_Noreturn void hal_host_user_fault(const struct hal_user_fault *f)
{
    /* acquire: see the top of the file. */
    hal_user_fault_fn fn = atomic_load_explicit(&fault_fn, memory_order_acquire);

    if (fn == NULL)
        hal_panic("user fault without a user fault handler");
    fn(f);
    hal_panic("the user fault handler returned");
}
