/* The syscall dispatcher, the argument checks every handler shares, and
 * the small groups with no state of their own: null, time and console. */
#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "exo_abi.h"
#include "fmt.h"
#include "hal/console.h"
#include "hal/timer.h"
#include "hal/timestamp.h"
#include "hal/usercopy.h"
#include "kerr.h"
#include "kstring.h"
#include "sys.h"
#include "sys_table.h"

#define CONSOLE_IO_MAX 4096u   /* bytes one console_write or console_read moves */
#define LOG_LEVEL_MAX  3u
#define READ_POLL_NS   2000000ull /* console_read's wait between looks at the UART */

/* Runs syscall nr for self; see sys.h. */
int64_t sys_dispatch(struct env *self, uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS])
{
    const struct sys_entry *s;

    if (self == NULL)
        return FB_ENOSYS;
    /* relaxed, and no read-modify-write on this hot path: only the
     * environment's one thread writes the count; reports only read it. */
    atomic_store_explicit(&self->syscalls,
                          atomic_load_explicit(&self->syscalls, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    /* relaxed: see env_kill. */
    if (atomic_load_explicit(&self->kill, memory_order_relaxed))
        env_exit(EXO_EXIT_KILLED);
    if (nr >= SYS_NR_LIMIT || sys_table[nr].fn == NULL)
        return FB_ENOSYS;
    s = &sys_table[nr];
    return s->fn(self, args);
}

/* The HAL's entry: dispatch for the calling thread's environment. */
int64_t sys_entry(uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS])
{
    return sys_dispatch(env_current(), nr, args);
}

/* The table's name for nr, or NULL. */
const char *sys_name(uint64_t nr)
{
    return nr < SYS_NR_LIMIT ? sys_table[nr].name : NULL;
}

/* 32-bit unsigned argument check. */
int sys_arg_u32(uint64_t v, uint32_t *out)
{
    if (v > UINT32_MAX)
        return FB_EINVAL;
    *out = (uint32_t)v;
    return FB_OK;
}

/* 32-bit signed argument check: the register must hold the sign
 * extension of its low half. */
int sys_arg_i32(uint64_t v, int32_t *out)
{
    int64_t s = (int64_t)v;

    if (s < INT32_MIN || s > INT32_MAX)
        return FB_EINVAL;
    *out = (int32_t)s;
    return FB_OK;
}

/* Copies a user path in with a NUL; see sys.h. */
int sys_path_in(uint64_t upath, uint64_t len, char *buf)
{
    if (len == 0)
        return FB_EINVAL;
    if (len > EXO_PATH_MAX)
        return FB_ERANGE;
    if (hal_copy_from_user(buf, (uintptr_t)upath, (size_t)len) != FB_OK)
        return FB_EFAULT;
    buf[len] = '\0';
    return kstrlen(buf) == len ? FB_OK : FB_EINVAL;
}

/* null(): the round-trip benchmark's call. */
int64_t sys_null(struct env *self, const uint64_t a[6])
{
    (void)self;
    (void)a;
    return 0;
}

/* time_now(): nanoseconds since boot. */
int64_t sys_time_now(struct env *self, const uint64_t a[6])
{
    (void)self;
    (void)a;
    return (int64_t)hal_read_timestamp();
}

/* time_ticks(): timer ticks since boot. */
int64_t sys_time_ticks(struct env *self, const uint64_t a[6])
{
    (void)self;
    (void)a;
    return (int64_t)hal_timer_ticks();
}

/* time_info(out). */
int64_t sys_time_info(struct env *self, const uint64_t a[6])
{
    struct exo_time_info ti = {
        .now_ns = hal_read_timestamp(),
        .ticks = hal_timer_ticks(),
        .tick_ns = hal_timer_period_ns(),
        .cycles = hal_read_cycles(),
    };

    (void)self;
    return hal_copy_to_user((uintptr_t)a[0], &ti, sizeof(ti));
}

/* Copies len user bytes at ua to the console through a bounce buffer,
 * after the prefix. The whole range is read once first, so a bad buffer
 * writes nothing at all (not even the prefix). */
static int64_t console_out(uint64_t ua, uint64_t len, const char *prefix, size_t plen)
{
    char buf[256];

    if (len > CONSOLE_IO_MAX)
        return FB_EINVAL;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && plen > 0)
            hal_console_write(prefix, plen);
        for (uint64_t done = 0; done < len;) {
            size_t n = len - done < sizeof(buf) ? (size_t)(len - done) : sizeof(buf);

            if (hal_copy_from_user(buf, (uintptr_t)(ua + done), n) != FB_OK)
                return FB_EFAULT;
            if (pass == 1)
                hal_console_write(buf, n);
            done += n;
        }
    }
    return (int64_t)len;
}

/* console_write(buf, len). */
int64_t sys_console_write(struct env *self, const uint64_t a[6])
{
    (void)self;
    return console_out(a[0], a[1], NULL, 0);
}

/* console_log(level, buf, len): console_write with an "[envN] " prefix. */
int64_t sys_console_log(struct env *self, const uint64_t a[6])
{
    static const char *const names[] = { "debug", "info", "warn", "error" };
    char prefix[48];
    int n;

    if (a[0] > LOG_LEVEL_MAX || a[2] > CONSOLE_IO_MAX)
        return FB_EINVAL;
    n = fmt_snprintf(prefix, sizeof(prefix), "[env%u %s] ", self->id, names[a[0]]);
    return console_out(a[1], a[2], prefix, (size_t)n);
}

/* console_read(buf, len, flags): what arrived, waiting for the first
 * byte unless EXO_CONSOLE_NONBLOCK. The UART is polled between sleeps:
 * input is typed by people, so a few milliseconds of latency is fine. */
int64_t sys_console_read(struct env *self, const uint64_t a[6])
{
    char buf[256];
    size_t want, got;

    (void)self;
    if (a[1] == 0 || a[1] > CONSOLE_IO_MAX || (a[2] & ~(uint64_t)EXO_CONSOLE_NONBLOCK) != 0)
        return FB_EINVAL;
    want = a[1] < sizeof(buf) ? (size_t)a[1] : sizeof(buf);
    /* Probe the destination (its bytes past the count returned are
     * unspecified) before taking input that would then be lost. */
    kmemset(buf, 0, want);
    if (hal_copy_to_user((uintptr_t)a[0], buf, want) != FB_OK)
        return FB_EFAULT;
    for (;;) {
        got = hal_console_read(buf, want);
        if (got > 0 || (a[2] & EXO_CONSOLE_NONBLOCK))
            break;
        sched_sleep_ns(READ_POLL_NS);
        env_check_kill();
    }
    if (got > 0 && hal_copy_to_user((uintptr_t)a[0], buf, got) != FB_OK)
        return FB_EFAULT;
    return (int64_t)got;
}
