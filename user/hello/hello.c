/* hello: prints one line and exits with code 42, so systest (and
 * anyone at the shell) can check that a child ran and its exit code came
 * back through env_wait. */
#include "exo.h"

/* Exit code the tests expect. */
#define HELLO_EXIT 42

/* Greets with the environment id and the argument string. */
int main(const char *args)
{
    printf("hello from env %ld, args '%s'\n", (long)exo_env_self(), args);
    return HELLO_EXIT;
}
