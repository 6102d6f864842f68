/* Specification of fmt_snprintf/kprintf (core/lib/fmt.c): output matches
 * the C library's snprintf for every supported conversion, and the bounded
 * buffer contract (NUL, truncation, C99 return value) always holds. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

#define BUF 256

/* Formats with both implementations and asserts identical text and length. */
static void same_as_libc_v(const char *fmt, va_list ap)
{
    char want[BUF], got[BUF];
    va_list copy;

    va_copy(copy, ap);
    int wn = vsnprintf(want, sizeof want, fmt, ap);
    int gn = fmt_vsnprintf(got, sizeof got, fmt, copy);
    va_end(copy);
    cr_assert_str_eq(got, want, "format \"%s\": expected \"%s\", got \"%s\"", fmt, want, got);
    cr_assert_eq(gn, wn, "format \"%s\": expected return %d, got %d", fmt, wn, gn);
}

/* same_as_libc_v for well-typed arguments, checked by the compiler. */
static void __attribute__((format(printf, 1, 2))) same_as_libc(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    same_as_libc_v(fmt, ap);
    va_end(ap);
}

/* same_as_libc_v for int arguments to %hh and %h on purpose out of the
 * narrow range (varargs promote them; some compilers warn regardless). */
static void same_as_libc_promoted(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    same_as_libc_v(fmt, ap);
    va_end(ap);
}

/* Builds "%<flags><width><prec><len><conv>" into out. */
static void spec(char *out, size_t n, unsigned flagset, const char *flags, const char *width,
                 const char *prec, const char *len, char conv)
{
    char f[8];
    size_t k = 0;

    for (size_t i = 0; flags[i] != '\0'; i++) {
        if (flagset & (1u << i))
            f[k++] = flags[i];
    }
    f[k] = '\0';
    snprintf(out, n, "%%%s%s%s%s%c", f, width, prec, len, conv);
}

static const char *const widths[] = { "", "1", "6", "24" };
static const char *const precs[] = { "", ".0", ".1", ".4", ".22" };

Test(fmt, signed_conversions_match_libc_for_all_flag_width_precision_combinations)
{
    static const long long vals[] = { 0, 1, -1, 42, -42, INT_MAX, INT_MIN };
    char f[32];

    for (unsigned fl = 0; fl < 16; fl++)
        for (size_t w = 0; w < 4; w++)
            for (size_t p = 0; p < 5; p++)
                for (size_t v = 0; v < 7; v++) {
                    spec(f, sizeof f, fl, "-0+ ", widths[w], precs[p], "", 'd');
                    same_as_libc(f, (int)vals[v]);
                    spec(f, sizeof f, fl, "-0+ ", widths[w], precs[p], "", 'i');
                    same_as_libc(f, (int)vals[v]);
                    spec(f, sizeof f, fl, "-0+ ", widths[w], precs[p], "ll", 'd');
                    same_as_libc(f, vals[v]);
                }
}

Test(fmt, unsigned_conversions_match_libc_for_all_flag_width_precision_combinations)
{
    static const unsigned vals[] = { 0, 1, 7, 8, 255, 0xdeadbeefu, UINT_MAX };
    static const char convs[] = "uxXo";
    char f[32];

    for (unsigned fl = 0; fl < 8; fl++)
        for (size_t w = 0; w < 4; w++)
            for (size_t p = 0; p < 5; p++)
                for (size_t c = 0; c < 4; c++)
                    for (size_t v = 0; v < 7; v++) {
                        /* '#' is only defined for x, X and o. */
                        unsigned mask = convs[c] == 'u' ? (fl & 3u) : fl;
                        spec(f, sizeof f, mask, "-0#", widths[w], precs[p], "", convs[c]);
                        same_as_libc(f, vals[v]);
                    }
}

Test(fmt, extreme_64_bit_values_match_libc)
{
    same_as_libc("%lld %lld", (long long)INT64_MIN, (long long)INT64_MAX);
    same_as_libc("%ld|%li", (long)INT64_MIN, (long)INT64_MIN);
    same_as_libc("%llu %llx %llX %llo", (unsigned long long)UINT64_MAX,
                 (unsigned long long)UINT64_MAX, (unsigned long long)UINT64_MAX,
                 (unsigned long long)UINT64_MAX);
    same_as_libc("%+30lld|%-30lld|%030lld", (long long)INT64_MIN, (long long)INT64_MIN,
                 (long long)INT64_MIN);
    same_as_libc("%#lo %#lx", (unsigned long)UINT64_MAX, (unsigned long)UINT64_MAX);
}

Test(fmt, length_modifiers_truncate_and_extend_like_libc)
{
    same_as_libc_promoted("%hhd %hhu %hhx", 300, 300, 511);
    same_as_libc_promoted("%hhd", -129);
    same_as_libc_promoted("%hd %hu %hx", 70000, 70000, 0x12345);
    same_as_libc_promoted("%hd", -32769);
    same_as_libc("%zu %zx %zd", (size_t)SIZE_MAX, (size_t)12345, (ptrdiff_t)-5);
    same_as_libc("%td %tu", (ptrdiff_t)PTRDIFF_MIN, (size_t)PTRDIFF_MAX);
    same_as_libc("%jd %ju", (intmax_t)INT64_MIN, (uintmax_t)UINT64_MAX);
    same_as_libc("%lu %lx", (unsigned long)ULONG_MAX, (unsigned long)0xabcdefUL);
}

Test(fmt, chars_strings_and_percent_match_libc)
{
    same_as_libc("[%c][%5c][%-5c]", 'a', 'b', 'c');
    same_as_libc("[%s][%10s][%-10s][%.2s][%8.3s][%-8.3s]", "hello", "hi", "hi", "hello",
                 "hello", "hello");
    same_as_libc("[%.0s][%s]", "gone", "");
    same_as_libc("100%% sure, %d%%", 5);
}

