/* Number parsing (parse.h). One digit loop serves both signs: the
 * magnitude is parsed unsigned, then range-checked for the sign. */
#include "parse.h"

#include <stdbool.h>
#include <stddef.h>

#include "kerr.h"

/* Value of digit c, or 36 (above every base) when c is not a digit. */
static unsigned digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'z')
        return (unsigned)(c - 'a') + 10;
    if (c >= 'A' && c <= 'Z')
        return (unsigned)(c - 'A') + 10;
    return 36;
}

/* Skips blanks and the sign; sets *neg for '-' when minus_ok. */
static const char *skip_prefix(const char *s, bool minus_ok, bool *neg)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
        s++;
    *neg = false;
    if (*s == '+') {
        s++;
    } else if (*s == '-' && minus_ok) {
        *neg = true;
        s++;
    }
    return s;
}

/* Parses the digits at p (after blanks and sign): magnitude into *out,
 * saturating; *end past the digits, or at start when there are none. */
static int parse_digits(const char *start, const char *p, const char **end, unsigned base,
                        uint64_t *out)
{
    uint64_t v = 0;
    bool over = false;
    const char *q;

    *out = 0;
    if (end != NULL)
        *end = start;
    if (base == 1 || base > 36)
        return FB_EINVAL;
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        base = 16;
        p += 2;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    for (q = p; digit_value(*q) < base; q++) {
        unsigned d = digit_value(*q);
        if (v > (UINT64_MAX - d) / base)
            over = true;
        else
            v = v * base + d;
    }
    if (q == p)
        return FB_EINVAL;
    if (end != NULL)
        *end = q;
    *out = over ? UINT64_MAX : v;
    return over ? FB_ERANGE : FB_OK;
}

/* See parse.h. */
int parse_u64(const char *s, const char **end, unsigned base, uint64_t *out)
{
    bool neg;
    const char *p = skip_prefix(s, false, &neg);

    return parse_digits(s, p, end, base, out);
}

/* See parse.h. */
int parse_i64(const char *s, const char **end, unsigned base, int64_t *out)
{
    bool neg;
    const char *p = skip_prefix(s, true, &neg);
    uint64_t mag;
    int err = parse_digits(s, p, end, base, &mag);

    *out = 0;
    if (err == FB_EINVAL)
        return err;
    if (!neg && (err == FB_ERANGE || mag > (uint64_t)INT64_MAX)) {
        *out = INT64_MAX;
        return FB_ERANGE;
    }
    if (neg && (err == FB_ERANGE || mag > (uint64_t)INT64_MAX + 1)) {
        *out = INT64_MIN;
        return FB_ERANGE;
    }
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return FB_OK;
}
