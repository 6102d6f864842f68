/* Specification of boot information parsing (core/boot/bootinfo*.c):
 * Multiboot2 and PVH images are built byte by byte here, valid and
 * broken, and the normalized memory map is checked for its guarantees. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bootinfo.h"
#include "kerr.h"

#define MB2_CAP  (BOOTINFO_MB2_MAX_SIZE + 64)
#define KiB      1024ull
#define MiB      (1024ull * KiB)
#define GiB      (1024ull * MiB)

/* ---- Multiboot2 image builder ---- */

struct mb2 {
    uint8_t *buf;
    size_t len;
};

static uint8_t mb2_storage[MB2_CAP] __attribute__((aligned(8)));

/* Little-endian stores into the image under construction. */
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Starts an image: fixed part only, total_size filled by mb2_end. */
static struct mb2 mb2_begin(void)
{
    memset(mb2_storage, 0, sizeof mb2_storage);
    return (struct mb2){ mb2_storage, 8 };
}

/* Appends a tag header of the given size; returns the tag's first byte. */
static uint8_t *mb2_tag(struct mb2 *m, uint32_t type, uint32_t size)
{
    uint8_t *t = m->buf + m->len;

    put32(t, type);
    put32(t + 4, size);
    m->len += (size + 7u) & ~7u;
    return t;
}

/* Appends a string tag (1 command line, 2 loader name) with its NUL. */
static void mb2_string(struct mb2 *m, uint32_t type, const char *s)
{
    uint8_t *t = mb2_tag(m, type, (uint32_t)(8 + strlen(s) + 1));
    memcpy(t + 8, s, strlen(s) + 1);
}

/* Appends a module tag [start, end) with its name. */
static void mb2_module(struct mb2 *m, uint32_t start, uint32_t end, const char *name)
{
    uint8_t *t = mb2_tag(m, 3, (uint32_t)(16 + strlen(name) + 1));
    put32(t + 8, start);
    put32(t + 12, end);
    memcpy(t + 16, name, strlen(name) + 1);
}

/* Appends a memory map tag with entries of esz bytes. */
static void mb2_mmap_esz(struct mb2 *m, const struct mem_region *r, size_t n, uint32_t esz)
{
    uint8_t *t = mb2_tag(m, 6, (uint32_t)(16 + n * esz));
    put32(t + 8, esz);
    for (size_t i = 0; i < n; i++) {
        put64(t + 16 + i * esz, r[i].base);
        put64(t + 24 + i * esz, r[i].length);
        put32(t + 32 + i * esz, r[i].type);
    }
}

/* Appends a memory map tag with the standard 24-byte entries. */
static void mb2_mmap(struct mb2 *m, const struct mem_region *r, size_t n)
{
    mb2_mmap_esz(m, r, n, 24);
}

/* Appends the end tag and writes total_size. */
static void mb2_end(struct mb2 *m)
{
    mb2_tag(m, 0, 8);
    put32(m->buf, (uint32_t)m->len);
}

/* Parses the image with exactly its bytes readable. */
static int mb2_parse(const struct mb2 *m, struct boot_info *out)
{
    return bootinfo_parse_multiboot2(m->buf, m->len, out);
}

/* A PC-like map: low RAM, EBDA, BIOS ROM, high RAM, top-of-4G firmware. */
static const struct mem_region pc_map[] = {
    { 0x0, 0x9fc00, MEM_USABLE },
    { 0x9fc00, 0x400, MEM_RESERVED },
    { 0xf0000, 0x10000, MEM_RESERVED },
    { 0x100000, 0x7ee0000, MEM_USABLE },
    { 0x7fe0000, 0x20000, MEM_ACPI_RECLAIM },
    { 0xfffc0000, 0x40000, MEM_RESERVED },
};
#define PC_MAP_N (sizeof pc_map / sizeof pc_map[0])

/* A minimal valid image: just the PC map. */
static struct mb2 mb2_minimal(void)
{
    struct mb2 m = mb2_begin();
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    return m;
}

/* Asserts the map invariants every successful parse guarantees. */
static void assert_map_invariants(const struct boot_info *bi)
{
    uint64_t sum = 0;

    cr_assert_leq(bi->region_count, BOOTINFO_MAX_REGIONS, "expected at most %d regions",
                  BOOTINFO_MAX_REGIONS);
    for (uint32_t i = 0; i < bi->region_count; i++) {
        const struct mem_region *r = &bi->regions[i];
        cr_assert_gt(r->length, 0, "region %u: expected non-empty", i);
        cr_assert(r->type >= MEM_USABLE && r->type <= MEM_BAD, "region %u: expected a known type", i);
        if (i > 0)
            cr_assert_geq(r->base, bi->regions[i - 1].base + bi->regions[i - 1].length,
                          "region %u: expected sorted and disjoint", i);
        if (r->type == MEM_USABLE) {
            cr_assert_eq(r->base % 4096, 0, "region %u: expected page-aligned base", i);
            cr_assert_eq(r->length % 4096, 0, "region %u: expected whole pages", i);
            sum += r->length;
        }
    }
    cr_assert_eq(bi->usable_bytes, sum, "expected usable_bytes = sum of usable regions");
}

/* True when [base, base + len) shares a byte with a usable region. */
static bool overlaps_usable(const struct boot_info *bi, uint64_t base, uint64_t len)
{
    for (uint32_t i = 0; i < bi->region_count; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type == MEM_USABLE && r->base < base + len && base < r->base + r->length)
            return true;
    }
    return false;
}

