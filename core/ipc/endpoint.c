/* IPC endpoints and the synchronous rendezvous: send, recv, call, reply.
 * A blocked party is a struct ipc_waiter on its own kernel stack, queued
 * on the endpoint; it sleeps on its environment's ipc_wait queue, so a
 * partner wakes exactly the thread it served (a shared sched_waitq wakes
 * the longest waiter, not a chosen one). Lock order: an endpoint's lock,
 * then reply_lock, then any sched_waitq lock (inside sched_wake_*). */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cap.h"
#include "env.h"
#include "exo_sched.h"
#include "ipc.h"
#include "kerr.h"
#include "lattice.h"
#include "spinlock.h"

/* Waiter states besides the final result (FB_OK or a negative error). */
#define IPC_WAITING    1  /* queued on an endpoint */
#define IPC_REPLY_WAIT 2  /* a call handed over; waiting for the reply */

/* One blocked sender, caller or receiver. Lives on its thread's stack
 * while the thread waits; whoever finishes it reads what it needs first
 * and stores the final status last, since the owner may return at once. */
struct ipc_waiter {
    struct ipc_waiter *next;  /* in an endpoint queue: endpoint lock */
    struct env *env;          /* the blocked environment */
    struct env *replier;      /* in IPC_REPLY_WAIT: who owes the reply (reply_lock) */
    struct ipc_msg msg;       /* sender: the message, then the reply; receiver: what came */
    bool call;                /* a sender that waits for a reply */
    _Atomic int status;       /* IPC_WAITING, IPC_REPLY_WAIT or the result */
};

/* A FIFO of waiters. */
struct waitlist {
    struct ipc_waiter *head;
    struct ipc_waiter *tail;
    uint32_t n;
};

/* One endpoint; every field guarded by lock. */
struct endpoint {
    spinlock_t lock;
    uint32_t gen;             /* generation of the current or last occupant; never 0 once used */
    bool live;
    fb_label_t label;
    struct env *owner;        /* holds the root capability */
    cap_handle_t root;        /* the root, in owner's table */
    struct waitlist senders;  /* senders and callers, oldest first */
    struct waitlist receivers;
    uint64_t messages;
    uint64_t denied;
};

static struct endpoint endpoints[IPC_ENDPOINTS];
static spinlock_t reply_lock;  /* guards every env's ipc_reply and waiters' replier */

/* Appends w. The list's endpoint lock held. */
static void list_push(struct waitlist *l, struct ipc_waiter *w)
{
    w->next = NULL;
    if (l->tail != NULL)
        l->tail->next = w;
    else
        l->head = w;
    l->tail = w;
    l->n++;
}

/* Takes the oldest waiter off, or NULL. Endpoint lock held. */
static struct ipc_waiter *list_pop(struct waitlist *l)
{
    struct ipc_waiter *w = l->head;

    if (w == NULL)
        return NULL;
    l->head = w->next;
    if (l->head == NULL)
        l->tail = NULL;
    l->n--;
    w->next = NULL;
    return w;
}

/* Unlinks w when it is on l. Endpoint lock held. */
static void list_remove(struct waitlist *l, struct ipc_waiter *w)
{
    struct ipc_waiter *prev = NULL;

    for (struct ipc_waiter *p = l->head; p != NULL; prev = p, p = p->next) {
        if (p != w)
            continue;
        if (prev != NULL)
            prev->next = p->next;
        else
            l->head = p->next;
        if (l->tail == p)
            l->tail = prev;
        l->n--;
        return;
    }
}

/* Ends w's wait with status st and wakes its thread. w must not be
 * touched after the store: its thread may already be returning. */
static void finish(struct ipc_waiter *w, int st)
{
    struct env *e = w->env;

    /* release: the message written into w before happens-before the
     * waiter's acquire load of the status. */
    atomic_store_explicit(&w->status, st, memory_order_release);
    sched_wake_all(&e->ipc_wait);
}

/* Empties the table. */
void ipc_init(void)
{
    for (unsigned i = 0; i < IPC_ENDPOINTS; i++) {
        struct endpoint *ep = &endpoints[i];
        hal_irq_state_t s = spin_lock_irqsave(&ep->lock);

        ep->live = false;
        ep->owner = NULL;
        ep->senders = (struct waitlist){ 0 };
        ep->receivers = (struct waitlist){ 0 };
        spin_unlock_irqrestore(&ep->lock, s);
    }
}

/* e's label now (env_set_label changes it under e's lock). */
static fb_label_t label_of(struct env *e)
{
    hal_irq_state_t s = spin_lock_irqsave(&e->lock);
    fb_label_t l = e->label;

    spin_unlock_irqrestore(&e->lock, s);
    return l;
}

