/* systest group "cap": creating, deriving, revoking, deleting, verifying,
 * granting, tokens, and reading the table (cap_info, cap_list). */
#include "systest.h"

#define OBJ 77u
#define UTYPE (CAP_T_USER + 1)
#define TOKEN_BUF 128

static uint32_t my_level;
static uint64_t my_cats;
static cap_handle_t grant_target;   /* a child environment, not started */

/* Handle-suite wrappers. */
static int64_t h_info(cap_handle_t h) { struct exo_cap_info i; return exo_cap_info(h, &i); }
static int64_t h_verify(cap_handle_t h) { return exo_cap_verify(h, CAP_R_READ); }
static int64_t h_revoke(cap_handle_t h) { return exo_cap_revoke(h); }
static int64_t h_delete(cap_handle_t h) { return exo_cap_delete(h); }

/* cap_derive, deleting what it made. */
static int64_t h_derive(cap_handle_t h)
{
    int64_t r = exo_cap_derive(h, CAP_R_READ, my_level, my_cats);

    if (r > 0)
        exo_cap_delete((cap_handle_t)r);
    return r;
}

/* cap_grant of h to the grant target. */
static int64_t h_grant(cap_handle_t h)
{
    return exo_cap_grant(h, grant_target, CAP_R_READ, my_level, my_cats);
}

/* cap_token_mint of h. */
static int64_t h_mint(cap_handle_t h)
{
    uint8_t tok[TOKEN_BUF];

    return exo_cap_token_mint(h, tok, sizeof tok);
}

/* A fresh root of the test type with every right, or 0. */
static cap_handle_t new_root(void)
{
    int64_t h = CHECK_OK(exo_cap_create(UTYPE, OBJ, CAP_R_ALL));

    return h > 0 ? (cap_handle_t)h : 0;
}

/* cap_create and cap_info. */
static void test_create_info(void)
{
    struct exo_cap_info ci;
    cap_handle_t h = new_root();

    if (h == 0)
        return;
    if (CHECK(exo_cap_info(h, &ci), FB_OK) == FB_OK) {
        CHECK_TRUE(ci.handle == h && ci.type == UTYPE && ci.object == OBJ);
        CHECK_TRUE(ci.rights == CAP_R_ALL && ci.depth == 0 && ci.level == my_level);
    }
    for (uint32_t t = CAP_T_MEMORY; t <= CAP_T_FILE; t++) {
        check_note("type", t);
        CHECK(exo_cap_create(t, OBJ, CAP_R_ALL), FB_EPERM);   /* kernel types */
    }
    check_note(NULL, 0);
    CHECK2(exo_cap_create(0, OBJ, CAP_R_ALL), FB_EINVAL, FB_EPERM);
    CHECK(exo_cap_create(CAP_T_MAX + 1, OBJ, CAP_R_ALL), FB_EINVAL);
    CHECK(exo_syscall3(SYS_cap_create, HI | CAP_T_USER, OBJ, CAP_R_ALL), FB_EINVAL);
    CHECK(exo_cap_create(UTYPE, OBJ, CAP_R_ALL + 1), FB_EINVAL);
    CHECK(exo_syscall3(SYS_cap_create, UTYPE, OBJ, HI | CAP_R_READ), FB_EINVAL);
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_cap_info(h, (struct exo_cap_info *)bad_out[i]), FB_EFAULT);
    }
    check_note(NULL, 0);
    CHECK_HANDLES(h_info, h, 0, 0);
    CHECK(exo_cap_delete(h), FB_OK);
}

