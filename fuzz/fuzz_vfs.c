/* Fuzz target for the VFS: the input is a program of operations, each an
 * opcode byte and its argument bytes (an input that ends early reads
 * zeroes): create a file, directory or symlink, write, read, truncate,
 * unlink, look up, list a directory, use a stale or forged handle, and
 * limit the block source to a few blocks. Paths are built from "a", "b",
 * "c", ".", ".." and empty components, with or without a trailing slash.
 * A shadow model (every node's path, type, contents and which blocks it
 * holds) predicts each result exactly, including where a write stops
 * when the block source runs dry; after every step vfs_check must pass
 * and the block count must match the allocator's. Any disagreement
 * aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host-tests/block_source.h"
#include "fuzz_util.h"
#include "kerr.h"
#include "vfs.h"

#define NODES 10
#define BS VFS_BLOCK_SIZE
#define MAXB 6                     /* blocks a fuzzed file reaches at most */
#define MAXF (MAXB * BS)
#define MAX_OPS 256
#define DEAD 16
#define PL 256                     /* room for any path the model builds */

enum op { OP_CREATE, OP_WRITE, OP_READ, OP_TRUNC, OP_UNLINK, OP_LOOKUP, OP_READDIR,
          OP_STALE, OP_BUDGET, OP_COUNT };

/* A node as the model sees it; slot 0 is the root, path "". */
struct mnode {
    bool used;
    enum vfs_type type;
    char path[PL];
    vfs_handle_t h;
    uint32_t seq;                  /* creation order, for readdir */
    uint64_t size;
    bool block[MAXB];
    bool index;
    uint8_t data[MAXF];
};

static struct vfs fs;
static struct vfs_node nodes[NODES];
static struct mnode m[NODES];
static vfs_handle_t dead[DEAD];
static unsigned n_dead;
static uint32_t seq;
static struct block_source src = { 0, -1 };   /* blocks out and the budget */

/* The model node at canonical path p, or -1. */
static int mfind(const char *p)
{
    for (int i = 0; i < NODES; i++)
        if (m[i].used && strcmp(m[i].path, p) == 0)
            return i;
    return -1;
}

/* Number of entries of the directory at canonical path d. */
static int mentries(const char *d)
{
    int n = 0;
    size_t l = strlen(d);

    for (int i = 1; i < NODES; i++)
        if (m[i].used && strncmp(m[i].path, d, l) == 0 && m[i].path[l] == '/' &&
            strchr(m[i].path + l + 1, '/') == NULL)
            n++;
    return n;
}

/* Cuts the last component off canonical path d (the root stays). */
static void up(char *d)
{
    char *s = strrchr(d, '/');

    if (s != NULL)
        *s = '\0';
}

/* Where path p leads, as walk_parent documents: the canonical parent in
 * dir, the last component in last, whether slashes trail. */
static int mwalk(const char *p, char *dir, char *last, bool *slash)
{
    char buf[PL];
    size_t n = strlen(p);
    char *c, *end;

    strcpy(buf, p);
    *slash = false;
    while (n > 0 && buf[n - 1] == '/') {
        buf[--n] = '\0';
        *slash = true;
    }
    end = strrchr(buf, '/');
    strcpy(last, end ? end + 1 : buf);
    if (end)
        *end = '\0';
    dir[0] = '\0';
    for (c = strtok(buf, "/"); end != NULL && c != NULL; c = strtok(NULL, "/")) {
        char child[PL];
        int k;

        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            up(dir);
            continue;
        }
        snprintf(child, sizeof child, "%.100s/%.100s", dir, c);
        k = mfind(child);
        if (k < 0)
            return FB_ENOENT;
        if (m[k].type != VFS_DIR)
            return FB_ENOTSUP;
        strcpy(dir, child);
    }
    return FB_OK;
}

