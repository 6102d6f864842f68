/* HAL contract: address spaces (page tables) and physical memory access. */
#ifndef HAL_ASPACE_H
#define HAL_ASPACE_H

#include <stdint.h>

#define HAL_PAGE_SIZE 4096u

/** Mapping permissions for hal_aspace_map. */
#define HAL_MAP_READ  0x1u
#define HAL_MAP_WRITE 0x2u
#define HAL_MAP_EXEC  0x4u  /**< without it the page is no-execute */
#define HAL_MAP_USER  0x8u  /**< reachable from user mode */

/** Lowest and one-past-highest user virtual address. */
#define HAL_USER_BASE 0x0000000000400000ull
#define HAL_USER_TOP  0x0000800000000000ull

/** An address space; created and owned by the HAL. */
typedef struct hal_aspace hal_aspace_t;

/** Supplies and takes back 4 KiB physical frames for page tables. */
typedef int (*hal_frame_alloc_fn)(uint64_t *pa);
typedef void (*hal_frame_free_fn)(uint64_t pa);

/**
 * Tells the HAL where page-table frames come from. Call once at boot,
 * before any hal_aspace_create. Host: frames are taken as an x86_64
 * 4-level tree would take them, for accounting (so FB_ENOMEM is testable);
 * the tables themselves live in malloc memory.
 */
void hal_aspace_set_frame_source(hal_frame_alloc_fn alloc, hal_frame_free_fn free_fn);

/**
 * Creates an empty user address space (the kernel half is shared).
 * @return FB_OK and *@p out; FB_ENOMEM; FB_EINVAL when @p out is NULL.
 */
int hal_aspace_create(hal_aspace_t **out);

/** Destroys @p as, freeing its page tables (not the mapped frames).
 *  @p as must not be current on any CPU; destroying the current address
 *  space is a kernel bug and panics. */
void hal_aspace_destroy(hal_aspace_t *as);

/**
 * Maps the 4 KiB page at user address @p va to physical frame @p pa.
 * Every mapping is readable: @p flags must contain HAL_MAP_READ.
 * @return FB_OK; FB_EALIGN for unaligned @p va or @p pa; FB_EFAULT when
 *         @p va is outside [HAL_USER_BASE, HAL_USER_TOP); FB_EEXIST when
 *         already mapped; FB_EINVAL for a NULL @p as, unknown flag bits,
 *         missing HAL_MAP_READ, or a @p pa the HAL cannot map; FB_ENOMEM
 *         when no frame is left for a page table.
 */
int hal_aspace_map(hal_aspace_t *as, uintptr_t va, uint64_t pa, uint32_t flags);

/**
 * Removes the mapping of @p va and invalidates it in the TLB.
 * @return FB_OK; FB_EINVAL for a NULL @p as; FB_EALIGN for an unaligned
 *         @p va; FB_ENOENT when nothing is mapped there (including any
 *         address outside the user range).
 */
int hal_aspace_unmap(hal_aspace_t *as, uintptr_t va);

/**
 * Looks up @p va, which need not be aligned: *@p pa is the physical
 * address of that very byte. @return FB_OK with *@p pa and *@p flags
 * (either may be NULL); FB_EINVAL for a NULL @p as; FB_ENOENT when
 * unmapped or outside the user range.
 */
int hal_aspace_query(hal_aspace_t *as, uintptr_t va, uint64_t *pa, uint32_t *flags);

/**
 * Changes the rights of the existing mapping of @p va to @p flags (same
 * rules as hal_aspace_map) and invalidates the old translation.
 * @return FB_OK; FB_EINVAL (NULL @p as, bad flags); FB_EALIGN; FB_ENOENT
 *         when nothing is mapped there.
 */
int hal_aspace_protect(hal_aspace_t *as, uintptr_t va, uint32_t flags);

/**
 * Finds the lowest mapped user page at or above @p from (rounded down to
 * its page): stores its address in *@p va and, when not NULL, its frame
 * in *@p pa and rights in *@p flags. Enumerates an address space (one
 * call per mapping, each skipping empty tables) for teardown and counts.
 * @return FB_OK; FB_ENOENT when no mapping lies at or above @p from;
 *         FB_EINVAL for NULL @p as or @p va.
 */
int hal_aspace_next(hal_aspace_t *as, uintptr_t from, uintptr_t *va, uint64_t *pa,
                    uint32_t *flags);

/** Makes @p as current on the calling CPU (NULL: the kernel-only
 *  tables). Interrupts disabled. */
void hal_aspace_switch(hal_aspace_t *as);

/** The address space current on the calling CPU (NULL: kernel only). */
hal_aspace_t *hal_aspace_current(void);

/**
 * A kernel pointer to physical address @p pa (x86_64: the direct map;
 * host: the simulated RAM). NULL when @p pa is not RAM the HAL can reach.
 */
void *hal_phys_to_virt(uint64_t pa);

#endif
