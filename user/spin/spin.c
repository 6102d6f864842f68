/* spin: loops forever without a system call, so env_kill has to stop a
 * program that never enters the kernel on its own (the timer tick must
 * end it). systest uses it for env_kill, yield_to and the busy cases. */
#include "exo.h"

/* Burns CPU until killed. */
int main(const char *args)
{
    (void)args;
    for (;;)
        __asm__ volatile("pause");
}
