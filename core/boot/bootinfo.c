/* The parser-independent half of boot information: filling a boot_info
 * and normalizing its memory map so later code can trust it (sorted,
 * disjoint, usable RAM page-aligned, reserved ranges never lost). */
#include "bootinfo.h"

#include "bootinfo_internal.h"
#include "kerr.h"
#include "kstring.h"

#define PAGE_SIZE  4096u
#define NPOINTS    (2 * BOOTINFO_MAX_REGIONS)

/* The memory map cut at every region boundary: interval k is
 * [pt[k], pt[k + 1]) and rank[k] says what covers it (0 = nothing). */
struct sweep {
    uint64_t pt[NPOINTS];
    uint8_t rank[NPOINTS];
    unsigned npt;
};

/* Restrictiveness of a type: on overlap the higher rank wins. Usable is
 * lowest so that nothing reserved is ever handed out as RAM. */
static uint8_t type_rank(uint32_t type)
{
    switch (type) {
    case MEM_USABLE:       return 1;
    case MEM_ACPI_RECLAIM: return 2;
    case MEM_ACPI_NVS:     return 3;
    case MEM_BAD:          return 5;
    default:               return 4;   /* MEM_RESERVED and unknown types */
    }
}

/* Inverse of type_rank: the type a run of each rank is written back as. */
static const uint32_t rank_type[] = {
    0, MEM_USABLE, MEM_ACPI_RECLAIM, MEM_ACPI_NVS, MEM_RESERVED, MEM_BAD,
};

/* Short name of a region type. */
const char *bootinfo_type_name(uint32_t type)
{
    switch (type) {
    case MEM_USABLE:       return "usable";
    case MEM_RESERVED:     return "reserved";
    case MEM_ACPI_RECLAIM: return "acpi-reclaim";
    case MEM_ACPI_NVS:     return "acpi-nvs";
    case MEM_BAD:          return "bad";
    default:               return "unknown";
    }
}

/* Fixes types, clips wrap-around and drops empty regions, in place. */
static void sanitize(struct boot_info *bi)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < bi->region_count; i++) {
        struct mem_region r = bi->regions[i];
        if (r.length == 0) {
            bi->warnings |= BOOTINFO_W_ZERO_REGION;
            continue;
        }
        if (r.length > UINT64_MAX - r.base) {
            /* The end 2^64 is not representable; the last byte is lost. */
            if (r.length - 1 > UINT64_MAX - r.base)
                bi->warnings |= BOOTINFO_W_REGION_WRAP;
            r.length = UINT64_MAX - r.base;
            if (r.length == 0)
                continue;
        }
        r.type = rank_type[type_rank(r.type)];
        bi->regions[n++] = r;
    }
    bi->region_count = n;
}

/* Inserts p into the sorted, duplicate-free point list. */
static void add_point(struct sweep *sw, uint64_t p)
{
    unsigned i = sw->npt;

    for (unsigned k = 0; k < sw->npt; k++) {
        if (sw->pt[k] == p)
            return;
    }
    while (i > 0 && sw->pt[i - 1] > p) {
        sw->pt[i] = sw->pt[i - 1];
        i--;
    }
    sw->pt[i] = p;
    sw->npt++;
}

/* Cuts the map at every boundary and ranks each interval; flags overlap
 * when two regions cover the same bytes. */
static void build_sweep(struct boot_info *bi, struct sweep *sw)
{
    sw->npt = 0;
    for (uint32_t i = 0; i < bi->region_count; i++) {
        add_point(sw, bi->regions[i].base);
        add_point(sw, bi->regions[i].base + bi->regions[i].length);
    }
    for (unsigned k = 0; k + 1 < sw->npt; k++) {
        unsigned cover = 0;
        sw->rank[k] = 0;
        for (uint32_t i = 0; i < bi->region_count; i++) {
            const struct mem_region *r = &bi->regions[i];
            if (r->base <= sw->pt[k] && r->base + r->length >= sw->pt[k + 1]) {
                cover++;
                if (type_rank(r->type) > sw->rank[k])
                    sw->rank[k] = type_rank(r->type);
            }
        }
        if (cover > 1)
            bi->warnings |= BOOTINFO_W_OVERLAP;
    }
}

/* Index one past the run of equal rank that starts at interval k. */
static unsigned run_end(const struct sweep *sw, unsigned k)
{
    unsigned e = k + 1;

    while (e + 1 < sw->npt && sw->rank[e] == sw->rank[k])
        e++;
    return e;
}

/* Number of output regions the sweep would produce. */
static unsigned count_pieces(const struct sweep *sw)
{
    unsigned n = 0;

    for (unsigned k = 0; k + 1 < sw->npt; k = run_end(sw, k)) {
        if (sw->rank[k] != 0)
            n++;
    }
    return n;
}

/* Removes at least one run at the least cost in usable bytes: either
 * drop a usable run, or join two neighbouring non-usable runs (and what
 * lies between) into one run of their higher rank. Losing RAM is safe;
 * losing a reserved range is not, so non-usable bytes are never dropped.
 * On a tie the join wins, as it removes more runs. Returns false only when
 * fewer than two runs exist (nothing to shed). */