/* cap_derive: attenuation only, the depth bound, bad rights and labels. */
static void test_derive(void)
{
    static cap_handle_t chain[128];
    struct exo_cap_info ci;
    cap_handle_t h = new_root();

    if (h == 0)
        return;
    int64_t d = CHECK_OK(exo_cap_derive(h, CAP_R_READ | CAP_R_DERIVE, my_level, my_cats));
    if (d > 0 && CHECK(exo_cap_info((cap_handle_t)d, &ci), FB_OK) == FB_OK)
        CHECK_TRUE(ci.depth == 1 && ci.rights == (CAP_R_READ | CAP_R_DERIVE) && ci.object == OBJ);
    CHECK(exo_cap_derive((cap_handle_t)d, CAP_R_READ | CAP_R_WRITE, my_level, my_cats), FB_EPERM);
    int64_t r = CHECK_OK(exo_cap_derive(h, CAP_R_READ, my_level, my_cats));
    CHECK(exo_cap_derive((cap_handle_t)r, CAP_R_READ, my_level, my_cats), FB_EPERM); /* no DERIVE */
    CHECK(exo_cap_derive(h, CAP_R_ALL + 1, my_level, my_cats), FB_EINVAL);
    CHECK(exo_syscall4(SYS_cap_derive, h, HI | CAP_R_READ, my_level, my_cats), FB_EINVAL);
    CHECK(exo_cap_derive(h, CAP_R_READ, 16, my_cats), FB_EINVAL);
    CHECK(exo_syscall4(SYS_cap_derive, h, CAP_R_READ, HI | my_level, my_cats), FB_EINVAL);
    CHECK_HANDLES(h_derive, h, CAP_R_DERIVE, 0);

    /* Derive down a chain until the depth bound stops it. */
    size_t n = 0;
    int64_t last = (int64_t)h;
    while (n < 128 && (last = exo_cap_derive(n == 0 ? h : chain[n - 1], CAP_R_ALL, my_level,
                                             my_cats)) > 0)
        chain[n++] = (cap_handle_t)last;
    CHECK(last, FB_EDEPTH);
    while (n > 0)
        CHECK(exo_cap_delete(chain[--n]), FB_OK);
    exo_cap_delete((cap_handle_t)r);
    exo_cap_delete((cap_handle_t)d);
    CHECK(exo_cap_delete(h), FB_OK);
}

/* cap_revoke, cap_delete and cap_verify. */
static void test_revoke_delete_verify(void)
{
    cap_handle_t h = new_root();

    if (h == 0)
        return;
    int64_t c1 = CHECK_OK(exo_cap_derive(h, CAP_R_ALL, my_level, my_cats));
    int64_t c2 = CHECK_OK(exo_cap_derive((cap_handle_t)c1, CAP_R_READ, my_level, my_cats));
    int64_t weak = CHECK_OK(exo_cap_derive(h, CAP_R_READ | CAP_R_DERIVE, my_level, my_cats));
    CHECK(exo_cap_verify(h, CAP_R_ALL), FB_OK);
    CHECK(exo_cap_verify(h, 0), FB_OK);
    CHECK(exo_cap_verify((cap_handle_t)c2, CAP_R_READ), FB_OK);
    CHECK(exo_cap_verify((cap_handle_t)c2, CAP_R_WRITE), FB_EPERM);
    CHECK(exo_cap_verify(h, CAP_R_ALL + 1), FB_EINVAL);
    CHECK(exo_syscall2(SYS_cap_verify, h, HI | CAP_R_READ), FB_EINVAL);
    CHECK_HANDLES(h_verify, h, CAP_R_READ, 0);

    CHECK(exo_cap_revoke((cap_handle_t)weak), FB_EPERM);                  /* no REVOKE */
    CHECK_HANDLES(h_revoke, h, CAP_R_REVOKE, 0);
    CHECK(exo_cap_revoke(h), FB_OK);
    CHECK(exo_cap_verify((cap_handle_t)c1, 0), FB_EREVOKED);
    CHECK(exo_cap_verify((cap_handle_t)c2, 0), FB_EREVOKED);
    CHECK(exo_cap_info((cap_handle_t)c2, &(struct exo_cap_info){ 0 }), FB_EREVOKED);
    CHECK(exo_cap_verify(h, CAP_R_ALL), FB_OK);                          /* h itself lives */
    int64_t again = CHECK_OK(exo_cap_derive(h, CAP_R_READ, my_level, my_cats));
    CHECK(exo_cap_verify((cap_handle_t)again, CAP_R_READ), FB_OK);

    CHECK(exo_cap_delete((cap_handle_t)c2), FB_OK);                       /* dead may be deleted */
    CHECK(exo_cap_delete((cap_handle_t)again), FB_OK);
    CHECK(exo_cap_delete((cap_handle_t)again), FB_ESTALE);
    CHECK(exo_cap_verify((cap_handle_t)again, 0), FB_ESTALE);
    CHECK_HANDLES(h_delete, h, 0, HANDLE_DEAD_OK);
    exo_cap_delete((cap_handle_t)c1);
    CHECK(exo_cap_delete(h), FB_OK);
}

