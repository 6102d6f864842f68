/* Host user copies: walk the current address space page by page under its
 * lock. The whole range is checked before any byte moves, so a failed copy
 * leaves both buffers untouched (stronger than the contract promises; core
 * must not rely on it, the x86_64 HAL stops at the faulting byte). */
#include <string.h>

#include "hal/aspace.h"
#include "hal/usercopy.h"
#include "host_internal.h"
#include "kerr.h"

/* True when [ua, ua + n) lies inside user space without wrapping. */
static bool user_range_ok(uintptr_t ua, size_t n)
{
    return ua >= HAL_USER_BASE && ua < HAL_USER_TOP && n <= HAL_USER_TOP - ua;
}

/* Checks every page of [ua, ua + n) for need, copying towards or from
 * kbuf page by page when kbuf is not NULL. Expects the aspace lock held. */
static int walk_locked(hal_aspace_t *as, uintptr_t ua, void *kbuf, size_t n,
                       uint32_t need, bool to_user)
{
    size_t done = 0;

    while (done < n) {
        uintptr_t va = ua + done;
        size_t chunk = HAL_PAGE_SIZE - (va & (HAL_PAGE_SIZE - 1));
        unsigned char *user;

        if (chunk > n - done)
            chunk = n - done;
        user = host_aspace_reach(as, va, need);
        if (user == NULL)
            return FB_EFAULT;
        if (kbuf != NULL && to_user)
            memmove(user, (unsigned char *)kbuf + done, chunk);
        else if (kbuf != NULL)
            memmove((unsigned char *)kbuf + done, user, chunk);
        done += chunk;
    }
    return FB_OK;
}

/* Validates, then copies, n bytes between kbuf and user address ua. */
static int user_copy(uintptr_t ua, void *kbuf, size_t n, uint32_t need, bool to_user)
{
    hal_aspace_t *as;
    int err;

    if (n == 0)
        return FB_OK;
    if (!user_range_ok(ua, n))
        return FB_EFAULT;
    as = hal_aspace_current();
    if (as == NULL)
        return FB_EFAULT;
    host_aspace_lock(as);
    err = walk_locked(as, ua, NULL, n, need, to_user);
    if (err == FB_OK)
        err = walk_locked(as, ua, kbuf, n, need, to_user);
    host_aspace_unlock(as);
    return err;
}

/* Copies n bytes from user usrc to kernel dst; needs USER|READ pages. */
int hal_copy_from_user(void *dst, uintptr_t usrc, size_t n)
{
    return user_copy(usrc, dst, n, HAL_MAP_USER | HAL_MAP_READ, false);
}

/* Copies n bytes from kernel src to user udst; needs USER|WRITE pages. */
int hal_copy_to_user(uintptr_t udst, const void *src, size_t n)
{
    /* The cast only lets one walker serve both directions; to_user never
     * writes through kbuf. */
    return user_copy(udst, (void *)src, n, HAL_MAP_USER | HAL_MAP_WRITE, true);
}
