/* Boot-time memory: reads the loader's boot information through the
 * boot direct map, prints it, and sets up the physical frame allocator
 * with the kernel image, boot info, modules and the low 1 MiB reserved;
 * then carves the DMA zone. */
#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "bootinfo.h"
#include "buddy.h"
#include "dma.h"
#include "fmt.h"
#include "frame.h"
#include "hal/aspace.h"
#include "hal/panic.h"
#include "kerr.h"
#include "x86.h"

#define LOW_MEMORY (1ull << 20)     /* BIOS data, EBDA, VGA, option ROMs */
#define PVH_START_INFO_BYTES 56u    /* struct hvm_start_info, version 1 */
#define MAX_RESERVED (4 + BOOTINFO_MAX_MODULES)

struct range {
    uint64_t base;
    uint64_t len;
};

static struct frame_allocator frames;

/* bootinfo_phys_fn over the boot direct map: NULL unless all of
 * [pa, pa + len) lies below X86_BOOT_MAP_LIMIT. */
static const void *boot_phys(uint64_t pa, size_t len, void *ctx)
{
    (void)ctx;
    if (len > X86_BOOT_MAP_LIMIT || pa > X86_BOOT_MAP_LIMIT - len)
        return NULL;
    return (const void *)(uintptr_t)(X86_DIRECT_MAP + pa);
}

/* Bytes the loader's structure claims: MB2 total_size, or the PVH
 * start_info size. 0 when the header itself is unreachable. */
static uint64_t info_bytes(uint32_t magic, uint32_t info_phys)
{
    const uint32_t *hdr;

    if (magic == PVH_START_MAGIC)
        return PVH_START_INFO_BYTES;
    hdr = boot_phys(info_phys, 8, NULL);
    return hdr == NULL ? 0 : hdr[0];
}

/* Parses the boot information announced by magic (Multiboot2 or PVH). */
int bootmem_parse(uint32_t magic, uint32_t info_phys, struct boot_info *bi)
{
    uint64_t reachable = X86_BOOT_MAP_LIMIT - info_phys;
    const void *info = boot_phys(info_phys, 8, NULL);

    if (info == NULL)
        return FB_EFAULT;
    if (magic == MB2_BOOTLOADER_MAGIC) {
        uint64_t avail = info_bytes(magic, info_phys);

        if (avail > BOOTINFO_MB2_MAX_SIZE)
            avail = BOOTINFO_MB2_MAX_SIZE;
        if (avail > reachable)
            avail = reachable;
        return bootinfo_parse_multiboot2(info, (size_t)avail, bi);
    }
    if (magic == PVH_START_MAGIC)
        return bootinfo_parse_pvh(info, (size_t)reachable, boot_phys, NULL, bi);
    return FB_EINVAL;
}

/* Prints loader, command line, memory map and modules. */
void bootmem_print(const struct boot_info *bi)
{
    kprintf("FeuerBird: booted by %s via %s\n", bi->loader[0] ? bi->loader : "(unnamed loader)",
            bi->source == BOOT_SRC_PVH ? "PVH" : "Multiboot2");
    kprintf("FeuerBird: cmdline \"%s\"\n", bi->cmdline);
    kprintf("FeuerBird: memory map, %u regions, %lu KiB usable\n", bi->region_count,
            bi->usable_bytes / 1024);
    for (uint32_t i = 0; i < bi->region_count; i++) {
        const struct mem_region *r = &bi->regions[i];

        kprintf("  [0x%016lx-0x%016lx) %s\n", r->base, r->base + r->length,
                bootinfo_type_name(r->type));
    }
    for (uint32_t i = 0; i < bi->module_count; i++) {
        const struct boot_module *m = &bi->modules[i];

        kprintf("  module %u: [0x%016lx-0x%016lx) \"%s\"\n", i, m->start, m->end, m->name);
    }
    if (bi->warnings != 0)
        kprintf("FeuerBird: boot info warnings 0x%x\n", bi->warnings);
}

/* True when [a, a + alen) and r overlap. */
static bool overlaps(uint64_t a, uint64_t alen, const struct range *r)
{
    return a < r->base + r->len && r->base < a + alen;
}

/* Lowest page-aligned spot of len bytes in usable RAM below the boot
 * direct map's limit that overlaps no reserved range. */
