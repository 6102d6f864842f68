/* systest group "mem": frames as capabilities (frame_alloc, frame_free,
 * mem_map, mem_unmap, mem_protect), queries (mem_query, mem_stats) and
 * anonymous memory (mem_alloc, mem_free). */
#include "systest.h"

#define RW (EXO_PROT_READ | EXO_PROT_WRITE)
#define FRAME_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_EXEC | CAP_R_MAP | CAP_R_GRANT | \
                      CAP_R_DERIVE | CAP_R_REVOKE)
#define MAX_FRAMES 20000u
#define USER_TOP 0x0000800000000000ull

static cap_handle_t frames[MAX_FRAMES];
static const char rodata_page[] = "mapped read-only";

/* Handle-suite wrappers. */
static int64_t h_free(cap_handle_t h) { return exo_frame_free(h); }

/* mem_map at SCRATCH_MEM, undone when it worked. */
static int64_t h_map(cap_handle_t h)
{
    int64_t r = exo_mem_map(SCRATCH_MEM, h, RW);

    if (r == FB_OK)
        exo_mem_unmap(SCRATCH_MEM);
    return r;
}

/* The caller's own page count (mem_stats.env_pages); -1 on error. */
static int64_t env_pages(void)
{
    struct exo_mem_stats st;

    return exo_mem_stats(&st) == FB_OK ? (int64_t)st.env_pages : -1;
}

/* frame_alloc and frame_free, including running out. */
static void test_frames(void)
{
    struct exo_cap_info ci;
    int64_t before = env_pages();

    CHECK(exo_frame_alloc(1), FB_EINVAL);
    CHECK(exo_frame_alloc(1ull << 63), FB_EINVAL);
    int64_t f = CHECK_OK(exo_frame_alloc(0));
    if (f <= 0)
        return;
    if (CHECK(exo_cap_info((cap_handle_t)f, &ci), FB_OK) == FB_OK) {
        CHECK_TRUE(ci.type == CAP_T_MEMORY && ci.depth == 0 && ci.rights == FRAME_RIGHTS);
        CHECK_TRUE(ci.object != 0 && ci.object % PAGE == 0);
    }
    CHECK(env_pages(), before + 1);
    CHECK_HANDLES(h_free, (cap_handle_t)f, 0, HANDLE_TYPED);
    int64_t d = CHECK_OK(derive_with((cap_handle_t)f, FRAME_RIGHTS));
    CHECK(exo_frame_free((cap_handle_t)d), FB_EPERM);          /* not the root */
    exo_cap_delete((cap_handle_t)d);
    CHECK(exo_mem_map(SCRATCH_MEM, (cap_handle_t)f, RW), FB_OK);
    CHECK(exo_frame_free((cap_handle_t)f), FB_EBUSY);
    CHECK(exo_mem_unmap(SCRATCH_MEM), FB_OK);
    CHECK(exo_frame_free((cap_handle_t)f), FB_OK);
    CHECK(exo_frame_free((cap_handle_t)f), FB_ESTALE);
    CHECK(env_pages(), before);

    /* Until a limit: the frame limits or the capability table. */
    size_t n = 0;
    int64_t r = 0;
    while (n < MAX_FRAMES && (r = exo_frame_alloc(0)) > 0)
        frames[n++] = (cap_handle_t)r;
    if (n < MAX_FRAMES)
        CHECK2(r, FB_ENOMEM, FB_ENOSPC);
    for (size_t i = 0; i < n; i++) {
        check_note("frame", i);
        CHECK(exo_frame_free(frames[i]), FB_OK);
    }
    check_note(NULL, 0);
    CHECK(env_pages(), before);
    f = CHECK_OK(exo_frame_alloc(0));
    if (f > 0)
        CHECK(exo_frame_free((cap_handle_t)f), FB_OK);
}

