/* <string.h> for FeuerBird user programs: what libexo implements
 * (user/libexo/string.c), nothing else. */
#ifndef LIBEXO_STRING_H
#define LIBEXO_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strcpy(char *dst, const char *src);
/** Copies as much of @p src as fits in @p size bytes, always
 *  NUL-terminating when size > 0; returns strlen(src) (>= size: cut). */
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
