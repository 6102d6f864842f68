/* systest group "env": null, env_self and every env_* syscall, using
 * /bin/hello (prints, exits 42) and /bin/spin (never enters the kernel)
 * as children. */
#include "systest.h"

static char long_path[EXO_PATH_MAX + 2];
static char long_args[EXO_ARGS_MAX + 1];

/* Handle-suite wrappers: one syscall each, every other argument valid. */
static int64_t h_start(cap_handle_t h) { return exo_env_start(h, "x", 1); }
static int64_t h_wait(cap_handle_t h) { int64_t c; return exo_env_wait(h, &c); }
static int64_t h_info(cap_handle_t h) { struct exo_env_info i; return exo_env_info(h, &i); }
static int64_t h_kill(cap_handle_t h) { return exo_env_kill(h); }
static int64_t h_pers(cap_handle_t h) { return exo_env_set_personality(h, EXO_PERS_NATIVE); }
static int64_t h_gas(cap_handle_t h) { return exo_env_set_gas(h, 5000); }

/* The label h_label sets: the child's own, which dominates itself. */
static uint32_t label_level;
static uint64_t label_cats;
static int64_t h_label(cap_handle_t h) { return exo_env_set_label(h, label_level, label_cats); }

/* null and env_self, and what env_info says about the caller. */
static void test_self(void)
{
    struct exo_env_info me;

    CHECK(exo_null(), 0);
    CHECK(exo_syscall6(SYS_null, ~0ull, 1, 2, 3, 4, 5), 0);
    int64_t self = CHECK_OK(exo_env_self());
    CHECK_TRUE(self >= 1);
    if (CHECK(exo_env_info(0, &me), FB_OK) != FB_OK)
        return;
    CHECK_TRUE(me.id == (uint64_t)self);
    CHECK_TRUE(me.state == EXO_ENV_RUNNING);
    CHECK_TRUE(me.parent != 0 && me.parent != me.id);
    const char *base = strrchr(me.name, '/');
    CHECK_TRUE(base != NULL && strcmp(base, "/systest") == 0);
    CHECK_TRUE(me.pages > 0 && me.syscalls > 0);
}

/* env_create: every way to name a program badly, then a good one. */
static void test_create(void)
{
    char *edge = (char *)(edge_page + PAGE - 7);

    for (size_t i = 0; i < n_bad_in; i++) {
        check_note("path", bad_in[i]);
        CHECK(exo_env_create((const char *)bad_in[i], 10, 0), FB_EFAULT);
    }
    check_note(NULL, 0);
    memcpy(edge, "/bin/he", 7);                /* "llo" would be in the unmapped page */
    CHECK(exo_env_create(edge, 10, 0), FB_EFAULT);
    memset(long_path, 'a', sizeof long_path);
    long_path[0] = '/';
    CHECK(exo_env_create(long_path, EXO_PATH_MAX + 1, 0), FB_ERANGE);
    CHECK(exo_env_create(long_path, 1ull << 40, 0), FB_ERANGE);
    CHECK2(exo_env_create("/bin/hello", 0, 0), FB_EINVAL, FB_ENOENT);
    CHECK2(exo_env_create("/bin/hello\0x", 12, 0), FB_EINVAL, FB_ENOENT);
    CHECK2(exo_env_create("bin/hello", 9, 0), FB_EINVAL, FB_ENOENT);
    CHECK(exo_env_create("/bin/nope", 9, 0), FB_ENOENT);
    CHECK(exo_env_create("/bin", 4, 0), FB_EINVAL);
    CHECK(exo_env_create("/etc/motd", 9, 0), FB_EINVAL);
    CHECK(exo_env_create("/bin/hello", 10, 1), FB_EINVAL);
    CHECK(exo_env_create("/bin/hello", 10, 1ull << 63), FB_EINVAL);

    cap_handle_t h = make_child(__FILE__, __LINE__, "hello");
    struct exo_cap_info ci;
    struct exo_env_info info;
    if (h == 0)
        return;
    if (CHECK(exo_cap_info(h, &ci), FB_OK) == FB_OK) {
        CHECK_TRUE(ci.type == CAP_T_ENV && ci.rights == CAP_R_ALL && ci.depth == 0);
    }
    if (CHECK(exo_env_info(h, &info), FB_OK) == FB_OK) {
        CHECK_TRUE(info.state == EXO_ENV_CREATED);
        CHECK_TRUE(info.parent == (uint64_t)exo_env_self());
        CHECK_TRUE(strcmp(info.name, "/bin/hello") == 0);
        CHECK_TRUE(ci.object == info.id);
    }
    drop_child(h);
}

