/* Specification of the ACPI parser (core/boot/acpi.c): firmware tables
 * (RSDP, RSDT, XSDT, MADT) are built byte by byte in a fake physical
 * memory with correct checksums, then broken one field at a time. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "acpi.h"
#include "expect.h"
#include "kerr.h"

#define MEM       0x4000
#define RSDP_AT   0x40
#define RSDT_AT   0x100
#define XSDT_AT   0x200
#define FACP_AT   0x300
#define HPET_AT   0x380
#define MADT_AT   0x400     /* up to 0x1000 bytes */
#define MADT2_AT  0x1800
#define NOWHERE   0x100000  /* outside the fake memory */

/* Fake physical memory: phys() maps [0, limit) minus [deny_from, deny_to). */
struct fw {
    uint8_t mem[MEM];
    size_t limit;
    uint64_t deny_from, deny_to;
};

static struct fw fw;

/* Little-endian stores into the fake memory. */
static void put16(uint64_t pa, uint16_t v) { memcpy(fw.mem + pa, &v, 2); }
static void put32(uint64_t pa, uint32_t v) { memcpy(fw.mem + pa, &v, 4); }
static void put64(uint64_t pa, uint64_t v) { memcpy(fw.mem + pa, &v, 8); }

/* phys() over the fake memory, refusing what lies past limit or is denied. */
static const void *fw_phys(uint64_t pa, size_t len, void *ctx)
{
    struct fw *f = ctx;

    if (pa > f->limit || len > f->limit - pa)
        return NULL;
    if (pa < f->deny_to && f->deny_from < pa + len)
        return NULL;
    return f->mem + pa;
}

/* The byte that makes [at, at + n) sum to zero, written at at + csum_off. */
static void seal(uint64_t at, size_t n, size_t csum_off)
{
    uint8_t s = 0;

    fw.mem[at + csum_off] = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + fw.mem[at + i]);
    fw.mem[at + csum_off] = (uint8_t)-s;
}

/* Writes an RSDP at at: revision 0 gives a 20-byte ACPI 1.0 one. */
static void rsdp_put(uint64_t at, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    memcpy(fw.mem + at, "RSD PTR ", 8);
    memcpy(fw.mem + at + 9, "BOCHS ", 6);
    fw.mem[at + 15] = rev;
    put32(at + 16, rsdt);
    seal(at, ACPI_RSDP_V1_LEN, 8);
    if (rev >= 2) {
        put32(at + 20, ACPI_RSDP_V2_LEN);
        put64(at + 24, xsdt);
        seal(at, ACPI_RSDP_V2_LEN, 32);
    }
}

/* Writes a table header of len bytes; seal_sdt fixes the checksum. */
static void sdt_put(uint64_t at, const char *sig, uint32_t len)
{
    memcpy(fw.mem + at, sig, 4);
    put32(at + 4, len);
    fw.mem[at + 8] = 1;
    memcpy(fw.mem + at + 10, "BOCHS ", 6);
    memcpy(fw.mem + at + 16, "BXPC    ", 8);
    put32(at + 24, 1);
    memcpy(fw.mem + at + 28, "BXPC", 4);
    put32(at + 32, 1);
}

/* Recomputes the checksum of the table at at over its stated length. */
static void sdt_seal(uint64_t at)
{
    uint32_t len;

    memcpy(&len, fw.mem + at + 4, 4);
    seal(at, len, 9);
}

/* Writes an RSDT listing n 32-bit table addresses. */
static void rsdt_put(const uint32_t *e, size_t n)
{
    sdt_put(RSDT_AT, "RSDT", (uint32_t)(36 + 4 * n));
    for (size_t i = 0; i < n; i++)
        put32(RSDT_AT + 36 + 4 * i, e[i]);
    sdt_seal(RSDT_AT);
}

/* Writes an XSDT listing n 64-bit table addresses. */
static void xsdt_put(const uint64_t *e, size_t n)
{
    sdt_put(XSDT_AT, "XSDT", (uint32_t)(36 + 8 * n));
    for (size_t i = 0; i < n; i++)
        put64(XSDT_AT + 36 + 8 * i, e[i]);
    sdt_seal(XSDT_AT);
}

/* MADT under construction at `at`; `len` grows with each entry. */
struct madt {
    uint64_t at;
    uint32_t len;
};

/* Starts a MADT with the given LAPIC address and flags. */
static struct madt madt_begin(uint64_t at, uint32_t lapic, uint32_t flags)
{
    put32(at + 36, lapic);
    put32(at + 40, flags);
    return (struct madt){ at, 44 };
}

/* Appends an entry header; returns the entry's physical address. */
static uint64_t madt_entry(struct madt *m, uint8_t type, uint8_t len)
{
    uint64_t e = m->at + m->len;

    memset(fw.mem + e, 0, len);
    fw.mem[e] = type;
    fw.mem[e + 1] = len;
    m->len += len;
    return e;
}

