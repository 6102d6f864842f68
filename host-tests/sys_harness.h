/* A whole simulated machine for syscall tests: a frame allocator over
 * the host HAL's simulated RAM, a RAM VFS holding tiny ELF executables,
 * the environment layer, and the scheduler on two simulated CPUs. A
 * "user program" is host code: the host HAL's hal_user_enter runs it
 * (picked by the entry point of the ELF it was loaded from), and it
 * makes system calls through hal_host_syscall, the same path the x86_64
 * SYSCALL instruction takes into sys_entry. It reaches its own user
 * memory only as user code would: through addresses in its address
 * space (upeek/upoke translate them the way the MMU does). */
#ifndef FB_SYS_HARNESS_H
#define FB_SYS_HARNESS_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "block_source.h"
#include "bootinfo.h"
#include "buddy.h"
#include "dma.h"
#include "env.h"
#include "exo_abi.h"
#include "frame.h"
#include "hal/aspace.h"
#include "hal/panic.h"
#include "hal/user.h"
#include "hal_host.h"
#include "hal_host_user.h"
#include "ipc.h"
#include "kerr.h"
#include "sched_harness.h"
#include "sys.h"
#include "sys_numbers.h"
#include "vfs.h"

#define SH_CPUS        2u
#define SH_NODES       256u
#define SH_PROGS       16u
#define SH_TEXT        0x400000ull   /* the text page of every test executable */
#define SH_DATA        0x401000ull   /* its data page: SH_DATA_BYTES of known bytes */
#define SH_DATA_BYTES  64u
#define SH_SCRATCH     0x10000000ull /* where programs map what they test with */
#define SH_DMA_FRAMES  256u          /* the DMA zone: the last 1 MiB of simulated RAM */
#define SH_DMA_BASE    (HAL_HOST_RAM_BASE + HAL_HOST_RAM_SIZE - SH_DMA_FRAMES * 4096ull)
#define SH_DMA_BUFS    16u

/** A user program: host code run in user mode; ends with env_exit. */
typedef void (*sh_prog_fn)(uint64_t argp);

static struct frame_allocator sh_frames;
static uint64_t sh_bitmap[HAL_HOST_RAM_SIZE / 4096 / 32 + 16];
static struct boot_info sh_bi;
static struct vfs sh_fs;
static struct vfs_node sh_nodes[SH_NODES];
static struct block_source sh_blocks = { 0, -1 };
static struct buddy sh_dma_zone;
static struct buddy_frame sh_dma_meta[SH_DMA_FRAMES];
static struct dma_pool sh_dma;
static struct dma_buf sh_dma_records[SH_DMA_BUFS];
static sh_prog_fn sh_progs[SH_PROGS];
static unsigned sh_nprogs;
static uint64_t sh_free_at_start;
static int64_t sh_last_got __attribute__((unused));   /* what the last failed UEXPECT got */

/* The host HAL's user mode: run the program whose entry point this is. */
static void sh_runner(uintptr_t ip, uintptr_t sp, uint64_t arg)
{
    uint64_t k = (ip - SH_TEXT) / 16;

    (void)sp;
    if (ip < SH_TEXT || k >= sh_nprogs)
        hal_panic("sys_harness: entry point of no registered program");
    sh_progs[k](arg);
    hal_panic("sys_harness: a user program returned instead of calling env_exit");
}

/** A system call from a user program, as the SYSCALL instruction makes it. */
static inline int64_t sc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                         uint64_t a4, uint64_t a5)
{
    const uint64_t a[HAL_SYSCALL_ARGS] = { a0, a1, a2, a3, a4, a5 };

    return hal_host_syscall(nr, a);
}

/* SCn(nr, n arguments): the arguments are expanded before they are
 * counted, so one macro argument may stand for two (a path and its
 * length). Missing arguments are 0. */
#define SCARGS(...) ((const uint64_t[HAL_SYSCALL_ARGS]){ __VA_ARGS__ })
#define SC0(n) hal_host_syscall((n), SCARGS(0))
#define SC1(n, ...) hal_host_syscall((n), SCARGS(__VA_ARGS__))
#define SC2(n, ...) hal_host_syscall((n), SCARGS(__VA_ARGS__))
#define SC3(n, ...) hal_host_syscall((n), SCARGS(__VA_ARGS__))
#define SC4(n, ...) hal_host_syscall((n), SCARGS(__VA_ARGS__))
#define SC5(n, ...) hal_host_syscall((n), SCARGS(__VA_ARGS__))

/** The host pointer of user address va in the caller's address space, as
 *  the MMU would translate it (NULL when unmapped); valid to the end of
 *  its page. */
