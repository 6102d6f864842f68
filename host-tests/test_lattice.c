/* Specification of the two lattices of the capability system: security
 * labels (core/cap/lattice.c, 16 levels x 64 categories) and rights sets
 * (core/cap/rights.c, the powerset of the ten CAP_R_* bits). Every law is
 * checked over all 16 levels and many category sets from a fixed-seed
 * generator, and over every rights set (every pair exhaustively). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>

#include "cap.h"
#include "lattice.h"

/* Triples per label law: every (level, level, level) combination four
 * times, each with fresh category sets. */
#define LEVEL_COMBOS (FB_LATTICE_LEVELS * FB_LATTICE_LEVELS * FB_LATTICE_LEVELS)
#define LABEL_TRIPLES (4 * LEVEL_COMBOS)
#define RIGHTS_SETS (CAP_R_ALL + 1u)
/* Random triples per rights law that takes three arguments. */
#define RIGHTS_TRIPLES 200000

static uint64_t prng_state;

/* splitmix64: a fixed seed makes every run check the same labels. */
static uint64_t next_random(void)
{
    uint64_t z = (prng_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void seed(void)
{
    prng_state = 0x5eed0f1a771ce5ull;
}

/* A category set. Dense random sets are almost never subsets of each
 * other, so most sets come from a four-category universe or are sparse,
 * which makes "a <= b" true often enough to exercise every law. */
static uint64_t random_cats(void)
{
    switch (next_random() % 5) {
    case 0:
        return next_random();
    case 1:
        return next_random() & 0xf;
    case 2:
        return next_random() & next_random() & next_random();
    case 3:
        return next_random() & 0x8000000000000003ull;
    default:
        return next_random() % 2 ? ~(uint64_t)0 : 0;
    }
}

/* Built by hand, not with lattice_make, so its clamping cannot hide here. */
static fb_label_t label(unsigned level, uint64_t cats)
{
    fb_label_t l = { .cats = cats, .level = (uint8_t)level };
    return l;
}

/* The i-th triple: levels run through every combination, categories are random. */
static void triple(unsigned i, fb_label_t *a, fb_label_t *b, fb_label_t *c)
{
    unsigned combo = i % LEVEL_COMBOS;

    *a = label(combo % 16, random_cats());
    *b = label(combo / 16 % 16, random_cats());
    *c = label(combo / 256, random_cats());
}

/* Field-by-field equality, independent of lattice_equal. */
static bool same(fb_label_t a, fb_label_t b)
{
    return a.level == b.level && a.cats == b.cats;
}

/* The order as documented: level <= level' and categories a subset. */
static bool model_leq(fb_label_t a, fb_label_t b)
{
    return a.level <= b.level && (a.cats & ~b.cats) == 0;
}

#define LABEL_FMT "(%u, %#llx)"
#define LABEL_ARGS(l) (unsigned)(l).level, (unsigned long long)(l).cats

Test(lattice, leq_is_level_order_and_category_subset)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        cr_assert_eq(lattice_leq(a, b), model_leq(a, b),
                     "expected leq " LABEL_FMT " <= " LABEL_FMT " to be %d", LABEL_ARGS(a),
                     LABEL_ARGS(b), model_leq(a, b));
    }
}

Test(lattice, leq_needs_both_the_level_and_the_categories)
{
    cr_assert(lattice_leq(label(3, 0x1), label(4, 0x3)), "expected (3,{0}) <= (4,{0,1})");
    cr_assert_not(lattice_leq(label(5, 0x1), label(4, 0x3)), "expected a higher level not below");
    cr_assert_not(lattice_leq(label(3, 0x4), label(4, 0x3)), "expected an extra category not below");
    cr_assert_not(lattice_leq(label(4, 0x3), label(3, 0x7)),
                  "expected (4,{0,1}) and (3,{0,1,2}) incomparable one way");
    cr_assert_not(lattice_leq(label(3, 0x7), label(4, 0x3)),
                  "expected (4,{0,1}) and (3,{0,1,2}) incomparable the other way");
}