/* Reads a path from the input: up to four components and maybe a slash. */
static void gen_path(struct reader *r, char *p)
{
    static const char *const comp[] = { "a", "b", "c", ".", "..", "", "a", "b" };
    uint8_t shape = u8(r);
    unsigned depth = 1 + shape % 4;

    p[0] = '\0';
    for (unsigned i = 0; i < depth; i++) {
        strcat(p, "/");
        strcat(p, comp[u8(r) % 8]);
    }
    if (shape & 0x80)
        strcat(p, "/");
}

static bool is_dot(const char *s)
{
    return strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

/* A handle the input picks among the model's nodes: index into m[]. */
static int pick(struct reader *r)
{
    int i = u8(r) % NODES;

    for (int k = 0; k < NODES; k++, i = (i + 1) % NODES)
        if (m[i].used)
            return i;
    abort();
}

static void op_create(struct reader *r)
{
    char p[PL], dir[PL], last[PL], full[PL];
    enum vfs_type type = (enum vfs_type)(1 + u8(r) % 3);
    bool slash;
    vfs_handle_t h;
    int want, got, free_slot = -1;

    gen_path(r, p);
    want = mwalk(p, dir, last, &slash);
    snprintf(full, sizeof full, "%.100s/%.100s", dir, last);
    for (int i = NODES - 1; i > 0; i--)
        if (!m[i].used)
            free_slot = i;
    if (want != FB_OK)
        ;
    else if (slash && type != VFS_DIR && last[0] != '\0')
        want = FB_EINVAL;
    else if (last[0] == '\0' || is_dot(last) || mfind(full) >= 0)
        want = FB_EEXIST;
    else if (free_slot < 0)
        want = FB_ENOSPC;
    else if (type == VFS_SYMLINK && src.budget >= 0 && src.budget < 2)
        want = FB_ENOMEM;
    if (type == VFS_REG)
        got = vfs_create(&fs, p, 0644, &h);
    else if (type == VFS_DIR)
        got = vfs_mkdir(&fs, p, 0755, &h);
    else
        got = vfs_symlink(&fs, p, "tgt", &h);
    check(got == want);
    if (got != FB_OK)
        return;
    memset(&m[free_slot], 0, sizeof m[free_slot]);
    m[free_slot].used = true;
    m[free_slot].type = type;
    strcpy(m[free_slot].path, full);
    m[free_slot].h = h;
    m[free_slot].seq = ++seq;
    if (type == VFS_SYMLINK) {
        m[free_slot].size = 3;
        memcpy(m[free_slot].data, "tgt", 3);
        m[free_slot].block[0] = m[free_slot].index = true;
    }
}

static void op_write(struct reader *r)
{
    struct mnode *n = &m[pick(r)];
    uint64_t off = u16(r) % (MAXF - 2048), pos;
    size_t len = (size_t)u8(r) * 8, put, want_put = 0;
    uint8_t buf[2048];
    long money = src.budget;   /* the allocator spends the real one */
    int want = FB_OK;

    for (size_t i = 0; i < len; i++)
        buf[i] = u8(r);
    if (n->type != VFS_REG) {
        check(vfs_write(&fs, n->h, off, buf, len, &put) == FB_EINVAL && put == 0);
        return;
    }
    /* Each absent block costs a data block, plus the index block first
     * time; the write stops at the first block it cannot pay for. */
    for (pos = off; pos < off + len; pos = (pos / BS + 1) * BS) {
        uint64_t b = pos / BS, end = (b + 1) * BS < off + len ? (b + 1) * BS : off + len;
        long need = n->block[b] ? 0 : 1 + !n->index;

        if (money >= 0 && money < need) {
            want = FB_ENOMEM;
            break;
        }
        if (money >= 0)
            money -= need;
        if (need > 0)
            n->block[b] = n->index = true;
        memcpy(n->data + pos, buf + (pos - off), end - pos);
        want_put += end - pos;
    }
    if (want_put > 0 && off + want_put > n->size)
        n->size = off + want_put;
    check(vfs_write(&fs, n->h, off, buf, len, &put) == want && put == want_put);
}

static void op_read(struct reader *r)
{
    struct mnode *n = &m[pick(r)];
    uint64_t off = u16(r) % (MAXF + 100);
    size_t len = (size_t)u16(r) % (MAXF + 1), got, want;
    static uint8_t buf[MAXF];

    if (n->type == VFS_DIR) {
        check(vfs_read(&fs, n->h, off, buf, len, &got) == FB_EINVAL && got == 0);
        return;
    }
    want = off >= n->size ? 0 : (size_t)(n->size - off) < len ? (size_t)(n->size - off) : len;
    check(vfs_read(&fs, n->h, off, buf, len, &got) == FB_OK && got == want);
    check(memcmp(buf, n->data + (off < n->size ? off : 0), got) == 0);
}

static void op_trunc(struct reader *r)
{
    struct mnode *n = &m[pick(r)];
    uint8_t how = u8(r);
    uint64_t size = how == 0xff ? VFS_FILE_MAX + 1 : u16(r) % MAXF;

    if (n->type != VFS_REG) {
        check(vfs_truncate(&fs, n->h, size) == FB_EINVAL);
        return;
    }
    if (size > VFS_FILE_MAX) {
        check(vfs_truncate(&fs, n->h, size) == FB_ERANGE);
        return;
    }
    check(vfs_truncate(&fs, n->h, size) == FB_OK);
    if (size < n->size) {
        uint64_t first = (size + BS - 1) / BS;

        memset(n->data + size, 0, MAXF - size);
        for (uint64_t b = first; b < MAXB; b++)
            n->block[b] = false;
        if (first == 0)
            n->index = false;
    }
    n->size = size;
}

static void op_unlink(struct reader *r)
{
    char p[PL], dir[PL], last[PL], full[PL];
    bool slash;
    int want, k = -1;

    gen_path(r, p);
    want = mwalk(p, dir, last, &slash);
    snprintf(full, sizeof full, "%.100s/%.100s", dir, last);
    if (want != FB_OK)
        ;
    else if (last[0] == '\0')
        want = FB_EPERM;
    else if (is_dot(last))
        want = FB_EINVAL;
    else if ((k = mfind(full)) < 0)
        want = FB_ENOENT;
    else if (slash && m[k].type != VFS_DIR)
        want = FB_ENOTSUP;
    else if (m[k].type == VFS_DIR && mentries(full) > 0)
        want = FB_EBUSY;
    check(vfs_unlink(&fs, p) == want);
    if (want != FB_OK)
        return;
    dead[n_dead++ % DEAD] = m[k].h;
    m[k].used = false;
}

static void op_lookup(struct reader *r)
{
    char p[PL], dir[PL], last[PL], full[PL];
    bool slash;
    vfs_handle_t h;
    int want, k = 0;

    gen_path(r, p);
    want = mwalk(p, dir, last, &slash);
    if (want == FB_OK) {
        if (last[0] == '\0')
            strcpy(full, "");
        else if (strcmp(last, ".") == 0)
            strcpy(full, dir);
        else if (strcmp(last, "..") == 0)
            strcpy(full, dir), up(full);
        else
            snprintf(full, sizeof full, "%.100s/%.100s", dir, last);
        k = mfind(full);
        if (k < 0)
            want = FB_ENOENT;
        else if (slash && m[k].type != VFS_DIR)
            want = FB_ENOTSUP;
    }
    check(vfs_lookup(&fs, p, &h) == want);
    check(want != FB_OK || h == m[k].h);
}

static void op_readdir(struct reader *r)
{
    struct mnode *d = &m[pick(r)];
    uint32_t index = u8(r) % (NODES + 1), rank = 0;
    char name[VFS_NAME_MAX + 1];
    vfs_handle_t h;
    int want = FB_ENOENT, got, k = -1;
    size_t l = strlen(d->path);

    if (d->type != VFS_DIR) {
        check(vfs_readdir(&fs, d->h, index, name, &h) == FB_ENOTSUP);
        return;
    }
    /* The entry with exactly index older siblings. */
    for (int i = 1; i < NODES; i++) {
        if (!m[i].used || strncmp(m[i].path, d->path, l) != 0 || m[i].path[l] != '/' ||
            strchr(m[i].path + l + 1, '/') != NULL)
            continue;
        rank = 0;
        for (int j = 1; j < NODES; j++)
            if (m[j].used && m[j].seq < m[i].seq && strncmp(m[j].path, d->path, l) == 0 &&
                m[j].path[l] == '/' && strchr(m[j].path + l + 1, '/') == NULL)
                rank++;
        if (rank == index) {
            k = i;
            want = FB_OK;
        }
    }
    got = vfs_readdir(&fs, d->h, index, name, &h);
    check(got == want);
    check(want != FB_OK || (h == m[k].h && strcmp(name, m[k].path + l + 1) == 0));
}

static void op_stale(struct reader *r)
{
    uint8_t which = u8(r);
    struct vfs_stat st;

    if (which & 1) {
        vfs_handle_t forged = (which & 2) ? (uint64_t)u8(r) % NODES : ((uint64_t)1 << 32) | NODES;

        check(vfs_stat(&fs, forged, &st) == FB_EBADCAP);
    } else if (n_dead > 0) {
        check(vfs_stat(&fs, dead[u8(r) % (n_dead < DEAD ? n_dead : DEAD)], &st) == FB_ESTALE);
    }
}

/* vfs_check passes, the blocks match the allocator and every model node
 * matches its stat. */
static void check_all(void)
{
    struct vfs_stat st;

    check(vfs_check(&fs, NULL) == FB_OK);
    check((long)fs.blocks == src.live);
    for (int i = 0; i < NODES; i++) {
        uint32_t blocks = m[i].index;

        if (!m[i].used)
            continue;
        for (int b = 0; b < MAXB; b++)
            blocks += m[i].block[b];
        check(vfs_stat(&fs, m[i].h, &st) == FB_OK && st.type == m[i].type);
        check(m[i].type == VFS_DIR ? st.size == (uint64_t)mentries(m[i].path)
                                   : st.size == m[i].size && st.blocks == blocks);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = { data, size };

    check(vfs_init(&fs, nodes, NODES, block_source_alloc, block_source_free, &src) == FB_OK);
    memset(m, 0, sizeof m);
    n_dead = 0;
    seq = 0;
    src.budget = -1;
    m[0].used = true;
    m[0].type = VFS_DIR;
    check(vfs_lookup(&fs, "/", &m[0].h) == FB_OK);
    for (int ops = 0; ops < MAX_OPS && r.n > 0; ops++) {
        switch ((enum op)(u8(&r) % OP_COUNT)) {
        case OP_CREATE: op_create(&r); break;
        case OP_WRITE: op_write(&r); break;
        case OP_READ: op_read(&r); break;
        case OP_TRUNC: op_trunc(&r); break;
        case OP_UNLINK: op_unlink(&r); break;
        case OP_LOOKUP: op_lookup(&r); break;
        case OP_READDIR: op_readdir(&r); break;
        case OP_STALE: op_stale(&r); break;
        default: src.budget = u8(&r) % 8 == 7 ? -1 : u8(&r) % 4; break;
        }
        check_all();
    }
    /* Tear down deepest first: every block must come back. */
    src.budget = -1;
    for (int pass = 0; pass < NODES; pass++)
        for (int i = 1; i < NODES; i++)
            if (m[i].used && (m[i].type != VFS_DIR || mentries(m[i].path) == 0) &&
                vfs_unlink(&fs, m[i].path) == FB_OK)
                m[i].used = false;
    check(src.live == 0 && fs.used == 1);
    return 0;
}
