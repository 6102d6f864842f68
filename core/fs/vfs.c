/* The RAM filesystem behind the VFS: node table, directory lists, file
 * blocks through two levels (node -> index block -> data block), path
 * walking, cpio unpacking and the invariant checker. Every function
 * below the public ones expects fs->lock held. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpio.h"
#include "kerr.h"
#include "kstring.h"
#include "spinlock.h"
#include "vfs.h"

#define PPB ((uint64_t)VFS_PTRS_PER_BLOCK)
#define BS ((uint64_t)VFS_BLOCK_SIZE)

_Static_assert(VFS_PATH_MAX > VFS_NAME_MAX, "a path holds at least one name");
_Static_assert(VFS_LINK_MAX < VFS_BLOCK_SIZE, "a symlink target fits one block");

/* Handle of node i (lock held). */
static vfs_handle_t handle_of(struct vfs *fs, uint32_t i)
{
    return (uint64_t)fs->nodes[i].gen << 32 | i;
}

/* Finds the live node @h names (lock held). */
static int node_of(struct vfs *fs, vfs_handle_t h, struct vfs_node **out)
{
    uint32_t i = (uint32_t)h, gen = (uint32_t)(h >> 32);

    if (gen == 0 || i >= fs->capacity)
        return FB_EBADCAP;
    if (fs->nodes[i].type == 0 || fs->nodes[i].gen != gen)
        return FB_ESTALE;
    *out = &fs->nodes[i];
    return FB_OK;
}

