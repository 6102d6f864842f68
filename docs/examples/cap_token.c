/* docs/examples/cap_token.c */
/* Capability tokens: mint one, verify it, and watch a flipped bit, a
 * wrong length, another table, a deleted capability and a revoked
 * ancestor each be refused with the documented error. Exits 0 only if
 * all of that happens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap.h"

static struct cap_slot slots[8];
static struct cap_slot other_slots[8];

/* A little-endian 32-bit field of the token. */
static unsigned le32(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}

/* Stops the example when a call does not return what the page says. */
static void expect(const char *what, int got, int want)
{
    if (got != want) {
        fprintf(stderr, "cap_token: %s returned %s, expected %s\n", what, fb_strerror(got),
                fb_strerror(want));
        exit(1);
    }
}

int main(void)
{
    struct cap_table t, other;
    struct cap_info info;
    cap_handle_t root, child, old, no_grant;
    uint8_t token[CAP_TOKEN_LEN], forged[CAP_TOKEN_LEN];

    /* The per-boot key: 32 bytes from hal_entropy (getrandom on the host). */
    expect("token key", cap_token_init(), FB_OK);
    expect("init table", cap_table_init(&t, slots, 8, lattice_top()), FB_OK);
    expect("init other table", cap_table_init(&other, other_slots, 8, lattice_top()), FB_OK);
    expect("create root", cap_create(&t, CAP_T_ENDPOINT, 42, CAP_R_ALL, lattice_bottom(), &root),
           FB_OK);

    /* Mint a token for a child that may send and grant, then verify it. */
    expect("derive child",
           cap_derive(&t, root, CAP_R_SEND | CAP_R_GRANT, lattice_make(3, 0x10), &child), FB_OK);
    expect("mint", cap_token_mint(&t, child, token), FB_OK);
    expect("verify", cap_token_verify(&t, token, sizeof token, &info), FB_OK);
    if (info.handle != child || info.object != 42 || info.rights != (CAP_R_SEND | CAP_R_GRANT) ||
        info.label.level != 3 || info.depth != 1)
        expect("the token's fields", FB_EINVAL, FB_OK);
    printf("token: magic %.4s, table %u, slot %u, generation %u, %d bytes\n", (const char *)token,
           le32(token + 8), le32(token + 12), le32(token + 16), CAP_TOKEN_LEN);

    /* Any change to the bytes breaks the tag: here one bit of the rights
     * word (asking for CAP_R_RECV too), then one bit of the tag itself. */
    memcpy(forged, token, sizeof forged);
    forged[20] ^= (uint8_t)CAP_R_RECV;
    expect("a flipped rights bit", cap_token_verify(&t, forged, sizeof forged, NULL), FB_EAUTH);
    memcpy(forged, token, sizeof forged);
    forged[CAP_TOKEN_LEN - 1] ^= 0x01;
    expect("a flipped tag bit", cap_token_verify(&t, forged, sizeof forged, NULL), FB_EAUTH);
    expect("a short token", cap_token_verify(&t, token, CAP_TOKEN_LEN - 1, NULL), FB_EINVAL);
    expect("another table", cap_token_verify(&other, token, sizeof token, NULL), FB_EAUTH);
    printf("flipped bits, short token, other table: refused\n");

    /* Minting needs CAP_R_GRANT. */
    expect("derive without grant", cap_derive(&t, root, CAP_R_SEND, lattice_bottom(), &no_grant),
           FB_OK);
    expect("mint without grant", cap_token_mint(&t, no_grant, forged), FB_EPERM);

    /* A deleted capability's token fails by generation, even once the
     * slot holds a new capability. */
    old = child;
    expect("delete child", cap_delete(&t, child), FB_OK);
    expect("token of a deleted capability", cap_token_verify(&t, token, sizeof token, NULL),
           FB_ESTALE);
    expect("reuse the slot",
           cap_derive(&t, root, CAP_R_SEND | CAP_R_GRANT, lattice_make(3, 0x10), &child), FB_OK);
    if (cap_handle_index(child) != cap_handle_index(old) ||
        cap_handle_gen(child) != cap_handle_gen(old) + 1)
        expect("the freed slot is reused first, one generation on", FB_EINVAL, FB_OK);
    expect("token after reuse", cap_token_verify(&t, token, sizeof token, NULL), FB_ESTALE);

    /* Revoking an ancestor makes the token of a descendant fail. */
    expect("mint again", cap_token_mint(&t, child, token), FB_OK);
    expect("revoke root", cap_revoke(&t, root), FB_OK);
    expect("token under a revoked ancestor", cap_token_verify(&t, token, sizeof token, NULL),
           FB_EREVOKED);
    printf("deleted, reused and revoked: refused\n");
    printf("cap_token: ok\n");
    return 0;
}
