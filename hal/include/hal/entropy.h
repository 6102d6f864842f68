/* HAL contract: randomness for keys. */
#ifndef HAL_ENTROPY_H
#define HAL_ENTROPY_H

#include <stddef.h>

/**
 * Fills @p buf with @p n bytes from the platform's random source
 * (x86_64: RDSEED, else RDRAND, each retried; host: getrandom).
 * Thread context. Never returns predictable bytes on failure.
 * @return FB_OK; FB_EINVAL when @p buf is NULL and @p n > 0; FB_ENOTSUP
 *         when the CPU has no hardware random source; FB_EAGAIN when the
 *         source kept failing its retries. On failure @p buf is zeroed.
 */
int hal_entropy(void *buf, size_t n);

#endif
