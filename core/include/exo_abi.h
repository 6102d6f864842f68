/* The native syscall ABI: the structures and flag values that cross the
 * user/kernel boundary. Shared verbatim by the kernel and user/ (libexo),
 * so it includes nothing but <stdint.h>. Every structure has a fixed
 * layout (explicit widths, explicit padding) so both sides agree.
 * docs/SYSCALL_REFERENCE.md describes each syscall that uses them. */
#ifndef FB_EXO_ABI_H
#define FB_EXO_ABI_H

#include <stdint.h>

/** A capability handle as user space sees it (cap.h: index | gen << 32). */
typedef uint64_t cap_handle_t;

/** Longest environment name kept, including the NUL. */
#define EXO_NAME_MAX 32
/** Longest argument string env_start passes, including the NUL. */
#define EXO_ARGS_MAX 256
/** Longest path a syscall accepts, without the NUL (vfs.h VFS_PATH_MAX). */
#define EXO_PATH_MAX 1024
/** Longest name in a directory entry, without the NUL. */
#define EXO_DIRENT_NAME_MAX 255
/** Open files per environment. */
#define EXO_FD_MAX 32

/** @name Environment states (exo_env_info.state) */
/** @{ */
#define EXO_ENV_CREATED 1u  /**< loaded, not started */
#define EXO_ENV_RUNNING 2u  /**< its thread exists */
#define EXO_ENV_EXITED  3u  /**< exited or killed; waiting to be reaped */
/** @} */

/** @name Personalities (env_set_personality; elf.h brands) */
/** @{ */
#define EXO_PERS_NATIVE  0u
#define EXO_PERS_LINUX   1u
#define EXO_PERS_FREEBSD 2u
#define EXO_PERS_ILLUMOS 3u
/** @} */

/** Exit code of an environment ended by a fault in user mode. */
#define EXO_EXIT_FAULT (-1000)
/** Exit code of an environment ended by env_kill. */
#define EXO_EXIT_KILLED (-1001)

/** One environment, as env_info and env_list report it. */
struct exo_env_info {
    uint32_t id;            /**< environment id, unique per boot */
    uint32_t parent;        /**< creator's id; 0 for those the kernel made */
    uint32_t state;         /**< EXO_ENV_* */
    uint32_t personality;   /**< EXO_PERS_* */
    uint32_t level;         /**< label level 0..15 */
    uint32_t pages;         /**< user pages it owns */
    uint64_t cats;          /**< label categories */
    int64_t gas;            /**< gas budget left */
    int64_t exit_code;      /**< valid when state is EXO_ENV_EXITED */
    uint64_t runtime_ns;    /**< CPU time used */
    uint64_t syscalls;      /**< syscalls made */
    char name[EXO_NAME_MAX]; /**< program path, truncated */
};

/** @name Protection bits (mem_map, mem_protect, mem_alloc) */
/** @{ */
#define EXO_PROT_READ  0x1u
#define EXO_PROT_WRITE 0x2u
#define EXO_PROT_EXEC  0x4u
/** @} */

/** What mem_query reports about one user page. */
struct exo_mem_query {
    uint64_t pa;        /**< physical address of the queried byte */
    uint32_t prot;      /**< EXO_PROT_* */
    uint32_t reserved;  /**< 0 */
};

/** Memory counts (mem_stats). */
struct exo_mem_stats {
    uint64_t page_size;     /**< bytes per page (4096) */
    uint64_t free_pages;    /**< frames free in the kernel's allocator */
    uint64_t user_pages;    /**< frames owned by all environments */
    uint64_t user_limit;    /**< frames environments may own in all */
    uint64_t env_pages;     /**< frames the caller owns */
    uint64_t env_mapped;    /**< pages mapped in the caller's address space */
};

/** One capability (cap_info, cap_list, cap_token_verify). */
struct exo_cap_info {
    cap_handle_t handle;    /**< its handle in the caller's table */
    uint64_t object;        /**< object id */
    uint64_t cats;          /**< label categories */
    uint32_t type;          /**< cap.h enum cap_type */
    uint32_t rights;        /**< CAP_R_* bits */
    uint32_t level;         /**< label level */
    uint32_t depth;         /**< derivations from its root */
};

