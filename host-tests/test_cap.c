/* Specification of the capability table (core/cap/): handles name one
 * slot generation and never another object, derivation only attenuates
 * (rights, labels, depth), revocation kills every descendant in one step
 * while the revoked capability lives on, deleted and revoked slots come
 * back to the pool. Every test that builds a table ends with the
 * invariant checker. Threads: stress_cap.c. Tokens: test_cap_token.c. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "expect.h"
#include "hal/timestamp.h"
#include "kerr.h"
#include "lattice.h"

/* The last generation a slot reaches before it is retired (2^31 - 1). */
#define GEN_LAST 0x7fffffffu

#define MAX_TABLES 4
#define EPOCH_MAX ((1u << 30) - 1)

/* Tables of the running test; each test runs in its own process. */
static struct cap_table tables[MAX_TABLES];
static struct cap_slot *memory[MAX_TABLES];
static int ntables;

/* The fixture of most tests: a 64-slot table cleared for everything and
 * one root capability with every right. */
static struct cap_table *t;
static cap_handle_t root;
#define ROOT_OBJECT 0x1000u
#define ROOT_LABEL lattice_make(2, 0x3)

/* Asserts that a dead descendant fails: FB_EREVOKED while its slot still
 * holds it, FB_ESTALE once an allocation reclaimed the slot. */
#define expect_dead(table, h)                                                        \
    do {                                                                             \
        int got_ = cap_verify((table), (h), 0);                                      \
        cr_assert(got_ == FB_EREVOKED || got_ == FB_ESTALE,                          \
                  "expected FB_EREVOKED or FB_ESTALE for %s, got %s", #h,            \
                  fb_strerror(got_));                                                \
    } while (0)

/* A table of capacity slots over fresh 64-byte aligned memory filled
 * with garbage (init must not trust old contents). */
static struct cap_table *new_table(uint32_t capacity, fb_label_t clearance)
{
    size_t bytes = cap_table_bytes(capacity);
    struct cap_slot *slots;

    cr_assert_lt(ntables, MAX_TABLES, "expected at most %d tables per test", MAX_TABLES);
    slots = aligned_alloc(64, bytes);
    cr_assert_not_null(slots, "expected %zu bytes of slot memory", bytes);
    memset(slots, 0xa5, bytes);
    expect(cap_table_init(&tables[ntables], slots, capacity, clearance), FB_OK);
    memory[ntables] = slots; /* kept reachable for LeakSanitizer */
    return &tables[ntables++];
}

static void setup(void)
{
    t = new_table(64, lattice_top());
    expect(cap_create(t, CAP_T_MEMORY, ROOT_OBJECT, CAP_R_ALL, ROOT_LABEL, &root), FB_OK);
}

/* The invariant every test ends with: each table passes the checker. */
static void expect_consistent_tables(void)
{
    for (int i = 0; i < ntables; i++) {
        uint32_t bad = UINT32_MAX;
        int err = cap_table_check(&tables[i], NULL, &bad);

        cr_assert_eq(err, FB_OK, "expected table %d consistent, got %s at slot %u", i,
                     fb_strerror(err), bad);
    }
}

static struct cap_table_stats stats_of(const struct cap_table *table)
{
    struct cap_table_stats st;

    memset(&st, 0xff, sizeof st);
    expect(cap_table_check(table, &st, NULL), FB_OK);
    return st;
}

/* A child of parent that must succeed. */
static cap_handle_t derive(struct cap_table *table, cap_handle_t parent, cap_rights_t rights,
                           fb_label_t label)
{
    cap_handle_t h = CAP_HANDLE_NONE;

    expect(cap_derive(table, parent, rights, label, &h), FB_OK);
    cr_assert_neq(h, CAP_HANDLE_NONE, "expected a handle");
    return h;
}

static struct cap_info info_of(const struct cap_table *table, cap_handle_t h)
{
    struct cap_info info;

    expect(cap_lookup(table, h, &info), FB_OK);
    return info;
}

/* A handle with the given generation and index. */
static cap_handle_t make_handle(uint32_t gen, uint32_t index)
{
    return (cap_handle_t)gen << 32 | index;
}

/* White-box: the documented stamp layout (generation 63..32, epoch
 * 31..2, state 1..0), for states no test could reach in reasonable time. */
static void set_stamp_generation(struct cap_table *table, uint32_t index, uint32_t gen)
{
    uint64_t s = atomic_load(&table->slots[index].stamp);
    atomic_store(&table->slots[index].stamp, (uint64_t)gen << 32 | (s & 0xffffffffu));
}

static void set_stamp_epoch(struct cap_table *table, uint32_t index, uint32_t epoch)
{
    uint64_t s = atomic_load(&table->slots[index].stamp);
    atomic_store(&table->slots[index].stamp, (s & ~(uint64_t)0xfffffffcu) | (uint64_t)epoch << 2);
}

/* Table setup. */

Test(cap_table, bytes_are_64_per_slot)
{
    cr_assert_eq(sizeof(struct cap_slot), 64, "expected a slot to fill one cache line");
    cr_assert_eq(cap_table_bytes(1), 64, "expected 64 bytes for one slot");
    cr_assert_eq(cap_table_bytes(1000), 64000, "expected 64000 bytes for 1000 slots");
}

Test(cap_table, init_rejects_null_table_or_slots)
{
    struct cap_table table;
    struct cap_slot *slots = aligned_alloc(64, cap_table_bytes(8));

    expect(cap_table_init(NULL, slots, 8, lattice_top()), FB_EINVAL);
    expect(cap_table_init(&table, NULL, 8, lattice_top()), FB_EINVAL);
    free(slots);
}

Test(cap_table, init_rejects_capacity_0_and_above_the_maximum)
{
    struct cap_table table;
    struct cap_slot *slots = aligned_alloc(64, cap_table_bytes(8));

    expect(cap_table_init(&table, slots, 0, lattice_top()), FB_EINVAL);
    expect(cap_table_init(&table, slots, CAP_TABLE_MAX + 1, lattice_top()), FB_EINVAL);
    expect(cap_table_init(&table, slots, UINT32_MAX, lattice_top()), FB_EINVAL);
    free(slots);
}

Test(cap_table, init_rejects_misaligned_slots)
{
    struct cap_table table;
    char *mem = aligned_alloc(64, cap_table_bytes(9));

    for (size_t off = 8; off < 64; off += 8)
        expect(cap_table_init(&table, (struct cap_slot *)(mem + off), 8, lattice_top()), FB_EINVAL);
    expect(cap_table_init(&table, (struct cap_slot *)(mem + 64), 8, lattice_top()), FB_OK);
    free(mem);
}

Test(cap_table, init_rejects_an_invalid_clearance)
{
    struct cap_table table;
    struct cap_slot *slots = aligned_alloc(64, cap_table_bytes(8));
    fb_label_t level_16 = { .cats = 0, .level = FB_LATTICE_LEVELS };

    expect(cap_table_init(&table, slots, 8, level_16), FB_EINVAL);
    free(slots);
}

Test(cap_table, new_table_has_every_slot_free)
{
    struct cap_table *table = new_table(37, lattice_top());
    struct cap_table_stats st = stats_of(table);

    cr_assert_eq(st.free, 37, "expected 37 free slots, got %u", st.free);
    cr_assert_eq(st.live + st.dead + st.retired + st.reserved, 0,
                 "expected nothing live, dead, retired or reserved");
    cr_assert_eq(st.reclaimed, 0, "expected nothing reclaimed yet");
}

