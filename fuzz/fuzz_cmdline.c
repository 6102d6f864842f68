/* Fuzz target for the kernel command line: any bytes (cut at the first
 * NUL, as the loaders hand it over) must parse without fault, leave every
 * option inside its documented range, and warn exactly as often as the
 * warnings counter says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "fuzz_util.h"
#include "kerr.h"

#define MAX_LINE 4096

/* Counts warnings and checks each message is a terminated, bounded string. */
static void count_warning(const char *msg, void *ctx)
{
    check(msg != NULL && strnlen(msg, 1024) < 1024);
    (*(uint32_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char line[MAX_LINE + 1];
    struct cmdline_opts o;
    uint32_t seen = 0;

    if (size > MAX_LINE)
        size = MAX_LINE;
    memcpy(line, data, size);
    line[size] = '\0';
    check(cmdline_parse(line, &o, count_warning, &seen) == FB_OK);
    check(o.warnings == seen);
    check(o.fault >= FAULT_NONE && o.fault <= FAULT_GUARD);
    check(o.ticks >= 1 && o.ticks <= 10000);
    check(o.loglevel <= 3);
    check(strcmp(cmdline_fault_name(o.fault), "?") != 0);
    return 0;
}