/** Scheduler state (sched_info). */
struct exo_sched_info {
    char policy[16];        /**< "rr", "prio" or "stride" */
    uint32_t cpus;          /**< CPUs up */
    uint32_t reserved;      /**< 0 */
    uint64_t slice_ns;      /**< time slice */
};

/** One CPU's counters (cpu_stats). */
struct exo_cpu_stats {
    uint64_t switches;      /**< context switches */
    uint64_t preemptions;   /**< threads taken off by the timer or a kick */
    uint64_t ticks;         /**< slice timer interrupts handled */
    uint64_t steals;        /**< threads taken from other CPUs */
    uint64_t idle_waits;    /**< times the CPU waited idle */
};

/** DMA zone counts (dma_info). */
struct exo_dma_info {
    uint64_t buf_size;      /**< bytes per buffer dma_alloc hands out */
    uint64_t in_use;        /**< buffers allocated now */
    uint64_t capacity;      /**< buffers the pool can track */
    uint64_t allocs;        /**< successful allocations so far */
};

/** Time keeping (time_info). */
struct exo_time_info {
    uint64_t now_ns;        /**< monotonic time since boot */
    uint64_t ticks;         /**< timer ticks since boot */
    uint64_t tick_ns;       /**< timer period */
    uint64_t cycles;        /**< the cycle counter now (two samples give its rate) */
};

/** An IPC message (ipc_send, ipc_recv, ipc_call, ipc_reply): four
 *  payload words and what the kernel says about where it came from. */
struct exo_ipc_msg {
    uint64_t w[4];          /**< payload, copied verbatim */
    uint32_t sender;        /**< on receipt: the sender's environment id; ignored when sending */
    uint32_t flags;         /**< on receipt: EXO_IPC_CALL or 0; must be 0 when sending */
};

/** @name IPC gas (each send or call charges its sender this much; the
 *  reply to a call is free: the call paid for the round trip) */
/** @{ */
#define EXO_IPC_GAS_BASE     100   /**< of every send or call */
#define EXO_IPC_GAS_PER_WORD 10    /**< per payload word */
#define EXO_IPC_GAS_MSG (EXO_IPC_GAS_BASE + EXO_IPC_GAS_PER_WORD * 4) /**< one message: 140 */
/** @} */

/** @name exo_ipc_msg flags */
/** @{ */
#define EXO_IPC_CALL 0x1u   /**< sent by ipc_call: the receiver owes a reply */
/** @} */

/** @name console_read flags */
/** @{ */
#define EXO_CONSOLE_NONBLOCK 0x1u /**< return 0 at once when nothing is pending */
/** @} */

/** @name vfs_open flags */
/** @{ */
#define EXO_O_READ   0x1u   /**< open for reading */
#define EXO_O_WRITE  0x2u   /**< open for writing */
#define EXO_O_CREATE 0x4u   /**< create the file when missing */
#define EXO_O_TRUNC  0x8u   /**< cut the file to 0 bytes (needs EXO_O_WRITE) */
#define EXO_O_APPEND 0x10u  /**< every write goes to the end */
#define EXO_O_DIR    0x20u  /**< the path must be a directory (for vfs_readdir) */
/** @} */

/** @name vfs_seek whence */
/** @{ */
#define EXO_SEEK_SET 0u
#define EXO_SEEK_CUR 1u
#define EXO_SEEK_END 2u
/** @} */

/** @name exo_stat.type */
/** @{ */
#define EXO_S_FILE    1u
#define EXO_S_DIR     2u
#define EXO_S_SYMLINK 3u
/** @} */

/** A VFS node (vfs_stat, vfs_fstat). */
struct exo_stat {
    uint32_t type;      /**< EXO_S_* */
    uint32_t mode;      /**< permission bits */
    uint64_t size;      /**< bytes; directories: entries */
    uint32_t nlink;     /**< links */
    uint32_t ino;       /**< node number */
    uint32_t mtime;     /**< modification time (archive's), else 0 */
    uint32_t blocks;    /**< 4 KiB blocks held */
};

/** One directory entry (vfs_readdir). */
struct exo_dirent {
    uint32_t ino;                          /**< node number */
    uint32_t type;                         /**< EXO_S_* */
    char name[EXO_DIRENT_NAME_MAX + 1];    /**< NUL-terminated */
};

#endif
