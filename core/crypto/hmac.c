/* SHA-256 and HMAC-SHA256 over BearSSL (hmac.h), plus the two helpers
 * every user of a tag needs: a constant-time compare and a zeroing the
 * compiler cannot drop. Only core/crypto/ may include BearSSL's headers
 * (scripts/check-freestanding.sh enforces it). */
#include <bearssl_hash.h>
#include <bearssl_hmac.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmac.h"
#include "kerr.h"
#include "kstring.h"

/* fb_hmac_key.opaque is only ever accessed as a br_hmac_key_context (or
 * as bytes, when copied or zeroed), so it must hold one and be aligned
 * for one. */
_Static_assert(sizeof(br_hmac_key_context) <= sizeof(((struct fb_hmac_key *)0)->opaque),
               "struct fb_hmac_key is too small for br_hmac_key_context");
_Static_assert(_Alignof(br_hmac_key_context) <= _Alignof(struct fb_hmac_key),
               "struct fb_hmac_key is less aligned than br_hmac_key_context");

/* Hashes msg with SHA-256; the state is wiped since msg may be a secret. */
void fb_sha256(const void *msg, size_t len, uint8_t out[FB_SHA256_LEN])
{
    br_sha256_context c;

    br_sha256_init(&c);
    br_sha256_update(&c, msg, len);
    br_sha256_out(&c, out);
    fb_secure_zero(&c, sizeof(c));
}

/* Computes the inner and outer padded key states once, for many tags.
 * The zeroing leaves the part of opaque BearSSL does not use defined. */
void fb_hmac_key_init(struct fb_hmac_key *k, const void *key, size_t key_len)
{
    fb_secure_zero(k, sizeof(*k));
    br_hmac_key_init((br_hmac_key_context *)(void *)k->opaque, &br_sha256_vtable, key, key_len);
}

/* Tags msg under k. k is only read (br_hmac_init copies its states into
 * the local context), which is why one key may serve many threads. */
void fb_hmac_sha256_keyed(const struct fb_hmac_key *k, const void *msg, size_t len,
                          uint8_t out[FB_SHA256_LEN])
{
    br_hmac_context c;

    br_hmac_init(&c, (const br_hmac_key_context *)(const void *)k->opaque, 0);
    br_hmac_update(&c, msg, len);
    br_hmac_out(&c, out);
    fb_secure_zero(&c, sizeof(c));
}

/* Prepares a throwaway key, tags msg and wipes the key states. */
void fb_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                    uint8_t out[FB_SHA256_LEN])
{
    struct fb_hmac_key k;

    fb_hmac_key_init(&k, key, key_len);
    fb_hmac_sha256_keyed(&k, msg, len, out);
    fb_secure_zero(&k, sizeof(k));
}

/* ORs the XOR of every byte pair into diff. The empty asm makes diff
 * opaque to the compiler at each step, so it cannot stop at the first
 * difference or once diff is all ones. */
bool fb_ct_equal(const void *a, const void *b, size_t n)
{
    const uint8_t *pa = a, *pb = b;
    uint32_t diff = 0;

    for (size_t i = 0; i < n; i++) {
        diff |= (uint32_t)(pa[i] ^ pb[i]);
        __asm__("" : "+r"(diff));
    }
    /* diff <= 0xff: diff - 1 wraps to set bit 31 exactly when diff == 0. */
    return ((diff - 1) >> 31) != 0;
}

/* The asm claims to read all memory through p, so the stores before it
 * are never dead, even after inlining or link-time optimisation. */
void fb_secure_zero(void *p, size_t n)
{
    kmemset(p, 0, n);
    __asm__ volatile("" : : "r"(p) : "memory");
}

/* One input of a known-answer case: the text, or len copies of fill when
 * text is NULL. */
struct kat_input {
    const char *text;
    uint8_t fill;
    size_t len;
};

/* One HMAC-SHA256 case: key, data and the expected tag in hex (32 hex
 * digits when the RFC truncates the tag to 128 bits). */
struct hmac_kat {
    struct kat_input key, data;
    const char *tag_hex;
};

/* RFC 4231 ("Identifiers and Test Vectors for HMAC-SHA-224,
 * HMAC-SHA-256, HMAC-SHA-384, and HMAC-SHA-512"), section 4, test
 * cases 1 to 7, HMAC-SHA-256 only. Case 5 checks the first 128 bits. */
static const struct hmac_kat rfc4231[] = {
    { { .fill = 0x0b, .len = 20 }, { .text = "Hi There" },
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
    { { .text = "Jefe" }, { .text = "what do ya want for nothing?" },
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
    { { .fill = 0xaa, .len = 20 }, { .fill = 0xdd, .len = 50 },
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
    { { .text = "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
                "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19" },
      { .fill = 0xcd, .len = 50 },
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
    { { .fill = 0x0c, .len = 20 }, { .text = "Test With Truncation" },
      "a3b6167473100ee06e0c796c2955552b" },
    { { .fill = 0xaa, .len = 131 },
      { .text = "Test Using Larger Than Block-Size Key - Hash Key First" },
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
    { { .fill = 0xaa, .len = 131 },
      { .text = "This is a test using a larger than block-size key and a larger than "
                "block-size data. The key needs to be hashed before being used by the "
                "HMAC algorithm." },
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

/* SHA-256("abc"): the one-block example of FIPS 180-2 appendix B.1, kept
 * in NIST's example values for FIPS 180-4. */
static const char sha256_abc_hex[] =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

/* The longest fill of any case above. */
#define KAT_FILL_MAX 131

/* The bytes of in: its text, or buf filled with its fill byte. */
static const uint8_t *kat_bytes(const struct kat_input *in, uint8_t buf[KAT_FILL_MAX],
                                size_t *len)
{
    if (in->text != NULL) {
        *len = kstrlen(in->text);
        return (const uint8_t *)in->text;
    }
    *len = in->len;
    return kmemset(buf, in->fill, in->len);
}

/* True when the first kstrlen(hex) / 2 bytes of got are spelt by hex
 * (lower case). */
static bool matches_hex(const uint8_t *got, const char *hex)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = kstrlen(hex) / 2;

    for (size_t i = 0; i < n; i++) {
        if (hex[2 * i] != digits[got[i] >> 4] || hex[2 * i + 1] != digits[got[i] & 0xf])
            return false;
    }
    return true;
}

/* Cases 1-7 are RFC 4231's, case 8 is SHA-256("abc"). */
int fb_hmac_selftest(int *failed_case)
{
    uint8_t key_buf[KAT_FILL_MAX], data_buf[KAT_FILL_MAX], out[FB_SHA256_LEN];
    size_t n = sizeof(rfc4231) / sizeof(rfc4231[0]);
    int failed = 0;

    for (size_t i = 0; i < n && failed == 0; i++) {
        size_t key_len, data_len;
        const uint8_t *key = kat_bytes(&rfc4231[i].key, key_buf, &key_len);
        const uint8_t *data = kat_bytes(&rfc4231[i].data, data_buf, &data_len);

        fb_hmac_sha256(key, key_len, data, data_len, out);
        if (!matches_hex(out, rfc4231[i].tag_hex))
            failed = (int)i + 1;
    }
    if (failed == 0) {
        fb_sha256("abc", 3, out);
        if (!matches_hex(out, sha256_abc_hex))
            failed = (int)n + 1;
    }
    if (failed_case != NULL)
        *failed_case = failed;
    return failed == 0 ? FB_OK : FB_EINVAL;
}