/* Type 0: processor local APIC. */
static void madt_lapic(struct madt *m, uint8_t uid, uint8_t apic_id, uint32_t flags)
{
    uint64_t e = madt_entry(m, 0, 8);
    fw.mem[e + 2] = uid;
    fw.mem[e + 3] = apic_id;
    put32(e + 4, flags);
}

/* Type 1: IOAPIC. */
static void madt_ioapic(struct madt *m, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    uint64_t e = madt_entry(m, 1, 12);
    fw.mem[e + 2] = id;
    put32(e + 4, addr);
    put32(e + 8, gsi_base);
}

/* Type 2: interrupt source override. */
static void madt_iso(struct madt *m, uint8_t bus, uint8_t src, uint32_t gsi, uint16_t flags)
{
    uint64_t e = madt_entry(m, 2, 10);
    fw.mem[e + 2] = bus;
    fw.mem[e + 3] = src;
    put32(e + 4, gsi);
    put16(e + 8, flags);
}

/* Type 4: local APIC NMI (specified, unused by us). */
static void madt_lapic_nmi(struct madt *m, uint8_t uid, uint8_t lint)
{
    uint64_t e = madt_entry(m, 4, 6);
    fw.mem[e + 2] = uid;
    fw.mem[e + 5] = lint;
}

/* Type 5: 64-bit local APIC address override. */
static void madt_lapic_addr(struct madt *m, uint64_t addr)
{
    put64(madt_entry(m, 5, 12) + 4, addr);
}

/* Type 9: processor local x2APIC. */
static void madt_x2apic(struct madt *m, uint32_t apic_id, uint32_t uid, uint32_t flags)
{
    uint64_t e = madt_entry(m, 9, 16);
    put32(e + 4, apic_id);
    put32(e + 8, flags);
    put32(e + 12, uid);
}

/* Finishes the MADT: header with the final length, checksum. */
static void madt_end(struct madt *m)
{
    sdt_put(m->at, "APIC", m->len);
    sdt_seal(m->at);
}

/* An empty table of some other kind (FACP, HPET) at at. */
static void other_table(uint64_t at, const char *sig)
{
    sdt_put(at, sig, 36);
    sdt_seal(at);
}

/* Clears the fake memory and places the FACP and HPET tables. */
static void fw_reset(void)
{
    memset(&fw, 0, sizeof fw);
    fw.limit = MEM;
    other_table(FACP_AT, "FACP");
    other_table(HPET_AT, "HPET");
}

/* The MADT QEMU builds for q35 -smp n: n CPUs, one IOAPIC, the usual
 * overrides (timer on GSI 2, level/active-low PCI IRQs) and a LAPIC NMI. */
static void qemu_madt(uint64_t at, unsigned ncpu)
{
    struct madt m = madt_begin(at, 0xfee00000u, 1);

    for (unsigned i = 0; i < ncpu; i++)
        madt_lapic(&m, (uint8_t)i, (uint8_t)i, 1);
    madt_ioapic(&m, 0, 0xfec00000u, 0);
    madt_iso(&m, 0, 0, 2, 0);
    madt_iso(&m, 0, 5, 5, 0xd);
    madt_iso(&m, 0, 9, 9, 0xd);
    madt_iso(&m, 0, 10, 10, 0xd);
    madt_iso(&m, 0, 11, 11, 0xd);
    madt_lapic_nmi(&m, 0xff, 1);
    madt_end(&m);
}

/* A full ACPI 2.0 set: RSDP -> XSDT (and RSDT) -> FACP, MADT, HPET. */
static void qemu_tables(unsigned ncpu)
{
    static const uint32_t r[] = { FACP_AT, MADT_AT, HPET_AT };
    static const uint64_t x[] = { FACP_AT, MADT_AT, HPET_AT };

    fw_reset();
    qemu_madt(MADT_AT, ncpu);
    rsdt_put(r, 3);
    xsdt_put(x, 3);
    rsdp_put(RSDP_AT, 2, RSDT_AT, XSDT_AT);
}

/* An ACPI 1.0 set: revision 0 RSDP -> RSDT -> FACP, MADT. */
static void acpi1_tables(unsigned ncpu)
{
    static const uint32_t r[] = { FACP_AT, MADT_AT };

    fw_reset();
    qemu_madt(MADT_AT, ncpu);
    rsdt_put(r, 2);
    rsdp_put(RSDP_AT, 0, RSDT_AT, 0);
}

/* Parses the RSDP at RSDP_AT through fw_phys. */
static int parse(struct acpi_info *ai)
{
    return acpi_parse(RSDP_AT, fw_phys, &fw, ai);
}