/* ---- Multiboot2: valid input ---- */

Test(mb2, valid_image_yields_cmdline_loader_modules_and_map)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_string(&m, 1, "autoexit ticks=5");
    mb2_string(&m, 2, "GRUB 2.06");
    mb2_module(&m, 0x200000, 0x201000, "init");
    mb2_module(&m, 0x300000, 0x300800, "rootfs.cpio");
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);

    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.source, BOOT_SRC_MULTIBOOT2, "expected source Multiboot2");
    cr_assert_str_eq(bi.cmdline, "autoexit ticks=5", "expected the command line");
    cr_assert_str_eq(bi.loader, "GRUB 2.06", "expected the loader name");
    cr_assert_eq(bi.module_count, 2, "expected 2 modules");
    cr_assert_eq(bi.modules[1].start, 0x300000, "expected module 1 start");
    cr_assert_eq(bi.modules[1].end, 0x300800, "expected module 1 end");
    cr_assert_str_eq(bi.modules[1].name, "rootfs.cpio", "expected module 1 name");
    cr_assert_eq(bi.region_count, PC_MAP_N, "expected the %zu regions, got %u", PC_MAP_N,
                 bi.region_count);
    cr_assert_eq(bi.regions[3].base, 0x100000, "expected high RAM at 1 MiB");
    cr_assert_eq(bi.regions[0].length, 0x9f000, "expected low RAM shrunk to whole pages");
    cr_assert_eq(bi.usable_bytes, 0x9f000 + 0x7ee0000, "expected usable bytes of both RAM regions");
    cr_assert_eq(bi.warnings, 0, "expected no warnings, got %#x", bi.warnings);
    assert_map_invariants(&bi);
}

Test(mb2, image_at_unaligned_address_parses)
{
    static uint8_t shifted[4096 + 1];
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    memcpy(shifted + 1, m.buf, m.len);
    cr_assert_eq(bootinfo_parse_multiboot2(shifted + 1, m.len, &bi), FB_OK,
                 "expected FB_OK for a byte-aligned copy");
    cr_assert_eq(bi.region_count, PC_MAP_N, "expected the full map");
}

Test(mb2, total_size_not_multiple_of_8_is_accepted)
{
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    put32(m.buf, (uint32_t)m.len + 4);
    cr_assert_eq(bootinfo_parse_multiboot2(m.buf, m.len + 4, &bi), FB_OK,
                 "expected FB_OK: bytes after the end tag are ignored");
}

Test(mb2, known_unused_tags_are_skipped_silently)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    static const uint32_t known[] = { 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 };

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        mb2_tag(&m, known[i], 24);
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.warnings & BOOTINFO_W_UNKNOWN_TAG, 0, "expected no unknown-tag warning");
}

/* Appends an ACPI RSDP tag (14 old, 15 new) holding n bytes filled with fill. */
static void mb2_rsdp(struct mb2 *m, uint32_t type, size_t n, uint8_t fill)
{
    uint8_t *t = mb2_tag(m, type, (uint32_t)(8 + n));
    memset(t + 8, fill, n);
}

Test(mb2, acpi_old_rsdp_tag_is_copied)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_rsdp(&m, 14, 20, 0x11);
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.rsdp_len, 20, "expected a 20-byte RSDP copy, got %u", bi.rsdp_len);
    cr_assert_eq(bi.rsdp[0], 0x11, "expected the tag's bytes");
    cr_assert_eq(bi.rsdp[19], 0x11, "expected the tag's last byte");
    cr_assert_eq(bi.rsdp[20], 0, "expected nothing past the copy");
    cr_assert_eq(bi.rsdp_phys, 0, "expected no RSDP address from Multiboot2");
}

Test(mb2, acpi_new_rsdp_tag_wins_over_the_old_in_either_order)
{
    struct boot_info bi;

    for (int new_first = 0; new_first < 2; new_first++) {
        struct mb2 m = mb2_begin();
        if (new_first)
            mb2_rsdp(&m, 15, 36, 0x22);
        mb2_rsdp(&m, 14, 20, 0x11);
        if (!new_first)
            mb2_rsdp(&m, 15, 36, 0x22);
        mb2_mmap(&m, pc_map, PC_MAP_N);
        mb2_end(&m);
        cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
        cr_assert_eq(bi.rsdp_len, 36, "expected the 36-byte copy (new first: %d)", new_first);
        cr_assert_eq(bi.rsdp[0], 0x22, "expected the new tag's bytes (new first: %d)", new_first);
    }
}

Test(mb2, oversized_rsdp_tag_is_cut_to_36_bytes)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_rsdp(&m, 15, 100, 0x33);
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.rsdp_len, BOOTINFO_RSDP_MAX, "expected the copy cut to %d bytes",
                 BOOTINFO_RSDP_MAX);
}

Test(mb2, image_without_rsdp_tag_has_no_rsdp)
{
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.rsdp_len, 0, "expected no RSDP copy");
    cr_assert_eq(bi.rsdp_phys, 0, "expected no RSDP address");
}

Test(mb2, unknown_tag_is_skipped_with_warning)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_tag(&m, 0x7777, 13);
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert(bi.warnings & BOOTINFO_W_UNKNOWN_TAG, "expected the unknown-tag warning");
    cr_assert_eq(bi.region_count, PC_MAP_N, "expected the map after the unknown tag parsed");
}

