/* Boot information, normalized: the Multiboot2 and PVH parsers both fill a
 * struct boot_info from untrusted bytes handed over by the loader. */
#ifndef FB_BOOTINFO_H
#define FB_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOTINFO_MAX_REGIONS  64   /**< memory map entries kept */
#define BOOTINFO_MAX_MODULES  16   /**< boot modules kept */
#define BOOTINFO_CMDLINE_MAX  256  /**< command line bytes incl. NUL */
#define BOOTINFO_NAME_MAX     64   /**< loader and module names incl. NUL */
#define BOOTINFO_MB2_MAX_SIZE (64u * 1024u) /**< largest MB2 info accepted */
#define BOOTINFO_RSDP_MAX     36   /**< RSDP copy bytes kept (an ACPI 2.0 RSDP) */

/** Multiboot2 magic in EAX at kernel entry. */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u
/** PVH start_info magic ("xEn3" with high bit set). */
#define PVH_START_MAGIC 0x336ec578u

/** Region types, numbered as Multiboot2 and E820 number them. */
enum mem_type {
    MEM_USABLE       = 1,
    MEM_RESERVED     = 2,
    MEM_ACPI_RECLAIM = 3,
    MEM_ACPI_NVS     = 4,
    MEM_BAD          = 5,
};

/** One physical memory region [base, base + length). */
struct mem_region {
    uint64_t base;   /**< first byte */
    uint64_t length; /**< size in bytes, never 0 after normalization */
    uint32_t type;   /**< enum mem_type; unknown types are stored as MEM_RESERVED */
};

/** A module the loader placed in memory, [start, end). */
struct boot_module {
    uint64_t start;  /**< physical address of the first byte */
    uint64_t end;    /**< physical address one past the last byte */
    char name[BOOTINFO_NAME_MAX];  /**< module command line, truncated */
};

/** Who booted us. */
enum boot_source { BOOT_SRC_NONE = 0, BOOT_SRC_MULTIBOOT2 = 1, BOOT_SRC_PVH = 2 };

/** Anomalies seen while parsing; set in boot_info.warnings, never fatal. */
enum bootinfo_warning {
    BOOTINFO_W_UNKNOWN_TAG     = 1u << 0, /**< skipped a tag we do not know */
    BOOTINFO_W_ZERO_REGION     = 1u << 1, /**< dropped a zero-length region */
    BOOTINFO_W_OVERLAP         = 1u << 2, /**< resolved overlapping regions */
    BOOTINFO_W_REGIONS_DROPPED = 1u << 3, /**< more regions than BOOTINFO_MAX_REGIONS */
    BOOTINFO_W_MODULES_DROPPED = 1u << 4, /**< more modules than BOOTINFO_MAX_MODULES */
    BOOTINFO_W_CMDLINE_TRUNC   = 1u << 5, /**< command line longer than the buffer */
    BOOTINFO_W_BAD_MODULE      = 1u << 6, /**< dropped a module with end < start */
    BOOTINFO_W_NAME_TRUNC      = 1u << 7, /**< a loader or module name was cut */
    BOOTINFO_W_REGION_WRAP     = 1u << 8, /**< clipped a region that wrapped 2^64 */
};

/** Everything the kernel needs from the loader, in one validated form. */
struct boot_info {
    enum boot_source source;              /**< which parser filled this */
    char cmdline[BOOTINFO_CMDLINE_MAX];   /**< kernel command line, NUL-terminated */
    char loader[BOOTINFO_NAME_MAX];       /**< empty when not given */
    struct mem_region regions[BOOTINFO_MAX_REGIONS]; /**< memory map, sorted, disjoint */
    uint32_t region_count;                /**< valid entries in regions */
    struct boot_module modules[BOOTINFO_MAX_MODULES]; /**< boot modules in loader order */
    uint32_t module_count;                /**< valid entries in modules */
    uint64_t usable_bytes;                /**< sum of MEM_USABLE lengths */
    /** Copy of the ACPI RSDP from Multiboot2 tag 15 (ACPI 2.0+) or, when
     *  there is none, tag 14 (ACPI 1.0); not validated here (acpi_parse_rsdp
     *  does). Multiboot2 gives a copy, PVH an address (rsdp_phys). */
    uint8_t rsdp[BOOTINFO_RSDP_MAX];
    uint32_t rsdp_len;                    /**< bytes of rsdp valid; 0 when no copy was given */
    uint64_t rsdp_phys;                   /**< PVH rsdp_paddr; 0 when not given */
    uint32_t warnings;                    /**< enum bootinfo_warning bits */
};