Test(lattice, leq_orders_the_levels_as_a_chain)
{
    for (unsigned x = 0; x < FB_LATTICE_LEVELS; x++)
        for (unsigned y = 0; y < FB_LATTICE_LEVELS; y++)
            cr_assert_eq(lattice_leq(label(x, 0x55), label(y, 0x55)), x <= y,
                         "expected level %u <= level %u to be %d", x, y, x <= y);
}

Test(lattice, leq_is_reflexive)
{
    seed();
    for (unsigned level = 0; level < FB_LATTICE_LEVELS; level++)
        for (int i = 0; i < 1000; i++) {
            fb_label_t a = label(level, random_cats());
            cr_assert(lattice_leq(a, a), "expected " LABEL_FMT " <= itself", LABEL_ARGS(a));
        }
}

Test(lattice, leq_is_antisymmetric)
{
    unsigned both = 0;

    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        if (i % 2)
            b = label(a.level, a.cats); /* make the antecedent true half the time */
        if (lattice_leq(a, b) && lattice_leq(b, a)) {
            both++;
            cr_assert(same(a, b), "expected " LABEL_FMT " <= " LABEL_FMT " <= it to mean equal",
                      LABEL_ARGS(a), LABEL_ARGS(b));
        }
    }
    cr_assert_geq(both, LABEL_TRIPLES / 2, "expected the antecedent to hold in half the cases");
}

Test(lattice, leq_is_transitive)
{
    unsigned chains = 0;

    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        if (i % 2) { /* a <= b <= c by construction, on the model */
            b = label(a.level > b.level ? a.level : b.level, a.cats | b.cats);
            c = label(b.level > c.level ? b.level : c.level, b.cats | c.cats);
        }
        if (lattice_leq(a, b) && lattice_leq(b, c)) {
            chains++;
            cr_assert(lattice_leq(a, c),
                      "expected " LABEL_FMT " <= " LABEL_FMT " <= " LABEL_FMT " to give a <= c",
                      LABEL_ARGS(a), LABEL_ARGS(b), LABEL_ARGS(c));
        }
    }
    cr_assert_geq(chains, LABEL_TRIPLES / 2, "expected the antecedent to hold in half the cases");
}

Test(lattice, join_is_the_higher_level_and_the_union)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        fb_label_t j = lattice_join(a, b);
        cr_assert(same(j, label(a.level > b.level ? a.level : b.level, a.cats | b.cats)),
                  "expected join " LABEL_FMT " v " LABEL_FMT ", got " LABEL_FMT, LABEL_ARGS(a),
                  LABEL_ARGS(b), LABEL_ARGS(j));
    }
}

Test(lattice, meet_is_the_lower_level_and_the_intersection)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        fb_label_t m = lattice_meet(a, b);
        cr_assert(same(m, label(a.level < b.level ? a.level : b.level, a.cats & b.cats)),
                  "expected meet " LABEL_FMT " ^ " LABEL_FMT ", got " LABEL_FMT, LABEL_ARGS(a),
                  LABEL_ARGS(b), LABEL_ARGS(m));
    }
}

Test(lattice, join_and_meet_are_commutative)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        cr_assert(same(lattice_join(a, b), lattice_join(b, a)),
                  "expected a v b == b v a for " LABEL_FMT ", " LABEL_FMT, LABEL_ARGS(a), LABEL_ARGS(b));
        cr_assert(same(lattice_meet(a, b), lattice_meet(b, a)),
                  "expected a ^ b == b ^ a for " LABEL_FMT ", " LABEL_FMT, LABEL_ARGS(a), LABEL_ARGS(b));
    }
}

