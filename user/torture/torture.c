/* torture: at least a million random syscalls; the kernel must survive
 * them all and so must this program. Usage: torture [SEED [COUNT]].
 *
 * Numbers: mostly 0..130 (the table and its holes), some picked from the
 * table, some huge. Arguments: small integers, handles from our own
 * table, pointers into our arena (which the kernel may scribble on), our
 * code and rodata, kernel, non-canonical and unmapped addresses, scratch
 * pages, a few real paths, garbage.
 *
 * What is filtered, and why (each keeps the program alive and unblocked,
 * and the rest of the system intact; everything else runs as generated):
 *  - env_exit: would end the run. Never issued.
 *  - env_kill on our own environment (any handle whose capability names
 *    us): the same. Other targets run.
 *  - env_wait: blocks until the child ends; a created child never does.
 *    Only issued when the handle names a child that has already exited
 *    (or is no environment capability at all: an error path).
 *  - irq_wait on a live IRQ capability: blocks until an interrupt that
 *    may never come. Issued only with other handles (error paths).
 *  - sleep: times up to 60 s are cut to under 1 ms; longer ones run (they
 *    must fail with FB_EINVAL at once).
 *  - console_read: EXO_CONSOLE_NONBLOCK is always set.
 *  - env_set_gas on ourselves: a zero budget could starve our own calls.
 *  - cap_delete of the capabilities we started with (our environment,
 *    CPU, IRQ lines): losing the CPU capability would leave a switched
 *    scheduler policy behind. Their derived copies may be deleted.
 *  - mem_map, mem_unmap, mem_protect, mem_alloc, mem_free: a user address
 *    outside our scratch range is moved into it (keeping its low bits), so
 *    our code, data, stack and heap stay as they are; page counts are cut
 *    to fit the range. Addresses outside user space run unchanged.
 *  - vfs_unlink, vfs_mkdir and vfs_open with WRITE, CREATE, TRUNC or
 *    APPEND: a path that is a user address is replaced by one under
 *    /torture-tmp, so no file of the initrd is ever changed.
 *  - console_write and console_log: only one in eight runs, and a user
 *    buffer is replaced by dots, to keep the console readable.
 * Every 20000 syscalls (and at the end) the scratch range, the
 * capabilities made, the children, the descriptors and /torture-tmp are
 * cleaned up, so tables do not stay full and the scheduler policy and
 * CPU binding are put back. */
#include "exo.h"
#include "parse.h"

#define DEFAULT_COUNT 1000000ull
#define PROGRESS 100000ull
#define CLEANUP_EVERY 20000ull
#define NR_SPAN 131u
#define PAGE 4096ull
#define USER_LO 0x400000ull
#define USER_HI 0x0000800000000000ull
#define SCRATCH 0x0000600000000000ull
#define SCRATCH_PAGES 1024ull
#define ARENA 0x0000610000000000ull
#define ARENA_PAGES 16u
#define ARENA_BYTES (ARENA_PAGES * 4096u)
#define MAX_HANDLES 64u
#define MAX_PROTECTED 80u
#define SLEEP_LIMIT_NS 60000000000ull
#define TMP_DIR "/torture-tmp"

/* The buffers handed to the kernel live in pages of their own with
 * nothing mapped around them: a length that runs past the end faults
 * instead of overwriting this program's variables. */
static uint8_t *const arena = (uint8_t *)ARENA;
static const char dots[16] = "................";
static const char *const paths[] = {
    "/", "/bin", "/bin/hello", "/etc/motd", "/README", "/init", "/nope", "rr", "prio",
    "stride", "", "/bin/../etc/motd", "//bin///hello",
};
static const char *const tmp_paths[] = { TMP_DIR, TMP_DIR "/a", TMP_DIR "/b", TMP_DIR "/d" };
static const uint8_t valid_nrs[] = {
    0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 16, 17, 18, 19, 20, 21, 22, 23, 24, 32, 33, 34, 35, 36,
    37, 38, 39, 40, 41, 48, 49, 50, 51, 52, 53, 54, 55, 64, 65, 66, 67, 68, 72, 73, 74, 96, 97,
    98, 104, 105, 106, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121,
};