static inline void *uaddr(uintptr_t va)
{
    uint64_t pa;

    if (hal_aspace_query(hal_aspace_current(), va, &pa, NULL) != FB_OK)
        return NULL;
    return hal_phys_to_virt(pa);
}

/** Copies n bytes of user memory at va out (a user load). */
static inline void upeek(void *dst, uintptr_t va, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *p = uaddr(va + i);

        if (p == NULL)
            hal_panic("sys_harness: user load from an unmapped page");
        ((unsigned char *)dst)[i] = *p;
    }
}

/** Copies n bytes into user memory at va (a user store). */
static inline void upoke(uintptr_t va, const void *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *p = uaddr(va + i);

        if (p == NULL)
            hal_panic("sys_harness: user store to an unmapped page");
        *p = ((const unsigned char *)src)[i];
    }
}

/** Stores string s (with its NUL) at user address va; returns va. */
static inline uint64_t ustr(uintptr_t va, const char *s)
{
    upoke(va, s, strlen(s) + 1);
    return va;
}

/* Little-endian stores into an ELF image. */
static void sh_put(uint8_t *img, size_t at, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        img[at + i] = (uint8_t)(v >> (8 * i));
}

/** Builds a static x86_64 ELF executable (8 KiB) whose entry point names
 *  program k: a text page at SH_TEXT and a data page at SH_DATA starting
 *  with the bytes "data:0123..." (SH_DATA_BYTES). */
static size_t sh_build_elf(uint8_t img[3 * 4096], unsigned k)
{
    static const uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };

    memset(img, 0, 3 * 4096);
    memcpy(img, ident, sizeof(ident));
    sh_put(img, 16, 2, 2);                   /* ET_EXEC */
    sh_put(img, 18, 62, 2);                  /* EM_X86_64 */
    sh_put(img, 20, 1, 4);
    sh_put(img, 24, SH_TEXT + 16 * k, 8);    /* e_entry */
    sh_put(img, 32, 64, 8);                  /* e_phoff */
    sh_put(img, 52, 64, 2);                  /* e_ehsize */
    sh_put(img, 54, 56, 2);                  /* e_phentsize */
    sh_put(img, 56, 2, 2);                   /* e_phnum */
    for (unsigned i = 0; i < 2; i++) {
        size_t ph = 64 + 56 * i;

        sh_put(img, ph, 1, 4);                          /* PT_LOAD */
        sh_put(img, ph + 4, i == 0 ? 5 : 6, 4);         /* R+X, R+W */
        sh_put(img, ph + 8, 4096 * (i + 1), 8);         /* p_offset */
        sh_put(img, ph + 16, i == 0 ? SH_TEXT : SH_DATA, 8);
        sh_put(img, ph + 24, i == 0 ? SH_TEXT : SH_DATA, 8);
        sh_put(img, ph + 32, 4096, 8);                  /* p_filesz */
        sh_put(img, ph + 40, 4096, 8);                  /* p_memsz */
        sh_put(img, ph + 48, 4096, 8);                  /* p_align */
    }
    img[4096] = 0xf4;                                   /* text: hlt (never run) */
    for (unsigned i = 0; i < SH_DATA_BYTES; i++)
        img[8192 + i] = (uint8_t)(i < 5 ? (unsigned)"data:"[i] : '0' + (i - 5) % 10);
    return 3 * 4096;
}

/** Puts program fn into the VFS at path; returns its index. */
static inline unsigned sh_install(const char *path, sh_prog_fn fn)
{
    uint8_t img[3 * 4096];
    size_t len = sh_build_elf(img, sh_nprogs), put;
    vfs_handle_t h;

    if (sh_nprogs >= SH_PROGS || vfs_create(&sh_fs, path, 0755, &h) != FB_OK ||
        vfs_write(&sh_fs, h, 0, img, len, &put) != FB_OK || put != len)
        hal_panic("sys_harness: cannot install a program");
    sh_progs[sh_nprogs] = fn;
    return sh_nprogs++;
}