Test(mb2, unterminated_cmdline_ends_at_tag_end)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    uint8_t *t = mb2_tag(&m, 1, 8 + 5);

    memcpy(t + 8, "abcde", 5);
    t[13] = 'X';   /* padding byte: outside the tag, must not be read as text */
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_str_eq(bi.cmdline, "abcde", "expected the text up to the tag end");
    cr_assert_eq(bi.warnings & BOOTINFO_W_CMDLINE_TRUNC, 0, "expected no truncation warning");
}

Test(mb2, overlong_cmdline_is_truncated_with_warning)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    char longline[600];

    memset(longline, 'c', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    mb2_string(&m, 1, longline);
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(strlen(bi.cmdline), BOOTINFO_CMDLINE_MAX - 1, "expected a full, terminated buffer");
    cr_assert(bi.warnings & BOOTINFO_W_CMDLINE_TRUNC, "expected the truncation warning");
}

Test(mb2, overlong_loader_name_is_truncated_with_warning)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    char name[100];

    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    mb2_string(&m, 2, name);
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(strlen(bi.loader), BOOTINFO_NAME_MAX - 1, "expected a full, terminated name");
    cr_assert(bi.warnings & BOOTINFO_W_NAME_TRUNC, "expected the name truncation warning");
}

Test(mb2, module_ending_before_its_start_is_dropped)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_module(&m, 0x5000, 0x4000, "backwards");
    mb2_module(&m, 0x6000, 0x7000, "fine");
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.module_count, 1, "expected only the valid module kept");
    cr_assert_str_eq(bi.modules[0].name, "fine", "expected the valid module");
    cr_assert(bi.warnings & BOOTINFO_W_BAD_MODULE, "expected the bad-module warning");
}

Test(mb2, more_than_16_modules_are_dropped_with_warning)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    for (uint32_t i = 0; i < 20; i++)
        mb2_module(&m, 0x400000 + i * 0x1000, 0x401000 + i * 0x1000, "m");
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.module_count, BOOTINFO_MAX_MODULES, "expected %d modules kept",
                 BOOTINFO_MAX_MODULES);
    cr_assert_eq(bi.modules[15].start, 0x40f000, "expected the first 16 kept in order");
    cr_assert(bi.warnings & BOOTINFO_W_MODULES_DROPPED, "expected the modules-dropped warning");
}

Test(mb2, larger_mmap_entry_size_is_accepted)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_mmap_esz(&m, pc_map, PC_MAP_N, 32);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK for 32-byte entries");
    cr_assert_eq(bi.region_count, PC_MAP_N, "expected all entries read with the stride");
}

/* ---- Multiboot2: bad input ---- */

Test(mb2, null_arguments_are_rejected)
{
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    cr_assert_eq(bootinfo_parse_multiboot2(NULL, 64, &bi), FB_EINVAL, "expected FB_EINVAL for NULL info");
    cr_assert_eq(bootinfo_parse_multiboot2(m.buf, m.len, NULL), FB_EINVAL,
                 "expected FB_EINVAL for NULL out");
}

Test(mb2, fewer_than_8_readable_bytes_is_truncated)
{
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    cr_assert_eq(bootinfo_parse_multiboot2(m.buf, 7, &bi), FB_ETRUNC, "expected FB_ETRUNC");
}

Test(mb2, total_size_below_16_is_rejected)
{
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    put32(m.buf, 8);
    cr_assert_eq(mb2_parse(&m, &bi), FB_EINVAL, "expected FB_EINVAL for total_size 8");
}

Test(mb2, total_size_beyond_readable_bytes_is_rejected)
{
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    cr_assert_eq(bootinfo_parse_multiboot2(m.buf, m.len - 8, &bi), FB_EINVAL,
                 "expected FB_EINVAL when total_size exceeds avail");
}

Test(mb2, total_size_above_limit_is_rejected)
{
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    put32(m.buf, BOOTINFO_MB2_MAX_SIZE + 8);
    cr_assert_eq(bootinfo_parse_multiboot2(m.buf, MB2_CAP, &bi), FB_EINVAL,
                 "expected FB_EINVAL above BOOTINFO_MB2_MAX_SIZE");
}

Test(mb2, nonzero_reserved_field_is_rejected)
{
    struct mb2 m = mb2_minimal();
    struct boot_info bi;

    put32(m.buf + 4, 1);
    cr_assert_eq(mb2_parse(&m, &bi), FB_EINVAL, "expected FB_EINVAL");
}

Test(mb2, tag_size_below_8_is_rejected)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_mmap(&m, pc_map, PC_MAP_N);
    uint8_t *t = mb2_tag(&m, 1, 8);
    put32(t + 4, 4);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_EINVAL, "expected FB_EINVAL for tag size 4");
}

Test(mb2, tag_running_past_total_size_is_truncated)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_mmap(&m, pc_map, PC_MAP_N);
    uint8_t *t = mb2_tag(&m, 1, 16);
    mb2_end(&m);
    put32(t + 4, 4096);
    cr_assert_eq(mb2_parse(&m, &bi), FB_ETRUNC, "expected FB_ETRUNC");
}

Test(mb2, missing_end_tag_is_truncated)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_mmap(&m, pc_map, PC_MAP_N);
    put32(m.buf, (uint32_t)m.len);
    cr_assert_eq(mb2_parse(&m, &bi), FB_ETRUNC, "expected FB_ETRUNC without an end tag");
}