/* A MADT at MADT_AT listed alone in an RSDT of an ACPI 1.0 set; the
 * caller has filled its entries into m. */
static void madt_only(struct madt *m)
{
    static const uint32_t r[] = { MADT_AT };

    madt_end(m);
    rsdt_put(r, 1);
    rsdp_put(RSDP_AT, 0, RSDT_AT, 0);
}

/* True when every byte of ai is zero. */
static bool all_zero(const struct acpi_info *ai)
{
    static const struct acpi_info zero;
    return memcmp(ai, &zero, sizeof zero) == 0;
}

/* ---- whole table sets ---- */

Test(acpi, qemu_like_tables_yield_cpus_ioapic_and_overrides)
{
    struct acpi_info ai;

    qemu_tables(4);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.revision, 2, "expected RSDP revision 2");
    cr_assert_eq(ai.lapic_addr, 0xfee00000u, "expected the LAPIC at 0xfee00000");
    cr_assert(ai.pcat_compat, "expected PCAT_COMPAT");
    cr_assert_eq(ai.cpu_count, 4, "expected 4 CPUs, got %u", ai.cpu_count);
    for (uint32_t i = 0; i < 4; i++) {
        cr_assert_eq(ai.cpus[i].apic_id, i, "expected APIC ID %u in MADT order", i);
        cr_assert_eq(ai.cpus[i].acpi_uid, i, "expected UID %u", i);
        cr_assert(ai.cpus[i].enabled, "expected CPU %u enabled", i);
        cr_assert(!ai.cpus[i].online_capable, "expected CPU %u not merely online-capable", i);
    }
    cr_assert_eq(ai.ioapic_count, 1, "expected one IOAPIC");
    cr_assert_eq(ai.ioapics[0].addr, 0xfec00000u, "expected the IOAPIC at 0xfec00000");
    cr_assert_eq(ai.ioapics[0].gsi_base, 0, "expected GSI base 0");
    cr_assert_eq(ai.iso_count, 5, "expected 5 overrides");
    cr_assert_eq(ai.isos[0].source, 0, "expected IRQ 0 overridden first");
    cr_assert_eq(ai.isos[0].gsi, 2, "expected IRQ 0 on GSI 2");
    cr_assert_eq(ai.isos[1].flags, 0xd, "expected level/active-high flags on IRQ 5");
    cr_assert_eq(ai.warnings, 0, "expected no warnings (LAPIC NMI is a known type), got %#x",
                 ai.warnings);
}

Test(acpi, rsdp_copy_parses_like_its_address)
{
    struct acpi_info by_addr, by_copy;
    uint8_t copy[ACPI_RSDP_V2_LEN];

    qemu_tables(2);
    memcpy(copy, fw.mem + RSDP_AT, sizeof copy);
    expect(parse(&by_addr), FB_OK);
    expect(acpi_parse_rsdp(copy, sizeof copy, fw_phys, &fw, &by_copy), FB_OK);
    cr_assert(memcmp(&by_addr, &by_copy, sizeof by_addr) == 0,
              "expected the same result from the copy as from the address");
}

Test(acpi, acpi_1_tables_are_read_through_the_rsdt)
{
    struct acpi_info ai;

    acpi1_tables(2);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.revision, 0, "expected RSDP revision 0");
    cr_assert_eq(ai.cpu_count, 2, "expected 2 CPUs");
    cr_assert_eq(ai.warnings, 0, "expected no warnings, got %#x", ai.warnings);
}

Test(acpi, acpi_1_rsdp_copy_of_20_bytes_is_enough)
{
    struct acpi_info ai;

    acpi1_tables(1);
    expect(acpi_parse_rsdp(fw.mem + RSDP_AT, ACPI_RSDP_V1_LEN, fw_phys, &fw, &ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 1, "expected 1 CPU");
}

Test(acpi, xsdt_is_preferred_over_rsdt)
{
    static const uint32_t r[] = { MADT2_AT };
    struct acpi_info ai;

    qemu_tables(4);
    qemu_madt(MADT2_AT, 2);
    rsdt_put(r, 1);
    rsdp_put(RSDP_AT, 2, RSDT_AT, XSDT_AT);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 4, "expected the XSDT's MADT (4 CPUs), got %u", ai.cpu_count);
}

Test(acpi, bad_xsdt_falls_back_to_rsdt_with_warning)
{
    static const uint32_t r[] = { MADT2_AT };
    struct acpi_info ai;

    qemu_tables(4);
    qemu_madt(MADT2_AT, 2);
    rsdt_put(r, 1);
    fw.mem[XSDT_AT + 40] ^= 1;   /* XSDT checksum now wrong */
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 2, "expected the RSDT's MADT (2 CPUs), got %u", ai.cpu_count);
    cr_assert(ai.warnings & ACPI_W_BAD_TABLE, "expected the bad-table warning");
}

