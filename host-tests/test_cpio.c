/* Specification of the cpio "newc" reader (core/fs/cpio.c): archives from
 * GNU cpio parse byte for byte, then archives written by a small builder
 * are broken one rule at a time; each must fail with its documented code
 * and no read may leave the archive (run under host-asan). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpio.h"
#include "expect.h"
#include "gnu_cpio.h"
#include "kerr.h"

/* The same tree written with `-H crc`: magic 070702, a check field. */
static const char gnu_crc[] =
    "070702" "00000000" "000041ED" "00000000" "00000000" "00000003" "6553F100"
        "00000000" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000"
        ".\0"
    "070702" "00000001" "000041ED" "00000000" "00000000" "00000002" "6553F100"
        "00000000" "00000000" "00000000" "00000000" "00000000" "00000004" "00000000"
        "bin\0\0\0"
    "070702" "00000002" "000081ED" "00000000" "00000000" "00000001" "6553F100"
        "00000006" "00000000" "00000000" "00000000" "00000000" "00000007" "0000021E"
        "bin/hi\0\0\0\0"
        "hello\n\0\0"
    "070702" "00000003" "0000A1FF" "00000000" "00000000" "00000001" "6553F100"
        "00000002" "00000000" "00000000" "00000000" "00000000" "00000007" "00000000"
        "bin/sh\0\0\0\0"
        "hi\0\0"
    "070702" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
        "00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
        "TRAILER!!!\0\0\0\0"
    ;

_Static_assert(sizeof gnu_crc - 1 == GNU_LEN, "GNU crc archive pasted whole");

/* The archive under construction, and where each entry's header starts. */
struct ar {
    uint8_t buf[8192];
    size_t len;
    size_t at[16];
    unsigned n;
};

static struct ar ar;

/* Header field indexes, in archive order after the 6-byte magic. */
enum { INO, MODE, UID, GID, NLINK, MTIME_F, FILESIZE, DEVMAJ, DEVMIN, RDEVMAJ, RDEVMIN,
       NAMESIZE, CHECK };

/* Writes v as 8 upper-case hex digits into field i of the header at off. */
static void set_field(size_t off, unsigned i, uint32_t v)
{
    char tmp[9];

    snprintf(tmp, sizeof tmp, "%08X", v);
    memcpy(ar.buf + off + 6 + 8 * i, tmp, 8);
}

/* Appends zeros up to a multiple of 4. */
static void pad(void)
{
    while (ar.len % 4 != 0)
        ar.buf[ar.len++] = 0;
}

/* Appends one "070701" entry: namesize bytes of name (its NUL included),
 * then size bytes of data; returns the header's offset. */
static size_t add_n(const char *name, size_t namesize, uint32_t mode, const void *data,
                    size_t size)
{
    size_t off = ar.len;

    memcpy(ar.buf + off, "070701", 6);
    for (unsigned i = 0; i <= CHECK; i++)
        set_field(off, i, 0);
    set_field(off, INO, ar.n + 1);
    set_field(off, MODE, mode);
    set_field(off, NLINK, (mode & 0170000) == 0040000 ? 2 : 1);
    set_field(off, MTIME_F, MTIME);
    set_field(off, FILESIZE, (uint32_t)size);
    set_field(off, NAMESIZE, (uint32_t)namesize);
    ar.len += CPIO_HDR_LEN;
    memcpy(ar.buf + ar.len, name, namesize);
    ar.len += namesize;
    pad();
    memcpy(ar.buf + ar.len, data, size);
    ar.len += size;
    pad();
    ar.at[ar.n++] = off;
    return off;
}

/* Appends an entry whose name is the C string name. */
static size_t add(const char *name, uint32_t mode, const void *data, size_t size)
{
    return add_n(name, strlen(name) + 1, mode, data, size);
}

static size_t add_dir(const char *name) { return add(name, 0040755, "", 0); }
static size_t add_file(const char *name, const char *text)
{
    return add(name, 0100644, text, strlen(text));
}
static size_t add_link(const char *name, const char *target)
{
    return add(name, 0120777, target, strlen(target));
}
static size_t add_trailer(void)
{
    size_t off = add("TRAILER!!!", 0, "", 0);

    set_field(off, INO, 0);
    return off;
}

