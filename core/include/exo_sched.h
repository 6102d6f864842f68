/* The scheduler: kernel threads, per-CPU run queues, and switchable
 * policies behind one interface (struct exo_sched_ops): round robin, fixed
 * priority (16 levels) and stride (proportional share by tickets). Policy
 * only; it reaches the machine through hal/ (contexts, one-shot timer,
 * idle, kicks, the resched hook). */
#ifndef FB_EXO_SCHED_H
#define FB_EXO_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/aspace.h"
#include "hal/context.h"
#include "spinlock.h"

#define SCHED_MAX_CPUS       64u          /**< CPUs the scheduler manages (one bit each in an affinity mask) */
#define SCHED_PRIO_LEVELS    16u          /**< fixed-priority levels, 0 .. 15 */
#define SCHED_PRIO_MAX       15u          /**< highest priority */
#define SCHED_PRIO_DEFAULT   8u           /**< priority of a thread created without parameters */
#define SCHED_MAX_TICKETS    65536u       /**< most stride tickets a thread may hold */
#define SCHED_TICKETS_DEFAULT 100u        /**< tickets of a thread created without parameters */
#define SCHED_STRIDE1        (1ull << 20) /**< stride of a thread with one ticket */
#define SCHED_SLICE_DEFAULT_NS 10000000ull /**< default time slice: 10 ms */
#define SCHED_NAME_LEN       16u          /**< bytes of a thread name, NUL included */
#define SCHED_AFFINITY_ALL   (~0ull)      /**< affinity mask allowing every CPU */
#define SCHED_STACK_MIN      4096u        /**< smallest stack sched_thread_create accepts */

/** Life cycle of a thread. */
enum sched_state {
    SCHED_NEW = 0,    /**< created, not started */
    SCHED_RUNNABLE,   /**< on exactly one run queue */
    SCHED_RUNNING,    /**< the current thread of exactly one CPU */
    SCHED_BLOCKED,    /**< waiting on a struct sched_waitq */
    SCHED_DEAD,       /**< exited; its stack may be reused once sched_thread_done() */
};

/** Scheduling parameters; each policy reads the one it needs. */
struct sched_params {
    unsigned priority;  /**< 0 .. SCHED_PRIO_MAX (fixed priority; 15 highest) */
    unsigned tickets;   /**< 1 .. SCHED_MAX_TICKETS (stride share) */
};

/** Per-thread accounting. Written by the CPU running the thread or holding
 *  its run-queue lock; a snapshot read elsewhere may be slightly stale. */
struct sched_thread_stats {
    uint64_t runtime_ns;   /**< CPU time used */
    uint64_t slices;       /**< times picked to run */
    uint64_t switches;     /**< times switched to (a pick of the thread already running is no switch) */
    uint64_t preemptions;  /**< times taken off the CPU by the timer or a kick */
    uint64_t yields;       /**< sched_yield_cpu / sched_yield_to calls */
    uint64_t migrations;   /**< times run on a CPU other than the previous one */
};

/** Policy-private links and keys of a thread. Every policy re-initializes
 *  what it uses in its enqueue, so a thread moves between policies freely. */
struct sched_link {
    struct sched_thread *next;    /**< round robin / priority FIFO: next */
    struct sched_thread *prev;    /**< round robin / priority FIFO: previous */
    struct sched_thread *parent;  /**< stride heap: parent node */
    struct sched_thread *left;    /**< stride heap: left child */
    struct sched_thread *right;   /**< stride heap: right child */
    uint64_t pass;                /**< stride: virtual time of the next turn */
    uint64_t seq;                 /**< stride: enqueue order, breaks pass ties (FIFO) */
    const struct sched_rq *pass_rq; /**< stride: run queue whose clock @c pass is on */
    uint64_t pass_gen;            /**< stride: policy generation of @c pass_rq then */
    uint64_t slice_used_ns;       /**< time used of the current slice */
};

struct sched_waitq;

/**
 * A kernel thread. Caller-allocated (no allocation in core) and must not
 * move once created: @c ctx holds pointers into itself. Field locks:
 * @c lock guards @c state transitions out of SCHED_BLOCKED and the wait
 * queue links; the lock of the run queue of CPU @c cpu guards the rest
 * while the thread is queued or running.
 */
