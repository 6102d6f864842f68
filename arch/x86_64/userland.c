/* User space bring-up: the initrd module unpacked into the RAM VFS, the
 * environment layer over the boot frame allocator, the DMA pool, and
 * the first program (init= , default /init) started under the scheduler
 * on every CPU. A kernel thread waits for init and stops the machine with
 * its verdict: exit code 0 is success. */
#include <stdint.h>

#include "arch.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "dma.h"
#include "env.h"
#include "exo_sched.h"
#include "fmt.h"
#include "frame.h"
#include "hal/hal.h"
#include "irq.h"
#include "kerr.h"
#include "kstring.h"
#include "vfs.h"
#include "x86.h"

#define VFS_NODES    4096u
#define DMA_BUFS     64u
#define USER_LIMIT   32768u      /* user frames in all: 128 MiB */
#define REAPER_STACK 16384u

static struct vfs fs;
static struct vfs_node nodes[VFS_NODES];
static struct dma_pool dma_pool;
static struct dma_buf dma_records[DMA_BUFS];
static struct sched_thread reaper;
static uint8_t reaper_stack[REAPER_STACK] __attribute__((aligned(16)));
static const struct cmdline_opts *opts;

/* vfs_block_alloc_fn: one frame through the direct map, zeroed (free
 * RAM holds whatever the loader left there). */
static void *block_alloc(void *ctx)
{
    uint64_t pa;
    void *block;

    (void)ctx;
    if (frame_alloc(bootmem_frames(), &pa) != FB_OK)
        return NULL;
    block = hal_phys_to_virt(pa);
    kmemset(block, 0, VFS_BLOCK_SIZE);
    return block;
}

/* vfs_block_free_fn. */
static void block_free(void *ctx, void *block)
{
    (void)ctx;
    frame_free(bootmem_frames(), (uint64_t)(uintptr_t)block - X86_DIRECT_MAP);
}

/* The initrd: the module named "initrd", else the first one; NULL when
 * the loader gave none. */
static const struct boot_module *find_initrd(const struct boot_info *bi)
{
    for (uint32_t i = 0; i < bi->module_count; i++) {
        if (kstrcmp(bi->modules[i].name, "initrd") == 0)
            return &bi->modules[i];
    }
    return bi->module_count > 0 ? &bi->modules[0] : NULL;
}

/* Fills the VFS from the initrd; an archive that does not check out
 * leaves the VFS empty (vfs_unpack_cpio is all or nothing). */
static void unpack_initrd(const struct boot_info *bi)
{
    const struct boot_module *m = find_initrd(bi);
    int err;

    if (vfs_init(&fs, nodes, VFS_NODES, block_alloc, block_free, NULL) != FB_OK)
        hal_panic("vfs_init failed");
    if (m == NULL) {
        kprintf("FeuerBird: no initrd module: the file system is empty\n");
        return;
    }
    err = vfs_unpack_cpio(&fs, hal_phys_to_virt(m->start), (size_t)(m->end - m->start));
    if (err != FB_OK)
        kprintf("FeuerBird: initrd '%s' rejected: %s\n", m->name, fb_strerror(err));
    else if (opts->loglevel >= 1)
        kprintf("FeuerBird: initrd '%s' unpacked (%lu bytes)\n", m->name,
                (unsigned long)(m->end - m->start));
}

/* The capabilities init starts with: every CPU and every device line. */
static void grant_init_caps(struct env *e)
{
    cap_handle_t h;

    if (cap_create(&e->caps, CAP_T_CPU, 0, CAP_R_ALL, e->label, &h) != FB_OK)
        hal_panic("no room for init's CPU capability");
    for (unsigned line = 0; line < hal_irqline_count(); line++) {
        if (cap_create(&e->caps, CAP_T_IRQ, line, CAP_R_ALL, e->label, &h) != FB_OK)
            hal_panic("no room for init's IRQ capabilities");
    }
}

/* The kernel thread that starts init, waits for it and halts. */
static void reaper_main(void *arg)
{
    struct env *init;
    int64_t code = 0;
    int err;

    (void)arg;
    err = env_create_path(NULL, opts->init, &init, NULL);
    if (err != FB_OK) {
        kprintf("FeuerBird: cannot load %s: %s\n", opts->init, fb_strerror(err));
        hal_halt(HAL_EXIT_FAILURE);
    }
    grant_init_caps(init);
    err = env_start(init, opts->init_args, kstrlen(opts->init_args));
    if (err != FB_OK) {
        kprintf("FeuerBird: cannot start %s: %s\n", opts->init, fb_strerror(err));
        hal_halt(HAL_EXIT_FAILURE);
    }
    err = (int)env_wait(init, &code);
    kprintf("FeuerBird: %s exited with code %ld\n", opts->init, (long)code);
    hal_halt(err > 0 && code == 0 ? HAL_EXIT_SUCCESS : HAL_EXIT_FAILURE);
}

/* What each AP runs: scheduling, with interrupts on. */
static void ap_sched(void)
{
    __asm__ volatile("sti");
    sched_cpu_run();
}

/* Brings up user space and runs the scheduler on this CPU for good. */
_Noreturn void userland_run(const struct boot_info *bi, const struct cmdline_opts *o)
{
    struct env_system sys = { .frames = bootmem_frames(), .fs = &fs, .user_limit = USER_LIMIT };
    const struct exo_sched_ops *ops = NULL;
    struct buddy *zone = bootmem_dma_zone();
    int err;

    opts = o;
    unpack_initrd(bi);
    if (zone != NULL &&
        dma_pool_init(&dma_pool, zone, HAL_PAGE_SIZE, 0, dma_records, DMA_BUFS) == FB_OK)
        sys.dma = &dma_pool;
    if ((err = irq_init()) != FB_OK)
        kprintf("FeuerBird: irq_init: %s\n", fb_strerror(err));
    if (o->sched[0] != '\0' && (ops = sched_policy_find(o->sched)) == NULL)
        kprintf("FeuerBird: unknown sched=%s, using the default\n", o->sched);
    if ((err = env_init(&sys)) != FB_OK || (err = sched_init(ops, 0)) != FB_OK) {
        kprintf("FeuerBird: user space setup failed: %s\n", fb_strerror(err));
        hal_halt(HAL_EXIT_FAILURE);
    }
    err = sched_thread_create(&reaper, "reaper", reaper_main, NULL, reaper_stack, REAPER_STACK,
                              NULL);
    if (err == FB_OK)
        err = sched_thread_start(&reaper);
    if (err != FB_OK)
        hal_panic("cannot start the reaper thread");
    smp_run_aps(ap_sched);
    sched_cpu_run();
    hal_panic("sched_cpu_run returned");
}