Test(mb2, failure_leaves_output_zeroed)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi, zero;

    mb2_string(&m, 1, "half parsed");
    mb2_mmap(&m, pc_map, PC_MAP_N);
    put32(m.buf, (uint32_t)m.len);
    memset(&zero, 0, sizeof zero);
    memset(&bi, 0xa5, sizeof bi);
    cr_assert_eq(mb2_parse(&m, &bi), FB_ETRUNC, "expected FB_ETRUNC");
    cr_assert_arr_eq(&bi, &zero, sizeof bi, "expected no half-parsed state after a failure");
}

Test(mb2, module_tag_too_small_for_its_fields_is_truncated)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_tag(&m, 3, 12);
    mb2_mmap(&m, pc_map, PC_MAP_N);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_ETRUNC, "expected FB_ETRUNC");
}

Test(mb2, mmap_entry_size_below_24_or_unaligned_is_rejected)
{
    struct boot_info bi;

    for (uint32_t esz = 8; esz <= 28; esz += 4) {
        if (esz == 24)
            continue;
        struct mb2 m = mb2_begin();
        uint8_t *t = mb2_tag(&m, 6, 16 + 2 * esz);
        put32(t + 8, esz);
        mb2_end(&m);
        cr_assert_eq(mb2_parse(&m, &bi), FB_EINVAL, "expected FB_EINVAL for entry_size %u", esz);
    }
}

Test(mb2, mmap_with_partial_last_entry_is_truncated)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    uint8_t *t = mb2_tag(&m, 6, 16 + 24 + 8);

    put32(t + 8, 24);
    put64(t + 16, 0x100000);
    put64(t + 24, 0x100000);
    put32(t + 32, MEM_USABLE);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_ETRUNC, "expected FB_ETRUNC");
}

Test(mb2, map_without_usable_ram_is_enomem)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    static const struct mem_region only_reserved[] = { { 0, 0x100000, MEM_RESERVED } };

    mb2_mmap(&m, only_reserved, 1);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_ENOMEM, "expected FB_ENOMEM");
}

Test(mb2, image_without_memory_map_is_enomem)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;

    mb2_string(&m, 1, "x");
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_ENOMEM, "expected FB_ENOMEM");
}

Test(mb2, usable_region_smaller_than_a_page_gives_no_ram)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    static const struct mem_region crumbs[] = { { 0x1800, 0x1000, MEM_USABLE } };

    mb2_mmap(&m, crumbs, 1);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_ENOMEM, "expected FB_ENOMEM: no whole page inside");
}

/* ---- More regions than the table holds ---- */

Test(mb2, more_than_64_usable_regions_keep_the_largest)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    static struct mem_region many[100];

    /* Region i has i + 1 pages, with a one-page hole after it. */
    uint64_t at = 0x100000;
    for (size_t i = 0; i < 100; i++) {
        many[i] = (struct mem_region){ at, (i + 1) * 4096, MEM_USABLE };
        at += (i + 2) * 4096;
    }
    mb2_mmap(&m, many, 100);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.region_count, BOOTINFO_MAX_REGIONS, "expected a full table");
    cr_assert(bi.warnings & BOOTINFO_W_REGIONS_DROPPED, "expected the regions-dropped warning");
    cr_assert_eq(bi.regions[BOOTINFO_MAX_REGIONS - 1].length, 100 * 4096,
                 "expected the largest region kept");
    cr_assert_geq(bi.regions[0].length, 37 * 4096, "expected only the smallest dropped");
    assert_map_invariants(&bi);
}

Test(mb2, more_than_64_reserved_holes_are_never_exposed_as_ram)
{
    struct mb2 m = mb2_begin();
    struct boot_info bi;
    static struct mem_region map[121];

    /* One large RAM region and 120 single-page holes punched into it,
     * some listed before the RAM and some after. */
    for (size_t i = 0; i < 120; i++)
        map[i + (i >= 60)] = (struct mem_region){ 0x100000 + i * 0x3000 + 0x1000, 0x1000,
                                                  MEM_RESERVED };
    map[60] = (struct mem_region){ 0x100000, 1 * GiB, MEM_USABLE };
    mb2_mmap(&m, map, 121);
    mb2_end(&m);
    cr_assert_eq(mb2_parse(&m, &bi), FB_OK, "expected FB_OK");
    assert_map_invariants(&bi);
    cr_assert(bi.warnings & BOOTINFO_W_REGIONS_DROPPED, "expected the regions-dropped warning");
    for (size_t i = 0; i < 121; i++) {
        if (map[i].type != MEM_USABLE)
            cr_assert(!overlaps_usable(&bi, map[i].base, map[i].length),
                      "expected hole at %#llx not usable", (unsigned long long)map[i].base);
    }
    cr_assert_gt(bi.usable_bytes, 1 * GiB - 2 * MiB, "expected the bulk of the RAM kept");
}

/* ---- bootinfo_normalize on hand-made maps ---- */

/* Loads regions into a fresh boot_info and normalizes it. */
static struct boot_info normalized(const struct mem_region *r, size_t n)
{
    struct boot_info bi;

    memset(&bi, 0, sizeof bi);
    memcpy(bi.regions, r, n * sizeof *r);
    bi.region_count = (uint32_t)n;
    bootinfo_normalize(&bi);
    assert_map_invariants(&bi);
    return bi;
}