struct sched_thread {
    hal_context_t ctx;               /**< saved registers (HAL-owned; must not move) */
    void *stack;                     /**< caller-provided stack */
    size_t stack_size;               /**< bytes of @c stack */
    char name[SCHED_NAME_LEN];       /**< for diagnostics */
    void (*entry)(void *arg);        /**< thread body; returning from it exits */
    void *arg;                       /**< argument of @c entry */
    spinlock_t lock;                 /**< guards blocking/waking (lock order: waitq, thread, run queue) */
    enum sched_state state;          /**< see enum sched_state */
    _Atomic unsigned cpu;            /**< CPU it runs or is queued on, else the last one */
    uint64_t affinity;               /**< allowed CPUs, bit n = CPU n; never 0 */
    struct sched_params param;        /**< priority and tickets */
    bool is_curr;                    /**< some CPU's current thread (rq->curr) */
    atomic_bool on_cpu;              /**< its registers are live or still being saved */
    bool is_idle;                    /**< a CPU's idle loop, never queued */
    struct sched_rq *rq;             /**< run queue holding it, or NULL */
    struct sched_thread *rq_next;    /**< run queue's arrival list: next */
    struct sched_thread *rq_prev;    /**< run queue's arrival list: previous */
    struct sched_link link;          /**< policy-private */
    struct sched_waitq *wq;          /**< wait queue it is blocked on, or NULL */
    struct sched_thread *wq_next;    /**< wait queue FIFO: next */
    struct sched_thread *wq_prev;    /**< wait queue FIFO: previous */
    struct sched_thread *all_next;   /**< registry of every created thread */
    struct sched_thread_stats stats; /**< accounting */
    hal_aspace_t *as;                /**< address space it runs in; NULL: kernel only */
    void *owner;                     /**< the environment of a user thread, else NULL */
};

/** Round robin state: one FIFO. */
struct sched_rr_rq {
    struct sched_thread *head;  /**< next to run */
    struct sched_thread *tail;  /**< last arrived */
};

/** Fixed-priority state: a FIFO per level and a bitmap of non-empty ones. */
struct sched_prio_rq {
    uint32_t bitmap;                                /**< bit p set iff level p is non-empty */
    struct sched_thread *head[SCHED_PRIO_LEVELS];   /**< per level: next to run */
    struct sched_thread *tail[SCHED_PRIO_LEVELS];   /**< per level: last arrived */
};

/** Stride state: an intrusive binary min-heap on (pass, seq). */
struct sched_stride_rq {
    struct sched_thread *root;  /**< smallest (pass, seq), or NULL */
    unsigned count;             /**< heap nodes */
    uint64_t vtime;             /**< the queue's clock: pass of the latest pick, never decreasing */
    uint64_t seq;               /**< next enqueue sequence number */
};

/** Per-CPU scheduler statistics. */
struct sched_cpu_stats {
    uint64_t switches;     /**< context switches performed */
    uint64_t preemptions;  /**< threads taken off by the timer or a kick */
    uint64_t ticks;        /**< slice timer interrupts handled */
    uint64_t steals;       /**< threads taken from another CPU's queue */
    uint64_t idle_waits;   /**< hal_cpu_idle calls */
};

/** What exo_sched_ops.stats reports about one run queue. */
struct sched_rq_stats {
    unsigned queued;        /**< threads in the policy's structure */
    uint64_t enqueues;      /**< enqueues since the policy was installed */
    uint64_t picks;         /**< successful picks since then */
    uint32_t prio_bitmap;   /**< fixed priority: non-empty levels (0 for others) */
    uint64_t stride_vtime;  /**< stride: the queue's clock (0 for others) */
    unsigned heap_depth;    /**< stride: deepest heap node, root = 1 (0 for others) */
};

struct exo_sched_ops;

