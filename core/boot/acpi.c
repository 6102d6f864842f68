/* ACPI table parser: finds the RSDP, follows the RSDT or XSDT to the MADT
 * and records CPUs, IOAPICs and interrupt source overrides. All memory is
 * reached through the caller's phys() window, and every read stays inside
 * a length that phys() vouched for. */
#include "acpi.h"

#include "bootinfo_internal.h"
#include "kerr.h"
#include "kstring.h"

_Static_assert(BOOTINFO_RSDP_MAX == ACPI_RSDP_V2_LEN, "boot_info holds a whole ACPI 2.0 RSDP");

#define SDT_HDR          36u   /* signature .. creator_revision */
#define MADT_FIXED       44u   /* SDT header + lapic_addr + flags */
#define MADT_PCAT_COMPAT 1u    /* MADT flags bit 0 */
#define LAPIC_ENABLED    1u    /* processor flags bit 0 */
#define LAPIC_ONLINE_CAP 2u    /* processor flags bit 1 (ACPI 6.3) */
#define RSDP_REV_OFF     15u
#define RSDP_RSDT_OFF    16u
#define RSDP_LEN_OFF     20u
#define RSDP_XSDT_OFF    24u

/* MADT entry types and the least length each needs for its fields. */
enum madt_type {
    MADT_LAPIC = 0,            /* 8 bytes */
    MADT_IOAPIC = 1,           /* 12 bytes */
    MADT_ISO = 2,              /* 10 bytes */
    MADT_LAPIC_ADDR = 5,       /* 12 bytes */
    MADT_X2APIC = 9,           /* 16 bytes */
    MADT_LAST_DEFINED = 0x17,  /* ACPI 6.5: types up to 0x17 are specified */
};

/* Sum of n bytes modulo 256; a valid ACPI structure sums to 0. */
static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* True when the first 20 bytes are an ACPI 1.0 RSDP (signature, checksum). */
static bool rsdp_v1_ok(const uint8_t *p)
{
    return kmemcmp(p, "RSD PTR ", 8) == 0 && sum8(p, ACPI_RSDP_V1_LEN) == 0;
}

/* Validates an RSDP of avail readable bytes: FB_OK, FB_EINVAL for a bad
 * signature, checksum or (revision >= 2) length, FB_ETRUNC when the bytes
 * it announces are not all there. */
static int rsdp_check(const uint8_t *p, size_t avail)
{
    if (avail < ACPI_RSDP_V1_LEN)
        return FB_ETRUNC;
    if (!rsdp_v1_ok(p))
        return FB_EINVAL;
    if (p[RSDP_REV_OFF] < 2)
        return FB_OK;
    if (avail < ACPI_RSDP_V2_LEN)
        return FB_ETRUNC;
    uint32_t len = bootinfo_rd32(p + RSDP_LEN_OFF);
    if (len < ACPI_RSDP_V2_LEN)
        return FB_EINVAL;
    if (len > avail)
        return FB_ETRUNC;
    return sum8(p, len) == 0 ? FB_OK : FB_EINVAL;
}

/* Scans 16-byte aligned physical addresses of the area for a valid RSDP
 * lying wholly inside it. */
int acpi_find_rsdp(const void *area, size_t len, uint64_t area_phys, uint64_t *rsdp_phys)
{
    const uint8_t *a = area;

    if (a == NULL || rsdp_phys == NULL)
        return FB_EINVAL;
    for (size_t off = (16 - area_phys % 16) % 16; off < len && len - off >= ACPI_RSDP_V1_LEN;
         off += 16) {
        if (rsdp_check(a + off, len - off) == FB_OK) {
            *rsdp_phys = area_phys + off;
            return FB_OK;
        }
    }
    return FB_ENOENT;
}

/* Resolves a whole system description table at pa whose signature is sig:
 * FB_OK with *t and *len, FB_ETRUNC when its header or its stated length
 * cannot be read, FB_EINVAL for a wrong signature, a length below the
 * header or a bad checksum. */
static int sdt_map(uint64_t pa, const char *sig, bootinfo_phys_fn phys, void *ctx,
                   const uint8_t **t, uint32_t *len)
{
    const uint8_t *h = phys(pa, SDT_HDR, ctx);

    if (h == NULL)
        return FB_ETRUNC;
    if (kmemcmp(h, sig, 4) != 0)
        return FB_EINVAL;
    uint32_t n = bootinfo_rd32(h + 4);
    if (n < SDT_HDR)
        return FB_EINVAL;
    h = phys(pa, n, ctx);
    if (h == NULL)
        return FB_ETRUNC;
    if (sum8(h, n) != 0)
        return FB_EINVAL;
    *t = h;
    *len = n;
    return FB_OK;
}