/** Boots the simulated machine: frames, VFS, environments, 2 CPUs. */
static inline void sh_boot(void)
{
    struct env_system sys = { .frames = &sh_frames, .fs = &sh_fs, .dma = &sh_dma,
                              .user_limit = 4096 };

    sh_bi = (struct boot_info){ 0 };
    sh_bi.regions[0] = (struct mem_region){ .base = HAL_HOST_RAM_BASE, .length = HAL_HOST_RAM_SIZE,
                                            .type = MEM_USABLE };
    sh_bi.region_count = 1;
    if (frame_init(&sh_frames, &sh_bi, sh_bitmap, sizeof(sh_bitmap)) != FB_OK ||
        vfs_init(&sh_fs, sh_nodes, SH_NODES, block_source_alloc, block_source_free,
                 &sh_blocks) != FB_OK ||
        vfs_mkdir(&sh_fs, "/bin", 0755, NULL) != FB_OK ||
        frame_reserve(&sh_frames, SH_DMA_BASE, SH_DMA_FRAMES * 4096ull) != FB_OK ||
        buddy_init(&sh_dma_zone, SH_DMA_BASE, SH_DMA_FRAMES, sh_dma_meta,
                   sizeof(sh_dma_meta)) != FB_OK ||
        buddy_add_range(&sh_dma_zone, SH_DMA_BASE, SH_DMA_FRAMES * 4096ull) != FB_OK ||
        dma_pool_init(&sh_dma, &sh_dma_zone, 4096, 0, sh_dma_records, SH_DMA_BUFS) != FB_OK)
        hal_panic("sys_harness: setup failed");
    hal_aspace_set_frame_source(NULL, NULL);
    if (env_init(&sys) != FB_OK)
        hal_panic("sys_harness: env_init failed");
    hal_host_set_user_runner(sh_runner);
    if (harness_boot(SH_CPUS, NULL, 0) != 0)
        hal_panic("sys_harness: the scheduler did not start");
    sh_free_at_start = frame_free_count(&sh_frames);
}

/* What sh_run hands its kernel thread, and what comes back. */
struct sh_job {
    const char *path;
    const char *args;
    int create_err;
    int64_t code;
    atomic_uint done;
    struct sched_thread thread;
};

/* The kernel thread of sh_run: create, start, wait. */
static void sh_job_main(void *arg)
{
    struct sh_job *j = arg;
    struct env *e;

    j->create_err = env_create_path(NULL, j->path, &e, NULL);
    if (j->create_err == FB_OK)
        j->create_err = env_start(e, j->args, strlen(j->args));
    if (j->create_err == FB_OK && env_wait(e, &j->code) <= 0)
        j->create_err = FB_ESTALE;
    atomic_store(&j->done, 1);
}

/** Runs the program at path with args to its end; returns its exit code
 *  (fails the test when it cannot be created or does not end in 10 s). */
static inline int64_t sh_run(const char *path, const char *args)
{
    /* One job struct for good: the scheduler's registry keeps a dead
     * thread's struct linked until it is created again. */
    static struct sh_job job;
    struct sh_job *j = &job;
    int64_t code;

    j->path = path;
    j->args = args;
    j->create_err = FB_OK;
    j->code = 0;
    atomic_store(&j->done, 0);
    if (harness_spawn(&j->thread, "sh_job", sh_job_main, j, NULL) != 0)
        hal_panic("sys_harness: cannot start the job thread");
    if (!harness_wait_for(&j->done, 1, 10000))
        hal_panic("sys_harness: the program did not end within 10 s");
    if (j->create_err != FB_OK)
        hal_panic("sys_harness: the program could not be created or started");
    code = j->code;
    while (!sched_thread_done(&j->thread))
        harness_sleep_ms(1);
    harness_reap(&j->thread);
    return code;
}

/** True once every environment is gone, every user frame came back and
 *  no IPC endpoint is left (orphans get a second to end). Call at the end of a test body: an
 *  assertion in a Criterion .fini is printed but does not fail the test. */
static inline bool sh_settled(void)
{
    const char *why = NULL;
    struct dma_pool_stats dma;

    for (int tries = 0; env_count() != 0 && tries < 1000; tries++)
        harness_sleep_ms(1);
    dma_pool_stats(&sh_dma, &dma);
    return env_count() == 0 && umem_total() == 0 && dma.live == 0 && ipc_endpoint_count() == 0 &&
           frame_free_count(&sh_frames) == sh_free_at_start && env_check(&why) == FB_OK;
}

/** Stops the simulated CPUs. */
static inline void sh_halt(void)
{
    if (harness_halt(SH_CPUS) != 0)
        hal_panic("sys_harness: a simulated CPU did not stop");
}

/* Checks inside a user program: on failure record the first one and
 * exit with the line number, which the test reports. */
#define UCHECK(cond)                           \
    do {                                       \
        if (!(cond))                           \
            SC1(SYS_env_exit, __LINE__);       \
    } while (0)

/* A user-program check that a syscall returned exactly want. */
#define UEXPECT(call, want)                    \
    do {                                       \
        int64_t got_ = (call);                 \
        if (got_ != (int64_t)(want)) {         \
            sh_last_got = got_;                \
            SC1(SYS_env_exit, __LINE__);       \
        }                                      \
    } while (0)

#endif
