/* PVH boot parser: reads Xen's hvm_start_info (as QEMU -kernel passes it)
 * and follows its physical pointers only through the caller's phys()
 * window, so nothing outside what the caller vouches for is read. */
#include "bootinfo.h"

#include "bootinfo_internal.h"
#include "kerr.h"

#define PVH_V0_SIZE       40u   /* magic .. rsdp_paddr */
#define PVH_V1_SIZE       56u   /* adds memmap_paddr, memmap_entries, reserved */
#define PVH_MOD_ENTRY     32u   /* paddr, size, cmdline_paddr, reserved */
#define PVH_MAP_ENTRY     24u   /* addr, size, type, reserved */
#define PVH_MAP_MAX       (2u * BOOTINFO_MAX_REGIONS)  /* E820 tables hold 128 */

/* Reads the NUL-terminated string at pa into dst[cap] one byte at a time,
 * so a string ending just before unreadable memory still works. A string
 * without a NUL in its first cap - 1 bytes is cut and *cut set. */
static int pvh_string(bootinfo_phys_fn phys, void *ctx, uint64_t pa,
                      char *dst, size_t cap, bool *cut)
{
    for (size_t i = 0; i < cap; i++) {
        const uint8_t *b = pa <= UINT64_MAX - i ? phys(pa + i, 1, ctx) : NULL;
        if (i == cap - 1) {
            dst[i] = '\0';
            *cut = b == NULL || *b != 0;
            return FB_OK;
        }
        if (b == NULL)
            return FB_EFAULT;
        dst[i] = (char)*b;
        if (*b == 0)
            return FB_OK;
    }
    return FB_OK;
}

/* Resolves entry i of a table of esz-byte entries at table_pa. */
static const uint8_t *pvh_entry(bootinfo_phys_fn phys, void *ctx, uint64_t table_pa,
                                uint32_t i, uint32_t esz)
{
    uint64_t off = (uint64_t)i * esz;

    if (table_pa > UINT64_MAX - off - esz)
        return NULL;
    return phys(table_pa + off, esz, ctx);
}

/* Reads the module list; at most BOOTINFO_MAX_MODULES entries are read. */
static int pvh_modules(struct boot_info *bi, const uint8_t *si,
                       bootinfo_phys_fn phys, void *ctx)
{
    uint32_t n = bootinfo_rd32(si + 12);
    uint64_t list = bootinfo_rd64(si + 16);

    if (n > BOOTINFO_MAX_MODULES) {
        bi->warnings |= BOOTINFO_W_MODULES_DROPPED;
        n = BOOTINFO_MAX_MODULES;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = pvh_entry(phys, ctx, list, i, PVH_MOD_ENTRY);
        if (e == NULL)
            return FB_EFAULT;
        uint64_t start = bootinfo_rd64(e), size = bootinfo_rd64(e + 8);
        uint64_t cmd = bootinfo_rd64(e + 16);
        if (size > UINT64_MAX - start) {
            bi->warnings |= BOOTINFO_W_BAD_MODULE;
            continue;
        }
        char *name = bootinfo_add_module(bi, start, start + size);
        bool cut = false;
        if (name != NULL && cmd != 0) {
            int err = pvh_string(phys, ctx, cmd, name, BOOTINFO_NAME_MAX, &cut);
            if (err != FB_OK)
                return err;
        }
        if (cut)
            bi->warnings |= BOOTINFO_W_NAME_TRUNC;
    }
    return FB_OK;
}

/* Reads the version 1 memory map (E820 types); at most PVH_MAP_MAX entries. */
static int pvh_memmap(struct boot_info *bi, const uint8_t *si,
                      bootinfo_phys_fn phys, void *ctx)
{
    uint64_t map = bootinfo_rd64(si + 40);
    uint32_t n = bootinfo_rd32(si + 48);

    if (n > PVH_MAP_MAX) {
        bi->warnings |= BOOTINFO_W_REGIONS_DROPPED;
        n = PVH_MAP_MAX;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = pvh_entry(phys, ctx, map, i, PVH_MAP_ENTRY);
        if (e == NULL)
            return FB_EFAULT;
        bootinfo_add_region(bi, bootinfo_rd64(e), bootinfo_rd64(e + 8), bootinfo_rd32(e + 16));
    }
    return FB_OK;
}

/* Checks the fixed structure, then follows cmdline, modules and map. */
int bootinfo_parse_pvh(const void *start_info, size_t avail,
                       bootinfo_phys_fn phys, void *ctx, struct boot_info *out)
{
    const uint8_t *si = start_info;

    if (out == NULL)
        return FB_EINVAL;
    bootinfo_reset(out, BOOT_SRC_PVH);
    if (si == NULL || phys == NULL)
        return bootinfo_fail(out, FB_EINVAL);
    if (avail < PVH_V0_SIZE)
        return bootinfo_fail(out, FB_ETRUNC);
    uint32_t version = bootinfo_rd32(si + 4);
    if (bootinfo_rd32(si) != PVH_START_MAGIC || version > 1)
        return bootinfo_fail(out, FB_EINVAL);
    if (version >= 1 && avail < PVH_V1_SIZE)
        return bootinfo_fail(out, FB_ETRUNC);

    out->rsdp_phys = bootinfo_rd64(si + 32);
    uint64_t cmd = bootinfo_rd64(si + 24);
    bool cut = false;
    int err = cmd != 0 ? pvh_string(phys, ctx, cmd, out->cmdline, sizeof out->cmdline, &cut)
                       : FB_OK;
    if (cut)
        out->warnings |= BOOTINFO_W_CMDLINE_TRUNC;
    if (err == FB_OK)
        err = pvh_modules(out, si, phys, ctx);
    /* Version 0 has no memory map: the map stays empty and finish
     * reports FB_ENOMEM. */
    if (err == FB_OK && version >= 1)
        err = pvh_memmap(out, si, phys, ctx);
    if (err != FB_OK)
        return bootinfo_fail(out, err);
    return bootinfo_finish(out);
}