/* Claims a free endpoint for e; returns its index or -1. */
static int claim(struct env *e, fb_label_t label)
{
    for (unsigned i = 0; i < IPC_ENDPOINTS; i++) {
        struct endpoint *ep = &endpoints[i];
        hal_irq_state_t s = spin_lock_irqsave(&ep->lock);
        bool got = !ep->live;

        if (got) {
            ep->live = true;
            ep->gen = ep->gen == UINT32_MAX ? 1 : ep->gen + 1;
            ep->label = label;
            ep->owner = e;
            ep->root = CAP_HANDLE_NONE;
            ep->messages = 0;
            ep->denied = 0;
        }
        spin_unlock_irqrestore(&ep->lock, s);
        if (got)
            return (int)i;
    }
    return -1;
}

/* Creates an endpoint and its root capability; see ipc.h. */
int ipc_endpoint_create(struct env *e, fb_label_t label, cap_handle_t *out)
{
    fb_label_t mine;
    struct endpoint *ep;
    hal_irq_state_t s;
    cap_handle_t h;
    int idx, err;

    if (e == NULL || out == NULL || !lattice_valid(label))
        return FB_EINVAL;
    mine = label_of(e);
    if (!lattice_leq(mine, label))
        return FB_EPERM;
    idx = claim(e, label);
    if (idx < 0)
        return FB_ENOSPC;
    ep = &endpoints[idx];
    err = cap_create(&e->caps, CAP_T_ENDPOINT, (uint64_t)idx | (uint64_t)ep->gen << 32,
                     IPC_ROOT_RIGHTS, mine, &h);
    s = spin_lock_irqsave(&ep->lock);
    if (err == FB_OK)
        ep->root = h;
    else
        ep->live = false;
    spin_unlock_irqrestore(&ep->lock, s);
    if (err == FB_OK)
        *out = h;
    return err;
}

/* The endpoint h names in e's table, with the generation the capability
 * was made for, after checking the rights in need. */
static int resolve(struct env *e, cap_handle_t h, cap_rights_t need, struct endpoint **ep,
                   uint32_t *gen)
{
    struct cap_info ci;
    int err = cap_lookup(&e->caps, h, &ci);

    if (err != FB_OK)
        return err;
    if (ci.type != CAP_T_ENDPOINT)
        return FB_EINVAL;
    if ((ci.rights & need) != need)
        return FB_EPERM;
    if ((uint32_t)ci.object >= IPC_ENDPOINTS)
        return FB_ESTALE;
    *ep = &endpoints[(uint32_t)ci.object];
    *gen = (uint32_t)(ci.object >> 32);
    return FB_OK;
}

/* Takes gas from e: all of cost or nothing. */
static int charge(struct env *e, int64_t cost)
{
    /* relaxed: the budget is one number; the CAS alone keeps it from
     * going negative when env_set_gas or another charge races. */
    int64_t g = atomic_load_explicit(&e->gas, memory_order_relaxed);

    do {
        if (g < cost)
            return FB_ENOGAS;
    } while (!atomic_compare_exchange_weak_explicit(&e->gas, &g, g - cost, memory_order_relaxed,
                                                    memory_order_relaxed));
    return FB_OK;
}

/* Makes receiver owe caller a reply. A reply it still owed is abandoned:
 * that caller gets FB_ESTALE. reply_lock held. */
static void owe_reply(struct env *receiver, struct ipc_waiter *caller)
{
    struct ipc_waiter *old = receiver->ipc_reply;

    receiver->ipc_reply = caller;
    caller->replier = receiver;
    /* relaxed: still pending, so the caller keeps waiting; the final
     * store (finish) publishes whatever it reads. */
    atomic_store_explicit(&caller->status, IPC_REPLY_WAIT, memory_order_relaxed);
    if (old != NULL)
        finish(old, FB_ESTALE);
}

/* True when w's wait is over: a result, or a kill to act on. Runs under
 * the env's ipc_wait lock. */
static bool wait_over(void *arg)
{
    struct ipc_waiter *w = arg;
    /* acquire: pairs with the release in finish. */
    int st = atomic_load_explicit(&w->status, memory_order_acquire);

    /* relaxed: see env_kill, which wakes ipc_wait after setting it. */
    return (st != IPC_WAITING && st != IPC_REPLY_WAIT) ||
           atomic_load_explicit(&w->env->kill, memory_order_relaxed);
}

