/* Shared by the host tests: an assertion on an fb_err result that names
 * the call, the expected code and the code it got. */
#ifndef FB_HOST_TESTS_EXPECT_H
#define FB_HOST_TESTS_EXPECT_H

#include <criterion/criterion.h>

#include "kerr.h"

/* Asserts that call returns want, naming both on failure. */
#define expect(call, want)                                                            \
    do {                                                                              \
        int got_ = (call);                                                            \
        cr_assert_eq(got_, (want), "expected %s from %s, got %s", fb_strerror(want), \
                     #call, fb_strerror(got_));                                       \
    } while (0)

#endif
