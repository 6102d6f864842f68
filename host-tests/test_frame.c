/* Specification of the physical frame allocator (core/mem/frame.c): it
 * hands out each usable frame exactly once, takes back only what it gave,
 * honours reservations. Concurrency is checked by stress_frame.c, which
 * also runs under TSan. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "kerr.h"

#define PAGE 4096u

/* Low RAM with frame 0, a reserved hole, 1 MiB of high RAM:
 * 159 low frames minus frame 0, plus 256 high frames. */
static const struct mem_region test_map[] = {
    { 0x0, 0x9f000, MEM_USABLE },
    { 0x9f000, 0x61000, MEM_RESERVED },
    { 0x100000, 0x100000, MEM_USABLE },
};
#define TEST_FREE (159u - 1u + 256u)
#define SPAN_FRAMES 512u

static struct boot_info bi;
static struct frame_allocator fa;
static uint64_t bitmap[64];

/* Loads n regions into the shared boot_info. */
static void map_from(const struct mem_region *r, size_t n)
{
    memset(&bi, 0, sizeof bi);
    memcpy(bi.regions, r, n * sizeof *r);
    bi.region_count = (uint32_t)n;
}

/* Sets up fa over test_map. */
static void setup(void)
{
    map_from(test_map, 3);
    memset(bitmap, 0x5a, sizeof bitmap);   /* init must not trust old contents */
    cr_assert_eq(frame_init(&fa, &bi, bitmap, sizeof bitmap), FB_OK, "expected FB_OK from init");
}

/* True when frame pa lies inside a usable region of bi. */
static bool in_usable(uint64_t pa)
{
    for (uint32_t i = 0; i < bi.region_count; i++) {
        const struct mem_region *r = &bi.regions[i];
        if (r->type == MEM_USABLE && pa >= r->base && pa + PAGE <= r->base + r->length)
            return true;
    }
    return false;
}

/* Allocates until FB_ENOMEM; returns how many frames were handed out. */
static size_t drain(uint64_t *out, size_t cap)
{
    size_t n = 0;
    uint64_t pa;

    while (frame_alloc(&fa, &pa) == FB_OK) {
        cr_assert_lt(n, cap, "expected no more than %zu frames", cap);
        out[n++] = pa;
    }
    return n;
}

Test(frame, bitmap_bytes_cover_the_usable_span_twice)
{
    map_from(test_map, 3);
    cr_assert_eq(frame_bitmap_bytes(&bi), 2 * SPAN_FRAMES / 8,
                 "expected used + owned bits for %u frames", SPAN_FRAMES);
}

Test(frame, bitmap_bytes_of_a_map_without_ram_is_zero)
{
    static const struct mem_region none[] = { { 0x0, 0x100000, MEM_RESERVED } };

    map_from(none, 1);
    cr_assert_eq(frame_bitmap_bytes(&bi), 0, "expected 0");
    cr_assert_eq(frame_bitmap_bytes(NULL), 0, "expected 0 for NULL");
}

