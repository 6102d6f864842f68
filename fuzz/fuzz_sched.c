/* Fuzz target for the scheduling policies: the input is a program of
 * operations on one private run queue (two bytes each: opcode, argument)
 * over 64 threads: enqueue, dequeue, pick (and run a partial slice, then
 * re-queue or keep off), set_param, tick, yield, yield_to, and live policy
 * switches among rr, prio and stride. A shadow model tracks which threads
 * are queued; after every step sched_rq_check must pass, the queue count
 * must match the model, fixed priority must pick a thread of the highest
 * queued level, and a switch must keep every queued thread. Aborts on the
 * first disagreement. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "kerr.h"
#include "exo_sched.h"

#define NTHREADS 64
#define SLICE 1000u

enum op { OP_ENQ, OP_DEQ, OP_PICK, OP_PARAM, OP_TICK, OP_YIELD, OP_YIELD_TO, OP_POLICY, OP_COUNT };

static struct sched_rq rq;
static struct sched_thread th[NTHREADS];
static bool queued[NTHREADS];     /* the model: on rq's queue */
static struct sched_thread *running;  /* picked, not re-queued */

/* Highest priority among queued threads, or -1. */
static int top_level(void)
{
    int top = -1;

    for (int i = 0; i < NTHREADS; i++) {
        if (queued[i] && (int)th[i].param.priority > top)
            top = (int)th[i].param.priority;
    }
    return top;
}

/* Number of queued threads in the model. */
static unsigned model_count(void)
{
    unsigned n = 0;

    for (int i = 0; i < NTHREADS; i++)
        n += queued[i];
    return n;
}

/* One operation with argument a. */
static void step(uint8_t op, uint8_t a)
{
    struct sched_thread *t = &th[a % NTHREADS];
    bool *q = &queued[a % NTHREADS];

    switch (op % OP_COUNT) {
    case OP_ENQ:
        if (!*q && t != running) {
            sched_rq_enqueue(&rq, t);
            *q = true;
        }
        break;
    case OP_DEQ:
        if (*q) {
            sched_rq_dequeue(&rq, t);
            *q = false;
        }
        break;
    case OP_PICK: {
        int top = top_level();

        if (running != NULL) {
            sched_rq_enqueue(&rq, running);
            queued[running - th] = true;
            running = NULL;
            top = top_level();
        }
        running = sched_rq_pick(&rq);
        check((running == NULL) == (top < 0));
        if (running != NULL) {
            check(queued[running - th]);
            queued[running - th] = false;
            check(rq.ops != &sched_prio_ops || (int)running->param.priority == top);
        }
        break;
    }
    case OP_PARAM: {
        struct sched_params p = { a % 16u, 1u + (unsigned)a * 97u % SCHED_MAX_TICKETS };

        rq.ops->set_param(&rq, t, &p);
        break;
    }
    case OP_TICK:
        if (running != NULL)
            rq.ops->tick(&rq, running, (uint64_t)a * SLICE / 64u);
        break;
    case OP_YIELD:
        if (running != NULL) {
            sched_rq_yield(&rq, running);
            queued[running - th] = true;
            running = NULL;
        }
        break;
    case OP_YIELD_TO:
        if (running != NULL && *q) {
            sched_rq_dequeue(&rq, t);
            *q = false;
            rq.ops->yield_to(&rq, running, t);
            sched_rq_enqueue(&rq, running);
            queued[running - th] = true;
            running = t;
        }
        break;
    default: {
        static const struct exo_sched_ops *const ops[3] = {
            &sched_rr_ops, &sched_prio_ops, &sched_stride_ops,
        };
        unsigned before = rq.nr_queued;

        sched_rq_set_policy(&rq, ops[a % 3]);
        check(rq.nr_queued == before);
        break;
    }
    }
    check(sched_rq_check(&rq) == FB_OK);
    check(rq.nr_queued == model_count());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sched_rq_init(&rq, 0, size > 0 ? (data[0] % 3 == 0 ? &sched_rr_ops : data[0] % 3 == 1
                                      ? &sched_prio_ops : &sched_stride_ops) : NULL, SLICE);
    for (int i = 0; i < NTHREADS; i++) {
        struct sched_params p = { (unsigned)i % 16u, 1u + (unsigned)i * 31u };

        check(sched_thread_init(&th[i], "f", &p) == FB_OK);
        queued[i] = false;
    }
    running = NULL;
    for (size_t i = 1; i + 1 < size && i < 4096; i += 2)
        step(data[i], data[i + 1]);
    return 0;
}
