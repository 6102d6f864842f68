/* Concurrency check of the capability table. Phase 1: 256 threads
 * derive, grant, verify, revoke and delete at once on shared tables.
 * Phase 2: a few threads recycle the slots of a tiny table as fast as
 * they can (free-list and sweep contention). Phase 3: pairs of threads
 * race a revoke against a delete of the same capability. Checked while
 * they run: (a) once a revoke of a root has returned, no descendant
 * derived before it verifies, on any thread; (b) no slot has two live
 * owners, a slot is only ever reclaimed from a dead capability, and a
 * slot's generation only moves forward; roots stay valid through every
 * revocation. Checked at the end: every table passes cap_table_check
 * and, with everything deleted, every slot is free or retired. Plain C
 * (no Criterion) so it also runs under TSan. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "kerr.h"
#include "lattice.h"

#define THREADS 256
#define ROUNDS  400
/* Every SMALL_EVERY-th thread of phase 1 works on the small table. */
#define SMALL_EVERY 8
#define TINY_THREADS 6
#define TINY_ROUNDS  60000
#define NWORKERS (THREADS + TINY_THREADS)

/* Four big tables that never fill: at most 2052 slots are live or
 * reserved at once (224 big-table workers hold at most 8 capabilities
 * and one reservation each, 4 roots), and every dead one can be
 * reclaimed, so FB_ENOSPC there is a failure. A small and a tiny table
 * fill all the time, so allocation there sweeps the whole table and may
 * legitimately find it full. */
#define BIG_TABLES  4
#define BIG_SLOTS   2112
#define SMALL_SLOTS 24
#define TINY_SLOTS  8
#define SMALL_TABLE BIG_TABLES
#define TINY_TABLE  (BIG_TABLES + 1)
#define NTABLES     (BIG_TABLES + 2)

/* Roots: ROOTS_PER_TABLE in each big table, one in each other table. */
#define ROOTS_PER_TABLE 4
#define BIG_ROOTS  (BIG_TABLES * ROOTS_PER_TABLE)
#define SMALL_ROOT BIG_ROOTS
#define TINY_ROOT  (BIG_ROOTS + 1)
#define NROOTS     (BIG_ROOTS + 2)
/* Home of a worker that picks a random big root for each chain. */
#define ANY_BIG_ROOT NROOTS

#define MAX_HOLD 4
#define MAX_REPORTS 20

/* Phase 3: pairs of threads fight over the one slot of a table of their
 * own, one creating and deleting, the other revoking and verifying
 * whatever handle it last saw. */
#define DUEL_PAIRS  4
#define DUEL_CYCLES 20000

static struct cap_table tables[NTABLES];
static struct cap_slot *table_memory[NTABLES];
static const uint32_t table_slots[NTABLES] = { BIG_SLOTS, BIG_SLOTS, BIG_SLOTS, BIG_SLOTS,
                                               SMALL_SLOTS, TINY_SLOTS };

/* Written by main before any worker starts, read-only afterwards. */
static cap_handle_t roots[NROOTS];
static unsigned root_table[NROOTS];

/* Per root: tickets counts derivations whose descendants were published
 * (each takes a ticket after its derive returned); cut is raised after
 * a revoke returned to the ticket count read before that revoke began,
 * so every ticket below cut names a capability that must be dead. begun
 * and done count revokes started and finished. */
static _Atomic uint64_t tickets[NROOTS];
static _Atomic uint64_t cut[NROOTS];
static _Atomic uint64_t begun[NROOTS];
static _Atomic uint64_t done[NROOTS];

/* Per slot: the handle of the thread-held capability in it, 0 if none. */
static _Atomic uint64_t *owner[NTABLES];

static _Atomic uint64_t failures;
static _Atomic uint64_t n_derived, n_verified, n_dead_seen, n_revokes, n_takeovers, n_full, n_abandoned;

static pthread_barrier_t start_line;
/* The workers of the running phase; set before its threads start. */
static unsigned phase_first, phase_count;

