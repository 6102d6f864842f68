/* A hash map from nonzero 64-bit keys to (physical address, flags): the
 * host's stand-in for page tables. Not locked; the owner locks. */
#ifndef HAL_HOST_PAGEMAP_H
#define HAL_HOST_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

struct pagemap_entry {
    uint64_t key;     /* 0 marks an empty slot */
    uint64_t pa;
    uint32_t flags;
};

/* Open addressing with linear probing; zero-initialized means empty. */
struct pagemap {
    struct pagemap_entry *slots;
    size_t cap;       /* 0 or a power of two */
    size_t count;
};

/* The entry for key, or NULL. */
struct pagemap_entry *pagemap_get(const struct pagemap *m, uint64_t key);
/* Adds key. Returns FB_OK, FB_EEXIST, FB_EINVAL for key 0, or FB_ENOMEM
 * (the map is unchanged then). */
int pagemap_put(struct pagemap *m, uint64_t key, uint64_t pa, uint32_t flags);
/* Removes key. Returns FB_OK or FB_ENOENT. */
int pagemap_del(struct pagemap *m, uint64_t key);
/* The entry with the smallest key >= from, or NULL. O(capacity): a scan. */
struct pagemap_entry *pagemap_next(const struct pagemap *m, uint64_t from);
/* Calls fn on every entry, in no particular order. */
void pagemap_each(const struct pagemap *m, void (*fn)(const struct pagemap_entry *e, void *ctx),
                  void *ctx);
/* Frees the storage; the map is empty and reusable afterwards. */
void pagemap_clear(struct pagemap *m);

#endif
