/* Specification of capability tokens (core/cap/token.c): CAP_TOKEN_LEN
 * bytes in the documented little-endian layout under an HMAC-SHA256 tag.
 * A token verifies only against the table that minted it, under the key
 * that tagged it, while its capability still verifies with the same
 * fields and has not been revoked since the mint; any other byte string
 * is rejected, whatever it was changed into. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "expect.h"
#include "hmac.h"
#include "kerr.h"
#include "lattice.h"

/* Random mutations of one token. Each same-length one costs an HMAC
 * (libbearssl, not instrumented): measured 0.7 s in the host preset and
 * 0.9 s under ASan on a 2-core VM, so sanitizer builds run them all. */
#define MUTATIONS 1000000

/* Field offsets of the documented layout. */
#define OFF_MAGIC    0
#define OFF_VERSION  4
#define OFF_TYPE     6
#define OFF_TABLE    8
#define OFF_INDEX    12
#define OFF_GEN      16
#define OFF_RIGHTS   20
#define OFF_OBJECT   24
#define OFF_CATS     32
#define OFF_LEVEL    40
#define OFF_DEPTH    41
#define OFF_RESERVED 42
#define OFF_EPOCH    44
#define OFF_CREATED  48
#define OFF_TAG      56

static const uint8_t test_key[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

#define MAX_TABLES 2
static struct cap_table tables[MAX_TABLES];
static struct cap_slot *memory[MAX_TABLES];
static int ntables;

/* Fixture: table t with a root and a child c that may be granted. */
static struct cap_table *t;
static cap_handle_t root, c;
static uint8_t tok[CAP_TOKEN_LEN];
#define C_RIGHTS (CAP_R_READ | CAP_R_SEND | CAP_R_GRANT)
#define C_LABEL lattice_make(4, 0x0f00000000000011ull)
#define ROOT_OBJECT 0x0123456789abcdefull

static struct cap_table *new_table(uint32_t capacity)
{
    struct cap_slot *slots = aligned_alloc(64, cap_table_bytes(capacity));

    cr_assert_not_null(slots, "expected slot memory");
    cr_assert_lt(ntables, MAX_TABLES, "expected at most %d tables", MAX_TABLES);
    expect(cap_table_init(&tables[ntables], slots, capacity, lattice_top()), FB_OK);
    memory[ntables] = slots; /* kept reachable for LeakSanitizer */
    return &tables[ntables++];
}

/* The table and capabilities, but no key: each test runs in a fresh
 * process, so nothing has set one yet. */
static void setup_without_key(void)
{
    t = new_table(16);
    expect(cap_create(t, CAP_T_ENDPOINT, ROOT_OBJECT, CAP_R_ALL, lattice_make(3, 0x11), &root), FB_OK);
    expect(cap_derive(t, root, C_RIGHTS, C_LABEL, &c), FB_OK);
}

/* The usual fixture: the test key set and a token of c minted. */
static void setup(void)
{
    setup_without_key();
    expect(cap_token_set_key(test_key, sizeof test_key), FB_OK);
    expect(cap_token_mint(t, c, tok), FB_OK);
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;

    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_le(uint8_t *p, int bytes, uint64_t v)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* Re-tags a changed token with the test key, as someone who stole the
 * key could: what is left to catch the change is the format and the
 * comparison with the live capability. */
static void retag(uint8_t *token)
{
    fb_hmac_sha256(test_key, sizeof test_key, token, OFF_TAG, token + OFF_TAG);
}

/* Writes bytes little-endian at off, re-tags, and checks the verdict. */
static void expect_forged_field(unsigned off, int bytes, uint64_t value, int want)
{
    uint8_t forged[CAP_TOKEN_LEN];

    memcpy(forged, tok, sizeof forged);
    put_le(forged + off, bytes, value);
    retag(forged);
    int got = cap_token_verify(t, forged, sizeof forged, NULL);
    cr_assert_eq(got, want, "expected %s for field at offset %u set to %#llx, got %s",
                 fb_strerror(want), off, (unsigned long long)value, fb_strerror(got));
}

static uint64_t prng_state = 0x70c3e5f00d5eedull;

/* splitmix64, fixed seed: every run tries the same mutations. */
static uint64_t next_random(void)
{
    uint64_t z = (prng_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Keys. */

Test(cap_token, mint_and_verify_before_any_key_are_eagain, .init = setup_without_key)
{
    memset(tok, 0, sizeof tok);
    expect(cap_token_mint(t, c, tok), FB_EAGAIN);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_EAGAIN);
}

Test(cap_token, set_key_rejects_keys_under_16_bytes, .init = setup_without_key)
{
    expect(cap_token_set_key(test_key, 0), FB_EINVAL);
    expect(cap_token_set_key(test_key, 15), FB_EINVAL);
    expect(cap_token_mint(t, c, tok), FB_EAGAIN);
    expect(cap_token_set_key(test_key, 16), FB_OK);
    expect(cap_token_mint(t, c, tok), FB_OK);
}

Test(cap_token, init_draws_a_key_that_mints_and_verifies, .init = setup_without_key)
{
    expect(cap_token_init(), FB_OK);
    expect(cap_token_mint(t, c, tok), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_OK);
}

Test(cap_token, init_draws_a_new_key_each_time, .init = setup_without_key)
{
    uint8_t again[CAP_TOKEN_LEN];

    expect(cap_token_init(), FB_OK);
    expect(cap_token_mint(t, c, tok), FB_OK);
    expect(cap_token_init(), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_EAUTH);
    expect(cap_token_mint(t, c, again), FB_OK);
    cr_assert(memcmp(again + OFF_TAG, tok + OFF_TAG, FB_SHA256_LEN) != 0, "expected a different tag");
}

Test(cap_token, init_key_differs_from_the_test_key, .init = setup)
{
    expect(cap_token_init(), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_EAUTH);
}

Test(cap_token, token_under_another_key_is_eauth, .init = setup)
{
    uint8_t other_key[32];

    memcpy(other_key, test_key, sizeof other_key);
    other_key[31] ^= 1;
    expect(cap_token_set_key(other_key, sizeof other_key), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_EAUTH);
    expect(cap_token_set_key(test_key, sizeof test_key), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_OK);
}

/* Round trip and format. */

Test(cap_token, verifies_and_returns_the_capability, .init = setup)
{
    struct cap_info want, got;

    expect(cap_lookup(t, c, &want), FB_OK);
    memset(&got, 0xee, sizeof got);
    expect(cap_token_verify(t, tok, sizeof tok, &got), FB_OK);
    cr_assert_eq(got.handle, c, "expected the minted handle");
    cr_assert_eq(got.type, want.type, "expected the type");
    cr_assert_eq(got.object, want.object, "expected the object");
    cr_assert_eq(got.rights, C_RIGHTS, "expected the rights");
    cr_assert(lattice_equal(got.label, C_LABEL), "expected the label");
    cr_assert_eq(got.depth, 1, "expected depth 1");
    cr_assert_eq(got.created_ns, want.created_ns, "expected the creation time");
    cr_assert_eq(got.parent, root, "expected the parent");
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_OK);
}

Test(cap_token, layout_is_the_documented_one, .init = setup)
{
    struct cap_info info;
    uint8_t tag[FB_SHA256_LEN];

    expect(cap_lookup(t, c, &info), FB_OK);
    cr_assert_arr_eq(tok + OFF_MAGIC, "FBT1", 4, "expected magic FBT1");
    cr_assert_eq(get_le(tok + OFF_VERSION, 2), 1, "expected version 1");
    cr_assert_eq(get_le(tok + OFF_TYPE, 2), CAP_T_ENDPOINT, "expected the type");
    cr_assert_eq(get_le(tok + OFF_TABLE, 4), t->id, "expected the table id");
    cr_assert_eq(get_le(tok + OFF_INDEX, 4), cap_handle_index(c), "expected the slot index");
    cr_assert_eq(get_le(tok + OFF_GEN, 4), cap_handle_gen(c), "expected the generation");
    cr_assert_eq(get_le(tok + OFF_RIGHTS, 4), C_RIGHTS, "expected the rights");
    cr_assert_eq(get_le(tok + OFF_OBJECT, 8), ROOT_OBJECT, "expected the object");
    cr_assert_eq(get_le(tok + OFF_CATS, 8), C_LABEL.cats, "expected the categories");
    cr_assert_eq(tok[OFF_LEVEL], C_LABEL.level, "expected the level");
    cr_assert_eq(tok[OFF_DEPTH], 1, "expected the depth");
    cr_assert_eq(get_le(tok + OFF_RESERVED, 2), 0, "expected reserved 0");
    cr_assert_eq(get_le(tok + OFF_EPOCH, 4), 0, "expected epoch 0: never revoked");
    cr_assert_eq(get_le(tok + OFF_CREATED, 8), info.created_ns, "expected the creation time");
    fb_hmac_sha256(test_key, sizeof test_key, tok, OFF_TAG, tag);
    cr_assert_arr_eq(tok + OFF_TAG, tag, sizeof tag, "expected HMAC-SHA256 of the body as tag");
    cr_assert_eq(OFF_TAG + FB_SHA256_LEN, CAP_TOKEN_LEN, "expected the tag to end the token");
}

Test(cap_token, token_carries_the_epoch_it_was_minted_under, .init = setup)
{
    uint8_t fresh[CAP_TOKEN_LEN];

    expect(cap_revoke(t, root), FB_OK);
    expect(cap_revoke(t, root), FB_OK);
    expect(cap_token_mint(t, root, fresh), FB_OK);
    cr_assert_eq(get_le(fresh + OFF_EPOCH, 4), 2, "expected epoch 2 after two revocations");
    expect(cap_token_verify(t, fresh, sizeof fresh, NULL), FB_OK);
}

Test(cap_token, minting_twice_gives_the_same_token, .init = setup)
{
    uint8_t again[CAP_TOKEN_LEN];

    expect(cap_token_mint(t, c, again), FB_OK);
    cr_assert_arr_eq(again, tok, sizeof tok, "expected identical tokens");
}

/* What minting needs. */

Test(cap_token, mint_needs_the_grant_right, .init = setup)
{
    cap_handle_t no_grant;

    expect(cap_derive(t, root, CAP_R_ALL & ~CAP_R_GRANT, C_LABEL, &no_grant), FB_OK);
    expect(cap_token_mint(t, no_grant, tok), FB_EPERM);
}

Test(cap_token, null_table_output_or_token_is_einval, .init = setup)
{
    expect(cap_token_mint(NULL, c, tok), FB_EINVAL);
    expect(cap_token_mint(t, c, NULL), FB_EINVAL);
    expect(cap_token_verify(NULL, tok, sizeof tok, NULL), FB_EINVAL);
    expect(cap_token_verify(t, NULL, CAP_TOKEN_LEN, NULL), FB_EINVAL);
    expect(cap_token_set_key(NULL, 32), FB_EINVAL);
}

Test(cap_token, mint_of_a_bad_handle_fails_as_verify_does, .init = setup)
{
    expect(cap_token_mint(t, CAP_HANDLE_NONE, tok), FB_EBADCAP);
    expect(cap_revoke(t, root), FB_OK);
    expect(cap_token_mint(t, c, tok), FB_EREVOKED);
    expect(cap_delete(t, c), FB_OK);
    expect(cap_token_mint(t, c, tok), FB_ESTALE);
}

/* Lengths. */

Test(cap_token, wrong_length_is_einval, .init = setup)
{
    uint8_t big[2 * CAP_TOKEN_LEN];
    static const size_t lengths[] = { 0, 1, OFF_TAG, CAP_TOKEN_LEN - 4, CAP_TOKEN_LEN - 1,
                                      CAP_TOKEN_LEN + 1, 2 * CAP_TOKEN_LEN };

    memcpy(big, tok, sizeof tok);
    memcpy(big + CAP_TOKEN_LEN, tok, sizeof tok);
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        int got = cap_token_verify(t, big, lengths[i], NULL);
        cr_assert_eq(got, FB_EINVAL, "expected FB_EINVAL for %zu bytes, got %s", lengths[i],
                     fb_strerror(got));
    }
}

/* Tampering without the key. */

Test(cap_token, every_single_bit_flip_is_eauth, .init = setup)
{
    for (unsigned bit = 0; bit < CAP_TOKEN_LEN * 8; bit++) {
        uint8_t bad[CAP_TOKEN_LEN];

        memcpy(bad, tok, sizeof bad);
        bad[bit / 8] ^= (uint8_t)(1u << bit % 8);
        int got = cap_token_verify(t, bad, sizeof bad, NULL);
        cr_assert_eq(got, FB_EAUTH, "expected FB_EAUTH with bit %u of byte %u flipped, got %s",
                     bit % 8, bit / 8, fb_strerror(got));
    }
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_OK);
}

