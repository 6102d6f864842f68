/* Specification of the buddy frame allocator (core/mem/buddy.c): blocks
 * of 2^order frames aligned to their size, split on allocation,
 * coalesced on free, ranges with odd bases, odd sizes and holes carved
 * into aligned blocks, misuse refused with a precise error, and the
 * invariant checker passing after every operation and failing on
 * corrupted metadata. The allocator never touches the memory it manages,
 * so the ranges here are arbitrary physical addresses. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "buddy.h"
#include "expect.h"
#include "hal/hal.h"
#include "hal_host.h"
#include "kerr.h"

#define PAGE ((uint64_t)BUDDY_FRAME_SIZE)
#define MAX_BLOCK_FRAMES (1u << BUDDY_MAX_ORDER)
#define MAX_BLOCK BUDDY_BLOCK_BYTES(BUDDY_MAX_ORDER)
#define BASE ((uint64_t)1 << 30)   /* aligned to every order */
#define META_FRAMES (4u * MAX_BLOCK_FRAMES)

static struct buddy b;
static struct buddy_frame meta[META_FRAMES];

/* An empty allocator over nframes frames from base. */
static void make(uint64_t base, uint64_t nframes)
{
    expect(buddy_init(&b, base, nframes, meta, sizeof meta), FB_OK);
}

/* An allocator over nframes frames from base, all of them free. */
static void make_full(uint64_t base, uint64_t nframes)
{
    make(base, nframes);
    expect(buddy_add_range(&b, base, nframes * PAGE), FB_OK);
}

/* Asserts that buddy_check passes, naming the bad frame if not. */
static void expect_consistent(void)
{
    uint64_t bad = UINT64_MAX;
    int err = buddy_check(&b, &bad);

    cr_assert_eq(err, FB_OK, "expected a consistent allocator, got %s at frame %llu",
                 fb_strerror(err), (unsigned long long)bad);
}

/* The allocator's counts now. */
static struct buddy_stats stats(void)
{
    struct buddy_stats st;

    expect(buddy_stats(&b, &st), FB_OK);
    return st;
}

/* Asserts the free blocks of every order, given as want[order]. */
static void expect_free_blocks(const uint64_t want[BUDDY_ORDERS])
{
    struct buddy_stats st = stats();

    for (unsigned k = 0; k < BUDDY_ORDERS; k++)
        cr_assert_eq(st.free_blocks[k], want[k], "expected %llu free blocks of order %u, got %llu",
                     (unsigned long long)want[k], k, (unsigned long long)st.free_blocks[k]);
    expect_consistent();
}

/* Allocates a block of order k and checks it is aligned and inside the range. */
static uint64_t alloc_ok(unsigned k)
{
    uint64_t pa = 0;

    expect(buddy_alloc(&b, k, &pa), FB_OK);
    cr_assert_eq(pa % BUDDY_BLOCK_BYTES(k), 0, "expected an order-%u block aligned to its size, got %#llx",
                 k, (unsigned long long)pa);
    cr_assert(pa >= b.base && pa + BUDDY_BLOCK_BYTES(k) <= b.base + b.nframes * PAGE,
              "expected the block inside the range, got %#llx", (unsigned long long)pa);
    return pa;
}

/* ------------------------------------------------------------ sizes */

Test(buddy, order_for_rounds_bytes_up_to_a_block)
{
    unsigned k = 99;

    expect(buddy_order_for(1, &k), FB_OK);
    cr_assert_eq(k, 0u, "expected 1 byte to need order 0");
    expect(buddy_order_for(PAGE, &k), FB_OK);
    cr_assert_eq(k, 0u, "expected one page to need order 0");
    expect(buddy_order_for(PAGE + 1, &k), FB_OK);
    cr_assert_eq(k, 1u, "expected a page and a byte to need order 1");
    expect(buddy_order_for(MAX_BLOCK, &k), FB_OK);
    cr_assert_eq(k, BUDDY_MAX_ORDER, "expected the largest block to need the largest order");
}

Test(buddy, order_for_rejects_zero_and_more_than_the_largest_block)
{
    unsigned k;

    expect(buddy_order_for(0, &k), FB_EINVAL);
    expect(buddy_order_for(MAX_BLOCK + 1, &k), FB_ERANGE);
    expect(buddy_order_for(PAGE, NULL), FB_EINVAL);
}