/* env_start, env_exit (hello's) and env_wait. */
static void test_start_wait(void)
{
    int64_t code = 0;
    struct exo_env_info info;
    cap_handle_t h = make_child(__FILE__, __LINE__, "hello");

    if (h == 0)
        return;
    CHECK_HANDLES(h_start, h, CAP_R_WRITE, HANDLE_TYPED);
    for (size_t i = 0; i < n_bad_in; i++) {
        check_note("args", bad_in[i]);
        CHECK(exo_env_start(h, (const char *)bad_in[i], 3), FB_EFAULT);
    }
    check_note(NULL, 0);
    memset(long_args, 'a', sizeof long_args);
    CHECK(exo_env_start(h, long_args, EXO_ARGS_MAX), FB_ERANGE);
    CHECK(exo_env_start(h, long_args, 1ull << 40), FB_ERANGE);
    CHECK(exo_env_info(h, &info), FB_OK);
    CHECK_TRUE(info.state == EXO_ENV_CREATED);      /* the failures started nothing */
    CHECK(exo_env_start(h, long_args, EXO_ARGS_MAX - 1), FB_OK);
    /* hello may already have ended (FB_ESTALE): either way no second start. */
    CHECK2(exo_env_start(h, "again", 5), FB_EBUSY, FB_ESTALE);

    /* A bad result pointer must not cost the exit code. */
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("code", bad_out[i]);
        CHECK(exo_env_wait(h, (int64_t *)bad_out[i]), FB_EFAULT);
    }
    check_note(NULL, 0);
    CHECK(exo_env_wait(h, &code), (int64_t)info.id);
    CHECK(code, HELLO_EXIT);
    CHECK2(exo_env_wait(h, &code), FB_ESTALE, FB_ENOENT);

    cap_handle_t own = own_env_cap();
    if (CHECK_TRUE(own != 0))
        CHECK(exo_env_wait(own, &code), FB_EINVAL);

    /* The handle suite on a child that has exited but is not reaped, so
     * a wrongly accepted handle cannot block. */
    h = make_child(__FILE__, __LINE__, "hello");
    if (h == 0)
        return;
    CHECK(exo_env_start(h, "", 0), FB_OK);
    if (CHECK_TRUE(wait_exited(h))) {
        CHECK_HANDLES(h_wait, h, CAP_R_READ, HANDLE_TYPED);
        CHECK(exo_env_info(h, &info), FB_OK);
        CHECK_TRUE(info.state == EXO_ENV_EXITED && info.exit_code == HELLO_EXIT);
    }
    CHECK_OK(exo_env_wait(h, &code));
    CHECK(code, HELLO_EXIT);
}

/* env_info and env_list. */
static void test_info_list(void)
{
    static struct exo_env_info list[64];
    struct exo_env_info two[2];
    cap_handle_t h = make_child(__FILE__, __LINE__, "hello");
    int64_t self = exo_env_self();

    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_env_info(0, (struct exo_env_info *)bad_out[i]), FB_EFAULT);
        CHECK(exo_env_list((struct exo_env_info *)bad_out[i], 4), FB_EFAULT);
    }
    check_note(NULL, 0);
    if (h != 0)
        CHECK_HANDLES(h_info, h, CAP_R_READ, HANDLE_TYPED | HANDLE_ZERO_IS_SELF);

    int64_t n = CHECK_OK(exo_env_list(NULL, 0));
    CHECK_TRUE(n >= 3);                            /* a parent, systest, the child */
    int64_t m = CHECK_OK(exo_env_list(list, 64));
    CHECK(m, n);
    bool found = false, sorted = true;
    for (int64_t i = 0; i < m && i < 64; i++) {
        found |= list[i].id == (uint64_t)self;
        sorted &= i == 0 || list[i].id > list[i - 1].id;
    }
    CHECK_TRUE(found && sorted);
    two[1].id = 0xdeadbeef;
    CHECK(exo_env_list(two, 1), n);
    CHECK_TRUE(two[1].id == 0xdeadbeef);           /* nothing past max is written */
    drop_child(h);
}

/* env_kill: a running child that never makes a syscall, one never
 * started, and the handle suite. */
static void test_kill(void)
{
    int64_t code = 0;
    cap_handle_t s = make_child(__FILE__, __LINE__, "spin");
    cap_handle_t c = make_child(__FILE__, __LINE__, "hello");

    if (s != 0 && CHECK(exo_env_start(s, "", 0), FB_OK) == FB_OK) {
        exo_yield();
        CHECK_HANDLES(h_kill, s, CAP_R_WRITE, HANDLE_TYPED);
        CHECK(exo_env_kill(s), FB_OK);
        CHECK_OK(exo_env_wait(s, &code));
        CHECK(code, EXO_EXIT_KILLED);
    }
    if (c != 0) {
        CHECK(exo_env_kill(c), FB_OK);
        CHECK_OK(exo_env_wait(c, &code));
        CHECK(code, EXO_EXIT_KILLED);
    }
}

/* env_set_personality, env_set_label and env_set_gas on a child that
 * was not started, then the personality on a running one. */
