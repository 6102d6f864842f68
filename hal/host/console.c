/* Host console: output to standard output, one call written whole under
 * a mutex so concurrent callers never interleave inside a call; input
 * from a bounded FIFO that hal_host_console_feed fills. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "hal/console.h"
#include "hal_host.h"

static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t input_lock = PTHREAD_MUTEX_INITIALIZER; /* guards the FIFO */
static char input[HAL_HOST_CONSOLE_INPUT];
static size_t input_head;   /* index of the oldest pending byte */
static size_t input_count;  /* bytes pending */

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

/* Appends what fits of s to the input FIFO. Takes input_lock. */
void hal_host_console_feed(const char *s, size_t n)
{
    pthread_mutex_lock(&input_lock);
    for (size_t i = 0; i < n && input_count < HAL_HOST_CONSOLE_INPUT; i++) {
        input[(input_head + input_count) % HAL_HOST_CONSOLE_INPUT] = s[i];
        input_count++;
    }
    pthread_mutex_unlock(&input_lock);
}

/* Takes up to n pending bytes, oldest first. Takes input_lock. */
size_t hal_console_read(char *buf, size_t n)
{
    size_t got = 0;

    pthread_mutex_lock(&input_lock);
    while (got < n && input_count > 0) {
        buf[got++] = input[input_head];
        input_head = (input_head + 1) % HAL_HOST_CONSOLE_INPUT;
        input_count--;
    }
    pthread_mutex_unlock(&input_lock);
    return got;
}