/**
 * Resolves a physical range of the loader's structures to a readable
 * pointer, or NULL when [paddr, paddr + len) is not readable. The kernel
 * passes its direct map; tests pass a window onto a byte buffer.
 */
typedef const void *(*bootinfo_phys_fn)(uint64_t paddr, size_t len, void *ctx);

/**
 * Parses a Multiboot2 information structure of at most @p avail bytes at
 * @p info (any alignment). Reads nothing outside [info, info + avail). On
 * success the memory map is already normalized (bootinfo_normalize); on
 * failure *@p out is all zeroes. Strings not NUL-terminated inside their
 * tag end at the tag's end. Known tags other than 1, 2, 3 and 6 are
 * skipped silently; unknown ones set BOOTINFO_W_UNKNOWN_TAG. The ACPI RSDP
 * tags (14 old, 15 new) are copied into rsdp, at most BOOTINFO_RSDP_MAX
 * bytes; tag 15 wins over tag 14 whatever their order.
 * @return FB_OK; FB_EINVAL for a NULL argument, a total_size below 16,
 *         above @p avail or above BOOTINFO_MB2_MAX_SIZE, a nonzero reserved
 *         field, a tag size below 8, or a memory map entry_size below 24 or
 *         not a multiple of 8; FB_ETRUNC when @p avail < 8, a tag runs past
 *         total_size or is too short for its fixed fields, a memory map ends
 *         in a partial entry, or the end tag is missing; FB_ENOMEM when the
 *         map holds no usable RAM.
 */
int bootinfo_parse_multiboot2(const void *info, size_t avail, struct boot_info *out);

/**
 * Parses a PVH hvm_start_info at @p start_info (@p avail readable bytes).
 * Command line, module list and memory map are reached through @p phys.
 * At most BOOTINFO_MAX_MODULES module entries and 2 * BOOTINFO_MAX_REGIONS
 * map entries are read; the rest are skipped with a warning. A version 0
 * structure has no memory map, so it ends in FB_ENOMEM. rsdp_paddr (in
 * version 0 already) is stored in rsdp_phys, unchecked. On failure *@p out
 * is all zeroes.
 * @return FB_OK; FB_EINVAL for a bad magic, a version other than 0 or 1,
 *         or a NULL argument; FB_EFAULT when @p phys cannot resolve a
 *         referenced structure or string; FB_ETRUNC when @p avail is smaller
 *         than the structure (40 bytes for version 0, 56 for version 1);
 *         FB_ENOMEM when the map holds no usable RAM.
 */
int bootinfo_parse_pvh(const void *start_info, size_t avail,
                       bootinfo_phys_fn phys, void *ctx, struct boot_info *out);

/**
 * Normalizes @p bi's memory map in place: drops zero-length regions, clips
 * regions that wrap past 2^64, sorts by base, resolves overlaps (the more
 * restrictive type wins: bad > reserved > ACPI NVS > ACPI reclaim > usable),
 * merges adjacent regions of one type, shrinks usable regions inward to
 * 4 KiB boundaries, and recomputes usable_bytes. Unknown types become
 * MEM_RESERVED. If the result would not fit BOOTINFO_MAX_REGIONS, it drops
 * a usable piece or joins two neighbouring non-usable regions, whichever
 * loses fewer usable bytes, until it fits (BOOTINFO_W_REGIONS_DROPPED):
 * a reserved byte is never reported as usable. Sets warning bits for what
 * it had to fix.
 */
void bootinfo_normalize(struct boot_info *bi);

/** Short name of a region type ("usable", "reserved", ...). */
const char *bootinfo_type_name(uint32_t type);

#endif
