/* Fuzz target for the capability token decoder. At start-up it fills two
 * tables with capabilities (live, revoked, deleted, granted across) and
 * mints a token for each; inputs are then raw bytes, or edits relative to
 * those tokens (XOR over a whole token, XOR over the signed fields with
 * the tag recomputed under the fixed key, or one field overwritten and
 * re-signed), so a seed stays meaningful although every run mints new
 * tokens. cap_token_verify must never crash, must accept exactly the
 * untouched tokens of capabilities that still verify, and must fail with
 * a documented code otherwise. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"
#include "hmac.h"
#include "fuzz_util.h"
#include "kerr.h"
#include "lattice.h"

#define BODY_LEN (CAP_TOKEN_LEN - FB_SHA256_LEN) /* signed bytes; the tag follows */
#define MAX_TOKENS 16
#define MAX_LEN (CAP_TOKEN_LEN + 40)

/* Input modes: the first byte modulo MODE_COUNT. */
enum mode { MODE_RAW, MODE_XOR, MODE_RESIGN, MODE_FIELD, MODE_COUNT };

/* A bit per result: bit 0 is FB_OK, bit k is error -k. */
#define E(err) (1u << -(err))

/* Every way a well-formed but wrong token may fail once its tag is right. */
#define SIGNED_ERRORS (E(FB_EINVAL) | E(FB_EAUTH) | E(FB_EBADCAP) | E(FB_ESTALE) | E(FB_EREVOKED))

/* A token minted at start-up, what verifying it must give, and the
 * capability's lookup at minting time. */
struct minted {
    uint8_t bytes[CAP_TOKEN_LEN];
    int table;
    uint32_t expect;
    struct cap_info info;
};

static const char key[] = "fuzz_cap_token fixed key 0123456";
static struct cap_slot slots_a[16], slots_b[8];
static struct cap_table tables[2];
static struct minted tokens[MAX_TOKENS];
static int n_tokens;

/* Mints a token for h in table t and records its lookup. */
static void mint(int t, cap_handle_t h)
{
    struct minted *m = &tokens[n_tokens++];

    check(cap_token_mint(&tables[t], h, m->bytes) == FB_OK);
    check(cap_lookup(&tables[t], h, &m->info) == FB_OK);
    m->table = t;
    m->expect = E(FB_OK);
}

/* Builds the fixed state: every capability holds CAP_R_GRANT and has a
 * token of its current epoch, so no well-formed signed body can name a
 * live capability without being one of the minted tokens. */
static void setup(void)
{
    const cap_rights_t use = CAP_R_READ | CAP_R_GRANT;
    cap_handle_t r1, r2, c1, g1, d1, x1, b0, b1;

    check(cap_token_set_key(key, sizeof key - 1) == FB_OK);
    check(cap_table_init(&tables[0], slots_a, 16, lattice_top()) == FB_OK);
    check(cap_table_init(&tables[1], slots_b, 8, lattice_make(7, 0xffff)) == FB_OK);
    check(cap_create(&tables[0], CAP_T_MEMORY, 0x100000, CAP_R_ALL, lattice_bottom(), &r1) == FB_OK);
    check(cap_create(&tables[0], CAP_T_ENDPOINT, 7, CAP_R_ALL, lattice_make(3, 5), &r2) == FB_OK);
    check(cap_derive(&tables[0], r1, use | CAP_R_DERIVE, lattice_make(2, 1), &c1) == FB_OK);
    check(cap_derive(&tables[0], c1, use, lattice_make(4, 3), &g1) == FB_OK);
    check(cap_derive(&tables[0], r2, use, lattice_make(3, 7), &d1) == FB_OK);
    check(cap_derive(&tables[0], r1, CAP_R_GRANT, lattice_make(1, 0), &x1) == FB_OK);
    check(cap_create(&tables[1], CAP_T_USER + 1, 42, CAP_R_ALL, lattice_make(7, 0xff), &b0) == FB_OK);
    check(cap_grant(&tables[0], r1, &tables[1], use, lattice_make(5, 0x10), &b1) == FB_OK);
    mint(0, r1);
    mint(0, r2);
    mint(0, c1);
    mint(0, g1);
    mint(0, d1);
    mint(0, x1);
    mint(1, b0);
    mint(1, b1);
    /* r2 stays valid after its revocation but its old token dies, as d1
     * does; x1 is deleted. */
    check(cap_revoke(&tables[0], r2) == FB_OK);
    tokens[1].expect = E(FB_EREVOKED);
    tokens[4].expect = E(FB_EREVOKED);
    check(cap_delete(&tables[0], x1) == FB_OK);
    tokens[5].expect = E(FB_ESTALE);
    mint(0, r2);
}

/* The minted token whose signed bytes equal body and that table t
 * issued, or -1. */
static int find_body(const uint8_t *body, int t)
{
    for (int k = 0; k < n_tokens; k++)
        if (tokens[k].table == t && memcmp(tokens[k].bytes, body, BODY_LEN) == 0)
            return k;
    return -1;
}

/* Verifies len bytes against table t and checks the result: what minted
 * token k must give when the bytes are exactly that token (k >= 0), else
 * one of the errors in otherwise. A success must report token k's
 * capability. */
