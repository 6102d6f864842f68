/* The syscall layer driven through its real entry (hal_host_syscall ->
 * sys_entry) by user programs in environments on two simulated CPUs:
 * dispatch, argument checks, user pointers, memory and capabilities.
 * Each program exits with 0 when every check held, else with the line
 * of the first one that failed. */
#include <criterion/criterion.h>

#include "sys_harness.h"

#define BAD_KERNEL 0xffff800000001000ull   /* a kernel-half address */
#define BAD_LOW    0x1000ull               /* below the user range */
#define UNMAPPED   0x20000000ull           /* user range, never mapped */

static void boot(void) { sh_boot(); }

static void halt(void) { sh_halt(); }

/* Every test ends with this: nothing may be left behind. */
#define EXPECT_SETTLED() cr_assert(sh_settled(), "an environment or user frame leaked")

/* Runs one program to its end and expects exit code 0. */
static void run_ok(const char *path, sh_prog_fn fn)
{
    int64_t code;

    sh_install(path, fn);
    code = sh_run(path, "");
    cr_assert_eq(code, 0, "%s failed at line %ld (the call returned %ld)", path, (long)code,
                 (long)sh_last_got);
}

/* Unknown, reserved and out-of-range numbers. */
static void prog_enosys(uint64_t argp)
{
    (void)argp;
    UEXPECT(SC0(9999), FB_ENOSYS);
    UEXPECT(SC0(SYS_NR_LIMIT), FB_ENOSYS);
    UEXPECT(SC0(UINT64_MAX), FB_ENOSYS);
    UEXPECT(SC0(SYS_ipc_reply_recv), FB_ENOSYS);
    UEXPECT(SC0(SYS_ipc_notify), FB_ENOSYS);
    UEXPECT(SC0(SYS_ipc_notify_wait), FB_ENOSYS);
    UEXPECT(SC0(13), FB_ENOSYS);             /* a hole between groups */
    UEXPECT(SC0(SYS_null), 0);
    SC1(SYS_env_exit, 0);
}

Test(sys, unknown_and_reserved_numbers_are_enosys, .init = boot, .fini = halt)
{
    run_ok("/bin/enosys", prog_enosys);
    EXPECT_SETTLED();
}

/* The argument string arrives on the user stack and through env_args. */
static void prog_args(uint64_t argp)
{
    char s[16];

    upeek(s, argp, 10);
    UCHECK(memcmp(s, "one two 3", 10) == 0);
    UEXPECT(SC2(SYS_env_args, argp - 64, 64), 9);
    UEXPECT(SC2(SYS_env_args, argp - 64, 9), FB_ERANGE);
    UEXPECT(SC2(SYS_env_args, BAD_KERNEL, 64), FB_EFAULT);
    SC1(SYS_env_exit, 0);
}

Test(sys, program_gets_its_argument_string, .init = boot, .fini = halt)
{
    sh_install("/bin/args", prog_args);
    cr_assert_eq(sh_run("/bin/args", "one two 3"), 0, "args check failed");
    EXPECT_SETTLED();
}

/* The exit code travels to the waiter, negative ones too. */
static void prog_exit_code(uint64_t argp)
{
    (void)argp;
    SC1(SYS_env_exit, -42);
}

Test(sys, exit_code_reaches_the_waiter, .init = boot, .fini = halt)
{
    sh_install("/bin/code", prog_exit_code);
    cr_assert_eq(sh_run("/bin/code", ""), -42);
    EXPECT_SETTLED();
}

/* A user fault ends the environment with EXO_EXIT_FAULT, not the kernel. */
static void prog_fault(uint64_t argp)
{
    struct hal_user_fault f = { .vector = 14, .error = 4, .ip = SH_TEXT, .addr = UNMAPPED };

    (void)argp;
    hal_host_user_fault(&f);
}

Test(sys, user_fault_ends_only_that_environment, .init = boot, .fini = halt)
{
    sh_install("/bin/fault", prog_fault);
    cr_assert_eq(sh_run("/bin/fault", ""), EXO_EXIT_FAULT);
    run_ok("/bin/enosys", prog_enosys);
    EXPECT_SETTLED();
}

/* Pointer arguments: NULL, kernel, below the user range, unmapped,
 * read-only for output, wrapping. */
