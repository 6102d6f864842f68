/* systest: every syscall with valid and invalid arguments, each result
 * checked against the ABI (docs/SYSCALL_REFERENCE.md). One line per
 * failed check, a summary line at the end, exit 0 only without failures.
 * This header is the checking kit all the group files share. */
#ifndef SYSTEST_H
#define SYSTEST_H

#include "exo.h"

/** check_result's alt when only one value is right. */
#define WANT_NONE INT64_MIN
/** check_result's want when any value >= 0 is right. */
#define WANT_OK (INT64_MIN + 1)

/** Page-aligned user addresses systest maps and unmaps for its tests;
 *  each group uses its own range, far from the heap and the stack. */
#define SCRATCH_MEM  0x0000300000000000ull
#define SCRATCH_CAP  0x0000310000000000ull
#define SCRATCH_DEV  0x0000320000000000ull
#define SCRATCH_EDGE 0x0000330000000000ull
/** Inside the user range, never mapped by systest. */
#define UNMAPPED_VA  0x0000500000000000ull
#define PAGE 4096ull
/** Bits above a 32-bit argument: the raw exo_syscallN calls pass them to
 *  check that the kernel refuses what does not fit (the typed stubs
 *  would cut them off). */
#define HI (1ull << 32)

/**
 * Compares @p got with @p want (or @p alt, unless WANT_NONE); prints
 * "systest: FAIL file:line: expr: expected ..., got ..." on a mismatch.
 * @return @p got, so a checked call's value can be used further.
 */
int64_t check_result(const char *file, int line, const char *expr, int64_t got, int64_t want,
                     int64_t alt);

/** Counts a check of a condition; prints a FAIL line when it is false. */
bool check_true(const char *file, int line, const char *expr, bool ok);

/** Adds "(name=value)" to the FAIL lines of the following checks, until
 *  check_note(NULL, 0); for checks run in a loop over bad values. */
void check_note(const char *name, uint64_t value);

#define CHECK(call, want) \
    check_result(__FILE__, __LINE__, #call, (int64_t)(call), (want), WANT_NONE)
#define CHECK2(call, want, alt) \
    check_result(__FILE__, __LINE__, #call, (int64_t)(call), (want), (alt))
#define CHECK_OK(call) \
    check_result(__FILE__, __LINE__, #call, (int64_t)(call), WANT_OK, WANT_NONE)
#define CHECK_TRUE(cond) check_true(__FILE__, __LINE__, #cond, (cond))

/** Bad user pointers: for arguments the kernel reads (bad_in) and for
 *  arguments it writes (bad_out: bad_in plus read-only program memory
 *  and a buffer that runs into an unmapped page). */
extern uint64_t bad_in[];
extern size_t n_bad_in;
extern uint64_t bad_out[];
extern size_t n_bad_out;

/** A mapped read/write page followed by an unmapped one: edge_page + PAGE
 *  - k is a buffer whose last bytes are not there. */
extern uintptr_t edge_page;

/** A syscall that takes a capability handle, all its other arguments
 *  valid; returns the syscall's result. */
typedef int64_t (*handle_call_fn)(cap_handle_t h);

/** check_handles flags */
#define HANDLE_TYPED        1u  /**< a capability of another type must give FB_EINVAL */
#define HANDLE_ZERO_IS_SELF 2u  /**< handle 0 names the caller: not an error */
#define HANDLE_DEAD_OK      4u  /**< a revoked capability is accepted (cap_delete) */

/**
 * Runs @p call with handles that must fail: 0 and a garbage handle
 * (FB_EBADCAP), a live slot with the wrong generation, a deleted derived
 * copy of @p good (FB_ESTALE), a revoked grandchild of @p good
 * (FB_EREVOKED), a copy of @p good without the rights @p need (FB_EPERM;
 * skipped when need is 0) and, with HANDLE_TYPED, a capability of
 * another type (FB_EINVAL).
 */
void check_handles(const char *file, int line, const char *name, handle_call_fn call,
                   cap_handle_t good, uint32_t need, unsigned flags);
#define CHECK_HANDLES(call, good, need, flags) \
    check_handles(__FILE__, __LINE__, #call, (call), (good), (need), (flags))

/** A copy of @p h (derived in this table) with @p rights, same label. */
int64_t derive_with(cap_handle_t h, uint32_t rights);

/** A CAP_T_USER capability: the "wrong type" for every kernel object. */
extern cap_handle_t user_cap;

/** Creates /bin/NAME as a child without starting it; returns its handle
 *  (a failure is a failed check, and returns 0). */
cap_handle_t make_child(const char *file, int line, const char *name);
/** Kills (when needed) and reaps a child made by make_child. */
void drop_child(cap_handle_t env);

/** Polls @p env's state until it has exited (up to 5 s); false if not. */
bool wait_exited(cap_handle_t env);

/** The caller's own CAP_T_ENV capability (object = its id), or 0. */
cap_handle_t own_env_cap(void);

/** Exit code of /bin/hello. */
#define HELLO_EXIT 42

/** The argument string systest was started with (main's). */
extern const char *systest_args;

/** @name The groups, one per file */
/** @{ */
void test_env(void);
void test_mem(void);
void test_cap(void);
void test_cpu(void);
void test_dev(void);
void test_vfs(void);
/** @} */

/** Checks run and failed so far. */
extern unsigned long checks_run, checks_failed;

#endif
