/* The host page map: keys are page (or table) numbers, hashed by a
 * Fibonacci multiply into a power-of-two table kept under 3/4 full;
 * deletion shifts the probe run back so lookups need no tombstones. */
#include <stdlib.h>

#include "kerr.h"
#include "pagemap.h"

#define PAGEMAP_MIN_CAP 16u

/* Home slot of key in a table of cap slots. */
static size_t home(uint64_t key, size_t cap)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* Slot holding key, or the empty slot where it would go. cap > 0. */
static struct pagemap_entry *probe(const struct pagemap *m, uint64_t key)
{
    size_t i = home(key, m->cap);

    while (m->slots[i].key != 0 && m->slots[i].key != key)
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

/* Looks key up; see pagemap.h. */
struct pagemap_entry *pagemap_get(const struct pagemap *m, uint64_t key)
{
    struct pagemap_entry *e;

    if (m->cap == 0 || key == 0)
        return NULL;
    e = probe(m, key);
    return e->key == key ? e : NULL;
}

/* Rehashes into a table of new_cap slots. Returns FB_OK or FB_ENOMEM. */
static int grow(struct pagemap *m, size_t new_cap)
{
    struct pagemap old = *m;

    m->slots = calloc(new_cap, sizeof *m->slots);
    if (m->slots == NULL) {
        *m = old;
        return FB_ENOMEM;
    }
    m->cap = new_cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].key != 0)
            *probe(m, old.slots[i].key) = old.slots[i];
    }
    free(old.slots);
    return FB_OK;
}

/* Inserts key, growing the table first when it would pass 3/4 full. */
int pagemap_put(struct pagemap *m, uint64_t key, uint64_t pa, uint32_t flags)
{
    struct pagemap_entry *e;

    if (key == 0)
        return FB_EINVAL;
    if (pagemap_get(m, key) != NULL)
        return FB_EEXIST;
    if ((m->count + 1) * 4 > m->cap * 3) {
        int err = grow(m, m->cap == 0 ? PAGEMAP_MIN_CAP : m->cap * 2);

        if (err != FB_OK)
            return err;
    }
    e = probe(m, key);
    e->key = key;
    e->pa = pa;
    e->flags = flags;
    m->count++;
    return FB_OK;
}

/* Removes the entry at slot i, then moves later entries of the same probe
 * run back into the gap when their home slot allows it. */
static void remove_at(struct pagemap *m, size_t i)
{
    size_t mask = m->cap - 1;
    size_t j = i;
    size_t h;

    for (;;) {
        j = (j + 1) & mask;
        if (m->slots[j].key == 0)
            break;
        /* Entry j may fill gap i only if its home is not in (i, j]. */
        h = home(m->slots[j].key, m->cap);
        if (((j - h) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = 0;
    m->count--;
}

/* Deletes key; see pagemap.h. */
int pagemap_del(struct pagemap *m, uint64_t key)
{
    struct pagemap_entry *e = pagemap_get(m, key);

    if (e == NULL)
        return FB_ENOENT;
    remove_at(m, (size_t)(e - m->slots));
    return FB_OK;
}

/* Scans every slot for the smallest key at or above from; see pagemap.h. */
struct pagemap_entry *pagemap_next(const struct pagemap *m, uint64_t from)
{
    struct pagemap_entry *best = NULL;

    for (size_t i = 0; i < m->cap; i++) {
        uint64_t k = m->slots[i].key;

        if (k != 0 && k >= from && (best == NULL || k < best->key))
            best = &m->slots[i];
    }
    return best;
}

/* Visits every entry; see pagemap.h. */
void pagemap_each(const struct pagemap *m, void (*fn)(const struct pagemap_entry *e, void *ctx),
                  void *ctx)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key != 0)
            fn(&m->slots[i], ctx);
    }
}

/* Frees the slots and empties the map. */
void pagemap_clear(struct pagemap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}