Test(cap_table, each_table_gets_a_unique_id)
{
    struct cap_table *a = new_table(1, lattice_top());
    struct cap_table *b = new_table(1, lattice_top());
    struct cap_table *c = new_table(1, lattice_top());

    cr_assert(a->id != b->id && b->id != c->id && a->id != c->id,
              "expected distinct ids, got %u %u %u", a->id, b->id, c->id);
}

Test(cap_table, null_table_is_einval_everywhere, .init = setup)
{
    struct cap_table *other = new_table(4, lattice_top());
    struct cap_info info;
    cap_handle_t h;
    uint32_t index;

    expect(cap_create(NULL, CAP_T_MEMORY, 1, CAP_R_ALL, ROOT_LABEL, &h), FB_EINVAL);
    expect(cap_verify(NULL, root, 0), FB_EINVAL);
    expect(cap_lookup(NULL, root, &info), FB_EINVAL);
    expect(cap_derive(NULL, root, CAP_R_READ, ROOT_LABEL, &h), FB_EINVAL);
    expect(cap_grant(NULL, root, other, CAP_R_READ, ROOT_LABEL, &h), FB_EINVAL);
    expect(cap_grant(t, root, NULL, CAP_R_READ, ROOT_LABEL, &h), FB_EINVAL);
    expect(cap_revoke(NULL, root), FB_EINVAL);
    expect(cap_delete(NULL, root), FB_EINVAL);
    expect(cap_table_alloc(NULL, &index), FB_EINVAL);
    expect(cap_table_release(NULL, 0), FB_EINVAL);
    expect(cap_table_check(NULL, NULL, NULL), FB_EINVAL);
    cap_table_reset(NULL); /* does nothing */
    expect(cap_verify(t, root, CAP_R_ALL), FB_OK);
    expect_consistent_tables();
}

Test(cap_table, null_output_is_einval, .init = setup)
{
    expect(cap_create(t, CAP_T_MEMORY, 1, CAP_R_ALL, ROOT_LABEL, NULL), FB_EINVAL);
    expect(cap_derive(t, root, CAP_R_READ, ROOT_LABEL, NULL), FB_EINVAL);
    expect(cap_table_alloc(t, NULL), FB_EINVAL);
    cr_assert_eq(stats_of(t).free, 63, "expected no slot used");
    expect_consistent_tables();
}

Test(cap_table, check_accepts_null_stats_and_index)
{
    new_table(4, lattice_top());
    expect(cap_table_check(&tables[0], NULL, NULL), FB_OK);
}

/* Creation, verification, lookup. */

Test(cap_create, returns_a_handle_that_verifies, .init = setup)
{
    cr_assert_neq(root, CAP_HANDLE_NONE, "expected a non-zero handle");
    cr_assert_neq(cap_handle_gen(root), 0, "expected generation >= 1");
    cr_assert_lt(cap_handle_index(root), 64, "expected an index inside the table");
    expect(cap_verify(t, root, 0), FB_OK);
    expect(cap_verify(t, root, CAP_R_ALL), FB_OK);
    expect_consistent_tables();
}

Test(cap_create, lookup_returns_the_fields_given, .init = setup)
{
    struct cap_info info = info_of(t, root);

    cr_assert_eq(info.handle, root, "expected the handle looked up");
    cr_assert_eq(info.type, CAP_T_MEMORY, "expected CAP_T_MEMORY");
    cr_assert_eq(info.object, ROOT_OBJECT, "expected object %#x", ROOT_OBJECT);
    cr_assert_eq(info.rights, CAP_R_ALL, "expected every right");
    cr_assert(lattice_equal(info.label, ROOT_LABEL), "expected label (2, 0x3)");
    cr_assert_eq(info.depth, 0, "expected depth 0 for a root");
    cr_assert_eq(info.epoch, 0, "expected epoch 0 before any revocation");
    cr_assert_eq(info.parent, CAP_HANDLE_NONE, "expected no parent");
    cr_assert_null(info.parent_table, "expected no parent table");
    expect_consistent_tables();
}

Test(cap_create, stamps_the_creation_time)
{
    struct cap_table *table = new_table(8, lattice_top());
    cap_handle_t a, b;
    uint64_t before = hal_read_timestamp();

    expect(cap_create(table, CAP_T_ENDPOINT, 1, CAP_R_SEND, lattice_bottom(), &a), FB_OK);
    expect(cap_create(table, CAP_T_ENDPOINT, 2, CAP_R_SEND, lattice_bottom(), &b), FB_OK);
    uint64_t after = hal_read_timestamp();
    uint64_t ta = info_of(table, a).created_ns, tb = info_of(table, b).created_ns;

    cr_assert_neq(ta, 0, "expected a non-zero creation time");
    cr_assert(before <= ta && ta <= tb && tb <= after,
              "expected %llu <= %llu <= %llu <= %llu (creation order)", (unsigned long long)before,
              (unsigned long long)ta, (unsigned long long)tb, (unsigned long long)after);
    expect_consistent_tables();
}

Test(cap_create, keeps_every_type_and_object_bit)
{
    struct cap_table *table = new_table(4, lattice_top());
    cap_handle_t h;

    expect(cap_create(table, CAP_T_MAX, UINT64_MAX, CAP_R_READ, lattice_top(), &h), FB_OK);
    struct cap_info info = info_of(table, h);
    cr_assert_eq(info.type, CAP_T_MAX, "expected type 0xffff, got %#x", info.type);
    cr_assert_eq(info.object, UINT64_MAX, "expected object ~0");
    cr_assert(lattice_equal(info.label, lattice_top()), "expected label top");
    expect(cap_create(table, CAP_T_USER, 0, 0, lattice_bottom(), &h), FB_OK);
    cr_assert_eq(info_of(table, h).type, CAP_T_USER, "expected CAP_T_USER");
    cr_assert_eq(info_of(table, h).rights, 0, "expected no rights");
    expect_consistent_tables();
}

Test(cap_create, rejects_type_0)
{
    struct cap_table *table = new_table(4, lattice_top());
    cap_handle_t h;

    expect(cap_create(table, 0, 1, CAP_R_READ, lattice_bottom(), &h), FB_EINVAL);
    cr_assert_eq(stats_of(table).free, 4, "expected no slot used");
    expect_consistent_tables();
}

Test(cap_create, rejects_rights_outside_all)
{
    struct cap_table *table = new_table(4, lattice_top());
    cap_handle_t h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL | 1u << 10, lattice_bottom(), &h), FB_EINVAL);
    expect(cap_create(table, CAP_T_MEMORY, 1, 1u << 31, lattice_bottom(), &h), FB_EINVAL);
    cr_assert_eq(stats_of(table).free, 4, "expected no slot used");
    expect_consistent_tables();
}

Test(cap_create, rejects_an_invalid_label)
{
    struct cap_table *table = new_table(4, lattice_top());
    fb_label_t level_16 = { .cats = 0, .level = FB_LATTICE_LEVELS };
    cap_handle_t h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_READ, level_16, &h), FB_EINVAL);
    expect_consistent_tables();
}