/* Asserts region i is exactly [base, base + len) of type. */
static void expect_region(const struct boot_info *bi, uint32_t i, uint64_t base, uint64_t len,
                          uint32_t type)
{
    cr_assert_lt(i, bi->region_count, "expected at least %u regions, got %u", i + 1,
                 bi->region_count);
    const struct mem_region *r = &bi->regions[i];
    cr_assert(r->base == base && r->length == len && r->type == type,
              "region %u: expected [%#llx +%#llx] %s, got [%#llx +%#llx] %s", i,
              (unsigned long long)base, (unsigned long long)len, bootinfo_type_name(type),
              (unsigned long long)r->base, (unsigned long long)r->length,
              bootinfo_type_name(r->type));
}

Test(normalize, zero_length_regions_are_dropped_with_warning)
{
    static const struct mem_region in[] = {
        { 0x100000, 0, MEM_USABLE }, { 0x200000, 0x1000, MEM_USABLE }, { 0x0, 0, MEM_RESERVED },
    };
    struct boot_info bi = normalized(in, 3);

    cr_assert_eq(bi.region_count, 1, "expected one region left");
    expect_region(&bi, 0, 0x200000, 0x1000, MEM_USABLE);
    cr_assert(bi.warnings & BOOTINFO_W_ZERO_REGION, "expected the zero-region warning");
}

Test(normalize, unsorted_regions_are_sorted)
{
    static const struct mem_region in[] = {
        { 0x300000, 0x1000, MEM_USABLE }, { 0x100000, 0x1000, MEM_RESERVED },
        { 0x200000, 0x1000, MEM_USABLE },
    };
    struct boot_info bi = normalized(in, 3);

    expect_region(&bi, 0, 0x100000, 0x1000, MEM_RESERVED);
    expect_region(&bi, 1, 0x200000, 0x1000, MEM_USABLE);
    expect_region(&bi, 2, 0x300000, 0x1000, MEM_USABLE);
    cr_assert_eq(bi.warnings, 0, "expected no warnings for a clean unsorted map");
}

Test(normalize, adjacent_regions_of_one_type_are_merged)
{
    static const struct mem_region in[] = {
        { 0x200000, 0x1000, MEM_USABLE }, { 0x100000, 0x100000, MEM_USABLE },
        { 0x201000, 0x1000, MEM_USABLE },
    };
    struct boot_info bi = normalized(in, 3);

    cr_assert_eq(bi.region_count, 1, "expected one merged region, got %u", bi.region_count);
    expect_region(&bi, 0, 0x100000, 0x102000, MEM_USABLE);
    cr_assert_eq(bi.warnings & BOOTINFO_W_OVERLAP, 0, "expected adjacency not to count as overlap");
}

Test(normalize, adjacent_regions_of_different_types_stay_apart)
{
    static const struct mem_region in[] = {
        { 0x100000, 0x1000, MEM_ACPI_NVS }, { 0x101000, 0x1000, MEM_ACPI_RECLAIM },
    };
    struct boot_info bi = normalized(in, 2);

    cr_assert_eq(bi.region_count, 2, "expected two regions");
}

Test(normalize, reserved_inside_usable_splits_it)
{
    static const struct mem_region in[] = {
        { 0x100000, 0x100000, MEM_USABLE }, { 0x140000, 0x2000, MEM_RESERVED },
    };
    struct boot_info bi = normalized(in, 2);

    cr_assert_eq(bi.region_count, 3, "expected usable, reserved, usable");
    expect_region(&bi, 0, 0x100000, 0x40000, MEM_USABLE);
    expect_region(&bi, 1, 0x140000, 0x2000, MEM_RESERVED);
    expect_region(&bi, 2, 0x142000, 0xbe000, MEM_USABLE);
    cr_assert(bi.warnings & BOOTINFO_W_OVERLAP, "expected the overlap warning");
    cr_assert_eq(bi.usable_bytes, 0x100000 - 0x2000, "expected the hole subtracted");
}

Test(normalize, partial_overlap_gives_the_shared_part_to_reserved)
{
    static const struct mem_region in[] = {
        { 0x180000, 0x100000, MEM_RESERVED }, { 0x100000, 0x100000, MEM_USABLE },
    };
    struct boot_info bi = normalized(in, 2);

    expect_region(&bi, 0, 0x100000, 0x80000, MEM_USABLE);
    expect_region(&bi, 1, 0x180000, 0x100000, MEM_RESERVED);
}

Test(normalize, reserved_ranges_inside_a_page_take_the_whole_page_from_ram)
{
    static const struct mem_region in[] = {
        { 0x100000, 0x10000, MEM_USABLE }, { 0x104800, 0x10, MEM_RESERVED },
    };
    struct boot_info bi = normalized(in, 2);

    cr_assert(!overlaps_usable(&bi, 0x104000, 0x1000), "expected the touched page not usable");
    cr_assert_eq(bi.usable_bytes, 0xf000, "expected exactly one page lost");
}

Test(normalize, overlapping_usable_regions_are_merged_with_warning)
{
    static const struct mem_region in[] = {
        { 0x100000, 0x80000, MEM_USABLE }, { 0x140000, 0x80000, MEM_USABLE },
    };
    struct boot_info bi = normalized(in, 2);

    cr_assert_eq(bi.region_count, 1, "expected one region");
    expect_region(&bi, 0, 0x100000, 0xc0000, MEM_USABLE);
    cr_assert(bi.warnings & BOOTINFO_W_OVERLAP, "expected the overlap warning");
}

