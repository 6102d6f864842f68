/* The C string and number functions user programs call. The memory and
 * basic string routines are core/lib/kstring.c's (tested on the host in
 * test_kstring); numbers go through parse.c (tested in test_libexo). */
#include <limits.h>

#include "exo.h"
#include "kstring.h"
#include "parse.h"

/* Length of s. */
size_t strlen(const char *s)
{
    return kstrlen(s);
}

/* Length of s, reading at most max bytes. */
size_t strnlen(const char *s, size_t max)
{
    return kstrnlen(s, max);
}

/* Compares two strings. */
int strcmp(const char *a, const char *b)
{
    return kstrcmp(a, b);
}

/* Compares at most n bytes of two strings. */
int strncmp(const char *a, const char *b, size_t n)
{
    return kstrncmp(a, b, n);
}

/* First c in s (the NUL counts as part of s), or NULL. */
char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}

/* Last c in s (the NUL counts as part of s), or NULL. */
char *strrchr(const char *s, int c)
{
    const char *hit = NULL;

    for (;; s++) {
        if (*s == (char)c)
            hit = s;
        if (*s == '\0')
            return (char *)hit;
    }
}

/* Copies src and its NUL into dst, which must be big enough. */
char *strcpy(char *dst, const char *src)
{
    return kmemcpy(dst, src, kstrlen(src) + 1);
}

/* Bounded copy; see string.h. */
size_t strlcpy(char *dst, const char *src, size_t size)
{
    return kstrlcpy(dst, src, size);
}

/* strtoul over parse_u64; see stdlib.h. */
unsigned long strtoul(const char *s, char **end, int base)
{
    uint64_t v;
    const char *e;

    parse_u64(s, &e, base < 0 ? 1u : (unsigned)base, &v);   /* 1: an invalid base */
    if (end != NULL)
        *end = (char *)e;
    return (unsigned long)v;
}

/* strtol over parse_i64; see stdlib.h. */
long strtol(const char *s, char **end, int base)
{
    int64_t v;
    const char *e;

    parse_i64(s, &e, base < 0 ? 1u : (unsigned)base, &v);
    if (end != NULL)
        *end = (char *)e;
    return (long)v;
}

/* Decimal int; INT_MIN/INT_MAX when out of range, 0 without digits. */
int atoi(const char *s)
{
    long v = strtol(s, NULL, 10);

    return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}
