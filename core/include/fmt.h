/* Formatted printing for core/ in both builds: a bounded vsnprintf and
 * kprintf, which formats and writes through hal_console_write. */
#ifndef FB_FMT_H
#define FB_FMT_H

#include <stdarg.h>
#include <stddef.h>

/**
 * Formats into @p buf (size @p size), always NUL-terminating when size > 0.
 * Conversions: %d %i %u %x %X %o %c %s %p %%, length modifiers hh h l ll z t,
 * flags '-' '0' '+' ' ' '#', field width and precision (also '*').
 * An unknown conversion is copied literally, never undefined behaviour.
 * A NULL %s prints "(null)".
 * @return the length the full output would have (C99 semantics).
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/** fmt_vsnprintf with variadic arguments. */
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Formats and writes to the HAL console. Output longer than 512 bytes
 *  per call is truncated. @return the number of bytes written. */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** va_list form of kprintf. */
int kvprintf(const char *fmt, va_list ap);

#endif