static void prog_pointers(uint64_t argp)
{
    (void)argp;
    UEXPECT(SC1(SYS_time_info, 0), FB_EFAULT);
    UEXPECT(SC1(SYS_time_info, BAD_KERNEL), FB_EFAULT);
    UEXPECT(SC1(SYS_time_info, BAD_LOW), FB_EFAULT);
    UEXPECT(SC1(SYS_time_info, UNMAPPED), FB_EFAULT);
    UEXPECT(SC1(SYS_time_info, SH_TEXT), FB_EFAULT);          /* read-only text */
    UEXPECT(SC1(SYS_time_info, SH_DATA), 0);
    UEXPECT(SC2(SYS_console_write, UINT64_MAX - 4, 16), FB_EFAULT);
    UEXPECT(SC2(SYS_console_write, ustr(SH_DATA + 1024, "ok\n"), 3), 3);
    UEXPECT(SC2(SYS_console_write, SH_DATA + 4090, 10), FB_EFAULT); /* runs off the page */
    UEXPECT(SC2(SYS_console_write, SH_DATA, 4097), FB_EINVAL);
    UEXPECT(SC2(SYS_mem_stats, 0, 0), FB_EFAULT);
    UEXPECT(SC2(SYS_env_info, 0, BAD_KERNEL), FB_EFAULT);
    SC1(SYS_env_exit, 0);
}

Test(sys, bad_user_pointers_give_efault, .init = boot, .fini = halt)
{
    run_ok("/bin/pointers", prog_pointers);
    EXPECT_SETTLED();
}

/* env_self, env_info on itself, env_list. */
static void prog_self(uint64_t argp)
{
    struct exo_env_info info;
    int64_t id = SC0(SYS_env_self);

    (void)argp;
    UCHECK(id >= 1);
    UEXPECT(SC2(SYS_env_info, 0, SH_DATA), 0);
    upeek(&info, SH_DATA, sizeof(info));
    UCHECK(info.id == id && info.state == EXO_ENV_RUNNING);
    UCHECK(strcmp(info.name, "/bin/self") == 0);
    UCHECK(info.pages >= 2 + ENV_STACK_PAGES);
    UEXPECT(SC2(SYS_env_list, SH_DATA, 1), 1);
    UEXPECT(SC2(SYS_env_list, 0, 0), 1);
    UEXPECT(SC2(SYS_env_list, SH_DATA, 2000), FB_EINVAL);
    SC1(SYS_env_exit, 0);
}

Test(sys, env_self_and_info_describe_the_caller, .init = boot, .fini = halt)
{
    run_ok("/bin/self", prog_self);
    EXPECT_SETTLED();
}

/* mem_alloc / mem_query / mem_protect / mem_free and their checks. */
static void prog_anon(uint64_t argp)
{
    struct exo_mem_query q;
    uint8_t b = 0;

    (void)argp;
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH, 4, EXO_PROT_READ | EXO_PROT_WRITE), 0);
    upoke(SH_SCRATCH + 3 * 4096 + 7, "x", 1);
    UEXPECT(SC2(SYS_mem_query, SH_SCRATCH + 3 * 4096 + 7, SH_DATA), 0);
    upeek(&q, SH_DATA, sizeof(q));
    UCHECK(q.prot == (EXO_PROT_READ | EXO_PROT_WRITE) && (q.pa & 4095) == 7);
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH + 4096, 1, EXO_PROT_READ), FB_EEXIST);
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH + 1, 1, EXO_PROT_READ), FB_EALIGN);
    UEXPECT(SC3(SYS_mem_alloc, BAD_LOW, 1, EXO_PROT_READ), FB_EFAULT);
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH + 8 * 4096, 0, EXO_PROT_READ), FB_EINVAL);
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH + 8 * 4096, 4097, EXO_PROT_READ), FB_EINVAL);
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH + 8 * 4096, 1, EXO_PROT_WRITE), FB_EINVAL);
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH + 8 * 4096, 1, 0x8 | EXO_PROT_READ), FB_EINVAL);
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH + 8 * 4096, 1,
                EXO_PROT_READ | EXO_PROT_WRITE | EXO_PROT_EXEC), FB_EPERM);
    UEXPECT(SC3(SYS_mem_alloc, 0x00007ffffffff000ull, 2, EXO_PROT_READ), FB_EFAULT);
    UEXPECT(SC2(SYS_mem_protect, SH_SCRATCH, EXO_PROT_READ), 0);
    UEXPECT(SC2(SYS_console_write, SH_SCRATCH, 1), 1);       /* readable still */
    UEXPECT(SC1(SYS_time_info, SH_SCRATCH), FB_EFAULT);      /* no longer writable */
    UEXPECT(SC2(SYS_mem_protect, UNMAPPED, EXO_PROT_READ), FB_ENOENT);
    /* mem_free checks the whole range before freeing any of it. */
    UEXPECT(SC2(SYS_mem_free, SH_SCRATCH, 5), FB_ENOENT);
    UEXPECT(SC2(SYS_mem_query, SH_SCRATCH, SH_DATA), 0);
    UEXPECT(SC2(SYS_mem_free, SH_SCRATCH, 4), 0);
    UEXPECT(SC2(SYS_mem_query, SH_SCRATCH, SH_DATA), FB_ENOENT);
    UEXPECT(SC1(SYS_mem_unmap, SH_SCRATCH), FB_ENOENT);
    (void)b;
    SC1(SYS_env_exit, 0);
}

