/* <stdlib.h> for FeuerBird user programs: the heap (malloc.c), number
 * parsing (string.c) and program exit (start.c). */
#ifndef LIBEXO_STDLIB_H
#define LIBEXO_STDLIB_H

#include <stddef.h>

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);

/** strtoul without errno: an overflow gives ULONG_MAX, no digits give 0
 *  with *end = s. A leading '-' is not accepted (no digits). */
unsigned long strtoul(const char *s, char **end, int base);
/** strtol without errno: saturates at LONG_MIN / LONG_MAX. */
long strtol(const char *s, char **end, int base);
int atoi(const char *s);

_Noreturn void exit(int code);

#endif