Test(lattice, join_and_meet_are_associative)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        cr_assert(same(lattice_join(lattice_join(a, b), c), lattice_join(a, lattice_join(b, c))),
                  "expected (a v b) v c == a v (b v c) for " LABEL_FMT ", " LABEL_FMT ", " LABEL_FMT,
                  LABEL_ARGS(a), LABEL_ARGS(b), LABEL_ARGS(c));
        cr_assert(same(lattice_meet(lattice_meet(a, b), c), lattice_meet(a, lattice_meet(b, c))),
                  "expected (a ^ b) ^ c == a ^ (b ^ c) for " LABEL_FMT ", " LABEL_FMT ", " LABEL_FMT,
                  LABEL_ARGS(a), LABEL_ARGS(b), LABEL_ARGS(c));
    }
}

Test(lattice, join_and_meet_absorb_each_other)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        cr_assert(same(lattice_join(a, lattice_meet(a, b)), a),
                  "expected a v (a ^ b) == a for " LABEL_FMT ", " LABEL_FMT, LABEL_ARGS(a), LABEL_ARGS(b));
        cr_assert(same(lattice_meet(a, lattice_join(a, b)), a),
                  "expected a ^ (a v b) == a for " LABEL_FMT ", " LABEL_FMT, LABEL_ARGS(a), LABEL_ARGS(b));
    }
}

Test(lattice, join_and_meet_are_idempotent)
{
    seed();
    for (unsigned level = 0; level < FB_LATTICE_LEVELS; level++)
        for (int i = 0; i < 1000; i++) {
            fb_label_t a = label(level, random_cats());
            cr_assert(same(lattice_join(a, a), a), "expected a v a == a for " LABEL_FMT, LABEL_ARGS(a));
            cr_assert(same(lattice_meet(a, a), a), "expected a ^ a == a for " LABEL_FMT, LABEL_ARGS(a));
        }
}

Test(lattice, top_and_bottom_are_the_documented_points)
{
    cr_assert(same(lattice_top(), label(FB_LATTICE_LEVELS - 1, ~(uint64_t)0)),
              "expected top = (15, every category)");
    cr_assert(same(lattice_bottom(), label(0, 0)), "expected bottom = (0, no category)");
}

Test(lattice, every_label_lies_between_bottom_and_top)
{
    seed();
    for (unsigned level = 0; level < FB_LATTICE_LEVELS; level++)
        for (int i = 0; i < 1000; i++) {
            fb_label_t a = label(level, random_cats());
            cr_assert(lattice_leq(lattice_bottom(), a), "expected bottom <= " LABEL_FMT, LABEL_ARGS(a));
            cr_assert(lattice_leq(a, lattice_top()), "expected " LABEL_FMT " <= top", LABEL_ARGS(a));
        }
}

Test(lattice, top_and_bottom_are_identities_and_annihilators)
{
    seed();
    for (unsigned level = 0; level < FB_LATTICE_LEVELS; level++)
        for (int i = 0; i < 1000; i++) {
            fb_label_t a = label(level, random_cats());
            cr_assert(same(lattice_join(a, lattice_bottom()), a), "expected a v bottom == a");
            cr_assert(same(lattice_join(a, lattice_top()), lattice_top()), "expected a v top == top");
            cr_assert(same(lattice_meet(a, lattice_top()), a), "expected a ^ top == a");
            cr_assert(same(lattice_meet(a, lattice_bottom()), lattice_bottom()),
                      "expected a ^ bottom == bottom");
        }
}

Test(lattice, join_is_the_least_upper_bound)
{
    unsigned bounds = 0;

    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        fb_label_t j = lattice_join(a, b);
        cr_assert(lattice_leq(a, j) && lattice_leq(b, j), "expected a, b <= a v b for " LABEL_FMT
                  ", " LABEL_FMT, LABEL_ARGS(a), LABEL_ARGS(b));
        if (i % 2) /* an upper bound of a and b on the model */
            c = label(c.level > j.level ? c.level : j.level, c.cats | a.cats | b.cats);
        if (lattice_leq(a, c) && lattice_leq(b, c)) {
            bounds++;
            cr_assert(lattice_leq(j, c), "expected a v b <= every upper bound " LABEL_FMT, LABEL_ARGS(c));
        }
    }
    cr_assert_geq(bounds, LABEL_TRIPLES / 2, "expected an upper bound in half the cases");
}

