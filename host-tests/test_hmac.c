/* Specification of SHA-256, HMAC-SHA256 and the helpers around them
 * (core/crypto/hmac.c): RFC 4231's test cases, read from
 * host-tests/vectors/hmac/rfc4231.json, through both the one-shot and
 * the prepared-key path; the boot self-test; the constant-time compare;
 * secure zeroing; one key shared by several threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmac.h"
#include "kerr.h"

#define VECTORS FB_SOURCE_DIR "/host-tests/vectors/hmac/rfc4231.json"
#define RFC4231_CASES 7
#define MAX_BYTES 256

/* One test case of the JSON file; tag_len is 16 for RFC 4231's case 5. */
struct vector {
    int tc;
    uint8_t key[MAX_BYTES], data[MAX_BYTES], tag[FB_SHA256_LEN];
    size_t key_len, data_len, tag_len;
};

static struct vector vectors[RFC4231_CASES];

/* Reads the whole file at path into a NUL-terminated heap buffer. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert_not_null(f, "expected to open %s", path);
    cr_assert_eq(fseek(f, 0, SEEK_END), 0, "expected to seek in %s", path);
    n = ftell(f);
    cr_assert_gt(n, 0, "expected %s to be non-empty", path);
    rewind(f);
    buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf, "expected memory for %s", path);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n, "expected to read all of %s", path);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The text after `"name"` and its colon at or after *p; *p moves past the
 * name. Fails the test when the field is missing. */
static const char *field(const char **p, const char *name)
{
    char quoted[64];
    const char *at;

    snprintf(quoted, sizeof quoted, "\"%s\"", name);
    at = strstr(*p, quoted);
    cr_assert_not_null(at, "expected a field \"%s\" in the vectors", name);
    at += strlen(quoted);
    while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r' || *at == ':')
        at++;
    *p = at;
    return at;
}

/* Decodes the quoted hex string at s into at most cap bytes of out;
 * returns the byte count. */
static size_t hex_string(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;

    cr_assert_eq(*s, '"', "expected a quoted hex string");
    for (s++; *s != '"'; s += 2) {
        unsigned byte;
        cr_assert(s[1] != '"' && s[1] != '\0', "expected an even number of hex digits");
        cr_assert_lt(n, cap, "expected at most %zu bytes of hex", cap);
        cr_assert_eq(sscanf(s, "%2x", &byte), 1, "expected hex digits, got '%.2s'", s);
        out[n++] = (uint8_t)byte;
    }
    return n;
}

/* Loads every case of the RFC 4231 file into vectors[]: the format is a
 * "tests" array of objects with "tc" and the hex fields "key", "data",
 * "hmac_sha256". */
static void load_vectors(void)
{
    char *json = read_file(VECTORS);
    const char *p = json;

    field(&p, "tests");
    for (int i = 0; i < RFC4231_CASES; i++) {
        struct vector *v = &vectors[i];

        v->tc = atoi(field(&p, "tc"));
        v->key_len = hex_string(field(&p, "key"), v->key, sizeof v->key);
        v->data_len = hex_string(field(&p, "data"), v->data, sizeof v->data);
        v->tag_len = hex_string(field(&p, "hmac_sha256"), v->tag, sizeof v->tag);
        cr_assert_eq(v->tc, i + 1, "expected test case %d in order, got %d", i + 1, v->tc);
    }
    cr_assert_null(strstr(p, "\"tc\""), "expected exactly %d test cases", RFC4231_CASES);
    free(json);
}

Test(hmac, vector_file_holds_the_seven_rfc4231_cases, .init = load_vectors)
{
    cr_assert_eq(vectors[0].key_len, 20, "expected case 1's 20-byte key");
    cr_assert_eq(vectors[4].tag_len, 16, "expected case 5's tag truncated to 128 bits");
    cr_assert_eq(vectors[5].key_len, 131, "expected case 6's 131-byte key");
    cr_assert_eq(vectors[6].data_len, 152, "expected case 7's 152 bytes of data");
}

Test(hmac, one_shot_tags_match_rfc4231, .init = load_vectors)
{
    for (int i = 0; i < RFC4231_CASES; i++) {
        const struct vector *v = &vectors[i];
        uint8_t out[FB_SHA256_LEN];

        fb_hmac_sha256(v->key, v->key_len, v->data, v->data_len, out);
        cr_assert_arr_eq(out, v->tag, v->tag_len, "expected RFC 4231 case %d's tag", v->tc);
    }
}

Test(hmac, prepared_key_tags_match_rfc4231, .init = load_vectors)
{
    for (int i = 0; i < RFC4231_CASES; i++) {
        const struct vector *v = &vectors[i];
        struct fb_hmac_key k;
        uint8_t out[FB_SHA256_LEN];

        fb_hmac_key_init(&k, v->key, v->key_len);
        fb_hmac_sha256_keyed(&k, v->data, v->data_len, out);
        cr_assert_arr_eq(out, v->tag, v->tag_len, "expected RFC 4231 case %d's tag", v->tc);
    }
}

Test(hmac, prepared_key_gives_the_same_tag_every_time, .init = load_vectors)
{
    const struct vector *v = &vectors[1];
    struct fb_hmac_key k;
    uint8_t first[FB_SHA256_LEN], again[FB_SHA256_LEN];

    fb_hmac_key_init(&k, v->key, v->key_len);
    fb_hmac_sha256_keyed(&k, v->data, v->data_len, first);
    fb_hmac_sha256_keyed(&k, "other", 5, again);
    cr_assert(memcmp(first, again, sizeof first) != 0, "expected another message to change the tag");
    fb_hmac_sha256_keyed(&k, v->data, v->data_len, again);
    cr_assert_arr_eq(again, first, sizeof first, "expected the key to be unchanged by tagging");
}

