/* Environments: FeuerBird's processes. An environment owns a capability
 * table, a label, a gas budget, a personality, an address space, the user
 * frames it allocated, its open files and one user thread. Environments
 * live in a fixed table and are recycled, never freed, because capability
 * tables must outlive every capability derived from them (cap.h). The
 * same code runs in the kernel and, against the host HAL's simulated user
 * memory and user mode, in host tests. */
#ifndef FB_ENV_H
#define FB_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "cap.h"
#include "exo_abi.h"
#include "exo_sched.h"
#include "hal/aspace.h"
#include "hal/user.h"
#include "lattice.h"
#include "spinlock.h"
#include "vfs.h"

#define ENV_MAX          64u        /**< environments alive at once */
#define ENV_CAP_SLOTS    256u       /**< capability slots per environment */
#define ENV_KSTACK_BYTES 16384u     /**< kernel stack of an environment's thread */
#define ENV_STACK_PAGES  16u        /**< user stack pages mapped at start */
#define ENV_STACK_TOP    0x00007ffffff00000ull /**< one past the user stack */
#define ENV_PAGES_MAX    16384u     /**< user frames one environment may own (64 MiB) */
#define ENV_MAPS_MAX     512u       /**< mem_map mappings one environment may hold */
#define ENV_GAS_DEFAULT  1000000    /**< gas budget of a new environment */
#define ENV_IMAGE_MAX    (16u << 20) /**< largest executable env_create loads */

struct frame_allocator;
struct ipc_waiter;
struct dma_pool;

/** An open file of an environment. */
struct env_file {
    bool used;          /**< slot taken */
    vfs_handle_t node;  /**< the VFS node */
    uint64_t off;       /**< offset of the next read or write */
    uint32_t flags;     /**< EXO_O_* it was opened with */
};

/** A page mapped with mem_map: the rights its capability allowed. */
struct env_map {
    uintptr_t va;       /**< page address; 0 = free entry */
    uint32_t max_prot;  /**< EXO_PROT_* the capability allows */
};

/** One environment. Fields below @c lock are guarded by it unless noted. */
struct env {
    spinlock_t lock;              /**< guards state, exit_code, dying; serializes kill's writes */
    uint32_t id;                  /**< unique per boot, 0 while the slot is free */
    uint32_t parent;              /**< creator's id, 0 for the kernel's */
    uint32_t state;               /**< EXO_ENV_*, 0 while free */
    uint32_t personality;         /**< EXO_PERS_* */
    atomic_bool kill;             /**< env_kill asked it to end (polled without the lock) */
    bool dying;                   /**< its teardown began: grant nothing into it */
    bool reaped_by_kernel;        /**< nobody waits: reap at exit */
    int64_t exit_code;            /**< valid once EXO_ENV_EXITED */
    fb_label_t label;             /**< its label; capabilities it creates carry it */
    _Atomic int64_t gas;          /**< gas budget left */
    _Atomic uint64_t syscalls;    /**< syscalls made */
    hal_aspace_t *as;             /**< its address space; NULL once torn down */
    uintptr_t entry;              /**< ELF entry point */
    struct sched_params param;    /**< its thread's priority and tickets */
    _Atomic uint32_t pages;       /**< user frames it owns (read by env_info on any CPU) */
    char name[EXO_NAME_MAX];      /**< program path, truncated */
    char args[EXO_ARGS_MAX];      /**< argument string for the program */
    struct env_file files[EXO_FD_MAX];   /**< open files (owner thread only) */
    struct env_map maps[ENV_MAPS_MAX];   /**< mem_map rights (owner thread only) */
    struct sched_waitq exited;    /**< env_wait callers */
    struct sched_waitq ipc_wait;  /**< its thread, blocked in IPC (core/ipc); env_kill wakes it */
    struct ipc_waiter *ipc_reply; /**< the caller it owes a reply, or NULL (core/ipc's reply_lock) */
    struct sched_thread thread;   /**< its one thread */
    struct cap_table caps;        /**< its capability table */
    struct cap_slot slots[ENV_CAP_SLOTS]; /**< the table's memory */
    _Alignas(16) uint8_t kstack[ENV_KSTACK_BYTES]; /**< its thread's kernel stack */
};