Test(lattice, meet_is_the_greatest_lower_bound)
{
    unsigned bounds = 0;

    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        fb_label_t m = lattice_meet(a, b);
        cr_assert(lattice_leq(m, a) && lattice_leq(m, b), "expected a ^ b <= a, b for " LABEL_FMT
                  ", " LABEL_FMT, LABEL_ARGS(a), LABEL_ARGS(b));
        if (i % 2) /* a lower bound of a and b on the model */
            c = label(c.level < m.level ? c.level : m.level, c.cats & a.cats & b.cats);
        if (lattice_leq(c, a) && lattice_leq(c, b)) {
            bounds++;
            cr_assert(lattice_leq(c, m), "expected every lower bound " LABEL_FMT " <= a ^ b",
                      LABEL_ARGS(c));
        }
    }
    cr_assert_geq(bounds, LABEL_TRIPLES / 2, "expected a lower bound in half the cases");
}

Test(lattice, leq_agrees_with_join_and_meet)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        bool le = lattice_leq(a, b);
        cr_assert_eq(le, same(lattice_join(a, b), b), "expected a <= b exactly when a v b == b");
        cr_assert_eq(le, same(lattice_meet(a, b), a), "expected a <= b exactly when a ^ b == a");
    }
}

Test(lattice, dominates_is_leq_reversed)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        cr_assert_eq(lattice_dominates(a, b), lattice_leq(b, a),
                     "expected " LABEL_FMT " dominates " LABEL_FMT " exactly when b <= a",
                     LABEL_ARGS(a), LABEL_ARGS(b));
    }
}

Test(lattice, equal_compares_level_and_categories)
{
    seed();
    for (unsigned i = 0; i < LABEL_TRIPLES; i++) {
        fb_label_t a, b, c;

        triple(i, &a, &b, &c);
        cr_assert_eq(lattice_equal(a, b), same(a, b), "expected equal to compare both fields");
        cr_assert(lattice_equal(a, label(a.level, a.cats)), "expected a label equal to its copy");
    }
    cr_assert_not(lattice_equal(label(3, 1), label(4, 1)), "expected levels to matter");
    cr_assert_not(lattice_equal(label(3, 1), label(3, 3)), "expected categories to matter");
}

Test(lattice, make_keeps_valid_levels_and_every_category)
{
    seed();
    for (unsigned level = 0; level < FB_LATTICE_LEVELS; level++) {
        uint64_t cats = next_random();
        cr_assert(same(lattice_make(level, cats), label(level, cats)),
                  "expected lattice_make(%u, %#llx) unchanged", level, (unsigned long long)cats);
    }
    cr_assert_eq(lattice_make(0, ~(uint64_t)0).cats, ~(uint64_t)0, "expected all 64 categories kept");
}

Test(lattice, make_clamps_levels_above_15)
{
    static const unsigned above[] = { 16, 17, 255, 256, 0x10000, 0x80000000u, ~0u };

    for (unsigned i = 0; i < sizeof above / sizeof above[0]; i++) {
        fb_label_t l = lattice_make(above[i], 0x5);
        cr_assert(same(l, label(FB_LATTICE_LEVELS - 1, 0x5)), "expected level %u clamped to 15, got "
                  LABEL_FMT, above[i], LABEL_ARGS(l));
        cr_assert(lattice_valid(l), "expected a clamped label to be valid");
    }
}

Test(lattice, valid_accepts_levels_0_to_15_only)
{
    for (unsigned level = 0; level < 256; level++)
        cr_assert_eq(lattice_valid(label(level, ~(uint64_t)0)), level < FB_LATTICE_LEVELS,
                     "expected level %u to be %s", level, level < 16 ? "valid" : "invalid");
    cr_assert(lattice_valid(lattice_top()), "expected top valid");
    cr_assert(lattice_valid(lattice_bottom()), "expected bottom valid");
}

/* Rights. */

