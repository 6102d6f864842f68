/* Fuzz target for the capability table: the input is a program of
 * operations (create, derive, grant, verify, lookup, revoke, delete,
 * token mint and check, raw slot reservation, table reset) over three
 * small tables, each an opcode byte and its argument bytes (see the op_*
 * functions; an input that ends early reads zeroes). A shadow model
 * predicts every result; after each step the target compares the model
 * with the tables (no amplification, revocation is final, what the model
 * calls live verifies, cap_table_check passes and its counts match) and
 * aborts on the first disagreement. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "fuzz_util.h"
#include "kerr.h"
#include "lattice.h"

#define NTABLES 3
#define MAX_SLOTS 32
#define MAX_NODES 256     /* the input ends when this many capabilities exist */
#define MAX_OPS 512       /* operations read from one input */
#define MAX_TOKENS 8      /* minted tokens remembered (a ring) */
#define CHAIN_MAX 17      /* most derivations one CHAIN operation makes */
#define SWEEP_ALL 16      /* steps between checks of every node ever made */

/* Opcodes; the first byte of each operation, modulo OP_COUNT. */
enum op {
    OP_CREATE, OP_DERIVE, OP_GRANT, OP_VERIFY, OP_LOOKUP, OP_REVOKE, OP_DELETE,
    OP_MINT, OP_TOKEN, OP_RESET, OP_RAW, OP_FORGE, OP_CHAIN, OP_COUNT
};

/* A bit per result: bit 0 is FB_OK, bit k is error -k. */
#define E(err) (1u << -(err))

/* What the model knows of one capability ever issued in this run. */
struct node {
    cap_handle_t h;
    int table;
    int parent;             /* node index, -1 for a root */
    uint32_t parent_epoch;  /* the parent's revokes when this was made */
    uint32_t revokes;       /* successful cap_revoke calls on this one */
    uint32_t epoch0;        /* cap_info.epoch right after creation */
    cap_rights_t rights;
    fb_label_t label;
    uint16_t type;
    uint64_t object;
    uint8_t depth;
    uint64_t created_ns;
    bool deleted;           /* its slot is known to be freed or reclaimed */
    bool dead;              /* known not to verify, which is permanent */
    bool failed;            /* a call said FB_EREVOKED or FB_ESTALE */
};

struct token {
    uint8_t bytes[CAP_TOKEN_LEN];
    int node;
    uint32_t revokes;       /* the node's revokes when minted */
};

static const uint32_t capacity[NTABLES] = { 32, 32, 8 };
static struct cap_slot slots[NTABLES][MAX_SLOTS];
static struct cap_table tables[NTABLES];
static fb_label_t clearance[NTABLES];

static struct node nodes[MAX_NODES];
static int n_nodes;
static struct token tokens[MAX_TOKENS];
static int n_tokens;
static uint32_t reserved[NTABLES][MAX_SLOTS]; /* indexes held by cap_table_alloc */
static uint32_t n_reserved[NTABLES];
static uint64_t reclaimed[NTABLES];           /* last stats.reclaimed seen */
static uint64_t known_reclaimed[NTABLES];     /* reclamations the model noticed */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* The lattice order, also defined for invalid levels (which it compares
 * as numbers), so the model never depends on the code under test. */
static bool leq(fb_label_t a, fb_label_t b)
{
    return a.level <= b.level && (a.cats & ~b.cats) == 0;
}

static bool same_label(fb_label_t a, fb_label_t b)
{
    return a.level == b.level && a.cats == b.cats;
}

/* True when node i verifies: neither it nor an ancestor was deleted, and
 * no ancestor was revoked after the derivation below it. Death is
 * permanent, so it is remembered and only live nodes walk their chain. */
static bool alive(int i)
{
    struct node *n = &nodes[i];

    for (int a = i; !n->dead;) {
        const struct node *an = &nodes[a];

        if (an->deleted || an->dead)
            n->dead = true;
        else if (an->parent < 0)
            return true;
        else if (nodes[an->parent].revokes != an->parent_epoch)
            n->dead = true;
        else
            a = an->parent;
    }
    return false;
}