Test(sys, anonymous_memory_is_checked_and_all_or_nothing, .init = boot, .fini = halt)
{
    run_ok("/bin/anon", prog_anon);
    EXPECT_SETTLED();
}

/* frame_alloc / mem_map with the rights of the capability. */
static void prog_frames(uint64_t argp)
{
    const uint32_t rw = EXO_PROT_READ | EXO_PROT_WRITE;
    int64_t f = SC1(SYS_frame_alloc, 0), ro, nomap;

    (void)argp;
    UCHECK(f > 0);
    UEXPECT(SC1(SYS_frame_alloc, 1), FB_EINVAL);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH, f, rw), 0);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH, f, rw), FB_EEXIST);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH + 4096, f, rw | EXO_PROT_EXEC), FB_EPERM);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH + 4096, 12345, rw), FB_EBADCAP);
    UEXPECT(SC1(SYS_frame_free, f), FB_EBUSY);               /* still mapped */
    /* A read-only copy maps read-only and cannot be raised. */
    ro = SC4(SYS_cap_derive, f, CAP_R_READ | CAP_R_MAP, 0, 0);
    UCHECK(ro > 0);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH + 4096, ro, rw), FB_EPERM);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH + 4096, ro, EXO_PROT_READ), 0);
    UEXPECT(SC2(SYS_mem_protect, SH_SCRATCH + 4096, rw), FB_EPERM);
    /* The same frame under two addresses: a store shows through both. */
    upoke(SH_SCRATCH + 10, "Q", 1);
    UCHECK(*(char *)uaddr(SH_SCRATCH + 4096 + 10) == 'Q');
    nomap = SC4(SYS_cap_derive, f, CAP_R_READ | CAP_R_WRITE, 0, 0);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH + 8192, nomap, EXO_PROT_READ), FB_EPERM);
    UEXPECT(SC1(SYS_frame_free, ro), FB_EPERM);              /* not the root */
    UEXPECT(SC1(SYS_mem_unmap, SH_SCRATCH), 0);
    UEXPECT(SC1(SYS_mem_unmap, SH_SCRATCH + 4096), 0);
    UEXPECT(SC1(SYS_mem_unmap, SH_SCRATCH + 1), FB_EALIGN);
    UEXPECT(SC1(SYS_frame_free, f), 0);
    UEXPECT(SC1(SYS_frame_free, f), FB_ESTALE);
    UEXPECT(SC2(SYS_cap_verify, ro, 0), FB_EREVOKED);         /* died with its root */
    SC1(SYS_env_exit, 0);
}

Test(sys, frames_map_with_the_rights_of_their_capability, .init = boot, .fini = halt)
{
    run_ok("/bin/frames", prog_frames);
    EXPECT_SETTLED();
}

/* A program that exits holding mapped frames and capabilities leaks
 * nothing (EXPECT_SETTLED checks every frame came back). */
static void prog_hoard(uint64_t argp)
{
    (void)argp;
    for (int i = 0; i < 20; i++) {
        int64_t f = SC1(SYS_frame_alloc, 0);

        UCHECK(f > 0);
        UEXPECT(SC3(SYS_mem_map, SH_SCRATCH + (uint64_t)i * 4096, f, EXO_PROT_READ), 0);
    }
    UEXPECT(SC3(SYS_mem_alloc, SH_SCRATCH + 0x100000, 64, EXO_PROT_READ | EXO_PROT_WRITE), 0);
    SC1(SYS_env_exit, 7);
}

Test(sys, exit_returns_every_frame, .init = boot, .fini = halt)
{
    sh_install("/bin/hoard", prog_hoard);
    cr_assert_eq(sh_run("/bin/hoard", ""), 7);
    cr_assert_eq(umem_total(), 0, "user frames left after exit");
    EXPECT_SETTLED();
}

/* Capabilities: user types only, derive/verify/revoke/delete, info, list,
 * tokens. */
