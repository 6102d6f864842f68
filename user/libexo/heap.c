/* The heap behind malloc (heap.h): first fit over an address-ordered
 * free list, split on allocation, merged with both neighbours on free, so
 * free space never sits in two adjacent blocks. Every block starts with a
 * 16-byte header (size, tag); the tag lets free and realloc refuse
 * pointers that are not live blocks instead of corrupting the list. */
#include "heap.h"

#include <stdbool.h>

#include "kerr.h"
#include "kstring.h"

#define TAG_USED 0x55534544a110c8edull
#define TAG_FREE 0x46524545f4eeb10cull
/* A free block must hold its header and the list link. */
#define MIN_BLOCK (2u * HEAP_ALIGN)

struct heap_hdr {
    size_t size;     /* whole block, header included; a multiple of HEAP_ALIGN */
    uint64_t tag;    /* TAG_USED or TAG_FREE */
};

struct heap_free_block {
    struct heap_hdr hdr;
    struct heap_free_block *next;
};

_Static_assert(sizeof(struct heap_hdr) == HEAP_ALIGN, "the header keeps payloads aligned");
_Static_assert(sizeof(struct heap_free_block) <= MIN_BLOCK, "a free block fits in MIN_BLOCK");

/* Header of the block whose payload is p. */
static struct heap_hdr *hdr_of(const void *p)
{
    return (struct heap_hdr *)((uintptr_t)p - HEAP_ALIGN);
}

/* Block size for an n-byte request (header, rounding, minimum); 0 when
 * the request cannot be represented. */
static size_t block_size(size_t n)
{
    if (n > SIZE_MAX - 2 * HEAP_ALIGN)
        return 0;
    size_t s = (n + 2 * HEAP_ALIGN - 1) & ~(size_t)(HEAP_ALIGN - 1);
    return s < MIN_BLOCK ? MIN_BLOCK : s;
}

/* The header of p when p is the payload of a live block of h, else NULL. */
static struct heap_hdr *live_block(const struct heap *h, const void *p)
{
    uintptr_t a = (uintptr_t)p;

    if (a % HEAP_ALIGN != 0 || a < h->base + HEAP_ALIGN || a >= h->top)
        return NULL;
    struct heap_hdr *b = hdr_of(p);
    if (b->tag != TAG_USED || b->size < MIN_BLOCK || b->size % HEAP_ALIGN != 0 ||
        b->size > h->top - (uintptr_t)b)
        return NULL;
    return b;
}

/* Puts [addr, addr + size) on the free list in address order, merged
 * with a free block that ends at addr or starts at addr + size. */
static void insert_free(struct heap *h, uintptr_t addr, size_t size)
{
    struct heap_free_block *prev = NULL;
    struct heap_free_block *cur = h->free;
    struct heap_free_block *b = (struct heap_free_block *)addr;

    while (cur != NULL && (uintptr_t)cur < addr) {
        prev = cur;
        cur = cur->next;
    }
    b->hdr.size = size;
    b->hdr.tag = TAG_FREE;
    b->next = cur;
    if (cur != NULL && addr + size == (uintptr_t)cur) {
        b->hdr.size += cur->hdr.size;
        b->next = cur->next;
    }
    if (prev != NULL && (uintptr_t)prev + prev->hdr.size == addr) {
        prev->hdr.size += b->hdr.size;
        prev->next = b->next;
    } else if (prev != NULL) {
        prev->next = b;
    } else {
        h->free = b;
    }
}

/* Hands out need bytes of free block b (prev: its list predecessor),
 * leaving the rest on the list when it can stand as a block. */
static void *take(struct heap *h, struct heap_free_block *prev, struct heap_free_block *b,
                  size_t need)
{
    struct heap_free_block *next = b->next;
    size_t rest = b->hdr.size - need;

    if (rest >= MIN_BLOCK) {
        struct heap_free_block *r = (struct heap_free_block *)((uintptr_t)b + need);
        r->hdr.size = rest;
        r->hdr.tag = TAG_FREE;
        r->next = next;
        next = r;
        b->hdr.size = need;
    }
    if (prev != NULL)
        prev->next = next;
    else
        h->free = next;
    b->hdr.tag = TAG_USED;
    h->used += b->hdr.size;
    return (void *)((uintptr_t)b + HEAP_ALIGN);
}

/* Gets pages at the top so that a block of need bytes fits: at least
 * HEAP_GROW_PAGES, or exactly enough when the source refuses that many.
 * False when the region or the source is exhausted. */
static bool extend(struct heap *h, size_t need)
{
    struct heap_free_block *last = h->free;
    size_t have = 0;

    if (last != NULL) {
        while (last->next != NULL)
            last = last->next;
        if ((uintptr_t)last + last->hdr.size == h->top)
            have = last->hdr.size;   /* the tail block grows into the new pages */
    }
    size_t more = need - have;       /* > 0: first fit found no block of need bytes */
    size_t room = h->limit - h->top;
    if (more > room)
        return false;
    size_t pages = (more + HEAP_PAGE - 1) / HEAP_PAGE;
    size_t want = pages < HEAP_GROW_PAGES ? HEAP_GROW_PAGES : pages;
    if (want > room / HEAP_PAGE)
        want = room / HEAP_PAGE;
    if (h->grow(h->ctx, h->top, want) != 0) {
        if (want == pages || h->grow(h->ctx, h->top, pages) != 0)
            return false;
        want = pages;
    }
    uintptr_t old = h->top;
    h->top += want * HEAP_PAGE;
    insert_free(h, old, want * HEAP_PAGE);
    return true;
}