/* ------------------------------------------------------------- init */

Test(buddy, init_rejects_bad_arguments)
{
    expect(buddy_init(NULL, BASE, 16, meta, sizeof meta), FB_EINVAL);
    expect(buddy_init(&b, BASE, 16, NULL, sizeof meta), FB_EINVAL);
    expect(buddy_init(&b, BASE, 0, meta, sizeof meta), FB_EINVAL);
    expect(buddy_init(&b, BASE + 1, 16, meta, sizeof meta), FB_EALIGN);
    expect(buddy_init(&b, UINT64_MAX - 4 * PAGE + 1, 16, meta, sizeof meta), FB_EINVAL);
    expect(buddy_init(&b, BASE, 16, meta, buddy_meta_bytes(16) - 1), FB_ERANGE);
    expect(buddy_init(&b, BASE, 16, meta, buddy_meta_bytes(16)), FB_OK);
}

Test(buddy, a_new_allocator_has_no_free_memory_until_a_range_is_added)
{
    uint64_t pa;

    make(BASE, 16);
    expect(buddy_alloc(&b, 0, &pa), FB_ENOMEM);
    cr_assert_eq(stats().managed_frames, 0, "expected no managed frame before buddy_add_range");
    cr_assert_eq(stats().largest_free_order, -1, "expected no largest free block");
    expect_consistent();
}

Test(buddy, an_aligned_range_becomes_blocks_of_the_largest_order)
{
    uint64_t want[BUDDY_ORDERS] = { [BUDDY_MAX_ORDER] = 3 };

    make_full(BASE, 3 * MAX_BLOCK_FRAMES);
    expect_free_blocks(want);
    cr_assert_eq(stats().largest_free_bytes, MAX_BLOCK, "expected the largest block free");
}

/* ------------------------------------------------------ split, exhaustion */

Test(buddy, allocating_one_frame_splits_a_block_into_one_free_block_per_order)
{
    uint64_t want[BUDDY_ORDERS];

    make_full(BASE, MAX_BLOCK_FRAMES);
    cr_assert_eq(alloc_ok(0), BASE, "expected the first frame of the block");
    for (unsigned k = 0; k < BUDDY_ORDERS; k++)
        want[k] = k < BUDDY_MAX_ORDER;
    expect_free_blocks(want);
    cr_assert_eq(alloc_ok(0), BASE + PAGE, "expected the order-0 buddy to come next");
}

Test(buddy, split_blocks_are_disjoint_and_cover_the_range)
{
    static bool used[MAX_BLOCK_FRAMES];
    static const unsigned orders[] = { 3, 0, 5, 1, 0, 9, 2, 4, 0, 6, 7, 8, 1, 2, 3, 0 };
    uint64_t total = 0;

    make_full(BASE, MAX_BLOCK_FRAMES);
    for (size_t n = 0; n < sizeof orders / sizeof orders[0]; n++) {
        uint64_t pa;

        if (buddy_alloc(&b, orders[n], &pa) != FB_OK)
            continue;
        for (uint64_t f = 0; f < ((uint64_t)1 << orders[n]); f++) {
            uint64_t i = (pa - BASE) / PAGE + f;
            cr_assert_not(used[i], "expected frame %llu to be handed out once",
                          (unsigned long long)i);
            used[i] = true;
        }
        total += (uint64_t)1 << orders[n];
        expect_consistent();
    }
    cr_assert_eq(stats().free_frames + total, MAX_BLOCK_FRAMES, "expected every frame accounted for");
}

Test(buddy, exhaustion_returns_enomem_and_every_frame_comes_back)
{
    static uint64_t pas[2 * MAX_BLOCK_FRAMES];
    uint64_t want[BUDDY_ORDERS] = { [BUDDY_MAX_ORDER] = 2 };
    uint64_t pa;
    size_t n = 0;

    make_full(BASE, 2 * MAX_BLOCK_FRAMES);
    while (buddy_alloc(&b, 0, &pa) == FB_OK)
        pas[n++] = pa;
    cr_assert_eq(n, 2 * MAX_BLOCK_FRAMES, "expected every frame before FB_ENOMEM, got %zu", n);
    expect(buddy_alloc(&b, 0, &pa), FB_ENOMEM);
    expect(buddy_alloc(&b, BUDDY_MAX_ORDER, &pa), FB_ENOMEM);
    cr_assert_eq(stats().free_frames, 0, "expected no free frame");
    for (size_t i = 0; i < n; i++)
        expect(buddy_free(&b, pas[i]), FB_OK);
    expect_free_blocks(want);
}