Test(acpi, revision_0_rsdp_ignores_the_xsdt_field)
{
    struct acpi_info ai;

    acpi1_tables(3);
    put64(RSDP_AT + 24, XSDT_AT);   /* beyond the 20 bytes of a 1.0 RSDP */
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 3, "expected the RSDT's MADT");
    cr_assert_eq(ai.warnings, 0, "expected no warnings, got %#x", ai.warnings);
}

Test(acpi, xsdt_without_rsdt_is_enough)
{
    struct acpi_info ai;

    qemu_tables(2);
    rsdp_put(RSDP_AT, 2, 0, XSDT_AT);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 2, "expected 2 CPUs");
}

/* ---- tables dumped from QEMU ---- */

/* QEMU 7.2 -machine q35 -smp 4 -m 32M with SeaBIOS, read back with the
 * pmemsave monitor command: the RSDP at 0xf59e0 and the FACP, APIC, HPET,
 * MCFG, WAET and RSDT tables at 0x1fe2133 (DSDT and FACS left out). */
#define QEMU_RSDP_AT   0xf59e0u
#define QEMU_TABLES_AT 0x1fe2133u
static const uint8_t qemu_dump_rsdp[20] = {
    0x52, 0x53, 0x44, 0x20, 0x50, 0x54, 0x52, 0x20, 0xdd, 0x42, 0x4f, 0x43,
    0x48, 0x53, 0x20, 0x00, 0x53, 0x23, 0xfe, 0x01,
};
static const uint8_t qemu_dump[600] = {
    0x46, 0x41, 0x43, 0x50, 0xf4, 0x00, 0x00, 0x00, 0x03, 0x3a, 0x42, 0x4f,
    0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
    0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xfe, 0x01, 0x40, 0x00, 0xfe, 0x01, 0x01, 0x00, 0x09, 0x00,
    0xb2, 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x04, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x08, 0x06, 0x00, 0x00, 0x20, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x04, 0x02, 0x00, 0x04, 0x10, 0x00, 0x00, 0x00,
    0xff, 0x0f, 0xff, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x32, 0x02, 0x00, 0x00, 0xa5, 0x84, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00,
    0xf9, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0xfe, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x04, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x00, 0x00, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x20, 0x06, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x41, 0x50, 0x49, 0x43, 0x90, 0x00, 0x00, 0x00,
    0x01, 0x4b, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43,
    0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0xfe, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x01, 0x01,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x02, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x08, 0x03, 0x03, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x00,
    0x00, 0x00, 0xc0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x05, 0x05, 0x00,
    0x00, 0x00, 0x0d, 0x00, 0x02, 0x0a, 0x00, 0x09, 0x09, 0x00, 0x00, 0x00,
    0x0d, 0x00, 0x02, 0x0a, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x00,
    0x02, 0x0a, 0x00, 0x0b, 0x0b, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x04, 0x06,
    0xff, 0x00, 0x00, 0x01, 0x48, 0x50, 0x45, 0x54, 0x38, 0x00, 0x00, 0x00,
    0x01, 0xb4, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43,
    0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
    0x01, 0x00, 0x00, 0x00, 0x01, 0xa2, 0x86, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xd0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x4d, 0x43, 0x46, 0x47, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x8c, 0x42, 0x4f,
    0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
    0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb0,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x57, 0x41, 0x45, 0x54, 0x28, 0x00, 0x00, 0x00, 0x01, 0x39, 0x42, 0x4f,
    0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43, 0x20, 0x20, 0x20, 0x20,
    0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43, 0x01, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x52, 0x53, 0x44, 0x54, 0x38, 0x00, 0x00, 0x00,
    0x01, 0x4f, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x20, 0x42, 0x58, 0x50, 0x43,
    0x20, 0x20, 0x20, 0x20, 0x01, 0x00, 0x00, 0x00, 0x42, 0x58, 0x50, 0x43,
    0x01, 0x00, 0x00, 0x00, 0x33, 0x21, 0xfe, 0x01, 0x27, 0x22, 0xfe, 0x01,
    0xb7, 0x22, 0xfe, 0x01, 0xef, 0x22, 0xfe, 0x01, 0x2b, 0x23, 0xfe, 0x01,
};

/* phys() over the two dumped ranges; everything else is unreadable. */
static const void *qemu_phys(uint64_t pa, size_t len, void *ctx)
{
    (void)ctx;
    if (pa >= QEMU_RSDP_AT && pa - QEMU_RSDP_AT <= sizeof qemu_dump_rsdp &&
        len <= sizeof qemu_dump_rsdp - (pa - QEMU_RSDP_AT))
        return qemu_dump_rsdp + (pa - QEMU_RSDP_AT);
    if (pa >= QEMU_TABLES_AT && pa - QEMU_TABLES_AT <= sizeof qemu_dump &&
        len <= sizeof qemu_dump - (pa - QEMU_TABLES_AT))
        return qemu_dump + (pa - QEMU_TABLES_AT);
    return NULL;
}