/**
 * A run queue: the policy state (embedded, one union member per policy)
 * plus the core's arrival list of every queued thread (for stealing,
 * policy switches and sched_check). One per CPU in the scheduler; fuzzers,
 * tests and benches may also drive a private one through sched_rq_*.
 * Everything is guarded by @c lock (an irq-saving spinlock).
 */
struct sched_rq {
    spinlock_t lock;                   /**< taken with spin_lock_irqsave */
    unsigned cpu;                      /**< CPU index it belongs to */
    const struct exo_sched_ops *ops;   /**< policy whose state is in @c pol */
    uint64_t gen;                      /**< bumped at every policy install */
    uint64_t slice_ns;                 /**< time slice length */
    union {
        struct sched_rr_rq rr;         /**< round robin */
        struct sched_prio_rq prio;     /**< fixed priority */
        struct sched_stride_rq stride; /**< stride */
    } pol;                             /**< policy state */
    uint64_t enqueues;                 /**< policy enqueues since install */
    uint64_t picks;                    /**< policy picks since install */
    struct sched_thread *q_head;       /**< arrival list: oldest queued */
    struct sched_thread *q_tail;       /**< arrival list: newest queued */
    unsigned nr_queued;                /**< threads on the arrival list */
    /* Per-CPU scheduler state (unused by private queues). */
    struct sched_thread *curr;         /**< running thread (the idle thread when none) */
    struct sched_thread *switched_from;/**< thread whose on_cpu the next resumer clears */
    bool switched_from_dead;           /**< ...and it exited */
    struct sched_thread *migrating;    /**< switched-from thread to queue on an allowed CPU once saved */
    bool need_resched;                 /**< switch at the next resched hook */
    bool timer_fired;                  /**< the slice timer ran since the last arm */
    bool idling;                       /**< in hal_cpu_idle with an empty queue */
    bool online;                       /**< sched_cpu_run is running on this CPU */
    uint64_t charged_at;               /**< timestamp up to which curr was charged */
    struct sched_cpu_stats stats;      /**< per-CPU counters */
    struct sched_thread idle;          /**< this CPU's idle loop (its boot context) */
};

/**
 * One scheduling policy. Every hook runs with the run queue's lock held
 * (or on a private queue) and interrupts disabled, must not block, and
 * touches only @p rq and the threads handed to it. A thread handed to
 * enqueue is on no queue; pick_next and dequeue take it off. The core
 * keeps @c rq->curr, the arrival list, counts and locking; policies only
 * order.
 */
struct exo_sched_ops {
    /** Short unique name for sched_policy_find ("rr", "prio", "stride"). */
    const char *name;
    /** Makes @c rq->pol an empty queue of this policy. */
    void (*init)(struct sched_rq *rq);
    /** Queues @p t (behind its peers); returns true when @p t should
     *  preempt @c rq->curr (the core then kicks that CPU). */
    bool (*enqueue)(struct sched_rq *rq, struct sched_thread *t);
    /** Removes queued thread @p t. */
    void (*dequeue)(struct sched_rq *rq, struct sched_thread *t);
    /** Removes and returns the thread to run next, or NULL when empty. */
    struct sched_thread *(*pick_next)(struct sched_rq *rq);
    /** Charges running thread @p t for @p ran_ns of CPU time (from the
     *  slice timer and whenever @p t leaves the CPU); returns true when
     *  @p t has used its slice and should be preempted. */
    bool (*tick)(struct sched_rq *rq, struct sched_thread *t, uint64_t ran_ns);
    /** Re-queues @p t (running until now, on no queue) after it gave the
     *  CPU up voluntarily. */
    void (*yield)(struct sched_rq *rq, struct sched_thread *t);
    /** @p curr hands the CPU to @p target out of turn (both on no queue;
     *  @p target runs next); adjusts accounting so the turn is not paid
     *  twice. */
    void (*yield_to)(struct sched_rq *rq, struct sched_thread *curr,
                     struct sched_thread *target);
    /** Stores @p p in @p t and, if @p t is queued on @p rq, moves it to its
     *  new place. @p p is already validated. */
    void (*set_param)(struct sched_rq *rq, struct sched_thread *t,
                      const struct sched_params *p);
    /** Walks the policy's structure (O(n)), fills @p st, and checks it
     *  (order, counts, links). @return FB_OK; FB_EINVAL when inconsistent. */
    int (*stats)(const struct sched_rq *rq, struct sched_rq_stats *st);
};

