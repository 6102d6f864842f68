/* A counting block source for the RAM VFS (vfs.h's block callbacks) in
 * host tests and fuzzing: zeroed calloc blocks, how many are handed out
 * and not given back, and an optional budget to make allocation fail.
 * The VFS calls it with its lock held, so the counters need none. */
#ifndef FB_BLOCK_SOURCE_H
#define FB_BLOCK_SOURCE_H

#include <stdlib.h>

#include "vfs.h"

/** The state behind one filesystem's blocks; pass it as the ctx. */
struct block_source {
    long live;     /**< blocks handed out and not yet taken back */
    long budget;   /**< blocks still allowed; -1 for no limit */
};

/** vfs_block_alloc_fn over a struct block_source. */
static inline void *block_source_alloc(void *ctx)
{
    struct block_source *src = ctx;

    if (src->budget == 0)
        return NULL;
    if (src->budget > 0)
        src->budget--;
    src->live++;
    return calloc(1, VFS_BLOCK_SIZE);
}

/** vfs_block_free_fn over a struct block_source. */
static inline void block_source_free(void *ctx, void *block)
{
    struct block_source *src = ctx;

    src->live--;
    free(block);
}

#endif