Test(buddy, a_large_order_fails_when_only_fragments_are_free)
{
    static uint64_t pas[MAX_BLOCK_FRAMES];
    uint64_t pa;

    make_full(BASE, MAX_BLOCK_FRAMES);
    for (size_t i = 0; i < MAX_BLOCK_FRAMES; i++)
        pas[i] = alloc_ok(0);
    for (size_t i = 0; i < MAX_BLOCK_FRAMES; i += 2)
        expect(buddy_free(&b, pas[i]), FB_OK);
    cr_assert_eq(stats().free_frames, MAX_BLOCK_FRAMES / 2, "expected half the frames free");
    cr_assert_eq(stats().largest_free_order, 0, "expected only single frames free");
    expect(buddy_alloc(&b, 1, &pa), FB_ENOMEM);
    expect_consistent();
}

/* ----------------------------------------------------------- coalescing */

Test(buddy, freeing_blocks_of_every_order_coalesces_back_to_one_largest_block)
{
    uint64_t pas[BUDDY_ORDERS + 1], pa;
    uint64_t want[BUDDY_ORDERS] = { [BUDDY_MAX_ORDER] = 1 };
    /* Orders 9, 8, .., 1, 0, 0 fill one largest block exactly. */
    unsigned orders[BUDDY_ORDERS + 1];

    make_full(BASE, MAX_BLOCK_FRAMES);
    for (unsigned n = 0; n < BUDDY_MAX_ORDER; n++)
        orders[n] = BUDDY_MAX_ORDER - 1 - n;
    orders[BUDDY_MAX_ORDER] = 0;
    for (unsigned n = 0; n <= BUDDY_MAX_ORDER; n++)
        pas[n] = alloc_ok(orders[n]);
    expect(buddy_alloc(&b, 0, &pa), FB_ENOMEM);
    /* Free interleaved large and small, so merges happen late. */
    for (unsigned n = 0; n <= BUDDY_MAX_ORDER; n += 2) {
        unsigned order;

        expect(buddy_block_order(&b, pas[n], &order), FB_OK);
        cr_assert_eq(order, orders[n], "expected the metadata to keep order %u", orders[n]);
        expect(buddy_free(&b, pas[n]), FB_OK);
        expect_consistent();
    }
    for (unsigned n = 1; n <= BUDDY_MAX_ORDER; n += 2) {
        expect(buddy_free(&b, pas[n]), FB_OK);
        expect_consistent();
    }
    expect_free_blocks(want);
}

Test(buddy, buddies_merge_only_when_both_are_free)
{
    uint64_t a, c;
    uint64_t want[BUDDY_ORDERS] = { 0 };

    make_full(BASE, 2);
    a = alloc_ok(0);
    c = alloc_ok(0);
    expect(buddy_free(&b, a), FB_OK);
    want[0] = 1;
    expect_free_blocks(want);
    expect(buddy_free(&b, c), FB_OK);
    want[0] = 0;
    want[1] = 1;
    expect_free_blocks(want);
}

/* --------------------------------------------------------------- misuse */

Test(buddy, double_free_is_einval)
{
    uint64_t pa;

    make_full(BASE, MAX_BLOCK_FRAMES);
    pa = alloc_ok(2);
    expect(buddy_free(&b, pa), FB_OK);
    expect(buddy_free(&b, pa), FB_EINVAL);
    expect_consistent();
}

Test(buddy, freeing_inside_an_allocated_block_is_einval)
{
    uint64_t pa;

    make_full(BASE, MAX_BLOCK_FRAMES);
    pa = alloc_ok(3);
    expect(buddy_free(&b, pa + PAGE), FB_EINVAL);
    expect(buddy_free(&b, pa + 7 * PAGE), FB_EINVAL);
    expect(buddy_free(&b, pa), FB_OK);
    expect_consistent();
}

Test(buddy, freeing_a_free_frame_never_allocated_is_einval)
{
    make_full(BASE, MAX_BLOCK_FRAMES);
    alloc_ok(0);
    expect(buddy_free(&b, BASE + 2 * PAGE), FB_EINVAL);
    expect_consistent();
}

