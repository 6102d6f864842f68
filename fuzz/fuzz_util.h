/* Shared by the fuzz targets (fuzz/fuzz_*.c): failing loudly, and reading
 * the input as a stream of operands. */
#ifndef FB_FUZZ_UTIL_H
#define FB_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Fails the run loudly so the fuzzer records the input. */
static inline void check(bool ok)
{
    if (!ok)
        abort();
}

/* The bytes of the input, read front to back; zeroes once exhausted. */
struct reader {
    const uint8_t *p;
    size_t n;
};

/* The next input byte, 0 once the input is exhausted. */
static inline uint8_t u8(struct reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

/* The next two input bytes, little-endian. */
static inline uint16_t u16(struct reader *r)
{
    uint16_t lo = u8(r);

    return (uint16_t)(lo | (uint16_t)(u8(r) << 8));
}

#endif
