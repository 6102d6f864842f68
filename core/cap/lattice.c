/* The label lattice: 16 levels x 64 categories, product of a chain and a
 * powerset, so every law (order, join, meet, bounds) holds component-wise. */
#include "lattice.h"

fb_label_t lattice_make(unsigned level, uint64_t cats)
{
    fb_label_t l = { .cats = cats, .level = (uint8_t)(level < FB_LATTICE_LEVELS ? level : FB_LATTICE_LEVELS - 1) };
    return l;
}

bool lattice_valid(fb_label_t a)
{
    return a.level < FB_LATTICE_LEVELS;
}

bool lattice_leq(fb_label_t a, fb_label_t b)
{
    return a.level <= b.level && (a.cats & ~b.cats) == 0;
}

bool lattice_dominates(fb_label_t a, fb_label_t b)
{
    return lattice_leq(b, a);
}

bool lattice_equal(fb_label_t a, fb_label_t b)
{
    return a.level == b.level && a.cats == b.cats;
}

fb_label_t lattice_join(fb_label_t a, fb_label_t b)
{
    fb_label_t l = { .cats = a.cats | b.cats, .level = a.level > b.level ? a.level : b.level };
    return l;
}

fb_label_t lattice_meet(fb_label_t a, fb_label_t b)
{
    fb_label_t l = { .cats = a.cats & b.cats, .level = a.level < b.level ? a.level : b.level };
    return l;
}

fb_label_t lattice_top(void)
{
    fb_label_t l = { .cats = ~(uint64_t)0, .level = FB_LATTICE_LEVELS - 1 };
    return l;
}

fb_label_t lattice_bottom(void)
{
    fb_label_t l = { .cats = 0, .level = 0 };
    return l;
}
