/* HAL contract: moving bytes across the user/kernel boundary safely. */
#ifndef HAL_USERCOPY_H
#define HAL_USERCOPY_H

#include <stddef.h>
#include <stdint.h>

/**
 * Copies @p n bytes from user address @p usrc in the current address space
 * to kernel buffer @p dst. A range outside [HAL_USER_BASE, HAL_USER_TOP),
 * wrapping, unmapped, or lacking HAL_MAP_USER|HAL_MAP_READ is reported, not
 * fatal: the page fault is caught and turned into the return code.
 * Thread context. @return FB_OK; FB_EFAULT (dst contents then unspecified).
 */
int hal_copy_from_user(void *dst, uintptr_t usrc, size_t n);

/** Like hal_copy_from_user, towards user memory; needs HAL_MAP_WRITE. */
int hal_copy_to_user(uintptr_t udst, const void *src, size_t n);

#endif
