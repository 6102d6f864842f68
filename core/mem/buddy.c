/* Buddy frame allocator (buddy.h). Each frame's metadata entry says
 * whether the frame is outside the managed memory (absent), the head of a
 * free or allocated block (with the block's order), or a tail inside the
 * block headed before it. Free heads sit on one doubly linked list per
 * order, linked by metadata index. Only heads change on split and merge,
 * so both are O(1) per order. */
#include "buddy.h"

#include <stdbool.h>
#include <stdint.h>

#include "kerr.h"
#include "spinlock.h"

#define NONE UINT32_MAX
#define FRAME_MASK ((uint64_t)BUDDY_FRAME_SIZE - 1)

/* Values of buddy_frame.state. */
enum { ST_ABSENT = 0, ST_FREE, ST_USED, ST_TAIL };

/* Frames in a block of order k. */
static uint64_t frames_of(unsigned k)
{
    return (uint64_t)1 << k;
}

/* Physical frame number of metadata index i. */
static uint64_t pfn_of(const struct buddy *b, uint64_t i)
{
    return b->base / BUDDY_FRAME_SIZE + i;
}

/* True when a block of order k may start at index i: its physical
 * address is a multiple of its size. */
static bool aligned_at(const struct buddy *b, uint64_t i, unsigned k)
{
    return (pfn_of(b, i) & (frames_of(k) - 1)) == 0;
}

/* Index of the buddy of the order-k block at i, or NONE when the buddy
 * lies outside the range. */
static uint64_t buddy_of(const struct buddy *b, uint64_t i, unsigned k)
{
    uint64_t bp = pfn_of(b, i) ^ frames_of(k);
    uint64_t base_pfn = b->base / BUDDY_FRAME_SIZE;

    if (bp < base_pfn || bp - base_pfn >= b->nframes)
        return NONE;
    return bp - base_pfn;
}

/* Pushes the free head i onto the order-k list. Expects the lock. */
static void list_push(struct buddy *b, uint64_t i, unsigned k)
{
    struct buddy_frame *f = &b->meta[i];

    f->state = ST_FREE;
    f->order = (uint8_t)k;
    f->prev = NONE;
    f->next = b->free_head[k];
    if (f->next != NONE)
        b->meta[f->next].prev = (uint32_t)i;
    b->free_head[k] = (uint32_t)i;
    b->free_blocks[k]++;
}

/* Unlinks the free head i from the order-k list. Expects the lock. */
static void list_remove(struct buddy *b, uint64_t i, unsigned k)
{
    struct buddy_frame *f = &b->meta[i];

    if (f->prev != NONE)
        b->meta[f->prev].next = f->next;
    else
        b->free_head[k] = f->next;
    if (f->next != NONE)
        b->meta[f->next].prev = f->prev;
    b->free_blocks[k]--;
}

/* Makes the order-k block at i free, merging it with free buddies as far
 * as they go. Expects the lock. */
static void free_block(struct buddy *b, uint64_t i, unsigned k)
{
    b->free_frames += frames_of(k);
    while (k < BUDDY_MAX_ORDER) {
        uint64_t j = buddy_of(b, i, k);

        if (j == NONE || b->meta[j].state != ST_FREE || b->meta[j].order != k)
            break;
        list_remove(b, j, k);
        /* The upper half's head is now inside the merged block. */
        b->meta[i > j ? i : j].state = ST_TAIL;
        i = i < j ? i : j;
        k++;
    }
    list_push(b, i, k);
}

/* Metadata bytes for nframes frames; see buddy.h. */
size_t buddy_meta_bytes(uint64_t nframes)
{
    return (size_t)nframes * sizeof(struct buddy_frame);
}

/* Sets up an allocator with every frame absent; see buddy.h. */
int buddy_init(struct buddy *b, uint64_t base, uint64_t nframes, struct buddy_frame *meta,
               size_t meta_bytes)
{
    if (b == NULL || meta == NULL || nframes == 0 || nframes > BUDDY_MAX_FRAMES)
        return FB_EINVAL;
    if ((base & FRAME_MASK) != 0)
        return FB_EALIGN;
    if (base > UINT64_MAX - nframes * BUDDY_FRAME_SIZE)
        return FB_EINVAL;
    if (meta_bytes < buddy_meta_bytes(nframes))
        return FB_ERANGE;
    b->base = base;
    b->nframes = nframes;
    b->meta = meta;
    for (uint64_t i = 0; i < nframes; i++)
        meta[i] = (struct buddy_frame){ .next = NONE, .prev = NONE, .state = ST_ABSENT };
    for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
        b->free_head[k] = NONE;
        b->free_blocks[k] = 0;
    }
    b->free_frames = 0;
    b->managed_frames = 0;
    /* Not shared yet: a plain initialization, nothing to order. */
    atomic_init(&b->lock.locked, 0);
    return FB_OK;
}

