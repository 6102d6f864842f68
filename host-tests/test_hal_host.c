/* Specification of the pthread host HAL (hal/host/): time, simulated CPUs,
 * simulated interrupts and timers, console output and input, entropy,
 * panic, contexts, address spaces over the simulated RAM, user copies,
 * and simulated user mode (system calls, faults, the runner). */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hal/hal.h"
#include "hal_host.h"
#include "hal_host_user.h"
#include "kerr.h"

#define MS 1000000ull
#define PAGE HAL_PAGE_SIZE

/* Sleeps for ns nanoseconds of CLOCK_MONOTONIC, resuming after signals. */
static void sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Waits until *v reaches want or timeout_ms passes; true when reached. */
static bool wait_for(atomic_int *v, int want, uint64_t timeout_ms)
{
    uint64_t end = hal_read_timestamp() + timeout_ms * MS;

    while (atomic_load(v) < want) {
        if (hal_read_timestamp() > end)
            return false;
        sleep_ns(100000);
    }
    return true;
}

/* Runs fn in a child with stderr on a pipe; returns the wait status and
 * what the child wrote to stderr. */
static int run_child(void (*fn)(void), char *err, size_t cap)
{
    int fds[2], status = 0;
    size_t len = 0;
    ssize_t got;

    cr_assert_eq(pipe(fds), 0, "expected a pipe");
    pid_t pid = fork();
    cr_assert_neq(pid, -1, "expected fork to work");
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        fn();
        _exit(99);
    }
    close(fds[1]);
    while (len + 1 < cap && (got = read(fds[0], err + len, cap - 1 - len)) > 0)
        len += (size_t)got;
    err[len] = '\0';
    close(fds[0]);
    waitpid(pid, &status, 0);
    return status;
}

/* ---------------------------------------------------------------- time */

Test(timestamp, advances_across_a_sleep)
{
    uint64_t t0 = hal_read_timestamp();

    sleep_ns(2 * MS);
    uint64_t t1 = hal_read_timestamp();
    cr_assert_geq(t1 - t0, 2 * MS, "expected >= 2 ms to pass across a 2 ms sleep, got %llu ns",
                  (unsigned long long)(t1 - t0));
}

Test(timestamp, never_goes_backwards)
{
    uint64_t prev = hal_read_timestamp();

    for (int i = 0; i < 100000; i++) {
        uint64_t now = hal_read_timestamp();
        cr_assert_geq(now, prev, "expected read %d (%llu) >= previous (%llu)", i,
                      (unsigned long long)now, (unsigned long long)prev);
        prev = now;
    }
}

Test(timestamp, cycles_count_on_the_same_clock)
{
    uint64_t t0 = hal_read_timestamp();
    uint64_t c = hal_read_cycles();
    uint64_t t1 = hal_read_timestamp();

    cr_assert(c >= t0 && c <= t1, "expected host cycles to be monotonic ns between %llu and "
              "%llu, got %llu", (unsigned long long)t0, (unsigned long long)t1,
              (unsigned long long)c);
}

/* ----------------------------------------------------------------- cpu */

static unsigned seen_ids[HAL_HOST_MAX_CPUS];

/* Records which CPU this thread believes it is. */
static void record_id(void *arg)
{
    unsigned slot = (unsigned)(uintptr_t)arg;

    seen_ids[slot] = hal_cpu_id();
}

Test(cpu, main_thread_is_cpu_0_and_one_cpu_is_up)
{
    cr_assert_eq(hal_cpu_id(), 0u, "expected the main thread to be CPU 0");
    cr_assert_eq(hal_cpu_count(), 1u, "expected 1 CPU before hal_host_set_cpu_count");
}

Test(cpu, started_cpus_report_their_own_ids)
{
    cr_assert_eq(hal_host_set_cpu_count(4), FB_OK, "expected 4 CPUs to be accepted");
    cr_assert_eq(hal_cpu_count(), 4u, "expected hal_cpu_count to follow the setting");
    for (unsigned cpu = 1; cpu < 4; cpu++) {
        seen_ids[cpu] = 99;
        cr_assert_eq(hal_host_cpu_start(cpu, record_id, (void *)(uintptr_t)cpu), FB_OK,
                     "expected CPU %u to start", cpu);
    }
    for (unsigned cpu = 1; cpu < 4; cpu++) {
        cr_assert_eq(hal_host_cpu_join(cpu), FB_OK, "expected CPU %u to join", cpu);
        cr_assert_eq(seen_ids[cpu], cpu, "expected CPU %u's thread to see id %u, saw %u",
                     cpu, cpu, seen_ids[cpu]);
    }
}

Test(cpu, set_cpu_count_rejects_zero_and_too_many)
{
    cr_assert_eq(hal_host_set_cpu_count(0), FB_EINVAL, "expected FB_EINVAL for 0 CPUs");
    cr_assert_eq(hal_host_set_cpu_count(HAL_HOST_MAX_CPUS + 1), FB_EINVAL,
                 "expected FB_EINVAL above HAL_HOST_MAX_CPUS");
    cr_assert_eq(hal_cpu_count(), 1u, "expected the count unchanged after rejections");
}

Test(cpu, start_rejects_cpu_0_out_of_range_and_null_fn)
{
    cr_assert_eq(hal_host_set_cpu_count(2), FB_OK, "expected 2 CPUs to be accepted");
    cr_assert_eq(hal_host_cpu_start(0, record_id, NULL), FB_EINVAL,
                 "expected FB_EINVAL: CPU 0 is the main thread");
    cr_assert_eq(hal_host_cpu_start(2, record_id, NULL), FB_EINVAL,
                 "expected FB_EINVAL for CPU 2 of 2");
    cr_assert_eq(hal_host_cpu_start(1, NULL, NULL), FB_EINVAL, "expected FB_EINVAL for NULL fn");
}

static atomic_int release_cpu;

/* Spins until the test releases it, so the CPU stays started. */
static void hold_until_released(void *arg)
{
    (void)arg;
    while (!atomic_load(&release_cpu))
        hal_cpu_relax();
}

Test(cpu, starting_a_running_cpu_is_busy_and_shrinking_below_it_too)
{
    cr_assert_eq(hal_host_set_cpu_count(2), FB_OK, "expected 2 CPUs to be accepted");
    cr_assert_eq(hal_host_cpu_start(1, hold_until_released, NULL), FB_OK, "expected CPU 1 to start");
    cr_assert_eq(hal_host_cpu_start(1, hold_until_released, NULL), FB_EBUSY,
                 "expected FB_EBUSY starting a running CPU");
    cr_assert_eq(hal_host_set_cpu_count(1), FB_EBUSY,
                 "expected FB_EBUSY shrinking below a running CPU");
    atomic_store(&release_cpu, 1);
    cr_assert_eq(hal_host_cpu_join(1), FB_OK, "expected CPU 1 to join");
    cr_assert_eq(hal_host_set_cpu_count(1), FB_OK, "expected shrinking to work once joined");
}

Test(cpu, joining_a_cpu_that_is_not_started_is_enoent)
{
    cr_assert_eq(hal_host_set_cpu_count(2), FB_OK, "expected 2 CPUs to be accepted");
    cr_assert_eq(hal_host_cpu_join(1), FB_ENOENT, "expected FB_ENOENT for a CPU never started");
    cr_assert_eq(hal_host_cpu_join(0), FB_EINVAL, "expected FB_EINVAL for CPU 0");
    cr_assert_eq(hal_host_cpu_join(HAL_HOST_MAX_CPUS), FB_EINVAL,
                 "expected FB_EINVAL past the last CPU");
}

Test(cpu, a_joined_cpu_can_start_again)
{
    cr_assert_eq(hal_host_set_cpu_count(2), FB_OK, "expected 2 CPUs to be accepted");
    for (int round = 0; round < 2; round++) {
        seen_ids[1] = 99;
        cr_assert_eq(hal_host_cpu_start(1, record_id, (void *)(uintptr_t)1), FB_OK,
                     "expected CPU 1 to start in round %d", round);
        cr_assert_eq(hal_host_cpu_join(1), FB_OK, "expected CPU 1 to join in round %d", round);
        cr_assert_eq(seen_ids[1], 1u, "expected CPU 1 to run in round %d", round);
    }
}

/* ----------------------------------------------------------------- irq */

Test(irq, enabled_at_start)
{
    cr_assert(hal_irq_enabled(), "expected interrupts enabled on the main thread at start");
}

Test(irq, disable_returns_previous_state_and_nests)
{
    hal_irq_state_t outer = hal_irq_disable();
    cr_assert(!hal_irq_enabled(), "expected interrupts disabled after disable");
    hal_irq_state_t inner = hal_irq_disable();
    cr_assert(!hal_irq_enabled(), "expected interrupts still disabled after nested disable");
    hal_irq_restore(inner);
    cr_assert(!hal_irq_enabled(), "expected the inner restore to keep interrupts disabled");
    hal_irq_restore(outer);
    cr_assert(hal_irq_enabled(), "expected the outer restore to enable interrupts again");
}

static atomic_int other_cpu_enabled = -1;

/* Reports whether this CPU's interrupts are enabled. */
static void report_irq_enabled(void *arg)
{
    (void)arg;
    atomic_store(&other_cpu_enabled, hal_irq_enabled() ? 1 : 0);
}