/* Appends a processor unless it can never run (neither enabled nor
 * online-capable, which the spec says not to use). */
static void madt_cpu(struct acpi_info *ai, uint32_t apic_id, uint32_t uid, uint32_t flags)
{
    if ((flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAP)) == 0)
        return;
    if (ai->cpu_count >= ACPI_MAX_CPUS) {
        ai->warnings |= ACPI_W_CPUS_DROPPED;
        return;
    }
    ai->cpus[ai->cpu_count++] = (struct acpi_cpu){
        .apic_id = apic_id,
        .acpi_uid = uid,
        .enabled = (flags & LAPIC_ENABLED) != 0,
        .online_capable = (flags & LAPIC_ENABLED) == 0 && (flags & LAPIC_ONLINE_CAP) != 0,
    };
}

/* Appends an IOAPIC. */
static void madt_ioapic(struct acpi_info *ai, const uint8_t *e)
{
    if (ai->ioapic_count >= ACPI_MAX_IOAPICS) {
        ai->warnings |= ACPI_W_IOAPICS_DROPPED;
        return;
    }
    ai->ioapics[ai->ioapic_count++] = (struct acpi_ioapic){
        .id = e[2], .addr = bootinfo_rd32(e + 4), .gsi_base = bootinfo_rd32(e + 8),
    };
}

/* Appends an interrupt source override. */
static void madt_iso(struct acpi_info *ai, const uint8_t *e)
{
    if (ai->iso_count >= ACPI_MAX_ISOS) {
        ai->warnings |= ACPI_W_ISOS_DROPPED;
        return;
    }
    uint16_t flags;
    kmemcpy(&flags, e + 8, sizeof flags);
    ai->isos[ai->iso_count++] = (struct acpi_iso){
        .bus = e[2], .source = e[3], .gsi = bootinfo_rd32(e + 4), .flags = flags,
    };
}

/* Least length of an entry type we read, 2 for the rest. */
static uint8_t madt_min_len(uint8_t type)
{
    switch (type) {
    case MADT_LAPIC:      return 8;
    case MADT_IOAPIC:     return 12;
    case MADT_ISO:        return 10;
    case MADT_LAPIC_ADDR: return 12;
    case MADT_X2APIC:     return 16;
    default:              return 2;
    }
}

/* Handles one entry whose e[0, e[1]) bytes are inside the table and long
 * enough for its fields. */
static void madt_entry(struct acpi_info *ai, const uint8_t *e)
{
    switch (e[0]) {
    case MADT_LAPIC:
        madt_cpu(ai, e[3], e[2], bootinfo_rd32(e + 4));
        break;
    case MADT_IOAPIC:
        madt_ioapic(ai, e);
        break;
    case MADT_ISO:
        madt_iso(ai, e);
        break;
    case MADT_LAPIC_ADDR:
        ai->lapic_addr = bootinfo_rd64(e + 4);
        break;
    case MADT_X2APIC:
        madt_cpu(ai, bootinfo_rd32(e + 4), bootinfo_rd32(e + 12), bootinfo_rd32(e + 8));
        break;
    default:
        /* Specified types we have no use for (NMI sources, SAPIC, GIC...)
         * are skipped silently; only reserved and OEM types warn. */
        if (e[0] > MADT_LAST_DEFINED)
            ai->warnings |= ACPI_W_UNKNOWN_ENTRY;
        break;
    }
}

/* Walks the entries of a checksummed MADT of len bytes. */
static int madt_parse(struct acpi_info *ai, const uint8_t *t, uint32_t len)
{
    ai->lapic_addr = bootinfo_rd32(t + SDT_HDR);
    ai->pcat_compat = (bootinfo_rd32(t + SDT_HDR + 4) & MADT_PCAT_COMPAT) != 0;
    for (uint32_t off = MADT_FIXED; off < len; ) {
        const uint8_t *e = t + off;
        if (len - off < 2 || e[1] < madt_min_len(e[0]) || e[1] > len - off)
            return FB_ETRUNC;
        madt_entry(ai, e);
        off += e[1];
    }
    return FB_OK;
}

/* Looks through the root table's entries (esz = 4 for the RSDT, 8 for the
 * XSDT) for the first valid MADT. Unreadable or corrupt candidates are
 * skipped with a warning; a MADT that runs past readable memory is not. */