Test(normalize, more_restrictive_type_wins_among_non_usable)
{
    static const struct mem_region in[] = {
        { 0x0, 0x3000, MEM_ACPI_RECLAIM }, { 0x1000, 0x1000, MEM_BAD },
        { 0x2000, 0x2000, MEM_ACPI_NVS },
    };
    struct boot_info bi = normalized(in, 3);

    expect_region(&bi, 0, 0x0, 0x1000, MEM_ACPI_RECLAIM);
    expect_region(&bi, 1, 0x1000, 0x1000, MEM_BAD);
    expect_region(&bi, 2, 0x2000, 0x2000, MEM_ACPI_NVS);
}

Test(normalize, unknown_types_become_reserved)
{
    static const struct mem_region in[] = {
        { 0x1000, 0x1000, 0 }, { 0x2000, 0x1000, 99 }, { 0x3000, 0x1000, MEM_RESERVED },
    };
    struct boot_info bi = normalized(in, 3);

    cr_assert_eq(bi.region_count, 1, "expected one merged reserved region");
    expect_region(&bi, 0, 0x1000, 0x3000, MEM_RESERVED);
}

Test(normalize, usable_regions_shrink_inward_to_pages)
{
    static const struct mem_region in[] = { { 0x100010, 0x2ff0 + 0x7ff, MEM_USABLE } };
    struct boot_info bi = normalized(in, 1);

    expect_region(&bi, 0, 0x101000, 0x2000, MEM_USABLE);
}

Test(normalize, non_usable_regions_keep_their_exact_bounds)
{
    static const struct mem_region in[] = { { 0x9fc00, 0x400, MEM_RESERVED } };
    struct boot_info bi = normalized(in, 1);

    expect_region(&bi, 0, 0x9fc00, 0x400, MEM_RESERVED);
}

Test(normalize, region_wrapping_past_2_64_is_clipped_with_warning)
{
    static const struct mem_region in[] = {
        { 0x100000, 0x100000, MEM_USABLE }, { UINT64_MAX - 0xfff, 0x10000, MEM_RESERVED },
    };
    struct boot_info bi = normalized(in, 2);

    cr_assert(bi.warnings & BOOTINFO_W_REGION_WRAP, "expected the wrap warning");
    expect_region(&bi, 1, UINT64_MAX - 0xfff, 0xfff, MEM_RESERVED);
}

Test(normalize, usable_bytes_is_recomputed_from_scratch)
{
    static const struct mem_region in[] = {
        { 0x0, 0x10000, MEM_USABLE }, { 0x100000, 0x20000, MEM_USABLE },
    };
    struct boot_info bi;

    memset(&bi, 0, sizeof bi);
    memcpy(bi.regions, in, sizeof in);
    bi.region_count = 2;
    bi.usable_bytes = 12345;
    bootinfo_normalize(&bi);
    cr_assert_eq(bi.usable_bytes, 0x30000, "expected 0x30000, got %#llx",
                 (unsigned long long)bi.usable_bytes);
}

Test(normalize, splits_beyond_64_regions_drop_smallest_usable_pieces)
{
    static struct mem_region in[BOOTINFO_MAX_REGIONS];

    /* 63 holes cut one RAM region into 64 pieces, 127 regions in all. */
    in[0] = (struct mem_region){ 0x0, 64 * 0x100000, MEM_USABLE };
    for (size_t i = 1; i < BOOTINFO_MAX_REGIONS; i++)
        in[i] = (struct mem_region){ i * 0x100000 - i * 0x1000, 0x1000, MEM_RESERVED };
    struct boot_info bi = normalized(in, BOOTINFO_MAX_REGIONS);

    cr_assert(bi.warnings & BOOTINFO_W_REGIONS_DROPPED, "expected the regions-dropped warning");
    for (size_t i = 1; i < BOOTINFO_MAX_REGIONS; i++)
        cr_assert(!overlaps_usable(&bi, in[i].base, in[i].length), "expected hole %zu kept", i);
    cr_assert(overlaps_usable(&bi, 63 * 0x100000, 0x1000), "expected the largest piece kept");
}

Test(normalize, is_idempotent)
{
    struct boot_info once = normalized(pc_map, PC_MAP_N);
    struct boot_info twice = once;

    bootinfo_normalize(&twice);
    cr_assert_arr_eq(&once, &twice, sizeof once, "expected a second pass to change nothing");
}

Test(normalize, type_names)
{
    cr_assert_str_eq(bootinfo_type_name(MEM_USABLE), "usable", "expected \"usable\"");
    cr_assert_str_eq(bootinfo_type_name(MEM_RESERVED), "reserved", "expected \"reserved\"");
    cr_assert_str_eq(bootinfo_type_name(MEM_ACPI_RECLAIM), "acpi-reclaim", "expected \"acpi-reclaim\"");
    cr_assert_str_eq(bootinfo_type_name(MEM_ACPI_NVS), "acpi-nvs", "expected \"acpi-nvs\"");
    cr_assert_str_eq(bootinfo_type_name(MEM_BAD), "bad", "expected \"bad\"");
    cr_assert_str_eq(bootinfo_type_name(42), "unknown", "expected \"unknown\"");
}

/* ---- PVH ---- */

