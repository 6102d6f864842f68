/* The C side of program start and end: runs main with the argument
 * string and hands its result to env_exit. */
#include "exo.h"

int main(const char *args);
_Noreturn void libexo_start(const char *args);

/* Called by crt0's _start; never returns. */
_Noreturn void libexo_start(const char *args)
{
    exit(main(args != NULL ? args : ""));
}

/* Ends the program with code; env_exit does not come back. */
_Noreturn void exit(int code)
{
    exo_env_exit(code);
    for (;;)
        __builtin_trap();   /* reached only if the kernel broke env_exit */
}

/* Ends the program after a fatal library error, with a line saying why. */
_Noreturn void libexo_panic(const char *why)
{
    printf("libexo: %s\n", why);
    exit(LIBEXO_PANIC_EXIT);
}