static int root_walk(struct acpi_info *ai, const uint8_t *root, uint32_t len, unsigned esz,
                     bootinfo_phys_fn phys, void *ctx)
{
    for (uint32_t off = SDT_HDR; len - off >= esz; off += esz) {
        uint64_t pa = esz == 8 ? bootinfo_rd64(root + off) : bootinfo_rd32(root + off);
        const uint8_t *h = pa != 0 ? phys(pa, SDT_HDR, ctx) : NULL;
        if (h == NULL) {
            ai->warnings |= ACPI_W_BAD_TABLE;
            continue;
        }
        if (kmemcmp(h, "APIC", 4) != 0)
            continue;
        const uint8_t *t = NULL;
        uint32_t n = 0;
        int err = sdt_map(pa, "APIC", phys, ctx, &t, &n);
        if (err == FB_ETRUNC)
            return err;
        if (err != FB_OK || n < MADT_FIXED) {
            ai->warnings |= ACPI_W_BAD_TABLE;
            continue;
        }
        return madt_parse(ai, t, n);
    }
    return FB_ENOENT;
}

/* Maps the root table: the XSDT when the RSDP has one and it is valid,
 * else the RSDT (with a warning when an XSDT was there but bad). */
static int root_map(struct acpi_info *ai, const uint8_t *rsdp, bootinfo_phys_fn phys, void *ctx,
                    const uint8_t **root, uint32_t *len, unsigned *esz)
{
    uint64_t rsdt = bootinfo_rd32(rsdp + RSDP_RSDT_OFF);
    int err = FB_ENOENT;

    if (rsdp[RSDP_REV_OFF] >= 2 && bootinfo_rd64(rsdp + RSDP_XSDT_OFF) != 0) {
        err = sdt_map(bootinfo_rd64(rsdp + RSDP_XSDT_OFF), "XSDT", phys, ctx, root, len);
        if (err == FB_OK) {
            *esz = 8;
            return FB_OK;
        }
        ai->warnings |= ACPI_W_BAD_TABLE;
    }
    if (rsdt == 0)
        return err;
    *esz = 4;
    return sdt_map(rsdt, "RSDT", phys, ctx, root, len);
}

/* Parses from a copy of the RSDP; on failure *out is all zeroes. */
int acpi_parse_rsdp(const void *rsdp, size_t len, bootinfo_phys_fn phys, void *ctx,
                    struct acpi_info *out)
{
    const uint8_t *root = NULL;
    uint32_t root_len = 0;
    unsigned esz = 0;

    if (out == NULL)
        return FB_EINVAL;
    kmemset(out, 0, sizeof *out);
    if (rsdp == NULL || phys == NULL)
        return FB_EINVAL;
    int err = rsdp_check(rsdp, len);
    if (err == FB_OK)
        err = root_map(out, rsdp, phys, ctx, &root, &root_len, &esz);
    if (err == FB_OK) {
        out->revision = ((const uint8_t *)rsdp)[RSDP_REV_OFF];
        err = root_walk(out, root, root_len, esz, phys, ctx);
    }
    if (err != FB_OK)
        kmemset(out, 0, sizeof *out);
    return err;
}

/* Resolves the RSDP at rsdp_phys (20 bytes, or its stated length from
 * revision 2 on) and parses from it. */
int acpi_parse(uint64_t rsdp_phys, bootinfo_phys_fn phys, void *ctx, struct acpi_info *out)
{
    if (out == NULL)
        return FB_EINVAL;
    kmemset(out, 0, sizeof *out);
    if (phys == NULL)
        return FB_EINVAL;
    size_t need = ACPI_RSDP_V1_LEN;
    const uint8_t *p = phys(rsdp_phys, need, ctx);
    if (p == NULL)
        return FB_ETRUNC;
    if (!rsdp_v1_ok(p))
        return FB_EINVAL;
    if (p[RSDP_REV_OFF] >= 2) {
        need = ACPI_RSDP_V2_LEN;
        p = phys(rsdp_phys, need, ctx);
        if (p != NULL && bootinfo_rd32(p + RSDP_LEN_OFF) > need) {
            need = bootinfo_rd32(p + RSDP_LEN_OFF);
            p = phys(rsdp_phys, need, ctx);
        }
        if (p == NULL)
            return FB_ETRUNC;
    }
    return acpi_parse_rsdp(p, need, phys, ctx, out);
}

/* Identity unless an ISA-bus override names the IRQ. */
uint32_t acpi_isa_to_gsi(const struct acpi_info *ai, unsigned isa_irq, uint16_t *flags)
{
    if (flags != NULL)
        *flags = 0;
    for (uint32_t i = 0; ai != NULL && i < ai->iso_count; i++) {
        if (ai->isos[i].bus == 0 && ai->isos[i].source == isa_irq) {
            if (flags != NULL)
                *flags = ai->isos[i].flags;
            return ai->isos[i].gsi;
        }
    }
    return isa_irq;
}