/** What the environment layer works with; set once by env_init. */
struct env_system {
    struct frame_allocator *frames; /**< where user frames come from */
    struct vfs *fs;                 /**< the file system programs are loaded from */
    struct dma_pool *dma;           /**< dma_alloc's pool, or NULL (FB_ENOTSUP) */
    uint64_t user_limit;            /**< user frames all environments may own together */
};

/**
 * Sets up the environment table and the user frame pool. Registers the
 * syscall and user fault handlers with the HAL. Call once at boot (host
 * tests: once per test, with no environment alive).
 * Errors: FB_EINVAL (NULL @p sys or frame allocator, user_limit 0).
 */
int env_init(const struct env_system *sys);

/**
 * Creates an environment from the static ELF64 executable @p image
 * (@p len bytes): a fresh address space with its loadable segments and a
 * stack, a capability table at @p parent's label (bottom without a
 * parent), state EXO_ENV_CREATED. @p name is kept (truncated) for
 * listings. The caller gets a CAP_T_ENV capability with every right in
 * @p parent's table when @p parent is not NULL (*@p cap).
 * Errors: those of elf_parse / elf_load (a malformed image), FB_ENOSPC
 * (no free environment or capability slot), FB_ENOMEM, FB_EINVAL.
 * Nothing is left behind when it fails.
 */
int env_create(struct env *parent, const void *image, size_t len, const char *name,
               struct env **out, cap_handle_t *cap);

/** env_create from the VFS file at @p path. Errors: those of env_create,
 *  FB_ENOENT, FB_EINVAL (not a regular file, or larger than ENV_IMAGE_MAX). */
int env_create_path(struct env *parent, const char *path, struct env **out, cap_handle_t *cap);

/**
 * Starts @p e's thread: it enters user mode at the entry point with the
 * argument string @p args (@p len bytes, no NUL needed) on its stack.
 * Errors: FB_EBUSY (already started or ended), FB_ERANGE (args longer
 * than EXO_ARGS_MAX - 1), FB_EINVAL.
 */
int env_start(struct env *e, const char *args, size_t len);

/** Ends the calling environment with @p code; never returns. */
_Noreturn void env_exit(int64_t code);

/** The environment the calling thread belongs to, or NULL. */
struct env *env_current(void);

/**
 * Finds the live environment a CAP_T_ENV capability in @p self's table
 * names and checks @p need. Errors: those of cap_verify, FB_EINVAL
 * (another type), FB_ESTALE (the environment ended or was reaped).
 */
int env_from_cap(struct env *self, cap_handle_t h, cap_rights_t need, struct env **out);

/** Like env_from_cap, but an environment that ended and is not reaped
 *  yet is found too (env_wait, env_info). */
int env_from_cap_any(struct env *self, cap_handle_t h, cap_rights_t need, struct env **out);

/**
 * cap_grant from @p from's table into @p to's, refused with FB_ESTALE
 * once @p to is ending (its table is about to be reset). Errors: those
 * of cap_grant, FB_ESTALE.
 */
int env_grant(struct env *from, cap_handle_t h, struct env *to, cap_rights_t rights,
              fb_label_t label, cap_handle_t *out);

/** Sets @p e's priority and tickets: applied at once to a running
 *  environment, kept for its thread when not started yet.
 *  Errors: those of sched_set_param. */
int env_set_param(struct env *e, const struct sched_params *p);

/**
 * Waits until @p e has exited, stores its exit code, reaps it (its slot
 * is free again) and returns its id. Only one waiter wins; the others get
 * FB_ESTALE. Thread context.
 */