/* Empties the archive. */
static void ar_reset(void)
{
    memset(&ar, 0, sizeof ar);
}

/* bin/, bin/hi and bin/sh -> hi, then the trailer. */
static void small_tree(void)
{
    ar_reset();
    add_dir("bin");
    add_file("bin/hi", "hello\n");
    add_link("bin/sh", "hi");
    add_trailer();
}

/* An archive holding one entry and the trailer. */
static size_t one(const char *name, uint32_t mode, const void *data, size_t size)
{
    ar_reset();
    size_t off = add(name, mode, data, size);
    add_trailer();
    return off;
}

/* cpio_check over the archive as built. */
static int check_ar(void)
{
    return cpio_check(ar.buf, ar.len, NULL);
}

/* A heap copy of exactly n bytes, so ASan sees any read past n. */
static uint8_t *exact_copy(const void *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);

    cr_assert_not_null(c);
    memcpy(c, p, n);
    return c;
}

/* Asserts that e is the named entry of the given type and data. */
static void expect_entry(const struct cpio_entry *e, const char *name, enum cpio_type type,
                         uint32_t mode, const char *data)
{
    cr_assert_str_eq(e->name, name);
    cr_assert_eq(e->name_len, strlen(name), "name_len of %s", name);
    cr_assert_eq(e->type, type, "type of %s: expected %d, got %d", name, type, e->type);
    cr_assert_eq(e->mode, mode, "mode of %s: expected %o, got %o", name, mode, e->mode);
    cr_assert_eq(e->size, strlen(data), "size of %s", name);
    cr_assert(memcmp(e->data, data, e->size) == 0, "data of %s", name);
}

/* Walks a GNU archive of len bytes (an exact heap copy) and checks the tree. */
static void expect_gnu_tree(const char *bytes, size_t len)
{
    uint8_t *a = calloc(1, len);
    struct cpio_iter it;
    struct cpio_entry e;

    cr_assert_not_null(a);
    memcpy(a, bytes, GNU_LEN);
    cpio_iter_init(&it, a, len);
    expect(cpio_next(&it, &e), FB_OK);
    expect_entry(&e, "bin", CPIO_DIR, 0755, "");
    cr_assert_eq(e.nlink, 2);
    cr_assert_eq(e.mtime, MTIME);
    expect(cpio_next(&it, &e), FB_OK);
    expect_entry(&e, "bin/hi", CPIO_REG, 0755, "hello\n");
    cr_assert_eq(e.ino, 2);
    expect(cpio_next(&it, &e), FB_OK);
    expect_entry(&e, "bin/sh", CPIO_SYMLINK, 0777, "hi");
    expect(cpio_next(&it, &e), FB_ENOENT);
    free(a);
}

Test(cpio, gnu_newc_archive_parses_with_its_block_padding)
{
    expect_gnu_tree(gnu_newc, GNU_FILE);
}

Test(cpio, gnu_crc_archive_parses_and_its_checksums_match)
{
    expect_gnu_tree(gnu_crc, GNU_FILE);
}

Test(cpio, gnu_archive_without_block_padding_parses)
{
    expect_gnu_tree(gnu_newc, GNU_LEN);
}

Test(cpio, builder_writes_what_gnu_cpio_writes)
{
    ar_reset();
    set_field(add_dir("."), NLINK, 3);
    add_n("bin", 4, 0040755, "", 0);
    set_field(add_file("bin/hi", "hello\n"), MODE, 0100755);
    add_link("bin/sh", "hi");
    add_trailer();
    for (unsigned i = 0; i < ar.n; i++) {
        set_field(ar.at[i], INO, i == ar.n - 1 ? 0 : i);
        set_field(ar.at[i], MTIME_F, i == ar.n - 1 ? 0 : MTIME);
    }
    cr_assert_eq(ar.len, GNU_LEN);
    cr_assert(memcmp(ar.buf, gnu_newc, GNU_LEN) == 0, "builder and GNU cpio disagree");
}