/* cap_grant into a child's table. */
static void test_grant(void)
{
    cap_handle_t h = new_root();
    cap_handle_t own = own_env_cap();

    grant_target = make_child(__FILE__, __LINE__, "hello");
    if (h == 0 || grant_target == 0) {
        drop_child(grant_target);
        return;
    }
    CHECK_OK(exo_cap_grant(h, grant_target, CAP_R_READ, my_level, my_cats));
    int64_t nogrant = CHECK_OK(derive_with(h, CAP_R_READ | CAP_R_WRITE));
    CHECK(exo_cap_grant((cap_handle_t)nogrant, grant_target, CAP_R_READ, my_level, my_cats),
          FB_EPERM);
    int64_t weak = CHECK_OK(derive_with(h, CAP_R_READ | CAP_R_GRANT));
    CHECK(exo_cap_grant((cap_handle_t)weak, grant_target, CAP_R_READ | CAP_R_WRITE, my_level,
                        my_cats), FB_EPERM);                               /* amplifies */
    int64_t env_ro = CHECK_OK(derive_with(grant_target, CAP_R_READ));
    CHECK(exo_cap_grant(h, (cap_handle_t)env_ro, CAP_R_READ, my_level, my_cats), FB_EPERM);
    CHECK(exo_cap_grant(h, user_cap, CAP_R_READ, my_level, my_cats), FB_EINVAL);
    CHECK(exo_cap_grant(h, 0, CAP_R_READ, my_level, my_cats), FB_EBADCAP);
    CHECK(exo_cap_grant(h, grant_target, CAP_R_ALL + 1, my_level, my_cats), FB_EINVAL);
    CHECK(exo_cap_grant(h, grant_target, CAP_R_READ, 16, my_cats), FB_EINVAL);
    if (CHECK_TRUE(own != 0))
        CHECK(exo_cap_grant(h, own, CAP_R_READ, my_level, my_cats), FB_EINVAL);   /* own table */
    CHECK_HANDLES(h_grant, h, CAP_R_GRANT, 0);
    exo_cap_delete((cap_handle_t)nogrant);
    exo_cap_delete((cap_handle_t)weak);
    exo_cap_delete((cap_handle_t)env_ro);
    exo_cap_delete(h);
    drop_child(grant_target);
}

/* cap_token_mint and cap_token_verify: round trip, tampering, lengths,
 * and tokens of capabilities that died since. */
