/* fault: commits the CPU fault its argument names, so tests can check
 * that a fault in user mode ends only this environment, with a report on
 * the console and exit code EXO_EXIT_FAULT, and never the kernel:
 * "pf" writes to an unmapped page, "ro" writes to its own code, "ud" runs
 * an undefined instruction, "gp" runs a privileged one (hlt), "de"
 * divides by zero. Anything else: exit code 2. */
#include "exo.h"

int main(const char *args);

/* An address in user space that nothing maps. */
#define UNMAPPED 0x0000300000000000ull

/* Commits the fault of name; returns only for an unknown name. */
static void commit(const char *name)
{
    volatile uint64_t zero = 0, one = 1;   /* both unknown: a real DIV */

    if (strcmp(name, "pf") == 0)
        *(volatile uint64_t *)UNMAPPED = 1;
    else if (strcmp(name, "ro") == 0)
        *(volatile uint8_t *)(uintptr_t)&main = 0xc3;
    else if (strcmp(name, "ud") == 0)
        __asm__ volatile("ud2");
    else if (strcmp(name, "gp") == 0)
        __asm__ volatile("hlt");
    else if (strcmp(name, "de") == 0)
        printf("%lu\n", (unsigned long)(one / zero));
}

int main(const char *args)
{
    commit(args);
    printf("fault: unknown fault '%s' (pf, ro, ud, gp, de)\n", args);
    return 2;
}