/**
 * Round robin: one FIFO; every thread gets one slice per turn.
 * pick_next O(1), enqueue O(1), dequeue O(1).
 */
extern const struct exo_sched_ops sched_rr_ops;

/**
 * Fixed priority, 16 levels (15 highest), FIFO (round robin) within a
 * level; a newcomer above the running thread's level preempts it.
 * pick_next O(1): the highest set bit (count leading zeros) of the bitmap of
 * non-empty levels;
 * enqueue and dequeue O(1).
 */
extern const struct exo_sched_ops sched_prio_ops;

/**
 * Stride scheduling: each thread advances its pass by
 * SCHED_STRIDE1 / tickets per slice of CPU time used (pro rata for partial
 * slices); the smallest pass runs next, so CPU shares follow the ticket
 * ratio. A thread joining a queue (new, woken, moved, or after a policy
 * switch) starts at the queue's clock (vtime), so it neither starves
 * others nor is starved. pick_next, enqueue and dequeue O(log n):
 * an intrusive, always-complete binary heap (n = queued threads).
 */
extern const struct exo_sched_ops sched_stride_ops;

/** Condition checked by sched_wait_event under the wait queue's lock. */
typedef bool (*sched_cond_fn)(void *arg);

/** A queue of blocked threads; wakers may run in interrupt context. */
struct sched_waitq {
    spinlock_t lock;            /**< irq-saving; guards the FIFO */
    struct sched_thread *head;  /**< longest waiting */
    struct sched_thread *tail;  /**< newest waiter */
};

/* ------------------------------------------------------------ set-up */

/**
 * Sets up every CPU's run queue with policy @p ops (NULL: round robin) and
 * slice @p slice_ns (0: SCHED_SLICE_DEFAULT_NS), clears the registry and
 * registers sched_resched as the HAL's resched hook. Boot, once, before
 * any other sched_ call (host tests: once per test process).
 * @return FB_OK; FB_EINVAL when @p ops lacks a hook.
 */
int sched_init(const struct exo_sched_ops *ops, uint64_t slice_ns);

/**
 * Makes the calling CPU a scheduling CPU: its current context becomes the
 * CPU's idle loop, which runs picked threads and otherwise waits in
 * hal_cpu_idle. Call at the end of each CPU's bring-up (boot CPU too),
 * with interrupts enabled. Returns only after sched_shutdown() once every
 * created thread is dead (host tests); with interrupts enabled.
 */
void sched_cpu_run(void);

/** Asks every CPU's sched_cpu_run to return once no live thread is left
 *  (all created threads dead). Any context. */
void sched_shutdown(void);

/* ------------------------------------------------------------ threads */

/**
 * Fills the scheduling fields of @p t only (no context, not registered,
 * state SCHED_NEW, affinity all CPUs) with @p p (NULL: defaults). For code
 * that drives a private sched_rq directly (fuzzers, benches, policy tests).
 * @return FB_OK; FB_EINVAL for NULL @p t or parameters out of range.
 */
int sched_thread_init(struct sched_thread *t, const char *name,
                      const struct sched_params *p);

/**
 * Creates thread @p t that will run @p entry(@p arg) on the caller-provided
 * stack [@p stack, @p stack + @p stack_size); parameters @p p (NULL:
 * defaults), affinity all CPUs, state SCHED_NEW, registered for
 * sched_check. Returning from @p entry is sched_exit(). Thread context.
 * The struct of a thread that died may be used again once
 * sched_thread_done() says so. O(threads): the registry is searched.
 * @return FB_OK; FB_EINVAL for NULL arguments, a stack under
 *         SCHED_STACK_MIN or parameters out of range; FB_EBUSY when
 *         @p t still holds a thread that is not dead and off every CPU.
 */
int sched_thread_create(struct sched_thread *t, const char *name,
                        void (*entry)(void *arg), void *arg,
                        void *stack, size_t stack_size,
                        const struct sched_params *p);

