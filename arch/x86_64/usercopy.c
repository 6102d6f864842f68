/* hal_copy_from_user / hal_copy_to_user: range checks, a page-table check
 * that every present page is a user page (SMAP's STAC would otherwise
 * also open kernel-only pages of the lower half), then the copy in
 * usercopy.S, whose page faults the #PF handler redirects here. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "hal/aspace.h"
#include "hal/usercopy.h"
#include "kerr.h"
#include "x86.h"

struct ex_entry {
    uint64_t fault_ip;
    uint64_t fixup_ip;
};

extern const struct ex_entry __ex_table_start[], __ex_table_end[];

int x86_copy_user(void *dst, const void *src, size_t n);

/* Read by usercopy.S and isr.S: nonzero once CR4.SMAP is on. */
uint8_t x86_smap_active;
/* Faults turned into FB_EFAULT; the boot self-check reads it. */
uint64_t x86_usercopy_fixups;

/* Called by the #PF handler: resumes a faulting user copy at its fixup.
 * Only kernel-mode faults at an instruction listed in __ex_table, on a
 * user address, qualify: a bad kernel pointer handed to a copy is a
 * kernel bug and gets the full dump. */
bool usercopy_fixup(struct x86_frame *f)
{
    uint64_t cr2 = read_cr2();

    if ((f->cs & 3) != 0 || cr2 < HAL_USER_BASE || cr2 >= HAL_USER_TOP)
        return false;
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++) {
        if (e->fault_ip == f->rip) {
            f->rip = e->fixup_ip;
            x86_usercopy_fixups++;
            return true;
        }
    }
    return false;
}

/* True when [u, u + n) lies inside [HAL_USER_BASE, HAL_USER_TOP). */
static bool user_range(uintptr_t u, size_t n)
{
    return u >= HAL_USER_BASE && u < HAL_USER_TOP && n <= HAL_USER_TOP - u;
}

/* False when the page of va is present but denies user access (or user
 * writes). A missing page passes: the copy faults and reports it. */
static bool page_allows(uintptr_t va, bool write)
{
    uint64_t table = read_cr3() & PTE_ADDR;

    for (int level = 3; level >= 0; level--) {
        uint64_t e = ((const uint64_t *)hal_phys_to_virt(table))[(va >> (12 + 9 * level)) & 511];

        if ((e & PTE_P) == 0)
            return true;
        if ((e & PTE_U) == 0 || (write && (e & PTE_W) == 0))
            return false;
        if (level > 0 && (e & PTE_PS))
            return true;
        table = e & PTE_ADDR;
    }
    return true;
}

/* Checks the range and the rights of every page it touches. */
static bool user_access_ok(uintptr_t u, size_t n, bool write)
{
    if (!user_range(u, n))
        return false;
    for (uintptr_t p = u & ~(uintptr_t)(HAL_PAGE_SIZE - 1); p < u + n; p += HAL_PAGE_SIZE) {
        if (!page_allows(p, write))
            return false;
    }
    return true;
}

/* Copies from the current address space's user memory; n == 0 is FB_OK. */
int hal_copy_from_user(void *dst, uintptr_t usrc, size_t n)
{
    if (n == 0)
        return FB_OK;
    if (!user_access_ok(usrc, n, false))
        return FB_EFAULT;
    return x86_copy_user(dst, (const void *)usrc, n);
}

/* Copies into the current address space's user memory; n == 0 is FB_OK. */
int hal_copy_to_user(uintptr_t udst, const void *src, size_t n)
{
    if (n == 0)
        return FB_OK;
    if (!user_access_ok(udst, n, true))
        return FB_EFAULT;
    return x86_copy_user((void *)udst, src, n);
}