Test(acpi, real_qemu_q35_tables_parse)
{
    struct acpi_info ai;

    expect(acpi_parse(QEMU_RSDP_AT, qemu_phys, NULL, &ai), FB_OK);
    cr_assert_eq(ai.revision, 0, "expected SeaBIOS's ACPI 1.0 RSDP");
    cr_assert_eq(ai.lapic_addr, 0xfee00000u, "expected the LAPIC at 0xfee00000");
    cr_assert(ai.pcat_compat, "expected PCAT_COMPAT");
    cr_assert_eq(ai.cpu_count, 4, "expected 4 CPUs, got %u", ai.cpu_count);
    for (uint32_t i = 0; i < 4; i++)
        cr_assert(ai.cpus[i].apic_id == i && ai.cpus[i].enabled, "expected CPU %u enabled", i);
    cr_assert_eq(ai.ioapic_count, 1, "expected one IOAPIC");
    cr_assert_eq(ai.ioapics[0].addr, 0xfec00000u, "expected the IOAPIC at 0xfec00000");
    cr_assert_eq(ai.iso_count, 5, "expected 5 overrides");
    cr_assert_eq(acpi_isa_to_gsi(&ai, 0, NULL), 2, "expected the timer on GSI 2");
    cr_assert_eq(ai.warnings, 0, "expected no warnings, got %#x", ai.warnings);
}

/* ---- RSDP and root table validation ---- */

Test(acpi, bad_rsdp_signature_is_rejected)
{
    struct acpi_info ai;

    qemu_tables(1);
    memcpy(fw.mem + RSDP_AT, "RSD PTX ", 8);
    seal(RSDP_AT, ACPI_RSDP_V1_LEN, 8);
    expect(parse(&ai), FB_EINVAL);
}

Test(acpi, bad_rsdp_checksum_is_rejected)
{
    struct acpi_info ai;

    qemu_tables(1);
    fw.mem[RSDP_AT + 8] ^= 0x55;
    expect(parse(&ai), FB_EINVAL);
}

Test(acpi, bad_extended_checksum_is_rejected)
{
    struct acpi_info ai;

    qemu_tables(1);
    fw.mem[RSDP_AT + 32] ^= 0x55;
    expect(parse(&ai), FB_EINVAL);
    expect(acpi_parse_rsdp(fw.mem + RSDP_AT, ACPI_RSDP_V2_LEN, fw_phys, &fw, &ai), FB_EINVAL);
}

Test(acpi, revision_2_rsdp_length_below_36_is_rejected)
{
    struct acpi_info ai;

    qemu_tables(1);
    put32(RSDP_AT + 20, 20);
    seal(RSDP_AT, ACPI_RSDP_V2_LEN, 32);
    expect(parse(&ai), FB_EINVAL);
}

Test(acpi, rsdp_copy_shorter_than_it_says_is_truncated)
{
    struct acpi_info ai;

    qemu_tables(1);
    expect(acpi_parse_rsdp(fw.mem + RSDP_AT, 19, fw_phys, &fw, &ai), FB_ETRUNC);
    expect(acpi_parse_rsdp(fw.mem + RSDP_AT, ACPI_RSDP_V1_LEN, fw_phys, &fw, &ai), FB_ETRUNC);
    expect(acpi_parse_rsdp(fw.mem + RSDP_AT, 35, fw_phys, &fw, &ai), FB_ETRUNC);
}

Test(acpi, unreadable_rsdp_is_truncated)
{
    struct acpi_info ai;

    qemu_tables(1);
    fw.deny_from = RSDP_AT + 30;
    fw.deny_to = RSDP_AT + 31;
    expect(parse(&ai), FB_ETRUNC);
    expect(acpi_parse(MEM - 10, fw_phys, &fw, &ai), FB_ETRUNC);
}

Test(acpi, bad_root_table_checksum_is_rejected)
{
    struct acpi_info ai;

    acpi1_tables(1);
    fw.mem[RSDT_AT + 9] ^= 1;
    expect(parse(&ai), FB_EINVAL);
}

Test(acpi, root_table_with_wrong_signature_is_rejected)
{
    struct acpi_info ai;

    acpi1_tables(1);
    memcpy(fw.mem + RSDT_AT, "XSDT", 4);
    sdt_seal(RSDT_AT);
    expect(parse(&ai), FB_EINVAL);
}

