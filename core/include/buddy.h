/* Buddy frame allocator: blocks of 2^order frames (order 0 .. BUDDY_MAX_ORDER)
 * over one physical range, split on allocation and coalesced on free. All
 * bookkeeping lives in caller-provided metadata, one entry per frame; the
 * managed memory itself is never read or written, so the allocator works
 * on ranges the kernel cannot (or must not) touch and is testable anywhere.
 *
 * Blocks are aligned to their size in physical address space: a block of
 * order k starts at a multiple of 4 KiB << k. A range whose base is not so
 * aligned, or whose size is not a power of two, is carved into the largest
 * aligned blocks that fit; holes are simply never added. */
#ifndef FB_BUDDY_H
#define FB_BUDDY_H

#include <stddef.h>
#include <stdint.h>

#include "kerr.h"
#include "spinlock.h"

/** Bytes in one frame, the order-0 block. */
#define BUDDY_FRAME_SIZE 4096u
/** Largest order: blocks of up to 2^10 frames (4 MiB). */
#define BUDDY_MAX_ORDER 10u
/** Number of orders, 0 .. BUDDY_MAX_ORDER. */
#define BUDDY_ORDERS (BUDDY_MAX_ORDER + 1u)
/** Bytes in a block of @p order. */
#define BUDDY_BLOCK_BYTES(order) ((uint64_t)BUDDY_FRAME_SIZE << (order))
/** Most frames one allocator manages (metadata indexes are 32 bits). */
#define BUDDY_MAX_FRAMES ((uint64_t)UINT32_MAX - 1u)

/** Metadata of one frame, in the caller's array; treat as opaque. */
struct buddy_frame {
    uint32_t next;  /**< free list: index of the next free block head */
    uint32_t prev;  /**< free list: index of the previous free block head */
    uint8_t order;  /**< block order, for block heads */
    uint8_t state;  /**< absent, free head, allocated head or tail */
    uint16_t pad;   /**< unused, keeps the entry at 12 bytes */
};

/** Allocator state; treat as opaque. @ref base, @ref nframes and @ref meta
 *  are fixed at init; the rest is guarded by @ref lock. */
struct buddy {
    uint64_t base;                       /**< physical address of frame 0 (page aligned) */
    uint64_t nframes;                    /**< frames covered by @ref meta */
    struct buddy_frame *meta;            /**< @ref nframes entries, caller's memory */
    uint32_t free_head[BUDDY_ORDERS];    /**< first free block of each order */
    uint64_t free_blocks[BUDDY_ORDERS];  /**< free blocks of each order */
    uint64_t free_frames;                /**< frames in free blocks */
    uint64_t managed_frames;             /**< frames added with buddy_add_range */
    spinlock_t lock;                     /**< irq-saving spinlock over this allocator */
};

/** A consistent snapshot of an allocator's counts. */
struct buddy_stats {
    uint64_t managed_frames;              /**< frames added (free or allocated) */
    uint64_t free_frames;                 /**< frames in free blocks */
    uint64_t free_blocks[BUDDY_ORDERS];   /**< free blocks of each order */
    uint64_t largest_free_bytes;          /**< size of the largest free block, 0 when none */
    int largest_free_order;               /**< order of the largest free block, -1 when none */
};

/** Bytes of metadata an allocator over @p nframes frames needs
 *  (12 per frame). */
size_t buddy_meta_bytes(uint64_t nframes);

/**
 * Makes an empty allocator for the physical range [@p base, @p base +
 * @p nframes * 4 KiB) with @p meta (@p meta_bytes bytes, 4-byte aligned,
 * contents ignored). No frame is free yet: hand memory to it with
 * buddy_add_range, leaving holes (reserved frames) out.
 * Errors: FB_EINVAL (NULL, nframes 0 or above BUDDY_MAX_FRAMES, range
 * wrapping around), FB_EALIGN (@p base not page aligned), FB_ERANGE
 * (@p meta_bytes below buddy_meta_bytes(@p nframes)).
 */
int buddy_init(struct buddy *b, uint64_t base, uint64_t nframes, struct buddy_frame *meta,
               size_t meta_bytes);

/**
 * Adds the frames of [@p pa, @p pa + @p len) to the free memory, carved
 * into maximal aligned blocks and coalesced with free neighbours added
 * before. Takes the lock. Errors: FB_EALIGN (@p pa or @p len not page
 * aligned), FB_EINVAL (@p len 0, or the range leaves the allocator's),
 * FB_EEXIST (a frame of the range was added before; nothing is added).
 */
int buddy_add_range(struct buddy *b, uint64_t pa, uint64_t len);

/**
 * The smallest order whose block holds @p bytes, into *@p order.
 * Errors: FB_EINVAL (@p bytes 0, @p order NULL), FB_ERANGE (more than
 * a block of BUDDY_MAX_ORDER).
 */
int buddy_order_for(uint64_t bytes, unsigned *order);

/**
 * Allocates a block of 2^@p order frames, aligned to its size, and
 * returns its physical address in *@p pa. Splits the smallest free block
 * that fits. O(BUDDY_MAX_ORDER). Takes the lock.
 * Errors: FB_EINVAL (NULL, @p order above BUDDY_MAX_ORDER), FB_ENOMEM (no
 * free block of that order or larger).
 */
int buddy_alloc(struct buddy *b, unsigned order, uint64_t *pa);

/**
 * Frees the allocated block starting at @p pa (its order is in the
 * metadata) and coalesces it with its free buddies. O(BUDDY_MAX_ORDER).
 * Takes the lock. Errors: FB_EALIGN (@p pa not page aligned), FB_EINVAL
 * (@p b NULL, @p pa outside the range, in a hole, free already (double
 * free) or inside a block rather than at its start).
 */
int buddy_free(struct buddy *b, uint64_t pa);

/** Order of the allocated block starting at @p pa into *@p order.
 *  Takes the lock. Errors: those of buddy_free, FB_EINVAL for NULL. */
int buddy_block_order(struct buddy *b, uint64_t pa, unsigned *order);

/** Fills @p st with the counts of @p b (fragmentation: free blocks per
 *  order and the largest one). Takes the lock. Errors: FB_EINVAL (NULL). */
int buddy_stats(struct buddy *b, struct buddy_stats *st);

/**
 * Invariant checker, under the lock: every frame is absent, a block
 * head or a tail of the head before it; every head's block is aligned,
 * inside the range and made of tails; no free block has a free buddy of
 * the same order (coalescing is complete); each free list holds exactly
 * the free heads of its order, doubly linked; the counts match.
 * O(frames). Errors: FB_EINVAL (@p b NULL, or an invariant broken: the
 * first bad frame index goes to *@p bad_frame when not NULL).
 */
int buddy_check(struct buddy *b, uint64_t *bad_frame);

#endif