/* The errors a call naming node i may fail with before any argument
 * counts: none while it is alive, FB_ESTALE once deleted, FB_EREVOKED or
 * (after lazy reclamation of its slot) FB_ESTALE when an ancestor link is
 * broken. */
static uint32_t dead_errors(int i)
{
    if (nodes[i].deleted)
        return E(FB_ESTALE);
    return alive(i) ? 0 : E(FB_EREVOKED) | E(FB_ESTALE);
}

/* The only success of a call whose applicable errors are errs. */
static uint32_t allowed(uint32_t errs)
{
    return errs != 0 ? errs : E(FB_OK);
}

/* Node i, dead, turned out to have lost its slot to the lazy sweep. */
static void reclaimed_now(int i)
{
    nodes[i].deleted = true;
    known_reclaimed[nodes[i].table]++;
}

/* Checks err against the allowed results and learns from it: a
 * capability that failed as revoked or stale never verifies again, and
 * FB_ESTALE on one the model still held means its slot was reclaimed. */
static void outcome(int i, int err, uint32_t ok_results)
{
    check(err <= 0 && err > -32 && (ok_results & E(err)) != 0);
    if (i < 0)
        return;
    if (err == FB_OK)
        check(!nodes[i].failed);
    if (err == FB_EREVOKED || err == FB_ESTALE)
        nodes[i].failed = true;
    if (err == FB_ESTALE && !nodes[i].deleted)
        reclaimed_now(i);
}

static uint32_t live_in(int t)
{
    uint32_t n = 0;

    for (int i = 0; i < n_nodes; i++)
        n += nodes[i].table == t && alive(i);
    return n;
}

/* A table is full when nothing in it can be reclaimed: every slot holds
 * a capability that verifies or is reserved by OP_RAW. */
static bool full(int t)
{
    return live_in(t) + n_reserved[t] == capacity[t];
}

static bool is_reserved(int t, uint32_t index)
{
    for (uint32_t k = 0; k < n_reserved[t]; k++)
        if (reserved[t][k] == index)
            return true;
    return false;
}

/* Slot index was just handed out by table t: it must not have been
 * reserved or held by a capability that verifies; one that held a dead
 * capability was reclaimed, so that capability is deleted from now on. */
static void slot_taken(int t, uint32_t index)
{
    check(index < capacity[t] && !is_reserved(t, index));
    for (int i = 0; i < n_nodes; i++) {
        if (nodes[i].table != t || nodes[i].deleted || cap_handle_index(nodes[i].h) != index)
            continue;
        check(!alive(i));
        reclaimed_now(i);
    }
}

/* Checks a lookup of node i against the model, and that it attenuates
 * its parent as the parent's own lookup reports it. */
static void check_info(int i, const struct cap_info *ci)
{
    const struct node *n = &nodes[i];

    check(ci->handle == n->h && ci->type == n->type && ci->object == n->object);
    check(ci->rights == n->rights && same_label(ci->label, n->label) && ci->depth == n->depth);
    check(ci->created_ns == n->created_ns && ci->epoch == n->epoch0 + n->revokes);
    if (n->parent < 0) {
        check(ci->parent == CAP_HANDLE_NONE && ci->parent_table == NULL);
        return;
    }
    const struct node *p = &nodes[n->parent];
    struct cap_info pi;

    check(ci->parent == p->h && ci->parent_table == &tables[p->table]);
    check((ci->rights & ~p->rights) == 0 && leq(p->label, ci->label));
    check(ci->depth == p->depth + 1 && ci->created_ns >= p->created_ns);
    if (cap_lookup(&tables[p->table], p->h, &pi) == FB_OK)
        check((ci->rights & ~pi.rights) == 0 && leq(pi.label, ci->label) &&
              ci->type == pi.type && ci->object == pi.object);
}