Test(cap_create, rejects_a_label_above_the_clearance)
{
    struct cap_table *table = new_table(4, lattice_make(5, 0xff));
    cap_handle_t h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_READ, lattice_make(6, 0x1), &h), FB_EPERM);
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_READ, lattice_make(5, 0x100), &h), FB_EPERM);
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_READ, lattice_top(), &h), FB_EPERM);
    cr_assert_eq(stats_of(table).free, 4, "expected no slot used");
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_READ, lattice_make(5, 0xff), &h), FB_OK);
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_READ, lattice_make(0, 0x81), &h), FB_OK);
    expect_consistent_tables();
}

Test(cap_verify, requires_every_needed_right)
{
    struct cap_table *table = new_table(4, lattice_top());
    cap_handle_t h;

    expect(cap_create(table, CAP_T_FILE, 9, CAP_R_READ | CAP_R_WRITE, lattice_bottom(), &h), FB_OK);
    expect(cap_verify(table, h, 0), FB_OK);
    expect(cap_verify(table, h, CAP_R_READ), FB_OK);
    expect(cap_verify(table, h, CAP_R_READ | CAP_R_WRITE), FB_OK);
    expect(cap_verify(table, h, CAP_R_EXEC), FB_EPERM);
    expect(cap_verify(table, h, CAP_R_READ | CAP_R_EXEC), FB_EPERM);
    expect(cap_verify(table, h, CAP_R_ALL), FB_EPERM);
    expect_consistent_tables();
}

Test(cap_verify, rejects_needed_bits_outside_all, .init = setup)
{
    expect(cap_verify(t, root, 1u << 10), FB_EINVAL);
    expect(cap_verify(t, root, CAP_R_READ | 1u << 31), FB_EINVAL);
    expect(cap_verify(t, root, ~(cap_rights_t)0), FB_EINVAL);
    expect_consistent_tables();
}

Test(cap_lookup, rejects_a_null_output, .init = setup)
{
    expect(cap_lookup(t, root, NULL), FB_EINVAL);
    expect_consistent_tables();
}

/* Handles that were never issued. */

Test(cap_handle, zero_is_never_valid, .init = setup)
{
    struct cap_info info;
    cap_handle_t h;

    expect(cap_verify(t, CAP_HANDLE_NONE, 0), FB_EBADCAP);
    expect(cap_lookup(t, CAP_HANDLE_NONE, &info), FB_EBADCAP);
    expect(cap_derive(t, CAP_HANDLE_NONE, 0, ROOT_LABEL, &h), FB_EBADCAP);
    expect(cap_revoke(t, CAP_HANDLE_NONE), FB_EBADCAP);
    expect(cap_delete(t, CAP_HANDLE_NONE), FB_EBADCAP);
    expect_consistent_tables();
}

Test(cap_handle, index_out_of_range_is_ebadcap, .init = setup)
{
    cap_handle_t gen = cap_handle_gen(root);

    expect(cap_verify(t, make_handle(gen, 64), 0), FB_EBADCAP);
    expect(cap_verify(t, make_handle(gen, UINT32_MAX), 0), FB_EBADCAP);
    expect(cap_revoke(t, make_handle(gen, 1u << 31)), FB_EBADCAP);
    expect(cap_delete(t, make_handle(gen, 65)), FB_EBADCAP);
    expect_consistent_tables();
}

Test(cap_handle, generation_0_is_ebadcap, .init = setup)
{
    expect(cap_verify(t, make_handle(0, cap_handle_index(root)), 0), FB_EBADCAP);
    expect(cap_delete(t, make_handle(0, cap_handle_index(root))), FB_EBADCAP);
    expect(cap_verify(t, root, 0), FB_OK);
    expect_consistent_tables();
}

Test(cap_handle, generation_from_the_future_is_ebadcap, .init = setup)
{
    uint32_t gen = cap_handle_gen(root), index = cap_handle_index(root);

    expect(cap_verify(t, make_handle(gen + 1, index), 0), FB_EBADCAP);
    expect(cap_verify(t, make_handle(UINT32_MAX, index), 0), FB_EBADCAP);
    expect(cap_revoke(t, make_handle(gen + 1, index)), FB_EBADCAP);
    expect(cap_delete(t, make_handle(gen + 1, index)), FB_EBADCAP);
    expect(cap_verify(t, root, 0), FB_OK);
    expect_consistent_tables();
}

Test(cap_handle, free_slot_is_ebadcap)
{
    struct cap_table *table = new_table(8, lattice_top());

    /* Generations start at 1: this is a free slot's current generation. */
    for (uint32_t i = 0; i < 8; i++)
        expect(cap_verify(table, make_handle(1, i), 0), FB_EBADCAP);
    expect_consistent_tables();
}

Test(cap_handle, reserved_slot_is_ebadcap)
{
    struct cap_table *table = new_table(8, lattice_top());
    uint32_t index;

    expect(cap_table_alloc(table, &index), FB_OK);
    expect(cap_verify(table, make_handle(1, index), 0), FB_EBADCAP);
    expect(cap_delete(table, make_handle(1, index)), FB_EBADCAP);
    expect(cap_table_release(table, index), FB_OK);
    expect_consistent_tables();
}

/* Deletion and slot reuse. */

Test(cap_delete, makes_the_handle_stale_everywhere, .init = setup)
{
    struct cap_info info;
    cap_handle_t h;

    expect(cap_delete(t, root), FB_OK);
    expect(cap_verify(t, root, 0), FB_ESTALE);
    expect(cap_lookup(t, root, &info), FB_ESTALE);
    expect(cap_derive(t, root, CAP_R_READ, ROOT_LABEL, &h), FB_ESTALE);
    expect(cap_revoke(t, root), FB_ESTALE);
    expect_consistent_tables();
}

Test(cap_delete, twice_is_estale, .init = setup)
{
    expect(cap_delete(t, root), FB_OK);
    expect(cap_delete(t, root), FB_ESTALE);
    expect_consistent_tables();
}

Test(cap_delete, returns_the_slot_to_the_pool, .init = setup)
{
    cr_assert_eq(stats_of(t).free, 63, "expected 63 free slots");
    expect(cap_delete(t, root), FB_OK);
    struct cap_table_stats st = stats_of(t);
    cr_assert_eq(st.free, 64, "expected all 64 free again, got %u", st.free);
    cr_assert_eq(st.live, 0, "expected nothing live");
    expect_consistent_tables();
}

Test(cap_delete, invalidates_every_descendant, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t g = derive(t, c, CAP_R_READ, ROOT_LABEL);

    expect(cap_delete(t, root), FB_OK);
    expect(cap_verify(t, c, 0), FB_EREVOKED);
    expect(cap_verify(t, g, 0), FB_EREVOKED);
    expect_consistent_tables();
}

Test(cap_delete, of_a_child_leaves_parent_and_siblings_alone, .init = setup)
{
    cap_handle_t a = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t b = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t b1 = derive(t, b, CAP_R_READ, ROOT_LABEL);

    expect(cap_delete(t, a), FB_OK);
    expect(cap_verify(t, root, 0), FB_OK);
    expect(cap_verify(t, b, 0), FB_OK);
    expect(cap_verify(t, b1, 0), FB_OK);
    expect_consistent_tables();
}

Test(cap_delete, of_a_dead_capability_succeeds, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);

    expect(cap_revoke(t, root), FB_OK);
    expect(cap_delete(t, c), FB_OK);
    expect(cap_verify(t, c, 0), FB_ESTALE);
    expect(cap_delete(t, c), FB_ESTALE);
    cr_assert_eq(stats_of(t).dead, 0, "expected the dead slot freed");
    expect_consistent_tables();
}

