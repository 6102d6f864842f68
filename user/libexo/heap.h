/* A first-fit free-list heap over one contiguous region that grows page
 * by page at its top. Where the pages come from is a function pointer:
 * libexo's malloc uses mem_alloc, the host tests use host memory. No
 * libc names here, so the same file builds into host tests. */
#ifndef LIBEXO_HEAP_H
#define LIBEXO_HEAP_H

#include <stddef.h>
#include <stdint.h>

/** Payload alignment; also the header size and the size granule. */
#define HEAP_ALIGN 16u
/** Page size the region grows by. */
#define HEAP_PAGE 4096u
/** Pages the heap asks for at least per growth, to keep syscalls rare. */
#define HEAP_GROW_PAGES 16u

/**
 * Makes @p pages fresh pages readable and writable at @p va (page
 * aligned; always the heap's current top). @return 0, or a negative
 * FB_E* code when no memory is to be had (nothing must be mapped then).
 */
typedef int (*heap_grow_fn)(void *ctx, uintptr_t va, size_t pages);

struct heap_free_block;

/** One heap. Blocks tile [base, top): a 16-byte header (size, tag) and
 *  the payload; free blocks sit on an address-ordered list. */
struct heap {
    uintptr_t base;                 /**< region start, page aligned */
    uintptr_t top;                  /**< end of the pages obtained so far */
    uintptr_t limit;                /**< the region may not grow past this */
    heap_grow_fn grow;              /**< page source */
    void *ctx;                      /**< passed to grow */
    struct heap_free_block *free;   /**< free blocks, ascending addresses */
    size_t used;                    /**< bytes of blocks in use, headers included */
};

/** Sets up an empty heap over [base, limit) (page aligned); no page is
 *  requested until the first allocation. */
void heap_init(struct heap *h, uintptr_t base, uintptr_t limit, heap_grow_fn grow, void *ctx);

/** Returns @p n bytes aligned to HEAP_ALIGN (a unique pointer for n = 0),
 *  or NULL when the region or the page source is exhausted. */
void *heap_alloc(struct heap *h, size_t n);

/** Like heap_alloc for @p n * @p size zeroed bytes; NULL on overflow. */
void *heap_calloc(struct heap *h, size_t n, size_t size);

/** Frees @p p (NULL is a no-op). @return FB_OK, or FB_EINVAL when @p p
 *  is not a live block of this heap (a double free included). */
int heap_free(struct heap *h, void *p);

/**
 * Resizes @p p to @p n bytes, in place when the block or its free
 * neighbour allows, else by moving it; *@p out gets the new pointer
 * (NULL when n = 0: the block is freed). @return FB_OK; FB_ENOMEM (@p p
 * is left as it was); FB_EINVAL (@p p is not a live block).
 */
int heap_realloc(struct heap *h, void *p, size_t n, void **out);

/** Bytes usable at @p p, a live block (>= what was asked for). */
size_t heap_usable(const void *p);

/** Checks every invariant: blocks tile [base, top) with valid sizes and
 *  tags, the free list is sorted, complete and has no two adjacent
 *  blocks, and the used count adds up. @return FB_OK or FB_EINVAL. */
int heap_check(const struct heap *h);

#endif