static bool shed_one_run(struct sweep *sw)
{
    unsigned from = 0, to = 0, last = 0;
    bool found = false, join = false, have_last = false;
    uint64_t best = 0, ram_since = 0;

    for (unsigned k = 0, e; k + 1 < sw->npt; k = e) {
        e = run_end(sw, k);
        uint64_t len = sw->pt[e] - sw->pt[k];
        if (sw->rank[k] == 1) {
            if (!found || len < best) {
                best = len;
                from = k;
                to = e;
                join = false;
                found = true;
            }
            ram_since += len;
        } else if (sw->rank[k] != 0) {
            if (have_last && (!found || ram_since <= best)) {
                best = ram_since;
                from = last;
                to = e;
                join = true;
                found = true;
            }
            last = k;
            have_last = true;
            ram_since = 0;
        }
    }
    uint8_t top = 0;
    for (unsigned k = from; join && k < to; k++)
        top = sw->rank[k] > top ? sw->rank[k] : top;
    for (unsigned k = from; k < to; k++)
        sw->rank[k] = top;
    return found;
}

/* Writes at most limit runs back as regions, shrinking usable ones to
 * whole pages. The limit is what keeps the table in bounds. */
static void emit(struct boot_info *bi, const struct sweep *sw, unsigned limit)
{
    uint32_t n = 0;

    bi->usable_bytes = 0;
    for (unsigned k = 0; k + 1 < sw->npt; k = run_end(sw, k)) {
        unsigned e = run_end(sw, k);
        uint64_t base = sw->pt[k], end = sw->pt[e];
        if (sw->rank[k] == 0 || n == limit)
            continue;
        if (sw->rank[k] == 1) {
            if (base > UINT64_MAX - (PAGE_SIZE - 1))
                continue;
            base = (base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
            end &= ~(uint64_t)(PAGE_SIZE - 1);
            if (end <= base)
                continue;
            bi->usable_bytes += end - base;
        }
        bi->regions[n++] = (struct mem_region){ base, end - base, rank_type[sw->rank[k]] };
    }
    bi->region_count = n;
}

/* Normalizes the map into at most limit regions (see bootinfo.h). */
static void normalize_to(struct boot_info *bi, unsigned limit)
{
    struct sweep sw;

    if (bi->region_count > BOOTINFO_MAX_REGIONS)
        bi->region_count = BOOTINFO_MAX_REGIONS;
    sanitize(bi);
    build_sweep(bi, &sw);
    while (count_pieces(&sw) > limit && shed_one_run(&sw))
        bi->warnings |= BOOTINFO_W_REGIONS_DROPPED;
    emit(bi, &sw, limit);
}

/* Public entry: normalize into the full table. */
void bootinfo_normalize(struct boot_info *bi)
{
    if (bi != NULL)
        normalize_to(bi, BOOTINFO_MAX_REGIONS);
}

/* Zeroes the result and records the boot source. */
void bootinfo_reset(struct boot_info *bi, enum boot_source src)
{
    kmemset(bi, 0, sizeof *bi);
    bi->source = src;
}

/* Leaves no half-parsed state behind a failure. */
int bootinfo_fail(struct boot_info *bi, int err)
{
    kmemset(bi, 0, sizeof *bi);
    return err;
}

/* Appends a raw region; a full table is compacted first, down to one
 * free slot, which drops data only if the map cannot be merged. */
void bootinfo_add_region(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
    if (bi->region_count >= BOOTINFO_MAX_REGIONS)
        normalize_to(bi, BOOTINFO_MAX_REGIONS - 1);
    bi->regions[bi->region_count++] = (struct mem_region){ base, len, type };
}

/* Appends a module or says why it was dropped. */
char *bootinfo_add_module(struct boot_info *bi, uint64_t start, uint64_t end)
{
    if (end < start) {
        bi->warnings |= BOOTINFO_W_BAD_MODULE;
        return NULL;
    }
    if (bi->module_count >= BOOTINFO_MAX_MODULES) {
        bi->warnings |= BOOTINFO_W_MODULES_DROPPED;
        return NULL;
    }
    struct boot_module *m = &bi->modules[bi->module_count++];
    m->start = start;
    m->end = end;
    kmemset(m->name, 0, sizeof m->name);
    return m->name;
}

/* Copies a possibly unterminated string from untrusted bytes. */
bool bootinfo_copy_str(char *dst, size_t cap, const uint8_t *src, size_t srclen)
{
    size_t len = 0;

    while (len < srclen && src[len] != 0)
        len++;
    bool cut = len >= cap;
    if (cut)
        len = cap - 1;
    kmemcpy(dst, src, len);
    dst[len] = '\0';
    return cut;
}

/* Final step of both parsers. */
int bootinfo_finish(struct boot_info *bi)
{
    bootinfo_normalize(bi);
    if (bi->usable_bytes == 0)
        return bootinfo_fail(bi, FB_ENOMEM);
    return FB_OK;
}