Test(buddy, freeing_outside_the_range_is_einval)
{
    make_full(BASE, MAX_BLOCK_FRAMES);
    expect(buddy_free(&b, BASE - PAGE), FB_EINVAL);
    expect(buddy_free(&b, BASE + MAX_BLOCK), FB_EINVAL);
    expect(buddy_free(&b, 0), FB_EINVAL);
    expect(buddy_free(NULL, BASE), FB_EINVAL);
}

Test(buddy, freeing_an_unaligned_address_is_ealign)
{
    uint64_t pa;

    make_full(BASE, MAX_BLOCK_FRAMES);
    pa = alloc_ok(0);
    expect(buddy_free(&b, pa + 8), FB_EALIGN);
    expect(buddy_free(&b, pa), FB_OK);
}

Test(buddy, alloc_rejects_an_order_above_the_largest)
{
    uint64_t pa;

    make_full(BASE, MAX_BLOCK_FRAMES);
    expect(buddy_alloc(&b, BUDDY_MAX_ORDER + 1, &pa), FB_EINVAL);
    expect(buddy_alloc(&b, 0, NULL), FB_EINVAL);
    expect(buddy_alloc(NULL, 0, &pa), FB_EINVAL);
}

/* --------------------------------------------- odd ranges and holes */

Test(buddy, an_unaligned_base_and_size_are_carved_into_maximal_aligned_blocks)
{
    /* Frames 3 .. 1031 past a 4 MiB boundary: 3 (order 0), 4-7 (2),
     * 8-15 (3), 16-31 (4) .. 512-1023 (9), 1024-1031 (3). */
    uint64_t want[BUDDY_ORDERS] = { 1, 0, 1, 2, 1, 1, 1, 1, 1, 1, 0 };
    uint64_t pa;

    make_full(BASE + 3 * PAGE, MAX_BLOCK_FRAMES + 5);
    expect_free_blocks(want);
    cr_assert_eq(stats().free_frames, MAX_BLOCK_FRAMES + 5, "expected every frame free");
    expect(buddy_alloc(&b, BUDDY_MAX_ORDER, &pa), FB_ENOMEM);
    cr_assert_eq(alloc_ok(9), BASE + 512 * PAGE, "expected the only order-9 block");
    cr_assert_eq(alloc_ok(0), BASE + 3 * PAGE, "expected the only order-0 block");
    expect_consistent();
}

Test(buddy, a_hole_is_never_handed_out)
{
    const uint64_t hole = BASE + 100 * PAGE;
    uint64_t pa;
    size_t n = 0;

    make(BASE, MAX_BLOCK_FRAMES);
    expect(buddy_add_range(&b, BASE, 100 * PAGE), FB_OK);
    expect(buddy_add_range(&b, hole + PAGE, (MAX_BLOCK_FRAMES - 101) * PAGE), FB_OK);
    expect_consistent();
    cr_assert_lt(stats().largest_free_order, (int)BUDDY_MAX_ORDER,
                 "expected the hole to split the largest block");
    while (buddy_alloc(&b, 0, &pa) == FB_OK) {
        cr_assert_neq(pa, hole, "expected the hole never to be handed out");
        n++;
    }
    cr_assert_eq(n, MAX_BLOCK_FRAMES - 1, "expected every frame but the hole");
    expect(buddy_free(&b, hole), FB_EINVAL);
    expect_consistent();
}

Test(buddy, filling_a_hole_later_lets_its_neighbours_coalesce)
{
    static uint64_t pas[MAX_BLOCK_FRAMES];
    uint64_t want[BUDDY_ORDERS] = { [BUDDY_MAX_ORDER] = 1 };
    uint64_t pa;
    size_t n = 0;

    make(BASE, MAX_BLOCK_FRAMES);
    expect(buddy_add_range(&b, BASE, 100 * PAGE), FB_OK);
    expect(buddy_add_range(&b, BASE + 101 * PAGE, (MAX_BLOCK_FRAMES - 101) * PAGE), FB_OK);
    while (buddy_alloc(&b, 0, &pa) == FB_OK)
        pas[n++] = pa;
    expect(buddy_add_range(&b, BASE + 100 * PAGE, PAGE), FB_OK);
    for (size_t i = 0; i < n; i++)
        expect(buddy_free(&b, pas[i]), FB_OK);
    expect_free_blocks(want);
}

