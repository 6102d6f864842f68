/* The checking kit (systest.h): comparing results and reporting
 * mismatches, the bad-handle suite, and children to test on. */
#include "systest.h"

unsigned long checks_run, checks_failed;

static const char *note_name;
static uint64_t note_value;

/* Describes v as an error name or a number. */
static void describe(int64_t v, char *buf, size_t size)
{
    if (v == WANT_OK)
        snprintf(buf, size, "a value >= 0");
    else if (v < 0 && v > -64)
        snprintf(buf, size, "%s (%ld)", fb_strerror((int)v), (long)v);
    else
        snprintf(buf, size, "%ld (%#lx)", (long)v, (unsigned long)v);
}

/* Prints the note of a loop check, if one is set. */
static void print_note(void)
{
    if (note_name != NULL)
        printf(" (%s=%#lx)", note_name, (unsigned long)note_value);
    printf("\n");
}

/* Sets the note; see systest.h. */
void check_note(const char *name, uint64_t value)
{
    note_name = name;
    note_value = value;
}

/* Counts one check; see systest.h. */
int64_t check_result(const char *file, int line, const char *expr, int64_t got, int64_t want,
                     int64_t alt)
{
    char w[48], a[48], g[48];
    bool ok = want == WANT_OK ? got >= 0 : got == want || (alt != WANT_NONE && got == alt);

    checks_run++;
    if (ok)
        return got;
    checks_failed++;
    describe(want, w, sizeof w);
    describe(got, g, sizeof g);
    if (alt != WANT_NONE)
        describe(alt, a, sizeof a);
    printf("systest: FAIL %s:%d: %s: expected %s%s%s, got %s", file, line, expr, w,
           alt != WANT_NONE ? " or " : "", alt != WANT_NONE ? a : "", g);
    print_note();
    return got;
}

/* Counts one condition check; see systest.h. */
bool check_true(const char *file, int line, const char *expr, bool ok)
{
    checks_run++;
    if (!ok) {
        checks_failed++;
        printf("systest: FAIL %s:%d: expected %s", file, line, expr);
        print_note();
    }
    return ok;
}

/* One check of the handle suite, named "call: what". */
static void hcheck(const char *file, int line, const char *name, const char *what, int64_t got,
                   int64_t want, int64_t alt)
{
    char expr[96];

    snprintf(expr, sizeof expr, "%s: %s", name, what);
    check_result(file, line, expr, got, want, alt);
}

/* See systest.h. */
int64_t derive_with(cap_handle_t h, uint32_t rights)
{
    struct exo_cap_info ci;
    int64_t r = exo_cap_info(h, &ci);

    return r < 0 ? r : exo_cap_derive(h, rights, ci.level, ci.cats);
}

/* The bad-handle suite; see systest.h. */
void check_handles(const char *file, int line, const char *name, handle_call_fn call,
                   cap_handle_t good, uint32_t need, unsigned flags)
{
    struct exo_cap_info gi;

    if (check_result(file, line, "cap_info(good handle)", exo_cap_info(good, &gi), FB_OK,
                     WANT_NONE) != FB_OK)
        return;
    if ((flags & HANDLE_ZERO_IS_SELF) == 0)
        hcheck(file, line, name, "handle 0", call(0), FB_EBADCAP, WANT_NONE);
    hcheck(file, line, name, "garbage handle", call(0x00000bad00000fffull), FB_EBADCAP,
           WANT_NONE);
    hcheck(file, line, name, "wrong generation", call(good ^ (0x5aull << 32)), FB_EBADCAP,
           FB_ESTALE);

    int64_t d = derive_with(good, gi.rights);
    if (check_result(file, line, "derive a copy to delete", d, WANT_OK, WANT_NONE) > 0) {
        exo_cap_delete((cap_handle_t)d);
        hcheck(file, line, name, "deleted handle", call((cap_handle_t)d), FB_ESTALE, WANT_NONE);
    }

    int64_t c1 = derive_with(good, gi.rights);
    int64_t c2 = c1 > 0 ? derive_with((cap_handle_t)c1, gi.rights) : c1;
    if (check_result(file, line, "derive a grandchild to revoke", c2, WANT_OK, WANT_NONE) > 0) {
        check_result(file, line, "cap_revoke(child)", exo_cap_revoke((cap_handle_t)c1), FB_OK,
                     WANT_NONE);
        hcheck(file, line, name, "revoked handle", call((cap_handle_t)c2),
               (flags & HANDLE_DEAD_OK) ? FB_OK : FB_EREVOKED, WANT_NONE);
        exo_cap_delete((cap_handle_t)c2);
    }
    if (c1 > 0)
        exo_cap_delete((cap_handle_t)c1);

    if (need != 0) {
        int64_t w = derive_with(good, gi.rights & ~need);
        if (check_result(file, line, "derive a copy without the right", w, WANT_OK,
                         WANT_NONE) > 0) {
            hcheck(file, line, name, "handle without the right", call((cap_handle_t)w), FB_EPERM,
                   WANT_NONE);
            exo_cap_delete((cap_handle_t)w);
        }
    }
    if (flags & HANDLE_TYPED)
        hcheck(file, line, name, "handle of another type", call(user_cap), FB_EINVAL, WANT_NONE);
}

/* See systest.h. */
cap_handle_t make_child(const char *file, int line, const char *name)
{
    char path[64];

    snprintf(path, sizeof path, "/bin/%s", name);
    int64_t h = check_result(file, line, path, exo_env_create(path, strlen(path), 0), WANT_OK,
                             WANT_NONE);
    return h > 0 ? (cap_handle_t)h : 0;
}

/* See systest.h. env_wait drops the handle when it reaps. */
void drop_child(cap_handle_t env)
{
    int64_t code;

    if (env == 0)
        return;
    exo_env_kill(env);
    if (exo_env_wait(env, &code) < 0)
        exo_cap_delete(env);
}

/* See systest.h. */
bool wait_exited(cap_handle_t env)
{
    struct exo_env_info info;

    for (int i = 0; i < 5000; i++) {
        if (exo_env_info(env, &info) != FB_OK)
            return false;
        if (info.state == EXO_ENV_EXITED)
            return true;
        exo_sleep(1000000);
    }
    return false;
}

/* See systest.h. */
cap_handle_t own_env_cap(void)
{
    struct cap_iter it;
    /* Zeroed only because GCC cannot see cap_iter_next's syscall fill it. */
    struct exo_cap_info c = { 0 };
    int64_t self = exo_env_self();

    cap_iter_init(&it);
    while (cap_iter_next(&it, &c) == 1) {
        if (c.type == CAP_T_ENV && c.object == (uint64_t)self)
            return c.handle;
    }
    return 0;
}
