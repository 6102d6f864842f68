/* The subset of Criterion's API that host-tests/ uses, for the host-tsan
 * preset only: Criterion itself cannot start under ThreadSanitizer (its
 * inheritable arena collides with TSan's memory layout, Criterion #274).
 * Each test runs in a forked child; runner.c collects the verdicts. */
#ifndef FB_TSAN_CRITERION_H
#define FB_TSAN_CRITERION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/** One registered test and its expectations (Criterion's .init etc.). */
struct fbcr_test {
    const char *suite;
    const char *name;
    void (*fn)(void);
    void (*init)(void);
    void (*fini)(void);
    int signal;      /**< the test passes only if killed by this signal */
    int exit_code;   /**< the test passes only if it exits with this code */
};

void fbcr_register(const struct fbcr_test *t);
_Noreturn void fbcr_fail(const char *file, int line, const char *cond, const char *fmt, ...);
void cr_redirect_stdout(void);
bool fbcr_stdout_equals(const char *want);

#define FBCR_FN(s, n) fbcr_test_##s##_##n
#define Test(s, n, ...)                                                        \
    static void FBCR_FN(s, n)(void);                                           \
    __attribute__((constructor)) static void fbcr_reg_##s##_##n(void)          \
    {                                                                          \
        static const struct fbcr_test t = { .suite = #s, .name = #n,           \
                                            .fn = FBCR_FN(s, n), __VA_ARGS__ };\
        fbcr_register(&t);                                                     \
    }                                                                          \
    static void FBCR_FN(s, n)(void)

#define cr_assert(c, ...) \
    do { if (!(c)) fbcr_fail(__FILE__, __LINE__, #c, "" __VA_ARGS__); } while (0)
#define cr_assert_not(c, ...) cr_assert(!(c), __VA_ARGS__)
#define cr_assert_eq(a, b, ...)  cr_assert((a) == (b), __VA_ARGS__)
#define cr_assert_neq(a, b, ...) cr_assert((a) != (b), __VA_ARGS__)
#define cr_assert_lt(a, b, ...)  cr_assert((a) < (b), __VA_ARGS__)
#define cr_assert_leq(a, b, ...) cr_assert((a) <= (b), __VA_ARGS__)
#define cr_assert_gt(a, b, ...)  cr_assert((a) > (b), __VA_ARGS__)
#define cr_assert_geq(a, b, ...) cr_assert((a) >= (b), __VA_ARGS__)
#define cr_assert_null(a, ...)     cr_assert((a) == NULL, __VA_ARGS__)
#define cr_assert_not_null(a, ...) cr_assert((a) != NULL, __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) cr_assert(strcmp((a), (b)) == 0, __VA_ARGS__)
#define cr_assert_arr_eq(a, b, n, ...) cr_assert(memcmp((a), (b), (n)) == 0, __VA_ARGS__)
#define cr_assert_stdout_eq_str(s, ...) cr_assert(fbcr_stdout_equals(s), __VA_ARGS__)

#endif