/* Blocks until w has a result and returns it. A kill while waiting takes
 * w off the endpoint (or off its replier) and ends the environment. */
static int wait_result(struct endpoint *ep, struct ipc_waiter *w)
{
    hal_irq_state_t s;
    int err = sched_wait_event(&w->env->ipc_wait, wait_over, w);
    int st = atomic_load_explicit(&w->status, memory_order_acquire);

    if (err == FB_OK && st != IPC_WAITING && st != IPC_REPLY_WAIT)
        return st;
    /* Killed (or not in a scheduled thread): withdraw. Every move away
     * from a pending state holds the endpoint lock or reply_lock, so
     * with both held the state is stable. */
    s = spin_lock_irqsave(&ep->lock);
    spin_lock(&reply_lock);
    st = atomic_load_explicit(&w->status, memory_order_acquire);
    if (st == IPC_WAITING) {
        list_remove(&ep->senders, w);
        list_remove(&ep->receivers, w);
    } else if (st == IPC_REPLY_WAIT && w->replier->ipc_reply == w) {
        w->replier->ipc_reply = NULL;
    }
    if (st == IPC_WAITING || st == IPC_REPLY_WAIT)
        st = err != FB_OK ? err : FB_EAGAIN;
    spin_unlock(&reply_lock);
    spin_unlock_irqrestore(&ep->lock, s);
    env_check_kill();
    return st;
}

/* Locks ep when it is still the endpoint of generation gen and the flow
 * is allowed; counts a denial. Returns with the lock held only on FB_OK. */
static int enter(struct endpoint *ep, uint32_t gen, fb_label_t from, fb_label_t to, bool sending,
                 hal_irq_state_t *s)
{
    *s = spin_lock_irqsave(&ep->lock);
    if (!ep->live || ep->gen != gen) {
        spin_unlock_irqrestore(&ep->lock, *s);
        return FB_ESTALE;
    }
    /* No write down: data flows from the sender into the endpoint and
     * from the endpoint into the receiver. */
    if (!lattice_leq(sending ? from : ep->label, sending ? ep->label : to)) {
        ep->denied++;
        spin_unlock_irqrestore(&ep->lock, *s);
        return FB_EPERM;
    }
    return FB_OK;
}

/* send and call: hand m to a waiting receiver or queue and wait. With
 * call, then wait for the reply into *reply. */
static int transmit(struct env *e, cap_handle_t h, const struct ipc_msg *m, bool call,
                    struct ipc_msg *reply)
{
    struct ipc_waiter w = { .env = e, .msg = *m, .call = call };
    struct ipc_waiter *r;
    struct endpoint *ep = NULL;
    hal_irq_state_t s;
    uint32_t gen = 0;
    int err = resolve(e, h, call ? CAP_R_CALL : CAP_R_SEND, &ep, &gen);
    fb_label_t mine = label_of(e);

    if (err == FB_OK)
        err = enter(ep, gen, mine, mine, true, &s);
    if (err != FB_OK)
        return err;
    err = charge(e, IPC_GAS_SEND);
    if (err != FB_OK) {
        spin_unlock_irqrestore(&ep->lock, s);
        return err;
    }
    w.msg.sender = e->id;
    w.msg.call = call;
    atomic_init(&w.status, IPC_WAITING);
    r = list_pop(&ep->receivers);
    if (r == NULL) {
        list_push(&ep->senders, &w);
    } else {
        ep->messages++;
        r->msg = w.msg;
        if (call) {
            spin_lock(&reply_lock);
            owe_reply(r->env, &w);
            spin_unlock(&reply_lock);
        }
        finish(r, FB_OK);
    }
    spin_unlock_irqrestore(&ep->lock, s);
    if (r != NULL && !call)
        return FB_OK;
    err = wait_result(ep, &w);
    if (err == FB_OK && call)
        *reply = w.msg;
    return err;
}

/* Sends; see ipc.h. */
int ipc_send(struct env *e, cap_handle_t ep, const struct ipc_msg *m)
{
    if (e == NULL || m == NULL)
        return FB_EINVAL;
    return transmit(e, ep, m, false, NULL);
}

/* Calls; see ipc.h. */
int ipc_call(struct env *e, cap_handle_t ep, const struct ipc_msg *m, struct ipc_msg *reply)
{
    if (e == NULL || m == NULL || reply == NULL)
        return FB_EINVAL;
    return transmit(e, ep, m, true, reply);
}

