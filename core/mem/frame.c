/* Physical frame allocator (frame.h). The caller's bitmap storage holds
 * two bitmaps of one bit per frame: "used" (1 = allocated, reserved or not
 * RAM) and "owned" (1 = usable RAM this allocator may hand out and take
 * back), so a free of a foreign or reserved frame is caught, not obeyed. */
#include "frame.h"

#include <stdbool.h>

#include "hal/cpu.h"
#include "kerr.h"

#define FRAME_MASK ((uint64_t)FRAME_SIZE - 1)

/* Words in one of the two bitmaps. */
static uint64_t nwords(uint64_t nframes)
{
    return (nframes + 63) / 64;
}

/* The "owned" bitmap follows the "used" one in the caller's storage. */
static uint64_t *owned_map(struct frame_allocator *fa)
{
    return fa->bitmap + nwords(fa->nframes);
}

/* Page-aligned [*lo, *hi) spanning every usable frame; false if none. */
static bool usable_span(const struct boot_info *bi, uint64_t *lo, uint64_t *hi)
{
    uint32_t n = bi->region_count < BOOTINFO_MAX_REGIONS ? bi->region_count
                                                         : BOOTINFO_MAX_REGIONS;
    bool any = false;

    for (uint32_t i = 0; i < n; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type != MEM_USABLE || r->base > UINT64_MAX - r->length ||
            r->base > UINT64_MAX - FRAME_MASK)
            continue;
        uint64_t b = (r->base + FRAME_MASK) & ~FRAME_MASK;
        uint64_t e = (r->base + r->length) & ~FRAME_MASK;
        if (e <= b)
            continue;
        *lo = any && *lo < b ? *lo : b;
        *hi = any && *hi > e ? *hi : e;
        any = true;
    }
    return any;
}

/* Bytes for both bitmaps over the usable span of bi. */
size_t frame_bitmap_bytes(const struct boot_info *bi)
{
    uint64_t lo, hi;

    if (bi == NULL || !usable_span(bi, &lo, &hi))
        return 0;
    return (size_t)(2 * nwords((hi - lo) / FRAME_SIZE) * sizeof(uint64_t));
}

/* Sets or clears bit i of map. */
static void put_bit(uint64_t *map, uint64_t i, bool v)
{
    if (v)
        map[i / 64] |= (uint64_t)1 << (i % 64);
    else
        map[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* Reads bit i of map. */
static bool get_bit(const uint64_t *map, uint64_t i)
{
    return (map[i / 64] >> (i % 64)) & 1;
}

/* Frame-index range [*first, *last) of bytes [base, end) clipped to the
 * bitmap; inward rounds to whole frames (RAM), outward to touched frames. */
static void clip_range(const struct frame_allocator *fa, uint64_t base, uint64_t end,
                       bool inward, uint64_t *first, uint64_t *last)
{
    uint64_t top = fa->base + fa->nframes * FRAME_SIZE;
    uint64_t f, l;

    base = base < fa->base ? fa->base : base;
    end = end > top ? top : end;
    if (end <= base) {
        *first = *last = 0;
        return;
    }
    f = (base - fa->base) / FRAME_SIZE;
    l = (end - fa->base) / FRAME_SIZE;
    if (inward && ((base - fa->base) & FRAME_MASK) != 0)
        f++;
    if (!inward && ((end - fa->base) & FRAME_MASK) != 0)
        l++;
    *first = f;
    *last = l > f ? l : f;
}

/* Marks the frames of one region: usable ones free and owned, anything
 * else used and foreign. Non-usable regions are applied after usable
 * ones, so even an unnormalized map cannot expose reserved memory. */
static void apply_region(struct frame_allocator *fa, const struct mem_region *r, bool usable)
{
    uint64_t first, last;
    uint64_t end = r->base > UINT64_MAX - r->length ? UINT64_MAX : r->base + r->length;

    clip_range(fa, r->base, end, usable, &first, &last);
    for (uint64_t i = first; i < last; i++) {
        put_bit(fa->bitmap, i, !usable);
        put_bit(owned_map(fa), i, usable);
    }
}

/* Sets up the bitmaps from bi; see frame.h. */
int frame_init(struct frame_allocator *fa, const struct boot_info *bi,
               uint64_t *bitmap, size_t bitmap_bytes)
{
    uint64_t lo, hi;

    if (fa == NULL || bi == NULL || bitmap == NULL)
        return FB_EINVAL;
    if (!usable_span(bi, &lo, &hi))
        return FB_ENOMEM;
    if (bitmap_bytes < frame_bitmap_bytes(bi))
        return FB_ERANGE;
    fa->base = lo;
    fa->nframes = (hi - lo) / FRAME_SIZE;
    fa->bitmap = bitmap;
    fa->hint = 0;
    uint64_t words = nwords(fa->nframes);
    for (uint64_t w = 0; w < words; w++) {
        fa->bitmap[w] = ~(uint64_t)0;     /* used: padding bits stay set */
        owned_map(fa)[w] = 0;
    }
    uint32_t n = bi->region_count < BOOTINFO_MAX_REGIONS ? bi->region_count
                                                         : BOOTINFO_MAX_REGIONS;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < n; i++) {
            bool usable = bi->regions[i].type == MEM_USABLE;
            if (usable == (pass == 0))
                apply_region(fa, &bi->regions[i], usable);
        }
    }
    if (fa->base == 0) {
        /* Physical page 0 doubles as "no frame" and holds the real-mode IVT. */
        put_bit(fa->bitmap, 0, true);
        put_bit(owned_map(fa), 0, false);
    }
    fa->free_frames = 0;
    for (uint64_t i = 0; i < fa->nframes; i++)
        fa->free_frames += !get_bit(fa->bitmap, i);
    fa->total_frames = fa->free_frames;
    /* Release: nothing else runs yet, but publish a cleared lock anyway. */
    atomic_flag_clear_explicit(&fa->lock, memory_order_release);
    return fa->free_frames != 0 ? FB_OK : FB_ENOMEM;
}