/* One random mutation of tok into buf; returns the new length. */
static size_t mutate(uint8_t *buf, size_t room)
{
    uint64_t r = next_random();
    size_t len = CAP_TOKEN_LEN;

    memcpy(buf, tok, CAP_TOKEN_LEN);
    switch (r % 4) {
    case 0: /* 1 to 8 bit flips */
        for (unsigned n = 1 + (unsigned)(r >> 8) % 8; n > 0; n--) {
            unsigned bit = (unsigned)(next_random() % (CAP_TOKEN_LEN * 8));
            buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
        }
        break;
    case 1: /* 1 to 4 bytes overwritten */
        for (unsigned n = 1 + (unsigned)(r >> 8) % 4; n > 0; n--)
            buf[next_random() % CAP_TOKEN_LEN] = (uint8_t)next_random();
        break;
    case 2: /* truncated */
        len = (size_t)((r >> 8) % CAP_TOKEN_LEN);
        break;
    default: /* extended with random bytes */
        len = CAP_TOKEN_LEN + 1 + (size_t)((r >> 8) % (room - CAP_TOKEN_LEN));
        for (size_t i = CAP_TOKEN_LEN; i < len; i++)
            buf[i] = (uint8_t)next_random();
        break;
    }
    return len;
}

Test(cap_token, a_million_random_mutations_are_all_rejected, .init = setup)
{
    uint8_t buf[2 * CAP_TOKEN_LEN];
    unsigned unchanged = 0;

    for (unsigned i = 0; i < MUTATIONS; i++) {
        size_t len = mutate(buf, sizeof buf);

        if (len == CAP_TOKEN_LEN && memcmp(buf, tok, CAP_TOKEN_LEN) == 0) {
            unchanged++; /* flips that cancelled out, bytes overwritten with themselves */
            continue;
        }
        int want = len == CAP_TOKEN_LEN ? FB_EAUTH : FB_EINVAL;
        int got = cap_token_verify(t, buf, len, NULL);
        cr_assert_eq(got, want, "expected %s for mutation %u (%zu bytes), got %s", fb_strerror(want),
                     i, len, fb_strerror(got));
    }
    cr_assert_lt(unchanged, MUTATIONS / 100, "expected almost every mutation to change the token");
}