Test(irq, flag_belongs_to_each_cpu)
{
    hal_irq_state_t s = hal_irq_disable();

    cr_assert_eq(hal_host_set_cpu_count(2), FB_OK, "expected 2 CPUs to be accepted");
    cr_assert_eq(hal_host_cpu_start(1, report_irq_enabled, NULL), FB_OK, "expected CPU 1 to start");
    cr_assert_eq(hal_host_cpu_join(1), FB_OK, "expected CPU 1 to join");
    cr_assert_eq(atomic_load(&other_cpu_enabled), 1,
                 "expected CPU 1's interrupts enabled while CPU 0 has them disabled");
    hal_irq_restore(s);
}

Test(irq, restoring_a_made_up_state_panics, .signal = SIGABRT)
{
    hal_irq_restore((hal_irq_state_t)0x1234);
}

/* -------------------------------------------------------------- console */

/* Standard output redirected into a pipe, and what was read from it. */
struct capture {
    int saved_stdout;
    int read_fd;
    pthread_t reader;
    char *buf;
    size_t len, cap;
};

/* Drains the pipe into the capture buffer until every writer is gone. */
static void *capture_reader(void *p)
{
    struct capture *c = p;
    ssize_t got;

    while ((got = read(c->read_fd, c->buf + c->len, c->cap - c->len)) > 0)
        c->len += (size_t)got;
    return NULL;
}

/* Points fd 1 at a pipe drained by a reader thread into cap bytes. */
static void capture_start(struct capture *c, size_t cap)
{
    int fds[2];

    cr_assert_eq(pipe(fds), 0, "expected a pipe");
    c->buf = malloc(cap);
    cr_assert_not_null(c->buf, "expected capture memory");
    c->cap = cap;
    c->len = 0;
    c->read_fd = fds[0];
    c->saved_stdout = dup(STDOUT_FILENO);
    cr_assert_eq(dup2(fds[1], STDOUT_FILENO), STDOUT_FILENO, "expected stdout redirected");
    close(fds[1]);
    cr_assert_eq(pthread_create(&c->reader, NULL, capture_reader, c), 0, "expected a reader");
}

/* Puts stdout back and waits until everything written was read. */
static void capture_stop(struct capture *c)
{
    dup2(c->saved_stdout, STDOUT_FILENO);
    close(c->saved_stdout);
    pthread_join(c->reader, NULL);
    close(c->read_fd);
}

Test(console, writes_exactly_the_bytes_given_to_stdout)
{
    static const char msg[] = "boot\0ok\n";
    struct capture c;

    capture_start(&c, 64);
    hal_console_write(msg, sizeof msg - 1);
    hal_console_write("", 0);
    capture_stop(&c);
    cr_assert_eq(c.len, sizeof msg - 1, "expected %zu bytes on stdout, got %zu",
                 sizeof msg - 1, c.len);
    cr_assert_arr_eq(c.buf, msg, sizeof msg - 1, "expected the bytes unchanged, NUL included");
    free(c.buf);
}

#define CHUNK_BYTES (256 * 1024) /* over the 64 KiB pipe: each write blocks midway */
#define CHUNKS_PER_CPU 4
#define WRITER_CPUS 4

/* Writes CHUNKS_PER_CPU chunks made only of this CPU's letter. */
static void write_letter_chunks(void *arg)
{
    char *chunk = malloc(CHUNK_BYTES);

    memset(chunk, 'a' + (int)(uintptr_t)arg, CHUNK_BYTES);
    for (int i = 0; i < CHUNKS_PER_CPU; i++)
        hal_console_write(chunk, CHUNK_BYTES);
    free(chunk);
}

Test(console, concurrent_writes_never_interleave_inside_one_call)
{
    struct capture c;

    capture_start(&c, (size_t)WRITER_CPUS * CHUNKS_PER_CPU * CHUNK_BYTES);
    cr_assert_eq(hal_host_set_cpu_count(WRITER_CPUS + 1), FB_OK, "expected CPUs accepted");
    for (unsigned cpu = 1; cpu <= WRITER_CPUS; cpu++)
        cr_assert_eq(hal_host_cpu_start(cpu, write_letter_chunks, (void *)(uintptr_t)cpu), FB_OK,
                     "expected writer CPU %u to start", cpu);
    for (unsigned cpu = 1; cpu <= WRITER_CPUS; cpu++)
        cr_assert_eq(hal_host_cpu_join(cpu), FB_OK, "expected writer CPU %u to join", cpu);
    capture_stop(&c);
    cr_assert_eq(c.len, c.cap, "expected every byte written, got %zu of %zu", c.len, c.cap);
    for (size_t off = 0; off < c.len; off += CHUNK_BYTES) {
        for (size_t i = 1; i < CHUNK_BYTES; i++)
            cr_assert_eq(c.buf[off + i], c.buf[off],
                         "expected chunk at %zu to be one letter throughout, byte %zu differs",
                         off, i);
    }
    free(c.buf);
}

Test(console, read_with_no_input_returns_nothing)
{
    char buf[8];

    cr_assert_eq(hal_console_read(buf, sizeof buf), 0u, "expected 0 bytes with nothing fed");
}

Test(console, fed_bytes_are_read_in_order_in_pieces)
{
    char buf[8] = { 0 };

    hal_host_console_feed("hel", 3);
    hal_host_console_feed("lo\0!", 4);
    cr_assert_eq(hal_console_read(buf, 2), 2u, "expected the 2 bytes asked for");
    cr_assert_arr_eq(buf, "he", 2, "expected the oldest bytes first");
    cr_assert_eq(hal_console_read(buf, sizeof buf), 5u, "expected the 5 bytes left");
    cr_assert_arr_eq(buf, "llo\0!", 5, "expected the rest in order, NUL included");
    cr_assert_eq(hal_console_read(buf, sizeof buf), 0u, "expected the input drained");
}

Test(console, input_beyond_the_buffer_is_dropped)
{
    size_t cap = HAL_HOST_CONSOLE_INPUT;
    char *in = malloc(cap + 100), *out = malloc(cap + 100);

    for (size_t i = 0; i < cap + 100; i++)
        in[i] = (char)(i * 7);
    hal_host_console_feed(in, cap + 100);
    hal_host_console_feed("x", 1);
    cr_assert_eq(hal_console_read(out, cap + 100), cap, "expected exactly the buffer's worth");
    cr_assert_arr_eq(out, in, cap, "expected the first bytes kept, the overflow dropped");
    hal_host_console_feed("y", 1);
    cr_assert_eq(hal_console_read(out, 4), 1u, "expected room again once drained");
    cr_assert_eq(out[0], 'y', "expected the byte fed after draining");
    free(in);
    free(out);
}

#define FEEDS_PER_CPU 500
#define FEEDER_CPUS 4

/* Feeds FEEDS_PER_CPU two-byte messages: this CPU's letter, then its sequence number. */
static void feed_pairs(void *arg)
{
    char msg[2] = { (char)('a' + (int)(uintptr_t)arg), 0 };

    for (int i = 0; i < FEEDS_PER_CPU; i++) {
        msg[1] = (char)i;
        hal_host_console_feed(msg, 2);
    }
}

Test(console, concurrent_feeds_keep_each_call_whole_and_in_order)
{
    static char buf[HAL_HOST_CONSOLE_INPUT];
    int seen[FEEDER_CPUS + 1] = { 0 };
    size_t got;

    cr_assert_eq(hal_host_set_cpu_count(FEEDER_CPUS + 1), FB_OK, "expected CPUs accepted");
    for (unsigned cpu = 1; cpu <= FEEDER_CPUS; cpu++)
        cr_assert_eq(hal_host_cpu_start(cpu, feed_pairs, (void *)(uintptr_t)cpu), FB_OK,
                     "expected feeder CPU %u to start", cpu);
    for (unsigned cpu = 1; cpu <= FEEDER_CPUS; cpu++)
        hal_host_cpu_join(cpu);
    got = hal_console_read(buf, sizeof buf);
    cr_assert_eq(got, (size_t)2 * FEEDS_PER_CPU * FEEDER_CPUS, "expected every byte, got %zu", got);
    for (size_t i = 0; i < got; i += 2) {
        int cpu = buf[i] - 'a';

        cr_assert(cpu >= 1 && cpu <= FEEDER_CPUS, "expected a letter at even offset %zu", i);
        cr_assert_eq(buf[i + 1], (char)seen[cpu], "expected CPU %d's messages in order", cpu);
        seen[cpu]++;
    }
}

/* -------------------------------------------------------------- entropy */

Test(entropy, fills_the_buffer)
{
    unsigned char buf[64] = { 0 };
    static const unsigned char zero[64];

    cr_assert_eq(hal_entropy(buf, sizeof buf), FB_OK, "expected FB_OK");
    cr_assert(memcmp(buf, zero, sizeof buf) != 0, "expected 64 random bytes, not all zero");
}

Test(entropy, two_calls_differ)
{
    unsigned char a[32], b[32];

    cr_assert_eq(hal_entropy(a, sizeof a), FB_OK, "expected FB_OK");
    cr_assert_eq(hal_entropy(b, sizeof b), FB_OK, "expected FB_OK");
    cr_assert(memcmp(a, b, sizeof a) != 0, "expected two 32-byte draws to differ");
}