Test(acpi, root_table_past_readable_memory_is_truncated)
{
    struct acpi_info ai;

    acpi1_tables(1);
    fw.deny_from = RSDT_AT + 38;
    fw.deny_to = RSDT_AT + 39;
    expect(parse(&ai), FB_ETRUNC);
}

Test(acpi, null_arguments_are_rejected)
{
    struct acpi_info ai;

    qemu_tables(1);
    expect(acpi_parse(RSDP_AT, NULL, &fw, &ai), FB_EINVAL);
    expect(acpi_parse(RSDP_AT, fw_phys, &fw, NULL), FB_EINVAL);
    expect(acpi_parse_rsdp(NULL, 36, fw_phys, &fw, &ai), FB_EINVAL);
    expect(acpi_parse_rsdp(fw.mem + RSDP_AT, 36, NULL, &fw, &ai), FB_EINVAL);
    expect(acpi_parse_rsdp(fw.mem + RSDP_AT, 36, fw_phys, &fw, NULL), FB_EINVAL);
}

Test(acpi, failure_leaves_output_zeroed)
{
    struct acpi_info ai;

    qemu_tables(4);
    expect(parse(&ai), FB_OK);
    fw.mem[RSDP_AT + 8] ^= 1;
    expect(parse(&ai), FB_EINVAL);
    cr_assert(all_zero(&ai), "expected *out zeroed after a failure");
}

/* ---- finding the MADT ---- */

Test(acpi, missing_madt_is_enoent)
{
    static const uint32_t r[] = { FACP_AT, HPET_AT };
    struct acpi_info ai;

    acpi1_tables(1);
    rsdt_put(r, 2);
    expect(parse(&ai), FB_ENOENT);
}

Test(acpi, madt_with_bad_checksum_is_skipped_with_warning)
{
    static const uint32_t r[] = { MADT_AT, MADT2_AT };
    struct acpi_info ai;

    acpi1_tables(4);
    qemu_madt(MADT2_AT, 2);
    fw.mem[MADT_AT + 9] ^= 1;
    rsdt_put(r, 2);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 2, "expected the second, valid MADT");
    cr_assert(ai.warnings & ACPI_W_BAD_TABLE, "expected the bad-table warning");
}

Test(acpi, only_a_corrupt_madt_is_enoent)
{
    struct acpi_info ai;

    acpi1_tables(4);
    fw.mem[MADT_AT + 9] ^= 1;
    expect(parse(&ai), FB_ENOENT);
}

Test(acpi, madt_too_short_for_its_fixed_fields_is_skipped)
{
    struct acpi_info ai;

    acpi1_tables(1);
    put32(MADT_AT + 4, 40);
    sdt_seal(MADT_AT);
    expect(parse(&ai), FB_ENOENT);
}

Test(acpi, unreadable_table_entry_is_skipped_with_warning)
{
    static const uint32_t r[] = { NOWHERE, 0, MADT_AT };
    struct acpi_info ai;

    acpi1_tables(2);
    rsdt_put(r, 3);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 2, "expected the MADT after the bad entries");
    cr_assert(ai.warnings & ACPI_W_BAD_TABLE, "expected the bad-table warning");
}

Test(acpi, madt_running_past_readable_memory_is_truncated)
{
    struct acpi_info ai;

    acpi1_tables(4);
    fw.deny_from = MADT_AT + 50;
    fw.deny_to = MADT_AT + 51;
    expect(parse(&ai), FB_ETRUNC);
}

Test(acpi, other_tables_are_not_read_past_their_header)
{
    struct acpi_info ai;

    qemu_tables(1);
    put32(FACP_AT + 4, 0x10000);   /* claims to run far past memory */
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.warnings, 0, "expected no warnings, got %#x", ai.warnings);
}

/* ---- MADT entries ---- */

Test(acpi, entry_with_one_byte_left_is_truncated)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_lapic(&m, 0, 0, 1);
    m.len += 1;
    madt_only(&m);
    expect(parse(&ai), FB_ETRUNC);
}

Test(acpi, zero_length_entry_is_truncated_not_an_endless_loop)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_lapic(&m, 0, 0, 1);
    madt_entry(&m, 3, 8);
    fw.mem[MADT_AT + m.len - 7] = 0;   /* its length byte */
    madt_only(&m);
    expect(parse(&ai), FB_ETRUNC);
}

Test(acpi, entry_running_past_the_table_is_truncated)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_lapic(&m, 0, 0, 1);
    madt_ioapic(&m, 0, 0xfec00000u, 0);
    m.len -= 4;                         /* table ends inside the IOAPIC entry */
    madt_only(&m);
    expect(parse(&ai), FB_ETRUNC);
}

Test(acpi, entry_too_short_for_its_fields_is_truncated)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_entry(&m, 1, 8);               /* an IOAPIC needs 12 bytes */
    madt_only(&m);
    expect(parse(&ai), FB_ETRUNC);
}