#define PVH_MEM   0x4000
#define SI_AT     0x0
#define CMD_AT    0x100
#define MODS_AT   0x200
#define MAP_AT    0x800
#define NAMES_AT  0x1000

/* Guest "physical memory" for PVH tests: phys() maps [0, limit). */
struct guest {
    uint8_t mem[PVH_MEM];
    size_t limit;
    uint64_t deny_from, deny_to;   /* [from, to) unreadable */
};

static struct guest g;

/* phys() over the guest buffer, refusing [limit, ...) and the denied range. */
static const void *guest_phys(uint64_t pa, size_t len, void *ctx)
{
    struct guest *gu = ctx;

    if (pa > gu->limit || len > gu->limit - pa)
        return NULL;
    if (pa < gu->deny_to && gu->deny_from < pa + len)
        return NULL;
    return gu->mem + pa;
}

/* A version 1 start_info with a command line, one module and the PC map. */
static void pvh_build(void)
{
    memset(&g, 0, sizeof g);
    g.limit = PVH_MEM;
    uint8_t *si = g.mem + SI_AT;
    put32(si, PVH_START_MAGIC);
    put32(si + 4, 1);
    put32(si + 12, 1);
    put64(si + 16, MODS_AT);
    put64(si + 24, CMD_AT);
    put64(si + 40, MAP_AT);
    put32(si + 48, (uint32_t)PC_MAP_N);
    strcpy((char *)g.mem + CMD_AT, "loglevel=3 autoexit");
    put64(g.mem + MODS_AT, 0x2000000);
    put64(g.mem + MODS_AT + 8, 0x5000);
    put64(g.mem + MODS_AT + 16, NAMES_AT);
    strcpy((char *)g.mem + NAMES_AT, "initrd");
    for (size_t i = 0; i < PC_MAP_N; i++) {
        put64(g.mem + MAP_AT + i * 24, pc_map[i].base);
        put64(g.mem + MAP_AT + i * 24 + 8, pc_map[i].length);
        put32(g.mem + MAP_AT + i * 24 + 16, pc_map[i].type);
    }
}

/* Parses the start_info at SI_AT with avail readable bytes. */
static int pvh_parse(size_t avail, struct boot_info *out)
{
    return bootinfo_parse_pvh(g.mem + SI_AT, avail, guest_phys, &g, out);
}

