/* docs/examples/cap_basics.c */
/* Capability basics: a root in the kernel's table, an attenuated child,
 * a grant to an environment's table, revocation, deletion, the depth
 * bound and lazy reclamation. Exits 0 only if every call returns what
 * docs/CAPABILITY_LATTICE_ARCHITECTURE.md says it returns. */
#include <stdio.h>
#include <stdlib.h>

#include "cap.h"

/* Slot memory: struct cap_slot is 64-byte aligned, so static arrays are. */
static struct cap_slot kernel_slots[32];
static struct cap_slot env_slots[4];

/* Stops the example when a call does not return what the page says. */
static void expect(const char *what, int got, int want)
{
    if (got != want) {
        fprintf(stderr, "cap_basics: %s returned %s, expected %s\n", what, fb_strerror(got),
                fb_strerror(want));
        exit(1);
    }
}

/* A descendant of a revoked capability fails with FB_EREVOKED, or with
 * FB_ESTALE once its slot has been reclaimed. */
static void expect_dead(const char *what, int got)
{
    if (got != FB_EREVOKED && got != FB_ESTALE)
        expect(what, got, FB_EREVOKED);
}

int main(void)
{
    struct cap_table kt, env;
    struct cap_table_stats stats;
    struct cap_info info;
    cap_handle_t root, child, granted, leaf, again, chain[CAP_MAX_DEPTH + 1], h;
    fb_label_t low = lattice_make(1, 0x1), env_clearance = lattice_make(2, 0x3);

    /* The kernel's table may hold anything; the environment's only labels
     * up to level 2 with categories 0 and 1. */
    expect("init kernel table", cap_table_init(&kt, kernel_slots, 32, lattice_top()), FB_OK);
    expect("init env table", cap_table_init(&env, env_slots, 4, env_clearance), FB_OK);

    /* A root capability: every right, the lowest label. */
    expect("create root",
           cap_create(&kt, CAP_T_MEMORY, 0x100000, CAP_R_ALL, lattice_bottom(), &root), FB_OK);
    expect("verify root for read+write", cap_verify(&kt, root, CAP_R_READ | CAP_R_WRITE), FB_OK);

    /* Derivation attenuates: fewer rights, a label at least the parent's. */
    cap_rights_t child_rights =
        CAP_R_READ | CAP_R_WRITE | CAP_R_DERIVE | CAP_R_GRANT | CAP_R_REVOKE;
    expect("derive child", cap_derive(&kt, root, child_rights, low, &child), FB_OK);
    expect("derive with a right the parent lacks",
           cap_derive(&kt, child, CAP_R_READ | CAP_R_EXEC, low, &h), FB_EPERM);
    expect("derive with a label below the parent's",
           cap_derive(&kt, child, CAP_R_READ, lattice_bottom(), &h), FB_EPERM);

    /* A grant puts the child in another table, within that table's clearance. */
    expect("grant to env",
           cap_grant(&kt, child, &env, CAP_R_READ | CAP_R_DERIVE, lattice_make(2, 0x1), &granted),
           FB_OK);
    expect("grant above env's clearance",
           cap_grant(&kt, child, &env, CAP_R_READ, lattice_make(3, 0x1), &h), FB_EPERM);
    expect("env derives a read-only leaf",
           cap_derive(&env, granted, CAP_R_READ, lattice_make(2, 0x1), &leaf), FB_OK);
    expect("the leaf cannot derive", cap_derive(&env, leaf, CAP_R_READ, low, &h), FB_EPERM);
    expect("the leaf has no write right", cap_verify(&env, leaf, CAP_R_WRITE), FB_EPERM);
    expect("lookup leaf", cap_lookup(&env, leaf, &info), FB_OK);
    if (info.depth != 3 || info.parent != granted || info.parent_table != &env ||
        info.object != 0x100000 || info.rights != CAP_R_READ)
        expect("the leaf's fields", FB_EINVAL, FB_OK);
    printf("leaf: depth %u, object %#llx, rights %#x, label (%u, %#llx)\n", info.depth,
           (unsigned long long)info.object, info.rights, info.label.level,
           (unsigned long long)info.label.cats);

    /* Revoking the child kills every descendant, in every table, at once;
     * the child itself stays valid. */
    expect("revoke child", cap_revoke(&kt, child), FB_OK);
    expect_dead("granted after revoke", cap_verify(&env, granted, 0));
    expect_dead("leaf after revoke", cap_verify(&env, leaf, 0));
    expect("child after its own revoke", cap_verify(&kt, child, CAP_R_READ), FB_OK);
    expect("root untouched", cap_verify(&kt, root, 0), FB_OK);
    expect("a new child of the revoked one",
           cap_derive(&kt, child, CAP_R_READ, low, &again), FB_OK);
    expect("the new child lives", cap_verify(&kt, again, CAP_R_READ), FB_OK);
    printf("revoked child: descendants dead, child and new children alive\n");

    /* Deleting frees the slot: the handle goes stale, descendants die. */
    expect("delete child", cap_delete(&kt, child), FB_OK);
    expect("deleted handle", cap_verify(&kt, child, 0), FB_ESTALE);
    expect("delete twice", cap_delete(&kt, child), FB_ESTALE);
    expect_dead("child of the deleted one", cap_verify(&kt, again, 0));
    expect("the handle never issued", cap_verify(&kt, CAP_HANDLE_NONE, 0), FB_EBADCAP);
    expect("a right outside CAP_R_ALL", cap_verify(&kt, root, 1u << 12), FB_EINVAL);

    /* The depth bound: CAP_MAX_DEPTH derivations below a root, no more. */
    chain[0] = root;
    for (int d = 1; d <= CAP_MAX_DEPTH; d++)
        expect("derive down the chain",
               cap_derive(&kt, chain[d - 1], CAP_R_ALL, lattice_bottom(), &chain[d]), FB_OK);
    expect("derive past CAP_MAX_DEPTH",
           cap_derive(&kt, chain[CAP_MAX_DEPTH], CAP_R_READ, lattice_bottom(), &h), FB_EDEPTH);
    expect("the deepest verifies", cap_verify(&kt, chain[CAP_MAX_DEPTH], CAP_R_READ), FB_OK);
    printf("depth bound: %d derivations below the root, the next one FB_EDEPTH\n", CAP_MAX_DEPTH);

    /* Lazy reclamation: a 4-slot table survives any number of
     * grant/revoke cycles, because dead slots return to the pool. */
    for (int i = 0; i < 1000; i++) {
        expect("grant in a cycle", cap_grant(&kt, root, &env, CAP_R_READ, low, &h), FB_OK);
        expect("revoke in a cycle", cap_revoke(&kt, root), FB_OK);
    }
    expect("check env", cap_table_check(&env, &stats, NULL), FB_OK);
    expect("check kernel table", cap_table_check(&kt, NULL, NULL), FB_OK);
    /* Every capability env ever held (2 before the loop, 1000 in it) is
     * dead now: reclaimed, or still waiting for the sweep. */
    if (stats.live != 0 || stats.reclaimed + stats.dead != 1002)
        expect("env's counts", FB_EINVAL, FB_OK);
    printf("1000 grant/revoke cycles in 4 slots: %llu reclaimed, %u dead, %u free\n",
           (unsigned long long)stats.reclaimed, stats.dead, stats.free);
    printf("cap_basics: ok\n");
    return 0;
}
