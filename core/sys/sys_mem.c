/* Memory syscalls. Exokernel style: a program allocates frames as
 * CAP_T_MEMORY capabilities and maps them where it wants with the rights
 * the capability allows (frame_alloc, mem_map, mem_protect, mem_unmap,
 * frame_free); mem_alloc and mem_free are the shortcut for anonymous
 * memory that a heap needs. A DMA buffer (dma_alloc) maps the same way,
 * but only through its root capability, in its owner's address space, so
 * its owner's exit unmaps it before the pool takes it back. Every frame
 * and buffer is accounted in umem.c. */
#include <stdint.h>

#include "env.h"
#include "exo_abi.h"
#include "frame.h"
#include "hal/aspace.h"
#include "hal/usercopy.h"
#include "kerr.h"
#include "sys.h"

#define PROT_ALL (EXO_PROT_READ | EXO_PROT_WRITE | EXO_PROT_EXEC)
#define MEM_ALLOC_MAX 4096u    /* pages one mem_alloc or mem_free covers */
#define FRAME_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_EXEC | CAP_R_MAP | CAP_R_GRANT | \
                      CAP_R_DERIVE | CAP_R_REVOKE)

/* Checks a protection argument: known bits, readable, not W+X. */
static int prot_check(uint64_t prot)
{
    if ((prot & ~(uint64_t)PROT_ALL) != 0 || (prot & EXO_PROT_READ) == 0)
        return FB_EINVAL;
    if ((prot & EXO_PROT_WRITE) && (prot & EXO_PROT_EXEC))
        return FB_EPERM;
    return FB_OK;
}

/* HAL flags of a checked protection. */
static uint32_t prot_flags(uint64_t prot)
{
    return HAL_MAP_USER | HAL_MAP_READ | ((prot & EXO_PROT_WRITE) ? HAL_MAP_WRITE : 0) |
           ((prot & EXO_PROT_EXEC) ? HAL_MAP_EXEC : 0);
}

/* Checks a user page address. */
static int va_check(uint64_t va)
{
    if (va & (HAL_PAGE_SIZE - 1))
        return FB_EALIGN;
    if (va < HAL_USER_BASE || va >= HAL_USER_TOP)
        return FB_EFAULT;
    return FB_OK;
}

/* Checks [va, va + pages pages) for mem_alloc/mem_free. */
static int range_check(uint64_t va, uint64_t pages)
{
    int err = va_check(va);

    if (err != FB_OK)
        return err;
    if (pages == 0 || pages > MEM_ALLOC_MAX)
        return FB_EINVAL;
    if (pages * HAL_PAGE_SIZE > HAL_USER_TOP - va)
        return FB_EFAULT;
    return FB_OK;
}

/* The mem_map record of va in self, or NULL. */
static struct env_map *map_find(struct env *self, uintptr_t va)
{
    for (unsigned i = 0; i < ENV_MAPS_MAX; i++) {
        if (self->maps[i].va == va)
            return &self->maps[i];
    }
    return NULL;
}

/* frame_alloc(flags): a zeroed frame named by a new root capability. */
int64_t sys_frame_alloc(struct env *self, const uint64_t a[6])
{
    cap_handle_t h;
    uint64_t pa;
    int err;

    if (a[0] != 0)
        return FB_EINVAL;
    err = umem_alloc(self, true, &pa);
    if (err != FB_OK)
        return err;
    err = cap_create(&self->caps, CAP_T_MEMORY, pa, FRAME_RIGHTS, self->label, &h);
    if (err != FB_OK) {
        umem_release(self, pa);
        return err;
    }
    return (int64_t)h;
}

/* Looks up a capability of self's with the rights needed: a
 * CAP_T_MEMORY one, or with dma_ok also a CAP_T_DMA root. */
static int frame_cap(struct env *self, cap_handle_t h, cap_rights_t need, bool dma_ok,
                     struct cap_info *ci)
{
    int err = cap_verify(&self->caps, h, need);

