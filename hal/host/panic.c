/* Host panic and halt: report on stderr and abort (so tests can expect
 * SIGABRT), or leave the process with the verdict as its exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hal/panic.h"

/* Writes "PANIC: msg" with one write() so it cannot interleave with other
 * output and needs no stdio lock (a panic may come from anywhere). */
_Noreturn void hal_panic(const char *msg)
{
    char line[512];
    ssize_t written;
    int len = snprintf(line, sizeof line, "PANIC: %s\n", msg != NULL ? msg : "(null)");

    if (len > (int)sizeof line - 1)
        len = (int)sizeof line - 1;
    /* A failed write leaves nowhere to report to; abort regardless. */
    written = write(STDERR_FILENO, line, len > 0 ? (size_t)len : 0);
    (void)written;
    abort();
}

/* Exits 0 for HAL_EXIT_SUCCESS and 1 for anything else; stdio is flushed. */
_Noreturn void hal_halt(int code)
{
    exit(code == HAL_EXIT_SUCCESS ? 0 : 1);
}