Test(rights, each_right_is_one_distinct_bit_inside_all)
{
    static const cap_rights_t each[] = { CAP_R_READ, CAP_R_WRITE, CAP_R_EXEC, CAP_R_MAP,
                                         CAP_R_SEND, CAP_R_RECV, CAP_R_CALL, CAP_R_GRANT,
                                         CAP_R_DERIVE, CAP_R_REVOKE };
    cap_rights_t seen = 0;

    for (unsigned i = 0; i < sizeof each / sizeof each[0]; i++) {
        cr_assert_eq(each[i] & (each[i] - 1), 0, "expected right %u to be a single bit", i);
        cr_assert_eq(seen & each[i], 0, "expected right %u distinct from the others", i);
        seen |= each[i];
    }
    cr_assert_eq(seen, CAP_R_ALL, "expected the ten rights to make up CAP_R_ALL");
    cr_assert_eq(CAP_R_ALL, 0x3ffu, "expected CAP_R_ALL to be the low ten bits");
}

Test(rights, top_is_all_and_bottom_is_none)
{
    cr_assert_eq(rights_top(), CAP_R_ALL, "expected top = CAP_R_ALL");
    cr_assert_eq(rights_bottom(), 0, "expected bottom = 0");
}

Test(rights, valid_accepts_every_subset_of_all)
{
    for (cap_rights_t r = 0; r < RIGHTS_SETS; r++)
        cr_assert(rights_valid(r), "expected %#x valid", r);
}

Test(rights, valid_rejects_any_bit_outside_all)
{
    for (unsigned bit = 10; bit < 32; bit++) {
        cr_assert_not(rights_valid(1u << bit), "expected bit %u alone invalid", bit);
        cr_assert_not(rights_valid(CAP_R_ALL | 1u << bit), "expected CAP_R_ALL | bit %u invalid", bit);
        cr_assert_not(rights_valid(CAP_R_READ | 1u << bit), "expected READ | bit %u invalid", bit);
    }
    cr_assert_not(rights_valid(0xffffffffu), "expected every bit invalid");
}

Test(rights, leq_is_the_subset_order)
{
    for (cap_rights_t a = 0; a < RIGHTS_SETS; a++)
        for (cap_rights_t b = 0; b < RIGHTS_SETS; b++)
            cr_assert_eq(rights_leq(a, b), (a & ~b) == 0, "expected %#x <= %#x to be %d", a, b,
                         (a & ~b) == 0);
}

Test(rights, join_is_union_and_meet_is_intersection)
{
    for (cap_rights_t a = 0; a < RIGHTS_SETS; a++)
        for (cap_rights_t b = 0; b < RIGHTS_SETS; b++) {
            cr_assert_eq(rights_join(a, b), a | b, "expected %#x v %#x = %#x", a, b, a | b);
            cr_assert_eq(rights_meet(a, b), a & b, "expected %#x ^ %#x = %#x", a, b, a & b);
        }
}

Test(rights, leq_is_reflexive_and_antisymmetric)
{
    for (cap_rights_t a = 0; a < RIGHTS_SETS; a++) {
        cr_assert(rights_leq(a, a), "expected %#x <= itself", a);
        for (cap_rights_t b = 0; b < RIGHTS_SETS; b++)
            if (rights_leq(a, b) && rights_leq(b, a))
                cr_assert_eq(a, b, "expected %#x <= %#x <= it to mean equal", a, b);
    }
}

Test(rights, leq_is_transitive)
{
    unsigned chains = 0;

    seed();
    for (int i = 0; i < RIGHTS_TRIPLES; i++) {
        cap_rights_t a = next_random() & CAP_R_ALL;
        cap_rights_t b = next_random() & CAP_R_ALL;
        cap_rights_t c = next_random() & CAP_R_ALL;

        if (i % 2) { /* a <= b <= c on the model */
            b |= a;
            c |= b;
        }
        if (rights_leq(a, b) && rights_leq(b, c)) {
            chains++;
            cr_assert(rights_leq(a, c), "expected %#x <= %#x <= %#x to give a <= c", a, b, c);
        }
    }
    cr_assert_geq(chains, RIGHTS_TRIPLES / 2, "expected the antecedent to hold in half the cases");
}