/* Records a capability just issued in table t and checks its lookup. */
static void add_node(int t, cap_handle_t h, int parent, cap_rights_t rights, fb_label_t label,
                     uint16_t type, uint64_t object)
{
    struct node *n = &nodes[n_nodes];
    struct cap_info ci;

    slot_taken(t, cap_handle_index(h));
    check(cap_handle_gen(h) != 0);
    for (int i = 0; i < n_nodes; i++)
        check(nodes[i].table != t || nodes[i].h != h);
    memset(n, 0, sizeof *n);
    n->h = h;
    n->table = t;
    n->parent = parent;
    n->rights = rights;
    n->label = label;
    n->type = type;
    n->object = object;
    if (parent >= 0) {
        n->parent_epoch = nodes[parent].revokes;
        n->depth = (uint8_t)(nodes[parent].depth + 1);
    }
    check(cap_lookup(&tables[t], h, &ci) == FB_OK);
    n->epoch0 = ci.epoch;
    n->created_ns = ci.created_ns;
    n_nodes++;
    check_info(n_nodes - 1, &ci);
}

/* Rights for a new capability: base itself, a subset of it, or any bits
 * (amplifying, and with bit 2 of the mode also invalid ones). */
static cap_rights_t pick_rights(struct reader *r, cap_rights_t base)
{
    uint8_t mode = u8(r);
    uint16_t bits = u16(r);

    switch (mode & 3) {
    case 0:
        return base;
    case 1:
    case 2:
        return base & bits;
    default:
        return (mode & 4) ? bits : bits & CAP_R_ALL;
    }
}

/* A label for a new capability: base itself, base raised, anything (an
 * invalid level included), or base lowered. */
static fb_label_t pick_label(struct reader *r, fb_label_t base)
{
    uint8_t mode = u8(r), a = u8(r), b = u8(r);
    fb_label_t l = base;

    switch (mode & 3) {
    case 0:
        break;
    case 1:
        l.level = (uint8_t)(l.level + (a & 3) > 15 ? 15 : l.level + (a & 3));
        if (!(b & 0x80))
            l.cats |= 1ull << (b & 63);
        break;
    case 2:
        l.level = (a & 0x80) ? (a & 31) : (a & 15);
        l.cats = (uint64_t)b << (8 * ((a >> 4) & 7));
        break;
    default:
        if (l.level > 0 && (a & 1))
            l.level--;
        l.cats &= ~(1ull << (b & 63));
        break;
    }
    return l;
}

/* A node chosen by the input, or -1 when there is none yet. */
static int pick_node(struct reader *r)
{
    uint16_t v = u16(r);

    return n_nodes > 0 ? v % n_nodes : -1;
}

static void op_create(struct reader *r)
{
    static const uint16_t types[] = { 0, CAP_T_MEMORY, CAP_T_ENDPOINT, CAP_T_IRQ, CAP_T_DMA,
                                      CAP_T_ENV, CAP_T_CPU, CAP_T_FILE, CAP_T_USER, CAP_T_MAX };
    int t = u8(r) % NTABLES;
    uint16_t type = types[u8(r) % (sizeof types / sizeof types[0])];
    uint64_t object = u8(r);
    cap_rights_t rights = pick_rights(r, CAP_R_ALL);
    fb_label_t label = pick_label(r, lattice_bottom());
    uint32_t errs = 0;
    cap_handle_t h = CAP_HANDLE_NONE;
    int err;

    if (type == 0 || !rights_valid(rights) || label.level >= FB_LATTICE_LEVELS)
        errs |= E(FB_EINVAL);
    if (!leq(label, clearance[t]))
        errs |= E(FB_EPERM);
    if (full(t))
        errs |= E(FB_ENOSPC);
    err = cap_create(&tables[t], type, object, rights, label, &h);
    outcome(-1, err, allowed(errs));
    if (err == FB_OK)
        add_node(t, h, -1, rights, label, type, object);
}

