/* Capability tokens: a capability serialized for use outside the kernel,
 * tagged with HMAC-SHA256 under a per-boot key. A valid tag proves the
 * kernel minted the bytes; the capability must still verify as well. */
#include "cap_internal.h"
#include "hal/entropy.h"
#include "hmac.h"
#include "kerr.h"
#include "kstring.h"

#define TOKEN_BODY    (CAP_TOKEN_LEN - FB_SHA256_LEN)
#define TOKEN_VERSION 1
#define TOKEN_KEY_LEN 32

static const uint8_t token_magic[4] = { 'F', 'B', 'T', '1' };

static struct fb_hmac_key token_key;
/* Set once the key is ready; acquire/release publishes the key bytes. */
static _Atomic bool token_key_ready;

int cap_token_set_key(const void *key, size_t len)
{
    if (key == NULL || len < 16)
        return FB_EINVAL;
    fb_hmac_key_init(&token_key, key, len);
    /* release: pairs with the acquire in key_ready. */
    atomic_store_explicit(&token_key_ready, true, memory_order_release);
    return FB_OK;
}

int cap_token_init(void)
{
    uint8_t key[TOKEN_KEY_LEN];
    int err = hal_entropy(key, sizeof key);

    if (err == FB_OK)
        err = cap_token_set_key(key, sizeof key);
    fb_secure_zero(key, sizeof key);
    return err;
}

static bool key_ready(void)
{
    return atomic_load_explicit(&token_key_ready, memory_order_acquire);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return get16(p) | (uint32_t)get16(p + 2) << 16;
}

/* The token body (everything the tag covers) for capability @s. */
static void encode_body(uint8_t *b, uint32_t table_id, cap_handle_t h, const struct cap_snap *s)
{
    kmemcpy(b, token_magic, sizeof token_magic);
    put16(b + 4, TOKEN_VERSION);
    put16(b + 6, meta_type(s->meta));
    put32(b + 8, table_id);
    put32(b + 12, cap_handle_index(h));
    put32(b + 16, cap_handle_gen(h));
    put32(b + 20, meta_rights(s->meta));
    put64(b + 24, s->object);
    put64(b + 32, s->cats);
    b[40] = meta_level(s->meta);
    b[41] = meta_depth(s->meta);
    put16(b + 42, 0);
    put32(b + 44, stamp_epoch(s->stamp));
    put64(b + 48, s->created_ns);
}

int cap_token_mint(const struct cap_table *t, cap_handle_t h, uint8_t out[CAP_TOKEN_LEN])
{
    struct cap_snap s;
    int err;

    if (out == NULL)
        return FB_EINVAL;
    if (!key_ready())
        return FB_EAGAIN;
    if ((err = cap_snapshot(t, h, &s)) != FB_OK)
        return err;
    if (!rights_leq(CAP_R_GRANT, meta_rights(s.meta)))
        return FB_EPERM;
    encode_body(out, t->id, h, &s);
    fb_hmac_sha256_keyed(&token_key, out, TOKEN_BODY, out + TOKEN_BODY);
    return FB_OK;
}

int cap_token_verify(const struct cap_table *t, const void *token, size_t len,
                     struct cap_info *out)
{
    const uint8_t *b = token;
    uint8_t tag[FB_SHA256_LEN], again[TOKEN_BODY];
    struct cap_snap s;
    cap_handle_t h;
    int err;

    if (t == NULL || token == NULL || len != CAP_TOKEN_LEN)
        return FB_EINVAL;
    if (!key_ready())
        return FB_EAGAIN;
    fb_hmac_sha256_keyed(&token_key, b, TOKEN_BODY, tag);
    if (!fb_ct_equal(tag, b + TOKEN_BODY, FB_SHA256_LEN))
        return FB_EAUTH;
    if (kmemcmp(b, token_magic, sizeof token_magic) != 0 || get16(b + 4) != TOKEN_VERSION ||
        get16(b + 42) != 0)
        return FB_EINVAL;
    if (get32(b + 8) != t->id)
        return FB_EAUTH;
    h = handle_make(get32(b + 16), get32(b + 12));
    if ((err = cap_snapshot(t, h, &s)) != FB_OK)
        return err;
    /* Revoking a capability withdraws its tokens as well as its
     * descendants: the token names the epoch it was minted under. */
    if (get32(b + 44) != stamp_epoch(s.stamp))
        return FB_EREVOKED;
    /* A genuine tag over fields the live capability no longer has cannot
     * happen while generations are unique; refuse rather than trust it. */
    encode_body(again, t->id, h, &s);
    if (kmemcmp(again, b, TOKEN_BODY) != 0)
        return FB_EAUTH;
    if (out != NULL)
        cap_info_fill(h, &s, out);
    return FB_OK;
}