/* Checks that [pa, pa + len) is page aligned and inside b, and gives its
 * index range. No lock needed: base and nframes never change. */
static int range_of(const struct buddy *b, uint64_t pa, uint64_t len, uint64_t *first,
                    uint64_t *last)
{
    if (((pa | len) & FRAME_MASK) != 0)
        return FB_EALIGN;
    if (len == 0 || pa < b->base || pa > UINT64_MAX - len ||
        (pa - b->base) / BUDDY_FRAME_SIZE + len / BUDDY_FRAME_SIZE > b->nframes)
        return FB_EINVAL;
    *first = (pa - b->base) / BUDDY_FRAME_SIZE;
    *last = *first + len / BUDDY_FRAME_SIZE;
    return FB_OK;
}

/* Carves [pa, pa + len) into maximal aligned blocks and frees each; takes
 * the lock. */
int buddy_add_range(struct buddy *b, uint64_t pa, uint64_t len)
{
    uint64_t first, last;
    hal_irq_state_t s;
    int err;

    if (b == NULL)
        return FB_EINVAL;
    if ((err = range_of(b, pa, len, &first, &last)) != FB_OK)
        return err;
    s = spin_lock_irqsave(&b->lock);
    for (uint64_t i = first; i < last; i++) {
        if (b->meta[i].state != ST_ABSENT) {
            spin_unlock_irqrestore(&b->lock, s);
            return FB_EEXIST;
        }
    }
    for (uint64_t i = first; i < last;) {
        unsigned k = BUDDY_MAX_ORDER;

        while (k > 0 && (!aligned_at(b, i, k) || i + frames_of(k) > last))
            k--;
        for (uint64_t t = 1; t < frames_of(k); t++)
            b->meta[i + t].state = ST_TAIL;
        b->managed_frames += frames_of(k);
        free_block(b, i, k);
        i += frames_of(k);
    }
    spin_unlock_irqrestore(&b->lock, s);
    return FB_OK;
}

/* Smallest order holding bytes; see buddy.h. */
int buddy_order_for(uint64_t bytes, unsigned *order)
{
    unsigned k = 0;

    if (bytes == 0 || order == NULL)
        return FB_EINVAL;
    if (bytes > BUDDY_BLOCK_BYTES(BUDDY_MAX_ORDER))
        return FB_ERANGE;
    while (BUDDY_BLOCK_BYTES(k) < bytes)
        k++;
    *order = k;
    return FB_OK;
}

/* Takes the smallest free block of at least order and splits it down,
 * freeing the upper halves; takes the lock. */
int buddy_alloc(struct buddy *b, unsigned order, uint64_t *pa)
{
    hal_irq_state_t s;
    unsigned k = order;
    uint64_t i;

    if (b == NULL || pa == NULL || order > BUDDY_MAX_ORDER)
        return FB_EINVAL;
    s = spin_lock_irqsave(&b->lock);
    while (k < BUDDY_ORDERS && b->free_head[k] == NONE)
        k++;
    if (k == BUDDY_ORDERS) {
        spin_unlock_irqrestore(&b->lock, s);
        return FB_ENOMEM;
    }
    i = b->free_head[k];
    list_remove(b, i, k);
    while (k > order) {
        k--;
        list_push(b, i + frames_of(k), k);
    }
    b->meta[i].state = ST_USED;
    b->meta[i].order = (uint8_t)order;
    b->free_frames -= frames_of(order);
    spin_unlock_irqrestore(&b->lock, s);
    *pa = b->base + i * BUDDY_FRAME_SIZE;
    return FB_OK;
}

/* Index of the allocated block head at pa, or an error (see buddy_free).
 * Expects the lock. */
static int used_head(const struct buddy *b, uint64_t pa, uint64_t *index)
{
    uint64_t i;

    if ((pa & FRAME_MASK) != 0)
        return FB_EALIGN;
    if (pa < b->base || (pa - b->base) / BUDDY_FRAME_SIZE >= b->nframes)
        return FB_EINVAL;
    i = (pa - b->base) / BUDDY_FRAME_SIZE;
    if (b->meta[i].state != ST_USED)
        return FB_EINVAL;
    *index = i;
    return FB_OK;
}

/* Frees the block at pa after checking it is an allocated head; takes
 * the lock. */
