/* DMA buffer pools (dma.h). A pool hands out buddy blocks of one order
 * and remembers, in the caller's record array, each live buffer's
 * address and the root capability that owns it. The record is the
 * authority: a capability frees a buffer only if it is the very root the
 * record names, so copies (derived or granted) can use a buffer but
 * never free it. Lock order: pool lock, then buddy lock. */
#include "dma.h"

#include <stdbool.h>
#include <stdint.h>

#include "buddy.h"
#include "cap.h"
#include "hal/aspace.h"
#include "kerr.h"
#include "kstring.h"
#include "lattice.h"
#include "spinlock.h"

/* Sets up the pool; see dma.h. */
int dma_pool_init(struct dma_pool *p, struct buddy *b, uint64_t buf_size, uint64_t align,
                  struct dma_buf *bufs, uint32_t nbufs)
{
    unsigned size_order, align_order = 0;
    int err;

    if (p == NULL || b == NULL || bufs == NULL || nbufs == 0 || buf_size == 0 ||
        (align & (align - 1)) != 0)
        return FB_EINVAL;
    if ((err = buddy_order_for(buf_size, &size_order)) != FB_OK)
        return err;
    if (align != 0 && (err = buddy_order_for(align, &align_order)) != FB_OK)
        return err;
    /* base and nframes never change after buddy_init: no lock needed. */
    if (b->base > DMA_LIMIT || b->nframes > (DMA_LIMIT - b->base) / BUDDY_FRAME_SIZE)
        return FB_ERANGE;
    p->buddy = b;
    p->buf_size = buf_size;
    p->order = size_order > align_order ? size_order : align_order;
    p->bufs = bufs;
    p->nbufs = nbufs;
    for (uint32_t i = 0; i < nbufs; i++)
        bufs[i] = (struct dma_buf){ .pa = 0, .handle = CAP_HANDLE_NONE, .table = NULL };
    p->live = 0;
    p->allocs = p->frees = p->reclaimed = p->enomem = 0;
    /* Not shared yet: a plain initialization, nothing to order. */
    atomic_init(&p->lock.locked, 0);
    return FB_OK;
}

/* The record of the live buffer at pa, or NULL. Expects the pool lock. */
static struct dma_buf *find_live(struct dma_pool *p, uint64_t pa)
{
    for (uint32_t i = 0; i < p->nbufs; i++)
        if (p->bufs[i].table != NULL && p->bufs[i].pa == pa)
            return &p->bufs[i];
    return NULL;
}

/* Empties record r and gives its block back to the buddy. Expects the
 * pool lock; takes the buddy lock. */
static void release(struct dma_pool *p, struct dma_buf *r)
{
    /* Cannot fail: the record proves the block is allocated and ours. */
    buddy_free(p->buddy, r->pa);
    r->table = NULL;
    r->handle = CAP_HANDLE_NONE;
    p->live--;
}

/* Records a zeroed block at pa and creates its root capability in t.
 * Takes the pool lock. */
static int publish(struct dma_pool *p, struct cap_table *t, uint64_t pa, cap_handle_t *h)
{
    hal_irq_state_t s = spin_lock_irqsave(&p->lock);
    struct dma_buf *r = NULL;
    int err = FB_ENOMEM;

    for (uint32_t i = 0; i < p->nbufs && r == NULL; i++)
        if (p->bufs[i].table == NULL)
            r = &p->bufs[i];
    if (r != NULL)
        err = cap_create(t, CAP_T_DMA, pa, DMA_RIGHTS, lattice_bottom(), h);
    if (err == FB_OK) {
        *r = (struct dma_buf){ .pa = pa, .handle = *h, .table = t };
        p->live++;
        p->allocs++;
    } else if (err == FB_ENOMEM) {
        p->enomem++;
    }
    spin_unlock_irqrestore(&p->lock, s);
    return err;
}

/* Takes a block, zeroes it outside any lock, then publishes it. */
int dma_alloc(struct dma_pool *p, struct cap_table *t, cap_handle_t *h, uint64_t *pa,
              void **kva)
{
    uint64_t block;
    void *ptr;
    int err;

    if (p == NULL || t == NULL || h == NULL || pa == NULL || kva == NULL)
        return FB_EINVAL;
    err = buddy_alloc(p->buddy, p->order, &block);
    if (err == FB_ENOMEM) {
        hal_irq_state_t s = spin_lock_irqsave(&p->lock);

        p->enomem++;
        spin_unlock_irqrestore(&p->lock, s);
    }
    if (err != FB_OK)
        return err;
    ptr = hal_phys_to_virt(block);
    if (ptr == NULL || hal_phys_to_virt(block + BUDDY_BLOCK_BYTES(p->order) - 1) == NULL) {
        buddy_free(p->buddy, block);
        return FB_EFAULT;
    }
    /* Old contents must not leak to the environment that gets the buffer. */
    kmemset(ptr, 0, BUDDY_BLOCK_BYTES(p->order));
    if ((err = publish(p, t, block, h)) != FB_OK) {
        buddy_free(p->buddy, block);
        return err;
    }
    *pa = block;
    *kva = ptr;
    return FB_OK;
}

/* Checks that h is the root of a live buffer of p in t, deletes it and
 * frees the buffer, all under the pool lock so two frees cannot both
 * pass the check. */
int dma_free(struct dma_pool *p, struct cap_table *t, cap_handle_t h)
{
    struct cap_info ci;
    struct dma_buf *r = NULL;
    hal_irq_state_t s;
    int err;

    if (p == NULL || t == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&p->lock);
    err = cap_lookup(t, h, &ci);
    if (err == FB_OK && ci.type != CAP_T_DMA)
        err = FB_EINVAL;
    if (err == FB_OK) {
        r = find_live(p, ci.object);
        if (r == NULL || r->table != t || r->handle != h)
            err = FB_EPERM;
    }
    if (err == FB_OK) {
        /* FB_ESTALE here means the owner deleted the root itself between
         * the lookup and now: the buffer is an orphan, take it back too. */
        err = cap_delete(t, h);
        release(p, r);
        p->frees++;
    }
    spin_unlock_irqrestore(&p->lock, s);
    return err;
}

/* Frees every buffer whose root no longer exists; takes the pool lock. */
int dma_pool_reclaim(struct dma_pool *p, uint32_t *n)
{
    uint32_t count = 0;
    hal_irq_state_t s;

    if (p == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&p->lock);
    for (uint32_t i = 0; i < p->nbufs; i++) {
        struct dma_buf *r = &p->bufs[i];

        /* A root has no ancestor, so FB_ESTALE (deleted) is the only way
         * it stops verifying. */
        if (r->table != NULL && cap_verify(r->table, r->handle, 0) == FB_ESTALE) {
            release(p, r);
            count++;
        }
    }
    p->reclaimed += count;
    spin_unlock_irqrestore(&p->lock, s);
    if (n != NULL)
        *n = count;
    return FB_OK;
}

/* Copies the counts under the pool lock. */
int dma_pool_stats(struct dma_pool *p, struct dma_pool_stats *st)
{
    hal_irq_state_t s;

    if (p == NULL || st == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&p->lock);
    st->buf_size = p->buf_size;
    st->block_bytes = BUDDY_BLOCK_BYTES(p->order);
    st->capacity = p->nbufs;
    st->live = p->live;
    st->allocs = p->allocs;
    st->frees = p->frees;
    st->reclaimed = p->reclaimed;
    st->enomem = p->enomem;
    spin_unlock_irqrestore(&p->lock, s);
    return FB_OK;
}
