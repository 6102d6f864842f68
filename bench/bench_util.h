/* Shared by the host benchmark programs (bench/bench_*.c): the benchmark
 * record, the median-of-RUNS measurement and the JSON result line that
 * bench/run.sh collects (one object per line). */
#ifndef FB_BENCH_UTIL_H
#define FB_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "hal/timestamp.h"

#define RUNS 9   /* odd, so the median is one measured run */

/* One benchmark: body runs iters operations; setup prepares state once. */
struct bench {
    const char *name;
    uint64_t iters;
    void (*setup)(void);
    void (*body)(uint64_t iters);
};

/* Orders doubles for qsort. */
static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median of n values (n odd); reorders them. */
static inline double median(double *v, size_t n)
{
    qsort(v, n, sizeof v[0], cmp_double);
    return v[n / 2];
}

/* ns per operation of one timed run of b. */
static inline double timed_run(const struct bench *b)
{
    uint64_t t0 = hal_read_timestamp();

    b->body(b->iters);
    return (double)(hal_read_timestamp() - t0) / (double)b->iters;
}

/* Median ns per operation of RUNS timed runs, after one warm-up run. */
static inline double measure(const struct bench *b)
{
    double ns[RUNS];

    b->body(b->iters / 10 + 1);
    for (int r = 0; r < RUNS; r++)
        ns[r] = timed_run(b);
    return median(ns, RUNS);
}

/* Writes one result line. */
static inline void result(FILE *out, const char *name, double value, const char *unit,
                          const char *better)
{
    fprintf(out, "{\"name\": \"%s\", \"value\": %.2f, \"unit\": \"%s\", \"better\": \"%s\"}\n",
            name, value, unit, better);
    fflush(out);
}

#endif