/* cap_derive (to < 0) or cap_grant into table to, from node p; returns
 * the new node or -1. */
static int derive_or_grant(int p, int to, cap_rights_t rights, fb_label_t label)
{
    const struct node *pn = &nodes[p];
    int dst = to < 0 ? pn->table : to;
    cap_rights_t need = to < 0 ? CAP_R_DERIVE : CAP_R_GRANT;
    uint32_t errs = dead_errors(p);
    cap_handle_t h = CAP_HANDLE_NONE;
    int err;

    /* A grant within one table is refused: that is a derivation. */
    if (!rights_valid(rights) || label.level >= FB_LATTICE_LEVELS || to == pn->table)
        errs |= E(FB_EINVAL);
    if (!(pn->rights & need) || (rights & ~pn->rights) != 0)
        errs |= E(FB_EPERM);
    if (!leq(pn->label, label) || !leq(label, clearance[dst]))
        errs |= E(FB_EPERM);
    if (pn->depth >= CAP_MAX_DEPTH)
        errs |= E(FB_EDEPTH);
    if (full(dst))
        errs |= E(FB_ENOSPC);
    if (to < 0)
        err = cap_derive(&tables[dst], pn->h, rights, label, &h);
    else
        err = cap_grant(&tables[pn->table], pn->h, &tables[dst], rights, label, &h);
    outcome(p, err, allowed(errs));
    if (err != FB_OK)
        return -1;
    add_node(dst, h, p, rights, label, pn->type, pn->object);
    return n_nodes - 1;
}

static void op_derive(struct reader *r, bool grant)
{
    int p = pick_node(r);
    int to = grant ? u8(r) % NTABLES : -1;

    if (p < 0)
        return;
    cap_rights_t rights = pick_rights(r, nodes[p].rights);
    fb_label_t label = pick_label(r, nodes[p].label);
    derive_or_grant(p, to, rights, label);
}

/* Derives a chain of up to CHAIN_MAX children, each with its parent's
 * rights and label, to reach the depth bound. */
static void op_chain(struct reader *r)
{
    int p = pick_node(r);
    int count = u8(r) % (CHAIN_MAX + 1);

    for (int k = 0; k < count && p >= 0 && n_nodes < MAX_NODES; k++)
        p = derive_or_grant(p, -1, nodes[p].rights, nodes[p].label);
}

static void op_verify(struct reader *r)
{
    int i = pick_node(r);
    uint8_t mode = u8(r);
    uint16_t bits = u16(r);

    if (i < 0)
        return;
    cap_rights_t need = (mode & 1) ? (cap_rights_t)(nodes[i].rights & bits)
                                   : (mode & 2) ? (cap_rights_t)bits : (cap_rights_t)(bits & CAP_R_ALL);
    uint32_t errs = dead_errors(i);

    if (!rights_valid(need))
        errs |= E(FB_EINVAL);
    if ((need & ~nodes[i].rights) != 0)
        errs |= E(FB_EPERM);
    outcome(i, cap_verify(&tables[nodes[i].table], nodes[i].h, need), allowed(errs));
}

static void op_lookup(struct reader *r)
{
    int i = pick_node(r);
    struct cap_info ci;
    int err;

    if (i < 0)
        return;
    err = cap_lookup(&tables[nodes[i].table], nodes[i].h, &ci);
    outcome(i, err, allowed(dead_errors(i)));
    if (err == FB_OK)
        check_info(i, &ci);
    err = cap_lookup(&tables[nodes[i].table], nodes[i].h, NULL);
    check(err == FB_EINVAL || (dead_errors(i) & E(err)) != 0);
}

static void op_revoke(struct reader *r)
{
    int i = pick_node(r);
    uint32_t errs;
    int err;

    if (i < 0)
        return;
    errs = dead_errors(i);
    if (!(nodes[i].rights & CAP_R_REVOKE))
        errs |= E(FB_EPERM);
    err = cap_revoke(&tables[nodes[i].table], nodes[i].h);
    outcome(i, err, allowed(errs));
    if (err == FB_OK)
        nodes[i].revokes++;
}

