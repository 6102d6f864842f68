/* User address spaces (hal/aspace.h). An address space is a PML4 page
 * whose lower half (user) is private and whose upper half copies the
 * kernel's PML4 entries, which are all created at boot and never change,
 * so every space sees the same kernel. Its descriptor (PML4 address,
 * PCID bookkeeping) is one slot of a fixed table: at most
 * X86_MAX_ASPACES live at once. Callers serialize operations on one
 * address space.
 *
 * PCIDs, where the CPU has them: slot n's address space runs as PCID
 * n + 1 (PCID 0 is the kernel-only tables), so switching keeps the TLB
 * entries of the spaces that ran before. Cached entries of a space may
 * then outlive a change on a CPU where it is not running, so each space
 * keeps valid_cpus, the CPUs whose TLB holds nothing stale for its PCID:
 * a switch loads CR3 with the no-flush bit only on such a CPU and flushes
 * the PCID (and joins the set) everywhere else; unmap and protect drop
 * the changed page here (INVLPG, when the space is current on this CPU)
 * and empty the set of every other CPU; create empties it, so a slot
 * reused after destroy never trusts the old owner's entries. This relies
 * on what single-threaded environments give: a space is current on at
 * most one CPU at a time, and unmap and protect run on the CPU where it
 * is current or while it is current nowhere. Without PCIDs every switch
 * flushes the user half, as CR3 loads always do. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "hal/aspace.h"
#include "hal/irq.h"
#include "hal/panic.h"
#include "kerr.h"
#include "kstring.h"
#include "spinlock.h"
#include "x86.h"

#define USER_TABLE (PTE_P | PTE_W | PTE_U)   /* leaves carry the real rights */
#define MAP_FLAGS (HAL_MAP_READ | HAL_MAP_WRITE | HAL_MAP_EXEC | HAL_MAP_USER)
#define X86_MAX_ASPACES 4095                 /* one PCID each, 1 .. 4095 */

_Static_assert(X86_MAX_CPUS <= 64, "valid_cpus has one bit per CPU");

struct hal_aspace {
    uint64_t pml4_pa;                /* its PML4 frame */
    _Atomic uint64_t valid_cpus;     /* bit n: CPU n may load its PCID without a flush */
    struct hal_aspace *next_free;    /* free slot list */
};

static hal_frame_alloc_fn frame_alloc_fn;
static hal_frame_free_fn frame_free_fn;
static struct hal_aspace slots[X86_MAX_ASPACES];
static spinlock_t slots_lock = SPINLOCK_INIT;   /* guards free_slots and unused_slot */
static struct hal_aspace *free_slots;            /* destroyed spaces' slots */
static unsigned unused_slot;                     /* slots [unused_slot, max) never used */

/* Records where page-table frames come from and go back to. */
void hal_aspace_set_frame_source(hal_frame_alloc_fn alloc, hal_frame_free_fn free_fn)
{
    frame_alloc_fn = alloc;
    frame_free_fn = free_fn;
}

/* A free descriptor slot, or NULL when all are live. Takes slots_lock. */
static hal_aspace_t *slot_take(void)
{
    hal_irq_state_t s = spin_lock_irqsave(&slots_lock);
    hal_aspace_t *as = free_slots;

    if (as != NULL)
        free_slots = as->next_free;
    else if (unused_slot < X86_MAX_ASPACES)
        as = &slots[unused_slot++];
    spin_unlock_irqrestore(&slots_lock, s);
    return as;
}

/* Gives a slot back. Takes slots_lock. */
static void slot_give(hal_aspace_t *as)
{
    hal_irq_state_t s = spin_lock_irqsave(&slots_lock);

    as->next_free = free_slots;
    free_slots = as;
    spin_unlock_irqrestore(&slots_lock, s);
}

/* The PML4 of as through the direct map. */
static uint64_t *pml4_of(const hal_aspace_t *as)
{
    return hal_phys_to_virt(as->pml4_pa);
}