/* mem_map's address, protection and rights checks, mem_protect, mem_unmap. */
static void test_map(void)
{
    static const uint64_t bad_va[] = { 0, 0x1000, 0x3ff000, USER_TOP, 0xffff800000000000ull,
                                       0xfffffffffffff000ull };
    struct exo_mem_query q;
    struct exo_cap_info ci;
    int64_t f = CHECK_OK(exo_frame_alloc(0));
    volatile uint64_t *p = (volatile uint64_t *)SCRATCH_MEM;

    if (f <= 0)
        return;
    cap_handle_t fh = (cap_handle_t)f;
    exo_cap_info(fh, &ci);
    CHECK(exo_mem_map(SCRATCH_MEM + 8, fh, RW), FB_EALIGN);
    for (size_t i = 0; i < sizeof bad_va / sizeof bad_va[0]; i++) {
        check_note("va", bad_va[i]);
        CHECK(exo_mem_map(bad_va[i], fh, RW), FB_EFAULT);
    }
    check_note(NULL, 0);
    CHECK(exo_mem_map(SCRATCH_MEM, fh, 0), FB_EINVAL);
    CHECK(exo_mem_map(SCRATCH_MEM, fh, EXO_PROT_WRITE), FB_EINVAL);
    CHECK(exo_mem_map(SCRATCH_MEM, fh, EXO_PROT_EXEC), FB_EINVAL);
    CHECK(exo_mem_map(SCRATCH_MEM, fh, EXO_PROT_READ | 8), FB_EINVAL);
    CHECK(exo_syscall3(SYS_mem_map, SCRATCH_MEM, fh, HI | EXO_PROT_READ), FB_EINVAL);
    CHECK2(exo_mem_map(SCRATCH_MEM, fh, RW | EXO_PROT_EXEC), FB_EPERM, FB_EINVAL);   /* W^X */
    CHECK_HANDLES(h_map, fh, CAP_R_MAP | CAP_R_READ | CAP_R_WRITE, HANDLE_TYPED);

    /* Rights of the capability bound the protection, now and later. */
    int64_t nomap = CHECK_OK(derive_with(fh, CAP_R_READ | CAP_R_WRITE));
    CHECK(exo_mem_map(SCRATCH_MEM, (cap_handle_t)nomap, RW), FB_EPERM);
    int64_t ro = CHECK_OK(derive_with(fh, CAP_R_READ | CAP_R_MAP));
    CHECK(exo_mem_map(SCRATCH_MEM, (cap_handle_t)ro, RW), FB_EPERM);
    CHECK(exo_mem_map(SCRATCH_MEM, (cap_handle_t)ro, EXO_PROT_READ), FB_OK);
    CHECK(exo_mem_protect(SCRATCH_MEM, RW), FB_EPERM);
    CHECK(exo_mem_unmap(SCRATCH_MEM), FB_OK);
    exo_cap_delete((cap_handle_t)nomap);
    exo_cap_delete((cap_handle_t)ro);

    /* The highest user page works like any other. */
    CHECK(exo_mem_map(USER_TOP - PAGE, fh, RW), FB_OK);
    CHECK(exo_mem_unmap(USER_TOP - PAGE), FB_OK);

    CHECK(exo_mem_map(SCRATCH_MEM, fh, RW), FB_OK);
    p[0] = 0x1122334455667788ull;
    p[511] = 0x99;
    CHECK(exo_mem_map(SCRATCH_MEM, fh, RW), FB_EEXIST);
    CHECK(exo_mem_map(0x400000, fh, EXO_PROT_READ), FB_EEXIST);          /* our own code */
    CHECK(exo_mem_map(EXO_STACK_TOP - PAGE, fh, RW), FB_EEXIST);         /* our stack */
    if (CHECK(exo_mem_query(SCRATCH_MEM + 123, &q), FB_OK) == FB_OK)
        CHECK_TRUE(q.pa == ci.object + 123 && q.prot == RW);

    CHECK(exo_mem_protect(SCRATCH_MEM, EXO_PROT_READ), FB_OK);
    if (CHECK(exo_mem_query(SCRATCH_MEM, &q), FB_OK) == FB_OK)
        CHECK(q.prot, EXO_PROT_READ);
    CHECK(exo_mem_protect(SCRATCH_MEM, EXO_PROT_READ | EXO_PROT_EXEC), FB_OK);
    CHECK2(exo_mem_protect(SCRATCH_MEM, RW | EXO_PROT_EXEC), FB_EPERM, FB_EINVAL);
    CHECK(exo_mem_protect(SCRATCH_MEM + 8, RW), FB_EALIGN);
    CHECK(exo_mem_protect(SCRATCH_MEM, 0), FB_EINVAL);
    CHECK(exo_mem_protect(SCRATCH_MEM, EXO_PROT_WRITE), FB_EINVAL);
    CHECK(exo_mem_protect(SCRATCH_MEM, RW | 8), FB_EINVAL);
    CHECK(exo_mem_protect(UNMAPPED_VA, RW), FB_ENOENT);
    CHECK(exo_mem_protect(SCRATCH_MEM, RW), FB_OK);
    CHECK_TRUE(p[0] == 0x1122334455667788ull && p[511] == 0x99);   /* data survived */

    CHECK(exo_mem_unmap(SCRATCH_MEM + 8), FB_EALIGN);
    CHECK(exo_mem_unmap(SCRATCH_MEM), FB_OK);
    CHECK(exo_mem_unmap(SCRATCH_MEM), FB_ENOENT);
    CHECK(exo_mem_query(SCRATCH_MEM, &q), FB_ENOENT);
    CHECK2(exo_mem_unmap(0), FB_ENOENT, FB_EFAULT);
    CHECK2(exo_mem_unmap(0xffff800000000000ull), FB_ENOENT, FB_EFAULT);

    /* A fresh mapping of the same frame still holds its bytes. */
    CHECK(exo_mem_map(SCRATCH_MEM + PAGE, fh, EXO_PROT_READ), FB_OK);
    CHECK_TRUE(((volatile uint64_t *)(SCRATCH_MEM + PAGE))[0] == 0x1122334455667788ull);
    CHECK(exo_mem_unmap(SCRATCH_MEM + PAGE), FB_OK);
    CHECK(exo_frame_free(fh), FB_OK);
}