    if (err == FB_OK)
        err = cap_lookup(&self->caps, h, ci);
    if (err != FB_OK)
        return err;
    if (ci->type == CAP_T_DMA && dma_ok)
        return ci->depth == 0 ? FB_OK : FB_EPERM;   /* copies map nowhere */
    return ci->type == CAP_T_MEMORY ? FB_OK : FB_EINVAL;
}

/* frame_free(frame): the root capability frees its frame once unmapped. */
int64_t sys_frame_free(struct env *self, const uint64_t a[6])
{
    struct cap_info ci;
    struct umem_facts f;
    int err = frame_cap(self, a[0], 0, false, &ci);

    if (err != FB_OK)
        return err;
    if (ci.depth != 0 || umem_info(ci.object, &f) != FB_OK || f.owner != self->id)
        return FB_EPERM;
    if (f.maps != 0)
        return FB_EBUSY;
    cap_delete(&self->caps, a[0]);
    return umem_release(self, ci.object);
}

/* mem_map(va, frame, prot): needs MAP plus the rights prot uses. */
int64_t sys_mem_map(struct env *self, const uint64_t a[6])
{
    cap_rights_t need = CAP_R_MAP;
    struct cap_info ci;
    struct env_map *slot;
    int err = va_check(a[0]);

    if (err == FB_OK)
        err = prot_check(a[2]);
    if (err != FB_OK)
        return err;
    need |= CAP_R_READ | ((a[2] & EXO_PROT_WRITE) ? CAP_R_WRITE : 0) |
            ((a[2] & EXO_PROT_EXEC) ? CAP_R_EXEC : 0);
    err = frame_cap(self, a[1], need, true, &ci);
    if (err != FB_OK)
        return err;
    slot = map_find(self, 0);
    if (slot == NULL)
        return FB_ENOSPC;
    err = umem_map(self, (uintptr_t)a[0], ci.object, prot_flags(a[2]));
    if (err != FB_OK)
        return err;
    slot->va = (uintptr_t)a[0];
    slot->max_prot = EXO_PROT_READ | ((ci.rights & CAP_R_WRITE) ? EXO_PROT_WRITE : 0) |
                     ((ci.rights & CAP_R_EXEC) ? EXO_PROT_EXEC : 0);
    return FB_OK;
}

/* mem_unmap(va). */
int64_t sys_mem_unmap(struct env *self, const uint64_t a[6])
{
    struct env_map *m;
    struct umem_facts f;
    uint64_t pa;
    int err = va_check(a[0]);

    if (err == FB_EFAULT)
        return FB_ENOENT;
    if (err != FB_OK)
        return err;
    err = umem_unmap(self, (uintptr_t)a[0], &pa);
    if (err != FB_OK)
        return err;
    m = map_find(self, (uintptr_t)a[0]);
    if (m != NULL)
        m->va = 0;
    /* An anonymous frame of its own unmapped for good would be unreachable
     * until exit: it goes now. */
    if (umem_info(pa, &f) == FB_OK && f.owner == self->id && f.maps == 0 && !f.with_cap)
        umem_release(self, pa);
    return FB_OK;
}

/* mem_protect(va, prot): within what the mapping's capability allowed
 * (anonymous memory allows read, write and execute, one at a time with
 * write). */
int64_t sys_mem_protect(struct env *self, const uint64_t a[6])
{
    const struct env_map *m;
    int err = va_check(a[0]);

    if (err == FB_EFAULT)
        return FB_ENOENT;
    if (err == FB_OK)
        err = prot_check(a[1]);
    if (err != FB_OK)
        return err;
    if (hal_aspace_query(self->as, (uintptr_t)a[0], NULL, NULL) != FB_OK)
        return FB_ENOENT;
    m = map_find(self, (uintptr_t)a[0]);
    if (m != NULL && (a[1] & ~(uint64_t)m->max_prot) != 0)
        return FB_EPERM;
    return hal_aspace_protect(self->as, (uintptr_t)a[0], prot_flags(a[1]));
}

