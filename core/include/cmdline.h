/* Kernel command-line options: "key=value" and bare flags separated by
 * spaces. Unknown or malformed options produce a warning, never a failure. */
#ifndef FB_CMDLINE_H
#define FB_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

/** Deliberate faults selectable with fault=NAME, for testing the dump path. */
enum cmdline_fault {
    FAULT_NONE = 0,
    FAULT_DE,     /**< fault=de: divide by zero, vector 0 */
    FAULT_BP,     /**< fault=bp: int3, vector 3 */
    FAULT_UD,     /**< fault=ud: ud2, vector 6 */
    FAULT_GP,     /**< fault=gp: non-canonical load, vector 13 */
    FAULT_PF,     /**< fault=pf: write to an unmapped page, vector 14 */
    FAULT_GUARD,  /**< fault=guard: overflow the boot stack into its guard page */
};

/** In-kernel tests selectable with test=NAME (QEMU tests run them). */
enum cmdline_test {
    TEST_NONE = 0,
    TEST_SCHED,    /**< test=sched: N threads under the policy of sched=, checksum of their work */
    TEST_SWITCH,   /**< test=switch: live switches between every policy while threads run */
    TEST_PREEMPT,  /**< test=preempt: a thread that never yields is preempted by the timer */
    TEST_FPU,      /**< test=fpu: SSE registers survive switches and preemption */
    TEST_IRQ,      /**< test=irq: a real device interrupt through a bound line */
    TEST_CTXSW,    /**< test=ctxsw: context switch cost between two threads, in TSC cycles */
    TEST_DMA,      /**< test=dma: DMA pool buffers from the boot DMA zone, owned through capabilities */
    TEST_USER,     /**< test=user: user threads in their own address spaces: system calls, SSE, faults */
    TEST_ALL,      /**< test=all: every test above but ctxsw, in that order */
};

#define CMDLINE_SCHED_MAX 16   /**< bytes of a sched= policy name incl. NUL */
#define CMDLINE_SMP_MAX   64   /**< largest smp= value */
#define CMDLINE_INIT_MAX  64   /**< bytes of an init= path incl. NUL */
#define CMDLINE_ARGS_MAX  256  /**< bytes of init's arguments incl. NUL */

/** Parsed options with their defaults applied. */
struct cmdline_opts {
    enum cmdline_fault fault;  /**< fault=de|bp|ud|gp|pf|guard|none */
    bool autoexit;             /**< autoexit: leave QEMU with success after boot */
    uint32_t ticks;            /**< ticks=N: timer ticks to see before autoexit (1..10000, default 10) */
    uint32_t loglevel;         /**< loglevel=N: 0 quiet .. 3 debug (default 1) */
    uint32_t smp;              /**< smp=N: start at most N CPUs (1..64; default 0: all) */
    enum cmdline_test test;    /**< test=sched|switch|preempt|fpu|irq|ctxsw|dma|user|all|none */
    char sched[CMDLINE_SCHED_MAX]; /**< sched=NAME: scheduling policy (lowercase letters;
                                        default "" = the kernel's default policy) */
    char init[CMDLINE_INIT_MAX]; /**< init=PATH: the first program (absolute path of
                                      printable characters; default "/init") */
    char init_args[CMDLINE_ARGS_MAX]; /**< everything after " -- ", passed to init as
                                           its argument string (default "") */
    uint32_t warnings;         /**< number of options ignored with a warning */
};

/**
 * Called once per ignored option with a message like
 * "unknown option 'foo'"; may be NULL.
 */
typedef void (*cmdline_warn_fn)(const char *msg, void *ctx);

/**
 * Parses @p s (NULL means empty) into @p out, starting from defaults.
 * A repeated option keeps its last value. A "--" token ends the options:
 * the rest of the line (spaces kept, leading ones dropped) becomes
 * init_args; a rest longer than CMDLINE_ARGS_MAX - 1 bytes is dropped
 * with a warning.
 * @return FB_OK always for valid pointers (bad options are warnings);
 *         FB_EINVAL when @p out is NULL.
 */
int cmdline_parse(const char *s, struct cmdline_opts *out, cmdline_warn_fn warn, void *ctx);

/** Name of a fault kind as written on the command line ("pf"). */
const char *cmdline_fault_name(enum cmdline_fault f);

/** Name of a test as written on the command line ("sched"); "?" out of range. */
const char *cmdline_test_name(enum cmdline_test t);

#endif
