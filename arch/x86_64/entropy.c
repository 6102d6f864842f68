/* Hardware randomness for hal_entropy: RDSEED (a conditioned entropy
 * source) when the CPU has it, RDRAND (a DRBG reseeded by it) otherwise.
 * Both can transiently fail and are retried a bounded number of times. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "hal/entropy.h"
#include "kerr.h"
#include "kstring.h"

#define RDSEED_TRIES 64   /* RDSEED runs dry under load; back off with PAUSE */
#define RDRAND_TRIES 10   /* Intel's guidance: 10 failures mean a broken unit */

/* One RDSEED; false when the CPU reported no value (CF = 0). */
static bool rdseed64(uint64_t *v)
{
    bool ok;

    __asm__ volatile("rdseed %0" : "=r"(*v), "=@ccc"(ok));
    return ok;
}

/* One RDRAND; false when the CPU reported no value (CF = 0). */
static bool rdrand64(uint64_t *v)
{
    bool ok;

    __asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
    return ok;
}

/* 64 random bits from the best source, with retries. */
static bool random64(uint64_t *v)
{
    if (x86_cpu.rdseed) {
        for (int i = 0; i < RDSEED_TRIES; i++) {
            if (rdseed64(v))
                return true;
            __asm__ volatile("pause");
        }
    }
    if (x86_cpu.rdrand) {
        for (int i = 0; i < RDRAND_TRIES; i++) {
            if (rdrand64(v))
                return true;
        }
    }
    return false;
}

/* Fills buf 8 bytes at a time; on failure wipes what was written, so a
 * caller that ignores the error still gets no half-random key. */
int hal_entropy(void *buf, size_t n)
{
    unsigned char *out = buf;
    size_t done = 0;

    if (!x86_cpu.rdseed && !x86_cpu.rdrand)
        return FB_ENOTSUP;
    if (n > 0 && buf == NULL)
        return FB_EINVAL;
    while (done < n) {
        uint64_t v;
        size_t chunk = n - done < sizeof(v) ? n - done : sizeof(v);

        if (!random64(&v)) {
            kmemset(buf, 0, n);
            return FB_EAGAIN;
        }
        kmemcpy(out + done, &v, chunk);
        done += chunk;
    }
    return FB_OK;
}