static uint64_t rng;
static int64_t self_id;
static cap_handle_t handles[MAX_HANDLES];
static uint32_t n_handles;
static cap_handle_t protected_caps[MAX_PROTECTED];
static uint32_t n_protected;
static cap_handle_t cpu_cap;
static char start_policy[16];
static uint64_t all_cpus;
static uint64_t results[21];   /* [0] = ok, [-err] = FB_E*, [20] = anything else */
static uint64_t filtered;

/* xorshift64*: fast, and a seed reproduces a run. */
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

/* A random number below n (n > 0). */
static uint64_t below(uint64_t n)
{
    return next_rand() % n;
}

/* Refills the handle cache from our capability table. */
static void refresh_handles(void)
{
    struct exo_cap_info list[MAX_HANDLES];
    int64_t n = exo_cap_list(list, MAX_HANDLES, 0);

    n_handles = 0;
    for (int64_t i = 0; i < n && i < MAX_HANDLES; i++)
        handles[n_handles++] = list[i].handle;
}

/* One random argument from the mix described at the top. */
static uint64_t rand_arg(void)
{
    static const uint64_t small[] = { 0, 1, 2, 3, 4, 5, 8, 15, 16, 31, 32, 64, 255, 256, 4095,
                                      4096, 4097, 65536, 1u << 20, (1u << 20) + 1, ~0ull };
    uint64_t r = below(100);

    if (r < 25)
        return small[below(sizeof small / sizeof small[0])];
    if (r < 40) {
        if (n_handles == 0)
            return 0;
        uint64_t h = handles[below(n_handles)];
        return below(8) == 0 ? h ^ (below(4) << 32) : h;   /* now and then a stale generation */
    }
    if (r < 55) {
        uint64_t off = below(ARENA_BYTES);
        return (uint64_t)(uintptr_t)arena + (below(2) ? off & ~15ull : off);
    }
    if (r < 62)
        return (uint64_t)(uintptr_t)paths[below(sizeof paths / sizeof paths[0])];
    if (r < 72)
        return (below(2) ? 0xffff800000000000ull : 0xffffffff80000000ull) + below(1ull << 30);
    if (r < 77)
        return below(2) ? (uint64_t)(uintptr_t)&rand_arg : (uint64_t)(uintptr_t)dots;
    if (r < 82)
        return SCRATCH + below(SCRATCH_PAGES) * PAGE;
    if (r < 87)
        return below(2) ? USER_HI + below(1ull << 40) : 0x0000500000000000ull + below(1ull << 30);
    if (r < 90)
        return below(1ull << 32);
    return next_rand();
}

/* A syscall number: mostly a real one (the handlers are where bugs hide),
 * some anywhere in the table's span (holes, reserved numbers), some huge. */
static uint64_t rand_nr(void)
{
    uint64_t r = below(100);

    if (r < 25)
        return below(NR_SPAN);
    if (r < 95)
        return valid_nrs[below(sizeof valid_nrs / sizeof valid_nrs[0])];
    return below(2) ? next_rand() : NR_SPAN + below(100000);
}

/* True when h is one of the capabilities we started with. */
static bool is_protected(uint64_t h)
{
    for (uint32_t i = 0; i < n_protected; i++) {
        if (protected_caps[i] == h)
            return true;
    }
    return false;
}

/* The capability h names, in *ci; false when h is no live capability. */
static bool cap_of(uint64_t h, struct exo_cap_info *ci)
{
    return exo_cap_info(h, ci) == FB_OK;
}

/* True when h is an environment capability naming us. */
static bool names_self(uint64_t h)
{
    struct exo_cap_info ci;

    return cap_of(h, &ci) && ci.type == CAP_T_ENV && ci.object == (uint64_t)self_id;
}

/* False when env_wait(h) could block: h names an environment that has
 * not exited yet (or us). */
static bool wait_is_safe(uint64_t h)
{
    struct exo_cap_info ci;
    struct exo_env_info info;

    if (!cap_of(h, &ci) || ci.type != CAP_T_ENV)
        return true;                            /* an error path */
    if (ci.object == (uint64_t)self_id)
        return true;                            /* FB_EINVAL at once */
    return exo_env_info(h, &info) == FB_OK && info.state == EXO_ENV_EXITED;
}

/* Moves a user address outside the scratch range into it. */
static uint64_t confine_va(uint64_t va)
{
    if (va < USER_LO || va >= USER_HI)
        return va;
    if (va >= SCRATCH && va < SCRATCH + SCRATCH_PAGES * PAGE)
        return va;
    return SCRATCH + below(SCRATCH_PAGES) * PAGE + (va & (PAGE - 1));
}