static void test_tokens(void)
{
    uint8_t tok[TOKEN_BUF];
    struct exo_cap_info ci;
    cap_handle_t h = new_root();

    if (h == 0)
        return;
    int64_t r = exo_cap_token_mint(h, tok, sizeof tok);
    if (r == FB_EAGAIN) {
        printf("systest: note: the kernel has no token key; token round trips skipped\n");
        exo_cap_delete(h);
        return;
    }
    CHECK(r, CAP_TOKEN_LEN);
    if (CHECK(exo_cap_token_verify(tok, CAP_TOKEN_LEN, &ci), FB_OK) == FB_OK)
        CHECK_TRUE(ci.type == UTYPE && ci.object == OBJ && ci.handle == h);
    tok[CAP_TOKEN_LEN - 1] ^= 1;
    CHECK(exo_cap_token_verify(tok, CAP_TOKEN_LEN, &ci), FB_EAUTH);
    tok[CAP_TOKEN_LEN - 1] ^= 1;
    tok[8] ^= 0x80;
    CHECK(exo_cap_token_verify(tok, CAP_TOKEN_LEN, &ci), FB_EAUTH);
    tok[8] ^= 0x80;
    CHECK(exo_cap_token_verify(tok, CAP_TOKEN_LEN - 1, &ci), FB_EINVAL);
    CHECK(exo_cap_token_verify(tok, CAP_TOKEN_LEN + 1, &ci), FB_EINVAL);
    CHECK(exo_cap_token_mint(h, tok, CAP_TOKEN_LEN - 1), FB_ERANGE);
    for (size_t i = 0; i < n_bad_in; i++) {
        check_note("token", bad_in[i]);
        CHECK(exo_cap_token_verify((const void *)bad_in[i], CAP_TOKEN_LEN, &ci), FB_EFAULT);
    }
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_cap_token_mint(h, (void *)bad_out[i], CAP_TOKEN_LEN), FB_EFAULT);
        CHECK(exo_cap_token_verify(tok, CAP_TOKEN_LEN, (struct exo_cap_info *)bad_out[i]),
              FB_EFAULT);
    }
    check_note(NULL, 0);
    int64_t nogrant = CHECK_OK(derive_with(h, CAP_R_READ));
    CHECK(exo_cap_token_mint((cap_handle_t)nogrant, tok, sizeof tok), FB_EPERM);
    CHECK_HANDLES(h_mint, h, CAP_R_GRANT, 0);

    int64_t child = CHECK_OK(derive_with(h, CAP_R_READ | CAP_R_GRANT));
    CHECK(exo_cap_token_mint((cap_handle_t)child, tok, sizeof tok), CAP_TOKEN_LEN);
    CHECK(exo_cap_revoke(h), FB_OK);
    CHECK(exo_cap_token_verify(tok, CAP_TOKEN_LEN, &ci), FB_EREVOKED);
    CHECK(exo_cap_token_mint(h, tok, sizeof tok), CAP_TOKEN_LEN);
    CHECK(exo_cap_delete(h), FB_OK);
    CHECK(exo_cap_token_verify(tok, CAP_TOKEN_LEN, &ci), FB_ESTALE);
    exo_cap_delete((cap_handle_t)nogrant);
    exo_cap_delete((cap_handle_t)child);
}

/* cap_list: what it returns and how it pages. */
static void test_list(void)
{
    static struct exo_cap_info list[64];
    struct exo_cap_info two[2];
    cap_handle_t h = new_root();

    int64_t n = CHECK_OK(exo_cap_list(list, 64, 0));
    CHECK_TRUE(n >= 2);                                     /* our env, user_cap, h */
    bool found = false, sorted = true, valid = true;
    for (int64_t i = 0; i < n && i < 64; i++) {
        found |= list[i].handle == h;
        sorted &= i == 0 || (uint32_t)list[i].handle > (uint32_t)list[i - 1].handle;
        valid &= exo_cap_verify(list[i].handle, 0) == FB_OK;
    }
    CHECK_TRUE(found && sorted && valid);
    CHECK(exo_cap_list(list, 0, 0), 0);
    two[1].handle = 0xdeadbeef;
    CHECK(exo_cap_list(two, 1, 0), 1);
    CHECK_TRUE(two[1].handle == 0xdeadbeef);
    int64_t after = CHECK_OK(exo_cap_list(list, 64, (uint32_t)h + 1));
    bool skipped = true;
    for (int64_t i = 0; i < after && i < 64; i++)
        skipped &= (uint32_t)list[i].handle > (uint32_t)h;
    CHECK_TRUE(skipped);
    CHECK(exo_cap_list(list, 64, 0xffffffffu), 0);
    CHECK(exo_syscall3(SYS_cap_list, (uintptr_t)list, 64, HI), FB_EINVAL);
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_cap_list((struct exo_cap_info *)bad_out[i], 2, 0), FB_EFAULT);
    }
    check_note(NULL, 0);
    exo_cap_delete(h);
}

/* The group. */
void test_cap(void)
{
    struct exo_env_info me;

    exo_env_info(0, &me);
    my_level = me.level;
    my_cats = me.cats;
    test_create_info();
    test_derive();
    test_revoke_delete_verify();
    test_grant();
    test_tokens();
    test_list();
}