Test(cap_delete, slot_reuse_never_resurrects_an_old_handle)
{
    struct cap_table *table = new_table(1, lattice_top());
    cap_handle_t old, now;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &old), FB_OK);
    for (int i = 0; i < 1000; i++) {
        expect(cap_delete(table, old), FB_OK);
        expect(cap_create(table, CAP_T_MEMORY, 2 + (uint64_t)i, CAP_R_ALL, lattice_bottom(), &now),
               FB_OK);
        cr_assert_eq(cap_handle_index(now), cap_handle_index(old), "expected the only slot again");
        cr_assert_gt(cap_handle_gen(now), cap_handle_gen(old), "expected a newer generation");
        expect(cap_verify(table, old, 0), FB_ESTALE);
        expect(cap_verify(table, now, 0), FB_OK);
        cr_assert_eq(info_of(table, now).object, 2 + (uint64_t)i, "expected the new object");
        old = now;
    }
    expect_consistent_tables();
}

Test(cap_delete, stale_handle_cannot_touch_the_slots_new_capability)
{
    struct cap_table *table = new_table(1, lattice_top());
    cap_handle_t old, now, h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &old), FB_OK);
    expect(cap_delete(table, old), FB_OK);
    expect(cap_create(table, CAP_T_MEMORY, 2, CAP_R_ALL, lattice_bottom(), &now), FB_OK);
    expect(cap_delete(table, old), FB_ESTALE);
    expect(cap_revoke(table, old), FB_ESTALE);
    expect(cap_derive(table, old, CAP_R_READ, lattice_bottom(), &h), FB_ESTALE);
    expect(cap_verify(table, now, CAP_R_ALL), FB_OK);
    cr_assert_eq(info_of(table, now).epoch, 0, "expected the new capability never revoked");
    expect_consistent_tables();
}

Test(cap_delete, slot_whose_generation_would_wrap_is_retired)
{
    struct cap_table *table = new_table(1, lattice_top());
    cap_handle_t h;

    set_stamp_generation(table, 0, GEN_LAST); /* white-box: 2^31 - 2 deletions later */
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &h), FB_OK);
    cr_assert_eq(cap_handle_gen(h), GEN_LAST, "expected the last generation");
    cr_assert_gt((int64_t)h, 0, "expected the last handle positive as an int64_t");
    expect(cap_verify(table, h, 0), FB_OK);
    expect(cap_delete(table, h), FB_OK);
    expect(cap_verify(table, h, 0), FB_ESTALE);
    expect(cap_create(table, CAP_T_MEMORY, 2, CAP_R_ALL, lattice_bottom(), &h), FB_ENOSPC);
    struct cap_table_stats st = stats_of(table);
    cr_assert_eq(st.retired, 1, "expected the slot retired, not reused");
    cr_assert_eq(st.free, 0, "expected nothing free");
    expect_consistent_tables();
}

/* Derivation: attenuation only. */

Test(cap_derive, child_has_the_rights_and_label_asked_for, .init = setup)
{
    fb_label_t label = lattice_make(4, 0x7);
    cap_handle_t c = derive(t, root, CAP_R_READ | CAP_R_DERIVE, label);
    struct cap_info info = info_of(t, c);

    cr_assert_eq(info.rights, CAP_R_READ | CAP_R_DERIVE, "expected READ|DERIVE");
    cr_assert(lattice_equal(info.label, label), "expected label (4, 0x7)");
    cr_assert_eq(info.depth, 1, "expected depth 1");
    cr_assert_eq(info.parent, root, "expected the root as parent");
    cr_assert_eq(info.parent_table, t, "expected the parent in the same table");
    cr_assert_eq(info.type, CAP_T_MEMORY, "expected the parent's type");
    cr_assert_eq(info.object, ROOT_OBJECT, "expected the parent's object");
    cr_assert_geq(info.created_ns, info_of(t, root).created_ns, "expected created after the parent");
    cr_assert_neq(cap_handle_index(c), cap_handle_index(root), "expected a slot of its own");
    expect_consistent_tables();
}

Test(cap_derive, may_keep_every_right_and_the_same_label, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);

    expect(cap_verify(t, c, CAP_R_ALL), FB_OK);
    expect_consistent_tables();
}

Test(cap_derive, rejects_rights_amplification)
{
    struct cap_table *table = new_table(8, lattice_top());
    cap_handle_t p, h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_READ | CAP_R_DERIVE, lattice_bottom(), &p), FB_OK);
    expect(cap_derive(table, p, CAP_R_READ | CAP_R_WRITE, lattice_bottom(), &h), FB_EPERM);
    expect(cap_derive(table, p, CAP_R_WRITE, lattice_bottom(), &h), FB_EPERM);
    expect(cap_derive(table, p, CAP_R_READ | CAP_R_DERIVE | CAP_R_REVOKE, lattice_bottom(), &h),
           FB_EPERM);
    cr_assert_eq(stats_of(table).live, 1, "expected no child created");
    expect_consistent_tables();
}

Test(cap_derive, child_cannot_regain_a_right_its_parent_dropped, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_READ | CAP_R_DERIVE, ROOT_LABEL);
    cap_handle_t h;

    expect(cap_derive(t, c, CAP_R_READ | CAP_R_WRITE, ROOT_LABEL, &h), FB_EPERM);
    cap_handle_t g = derive(t, c, CAP_R_READ, ROOT_LABEL);
    expect(cap_verify(t, g, CAP_R_WRITE), FB_EPERM);
    expect_consistent_tables();
}

Test(cap_derive, rejects_rights_outside_all, .init = setup)
{
    cap_handle_t h;

    expect(cap_derive(t, root, CAP_R_ALL | 1u << 10, ROOT_LABEL, &h), FB_EINVAL);
    expect(cap_derive(t, root, 1u << 20, ROOT_LABEL, &h), FB_EINVAL);
    expect_consistent_tables();
}

Test(cap_derive, needs_the_derive_right)
{
    struct cap_table *table = new_table(8, lattice_top());
    cap_handle_t p, h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL & ~CAP_R_DERIVE, lattice_bottom(), &p), FB_OK);
    expect(cap_derive(table, p, CAP_R_READ, lattice_bottom(), &h), FB_EPERM);
    expect(cap_derive(table, p, 0, lattice_bottom(), &h), FB_EPERM);
    expect_consistent_tables();
}

Test(cap_derive, child_without_derive_cannot_derive, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_READ | CAP_R_GRANT, ROOT_LABEL);
    cap_handle_t h;

    expect(cap_derive(t, c, CAP_R_READ, ROOT_LABEL, &h), FB_EPERM);
    expect_consistent_tables();
}

Test(cap_derive, label_may_rise, .init = setup)
{
    derive(t, root, CAP_R_READ, lattice_make(3, 0x3));
    derive(t, root, CAP_R_READ, lattice_make(2, 0xff));
    derive(t, root, CAP_R_READ, lattice_top());
    expect_consistent_tables();
}