Test(entropy, a_large_request_is_filled_to_the_end)
{
    size_t n = 1u << 20;
    unsigned char *buf = calloc(1, n);
    static const unsigned char zero[64];

    cr_assert_eq(hal_entropy(buf, n), FB_OK, "expected FB_OK for 1 MiB");
    cr_assert(memcmp(buf + n - 64, zero, 64) != 0, "expected the last 64 bytes filled too");
    free(buf);
}

Test(entropy, zero_bytes_is_ok)
{
    cr_assert_eq(hal_entropy(NULL, 0), FB_OK, "expected FB_OK for an empty request");
}

static int getrandom_errno;   /* what the child's getrandom() fails with */

/* Makes every later getrandom() of this process fail with err (seccomp). */
static int deny_getrandom(int err)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof code / sizeof code[0], code };

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* Child body: draws 64 bytes with getrandom() failing; exits 0x40 + the
 * negated return code, or 1 when a byte of the buffer is not zero. */
static void draw_with_failing_getrandom(void)
{
    unsigned char buf[64];
    int err;

    memset(buf, 0xaa, sizeof buf);
    if (deny_getrandom(getrandom_errno) != 0)
        _exit(2);
    err = hal_entropy(buf, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++) {
        if (buf[i] != 0)
            _exit(1);
    }
    _exit(0x40 - err);
}

/* Runs draw_with_failing_getrandom with getrandom() failing with e and
 * asserts the child saw want and a zeroed buffer. */
static void expect_failed_draw(int e, int want)
{
    char err[8];
    int status;

    getrandom_errno = e;
    status = run_child(draw_with_failing_getrandom, err, sizeof err);
    cr_assert(WIFEXITED(status), "expected the child to exit, status %#x", status);
    cr_assert_neq(WEXITSTATUS(status), 1, "expected the buffer zeroed on failure");
    cr_assert_eq(WEXITSTATUS(status), 0x40 - want, "expected %s, child exit %d",
                 fb_strerror(want), WEXITSTATUS(status));
}

Test(entropy, source_that_keeps_saying_try_again_is_eagain_with_a_zeroed_buffer)
{
    expect_failed_draw(EAGAIN, FB_EAGAIN);
}

Test(entropy, source_error_is_eagain_with_a_zeroed_buffer)
{
    expect_failed_draw(EIO, FB_EAGAIN);
}

Test(entropy, missing_getrandom_is_enotsup_with_a_zeroed_buffer)
{
    expect_failed_draw(ENOSYS, FB_ENOTSUP);
}

Test(entropy, null_buffer_with_bytes_is_einval)
{
    cr_assert_eq(hal_entropy(NULL, 16), FB_EINVAL, "expected FB_EINVAL for NULL and 16 bytes");
}

/* ---------------------------------------------------------------- panic */

/* Child bodies: each must end the child through the HAL. */
static void panic_boom(void) { hal_panic("boom"); }
static void halt_success(void) { hal_halt(HAL_EXIT_SUCCESS); }
static void halt_failure(void) { hal_halt(HAL_EXIT_FAILURE); }
static void halt_unknown(void) { hal_halt(42); }

Test(panic, prints_the_message_on_stderr_and_aborts)
{
    char err[128];
    int status = run_child(panic_boom, err, sizeof err);

    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
              "expected the child to die of SIGABRT, status %#x", status);
    cr_assert_str_eq(err, "PANIC: boom\n", "expected \"PANIC: boom\\n\" on stderr");
}

Test(panic, aborts_the_calling_process, .signal = SIGABRT)
{
    hal_panic("expected abort");
}

Test(panic, halt_maps_success_to_0_and_everything_else_to_1)
{
    char err[16];
    int ok = run_child(halt_success, err, sizeof err);
    int fail = run_child(halt_failure, err, sizeof err);
    int other = run_child(halt_unknown, err, sizeof err);

    cr_assert(WIFEXITED(ok) && WEXITSTATUS(ok) == 0, "expected exit 0 for HAL_EXIT_SUCCESS");
    cr_assert(WIFEXITED(fail) && WEXITSTATUS(fail) == 1, "expected exit 1 for HAL_EXIT_FAILURE");
    cr_assert(WIFEXITED(other) && WEXITSTATUS(other) == 1, "expected exit 1 for an unknown code");
}

/* ---------------------------------------------------------------- timer */

/* What one timer callback saw. */
struct shot_log {
    atomic_int count;
    _Atomic uint64_t at;       /* timestamp of the last run */
    atomic_uint cpu;           /* hal_cpu_id() inside the callback */
    atomic_int irq_enabled;    /* hal_irq_enabled() inside the callback */
    pthread_t thread;          /* thread it ran on; published by count */
};

/* Records a run of the callback. */
static void log_shot(void *ctx)
{
    struct shot_log *l = ctx;

    atomic_store(&l->at, hal_read_timestamp());
    atomic_store(&l->cpu, hal_cpu_id());
    atomic_store(&l->irq_enabled, hal_irq_enabled() ? 1 : 0);
    l->thread = pthread_self();
    atomic_fetch_add(&l->count, 1);
}

Test(timer, period_is_10_ms)
{
    cr_assert_eq(hal_timer_period_ns(), 10 * MS, "expected the 100 Hz tick period");
}

Test(timer, ticks_follow_elapsed_time)
{
    uint64_t t0 = hal_timer_ticks();

    sleep_ns(35 * MS);
    uint64_t t1 = hal_timer_ticks();
    cr_assert_geq(t1 - t0, 3u, "expected >= 3 ticks in 35 ms, got %llu",
                  (unsigned long long)(t1 - t0));
}

Test(timer, oneshot_rejects_null_callback_and_zero_delay)
{
    struct shot_log l = { 0 };

    cr_assert_eq(hal_timer_oneshot(MS, NULL, NULL), FB_EINVAL, "expected FB_EINVAL for NULL fn");
    cr_assert_eq(hal_timer_oneshot(0, log_shot, &l), FB_EINVAL, "expected FB_EINVAL for 0 ns");
}

Test(timer, oneshot_fires_once_and_not_earlier_than_requested)
{
    struct shot_log l = { 0 };
    uint64_t t0 = hal_read_timestamp();

    cr_assert_eq(hal_timer_oneshot(5 * MS, log_shot, &l), FB_OK, "expected FB_OK");
    cr_assert(wait_for(&l.count, 1, 2000), "expected the shot to fire within 2 s");
    cr_assert_geq(atomic_load(&l.at) - t0, 5 * MS, "expected >= 5 ms before firing, got %llu ns",
                  (unsigned long long)(atomic_load(&l.at) - t0));
    sleep_ns(20 * MS);
    cr_assert_eq(atomic_load(&l.count), 1, "expected a one-shot to fire exactly once");
}

static struct shot_log cpu2_log;

/* Arms a shot from CPU 2 and waits for it. */
static void arm_from_cpu2(void *arg)
{
    (void)arg;
    hal_timer_oneshot(MS, log_shot, &cpu2_log);
    wait_for(&cpu2_log.count, 1, 2000);
}

Test(timer, callback_runs_as_the_arming_cpu_with_interrupts_disabled)
{
    cr_assert_eq(hal_host_set_cpu_count(3), FB_OK, "expected 3 CPUs accepted");
    cr_assert_eq(hal_host_cpu_start(2, arm_from_cpu2, NULL), FB_OK, "expected CPU 2 to start");
    cr_assert_eq(hal_host_cpu_join(2), FB_OK, "expected CPU 2 to join");
    cr_assert_eq(atomic_load(&cpu2_log.count), 1, "expected the shot to have fired");
    cr_assert_eq(atomic_load(&cpu2_log.cpu), 2u, "expected the callback to run as CPU 2");
    cr_assert_eq(atomic_load(&cpu2_log.irq_enabled), 0,
                 "expected interrupts disabled inside the callback");
}

static struct shot_log marker;

/* Arms a marker shot ns from now on this CPU and waits for it. */
static void arm_marker(void *arg)
{
    hal_timer_oneshot((uint64_t)(uintptr_t)arg, log_shot, &marker);
    wait_for(&marker.count, 1, 5000);
}

/* Returns once the timer thread has fired every shot due within ns from
 * now, however loaded the machine: it fires shots in deadline order, so
 * once a CPU 1 shot due at ns has run, earlier shots have fired too. */
static void let_timer_pass(uint64_t ns)
{
    cr_assert_eq(hal_host_set_cpu_count(2), FB_OK, "expected 2 CPUs accepted");
    cr_assert_eq(hal_host_cpu_start(1, arm_marker, (void *)(uintptr_t)ns), FB_OK,
                 "expected CPU 1 to start");
    cr_assert_eq(hal_host_cpu_join(1), FB_OK, "expected CPU 1 to join");
    cr_assert_eq(atomic_load(&marker.count), 1, "expected CPU 1's marker shot to fire");
}

Test(timer, cancel_prevents_firing)
{
    struct shot_log l = { 0 };

    cr_assert_eq(hal_timer_oneshot(200 * MS, log_shot, &l), FB_OK, "expected FB_OK");
    hal_timer_cancel();
    let_timer_pass(300 * MS);
    cr_assert_eq(atomic_load(&l.count), 0, "expected a cancelled shot never to fire");
}

