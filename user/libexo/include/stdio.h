/* <stdio.h> for FeuerBird user programs: formatted output to the console
 * (stdio.c). No FILE streams: everything goes to the one console. */
#ifndef LIBEXO_STDIO_H
#define LIBEXO_STDIO_H

#include <stdarg.h>
#include <stddef.h>

/** Formats (core/lib/fmt.c's conversions) and writes the result with one
 *  console_write. @return the number of bytes written, or a negative
 *  FB_E* code from the kernel. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/** Writes @p s and a newline. @return >= 0, or a negative FB_E* code. */
int puts(const char *s);
/** Writes one byte. @return the byte, or a negative FB_E* code. */
int putchar(int c);

#endif
