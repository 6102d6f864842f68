/* User frames: every frame an environment allocated, with its owner and
 * how many address spaces map it. A frame is freed when its owner gives
 * it up and no mapping is left, in whichever order those happen, so a
 * frame granted to and mapped by another environment outlives its owner
 * safely. DMA buffers are recorded too, for their mapping counts; their
 * memory belongs to the DMA pool, so dropping such a record frees
 * nothing (dma_free or the pool's reclaim returns the buffer). One
 * open-addressing hash table keyed by physical address
 * (linear probing, backward-shift deletion; frame 0 is never handed out,
 * so pa 0 marks an empty bucket), under one spinlock. */
#include <stdbool.h>
#include <stdint.h>

#include "env.h"
#include "frame.h"
#include "hal/aspace.h"
#include "kerr.h"
#include "kstring.h"
#include "spinlock.h"

#define UMEM_LIMIT_MAX 32768u              /* frames all environments may own */
#define UMEM_BUCKETS   (2u * UMEM_LIMIT_MAX) /* load factor at most 1/2 */
#define TEARDOWN_CHUNK 4096u   /* buckets umem_teardown scans per lock hold */
#define TEARDOWN_BATCH 64u     /* frames it frees per lock release */

struct umem_frame {
    uint64_t pa;        /* 0: empty bucket */
    uint32_t owner;     /* environment id; 0 once released (an orphan) */
    uint32_t maps;      /* mappings in any address space */
    bool with_cap;      /* named by a capability (CAP_T_MEMORY or CAP_T_DMA) */
    bool dma;           /* a DMA pool buffer: not the frame allocator's */
};

static struct umem_frame table[UMEM_BUCKETS];
static spinlock_t umem_lock;
static uint64_t owned;       /* frames with a bucket: owned or mapped */
static uint64_t limit;

/* Bucket a physical address hashes to (Fibonacci hashing of the frame
 * number: allocations are mostly sequential). */
static uint32_t bucket_of(uint64_t pa)
{
    return (uint32_t)(((pa >> 12) * 0x9E3779B97F4A7C15ull) >> 48) & (UMEM_BUCKETS - 1);
}

/* The bucket holding pa, or NULL. Expects umem_lock. */
static struct umem_frame *find_locked(uint64_t pa)
{
    for (uint32_t i = bucket_of(pa);; i = (i + 1) & (UMEM_BUCKETS - 1)) {
        if (table[i].pa == pa)
            return &table[i];
        if (table[i].pa == 0)
            return NULL;
    }
}

/* Empties bucket f and shifts later members of its probe run back so
 * lookups never stop early at the hole. Expects umem_lock. */
static void remove_locked(struct umem_frame *f)
{
    uint32_t hole = (uint32_t)(f - table);

    for (uint32_t i = (hole + 1) & (UMEM_BUCKETS - 1); table[i].pa != 0;
         i = (i + 1) & (UMEM_BUCKETS - 1)) {
        uint32_t home = bucket_of(table[i].pa);

        /* i may fill the hole when its home is not in (hole, i]. */
        if (((i - home) & (UMEM_BUCKETS - 1)) >= ((i - hole) & (UMEM_BUCKETS - 1))) {
            table[hole] = table[i];
            hole = i;
        }
    }
    table[hole].pa = 0;
    owned--;
}

/* Drops f's record when nobody owns or maps it; returns the frame the
 * caller must free outside the lock (0: none, also for a DMA buffer,
 * which goes back to its pool another way). Expects umem_lock. */
static uint64_t drop_if_unused_locked(struct umem_frame *f)
{
    uint64_t pa = f->dma ? 0 : f->pa;

    if (f->owner != 0 || f->maps != 0)
        return 0;
    remove_locked(f);
    return pa;
}

/* Stores a new record for pa in its bucket. Expects umem_lock and a
 * table below the limit. */