Test(cap_derive, label_below_the_parents_is_eperm, .init = setup)
{
    cap_handle_t h;

    expect(cap_derive(t, root, CAP_R_READ, lattice_make(1, 0x3), &h), FB_EPERM);
    expect(cap_derive(t, root, CAP_R_READ, lattice_make(2, 0x1), &h), FB_EPERM);
    expect(cap_derive(t, root, CAP_R_READ, lattice_bottom(), &h), FB_EPERM);
    expect_consistent_tables();
}

Test(cap_derive, label_incomparable_with_the_parents_is_eperm, .init = setup)
{
    cap_handle_t h;

    /* Higher level but category 0 dropped: neither above nor below (2, {0,1}). */
    expect(cap_derive(t, root, CAP_R_READ, lattice_make(9, 0x6), &h), FB_EPERM);
    expect(cap_derive(t, root, CAP_R_READ, lattice_make(1, 0xff), &h), FB_EPERM);
    expect_consistent_tables();
}

Test(cap_derive, label_above_the_clearance_is_eperm)
{
    struct cap_table *table = new_table(8, lattice_make(10, 0xff));
    cap_handle_t p, h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_make(2, 0x1), &p), FB_OK);
    expect(cap_derive(table, p, CAP_R_READ, lattice_make(11, 0x1), &h), FB_EPERM);
    expect(cap_derive(table, p, CAP_R_READ, lattice_make(3, 0x101), &h), FB_EPERM);
    expect(cap_derive(table, p, CAP_R_READ, lattice_make(10, 0xff), &h), FB_OK);
    expect_consistent_tables();
}

Test(cap_derive, rejects_an_invalid_label, .init = setup)
{
    fb_label_t level_16 = { .cats = 0x3, .level = FB_LATTICE_LEVELS };
    cap_handle_t h;

    expect(cap_derive(t, root, CAP_R_READ, level_16, &h), FB_EINVAL);
    expect_consistent_tables();
}

Test(cap_derive, chain_of_16_succeeds_and_the_17th_is_edepth)
{
    struct cap_table *table = new_table(32, lattice_top());
    cap_handle_t chain[CAP_MAX_DEPTH + 1], h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &chain[0]), FB_OK);
    for (int d = 1; d <= CAP_MAX_DEPTH; d++) {
        chain[d] = derive(table, chain[d - 1], CAP_R_ALL, lattice_make((unsigned)d, 0));
        cr_assert_eq(info_of(table, chain[d]).depth, d, "expected depth %d", d);
        cr_assert_eq(info_of(table, chain[d]).parent, chain[d - 1], "expected the previous link as parent");
    }
    expect(cap_verify(table, chain[CAP_MAX_DEPTH], CAP_R_ALL), FB_OK);
    expect(cap_derive(table, chain[CAP_MAX_DEPTH], CAP_R_READ, lattice_make(15, 0), &h), FB_EDEPTH);
    cr_assert_eq(stats_of(table).live, CAP_MAX_DEPTH + 1, "expected no 18th capability");
    expect_consistent_tables();
}

Test(cap_derive, in_a_full_table_is_enospc)
{
    struct cap_table *table = new_table(2, lattice_top());
    cap_handle_t p, h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &p), FB_OK);
    derive(table, p, CAP_R_ALL, lattice_bottom());
    expect(cap_derive(table, p, CAP_R_READ, lattice_bottom(), &h), FB_ENOSPC);
    expect_consistent_tables();
}

/* Revocation. */

Test(cap_revoke, invalidates_every_child, .init = setup)
{
    cap_handle_t a = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t b = derive(t, root, CAP_R_READ, ROOT_LABEL);

    expect(cap_revoke(t, root), FB_OK);
    expect(cap_verify(t, a, 0), FB_EREVOKED);
    expect(cap_verify(t, b, 0), FB_EREVOKED);
    expect_consistent_tables();
}

Test(cap_revoke, invalidates_grandchildren, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t g = derive(t, c, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t gg = derive(t, g, CAP_R_READ, ROOT_LABEL);
    struct cap_info info;

    expect(cap_revoke(t, root), FB_OK);
    expect(cap_verify(t, g, 0), FB_EREVOKED);
    expect(cap_verify(t, gg, 0), FB_EREVOKED);
    expect(cap_lookup(t, gg, &info), FB_EREVOKED);
    expect_consistent_tables();
}

Test(cap_revoke, invalidates_a_chain_of_depth_16)
{
    struct cap_table *table = new_table(32, lattice_top());
    cap_handle_t chain[CAP_MAX_DEPTH + 1];

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &chain[0]), FB_OK);
    for (int d = 1; d <= CAP_MAX_DEPTH; d++)
        chain[d] = derive(table, chain[d - 1], CAP_R_ALL, lattice_bottom());
    expect(cap_revoke(table, chain[0]), FB_OK);
    expect(cap_verify(table, chain[0], 0), FB_OK);
    for (int d = 1; d <= CAP_MAX_DEPTH; d++)
        cr_assert_eq(cap_verify(table, chain[d], 0), FB_EREVOKED, "expected depth %d revoked", d);
    expect_consistent_tables();
}

Test(cap_revoke, in_the_middle_of_a_chain_cuts_only_below)
{
    struct cap_table *table = new_table(32, lattice_top());
    cap_handle_t chain[CAP_MAX_DEPTH + 1];

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &chain[0]), FB_OK);
    for (int d = 1; d <= CAP_MAX_DEPTH; d++)
        chain[d] = derive(table, chain[d - 1], CAP_R_ALL, lattice_bottom());
    expect(cap_revoke(table, chain[8]), FB_OK);
    for (int d = 0; d <= 8; d++)
        cr_assert_eq(cap_verify(table, chain[d], 0), FB_OK, "expected depth %d still valid", d);
    for (int d = 9; d <= CAP_MAX_DEPTH; d++)
        cr_assert_eq(cap_verify(table, chain[d], 0), FB_EREVOKED, "expected depth %d revoked", d);
    expect_consistent_tables();
}

Test(cap_revoke, leaves_the_revoked_capability_valid, .init = setup)
{
    derive(t, root, CAP_R_ALL, ROOT_LABEL);
    expect(cap_revoke(t, root), FB_OK);
    expect(cap_verify(t, root, CAP_R_ALL), FB_OK);
    cr_assert_eq(info_of(t, root).epoch, 1, "expected epoch 1 after one revocation");
    expect(cap_revoke(t, root), FB_OK);
    cr_assert_eq(info_of(t, root).epoch, 2, "expected epoch 2 after two");
    expect_consistent_tables();
}

Test(cap_revoke, revoked_capability_can_derive_again, .init = setup)
{
    cap_handle_t old = derive(t, root, CAP_R_ALL, ROOT_LABEL);

    expect(cap_revoke(t, root), FB_OK);
    cap_handle_t fresh = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t grand = derive(t, fresh, CAP_R_READ, ROOT_LABEL);
    expect(cap_verify(t, fresh, 0), FB_OK);
    expect(cap_verify(t, grand, 0), FB_OK);
    expect_dead(t, old);
    expect_consistent_tables();
}