Test(rights, join_and_meet_are_commutative_idempotent_and_absorbing)
{
    for (cap_rights_t a = 0; a < RIGHTS_SETS; a++) {
        cr_assert_eq(rights_join(a, a), a, "expected %#x v itself = itself", a);
        cr_assert_eq(rights_meet(a, a), a, "expected %#x ^ itself = itself", a);
        for (cap_rights_t b = 0; b < RIGHTS_SETS; b++) {
            cr_assert_eq(rights_join(a, b), rights_join(b, a), "expected v commutative: %#x, %#x", a, b);
            cr_assert_eq(rights_meet(a, b), rights_meet(b, a), "expected ^ commutative: %#x, %#x", a, b);
            cr_assert_eq(rights_join(a, rights_meet(a, b)), a, "expected a v (a ^ b) = a: %#x, %#x", a, b);
            cr_assert_eq(rights_meet(a, rights_join(a, b)), a, "expected a ^ (a v b) = a: %#x, %#x", a, b);
        }
    }
}

Test(rights, join_and_meet_are_associative)
{
    seed();
    for (int i = 0; i < RIGHTS_TRIPLES; i++) {
        cap_rights_t a = next_random() & CAP_R_ALL;
        cap_rights_t b = next_random() & CAP_R_ALL;
        cap_rights_t c = next_random() & CAP_R_ALL;

        cr_assert_eq(rights_join(rights_join(a, b), c), rights_join(a, rights_join(b, c)),
                     "expected v associative: %#x, %#x, %#x", a, b, c);
        cr_assert_eq(rights_meet(rights_meet(a, b), c), rights_meet(a, rights_meet(b, c)),
                     "expected ^ associative: %#x, %#x, %#x", a, b, c);
    }
}

Test(rights, every_set_lies_between_bottom_and_top)
{
    for (cap_rights_t a = 0; a < RIGHTS_SETS; a++) {
        cr_assert(rights_leq(rights_bottom(), a), "expected bottom <= %#x", a);
        cr_assert(rights_leq(a, rights_top()), "expected %#x <= top", a);
        cr_assert_eq(rights_join(a, rights_bottom()), a, "expected %#x v bottom = itself", a);
        cr_assert_eq(rights_join(a, rights_top()), rights_top(), "expected %#x v top = top", a);
        cr_assert_eq(rights_meet(a, rights_top()), a, "expected %#x ^ top = itself", a);
        cr_assert_eq(rights_meet(a, rights_bottom()), rights_bottom(), "expected %#x ^ bottom = bottom", a);
    }
}

Test(rights, join_is_least_upper_bound_and_meet_greatest_lower_bound)
{
    for (cap_rights_t a = 0; a < RIGHTS_SETS; a++)
        for (cap_rights_t b = 0; b < RIGHTS_SETS; b++) {
            cap_rights_t j = rights_join(a, b), m = rights_meet(a, b);

            cr_assert(rights_leq(a, j) && rights_leq(b, j), "expected %#x, %#x <= their join", a, b);
            cr_assert(rights_leq(m, a) && rights_leq(m, b), "expected their meet <= %#x, %#x", a, b);
            /* Every upper bound contains j, every lower bound lies in m:
             * a few bounds per pair, one just above and one just below. */
            for (unsigned bit = 0; bit < 10; bit++) {
                cap_rights_t up = a | b | 1u << bit, down = a & b & ~(1u << bit);
                cr_assert(rights_leq(j, up), "expected join <= upper bound %#x", up);
                cr_assert(rights_leq(down, m), "expected lower bound %#x <= meet", down);
            }
            cr_assert_eq(rights_leq(a, b), rights_join(a, b) == b,
                         "expected a <= b exactly when a v b == b: %#x, %#x", a, b);
        }
}
