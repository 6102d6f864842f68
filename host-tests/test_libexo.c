/* Specification of libexo's logic that does not need the kernel
 * (user/libexo): the heap behind malloc over a page source backed by host
 * memory, the line editor behind readline fed scripted keystrokes, and
 * the number parsing behind strtoul/strtol/atoi.
 *
 * Naming: those parts of libexo are written with module names (heap_*,
 * line_read, parse_*) and never with C library names; the libc-named
 * wrappers (malloc.c, stdio.c, string.c) are thin and only built for user
 * space. So this test links the real files next to glibc, unchanged. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "kerr.h"
#include "lineedit.h"
#include "parse.h"

/* ---- a page source over host memory ---- */

#define SRC_PAGES 1024u

/* Hands out the pages of one host buffer in order, up to a cap, and
 * fills each with 0xa5 so nothing can rely on fresh memory being zero. */
struct src {
    uint8_t *mem;          /* SRC_PAGES pages, page aligned */
    size_t cap;            /* pages it will give in all */
    size_t given;          /* pages given so far */
    size_t refuse_above;   /* refuses single requests larger than this (0: none) */
    unsigned calls;        /* grow calls, successful or not */
    bool out_of_order;     /* a request did not start at the end of the last */
};

/* heap_grow_fn over struct src. */
static int src_grow(void *ctx, uintptr_t va, size_t pages)
{
    struct src *s = ctx;

    s->calls++;
    if (va != (uintptr_t)s->mem + s->given * HEAP_PAGE)
        s->out_of_order = true;
    if (s->given + pages > s->cap || (s->refuse_above != 0 && pages > s->refuse_above))
        return FB_ENOMEM;
    memset((void *)va, 0xa5, pages * HEAP_PAGE);
    s->given += pages;
    return 0;
}

/* The one source of the running test; the suite's fini frees its memory. */
static struct src src;

/* A heap over a fresh source that gives at most cap pages. */
static void setup_heap(struct heap *h, struct src *s, size_t cap)
{
    free(s->mem);
    *s = (struct src){ .mem = aligned_alloc(HEAP_PAGE, SRC_PAGES * HEAP_PAGE), .cap = cap };
    cr_assert_not_null(s->mem);
    heap_init(h, (uintptr_t)s->mem, (uintptr_t)s->mem + SRC_PAGES * HEAP_PAGE, src_grow, s);
}

/* Gives the source's memory back after each test (.fini). */
static void free_source(void)
{
    free(src.mem);
    src.mem = NULL;
}

/* Asserts heap_check passes. */
static void assert_heap_ok(const struct heap *h)
{
    cr_assert_eq(heap_check(h), FB_OK, "expected every heap invariant to hold");
}

Test(libexo_heap, blocks_are_16_byte_aligned_disjoint_and_big_enough, .fini = free_source)
{
    struct heap h;
    uint8_t *p[200];

    setup_heap(&h, &src, SRC_PAGES);
    for (size_t n = 0; n < 200; n++) {
        p[n] = heap_alloc(&h, n);
        cr_assert_not_null(p[n], "expected a block of %zu bytes", n);
        cr_assert_eq((uintptr_t)p[n] % 16, 0, "expected 16-byte alignment for %zu bytes", n);
        cr_assert_geq(heap_usable(p[n]), n, "expected at least %zu usable bytes", n);
        memset(p[n], (int)n, n);
    }
    for (size_t n = 0; n < 200; n++)
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(p[n][i], (uint8_t)n, "expected block %zu intact: blocks overlap", n);
    cr_assert_neq(p[0], p[1], "expected malloc(0) to give a unique pointer");
    cr_assert_not(src.out_of_order, "expected the region to grow contiguously");
    assert_heap_ok(&h);
}