Test(cpio, entry_reports_owner_time_inode_and_link_count)
{
    ar_reset();
    size_t off = add_file("etc/motd", "hi");
    set_field(off, UID, 1000);
    set_field(off, GID, 100);
    set_field(off, MTIME_F, 0xFFFFFFFFu);
    set_field(off, INO, 0xABCDEF01u);
    add_trailer();
    struct cpio_entry e;
    expect(cpio_find(ar.buf, ar.len, "etc/motd", &e), FB_OK);
    cr_assert_eq(e.uid, 1000);
    cr_assert_eq(e.gid, 100);
    cr_assert_eq(e.mtime, 0xFFFFFFFFu);
    cr_assert_eq(e.ino, 0xABCDEF01u);
    cr_assert_eq(e.nlink, 1);
}

Test(cpio, entry_name_and_data_point_into_the_archive)
{
    small_tree();
    struct cpio_entry e;
    expect(cpio_find(ar.buf, ar.len, "bin/hi", &e), FB_OK);
    cr_assert_eq((const uint8_t *)e.name, ar.buf + ar.at[1] + CPIO_HDR_LEN);
    cr_assert_eq(e.name[e.name_len], '\0');
    cr_assert_eq((const uint8_t *)e.data, ar.buf + ar.at[1] + 120);
}

Test(cpio, lower_case_hex_fields_are_accepted)
{
    one("f", 0100644, "x", 1);
    memcpy(ar.buf + 6 + 8 * MODE, "000081a4", 8);
    struct cpio_entry e;
    expect(cpio_find(ar.buf, ar.len, "f", &e), FB_OK);
    cr_assert_eq(e.mode, 0644);
}

Test(cpio, check_counts_every_entry_but_the_trailer_and_root)
{
    uint32_t n = 0;

    small_tree();
    expect(cpio_check(ar.buf, ar.len, &n), FB_OK);
    cr_assert_eq(n, 3);
    expect(cpio_check(gnu_newc, GNU_LEN, &n), FB_OK);
    cr_assert_eq(n, 3, "the root \".\" is not counted");
}

Test(cpio, check_of_a_trailer_alone_counts_zero)
{
    uint32_t n = 99;

    ar_reset();
    add_trailer();
    expect(cpio_check(ar.buf, ar.len, &n), FB_OK);
    cr_assert_eq(n, 0);
}

Test(cpio, check_rejects_the_whole_archive_for_its_last_entry)
{
    uint32_t n = 99;

    small_tree();
    set_field(ar.at[2], MODE, 0020644);
    expect(cpio_check(ar.buf, ar.len, &n), FB_ENOTSUP);
    cr_assert_eq(n, 99, "count untouched on failure");
}

Test(cpio, find_returns_files_directories_and_symlinks)
{
    struct cpio_entry e;

    small_tree();
    expect(cpio_find(ar.buf, ar.len, "bin", &e), FB_OK);
    expect_entry(&e, "bin", CPIO_DIR, 0755, "");
    expect(cpio_find(ar.buf, ar.len, "bin/hi", &e), FB_OK);
    expect_entry(&e, "bin/hi", CPIO_REG, 0644, "hello\n");
    expect(cpio_find(ar.buf, ar.len, "bin/sh", &e), FB_OK);
    expect_entry(&e, "bin/sh", CPIO_SYMLINK, 0777, "hi");
}

Test(cpio, find_misses_names_not_stored_exactly)
{
    struct cpio_entry e;

    small_tree();
    expect(cpio_find(ar.buf, ar.len, "bin/h", &e), FB_ENOENT);
    expect(cpio_find(ar.buf, ar.len, "bin/hi/", &e), FB_ENOENT);
    expect(cpio_find(ar.buf, ar.len, "/bin/hi", &e), FB_ENOENT);
    expect(cpio_find(ar.buf, ar.len, "TRAILER!!!", &e), FB_ENOENT);
    expect(cpio_find(ar.buf, ar.len, ".", &e), FB_ENOENT);
    expect(cpio_find(ar.buf, ar.len, "", &e), FB_ENOENT);
}

Test(cpio, find_reports_an_error_met_before_the_name)
{
    struct cpio_entry e;

    small_tree();
    set_field(ar.at[0], FILESIZE, 4);
    expect(cpio_find(ar.buf, ar.len, "bin/sh", &e), FB_EINVAL);
}

