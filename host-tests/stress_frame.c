/* Concurrency check of the frame allocator: threads churn alloc/free and
 * no frame may ever have two owners; the free count ends exact. Plain C
 * (no Criterion) so it also runs under TSan, where Criterion cannot. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "kerr.h"

#define PAGE    4096u
#define THREADS 4
#define ROUNDS  2000
#define HOLD    16
#define SPAN_FRAMES 512u
/* Frames 1..158 of low RAM plus 256 frames from 1 MiB. */
#define EXPECTED_FREE (159u - 1u + 256u)

static const struct mem_region map[] = {
    { 0x0, 0x9f000, MEM_USABLE },
    { 0x9f000, 0x61000, MEM_RESERVED },
    { 0x100000, 0x100000, MEM_USABLE },
};

static struct boot_info bi;
static struct frame_allocator fa;
static uint64_t bitmap[64];
/* 1 while some thread holds the frame: a second owner is a bug. */
static atomic_int owner[SPAN_FRAMES];
static atomic_int errors;

/* Thread body: repeatedly takes up to HOLD frames and gives them back. */
static void *churn(void *arg)
{
    uint64_t held[HOLD];

    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        int n = 0;
        for (; n < HOLD; n++) {
            if (frame_alloc(&fa, &held[n]) != FB_OK)
                break;
            /* Relaxed suffices: the allocator lock orders hand-overs. */
            if (atomic_exchange_explicit(&owner[held[n] / PAGE], 1, memory_order_relaxed) != 0)
                atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
        }
        for (int i = 0; i < n; i++) {
            atomic_store_explicit(&owner[held[i] / PAGE], 0, memory_order_relaxed);
            if (frame_free(&fa, held[i]) != FB_OK)
                atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];

    memcpy(bi.regions, map, sizeof map);
    bi.region_count = sizeof map / sizeof map[0];
    if (frame_init(&fa, &bi, bitmap, sizeof bitmap) != FB_OK) {
        fprintf(stderr, "FAIL: frame_init, expected FB_OK\n");
        return 1;
    }
    for (int i = 0; i < THREADS; i++) {
        if (pthread_create(&t[i], NULL, churn, NULL) != 0) {
            fprintf(stderr, "FAIL: pthread_create\n");
            return 1;
        }
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    if (atomic_load(&errors) != 0) {
        fprintf(stderr, "FAIL: %d double owners or failed frees, expected 0\n", atomic_load(&errors));
        return 1;
    }
    if (frame_free_count(&fa) != EXPECTED_FREE) {
        fprintf(stderr, "FAIL: %llu frames free, expected %u\n",
                (unsigned long long)frame_free_count(&fa), EXPECTED_FREE);
        return 1;
    }
    printf("stress_frame: %d threads x %d rounds, counts exact\n", THREADS, ROUNDS);
    return 0;
}