/* A published descendant: written once, then made visible by the
 * owner's release store of its count. */
struct record {
    unsigned root;
    unsigned table;
    cap_handle_t h;
    uint64_t ticket;
    bool leaf; /* a grandchild: anyone may revoke it, which kills nothing */
};

/* One held capability and what its owner knows about it. */
struct held {
    unsigned table;
    cap_handle_t h;
    uint64_t ticket;
    bool killed_by_owner; /* its owner revoked its parent */
};

/* A held chain: a child of a root and maybe a grandchild. */
struct chain {
    unsigned root;
    uint64_t done_before; /* done[root] read before the child was derived */
    struct held child, grand;
    bool has_grand;
};

struct worker {
    pthread_t thread;
    unsigned home; /* its one root, or ANY_BIG_ROOT */
    int rounds;
    uint64_t rng;
    struct record *records;
    _Atomic uint32_t published;
    struct chain chains[MAX_HOLD];
    int nchains;
};

static struct worker workers[NWORKERS];

struct duel {
    struct cap_table table;
    struct cap_slot *memory;
    _Atomic uint64_t current; /* the creator's latest handle */
    _Atomic bool over;
    pthread_t creator, revoker;
};

static struct duel duels[DUEL_PAIRS];

static void fail(const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed) >= MAX_REPORTS)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "FAIL: %s\n", msg);
}