Test(cpio, find_stops_at_the_hit_without_reading_further)
{
    struct cpio_entry e;

    small_tree();
    memcpy(ar.buf + ar.at[2], "XXXXXX", 6);
    expect(cpio_find(ar.buf, ar.len, "bin/hi", &e), FB_OK);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, null_arguments_are_invalid)
{
    struct cpio_iter it;
    struct cpio_entry e;

    small_tree();
    cpio_iter_init(&it, NULL, 0);
    expect(cpio_next(&it, &e), FB_EINVAL);
    cpio_iter_init(&it, ar.buf, ar.len);
    expect(cpio_next(NULL, &e), FB_EINVAL);
    expect(cpio_next(&it, NULL), FB_EINVAL);
    expect(cpio_find(NULL, 0, "bin", &e), FB_EINVAL);
    expect(cpio_find(ar.buf, ar.len, NULL, &e), FB_EINVAL);
    expect(cpio_find(ar.buf, ar.len, "bin", NULL), FB_EINVAL);
    expect(cpio_check(NULL, 0, NULL), FB_EINVAL);
}

Test(cpio, errors_are_sticky_and_keep_the_failed_offset)
{
    struct cpio_iter it;
    struct cpio_entry e;

    small_tree();
    memcpy(ar.buf + ar.at[1], "070707", 6);
    cpio_iter_init(&it, ar.buf, ar.len);
    expect(cpio_next(&it, &e), FB_OK);
    expect(cpio_next(&it, &e), FB_EINVAL);
    cr_assert_eq(it.off, ar.at[1]);
    expect(cpio_next(&it, &e), FB_EINVAL);
    cr_assert_eq(it.off, ar.at[1]);
}

Test(cpio, end_is_sticky)
{
    struct cpio_iter it;
    struct cpio_entry e;

    ar_reset();
    add_trailer();
    cpio_iter_init(&it, ar.buf, ar.len);
    expect(cpio_next(&it, &e), FB_ENOENT);
    expect(cpio_next(&it, &e), FB_ENOENT);
}

Test(cpio, header_shorter_than_110_bytes_is_truncated)
{
    small_tree();
    expect(cpio_check(ar.buf, CPIO_HDR_LEN - 1, NULL), FB_ETRUNC);
}

Test(cpio, every_prefix_of_a_valid_archive_is_truncated)
{
    small_tree();
    for (size_t len = 0; len < ar.len; len++) {
        uint8_t *a = exact_copy(ar.buf, len);
        int got = cpio_check(a, len, NULL);
        cr_assert_eq(got, FB_ETRUNC, "prefix of %zu of %zu bytes: expected FB_ETRUNC, got %s",
                     len, ar.len, fb_strerror(got));
        free(a);
    }
}

Test(cpio, every_prefix_of_the_gnu_archive_is_truncated)
{
    for (size_t len = 0; len < GNU_LEN; len++) {
        uint8_t *a = exact_copy(gnu_crc, len);
        int got = cpio_check(a, len, NULL);
        cr_assert_eq(got, FB_ETRUNC, "prefix of %zu bytes: expected FB_ETRUNC, got %s", len,
                     fb_strerror(got));
        free(a);
    }
}

Test(cpio, missing_trailer_is_truncated)
{
    ar_reset();
    add_dir("bin");
    expect(check_ar(), FB_ETRUNC);
}

Test(cpio, empty_archive_is_truncated)
{
    expect(cpio_check(ar.buf, 0, NULL), FB_ETRUNC);
}

Test(cpio, old_binary_and_odc_magics_are_invalid)
{
    static const char *const bad[] = { "070707", "070700", "070703", "\xc7\x71" "0701", "707010" };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        small_tree();
        memcpy(ar.buf, bad[i], 6);
        expect(check_ar(), FB_EINVAL);
    }
}

Test(cpio, field_that_is_not_8_hex_digits_is_invalid)
{
    static const char bad[] = { 'g', 'G', ' ', 'x', '-', '\0', '/', ':', '@', '`' };

    for (unsigned f = INO; f <= CHECK; f++) {
        for (size_t b = 0; b < sizeof bad; b++) {
            small_tree();
            ar.buf[ar.at[1] + 6 + 8 * f + b % 8] = (uint8_t)bad[b];
            int got = check_ar();
            cr_assert_eq(got, FB_EINVAL, "field %u holding '%c': expected FB_EINVAL, got %s", f,
                         bad[b], fb_strerror(got));
        }
    }
}