Test(hmac, key_longer_than_a_block_acts_as_its_sha256)
{
    uint8_t key[200], digest[FB_SHA256_LEN], long_tag[FB_SHA256_LEN], hashed_tag[FB_SHA256_LEN];

    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 13 + 1);
    for (size_t len = 65; len <= sizeof key; len += 45) {
        fb_sha256(key, len, digest);
        fb_hmac_sha256(key, len, "msg", 3, long_tag);
        fb_hmac_sha256(digest, sizeof digest, "msg", 3, hashed_tag);
        cr_assert_arr_eq(long_tag, hashed_tag, sizeof long_tag,
                         "expected a %zu-byte key to act as its SHA-256 (RFC 2104)", len);
    }
}

Test(hmac, sha256_matches_fips_180_examples)
{
    static const uint8_t abc[FB_SHA256_LEN] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    static const uint8_t empty[FB_SHA256_LEN] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
    };
    uint8_t out[FB_SHA256_LEN];

    fb_sha256("abc", 3, out);
    cr_assert_arr_eq(out, abc, sizeof abc, "expected SHA-256(\"abc\") = ba7816bf...");
    fb_sha256("", 0, out);
    cr_assert_arr_eq(out, empty, sizeof empty, "expected SHA-256(\"\") = e3b0c442...");
}

Test(hmac, selftest_passes_with_no_failed_case)
{
    int failed_case = -1;

    cr_assert_eq(fb_hmac_selftest(&failed_case), FB_OK, "expected FB_OK");
    cr_assert_eq(failed_case, 0, "expected failed_case 0, got %d", failed_case);
    cr_assert_eq(fb_hmac_selftest(NULL), FB_OK, "expected FB_OK without failed_case");
}

Test(hmac, ct_equal_is_true_for_equal_bytes_and_for_none)
{
    static const uint8_t a[40] = { 1, 2, 3, [39] = 0xff };
    uint8_t b[40];

    memcpy(b, a, sizeof b);
    cr_assert(fb_ct_equal(a, b, sizeof a), "expected equal buffers to compare equal");
    cr_assert(fb_ct_equal(a, b, 0), "expected zero bytes to compare equal");
    cr_assert(fb_ct_equal(a, "different", 0), "expected zero bytes to compare equal");
}

Test(hmac, ct_equal_finds_a_difference_at_any_position)
{
    static const size_t at[] = { 0, 19, 39 };
    uint8_t a[40], b[40];

    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memset(a, 0x5a, sizeof a);
            memcpy(b, a, sizeof b);
            b[at[i]] ^= (uint8_t)(1u << bit);
            cr_assert(!fb_ct_equal(a, b, sizeof a),
                      "expected bit %u of byte %zu to make the buffers differ", bit, at[i]);
        }
    }
}

Test(hmac, secure_zero_clears_exactly_the_given_bytes)
{
    uint8_t buf[48];

    memset(buf, 0xa5, sizeof buf);
    fb_secure_zero(buf + 8, 32);
    for (size_t i = 0; i < sizeof buf; i++) {
        uint8_t want = i >= 8 && i < 40 ? 0x00 : 0xa5;
        cr_assert_eq(buf[i], want, "expected byte %zu to be 0x%02x, got 0x%02x", i, want, buf[i]);
    }
    fb_secure_zero(buf, 0);
    cr_assert_eq(buf[0], 0xa5, "expected zero bytes to touch nothing");
}

#define THREADS 4
#define ROUNDS 500

static const char shared_secret[] = "one key, many threads";
static const char shared_msg[] = "the message every thread tags";
static struct fb_hmac_key shared_key;
static uint8_t thread_tag[THREADS][FB_SHA256_LEN];

/* Thread body: tags shared_msg ROUNDS times with the shared key, keeps
 * the first tag and returns NULL if a later one differs. */
static void *tag_with_shared_key(void *arg)
{
    uint8_t *first = arg, out[FB_SHA256_LEN];
    bool same = true;

    fb_hmac_sha256_keyed(&shared_key, shared_msg, sizeof shared_msg - 1, first);
    for (int r = 1; r < ROUNDS; r++) {
        fb_hmac_sha256_keyed(&shared_key, shared_msg, sizeof shared_msg - 1, out);
        same = same && memcmp(out, first, sizeof out) == 0;
    }
    return same ? arg : NULL;
}

Test(hmac, threads_sharing_one_key_all_get_the_one_shot_tag)
{
    pthread_t t[THREADS];
    uint8_t want[FB_SHA256_LEN];

    fb_hmac_sha256(shared_secret, sizeof shared_secret - 1, shared_msg, sizeof shared_msg - 1, want);
    fb_hmac_key_init(&shared_key, shared_secret, sizeof shared_secret - 1);
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, tag_with_shared_key, thread_tag[i]), 0,
                     "expected thread %d to start", i);
    for (int i = 0; i < THREADS; i++) {
        void *ret;

        cr_assert_eq(pthread_join(t[i], &ret), 0, "expected thread %d to finish", i);
        cr_assert_eq(ret, thread_tag[i], "expected thread %d to get one tag throughout", i);
        cr_assert_arr_eq(thread_tag[i], want, sizeof want,
                         "expected thread %d's tag to equal the one-shot tag", i);
    }
}
