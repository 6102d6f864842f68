/* Capability helpers over cap_list: walking the caller's table, finding
 * a capability by type, and handing device capabilities to a child. */
#include "exo.h"

/* Starts a walk; the first cap_iter_next fetches the first batch. */
void cap_iter_init(struct cap_iter *it)
{
    it->count = 0;
    it->pos = 0;
    it->next_slot = 0;
    it->done = false;
}

/* Hands out the batch's next entry, fetching the next batch (from the
 * slot after the last one seen) when this one is used up. */
int cap_iter_next(struct cap_iter *it, struct exo_cap_info *out)
{
    const uint32_t max = sizeof it->batch / sizeof it->batch[0];

    if (it->pos == it->count) {
        if (it->done)
            return 0;
        int64_t n = exo_cap_list(it->batch, max, it->next_slot);
        if (n < 0)
            return (int)n;
        if (n > (int64_t)max)
            return FB_ERANGE;   /* the kernel stored more than asked: never trust that */
        it->count = (uint32_t)n;
        it->pos = 0;
        if (n == 0) {
            it->done = true;
            return 0;
        }
        uint32_t last = cap_handle_index(it->batch[n - 1].handle);
        it->next_slot = last + 1;
        it->done = (uint32_t)n < max || it->next_slot == 0;
    }
    *out = it->batch[it->pos++];
    return 1;
}

/* See exo.h. */
int find_cap(uint32_t type, struct exo_cap_info *out)
{
    struct cap_iter it;
    /* Zeroed only because GCC cannot see cap_iter_next's syscall fill it. */
    struct exo_cap_info c = { 0 };
    int r;

    cap_iter_init(&it);
    while ((r = cap_iter_next(&it, &c)) == 1) {
        if (c.type == type) {
            *out = c;
            return FB_OK;
        }
    }
    return r < 0 ? r : FB_ENOENT;
}

/* See exo.h. */
int grant_device_caps(cap_handle_t env)
{
    struct cap_iter it;
    /* Zeroed only because GCC cannot see cap_iter_next's syscall fill it. */
    struct exo_cap_info c = { 0 };
    int granted = 0;
    int r;

    cap_iter_init(&it);
    while ((r = cap_iter_next(&it, &c)) == 1) {
        if (c.type != CAP_T_CPU && c.type != CAP_T_IRQ)
            continue;
        int64_t h = exo_cap_grant(c.handle, env, c.rights, c.level, c.cats);
        if (h < 0)
            return (int)h;
        granted++;
    }
    return r < 0 ? r : granted;
}