Test(cap_revoke, spares_siblings_and_ancestors, .init = setup)
{
    cap_handle_t a = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t a1 = derive(t, a, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t a11 = derive(t, a1, CAP_R_READ, ROOT_LABEL);
    cap_handle_t b = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t b1 = derive(t, b, CAP_R_READ, ROOT_LABEL);

    expect(cap_revoke(t, a), FB_OK);
    expect(cap_verify(t, a1, 0), FB_EREVOKED);
    expect(cap_verify(t, a11, 0), FB_EREVOKED);
    expect(cap_verify(t, a, 0), FB_OK);
    expect(cap_verify(t, root, 0), FB_OK);
    expect(cap_verify(t, b, 0), FB_OK);
    expect(cap_verify(t, b1, 0), FB_OK);
    expect_consistent_tables();
}

Test(cap_revoke, of_a_dead_capability_is_erevoked, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t g = derive(t, c, CAP_R_ALL, ROOT_LABEL);

    expect(cap_revoke(t, root), FB_OK);
    expect(cap_revoke(t, c), FB_EREVOKED);
    expect(cap_revoke(t, g), FB_EREVOKED);
    expect_consistent_tables();
}

Test(cap_revoke, dead_capability_cannot_derive_or_grant, .init = setup)
{
    struct cap_table *other = new_table(4, lattice_top());
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t h;

    expect(cap_revoke(t, root), FB_OK);
    expect(cap_derive(t, c, CAP_R_READ, ROOT_LABEL, &h), FB_EREVOKED);
    expect(cap_grant(t, c, other, CAP_R_READ, ROOT_LABEL, &h), FB_EREVOKED);
    cr_assert_eq(stats_of(other).live, 0, "expected nothing granted");
    expect_consistent_tables();
}

Test(cap_revoke, needs_the_revoke_right, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_ALL & ~CAP_R_REVOKE, ROOT_LABEL);
    cap_handle_t g = derive(t, c, CAP_R_READ, ROOT_LABEL);

    expect(cap_revoke(t, c), FB_EPERM);
    expect(cap_verify(t, g, 0), FB_OK);
    cr_assert_eq(info_of(t, c).epoch, 0, "expected the epoch unchanged");
    expect_consistent_tables();
}

Test(cap_revoke, exhausted_epoch_is_erange, .init = setup)
{
    set_stamp_epoch(t, cap_handle_index(root), EPOCH_MAX - 1); /* white-box: 2^30 - 2 revocations */
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);

    expect(cap_revoke(t, root), FB_OK);
    cr_assert_eq(info_of(t, root).epoch, EPOCH_MAX, "expected the last epoch");
    expect(cap_verify(t, c, 0), FB_EREVOKED);
    cap_handle_t d = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    expect(cap_revoke(t, root), FB_ERANGE);
    expect(cap_verify(t, root, 0), FB_OK);
    expect(cap_verify(t, d, 0), FB_OK);
    cr_assert_eq(info_of(t, root).epoch, EPOCH_MAX, "expected the epoch not to wrap");
    expect_consistent_tables();
}

/* Grant: children in another table. */

Test(cap_grant, places_a_child_in_the_other_table, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t g;

    expect(cap_grant(t, root, other, CAP_R_READ | CAP_R_SEND, lattice_make(3, 0x3), &g), FB_OK);
    struct cap_info info = info_of(other, g);
    cr_assert_eq(info.parent, root, "expected the root as parent");
    cr_assert_eq(info.parent_table, t, "expected the parent's table recorded");
    cr_assert_eq(info.depth, 1, "expected depth 1");
    cr_assert_eq(info.rights, CAP_R_READ | CAP_R_SEND, "expected READ|SEND");
    cr_assert_eq(info.object, ROOT_OBJECT, "expected the parent's object");
    cr_assert_eq(stats_of(other).live, 1, "expected one capability in the other table");
    cr_assert_eq(stats_of(t).live, 1, "expected nothing new in the granting table");
    expect_consistent_tables();
}

Test(cap_grant, child_dies_when_the_parent_is_revoked, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t g;

    expect(cap_grant(t, root, other, CAP_R_ALL, ROOT_LABEL, &g), FB_OK);
    cap_handle_t gg = derive(other, g, CAP_R_READ, ROOT_LABEL);
    expect(cap_revoke(t, root), FB_OK);
    expect(cap_verify(other, g, 0), FB_EREVOKED);
    expect(cap_verify(other, gg, 0), FB_EREVOKED);
    expect(cap_verify(t, root, 0), FB_OK);
    expect_consistent_tables();
}

Test(cap_grant, child_dies_when_the_parent_is_deleted, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t g;

    expect(cap_grant(t, root, other, CAP_R_ALL, ROOT_LABEL, &g), FB_OK);
    expect(cap_delete(t, root), FB_OK);
    expect(cap_verify(other, g, 0), FB_EREVOKED);
    expect_consistent_tables();
}

Test(cap_grant, back_into_the_first_table_stays_tied_to_the_root, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t g, back;

    expect(cap_grant(t, root, other, CAP_R_ALL, ROOT_LABEL, &g), FB_OK);
    expect(cap_grant(other, g, t, CAP_R_READ, ROOT_LABEL, &back), FB_OK);
    cr_assert_eq(info_of(t, back).depth, 2, "expected depth 2");
    cr_assert_eq(info_of(t, back).parent_table, other, "expected the middle table as parent table");
    expect(cap_revoke(t, root), FB_OK);
    expect(cap_verify(t, back, 0), FB_EREVOKED);
    expect_consistent_tables();
}

Test(cap_grant, needs_the_grant_right, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t c = derive(t, root, CAP_R_ALL & ~CAP_R_GRANT, ROOT_LABEL);
    cap_handle_t h;

    expect(cap_grant(t, c, other, CAP_R_READ, ROOT_LABEL, &h), FB_EPERM);
    cr_assert_eq(stats_of(other).live, 0, "expected nothing granted");
    expect_consistent_tables();
}

Test(cap_grant, does_not_need_the_derive_right, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t c = derive(t, root, CAP_R_READ | CAP_R_GRANT, ROOT_LABEL);
    cap_handle_t h;

    expect(cap_grant(t, c, other, CAP_R_READ, ROOT_LABEL, &h), FB_OK);
    expect_consistent_tables();
}

Test(cap_grant, rejects_rights_amplification, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t c = derive(t, root, CAP_R_READ | CAP_R_GRANT, ROOT_LABEL);
    cap_handle_t h;

    expect(cap_grant(t, c, other, CAP_R_READ | CAP_R_WRITE, ROOT_LABEL, &h), FB_EPERM);
    expect(cap_grant(t, c, other, CAP_R_ALL | 1u << 10, ROOT_LABEL, &h), FB_EINVAL);
    expect_consistent_tables();
}

Test(cap_grant, enforces_the_target_clearance, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_make(3, 0xf));
    cap_handle_t h;

    expect(cap_grant(t, root, other, CAP_R_READ, lattice_make(4, 0x3), &h), FB_EPERM);
    expect(cap_grant(t, root, other, CAP_R_READ, lattice_make(3, 0x13), &h), FB_EPERM);
    cr_assert_eq(stats_of(other).live, 0, "expected nothing granted above the clearance");
    expect(cap_grant(t, root, other, CAP_R_READ, lattice_make(3, 0xf), &h), FB_OK);
    expect_consistent_tables();
}

Test(cap_grant, label_below_the_parents_is_eperm, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t h;

    expect(cap_grant(t, root, other, CAP_R_READ, lattice_make(1, 0x3), &h), FB_EPERM);
    expect(cap_grant(t, root, other, CAP_R_READ, lattice_make(5, 0x4), &h), FB_EPERM);
    expect_consistent_tables();
}