static void prog_caps(uint64_t argp)
{
    struct exo_cap_info ci;
    int64_t root, child, grand, n;

    (void)argp;
    UEXPECT(SC3(SYS_cap_create, CAP_T_MEMORY, 1, CAP_R_ALL), FB_EPERM);
    UEXPECT(SC3(SYS_cap_create, 0, 1, CAP_R_ALL), FB_EINVAL);
    UEXPECT(SC3(SYS_cap_create, 0x10000, 1, CAP_R_ALL), FB_EINVAL);
    UEXPECT(SC3(SYS_cap_create, CAP_T_USER, 1, 1u << 20), FB_EINVAL);
    root = SC3(SYS_cap_create, CAP_T_USER, 77, CAP_R_ALL);
    UCHECK(root > 0);
    child = SC4(SYS_cap_derive, root, CAP_R_READ | CAP_R_DERIVE, 2, 0x4);
    UCHECK(child > 0);
    UEXPECT(SC4(SYS_cap_derive, child, CAP_R_WRITE, 2, 0x4), FB_EPERM);   /* amplification */
    UEXPECT(SC4(SYS_cap_derive, child, CAP_R_READ, 1, 0x4), FB_EPERM);    /* label down */
    UEXPECT(SC4(SYS_cap_derive, child, CAP_R_READ, 16, 0), FB_EINVAL);
    grand = SC4(SYS_cap_derive, child, CAP_R_READ, 3, 0x4);
    UCHECK(grand > 0);
    UEXPECT(SC2(SYS_cap_verify, grand, CAP_R_READ), 0);
    UEXPECT(SC2(SYS_cap_verify, grand, CAP_R_WRITE), FB_EPERM);
    UEXPECT(SC2(SYS_cap_verify, grand, 1u << 12), FB_EINVAL);
    UEXPECT(SC2(SYS_cap_info, grand, SH_DATA), 0);
    upeek(&ci, SH_DATA, sizeof(ci));
    UCHECK(ci.type == CAP_T_USER && ci.object == 77 && ci.depth == 2 && ci.level == 3 &&
           ci.rights == CAP_R_READ && ci.handle == (uint64_t)grand);
    UEXPECT(SC1(SYS_cap_revoke, child), FB_EPERM);            /* no REVOKE right */
    UEXPECT(SC1(SYS_cap_revoke, root), 0);
    UEXPECT(SC2(SYS_cap_verify, grand, 0), FB_EREVOKED);
    UEXPECT(SC2(SYS_cap_verify, root, 0), 0);
    UEXPECT(SC1(SYS_cap_delete, root), 0);
    UEXPECT(SC2(SYS_cap_verify, root, 0), FB_ESTALE);
    UEXPECT(SC2(SYS_cap_verify, 0, 0), FB_EBADCAP);
    UEXPECT(SC2(SYS_cap_verify, 0xdeadbeef00000fffull, 0), FB_EBADCAP);
    /* The list holds at least its own environment capability. */
    n = SC3(SYS_cap_list, SH_DATA, 1, 0);
    UCHECK(n == 1);
    upeek(&ci, SH_DATA, sizeof(ci));
    UCHECK(ci.type == CAP_T_ENV && ci.object == (uint64_t)SC0(SYS_env_self));
    UEXPECT(SC3(SYS_cap_list, SH_DATA, 5000, 0), FB_EINVAL);
    UEXPECT(SC3(SYS_cap_list, SH_DATA, 1, 1ull << 32), FB_EINVAL);
    UEXPECT(SC3(SYS_cap_list, BAD_KERNEL, 1, 0), FB_EFAULT);
    SC1(SYS_env_exit, 0);
}

Test(sys, capability_calls_attenuate_and_revoke, .init = boot, .fini = halt)
{
    run_ok("/bin/caps", prog_caps);
    EXPECT_SETTLED();
}

