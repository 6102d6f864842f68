/* SHA-256 and HMAC-SHA256 for core/: a thin layer over BearSSL's
 * br_sha256_* and br_hmac_*, so the rest of core/ never includes a
 * BearSSL header. The host build links Debian's libbearssl; the kernel
 * compiles the same BearSSL sources with kernel flags. */
#ifndef FB_HMAC_H
#define FB_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Length in bytes of a SHA-256 digest and of a full HMAC-SHA256 tag. */
#define FB_SHA256_LEN 32

/** A prepared HMAC-SHA256 key (the inner and outer padded key states),
 *  so a tag costs no key schedule. Opaque; 8-byte aligned. */
struct fb_hmac_key {
    uint64_t opaque[32]; /**< BearSSL's br_hmac_key_context, kept opaque */
};

/** SHA-256 of @p len bytes at @p msg into @p out. */
void fb_sha256(const void *msg, size_t len, uint8_t out[FB_SHA256_LEN]);

/** Prepares @p k from @p key_len bytes of key material (any length;
 *  keys over 64 bytes are hashed first, as RFC 2104 says). */
void fb_hmac_key_init(struct fb_hmac_key *k, const void *key, size_t key_len);

/** The full 32-byte HMAC-SHA256 tag of @p msg under prepared key @p k.
 *  Safe to call from several threads on one key at once. */
void fb_hmac_sha256_keyed(const struct fb_hmac_key *k, const void *msg, size_t len,
                          uint8_t out[FB_SHA256_LEN]);

/** One-shot HMAC-SHA256: prepares the key and tags @p msg. */
void fb_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                    uint8_t out[FB_SHA256_LEN]);

/** True when the @p n bytes at @p a and @p b are equal. Its running time
 *  depends on @p n only, never on the contents or on where they differ. */
bool fb_ct_equal(const void *a, const void *b, size_t n);

/** Overwrites @p n bytes at @p p with zeros in a way the compiler may not
 *  remove as a dead store (for keys and other secrets). */
void fb_secure_zero(void *p, size_t n);

/** Known-answer test run at boot and by the host tests: the seven
 *  HMAC-SHA256 cases of RFC 4231 section 4 (cases 1 to 7) and the SHA-256
 *  value of FIPS 180-4's "abc" example (case 8). Returns FB_OK or
 *  FB_EINVAL, and the 1-based number of the first failing case in
 *  @p failed_case (0 when all pass; may be NULL). */
int fb_hmac_selftest(int *failed_case);

#endif