Test(timer, rearming_replaces_the_pending_shot)
{
    struct shot_log first = { 0 }, second = { 0 };

    cr_assert_eq(hal_timer_oneshot(200 * MS, log_shot, &first), FB_OK, "expected FB_OK");
    cr_assert_eq(hal_timer_oneshot(10 * MS, log_shot, &second), FB_OK, "expected FB_OK");
    let_timer_pass(300 * MS);
    cr_assert_eq(atomic_load(&first.count), 0, "expected the replaced shot never to fire");
    cr_assert_eq(atomic_load(&second.count), 1, "expected the replacing shot to fire once");
}

static struct shot_log cpu1_log;
static atomic_int cpu1_armed;

/* Arms a 5 ms shot from CPU 1 and waits for it to fire. */
static void arm_from_cpu1(void *arg)
{
    (void)arg;
    hal_timer_oneshot(5 * MS, log_shot, &cpu1_log);
    atomic_store(&cpu1_armed, 1);
    wait_for(&cpu1_log.count, 1, 2000);
}

Test(timer, cancel_on_one_cpu_leaves_other_cpus_shots_alone)
{
    cr_assert_eq(hal_host_set_cpu_count(2), FB_OK, "expected 2 CPUs accepted");
    cr_assert_eq(hal_host_cpu_start(1, arm_from_cpu1, NULL), FB_OK, "expected CPU 1 to start");
    cr_assert(wait_for(&cpu1_armed, 1, 2000), "expected CPU 1 to arm its shot");
    hal_timer_cancel();
    cr_assert_eq(hal_host_cpu_join(1), FB_OK, "expected CPU 1 to join");
    cr_assert_eq(atomic_load(&cpu1_log.count), 1, "expected CPU 1's shot to fire despite "
                 "CPU 0 cancelling its own");
    cr_assert_eq(atomic_load(&cpu1_log.cpu), 1u, "expected CPU 1's callback to run as CPU 1");
}

Test(timer, shot_due_while_interrupts_are_disabled_is_delivered_on_restore)
{
    struct shot_log l = { 0 };
    hal_irq_state_t s = hal_irq_disable();

    cr_assert_eq(hal_timer_oneshot(MS, log_shot, &l), FB_OK, "expected FB_OK");
    let_timer_pass(5 * MS);
    cr_assert_eq(atomic_load(&l.count), 0, "expected no delivery while interrupts are disabled");
    hal_irq_restore(s);
    cr_assert_eq(atomic_load(&l.count), 1, "expected delivery by the restore that enables");
    cr_assert(pthread_equal(l.thread, pthread_self()),
              "expected the held shot to run on the restoring CPU's own thread");
    cr_assert_eq(atomic_load(&l.cpu), 0u, "expected the deferred callback to run as CPU 0");
    cr_assert_eq(atomic_load(&l.irq_enabled), 0, "expected interrupts disabled in the callback");
    cr_assert(hal_irq_enabled(), "expected interrupts enabled after the restore");
}

Test(timer, nested_restore_that_stays_disabled_does_not_deliver)
{
    struct shot_log l = { 0 };
    hal_irq_state_t outer = hal_irq_disable();
    hal_irq_state_t inner = hal_irq_disable();

    hal_timer_oneshot(MS, log_shot, &l);
    let_timer_pass(5 * MS);
    hal_irq_restore(inner);
    cr_assert_eq(atomic_load(&l.count), 0, "expected no delivery from the inner restore");
    hal_irq_restore(outer);
    cr_assert_eq(atomic_load(&l.count), 1, "expected delivery from the outer restore");
}

Test(timer, cancel_withdraws_a_shot_that_fired_while_disabled)
{
    struct shot_log l = { 0 };
    hal_irq_state_t s = hal_irq_disable();

    hal_timer_oneshot(MS, log_shot, &l);
    let_timer_pass(5 * MS);
    hal_timer_cancel();
    hal_irq_restore(s);
    sleep_ns(10 * MS);
    cr_assert_eq(atomic_load(&l.count), 0, "expected a cancelled, undelivered shot never to run");
}

static atomic_int slow_started, slow_done;

/* A callback that takes 30 ms, marking its start and end. */
static void slow_callback(void *ctx)
{
    (void)ctx;
    atomic_store(&slow_started, 1);
    sleep_ns(30 * MS);
    atomic_store(&slow_done, 1);
}

Test(timer, disable_waits_for_a_running_callback_of_the_same_cpu)
{
    hal_timer_oneshot(MS, slow_callback, NULL);
    cr_assert(wait_for(&slow_started, 1, 2000), "expected the callback to start");
    hal_irq_state_t s = hal_irq_disable();
    cr_assert_eq(atomic_load(&slow_done), 1,
                 "expected hal_irq_disable to return only after the running callback ended");
    hal_irq_restore(s);
}

static atomic_int rearm_count;

/* Re-arms itself until it has run three times. */
static void rearm_three_times(void *ctx)
{
    (void)ctx;
    if (atomic_fetch_add(&rearm_count, 1) + 1 < 3)
        hal_timer_oneshot(MS, rearm_three_times, NULL);
}

Test(timer, callback_may_rearm_its_own_cpu)
{
    hal_timer_oneshot(MS, rearm_three_times, NULL);
    cr_assert(wait_for(&rearm_count, 3, 2000), "expected three runs by re-arming");
    sleep_ns(20 * MS);
    cr_assert_eq(atomic_load(&rearm_count), 3, "expected exactly three runs");
}

static hal_irq_state_t enabled_state;

/* Tries to turn interrupts on inside interrupt context. */
static void enable_inside_callback(void *ctx)
{
    (void)ctx;
    hal_irq_restore(enabled_state);
}

Test(timer, enabling_interrupts_inside_a_callback_panics, .signal = SIGABRT)
{
    enabled_state = hal_irq_disable();
    hal_irq_restore(enabled_state);
    hal_timer_oneshot(MS, enable_inside_callback, NULL);
    sleep_ns(2000 * MS);
}

/* -------------------------------------------------------------- context */

#define STACK_BYTES (64 * 1024)

/* Two contexts that bounce a value with the main one: main -> a -> b ->
 * main, each appending its digit, several rounds. */
struct pingpong {
    hal_context_t main, a, b;
    unsigned long value;
    unsigned long a_rounds;   /* a's stack-local round count, published */
    unsigned char stack_a[STACK_BYTES] __attribute__((aligned(16)));
    unsigned char stack_b[STACK_BYTES] __attribute__((aligned(16)));
};

/* Appends digit 1 per round; its round count lives in a stack local, so
 * a correct count shows a's stack survived the switches. */
static void ctx_a(void *arg)
{
    struct pingpong *p = arg;
    unsigned long rounds = 0;

    for (;;) {
        rounds++;
        p->a_rounds = rounds;
        p->value = p->value * 10 + 1;
        hal_context_switch(&p->a, &p->b);
    }
}

/* Appends digit 2 and hands control back to main. */
static void ctx_b(void *arg)
{
    struct pingpong *p = arg;

    for (;;) {
        p->value = p->value * 10 + 2;
        hal_context_switch(&p->b, &p->main);
    }
}

Test(context, init_rejects_bad_arguments)
{
    static hal_context_t ctx;
    static unsigned char stack[8192];

    cr_assert_eq(hal_context_init(NULL, stack, sizeof stack, ctx_a, NULL), FB_EINVAL,
                 "expected FB_EINVAL for a NULL context");
    cr_assert_eq(hal_context_init(&ctx, NULL, sizeof stack, ctx_a, NULL), FB_EINVAL,
                 "expected FB_EINVAL for a NULL stack");
    cr_assert_eq(hal_context_init(&ctx, stack, sizeof stack, NULL, NULL), FB_EINVAL,
                 "expected FB_EINVAL for a NULL entry");
    cr_assert_eq(hal_context_init(&ctx, stack, 4095, ctx_a, NULL), FB_EINVAL,
                 "expected FB_EINVAL for a stack under 4 KiB");
}

Test(context, switches_ping_pong_and_pass_values)
{
    struct pingpong *p = calloc(1, sizeof *p);

    cr_assert_eq(hal_context_init(&p->a, p->stack_a, STACK_BYTES, ctx_a, p), FB_OK, "expected a");
    cr_assert_eq(hal_context_init(&p->b, p->stack_b, STACK_BYTES, ctx_b, p), FB_OK, "expected b");
    for (unsigned long round = 1; round <= 3; round++) {
        hal_context_switch(&p->main, &p->a);
        cr_assert_eq(p->value % 100, 12u, "expected a then b in round %lu, value %lu",
                     round, p->value);
        cr_assert_eq(p->a_rounds, round, "expected a's stack local to count %lu rounds", round);
    }
    cr_assert_eq(p->value, 121212u, "expected three rounds of a,b, got %lu", p->value);
    free(p);
}

/* Returns, which a context entry must never do. */
static void returning_entry(void *arg)
{
    (void)arg;
}

Test(context, returning_from_the_entry_panics, .signal = SIGABRT)
{
    static hal_context_t main_ctx, ctx;
    static unsigned char stack[STACK_BYTES] __attribute__((aligned(16)));

    hal_context_init(&ctx, stack, sizeof stack, returning_entry, NULL);
    hal_context_switch(&main_ctx, &ctx);
}

/* --------------------------------------------------------------- aspace */

#define UVA(n) (HAL_USER_BASE + (uintptr_t)(n) * PAGE)   /* n-th user page */
#define FRAME(n) (HAL_HOST_RAM_BASE + (uint64_t)(n) * PAGE) /* n-th RAM frame */
#define RW_USER (HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_USER)