static bool find_free(const struct boot_info *bi, const struct range *res, unsigned nres,
                      uint64_t len, uint64_t *out)
{
    for (uint32_t i = 0; i < bi->region_count; i++) {
        const struct mem_region *r = &bi->regions[i];
        uint64_t end = r->base + r->length;
        uint64_t cand = (r->base + HAL_PAGE_SIZE - 1) & ~(uint64_t)(HAL_PAGE_SIZE - 1);
        unsigned j = 0;

        if (r->type != MEM_USABLE)
            continue;
        if (end > X86_BOOT_MAP_LIMIT)
            end = X86_BOOT_MAP_LIMIT;
        while (cand < end && len <= end - cand && j < nres) {
            if (overlaps(cand, len, &res[j])) {
                /* Move past it and recheck all ranges: cand only grows. */
                cand = (res[j].base + res[j].len + HAL_PAGE_SIZE - 1) &
                       ~(uint64_t)(HAL_PAGE_SIZE - 1);
                j = 0;
            } else {
                j++;
            }
        }
        if (j == nres && cand < end && len <= end - cand) {
            *out = cand;
            return true;
        }
    }
    return false;
}

/* Builds the list of ranges no one may allocate. */
static unsigned reserved_ranges(const struct boot_info *bi, uint32_t magic, uint32_t info_phys,
                                struct range *res)
{
    unsigned n = 0;
    uint64_t kstart = (uint64_t)(uintptr_t)__kernel_phys_start;

    res[n++] = (struct range){ 0, LOW_MEMORY };
    res[n++] = (struct range){ kstart, (uint64_t)(uintptr_t)__kernel_phys_end - kstart };
    res[n++] = (struct range){ info_phys, info_bytes(magic, info_phys) };
    for (uint32_t i = 0; i < bi->module_count; i++)
        res[n++] = (struct range){ bi->modules[i].start,
                                   bi->modules[i].end - bi->modules[i].start };
    return n;
}

/* Sets up the frame allocator: its bitmap is carved out of free RAM. */
void bootmem_frames_init(const struct boot_info *bi, uint32_t magic, uint32_t info_phys)
{
    struct range res[MAX_RESERVED];
    unsigned nres = reserved_ranges(bi, magic, info_phys, res);
    uint64_t bytes = frame_bitmap_bytes(bi);
    uint64_t bitmap_pa;
    int err;

    if (bytes == 0 || !find_free(bi, res, nres, bytes, &bitmap_pa))
        hal_panic("no room for the frame bitmap");
    res[nres++] = (struct range){ bitmap_pa, bytes };
    err = frame_init(&frames, bi, hal_phys_to_virt(bitmap_pa), (size_t)bytes);
    if (err != FB_OK)
        hal_panic(fb_strerror(err));
    for (unsigned i = 0; i < nres; i++) {
        if (res[i].len != 0 && frame_reserve(&frames, res[i].base, res[i].len) != FB_OK)
            hal_panic("a reserved range wraps around");
    }
    hal_aspace_set_frame_source(bootmem_frame_alloc, bootmem_frame_free);
}

/* One free frame (hal_frame_alloc_fn). */
int bootmem_frame_alloc(uint64_t *pa)
{
    return frame_alloc(&frames, pa);
}

/* The frame allocator itself, for the environment layer's user frames. */
struct frame_allocator *bootmem_frames(void)
{
    return &frames;
}

/* Returns a frame (hal_frame_free_fn); freeing a frame that is not
 * allocated is a kernel bug, so it stops the machine. */
void bootmem_frame_free(uint64_t pa)
{
    if (frame_free(&frames, pa) != FB_OK)
        hal_panic("freed a frame that was not allocated");
}

/* Frames left. */
uint64_t bootmem_free_frames(void)
{
    return frame_free_count(&frames);
}

/* The DMA zone: one buddy block of the largest order, carved from the
 * frame allocator below 4 GiB at boot; DMA pools draw from it. */
static struct buddy dma_buddy;
static struct buddy_frame dma_meta[X86_DMA_ZONE_BYTES / FRAME_SIZE];
static bool dma_up;

/* Carves the DMA zone out of free RAM below DMA_LIMIT. Without such a run
 * the machine boots without DMA (bootmem_dma_zone() is NULL). Boot CPU,
 * after bootmem_frames_init. */
int bootmem_dma_zone_init(uint64_t *base)
{
    uint64_t n = X86_DMA_ZONE_BYTES / FRAME_SIZE;
    uint64_t pa;
    int err = frame_alloc_range(&frames, n, X86_DMA_ZONE_BYTES, DMA_LIMIT, &pa);

    if (err != FB_OK)
        return err;
    err = buddy_init(&dma_buddy, pa, n, dma_meta, sizeof dma_meta);
    if (err == FB_OK)
        err = buddy_add_range(&dma_buddy, pa, X86_DMA_ZONE_BYTES);
    if (err != FB_OK)
        return err;
    dma_up = true;
    *base = pa;
    return FB_OK;
}

/* The DMA zone's allocator, or NULL when the boot found no room for it. */
struct buddy *bootmem_dma_zone(void)
{
    return dma_up ? &dma_buddy : NULL;
}