/* A PML4 with an empty user half and the kernel half of the boot PML4. */
int hal_aspace_create(hal_aspace_t **out)
{
    uint64_t pa;
    uint64_t *pml4;
    const uint64_t *kernel;
    hal_aspace_t *as;

    if (out == NULL)
        return FB_EINVAL;
    if (frame_alloc_fn == NULL || (as = slot_take()) == NULL)
        return FB_ENOMEM;
    if (frame_alloc_fn(&pa) != FB_OK) {
        slot_give(as);
        return FB_ENOMEM;
    }
    if ((pml4 = hal_phys_to_virt(pa)) == NULL) {
        frame_free_fn(pa);
        slot_give(as);
        return FB_ENOMEM;
    }
    kernel = hal_phys_to_virt(x86_kernel_pml4());
    kmemset(pml4, 0, 256 * sizeof(uint64_t));
    kmemcpy(&pml4[256], &kernel[256], 256 * sizeof(uint64_t));
    as->pml4_pa = pa;
    /* relaxed: the space is not current anywhere yet; whoever gets *out
     * from us is ordered after this by its own hand-off. */
    atomic_store_explicit(&as->valid_cpus, 0, memory_order_relaxed);
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
 * Destroying a space that is current on some CPU would pull CR3 from
 * under it. */
void hal_aspace_destroy(hal_aspace_t *as)
{
    const uint64_t *pml4;

    if (as == NULL)
        return;
    for (unsigned c = 0; c < X86_MAX_CPUS; c++) {
        /* acquire: pairs with hal_aspace_switch's release, so a CPU that
         * switched away is seen as such. */
        if (atomic_load_explicit(&x86_percpus[c].aspace, memory_order_acquire) == as)
            hal_panic("hal_aspace_destroy of an address space current on a CPU");
    }
    pml4 = pml4_of(as);
    for (unsigned i = 0; i < 256; i++) {
        if (pml4[i] & PTE_P)
            free_table(pml4[i] & PTE_ADDR, 2);
    }
    frame_free_fn(as->pml4_pa);
    slot_give(as);
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
    return x86_pte_walk(as->pml4_pa, va, USER_TABLE, create ? alloc_user_table : NULL, err);
}

/* True for a user page address: inside [HAL_USER_BASE, HAL_USER_TOP). */
static bool user_va(uintptr_t va)
{
    return va >= HAL_USER_BASE && va < HAL_USER_TOP;
}

/* True for flags hal_aspace_map accepts. x86 cannot express a present
 * page that is not readable, so HAL_MAP_READ is required. */
static bool flags_ok(uint32_t flags)
{
    return (flags & ~MAP_FLAGS) == 0 && (flags & HAL_MAP_READ) != 0;
}

/* The rights bits of a leaf entry for HAL_MAP_* flags. */
static uint64_t pte_rights(uint32_t flags)
{
    return PTE_P | ((flags & HAL_MAP_WRITE) ? PTE_W : 0) | ((flags & HAL_MAP_USER) ? PTE_U : 0) |
           ((flags & HAL_MAP_EXEC) ? 0 : PTE_NX);
}

/* The HAL_MAP_* flags of a present leaf entry. */
static uint32_t pte_flags(uint64_t e)
{
    return HAL_MAP_READ | ((e & PTE_W) ? HAL_MAP_WRITE : 0) | ((e & PTE_U) ? HAL_MAP_USER : 0) |
           ((e & PTE_NX) ? 0 : HAL_MAP_EXEC);
}

/* Maps one page; a frame beyond the CPU's physical address width is
 * FB_EINVAL. */
int hal_aspace_map(hal_aspace_t *as, uintptr_t va, uint64_t pa, uint32_t flags)
{
    int err = FB_OK;
    uint64_t *pte;

    if (as == NULL || !flags_ok(flags))
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
    *pte = pa | pte_rights(flags);
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

/* After the leaf entry for va in as changed: drops its translation from
 * this CPU's TLB when as is current here, and makes every other CPU flush
 * as's PCID before it runs as again (see the top of the file). Interrupts
 * off, so "here" stays this CPU. */
static void tlb_forget(hal_aspace_t *as, uintptr_t va)
{
    struct x86_percpu *pc = x86_this_cpu();
    /* relaxed: only this CPU writes its own aspace field. */
    bool here = atomic_load_explicit(&pc->aspace, memory_order_relaxed) == as;

    if (here)
        invlpg(va);
    /* release: the entry written before is in memory before a CPU that
     * sees its bit gone reloads CR3 and walks the tables again. */
    atomic_store_explicit(&as->valid_cpus, here ? 1ull << pc->id : 0, memory_order_release);
}

/* Clears the present entry for va (keep_frame false) or gives it the
 * rights in flags, and forgets the old translation. FB_ENOENT when
 * nothing is mapped there. */
static int change_pte(hal_aspace_t *as, uintptr_t va, bool keep_frame, uint32_t flags)
{
    hal_irq_state_t irq;
    uint64_t *pte;

    if ((pte = present_pte(as, va)) == NULL)
        return FB_ENOENT;
    irq = hal_irq_disable();
    *pte = keep_frame ? (*pte & PTE_ADDR) | pte_rights(flags) : 0;
    tlb_forget(as, va);
    hal_irq_restore(irq);
    return FB_OK;
}

/* Clears one mapping. Page tables stay until hal_aspace_destroy. */
int hal_aspace_unmap(hal_aspace_t *as, uintptr_t va)
{
    if (as == NULL)
        return FB_EINVAL;
    if (va & (HAL_PAGE_SIZE - 1))
        return FB_EALIGN;
    return change_pte(as, va, false, 0);
}

/* Gives the mapping of va the rights in flags, keeping its frame. */
int hal_aspace_protect(hal_aspace_t *as, uintptr_t va, uint32_t flags)
{
    if (as == NULL || !flags_ok(flags))
        return FB_EINVAL;
    if (va & (HAL_PAGE_SIZE - 1))
        return FB_EALIGN;
    return change_pte(as, va, true, flags);
}

/* Translates va (any byte of a page): *pa is the byte's physical address,
 * *flags the page's HAL_MAP_* rights. */
int hal_aspace_query(hal_aspace_t *as, uintptr_t va, uint64_t *pa, uint32_t *flags)
{
    uint64_t *pte;

    if (as == NULL)
        return FB_EINVAL;
    if ((pte = present_pte(as, va)) == NULL)
        return FB_ENOENT;
    if (pa != NULL)
        *pa = (*pte & PTE_ADDR) | (va & (HAL_PAGE_SIZE - 1));
    if (flags != NULL)
        *flags = pte_flags(*pte);
    return FB_OK;
}

/* The lowest present leaf entry at or above *va and below end in the
 * table at pa of the given level (3 = PML4 .. 0 = PT), skipping absent
 * tables whole; *va ends at that leaf's page, or at end when there is
 * none (then NULL). */
static const uint64_t *next_leaf(uint64_t pa, int level, uintptr_t *va, uintptr_t end)
{
    const uint64_t *t = hal_phys_to_virt(pa);
    uintptr_t span = (uintptr_t)1 << (12 + 9 * level);

    while (*va < end) {
        const uint64_t *e = &t[(*va >> (12 + 9 * level)) & 511];
        uintptr_t next = (*va & ~(span - 1)) + span;

        if ((*e & PTE_P) != 0) {
            const uint64_t *leaf;

            if (level == 0)
                return e;
            leaf = next_leaf(*e & PTE_ADDR, level - 1, va, next < end ? next : end);
            if (leaf != NULL)
                return leaf;
        }
        *va = next;
    }
    return NULL;
}

/* Finds the lowest mapping at or above from by walking the tables. */
int hal_aspace_next(hal_aspace_t *as, uintptr_t from, uintptr_t *va, uint64_t *pa,
                    uint32_t *flags)
{
    uintptr_t at = from & ~(uintptr_t)(HAL_PAGE_SIZE - 1);
    const uint64_t *leaf;

    if (as == NULL || va == NULL)
        return FB_EINVAL;
    if (at < HAL_USER_BASE)
        at = HAL_USER_BASE;
    if (at >= HAL_USER_TOP || (leaf = next_leaf(as->pml4_pa, 3, &at, HAL_USER_TOP)) == NULL)
        return FB_ENOENT;
    *va = at;
    if (pa != NULL)
        *pa = *leaf & PTE_ADDR;
    if (flags != NULL)
        *flags = pte_flags(*leaf);
    return FB_OK;
}

/* The CR3 value that makes as current on CPU cpu (see the top). */
static uint64_t aspace_cr3(hal_aspace_t *as, unsigned cpu)
{
    uint64_t bit = 1ull << cpu;
    uint64_t pcid = (uint64_t)(as - slots) + 1;

    if (!x86_cpu.pcid)
        return as->pml4_pa;
    /* acq_rel: acquire pairs with tlb_forget's release (the tables are
     * seen as changed); release publishes the bit for the next change. */
    if (atomic_fetch_or_explicit(&as->valid_cpus, bit, memory_order_acq_rel) & bit)
        return as->pml4_pa | pcid | CR3_NOFLUSH;
    return as->pml4_pa | pcid;
}

/* Loads as (NULL: the kernel-only tables, PCID 0, whose entries never
 * change, so they are never flushed) into CR3. */
void hal_aspace_switch(hal_aspace_t *as)
{
    hal_irq_state_t irq = hal_irq_disable();
    struct x86_percpu *pc = x86_this_cpu();

    if (as != NULL)
        write_cr3(aspace_cr3(as, pc->id));
    else
        write_cr3(x86_kernel_pml4() | (x86_cpu.pcid ? CR3_NOFLUSH : 0));
    /* release: pairs with hal_aspace_destroy's acquire. */
    atomic_store_explicit(&pc->aspace, as, memory_order_release);
    hal_irq_restore(irq);
}

/* The address space in this CPU's CR3, NULL for the kernel-only tables. */
hal_aspace_t *hal_aspace_current(void)
{
    hal_irq_state_t irq = hal_irq_disable();
    /* relaxed: this CPU's own field. */
    hal_aspace_t *as = atomic_load_explicit(&x86_this_cpu()->aspace, memory_order_relaxed);

    hal_irq_restore(irq);
    return as;
}
