/* Specification of DMA buffer pools (core/mem/dma.c): buffers are
 * physically contiguous, zeroed, aligned as asked and below 4 GiB; each
 * is owned by the root CAP_T_DMA capability dma_alloc created, which
 * alone can free it; freeing deletes every copy; a second free, a copy,
 * a foreign capability or another pool's buffer is refused with a
 * precise error; orphans (root deleted behind the pool's back) are
 * reclaimed. The buddy manages the host HAL's simulated RAM, so the
 * buffers are really written and read here. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "buddy.h"
#include "cap.h"
#include "dma.h"
#include "expect.h"
#include "hal/hal.h"
#include "hal_host.h"
#include "kerr.h"
#include "lattice.h"

#define PAGE ((uint64_t)BUDDY_FRAME_SIZE)
#define RAM_FRAMES (HAL_HOST_RAM_SIZE / PAGE)
#define NBUFS 8
#define SLOTS 64

static struct buddy b;
static struct buddy_frame meta[RAM_FRAMES];
static struct dma_pool pool;
static struct dma_buf bufs[NBUFS];
static struct cap_slot slots[2][SLOTS];
static struct cap_table tables[2];
static struct cap_table *t = &tables[0], *other = &tables[1];

/* A buddy over all simulated RAM and two empty capability tables. */
static void setup(void)
{
    expect(buddy_init(&b, HAL_HOST_RAM_BASE, RAM_FRAMES, meta, sizeof meta), FB_OK);
    expect(buddy_add_range(&b, HAL_HOST_RAM_BASE, HAL_HOST_RAM_SIZE), FB_OK);
    expect(cap_table_init(t, slots[0], SLOTS, lattice_top()), FB_OK);
    expect(cap_table_init(other, slots[1], SLOTS, lattice_top()), FB_OK);
}

/* setup plus a pool of NBUFS one-page buffers. */
static void setup_pool(void)
{
    setup();
    expect(dma_pool_init(&pool, &b, PAGE, 0, bufs, NBUFS), FB_OK);
}

/* The invariants every test ends with: buddy and tables consistent. */
static void expect_consistent(void)
{
    expect(buddy_check(&b, NULL), FB_OK);
    expect(cap_table_check(t, NULL, NULL), FB_OK);
    expect(cap_table_check(other, NULL, NULL), FB_OK);
}

/* Free frames in the buddy now. */
static uint64_t free_frames(void)
{
    struct buddy_stats st;

    expect(buddy_stats(&b, &st), FB_OK);
    return st.free_frames;
}

/* The pool's counts now. */
static struct dma_pool_stats pool_stats(struct dma_pool *p)
{
    struct dma_pool_stats st;

    expect(dma_pool_stats(p, &st), FB_OK);
    return st;
}

/* Allocates from p into table tab and checks what every buffer must be. */
static cap_handle_t alloc_ok(struct dma_pool *p, struct cap_table *tab, uint64_t *pa_out)
{
    cap_handle_t h = CAP_HANDLE_NONE;
    uint64_t pa = 0;
    void *kva = NULL;
    uint64_t block = pool_stats(p).block_bytes;

    expect(dma_alloc(p, tab, &h, &pa, &kva), FB_OK);
    cr_assert_eq(pa % block, 0, "expected the buffer aligned to %llu, got %#llx",
                 (unsigned long long)block, (unsigned long long)pa);
    cr_assert_leq(pa + block, DMA_LIMIT, "expected the buffer below 4 GiB");
    cr_assert_eq(kva, hal_phys_to_virt(pa), "expected the kernel pointer of the buffer");
    if (pa_out != NULL)
        *pa_out = pa;
    return h;
}