/* Tokens: mint needs GRANT and room; verify checks length and tag. */
static void prog_tokens(uint64_t argp)
{
    int64_t root = SC3(SYS_cap_create, CAP_T_USER + 1, 5, CAP_R_ALL), weak;
    uint8_t byte;

    (void)argp;
    UCHECK(root > 0);
    UEXPECT(SC3(SYS_cap_token_mint, root, SH_DATA, 87), FB_ERANGE);
    UEXPECT(SC3(SYS_cap_token_mint, root, BAD_KERNEL, 88), FB_EFAULT);
    UEXPECT(SC3(SYS_cap_token_mint, root, SH_DATA, 4096), CAP_TOKEN_LEN);
    UEXPECT(SC3(SYS_cap_token_verify, SH_DATA, CAP_TOKEN_LEN, SH_DATA + 512), 0);
    UEXPECT(SC3(SYS_cap_token_verify, SH_DATA, CAP_TOKEN_LEN - 1, SH_DATA + 512), FB_EINVAL);
    upeek(&byte, SH_DATA + 70, 1);
    byte ^= 1;
    upoke(SH_DATA + 70, &byte, 1);
    UEXPECT(SC3(SYS_cap_token_verify, SH_DATA, CAP_TOKEN_LEN, SH_DATA + 512), FB_EAUTH);
    weak = SC4(SYS_cap_derive, root, CAP_R_READ, 0, 0);
    UEXPECT(SC3(SYS_cap_token_mint, weak, SH_DATA, 88), FB_EPERM);
    SC1(SYS_env_exit, 0);
}

Test(sys, tokens_are_minted_and_checked, .init = boot, .fini = halt)
{
    static const uint8_t key[32] = { 1, 2, 3 };

    cap_token_set_key(key, sizeof(key));
    run_ok("/bin/tokens", prog_tokens);
    EXPECT_SETTLED();
}

/* DMA buffers: allocated below 4 GiB, mapped through their root only,
 * never freed (or their root deleted) while mapped. */
static void prog_dma(uint64_t argp)
{
    const uint32_t rw = EXO_PROT_READ | EXO_PROT_WRITE;
    struct exo_dma_info info;
    uint64_t pa = 0;
    int64_t buf, copy;

    (void)argp;
    UEXPECT(SC1(SYS_dma_info, SH_DATA), 0);
    upeek(&info, SH_DATA, sizeof(info));
    UCHECK(info.buf_size == 4096 && info.in_use == 0 && info.capacity == SH_DMA_BUFS);
    UEXPECT(SC1(SYS_dma_alloc, BAD_KERNEL), FB_EFAULT);
    UEXPECT(SC1(SYS_dma_alloc, SH_TEXT), FB_EFAULT);
    buf = SC1(SYS_dma_alloc, SH_DATA + 8);
    UCHECK(buf > 0);
    upeek(&pa, SH_DATA + 8, sizeof(pa));
    UCHECK(pa >= SH_DMA_BASE && pa < SH_DMA_BASE + SH_DMA_FRAMES * 4096ull && pa % 4096 == 0);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH, buf, rw | EXO_PROT_EXEC), FB_EPERM);  /* no EXEC right */
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH, buf, rw), 0);
    upoke(SH_SCRATCH + 100, "dev", 3);
    UCHECK(memcmp(hal_phys_to_virt(pa + 100), "dev", 3) == 0);   /* what a device would read */
    UEXPECT(SC2(SYS_mem_query, SH_SCRATCH, SH_DATA + 64), 0);
    UEXPECT(SC1(SYS_dma_free, buf), FB_EBUSY);                      /* still mapped */
    UEXPECT(SC1(SYS_cap_delete, buf), FB_EBUSY);
    copy = SC4(SYS_cap_derive, buf, CAP_R_READ | CAP_R_MAP, 0, 0);
    UCHECK(copy > 0);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH + 4096, copy, EXO_PROT_READ), FB_EPERM);
    UEXPECT(SC1(SYS_dma_free, copy), FB_EPERM);
    UEXPECT(SC1(SYS_mem_unmap, SH_SCRATCH), 0);
    UEXPECT(SC1(SYS_dma_free, buf), 0);
    UEXPECT(SC1(SYS_dma_free, buf), FB_ESTALE);
    UEXPECT(SC2(SYS_cap_verify, copy, 0), FB_EREVOKED);             /* died with its root */
    /* A root deleted by hand gives its buffer back too (reclaim). */
    buf = SC1(SYS_dma_alloc, SH_DATA + 8);
    UCHECK(buf > 0);
    UEXPECT(SC1(SYS_cap_delete, buf), 0);
    UEXPECT(SC1(SYS_dma_free, buf), FB_ESTALE);
    /* Exiting with a buffer mapped: exit unmaps it, then the pool takes
     * it back (EXPECT_SETTLED checks the pool is empty). */
    buf = SC1(SYS_dma_alloc, SH_DATA + 8);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH, buf, rw), 0);
    SC1(SYS_env_exit, 0);
}

Test(sys, dma_buffers_map_through_their_root_and_never_while_freed, .init = boot, .fini = halt)
{
    run_ok("/bin/dma", prog_dma);
    EXPECT_SETTLED();
}