Test(buddy, adding_a_frame_twice_is_eexist_and_adds_nothing)
{
    make(BASE, MAX_BLOCK_FRAMES);
    expect(buddy_add_range(&b, BASE + 8 * PAGE, 8 * PAGE), FB_OK);
    expect(buddy_add_range(&b, BASE, 9 * PAGE), FB_EEXIST);
    cr_assert_eq(stats().managed_frames, 8, "expected only the first range managed");
    expect_consistent();
}

Test(buddy, add_range_rejects_unaligned_empty_and_outside_ranges)
{
    make(BASE, MAX_BLOCK_FRAMES);
    expect(buddy_add_range(&b, BASE + 1, PAGE), FB_EALIGN);
    expect(buddy_add_range(&b, BASE, PAGE + 1), FB_EALIGN);
    expect(buddy_add_range(&b, BASE, 0), FB_EINVAL);
    expect(buddy_add_range(&b, BASE - PAGE, 2 * PAGE), FB_EINVAL);
    expect(buddy_add_range(&b, BASE, MAX_BLOCK + PAGE), FB_EINVAL);
    expect(buddy_add_range(&b, UINT64_MAX - PAGE + 1, 2 * PAGE), FB_EINVAL);
    expect(buddy_add_range(NULL, BASE, PAGE), FB_EINVAL);
    cr_assert_eq(stats().managed_frames, 0, "expected nothing added");
}

Test(buddy, blocks_never_merge_across_the_range_end)
{
    /* Two order-0 frames whose buddies lie outside the range. */
    uint64_t want[BUDDY_ORDERS] = { 2, 0 };

    make_full(BASE + PAGE, 2);
    expect_free_blocks(want);
}

/* -------------------------------------------------------------- checker */

Test(buddy, check_finds_a_tail_without_a_head)
{
    uint64_t bad = 0;

    make_full(BASE, MAX_BLOCK_FRAMES);
    meta[0].order = BUDDY_MAX_ORDER - 1; /* frames 512.. lose their head */
    expect(buddy_check(&b, &bad), FB_EINVAL);
    cr_assert_eq(bad, 512, "expected frame 512 reported, got %llu", (unsigned long long)bad);
}

Test(buddy, check_finds_a_free_count_that_does_not_match_the_lists)
{
    make_full(BASE, MAX_BLOCK_FRAMES);
    b.free_blocks[BUDDY_MAX_ORDER]++;
    expect(buddy_check(&b, NULL), FB_EINVAL);
}

Test(buddy, check_finds_two_free_buddies_left_unmerged)
{
    uint64_t bad = 1;

    make_full(BASE, 2);
    meta[0].order = 0; /* one order-1 block becomes two free order-0 heads */
    meta[1] = meta[0];
    expect(buddy_check(&b, &bad), FB_EINVAL);
    cr_assert_eq(bad, 0, "expected frame 0 reported, got %llu", (unsigned long long)bad);
}

/* ------------------------------------------------------ random vs model */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* xorshift64: reproducible, so a failure names the same step each run. */
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