/* mem_query on the program's own segments, and mem_stats. */
static void test_query_stats(void)
{
    struct exo_mem_query q;
    struct exo_mem_stats st;
    uint64_t local = 1;

    CHECK(exo_mem_query(UNMAPPED_VA, &q), FB_ENOENT);
    CHECK2(exo_mem_query(0, &q), FB_ENOENT, FB_EFAULT);
    CHECK2(exo_mem_query(0xffff800000000000ull, &q), FB_ENOENT, FB_EFAULT);
    if (CHECK(exo_mem_query((uintptr_t)&test_query_stats, &q), FB_OK) == FB_OK)
        CHECK(q.prot, EXO_PROT_READ | EXO_PROT_EXEC);
    if (CHECK(exo_mem_query((uintptr_t)rodata_page, &q), FB_OK) == FB_OK)
        CHECK(q.prot, EXO_PROT_READ);
    if (CHECK(exo_mem_query((uintptr_t)&local, &q), FB_OK) == FB_OK)
        CHECK(q.prot, RW);
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_mem_query(0x400000, (struct exo_mem_query *)bad_out[i]), FB_EFAULT);
        CHECK(exo_mem_stats((struct exo_mem_stats *)bad_out[i]), FB_EFAULT);
    }
    check_note(NULL, 0);
    if (CHECK(exo_mem_stats(&st), FB_OK) == FB_OK) {
        CHECK(st.page_size, 4096);
        CHECK_TRUE(st.user_pages <= st.user_limit && st.env_pages > 0);
        CHECK_TRUE(st.env_mapped >= 16 && st.free_pages > 0);
    }
}

/* mem_alloc and mem_free: argument checks, all or nothing, zeroed
 * pages, and running into the limit. */
