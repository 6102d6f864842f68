/* Physical frame allocator: a bitmap of 4 KiB frames over the usable
 * regions of the boot memory map. Thread-safe through an internal lock. */
#ifndef FB_FRAME_H
#define FB_FRAME_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bootinfo.h"

#define FRAME_SIZE 4096u

/** Allocator state; treat as opaque. */
struct frame_allocator {
    uint64_t base;          /**< physical address of bit 0 */
    uint64_t nframes;       /**< frames covered by the bitmap */
    uint64_t *bitmap;       /**< used bits (1 = used or not RAM, 0 = free), then owned bits (1 = RAM this allocator manages) */
    uint64_t free_frames;   /**< frames currently free */
    uint64_t total_frames;  /**< frames that were usable at init */
    uint64_t hint;          /**< word index where the next search starts */
    atomic_flag lock;       /**< spinlock guarding every field above */
};

/** Bytes of bitmap storage needed to cover every usable region of @p bi:
 *  two bits per frame from the lowest to the highest usable frame (0 when
 *  @p bi is NULL or has no usable frame). */
size_t frame_bitmap_bytes(const struct boot_info *bi);

/**
 * Sets up @p fa over the usable regions of @p bi using caller-provided
 * @p bitmap storage of @p bitmap_bytes bytes. Frame 0 (physical page 0)
 * is never handed out.
 * @return FB_OK; FB_EINVAL for NULL arguments; FB_ENOMEM when the map has
 *         no usable frame; FB_ERANGE when @p bitmap_bytes is too small.
 */
int frame_init(struct frame_allocator *fa, const struct boot_info *bi,
               uint64_t *bitmap, size_t bitmap_bytes);

/**
 * Marks [base, base + len) as used for good (kernel image, modules, the
 * bitmap itself): reserved frames are never allocated or freed again, even
 * if they were allocated before. Partial frames are reserved whole; parts
 * outside usable RAM are ignored; reserving twice changes nothing.
 * @return FB_OK; FB_EINVAL for a NULL allocator or on wrap-around.
 */
int frame_reserve(struct frame_allocator *fa, uint64_t base, uint64_t len);

/** Allocates one frame, searching on from the last allocation.
 *  @return FB_OK and *@p pa; FB_ENOMEM when none is free; FB_EINVAL for
 *  NULL arguments. */
int frame_alloc(struct frame_allocator *fa, uint64_t *pa);

/**
 * Frees the frame at @p pa.
 * @return FB_OK; FB_EALIGN when @p pa is not frame-aligned; FB_EINVAL when
 *         @p pa is outside usable RAM, frame 0, reserved, or already free
 *         (double free), or @p fa is NULL.
 */
int frame_free(struct frame_allocator *fa, uint64_t pa);

/**
 * Allocates @p n physically contiguous frames whose first frame is
 * aligned to @p align bytes and whose last byte lies below @p limit: the
 * lowest such run. Each frame is then an ordinary allocated frame
 * (frame_free returns them one by one). For carving regions at boot,
 * such as the DMA zone: O(frames covered).
 * @return FB_OK and *@p pa; FB_ENOMEM when no such run is free; FB_EINVAL
 *         for NULL arguments, @p n 0, or @p align not a power of two of at
 *         least FRAME_SIZE.
 */
int frame_alloc_range(struct frame_allocator *fa, uint64_t n, uint64_t align, uint64_t limit,
                      uint64_t *pa);

/** Frames currently free. */
uint64_t frame_free_count(struct frame_allocator *fa);

#endif