int64_t env_wait(struct env *e, int64_t *code);

/** Asks @p e to end with EXO_EXIT_KILLED: at once when not started, else
 *  at its next entry to the kernel. Errors: FB_ESTALE (already ended). */
int env_kill(struct env *e);

/** The user fault handler (hal_user_set_fault_handler): reports the
 *  fault on the console and ends the faulting environment. */
void env_user_fault(const struct hal_user_fault *f);

/** Checks the calling environment's pending kill (call at kernel entry
 *  and on the way back to user mode); does not return when it is set. */
void env_check_kill(void);

/** Fills @p out with @p e's public state. Takes @p e's lock. */
void env_info(struct env *e, struct exo_env_info *out);

/** Visits every live environment in id order: skips the first @p skip,
 *  fills up to @p max entries of @p out, returns how many are alive. */
size_t env_list(struct exo_env_info *out, size_t skip, size_t max);

/** The environment with id @p id, or NULL. */
struct env *env_by_id(uint32_t id);

/** The environment layer's configuration (env_init's copy). */
const struct env_system *env_system(void);

/** Invariant check for tests and fuzzing, with nothing running: every
 *  slot's capability table passes cap_table_check, a slot has an id
 *  exactly when it has a state, and a free slot holds no address space.
 *  @return FB_OK; FB_EINVAL with a reason in *@p why. */
int env_check(const char **why);

/** Number of live environments (tests and leak checks). */
unsigned env_count(void);

/** @name User memory (core/env/umem.c) */
/** @{ */
/** Allocates a zeroed user frame owned by @p e. @p with_cap: it is named
 *  by a CAP_T_MEMORY capability (frame_alloc) rather than anonymous
 *  (mem_alloc, ELF loading, stacks). Errors: FB_ENOMEM (a limit or no
 *  frame). */
int umem_alloc(struct env *e, bool with_cap, uint64_t *pa);
/** Gives up @p e's ownership of frame @p pa: freed at once when unmapped
 *  everywhere, else when the last mapping goes. Errors: FB_ENOENT (not a
 *  user frame), FB_EPERM (owned by another environment). */
int umem_release(struct env *e, uint64_t pa);
/** Maps @p pa at @p va in @p e's address space and counts the mapping.
 *  Errors: those of hal_aspace_map, FB_ENOENT (not a user frame). */
int umem_map(struct env *e, uintptr_t va, uint64_t pa, uint32_t hal_flags);
/** Unmaps @p va in @p e and drops the frame's count (freeing an orphan).
 *  Stores the frame in *@p pa when not NULL. Errors: FB_ENOENT. */
int umem_unmap(struct env *e, uintptr_t va, uint64_t *pa);
/** What umem_info reports about one frame. */
struct umem_facts {
    uint32_t owner;   /**< environment id; 0 for an orphan */
    uint32_t maps;    /**< mappings in any address space */
    bool with_cap;    /**< named by a capability (frame_alloc, dma_alloc) */
    bool dma;         /**< a DMA pool buffer, not the frame allocator's */
};

/** Facts about frame @p pa. Errors: FB_ENOENT (not a user frame). */
int umem_info(uint64_t pa, struct umem_facts *out);

/** Records DMA buffer page @p pa (from dma_alloc) as @p e's, so it can be
 *  mapped and its mappings counted; it does not count against @p e's
 *  frame limit, and releasing it frees nothing (the DMA pool takes the
 *  buffer back). Errors: FB_EEXIST, FB_ENOMEM (the table's limit). */
int umem_adopt_dma(struct env *e, uint64_t pa);
/** Unmaps everything in @p e's address space and releases every frame it
 *  owns (teardown). */
void umem_teardown(struct env *e);
/** User frames owned now, by anyone. */
uint64_t umem_total(void);
/** Resets the pool (env_init). */
void umem_init(uint64_t limit);
/** @} */

#endif
