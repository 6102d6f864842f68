/* Host address spaces: each is a page map from user page to (frame,
 * flags) under a mutex; the CPU's current one is per simulated CPU. With a
 * frame source set, page-table frames are taken as a 4-level x86_64 tree
 * would take them (root at create, one per new PDPT/PD/PT on map, all
 * returned at destroy); without one, the tables live in malloc memory. */
#include <stdlib.h>

#include "hal/aspace.h"
#include "hal/panic.h"
#include "host_internal.h"
#include "kerr.h"
#include "pagemap.h"

#define MAP_KNOWN_FLAGS (HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_EXEC | HAL_MAP_USER)
#define PAGE_MASK ((uintptr_t)HAL_PAGE_SIZE - 1)

struct hal_aspace {
    pthread_mutex_t lock;        /* guards pages and tables */
    struct pagemap pages;        /* va >> 12 -> frame and HAL_MAP_* flags */
    struct pagemap tables;       /* simulated table pages -> their frame */
    hal_frame_alloc_fn alloc;    /* frame source captured at create, or NULL */
    hal_frame_free_fn free_fn;
    uint64_t root_pa;            /* the PML4 frame when alloc is set */
};

/* The frame source for aspaces created from now on; set at boot. */
static pthread_mutex_t source_lock = PTHREAD_MUTEX_INITIALIZER;
static hal_frame_alloc_fn source_alloc;
static hal_frame_free_fn source_free;

/* Records where page-table frames come from; both NULL means "from
 * malloc". One without the other is a caller bug. Takes source_lock. */
void hal_aspace_set_frame_source(hal_frame_alloc_fn alloc, hal_frame_free_fn free_fn)
{
    if ((alloc == NULL) != (free_fn == NULL))
        hal_panic("hal_aspace_set_frame_source: alloc and free must both be set or both NULL");
    pthread_mutex_lock(&source_lock);
    source_alloc = alloc;
    source_free = free_fn;
    pthread_mutex_unlock(&source_lock);
}

/* Creates an empty aspace; with a frame source it takes the root frame. */
int hal_aspace_create(hal_aspace_t **out)
{
    hal_aspace_t *as;

    if (out == NULL)
        return FB_EINVAL;
    as = calloc(1, sizeof *as);
    if (as == NULL)
        return FB_ENOMEM;
    pthread_mutex_lock(&source_lock);
    as->alloc = source_alloc;
    as->free_fn = source_free;
    pthread_mutex_unlock(&source_lock);
    if (as->alloc != NULL && as->alloc(&as->root_pa) != FB_OK) {
        free(as);
        return FB_ENOMEM;
    }
    pthread_mutex_init(&as->lock, NULL);
    *out = as;
    return FB_OK;
}

/* Returns one table frame to the aspace's frame source. */
static void free_table_frame(const struct pagemap_entry *e, void *ctx)
{
    hal_aspace_t *as = ctx;

    as->free_fn(e->pa);
}

/* Frees as and its table frames. Being current on a CPU is a caller bug
 * the host can see, so it panics rather than leave a dangling pointer. */
void hal_aspace_destroy(hal_aspace_t *as)
{
    if (as == NULL)
        return;
    for (unsigned cpu = 0; cpu < HAL_HOST_MAX_CPUS; cpu++) {
        /* Acquire pairs with the release in hal_aspace_switch. */
        if (atomic_load_explicit(&host_cpus[cpu].aspace, memory_order_acquire) == as)
            hal_panic("hal_aspace_destroy: address space is current on a CPU");
    }
    if (as->alloc != NULL) {
        pagemap_each(&as->tables, free_table_frame, as);
        as->free_fn(as->root_pa);
    }
    pagemap_clear(&as->tables);
    pagemap_clear(&as->pages);
    pthread_mutex_destroy(&as->lock);
    free(as);
}

/* Takes a frame for every table level (PDPT, PD, PT) above va's page that
 * does not exist yet. Tables made before a failure stay until destroy, as
 * empty tables would on hardware. Expects as->lock held. */
static int cover_tables_locked(hal_aspace_t *as, uintptr_t va)
{
    static const unsigned shifts[] = { 39, 30, 21 };

    if (as->alloc == NULL)
        return FB_OK;
    for (unsigned level = 0; level < 3; level++) {
        uint64_t key = ((uint64_t)(level + 1) << 56) | (va >> shifts[level]);
        uint64_t pa;

        if (pagemap_get(&as->tables, key) != NULL)
            continue;
        if (as->alloc(&pa) != FB_OK)
            return FB_ENOMEM;
        if (pagemap_put(&as->tables, key, pa, 0) != FB_OK) {
            as->free_fn(pa);
            return FB_ENOMEM;
        }
    }
    return FB_OK;
}

/* Maps the user page va to frame pa, which must be simulated RAM.
 * Takes as->lock. */
