/* Fuzz target for the buddy allocator: the input picks a range (base
 * offset and size, so bases unaligned to the largest order and sizes
 * that are no power of two come up), then runs a program of operations,
 * each an opcode byte and its argument bytes (an input that ends early
 * reads zeroes): add a range (holes are what is never added), allocate
 * an order, free a live block, free a bogus address (unaligned, inside a
 * block, outside the range, anywhere), free again what was freed, ask a
 * block's order. A shadow model of every frame (managed? held by which
 * block?) predicts each result exactly; after every step buddy_check
 * must pass and the counts must match the model, including the largest
 * free block: coalescing must leave every fully free aligned block whole.
 * Any disagreement aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "fuzz_util.h"
#include "kerr.h"

#define PAGE ((uint64_t)BUDDY_FRAME_SIZE)
#define MAX_FRAMES 2048u                 /* frames of the largest range */
#define FUZZ_BASE ((uint64_t)1 << 30)    /* aligned to every order */
#define MAX_OPS 512

enum op { OP_ADD, OP_ALLOC, OP_FREE, OP_BOGUS, OP_AGAIN, OP_ORDER, OP_COUNT };

/* A live block the model knows. */
struct block {
    uint64_t pa;
    unsigned order;
};

static struct buddy b;
static struct buddy_frame meta[MAX_FRAMES];
static uint64_t base, nframes;

/* The model. */
static bool managed[MAX_FRAMES];
static bool used[MAX_FRAMES];
static struct block live[MAX_FRAMES];
static uint32_t n_live;
static uint64_t n_managed, n_used;
static uint64_t last_freed;          /* 0 until a block was freed */
static uint32_t prefix[MAX_FRAMES + 1]; /* prefix[i]: free managed frames below i */
static bool prefix_stale;               /* the model changed since prefix[] was computed */

/* Frames in a block of order k. */
static uint64_t frames_of(unsigned k)
{
    return (uint64_t)1 << k;
}

/* Index of the live block starting at frame i, or -1. */
static int live_at(uint64_t i)
{
    for (uint32_t k = 0; k < n_live; k++)
        if (live[k].pa == base + i * PAGE)
            return (int)k;
    return -1;
}

/* Recomputes prefix[] from the model if it changed (the fuzzer spends
 * its time here otherwise). */
static void count_free(void)
{
    if (!prefix_stale)
        return;
    prefix_stale = false;
    prefix[0] = 0;
    for (uint64_t i = 0; i < nframes; i++)
        prefix[i + 1] = prefix[i] + (managed[i] && !used[i]);
}

/* True when the order-k block at frame i is aligned, inside the range
 * and entirely managed and free: the buddy must then be able to hand it
 * (or a block like it) out. Needs count_free() to be current. */
static bool free_block_at(uint64_t i, unsigned k)
{
    return ((base / PAGE + i) & (frames_of(k) - 1)) == 0 && i + frames_of(k) <= nframes &&
           prefix[i + frames_of(k)] - prefix[i] == frames_of(k);
}

/* Largest order with a fully free aligned block, -1 when none. */
static int model_largest(void)
{
    count_free();
    for (int k = (int)BUDDY_MAX_ORDER; k >= 0; k--) {
        uint64_t step = frames_of((unsigned)k);
        uint64_t first = (step - (base / PAGE) % step) % step;

        for (uint64_t i = first; i < nframes; i += step)
            if (free_block_at(i, (unsigned)k))
                return k;
    }
    return -1;
}

/* Frees live block k in the buddy and the model. */
static void free_live(uint32_t k)
{
    uint64_t first = (live[k].pa - base) / PAGE;

    check(buddy_free(&b, live[k].pa) == FB_OK);
    for (uint64_t f = 0; f < frames_of(live[k].order); f++)
        used[first + f] = false;
    n_used -= frames_of(live[k].order);
    prefix_stale = true;
    last_freed = live[k].pa;
    live[k] = live[--n_live];
}

/* buddy_add_range of an input-chosen range, possibly overlapping or
 * leaving the allocator's range. */
static void op_add(struct reader *r)
{
    uint64_t start = u16(r) % (nframes + 1), len = u8(r);
    bool overlap = false;
    int err = buddy_add_range(&b, base + start * PAGE, len * PAGE);

    if (len == 0 || start + len > nframes) {
        check(err == FB_EINVAL);
        return;
    }
    for (uint64_t i = start; i < start + len; i++)
        overlap |= managed[i];
    check(err == (overlap ? FB_EEXIST : FB_OK));
    if (overlap)
        return;
    for (uint64_t i = start; i < start + len; i++)
        managed[i] = true;
    n_managed += len;
    prefix_stale = true;
}

/* buddy_alloc of an input-chosen order (one past the largest included):
 * it must succeed exactly when the model has a fully free aligned block
 * of that order, and hand out such a block. */