static void test_settings(void)
{
    struct exo_env_info info;
    cap_handle_t h = make_child(__FILE__, __LINE__, "hello");
    cap_handle_t s = make_child(__FILE__, __LINE__, "spin");

    if (h == 0 || CHECK(exo_env_info(h, &info), FB_OK) != FB_OK) {
        drop_child(h);
        drop_child(s);
        return;
    }
    CHECK(exo_env_set_personality(h, EXO_PERS_LINUX), FB_OK);
    CHECK(exo_env_info(h, &info), FB_OK);
    CHECK(info.personality, EXO_PERS_LINUX);
    CHECK(exo_env_set_personality(h, EXO_PERS_ILLUMOS + 1), FB_EINVAL);
    CHECK(exo_syscall2(SYS_env_set_personality, h, HI | EXO_PERS_LINUX), FB_EINVAL);
    CHECK(exo_env_set_personality(h, EXO_PERS_NATIVE), FB_OK);
    CHECK_HANDLES(h_pers, h, CAP_R_WRITE, HANDLE_TYPED);

    CHECK(exo_env_set_gas(h, 1000), FB_OK);
    CHECK(exo_env_info(h, &info), FB_OK);
    CHECK(info.gas, 1000);
    CHECK(exo_env_set_gas(h, -1), FB_EINVAL);
    CHECK(exo_env_set_gas(h, INT64_MIN), FB_EINVAL);
    CHECK(exo_env_set_gas(h, 0), FB_OK);
    cap_handle_t own = own_env_cap();
    if (CHECK_TRUE(own != 0))
        CHECK(exo_env_set_gas(own, 1u << 30), FB_EPERM);        /* not one's own budget */
    CHECK_HANDLES(h_gas, h, CAP_R_WRITE, HANDLE_TYPED);

    CHECK(exo_env_info(h, &info), FB_OK);
    label_level = info.level;
    label_cats = info.cats;
    CHECK_HANDLES(h_label, h, CAP_R_WRITE, HANDLE_TYPED);
    CHECK(exo_env_set_label(h, 16, info.cats), FB_EINVAL);
    CHECK(exo_syscall3(SYS_env_set_label, h, HI | info.level, info.cats), FB_EINVAL);
    if (info.level < 15) {
        CHECK(exo_env_set_label(h, info.level + 1, info.cats | 1), FB_OK);
        CHECK(exo_env_info(h, &info), FB_OK);
        CHECK_TRUE(info.level == label_level + 1 && info.cats == (label_cats | 1));
        CHECK(exo_env_set_label(h, label_level, label_cats), FB_EPERM);     /* lower */
        CHECK(exo_env_set_label(h, info.level, 0), FB_EPERM);                /* drops a category */
    }

    if (s != 0 && CHECK(exo_env_start(s, "", 0), FB_OK) == FB_OK)
        CHECK(exo_env_set_personality(s, EXO_PERS_LINUX), FB_EBUSY);
    drop_child(s);
    drop_child(h);
}

/* env_args: the caller's argument string, and buffers too small or bad. */
static void test_args(void)
{
    char buf[EXO_ARGS_MAX];
    int64_t len = (int64_t)strlen(systest_args);

    CHECK(exo_env_args(buf, sizeof buf), len);
    CHECK_TRUE(strcmp(buf, systest_args) == 0);
    CHECK(exo_env_args(buf, (size_t)len + 1), len);
    CHECK(exo_env_args(buf, (size_t)len), FB_ERANGE);
    CHECK(exo_env_args(buf, 0), FB_ERANGE);
    for (size_t i = 0; i < n_bad_out; i++) {
        if (bad_out[i] == edge_page + PAGE - 4 && len < 4)
            continue;   /* the string and its NUL fit before the edge */
        check_note("buf", bad_out[i]);
        CHECK(exo_env_args((char *)bad_out[i], sizeof buf), FB_EFAULT);
    }
    check_note(NULL, 0);
}

/* A fault in user mode ends only the faulting environment, with
 * EXO_EXIT_FAULT (the kernel prints a report); the caller goes on. */
static void test_faults(void)
{
    static const char *const kinds[] = { "pf", "ro", "ud", "gp", "de" };

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        cap_handle_t h = make_child(__FILE__, __LINE__, "fault");
        int64_t code = 0;

        if (h == 0)
            continue;
        check_note(kinds[i], 0);
        CHECK(exo_env_start(h, kinds[i], strlen(kinds[i])), FB_OK);
        CHECK_OK(exo_env_wait(h, &code));
        CHECK(code, EXO_EXIT_FAULT);
        check_note(NULL, 0);
    }
}

/* The group. */
void test_env(void)
{
    test_self();
    test_create();
    test_start_wait();
    test_info_list();
    test_kill();
    test_settings();
    test_args();
    test_faults();
}