Test(libexo_heap, grows_by_at_least_the_minimum_and_reuses_its_pages, .fini = free_source)
{
    struct heap h;

    setup_heap(&h, &src, SRC_PAGES);
    cr_assert_not_null(heap_alloc(&h, 10));
    cr_assert_eq(src.given, HEAP_GROW_PAGES, "expected the first growth to take %u pages",
                 HEAP_GROW_PAGES);
    for (int i = 0; i < 100; i++)
        cr_assert_not_null(heap_alloc(&h, 100));
    cr_assert_eq(src.calls, 1, "expected 100 small blocks to fit the first pages");
    assert_heap_ok(&h);
}

Test(libexo_heap, freeing_neighbours_merges_them_into_one_block, .fini = free_source)
{
    static const int orders[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
                                       { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };

    for (int o = 0; o < 6; o++) {
        struct heap h;
        void *b[3];

        setup_heap(&h, &src, SRC_PAGES);
        for (int i = 0; i < 3; i++)
            b[i] = heap_alloc(&h, 1000);
        void *guard = heap_alloc(&h, 16);   /* keeps the merged space off the tail */
        for (int i = 0; i < 3; i++) {
            cr_assert_eq(heap_free(&h, b[orders[o][i]]), FB_OK);
            assert_heap_ok(&h);
        }
        void *big = heap_alloc(&h, 3000);
        cr_assert_eq(big, b[0], "expected the three freed blocks (order %d) merged and reused",
                     o);
        heap_free(&h, big);
        heap_free(&h, guard);
        cr_assert_eq(h.used, 0, "expected nothing in use");
        assert_heap_ok(&h);
    }
}

Test(libexo_heap, exhaustion_returns_null_and_leaves_a_valid_heap, .fini = free_source)
{
    struct heap h;
    void *p[64];
    size_t n = 0;

    setup_heap(&h, &src, 32);
    while (n < 64 && (p[n] = heap_alloc(&h, 8000)) != NULL)
        n++;
    cr_assert(n > 0 && n < 64, "expected the 32-page source to run out (got %zu blocks)", n);
    assert_heap_ok(&h);
    cr_assert_null(heap_alloc(&h, 200 * 1024), "expected NULL beyond the source");
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(heap_free(&h, p[i]), FB_OK);
    cr_assert_eq(h.used, 0);
    assert_heap_ok(&h);
    cr_assert_not_null(heap_alloc(&h, 100000), "expected the freed pages to serve again");
}

Test(libexo_heap, falls_back_to_exactly_the_pages_needed, .fini = free_source)
{
    struct heap h;

    setup_heap(&h, &src, 3);
    cr_assert_not_null(heap_alloc(&h, 100), "expected a 1-page growth after 16 were refused");
    cr_assert_eq(src.given, 1);
    cr_assert_not_null(heap_alloc(&h, 2 * HEAP_PAGE), "expected the tail block to grow");
    cr_assert_eq(src.given, 3);
    cr_assert_null(heap_alloc(&h, 5000), "expected NULL once the source is empty");
    assert_heap_ok(&h);
}

Test(libexo_heap, impossible_sizes_fail_without_asking_for_pages, .fini = free_source)
{
    struct heap h;

    setup_heap(&h, &src, SRC_PAGES);
    cr_assert_null(heap_alloc(&h, SIZE_MAX));
    cr_assert_null(heap_alloc(&h, SIZE_MAX - 20));
    cr_assert_null(heap_alloc(&h, SRC_PAGES * HEAP_PAGE), "expected NULL above the region");
    cr_assert_null(heap_calloc(&h, SIZE_MAX / 2, 3), "expected calloc to catch the overflow");
    cr_assert_eq(src.calls, 0, "expected no grow call for sizes that cannot fit");
    assert_heap_ok(&h);
}

Test(libexo_heap, bad_and_double_frees_are_refused_and_change_nothing, .fini = free_source)
{
    struct heap h;
    int local;

    setup_heap(&h, &src, SRC_PAGES);
    uint8_t *p = heap_alloc(&h, 64);
    uint8_t *q = heap_alloc(&h, 64);
    cr_assert_eq(heap_free(&h, NULL), FB_OK);
    cr_assert_eq(heap_free(&h, p + 8), FB_EINVAL, "expected an interior pointer refused");
    cr_assert_eq(heap_free(&h, p + 16), FB_EINVAL, "expected an aligned interior pointer refused");
    cr_assert_eq(heap_free(&h, &local), FB_EINVAL, "expected a pointer outside refused");
    cr_assert_eq(heap_free(&h, p), FB_OK);
    cr_assert_eq(heap_free(&h, p), FB_EINVAL, "expected a double free refused");
    void *out = (void *)1;
    cr_assert_eq(heap_realloc(&h, p, 10, &out), FB_EINVAL, "expected realloc of freed refused");
    assert_heap_ok(&h);
    cr_assert_eq(heap_free(&h, q), FB_OK);
    cr_assert_eq(h.used, 0);
}

Test(libexo_heap, realloc_shrinks_and_grows_in_place_or_moves_keeping_the_bytes,
     .fini = free_source)
{
    struct heap h;
    void *out;

    setup_heap(&h, &src, SRC_PAGES);
    uint8_t *a = heap_alloc(&h, 256);
    uint8_t *b = heap_alloc(&h, 256);
    uint8_t *c = heap_alloc(&h, 16);
    for (int i = 0; i < 256; i++)
        a[i] = (uint8_t)i;

    cr_assert_eq(heap_realloc(&h, a, 64, &out), FB_OK);
    cr_assert_eq(out, a, "expected shrinking in place");
    assert_heap_ok(&h);
    heap_free(&h, b);
    cr_assert_eq(heap_realloc(&h, a, 400, &out), FB_OK);
    cr_assert_eq(out, a, "expected growth into the free neighbour in place");
    for (int i = 0; i < 64; i++)
        cr_assert_eq(a[i], (uint8_t)i, "expected byte %d kept", i);
    assert_heap_ok(&h);
    cr_assert_eq(heap_realloc(&h, a, 5000, &out), FB_OK);
    cr_assert_neq(out, a, "expected a move when the free neighbour is too small");
    for (int i = 0; i < 64; i++)
        cr_assert_eq(((uint8_t *)out)[i], (uint8_t)i, "expected byte %d moved", i);
    a = out;
    assert_heap_ok(&h);

    cr_assert_eq(heap_realloc(&h, NULL, 32, &out), FB_OK);
    cr_assert_not_null(out, "expected realloc(NULL) to allocate");
    cr_assert_eq(heap_realloc(&h, out, 0, &out), FB_OK);
    cr_assert_null(out, "expected realloc(p, 0) to free and give NULL");
    cr_assert_eq(heap_realloc(&h, a, (size_t)SRC_PAGES * HEAP_PAGE, &out), FB_ENOMEM);
    cr_assert_eq(((uint8_t *)a)[5], 5, "expected the block intact after a failed realloc");
    heap_free(&h, a);
    heap_free(&h, c);
    cr_assert_eq(h.used, 0);
    assert_heap_ok(&h);
}

Test(libexo_heap, calloc_zeroes_reused_memory, .fini = free_source)
{
    struct heap h;

    setup_heap(&h, &src, SRC_PAGES);
    uint8_t *p = heap_alloc(&h, 512);
    memset(p, 0xff, 512);
    heap_free(&h, p);
    uint8_t *z = heap_calloc(&h, 16, 32);
    cr_assert_eq(z, p, "expected the freed block to be reused");
    for (int i = 0; i < 512; i++)
        cr_assert_eq(z[i], 0, "expected byte %d zeroed", i);
}

/* One live block of the shadow model. */
struct shadow {
    uint8_t *p;
    size_t n;
    uint8_t fill;
};

/* Checks a live block still holds its fill byte. */
static void assert_intact(const struct shadow *b)
{
    for (size_t i = 0; i < b->n; i++)
        cr_assert_eq(b->p[i], b->fill, "expected block %p byte %zu intact", (void *)b->p, i);
}

Test(libexo_heap, random_alloc_free_realloc_agrees_with_a_shadow_model, .fini = free_source)
{
    static struct shadow live[256];
    struct heap h;
    uint64_t x = 0x1234567;

    setup_heap(&h, &src, SRC_PAGES);
    for (int step = 0; step < 20000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        struct shadow *b = &live[x % 256];
        size_t n = (x >> 8) % 3 == 0 ? (x >> 16) % 9000 : (x >> 16) % 200;
        if (b->p == NULL) {
            b->p = heap_alloc(&h, n);
            cr_assert_not_null(b->p, "expected %zu bytes at step %d", n, step);
            b->n = n;
            b->fill = (uint8_t)step;
            memset(b->p, b->fill, n);
        } else if ((x >> 40) % 2 == 0) {
            assert_intact(b);
            cr_assert_eq(heap_free(&h, b->p), FB_OK);
            b->p = NULL;
        } else {
            void *out;
            assert_intact(b);
            cr_assert_eq(heap_realloc(&h, b->p, n + 1, &out), FB_OK);
            b->p = out;
            b->n = b->n < n + 1 ? b->n : n + 1;   /* the kept prefix */
            assert_intact(b);
            memset(b->p, b->fill, n + 1);
            b->n = n + 1;
        }
        if (step % 1000 == 0)
            assert_heap_ok(&h);
    }
    for (int i = 0; i < 256; i++) {
        if (live[i].p != NULL) {
            assert_intact(&live[i]);
            cr_assert_eq(heap_free(&h, live[i].p), FB_OK);
        }
    }
    cr_assert_eq(h.used, 0, "expected every byte back");
    assert_heap_ok(&h);
    void *all = heap_alloc(&h, h.top - h.base - HEAP_ALIGN);
    cr_assert_eq((uintptr_t)all, h.base + HEAP_ALIGN, "expected everything merged into one block");
}

/* ---- the line editor ---- */

/* Scripted input and captured echo. */
struct script {
    const char *in;
    size_t len;
    size_t pos;
    int fail;            /* returned by read once the input is used up, when non-zero */
    char out[512];
    size_t out_len;
};

/* line_io read: one scripted byte, 0 at the end (or the scripted error). */
static int64_t script_read(void *ctx, char *buf, size_t n)
{
    struct script *s = ctx;

    cr_assert_geq(n, 1);
    if (s->pos == s->len)
        return s->fail;
    buf[0] = s->in[s->pos++];
    return 1;
}

/* line_io write: appends to the capture. */
static void script_write(void *ctx, const char *p, size_t n)
{
    struct script *s = ctx;

    cr_assert_leq(s->out_len + n, sizeof s->out - 1, "expected less echo");
    memcpy(s->out + s->out_len, p, n);
    s->out_len += n;
    s->out[s->out_len] = '\0';
}

/* Sets up io over the len bytes of in. */
static void setup_script(struct script *s, struct line_io *io, const char *in, size_t len)
{
    *s = (struct script){ .in = in, .len = len };
    *io = (struct line_io){ .read = script_read, .write = script_write, .ctx = s };
}

/* Reads one line of at most size bytes; asserts its result and text. */
static void expect_line(struct line_io *io, size_t size, int want, const char *text)
{
    char buf[128];

    int got = line_read(io, buf, size);
    cr_assert_eq(got, want, "expected line_read to return %d, got %d", want, got);
    if (want >= 0)
        cr_assert_str_eq(buf, text, "expected the line '%s', got '%s'", text, buf);
}

#define SCRIPT(s, io, lit) setup_script((s), (io), (lit), sizeof(lit) - 1)

Test(libexo_readline, a_line_ends_at_enter_and_is_echoed)
{
    struct script s;
    struct line_io io;

    SCRIPT(&s, &io, "ls /bin\r");
    expect_line(&io, 64, 7, "ls /bin");
    cr_assert_str_eq(s.out, "ls /bin\r\n");
}

Test(libexo_readline, backspace_and_del_erase_one_byte_each)
{
    struct script s;
    struct line_io io;

    SCRIPT(&s, &io, "\x7f" "ab\x7f" "c\bd\r");
    expect_line(&io, 64, 2, "ad");
    cr_assert_str_eq(s.out, "ab\b \bc\b \bd\r\n", "expected nothing echoed for erase at the start");
}

Test(libexo_readline, an_overlong_line_is_cut_with_a_bell_per_dropped_byte)
{
    struct script s;
    struct line_io io;

    SCRIPT(&s, &io, "0123456789\r");
    expect_line(&io, 8, 7, "0123456");
    cr_assert_str_eq(s.out, "0123456\a\a\a\r\n");
    SCRIPT(&s, &io, "xy\r");
    expect_line(&io, 1, 0, "");
}

Test(libexo_readline, cr_lf_is_one_enter_and_lf_alone_is_one_too)
{
    struct script s;
    struct line_io io;

    SCRIPT(&s, &io, "ab\r\ncd\r\n\nef\n");
    expect_line(&io, 64, 2, "ab");
    expect_line(&io, 64, 2, "cd");
    expect_line(&io, 64, 0, "");
    expect_line(&io, 64, 2, "ef");
    expect_line(&io, 64, FB_ENOENT, NULL);
}

Test(libexo_readline, ctrl_c_cancels_and_ctrl_u_erases_the_line)
{
    struct script s;
    struct line_io io;

    SCRIPT(&s, &io, "abc\x03" "abc\x15" "d\r");
    expect_line(&io, 64, 0, "");
    expect_line(&io, 64, 1, "d");
    cr_assert_str_eq(s.out, "abc^C\r\nabc\b \b\b \b\b \bd\r\n");
}

Test(libexo_readline, ctrl_d_ends_input_only_on_an_empty_line)
{
    struct script s;
    struct line_io io;

    SCRIPT(&s, &io, "ab\x04" "c\r\x04");
    expect_line(&io, 64, 3, "abc");
    expect_line(&io, 64, FB_ENOENT, NULL);
}

Test(libexo_readline, escape_sequences_and_control_bytes_are_skipped)
{
    struct script s;
    struct line_io io;

    SCRIPT(&s, &io, "a\x1b[A\x1b[1;5Cb\x1bOPc\tx\x01\xff\x80y\x1bz\r");
    expect_line(&io, 64, 6, "abc xy");
}

Test(libexo_readline, input_ending_mid_line_returns_the_partial_line)
{
    struct script s;
    struct line_io io;

    SCRIPT(&s, &io, "abc");
    expect_line(&io, 64, 3, "abc");
    expect_line(&io, 64, FB_ENOENT, NULL);
}

Test(libexo_readline, read_errors_and_a_zero_size_buffer_are_reported)
{
    struct script s;
    struct line_io io;
    char buf[4];

    SCRIPT(&s, &io, "ab");
    s.fail = FB_EFAULT;
    expect_line(&io, 64, FB_EFAULT, NULL);
    cr_assert_eq(line_read(&io, buf, 0), FB_EINVAL);
}

/* ---- number parsing ---- */

/* parse_u64 of s in base; asserts the code, the value and how much was used. */
static void expect_u64(const char *s, unsigned base, int err, uint64_t v, size_t used)
{
    const char *end;
    uint64_t got;

    cr_assert_eq(parse_u64(s, &end, base, &got), err, "expected %s parsing '%s' base %u",
                 fb_strerror(err), s, base);
    cr_assert_eq(got, v, "expected %llu from '%s' base %u, got %llu", (unsigned long long)v, s,
                 base, (unsigned long long)got);
    cr_assert_eq((size_t)(end - s), used, "expected '%s' to use %zu bytes, used %td", s, used,
                 end - s);
}

/* parse_i64 likewise. */
static void expect_i64(const char *s, unsigned base, int err, int64_t v, size_t used)
{
    const char *end;
    int64_t got;

    cr_assert_eq(parse_i64(s, &end, base, &got), err, "expected %s parsing '%s'",
                 fb_strerror(err), s);
    cr_assert_eq(got, v, "expected %lld from '%s', got %lld", (long long)v, s, (long long)got);
    cr_assert_eq((size_t)(end - s), used, "expected '%s' to use %zu bytes", s, used);
}

Test(libexo_parse, bases_prefixes_and_where_parsing_stops)
{
    expect_u64("42", 10, FB_OK, 42, 2);
    expect_u64("  +42xyz", 10, FB_OK, 42, 5);
    expect_u64("0x1F", 0, FB_OK, 31, 4);
    expect_u64("0X1f", 16, FB_OK, 31, 4);
    expect_u64("1f", 16, FB_OK, 31, 2);
    expect_u64("017", 0, FB_OK, 15, 3);
    expect_u64("0", 0, FB_OK, 0, 1);
    expect_u64("0xg", 0, FB_OK, 0, 1);
    expect_u64("1012", 2, FB_OK, 5, 3);
    expect_u64("zZ", 36, FB_OK, 35 * 36 + 35, 2);
    expect_u64("123abc", 10, FB_OK, 123, 3);
    expect_u64("123abc", 16, FB_OK, 0x123abc, 6);
}

Test(libexo_parse, no_digits_and_bad_bases_are_errors)
{
    expect_u64("", 10, FB_EINVAL, 0, 0);
    expect_u64("  x", 10, FB_EINVAL, 0, 0);
    expect_u64("+", 0, FB_EINVAL, 0, 0);
    expect_u64("-5", 10, FB_EINVAL, 0, 0);
    expect_u64("12", 1, FB_EINVAL, 0, 0);
    expect_u64("12", 37, FB_EINVAL, 0, 0);
    expect_i64("-", 10, FB_EINVAL, 0, 0);
    uint64_t v;
    cr_assert_eq(parse_u64("7", NULL, 10, &v), FB_OK, "expected a NULL end to be allowed");
    cr_assert_eq(v, 7);
}

Test(libexo_parse, overflow_saturates_and_says_so)
{
    expect_u64("18446744073709551615", 10, FB_OK, UINT64_MAX, 20);
    expect_u64("18446744073709551616", 10, FB_ERANGE, UINT64_MAX, 20);
    expect_u64("0xffffffffffffffff0", 0, FB_ERANGE, UINT64_MAX, 19);
    expect_i64("9223372036854775807", 10, FB_OK, INT64_MAX, 19);
    expect_i64("9223372036854775808", 10, FB_ERANGE, INT64_MAX, 19);
    expect_i64("-9223372036854775808", 10, FB_OK, INT64_MIN, 20);
    expect_i64("-9223372036854775809", 10, FB_ERANGE, INT64_MIN, 20);
    expect_i64(" -0x10", 0, FB_OK, -16, 6);
}

Test(libexo_parse, agrees_with_the_c_library_on_random_numbers)
{
    static const unsigned bases[] = { 2, 8, 10, 16, 36 };
    uint64_t x = 0xfeedface;
    char buf[80];

    for (int i = 0; i < 5000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned base = bases[i % 5];
        uint64_t v = x >> (i % 64);
        size_t n = 0;
        char digits[70];
        do {
            digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % base];
            v /= base;
        } while (v != 0);
        for (size_t k = 0; k < n; k++)
            buf[k] = digits[n - 1 - k];
        buf[n] = '\0';
        uint64_t got;
        cr_assert_eq(parse_u64(buf, NULL, base, &got), FB_OK);
        cr_assert_eq(got, strtoull(buf, NULL, (int)base), "expected strtoull's value for '%s'",
                     buf);
    }
}
