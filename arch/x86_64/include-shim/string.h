/* <string.h> for the BearSSL objects of the kernel (and core/crypto/,
 * which includes BearSSL's headers): only the functions libc.c defines.
 * They are compiled with -nostdinc, so no host C header is reachable. */
#ifndef FB_SHIM_STRING_H
#define FB_SHIM_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
