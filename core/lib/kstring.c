/* Freestanding memory and string helpers (kstring.h). The kernel's
 * memcpy/memset/memmove/memcmp symbols forward here, so these must stay
 * plain loops that the compiler cannot turn back into calls to themselves. */
#include "kstring.h"

#include <stdint.h>

/* A word type the compiler may alias with any object, so word-at-a-time
 * copies of arbitrary memory stay within the aliasing rules. */
typedef uint64_t __attribute__((may_alias)) kword_t;

#define KWORD sizeof(kword_t)

/* True when both pointers share 8-byte alignment and can move by words. */
static int words_ok(const void *a, const void *b)
{
    return (((uintptr_t)a | (uintptr_t)b) & (KWORD - 1)) == 0;
}

/* Copies n bytes forward; words first when both sides are aligned. */
void *kmemcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (words_ok(d, s)) {
        for (; n >= KWORD; n -= KWORD, d += KWORD, s += KWORD)
            *(kword_t *)d = *(const kword_t *)s;
    }
    for (; n > 0; n--)
        *d++ = *s++;
    return dst;
}

/* Copies n bytes, backward when dst lies above an overlapping src. */
void *kmemmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if ((uintptr_t)d < (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n)
        return kmemcpy(dst, src, n);
    while (n > 0) {
        n--;
        d[n] = s[n];
    }
    return dst;
}

/* Fills n bytes with (unsigned char)c; words in the aligned middle. */
void *kmemset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;
    uint64_t w = 0x0101010101010101ull * b;

    for (; n > 0 && ((uintptr_t)d & (KWORD - 1)) != 0; n--)
        *d++ = b;
    for (; n >= KWORD; n -= KWORD, d += KWORD)
        *(kword_t *)d = w;
    for (; n > 0; n--)
        *d++ = b;
    return dst;
}

/* Compares n bytes as unsigned chars. */
int kmemcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a;
    const unsigned char *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return (int)x[i] - (int)y[i];
    }
    return 0;
}

/* Counts bytes before the NUL. */
size_t kstrlen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    return n;
}

/* Counts bytes before the NUL, reading at most max bytes. */
size_t kstrnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0')
        n++;
    return n;
}

/* Compares two strings as unsigned chars. */
int kstrcmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    while (*x != '\0' && *x == *y) {
        x++;
        y++;
    }
    return (int)*x - (int)*y;
}

/* Compares at most n bytes of two strings as unsigned chars. */
int kstrncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return (int)x[i] - (int)y[i];
        if (x[i] == '\0')
            return 0;
    }
    return 0;
}

/* Copies as much of src as fits, NUL-terminates, returns kstrlen(src). */
size_t kstrlcpy(char *dst, const char *src, size_t size)
{
    size_t len = kstrlen(src);

    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        kmemcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