/* Tampering by someone who holds the key: the format and the live
 * capability still decide. */

Test(cap_token, forged_magic_version_or_reserved_is_einval, .init = setup)
{
    expect_forged_field(OFF_MAGIC, 4, 0x32544246, FB_EINVAL); /* "FBT2" */
    expect_forged_field(OFF_VERSION, 2, 2, FB_EINVAL);
    expect_forged_field(OFF_VERSION, 2, 0, FB_EINVAL);
    expect_forged_field(OFF_RESERVED, 2, 1, FB_EINVAL);
    expect_forged_field(OFF_RESERVED, 2, 0x8000, FB_EINVAL);
}

Test(cap_token, forged_fields_that_differ_from_the_capability_are_eauth, .init = setup)
{
    expect_forged_field(OFF_RIGHTS, 4, CAP_R_ALL, FB_EAUTH);
    expect_forged_field(OFF_RIGHTS, 4, CAP_R_READ, FB_EAUTH);
    expect_forged_field(OFF_TYPE, 2, CAP_T_MEMORY, FB_EAUTH);
    expect_forged_field(OFF_OBJECT, 8, ROOT_OBJECT + 1, FB_EAUTH);
    expect_forged_field(OFF_CATS, 8, 0, FB_EAUTH);
    expect_forged_field(OFF_LEVEL, 1, 15, FB_EAUTH);
    expect_forged_field(OFF_DEPTH, 1, 0, FB_EAUTH);
    expect_forged_field(OFF_CREATED, 8, get_le(tok + OFF_CREATED, 8) + 1, FB_EAUTH);
}

