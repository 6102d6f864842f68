/* init: the first program. With an argument string (what follows "--"
 * on the kernel command line) it runs that program once and exits with the child's code,
 * so a QEMU test sees the verdict; without one it keeps the native shell
 * /bin/fbsh running. Children get init's device capabilities (CPU, IRQ). */
#include "exo.h"

#define SHELL_PATH "/bin/fbsh"
/* A shell that lived shorter than this is restarted only after a pause,
 * so a shell that dies at once cannot flood the console. */
#define QUICK_EXIT_NS 1000000000ull
#define RESTART_PAUSE_NS 1000000000ull

/* Runs path with args as a child and waits for it, storing its exit
 * code in *code. Returns FB_OK, or the FB_E* code of the step that
 * failed (after printing it). */
static int run(const char *path, const char *args, int64_t *code)
{
    int64_t env = spawn(path, args, true);

    if (env < 0) {
        printf("init: cannot start %s: %s\n", path, fb_strerror((int)env));
        return (int)env;
    }
    int64_t id = spawn_wait((cap_handle_t)env, code);
    if (id < 0) {
        printf("init: waiting for %s failed: %s\n", path, fb_strerror((int)id));
        return (int)id;
    }
    printf("init: %s (env %ld) exited with code %ld\n", path, (long)id, (long)*code);
    return FB_OK;
}

/* Splits "path rest..." at the first blank into path and args. */
static void split_command(const char *cmd, char *path, size_t size, const char **rest)
{
    size_t n = 0;

    while (*cmd == ' ')
        cmd++;
    while (cmd[n] != '\0' && cmd[n] != ' ')
        n++;
    if (n >= size)
        n = size - 1;   /* longer than any valid path: the lookup fails */
    memcpy(path, cmd, n);
    path[n] = '\0';
    cmd += n;
    while (*cmd == ' ')
        cmd++;
    *rest = cmd;
}

/* Banner, then one program or the shell forever. */
int main(const char *args)
{
    int64_t code;
    int err;

    printf("\nFeuerBird init (env %ld)\n", (long)exo_env_self());
    if (args[0] != '\0') {
        char path[EXO_PATH_MAX + 1];
        const char *rest;
        split_command(args, path, sizeof path, &rest);
        printf("init: running '%s' with args '%s'\n", path, rest);
        err = run(path, rest, &code);
        return err != FB_OK ? err : (int)code;
    }
    for (;;) {
        int64_t start = exo_time_now();
        err = run(SHELL_PATH, "", &code);
        if (err != FB_OK)
            return err;   /* no shell to run: nothing left for init to do */
        if (exo_time_now() - start < (int64_t)QUICK_EXIT_NS)
            exo_sleep(RESTART_PAUSE_NS);
        printf("init: restarting %s\n", SHELL_PATH);
    }
}