/* Cuts live block b down to need bytes; a tail big enough to be a block
 * goes back to the free list (merged with a free right neighbour). */
static void shrink(struct heap *h, struct heap_hdr *b, size_t need)
{
    size_t rest = b->size - need;

    if (rest < MIN_BLOCK)
        return;
    b->size = need;
    h->used -= rest;
    insert_free(h, (uintptr_t)b + need, rest);
}

/* Sets up an empty heap; see heap.h. */
void heap_init(struct heap *h, uintptr_t base, uintptr_t limit, heap_grow_fn grow, void *ctx)
{
    *h = (struct heap){ .base = base, .top = base, .limit = limit, .grow = grow, .ctx = ctx };
}

/* First fit, growing the region once when nothing fits. */
void *heap_alloc(struct heap *h, size_t n)
{
    size_t need = block_size(n);

    if (need == 0)
        return NULL;
    for (int pass = 0; pass < 2; pass++) {
        struct heap_free_block *prev = NULL;
        for (struct heap_free_block *b = h->free; b != NULL; prev = b, b = b->next) {
            if (b->hdr.size >= need)
                return take(h, prev, b, need);
        }
        if (pass == 0 && !extend(h, need))
            return NULL;
    }
    return NULL;
}

/* heap_alloc of n * size zeroed bytes, refusing a product that overflows. */
void *heap_calloc(struct heap *h, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = heap_alloc(h, n * size);
    if (p != NULL)
        kmemset(p, 0, n * size);   /* reused blocks hold old data */
    return p;
}

/* Returns a live block to the free list. */
int heap_free(struct heap *h, void *p)
{
    if (p == NULL)
        return FB_OK;
    struct heap_hdr *b = live_block(h, p);
    if (b == NULL)
        return FB_EINVAL;
    h->used -= b->size;
    insert_free(h, (uintptr_t)b, b->size);
    return FB_OK;
}

/* Shrinks in place, grows into a free right neighbour, or moves. */
int heap_realloc(struct heap *h, void *p, size_t n, void **out)
{
    if (p == NULL) {
        *out = heap_alloc(h, n);
        return *out != NULL ? FB_OK : FB_ENOMEM;
    }
    struct heap_hdr *b = live_block(h, p);
    if (b == NULL)
        return FB_EINVAL;
    if (n == 0) {
        *out = NULL;
        return heap_free(h, p);
    }
    size_t need = block_size(n);
    if (need == 0)
        return FB_ENOMEM;
    if (need <= b->size) {
        shrink(h, b, need);
        *out = p;
        return FB_OK;
    }
    uintptr_t end = (uintptr_t)b + b->size;
    struct heap_free_block *prev = NULL;
    struct heap_free_block *f = h->free;
    while (f != NULL && (uintptr_t)f < end) {
        prev = f;
        f = f->next;
    }
    if (f != NULL && (uintptr_t)f == end && b->size + f->hdr.size >= need) {
        if (prev != NULL)
            prev->next = f->next;
        else
            h->free = f->next;
        h->used += f->hdr.size;
        b->size += f->hdr.size;
        shrink(h, b, need);
        *out = p;
        return FB_OK;
    }
    void *q = heap_alloc(h, n);
    if (q == NULL)
        return FB_ENOMEM;
    kmemcpy(q, p, b->size - HEAP_ALIGN);   /* the old payload; smaller than n */
    heap_free(h, p);
    *out = q;
    return FB_OK;
}

/* Payload bytes of a live block. */
size_t heap_usable(const void *p)
{
    return hdr_of(p)->size - HEAP_ALIGN;
}

/* Walks the blocks from base to top and the free list alongside: both
 * must meet the same free blocks in the same order. */
int heap_check(const struct heap *h)
{
    const struct heap_free_block *f = h->free;
    size_t used = 0;
    bool prev_free = false;

    if (h->base % HEAP_PAGE != 0 || h->top % HEAP_PAGE != 0 || h->top < h->base ||
        h->top > h->limit)
        return FB_EINVAL;
    for (uintptr_t a = h->base; a < h->top;) {
        const struct heap_hdr *b = (const struct heap_hdr *)a;
        if (b->size < MIN_BLOCK || b->size % HEAP_ALIGN != 0 || b->size > h->top - a)
            return FB_EINVAL;
        if (b->tag == TAG_FREE) {
            if (prev_free || (uintptr_t)f != a)
                return FB_EINVAL;   /* unmerged neighbours, or list out of step */
            f = f->next;
            prev_free = true;
        } else if (b->tag == TAG_USED) {
            used += b->size;
            prev_free = false;
        } else {
            return FB_EINVAL;
        }
        a += b->size;
    }
    if (f != NULL || used != h->used)
        return FB_EINVAL;
    return FB_OK;
}