Test(cap_token, forged_epoch_is_erevoked, .init = setup)
{
    expect_forged_field(OFF_EPOCH, 4, 1, FB_EREVOKED);
    expect_forged_field(OFF_EPOCH, 4, UINT32_MAX, FB_EREVOKED);
}

Test(cap_token, forged_table_id_is_eauth, .init = setup)
{
    expect_forged_field(OFF_TABLE, 4, t->id + 1, FB_EAUTH);
}

Test(cap_token, forged_handle_fails_as_verify_does, .init = setup)
{
    uint32_t free_index = 0;

    for (uint32_t i = 0; i < 16; i++)
        if (i != cap_handle_index(root) && i != cap_handle_index(c))
            free_index = i;
    expect_forged_field(OFF_GEN, 4, cap_handle_gen(c) + 1, FB_EBADCAP);
    expect_forged_field(OFF_GEN, 4, 0, FB_EBADCAP);
    expect_forged_field(OFF_INDEX, 4, free_index, FB_EBADCAP);
    expect_forged_field(OFF_INDEX, 4, 16, FB_EBADCAP);
}

Test(cap_token, forged_to_name_another_live_capability_is_eauth, .init = setup)
{
    /* Same generation, the root's slot: the capability verifies, its
     * fields do not match the token's. */
    cr_assert_eq(cap_handle_gen(root), cap_handle_gen(c), "expected both in fresh slots");
    expect_forged_field(OFF_INDEX, 4, cap_handle_index(root), FB_EAUTH);
}

