/* Environment syscalls: create, start, exit, wait, info, list, kill and
 * the settings (personality, label, gas, arguments). Another environment
 * is always named by a CAP_T_ENV capability in the caller's table. */
#include <stdint.h>

#include "env.h"
#include "exo_abi.h"
#include "hal/usercopy.h"
#include "kerr.h"
#include "kstring.h"
#include "lattice.h"
#include "sys.h"

#define ENV_LIST_MAX 1024u   /* entries env_list fills at most per call */

/* env_self(): the caller's id. */
int64_t sys_env_self(struct env *self, const uint64_t a[6])
{
    (void)a;
    return self->id;
}

/* env_create(path, path_len, flags): a new environment, not started. */
int64_t sys_env_create(struct env *self, const uint64_t a[6])
{
    char path[EXO_PATH_MAX + 1];
    struct env *child;
    cap_handle_t h;
    int err;

    if (a[2] != 0)
        return FB_EINVAL;
    err = sys_path_in(a[0], a[1], path);
    if (err == FB_OK)
        err = env_create_path(self, path, &child, &h);
    return err != FB_OK ? err : (int64_t)h;
}

/* env_start(env, args, args_len). */
int64_t sys_env_start(struct env *self, const uint64_t a[6])
{
    char args[EXO_ARGS_MAX];
    struct env *e;
    int err = env_from_cap(self, a[0], CAP_R_WRITE, &e);

    if (err != FB_OK)
        return err;
    if (a[2] > EXO_ARGS_MAX - 1)
        return FB_ERANGE;
    if (hal_copy_from_user(args, (uintptr_t)a[1], (size_t)a[2]) != FB_OK)
        return FB_EFAULT;
    args[a[2]] = '\0';
    if (kstrlen(args) != a[2])
        return FB_EINVAL;   /* a NUL inside would cut the string short */
    return env_start(e, args, (size_t)a[2]);
}

/* env_exit(code): never returns. */
int64_t sys_env_exit(struct env *self, const uint64_t a[6])
{
    (void)self;
    env_exit((int64_t)a[0]);
}

/* env_wait(env, code_out): blocks until it ended, then reaps it. */
int64_t sys_env_wait(struct env *self, const uint64_t a[6])
{
    struct env *e;
    int64_t code = 0, id;
    int err = env_from_cap_any(self, a[0], CAP_R_READ, &e);

    if (err != FB_OK)
        return err;
    if (e == self)
        return FB_EINVAL;
    /* The result pointer is checked first, so a bad one loses nothing. */
    if (hal_copy_to_user((uintptr_t)a[1], &code, sizeof(code)) != FB_OK)
        return FB_EFAULT;
    id = env_wait(e, &code);
    if (id < 0)
        return id;
    cap_delete(&self->caps, a[0]);
    if (hal_copy_to_user((uintptr_t)a[1], &code, sizeof(code)) != FB_OK)
        return FB_EFAULT;
    return id;
}

/* env_info(env or 0, out). */
int64_t sys_env_info(struct env *self, const uint64_t a[6])
{
    struct exo_env_info info;
    struct env *e = self;

    if (a[0] != CAP_HANDLE_NONE) {
        int err = env_from_cap_any(self, a[0], CAP_R_READ, &e);

        if (err != FB_OK)
            return err;
    }
    env_info(e, &info);
    return hal_copy_to_user((uintptr_t)a[1], &info, sizeof(info));
}

/* env_list(out, max): returns how many environments live. Copied out in
 * chunks, since ENV_MAX entries would not fit a kernel stack. */
int64_t sys_env_list(struct env *self, const uint64_t a[6])
{
    struct exo_env_info chunk[8];
    size_t total = 0;

    (void)self;
    if (a[1] > ENV_LIST_MAX)
        return FB_EINVAL;
    for (size_t done = 0;; done += 8) {
        size_t want = a[1] > done ? (size_t)a[1] - done : 0, n;

        if (want > 8)
            want = 8;
        total = env_list(chunk, done, want);
        n = total > done ? total - done : 0;
        if (n > want)
            n = want;
        if (hal_copy_to_user((uintptr_t)a[0] + done * sizeof(chunk[0]), chunk,
                             n * sizeof(chunk[0])) != FB_OK)
            return FB_EFAULT;
        if (n < 8)
            return (int64_t)total;
    }
}

/* env_kill(env). */
int64_t sys_env_kill(struct env *self, const uint64_t a[6])
{
    struct env *e;
    int err = env_from_cap(self, a[0], CAP_R_WRITE, &e);

    return err != FB_OK ? err : env_kill(e);
}

/* env_set_personality(env, personality): before it starts. */
int64_t sys_env_set_personality(struct env *self, const uint64_t a[6])
{
    struct env *e;
    hal_irq_state_t s;
    int err = env_from_cap(self, a[0], CAP_R_WRITE, &e);

    if (err != FB_OK)
        return err;
    if (a[1] > EXO_PERS_ILLUMOS)
        return FB_EINVAL;
    s = spin_lock_irqsave(&e->lock);
    if (e->state != EXO_ENV_CREATED)
        err = FB_EBUSY;
    else
        e->personality = (uint32_t)a[1];
    spin_unlock_irqrestore(&e->lock, s);
    return err;
}

/* env_set_label(env, level, cats): labels only rise. */
int64_t sys_env_set_label(struct env *self, const uint64_t a[6])
{
    struct env *e;
    fb_label_t want;
    hal_irq_state_t s;
    int err = env_from_cap(self, a[0], CAP_R_WRITE, &e);

    if (err != FB_OK)
        return err;
    if (a[1] >= FB_LATTICE_LEVELS)
        return FB_EINVAL;
    want = lattice_make((unsigned)a[1], a[2]);
    s = spin_lock_irqsave(&e->lock);
    if (!lattice_leq(e->label, want))
        err = FB_EPERM;
    else
        e->label = want;
    spin_unlock_irqrestore(&e->lock, s);
    return err;
}

/* env_set_gas(env, budget). */
int64_t sys_env_set_gas(struct env *self, const uint64_t a[6])
{
    struct env *e;
    int err = env_from_cap(self, a[0], CAP_R_WRITE, &e);

    if (err != FB_OK)
        return err;
    if (e == self)
        return FB_EPERM;   /* a budget one could raise oneself would limit nothing */
    if ((int64_t)a[1] < 0)
        return FB_EINVAL;
    /* relaxed: a budget, read by whoever charges it next. */
    atomic_store_explicit(&e->gas, (int64_t)a[1], memory_order_relaxed);
    return FB_OK;
}

/* env_args(buf, len): the caller's argument string. */
int64_t sys_env_args(struct env *self, const uint64_t a[6])
{
    size_t len = kstrlen(self->args);

    if (a[1] < len + 1)
        return FB_ERANGE;
    if (hal_copy_to_user((uintptr_t)a[0], self->args, len + 1) != FB_OK)
        return FB_EFAULT;
    return (int64_t)len;
}