Test(cap_grant, respects_the_depth_bound)
{
    struct cap_table *a = new_table(32, lattice_top());
    struct cap_table *b = new_table(4, lattice_top());
    cap_handle_t h, g;

    expect(cap_create(a, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &h), FB_OK);
    for (int d = 1; d < CAP_MAX_DEPTH; d++)
        h = derive(a, h, CAP_R_ALL, lattice_bottom());
    expect(cap_grant(a, h, b, CAP_R_ALL, lattice_bottom(), &g), FB_OK);
    cr_assert_eq(info_of(b, g).depth, CAP_MAX_DEPTH, "expected depth 16 through the grant");
    expect(cap_grant(b, g, a, CAP_R_READ, lattice_bottom(), &h), FB_EDEPTH);
    expect_consistent_tables();
}

Test(cap_grant, into_the_same_table_is_einval, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_READ | CAP_R_GRANT, ROOT_LABEL);
    cap_handle_t h;

    /* A copy within one table is a derivation: GRANT must not stand in for DERIVE. */
    expect(cap_grant(t, c, t, CAP_R_READ, ROOT_LABEL, &h), FB_EINVAL);
    expect(cap_grant(t, root, t, CAP_R_READ, ROOT_LABEL, &h), FB_EINVAL);
    cr_assert_eq(stats_of(t).live, 2, "expected nothing granted");
    expect_consistent_tables();
}

Test(cap_grant, into_a_full_table_is_enospc, .init = setup)
{
    struct cap_table *other = new_table(1, lattice_top());
    cap_handle_t h;

    expect(cap_grant(t, root, other, CAP_R_READ, ROOT_LABEL, &h), FB_OK);
    expect(cap_grant(t, root, other, CAP_R_READ, ROOT_LABEL, &h), FB_ENOSPC);
    expect_consistent_tables();
}

/* Capacity and reclamation. */

Test(cap_table, full_table_is_enospc_until_a_slot_is_freed)
{
    struct cap_table *table = new_table(4, lattice_top());
    cap_handle_t h[4], extra;

    for (int i = 0; i < 4; i++)
        expect(cap_create(table, CAP_T_MEMORY, (uint64_t)i, CAP_R_ALL, lattice_bottom(), &h[i]), FB_OK);
    expect(cap_create(table, CAP_T_MEMORY, 9, CAP_R_ALL, lattice_bottom(), &extra), FB_ENOSPC);
    expect(cap_delete(table, h[2]), FB_OK);
    expect(cap_create(table, CAP_T_MEMORY, 9, CAP_R_ALL, lattice_bottom(), &extra), FB_OK);
    expect(cap_create(table, CAP_T_MEMORY, 9, CAP_R_ALL, lattice_bottom(), &extra), FB_ENOSPC);
    expect_consistent_tables();
}

Test(cap_table, check_counts_live_dead_and_free_slots, .init = setup)
{
    cap_handle_t a = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    derive(t, a, CAP_R_ALL, ROOT_LABEL);
    struct cap_table_stats st = stats_of(t);

    cr_assert(st.live == 3 && st.dead == 0 && st.free == 61 && st.retired == 0,
              "expected 3 live, 61 free; got live %u dead %u free %u retired %u", st.live, st.dead,
              st.free, st.retired);
    expect(cap_revoke(t, root), FB_OK);
    st = stats_of(t);
    cr_assert(st.live == 1 && st.dead == 2 && st.free == 61,
              "expected 1 live, 2 dead, 61 free; got live %u dead %u free %u", st.live, st.dead, st.free);
    expect(cap_delete(t, a), FB_OK);
    st = stats_of(t);
    cr_assert(st.live == 1 && st.dead == 1 && st.free == 62,
              "expected 1 live, 1 dead, 62 free; got live %u dead %u free %u", st.live, st.dead, st.free);
    expect_consistent_tables();
}

Test(cap_table, full_table_reclaims_dead_slots_before_enospc)
{
    struct cap_table *table = new_table(4, lattice_top());
    cap_handle_t r, old[3], fresh[3];

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &r), FB_OK);
    for (int i = 0; i < 3; i++)
        old[i] = derive(table, r, CAP_R_ALL, lattice_bottom());
    expect(cap_revoke(table, r), FB_OK);
    for (int i = 0; i < 3; i++)
        fresh[i] = derive(table, r, CAP_R_READ, lattice_bottom());
    for (int i = 0; i < 3; i++) {
        expect(cap_verify(table, old[i], 0), FB_ESTALE);
        expect(cap_verify(table, fresh[i], CAP_R_READ), FB_OK);
    }
    struct cap_table_stats st = stats_of(table);
    cr_assert_eq(st.reclaimed, 3, "expected 3 slots reclaimed, got %llu", (unsigned long long)st.reclaimed);
    cr_assert_eq(st.dead, 0, "expected no dead slot left");
    expect(cap_derive(table, r, CAP_R_READ, lattice_bottom(), &fresh[0]), FB_ENOSPC);
    expect_consistent_tables();
}

Test(cap_table, allocations_sweep_dead_slots_before_the_table_fills)
{
    struct cap_table *table = new_table(16, lattice_top());
    cap_handle_t r, h;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &r), FB_OK);
    for (int i = 0; i < 3; i++)
        derive(table, r, CAP_R_ALL, lattice_bottom());
    expect(cap_revoke(table, r), FB_OK);
    /* Each allocation examines two slots, so 8 cover all 16 while the
     * free list still has 12 slots to hand out. */
    for (int i = 0; i < 8; i++)
        expect(cap_create(table, CAP_T_MEMORY, 2, CAP_R_READ, lattice_bottom(), &h), FB_OK);
    struct cap_table_stats st = stats_of(table);
    cr_assert_eq(st.dead, 0, "expected every dead slot swept, %u left", st.dead);
    cr_assert_eq(st.reclaimed, 3, "expected 3 reclaimed, got %llu", (unsigned long long)st.reclaimed);
    cr_assert_eq(table->reclaimed, 3, "expected the table's counter to agree");
    expect_consistent_tables();
}

Test(cap_table, endless_derive_revoke_cycles_never_run_out_of_slots)
{
    struct cap_table *table = new_table(8, lattice_top());
    cap_handle_t r, c, g;

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &r), FB_OK);
    for (int i = 0; i < 100000; i++) {
        int e1 = cap_derive(table, r, CAP_R_ALL, lattice_bottom(), &c);
        cr_assert_eq(e1, FB_OK, "expected a child in cycle %d, got %s", i, fb_strerror(e1));
        int e2 = cap_derive(table, c, CAP_R_READ, lattice_bottom(), &g);
        cr_assert_eq(e2, FB_OK, "expected a grandchild in cycle %d, got %s", i, fb_strerror(e2));
        expect(cap_revoke(table, r), FB_OK);
        if (i % 4096 == 0)
            expect_consistent_tables();
    }
    struct cap_table_stats st = stats_of(table);
    cr_assert_geq(st.reclaimed, 2 * 100000 - 8, "expected nearly every dead slot reclaimed, got %llu",
                  (unsigned long long)st.reclaimed);
    expect_consistent_tables();
}

