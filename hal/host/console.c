/* Host console: standard output, one call written whole under a mutex so
 * concurrent callers never interleave inside a call. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "hal/console.h"

static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;

/* Writes all n bytes to fd 1, continuing after partial writes and EINTR.
 * Other errors (closed stdout) drop the rest: a console cannot report.
 * Takes console_lock. */
void hal_console_write(const char *s, size_t n)
{
    pthread_mutex_lock(&console_lock);
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        s += w;
        n -= (size_t)w;
    }
    pthread_mutex_unlock(&console_lock);
}