/* Cuts a page count (valid range 1..4096) so [va, +pages) stays in the
 * scratch range; counts the kernel refuses anyway pass unchanged. */
static uint64_t confine_pages(uint64_t va, uint64_t pages)
{
    if (va < SCRATCH || va >= SCRATCH + SCRATCH_PAGES * PAGE || pages == 0 || pages > 4096)
        return pages;
    uint64_t room = (SCRATCH + SCRATCH_PAGES * PAGE - (va & ~(PAGE - 1))) / PAGE;
    return pages <= room ? pages : 1 + below(room);
}

/* Makes a path argument that could name a real file one under
 * TMP_DIR: only pointers outside user space (which must fault) stay. */
static void confine_path(uint64_t *ptr, uint64_t *len)
{
    for (size_t i = 0; i < sizeof tmp_paths / sizeof tmp_paths[0]; i++) {
        if (*ptr == (uint64_t)(uintptr_t)tmp_paths[i] && *len == strlen(tmp_paths[i]))
            return;
    }
    if (*ptr < USER_LO || *ptr >= USER_HI)
        return;
    const char *p = tmp_paths[below(sizeof tmp_paths / sizeof tmp_paths[0])];
    *ptr = (uint64_t)(uintptr_t)p;
    *len = strlen(p);
}

/* Applies the filters listed at the top; false = do not issue this one. */
static bool filter(uint64_t nr, uint64_t a[6])
{
    switch (nr) {
    case SYS_env_exit:
        return false;
    case SYS_env_kill:
    case SYS_env_set_gas:
        return !names_self(a[0]);
    case SYS_env_wait:
        return wait_is_safe(a[0]);
    case SYS_irq_wait: {
        struct exo_cap_info ci;
        return !(cap_of(a[0], &ci) && ci.type == CAP_T_IRQ);
    }
    case SYS_sleep:
        if (a[0] <= SLEEP_LIMIT_NS)
            a[0] %= 1000000;
        return true;
    case SYS_console_read:
        a[2] |= EXO_CONSOLE_NONBLOCK;
        return true;
    case SYS_cap_delete:
        return !is_protected(a[0]);
    case SYS_mem_map:
    case SYS_mem_unmap:
    case SYS_mem_protect:
        a[0] = confine_va(a[0]);
        return true;
    case SYS_mem_alloc:
    case SYS_mem_free:
        a[0] = confine_va(a[0]);
        a[1] = confine_pages(a[0], a[1]);
        return true;
    case SYS_vfs_open:
        if ((a[2] & (EXO_O_WRITE | EXO_O_CREATE | EXO_O_TRUNC | EXO_O_APPEND)) != 0)
            confine_path(&a[0], &a[1]);
        return true;
    case SYS_vfs_mkdir:
    case SYS_vfs_unlink:
        confine_path(&a[0], &a[1]);
        return true;
    case SYS_console_write:
    case SYS_console_log: {
        int buf = nr == SYS_console_write ? 0 : 1;
        if (below(8) != 0)
            return false;
        if (a[buf] >= USER_LO && a[buf] < USER_HI) {
            a[buf] = (uint64_t)(uintptr_t)dots;
            a[buf + 1] %= sizeof dots + 1;
        }
        return true;
    }
    default:
        return true;
    }
}

/* Gives back everything the random calls may have taken: scratch pages,
 * made capabilities (frames, DMA buffers, children), bound lines, open
 * descriptors, TMP_DIR; restores the policy and the CPU binding. */