/**
 * Makes new thread @p t runnable on an allowed CPU (preferring an idle
 * one), kicking that CPU when it is idle or @p t should preempt.
 * @return FB_OK; FB_EINVAL for NULL; FB_EBUSY when @p t is not SCHED_NEW.
 */
int sched_thread_start(struct sched_thread *t);

/**
 * Blocks the calling thread for at least @p ns nanoseconds; it wakes at
 * the first timer tick after the deadline. Thread context.
 * @return FB_OK; FB_EPERM outside a scheduled thread.
 */
int sched_sleep_ns(uint64_t ns);

/** Wakes sleepers whose deadline passed; sched_tick calls it. */
void sched_sleep_tick(void);

/** CPU time @p t has used, read under the scheduler's locks (its stats
 *  are written by the CPU running it). Thread context. */
uint64_t sched_thread_runtime_ns(struct sched_thread *t);

/** The time slice sched_init was given. */
uint64_t sched_slice_ns(void);

/** Ends the calling thread (state SCHED_DEAD); never returns. */
_Noreturn void sched_exit(void);

/** True once dead thread @p t is off every CPU: its stack may be reused.
 *  Thread context, no scheduler lock held. */
bool sched_thread_done(struct sched_thread *t);

/** The calling CPU's current thread (its idle thread when it runs none;
 *  NULL before sched_cpu_run on this CPU). */
struct sched_thread *sched_current(void);

/* ------------------------------------------------------------ yielding */

/** Gives the CPU up; the caller is re-queued behind its peers under the
 *  current policy. Thread context; no-op outside a scheduled thread. */
void sched_yield_cpu(void);

/**
 * Directed yield: runs @p t next on this CPU, if it is queued (on any
 * CPU) and its affinity allows this CPU; the caller is re-queued as by
 * sched_yield_cpu. Returns when the caller runs again. Thread context.
 * @return FB_OK; FB_EINVAL for NULL, the caller itself or outside a
 *         scheduled thread; FB_EAGAIN when @p t is not queued (running,
 *         blocked, new or dead); FB_EPERM when @p t may not run here.
 */
int sched_yield_to(struct sched_thread *t);

/** A preemption point: runs the resched hook if an interrupt or kick asked
 *  for one (host threads are only preempted at such points and at other
 *  interrupt re-enables). Thread context. */
void sched_preempt_point(void);

/* ------------------------------------------------------------ parameters */

/**
 * Sets @p t's priority and tickets; a queued thread moves to its new
 * place at once, a running one from its next enqueue (a running thread
 * whose priority drops may be preempted at the next resched).
 * @return FB_OK; FB_EINVAL for NULL, priority > SCHED_PRIO_MAX, or
 *         tickets 0 or > SCHED_MAX_TICKETS.
 */
int sched_set_param(struct sched_thread *t, const struct sched_params *p);

/**
 * Binds @p t to the CPUs in @p mask (bit n = CPU n). A queued thread on a
 * CPU no longer allowed moves at once; a running one at its next switch
 * (its CPU is kicked).
 * @return FB_OK; FB_EINVAL for NULL or a mask with no CPU that is up.
 */
int sched_set_affinity(struct sched_thread *t, uint64_t mask);

/* ------------------------------------------------------------ policies */

/**
 * Switches the active policy of every CPU at run time: takes every run
 * queue's lock in CPU order, drains each queue in the old policy's order,
 * installs @p ops and re-queues every thread; running threads follow at
 * their next enqueue. No thread is lost or queued twice. Thread context.
 * @return FB_OK; FB_EINVAL when @p ops is NULL or lacks a hook.
 */
int sched_set_policy(const struct exo_sched_ops *ops);

/** The built-in policy called @p name ("rr", "prio", "stride"), or NULL. */
const struct exo_sched_ops *sched_policy_find(const char *name);

/** The active policy. */
const struct exo_sched_ops *sched_policy(void);

/* ------------------------------------------------------------ blocking */

/** Makes @p wq an empty wait queue. */
void sched_waitq_init(struct sched_waitq *wq);

