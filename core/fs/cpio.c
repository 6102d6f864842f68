/* cpio "newc" reader: walks the initrd archive entry by entry, checking
 * every header field, name and length against the archive's bounds before
 * it is used, so the VFS only ever sees well-formed relative paths. */
#include "cpio.h"

#include "kerr.h"
#include "kstring.h"

#define MAGIC_LEN     6u
#define FIELD_LEN     8u
#define TRAILER       "TRAILER!!!"
#define TRAILER_SIZE  11u           /* namesize of the trailer, with its NUL */

/* Header fields in archive order, after the magic. */
enum field {
    F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
    F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
    F_COUNT,
};

_Static_assert(MAGIC_LEN + F_COUNT * FIELD_LEN == CPIO_HDR_LEN, "newc header layout");

/* File type bits of c_mode (POSIX S_IFMT values). */
#define S_FMT   0170000u
#define S_FIFO  0010000u
#define S_CHR   0020000u
#define S_DIR   0040000u
#define S_BLK   0060000u
#define S_REG   0100000u
#define S_LNK   0120000u
#define S_SOCK  0140000u
#define S_PERM  07777u

/* n rounded up to a multiple of 4; callers keep n far below SIZE_MAX. */
static size_t pad4(size_t n)
{
    return (n + 3u) & ~(size_t)3u;
}

/* Parses 8 hex digits of either case: true and *v, or false. */
static bool hex8(const uint8_t *p, uint32_t *v)
{
    uint32_t x = 0;

    for (unsigned i = 0; i < FIELD_LEN; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10u;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10u;
        else
            return false;
        x = x << 4 | d;
    }
    *v = x;
    return true;
}

/* Reads the magic and all fields of the header at h (CPIO_HDR_LEN bytes
 * known readable): FB_OK, or FB_EINVAL for a bad magic or field. */
static int parse_header(const uint8_t *h, uint32_t f[F_COUNT], bool *crc)
{
    if (kmemcmp(h, "070701", MAGIC_LEN) == 0)
        *crc = false;
    else if (kmemcmp(h, "070702", MAGIC_LEN) == 0)
        *crc = true;
    else
        return FB_EINVAL;
    for (unsigned i = 0; i < F_COUNT; i++)
        if (!hex8(h + MAGIC_LEN + i * FIELD_LEN, &f[i]))
            return FB_EINVAL;
    return FB_OK;
}

/* True when the n-byte name is relative and every component is a real
 * name: not empty, ".", or "..". */
static bool path_ok(const char *s, size_t n)
{
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '/')
            continue;
        size_t clen = i - start;
        if (clen == 0)
            return false;
        if (s[start] == '.' && (clen == 1 || (clen == 2 && s[start + 1] == '.')))
            return false;
        start = i + 1;
    }
    return true;
}

/* True when the n bytes at p are all zero. */
static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Maps c_mode to a type: FB_OK, FB_ENOTSUP for a POSIX type we do not
 * hold, FB_EINVAL for anything else (including stray high bits). */
static int mode_type(uint32_t mode, enum cpio_type *t)
{
    if (mode & ~(S_FMT | S_PERM))
        return FB_EINVAL;
    switch (mode & S_FMT) {
    case S_REG: *t = CPIO_REG; return FB_OK;
    case S_DIR: *t = CPIO_DIR; return FB_OK;
    case S_LNK: *t = CPIO_SYMLINK; return FB_OK;
    case S_FIFO: case S_CHR: case S_BLK: case S_SOCK: return FB_ENOTSUP;
    default: return FB_EINVAL;
    }
}

/* Checks what the type says about the data and the link count. */
static int type_rules(enum cpio_type t, const uint32_t f[F_COUNT], const uint8_t *data)
{
    uint32_t size = f[F_FILESIZE];

    if (t == CPIO_DIR)
        return size == 0 ? FB_OK : FB_EINVAL;
    if (t == CPIO_SYMLINK) {
        if (size == 0 || size > CPIO_LINK_MAX)
            return FB_EINVAL;
        return kstrnlen((const char *)data, size) == size ? FB_OK : FB_EINVAL;
    }
    return f[F_NLINK] <= 1 ? FB_OK : FB_ENOTSUP;
}

/* Sum of the data bytes modulo 2^32, as "070702" stores it. */
static uint32_t data_sum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;

    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

/* Validates the entry at it->off (see cpio_next for the order of the
 * checks). FB_OK with *e and *next (offset of the following header). */
