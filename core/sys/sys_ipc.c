/* IPC syscalls: user buffers checked in front of core/ipc, which does
 * the rendezvous, the lattice and the gas. Every user buffer is read, or
 * written once as a probe, before the rendezvous: a bad pointer fails
 * the call before a message is taken or given. */
#include <stdint.h>

#include "env.h"
#include "exo_abi.h"
#include "hal/usercopy.h"
#include "ipc.h"
#include "kerr.h"
#include "lattice.h"
#include "sys.h"

/* Reads a message to send from user address u. */
static int msg_in(uint64_t u, struct ipc_msg *m)
{
    struct exo_ipc_msg um;

    if (hal_copy_from_user(&um, (uintptr_t)u, sizeof(um)) != FB_OK)
        return FB_EFAULT;
    if (um.flags != 0)
        return FB_EINVAL;
    for (unsigned i = 0; i < IPC_WORDS; i++)
        m->w[i] = um.w[i];
    m->sender = 0;
    m->call = false;
    return FB_OK;
}

/* Writes a received message (m) to user address u; with m NULL, a zeroed
 * one, which proves u writable before the caller blocks. */
static int msg_out(uint64_t u, const struct ipc_msg *m)
{
    struct exo_ipc_msg um = { 0 };

    if (m != NULL) {
        for (unsigned i = 0; i < IPC_WORDS; i++)
            um.w[i] = m->w[i];
        um.sender = m->sender;
        um.flags = m->call ? EXO_IPC_CALL : 0;
    }
    return hal_copy_to_user((uintptr_t)u, &um, sizeof(um)) == FB_OK ? FB_OK : FB_EFAULT;
}

/* ipc_endpoint_create(level, cats): an endpoint at a label dominating
 * the caller's; returns the root capability. */
int64_t sys_ipc_endpoint_create(struct env *self, const uint64_t a[6])
{
    cap_handle_t h;
    int err;

    if (a[0] >= FB_LATTICE_LEVELS)
        return FB_EINVAL;
    err = ipc_endpoint_create(self, lattice_make((unsigned)a[0], a[1]), &h);
    return err != FB_OK ? err : (int64_t)h;
}

/* ipc_send(ep, msg). */
int64_t sys_ipc_send(struct env *self, const uint64_t a[6])
{
    struct ipc_msg m;
    int err = msg_in(a[1], &m);

    return err != FB_OK ? err : ipc_send(self, a[0], &m);
}

/* ipc_recv(ep, out). The probe leaves nothing to fail after the message
 * is taken: out's page belongs to the caller, whose one thread is the
 * one blocked here, so nothing unmaps it in between. */
int64_t sys_ipc_recv(struct env *self, const uint64_t a[6])
{
    struct ipc_msg m;
    int err = msg_out(a[1], NULL);

    if (err == FB_OK)
        err = ipc_recv(self, a[0], &m);
    return err != FB_OK ? err : msg_out(a[1], &m);
}

/* ipc_call(ep, msg, reply). */
int64_t sys_ipc_call(struct env *self, const uint64_t a[6])
{
    struct ipc_msg m, r;
    int err = msg_in(a[1], &m);

    if (err == FB_OK)
        err = msg_out(a[2], NULL);
    if (err == FB_OK)
        err = ipc_call(self, a[0], &m, &r);
    return err != FB_OK ? err : msg_out(a[2], &r);
}

/* ipc_reply(msg). */
int64_t sys_ipc_reply(struct env *self, const uint64_t a[6])
{
    struct ipc_msg m;
    int err = msg_in(a[0], &m);

    return err != FB_OK ? err : ipc_reply(self, &m);
}