Test(cpio, namesize_zero_is_invalid)
{
    small_tree();
    set_field(ar.at[0], NAMESIZE, 0);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, name_of_CPIO_NAME_MAX_bytes_is_accepted)
{
    char name[CPIO_NAME_MAX + 1];
    struct cpio_entry e;

    memset(name, 'a', CPIO_NAME_MAX);
    name[CPIO_NAME_MAX] = '\0';
    one(name, 0100644, "", 0);
    expect(cpio_find(ar.buf, ar.len, name, &e), FB_OK);
    cr_assert_eq(e.name_len, CPIO_NAME_MAX);
}

Test(cpio, name_longer_than_CPIO_NAME_MAX_is_invalid)
{
    char name[CPIO_NAME_MAX + 2];

    memset(name, 'a', CPIO_NAME_MAX + 1);
    name[CPIO_NAME_MAX + 1] = '\0';
    one(name, 0100644, "", 0);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, huge_namesize_is_invalid_not_truncated)
{
    small_tree();
    set_field(ar.at[0], NAMESIZE, 0xFFFFFFFFu);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, name_not_nul_terminated_at_namesize_is_invalid)
{
    ar_reset();
    add_n("binx", 4, 0040755, "", 0);
    add_trailer();
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, name_shorter_than_namesize_is_invalid)
{
    ar_reset();
    add_n("bin\0\0", 5, 0040755, "", 0);
    add_trailer();
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, name_with_interior_nul_is_invalid)
{
    ar_reset();
    add_n("bin\0sh", 7, 0100644, "", 0);
    add_trailer();
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, name_padding_past_the_end_is_truncated)
{
    ar_reset();
    add_trailer();
    expect(cpio_check(ar.buf, CPIO_HDR_LEN + 11, NULL), FB_ETRUNC);
}

Test(cpio, filesize_larger_than_the_rest_is_truncated)
{
    small_tree();
    set_field(ar.at[1], FILESIZE, 0xFFFFFFFFu);
    expect(check_ar(), FB_ETRUNC);
}

Test(cpio, data_padding_past_the_end_is_truncated)
{
    one("f", 0100644, "abcde", 5);
    size_t data_end = CPIO_HDR_LEN + 2 + 5;   /* "f\0" needs no padding */
    uint8_t *a = exact_copy(ar.buf, data_end);
    expect(cpio_check(a, data_end, NULL), FB_ETRUNC);
    free(a);
}

Test(cpio, absolute_name_is_invalid)
{
    one("/bin", 0040755, "", 0);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, dotdot_component_is_invalid)
{
    static const char *const names[] = { "..", "../etc", "a/..", "a/../b" };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        one(names[i], 0100644, "", 0);
        cr_assert_eq(check_ar(), FB_EINVAL, "name %s", names[i]);
    }
}

Test(cpio, empty_component_is_invalid)
{
    static const char *const names[] = { "", "a//b", "a/", "/" };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        one(names[i], 0100644, "", 0);
        cr_assert_eq(check_ar(), FB_EINVAL, "name \"%s\"", names[i]);
    }
}

Test(cpio, dot_component_is_invalid)
{
    static const char *const names[] = { "./a", "a/.", "a/./b" };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        one(names[i], 0100644, "", 0);
        cr_assert_eq(check_ar(), FB_EINVAL, "name %s", names[i]);
    }
}

Test(cpio, names_with_dots_that_are_not_dot_components_are_fine)
{
    static const char *const names[] = { ".profile", "a..b", "...", "a/.b", "..c/d." };
    struct cpio_entry e;

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        one(names[i], 0100644, "", 0);
        cr_assert_eq(cpio_find(ar.buf, ar.len, names[i], &e), FB_OK, "name %s", names[i]);
    }
}

Test(cpio, root_dot_directory_is_skipped)
{
    struct cpio_iter it;
    struct cpio_entry e;

    ar_reset();
    add_dir(".");
    add_dir("bin");
    add_trailer();
    cpio_iter_init(&it, ar.buf, ar.len);
    expect(cpio_next(&it, &e), FB_OK);
    cr_assert_str_eq(e.name, "bin");
}