Test(cap_table, filling_and_revoking_a_small_table_forever_never_runs_out)
{
    struct cap_table *table = new_table(8, lattice_top());
    cap_handle_t r, kids[7];

    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &r), FB_OK);
    for (int i = 0; i < 10000; i++) {
        for (int k = 0; k < 7; k++) {
            int err = cap_derive(table, r, CAP_R_ALL, lattice_bottom(), &kids[k]);
            cr_assert_eq(err, FB_OK, "expected child %d of cycle %d, got %s", k, i, fb_strerror(err));
        }
        expect(cap_revoke(table, r), FB_OK);
        for (int k = 0; k < 7; k++)
            expect(cap_verify(table, kids[k], 0), FB_EREVOKED);
    }
    cr_assert_geq(stats_of(table).reclaimed, 7 * 9999, "expected the dead slots reclaimed");
    expect_consistent_tables();
}

/* cap_table_alloc / cap_table_release. */

Test(cap_table, alloc_reserves_distinct_slots_until_full)
{
    struct cap_table *table = new_table(4, lattice_top());
    uint32_t idx[4], extra;

    for (int i = 0; i < 4; i++) {
        expect(cap_table_alloc(table, &idx[i]), FB_OK);
        cr_assert_lt(idx[i], 4, "expected an index inside the table");
        for (int j = 0; j < i; j++)
            cr_assert_neq(idx[i], idx[j], "expected slot %u reserved once", idx[i]);
    }
    expect(cap_table_alloc(table, &extra), FB_ENOSPC);
    for (int i = 0; i < 4; i++)
        expect(cap_table_release(table, idx[i]), FB_OK);
    cr_assert_eq(stats_of(table).free, 4, "expected every slot free again");
    expect_consistent_tables();
}

Test(cap_table, reserved_slots_are_not_counted_free_and_cannot_be_created_in)
{
    struct cap_table *table = new_table(2, lattice_top());
    uint32_t idx;
    cap_handle_t h;

    expect(cap_table_alloc(table, &idx), FB_OK);
    struct cap_table_stats st = stats_of(table);
    cr_assert_eq(st.reserved, 1, "expected one reserved slot, got %u", st.reserved);
    cr_assert_eq(st.live + st.dead + st.free + st.retired, 1, "expected the reserved slot in no other count");
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &h), FB_OK);
    cr_assert_neq(cap_handle_index(h), idx, "expected the other slot");
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &h), FB_ENOSPC);
    expect(cap_table_release(table, idx), FB_OK);
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &h), FB_OK);
    cr_assert_eq(cap_handle_index(h), idx, "expected the released slot");
    expect_consistent_tables();
}

Test(cap_table, release_of_a_slot_not_reserved_is_einval, .init = setup)
{
    uint32_t idx, free_index = cap_handle_index(root) == 0 ? 1 : 0;

    expect(cap_table_release(t, free_index), FB_EINVAL);
    expect(cap_table_release(t, cap_handle_index(root)), FB_EINVAL);
    expect(cap_verify(t, root, CAP_R_ALL), FB_OK);
    expect(cap_table_release(t, 64), FB_EINVAL);
    expect(cap_table_release(t, UINT32_MAX), FB_EINVAL);
    expect(cap_table_alloc(t, &idx), FB_OK);
    expect(cap_table_release(t, idx), FB_OK);
    expect(cap_table_release(t, idx), FB_EINVAL);
    cr_assert_eq(stats_of(t).free, 63, "expected one slot on the free list, once");
    expect_consistent_tables();
}

/* Reset. */

Test(cap_table, reset_makes_every_handle_stale, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    cap_handle_t g = derive(t, c, CAP_R_ALL, ROOT_LABEL);

    cap_table_reset(t);
    expect(cap_verify(t, root, 0), FB_ESTALE);
    expect(cap_verify(t, c, 0), FB_ESTALE);
    expect(cap_verify(t, g, 0), FB_ESTALE);
    struct cap_table_stats st = stats_of(t);
    cr_assert_eq(st.free, 64, "expected all 64 slots free, got %u", st.free);
    cr_assert_eq(st.live + st.dead, 0, "expected nothing live or dead");
    expect_consistent_tables();
}

Test(cap_table, reset_never_lets_an_old_handle_verify_again, .init = setup)
{
    cap_handle_t h;

    cap_table_reset(t);
    for (int i = 0; i < 64; i++)
        expect(cap_create(t, CAP_T_MEMORY, 1, CAP_R_ALL, ROOT_LABEL, &h), FB_OK);
    expect(cap_verify(t, root, 0), FB_ESTALE);
    expect_consistent_tables();
}

Test(cap_table, reset_kills_children_in_other_tables, .init = setup)
{
    struct cap_table *other = new_table(8, lattice_top());
    cap_handle_t g;

    expect(cap_grant(t, root, other, CAP_R_ALL, ROOT_LABEL, &g), FB_OK);
    cap_handle_t gg = derive(other, g, CAP_R_READ, ROOT_LABEL);
    cap_table_reset(t);
    expect(cap_verify(other, g, 0), FB_EREVOKED);
    expect(cap_verify(other, gg, 0), FB_EREVOKED);
    expect_consistent_tables();
}

Test(cap_table, reset_retires_a_slot_at_the_last_generation)
{
    struct cap_table *table = new_table(1, lattice_top());
    cap_handle_t h;

    set_stamp_generation(table, 0, GEN_LAST); /* white-box, as above */
    expect(cap_create(table, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &h), FB_OK);
    cap_table_reset(table);
    expect(cap_verify(table, h, 0), FB_ESTALE);
    struct cap_table_stats st = stats_of(table);
    cr_assert_eq(st.retired, 1, "expected the slot retired, got %u", st.retired);
    cr_assert_eq(st.free, 0, "expected nothing free, got %u", st.free);
    expect(cap_create(table, CAP_T_MEMORY, 2, CAP_R_ALL, lattice_bottom(), &h), FB_ENOSPC);
    expect_consistent_tables();
}

/* The checker itself: it must catch a broken slot, or it proves nothing. */

Test(cap_table, check_reports_a_child_with_more_rights_than_its_parent, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_READ | CAP_R_DERIVE, ROOT_LABEL);
    cap_handle_t g = derive(t, c, CAP_R_READ, ROOT_LABEL);
    uint32_t bad = UINT32_MAX, gi = cap_handle_index(g);

    uint64_t meta = atomic_load(&t->slots[gi].meta);

    /* White-box corruption: rights are meta bits 31..0. */
    atomic_store(&t->slots[gi].meta, meta | CAP_R_WRITE);
    expect(cap_table_check(t, NULL, &bad), FB_EINVAL);
    cr_assert_eq(bad, gi, "expected slot %u reported, got %u", gi, bad);
    atomic_store(&t->slots[gi].meta, meta);
    expect_consistent_tables();
}

Test(cap_table, check_reports_a_wrong_depth, .init = setup)
{
    cap_handle_t c = derive(t, root, CAP_R_ALL, ROOT_LABEL);
    uint32_t bad = UINT32_MAX, ci = cap_handle_index(c);
    uint64_t meta = atomic_load(&t->slots[ci].meta);

    /* White-box corruption: depth (meta bits 39..32) 5 under a root. */
    atomic_store(&t->slots[ci].meta, (meta & ~((uint64_t)0xff << 32)) | (uint64_t)5 << 32);
    expect(cap_table_check(t, NULL, &bad), FB_EINVAL);
    cr_assert_eq(bad, ci, "expected slot %u reported, got %u", ci, bad);
    atomic_store(&t->slots[ci].meta, meta);
    expect_consistent_tables();
}