static int parse_entry(const struct cpio_iter *it, struct cpio_entry *e, size_t *next)
{
    const uint8_t *h = it->archive + it->off;
    size_t rem = it->len - it->off;
    uint32_t f[F_COUNT];
    bool crc;
    enum cpio_type t;

    if (rem < CPIO_HDR_LEN)
        return FB_ETRUNC;
    int err = parse_header(h, f, &crc);
    if (err != FB_OK)
        return err;
    uint32_t namesize = f[F_NAMESIZE];
    if (namesize == 0 || namesize > CPIO_NAME_MAX + 1)
        return FB_EINVAL;
    size_t data_off = pad4(CPIO_HDR_LEN + namesize);
    if (data_off > rem)
        return FB_ETRUNC;
    const char *name = (const char *)h + CPIO_HDR_LEN;
    size_t name_len = namesize - 1;
    if (kstrnlen(name, namesize) != name_len)
        return FB_EINVAL;
    if (namesize == TRAILER_SIZE && kmemcmp(name, TRAILER, TRAILER_SIZE) == 0) {
        if (f[F_FILESIZE] != 0 || !all_zero(h + data_off, rem - data_off))
            return FB_EINVAL;
        return FB_ENOENT;
    }
    if (f[F_FILESIZE] > rem - data_off || pad4(f[F_FILESIZE]) > rem - data_off)
        return FB_ETRUNC;
    bool root = name_len == 1 && name[0] == '.';
    if (!root && !path_ok(name, name_len))
        return FB_EINVAL;
    err = mode_type(f[F_MODE], &t);
    if (err != FB_OK)
        return err;
    if (root && t != CPIO_DIR)
        return FB_EINVAL;
    const uint8_t *data = h + data_off;
    err = type_rules(t, f, data);
    if (err != FB_OK)
        return err;
    /* GNU cpio sums regular files only and stores 0 for symlinks. */
    if (crc && t == CPIO_REG && data_sum(data, f[F_FILESIZE]) != f[F_CHECK])
        return FB_EINVAL;
    *e = (struct cpio_entry){
        .name = name, .name_len = name_len, .type = t, .mode = f[F_MODE] & S_PERM,
        .uid = f[F_UID], .gid = f[F_GID], .mtime = f[F_MTIME], .nlink = f[F_NLINK],
        .ino = f[F_INO], .data = data, .size = f[F_FILESIZE],
    };
    *next = it->off + data_off + pad4(f[F_FILESIZE]);
    return FB_OK;
}

/* Points a fresh walk at the archive; nothing is read until cpio_next. */
void cpio_iter_init(struct cpio_iter *it, const void *archive, size_t len)
{
    *it = (struct cpio_iter){ .archive = archive, .len = len, .off = 0, .state = FB_OK };
}

/* Hands out the next entry, skipping the root "."; errors are sticky. */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
    struct cpio_entry cur;
    size_t next;

    if (it == NULL || e == NULL)
        return FB_EINVAL;
    if (it->archive == NULL)
        it->state = FB_EINVAL;
    while (it->state == FB_OK) {
        it->state = parse_entry(it, &cur, &next);
        if (it->state != FB_OK)
            break;
        it->off = next;
        if (cur.name_len == 1 && cur.name[0] == '.')
            continue;
        *e = cur;
        return FB_OK;
    }
    return it->state;
}

/* Walks from the start until the name matches. */
int cpio_find(const void *archive, size_t len, const char *path, struct cpio_entry *e)
{
    struct cpio_iter it;
    struct cpio_entry cur;
    int err;

    if (archive == NULL || path == NULL || e == NULL)
        return FB_EINVAL;
    cpio_iter_init(&it, archive, len);
    while ((err = cpio_next(&it, &cur)) == FB_OK) {
        if (kstrcmp(cur.name, path) == 0) {
            *e = cur;
            return FB_OK;
        }
    }
    return err;
}

/* Walks every entry and the trailer; FB_ENOENT from cpio_next is success. */
int cpio_check(const void *archive, size_t len, uint32_t *entries)
{
    struct cpio_iter it;
    struct cpio_entry e;
    uint32_t n = 0;
    int err;

    if (archive == NULL)
        return FB_EINVAL;
    cpio_iter_init(&it, archive, len);
    while ((err = cpio_next(&it, &e)) == FB_OK) {
        if (n == UINT32_MAX)
            return FB_ERANGE;
        n++;
    }
    if (err != FB_ENOENT)
        return err;
    if (entries != NULL)
        *entries = n;
    return FB_OK;
}
