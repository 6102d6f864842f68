/* bench: the cost of the two hottest kernel paths seen from user mode,
 * in TSC cycles: a null syscall round trip and a page map + unmap pair.
 * Prints "bench: KEY=N" lines for bench/run.sh to pick up; exits 1 when
 * a syscall fails, so a broken path is not reported as a fast one. */
#include "exo.h"

#define NULL_CALLS 100000u
#define MAP_PAIRS 10000u
#define WARMUP 1000u
/* A page no other part of this program uses. */
#define BENCH_VA 0x0000200000000000ull

/* Reads the timestamp counter; LFENCE keeps earlier work from drifting
 * past the read. */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* Cycles per null syscall; -1 when one fails. */
static int64_t bench_null(void)
{
    for (uint32_t i = 0; i < WARMUP; i++)
        exo_null();
    uint64_t t0 = rdtsc();
    for (uint32_t i = 0; i < NULL_CALLS; i++) {
        if (exo_null() != 0)
            return -1;
    }
    return (int64_t)((rdtsc() - t0) / NULL_CALLS);
}

/* Cycles per mem_map + mem_unmap of one frame; -1 when a call fails. */
static int64_t bench_map_unmap(void)
{
    int64_t frame = exo_frame_alloc(0);
    int64_t result = -1;

    if (frame < 0) {
        printf("bench: frame_alloc: %s\n", fb_strerror((int)frame));
        return -1;
    }
    uint64_t t0 = rdtsc();
    uint32_t i;
    for (i = 0; i < MAP_PAIRS; i++) {
        int64_t m = exo_mem_map(BENCH_VA, (cap_handle_t)frame, EXO_PROT_READ | EXO_PROT_WRITE);
        int64_t u = exo_mem_unmap(BENCH_VA);
        if (m != 0 || u != 0) {
            printf("bench: mem_map %s, mem_unmap %s\n", fb_strerror((int)m), fb_strerror((int)u));
            break;
        }
    }
    if (i == MAP_PAIRS)
        result = (int64_t)((rdtsc() - t0) / MAP_PAIRS);
    exo_frame_free((cap_handle_t)frame);
    return result;
}

/* Runs both benchmarks and prints their lines. */
int main(const char *args)
{
    (void)args;
    int64_t null_cycles = bench_null();
    int64_t map_cycles = bench_map_unmap();

    if (null_cycles < 0 || map_cycles < 0) {
        printf("bench: failed\n");
        return 1;
    }
    printf("bench: null_syscall_cycles=%ld\n", (long)null_cycles);
    printf("bench: map_unmap_cycles=%ld\n", (long)map_cycles);
    return 0;
}