/* The capability behind the token. */

Test(cap_token, token_of_a_capability_whose_ancestor_was_revoked_is_erevoked, .init = setup)
{
    expect(cap_revoke(t, root), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_EREVOKED);
}

Test(cap_token, token_of_a_deleted_capability_is_estale, .init = setup)
{
    expect(cap_delete(t, c), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_ESTALE);
}

Test(cap_token, token_of_a_capability_whose_ancestor_was_deleted_is_erevoked, .init = setup)
{
    expect(cap_delete(t, root), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_EREVOKED);
}

Test(cap_token, token_does_not_follow_its_slot_to_a_new_capability, .init = setup)
{
    cap_handle_t again;

    expect(cap_delete(t, c), FB_OK);
    for (int i = 0; i < 15; i++)
        expect(cap_derive(t, root, C_RIGHTS, C_LABEL, &again), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_ESTALE);
}

Test(cap_token, revoking_a_capability_withdraws_its_own_tokens, .init = setup)
{
    uint8_t root_tok[CAP_TOKEN_LEN];

    expect(cap_token_mint(t, root, root_tok), FB_OK);
    expect(cap_revoke(t, root), FB_OK);
    expect(cap_verify(t, root, CAP_R_ALL), FB_OK);
    expect(cap_token_verify(t, root_tok, sizeof root_tok, NULL), FB_EREVOKED);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_EREVOKED);
}

Test(cap_token, revoking_a_sibling_leaves_other_tokens_valid, .init = setup)
{
    uint8_t root_tok[CAP_TOKEN_LEN];
    cap_handle_t r2;

    expect(cap_derive(t, root, CAP_R_ALL, C_LABEL, &r2), FB_OK);
    expect(cap_token_mint(t, root, root_tok), FB_OK);
    expect(cap_revoke(t, r2), FB_OK);
    expect(cap_token_verify(t, root_tok, sizeof root_tok, NULL), FB_OK);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_OK);
}

Test(cap_token, token_of_another_table_is_eauth, .init = setup)
{
    struct cap_table *other = new_table(16);
    cap_handle_t r2, c2;

    /* Another table holding a twin at the same index and generation. */
    expect(cap_create(other, CAP_T_ENDPOINT, ROOT_OBJECT, CAP_R_ALL, lattice_make(3, 0x11), &r2), FB_OK);
    expect(cap_derive(other, r2, C_RIGHTS, C_LABEL, &c2), FB_OK);
    cr_assert_eq(c2, c, "expected the twin to have the same handle");
    expect(cap_token_verify(other, tok, sizeof tok, NULL), FB_EAUTH);
    expect(cap_token_verify(t, tok, sizeof tok, NULL), FB_OK);
}

Test(cap_token, token_of_a_granted_capability_verifies_in_its_own_table, .init = setup)
{
    struct cap_table *other = new_table(16);
    cap_handle_t g;
    uint8_t gtok[CAP_TOKEN_LEN];

    expect(cap_grant(t, c, other, CAP_R_READ | CAP_R_GRANT, C_LABEL, &g), FB_OK);
    expect(cap_token_mint(other, g, gtok), FB_OK);
    expect(cap_token_verify(other, gtok, sizeof gtok, NULL), FB_OK);
    expect(cap_token_verify(t, gtok, sizeof gtok, NULL), FB_EAUTH);
    expect(cap_revoke(t, root), FB_OK);
    expect(cap_token_verify(other, gtok, sizeof gtok, NULL), FB_EREVOKED);
}
