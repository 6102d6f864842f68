/* HAL contract: the debug console. */
#ifndef HAL_CONSOLE_H
#define HAL_CONSOLE_H

#include <stddef.h>

/**
 * Writes @p n bytes of @p s to the console (x86_64: COM1 16550 at 115200
 * 8N1, "\n" sent as "\r\n"; host: standard output). Output of concurrent
 * callers may interleave between calls, never inside one call.
 * Any context, including exception handlers; blocks until written.
 */
void hal_console_write(const char *s, size_t n);

/**
 * Takes up to @p n bytes of console input that have already arrived
 * (x86_64: the COM1 receiver; host: bytes given to hal_host_console_feed)
 * without waiting. Any context. @return the number of bytes stored, 0
 * when none are pending.
 */
size_t hal_console_read(char *buf, size_t n);

#endif