/* A new aspace, asserting creation worked. */
static hal_aspace_t *new_aspace(void)
{
    hal_aspace_t *as = NULL;

    cr_assert_eq(hal_aspace_create(&as), FB_OK, "expected an aspace");
    cr_assert_not_null(as, "expected a non-NULL aspace");
    return as;
}

Test(aspace, phys_to_virt_reaches_exactly_the_simulated_ram)
{
    unsigned char *first = hal_phys_to_virt(HAL_HOST_RAM_BASE);
    unsigned char *last = hal_phys_to_virt(HAL_HOST_RAM_BASE + HAL_HOST_RAM_SIZE - 1);

    cr_assert_not_null(first, "expected the first RAM byte to be reachable");
    cr_assert_eq(last, first + HAL_HOST_RAM_SIZE - 1, "expected RAM to be one linear block");
    *last = 0x5a;
    cr_assert_eq(*last, 0x5a, "expected RAM to be writable");
    cr_assert_null(hal_phys_to_virt(HAL_HOST_RAM_BASE - 1), "expected NULL below RAM");
    cr_assert_null(hal_phys_to_virt(HAL_HOST_RAM_BASE + HAL_HOST_RAM_SIZE), "expected NULL past RAM");
    cr_assert_null(hal_phys_to_virt(0), "expected NULL for physical 0");
}

Test(aspace, create_rejects_null_out)
{
    cr_assert_eq(hal_aspace_create(NULL), FB_EINVAL, "expected FB_EINVAL for NULL out");
}

Test(aspace, map_then_query_returns_frame_and_flags)
{
    hal_aspace_t *as = new_aspace();
    uint64_t pa = 0;
    uint32_t flags = 0;

    cr_assert_eq(hal_aspace_map(as, UVA(3), FRAME(7), HAL_MAP_READ | HAL_MAP_USER), FB_OK,
                 "expected the map to work");
    cr_assert_eq(hal_aspace_query(as, UVA(3), &pa, &flags), FB_OK, "expected the page mapped");
    cr_assert_eq(pa, FRAME(7), "expected frame %#llx, got %#llx",
                 (unsigned long long)FRAME(7), (unsigned long long)pa);
    cr_assert_eq(flags, HAL_MAP_READ | HAL_MAP_USER, "expected the flags given, got %#x", flags);
    cr_assert_eq(hal_aspace_query(as, UVA(3), NULL, NULL), FB_OK, "expected NULL outputs allowed");
    hal_aspace_destroy(as);
}

Test(aspace, query_inside_a_page_adds_the_offset)
{
    hal_aspace_t *as = new_aspace();
    uint64_t pa = 0;

    hal_aspace_map(as, UVA(1), FRAME(2), RW_USER);
    cr_assert_eq(hal_aspace_query(as, UVA(1) + 0x123, &pa, NULL), FB_OK, "expected mapped");
    cr_assert_eq(pa, FRAME(2) + 0x123, "expected the frame plus the offset 0x123");
    hal_aspace_destroy(as);
}

Test(aspace, unmap_removes_only_that_page)
{
    hal_aspace_t *as = new_aspace();

    hal_aspace_map(as, UVA(1), FRAME(1), RW_USER);
    hal_aspace_map(as, UVA(2), FRAME(2), RW_USER);
    cr_assert_eq(hal_aspace_unmap(as, UVA(1)), FB_OK, "expected the unmap to work");
    cr_assert_eq(hal_aspace_query(as, UVA(1), NULL, NULL), FB_ENOENT, "expected page 1 gone");
    cr_assert_eq(hal_aspace_query(as, UVA(2), NULL, NULL), FB_OK, "expected page 2 kept");
    cr_assert_eq(hal_aspace_map(as, UVA(1), FRAME(3), RW_USER), FB_OK,
                 "expected an unmapped page to be mappable again");
    hal_aspace_destroy(as);
}

Test(aspace, map_of_unaligned_va_or_pa_is_ealign)
{
    hal_aspace_t *as = new_aspace();

    cr_assert_eq(hal_aspace_map(as, UVA(1) + 8, FRAME(1), RW_USER), FB_EALIGN,
                 "expected FB_EALIGN for an unaligned va");
    cr_assert_eq(hal_aspace_map(as, UVA(1), FRAME(1) + 8, RW_USER), FB_EALIGN,
                 "expected FB_EALIGN for an unaligned pa");
    cr_assert_eq(hal_aspace_query(as, UVA(1), NULL, NULL), FB_ENOENT, "expected nothing mapped");
    hal_aspace_destroy(as);
}

Test(aspace, map_outside_user_space_is_efault)
{
    hal_aspace_t *as = new_aspace();

    cr_assert_eq(hal_aspace_map(as, HAL_USER_BASE - PAGE, FRAME(1), RW_USER), FB_EFAULT,
                 "expected FB_EFAULT below HAL_USER_BASE");
    cr_assert_eq(hal_aspace_map(as, 0, FRAME(1), RW_USER), FB_EFAULT,
                 "expected FB_EFAULT for page 0");
    cr_assert_eq(hal_aspace_map(as, HAL_USER_TOP, FRAME(1), RW_USER), FB_EFAULT,
                 "expected FB_EFAULT at HAL_USER_TOP");
    cr_assert_eq(hal_aspace_map(as, 0xffffffff80000000ull, FRAME(1), RW_USER), FB_EFAULT,
                 "expected FB_EFAULT in the kernel half");
    cr_assert_eq(hal_aspace_map(as, HAL_USER_TOP - PAGE, FRAME(1), RW_USER), FB_OK,
                 "expected the last user page to be mappable");
    hal_aspace_destroy(as);
}

Test(aspace, mapping_a_mapped_page_is_eexist_and_keeps_the_old_mapping)
{
    hal_aspace_t *as = new_aspace();
    uint64_t pa = 0;

    hal_aspace_map(as, UVA(1), FRAME(1), RW_USER);
    cr_assert_eq(hal_aspace_map(as, UVA(1), FRAME(9), HAL_MAP_READ), FB_EEXIST,
                 "expected FB_EEXIST for a mapped page");
    hal_aspace_query(as, UVA(1), &pa, NULL);
    cr_assert_eq(pa, FRAME(1), "expected the first mapping to stay");
    hal_aspace_destroy(as);
}

Test(aspace, unknown_flag_bits_are_einval)
{
    hal_aspace_t *as = new_aspace();

    cr_assert_eq(hal_aspace_map(as, UVA(1), FRAME(1), RW_USER | 0x10u), FB_EINVAL,
                 "expected FB_EINVAL for flag bit 0x10");
    cr_assert_eq(hal_aspace_map(as, UVA(1), FRAME(1), HAL_MAP_READ | 0x80000000u), FB_EINVAL,
                 "expected FB_EINVAL for flag bit 31");
    cr_assert_eq(hal_aspace_query(as, UVA(1), NULL, NULL), FB_ENOENT, "expected nothing mapped");
    hal_aspace_destroy(as);
}

Test(aspace, mapping_without_read_is_einval)
{
    hal_aspace_t *as = new_aspace();

    cr_assert_eq(hal_aspace_map(as, UVA(1), FRAME(1), HAL_MAP_WRITE | HAL_MAP_USER), FB_EINVAL,
                 "expected FB_EINVAL: every mapping must be readable");
    cr_assert_eq(hal_aspace_map(as, UVA(1), FRAME(1), 0), FB_EINVAL,
                 "expected FB_EINVAL for no permissions at all");
    cr_assert_eq(hal_aspace_query(as, UVA(1), NULL, NULL), FB_ENOENT, "expected nothing mapped");
    hal_aspace_destroy(as);
}

Test(aspace, mapping_a_frame_outside_simulated_ram_is_einval)
{
    hal_aspace_t *as = new_aspace();

    cr_assert_eq(hal_aspace_map(as, UVA(1), HAL_HOST_RAM_BASE + HAL_HOST_RAM_SIZE, RW_USER),
                 FB_EINVAL, "expected FB_EINVAL for the frame just past simulated RAM");
    cr_assert_eq(hal_aspace_map(as, UVA(1), 0, RW_USER), FB_EINVAL,
                 "expected FB_EINVAL for physical page 0 (below simulated RAM)");
    cr_assert_eq(hal_aspace_map(as, UVA(1), HAL_HOST_RAM_BASE + HAL_HOST_RAM_SIZE - PAGE, RW_USER),
                 FB_OK, "expected the last RAM frame to be mappable");
    hal_aspace_destroy(as);
}

Test(aspace, unmap_and_query_report_enoent_and_ealign)
{
    hal_aspace_t *as = new_aspace();

    cr_assert_eq(hal_aspace_unmap(as, UVA(5)), FB_ENOENT, "expected FB_ENOENT for an unmapped page");
    cr_assert_eq(hal_aspace_unmap(as, UVA(5) + 1), FB_EALIGN, "expected FB_EALIGN for unaligned");
    cr_assert_eq(hal_aspace_query(as, UVA(5), NULL, NULL), FB_ENOENT, "expected FB_ENOENT");
    cr_assert_eq(hal_aspace_unmap(as, HAL_USER_TOP), FB_ENOENT,
                 "expected FB_ENOENT for an address outside user space");
    cr_assert_eq(hal_aspace_query(as, 0xffff800000001234ull, NULL, NULL), FB_ENOENT,
                 "expected FB_ENOENT looking up the kernel half");
    hal_aspace_destroy(as);
}

