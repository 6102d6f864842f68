/* IPC endpoints: synchronous rendezvous of a register-sized message
 * between environments, under lattice flow control and gas accounting.
 * Endpoints live in a fixed table and are named by CAP_T_ENDPOINT
 * capabilities whose object is index | generation << 32. An endpoint
 * dies with its root capability (cap_delete of the root, or its owner's
 * exit); whoever is blocked on it then gets FB_ESTALE. */
#ifndef FB_IPC_H
#define FB_IPC_H

#include <stdbool.h>
#include <stdint.h>

#include "cap.h"
#include "exo_abi.h"
#include "lattice.h"

struct env;

#define IPC_ENDPOINTS    256u  /**< endpoints alive at once */
#define IPC_WORDS        4u    /**< payload words of a message */
#define IPC_GAS_BASE     EXO_IPC_GAS_BASE     /**< gas of one send or call, whatever it carries */
#define IPC_GAS_PER_WORD EXO_IPC_GAS_PER_WORD /**< gas per payload word */
/** Gas one send or call charges its sender (the reply to a call is free:
 *  the call paid for the round trip); exo_abi.h tells user space. */
#define IPC_GAS_SEND     (IPC_GAS_BASE + IPC_GAS_PER_WORD * (int64_t)IPC_WORDS)
_Static_assert(IPC_GAS_SEND == EXO_IPC_GAS_MSG, "exo_abi.h's message cost matches");

/** Rights of the root capability ipc_endpoint_create hands out. */
#define IPC_ROOT_RIGHTS \
    (CAP_R_SEND | CAP_R_RECV | CAP_R_CALL | CAP_R_GRANT | CAP_R_DERIVE | CAP_R_REVOKE)

/** A message: the payload and, on receipt, who sent it. */
struct ipc_msg {
    uint64_t w[IPC_WORDS]; /**< payload, copied verbatim */
    uint32_t sender;       /**< on receipt: the sender's environment id */
    bool call;             /**< on receipt: sent by ipc_call, a reply is owed */
};

/** One endpoint's counters (ipc_endpoint_stats). */
struct ipc_endpoint_stats {
    bool live;                  /**< the endpoint exists */
    fb_label_t label;           /**< its label */
    uint64_t messages;          /**< messages handed over (replies not counted) */
    uint64_t denied;            /**< operations refused by the lattice */
    uint32_t blocked_senders;   /**< senders and callers waiting now */
    uint32_t blocked_receivers; /**< receivers waiting now */
};

/** Empties the endpoint table. Boot (env_init), with no environment alive. */
void ipc_init(void);

/**
 * Creates an endpoint labelled @p label, owned by @p e, and gives @p e
 * its root capability (rights IPC_ROOT_RIGHTS, labelled like @p e's
 * other capabilities) in *@p out. @p label must dominate @p e's label:
 * nobody creates a channel below itself.
 * Errors: FB_EINVAL (invalid label, NULL), FB_EPERM (@p label below
 * @p e's), FB_ENOSPC (no free endpoint or capability slot).
 */
int ipc_endpoint_create(struct env *e, fb_label_t label, cap_handle_t *out);

/**
 * Sends @p m on the endpoint @p ep names (CAP_R_SEND) and blocks until a
 * receiver took it. Allowed when @p e's label <= the endpoint's. Charges
 * IPC_GAS_SEND first. Errors: those of cap_verify, FB_EINVAL (not an
 * endpoint), FB_ESTALE (the endpoint died, before or while waiting),
 * FB_EPERM (lattice; counted), FB_ENOGAS (budget too small; nothing
 * sent, nothing charged).
 */
int ipc_send(struct env *e, cap_handle_t ep, const struct ipc_msg *m);

/**
 * Blocks until a sender hands over a message on @p ep (CAP_R_RECV) and
 * stores it, with the sender's id, in *@p out. Allowed when the
 * endpoint's label <= @p e's. A message from ipc_call makes @p e owe
 * its sender a reply (ipc_reply); a reply still owed from an earlier
 * call is then abandoned (that caller gets FB_ESTALE). Errors: as for
 * ipc_send, without FB_ENOGAS.
 */
int ipc_recv(struct env *e, cap_handle_t ep, struct ipc_msg *out);

/**
 * ipc_send with CAP_R_CALL instead of CAP_R_SEND, then blocks until the
 * receiver answers with ipc_reply; the answer (and the replier's id) is
 * stored in *@p reply. Errors: those of ipc_send; FB_ESTALE also when
 * the receiver ended, or received another call, before replying.
 */
int ipc_call(struct env *e, cap_handle_t ep, const struct ipc_msg *m, struct ipc_msg *reply);

/**
 * Answers the caller of the last call @p e received, once. Never blocks.
 * Errors: FB_ENOENT (no reply owed).
 */
int ipc_reply(struct env *e, const struct ipc_msg *m);

/**
 * Hook for cap_delete: when @p h, just deleted from @p e's table, was the
 * root of an endpoint, that endpoint dies: everyone blocked on it wakes
 * with FB_ESTALE. @p object is what the capability named.
 */
void ipc_root_deleted(struct env *e, cap_handle_t h, uint64_t object);

/**
 * Hook for an environment's teardown: every endpoint @p e owns dies, and
 * a reply @p e still owes is abandoned (its caller gets FB_ESTALE).
 */
void ipc_env_teardown(struct env *e);

/** Copies endpoint @p index's counters. Errors: FB_EINVAL (index out of
 *  range or @p out NULL). */
int ipc_endpoint_stats(uint32_t index, struct ipc_endpoint_stats *out);

/** Endpoints alive now (tests and leak checks). */
unsigned ipc_endpoint_count(void);

#endif
