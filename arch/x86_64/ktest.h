/* Private interface between the in-kernel tests: the harness and
 * scheduler tests (ktest.c), the FPU, device-interrupt and
 * context-switch tests (ktest_dev.c) and the user-mode tests
 * (ktest_user.c). Everything runs in the controller
 * thread or in workers it starts. */
#ifndef FB_KTEST_H
#define FB_KTEST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "exo_sched.h"
#include "hal/aspace.h"

#define KTEST_WORKERS    8
#define KTEST_STACK_SIZE 16384
#define KTEST_ROUNDS     12   /* test rounds (ktest_expect calls) per boot */

/* One worker's record. Written by the worker, read by the controller
 * after the worker is done (ktest_wait_workers orders them). */
struct ktest_work {
    unsigned id;
    unsigned iters;
    unsigned done_iters;
    uint64_t sum;
    atomic_uint running;     /* 1 while inside an iteration: catches a double run */
    _Atomic uint64_t cpus;   /* CPUs it ran on */
    unsigned errors;
    uint64_t value;          /* fpu test: the value it keeps in its XMM registers */
    bool migrate;            /* fpu test: move to another CPU at every iteration */
};

extern uint8_t ktest_stacks[KTEST_WORKERS][KTEST_STACK_SIZE];
extern struct ktest_work ktest_works[KTEST_WORKERS];

/* ktest.c: the harness. */
_Noreturn void ktest_finish(bool ok, const char *name, const char *why);
uint64_t ktest_mix(uint64_t x);
void ktest_spin_us(uint64_t us);
void ktest_expect(unsigned n);
struct sched_thread *ktest_thread(unsigned i);
void ktest_spawn(unsigned i, void (*fn)(void *), uint64_t affinity);
void ktest_spawn_in(unsigned i, void (*fn)(void *), uint64_t affinity, hal_aspace_t *as);
void ktest_wait_workers(unsigned n);
void ktest_worker_finished(void);
void ktest_count_worker(void *arg);

/* ktest_dev.c: test=fpu, test=irq, test=ctxsw, test=dma. */
void ktest_dev_fpu(void);
void ktest_dev_dma(void);
void ktest_dev_irq(void);
void ktest_dev_ctxsw(void);

/* ktest_user.c: test=user, and test=ctxsw's null system call figure. */
void ktest_user(void);
void ktest_user_bench(void);

#endif
