/* Console output and input for user programs: printf and friends format
 * with core/lib/fmt.c into a buffer and write it with one console_write;
 * readline runs the line editor (lineedit.c) over console_read. */
#include "exo.h"
#include "fmt.h"
#include "hal/console.h"
#include "lineedit.h"

/* Output that fits here costs no allocation. */
#define PRINTF_STACK_BUF 1024
/* console_write takes at most this many bytes per call. */
#define CONSOLE_MAX 4096

/* Writes n bytes in as few console_write calls as the kernel allows.
 * Returns n, or the kernel's error. */
static int write_all(const char *s, size_t n)
{
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CONSOLE_MAX ? n - done : CONSOLE_MAX;
        int64_t r = exo_console_write(s + done, k);
        if (r < 0)
            return (int)r;
        done += k;
    }
    return (int)n;
}

/* The console HAL call core/lib/fmt.c's kprintf uses; in user space it
 * is the console_write syscall. */
void hal_console_write(const char *s, size_t n)
{
    write_all(s, n);
}

/* Formats into a stack buffer, or into a heap buffer of the exact size
 * when the output is longer; falls back to the cut text without memory. */
int vprintf(const char *fmt, va_list ap)
{
    char buf[PRINTF_STACK_BUF];
    va_list again;
    int n;

    va_copy(again, ap);
    n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0) {
        va_end(again);
        return FB_ERANGE;
    }
    if ((size_t)n < sizeof buf) {
        va_end(again);
        return write_all(buf, (size_t)n);
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        va_end(again);
        return write_all(buf, sizeof buf - 1);
    }
    fmt_vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    int r = write_all(big, (size_t)n);
    free(big);
    return r;
}

/* Variadic vprintf. */
int printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

/* C's vsnprintf: core's formatter as it is. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return fmt_vsnprintf(buf, size, fmt, ap);
}

/* C's snprintf. */
int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Writes s and a newline in one call. */
int puts(const char *s)
{
    return printf("%s\n", s);
}

/* Writes one byte. */
int putchar(int c)
{
    char ch = (char)c;
    int r = write_all(&ch, 1);

    return r < 0 ? r : (unsigned char)ch;
}

/* Line editor input: one blocking console_read per byte. */
static int64_t console_in(void *ctx, char *buf, size_t n)
{
    (void)ctx;
    return exo_console_read(buf, n, 0);
}

/* Line editor echo. */
static void console_out(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    write_all(s, n);
}

static struct line_io console_io = { .read = console_in, .write = console_out };

/* See exo.h. */
int readline(char *buf, size_t len)
{
    return line_read(&console_io, buf, len);
}