/* mem_query(va, out). */
int64_t sys_mem_query(struct env *self, const uint64_t a[6])
{
    struct exo_mem_query q = { 0 };
    uint32_t flags;

    if (a[0] < HAL_USER_BASE || a[0] >= HAL_USER_TOP ||
        hal_aspace_query(self->as, (uintptr_t)a[0], &q.pa, &flags) != FB_OK)
        return FB_ENOENT;
    q.prot = EXO_PROT_READ | ((flags & HAL_MAP_WRITE) ? EXO_PROT_WRITE : 0) |
             ((flags & HAL_MAP_EXEC) ? EXO_PROT_EXEC : 0);
    return hal_copy_to_user((uintptr_t)a[1], &q, sizeof(q));
}

/* mem_stats(out). */
int64_t sys_mem_stats(struct env *self, const uint64_t a[6])
{
    const struct env_system *sys = env_system();
    struct exo_mem_stats st = {
        .page_size = HAL_PAGE_SIZE,
        .free_pages = frame_free_count(sys->frames),
        .user_pages = umem_total(),
        .user_limit = sys->user_limit,
        .env_pages = atomic_load_explicit(&self->pages, memory_order_relaxed),
    };
    uintptr_t va;

    for (uintptr_t from = HAL_USER_BASE;
         hal_aspace_next(self->as, from, &va, NULL, NULL) == FB_OK; from = va + HAL_PAGE_SIZE)
        st.env_mapped++;
    return hal_copy_to_user((uintptr_t)a[0], &st, sizeof(st));
}

/* Unmaps and releases the first n pages of an anonymous range. */
static void anon_undo(struct env *self, uintptr_t va, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pa;

        if (umem_unmap(self, va + i * HAL_PAGE_SIZE, &pa) == FB_OK)
            umem_release(self, pa);
    }
}

/* mem_alloc(va, pages, prot): fresh anonymous pages, all or nothing. */
int64_t sys_mem_alloc(struct env *self, const uint64_t a[6])
{
    int err = range_check(a[0], a[1]);

    if (err == FB_OK)
        err = prot_check(a[2]);
    if (err != FB_OK)
        return err;
    for (uint64_t i = 0; i < a[1]; i++) {
        if (hal_aspace_query(self->as, (uintptr_t)(a[0] + i * HAL_PAGE_SIZE), NULL, NULL) == FB_OK)
            return FB_EEXIST;
    }
    for (uint64_t i = 0; i < a[1]; i++) {
        uint64_t pa;

        err = umem_alloc(self, false, &pa);
        if (err == FB_OK) {
            err = umem_map(self, (uintptr_t)(a[0] + i * HAL_PAGE_SIZE), pa, prot_flags(a[2]));
            if (err != FB_OK)
                umem_release(self, pa);
        }
        if (err != FB_OK) {
            anon_undo(self, (uintptr_t)a[0], i);
            return err;
        }
    }
    return FB_OK;
}

/* mem_free(va, pages): anonymous pages of the caller's own, checked
 * whole before any goes. */
int64_t sys_mem_free(struct env *self, const uint64_t a[6])
{
    int err = range_check(a[0], a[1]);

    if (err != FB_OK)
        return err;
    for (uint64_t i = 0; i < a[1]; i++) {
        uintptr_t va = (uintptr_t)(a[0] + i * HAL_PAGE_SIZE);
        struct umem_facts f;
        uint64_t pa;

        if (hal_aspace_query(self->as, va, &pa, NULL) != FB_OK)
            return FB_ENOENT;
        if (umem_info(pa & ~(uint64_t)(HAL_PAGE_SIZE - 1), &f) != FB_OK ||
            f.owner != self->id || f.with_cap)
            return FB_EINVAL;
    }
    anon_undo(self, (uintptr_t)a[0], a[1]);
    return FB_OK;
}