Test(pvh, valid_start_info_yields_cmdline_module_and_map)
{
    struct boot_info bi;

    pvh_build();
    cr_assert_eq(pvh_parse(56, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.source, BOOT_SRC_PVH, "expected source PVH");
    cr_assert_str_eq(bi.cmdline, "loglevel=3 autoexit", "expected the command line");
    cr_assert_str_eq(bi.loader, "", "expected no loader name");
    cr_assert_eq(bi.module_count, 1, "expected one module");
    cr_assert_eq(bi.modules[0].start, 0x2000000, "expected module start");
    cr_assert_eq(bi.modules[0].end, 0x2005000, "expected module end = start + size");
    cr_assert_str_eq(bi.modules[0].name, "initrd", "expected module name");
    cr_assert_eq(bi.region_count, PC_MAP_N, "expected the map");
    cr_assert_eq(bi.warnings, 0, "expected no warnings, got %#x", bi.warnings);
    assert_map_invariants(&bi);
}

Test(pvh, rsdp_address_is_recorded)
{
    struct boot_info bi;

    pvh_build();
    put64(g.mem + SI_AT + 32, 0xf5a20);
    cr_assert_eq(pvh_parse(56, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.rsdp_phys, 0xf5a20, "expected rsdp_paddr, got %#llx",
                 (unsigned long long)bi.rsdp_phys);
    cr_assert_eq(bi.rsdp_len, 0, "expected no RSDP copy from PVH");
}

Test(pvh, zero_cmdline_address_means_empty_command_line)
{
    struct boot_info bi;

    pvh_build();
    put64(g.mem + SI_AT + 24, 0);
    cr_assert_eq(pvh_parse(56, &bi), FB_OK, "expected FB_OK");
    cr_assert_str_eq(bi.cmdline, "", "expected an empty command line");
}

Test(pvh, null_arguments_are_rejected)
{
    struct boot_info bi;

    pvh_build();
    cr_assert_eq(bootinfo_parse_pvh(NULL, 56, guest_phys, &g, &bi), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(bootinfo_parse_pvh(g.mem, 56, NULL, &g, &bi), FB_EINVAL, "expected FB_EINVAL");
    cr_assert_eq(bootinfo_parse_pvh(g.mem, 56, guest_phys, &g, NULL), FB_EINVAL, "expected FB_EINVAL");
}

Test(pvh, bad_magic_is_rejected)
{
    struct boot_info bi;

    pvh_build();
    put32(g.mem + SI_AT, 0x336ec579);
    cr_assert_eq(pvh_parse(56, &bi), FB_EINVAL, "expected FB_EINVAL");
}

Test(pvh, unknown_version_is_rejected)
{
    struct boot_info bi;

    pvh_build();
    put32(g.mem + SI_AT + 4, 2);
    cr_assert_eq(pvh_parse(56, &bi), FB_EINVAL, "expected FB_EINVAL for version 2");
}

Test(pvh, version_0_has_no_memory_map_so_no_ram)
{
    struct boot_info bi;

    pvh_build();
    put32(g.mem + SI_AT + 4, 0);
    cr_assert_eq(pvh_parse(40, &bi), FB_ENOMEM, "expected FB_ENOMEM");
}

Test(pvh, structure_larger_than_avail_is_truncated)
{
    struct boot_info bi;

    pvh_build();
    cr_assert_eq(pvh_parse(39, &bi), FB_ETRUNC, "expected FB_ETRUNC below the v0 size");
    cr_assert_eq(pvh_parse(48, &bi), FB_ETRUNC, "expected FB_ETRUNC below the v1 size");
}

Test(pvh, unreadable_cmdline_is_efault)
{
    struct boot_info bi;

    pvh_build();
    put64(g.mem + SI_AT + 24, 0x100000);
    cr_assert_eq(pvh_parse(56, &bi), FB_EFAULT, "expected FB_EFAULT");
    cr_assert_eq(bi.source, BOOT_SRC_NONE, "expected the output zeroed");
}

Test(pvh, cmdline_running_into_unreadable_memory_is_efault)
{
    struct boot_info bi;

    pvh_build();
    memset(g.mem + PVH_MEM - 10, 'a', 10);
    put64(g.mem + SI_AT + 24, PVH_MEM - 10);
    cr_assert_eq(pvh_parse(56, &bi), FB_EFAULT, "expected FB_EFAULT");
}

Test(pvh, overlong_cmdline_is_truncated_with_warning)
{
    struct boot_info bi;

    pvh_build();
    memset(g.mem + NAMES_AT + 0x100, 'x', 1000);
    put64(g.mem + SI_AT + 24, NAMES_AT + 0x100);
    cr_assert_eq(pvh_parse(56, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(strlen(bi.cmdline), BOOTINFO_CMDLINE_MAX - 1, "expected a full buffer");
    cr_assert(bi.warnings & BOOTINFO_W_CMDLINE_TRUNC, "expected the truncation warning");
}

Test(pvh, unreadable_module_list_is_efault)
{
    struct boot_info bi;

    pvh_build();
    g.deny_from = MODS_AT;
    g.deny_to = MODS_AT + 1;
    cr_assert_eq(pvh_parse(56, &bi), FB_EFAULT, "expected FB_EFAULT");
}

Test(pvh, unreadable_module_name_is_efault)
{
    struct boot_info bi;

    pvh_build();
    put64(g.mem + MODS_AT + 16, 0xdead0000);
    cr_assert_eq(pvh_parse(56, &bi), FB_EFAULT, "expected FB_EFAULT");
}

Test(pvh, unreadable_memory_map_is_efault)
{
    struct boot_info bi;

    pvh_build();
    put64(g.mem + SI_AT + 40, PVH_MEM - 24 * 2);
    cr_assert_eq(pvh_parse(56, &bi), FB_EFAULT, "expected FB_EFAULT for entries past the window");
}

Test(pvh, table_address_wrapping_2_64_is_efault)
{
    struct boot_info bi;

    pvh_build();
    put64(g.mem + SI_AT + 40, UINT64_MAX - 30);
    cr_assert_eq(pvh_parse(56, &bi), FB_EFAULT, "expected FB_EFAULT");
}

Test(pvh, huge_module_count_reads_at_most_16_entries)
{
    struct boot_info bi;

    pvh_build();
    put32(g.mem + SI_AT + 12, UINT32_MAX);
    /* Only 16 entries fit before the map; all must be valid modules. */
    for (uint32_t i = 0; i < 16; i++) {
        put64(g.mem + MODS_AT + i * 32, 0x3000000 + i * 0x1000);
        put64(g.mem + MODS_AT + i * 32 + 8, 0x1000);
        put64(g.mem + MODS_AT + i * 32 + 16, 0);
    }
    g.deny_from = MODS_AT + 16 * 32;
    g.deny_to = MAP_AT;
    cr_assert_eq(pvh_parse(56, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.module_count, BOOTINFO_MAX_MODULES, "expected 16 modules");
    cr_assert(bi.warnings & BOOTINFO_W_MODULES_DROPPED, "expected the modules-dropped warning");
}

Test(pvh, huge_map_entry_count_is_bounded)
{
    struct boot_info bi;

    pvh_build();
    put32(g.mem + SI_AT + 48, UINT32_MAX);
    /* 128 entries (the bound) are readable; anything beyond would fault. */
    for (size_t i = PC_MAP_N; i < 128; i++) {
        put64(g.mem + MAP_AT + i * 24, 0x10000000 + i * 0x2000);
        put64(g.mem + MAP_AT + i * 24 + 8, 0x1000);
        put32(g.mem + MAP_AT + i * 24 + 16, MEM_RESERVED);
    }
    g.limit = MAP_AT + 128 * 24;
    cr_assert_eq(pvh_parse(56, &bi), FB_OK, "expected FB_OK");
    cr_assert(bi.warnings & BOOTINFO_W_REGIONS_DROPPED, "expected the regions-dropped warning");
    assert_map_invariants(&bi);
}

Test(pvh, module_whose_size_wraps_is_dropped)
{
    struct boot_info bi;

    pvh_build();
    put64(g.mem + MODS_AT + 8, UINT64_MAX);
    cr_assert_eq(pvh_parse(56, &bi), FB_OK, "expected FB_OK");
    cr_assert_eq(bi.module_count, 0, "expected the module dropped");
    cr_assert(bi.warnings & BOOTINFO_W_BAD_MODULE, "expected the bad-module warning");
}
