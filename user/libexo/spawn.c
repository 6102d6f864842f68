/* Starting a program in a new environment and collecting its exit code:
 * env_create, env_start and env_wait, with the cleanup each failure
 * needs so no half-made child or dead handle is left behind. */
#include "exo.h"

/* Ends a child that was created but could not be started, reaps it and
 * drops its handle. */
static void discard_child(cap_handle_t env)
{
    int64_t code;

    exo_env_kill(env);
    exo_env_wait(env, &code);
    exo_cap_delete(env);
}

/* See exo.h. */
int64_t spawn(const char *path, const char *args, bool grant)
{
    if (args == NULL)
        args = "";
    int64_t env = exo_env_create(path, strlen(path), 0);
    if (env < 0)
        return env;
    if (grant) {
        int g = grant_device_caps((cap_handle_t)env);
        if (g < 0) {
            discard_child((cap_handle_t)env);
            return g;
        }
    }
    int64_t r = exo_env_start((cap_handle_t)env, args, strlen(args));
    if (r < 0) {
        discard_child((cap_handle_t)env);
        return r;
    }
    return env;
}

/* See exo.h. The handle is dropped only after a successful wait: the
 * child is gone then, and its handle would only fill the table. */
int64_t spawn_wait(cap_handle_t env, int64_t *code)
{
    int64_t id = exo_env_wait(env, code);

    if (id >= 0)
        exo_cap_delete(env);
    return id;
}