Test(acpi, madt_without_entries_is_valid_and_empty)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 0, "expected no CPUs");
    cr_assert(!ai.pcat_compat, "expected no PCAT_COMPAT with flags 0");
}

Test(acpi, more_than_64_cpus_are_dropped_with_warning)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    for (unsigned i = 0; i < ACPI_MAX_CPUS + 3; i++)
        madt_lapic(&m, (uint8_t)i, (uint8_t)i, 1);
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, ACPI_MAX_CPUS, "expected %u CPUs kept", ACPI_MAX_CPUS);
    cr_assert_eq(ai.cpus[ACPI_MAX_CPUS - 1].apic_id, ACPI_MAX_CPUS - 1, "expected the first ones");
    cr_assert(ai.warnings & ACPI_W_CPUS_DROPPED, "expected the CPUs-dropped warning");
}

Test(acpi, more_than_8_ioapics_are_dropped_with_warning)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    for (unsigned i = 0; i < ACPI_MAX_IOAPICS + 1; i++)
        madt_ioapic(&m, (uint8_t)i, 0xfec00000u + i * 0x1000, i * 24);
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.ioapic_count, ACPI_MAX_IOAPICS, "expected %u IOAPICs kept", ACPI_MAX_IOAPICS);
    cr_assert_eq(ai.ioapics[7].gsi_base, 7 * 24, "expected the eighth IOAPIC's GSI base");
    cr_assert(ai.warnings & ACPI_W_IOAPICS_DROPPED, "expected the IOAPICs-dropped warning");
}

Test(acpi, more_than_16_overrides_are_dropped_with_warning)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    for (unsigned i = 0; i < ACPI_MAX_ISOS + 1; i++)
        madt_iso(&m, 0, (uint8_t)i, 16 + i, 0);
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.iso_count, ACPI_MAX_ISOS, "expected %u overrides kept", ACPI_MAX_ISOS);
    cr_assert(ai.warnings & ACPI_W_ISOS_DROPPED, "expected the overrides-dropped warning");
}

Test(acpi, unusable_cpus_are_left_out_and_online_capable_ones_kept)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_lapic(&m, 0, 0, 1);
    madt_lapic(&m, 1, 1, 0);            /* neither enabled nor online-capable */
    madt_lapic(&m, 2, 2, 2);            /* online-capable */
    madt_x2apic(&m, 300, 3, 0);         /* unusable x2APIC */
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 2, "expected the unusable CPUs left out, got %u", ai.cpu_count);
    cr_assert(ai.cpus[0].enabled && !ai.cpus[0].online_capable, "expected CPU 0 enabled");
    cr_assert_eq(ai.cpus[1].apic_id, 2, "expected the online-capable CPU second");
    cr_assert(!ai.cpus[1].enabled && ai.cpus[1].online_capable,
              "expected it disabled but online-capable");
}

Test(acpi, x2apic_entries_carry_32_bit_ids_and_uids)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_lapic(&m, 0, 0, 1);
    madt_x2apic(&m, 0x1234567u, 0x89abcdeu, 1);
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 2, "expected 2 CPUs");
    cr_assert_eq(ai.cpus[1].apic_id, 0x1234567u, "expected the 32-bit x2APIC ID");
    cr_assert_eq(ai.cpus[1].acpi_uid, 0x89abcdeu, "expected the 32-bit UID");
    cr_assert(ai.cpus[1].enabled, "expected it enabled");
}

Test(acpi, lapic_address_override_replaces_the_32_bit_address)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_lapic(&m, 0, 0, 1);
    madt_lapic_addr(&m, 0x123456789000ull);
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.lapic_addr, 0x123456789000ull, "expected the 64-bit override");
}

Test(acpi, reserved_and_oem_entry_types_are_skipped_with_warning)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_entry(&m, 0x80, 7);
    madt_lapic(&m, 0, 5, 1);
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.cpu_count, 1, "expected the CPU after the OEM entry");
    cr_assert_eq(ai.cpus[0].apic_id, 5, "expected its APIC ID");
    cr_assert(ai.warnings & ACPI_W_UNKNOWN_ENTRY, "expected the unknown-entry warning");
}

Test(acpi, specified_but_unused_entry_types_are_skipped_silently)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_lapic_nmi(&m, 0xff, 1);
    madt_entry(&m, 0xb, 82);            /* GICC, as on Arm */
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(ai.warnings, 0, "expected no warnings, got %#x", ai.warnings);
}

/* ---- ISA IRQ to GSI ---- */

