/* Capability syscalls: thin checks in front of cap.h, which enforces
 * attenuation, labels and revocation. User space may only create roots
 * of its own types (CAP_T_USER and up): kernel objects get their roots
 * from the kernel. */
#include <stdint.h>

#include "cap.h"
#include "env.h"
#include "exo_abi.h"
#include "hal/usercopy.h"
#include "ipc.h"
#include "kerr.h"
#include "lattice.h"
#include "sys.h"

#define CAP_LIST_MAX 1024u   /* entries one cap_list fills at most */

/* The ABI form of a capability's fields. */
static void to_abi(const struct cap_info *ci, struct exo_cap_info *out)
{
    *out = (struct exo_cap_info){
        .handle = ci->handle,
        .object = ci->object,
        .cats = ci->label.cats,
        .type = ci->type,
        .rights = ci->rights,
        .level = ci->label.level,
        .depth = ci->depth,
    };
}

/* Checks a (level, cats) pair and makes the label. */
static int label_arg(uint64_t level, uint64_t cats, fb_label_t *out)
{
    if (level >= FB_LATTICE_LEVELS)
        return FB_EINVAL;
    *out = lattice_make((unsigned)level, cats);
    return FB_OK;
}

/* cap_create(type, object, rights): a root of a user-level type. */
int64_t sys_cap_create(struct env *self, const uint64_t a[6])
{
    cap_handle_t h;
    int err;

    if (a[0] == 0 || a[0] > CAP_T_MAX || a[2] > UINT32_MAX)
        return FB_EINVAL;
    if (a[0] < CAP_T_USER)
        return FB_EPERM;
    err = cap_create(&self->caps, (uint16_t)a[0], a[1], (cap_rights_t)a[2], self->label, &h);
    return err != FB_OK ? err : (int64_t)h;
}

/* cap_derive(cap, rights, level, cats). */
int64_t sys_cap_derive(struct env *self, const uint64_t a[6])
{
    fb_label_t label;
    cap_handle_t h;
    int err = label_arg(a[2], a[3], &label);

    if (err != FB_OK || a[1] > UINT32_MAX)
        return FB_EINVAL;
    err = cap_derive(&self->caps, a[0], (cap_rights_t)a[1], label, &h);
    return err != FB_OK ? err : (int64_t)h;
}

/* cap_revoke(cap). */
int64_t sys_cap_revoke(struct env *self, const uint64_t a[6])
{
    return cap_revoke(&self->caps, a[0]);
}

/* cap_delete(cap). A mapped DMA buffer's root stays (FB_EBUSY): once
 * deleted, the pool may hand the buffer to someone else. Deleting an
 * endpoint's root destroys the endpoint. */
int64_t sys_cap_delete(struct env *self, const uint64_t a[6])
{
    struct cap_info ci;
    bool root_of_endpoint = cap_lookup(&self->caps, a[0], &ci) == FB_OK &&
                            ci.type == CAP_T_ENDPOINT && ci.depth == 0;
    int err = sys_dma_forget(self, a[0]);

    if (err == FB_OK)
        err = cap_delete(&self->caps, a[0]);
    /* An endpoint dies with its root; whoever waits on it wakes. */
    if (err == FB_OK && root_of_endpoint)
        ipc_root_deleted(self, a[0], ci.object);
    return err;
}

/* cap_verify(cap, rights). */
int64_t sys_cap_verify(struct env *self, const uint64_t a[6])
{
    if (a[1] > UINT32_MAX)
        return FB_EINVAL;
    return cap_verify(&self->caps, a[0], (cap_rights_t)a[1]);
}

/* cap_grant(cap, env, rights, level, cats): a derived copy in the
 * table of the environment named by a CAP_T_ENV capability with WRITE. */
int64_t sys_cap_grant(struct env *self, const uint64_t a[6])
{
    fb_label_t label;
    struct env *to;
    cap_handle_t h;
    int err = label_arg(a[3], a[4], &label);

    if (err != FB_OK || a[2] > UINT32_MAX)
        return FB_EINVAL;
    err = env_from_cap(self, a[1], CAP_R_WRITE, &to);
    if (err != FB_OK)
        return err;
    err = env_grant(self, a[0], to, (cap_rights_t)a[2], label, &h);
    return err != FB_OK ? err : (int64_t)h;
}

/* cap_token_mint(cap, out, len): writes CAP_TOKEN_LEN bytes. */
int64_t sys_cap_token_mint(struct env *self, const uint64_t a[6])
{
    uint8_t tok[CAP_TOKEN_LEN];
    int err;

    if (a[2] < CAP_TOKEN_LEN)
        return FB_ERANGE;
    err = cap_token_mint(&self->caps, a[0], tok);
    if (err != FB_OK)
        return err;
    if (hal_copy_to_user((uintptr_t)a[1], tok, sizeof(tok)) != FB_OK)
        return FB_EFAULT;
    return CAP_TOKEN_LEN;
}

/* cap_token_verify(token, len, out). */
int64_t sys_cap_token_verify(struct env *self, const uint64_t a[6])
{
    uint8_t tok[CAP_TOKEN_LEN];
    struct cap_info ci;
    struct exo_cap_info out;
    int err;

    if (a[1] != CAP_TOKEN_LEN)
        return FB_EINVAL;
    if (hal_copy_from_user(tok, (uintptr_t)a[0], sizeof(tok)) != FB_OK)
        return FB_EFAULT;
    err = cap_token_verify(&self->caps, tok, sizeof(tok), &ci);
    if (err != FB_OK)
        return err;
    to_abi(&ci, &out);
    return hal_copy_to_user((uintptr_t)a[2], &out, sizeof(out));
}

/* cap_info(cap, out). */
int64_t sys_cap_info(struct env *self, const uint64_t a[6])
{
    struct cap_info ci;
    struct exo_cap_info out;
    int err = cap_lookup(&self->caps, a[0], &ci);

    if (err != FB_OK)
        return err;
    to_abi(&ci, &out);
    return hal_copy_to_user((uintptr_t)a[1], &out, sizeof(out));
}

/* cap_list(out, max, start): live capabilities from slot start on. */
int64_t sys_cap_list(struct env *self, const uint64_t a[6])
{
    uint32_t start;
    int64_t n = 0;

    if (a[1] > CAP_LIST_MAX || sys_arg_u32(a[2], &start) != FB_OK)
        return FB_EINVAL;
    for (uint32_t i = start; i < self->caps.capacity && (uint64_t)n < a[1]; i++) {
        uint32_t gen = (uint32_t)(atomic_load_explicit(&self->caps.slots[i].stamp,
                                                       memory_order_acquire) >> 32);
        cap_handle_t h = ((cap_handle_t)gen << 32) | i;
        struct cap_info ci;
        struct exo_cap_info out;

        /* acquire above: pairs with the publishing store of a new slot;
         * cap_lookup re-checks the stamp, so a racing change is skipped. */
        if (cap_lookup(&self->caps, h, &ci) != FB_OK)
            continue;
        to_abi(&ci, &out);
        if (hal_copy_to_user((uintptr_t)a[0] + (uint64_t)n * sizeof(out), &out, sizeof(out)) !=
            FB_OK)
            return FB_EFAULT;
        n++;
    }
    return n;
}