int buddy_free(struct buddy *b, uint64_t pa)
{
    hal_irq_state_t s;
    uint64_t i;
    int err;

    if (b == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&b->lock);
    err = used_head(b, pa, &i);
    if (err == FB_OK)
        free_block(b, i, b->meta[i].order);
    spin_unlock_irqrestore(&b->lock, s);
    return err;
}

/* Order of the allocated block at pa; takes the lock. */
int buddy_block_order(struct buddy *b, uint64_t pa, unsigned *order)
{
    hal_irq_state_t s;
    uint64_t i;
    int err;

    if (b == NULL || order == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&b->lock);
    err = used_head(b, pa, &i);
    if (err == FB_OK)
        *order = b->meta[i].order;
    spin_unlock_irqrestore(&b->lock, s);
    return err;
}

/* Copies the counts under the lock. */
int buddy_stats(struct buddy *b, struct buddy_stats *st)
{
    hal_irq_state_t s;

    if (b == NULL || st == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&b->lock);
    st->managed_frames = b->managed_frames;
    st->free_frames = b->free_frames;
    st->largest_free_order = -1;
    for (unsigned k = 0; k < BUDDY_ORDERS; k++) {
        st->free_blocks[k] = b->free_blocks[k];
        if (b->free_blocks[k] != 0)
            st->largest_free_order = (int)k;
    }
    spin_unlock_irqrestore(&b->lock, s);
    st->largest_free_bytes =
        st->largest_free_order < 0 ? 0 : BUDDY_BLOCK_BYTES((unsigned)st->largest_free_order);
    return FB_OK;
}

/* Walks the frames: heads well formed, tails only inside blocks, no
 * free buddy pair left unmerged; counts the free blocks of each order
 * into counts. Returns the first bad index or NONE. Expects the lock. */
static uint64_t check_frames(const struct buddy *b, uint64_t counts[BUDDY_ORDERS],
                             uint64_t *free_frames, uint64_t *managed)
{
    for (uint64_t i = 0; i < b->nframes;) {
        const struct buddy_frame *f = &b->meta[i];
        unsigned k = f->order;

        if (f->state == ST_ABSENT) {
            i++;
            continue;
        }
        if ((f->state != ST_FREE && f->state != ST_USED) || k > BUDDY_MAX_ORDER ||
            !aligned_at(b, i, k) || frames_of(k) > b->nframes - i)
            return i;
        for (uint64_t t = 1; t < frames_of(k); t++)
            if (b->meta[i + t].state != ST_TAIL)
                return i + t;
        if (f->state == ST_FREE) {
            uint64_t j = k < BUDDY_MAX_ORDER ? buddy_of(b, i, k) : NONE;

            if (j != NONE && b->meta[j].state == ST_FREE && b->meta[j].order == k)
                return i;
            counts[k]++;
            *free_frames += frames_of(k);
        }
        *managed += frames_of(k);
        i += frames_of(k);
    }
    return NONE;
}

/* Walks the order-k free list: every entry a free head of order k with a
 * matching back link, exactly counts[k] of them (so none is missing and
 * there is no cycle). Returns the first bad index or NONE. Expects the
 * lock. */
static uint64_t check_list(const struct buddy *b, unsigned k, uint64_t count)
{
    uint64_t n = 0;
    uint32_t prev = NONE;

    for (uint32_t i = b->free_head[k]; i != NONE; prev = i, i = b->meta[i].next) {
        if (i >= b->nframes || n == count)
            return prev == NONE ? 0 : prev;
        if (b->meta[i].state != ST_FREE || b->meta[i].order != k || b->meta[i].prev != prev)
            return i;
        n++;
    }
    return n == count && count == b->free_blocks[k] ? NONE : (prev == NONE ? 0 : prev);
}

/* Runs every check under the lock; see buddy.h. */
int buddy_check(struct buddy *b, uint64_t *bad_frame)
{
    uint64_t counts[BUDDY_ORDERS] = { 0 };
    uint64_t free_frames = 0, managed = 0, bad;
    hal_irq_state_t s;

    if (b == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&b->lock);
    bad = check_frames(b, counts, &free_frames, &managed);
    for (unsigned k = 0; k < BUDDY_ORDERS && bad == NONE; k++)
        bad = check_list(b, k, counts[k]);
    if (bad == NONE && (free_frames != b->free_frames || managed != b->managed_frames))
        bad = 0;
    spin_unlock_irqrestore(&b->lock, s);
    if (bad == NONE)
        return FB_OK;
    if (bad_frame != NULL)
        *bad_frame = bad;
    return FB_EINVAL;
}
