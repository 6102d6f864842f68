/* DMA buffer pools: physically contiguous, zeroed buffers below 4 GiB,
 * carved from a buddy allocator and owned through capabilities. Each
 * allocation creates a root CAP_T_DMA capability in the caller's table;
 * only that root can free the buffer, and freeing deletes it, so every
 * copy derived or granted from it dies with the buffer. */
#ifndef FB_DMA_H
#define FB_DMA_H

#include <stdint.h>

#include "buddy.h"
#include "cap.h"
#include "kerr.h"
#include "spinlock.h"

/** Buffers end at or below this physical address (32-bit DMA). */
#define DMA_LIMIT ((uint64_t)1 << 32)

/** Rights of the root capability dma_alloc creates: use the buffer
 *  (read, write, map) and share it under the owner's control (grant,
 *  derive, revoke). Never CAP_R_EXEC. The label is lattice_bottom(), so
 *  the capability fits in any table and children may raise it. */
#define DMA_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_GRANT | CAP_R_DERIVE | \
                    CAP_R_REVOKE)

/** One buffer record of a pool, in the caller's array; treat as opaque. */
struct dma_buf {
    uint64_t pa;               /**< physical address; meaningful while @ref table is set */
    cap_handle_t handle;       /**< the root capability dma_alloc created */
    struct cap_table *table;   /**< table holding @ref handle; NULL for an unused record */
};

/** A DMA pool; treat as opaque. @ref buddy .. @ref nbufs are fixed at
 *  init; the fields after them are guarded by @ref lock. */
struct dma_pool {
    struct buddy *buddy;       /**< where buffers come from (may be shared) */
    uint64_t buf_size;         /**< bytes asked for at init */
    unsigned order;            /**< buddy order of every buffer */
    struct dma_buf *bufs;      /**< @ref nbufs records, caller's memory */
    uint32_t nbufs;            /**< most live buffers */
    uint32_t live;             /**< records in use */
    uint64_t allocs;           /**< successful dma_alloc calls */
    uint64_t frees;            /**< buffers returned by dma_free */
    uint64_t reclaimed;        /**< buffers returned by dma_pool_reclaim */
    uint64_t enomem;           /**< dma_alloc calls that found no memory or record */
    spinlock_t lock;           /**< irq-saving spinlock over the records and counts */
};

/** A consistent snapshot of a pool. */
struct dma_pool_stats {
    uint64_t buf_size;         /**< bytes asked for at init */
    uint64_t block_bytes;      /**< bytes actually reserved (and zeroed) per buffer */
    uint32_t capacity;         /**< records: the most buffers live at once */
    uint32_t live;             /**< buffers allocated and not yet freed */
    uint64_t allocs;           /**< successful allocations */
    uint64_t frees;            /**< buffers freed by dma_free */
    uint64_t reclaimed;        /**< orphaned buffers taken back by dma_pool_reclaim */
    uint64_t enomem;           /**< allocations refused with FB_ENOMEM */
};

/**
 * Makes a pool of buffers of @p buf_size bytes aligned to @p align over
 * @p b, with @p bufs (@p nbufs records, contents ignored) to track them.
 * Each buffer is one buddy block of the smallest order holding both
 * @p buf_size and @p align, so it is physically contiguous and aligned
 * to that block size (at least 4 KiB; an @p align below 4096 means
 * page alignment). @p b must lie wholly below DMA_LIMIT; it may be
 * shared with other pools or users.
 * Errors: FB_EINVAL (NULL, @p buf_size or @p nbufs 0, @p align neither 0
 * nor a power of two), FB_ERANGE (@p buf_size or @p align above a
 * block of BUDDY_MAX_ORDER, or @p b reaching above DMA_LIMIT).
 */
int dma_pool_init(struct dma_pool *p, struct buddy *b, uint64_t buf_size, uint64_t align,
                  struct dma_buf *bufs, uint32_t nbufs);

/**
 * Allocates a zeroed buffer and creates its root capability in @p t:
 * type CAP_T_DMA, object = the buffer's physical address, rights
 * DMA_RIGHTS, label lattice_bottom(). Returns the handle in *@p h, the
 * physical address in *@p pa and a kernel pointer (hal_phys_to_virt) in
 * *@p kva. O(nbufs) plus the zeroing, which runs outside every lock.
 * Takes the buddy lock, then the pool lock, never both at once.
 * Errors: FB_EINVAL (NULL), FB_ENOMEM (the buddy has no block of the
 * pool's order, or every record is in use), FB_EFAULT (the block is not
 * RAM the HAL can reach), those of cap_create (FB_ENOSPC: @p t full).
 * Nothing is allocated when it fails.
 */
int dma_alloc(struct dma_pool *p, struct cap_table *t, cap_handle_t *h, uint64_t *pa,
              void **kva);

/**
 * Frees the buffer named by @p h: @p h must be the root capability
 * dma_alloc created for a live buffer of this pool, in @p t. Deletes
 * it, so every derived or granted copy stops verifying, then returns the
 * memory. Revoking the root's descendants first is allowed and changes
 * nothing here. O(nbufs). Takes the pool lock and then the buddy lock.
 * Errors: FB_EINVAL (NULL, or @p h is not a CAP_T_DMA capability),
 * FB_EBADCAP, FB_ESTALE (a second free: the handle died with the first),
 * FB_EREVOKED (a copy whose ancestor was revoked), FB_EPERM (the
 * capability is a derived or granted copy, lives in another table, or
 * names a buffer this pool did not hand out: another pool's, or none).
 */
int dma_free(struct dma_pool *p, struct cap_table *t, cap_handle_t h);

/**
 * Takes back every buffer whose root capability was deleted without
 * dma_free (cap_delete on it, or cap_table_reset of its table when its
 * environment died). Stores how many in *@p n when @p n is not NULL.
 * O(nbufs). Takes the pool lock and then the buddy lock.
 * Errors: FB_EINVAL (@p p NULL).
 */
int dma_pool_reclaim(struct dma_pool *p, uint32_t *n);

/** Fills @p st with the pool's counts under its lock.
 *  Errors: FB_EINVAL (NULL). */
int dma_pool_stats(struct dma_pool *p, struct dma_pool_stats *st);

#endif