static void insert_locked(uint64_t pa, uint32_t owner, bool with_cap, bool dma)
{
    struct umem_frame *f = &table[bucket_of(pa)];

    while (f->pa != 0)
        f = &table[(f - table + 1) & (UMEM_BUCKETS - 1)];
    *f = (struct umem_frame){ .pa = pa, .owner = owner, .with_cap = with_cap, .dma = dma };
    owned++;
}

/* Resets the pool to empty with room for lim frames (capped). */
void umem_init(uint64_t lim)
{
    kmemset(table, 0, sizeof(table));
    owned = 0;
    limit = lim < UMEM_LIMIT_MAX ? lim : UMEM_LIMIT_MAX;
}

/* Allocates and zeroes a frame for e; takes umem_lock. */
int umem_alloc(struct env *e, bool with_cap, uint64_t *pa)
{
    const struct env_system *sys = env_system();
    hal_irq_state_t s;
    void *kva;
    uint64_t p;

    if (e == NULL || pa == NULL)
        return FB_EINVAL;
    /* relaxed here and below: a count; umem_lock orders the records. */
    if (atomic_load_explicit(&e->pages, memory_order_relaxed) >= ENV_PAGES_MAX)
        return FB_ENOMEM;
    if (frame_alloc(sys->frames, &p) != FB_OK)
        return FB_ENOMEM;
    kva = hal_phys_to_virt(p);
    if (kva == NULL) {
        frame_free(sys->frames, p);
        return FB_ENOMEM;
    }
    kmemset(kva, 0, HAL_PAGE_SIZE);
    s = spin_lock_irqsave(&umem_lock);
    if (owned >= limit) {
        spin_unlock_irqrestore(&umem_lock, s);
        frame_free(sys->frames, p);
        return FB_ENOMEM;
    }
    insert_locked(p, e->id, with_cap, false);
    spin_unlock_irqrestore(&umem_lock, s);
    atomic_fetch_add_explicit(&e->pages, 1, memory_order_relaxed);
    *pa = p;
    return FB_OK;
}

/* Records DMA buffer page pa as e's, so it can be mapped and counted;
 * takes umem_lock. */
int umem_adopt_dma(struct env *e, uint64_t pa)
{
    hal_irq_state_t s = spin_lock_irqsave(&umem_lock);
    int err = FB_OK;

    if (find_locked(pa) != NULL)
        err = FB_EEXIST;
    else if (owned >= limit)
        err = FB_ENOMEM;
    else
        insert_locked(pa, e->id, true, true);
    spin_unlock_irqrestore(&umem_lock, s);
    return err;
}

/* Gives up e's ownership of pa; takes umem_lock. */
int umem_release(struct env *e, uint64_t pa)
{
    hal_irq_state_t s = spin_lock_irqsave(&umem_lock);
    struct umem_frame *f = find_locked(pa);
    uint64_t dead;

    if (f == NULL || f->owner == 0) {
        spin_unlock_irqrestore(&umem_lock, s);
        return FB_ENOENT;
    }
    if (f->owner != e->id) {
        spin_unlock_irqrestore(&umem_lock, s);
        return FB_EPERM;
    }
    f->owner = 0;
    if (!f->dma)
        atomic_fetch_sub_explicit(&e->pages, 1, memory_order_relaxed);
    dead = drop_if_unused_locked(f);
    spin_unlock_irqrestore(&umem_lock, s);
    if (dead != 0)
        frame_free(env_system()->frames, dead);
    return FB_OK;
}

/* Maps pa at va in e and counts it; takes umem_lock around the count. */
int umem_map(struct env *e, uintptr_t va, uint64_t pa, uint32_t hal_flags)
{
    hal_irq_state_t s = spin_lock_irqsave(&umem_lock);
    struct umem_frame *f = find_locked(pa);
    int err;

    if (f == NULL) {
        spin_unlock_irqrestore(&umem_lock, s);
        return FB_ENOENT;
    }
    /* Counted before the map so a concurrent release cannot free the
     * frame in between; undone below when the map fails. */
    f->maps++;
    spin_unlock_irqrestore(&umem_lock, s);
    err = hal_aspace_map(e->as, va, pa, hal_flags);
    if (err != FB_OK) {
        uint64_t dead;

        s = spin_lock_irqsave(&umem_lock);
        f = find_locked(pa);
        f->maps--;
        dead = drop_if_unused_locked(f);
        spin_unlock_irqrestore(&umem_lock, s);
        if (dead != 0)
            frame_free(env_system()->frames, dead);
    }
    return err;
}