Test(buddy, random_operations_agree_with_a_model_and_keep_the_invariants)
{
    /* The model: who holds each frame (0 = free), and the live blocks. */
    static uint32_t owner[3 * MAX_BLOCK_FRAMES];
    static struct { uint64_t pa; unsigned order; } live[3 * MAX_BLOCK_FRAMES];
    const uint64_t base = BASE + 5 * PAGE, nframes = 3 * MAX_BLOCK_FRAMES - 7;
    uint64_t want[BUDDY_ORDERS], free_frames = nframes, last_freed = 0;
    size_t n = 0;

    make_full(base, nframes);
    memcpy(want, stats().free_blocks, sizeof want);
    for (uint32_t step = 1; step <= 6000; step++) {
        uint64_t r = next_random(), pa;

        if (n > 0 && (r & 3) == 0) {
            size_t k = (size_t)(r >> 8) % n;
            uint64_t first = (live[k].pa - base) / PAGE;

            expect(buddy_free(&b, live[k].pa), FB_OK);
            last_freed = live[k].pa;
            for (uint64_t f = 0; f < ((uint64_t)1 << live[k].order); f++)
                owner[first + f] = 0;
            free_frames += (uint64_t)1 << live[k].order;
            live[k] = live[--n];
        } else if (n > 0 && (r & 3) == 1) {
            /* Misuse: past the end, inside a block, unaligned, or a
             * double free of the last block freed (if still free). */
            size_t k = (size_t)(r >> 8) % n;

            if (r & 4)
                expect(buddy_free(&b, base + nframes * PAGE), FB_EINVAL);
            else if (last_freed != 0 && owner[(last_freed - base) / PAGE] == 0 && (r & 8))
                expect(buddy_free(&b, last_freed), FB_EINVAL);
            else if (live[k].order > 0)
                expect(buddy_free(&b, live[k].pa + PAGE), FB_EINVAL);
            else
                expect(buddy_free(&b, live[k].pa + 8), FB_EALIGN);
        } else {
            unsigned order = (unsigned)(r >> 8) % 5;
            int got = buddy_alloc(&b, order, &pa);

            if (got == FB_ENOMEM) {
                cr_assert_lt(stats().largest_free_order, (int)order,
                             "expected FB_ENOMEM only without a free block of order %u", order);
            } else {
                uint64_t first = (pa - base) / PAGE;

                expect(got, FB_OK);
                cr_assert_eq(pa % BUDDY_BLOCK_BYTES(order), 0, "expected an aligned block");
                cr_assert(pa >= base && first + ((uint64_t)1 << order) <= nframes,
                          "expected the block inside the range");
                for (uint64_t f = 0; f < ((uint64_t)1 << order); f++) {
                    cr_assert_eq(owner[first + f], 0, "expected frame %llu free at step %u",
                                 (unsigned long long)(first + f), step);
                    owner[first + f] = step;
                }
                free_frames -= (uint64_t)1 << order;
                live[n].pa = pa;
                live[n++].order = order;
            }
        }
        cr_assert_eq(stats().free_frames, free_frames, "expected the model's free count at step %u",
                     step);
        expect_consistent();
    }
    while (n > 0)
        expect(buddy_free(&b, live[--n].pa), FB_OK);
    expect_free_blocks(want);
}

/* ------------------------------------------------------------- threads */

#define CPUS 4
#define ROUNDS 3000
#define HOLD 8

/* 1 while a CPU holds the frame: a second holder is a bug. */
static atomic_int held[2 * MAX_BLOCK_FRAMES];
static atomic_int errors;

/* One simulated CPU: allocates up to HOLD blocks of orders 0..3, marks
 * their frames, then frees them, ROUNDS times. */
static void churn(void *arg)
{
    uint64_t pas[HOLD], seed = 0x2545f4914f6cdd1dull * ((uintptr_t)arg + 1);
    unsigned orders[HOLD];

    for (int round = 0; round < ROUNDS; round++) {
        int n = 0;

        for (; n < HOLD; n++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            orders[n] = (unsigned)(seed % 4);
            if (buddy_alloc(&b, orders[n], &pas[n]) != FB_OK)
                break;
            for (uint64_t f = 0; f < ((uint64_t)1 << orders[n]); f++)
                /* Relaxed: the allocator's lock orders the hand-over; this
                 * only detects a frame given to two CPUs at once. */
                if (atomic_exchange_explicit(&held[(pas[n] - BASE) / PAGE + f], 1,
                                             memory_order_relaxed) != 0)
                    atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
        }
        for (int i = 0; i < n; i++) {
            for (uint64_t f = 0; f < ((uint64_t)1 << orders[i]); f++)
                atomic_store_explicit(&held[(pas[i] - BASE) / PAGE + f], 0, memory_order_relaxed);
            if (buddy_free(&b, pas[i]) != FB_OK)
                atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
        }
    }
}

Test(buddy, concurrent_cpus_never_share_a_frame_and_everything_coalesces)
{
    /* Few frames, so CPUs compete for them and often find none. */
    uint64_t want[BUDDY_ORDERS] = { [6] = 1 };

    make_full(BASE, 64);
    expect(hal_host_set_cpu_count(CPUS), FB_OK);
    for (unsigned c = 1; c < CPUS; c++)
        expect(hal_host_cpu_start(c, churn, (void *)(uintptr_t)c), FB_OK);
    churn((void *)0);
    for (unsigned c = 1; c < CPUS; c++)
        expect(hal_host_cpu_join(c), FB_OK);
    cr_assert_eq(atomic_load(&errors), 0, "expected no frame held twice and no failed free");
    expect_free_blocks(want);
}