Test(acpi, isa_irq_with_override_maps_to_its_gsi_and_flags)
{
    struct acpi_info ai;
    uint16_t flags = 0xffff;

    qemu_tables(1);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(acpi_isa_to_gsi(&ai, 0, &flags), 2, "expected IRQ 0 on GSI 2");
    cr_assert_eq(flags, 0, "expected conforming flags");
    cr_assert_eq(acpi_isa_to_gsi(&ai, 9, &flags), 9, "expected IRQ 9 on GSI 9");
    cr_assert_eq(flags, 0xd, "expected level, active high");
}

Test(acpi, isa_irq_without_override_is_identity)
{
    struct acpi_info ai;
    uint16_t flags = 0xffff;

    qemu_tables(1);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(acpi_isa_to_gsi(&ai, 4, &flags), 4, "expected IRQ 4 on GSI 4");
    cr_assert_eq(flags, 0, "expected flags 0 without an override");
    cr_assert_eq(acpi_isa_to_gsi(&ai, 0, NULL), 2, "expected flags to be optional");
}

Test(acpi, overrides_for_other_buses_are_ignored)
{
    struct acpi_info ai;
    struct madt m;

    fw_reset();
    m = madt_begin(MADT_AT, 0xfee00000u, 0);
    madt_iso(&m, 1, 3, 20, 0);
    madt_only(&m);
    expect(parse(&ai), FB_OK);
    cr_assert_eq(acpi_isa_to_gsi(&ai, 3, NULL), 3, "expected a non-ISA override ignored");
}

/* ---- finding the RSDP in a memory area ---- */

#define AREA_PHYS 0xe0000ull

Test(rsdp_scan, finds_an_rsdp_on_a_16_byte_boundary)
{
    uint64_t pa = 0;

    fw_reset();
    rsdp_put(0x230, 2, RSDT_AT, XSDT_AT);
    expect(acpi_find_rsdp(fw.mem, MEM, AREA_PHYS, &pa), FB_OK);
    cr_assert_eq(pa, AREA_PHYS + 0x230, "expected its physical address, got %#llx",
                 (unsigned long long)pa);
}

Test(rsdp_scan, ignores_an_rsdp_off_the_16_byte_grid)
{
    uint64_t pa = 0;

    fw_reset();
    rsdp_put(0x238, 0, RSDT_AT, 0);
    expect(acpi_find_rsdp(fw.mem, MEM, AREA_PHYS, &pa), FB_ENOENT);
}

Test(rsdp_scan, alignment_is_of_the_physical_address_not_the_pointer)
{
    uint64_t pa = 0;

    fw_reset();
    rsdp_put(0x238, 0, RSDT_AT, 0);
    expect(acpi_find_rsdp(fw.mem + 8, MEM - 8, AREA_PHYS, &pa), FB_OK);
    cr_assert_eq(pa, AREA_PHYS + 0x230, "expected the RSDP at area offset 0x230");
}

Test(rsdp_scan, skips_a_bad_checksum_and_finds_the_next)
{
    uint64_t pa = 0;

    fw_reset();
    rsdp_put(0x100, 0, RSDT_AT, 0);
    fw.mem[0x100 + 8] ^= 1;
    rsdp_put(0x200, 0, RSDT_AT, 0);
    expect(acpi_find_rsdp(fw.mem, MEM, AREA_PHYS, &pa), FB_OK);
    cr_assert_eq(pa, AREA_PHYS + 0x200, "expected the second, valid RSDP");
}

Test(rsdp_scan, skips_a_bad_extended_checksum)
{
    uint64_t pa = 0;

    fw_reset();
    rsdp_put(0x100, 2, RSDT_AT, XSDT_AT);
    fw.mem[0x100 + 32] ^= 1;
    expect(acpi_find_rsdp(fw.mem, MEM, AREA_PHYS, &pa), FB_ENOENT);
}

Test(rsdp_scan, rsdp_cut_by_the_area_end_is_not_found)
{
    uint64_t pa = 0;

    fw_reset();
    rsdp_put(0x100, 2, RSDT_AT, XSDT_AT);
    expect(acpi_find_rsdp(fw.mem, 0x100 + 30, AREA_PHYS, &pa), FB_ENOENT);
    expect(acpi_find_rsdp(fw.mem, 0x100 + 36, AREA_PHYS, &pa), FB_OK);
}

Test(rsdp_scan, null_arguments_are_rejected)
{
    uint64_t pa;

    expect(acpi_find_rsdp(NULL, 16, AREA_PHYS, &pa), FB_EINVAL);
    expect(acpi_find_rsdp(fw.mem, 16, AREA_PHYS, NULL), FB_EINVAL);
}

Test(rsdp_scan, empty_or_tiny_area_has_none)
{
    uint64_t pa;

    fw_reset();
    expect(acpi_find_rsdp(fw.mem, 0, AREA_PHYS, &pa), FB_ENOENT);
    expect(acpi_find_rsdp(fw.mem, 19, AREA_PHYS, &pa), FB_ENOENT);
}