static void count(_Atomic uint64_t *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* splitmix64, one stream per thread. */
static uint64_t next_random(struct worker *w)
{
    uint64_t z = (w->rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool one_in(struct worker *w, unsigned n)
{
    return next_random(w) % n == 0;
}

/* Marks slot h as held by this thread right after h was created. An
 * older handle still there means that capability's slot was reclaimed
 * before its owner deleted it (its owner checks that it was dead); a
 * newer one means ours was already reclaimed and reused. The same
 * handle twice is a slot handed out twice. */
static void claim(unsigned table, cap_handle_t h)
{
    if (cap_handle_index(h) >= table_slots[table]) {
        fail("table %u: handle %#llx names a slot outside the table", table, (unsigned long long)h);
        return;
    }
    _Atomic uint64_t *o = &owner[table][cap_handle_index(h)];
    uint64_t cur = atomic_load_explicit(o, memory_order_acquire);

    for (;;) {
        if (cur != 0 && cap_handle_gen(cur) == cap_handle_gen(h)) {
            fail("table %u slot %u: handle %#llx handed out twice", table, cap_handle_index(h),
                 (unsigned long long)h);
            return;
        }
        if (cur != 0 && cap_handle_gen(cur) > cap_handle_gen(h)) {
            int err = cap_verify(&tables[table], h, 0);
            if (err == FB_OK)
                fail("table %u slot %u: %#llx verifies though %#llx was created in its slot", table,
                     cap_handle_index(h), (unsigned long long)h, (unsigned long long)cur);
            return;
        }
        if (cur != 0)
            count(&n_takeovers);
        /* acq_rel: orders this claim after the previous holder's. */
        if (atomic_compare_exchange_weak_explicit(o, &cur, h, memory_order_acq_rel,
                                                  memory_order_acquire))
            return;
    }
}

/* Gives up the claim right before the delete; fails harmlessly when
 * the slot was reclaimed and claimed by someone else meanwhile. */
static void unclaim(unsigned table, cap_handle_t h)
{
    uint64_t expected = h;

    if (cap_handle_index(h) >= table_slots[table])
        return; /* reported by claim */
    atomic_compare_exchange_strong_explicit(&owner[table][cap_handle_index(h)], &expected, 0,
                                            memory_order_release, memory_order_relaxed);
}

/* Check (a) for one published descendant: read the cut first (acquire:
 * the revoke it reports happened before), then verify. */
static void check_descendant(unsigned root, unsigned table, cap_handle_t h, uint64_t ticket)
{
    uint64_t c = atomic_load_explicit(&cut[root], memory_order_acquire);
    int err = cap_verify(&tables[table], h, 0);

    count(&n_verified);
    if (err == FB_OK && ticket < c)
        fail("root %u: descendant %#llx (ticket %llu) verifies after a revoke covering tickets < %llu",
             root, (unsigned long long)h, (unsigned long long)ticket, (unsigned long long)c);
    else if (err != FB_OK && err != FB_EREVOKED && err != FB_ESTALE)
        fail("verify of descendant %#llx: expected FB_OK, FB_EREVOKED or FB_ESTALE, got %s",
             (unsigned long long)h, fb_strerror(err));
    else if (err != FB_OK)
        count(&n_dead_seen);
}

/* Revokes root k and publishes the cut it guarantees. */
static void revoke_root(unsigned k)
{
    /* acquire: every ticket below v was taken after its derive returned. */
    uint64_t v = atomic_load_explicit(&tickets[k], memory_order_acquire);

    atomic_fetch_add_explicit(&begun[k], 1, memory_order_seq_cst);
    int err = cap_revoke(&tables[root_table[k]], roots[k]);
    if (err != FB_OK) {
        fail("revoke of root %u: expected FB_OK, got %s", k, fb_strerror(err));
        return;
    }
    count(&n_revokes);
    atomic_fetch_add_explicit(&done[k], 1, memory_order_release);
    uint64_t c = atomic_load_explicit(&cut[k], memory_order_relaxed);
    /* release: a reader of the new cut sees this revoke as finished. */
    while (c < v && !atomic_compare_exchange_weak_explicit(&cut[k], &c, v, memory_order_release,
                                                           memory_order_relaxed))
        ;
}

/* Deletes one held capability. FB_ESTALE means its slot was reclaimed,
 * which is only allowed for a dead capability: its owner revoked its
 * parent, or a revoke of its root had not finished before it was
 * derived (begun now exceeds done then). */
static void delete_held(const struct chain *ch, const struct held *x)
{
    unclaim(x->table, x->h);
    int err = cap_delete(&tables[x->table], x->h);
    if (err == FB_OK)
        return;
    if (err != FB_ESTALE) {
        fail("delete of held %#llx: expected FB_OK or FB_ESTALE, got %s", (unsigned long long)x->h,
             fb_strerror(err));
        return;
    }
    uint64_t b = atomic_load_explicit(&begun[ch->root], memory_order_acquire);
    if (!x->killed_by_owner && b <= ch->done_before)
        fail("held %#llx under root %u was reclaimed, yet every revoke of the root had finished "
             "before it was derived", (unsigned long long)x->h, ch->root);
}

/* Half the time a dead capability is left to the sweep, not deleted. */
static bool abandoned(struct worker *w, const struct held *x)
{
    if (!one_in(w, 2) || cap_verify(&tables[x->table], x->h, 0) != FB_EREVOKED)
        return false;
    unclaim(x->table, x->h);
    count(&n_abandoned);
    return true;
}

static void drop_oldest_chain(struct worker *w)
{
    struct chain *ch = &w->chains[0];

    if (ch->has_grand && !abandoned(w, &ch->grand))
        delete_held(ch, &ch->grand);
    if (!abandoned(w, &ch->child))
        delete_held(ch, &ch->child);
    memmove(&w->chains[0], &w->chains[1], (size_t)(w->nchains - 1) * sizeof w->chains[0]);
    w->nchains--;
}

static void publish(struct worker *w, unsigned root, const struct held *x, bool leaf)
{
    uint32_t n = atomic_load_explicit(&w->published, memory_order_relaxed);

    w->records[n] = (struct record){
        .root = root, .table = x->table, .h = x->h, .ticket = x->ticket, .leaf = leaf
    };
    /* release: a reader that sees the count sees the record. */
    atomic_store_explicit(&w->published, n + 1, memory_order_release);
}

/* Derives a child of a root (and maybe a grandchild, possibly in another
 * table), publishes them under one ticket and holds them. */
static void grow_chain(struct worker *w)
{
    bool big = w->home == ANY_BIG_ROOT;
    unsigned hold = big ? MAX_HOLD : 1;
    struct chain ch;
    cap_handle_t h;

    if (w->nchains == (int)hold)
        drop_oldest_chain(w);
    memset(&ch, 0, sizeof ch);
    ch.root = big ? (unsigned)(next_random(w) % BIG_ROOTS) : w->home;
    unsigned rt = root_table[ch.root];
    fb_label_t label = lattice_make((unsigned)(next_random(w) % 4) + 4, 1ull << ch.root | (next_random(w) & 0xf0));

    ch.done_before = atomic_load_explicit(&done[ch.root], memory_order_acquire);
    int err = cap_derive(&tables[rt], roots[ch.root], CAP_R_ALL, label, &h);
    if (err == FB_ENOSPC && !big) {
        count(&n_full);
        return;
    }
    if (err != FB_OK) {
        fail("derive from root %u: expected FB_OK, got %s", ch.root, fb_strerror(err));
        return;
    }
    count(&n_derived);
    ch.child = (struct held){ .table = rt, .h = h };
    claim(rt, h);

    if (big && one_in(w, 2)) {
        unsigned gt = (unsigned)(next_random(w) % BIG_TABLES);
        cap_rights_t rights = ((cap_rights_t)next_random(w) & CAP_R_ALL) | CAP_R_REVOKE;
        fb_label_t glabel = lattice_join(label, lattice_make((unsigned)(next_random(w) % 16), 0));

        err = gt == rt ? cap_derive(&tables[rt], h, rights, glabel, &ch.grand.h)
                       : cap_grant(&tables[rt], h, &tables[gt], rights, glabel, &ch.grand.h);
        if (err == FB_OK) {
            count(&n_derived);
            ch.grand.table = gt;
            ch.has_grand = true;
            claim(gt, ch.grand.h);
        } else if (err != FB_EREVOKED && err != FB_ESTALE) {
            fail("derive from a fresh child: expected FB_OK, or FB_EREVOKED / FB_ESTALE after a "
                 "revoke, got %s", fb_strerror(err));
        }
    }

    /* acq_rel: the ticket orders these derivations before any revoke
     * whose ticket read sees it. */
    ch.child.ticket = atomic_fetch_add_explicit(&tickets[ch.root], 1, memory_order_acq_rel);
    ch.grand.ticket = ch.child.ticket;
    publish(w, ch.root, &ch.child, false);
    if (ch.has_grand)
        publish(w, ch.root, &ch.grand, true);
    w->chains[w->nchains++] = ch;
}

static void verify_own(struct worker *w)
{
    for (int i = 0; i < w->nchains; i++) {
        struct chain *ch = &w->chains[i];

        check_descendant(ch->root, ch->child.table, ch->child.h, ch->child.ticket);
        if (ch->has_grand)
            check_descendant(ch->root, ch->grand.table, ch->grand.h, ch->grand.ticket);
    }
}

/* Checks (a) on other threads' descendants, and now and then revokes
 * one of their grandchildren, racing with its owner's delete and with
 * the sweep: a revoke must never bring a freed slot back. */
static void verify_others(struct worker *w)
{
    for (int i = 0; i < 4; i++) {
        struct worker *o = &workers[phase_first + next_random(w) % phase_count];
        uint32_t n = atomic_load_explicit(&o->published, memory_order_acquire);

        if (n == 0)
            continue;
        const struct record *r = &o->records[next_random(w) % n];
        check_descendant(r->root, r->table, r->h, r->ticket);
        if (r->leaf && one_in(w, 4)) {
            int err = cap_revoke(&tables[r->table], r->h);
            if (err != FB_OK && err != FB_EREVOKED && err != FB_ESTALE)
                fail("revoke of another thread's grandchild %#llx: expected FB_OK, FB_EREVOKED or "
                     "FB_ESTALE, got %s", (unsigned long long)r->h, fb_strerror(err));
        }
    }
}

/* The root a worker uses must verify with every right, always. */
static void verify_root(struct worker *w)
{
    unsigned k = w->home == ANY_BIG_ROOT ? (unsigned)(next_random(w) % BIG_ROOTS) : w->home;
    int err = cap_verify(&tables[root_table[k]], roots[k], CAP_R_ALL);

    if (err != FB_OK)
        fail("root %u: expected FB_OK with every right through revocations, got %s", k, fb_strerror(err));
}

/* Revokes the child of a held chain, killing its grandchild. */
static void revoke_own_child(struct worker *w)
{
    struct chain *ch = &w->chains[next_random(w) % (unsigned)w->nchains];
    int err = cap_revoke(&tables[ch->child.table], ch->child.h);

    if (err != FB_OK && err != FB_EREVOKED && err != FB_ESTALE)
        fail("revoke of a held child: expected FB_OK, FB_EREVOKED or FB_ESTALE, got %s", fb_strerror(err));
    ch->grand.killed_by_owner = true;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    bool big = w->home == ANY_BIG_ROOT;

    pthread_barrier_wait(&start_line);
    for (int r = 0; r < w->rounds; r++) {
        grow_chain(w);
        verify_root(w);
        verify_own(w);
        verify_others(w);
        if (!big && one_in(w, 4))
            revoke_root(w->home);
        else if (big && w->nchains > 0 && one_in(w, 48))
            revoke_root(w->chains[0].root);
        else if (big && w->nchains > 0 && one_in(w, 16))
            revoke_own_child(w);
        verify_own(w);
    }
    while (w->nchains > 0)
        drop_oldest_chain(w);
    return NULL;
}

/* Creates and deletes in the only slot: every new handle must carry a
 * newer generation than the last, so a revoke racing a delete can never
 * have put a freed slot back in use. */
static void *duel_create(void *arg)
{
    struct duel *d = arg;
    cap_handle_t last = CAP_HANDLE_NONE, h;

    for (int i = 0; i < DUEL_CYCLES; i++) {
        int err = cap_create(&d->table, CAP_T_MEMORY, (uint64_t)i, CAP_R_ALL, lattice_bottom(), &h);
        if (err != FB_OK) {
            fail("duel: create in an empty one-slot table, expected FB_OK, got %s", fb_strerror(err));
            break;
        }
        if (cap_handle_gen(h) <= cap_handle_gen(last))
            fail("duel: handle %#llx after %#llx, expected a newer generation", (unsigned long long)h,
                 (unsigned long long)last);
        /* release: the revoker that sees h sees it created. */
        atomic_store_explicit(&d->current, h, memory_order_release);
        err = cap_delete(&d->table, h);
        if (err != FB_OK)
            fail("duel: delete of %#llx, expected FB_OK, got %s", (unsigned long long)h, fb_strerror(err));
        last = h;
    }
    atomic_store_explicit(&d->over, true, memory_order_release);
    return NULL;
}

/* Revokes and verifies the creator's latest handle until it stops. */
static void *duel_revoke(void *arg)
{
    struct duel *d = arg;

    while (!atomic_load_explicit(&d->over, memory_order_acquire)) {
        cap_handle_t h = atomic_load_explicit(&d->current, memory_order_acquire);

        if (h == CAP_HANDLE_NONE)
            continue;
        int err = cap_revoke(&d->table, h);
        if (err != FB_OK && err != FB_ESTALE)
            fail("duel: revoke of %#llx, expected FB_OK or FB_ESTALE, got %s", (unsigned long long)h,
                 fb_strerror(err));
        err = cap_verify(&d->table, h, CAP_R_ALL);
        if (err != FB_OK && err != FB_ESTALE)
            fail("duel: verify of %#llx, expected FB_OK or FB_ESTALE, got %s", (unsigned long long)h,
                 fb_strerror(err));
    }
    return NULL;
}

static int run_duels(void)
{
    for (unsigned i = 0; i < DUEL_PAIRS; i++) {
        struct duel *d = &duels[i];

        d->memory = aligned_alloc(64, cap_table_bytes(1));
        if (d->memory == NULL || cap_table_init(&d->table, d->memory, 1, lattice_top()) != FB_OK) {
            fprintf(stderr, "FAIL: duel table %u setup, expected FB_OK\n", i);
            return -1;
        }
        if (pthread_create(&d->creator, NULL, duel_create, d) != 0 ||
            pthread_create(&d->revoker, NULL, duel_revoke, d) != 0) {
            fprintf(stderr, "FAIL: pthread_create for duel %u\n", i);
            return -1;
        }
    }
    for (unsigned i = 0; i < DUEL_PAIRS; i++) {
        struct duel *d = &duels[i];
        struct cap_table_stats st;
        uint32_t bad = UINT32_MAX;

        pthread_join(d->creator, NULL);
        pthread_join(d->revoker, NULL);
        int err = cap_table_check(&d->table, &st, &bad);
        if (err != FB_OK || st.free != 1)
            fail("duel %u: expected a consistent table with its slot free, got %s (slot %u), %u free", i,
                 fb_strerror(err), bad, st.free);
        free(d->memory);
    }
    return 0;
}

static int setup(void)
{
    for (unsigned i = 0; i < NTABLES; i++) {
        table_memory[i] = aligned_alloc(64, cap_table_bytes(table_slots[i]));
        owner[i] = calloc(table_slots[i], sizeof owner[i][0]);
        if (table_memory[i] == NULL || owner[i] == NULL ||
            cap_table_init(&tables[i], table_memory[i], table_slots[i], lattice_top()) != FB_OK) {
            fprintf(stderr, "FAIL: table %u setup, expected FB_OK\n", i);
            return -1;
        }
    }
    for (unsigned k = 0; k < NROOTS; k++) {
        root_table[k] = k == SMALL_ROOT ? SMALL_TABLE : k == TINY_ROOT ? TINY_TABLE : k / ROOTS_PER_TABLE;
        if (cap_create(&tables[root_table[k]], CAP_T_MEMORY, k, CAP_R_ALL,
                       lattice_make(k % 4, 1ull << k), &roots[k]) != FB_OK) {
            fprintf(stderr, "FAIL: root %u, expected FB_OK from cap_create\n", k);
            return -1;
        }
    }
    for (unsigned i = 0; i < NWORKERS; i++) {
        struct worker *w = &workers[i];

        w->home = i >= THREADS ? TINY_ROOT : i % SMALL_EVERY == 0 ? SMALL_ROOT : ANY_BIG_ROOT;
        w->rounds = i >= THREADS ? TINY_ROUNDS : ROUNDS;
        w->rng = 0xc0ffee00u + i;
        w->records = calloc(2 * (size_t)w->rounds, sizeof w->records[0]);
        if (w->records == NULL) {
            fprintf(stderr, "FAIL: out of memory\n");
            return -1;
        }
    }
    return 0;
}

/* Runs workers first .. first + n - 1 to completion, all released at once. */
static int run_workers(unsigned first, unsigned n)
{
    pthread_attr_t attr;

    phase_first = first;
    phase_count = n;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_barrier_init(&start_line, NULL, n);
    for (unsigned i = first; i < first + n; i++) {
        if (pthread_create(&workers[i].thread, &attr, work, &workers[i]) != 0) {
            fprintf(stderr, "FAIL: pthread_create %u\n", i);
            return -1;
        }
    }
    for (unsigned i = first; i < first + n; i++)
        pthread_join(workers[i].thread, NULL);
    pthread_barrier_destroy(&start_line);
    pthread_attr_destroy(&attr);
    return 0;
}

/* Quiescent: (a) once more for every record, then the checker. */
static uint64_t check_quiescent(void)
{
    uint64_t reclaimed = 0;

    for (unsigned i = 0; i < NWORKERS; i++)
        for (uint32_t j = 0; j < atomic_load(&workers[i].published); j++) {
            const struct record *r = &workers[i].records[j];
            check_descendant(r->root, r->table, r->h, r->ticket);
        }
    for (unsigned i = 0; i < NTABLES; i++) {
        struct cap_table_stats st;
        uint32_t bad = UINT32_MAX;
        int err = cap_table_check(&tables[i], &st, &bad);

        if (err != FB_OK)
            fail("table %u after the run: expected FB_OK from cap_table_check, got %s at slot %u", i,
                 fb_strerror(err), bad);
        else if (st.live != (i < BIG_TABLES ? ROOTS_PER_TABLE : 1))
            fail("table %u after the run: expected only its roots live, got %u live", i, st.live);
        reclaimed += st.reclaimed;
    }
    return reclaimed;
}

/* Reserves every slot until FB_ENOSPC (which first sweeps the whole
 * table, reclaiming the abandoned dead slots) and gives them all back. */
static void reclaim_everything(unsigned table)
{
    uint32_t *index = calloc(table_slots[table], sizeof *index);
    uint32_t n = 0;

    while (n < table_slots[table] && cap_table_alloc(&tables[table], &index[n]) == FB_OK)
        n++;
    for (uint32_t i = 0; i < n; i++)
        if (cap_table_release(&tables[table], index[i]) != FB_OK)
            fail("table %u: release of reserved slot %u, expected FB_OK", table, index[i]);
    free(index);
}

/* Deletes the roots and reclaims what was abandoned; then every slot
 * must be free or retired and no slot may still be claimed. */
static void check_all_slots_back(void)
{
    for (unsigned k = 0; k < NROOTS; k++) {
        int err = cap_delete(&tables[root_table[k]], roots[k]);
        if (err != FB_OK)
            fail("delete of root %u: expected FB_OK, got %s", k, fb_strerror(err));
    }
    for (unsigned i = 0; i < NTABLES; i++) {
        struct cap_table_stats st;
        uint32_t bad = UINT32_MAX;

        reclaim_everything(i);
        int err = cap_table_check(&tables[i], &st, &bad);

        if (err != FB_OK) {
            fail("table %u emptied: expected FB_OK from cap_table_check, got %s at slot %u", i,
                 fb_strerror(err), bad);
            continue;
        }
        if (st.live != 0 || st.dead != 0 || st.reserved != 0 || st.free + st.retired != table_slots[i])
            fail("table %u emptied: expected free + retired == %u and nothing else, got live %u dead %u "
                 "reserved %u free %u retired %u", i, table_slots[i], st.live, st.dead, st.reserved,
                 st.free, st.retired);
        for (uint32_t s = 0; s < table_slots[i]; s++)
            if (atomic_load(&owner[i][s]) != 0)
                fail("table %u slot %u: still claimed by %#llx after every delete", i, s,
                     (unsigned long long)atomic_load(&owner[i][s]));
    }
}

int main(void)
{
    uint64_t reclaimed;

    if (setup() != 0 || run_workers(0, THREADS) != 0 || run_workers(THREADS, TINY_THREADS) != 0)
        return 1;
    reclaimed = check_quiescent();
    check_all_slots_back();
    if (run_duels() != 0)
        return 1;
    if (atomic_load(&failures) != 0) {
        fprintf(stderr, "stress_cap: %llu failures\n", (unsigned long long)atomic_load(&failures));
        return 1;
    }
    printf("stress_cap: %d threads x %d rounds, %d x %d in a %d-slot table, %d revoke/delete duels x %d: "
           "%llu derived, %llu revokes, %llu verifies (%llu dead), %llu abandoned, %llu reclaimed, "
           "%llu takeovers, %llu full; all checks hold\n",
           THREADS, ROUNDS, TINY_THREADS, TINY_ROUNDS, TINY_SLOTS, DUEL_PAIRS, DUEL_CYCLES,
           (unsigned long long)n_derived, (unsigned long long)n_revokes, (unsigned long long)n_verified,
           (unsigned long long)n_dead_seen, (unsigned long long)n_abandoned, (unsigned long long)reclaimed,
           (unsigned long long)n_takeovers,
           (unsigned long long)n_full);
    for (unsigned i = 0; i < NTABLES; i++)
        free(table_memory[i]);
    return 0;
}