int hal_aspace_map(hal_aspace_t *as, uintptr_t va, uint64_t pa, uint32_t flags)
{
    int err;

    if (as == NULL || (flags & ~MAP_KNOWN_FLAGS) != 0 || (flags & HAL_MAP_READ) == 0)
        return FB_EINVAL;
    if ((va & PAGE_MASK) != 0 || (pa & PAGE_MASK) != 0)
        return FB_EALIGN;
    if (va < HAL_USER_BASE || va >= HAL_USER_TOP)
        return FB_EFAULT;
    if (hal_phys_to_virt(pa) == NULL)
        return FB_EINVAL;   /* the host can only back pages with simulated RAM */
    pthread_mutex_lock(&as->lock);
    if (pagemap_get(&as->pages, va / HAL_PAGE_SIZE) != NULL)
        err = FB_EEXIST;
    else
        err = cover_tables_locked(as, va);
    if (err == FB_OK)
        err = pagemap_put(&as->pages, va / HAL_PAGE_SIZE, pa, flags);
    pthread_mutex_unlock(&as->lock);
    return err;
}

/* Unmaps the page va; the host has no TLB to shoot down. Takes as->lock. */
int hal_aspace_unmap(hal_aspace_t *as, uintptr_t va)
{
    int err;

    if (as == NULL)
        return FB_EINVAL;
    if ((va & PAGE_MASK) != 0)
        return FB_EALIGN;
    pthread_mutex_lock(&as->lock);
    err = pagemap_del(&as->pages, va / HAL_PAGE_SIZE);
    pthread_mutex_unlock(&as->lock);
    return err;
}

/* Gives the mapping of va the rights in flags (validated as by map).
 * Takes as->lock. */
int hal_aspace_protect(hal_aspace_t *as, uintptr_t va, uint32_t flags)
{
    struct pagemap_entry *e;

    if (as == NULL || (flags & ~MAP_KNOWN_FLAGS) != 0 || (flags & HAL_MAP_READ) == 0)
        return FB_EINVAL;
    if ((va & PAGE_MASK) != 0)
        return FB_EALIGN;
    pthread_mutex_lock(&as->lock);
    e = pagemap_get(&as->pages, va / HAL_PAGE_SIZE);
    if (e != NULL)
        e->flags = flags;
    pthread_mutex_unlock(&as->lock);
    return e != NULL ? FB_OK : FB_ENOENT;
}

/* The lowest mapped page at or above from, by a scan of the page map (so
 * O(capacity) per call; the x86_64 walk skips empty tables instead).
 * Takes as->lock. */
int hal_aspace_next(hal_aspace_t *as, uintptr_t from, uintptr_t *va, uint64_t *pa,
                    uint32_t *flags)
{
    uintptr_t at = from & ~PAGE_MASK;
    const struct pagemap_entry *e = NULL;

    if (as == NULL || va == NULL)
        return FB_EINVAL;
    if (at < HAL_USER_BASE)
        at = HAL_USER_BASE;
    if (at >= HAL_USER_TOP)
        return FB_ENOENT;
    pthread_mutex_lock(&as->lock);
    e = pagemap_next(&as->pages, at / HAL_PAGE_SIZE);
    if (e != NULL) {
        *va = (uintptr_t)(e->key * HAL_PAGE_SIZE);
        if (pa != NULL)
            *pa = e->pa;
        if (flags != NULL)
            *flags = e->flags;
    }
    pthread_mutex_unlock(&as->lock);
    return e != NULL ? FB_OK : FB_ENOENT;
}

/* Translates va: *pa is the frame plus va's offset in the page, so an
 * aligned va yields the frame itself. Takes as->lock. */
int hal_aspace_query(hal_aspace_t *as, uintptr_t va, uint64_t *pa, uint32_t *flags)
{
    const struct pagemap_entry *e;
    int err = FB_ENOENT;

    if (as == NULL)
        return FB_EINVAL;
    pthread_mutex_lock(&as->lock);
    e = pagemap_get(&as->pages, va / HAL_PAGE_SIZE);
    if (e != NULL) {
        if (pa != NULL)
            *pa = e->pa + (va & PAGE_MASK);
        if (flags != NULL)
            *flags = e->flags;
        err = FB_OK;
    }
    pthread_mutex_unlock(&as->lock);
    return err;
}

/* Makes as (NULL: kernel only) current on the calling simulated CPU.
 * Release pairs with the acquire loads in hal_aspace_current and
 * hal_aspace_destroy so a reader that sees the pointer also sees the
 * aspace's initialized fields. */
void hal_aspace_switch(hal_aspace_t *as)
{
    atomic_store_explicit(&host_cpu_self()->aspace, as, memory_order_release);
}

/* The calling simulated CPU's current aspace (acquire: see switch). */
hal_aspace_t *hal_aspace_current(void)
{
    return atomic_load_explicit(&host_cpu_self()->aspace, memory_order_acquire);
}

/* Locks as for a user copy. */
void host_aspace_lock(hal_aspace_t *as)
{
    pthread_mutex_lock(&as->lock);
}

/* Unlocks as after a user copy. */
void host_aspace_unlock(hal_aspace_t *as)
{
    pthread_mutex_unlock(&as->lock);
}

/* Host pointer for user byte va if its page has every flag in need (map
 * only accepts frames in simulated RAM). Expects as->lock held. */
void *host_aspace_reach(hal_aspace_t *as, uintptr_t va, uint32_t need)
{
    const struct pagemap_entry *e = pagemap_get(&as->pages, va / HAL_PAGE_SIZE);

    if (e == NULL || (e->flags & need) != need)
        return NULL;
    return (unsigned char *)hal_phys_to_virt(e->pa) + (va & PAGE_MASK);
}