Test(aspace, null_aspace_is_einval)
{
    cr_assert_eq(hal_aspace_map(NULL, UVA(1), FRAME(1), RW_USER), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(hal_aspace_unmap(NULL, UVA(1)), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(hal_aspace_query(NULL, UVA(1), NULL, NULL), FB_EINVAL, "expected FB_EINVAL");
}

Test(aspace, address_spaces_are_independent)
{
    hal_aspace_t *a = new_aspace(), *b = new_aspace();

    hal_aspace_map(a, UVA(1), FRAME(1), RW_USER);
    cr_assert_eq(hal_aspace_query(b, UVA(1), NULL, NULL), FB_ENOENT,
                 "expected a mapping in one aspace to be absent from another");
    hal_aspace_destroy(a);
    hal_aspace_destroy(b);
}

/* Next value of a xorshift64 sequence: scattered, reproducible pages. */
static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

#define SCATTER 4000

Test(aspace, thousands_of_scattered_mappings_survive_growth_and_removal)
{
    static uintptr_t va[SCATTER];
    hal_aspace_t *as = new_aspace();
    uint64_t x = 88172645463325252ull, pa;

    for (unsigned i = 0; i < SCATTER; i++) {
        int err;
        do {
            va[i] = UVA(xorshift(&x) % (1u << 30));
            err = hal_aspace_map(as, va[i], FRAME(i), RW_USER);
        } while (err == FB_EEXIST);
        cr_assert_eq(err, FB_OK, "expected map %u to work", i);
    }
    for (unsigned i = 0; i < SCATTER; i += 2)
        cr_assert_eq(hal_aspace_unmap(as, va[i]), FB_OK, "expected unmap %u", i);
    for (unsigned i = 0; i < SCATTER; i++) {
        int err = hal_aspace_query(as, va[i], &pa, NULL);
        if (i % 2 == 0) {
            cr_assert_eq(err, FB_ENOENT, "expected page %u unmapped", i);
        } else {
            cr_assert_eq(err, FB_OK, "expected page %u still mapped", i);
            cr_assert_eq(pa, FRAME(i), "expected page %u to keep its frame", i);
        }
    }
    hal_aspace_destroy(as);
}

static hal_aspace_t *seen_current = (hal_aspace_t *)1;

/* Records the current aspace of this CPU. */
static void record_current(void *arg)
{
    (void)arg;
    seen_current = hal_aspace_current();
}

Test(aspace, current_aspace_belongs_to_each_cpu)
{
    hal_aspace_t *as = new_aspace();

    cr_assert_null(hal_aspace_current(), "expected no aspace current at start");
    hal_aspace_switch(as);
    cr_assert_eq(hal_aspace_current(), as, "expected the switched-to aspace current");
    cr_assert_eq(hal_host_set_cpu_count(2), FB_OK, "expected 2 CPUs accepted");
    cr_assert_eq(hal_host_cpu_start(1, record_current, NULL), FB_OK, "expected CPU 1 to start");
    cr_assert_eq(hal_host_cpu_join(1), FB_OK, "expected CPU 1 to join");
    cr_assert_null(seen_current, "expected CPU 1 unaffected by CPU 0's switch");
    hal_aspace_switch(NULL);
    hal_aspace_destroy(as);
}

Test(aspace, destroying_the_current_aspace_panics, .signal = SIGABRT)
{
    hal_aspace_t *as = new_aspace();

    hal_aspace_switch(as);
    hal_aspace_destroy(as);
}

/* A frame source over simulated RAM that counts and may run dry. */
static atomic_int frames_taken, frames_given_back, frames_left = 1000;
static atomic_ullong next_frame = FRAME(1000);

/* Hands out the next frame unless frames_left has run out. */
static int counting_alloc(uint64_t *pa)
{
    if (atomic_fetch_sub(&frames_left, 1) <= 0)
        return FB_ENOMEM;
    *pa = atomic_fetch_add(&next_frame, PAGE);
    atomic_fetch_add(&frames_taken, 1);
    return FB_OK;
}

/* Counts a frame given back. */
static void counting_free(uint64_t pa)
{
    (void)pa;
    atomic_fetch_add(&frames_given_back, 1);
}

Test(aspace, frame_source_pays_for_each_page_table_like_x86_64)
{
    hal_aspace_set_frame_source(counting_alloc, counting_free);
    hal_aspace_t *as = new_aspace();
    cr_assert_eq(atomic_load(&frames_taken), 1, "expected one frame for the root table");
    hal_aspace_map(as, UVA(0), FRAME(1), RW_USER);
    cr_assert_eq(atomic_load(&frames_taken), 4, "expected PDPT, PD and PT for the first page");
    hal_aspace_map(as, UVA(1), FRAME(2), RW_USER);
    cr_assert_eq(atomic_load(&frames_taken), 4, "expected no new table in the same 2 MiB");
    hal_aspace_map(as, UVA(512), FRAME(3), RW_USER);
    cr_assert_eq(atomic_load(&frames_taken), 5, "expected one new PT for the next 2 MiB");
    hal_aspace_map(as, HAL_USER_TOP - PAGE, FRAME(4), RW_USER);
    cr_assert_eq(atomic_load(&frames_taken), 8, "expected PDPT, PD, PT for a far page");
    hal_aspace_destroy(as);
    cr_assert_eq(atomic_load(&frames_given_back), 8, "expected every table frame back on destroy");
}

Test(aspace, map_without_table_frames_is_enomem)
{
    hal_aspace_set_frame_source(counting_alloc, counting_free);
    atomic_store(&frames_left, 2);
    hal_aspace_t *as = new_aspace();
    cr_assert_eq(hal_aspace_map(as, UVA(0), FRAME(1), RW_USER), FB_ENOMEM,
                 "expected FB_ENOMEM when the page tables cannot be paid for");
    cr_assert_eq(hal_aspace_query(as, UVA(0), NULL, NULL), FB_ENOENT,
                 "expected nothing mapped after FB_ENOMEM");
    hal_aspace_t *none = NULL;
    cr_assert_eq(hal_aspace_create(&none), FB_ENOMEM, "expected FB_ENOMEM without a root frame");
    cr_assert_null(none, "expected no aspace handed out on FB_ENOMEM");
    hal_aspace_destroy(as);
    cr_assert_eq(atomic_load(&frames_given_back), atomic_load(&frames_taken),
                 "expected every frame taken to be given back");
}

Test(aspace, half_a_frame_source_panics, .signal = SIGABRT)
{
    hal_aspace_set_frame_source(counting_alloc, NULL);
}

Test(aspace, protect_changes_the_rights_and_keeps_the_frame)
{
    hal_aspace_t *as = new_aspace();
    uint64_t pa = 0;
    uint32_t flags = 0;

    hal_aspace_map(as, UVA(4), FRAME(9), RW_USER);
    cr_assert_eq(hal_aspace_protect(as, UVA(4), HAL_MAP_READ | HAL_MAP_EXEC | HAL_MAP_USER), FB_OK,
                 "expected protect of a mapped page to work");
    cr_assert_eq(hal_aspace_query(as, UVA(4), &pa, &flags), FB_OK,
                 "expected the page still mapped");
    cr_assert_eq(pa, FRAME(9), "expected the frame kept");
    cr_assert_eq(flags, HAL_MAP_READ | HAL_MAP_EXEC | HAL_MAP_USER,
                 "expected the new rights, got 0x%x", flags);
    hal_aspace_destroy(as);
}

Test(aspace, protect_of_an_unmapped_page_is_enoent)
{
    hal_aspace_t *as = new_aspace();

    hal_aspace_map(as, UVA(1), FRAME(1), RW_USER);
    cr_assert_eq(hal_aspace_protect(as, UVA(2), HAL_MAP_READ), FB_ENOENT,
                 "expected FB_ENOENT next to a mapping");
    cr_assert_eq(hal_aspace_protect(as, 0, HAL_MAP_READ), FB_ENOENT,
                 "expected FB_ENOENT below user space");
    cr_assert_eq(hal_aspace_protect(as, HAL_USER_TOP, HAL_MAP_READ), FB_ENOENT,
                 "expected FB_ENOENT above user space");
    cr_assert_eq(hal_aspace_query(as, UVA(2), NULL, NULL), FB_ENOENT,
                 "expected protect to map nothing");
    hal_aspace_destroy(as);
}

Test(aspace, protect_rejects_bad_flags_alignment_and_null)
{
    hal_aspace_t *as = new_aspace();
    uint32_t flags = 0;

    hal_aspace_map(as, UVA(1), FRAME(1), RW_USER);
    cr_assert_eq(hal_aspace_protect(as, UVA(1), HAL_MAP_WRITE | HAL_MAP_USER), FB_EINVAL,
                 "expected FB_EINVAL without HAL_MAP_READ");
    cr_assert_eq(hal_aspace_protect(as, UVA(1), HAL_MAP_READ | 0x100), FB_EINVAL,
                 "expected FB_EINVAL for unknown flag bits");
    cr_assert_eq(hal_aspace_protect(as, UVA(1) + 8, HAL_MAP_READ), FB_EALIGN,
                 "expected FB_EALIGN for an unaligned address");
    cr_assert_eq(hal_aspace_protect(NULL, UVA(1), HAL_MAP_READ), FB_EINVAL,
                 "expected FB_EINVAL for a NULL aspace");
    hal_aspace_query(as, UVA(1), NULL, &flags);
    cr_assert_eq(flags, RW_USER, "expected the rights unchanged after refusals, got 0x%x", flags);
    hal_aspace_destroy(as);
}

Test(aspace, next_enumerates_mappings_in_address_order)
{
    static const unsigned pages[] = { 700000, 3, 1, 512, 2, 90000 };
    static const unsigned sorted[] = { 1, 2, 3, 512, 90000, 700000 };
    hal_aspace_t *as = new_aspace();
    uintptr_t va = 0, from = 0;
    unsigned n = 0;

    for (unsigned i = 0; i < 6; i++)
        hal_aspace_map(as, UVA(pages[i]), FRAME(pages[i] % 1000), RW_USER);
    while (hal_aspace_next(as, from, &va, NULL, NULL) == FB_OK) {
        cr_assert_lt(n, 6u, "expected only 6 mappings to be enumerated");
        cr_assert_eq(va, UVA(sorted[n]), "expected mapping %u at page %u, got 0x%lx", n, sorted[n],
                     (unsigned long)va);
        from = va + PAGE;
        n++;
    }
    cr_assert_eq(n, 6u, "expected all 6 mappings enumerated, got %u", n);
    hal_aspace_destroy(as);
}

Test(aspace, next_reports_frame_and_flags_and_rounds_from_down)
{
    hal_aspace_t *as = new_aspace();
    uintptr_t va = 0;
    uint64_t pa = 0;
    uint32_t flags = 0;

    hal_aspace_map(as, UVA(5), FRAME(8), HAL_MAP_READ | HAL_MAP_USER);
    cr_assert_eq(hal_aspace_next(as, UVA(5) + 0x7ff, &va, &pa, &flags), FB_OK,
                 "expected the page holding from itself to count");
    cr_assert_eq(va, UVA(5), "expected the page address, got 0x%lx", (unsigned long)va);
    cr_assert_eq(pa, FRAME(8), "expected its frame");
    cr_assert_eq(flags, HAL_MAP_READ | HAL_MAP_USER, "expected its rights, got 0x%x", flags);
    cr_assert_eq(hal_aspace_next(as, 0, &va, NULL, NULL), FB_OK,
                 "expected from below user space to start at HAL_USER_BASE");
    cr_assert_eq(va, UVA(5), "expected the first mapping");
    hal_aspace_destroy(as);
}

Test(aspace, next_skips_unmapped_pages_and_ends_with_enoent)
{
    hal_aspace_t *as = new_aspace();
    uintptr_t va = 0;

    hal_aspace_map(as, UVA(1), FRAME(1), RW_USER);
    hal_aspace_map(as, UVA(2), FRAME(2), RW_USER);
    hal_aspace_map(as, HAL_USER_TOP - PAGE, FRAME(3), RW_USER);
    hal_aspace_unmap(as, UVA(2));
    cr_assert_eq(hal_aspace_next(as, UVA(2), &va, NULL, NULL), FB_OK, "expected a later mapping");
    cr_assert_eq(va, HAL_USER_TOP - PAGE, "expected the unmapped page skipped, got 0x%lx",
                 (unsigned long)va);
    cr_assert_eq(hal_aspace_next(as, HAL_USER_TOP - PAGE + 1, &va, NULL, NULL), FB_OK,
                 "expected the last user page found from inside it");
    cr_assert_eq(hal_aspace_next(as, HAL_USER_TOP, &va, NULL, NULL), FB_ENOENT,
                 "expected FB_ENOENT from the top of user space");
    hal_aspace_unmap(as, HAL_USER_TOP - PAGE);
    cr_assert_eq(hal_aspace_next(as, UVA(2), &va, NULL, NULL), FB_ENOENT,
                 "expected FB_ENOENT past the last mapping");
    hal_aspace_destroy(as);
}

Test(aspace, next_of_an_empty_space_is_enoent_and_null_is_einval)
{
    hal_aspace_t *as = new_aspace();
    uintptr_t va = 0;

    cr_assert_eq(hal_aspace_next(as, 0, &va, NULL, NULL), FB_ENOENT,
                 "expected FB_ENOENT when empty");
    cr_assert_eq(hal_aspace_next(NULL, 0, &va, NULL, NULL), FB_EINVAL,
                 "expected FB_EINVAL for a NULL aspace");
    hal_aspace_map(as, UVA(1), FRAME(1), RW_USER);
    cr_assert_eq(hal_aspace_next(as, 0, NULL, NULL, NULL), FB_EINVAL,
                 "expected FB_EINVAL for a NULL va");
    hal_aspace_destroy(as);
}

Test(aspace, switching_to_null_leaves_the_kernel_only)
{
    hal_aspace_t *as = new_aspace();

    hal_aspace_switch(as);
    hal_aspace_switch(NULL);
    cr_assert_null(hal_aspace_current(), "expected no aspace current after switching to NULL");
    hal_aspace_destroy(as);
}

/* ------------------------------------------------------------- usercopy */

/* Makes a current aspace with pages 1 and 2 mapped to frames 5 and 2
 * (deliberately not adjacent) with the given flags. */
static hal_aspace_t *two_page_space(uint32_t flags1, uint32_t flags2)
{
    hal_aspace_t *as = new_aspace();

    cr_assert_eq(hal_aspace_map(as, UVA(1), FRAME(5), flags1), FB_OK, "expected page 1");
    cr_assert_eq(hal_aspace_map(as, UVA(2), FRAME(2), flags2), FB_OK, "expected page 2");
    hal_aspace_switch(as);
    return as;
}

Test(usercopy, round_trip_across_a_page_boundary_lands_in_each_frame)
{
    two_page_space(RW_USER, RW_USER);
    unsigned char src[100], back[100];
    unsigned char *end5 = (unsigned char *)hal_phys_to_virt(FRAME(5)) + PAGE - 50;
    unsigned char *start2 = hal_phys_to_virt(FRAME(2));

    for (int i = 0; i < 100; i++)
        src[i] = (unsigned char)(i + 1);
    cr_assert_eq(hal_copy_to_user(UVA(2) - 50, src, 100), FB_OK, "expected copy_to_user to work");
    cr_assert_arr_eq(end5, src, 50, "expected the first 50 bytes at the end of frame 5");
    cr_assert_arr_eq(start2, src + 50, 50, "expected the last 50 bytes at the start of frame 2");
    cr_assert_eq(hal_copy_from_user(back, UVA(2) - 50, 100), FB_OK, "expected copy back to work");
    cr_assert_arr_eq(back, src, 100, "expected the same 100 bytes back");
}

Test(usercopy, zero_bytes_is_ok_at_any_address)
{
    unsigned char b;

    cr_assert_eq(hal_copy_from_user(&b, 0, 0), FB_OK, "expected FB_OK for n == 0");
    cr_assert_eq(hal_copy_to_user(0xffff800000000000ull, &b, 0), FB_OK, "expected FB_OK for n == 0");
}

Test(usercopy, range_reaching_an_unmapped_page_is_efault_and_touches_nothing)
{
    two_page_space(RW_USER, RW_USER);
    unsigned char dst[64], want[64];

    memset(dst, 0xaa, sizeof dst);
    memset(want, 0xaa, sizeof want);
    cr_assert_eq(hal_copy_from_user(dst, UVA(3) - 32, 64), FB_EFAULT,
                 "expected FB_EFAULT when page 3 is unmapped");
    cr_assert_arr_eq(dst, want, sizeof dst, "expected the kernel buffer untouched on FB_EFAULT");
}

Test(usercopy, failed_copy_to_user_writes_no_user_byte)
{
    two_page_space(RW_USER, HAL_MAP_READ | HAL_MAP_USER);
    unsigned char src[64], *end5 = (unsigned char *)hal_phys_to_virt(FRAME(5)) + PAGE - 32;

    memset(end5, 0x11, 32);
    memset(src, 0x22, sizeof src);
    cr_assert_eq(hal_copy_to_user(UVA(2) - 32, src, 64), FB_EFAULT,
                 "expected FB_EFAULT when page 2 is read-only");
    for (int i = 0; i < 32; i++)
        cr_assert_eq(end5[i], 0x11, "expected writable page 1 untouched at byte %d", i);
}

Test(usercopy, page_without_user_flag_is_efault)
{
    two_page_space(HAL_MAP_READ | HAL_MAP_WRITE, RW_USER);
    unsigned char b[8] = { 0 };

    cr_assert_eq(hal_copy_from_user(b, UVA(1), 8), FB_EFAULT, "expected FB_EFAULT reading a kernel page");
    cr_assert_eq(hal_copy_to_user(UVA(1), b, 8), FB_EFAULT, "expected FB_EFAULT writing a kernel page");
}

Test(usercopy, copy_to_a_read_only_page_is_efault_but_reading_it_works)
{
    two_page_space(HAL_MAP_READ | HAL_MAP_USER, RW_USER);
    unsigned char b[8] = { 0 };

    cr_assert_eq(hal_copy_to_user(UVA(1), b, 8), FB_EFAULT, "expected FB_EFAULT writing read-only");
    cr_assert_eq(hal_copy_from_user(b, UVA(1), 8), FB_OK, "expected reading it to work");
}

Test(usercopy, ranges_that_wrap_or_leave_user_space_are_efault)
{
    two_page_space(RW_USER, RW_USER);
    unsigned char b[256] = { 0 };

    cr_assert_eq(hal_copy_from_user(b, UINTPTR_MAX - 15, 32), FB_EFAULT,
                 "expected FB_EFAULT for a range wrapping past 2^64");
    cr_assert_eq(hal_copy_from_user(b, UVA(1), SIZE_MAX), FB_EFAULT,
                 "expected FB_EFAULT for a length that wraps");
    cr_assert_eq(hal_copy_to_user(HAL_USER_TOP - 16, b, 32), FB_EFAULT,
                 "expected FB_EFAULT for a range crossing HAL_USER_TOP");
    cr_assert_eq(hal_copy_to_user(HAL_USER_BASE - 16, b, 32), FB_EFAULT,
                 "expected FB_EFAULT for a range starting below HAL_USER_BASE");
}

Test(usercopy, kernel_half_addresses_are_efault)
{
    two_page_space(RW_USER, RW_USER);
    unsigned char b[8] = { 0 };

    cr_assert_eq(hal_copy_from_user(b, 0xffff800000000000ull, 8), FB_EFAULT,
                 "expected FB_EFAULT for the kernel half");
    cr_assert_eq(hal_copy_to_user((uintptr_t)b, b, 8), FB_EFAULT,
                 "expected FB_EFAULT for a host pointer used as a user address");
}

Test(usercopy, no_current_aspace_is_efault)
{
    unsigned char b[8] = { 0 };

    cr_assert_eq(hal_copy_from_user(b, UVA(1), 8), FB_EFAULT, "expected FB_EFAULT with no aspace");
}

Test(usercopy, protect_to_read_only_stops_copies_to_user)
{
    hal_aspace_t *as = two_page_space(RW_USER, RW_USER);
    unsigned char b = 7;

    cr_assert_eq(hal_copy_to_user(UVA(1), &b, 1), FB_OK, "expected a writable page at first");
    cr_assert_eq(hal_aspace_protect(as, UVA(1), HAL_MAP_READ | HAL_MAP_USER), FB_OK,
                 "expected protect to work");
    cr_assert_eq(hal_copy_to_user(UVA(1), &b, 1), FB_EFAULT,
                 "expected FB_EFAULT writing a page protected read-only");
    cr_assert_eq(hal_copy_from_user(&b, UVA(1), 1), FB_OK, "expected reading it to still work");
    cr_assert_eq(b, 7, "expected the byte written before");
}

/* ----------------------------------------------------------------- user */

static uint64_t last_nr, last_args[HAL_SYSCALL_ARGS];

/* Records its arguments and returns a value made of them. */
static int64_t record_syscall(uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS])
{
    last_nr = nr;
    memcpy(last_args, args, sizeof last_args);
    return (int64_t)(nr * 1000 + args[5]);
}

/* Another handler, to tell which one ran. */
static int64_t other_syscall(uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS])
{
    (void)nr;
    (void)args;
    return -77;
}

