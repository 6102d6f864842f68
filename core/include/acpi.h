/* ACPI tables FeuerBird reads at boot: the RSDP, the RSDT or XSDT, and
 * the MADT (CPUs, IOAPICs, interrupt source overrides). Every byte comes
 * from firmware and is treated as untrusted: signatures, checksums and
 * lengths are checked, and nothing outside a table's stated length is
 * read. */
#ifndef FB_ACPI_H
#define FB_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootinfo.h"

#define ACPI_MAX_CPUS    64  /**< processor entries kept */
#define ACPI_MAX_IOAPICS 8   /**< IOAPIC entries kept */
#define ACPI_MAX_ISOS    16  /**< interrupt source overrides kept */
#define ACPI_RSDP_V1_LEN 20  /**< bytes checksummed by the ACPI 1.0 checksum */
#define ACPI_RSDP_V2_LEN 36  /**< bytes of an ACPI 2.0+ RSDP */

/** One processor local APIC (MADT type 0) or x2APIC (type 9) entry.
 *  Processors that are neither enabled nor online-capable are never
 *  listed: the spec says they must not be used. */
struct acpi_cpu {
    uint32_t apic_id;        /**< local APIC ID */
    uint32_t acpi_uid;       /**< processor UID */
    bool enabled;            /**< usable now */
    bool online_capable;     /**< may be brought up although not enabled */
};

/** One IOAPIC (MADT type 1). */
struct acpi_ioapic {
    uint32_t id;             /**< IOAPIC ID */
    uint64_t addr;           /**< physical address of its registers */
    uint32_t gsi_base;       /**< first global system interrupt it serves */
};

/** One interrupt source override (MADT type 2): ISA IRQ @c source is GSI @c gsi. */
struct acpi_iso {
    uint8_t bus;             /**< 0 = ISA */
    uint8_t source;          /**< ISA IRQ */
    uint32_t gsi;            /**< global system interrupt it arrives on */
    uint16_t flags;          /**< MPS INTI flags: polarity bits 1..0, trigger bits 3..2 */
};

/** Anomalies met while parsing; never fatal. */
enum acpi_warning {
    ACPI_W_CPUS_DROPPED    = 1u << 0, /**< more than ACPI_MAX_CPUS processors */
    ACPI_W_IOAPICS_DROPPED = 1u << 1, /**< more than ACPI_MAX_IOAPICS */
    ACPI_W_ISOS_DROPPED    = 1u << 2, /**< more than ACPI_MAX_ISOS */
    ACPI_W_UNKNOWN_ENTRY   = 1u << 3, /**< skipped a reserved or OEM MADT entry type (types the
                                           spec defines but we do not use are skipped silently) */
    ACPI_W_BAD_TABLE       = 1u << 4, /**< skipped an unreadable RSDT/XSDT entry or a MADT with a bad
                                           header or checksum, or fell back from a bad XSDT */
};

/** What the kernel learns from ACPI. */
struct acpi_info {
    uint8_t revision;                         /**< RSDP revision (0 = ACPI 1.0) */
    uint64_t lapic_addr;                      /**< local APIC physical address (type 5 override applied) */
    bool pcat_compat;                         /**< MADT flag: an 8259 pair is present */
    struct acpi_cpu cpus[ACPI_MAX_CPUS];      /**< in MADT order; the boot CPU is normally first */
    uint32_t cpu_count;                       /**< valid entries in cpus */
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS]; /**< in MADT order */
    uint32_t ioapic_count;                    /**< valid entries in ioapics */
    struct acpi_iso isos[ACPI_MAX_ISOS];      /**< in MADT order */
    uint32_t iso_count;                       /**< valid entries in isos */
    uint32_t warnings;                        /**< enum acpi_warning bits */
};

/**
 * Looks for the RSDP signature "RSD PTR " on 16-byte boundaries of
 * [@p area, @p area + @p len), which lies at physical @p area_phys, and
 * checks its checksum(s); the whole RSDP (20 bytes, or its stated length
 * from revision 2 on) must lie inside the area. The kernel scans the first
 * KiB of the EBDA and 0xE0000..0xFFFFF with it.
 * @return FB_OK and *@p rsdp_phys; FB_ENOENT when none is there; FB_EINVAL
 *         for NULL arguments.
 */
int acpi_find_rsdp(const void *area, size_t len, uint64_t area_phys, uint64_t *rsdp_phys);

/**
 * Parses from a copy of the RSDP (@p len readable bytes at @p rsdp, as a
 * Multiboot2 loader hands it over) and the tables it leads to, reading
 * memory only through @p phys (as bootinfo does). The XSDT is used when
 * the RSDP revision is 2 or more and the XSDT is valid, else the RSDT. The
 * first MADT ("APIC") with a valid header and checksum is parsed; other
 * tables are identified by their signature only. Nothing outside a length
 * @p phys vouched for is read. On failure *@p out is all zeroes.
 * @return FB_OK with *@p out filled; FB_EINVAL for NULL arguments, a bad
 *         RSDP signature, checksum or (revision >= 2) length, or a root
 *         table with a bad signature, length or checksum; FB_ENOENT when no
 *         valid MADT is found; FB_ETRUNC when the RSDP is shorter than it
 *         says, or the root table or the MADT runs past what @p phys can
 *         read, or a MADT entry is shorter than 2 bytes or than its type's
 *         fields, or runs past its table.
 */
int acpi_parse_rsdp(const void *rsdp, size_t len, bootinfo_phys_fn phys, void *ctx,
                    struct acpi_info *out);

/**
 * Parses the RSDP at physical @p rsdp_phys (as PVH or a memory scan gives
 * it) like acpi_parse_rsdp; the RSDP itself is also read through @p phys.
 * @return as acpi_parse_rsdp; FB_ETRUNC also when @p phys cannot read the
 *         RSDP.
 */
int acpi_parse(uint64_t rsdp_phys, bootinfo_phys_fn phys, void *ctx, struct acpi_info *out);

/** The GSI ISA IRQ @p isa_irq arrives on (identity without an override);
 *  *@p flags (may be NULL) receives the override's flags or 0. */
uint32_t acpi_isa_to_gsi(const struct acpi_info *ai, unsigned isa_irq, uint16_t *flags);

#endif