Test(frame, init_rejects_null_arguments)
{
    map_from(test_map, 3);
    cr_assert_eq(frame_init(NULL, &bi, bitmap, sizeof bitmap), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(frame_init(&fa, NULL, bitmap, sizeof bitmap), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(frame_init(&fa, &bi, NULL, sizeof bitmap), FB_EINVAL, "expected FB_EINVAL");
}

Test(frame, init_without_usable_frames_is_enomem)
{
    static const struct mem_region crumbs[] = {
        { 0x0, 0x1000, MEM_USABLE },         /* only frame 0, never handed out */
        { 0x5000, 0x800, MEM_USABLE },       /* less than a frame */
    };

    map_from(crumbs, 2);
    cr_assert_eq(frame_init(&fa, &bi, bitmap, sizeof bitmap), FB_ENOMEM, "expected FB_ENOMEM");
}

Test(frame, init_with_too_small_bitmap_is_erange)
{
    map_from(test_map, 3);
    cr_assert_eq(frame_init(&fa, &bi, bitmap, frame_bitmap_bytes(&bi) - 1), FB_ERANGE,
                 "expected FB_ERANGE one byte short");
}

Test(frame, init_counts_every_usable_frame_but_frame_0, .init = setup)
{
    cr_assert_eq(frame_free_count(&fa), TEST_FREE, "expected %u free frames, got %llu", TEST_FREE,
                 (unsigned long long)frame_free_count(&fa));
}

Test(frame, allocation_hands_out_every_usable_frame_once_then_enomem, .init = setup)
{
    static uint64_t got[SPAN_FRAMES];
    uint64_t pa;
    size_t n = drain(got, SPAN_FRAMES);

    cr_assert_eq(n, TEST_FREE, "expected %u frames, got %zu", TEST_FREE, n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(got[i] % PAGE, 0, "expected page-aligned %#llx", (unsigned long long)got[i]);
        cr_assert_neq(got[i], 0, "expected frame 0 never handed out");
        cr_assert(in_usable(got[i]), "expected %#llx inside usable RAM", (unsigned long long)got[i]);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(got[i], got[j], "expected %#llx handed out once", (unsigned long long)got[i]);
    }
    cr_assert_eq(frame_alloc(&fa, &pa), FB_ENOMEM, "expected FB_ENOMEM when exhausted");
    cr_assert_eq(frame_free_count(&fa), 0, "expected 0 free");
}

Test(frame, freed_frame_can_be_allocated_again, .init = setup)
{
    static uint64_t got[SPAN_FRAMES];
    uint64_t pa;

    drain(got, SPAN_FRAMES);
    cr_assert_eq(frame_free(&fa, got[7]), FB_OK, "expected FB_OK");
    cr_assert_eq(frame_free_count(&fa), 1, "expected 1 free");
    cr_assert_eq(frame_alloc(&fa, &pa), FB_OK, "expected FB_OK");
    cr_assert_eq(pa, got[7], "expected the freed frame back");
}

Test(frame, double_free_is_rejected, .init = setup)
{
    uint64_t pa;

    cr_assert_eq(frame_alloc(&fa, &pa), FB_OK, "expected FB_OK");
    cr_assert_eq(frame_free(&fa, pa), FB_OK, "expected the first free to succeed");
    cr_assert_eq(frame_free(&fa, pa), FB_EINVAL, "expected FB_EINVAL for a double free");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE, "expected the count unchanged");
}

Test(frame, free_of_never_allocated_frame_is_rejected, .init = setup)
{
    cr_assert_eq(frame_free(&fa, 0x180000), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE, "expected the count unchanged");
}

Test(frame, free_of_misaligned_address_is_ealign, .init = setup)
{
    cr_assert_eq(frame_free(&fa, 0x100010), FB_EALIGN, "expected FB_EALIGN");
}

Test(frame, free_of_foreign_frames_is_rejected, .init = setup)
{
    cr_assert_eq(frame_free(&fa, 0x0), FB_EINVAL, "expected FB_EINVAL for frame 0");
    cr_assert_eq(frame_free(&fa, 0xa0000), FB_EINVAL, "expected FB_EINVAL in the reserved hole");
    cr_assert_eq(frame_free(&fa, 0x200000), FB_EINVAL, "expected FB_EINVAL above RAM");
    cr_assert_eq(frame_free(&fa, 0xfffffffffffff000ull), FB_EINVAL, "expected FB_EINVAL far away");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE, "expected the count unchanged");
}

Test(frame, reserved_range_is_never_allocated, .init = setup)
{
    static uint64_t got[SPAN_FRAMES];

    cr_assert_eq(frame_reserve(&fa, 0x100000, 0x40000), FB_OK, "expected FB_OK");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE - 64, "expected 64 frames fewer");
    size_t n = drain(got, SPAN_FRAMES);
    cr_assert_eq(n, TEST_FREE - 64, "expected the rest allocatable");
    for (size_t i = 0; i < n; i++)
        cr_assert(got[i] < 0x100000 || got[i] >= 0x140000,
                  "expected %#llx outside the kernel range", (unsigned long long)got[i]);
}

Test(frame, reserve_takes_partial_frames_whole, .init = setup)
{
    cr_assert_eq(frame_reserve(&fa, 0x100800, 0x1000), FB_OK, "expected FB_OK");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE - 2, "expected both touched frames reserved");
}

Test(frame, reserve_is_idempotent, .init = setup)
{
    frame_reserve(&fa, 0x150000, 0x8000);
    cr_assert_eq(frame_reserve(&fa, 0x150000, 0x8000), FB_OK, "expected FB_OK again");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE - 8, "expected 8 frames reserved once");
}

Test(frame, reserve_ignores_parts_outside_ram, .init = setup)
{
    cr_assert_eq(frame_reserve(&fa, 0x9e000, 0x63000), FB_OK, "expected FB_OK");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE - 2,
                 "expected only the low RAM frame and the first high frame");
    cr_assert_eq(frame_reserve(&fa, 0x10000000, 0x1000), FB_OK, "expected FB_OK far above RAM");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE - 2, "expected no change");
}

