/* Fuzz target for the cpio "newc" reader: the input is an archive. Every
 * entry handed out must lie inside the input and obey the documented name
 * and type rules; errors must be documented codes and sticky; cpio_check
 * must agree with the walk, cpio_find with the entries, and every prefix
 * that cuts the trailer must be truncated. The input is an exact-size
 * buffer, so ASan catches any read past it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpio.h"
#include "fuzz_util.h"
#include "kerr.h"

#define FIND_CHECKS 8   /* entries looked up again with cpio_find */

/* True when [p, p + n) lies inside [base, base + size). */
static bool inside(const uint8_t *base, size_t size, const void *p, size_t n)
{
    const uint8_t *q = p;

    return q >= base && q <= base + size && n <= (size_t)(base + size - q);
}

/* The documented name rules, written independently of the reader. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n > CPIO_NAME_MAX || s[n] != '\0' || memchr(s, '\0', n) != NULL)
        return false;
    const char *c = s, *end = s + n;
    while (c <= end) {
        const char *slash = memchr(c, '/', (size_t)(end - c));
        size_t len = (size_t)((slash ? slash : end) - c);
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        c += len + 1;
    }
    return true;
}

/* One entry handed out by cpio_next keeps every promise of cpio.h. */
static void check_entry(const uint8_t *data, size_t size, const struct cpio_entry *e)
{
    check(inside(data, size, e->name, e->name_len + 1));
    check(name_ok(e->name, e->name_len));
    check(e->data != NULL && inside(data, size, e->data, e->size));
    check(e->mode <= 07777);
    switch (e->type) {
    case CPIO_REG:
        check(e->nlink <= 1);
        break;
    case CPIO_DIR:
        check(e->size == 0);
        break;
    case CPIO_SYMLINK:
        check(e->size >= 1 && e->size <= CPIO_LINK_MAX);
        check(memchr(e->data, '\0', e->size) == NULL);
        break;
    default:
        abort();
    }
}

/* cpio_check on an exact copy of the first len bytes. */
static int check_prefix(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);

    if (copy == NULL)
        abort();
    memcpy(copy, data, len);
    int err = cpio_check(copy, len, NULL);
    free(copy);
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cpio_iter it;
    struct cpio_entry e, found;
    uint32_t n = 0, counted = 0;
    int err;

    cpio_iter_init(&it, data, size);
    while ((err = cpio_next(&it, &e)) == FB_OK) {
        check_entry(data, size, &e);
        if (n < FIND_CHECKS) {
            /* The first entry of that name comes back; it may be an earlier duplicate. */
            check(cpio_find(data, size, e.name, &found) == FB_OK);
            check(strcmp(found.name, e.name) == 0 && (const char *)found.name <= e.name);
        }
        n++;
    }
    check(err == FB_ENOENT || err == FB_EINVAL || err == FB_ETRUNC || err == FB_ENOTSUP);
    check(it.off <= size && it.off % 4 == 0);
    check(cpio_next(&it, &e) == err);
    int whole = cpio_check(data, size, &counted);
    if (err == FB_ENOENT) {
        check(whole == FB_OK && counted == n);
        /* The trailer's header and padded name end at it.off + 124. */
        size_t end = it.off + CPIO_HDR_LEN + 14;
        check(end <= size);
        check(check_prefix(data, end - 1) == FB_ETRUNC);
        check(check_prefix(data, it.off) == FB_ETRUNC);
        check(check_prefix(data, ((size_t)data[0] << 8 | data[size - 1]) % end) == FB_ETRUNC);
    } else {
        check(whole == err);
    }
    return 0;
}
