/* Host benchmarks of the scheduler: pick_next plus re-enqueue on a private
 * run queue at 10, 100 and 1000 runnable threads for each policy (the
 * cost a CPU pays per scheduling decision), and a host context switch
 * (hal_context_switch ping-pong between two contexts; ucontext, so it
 * includes a sigprocmask system call per switch and says nothing about
 * the x86_64 switch). Median of RUNS runs, ns per operation, one JSON
 * object per line (bench/run.sh format) to stdout or to argv[1]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "exo_sched.h"
#include "hal/context.h"
#include "hal/timestamp.h"
#include "kerr.h"

#define PICKS 200000u   /* pick + re-enqueue pairs per run */
#define SWITCHES 100000u /* round trips per run */

static struct sched_rq rq;
static struct sched_thread threads[1000];

/* ns per pick_next + tick + enqueue with n runnable threads under ops;
 * parameters vary so priority levels and stride passes differ. */
static double bench_pick(const struct exo_sched_ops *ops, unsigned n)
{
    double ns[RUNS];

    for (int r = 0; r < RUNS; r++) {
        uint64_t t0;

        sched_rq_init(&rq, 0, ops, 1000000);
        for (unsigned i = 0; i < n; i++) {
            struct sched_params p = { i % SCHED_PRIO_LEVELS, 1 + i % 500 };

            if (sched_thread_init(&threads[i], "b", &p) != FB_OK)
                abort();
            sched_rq_enqueue(&rq, &threads[i]);
        }
        t0 = hal_read_timestamp();
        for (unsigned i = 0; i < PICKS; i++) {
            struct sched_thread *t = sched_rq_pick(&rq);

            ops->tick(&rq, t, 1000000);
            sched_rq_enqueue(&rq, t);
        }
        ns[r] = (double)(hal_read_timestamp() - t0) / PICKS;
        if (sched_rq_check(&rq) != FB_OK)
            abort();
    }
    return median(ns, RUNS);
}

static hal_context_t main_ctx, ping_ctx;

/* The other side of the ping-pong: switches straight back, forever. */
static void ping_main(void *arg)
{
    (void)arg;
    for (;;)
        hal_context_switch(&ping_ctx, &main_ctx);
}

/* ns per one-way hal_context_switch (a round trip is two). */
static double bench_switch(void)
{
    static unsigned char stack[64 * 1024];
    double ns[RUNS];

    if (hal_context_init(&ping_ctx, stack, sizeof stack, ping_main, NULL) != FB_OK)
        abort();
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = hal_read_timestamp();

        for (unsigned i = 0; i < SWITCHES; i++)
            hal_context_switch(&main_ctx, &ping_ctx);
        ns[r] = (double)(hal_read_timestamp() - t0) / (2.0 * SWITCHES);
    }
    return median(ns, RUNS);
}

int main(int argc, char **argv)
{
    static const unsigned sizes[3] = { 10, 100, 1000 };
    static const struct exo_sched_ops *const ops[3] = {
        &sched_rr_ops, &sched_prio_ops, &sched_stride_ops,
    };
    FILE *out = stdout;
    char name[64];

    if (argc > 2) {
        fprintf(stderr, "usage: %s [OUTPUT.jsonl]\n", argv[0]);
        return 2;
    }
    if (argc == 2 && (out = fopen(argv[1], "a")) == NULL) {
        perror(argv[1]);
        return 1;
    }
    for (int p = 0; p < 3; p++) {
        for (int s = 0; s < 3; s++) {
            snprintf(name, sizeof name, "host.sched_pick_%s_%u", ops[p]->name, sizes[s]);
            result(out, name, bench_pick(ops[p], sizes[s]), "ns", "lower");
        }
    }
    result(out, "host.context_switch", bench_switch(), "ns", "lower");
    if (out != stdout)
        fclose(out);
    return 0;
}
