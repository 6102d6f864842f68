/* libexo: the FeuerBird native user library. The syscall stubs
 * (exo_syscalls.h, generated from core/sys/syscalls.tbl), the ABI
 * structures (exo_abi.h), capability rights and types (cap.h), error
 * codes (kerr.h), and the few helpers every program here needs. */
#ifndef LIBEXO_EXO_H
#define LIBEXO_EXO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "exo_abi.h"
#include "exo_syscalls.h"
#include "kerr.h"

/** Top of the user stack the kernel sets up (16 pages below it). */
#define EXO_STACK_TOP 0x00007ffffff00000ull
/** Where malloc's heap starts; it grows up from here, page by page. */
#define EXO_HEAP_BASE 0x0000100000000000ull
/** Most address space the heap may take. */
#define EXO_HEAP_MAX (1ull << 32)
/** Exit code of a program that libexo_panic ended. */
#define LIBEXO_PANIC_EXIT 127

/** Prints "libexo: why" and ends the program (exit code 127). */
_Noreturn void libexo_panic(const char *why);

/**
 * Reads one line from the console into @p buf (@p len bytes with the
 * NUL), echoing what is typed: backspace/DEL erase, ^U erases the line,
 * ^C cancels it (returns 0, empty), escape sequences (arrow keys) are
 * ignored, input past len - 1 bytes is dropped with a bell. Enter ("\r",
 * "\n" or "\r\n") ends the line and echoes "\r\n".
 * @return the line's length; FB_ENOENT for ^D on an empty line; FB_EINVAL
 *         for len 0; or the kernel's error from console_read.
 */
int readline(char *buf, size_t len);

/** A walk over the caller's capability table, a cap_list batch at a time. */
struct cap_iter {
    struct exo_cap_info batch[16];  /**< the current batch */
    uint32_t count;                 /**< valid entries in batch */
    uint32_t pos;                   /**< next entry of batch to hand out */
    uint32_t next_slot;             /**< slot index the next batch starts at */
    bool done;                      /**< the table has been walked to its end */
};

/** Starts a walk at slot 0. */
void cap_iter_init(struct cap_iter *it);

/** Stores the next live capability (by slot order) in *@p out.
 *  @return 1 when one was stored, 0 at the end, or cap_list's error. */
int cap_iter_next(struct cap_iter *it, struct exo_cap_info *out);

/**
 * Finds the first capability of @p type in the caller's table (by slot
 * order) and stores it in *@p out. @return FB_OK, FB_ENOENT when there is
 * none, or cap_list's error.
 */
int find_cap(uint32_t type, struct exo_cap_info *out);

/**
 * Gives environment @p env (a CAP_T_ENV handle with WRITE) a copy of
 * every CAP_T_CPU and CAP_T_IRQ capability the caller holds, with the same
 * rights and label, so a shell or test started by init can switch
 * schedulers and bind interrupts. @return the number granted, or the
 * first error.
 */
int grant_device_caps(cap_handle_t env);

/**
 * Loads @p path ("/bin/x"), grants it the caller's device capabilities
 * when @p grant is true, and starts it with @p args (NULL = "").
 * @return the child's CAP_T_ENV handle (> 0), or an FB_E* code; a child
 * that could not be started is killed and reaped again.
 */
int64_t spawn(const char *path, const char *args, bool grant);

/**
 * Waits for the child @p env to end, stores its exit code in *@p code and
 * drops the handle. @return the child's id, or an FB_E* code.
 */
int64_t spawn_wait(cap_handle_t env, int64_t *code);

#endif
