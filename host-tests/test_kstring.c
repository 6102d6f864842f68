/* Specification of the freestanding memory and string helpers
 * (core/lib/kstring.c) and of fb_strerror (core/lib/kerr.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "kerr.h"
#include "kstring.h"

#define N 96

/* Fills buf with a pattern that differs at every offset. */
static void pattern(unsigned char *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 7 + seed);
}

Test(kstring, memcpy_copies_every_length_and_alignment_exactly)
{
    unsigned char src[N], dst[N + 16], want[N + 16];

    pattern(src, N, 3);
    for (size_t so = 0; so < 8; so++)
        for (size_t d = 0; d < 8; d++)
            for (size_t n = 0; n + so <= 64; n++) {
                memset(dst, 0xee, sizeof dst);
                memset(want, 0xee, sizeof want);
                memcpy(want + d, src + so, n);
                void *r = kmemcpy(dst + d, src + so, n);
                cr_assert_eq(r, dst + d, "expected dst returned");
                cr_assert_arr_eq(dst, want, sizeof dst,
                                 "expected exact copy of %zu bytes (src+%zu -> dst+%zu), "
                                 "nothing outside", n, so, d);
            }
}

Test(kstring, memmove_handles_overlap_in_both_directions)
{
    unsigned char buf[N], want[N];

    for (size_t shift = 0; shift < 20; shift++)
        for (size_t n = 0; n + shift < 60; n++) {
            pattern(buf, N, 1);
            pattern(want, N, 1);
            memmove(want + shift, want + 10, n);
            kmemmove(buf + shift, buf + 10, n);
            cr_assert_arr_eq(buf, want, N, "expected memmove result (dst+%zu, n=%zu)", shift, n);
        }
}

Test(kstring, memset_fills_only_the_range_with_the_low_byte)
{
    unsigned char buf[N], want[N];

    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n + off < 80; n++) {
            memset(buf, 0x11, N);
            memset(want, 0x11, N);
            memset(want + off, 0xab, n);
            cr_assert_eq(kmemset(buf + off, 0x7ab, n), buf + off, "expected dst returned");
            cr_assert_arr_eq(buf, want, N, "expected 0xab in [%zu, %zu) only", off, off + n);
        }
}

Test(kstring, memcmp_orders_bytes_as_unsigned)
{
    unsigned char a[4] = { 1, 2, 0x80, 4 }, b[4] = { 1, 2, 0x7f, 4 };

    cr_assert_gt(kmemcmp(a, b, 4), 0, "expected 0x80 > 0x7f (unsigned)");
    cr_assert_lt(kmemcmp(b, a, 4), 0, "expected 0x7f < 0x80");
    cr_assert_eq(kmemcmp(a, b, 2), 0, "expected equal prefixes to compare equal");
    cr_assert_eq(kmemcmp(a, b, 0), 0, "expected zero length to compare equal");
}

Test(kstring, strlen_and_strnlen_stop_at_nul_or_limit)
{
    char unterminated[3] = { 'x', 'y', 'z' };

    cr_assert_eq(kstrlen(""), 0, "expected 0 for the empty string");
    cr_assert_eq(kstrlen("feuer"), 5, "expected 5");
    cr_assert_eq(kstrnlen("feuer", 3), 3, "expected the limit 3");
    cr_assert_eq(kstrnlen("fe", 10), 2, "expected the length 2 below the limit");
    cr_assert_eq(kstrnlen(unterminated, sizeof unterminated), 3,
                 "expected no read past the limit");
}

Test(kstring, strcmp_and_strncmp_match_libc_signs)
{
    static const char *const s[] = { "", "a", "ab", "abc", "abd", "b", "\x80", "\x7f" };

    for (size_t i = 0; i < 8; i++)
        for (size_t j = 0; j < 8; j++) {
            int want = strcmp(s[i], s[j]);
            int got = kstrcmp(s[i], s[j]);
            cr_assert((want < 0) == (got < 0) && (want > 0) == (got > 0),
                      "kstrcmp(\"%s\", \"%s\"): expected sign of %d, got %d", s[i], s[j], want, got);
            for (size_t n = 0; n < 4; n++) {
                want = strncmp(s[i], s[j], n);
                got = kstrncmp(s[i], s[j], n);
                cr_assert((want < 0) == (got < 0) && (want > 0) == (got > 0),
                          "kstrncmp(\"%s\", \"%s\", %zu): expected sign of %d, got %d",
                          s[i], s[j], n, want, got);
            }
        }
}

Test(kstring, strlcpy_copies_whole_string_when_it_fits)
{
    char dst[8];

    cr_assert_eq(kstrlcpy(dst, "exo", sizeof dst), 3, "expected source length 3");
    cr_assert_str_eq(dst, "exo", "expected \"exo\"");
}

Test(kstring, strlcpy_truncates_and_terminates)
{
    char dst[4] = { 'z', 'z', 'z', 'z' };

    cr_assert_eq(kstrlcpy(dst, "feuerbird", sizeof dst), 9, "expected source length 9");
    cr_assert_str_eq(dst, "feu", "expected the first 3 bytes plus NUL");
}

Test(kstring, strlcpy_with_size_zero_writes_nothing)
{
    char dst[1] = { 'z' };

    cr_assert_eq(kstrlcpy(dst, "abc", 0), 3, "expected source length 3");
    cr_assert_eq(dst[0], 'z', "expected the destination untouched");
}

Test(kerr, strerror_names_every_code)
{
    static const struct { int err; const char *name; } names[] = {
        { FB_OK, "FB_OK" }, { FB_EINVAL, "FB_EINVAL" }, { FB_ENOMEM, "FB_ENOMEM" },
        { FB_EFAULT, "FB_EFAULT" }, { FB_ENOENT, "FB_ENOENT" }, { FB_ERANGE, "FB_ERANGE" },
        { FB_ETRUNC, "FB_ETRUNC" }, { FB_EEXIST, "FB_EEXIST" }, { FB_EBUSY, "FB_EBUSY" },
        { FB_EPERM, "FB_EPERM" }, { FB_ENOTSUP, "FB_ENOTSUP" }, { FB_EALIGN, "FB_EALIGN" },
        { FB_EAGAIN, "FB_EAGAIN" },
        { FB_EBADCAP, "FB_EBADCAP" },
        { FB_ESTALE, "FB_ESTALE" },
        { FB_EREVOKED, "FB_EREVOKED" },
        { FB_EDEPTH, "FB_EDEPTH" },
        { FB_ENOSPC, "FB_ENOSPC" },
        { FB_EAUTH, "FB_EAUTH" },
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_assert_str_eq(fb_strerror(names[i].err), names[i].name, "expected %s", names[i].name);
}

Test(kerr, strerror_of_unknown_code_is_not_null)
{
    cr_assert_str_eq(fb_strerror(-999), "FB_E?", "expected the unknown marker");
    cr_assert_str_eq(fb_strerror(5), "FB_E?", "expected the unknown marker for positives");
}