static void test_alloc(void)
{
    const uintptr_t va = SCRATCH_MEM + 64 * PAGE;
    struct exo_mem_query q;
    int64_t before = env_pages();

    CHECK(exo_mem_alloc(va, 4, RW), FB_OK);
    CHECK(env_pages(), before + 4);
    bool zero = true;
    for (size_t i = 0; i < 4 * PAGE / 8; i++)
        zero &= ((volatile uint64_t *)va)[i] == 0;
    CHECK_TRUE(zero);
    ((volatile uint64_t *)va)[3 * PAGE / 8] = 7;
    CHECK(exo_mem_alloc(va + 2 * PAGE, 4, RW), FB_EEXIST);
    CHECK(exo_mem_alloc(va + 8 * PAGE, 1, RW), FB_OK);
    CHECK(exo_mem_alloc(va + 5 * PAGE, 4, RW), FB_EEXIST);
    CHECK(exo_mem_query(va + 5 * PAGE, &q), FB_ENOENT);                  /* all or nothing */
    CHECK(env_pages(), before + 5);

    CHECK(exo_mem_alloc(va + 16 * PAGE, 0, RW), FB_EINVAL);
    CHECK(exo_mem_alloc(va + 16 * PAGE, 4097, RW), FB_EINVAL);
    CHECK(exo_mem_alloc(va + 16 * PAGE, 1ull << 40, RW), FB_EINVAL);
    CHECK(exo_mem_alloc(va + 16 * PAGE + 8, 1, RW), FB_EALIGN);
    CHECK(exo_mem_alloc(0, 1, RW), FB_EFAULT);
    CHECK(exo_mem_alloc(0xffff800000000000ull, 1, RW), FB_EFAULT);
    CHECK(exo_mem_alloc(USER_TOP - PAGE, 2, RW), FB_EFAULT);             /* runs past the top */
    CHECK(exo_mem_alloc(va + 16 * PAGE, 1, 0), FB_EINVAL);
    CHECK(exo_mem_alloc(va + 16 * PAGE, 1, EXO_PROT_WRITE), FB_EINVAL);
    CHECK(exo_mem_alloc(va + 16 * PAGE, 1, EXO_PROT_READ | 8), FB_EINVAL);
    CHECK(exo_mem_query(va + 16 * PAGE, &q), FB_ENOENT);

    int64_t f = CHECK_OK(exo_frame_alloc(0));
    if (f > 0) {
        CHECK(exo_mem_map(va + 20 * PAGE, (cap_handle_t)f, RW), FB_OK);
        CHECK(exo_mem_free(va + 20 * PAGE, 1), FB_EINVAL);                /* not anonymous */
        CHECK(exo_mem_unmap(va + 20 * PAGE), FB_OK);
        CHECK(exo_frame_free((cap_handle_t)f), FB_OK);
    }
    CHECK(exo_mem_free(va, 5), FB_ENOENT);                                /* page 4 is missing */
    CHECK(exo_mem_query(va, &q), FB_OK);                                  /* ... so nothing went */
    CHECK_TRUE(((volatile uint64_t *)va)[3 * PAGE / 8] == 7);
    CHECK(exo_mem_free(va + 8, 1), FB_EALIGN);
    CHECK(exo_mem_free(va, 0), FB_EINVAL);
    CHECK(exo_mem_free(va, 4), FB_OK);
    CHECK(exo_mem_free(va, 4), FB_ENOENT);
    CHECK(exo_mem_free(va + 8 * PAGE, 1), FB_OK);
    CHECK(env_pages(), before);

    /* 4096-page steps until the kernel says no: a clean FB_ENOMEM with
     * nothing of the failed step left behind. */
    const uintptr_t big = SCRATCH_MEM + (1ull << 32);
    size_t steps = 0;
    int64_t r = FB_OK;
    while (steps < 64 && (r = exo_mem_alloc(big + steps * 4096 * PAGE, 4096, RW)) == FB_OK)
        steps++;
    CHECK(r, FB_ENOMEM);
    CHECK(env_pages(), before + (int64_t)steps * 4096);
    for (size_t i = 0; i < steps; i++)
        CHECK(exo_mem_free(big + i * 4096 * PAGE, 4096), FB_OK);
    CHECK(env_pages(), before);
}

/* The group. */
void test_mem(void)
{
    test_frames();
    test_map();
    test_query_stats();
    test_alloc();
}
