/* Security labels: 16 hierarchical levels x 64 categories, ordered by
 * "level <= level' and categories a subset of categories'". Used by the
 * capability table (derivation and grant) and by IPC flow control. */
#ifndef FB_LATTICE_H
#define FB_LATTICE_H

#include <stdbool.h>
#include <stdint.h>

/** Number of hierarchical levels; valid levels are 0..15. */
#define FB_LATTICE_LEVELS 16
/** Number of categories; category c is bit c of fb_label.cats. */
#define FB_LATTICE_CATEGORIES 64

/** A point of the lattice. Passed and returned by value. */
typedef struct fb_label {
    uint64_t cats; /**< set of categories, bit c = category c */
    uint8_t level; /**< hierarchical level, 0 (lowest) .. 15 */
} fb_label_t;

/** The label (@p level, @p cats); a level above 15 is clamped to 15. */
fb_label_t lattice_make(unsigned level, uint64_t cats);
/** True when @p a.level is below FB_LATTICE_LEVELS. */
bool lattice_valid(fb_label_t a);
/** The partial order: a.level <= b.level and a.cats is a subset of b.cats. */
bool lattice_leq(fb_label_t a, fb_label_t b);
/** a dominates b: the same as lattice_leq(b, a). */
bool lattice_dominates(fb_label_t a, fb_label_t b);
/** True when @p a and @p b are the same point. */
bool lattice_equal(fb_label_t a, fb_label_t b);
/** Least upper bound: the higher level, the union of the categories. */
fb_label_t lattice_join(fb_label_t a, fb_label_t b);
/** Greatest lower bound: the lower level, the intersection of the categories. */
fb_label_t lattice_meet(fb_label_t a, fb_label_t b);
/** The greatest label: level 15, every category. */
fb_label_t lattice_top(void);
/** The least label: level 0, no category. */
fb_label_t lattice_bottom(void);

#endif