static void op_delete(struct reader *r)
{
    int i = pick_node(r);
    uint32_t ok_results;
    int err;

    if (i < 0)
        return;
    /* A dead capability may be deleted, unless its slot was reclaimed. */
    ok_results = nodes[i].deleted ? E(FB_ESTALE) : alive(i) ? E(FB_OK) : E(FB_OK) | E(FB_ESTALE);
    err = cap_delete(&tables[nodes[i].table], nodes[i].h);
    outcome(-1, err, ok_results);
    if (err == FB_ESTALE && !nodes[i].deleted)
        reclaimed_now(i);
    nodes[i].deleted = true;
    nodes[i].failed = true;
}

/* The token's fields are the capability's, in the documented layout. */
static void check_token_layout(int i, const uint8_t *tok)
{
    const struct node *n = &nodes[i];

    check(memcmp(tok, "FBT1", 4) == 0 && tok[4] == 1 && tok[5] == 0);
    check((tok[6] | tok[7] << 8) == n->type);
    check(rd32(tok + 8) == tables[n->table].id);
    check(rd32(tok + 12) == cap_handle_index(n->h) && rd32(tok + 16) == cap_handle_gen(n->h));
    check(rd32(tok + 20) == n->rights && rd64(tok + 24) == n->object);
    check(rd64(tok + 32) == n->label.cats && tok[40] == n->label.level);
    check(tok[41] == n->depth && tok[42] == 0 && tok[43] == 0);
    check(rd32(tok + 44) == n->epoch0 + n->revokes && rd64(tok + 48) == n->created_ns);
}

/* What checking token k must give: success while its capability
 * verifies and was not revoked since the minting, else the capability's
 * error (FB_EREVOKED for a revocation of the capability itself). */
static uint32_t token_results(int k)
{
    int i = tokens[k].node;

    if (!alive(i))
        return dead_errors(i);
    return nodes[i].revokes == tokens[k].revokes ? E(FB_OK) : E(FB_EREVOKED);
}

/* Verifies token k against table t, with or without an info copy; the
 * copy must match the model when it succeeds. */
static int verify_token(int k, int t, const void *bytes, size_t len, bool want_info)
{
    struct cap_info ci;
    int err = cap_token_verify(&tables[t], bytes, len, want_info ? &ci : NULL);

    if (err == FB_OK && want_info)
        check_info(tokens[k].node, &ci);
    return err;
}

static void op_mint(struct reader *r)
{
    int i = pick_node(r);
    uint8_t tok[CAP_TOKEN_LEN];
    uint32_t errs;
    int err;

    if (i < 0)
        return;
    errs = dead_errors(i);
    if (!(nodes[i].rights & CAP_R_GRANT))
        errs |= E(FB_EPERM);
    err = cap_token_mint(&tables[nodes[i].table], nodes[i].h, tok);
    outcome(i, err, allowed(errs));
    if (err != FB_OK)
        return;
    check_token_layout(i, tok);
    int k = n_tokens % MAX_TOKENS;
    memcpy(tokens[k].bytes, tok, CAP_TOKEN_LEN);
    tokens[k].node = i;
    tokens[k].revokes = nodes[i].revokes;
    n_tokens++;
    outcome(i, verify_token(k, nodes[i].table, tok, CAP_TOKEN_LEN, true), E(FB_OK));
}

/* Checks a remembered token: as it is, against another table, with one
 * byte changed, or cut or padded to another length. */