Test(user, syscall_without_a_handler_is_enosys)
{
    static const uint64_t args[HAL_SYSCALL_ARGS] = { 1, 2, 3, 4, 5, 6 };

    cr_assert_eq(hal_host_syscall(0, args), FB_ENOSYS, "expected FB_ENOSYS with no handler");
}

Test(user, syscall_reaches_the_handler_with_number_and_all_six_arguments)
{
    static const uint64_t args[HAL_SYSCALL_ARGS] = { 11, 22, 33, 44, 55, 66 };

    hal_user_set_syscall_handler(record_syscall);
    cr_assert_eq(hal_host_syscall(7, args), 7066, "expected the handler's result back");
    cr_assert_eq(last_nr, 7u, "expected the number passed");
    cr_assert_arr_eq(last_args, args, sizeof args, "expected the six arguments in order");
}

Test(user, syscall_with_null_arguments_passes_zeros)
{
    static const uint64_t zeros[HAL_SYSCALL_ARGS];

    hal_user_set_syscall_handler(record_syscall);
    memset(last_args, 0xff, sizeof last_args);
    cr_assert_eq(hal_host_syscall(3, NULL), 3000, "expected the handler's result");
    cr_assert_arr_eq(last_args, zeros, sizeof zeros, "expected six zero arguments");
}