Test(frame, reserve_that_wraps_is_rejected, .init = setup)
{
    cr_assert_eq(frame_reserve(&fa, 0xfffffffffffff000ull, 0x2000), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(frame_free_count(&fa), TEST_FREE, "expected no change");
}

Test(frame, freeing_a_reserved_frame_is_rejected, .init = setup)
{
    uint64_t pa;

    cr_assert_eq(frame_alloc(&fa, &pa), FB_OK, "expected FB_OK");
    frame_reserve(&fa, pa, PAGE);
    cr_assert_eq(frame_free(&fa, pa), FB_EINVAL, "expected FB_EINVAL: reserved after allocation");
    cr_assert_eq(frame_free(&fa, 0x150000), FB_EINVAL, "expected a free frame not freeable");
}

Test(frame, overlapping_reserved_region_wins_even_unnormalized)
{
    static const struct mem_region messy[] = {
        { 0x100000, 0x10000, MEM_USABLE },
        { 0x104800, 0x100, MEM_ACPI_NVS },
    };
    static uint64_t got[32];

    map_from(messy, 2);
    cr_assert_eq(frame_init(&fa, &bi, bitmap, sizeof bitmap), FB_OK, "expected FB_OK");
    size_t n = drain(got, 32);
    cr_assert_eq(n, 15, "expected 16 frames minus the touched one, got %zu", n);
    for (size_t i = 0; i < n; i++)
        cr_assert_neq(got[i], 0x104000, "expected the NVS frame never handed out");
}

Test(frame, alloc_and_free_reject_null)
{
    cr_assert_eq(frame_alloc(&fa, NULL), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(frame_alloc(NULL, NULL), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(frame_free(NULL, 0x1000), FB_EINVAL, "expected FB_EINVAL");
}

Test(frame, range_is_the_lowest_aligned_free_run, .init = setup)
{
    uint64_t pa = 0;

    cr_assert_eq(frame_alloc_range(&fa, 16, 0x10000, UINT64_MAX, &pa), FB_OK);
    cr_assert_eq(pa, 0x10000u, "expected the first 64 KiB boundary with 16 free frames, got %#lx",
                 (unsigned long)pa);
    cr_assert_eq(frame_free_count(&fa), TEST_FREE - 16, "expected 16 frames taken");
    for (unsigned i = 0; i < 16; i++)
        cr_assert_eq(frame_free(&fa, pa + i * PAGE), FB_OK, "expected each frame freeable");
    cr_assert_eq(frame_free(&fa, pa), FB_EINVAL, "expected a second free refused");
}

Test(frame, range_skips_frames_that_are_taken_or_not_ram, .init = setup)
{
    uint64_t pa = 0;

    /* Low RAM has 158 free frames: 159 must come from high RAM. */
    cr_assert_eq(frame_alloc_range(&fa, 159, PAGE, UINT64_MAX, &pa), FB_OK);
    cr_assert_eq(pa, 0x100000u, "expected the run in high RAM, got %#lx", (unsigned long)pa);
    cr_assert_eq(frame_alloc_range(&fa, 159, PAGE, UINT64_MAX, &pa), FB_ENOMEM,
                 "expected no second run of 159 (158 low frames, 97 high ones left)");
    cr_assert_eq(frame_alloc_range(&fa, 158, PAGE, UINT64_MAX, &pa), FB_OK);
    cr_assert_eq(pa, 0x1000u, "expected low RAM after frame 0, got %#lx", (unsigned long)pa);
}

Test(frame, range_ends_below_the_limit, .init = setup)
{
    uint64_t pa = 0;

    cr_assert_eq(frame_alloc_range(&fa, 200, PAGE, 0x100000 + 199 * PAGE, &pa), FB_ENOMEM);
    cr_assert_eq(frame_alloc_range(&fa, 200, PAGE, 0x100000 + 200 * PAGE, &pa), FB_OK);
    cr_assert_eq(pa, 0x100000u);
}

Test(frame, range_never_includes_a_reserved_frame, .init = setup)
{
    uint64_t pa = 0;

    cr_assert_eq(frame_reserve(&fa, 0x100000 + 128 * PAGE, PAGE), FB_OK);
    cr_assert_eq(frame_alloc_range(&fa, 129, PAGE, UINT64_MAX, &pa), FB_OK);
    cr_assert_eq(pa, 0x1000u, "expected low RAM, the high run being cut, got %#lx",
                 (unsigned long)pa);
    cr_assert_eq(frame_alloc_range(&fa, 128, PAGE, UINT64_MAX, &pa), FB_OK);
    cr_assert_eq(pa, 0x100000u, "expected the 128 frames below the reserved one");
}

Test(frame, range_rejects_bad_arguments, .init = setup)
{
    uint64_t pa;

    cr_assert_eq(frame_alloc_range(NULL, 1, PAGE, UINT64_MAX, &pa), FB_EINVAL);
    cr_assert_eq(frame_alloc_range(&fa, 1, PAGE, UINT64_MAX, NULL), FB_EINVAL);
    cr_assert_eq(frame_alloc_range(&fa, 0, PAGE, UINT64_MAX, &pa), FB_EINVAL);
    cr_assert_eq(frame_alloc_range(&fa, 1, 0, UINT64_MAX, &pa), FB_EINVAL);
    cr_assert_eq(frame_alloc_range(&fa, 1, 2048, UINT64_MAX, &pa), FB_EINVAL);
    cr_assert_eq(frame_alloc_range(&fa, 1, 3 * PAGE, UINT64_MAX, &pa), FB_EINVAL);
    cr_assert_eq(frame_free_count(&fa), TEST_FREE, "expected nothing taken by refused calls");
}
