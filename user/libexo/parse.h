/* Number parsing for libexo (strtoul, strtol, atoi) and the programs'
 * argument parsing, with errors reported instead of guessed. Named
 * parse_* so the host tests can link it next to the C library. */
#ifndef LIBEXO_PARSE_H
#define LIBEXO_PARSE_H

#include <stdint.h>

/**
 * Parses an unsigned number at @p s: leading blanks, an optional '+',
 * then digits of @p base (2..36, or 0: "0x" = 16, a leading "0" = 8,
 * else 10; base 16 also takes a "0x" prefix). *@p end (may be NULL) gets
 * the first byte not used.
 * @return FB_OK with *@p out set; FB_EINVAL (bad base, or no digit:
 *         *end = s, *out = 0); FB_ERANGE (above UINT64_MAX: *out =
 *         UINT64_MAX, *end past all the digits).
 */
int parse_u64(const char *s, const char **end, unsigned base, uint64_t *out);

/**
 * parse_u64 for a signed number: also an optional '-'. Out of range
 * gives FB_ERANGE with *@p out = INT64_MIN or INT64_MAX.
 */
int parse_i64(const char *s, const char **end, unsigned base, int64_t *out);

#endif