Test(cpio, root_dot_that_is_not_a_directory_is_invalid)
{
    one(".", 0100644, "x", 1);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, directory_with_data_is_invalid)
{
    one("d", 0040755, "x", 1);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, symlink_without_target_is_invalid)
{
    one("l", 0120777, "", 0);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, symlink_target_holding_a_nul_is_invalid)
{
    one("l", 0120777, "a\0b", 3);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, symlink_target_longer_than_CPIO_LINK_MAX_is_invalid)
{
    static char target[CPIO_LINK_MAX + 2];
    struct cpio_entry e;

    memset(target, 'a', CPIO_LINK_MAX + 1);
    one("l", 0120777, target, CPIO_LINK_MAX);
    expect(cpio_find(ar.buf, ar.len, "l", &e), FB_OK);
    cr_assert_eq(e.size, CPIO_LINK_MAX);
    one("l", 0120777, target, CPIO_LINK_MAX + 1);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, device_nodes_fifos_and_sockets_are_not_supported)
{
    static const uint32_t modes[] = { 0020600, 0060600, 0010600, 0140600 };

    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        one("dev/console", modes[i], "", 0);
        cr_assert_eq(check_ar(), FB_ENOTSUP, "mode %o", modes[i]);
    }
}

Test(cpio, unknown_file_type_or_mode_bits_are_invalid)
{
    static const uint32_t modes[] = { 0000644, 0030644, 0070644, 0160644, 0200644, 0x80008000 };

    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        one("f", modes[i], "", 0);
        cr_assert_eq(check_ar(), FB_EINVAL, "mode %o", modes[i]);
    }
}

Test(cpio, hard_linked_file_is_not_supported)
{
    ar_reset();
    set_field(add_file("a", ""), NLINK, 2);
    set_field(add_file("b", "data"), NLINK, 2);
    add_trailer();
    expect(check_ar(), FB_ENOTSUP);
}

Test(cpio, regular_file_with_nlink_zero_is_accepted)
{
    ar_reset();
    set_field(add_file("a", "x"), NLINK, 0);
    add_trailer();
    expect(check_ar(), FB_OK);
}

Test(cpio, crc_checksum_mismatch_is_invalid)
{
    uint8_t *a = exact_copy(gnu_crc, GNU_LEN);

    a[0x14f] = 'F';   /* bin/hi's check 0x21E becomes 0x21F */
    expect(cpio_check(a, GNU_LEN, NULL), FB_EINVAL);
    free(a);
}

Test(cpio, crc_checksum_sums_data_bytes_as_unsigned)
{
    static uint8_t big[4096];

    memset(big, 0xFF, sizeof big);
    one("f", 0100644, big, sizeof big);
    memcpy(ar.buf, "070702", 6);
    set_field(0, CHECK, 4096u * 0xFFu);
    expect(check_ar(), FB_OK);
    set_field(0, CHECK, 4096u * 0xFFu + 1u);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, newc_check_field_is_ignored)
{
    one("f", 0100644, "abc", 3);
    set_field(0, CHECK, 0xDEADBEEFu);
    expect(check_ar(), FB_OK);
}

Test(cpio, zeros_after_the_trailer_are_fine)
{
    small_tree();
    size_t len = ar.len + 509;
    expect(cpio_check(ar.buf, len, NULL), FB_OK);
}

Test(cpio, non_zero_byte_after_the_trailer_is_invalid)
{
    small_tree();
    ar.buf[ar.len + 300] = 1;
    expect(cpio_check(ar.buf, ar.len + 512, NULL), FB_EINVAL);
}

Test(cpio, concatenated_archive_is_invalid)
{
    small_tree();
    size_t first = ar.len;
    add_file("etc/motd", "hi");
    add_trailer();
    expect(cpio_check(ar.buf, first, NULL), FB_OK);
    expect(check_ar(), FB_EINVAL);
}

Test(cpio, trailer_with_data_is_invalid)
{
    ar_reset();
    set_field(add_trailer(), FILESIZE, 4);
    ar.len += 4;
    expect(check_ar(), FB_EINVAL);
}
