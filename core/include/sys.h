/* The native syscall layer: the dispatcher and what every handler uses
 * to read its arguments. The table of syscalls is generated from
 * core/sys/syscalls.tbl (sys_table.h), so the numbers, the dispatcher,
 * libexo's stubs and docs/SYSCALL_REFERENCE.md cannot drift apart. */
#ifndef FB_SYS_H
#define FB_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cap.h"
#include "hal/user.h"

struct env;

/** One syscall: its name, argument count and handler (NULL: reserved). */
struct sys_entry {
    const char *name;   /**< as in syscalls.tbl */
    unsigned nargs;     /**< arguments it takes */
    int64_t (*fn)(struct env *self, const uint64_t a[6]); /**< handler; NULL: reserved */
};

/**
 * Runs syscall @p nr with @p args for environment @p self: FB_ENOSYS for
 * an unknown or reserved number, else the handler's result. Counts the
 * call and ends @p self first when a kill is pending. Thread context.
 */
int64_t sys_dispatch(struct env *self, uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS]);

/** The HAL's syscall handler (hal_user_set_syscall_handler): sys_dispatch
 *  for the calling thread's environment; FB_ENOSYS outside one. */
int64_t sys_entry(uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS]);

/** The name of syscall @p nr, or NULL when there is none (reserved ones
 *  have a name). */
const char *sys_name(uint64_t nr);

/** @name Argument checks shared by the handlers */
/** @{ */
/** Stores @p v in *@p out when it fits 32 bits unsigned; else FB_EINVAL. */
int sys_arg_u32(uint64_t v, uint32_t *out);
/** Stores @p v in *@p out when it is a sign-extended 32-bit value. */
int sys_arg_i32(uint64_t v, int32_t *out);
/**
 * Copies the path at user address @p upath (@p len bytes, no NUL
 * needed) into @p buf (EXO_PATH_MAX + 1 bytes) with a NUL. Errors:
 * FB_EINVAL (len 0 or a NUL inside), FB_ERANGE (len > EXO_PATH_MAX),
 * FB_EFAULT.
 */
int sys_path_in(uint64_t upath, uint64_t len, char *buf);
/** @} */

/**
 * Before a DMA root capability of @p self goes (cap_delete, dma_free):
 * drops the record of its buffer. Returns FB_EBUSY, changing nothing,
 * while the buffer is mapped; FB_OK otherwise, also when @p h is no DMA
 * root (the caller's own call then judges it).
 */
int sys_dma_forget(struct env *self, cap_handle_t h);

#endif
