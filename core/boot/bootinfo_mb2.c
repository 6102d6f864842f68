/* Multiboot2 boot information parser: walks the tag list GRUB2 hands us,
 * bounds-checking every tag against total_size and the readable bytes. */
#include "bootinfo.h"

#include "bootinfo_internal.h"
#include "kerr.h"

#define MB2_FIXED_SIZE   8u    /* total_size + reserved */
#define MB2_TAG_HDR      8u    /* type + size */
#define MB2_MMAP_HDR     16u   /* tag header + entry_size + entry_version */
#define MB2_MMAP_ENTRY   24u   /* base, length, type, reserved */
#define MB2_MODULE_HDR   16u   /* tag header + mod_start + mod_end */

enum mb2_tag {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_MMAP = 6,
    MB2_TAG_ACPI_OLD = 14,     /* copy of an ACPI 1.0 RSDP */
    MB2_TAG_ACPI_NEW = 15,     /* copy of an ACPI 2.0+ RSDP */
    MB2_TAG_LAST_KNOWN = 21,   /* load base address; 4..21 are all specified */
};

/* Parses a module tag: mod_start, mod_end, then its command line. */
static int mb2_module(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    if (size < MB2_MODULE_HDR)
        return FB_ETRUNC;
    char *name = bootinfo_add_module(bi, bootinfo_rd32(tag + 8), bootinfo_rd32(tag + 12));
    if (name != NULL &&
        bootinfo_copy_str(name, BOOTINFO_NAME_MAX, tag + MB2_MODULE_HDR, size - MB2_MODULE_HDR))
        bi->warnings |= BOOTINFO_W_NAME_TRUNC;
    return FB_OK;
}

/* Parses a memory map tag. entry_version is not checked: the spec
 * promises later versions stay compatible and entry_size covers growth. */
static int mb2_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    if (size < MB2_MMAP_HDR)
        return FB_ETRUNC;
    uint32_t esz = bootinfo_rd32(tag + 8);
    if (esz < MB2_MMAP_ENTRY || esz % 8 != 0)
        return FB_EINVAL;
    if ((size - MB2_MMAP_HDR) % esz != 0)
        return FB_ETRUNC;
    for (uint32_t off = MB2_MMAP_HDR; off < size; off += esz) {
        const uint8_t *e = tag + off;
        bootinfo_add_region(bi, bootinfo_rd64(e), bootinfo_rd64(e + 8), bootinfo_rd32(e + 16));
    }
    return FB_OK;
}

/* Keeps the RSDP copy of tag 14 or 15; a 2.0 copy (tag 15) is never
 * replaced by a 1.0 one, whatever order the loader wrote them in. */
static void mb2_rsdp(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size)
{
    uint32_t n = size - MB2_TAG_HDR;

    if (type == MB2_TAG_ACPI_OLD && bi->rsdp_len != 0)
        return;
    if (n > BOOTINFO_RSDP_MAX)
        n = BOOTINFO_RSDP_MAX;
    kmemset(bi->rsdp, 0, sizeof bi->rsdp);
    kmemcpy(bi->rsdp, tag + MB2_TAG_HDR, n);
    bi->rsdp_len = n;
}

/* Handles one tag whose bytes [tag, tag + size) are known to be readable. */
static int mb2_tag(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size)
{
    switch (type) {
    case MB2_TAG_CMDLINE:
        if (bootinfo_copy_str(bi->cmdline, sizeof bi->cmdline, tag + MB2_TAG_HDR, size - MB2_TAG_HDR))
            bi->warnings |= BOOTINFO_W_CMDLINE_TRUNC;
        return FB_OK;
    case MB2_TAG_LOADER:
        if (bootinfo_copy_str(bi->loader, sizeof bi->loader, tag + MB2_TAG_HDR, size - MB2_TAG_HDR))
            bi->warnings |= BOOTINFO_W_NAME_TRUNC;
        return FB_OK;
    case MB2_TAG_MODULE:
        return mb2_module(bi, tag, size);
    case MB2_TAG_MMAP:
        return mb2_mmap(bi, tag, size);
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW:
        mb2_rsdp(bi, tag, type, size);
        return FB_OK;
    default:
        /* Specified tags we have no use for (framebuffer, ELF sections,
         * EFI...) are skipped silently; only unknown ones warn. */
        if (type > MB2_TAG_LAST_KNOWN)
            bi->warnings |= BOOTINFO_W_UNKNOWN_TAG;
        return FB_OK;
    }
}

/* Validates the fixed part and walks the 8-byte aligned tags to the end tag. */
int bootinfo_parse_multiboot2(const void *info, size_t avail, struct boot_info *out)
{
    const uint8_t *p = info;

    if (out == NULL)
        return FB_EINVAL;
    bootinfo_reset(out, BOOT_SRC_MULTIBOOT2);
    if (p == NULL)
        return bootinfo_fail(out, FB_EINVAL);
    if (avail < MB2_FIXED_SIZE)
        return bootinfo_fail(out, FB_ETRUNC);
    size_t total = bootinfo_rd32(p);
    if (total < MB2_FIXED_SIZE + MB2_TAG_HDR || total > BOOTINFO_MB2_MAX_SIZE ||
        total > avail || bootinfo_rd32(p + 4) != 0)
        return bootinfo_fail(out, FB_EINVAL);
    for (size_t off = MB2_FIXED_SIZE;; ) {
        if (off + MB2_TAG_HDR > total)
            return bootinfo_fail(out, FB_ETRUNC);      /* no end tag */
        uint32_t type = bootinfo_rd32(p + off);
        uint32_t size = bootinfo_rd32(p + off + 4);
        if (size < MB2_TAG_HDR)
            return bootinfo_fail(out, FB_EINVAL);
        if (size > total - off)
            return bootinfo_fail(out, FB_ETRUNC);
        if (type == MB2_TAG_END)
            break;
        int err = mb2_tag(out, p + off, type, size);
        if (err != FB_OK)
            return bootinfo_fail(out, err);
        off = (off + size + 7) & ~(size_t)7;
    }
    return bootinfo_finish(out);
}
