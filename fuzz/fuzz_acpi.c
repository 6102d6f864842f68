/* Fuzz target for the ACPI parser: the input is a small physical memory
 * image (address = offset) holding an RSDP, root tables and a MADT. It is
 * scanned for an RSDP, parsed from where the scan found one, from address 0
 * and from a copy of its first 36 bytes; then all again with every checksum
 * reachable from address 0 repaired, so mutations get past the checksums.
 * phys() hands out a fresh heap copy of exactly the bytes asked for, so
 * ASan catches any read past a length phys() vouched for. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "fuzz_util.h"
#include "kerr.h"

#define MAX_MAPS 65536   /* phys() calls per parse; more are refused */

struct window {
    const uint8_t *data;
    size_t size;
    void *maps[MAX_MAPS];
    size_t nmaps;
};

static struct window w;

/* phys(): a private copy of [paddr, paddr + len) of the input. */
static const void *window_phys(uint64_t paddr, size_t len, void *ctx)
{
    struct window *win = ctx;

    if (paddr > win->size || len > win->size - paddr || win->nmaps == MAX_MAPS)
        return NULL;
    void *copy = malloc(len ? len : 1);
    if (copy == NULL)
        abort();
    memcpy(copy, win->data + paddr, len);
    win->maps[win->nmaps++] = copy;
    return copy;
}

/* Frees every copy handed out by the last parse. */
static void unmap_all(struct window *win)
{
    while (win->nmaps > 0)
        free(win->maps[--win->nmaps]);
}

/* A failed parse returns a documented code and leaves zeroes; a
 * successful one respects every bound. */
static void check_parsed(const struct acpi_info *ai, int err)
{
    static const struct acpi_info zero;
    const uint32_t known = ACPI_W_CPUS_DROPPED | ACPI_W_IOAPICS_DROPPED | ACPI_W_ISOS_DROPPED |
                           ACPI_W_UNKNOWN_ENTRY | ACPI_W_BAD_TABLE;

    if (err != FB_OK) {
        check(err == FB_EINVAL || err == FB_ENOENT || err == FB_ETRUNC);
        check(memcmp(ai, &zero, sizeof zero) == 0);
        return;
    }
    check(ai->cpu_count <= ACPI_MAX_CPUS);
    check(ai->ioapic_count <= ACPI_MAX_IOAPICS);
    check(ai->iso_count <= ACPI_MAX_ISOS);
    check((ai->warnings & ~known) == 0);
    for (uint32_t i = 0; i < ai->cpu_count; i++)
        check(ai->cpus[i].enabled != ai->cpus[i].online_capable);
    for (unsigned irq = 0; irq < 16; irq++) {
        uint16_t flags;
        uint32_t gsi = acpi_isa_to_gsi(ai, irq, &flags);
        check(gsi == irq || ai->iso_count > 0);
        check(flags == 0 || ai->iso_count > 0);
    }
}

/* Parses from physical address pa through the window. */
static void parse_at(uint64_t pa)
{
    static struct acpi_info ai;

    check_parsed(&ai, acpi_parse(pa, window_phys, &w, &ai));
    unmap_all(&w);
}

/* Little-endian field reads from the image. */
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Sets m[at + off] so that [at, at + len) sums to zero, if it fits. */
static void fix_sum(uint8_t *m, size_t size, uint64_t at, uint64_t len, size_t off)
{
    uint8_t s = 0;

    if (at > size || len > size - at || off >= len)
        return;
    m[at + off] = 0;
    for (uint64_t i = 0; i < len; i++)
        s = (uint8_t)(s + m[at + i]);
    m[at + off] = (uint8_t)-s;
}

/* Fixes the checksum of the table at `at` over its stated length. */
static void fix_table(uint8_t *m, size_t size, uint64_t at)
{
    if (at <= size && size - at >= 36)
        fix_sum(m, size, at, rd32(m + at + 4), 9);
}

/* Makes every checksum reachable from an RSDP at 0 right (tables first,
 * then the roots, then the RSDP), so that mutations get past them. */
static void repair(uint8_t *m, size_t size)
{
    if (size < ACPI_RSDP_V2_LEN)
        return;
    uint64_t root[2] = { rd32(m + 16), rd64(m + 24) };
    for (unsigned r = 0; r < 2; r++) {
        unsigned esz = r == 0 ? 4 : 8;
        if (root[r] > size || size - root[r] < 36)
            continue;
        uint64_t len = rd32(m + root[r] + 4);
        for (uint64_t off = 36; off + esz <= len && off + esz <= size - root[r]; off += esz)
            fix_table(m, size, esz == 4 ? rd32(m + root[r] + off) : rd64(m + root[r] + off));
        fix_table(m, size, root[r]);
    }
    fix_sum(m, size, 0, ACPI_RSDP_V1_LEN, 8);
    fix_sum(m, size, 0, rd32(m + 20) < 36 ? 36 : rd32(m + 20), 32);
}

/* Runs the scan, the parse from address 0 and the parse from a copy. */
static void run_all(const uint8_t *data, size_t size)
{
    static struct acpi_info ai;
    size_t n = size < ACPI_RSDP_V2_LEN ? size : ACPI_RSDP_V2_LEN;
    uint64_t pa;

    w.data = data;
    w.size = size;
    int err = acpi_find_rsdp(data, size, 0, &pa);
    check(err == FB_OK || err == FB_ENOENT);
    if (err == FB_OK) {
        check(pa % 16 == 0 && pa < size && size - pa >= ACPI_RSDP_V1_LEN);
        if (pa != 0)
            parse_at(pa);
    }
    parse_at(0);
    /* The copy is exactly n bytes, as a loader's tag would hold. */
    const void *copy = window_phys(0, n, &w);
    check(copy != NULL);
    check_parsed(&ai, acpi_parse_rsdp(copy, n, window_phys, &w, &ai));
    unmap_all(&w);
}

/* Runs every view on the input as it is and with its checksums repaired. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *fixed = malloc(size ? size : 1);

    if (fixed == NULL)
        abort();
    run_all(data, size);
    memcpy(fixed, data, size);
    repair(fixed, size);
    run_all(fixed, size);
    free(fixed);
    return 0;
}