static void cleanup(void)
{
    struct exo_cap_info list[MAX_HANDLES];
    int64_t code;

    for (uint64_t p = 0; p < SCRATCH_PAGES; p++) {
        if (exo_mem_free(SCRATCH + p * PAGE, 1) != FB_OK)
            exo_mem_unmap(SCRATCH + p * PAGE);
    }
    for (int32_t fd = 0; fd < (int32_t)EXO_FD_MAX; fd++)
        exo_vfs_close(fd);
    for (uint32_t start = 0;;) {
        int64_t n = exo_cap_list(list, MAX_HANDLES, start);
        if (n <= 0)
            break;
        for (int64_t i = 0; i < n; i++) {
            struct exo_cap_info *c = &list[i];
            if (is_protected(c->handle)) {
                if (c->type == CAP_T_IRQ)
                    exo_irq_unbind(c->handle);
                continue;
            }
            if (c->type == CAP_T_ENV && c->object != (uint64_t)self_id) {
                exo_env_kill(c->handle);
                exo_env_wait(c->handle, &code);
            } else if (c->type == CAP_T_MEMORY) {
                exo_frame_free(c->handle);
            } else if (c->type == CAP_T_DMA) {
                exo_dma_free(c->handle);
            }
            exo_cap_delete(c->handle);
        }
        start = (uint32_t)list[n - 1].handle + 1;
    }
    for (size_t i = sizeof tmp_paths / sizeof tmp_paths[0]; i-- > 0;)
        exo_vfs_unlink(tmp_paths[i], strlen(tmp_paths[i]));
    if (cpu_cap != 0) {
        exo_sched_switch(cpu_cap, start_policy, strlen(start_policy));
        exo_cpu_bind(cpu_cap, all_cpus);
    }
    refresh_handles();
}

/* Maps the arena, records what must survive the run and the state to
 * restore. False when the arena cannot be had. */
static bool setup(void)
{
    struct exo_cap_info list[MAX_PROTECTED];
    struct exo_sched_info si;
    int64_t err = exo_mem_alloc(ARENA, ARENA_PAGES, EXO_PROT_READ | EXO_PROT_WRITE);
    int64_t n = exo_cap_list(list, MAX_PROTECTED, 0);

    if (err != FB_OK) {
        printf("torture: cannot map the arena: %s\n", fb_strerror((int)err));
        return false;
    }

    self_id = exo_env_self();
    for (int64_t i = 0; i < n; i++) {
        protected_caps[n_protected++] = list[i].handle;
        if (list[i].type == CAP_T_CPU && cpu_cap == 0)
            cpu_cap = list[i].handle;
    }
    if (exo_sched_info(&si) == FB_OK) {
        strlcpy(start_policy, si.policy, sizeof start_policy);
        all_cpus = si.cpus >= 64 ? ~0ull : (1ull << si.cpus) - 1;
    }
    refresh_handles();
    return true;
}

/* Counts one result by kind. */
static void count_result(int64_t r)
{
    if (r >= 0)
        results[0]++;
    else if (r >= -19)
        results[-r]++;
    else
        results[20]++;
}

/* Reads "SEED [COUNT]"; a missing seed comes from the clock and the TSC. */
static void parse_args(const char *args, uint64_t *seed, uint64_t *count)
{
    const char *end;
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    *seed = (uint64_t)exo_time_now() ^ ((uint64_t)hi << 32 | lo);
    *count = DEFAULT_COUNT;
    if (parse_u64(args, &end, 0, seed) == FB_OK)
        parse_u64(end, &end, 0, count);
    if (*seed == 0)
        *seed = 0x9e3779b97f4a7c15ull;   /* xorshift must not start at 0 */
}

/* The run. */
int main(const char *args)
{
    uint64_t seed, count, a[6];

    parse_args(args, &seed, &count);
    rng = seed;
    if (!setup())
        return 1;
    printf("torture: seed %#lx, %lu syscalls\n", (unsigned long)seed, (unsigned long)count);
    for (uint64_t done = 0; done < count;) {
        uint64_t nr = rand_nr();
        for (int i = 0; i < 6; i++)
            a[i] = rand_arg();
        for (int i = 0; i < 5; i++) {
            if (below(2) == 0) {
                for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
                    if (a[i] == (uint64_t)(uintptr_t)paths[k])
                        a[i + 1] = strlen(paths[k]);   /* a path with its length */
                }
            }
        }
        if (!filter(nr, a)) {
            filtered++;
            continue;
        }
        count_result(exo_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
        done++;
        if (done % 1000 == 0)
            refresh_handles();
        if (done % CLEANUP_EVERY == 0)
            cleanup();
        if (done % PROGRESS == 0)
            printf("torture: %lu syscalls\n", (unsigned long)done);
    }
    cleanup();
    printf("torture: %lu ok, %lu filtered; errors:", (unsigned long)results[0],
           (unsigned long)filtered);
    for (int e = 1; e <= 19; e++) {
        if (results[e] != 0)
            printf(" %s=%lu", fb_strerror(-e), (unsigned long)results[e]);
    }
    printf(" other=%lu\n", (unsigned long)results[20]);
    printf("torture: %lu syscalls, survived\n", (unsigned long)count);
    return 0;
}