static void op_token(struct reader *r)
{
    uint8_t k = u8(r), variant = u8(r), a = u8(r), b = u8(r);
    uint8_t buf[CAP_TOKEN_LEN + 32];
    int i, t, other;
    bool info = (variant & 4) != 0;

    if (n_tokens == 0)
        return;
    k %= n_tokens < MAX_TOKENS ? n_tokens : MAX_TOKENS;
    i = tokens[k].node;
    t = nodes[i].table;
    memset(buf, 0, sizeof buf);
    memcpy(buf, tokens[k].bytes, CAP_TOKEN_LEN);
    switch (variant & 3) {
    case 0:
        /* A revoked token of a live capability says nothing about it. */
        outcome(alive(i) ? -1 : i, verify_token(k, t, buf, CAP_TOKEN_LEN, info), token_results(k));
        break;
    case 1:
        other = (t + 1 + a % (NTABLES - 1)) % NTABLES;
        outcome(-1, verify_token(k, other, buf, CAP_TOKEN_LEN, info), E(FB_EAUTH));
        break;
    case 2:
        buf[a % CAP_TOKEN_LEN] ^= (uint8_t)(b | 1);
        outcome(-1, verify_token(k, t, buf, CAP_TOKEN_LEN, info), E(FB_EAUTH));
        break;
    default:
        outcome(-1, verify_token(k, t, buf, (b & 1) ? a % CAP_TOKEN_LEN : CAP_TOKEN_LEN + 1 + a % 31, info),
                E(FB_EINVAL));
        break;
    }
}

static void op_reset(struct reader *r)
{
    int t = u8(r) % NTABLES;

    cap_table_reset(&tables[t]);
    for (int i = 0; i < n_nodes; i++)
        if (nodes[i].table == t && !nodes[i].deleted)
            nodes[i].deleted = true;
    n_reserved[t] = 0;
}

/* Reserves a slot with cap_table_alloc, gives a reserved one back, or
 * tries to give back a slot that is not reserved (a live one, say). */
static void op_raw(struct reader *r)
{
    int t = u8(r) % NTABLES;
    uint8_t sub = u8(r), idx = u8(r);
    uint32_t index = UINT32_MAX;
    int err;

    if (sub & 1) {
        err = cap_table_alloc(&tables[t], &index);
        outcome(-1, err, full(t) ? E(FB_ENOSPC) : E(FB_OK));
        if (err == FB_OK) {
            slot_taken(t, index);
            reserved[t][n_reserved[t]++] = index;
        }
    } else if ((sub & 2) && n_reserved[t] > 0) {
        uint32_t k = (uint32_t)(sub >> 2) % n_reserved[t];
        outcome(-1, cap_table_release(&tables[t], reserved[t][k]), E(FB_OK));
        reserved[t][k] = reserved[t][--n_reserved[t]];
    } else if (!is_reserved(t, idx)) {
        outcome(-1, cap_table_release(&tables[t], idx), E(FB_EINVAL));
    }
}

/* Verifies a handle near a known one (another generation, another index,
 * another table, zero): it verifies only if it names a capability the
 * model knows, and then exactly as that one would. */
static void op_forge(struct reader *r)
{
    int t = u8(r) % NTABLES;
    int i = pick_node(r);
    uint8_t mode = u8(r), x = u8(r);
    cap_handle_t h = i >= 0 ? nodes[i].h : ((cap_handle_t)1 << 32);
    uint32_t gen = cap_handle_gen(h), index = cap_handle_index(h);
    int known = -1;
    uint32_t ok_results;

    switch (mode & 3) {
    case 0:
        gen += (x & 1) ? 1 : (uint32_t)-1;
        break;
    case 1:
        index = x;
        break;
    case 2:
        gen = 0;
        break;
    default:
        index ^= (uint32_t)x << 24;
        gen = x;
        break;
    }
    h = (cap_handle_t)gen << 32 | index;
    for (int k = 0; k < n_nodes; k++)
        if (nodes[k].table == t && nodes[k].h == h)
            known = k;
    if (known >= 0)
        ok_results = allowed(dead_errors(known));
    else if (gen == 0 || index >= capacity[t])
        ok_results = E(FB_EBADCAP);
    else
        ok_results = E(FB_EBADCAP) | E(FB_ESTALE);
    outcome(known, cap_verify(&tables[t], h, 0), ok_results);
    if (known < 0) {
        /* Nothing to act on: revoke and delete fail the same way. */
        outcome(-1, cap_revoke(&tables[t], h), ok_results);
        outcome(-1, cap_delete(&tables[t], h), ok_results);
    }
    if (mode & 4)
        check(cap_verify(NULL, h, 0) == FB_EINVAL && cap_revoke(NULL, h) == FB_EINVAL &&
              cap_delete(NULL, h) == FB_EINVAL);
}

