/* User address spaces (hal/aspace.h). A hal_aspace_t is its PML4 page
 * seen through the direct map: the lower half (user) is private, the
 * upper half copies the kernel's PML4 entries, which are all created at
 * boot and never change, so every space sees the same kernel. Callers
 * serialize operations on one address space. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "hal/aspace.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "kerr.h"
#include "kstring.h"
#include "x86.h"

#define USER_TABLE (PTE_P | PTE_W | PTE_U)   /* leaves carry the real rights */
#define MAP_FLAGS (HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_EXEC | HAL_MAP_USER)

struct hal_aspace {
    uint64_t pml4[512];
};

static hal_frame_alloc_fn frame_alloc_fn;
static hal_frame_free_fn frame_free_fn;
static hal_aspace_t *current_as;   /* boot CPU only until SMP exists */

/* Records where page-table frames come from and go back to. */
void hal_aspace_set_frame_source(hal_frame_alloc_fn alloc, hal_frame_free_fn free_fn)
{
    frame_alloc_fn = alloc;
    frame_free_fn = free_fn;
}

/* Physical address of an address space's PML4. */
static uint64_t aspace_pa(const hal_aspace_t *as)
{
    return (uint64_t)(uintptr_t)as - X86_DIRECT_MAP;
}

/* A PML4 with an empty user half and the kernel half of the boot PML4. */
int hal_aspace_create(hal_aspace_t **out)
{
    uint64_t pa;
    hal_aspace_t *as;
    const uint64_t *kernel;

    if (out == NULL)
        return FB_EINVAL;
    if (frame_alloc_fn == NULL || frame_alloc_fn(&pa) != FB_OK)
        return FB_ENOMEM;
    as = hal_phys_to_virt(pa);
    if (as == NULL) {
        frame_free_fn(pa);
        return FB_ENOMEM;
    }
    kernel = hal_phys_to_virt(x86_kernel_pml4());
    kmemset(as->pml4, 0, 256 * sizeof(uint64_t));
    kmemcpy(&as->pml4[256], &kernel[256], 256 * sizeof(uint64_t));
    *out = as;
    return FB_OK;
}

/* Frees the table at pa and, above level 0, every table below it. */
static void free_table(uint64_t pa, int level)
{
    const uint64_t *t = hal_phys_to_virt(pa);

    for (unsigned i = 0; level > 0 && i < 512; i++) {
        if (t[i] & PTE_P)
            free_table(t[i] & PTE_ADDR, level - 1);
    }
    frame_free_fn(pa);
}

/* Frees the user half's page tables and the PML4 (not mapped frames).
 * Destroying the live address space would pull CR3 from under us. */
void hal_aspace_destroy(hal_aspace_t *as)
{
    if (as == NULL)
        return;
    if (as == current_as)
        hal_panic("hal_aspace_destroy of the current address space");
    for (unsigned i = 0; i < 256; i++) {
        if (as->pml4[i] & PTE_P)
            free_table(as->pml4[i] & PTE_ADDR, 2);
    }
    frame_free_fn(aspace_pa(as));
}

/* Allocates a user page-table frame from the registered source, zeroed. */
static int alloc_user_table(uint64_t *pa)
{
    if (frame_alloc_fn == NULL)
        return FB_ENOMEM;
    return x86_zeroed_table_frame(frame_alloc_fn, frame_free_fn, pa);
}

/* The level-0 entry for va in as; missing tables are created only when
 * create is set. NULL with FB_ENOENT (absent) or FB_ENOMEM. */
static uint64_t *user_pte(hal_aspace_t *as, uintptr_t va, bool create, int *err)
{
    return x86_pte_walk(aspace_pa(as), va, USER_TABLE, create ? alloc_user_table : NULL, err);
}

/* True for a user page address: inside [HAL_USER_BASE, HAL_USER_TOP). */
static bool user_va(uintptr_t va)
{
    return va >= HAL_USER_BASE && va < HAL_USER_TOP;
}

/* Maps one page. x86 cannot express a present page that is not readable,
 * so HAL_MAP_READ is required; a frame beyond the CPU's physical address
 * width is FB_EINVAL. */
int hal_aspace_map(hal_aspace_t *as, uintptr_t va, uint64_t pa, uint32_t flags)
{
    int err = FB_OK;
    uint64_t *pte;

    if (as == NULL || (flags & ~MAP_FLAGS) != 0 || (flags & HAL_MAP_READ) == 0)
        return FB_EINVAL;
    if ((va | pa) & (HAL_PAGE_SIZE - 1))
        return FB_EALIGN;
    if (!user_va(va))
        return FB_EFAULT;
    if (pa >> x86_cpu.phys_bits)
        return FB_EINVAL;
    pte = user_pte(as, va, true, &err);
    if (pte == NULL)
        return err;
    if (*pte & PTE_P)
        return FB_EEXIST;
    *pte = pa | PTE_P | ((flags & HAL_MAP_WRITE) ? PTE_W : 0) |
           ((flags & HAL_MAP_USER) ? PTE_U : 0) | ((flags & HAL_MAP_EXEC) ? 0 : PTE_NX);
    return FB_OK;
}

/* The present level-0 entry mapping user address va in as, or NULL when
 * va is outside the user range or not mapped. Creates no tables. */
static uint64_t *present_pte(hal_aspace_t *as, uintptr_t va)
{
    int err = FB_OK;
    uint64_t *pte;

    if (!user_va(va))
        return NULL;
    pte = user_pte(as, va, false, &err);
    return pte != NULL && (*pte & PTE_P) != 0 ? pte : NULL;
}

/* Clears one mapping; the TLB entry goes too when as is live. Page
 * tables stay until hal_aspace_destroy. */
int hal_aspace_unmap(hal_aspace_t *as, uintptr_t va)
{
    uint64_t *pte;

    if (as == NULL)
        return FB_EINVAL;
    if (va & (HAL_PAGE_SIZE - 1))
        return FB_EALIGN;
    if ((pte = present_pte(as, va)) == NULL)
        return FB_ENOENT;
    *pte = 0;
    if (as == current_as)
        invlpg(va);
    return FB_OK;
}

/* Translates va (any byte of a page): *pa is the byte's physical address,
 * *flags the page's HAL_MAP_* rights. */
int hal_aspace_query(hal_aspace_t *as, uintptr_t va, uint64_t *pa, uint32_t *flags)
{
    uint64_t *pte;
    uint64_t e;

    if (as == NULL)
        return FB_EINVAL;
    if ((pte = present_pte(as, va)) == NULL)
        return FB_ENOENT;
    e = *pte;
    if (pa != NULL)
        *pa = (e & PTE_ADDR) | (va & (HAL_PAGE_SIZE - 1));
    if (flags != NULL) {
        *flags = HAL_MAP_READ | ((e & PTE_W) ? HAL_MAP_WRITE : 0) |
                 ((e & PTE_U) ? HAL_MAP_USER : 0) | ((e & PTE_NX) ? 0 : HAL_MAP_EXEC);
    }
    return FB_OK;
}

/* Loads as (NULL: the kernel-only tables) into CR3. */
void hal_aspace_switch(hal_aspace_t *as)
{
    hal_irq_state_t irq = hal_irq_disable();

    write_cr3(as != NULL ? aspace_pa(as) : x86_kernel_pml4());
    current_as = as;
    hal_irq_restore(irq);
}

/* The address space in CR3, NULL for the kernel-only tables. */
hal_aspace_t *hal_aspace_current(void)
{
    return current_as;
}