/* Asserts that h no longer verifies: its capability or an ancestor died. */
#define expect_dead(table, h)                                                       \
    do {                                                                            \
        int got_ = cap_verify((table), (h), 0);                                     \
        cr_assert(got_ == FB_EREVOKED || got_ == FB_ESTALE,                         \
                  "expected %s dead, got %s", #h, fb_strerror(got_));               \
    } while (0)

/* ------------------------------------------------------------ pool init */

Test(dma, pool_init_rejects_bad_arguments, .init = setup)
{
    expect(dma_pool_init(NULL, &b, PAGE, 0, bufs, NBUFS), FB_EINVAL);
    expect(dma_pool_init(&pool, NULL, PAGE, 0, bufs, NBUFS), FB_EINVAL);
    expect(dma_pool_init(&pool, &b, PAGE, 0, NULL, NBUFS), FB_EINVAL);
    expect(dma_pool_init(&pool, &b, PAGE, 0, bufs, 0), FB_EINVAL);
    expect(dma_pool_init(&pool, &b, 0, 0, bufs, NBUFS), FB_EINVAL);
    expect(dma_pool_init(&pool, &b, PAGE, 3 * PAGE, bufs, NBUFS), FB_EINVAL);
    expect(dma_pool_init(&pool, &b, BUDDY_BLOCK_BYTES(BUDDY_MAX_ORDER) + 1, 0, bufs, NBUFS),
           FB_ERANGE);
    expect(dma_pool_init(&pool, &b, PAGE, BUDDY_BLOCK_BYTES(BUDDY_MAX_ORDER + 1), bufs, NBUFS),
           FB_ERANGE);
}

Test(dma, pool_init_rejects_a_buddy_reaching_above_4gib)
{
    static struct buddy high;

    expect(buddy_init(&high, DMA_LIMIT - 16 * PAGE, 32, meta, sizeof meta), FB_OK);
    expect(dma_pool_init(&pool, &high, PAGE, 0, bufs, NBUFS), FB_ERANGE);
    expect(buddy_init(&high, DMA_LIMIT, 16, meta, sizeof meta), FB_OK);
    expect(dma_pool_init(&pool, &high, PAGE, 0, bufs, NBUFS), FB_ERANGE);
}

Test(dma, pool_init_accepts_a_buddy_ending_exactly_at_4gib)
{
    static struct buddy high;

    expect(buddy_init(&high, DMA_LIMIT - 16 * PAGE, 16, meta, sizeof meta), FB_OK);
    expect(dma_pool_init(&pool, &high, PAGE, 0, bufs, NBUFS), FB_OK);
}

/* ------------------------------------------------------------- buffers */

Test(dma, a_buffer_is_a_zeroed_page_below_4gib_with_its_kernel_pointer, .init = setup_pool)
{
    static const unsigned char zero[PAGE];
    cap_handle_t h;
    uint64_t pa;
    void *kva;

    expect(dma_alloc(&pool, t, &h, &pa, &kva), FB_OK);
    cr_assert_lt(pa, DMA_LIMIT, "expected a physical address below 4 GiB");
    cr_assert_eq(pa % PAGE, 0, "expected a page-aligned buffer");
    cr_assert_eq(kva, hal_phys_to_virt(pa), "expected the kernel pointer of pa");
    cr_assert_arr_eq(kva, zero, PAGE, "expected the buffer zeroed");
    expect_consistent();
}

Test(dma, a_buffer_is_owned_by_a_root_dma_capability_naming_its_address, .init = setup_pool)
{
    struct cap_info ci;
    uint64_t pa;
    cap_handle_t h = alloc_ok(&pool, t, &pa);

    expect(cap_lookup(t, h, &ci), FB_OK);
    cr_assert_eq(ci.type, CAP_T_DMA, "expected a CAP_T_DMA capability");
    cr_assert_eq(ci.object, pa, "expected the object to be the physical address");
    cr_assert_eq(ci.rights, DMA_RIGHTS, "expected DMA_RIGHTS, got %#x", ci.rights);
    cr_assert_eq(ci.depth, 0, "expected a root capability");
    cr_assert(lattice_equal(ci.label, lattice_bottom()), "expected the bottom label");
}

Test(dma, buffers_are_aligned_as_asked, .init = setup)
{
    uint64_t pa;

    expect(dma_pool_init(&pool, &b, PAGE, 64 * 1024, bufs, NBUFS), FB_OK);
    alloc_ok(&pool, t, NULL); /* takes the first 64 KiB block */
    alloc_ok(&pool, t, &pa);
    cr_assert_eq(pa % (64 * 1024), 0, "expected 64 KiB alignment, got %#llx",
                 (unsigned long long)pa);
    cr_assert_eq(pool_stats(&pool).block_bytes, 64 * 1024, "expected 64 KiB blocks");
}

Test(dma, an_odd_size_gets_a_contiguous_power_of_two_block_fully_zeroed, .init = setup)
{
    cap_handle_t h;
    uint64_t pa;
    void *kva;

    expect(dma_pool_init(&pool, &b, 3 * PAGE, 0, bufs, NBUFS), FB_OK);
    cr_assert_eq(pool_stats(&pool).block_bytes, 4 * PAGE, "expected a 16 KiB block");
    expect(dma_alloc(&pool, t, &h, &pa, &kva), FB_OK);
    memset(kva, 0x5a, 4 * PAGE);
    expect(dma_free(&pool, t, h), FB_OK);
    expect(dma_alloc(&pool, t, &h, &pa, &kva), FB_OK);
    for (size_t i = 0; i < 4 * PAGE; i++)
        cr_assert_eq(((unsigned char *)kva)[i], 0, "expected byte %zu of the block zeroed", i);
}

Test(dma, memory_a_previous_owner_wrote_is_zeroed_for_the_next, .init = setup_pool)
{
    uint64_t pa1, pa2;
    cap_handle_t h = alloc_ok(&pool, t, &pa1);

    memset(hal_phys_to_virt(pa1), 0xaa, PAGE);
    expect(dma_free(&pool, t, h), FB_OK);
    alloc_ok(&pool, other, &pa2);
    cr_assert_eq(pa2, pa1, "expected the same frame to be reused");
    for (size_t i = 0; i < PAGE; i++)
        cr_assert_eq(((unsigned char *)hal_phys_to_virt(pa2))[i], 0,
                     "expected byte %zu zeroed for the new owner", i);
}

/* ---------------------------------------------------------- exhaustion */

Test(dma, a_pool_with_every_record_in_use_is_enomem, .init = setup_pool)
{
    cap_handle_t h[NBUFS], extra;
    uint64_t pa, before;
    void *kva;

    for (int i = 0; i < NBUFS; i++)
        h[i] = alloc_ok(&pool, t, NULL);
    before = free_frames();
    expect(dma_alloc(&pool, t, &extra, &pa, &kva), FB_ENOMEM);
    cr_assert_eq(free_frames(), before, "expected no frame kept by the failed allocation");
    cr_assert_eq(pool_stats(&pool).enomem, 1, "expected the failure counted");
    expect(dma_free(&pool, t, h[3]), FB_OK);
    alloc_ok(&pool, t, NULL);
    expect_consistent();
}

Test(dma, a_pool_whose_buddy_is_empty_is_enomem, .init = setup)
{
    static struct buddy small;
    cap_handle_t h;
    uint64_t pa;
    void *kva;

    expect(buddy_init(&small, HAL_HOST_RAM_BASE, 4, meta, sizeof meta), FB_OK);
    expect(buddy_add_range(&small, HAL_HOST_RAM_BASE, 4 * PAGE), FB_OK);
    expect(dma_pool_init(&pool, &small, 2 * PAGE, 0, bufs, NBUFS), FB_OK);
    alloc_ok(&pool, t, NULL);
    alloc_ok(&pool, t, NULL);
    expect(dma_alloc(&pool, t, &h, &pa, &kva), FB_ENOMEM);
    cr_assert_eq(pool_stats(&pool).live, 2, "expected two live buffers");
}

Test(dma, a_full_capability_table_fails_the_allocation_and_keeps_no_memory, .init = setup_pool)
{
    static struct cap_slot tiny_slots[1];
    static struct cap_table tiny;
    cap_handle_t h;
    uint64_t pa, before = free_frames();
    void *kva;

    expect(cap_table_init(&tiny, tiny_slots, 1, lattice_top()), FB_OK);
    alloc_ok(&pool, &tiny, NULL);
    expect(dma_alloc(&pool, &tiny, &h, &pa, &kva), FB_ENOSPC);
    cr_assert_eq(free_frames(), before - 1, "expected only the first buffer's frame in use");
    cr_assert_eq(pool_stats(&pool).live, 1, "expected one live buffer");
}

/* ----------------------------------------------------------- ownership */

Test(dma, free_returns_the_memory_and_deletes_the_capability, .init = setup_pool)
{
    uint64_t before = free_frames();
    cap_handle_t h = alloc_ok(&pool, t, NULL);
    struct dma_pool_stats st;

    expect(dma_free(&pool, t, h), FB_OK);
    expect(cap_verify(t, h, 0), FB_ESTALE);
    cr_assert_eq(free_frames(), before, "expected the frame back in the buddy");
    st = pool_stats(&pool);
    cr_assert(st.live == 0 && st.allocs == 1 && st.frees == 1, "expected 0 live, 1 alloc, 1 free");
    expect_consistent();
}

Test(dma, a_second_free_is_estale, .init = setup_pool)
{
    cap_handle_t h = alloc_ok(&pool, t, NULL);

    expect(dma_free(&pool, t, h), FB_OK);
    expect(dma_free(&pool, t, h), FB_ESTALE);
    cr_assert_eq(pool_stats(&pool).frees, 1, "expected one free counted");
    expect_consistent();
}

Test(dma, a_derived_copy_cannot_free_the_buffer, .init = setup_pool)
{
    cap_handle_t h = alloc_ok(&pool, t, NULL), child;

    expect(cap_derive(t, h, DMA_RIGHTS, lattice_bottom(), &child), FB_OK);
    expect(dma_free(&pool, t, child), FB_EPERM);
    expect(cap_verify(t, child, CAP_R_READ | CAP_R_WRITE), FB_OK);
    cr_assert_eq(pool_stats(&pool).live, 1, "expected the buffer still live");
    expect(dma_free(&pool, t, h), FB_OK);
    expect_consistent();
}

Test(dma, a_granted_copy_in_another_table_cannot_free_the_buffer, .init = setup_pool)
{
    cap_handle_t h = alloc_ok(&pool, t, NULL), copy;

    expect(cap_grant(t, h, other, CAP_R_READ | CAP_R_WRITE | CAP_R_MAP, lattice_bottom(), &copy),
           FB_OK);
    expect(dma_free(&pool, other, copy), FB_EPERM);
    expect(cap_verify(other, copy, CAP_R_MAP), FB_OK);
    expect_consistent();
}

Test(dma, freeing_kills_every_derived_and_granted_copy, .init = setup_pool)
{
    cap_handle_t h = alloc_ok(&pool, t, NULL), child, grandchild, copy;

    expect(cap_derive(t, h, DMA_RIGHTS, lattice_bottom(), &child), FB_OK);
    expect(cap_derive(t, child, CAP_R_READ, lattice_bottom(), &grandchild), FB_OK);
    expect(cap_grant(t, h, other, CAP_R_READ, lattice_bottom(), &copy), FB_OK);
    expect(dma_free(&pool, t, h), FB_OK);
    expect_dead(t, child);
    expect_dead(t, grandchild);
    expect_dead(other, copy);
    expect_consistent();
}

Test(dma, revoking_the_copies_leaves_the_owner_able_to_free, .init = setup_pool)
{
    cap_handle_t h = alloc_ok(&pool, t, NULL), copy;

    expect(cap_grant(t, h, other, CAP_R_READ, lattice_bottom(), &copy), FB_OK);
    expect(cap_revoke(t, h), FB_OK);
    expect_dead(other, copy);
    expect(dma_free(&pool, other, copy), cap_verify(other, copy, 0));
    expect(dma_free(&pool, t, h), FB_OK);
    expect_consistent();
}

Test(dma, freeing_another_pools_buffer_is_eperm, .init = setup_pool)
{
    static struct dma_pool second;
    static struct dma_buf second_bufs[NBUFS];
    cap_handle_t h;

    expect(dma_pool_init(&second, &b, PAGE, 0, second_bufs, NBUFS), FB_OK);
    h = alloc_ok(&second, t, NULL);
    expect(dma_free(&pool, t, h), FB_EPERM);
    expect(dma_free(&second, t, h), FB_OK);
    expect_consistent();
}

Test(dma, a_dma_capability_the_pool_did_not_create_cannot_free, .init = setup_pool)
{
    uint64_t pa;
    cap_handle_t h = alloc_ok(&pool, t, &pa), forged, unknown;

    /* A root naming a live buffer, made by someone else. */
    expect(cap_create(t, CAP_T_DMA, pa, CAP_R_ALL, lattice_bottom(), &forged), FB_OK);
    expect(dma_free(&pool, t, forged), FB_EPERM);
    /* A root naming memory that is no buffer of this pool. */
    expect(cap_create(t, CAP_T_DMA, pa + PAGE, CAP_R_ALL, lattice_bottom(), &unknown), FB_OK);
    expect(dma_free(&pool, t, unknown), FB_EPERM);
    expect(dma_free(&pool, t, h), FB_OK);
    expect_consistent();
}

Test(dma, freeing_a_capability_of_another_type_is_einval, .init = setup_pool)
{
    uint64_t pa;
    cap_handle_t mem;

    alloc_ok(&pool, t, &pa);
    expect(cap_create(t, CAP_T_MEMORY, pa, CAP_R_ALL, lattice_bottom(), &mem), FB_OK);
    expect(dma_free(&pool, t, mem), FB_EINVAL);
}

Test(dma, freeing_with_the_wrong_table_or_a_bad_handle_fails, .init = setup_pool)
{
    cap_handle_t h = alloc_ok(&pool, t, NULL);

    expect(dma_free(&pool, other, h), FB_EBADCAP);
    expect(dma_free(&pool, t, CAP_HANDLE_NONE), FB_EBADCAP);
    expect(dma_free(&pool, NULL, h), FB_EINVAL);
    expect(dma_free(NULL, t, h), FB_EINVAL);
    cr_assert_eq(pool_stats(&pool).live, 1, "expected the buffer still live");
}

/* --------------------------------------------------------- orphans */

Test(dma, a_root_deleted_directly_leaves_an_orphan_that_reclaim_takes_back, .init = setup_pool)
{
    uint64_t before = free_frames();
    cap_handle_t h = alloc_ok(&pool, t, NULL), kept = alloc_ok(&pool, t, NULL);
    uint32_t n = 99;

    expect(cap_delete(t, h), FB_OK);
    expect(dma_free(&pool, t, h), FB_ESTALE);
    expect(dma_pool_reclaim(&pool, &n), FB_OK);
    cr_assert_eq(n, 1, "expected one orphan reclaimed, got %u", n);
    cr_assert_eq(free_frames(), before - 1, "expected only the kept buffer in use");
    cr_assert_eq(pool_stats(&pool).reclaimed, 1, "expected the reclamation counted");
    expect(dma_free(&pool, t, kept), FB_OK);
    expect_consistent();
}

Test(dma, resetting_the_owners_table_orphans_all_its_buffers, .init = setup_pool)
{
    uint32_t n = 0;

    alloc_ok(&pool, t, NULL);
    alloc_ok(&pool, t, NULL);
    alloc_ok(&pool, other, NULL);
    cap_table_reset(t);
    expect(dma_pool_reclaim(&pool, &n), FB_OK);
    cr_assert_eq(n, 2, "expected the two buffers of the reset table reclaimed, got %u", n);
    cr_assert_eq(pool_stats(&pool).live, 1, "expected the other table's buffer live");
    expect_consistent();
}

/* ------------------------------------------------------------- threads */

#define CPUS 4
#define ROUNDS 500

static atomic_int errors;

/* One simulated CPU: allocates a buffer in the shared table, writes its
 * index into it, checks nobody else wrote, frees it. */
static void churn(void *arg)
{
    unsigned char mark = (unsigned char)(uintptr_t)arg + 1;

    for (int r = 0; r < ROUNDS; r++) {
        cap_handle_t h;
        uint64_t pa;
        void *kva;
        int err = dma_alloc(&pool, t, &h, &pa, &kva);

        if (err == FB_ENOMEM)
            continue;
        if (err != FB_OK || ((unsigned char *)kva)[0] != 0) {
            atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
            continue;
        }
        memset(kva, mark, PAGE);
        for (size_t i = 0; i < PAGE; i += 512)
            if (((unsigned char *)kva)[i] != mark)
                atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
        if (dma_free(&pool, t, h) != FB_OK)
            atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
    }
}

Test(dma, concurrent_cpus_each_get_their_own_zeroed_buffer, .init = setup_pool)
{
    uint64_t before = free_frames();

    expect(hal_host_set_cpu_count(CPUS), FB_OK);
    for (unsigned c = 1; c < CPUS; c++)
        expect(hal_host_cpu_start(c, churn, (void *)(uintptr_t)c), FB_OK);
    churn((void *)0);
    for (unsigned c = 1; c < CPUS; c++)
        expect(hal_host_cpu_join(c), FB_OK);
    cr_assert_eq(atomic_load(&errors), 0, "expected every buffer private and zeroed");
    cr_assert_eq(pool_stats(&pool).live, 0, "expected no live buffer");
    cr_assert_eq(free_frames(), before, "expected every frame back");
    expect_consistent();
}