/* Compares every table with the model: the checker passes, the counts
 * add up, exactly the capabilities the model calls alive verify. Dead
 * ones are checked again only every SWEEP_ALL steps and at the end, to
 * keep long inputs fast: each was checked when it died. */
static void check_all(bool all)
{
    for (int t = 0; t < NTABLES; t++) {
        struct cap_table_stats st;
        uint32_t bad = UINT32_MAX, live = live_in(t), held = 0;

        check(cap_table_check(&tables[t], &st, &bad) == FB_OK);
        check(st.reserved == n_reserved[t] && st.retired == 0);
        check(st.live + st.dead + st.free + st.retired + st.reserved == capacity[t]);
        check(st.live == live && live + n_reserved[t] <= capacity[t]);
        for (int i = 0; i < n_nodes; i++)
            held += nodes[i].table == t && !nodes[i].deleted && !alive(i);
        check(st.dead <= held);
        check(st.reclaimed >= reclaimed[t] && st.reclaimed >= known_reclaimed[t]);
        reclaimed[t] = st.reclaimed;
    }
    for (int i = 0; i < n_nodes; i++)
        if (all || !nodes[i].dead)
            outcome(i, cap_verify(&tables[nodes[i].table], nodes[i].h, 0), allowed(dead_errors(i)));
}

/* Fresh tables and an empty model for each input. */
static void setup(void)
{
    static const char key[] = "fuzz_cap fixed token key 0123456";
    static bool keyed;

    if (!keyed) {
        check(cap_token_set_key(key, sizeof key - 1) == FB_OK);
        check(cap_table_bytes(MAX_SLOTS) == sizeof slots[0]);
        keyed = true;
    }
    clearance[0] = lattice_top();
    clearance[1] = lattice_make(8, 0x00000000ffffffffull);
    clearance[2] = lattice_make(3, 0xffull);
    for (int t = 0; t < NTABLES; t++) {
        check(cap_table_init(&tables[t], slots[t], capacity[t], clearance[t]) == FB_OK);
        n_reserved[t] = 0;
        reclaimed[t] = 0;
        known_reclaimed[t] = 0;
    }
    for (int t = 1; t < NTABLES; t++)
        check(tables[t].id != tables[0].id);
    n_nodes = 0;
    n_tokens = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = { data, size };

    setup();
    for (int ops = 0; ops < MAX_OPS && r.n > 0 && n_nodes < MAX_NODES; ops++) {
        switch ((enum op)(u8(&r) % OP_COUNT)) {
        case OP_CREATE: op_create(&r); break;
        case OP_DERIVE: op_derive(&r, false); break;
        case OP_GRANT: op_derive(&r, true); break;
        case OP_VERIFY: op_verify(&r); break;
        case OP_LOOKUP: op_lookup(&r); break;
        case OP_REVOKE: op_revoke(&r); break;
        case OP_DELETE: op_delete(&r); break;
        case OP_MINT: op_mint(&r); break;
        case OP_TOKEN: op_token(&r); break;
        case OP_RESET: op_reset(&r); break;
        case OP_RAW: op_raw(&r); break;
        case OP_FORGE: op_forge(&r); break;
        default: op_chain(&r); break;
        }
        check_all(ops % SWEEP_ALL == SWEEP_ALL - 1);
    }
    check_all(true);
    return 0;
}