/* Unmaps va in e and drops the count of its frame; takes umem_lock. */
int umem_unmap(struct env *e, uintptr_t va, uint64_t *pa)
{
    uint64_t p, dead = 0;
    hal_irq_state_t s;
    struct umem_frame *f;
    int err = hal_aspace_query(e->as, va, &p, NULL);

    if (err != FB_OK)
        return err;
    p &= ~(uint64_t)(HAL_PAGE_SIZE - 1);
    err = hal_aspace_unmap(e->as, va);
    if (err != FB_OK)
        return err;
    s = spin_lock_irqsave(&umem_lock);
    f = find_locked(p);
    if (f != NULL) {
        f->maps--;
        dead = drop_if_unused_locked(f);
    }
    spin_unlock_irqrestore(&umem_lock, s);
    if (dead != 0)
        frame_free(env_system()->frames, dead);
    if (pa != NULL)
        *pa = p;
    return FB_OK;
}

/* Reports pa's owner, mapping count and kind; takes umem_lock. */
int umem_info(uint64_t pa, struct umem_facts *out)
{
    hal_irq_state_t s = spin_lock_irqsave(&umem_lock);
    const struct umem_frame *f = find_locked(pa);

    if (f != NULL)
        *out = (struct umem_facts){ f->owner, f->maps, f->with_cap, f->dma };
    spin_unlock_irqrestore(&umem_lock, s);
    return f != NULL ? FB_OK : FB_ENOENT;
}

/* Unmaps all of e's pages, then releases every frame e owns. The scan of
 * the whole table is O(buckets), paid once per environment exit. */
void umem_teardown(struct env *e)
{
    uint64_t dead[TEARDOWN_BATCH];
    uintptr_t va;
    uint32_t i = 0;

    for (uintptr_t from = HAL_USER_BASE;
         hal_aspace_next(e->as, from, &va, NULL, NULL) == FB_OK; from = va + HAL_PAGE_SIZE)
        umem_unmap(e, va, NULL);
    /* Then one pass over the table, a chunk of buckets per lock hold (so
     * other CPUs do not spin long), freeing frames outside the lock. */
    while (i < UMEM_BUCKETS) {
        hal_irq_state_t s = spin_lock_irqsave(&umem_lock);
        uint32_t end = i + TEARDOWN_CHUNK, n = 0;

        while (i < end && i < UMEM_BUCKETS && n < TEARDOWN_BATCH) {
            struct umem_frame *f = &table[i];

            if (f->pa == 0 || f->owner != e->id) {
                i++;
                continue;
            }
            f->owner = 0;
            if (!f->dma)
                atomic_fetch_sub_explicit(&e->pages, 1, memory_order_relaxed);
            if (f->maps != 0) {
                i++;   /* still mapped elsewhere: an orphan until then */
                continue;
            }
            if (!f->dma)
                dead[n++] = f->pa;
            /* The removal shifts a later record back into bucket i:
             * i is looked at again. */
            remove_locked(f);
        }
        spin_unlock_irqrestore(&umem_lock, s);
        for (uint32_t k = 0; k < n; k++)
            frame_free(env_system()->frames, dead[k]);
    }
}

/* Frames held by the pool now. */
uint64_t umem_total(void)
{
    hal_irq_state_t s = spin_lock_irqsave(&umem_lock);
    uint64_t n = owned;

    spin_unlock_irqrestore(&umem_lock, s);
    return n;
}