/* True for the names "." and "..". */
static bool is_dot(const char *c, size_t n)
{
    return (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.');
}

/* Entry of directory dir named c[0..n), or VFS_NONE. */
static uint32_t dir_find(struct vfs *fs, uint32_t dir, const char *c, size_t n)
{
    for (uint32_t k = fs->nodes[dir].first; k != VFS_NONE; k = fs->nodes[k].next)
        if (fs->nodes[k].name_len == n && kmemcmp(fs->nodes[k].name, c, n) == 0)
            return k;
    return VFS_NONE;
}

/* Appends node k to directory dir's list, keeping creation order. */
static void dir_link(struct vfs *fs, uint32_t dir, uint32_t k)
{
    struct vfs_node *d = &fs->nodes[dir];

    fs->nodes[k].parent = dir;
    fs->nodes[k].next = VFS_NONE;
    if (d->last == VFS_NONE)
        d->first = k;
    else
        fs->nodes[d->last].next = k;
    d->last = k;
    d->entries++;
    if (fs->nodes[k].type == VFS_DIR)
        d->subdirs++;
}

/* Takes node k out of its parent's list. */
static void dir_unlink(struct vfs *fs, uint32_t k)
{
    struct vfs_node *d = &fs->nodes[fs->nodes[k].parent];
    uint32_t prev = VFS_NONE;

    for (uint32_t c = d->first; c != k; c = fs->nodes[c].next)
        prev = c;
    if (prev == VFS_NONE)
        d->first = fs->nodes[k].next;
    else
        fs->nodes[prev].next = fs->nodes[k].next;
    if (d->last == k)
        d->last = prev;
    d->entries--;
    if (fs->nodes[k].type == VFS_DIR)
        d->subdirs--;
}

/* Frees one block held by n. */
static void block_put(struct vfs *fs, struct vfs_node *n, void *b)
{
    fs->release(fs->ctx, b);
    n->blocks--;
    fs->blocks--;
}

/* Frees every data block of n from block number first on, and every
 * index block that then covers nothing below first. */
static void blocks_free_from(struct vfs *fs, struct vfs_node *n, uint64_t first)
{
    for (uint64_t i = 0; i < VFS_INDEX_BLOCKS; i++) {
        void **ix = n->index[i];
        uint64_t base = i * PPB;

        if (ix == NULL || base + PPB <= first)
            continue;
        for (uint64_t j = first > base ? first - base : 0; j < PPB; j++) {
            if (ix[j] != NULL) {
                block_put(fs, n, ix[j]);
                ix[j] = NULL;
            }
        }
        if (base >= first) {
            block_put(fs, n, ix);
            n->index[i] = NULL;
        }
    }
}

/* Data block number b of n, NULL for a hole. */
static uint8_t *block_at(struct vfs_node *n, uint64_t b)
{
    void **ix = n->index[b / PPB];

    return ix == NULL ? NULL : ix[b % PPB];
}

/* Data block number b of n, allocated (with its index block) if it is a
 * hole. On FB_ENOMEM nothing new is kept. */
static int block_get(struct vfs *fs, struct vfs_node *n, uint64_t b, uint8_t **out)
{
    void **ix = n->index[b / PPB];
    void *data;

    if (ix != NULL && ix[b % PPB] != NULL) {
        *out = ix[b % PPB];
        return FB_OK;
    }
    data = fs->alloc(fs->ctx);
    if (data == NULL)
        return FB_ENOMEM;
    if (ix == NULL) {
        ix = fs->alloc(fs->ctx);
        if (ix == NULL) {
            fs->release(fs->ctx, data);
            return FB_ENOMEM;
        }
        n->index[b / PPB] = ix;
        n->blocks++;
        fs->blocks++;
    }
    ix[b % PPB] = data;
    n->blocks++;
    fs->blocks++;
    *out = data;
    return FB_OK;
}

/* Copies up to len bytes at off of n into buf; holes read as zeros. */
static size_t read_locked(struct vfs_node *n, uint64_t off, uint8_t *buf, size_t len)
{
    size_t done = 0;

    if (off >= n->size)
        return 0;
    if (len > n->size - off)
        len = (size_t)(n->size - off);
    while (done < len) {
        uint64_t pos = off + done, o = pos % BS;
        size_t chunk = (size_t)(BS - o) < len - done ? (size_t)(BS - o) : len - done;
        uint8_t *b = block_at(n, pos / BS);

        if (b == NULL)
            kmemset(buf + done, 0, chunk);
        else
            kmemcpy(buf + done, b + o, chunk);
        done += chunk;
    }
    return done;
}

/* Writes len bytes at off of n (off + len <= VFS_FILE_MAX); on FB_ENOMEM
 * *put bytes made it and the size covers exactly those. */
static int write_locked(struct vfs *fs, struct vfs_node *n, uint64_t off, const uint8_t *buf,
                        size_t len, size_t *put)
{
    size_t done = 0;
    int err = FB_OK;

    while (done < len) {
        uint64_t pos = off + done, o = pos % BS;
        size_t chunk = (size_t)(BS - o) < len - done ? (size_t)(BS - o) : len - done;
        uint8_t *b;

        err = block_get(fs, n, pos / BS, &b);
        if (err != FB_OK)
            break;
        kmemcpy(b + o, buf + done, chunk);
        done += chunk;
    }
    if (done > 0 && off + done > n->size)
        n->size = off + done;
    *put = done;
    return err;
}

/* Sets n's size, freeing blocks past a smaller end and zeroing the tail
 * of its last block, so that a later growth reads zeros there. */
static void truncate_locked(struct vfs *fs, struct vfs_node *n, uint64_t size)
{
    if (size < n->size) {
        uint8_t *last = block_at(n, size / BS);

        if (size % BS != 0 && last != NULL)
            kmemset(last + size % BS, 0, (size_t)(BS - size % BS));
        blocks_free_from(fs, n, (size + BS - 1) / BS);
    }
    n->size = size;
}

/* Takes a free slot off the free list, or VFS_NONE when the table is full. */
static uint32_t node_alloc(struct vfs *fs)
{
    uint32_t k = fs->free_head;

    if (k != VFS_NONE) {
        fs->free_head = fs->nodes[k].next;
        fs->used++;
    }
    return k;
}

/* Frees node k's blocks, unhooks it from its parent and puts the slot on
 * the free list with a new generation, so old handles turn stale. */
static void node_remove(struct vfs *fs, uint32_t k)
{
    struct vfs_node *n = &fs->nodes[k];

    blocks_free_from(fs, n, 0);
    dir_unlink(fs, k);
    n->type = 0;
    n->fresh = 0;
    n->size = 0;
    n->gen = n->gen + 1 == 0 ? 1 : n->gen + 1;
    n->next = fs->free_head;
    fs->free_head = k;
    fs->used--;
}

/* Removes node top and everything below it. */
static void tree_remove(struct vfs *fs, uint32_t top)
{
    uint32_t cur = top;

    for (;;) {
        while (fs->nodes[cur].type == VFS_DIR && fs->nodes[cur].first != VFS_NONE)
            cur = fs->nodes[cur].first;
        uint32_t up = fs->nodes[cur].parent;

        node_remove(fs, cur);
        if (cur == top)
            return;
        cur = up;
    }
}

/* Where a path leads: the directory holding its last component, that
 * component (empty when the path is only slashes) and whether slashes
 * followed it. */
struct walk {
    uint32_t dir;
    const char *name;
    size_t len;
    bool slash;
};

/* Moves *dir through component c[0..n): ".", ".." or an entry that must
 * be a directory. */
static int step(struct vfs *fs, uint32_t *dir, const char *c, size_t n)
{
    uint32_t k;

    if (n > VFS_NAME_MAX)
        return FB_ERANGE;
    if (is_dot(c, n)) {
        if (n == 2)
            *dir = fs->nodes[*dir].parent;
        return FB_OK;
    }
    k = dir_find(fs, *dir, c, n);
    if (k == VFS_NONE)
        return FB_ENOENT;
    if (fs->nodes[k].type != VFS_DIR)
        return FB_ENOTSUP;
    *dir = k;
    return FB_OK;
}

/* Walks p[0..len) from the root up to its last component (leading
 * slashes optional: cpio names have none). */
static int walk_parent(struct vfs *fs, const char *p, size_t len, struct walk *w)
{
    size_t end = len, start, i = 0;
    uint32_t dir = 0;

    while (end > 0 && p[end - 1] == '/')
        end--;
    w->slash = end < len;
    start = end;
    while (start > 0 && p[start - 1] != '/')
        start--;
    w->name = p + start;
    w->len = end - start;
    while (i < start) {
        size_t j = i;
        int err;

        if (p[i] == '/') {
            i++;
            continue;
        }
        while (p[j] != '/')
            j++;
        err = step(fs, &dir, p + i, j - i);
        if (err != FB_OK)
            return err;
        i = j;
    }
    w->dir = dir;
    return w->len > VFS_NAME_MAX ? FB_ERANGE : FB_OK;
}

/* Checks a caller's path: NUL-terminated within VFS_PATH_MAX, absolute. */
static int path_check(const char *path, size_t *len)
{
    if (path == NULL)
        return FB_EINVAL;
    *len = kstrnlen(path, VFS_PATH_MAX + 1);
    if (*len > VFS_PATH_MAX)
        return FB_ERANGE;
    return path[0] == '/' ? FB_OK : FB_EINVAL;
}

/* Resolves a whole path to a node index. */
static int lookup_locked(struct vfs *fs, const char *p, size_t len, uint32_t *out)
{
    struct walk w;
    uint32_t k = 0;
    int err = walk_parent(fs, p, len, &w);

    if (err != FB_OK)
        return err;
    if (w.len == 0)
        k = 0;
    else if (is_dot(w.name, w.len))
        k = w.len == 1 ? w.dir : fs->nodes[w.dir].parent;
    else if ((k = dir_find(fs, w.dir, w.name, w.len)) == VFS_NONE)
        return FB_ENOENT;
    if (w.slash && fs->nodes[k].type != VFS_DIR)
        return FB_ENOTSUP;
    *out = k;
    return FB_OK;
}

/* Creates an empty node of type at p[0..len); on FB_EEXIST *out is the
 * existing entry of that name, VFS_NONE for ".", ".." or the root. */
static int create_locked(struct vfs *fs, const char *p, size_t len, enum vfs_type type,
                         uint32_t mode, uint32_t *out)
{
    struct walk w;
    struct vfs_node *n;
    uint32_t k;
    int err = walk_parent(fs, p, len, &w);

    *out = VFS_NONE;
    if (err != FB_OK)
        return err;
    if (w.slash && type != VFS_DIR && w.len > 0)
        return FB_EINVAL;
    if (w.len == 0 || is_dot(w.name, w.len))
        return FB_EEXIST;
    k = dir_find(fs, w.dir, w.name, w.len);
    if (k != VFS_NONE) {
        *out = k;
        return FB_EEXIST;
    }
    k = node_alloc(fs);
    if (k == VFS_NONE)
        return FB_ENOSPC;
    n = &fs->nodes[k];
    n->type = (uint8_t)type;
    n->fresh = 0;
    n->mode = (uint16_t)(mode & 07777);
    n->mtime = 0;
    n->first = n->last = VFS_NONE;
    n->entries = n->subdirs = n->blocks = 0;
    n->size = 0;
    kmemset(n->index, 0, sizeof n->index);
    n->name_len = (uint16_t)w.len;
    kmemcpy(n->name, w.name, w.len);
    n->name[w.len] = '\0';
    dir_link(fs, w.dir, k);
    *out = k;
    return FB_OK;
}

/* Creates a symlink to target[0..tlen) at p[0..len). */
static int symlink_locked(struct vfs *fs, const char *p, size_t len, const char *target,
                          size_t tlen, uint32_t *out)
{
    size_t put;
    int err = create_locked(fs, p, len, VFS_SYMLINK, 0777, out);

    if (err != FB_OK)
        return err;
    err = write_locked(fs, &fs->nodes[*out], 0, (const uint8_t *)target, tlen, &put);
    if (err != FB_OK)
        node_remove(fs, *out);
    return err;
}

int vfs_init(struct vfs *fs, struct vfs_node *nodes, uint32_t capacity,
             vfs_block_alloc_fn alloc, vfs_block_free_fn release, void *ctx)
{
    if (fs == NULL || nodes == NULL || alloc == NULL || release == NULL || capacity == 0 ||
        capacity > VFS_NODES_MAX)
        return FB_EINVAL;
    kmemset(nodes, 0, (size_t)capacity * sizeof *nodes);
    for (uint32_t i = 0; i < capacity; i++) {
        nodes[i].gen = 1;
        nodes[i].next = i + 1 < capacity ? i + 1 : VFS_NONE;
    }
    nodes[0].type = VFS_DIR;
    nodes[0].mode = 0755;
    nodes[0].first = nodes[0].last = VFS_NONE;
    nodes[0].next = VFS_NONE;
    fs->lock = (spinlock_t)SPINLOCK_INIT;
    fs->nodes = nodes;
    fs->capacity = capacity;
    fs->used = 1;
    fs->free_head = capacity > 1 ? 1 : VFS_NONE;
    fs->blocks = 0;
    fs->alloc = alloc;
    fs->release = release;
    fs->ctx = ctx;
    return FB_OK;
}

int vfs_lookup(struct vfs *fs, const char *path, vfs_handle_t *out)
{
    size_t len;
    uint32_t k;
    hal_irq_state_t s;
    int err;

    if (fs == NULL || out == NULL)
        return FB_EINVAL;
    err = path_check(path, &len);
    if (err != FB_OK)
        return err;
    s = spin_lock_irqsave(&fs->lock);
    err = lookup_locked(fs, path, len, &k);
    if (err == FB_OK)
        *out = handle_of(fs, k);
    spin_unlock_irqrestore(&fs->lock, s);
    return err;
}

/* vfs_create, vfs_mkdir and vfs_symlink: target is NULL unless type is
 * VFS_SYMLINK. */
static int make(struct vfs *fs, const char *path, enum vfs_type type, uint32_t mode,
                const char *target, vfs_handle_t *out)
{
    size_t len, tlen = 0;
    uint32_t k;
    hal_irq_state_t s;
    int err;

    if (fs == NULL || mode > 07777)
        return FB_EINVAL;
    err = path_check(path, &len);
    if (err != FB_OK)
        return err;
    if (type == VFS_SYMLINK) {
        if (target == NULL || target[0] == '\0')
            return FB_EINVAL;
        tlen = kstrnlen(target, VFS_LINK_MAX + 1);
        if (tlen > VFS_LINK_MAX)
            return FB_ERANGE;
    }
    s = spin_lock_irqsave(&fs->lock);
    if (type == VFS_SYMLINK)
        err = symlink_locked(fs, path, len, target, tlen, &k);
    else
        err = create_locked(fs, path, len, type, mode, &k);
    if (err == FB_OK && out != NULL)
        *out = handle_of(fs, k);
    spin_unlock_irqrestore(&fs->lock, s);
    return err;
}

int vfs_create(struct vfs *fs, const char *path, uint32_t mode, vfs_handle_t *out)
{
    return make(fs, path, VFS_REG, mode, NULL, out);
}

int vfs_mkdir(struct vfs *fs, const char *path, uint32_t mode, vfs_handle_t *out)
{
    return make(fs, path, VFS_DIR, mode, NULL, out);
}

int vfs_symlink(struct vfs *fs, const char *path, const char *target, vfs_handle_t *out)
{
    return make(fs, path, VFS_SYMLINK, 0777, target, out);
}

int vfs_unlink(struct vfs *fs, const char *path)
{
    struct walk w;
    size_t len;
    uint32_t k;
    hal_irq_state_t s;
    int err;

    if (fs == NULL)
        return FB_EINVAL;
    err = path_check(path, &len);
    if (err != FB_OK)
        return err;
    s = spin_lock_irqsave(&fs->lock);
    err = walk_parent(fs, path, len, &w);
    if (err == FB_OK && w.len == 0)
        err = FB_EPERM;
    else if (err == FB_OK && is_dot(w.name, w.len))
        err = FB_EINVAL;
    else if (err == FB_OK && (k = dir_find(fs, w.dir, w.name, w.len)) == VFS_NONE)
        err = FB_ENOENT;
    else if (err == FB_OK && w.slash && fs->nodes[k].type != VFS_DIR)
        err = FB_ENOTSUP;
    else if (err == FB_OK && fs->nodes[k].entries > 0)
        err = FB_EBUSY;
    if (err == FB_OK)
        node_remove(fs, k);
    spin_unlock_irqrestore(&fs->lock, s);
    return err;
}

/* Locks fs and finds the node of h for a data operation: a regular file,
 * or also a symlink when reading. On FB_OK the lock stays held. */
static int data_node(struct vfs *fs, vfs_handle_t h, bool reading, struct vfs_node **n,
                     hal_irq_state_t *s)
{
    int err;

    *s = spin_lock_irqsave(&fs->lock);
    err = node_of(fs, h, n);
    if (err == FB_OK && (*n)->type != VFS_REG && !(reading && (*n)->type == VFS_SYMLINK))
        err = FB_EINVAL;
    if (err != FB_OK)
        spin_unlock_irqrestore(&fs->lock, *s);
    return err;
}

int vfs_read(struct vfs *fs, vfs_handle_t h, uint64_t off, void *buf, size_t len, size_t *got)
{
    struct vfs_node *n;
    hal_irq_state_t s;
    int err;

    if (got != NULL)
        *got = 0;
    if (fs == NULL || got == NULL || (buf == NULL && len > 0))
        return FB_EINVAL;
    err = data_node(fs, h, true, &n, &s);
    if (err != FB_OK)
        return err;
    *got = read_locked(n, off, buf, len);
    spin_unlock_irqrestore(&fs->lock, s);
    return FB_OK;
}

int vfs_write(struct vfs *fs, vfs_handle_t h, uint64_t off, const void *buf, size_t len,
              size_t *put)
{
    struct vfs_node *n;
    hal_irq_state_t s;
    int err;

    if (put != NULL)
        *put = 0;
    if (fs == NULL || put == NULL || (buf == NULL && len > 0))
        return FB_EINVAL;
    err = data_node(fs, h, false, &n, &s);
    if (err != FB_OK)
        return err;
    if (off > VFS_FILE_MAX || len > VFS_FILE_MAX - off)
        err = FB_ERANGE;
    else
        err = write_locked(fs, n, off, buf, len, put);
    spin_unlock_irqrestore(&fs->lock, s);
    return err;
}

int vfs_truncate(struct vfs *fs, vfs_handle_t h, uint64_t size)
{
    struct vfs_node *n;
    hal_irq_state_t s;
    int err;

    if (fs == NULL)
        return FB_EINVAL;
    err = data_node(fs, h, false, &n, &s);
    if (err != FB_OK)
        return err;
    if (size > VFS_FILE_MAX)
        err = FB_ERANGE;
    else
        truncate_locked(fs, n, size);
    spin_unlock_irqrestore(&fs->lock, s);
    return err;
}

int vfs_stat(struct vfs *fs, vfs_handle_t h, struct vfs_stat *st)
{
    struct vfs_node *n;
    hal_irq_state_t s;
    int err;

    if (fs == NULL || st == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&fs->lock);
    err = node_of(fs, h, &n);
    if (err == FB_OK) {
        st->type = (enum vfs_type)n->type;
        st->mode = n->mode;
        st->size = n->type == VFS_DIR ? n->entries : n->size;
        st->nlink = n->type == VFS_DIR ? 2 + n->subdirs : 1;
        st->mtime = n->mtime;
        st->blocks = n->blocks;
        st->ino = (uint32_t)h;
    }
    spin_unlock_irqrestore(&fs->lock, s);
    return err;
}

int vfs_readdir(struct vfs *fs, vfs_handle_t dir, uint32_t index, char *name, vfs_handle_t *out)
{
    struct vfs_node *d;
    hal_irq_state_t s;
    uint32_t k;
    int err;

    if (fs == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&fs->lock);
    err = node_of(fs, dir, &d);
    if (err == FB_OK && d->type != VFS_DIR)
        err = FB_ENOTSUP;
    else if (err == FB_OK && index >= d->entries)
        err = FB_ENOENT;
    if (err == FB_OK) {
        k = d->first;
        for (uint32_t i = 0; i < index; i++)
            k = fs->nodes[k].next;
        if (name != NULL)
            kmemcpy(name, fs->nodes[k].name, (size_t)fs->nodes[k].name_len + 1);
        if (out != NULL)
            *out = handle_of(fs, k);
    }
    spin_unlock_irqrestore(&fs->lock, s);
    return err;
}

/* Creates the node of one archive member, marked fresh for the sweep. */
static int unpack_one(struct vfs *fs, const struct cpio_entry *e)
{
    enum vfs_type type = e->type == CPIO_REG ? VFS_REG : e->type == CPIO_DIR ? VFS_DIR : VFS_SYMLINK;
    uint32_t k;
    size_t put;
    int err;

    if (e->size > VFS_FILE_MAX)
        return FB_ERANGE;
    if (type == VFS_SYMLINK)
        err = symlink_locked(fs, e->name, e->name_len, (const char *)e->data, e->size, &k);
    else
        err = create_locked(fs, e->name, e->name_len, type, e->mode, &k);
    if (err == FB_EEXIST && type == VFS_DIR && k != VFS_NONE && fs->nodes[k].type == VFS_DIR)
        return FB_OK;
    if (err != FB_OK)
        return err;
    fs->nodes[k].fresh = 1;
    fs->nodes[k].mtime = e->mtime;
    if (type == VFS_REG)
        err = write_locked(fs, &fs->nodes[k], 0, e->data, e->size, &put);
    return err;
}

int vfs_unpack_cpio(struct vfs *fs, const void *archive, size_t len)
{
    struct cpio_iter it;
    struct cpio_entry e;
    hal_irq_state_t s;
    int err;

    if (fs == NULL || archive == NULL)
        return FB_EINVAL;
    err = cpio_check(archive, len, NULL);
    if (err != FB_OK)
        return err;
    s = spin_lock_irqsave(&fs->lock);
    cpio_iter_init(&it, archive, len);
    while ((err = cpio_next(&it, &e)) == FB_OK && (err = unpack_one(fs, &e)) == FB_OK)
        continue;
    if (err == FB_ENOENT && it.state == FB_ENOENT)
        err = FB_OK;   /* the trailer, not a missing parent */
    /* A fresh node under a node that is not fresh tops a subtree this
     * call made: on failure remove it whole; either way unmark it. */
    for (uint32_t i = 0; i < fs->capacity; i++) {
        struct vfs_node *n = &fs->nodes[i];

        if (n->type != 0 && n->fresh && err != FB_OK && !fs->nodes[n->parent].fresh)
            tree_remove(fs, i);
        else
            n->fresh = 0;
    }
    spin_unlock_irqrestore(&fs->lock, s);
    return err;
}

/* Checks the blocks of file or symlink n: none at or past its end, and
 * as many as it counts. */
static bool blocks_ok(struct vfs_node *n, uint64_t *total)
{
    uint64_t end = (n->size + BS - 1) / BS, count = 0;

    for (uint64_t i = 0; i < VFS_INDEX_BLOCKS; i++) {
        void **ix = n->index[i];

        if (ix == NULL)
            continue;
        if (i * PPB >= end)
            return false;
        count++;
        for (uint64_t j = 0; j < PPB; j++) {
            if (ix[j] != NULL && i * PPB + j >= end)
                return false;
            count += ix[j] != NULL;
        }
    }
    *total += count;
    return count == n->blocks;
}

/* Checks directory d's list: entries live, pointing back at d, named
 * validly and uniquely, counted right, and last really last. */
static bool dir_ok(struct vfs *fs, uint32_t d)
{
    struct vfs_node *dn = &fs->nodes[d];
    uint32_t entries = 0, subdirs = 0, prev = VFS_NONE;

    for (uint32_t k = dn->first; k != VFS_NONE; prev = k, k = fs->nodes[k].next) {
        struct vfs_node *c;

        if (k >= fs->capacity || k == 0 || ++entries > fs->used)
            return false;
        c = &fs->nodes[k];
        if (c->type == 0 || c->type > VFS_SYMLINK || c->parent != d || c->name_len == 0 ||
            c->name_len > VFS_NAME_MAX || c->name[c->name_len] != '\0' ||
            kstrnlen(c->name, c->name_len) != c->name_len || is_dot(c->name, c->name_len))
            return false;
        for (uint32_t i = 0; i < c->name_len; i++)
            if (c->name[i] == '/')
                return false;
        for (uint32_t o = c->next; o != VFS_NONE && o < fs->capacity; o = fs->nodes[o].next)
            if (fs->nodes[o].name_len == c->name_len &&
                kmemcmp(fs->nodes[o].name, c->name, c->name_len) == 0)
                return false;
        subdirs += c->type == VFS_DIR;
    }
    return dn->last == prev && dn->entries == entries && dn->subdirs == subdirs;
}

/* Checks one node reached through the tree. */
static bool node_ok(struct vfs *fs, uint32_t k, uint64_t *total)
{
    struct vfs_node *n = &fs->nodes[k];

    if (n->fresh || n->gen == 0 || n->size > VFS_FILE_MAX)
        return false;
    if (n->type == VFS_DIR)
        return n->size == 0 && n->blocks == 0 && dir_ok(fs, k);
    if (n->first != VFS_NONE || n->last != VFS_NONE || n->entries != 0)
        return false;
    if (n->type == VFS_SYMLINK && (n->size == 0 || n->size > VFS_LINK_MAX))
        return false;
    return blocks_ok(n, total);
}

int vfs_check(struct vfs *fs, uint32_t *bad)
{
    uint64_t total = 0;
    uint32_t seen = 0, nfree = 0, cur = 0, where = VFS_NONE;
    hal_irq_state_t s;
    int err = FB_EINVAL;

    if (bad != NULL)
        *bad = VFS_NONE;
    if (fs == NULL || fs->nodes == NULL)
        return FB_EINVAL;
    s = spin_lock_irqsave(&fs->lock);
    for (uint32_t k = fs->free_head; k != VFS_NONE; k = fs->nodes[k].next) {
        if (k >= fs->capacity || fs->nodes[k].type != 0 || fs->nodes[k].gen == 0 ||
            ++nfree > fs->capacity) {
            where = k < fs->capacity ? k : VFS_NONE;
            goto out;
        }
    }
    if (nfree + fs->used != fs->capacity || fs->nodes[0].type != VFS_DIR ||
        fs->nodes[0].parent != 0 || fs->nodes[0].name_len != 0) {
        where = 0;
        goto out;
    }
    /* Depth first through first/next/parent; dir_ok has vouched for a
     * directory's links before the walk follows them. */
    for (;;) {
        if (++seen > fs->used || !node_ok(fs, cur, &total)) {
            where = cur;
            goto out;
        }
        if (fs->nodes[cur].type == VFS_DIR && fs->nodes[cur].first != VFS_NONE) {
            cur = fs->nodes[cur].first;
            continue;
        }
        while (cur != 0 && fs->nodes[cur].next == VFS_NONE)
            cur = fs->nodes[cur].parent;
        if (cur == 0)
            break;
        cur = fs->nodes[cur].next;
    }
    if (seen == fs->used && total == fs->blocks)
        err = FB_OK;
out:
    spin_unlock_irqrestore(&fs->lock, s);
    if (err != FB_OK && bad != NULL)
        *bad = where;
    return err;
}
