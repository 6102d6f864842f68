/* Freestanding memory and string helpers used by core/ in both builds.
 * Named k* so the host build never collides with libc. */
#ifndef FB_KSTRING_H
#define FB_KSTRING_H

#include <stddef.h>

/** Copies @p n bytes; regions must not overlap. Returns @p dst. */
void *kmemcpy(void *dst, const void *src, size_t n);
/** Copies @p n bytes; regions may overlap. Returns @p dst. */
void *kmemmove(void *dst, const void *src, size_t n);
/** Fills @p n bytes with (unsigned char)@p c. Returns @p dst. */
void *kmemset(void *dst, int c, size_t n);
/** Compares @p n bytes; <0, 0, >0 like memcmp. */
int kmemcmp(const void *a, const void *b, size_t n);
/** Length of a NUL-terminated string. */
size_t kstrlen(const char *s);
/** Length of @p s, at most @p max (no read past @p max bytes). */
size_t kstrnlen(const char *s, size_t max);
/** Compares two NUL-terminated strings like strcmp. */
int kstrcmp(const char *a, const char *b);
/** Compares at most @p n bytes of two strings like strncmp. */
int kstrncmp(const char *a, const char *b, size_t n);
/** Copies @p src into @p dst of size @p size, always NUL-terminating when
 *  @p size > 0. Returns kstrlen(src); a result >= size means truncation. */
size_t kstrlcpy(char *dst, const char *src, size_t size);

#endif
