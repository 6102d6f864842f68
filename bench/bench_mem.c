/* Host microbenchmarks of the buddy allocator and DMA pools (core/mem).
 * Each runs a fixed number of iterations RUNS times after a warm-up and
 * reports the median ns per alloc+free pair as one JSON object per line,
 * the format of bench_host (bench/run.sh appends the lines as they are),
 * to stdout or to the file named in argv[1]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "buddy.h"
#include "cap.h"
#include "dma.h"
#include "hal/hal.h"
#include "hal_host.h"
#include "kerr.h"
#include "lattice.h"

#define PAGE ((uint64_t)BUDDY_FRAME_SIZE)

/* Keeps results alive so the compiler cannot drop the measured work. */
static volatile uint64_t sink;


/* Stops the run with a message naming the failed step. */
static void fail(const char *what, int err)
{
    fprintf(stderr, "bench_mem: %s failed: %s\n", what, fb_strerror(err));
    exit(1);
}

/* ---------------------------------------------------------------- buddy */

#define BUDDY_FRAMES ((uint64_t)1 << 18)   /* 1 GiB: 256 blocks of the largest order */
#define BUDDY_BASE ((uint64_t)1 << 32)     /* the buddy never touches it */
#define RING 256                           /* live blocks in the mixed pattern */

static struct buddy buddy;
static struct buddy_frame *buddy_meta;

/* A fresh buddy over 1 GiB of (untouched) physical addresses, all free. */
static void setup_buddy(void)
{
    int err;

    if (buddy_meta == NULL)
        buddy_meta = malloc(buddy_meta_bytes(BUDDY_FRAMES));
    if (buddy_meta == NULL)
        fail("metadata allocation", FB_ENOMEM);
    if ((err = buddy_init(&buddy, BUDDY_BASE, BUDDY_FRAMES, buddy_meta,
                          buddy_meta_bytes(BUDDY_FRAMES))) != FB_OK)
        fail("buddy_init", err);
    if ((err = buddy_add_range(&buddy, BUDDY_BASE, BUDDY_FRAMES * PAGE)) != FB_OK)
        fail("buddy_add_range", err);
}

/* Allocates and frees one frame iters times: on an unfragmented buddy
 * each allocation splits a largest block ten times and each free merges
 * it back, the most work an order-0 pair does. */
static void body_buddy_order0(uint64_t iters)
{
    uint64_t pa, acc = 0;
    int err;

    for (uint64_t i = 0; i < iters; i++) {
        if ((err = buddy_alloc(&buddy, 0, &pa)) != FB_OK)
            fail("buddy_alloc", err);
        acc += pa;
        if ((err = buddy_free(&buddy, pa)) != FB_OK)
            fail("buddy_free", err);
    }
    sink = acc;
}

/* Orders of the mixed pattern: mostly single frames, some up to 32. */
static const unsigned mixed_orders[16] = { 0, 0, 1, 0, 2, 0, 1, 3, 0, 0, 4, 1, 0, 2, 0, 5 };
static uint64_t ring[RING];

/* Fills the ring with RING live blocks of the mixed pattern, so the
 * buddy is fragmented as a running system's would be. */
static void setup_mixed(void)
{
    int err;

    setup_buddy();
    for (unsigned i = 0; i < RING; i++)
        if ((err = buddy_alloc(&buddy, mixed_orders[i % 16], &ring[i])) != FB_OK)
            fail("buddy_alloc (ring)", err);
}

/* Frees the oldest block of the ring and allocates the next order of the
 * pattern in its place, iters times. */
static void body_buddy_mixed(uint64_t iters)
{
    static uint64_t pos;
    uint64_t acc = 0;
    int err;

    for (uint64_t i = 0; i < iters; i++, pos++) {
        uint64_t *slot = &ring[pos % RING];

        if ((err = buddy_free(&buddy, *slot)) != FB_OK)
            fail("buddy_free (mixed)", err);
        if ((err = buddy_alloc(&buddy, mixed_orders[(pos + 7) % 16], slot)) != FB_OK)
            fail("buddy_alloc (mixed)", err);
        acc += *slot;
    }
    sink = acc;
}

/* ----------------------------------------------------------------- DMA */

#define DMA_RECORDS 64
#define DMA_SLOTS 64

static struct buddy ram;
static struct buddy_frame ram_meta[HAL_HOST_RAM_SIZE / BUDDY_FRAME_SIZE];
static struct dma_pool pool;
static struct dma_buf records[DMA_RECORDS];
static struct cap_slot slots[DMA_SLOTS];
static struct cap_table table;

/* A buddy over the simulated RAM, a table, and a pool of buf_size buffers
 * with a few buffers live, as a driver would hold them. */
static void setup_pool(uint64_t buf_size)
{
    cap_handle_t h;
    uint64_t pa;
    void *kva;
    int err;

    if ((err = buddy_init(&ram, HAL_HOST_RAM_BASE, HAL_HOST_RAM_SIZE / PAGE, ram_meta,
                          sizeof ram_meta)) != FB_OK ||
        (err = buddy_add_range(&ram, HAL_HOST_RAM_BASE, HAL_HOST_RAM_SIZE)) != FB_OK)
        fail("RAM buddy", err);
    if ((err = cap_table_init(&table, slots, DMA_SLOTS, lattice_top())) != FB_OK)
        fail("cap_table_init", err);
    if ((err = dma_pool_init(&pool, &ram, buf_size, 0, records, DMA_RECORDS)) != FB_OK)
        fail("dma_pool_init", err);
    for (int i = 0; i < 8; i++)
        if ((err = dma_alloc(&pool, &table, &h, &pa, &kva)) != FB_OK)
            fail("dma_alloc (setup)", err);
}

static void setup_pool_4k(void) { setup_pool(4096); }
static void setup_pool_64k(void) { setup_pool(65536); }

/* dma_alloc (with zeroing and capability creation) and dma_free (with
 * verification and deletion) iters times. */
static void body_dma(uint64_t iters)
{
    cap_handle_t h;
    uint64_t pa, acc = 0;
    void *kva;
    int err;

    for (uint64_t i = 0; i < iters; i++) {
        if ((err = dma_alloc(&pool, &table, &h, &pa, &kva)) != FB_OK)
            fail("dma_alloc", err);
        acc += pa;
        if ((err = dma_free(&pool, &table, h)) != FB_OK)
            fail("dma_free", err);
    }
    sink = acc;
}

/* ------------------------------------------------------------- harness */

static const struct bench benches[] = {
    { "host.buddy_pair_order0", 2000000, setup_buddy, body_buddy_order0 },
    { "host.buddy_pair_mixed", 2000000, setup_mixed, body_buddy_mixed },
    { "host.dma_pair_4k", 500000, setup_pool_4k, body_dma },
    { "host.dma_pair_64k", 50000, setup_pool_64k, body_dma },
};

int main(int argc, char **argv)
{
    FILE *out = stdout;

    if (argc > 1 && (out = fopen(argv[1], "w")) == NULL) {
        perror(argv[1]);
        return 1;
    }
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        const struct bench *b = &benches[i];

        b->setup();
        result(out, b->name, measure(b), "ns", "lower");
        fflush(out);
    }
    if (out != stdout)
        fclose(out);
    free(buddy_meta);
    return 0;
}
