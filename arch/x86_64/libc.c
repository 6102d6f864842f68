/* memcpy, memmove, memset and memcmp: GCC may emit calls to these even in
 * freestanding code (struct copies, large initializers), so the kernel
 * and user/libexo (which builds this file too) provide them on top of
 * core's kstring. */
#include <stddef.h>

#include "kstring.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Copies n bytes between non-overlapping buffers. */
void *memcpy(void *dst, const void *src, size_t n)
{
    return kmemcpy(dst, src, n);
}

/* Copies n bytes between possibly overlapping buffers. */
void *memmove(void *dst, const void *src, size_t n)
{
    return kmemmove(dst, src, n);
}

/* Fills n bytes with c. */
void *memset(void *dst, int c, size_t n)
{
    return kmemset(dst, c, n);
}

/* Compares n bytes. */
int memcmp(const void *a, const void *b, size_t n)
{
    return kmemcmp(a, b, n);
}