/**
 * Blocks the calling thread on @p wq until @p cond(@p arg) is true. The
 * condition is checked under @p wq's lock, before blocking and after every
 * wake, so a waker that makes it true and then calls sched_wake_* under
 * no other lock cannot be missed. Thread context, in a scheduled thread.
 * @return FB_OK once @p cond held; FB_EINVAL for NULL arguments; FB_EPERM
 *         outside a scheduled thread (the idle loop, or no scheduler).
 */
int sched_wait_event(struct sched_waitq *wq, sched_cond_fn cond, void *arg);

/** Wakes the longest waiter of @p wq. Any context, interrupts included.
 *  @return 1 when a thread was woken, else 0. */
unsigned sched_wake_one(struct sched_waitq *wq);

/** Wakes every waiter of @p wq. Any context, interrupts included.
 *  @return how many threads were woken. */
unsigned sched_wake_all(struct sched_waitq *wq);

/* ------------------------------------------------------------ HAL entries */

/**
 * The resched hook (registered by sched_init with
 * hal_irq_set_resched_hook): the HAL calls it on the interrupted CPU in
 * thread context with interrupts disabled after an interrupt or kick;
 * switches when the slice timer or a wake-up asked for it.
 */
void sched_resched(void);

/**
 * The slice timer's callback (armed per CPU with hal_timer_oneshot):
 * interrupt context. Charges the running thread through the policy's tick
 * and marks the CPU for a switch when its slice is used up.
 * @param unused  ignored (hal_timer_fn's context argument)
 */
void sched_tick(void *unused);

/* ------------------------------------------------------------ inspection */

/** Copies CPU @p cpu's counters into @p st. @return FB_OK; FB_EINVAL for
 *  NULL or @p cpu >= SCHED_MAX_CPUS. */
int sched_cpu_stats(unsigned cpu, struct sched_cpu_stats *st);

/**
 * Checks the whole scheduler under every lock: each created thread is in
 * exactly one place (one run queue, running on one CPU, blocked on one
 * wait queue, new or dead) matching its state; every queue's counts agree
 * with its arrival list and its policy's stats walk; affinity holds for
 * every queued and running thread. Thread context.
 * @param why  if not NULL, receives a constant description of the first
 *             violation (or NULL when none)
 * @return FB_OK; FB_EINVAL on a violation.
 */
int sched_check(const char **why);

/* ------------------------------------------------------------ private queues */

/** Makes @p rq an empty run queue of policy @p ops (NULL: round robin) for
 *  CPU @p cpu with slice @p slice_ns (0: default). Caller owns @p rq. */
void sched_rq_init(struct sched_rq *rq, unsigned cpu,
                   const struct exo_sched_ops *ops, uint64_t slice_ns);

/** Queues @p t (on no queue) on @p rq through the policy; state becomes
 *  SCHED_RUNNABLE. Caller holds @p rq's lock (or owns @p rq).
 *  @return the policy's "preempt @c rq->curr" verdict. */
bool sched_rq_enqueue(struct sched_rq *rq, struct sched_thread *t);

/** Re-queues @p t (picked from @p rq, on no queue) after a voluntary
 *  yield, through the policy's yield hook. Caller holds @p rq's lock. */
void sched_rq_yield(struct sched_rq *rq, struct sched_thread *t);

/** Removes queued thread @p t from @p rq. Caller holds @p rq's lock. */
void sched_rq_dequeue(struct sched_rq *rq, struct sched_thread *t);

/** Takes the policy's next thread off @p rq (state SCHED_RUNNING), or
 *  returns NULL when empty. Caller holds @p rq's lock. */
struct sched_thread *sched_rq_pick(struct sched_rq *rq);

/** Reinstalls @p rq with policy @p ops, keeping every queued thread (in
 *  the old policy's order). Caller holds @p rq's lock. */
void sched_rq_set_policy(struct sched_rq *rq, const struct exo_sched_ops *ops);

/** Checks @p rq alone: arrival list, counts, policy structure.
 *  Caller holds @p rq's lock. @return FB_OK; FB_EINVAL when broken. */
int sched_rq_check(const struct sched_rq *rq);

#endif