/* Receives; see ipc.h. */
int ipc_recv(struct env *e, cap_handle_t h, struct ipc_msg *out)
{
    struct ipc_waiter w = { .env = e };
    struct ipc_waiter *snd;
    struct endpoint *ep = NULL;
    hal_irq_state_t s;
    uint32_t gen = 0;
    int err;
    fb_label_t mine;

    if (e == NULL || out == NULL)
        return FB_EINVAL;
    err = resolve(e, h, CAP_R_RECV, &ep, &gen);
    mine = label_of(e);
    if (err == FB_OK)
        err = enter(ep, gen, mine, mine, false, &s);
    if (err != FB_OK)
        return err;
    atomic_init(&w.status, IPC_WAITING);
    snd = list_pop(&ep->senders);
    if (snd == NULL) {
        list_push(&ep->receivers, &w);
        spin_unlock_irqrestore(&ep->lock, s);
        err = wait_result(ep, &w);
        if (err == FB_OK)
            *out = w.msg;
        return err;
    }
    ep->messages++;
    *out = snd->msg;
    if (snd->call) {
        spin_lock(&reply_lock);
        owe_reply(e, snd);
        spin_unlock(&reply_lock);
    } else {
        finish(snd, FB_OK);
    }
    spin_unlock_irqrestore(&ep->lock, s);
    return FB_OK;
}

/* Replies; see ipc.h. */
int ipc_reply(struct env *e, const struct ipc_msg *m)
{
    hal_irq_state_t s;
    struct ipc_waiter *c;

    if (e == NULL || m == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&reply_lock);
    c = e->ipc_reply;
    e->ipc_reply = NULL;
    if (c != NULL) {
        c->msg = *m;
        c->msg.sender = e->id;
        c->msg.call = false;
        finish(c, FB_OK);
    }
    spin_unlock_irqrestore(&reply_lock, s);
    return c != NULL ? FB_OK : FB_ENOENT;
}

/* Kills ep: wakes every waiter with FB_ESTALE. Its lock held. */
static void kill_locked(struct endpoint *ep)
{
    struct ipc_waiter *w;

    ep->live = false;
    ep->owner = NULL;
    while ((w = list_pop(&ep->senders)) != NULL)
        finish(w, FB_ESTALE);
    while ((w = list_pop(&ep->receivers)) != NULL)
        finish(w, FB_ESTALE);
}

/* The root of an endpoint was deleted; see ipc.h. */
void ipc_root_deleted(struct env *e, cap_handle_t h, uint64_t object)
{
    struct endpoint *ep;
    hal_irq_state_t s;

    if ((uint32_t)object >= IPC_ENDPOINTS)
        return;
    ep = &endpoints[(uint32_t)object];
    s = spin_lock_irqsave(&ep->lock);
    if (ep->live && ep->gen == (uint32_t)(object >> 32) && ep->owner == e && ep->root == h)
        kill_locked(ep);
    spin_unlock_irqrestore(&ep->lock, s);
}

/* e is ending; see ipc.h. */
void ipc_env_teardown(struct env *e)
{
    hal_irq_state_t s;

    for (unsigned i = 0; i < IPC_ENDPOINTS; i++) {
        struct endpoint *ep = &endpoints[i];

        s = spin_lock_irqsave(&ep->lock);
        if (ep->live && ep->owner == e)
            kill_locked(ep);
        spin_unlock_irqrestore(&ep->lock, s);
    }
    s = spin_lock_irqsave(&reply_lock);
    if (e->ipc_reply != NULL)
        finish(e->ipc_reply, FB_ESTALE);
    e->ipc_reply = NULL;
    spin_unlock_irqrestore(&reply_lock, s);
}

/* Copies one endpoint's counters. */
int ipc_endpoint_stats(uint32_t index, struct ipc_endpoint_stats *out)
{
    struct endpoint *ep;
    hal_irq_state_t s;

    if (index >= IPC_ENDPOINTS || out == NULL)
        return FB_EINVAL;
    ep = &endpoints[index];
    s = spin_lock_irqsave(&ep->lock);
    *out = (struct ipc_endpoint_stats){
        .live = ep->live,
        .label = ep->label,
        .messages = ep->messages,
        .denied = ep->denied,
        .blocked_senders = ep->senders.n,
        .blocked_receivers = ep->receivers.n,
    };
    spin_unlock_irqrestore(&ep->lock, s);
    return FB_OK;
}

/* Live endpoints. */
unsigned ipc_endpoint_count(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < IPC_ENDPOINTS; i++) {
        hal_irq_state_t s = spin_lock_irqsave(&endpoints[i].lock);

        n += endpoints[i].live;
        spin_unlock_irqrestore(&endpoints[i].lock, s);
    }
    return n;
}
