/* Fuzz target for boot information: the same bytes are parsed as a
 * Multiboot2 image, as a PVH start_info whose physical pointers resolve
 * into the input, and as a raw region list for bootinfo_normalize. Every
 * success must satisfy the documented guarantees, or the target aborts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootinfo.h"
#include "fuzz_util.h"
#include "kerr.h"

#define RAW_REGION_BYTES 20   /* base u64, length u64, type u32 */

struct window {
    const uint8_t *data;
    size_t size;
};

/* phys() for PVH: physical address = offset into the input, bounds-checked. */
static const void *window_phys(uint64_t paddr, size_t len, void *ctx)
{
    const struct window *w = ctx;

    if (paddr > w->size || len > w->size - paddr)
        return NULL;
    return w->data + paddr;
}

/* True when s holds a NUL within its n bytes. */
static bool terminated(const char *s, size_t n)
{
    return memchr(s, '\0', n) != NULL;
}

/* The guarantees of a successful parse or normalize. */
static void check_map(const struct boot_info *bi)
{
    uint64_t sum = 0;

    check(bi->region_count <= BOOTINFO_MAX_REGIONS);
    for (uint32_t i = 0; i < bi->region_count; i++) {
        const struct mem_region *r = &bi->regions[i];
        check(r->length != 0 && r->base <= UINT64_MAX - r->length);
        check(r->type >= MEM_USABLE && r->type <= MEM_BAD);
        if (i > 0)
            check(r->base >= bi->regions[i - 1].base + bi->regions[i - 1].length);
        if (r->type == MEM_USABLE) {
            check(r->base % 4096 == 0 && r->length % 4096 == 0);
            sum += r->length;
        }
    }
    check(bi->usable_bytes == sum);
}

/* A failed parse returns a documented code and leaves zeroes; a
 * successful one meets every documented guarantee. */
static void check_parsed(const struct boot_info *bi, int err, enum boot_source src)
{
    static const struct boot_info zero;

    if (err != FB_OK) {
        check(err == FB_EINVAL || err == FB_ETRUNC || err == FB_ENOMEM || err == FB_EFAULT);
        check(memcmp(bi, &zero, sizeof zero) == 0);
        return;
    }
    check(bi->source == src);
    check_map(bi);
    check(bi->usable_bytes > 0);
    check(terminated(bi->cmdline, sizeof bi->cmdline));
    check(terminated(bi->loader, sizeof bi->loader));
    check(bi->rsdp_len <= BOOTINFO_RSDP_MAX);
    check(src == BOOT_SRC_MULTIBOOT2 ? bi->rsdp_phys == 0 : bi->rsdp_len == 0);
    check(bi->module_count <= BOOTINFO_MAX_MODULES);
    for (uint32_t i = 0; i < bi->module_count; i++) {
        check(bi->modules[i].end >= bi->modules[i].start);
        check(terminated(bi->modules[i].name, sizeof bi->modules[i].name));
    }
}

/* True when byte x of the input map lies in a region of the given kind. */
static bool raw_covers(const struct mem_region *raw, size_t n, uint64_t x, bool usable)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t end = raw[i].length > UINT64_MAX - raw[i].base ? UINT64_MAX
                                                                 : raw[i].base + raw[i].length;
        if ((raw[i].type == MEM_USABLE) == usable && x >= raw[i].base && x < end)
            return true;
    }
    return false;
}

/* Normalizes the input read as raw regions; every usable output boundary
 * byte must have been usable input and not covered by anything else. */
static void fuzz_normalize(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    struct mem_region raw[BOOTINFO_MAX_REGIONS];
    size_t n = size / RAW_REGION_BYTES;

    if (n > BOOTINFO_MAX_REGIONS)
        n = BOOTINFO_MAX_REGIONS;
    memset(&bi, 0, sizeof bi);
    for (size_t i = 0; i < n; i++) {
        memcpy(&raw[i].base, data + i * RAW_REGION_BYTES, 8);
        memcpy(&raw[i].length, data + i * RAW_REGION_BYTES + 8, 8);
        memcpy(&raw[i].type, data + i * RAW_REGION_BYTES + 16, 4);
        bi.regions[i] = raw[i];
    }
    bi.region_count = (uint32_t)n;
    bootinfo_normalize(&bi);
    check_map(&bi);
    for (uint32_t i = 0; i < bi.region_count; i++) {
        const struct mem_region *r = &bi.regions[i];
        if (r->type != MEM_USABLE)
            continue;
        uint64_t probe[3] = { r->base, r->base + r->length / 2, r->base + r->length - 1 };
        for (int k = 0; k < 3; k++) {
            check(raw_covers(raw, n, probe[k], true));
            check(!raw_covers(raw, n, probe[k], false));
        }
    }
}

/* Runs all three views of the input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    struct window w = { data, size };

    check_parsed(&bi, bootinfo_parse_multiboot2(data, size, &bi), BOOT_SRC_MULTIBOOT2);
    check_parsed(&bi, bootinfo_parse_pvh(data, size, window_phys, &w, &bi), BOOT_SRC_PVH);
    fuzz_normalize(data, size);
    return 0;
}