static void verify(int t, const uint8_t *bytes, size_t len, int k, uint32_t otherwise, bool info)
{
    struct cap_info ci;
    uint32_t ok_results = k >= 0 ? tokens[k].expect : otherwise;
    int err = cap_token_verify(&tables[t], bytes, len, info ? &ci : NULL);

    check(err <= 0 && err > -32 && (ok_results & E(err)) != 0);
    if (err != FB_OK || !info)
        return;
    const struct cap_info *m = &tokens[k].info;
    check(ci.handle == m->handle && ci.type == m->type && ci.object == m->object);
    check(ci.rights == m->rights && ci.label.level == m->label.level &&
          ci.label.cats == m->label.cats);
    check(ci.depth == m->depth && ci.created_ns == m->created_ns);
}

/* Raw bytes: only a minted token, byte for byte, may verify. */
static void fuzz_raw(const uint8_t *data, size_t size, bool info)
{
    for (int t = 0; t < 2; t++) {
        int k = -1;

        if (size == CAP_TOKEN_LEN)
            for (int j = 0; j < n_tokens; j++)
                if (tokens[j].table == t && memcmp(tokens[j].bytes, data, size) == 0)
                    k = j;
        verify(t, data, size, k, size == CAP_TOKEN_LEN ? E(FB_EAUTH) : E(FB_EINVAL), info);
    }
}

/* Token k XOR the input (the tag included), possibly longer: verifies
 * only when nothing changed. */
static void fuzz_xor(int k, int t, const uint8_t *data, size_t size, bool info)
{
    uint8_t buf[MAX_LEN];
    size_t len = size > CAP_TOKEN_LEN ? (size < MAX_LEN ? size : MAX_LEN) : CAP_TOKEN_LEN;
    bool same;

    memset(buf, 0, sizeof buf);
    memcpy(buf, tokens[k].bytes, CAP_TOKEN_LEN);
    for (size_t i = 0; i < size && i < len; i++)
        buf[i] ^= data[i];
    same = len == CAP_TOKEN_LEN && memcmp(buf, tokens[k].bytes, CAP_TOKEN_LEN) == 0;
    verify(t, buf, len, same && t == tokens[k].table ? k : -1,
           len != CAP_TOKEN_LEN ? E(FB_EINVAL) : E(FB_EAUTH), info);
}

/* Signs body under the fixed key and verifies it against table t: it
 * must verify exactly when the body is a minted token's. */
static void verify_signed(int t, uint8_t *buf, bool info)
{
    fb_hmac_sha256(key, sizeof key - 1, buf, BODY_LEN, buf + BODY_LEN);
    verify(t, buf, CAP_TOKEN_LEN, find_body(buf, t), SIGNED_ERRORS, info);
}

/* Token k's signed fields XOR the input, re-signed. */
static void fuzz_resign(int k, int t, const uint8_t *data, size_t size, bool info)
{
    uint8_t buf[CAP_TOKEN_LEN];

    memcpy(buf, tokens[k].bytes, CAP_TOKEN_LEN);
    for (size_t i = 0; i < size && i < BODY_LEN; i++)
        buf[i] ^= data[i];
    verify_signed(t, buf, info);
}

/* Token k with one field (offset, width) overwritten by the input's next
 * bytes, re-signed: the format checks and the comparison with the live
 * capability, field by field. */
static void fuzz_field(int k, int t, const uint8_t *data, size_t size, bool info)
{
    static const struct { uint8_t off, len; } fields[] = {
        { 0, 4 },  { 4, 2 },  { 6, 2 },  { 8, 4 },  { 12, 4 }, { 16, 4 }, { 20, 4 },
        { 24, 8 }, { 32, 8 }, { 40, 1 }, { 41, 1 }, { 42, 2 }, { 44, 4 }, { 48, 8 },
    };
    uint8_t buf[CAP_TOKEN_LEN];

    if (size == 0)
        return;
    unsigned f = data[0] % (sizeof fields / sizeof fields[0]);
    size_t n = size - 1 < fields[f].len ? size - 1 : fields[f].len;

    memcpy(buf, tokens[k].bytes, CAP_TOKEN_LEN);
    memcpy(buf + fields[f].off, data + 1, n);
    verify_signed(t, buf, info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;

    if (!ready) {
        setup();
        ready = true;
    }
    if (size < 2)
        return 0;
    /* Byte 1: which token, against which table, with or without info. */
    int k = (data[1] & 0x3f) % n_tokens;
    int t = (data[1] & 0x80) ? 1 - tokens[k].table : tokens[k].table;
    bool info = (data[1] & 0x40) == 0;

    switch ((enum mode)(data[0] % MODE_COUNT)) {
    case MODE_RAW: fuzz_raw(data + 1, size - 1, info); break;
    case MODE_XOR: fuzz_xor(k, t, data + 2, size - 2, info); break;
    case MODE_RESIGN: fuzz_resign(k, t, data + 2, size - 2, info); break;
    default: fuzz_field(k, t, data + 2, size - 2, info); break;
    }
    return 0;
}