static void op_alloc(struct reader *r)
{
    unsigned k = u8(r) % (BUDDY_ORDERS + 1);
    uint64_t pa = 0, first;
    int err = buddy_alloc(&b, k, &pa);

    if (k > BUDDY_MAX_ORDER) {
        check(err == FB_EINVAL);
        return;
    }
    check(err == (model_largest() >= (int)k ? FB_OK : FB_ENOMEM));
    if (err != FB_OK)
        return;
    check(pa >= base && (pa - base) % PAGE == 0);
    first = (pa - base) / PAGE;
    count_free();
    check(free_block_at(first, k));
    for (uint64_t f = 0; f < frames_of(k); f++)
        used[first + f] = true;
    n_used += frames_of(k);
    prefix_stale = true;
    live[n_live].pa = pa;
    live[n_live++].order = k;
}

/* Frees an input-chosen live block. */
static void op_free(struct reader *r)
{
    uint16_t v = u16(r);

    if (n_live > 0)
        free_live(v % n_live);
}

/* A bogus free: what the model says it must give, or a real free when
 * the random address happens to start a live block. */
static void op_bogus(struct reader *r)
{
    uint8_t kind = u8(r);
    uint16_t v = u16(r);
    const struct block *bl = n_live > 0 ? &live[v % n_live] : NULL;
    uint64_t i;
    int k;

    switch (kind % 4) {
    case 0:
        if (bl != NULL)
            check(buddy_free(&b, bl->pa + 1 + v % (PAGE - 1)) == FB_EALIGN);
        break;
    case 1:
        if (bl != NULL && bl->order > 0)
            check(buddy_free(&b, bl->pa + (1 + v % (frames_of(bl->order) - 1)) * PAGE) ==
                  FB_EINVAL);
        break;
    case 2:
        check(buddy_free(&b, (kind & 4) ? base - PAGE * (1 + v % 8)
                                        : base + (nframes + v % 8) * PAGE) == FB_EINVAL);
        break;
    default:
        i = v % nframes;
        k = live_at(i);
        if (k >= 0)
            free_live((uint32_t)k);
        else
            check(buddy_free(&b, base + i * PAGE) == FB_EINVAL);
        break;
    }
}

/* Frees the last freed address again: a double free unless it was
 * handed out again meanwhile. */
static void op_again(struct reader *r)
{
    int k;

    (void)r;
    if (last_freed == 0)
        return;
    k = live_at((last_freed - base) / PAGE);
    if (k >= 0)
        free_live((uint32_t)k);
    else
        check(buddy_free(&b, last_freed) == FB_EINVAL);
}

/* buddy_block_order of an input-chosen frame: the live block's order
 * there, FB_EINVAL anywhere else. */
static void op_order(struct reader *r)
{
    uint64_t i = u16(r) % nframes;
    int k = live_at(i);
    unsigned order = 99;
    int err = buddy_block_order(&b, base + i * PAGE, &order);

    check(k >= 0 ? err == FB_OK && order == live[k].order : err == FB_EINVAL);
}

/* Compares the allocator with the model. */
static void check_all(void)
{
    struct buddy_stats st;
    uint64_t free_sum = 0;

    check(buddy_check(&b, NULL) == FB_OK);
    check(buddy_stats(&b, &st) == FB_OK);
    check(st.managed_frames == n_managed && st.free_frames == n_managed - n_used);
    for (unsigned k = 0; k < BUDDY_ORDERS; k++)
        free_sum += st.free_blocks[k] * frames_of(k);
    check(free_sum == st.free_frames);
    check(st.largest_free_order == model_largest());
}

/* A fresh allocator over the range the first four bytes choose. */
static void setup(struct reader *r)
{
    uint64_t off = u16(r) % (2 * frames_of(BUDDY_MAX_ORDER));

    nframes = 1 + u16(r) % MAX_FRAMES;
    base = FUZZ_BASE + off * PAGE;
    check(buddy_init(&b, base, nframes, meta, sizeof meta) == FB_OK);
    memset(managed, 0, sizeof managed);
    memset(used, 0, sizeof used);
    n_live = 0;
    n_managed = n_used = 0;
    last_freed = 0;
    prefix_stale = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = { data, size };

    setup(&r);
    for (int ops = 0; ops < MAX_OPS && r.n > 0; ops++) {
        switch ((enum op)(u8(&r) % OP_COUNT)) {
        case OP_ADD: op_add(&r); break;
        case OP_ALLOC: op_alloc(&r); break;
        case OP_FREE: op_free(&r); break;
        case OP_BOGUS: op_bogus(&r); break;
        case OP_AGAIN: op_again(&r); break;
        default: op_order(&r); break;
        }
        check_all();
    }
    while (n_live > 0)
        free_live(n_live - 1);
    check_all();
    return 0;
}