/* Takes the allocator lock. Acquire pairs with unlock's release so the
 * bitmap writes of the previous holder are visible. */
static void lock(struct frame_allocator *fa)
{
    while (atomic_flag_test_and_set_explicit(&fa->lock, memory_order_acquire))
        hal_cpu_relax();
}

/* Drops the allocator lock; release publishes this holder's writes. */
static void unlock(struct frame_allocator *fa)
{
    atomic_flag_clear_explicit(&fa->lock, memory_order_release);
}

/* Reserves [base, base + len) whole frames; takes the lock. */
int frame_reserve(struct frame_allocator *fa, uint64_t base, uint64_t len)
{
    uint64_t first, last;

    if (fa == NULL || base > UINT64_MAX - len)
        return FB_EINVAL;
    lock(fa);
    clip_range(fa, base, base + len, false, &first, &last);
    for (uint64_t i = first; i < last; i++) {
        if (!get_bit(owned_map(fa), i))
            continue;                  /* not RAM, or reserved before */
        if (!get_bit(fa->bitmap, i)) {
            put_bit(fa->bitmap, i, true);
            fa->free_frames--;
        }
        put_bit(owned_map(fa), i, false);
    }
    unlock(fa);
    return FB_OK;
}

/* Next-fit search from the hint word; takes the lock. */
int frame_alloc(struct frame_allocator *fa, uint64_t *pa)
{
    if (fa == NULL || pa == NULL)
        return FB_EINVAL;
    lock(fa);
    uint64_t words = nwords(fa->nframes);
    for (uint64_t k = 0; k < words && fa->free_frames != 0; k++) {
        uint64_t w = (fa->hint + k) % words;
        if (fa->bitmap[w] == ~(uint64_t)0)
            continue;
        uint64_t bit = (uint64_t)__builtin_ctzll(~fa->bitmap[w]);
        fa->bitmap[w] |= (uint64_t)1 << bit;
        fa->free_frames--;
        fa->hint = w;
        *pa = fa->base + (w * 64 + bit) * FRAME_SIZE;
        unlock(fa);
        return FB_OK;
    }
    unlock(fa);
    return FB_ENOMEM;
}

/* Allocates the lowest run of n free frames starting on an align-byte
 * boundary and ending below limit. Takes the allocator's lock. */
int frame_alloc_range(struct frame_allocator *fa, uint64_t n, uint64_t align, uint64_t limit,
                      uint64_t *pa)
{
    uint64_t step, first;

    if (fa == NULL || pa == NULL || n == 0 || align < FRAME_SIZE || (align & (align - 1)) != 0)
        return FB_EINVAL;
    step = align / FRAME_SIZE;
    lock(fa);
    /* The first frame index whose address is aligned. */
    first = ((fa->base + align - 1) & ~(align - 1)) / FRAME_SIZE - fa->base / FRAME_SIZE;
    for (uint64_t i = first; i < fa->nframes && n <= fa->nframes - i; i += step) {
        uint64_t start = fa->base + i * FRAME_SIZE;
        uint64_t k = 0;

        if (start >= limit || n > (limit - start) / FRAME_SIZE)
            break;
        while (k < n && !get_bit(fa->bitmap, i + k))
            k++;
        if (k < n)
            continue;
        for (k = 0; k < n; k++)
            put_bit(fa->bitmap, i + k, true);
        fa->free_frames -= n;
        *pa = start;
        unlock(fa);
        return FB_OK;
    }
    unlock(fa);
    return FB_ENOMEM;
}

/* Returns a frame; rejects foreign, reserved and already free frames.
 * Takes the lock. */
int frame_free(struct frame_allocator *fa, uint64_t pa)
{
    if (fa == NULL)
        return FB_EINVAL;
    if ((pa & FRAME_MASK) != 0)
        return FB_EALIGN;
    if (pa < fa->base || (pa - fa->base) / FRAME_SIZE >= fa->nframes)
        return FB_EINVAL;
    uint64_t i = (pa - fa->base) / FRAME_SIZE;
    int err = FB_OK;
    lock(fa);
    if (!get_bit(owned_map(fa), i) || !get_bit(fa->bitmap, i)) {
        err = FB_EINVAL;
    } else {
        put_bit(fa->bitmap, i, false);
        fa->free_frames++;
    }
    unlock(fa);
    return err;
}

/* Free frames now; takes the lock so the count is never torn. */
uint64_t frame_free_count(struct frame_allocator *fa)
{
    if (fa == NULL)
        return 0;
    lock(fa);
    uint64_t n = fa->free_frames;
    unlock(fa);
    return n;
}