Test(user, a_null_syscall_handler_is_refused_and_a_new_one_replaces_the_old)
{
    hal_user_set_syscall_handler(record_syscall);
    hal_user_set_syscall_handler(NULL);
    cr_assert_eq(hal_host_syscall(2, NULL), 2000, "expected the handler kept after NULL");
    hal_user_set_syscall_handler(other_syscall);
    cr_assert_eq(hal_host_syscall(2, NULL), -77, "expected the newer handler to run");
}

/* Exits with a status made of what hal_user_enter passed it. */
static void exiting_runner(uintptr_t ip, uintptr_t sp, uint64_t arg)
{
    _exit(ip == UVA(3) && sp == UVA(100) && arg == 0x1234 ? 42 : 1);
}

/* Enters user mode at page 3 with stack page 100 and argument 0x1234. */
static void enter_user(void)
{
    hal_user_enter(UVA(3), UVA(100), 0x1234);
}

Test(user, enter_runs_the_runner_with_ip_sp_and_arg)
{
    char err[256];

    hal_host_set_user_runner(exiting_runner);
    int status = run_child(enter_user, err, sizeof err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 42,
              "expected the runner to see ip, sp and arg (status 0x%x)", status);
}

/* Returns, which a runner must never do. */
static void returning_runner(uintptr_t ip, uintptr_t sp, uint64_t arg)
{
    (void)ip;
    (void)sp;
    (void)arg;
}

Test(user, enter_panics_when_the_runner_returns)
{
    char err[256];

    hal_host_set_user_runner(returning_runner);
    int status = run_child(enter_user, err, sizeof err);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "expected an abort");
    cr_assert(strstr(err, "runner returned") != NULL, "expected the panic message, got: %s", err);
}

Test(user, enter_without_a_runner_panics, .signal = SIGABRT)
{
    hal_user_enter(UVA(1), UVA(2), 0);
}

/* Exits with the vector, checking the other fields of the fault. */
static void exiting_fault_handler(const struct hal_user_fault *f)
{
    _exit(f->error == 4 && f->ip == UVA(1) + 5 && f->sp == UVA(9) && f->addr == 0xdead000 ?
              (int)f->vector : 1);
}

/* Raises a user page fault. */
static void raise_page_fault(void)
{
    struct hal_user_fault f = { .vector = 14, .error = 4, .ip = UVA(1) + 5, .sp = UVA(9),
                                .addr = 0xdead000 };

    hal_host_user_fault(&f);
}

Test(user, fault_reaches_the_fault_handler_with_every_field)
{
    char err[256];

    hal_user_set_fault_handler(exiting_fault_handler);
    int status = run_child(raise_page_fault, err, sizeof err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 14,
              "expected the handler to see the whole fault (status 0x%x)", status);
}

Test(user, fault_without_a_handler_panics, .signal = SIGABRT)
{
    raise_page_fault();
}

/* Returns, which a fault handler must never do. */
static void returning_fault_handler(const struct hal_user_fault *f)
{
    (void)f;
}

Test(user, fault_handler_that_returns_panics, .signal = SIGABRT)
{
    hal_user_set_fault_handler(returning_fault_handler);
    raise_page_fault();
}

static uint64_t program_result;
static hal_context_t user_main_ctx, user_thread_ctx;

/* System call 0 adds its first two arguments; 1 records its first and
 * ends the simulated program's thread (standing in for sched_exit) by
 * switching back to the test's context. */
static int64_t exiting_syscall(uint64_t nr, const uint64_t args[HAL_SYSCALL_ARGS])
{
    if (nr == 1) {
        program_result = args[0];
        hal_context_switch(&user_thread_ctx, &user_main_ctx);
    }
    return (int64_t)(args[0] + args[1]);
}

/* The program: adds through the kernel twice and exits with the sum. */
static void adding_runner(uintptr_t ip, uintptr_t sp, uint64_t arg)
{
    uint64_t a[HAL_SYSCALL_ARGS] = { arg, ip };
    int64_t r = hal_host_syscall(0, a);

    a[0] = (uint64_t)r;
    a[1] = sp;
    a[0] = (uint64_t)hal_host_syscall(0, a);
    hal_host_syscall(1, a);
}

/* The thread that enters user mode. */
static void user_thread(void *arg)
{
    (void)arg;
    hal_user_enter(100, 20, 3);
}

Test(user, a_program_in_a_thread_runs_through_the_syscall_handler)
{
    static unsigned char stack[64 * 1024];

    hal_user_set_syscall_handler(exiting_syscall);
    hal_host_set_user_runner(adding_runner);
    cr_assert_eq(hal_context_init(&user_thread_ctx, stack, sizeof stack, user_thread, NULL), FB_OK,
                 "expected a context");
    hal_context_switch(&user_main_ctx, &user_thread_ctx);
    cr_assert_eq(program_result, 123u, "expected 3 + 100 + 20 from the program, got %llu",
                 (unsigned long long)program_result);
}