Test(fmt, star_width_and_precision_match_libc)
{
    same_as_libc("[%*d][%-*d][%*d]", 6, 42, 6, 42, -6, 42);
    same_as_libc("[%.*d][%.*d][%*.*x]", 4, 7, -1, 7, 8, 3, 0xa);
    same_as_libc("[%.*s][%*s]", 3, "abcdef", -5, "x");
    same_as_libc("[%0*d]", 5, -3);
}

Test(fmt, pointer_prints_0x_prefixed_hex)
{
    char got[BUF], want[BUF];
    void *p = (void *)(uintptr_t)0xffff800000123abcull;

    fmt_snprintf(got, sizeof got, "%p", p);
    snprintf(want, sizeof want, "0x%lx", (unsigned long)(uintptr_t)p);
    cr_assert_str_eq(got, want, "expected %s", want);
    fmt_snprintf(got, sizeof got, "[%20p][%-20p]", p, p);
    snprintf(want, sizeof want, "[%#20lx][%-#20lx]", (unsigned long)(uintptr_t)p,
             (unsigned long)(uintptr_t)p);
    cr_assert_str_eq(got, want, "expected %s", want);
}

Test(fmt, null_pointer_prints_0x0)
{
    char got[BUF];

    fmt_snprintf(got, sizeof got, "%p", (void *)0);
    cr_assert_str_eq(got, "0x0", "expected \"0x0\", got \"%s\"", got);
}

Test(fmt, null_string_prints_paren_null)
{
    char got[BUF];
    const char *nul = NULL;

    int n = fmt_snprintf(got, sizeof got, "<%s>", nul);
    cr_assert_str_eq(got, "<(null)>", "expected \"<(null)>\", got \"%s\"", got);
    cr_assert_eq(n, 8, "expected length 8, got %d", n);
}

Test(fmt, string_precision_never_reads_past_the_precision)
{
    char unterminated[4] = { 'a', 'b', 'c', 'd' };
    char got[BUF];

    fmt_snprintf(got, sizeof got, "%.4s|", unterminated);
    cr_assert_str_eq(got, "abcd|", "expected \"abcd|\", got \"%s\"", got);
}

/* Calls fmt_vsnprintf with a format the compiler must not check, since
 * these tests feed it deliberately invalid conversions. */
static int raw_format(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int r = fmt_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

Test(fmt, unknown_conversion_is_copied_literally)
{
    char got[BUF];

    int n = raw_format(got, sizeof got, "a%yb%5qc%lwd", 1);
    cr_assert_str_eq(got, "a%yb%5qc%lwd", "expected the text unchanged, got \"%s\"", got);
    cr_assert_eq(n, 12, "expected length 12, got %d", n);
}

Test(fmt, trailing_percent_is_copied_literally)
{
    char got[BUF];

    int n = raw_format(got, sizeof got, "50%");
    cr_assert_str_eq(got, "50%", "expected \"50%%\", got \"%s\"", got);
    cr_assert_eq(n, 3, "expected length 3, got %d", n);
    raw_format(got, sizeof got, "x%-08");
    cr_assert_str_eq(got, "x%-08", "expected \"x%%-08\", got \"%s\"", got);
}

Test(fmt, size_zero_writes_nothing_and_returns_full_length)
{
    char buf[4] = { 'z', 'z', 'z', 'z' };

    int n = fmt_snprintf(buf, 0, "hello %d", 12345);
    cr_assert_eq(n, 11, "expected would-be length 11, got %d", n);
    cr_assert_eq(buf[0], 'z', "expected the buffer untouched with size 0");
    cr_assert_eq(fmt_snprintf(NULL, 0, "%s", "abc"), 3, "expected 3 for a NULL buffer");
}

Test(fmt, truncation_nul_terminates_and_returns_full_length)
{
    char buf[8];

    memset(buf, 'z', sizeof buf);
    int n = fmt_snprintf(buf, 6, "%s-%d", "abcdef", -77);
    cr_assert_eq(n, 10, "expected would-be length 10, got %d", n);
    cr_assert_str_eq(buf, "abcde", "expected the first 5 bytes, got \"%s\"", buf);
    cr_assert_eq(buf[6], 'z', "expected no write past size");
}

Test(fmt, size_one_holds_only_the_terminator)
{
    char buf[2] = { 'z', 'z' };

    int n = fmt_snprintf(buf, 1, "abc");
    cr_assert_eq(n, 3, "expected 3, got %d", n);
    cr_assert_eq(buf[0], '\0', "expected an empty string");
    cr_assert_eq(buf[1], 'z', "expected no write past size");
}

Test(fmt, huge_width_is_counted_without_writing_past_the_buffer)
{
    char buf[16];

    int n = fmt_snprintf(buf, sizeof buf, "%100000d", 7);
    cr_assert_eq(n, 100000, "expected 100000, got %d", n);
    cr_assert_eq(strlen(buf), sizeof buf - 1, "expected a full, terminated buffer");
}

Test(fmt, kprintf_writes_the_formatted_text_to_the_console, .init = cr_redirect_stdout)
{
    int n = kprintf("boot %s #%d\n", "ok", 3);
    fflush(stdout);
    cr_assert_eq(n, 11, "expected 11 bytes written, got %d", n);
    cr_assert_stdout_eq_str("boot ok #3\n", "expected the formatted line on the console");
}

Test(fmt, kprintf_truncates_to_511_bytes, .init = cr_redirect_stdout)
{
    int n = kprintf("%600d", 1);
    fflush(stdout);
    cr_assert_eq(n, 511, "expected 511 bytes written, got %d", n);
}
