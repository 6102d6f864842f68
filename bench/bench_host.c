/* Host microbenchmarks of core hot paths over the pthread HAL. Each runs a
 * fixed number of iterations RUNS times and reports the median ns/op as
 * one JSON object per line (the format bench/run.sh and bench/compare.sh
 * read; see docs/BENCHMARKS.md), to stdout or to the file named in argv[1]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootinfo.h"
#include "fmt.h"
#include "frame.h"
#include "hal/hal.h"
#include "hal_host.h"
#include "kerr.h"

#define RUNS 9   /* odd, so the median is one measured run */

/* Keeps results alive so the compiler cannot drop the measured work. */
static volatile uint64_t sink;

/* One benchmark: body runs iters operations; setup prepares state once. */
struct bench {
    const char *name;
    uint64_t iters;
    void (*setup)(void);
    void (*body)(uint64_t iters);
};

/* Stops the run with a message naming the failed step. */
static void fail(const char *what, int err)
{
    fprintf(stderr, "bench_host: %s failed: %s\n", what, fb_strerror(err));
    exit(1);
}

/* ------------------------------------------------------ hal_read_timestamp */

/* Reads the clock iters times. */
static void body_timestamp(uint64_t iters)
{
    uint64_t acc = 0;

    for (uint64_t i = 0; i < iters; i++)
        acc += hal_read_timestamp();
    sink = acc;
}

/* ------------------------------------------------------------ frame pair */

static struct frame_allocator frames;

/* Builds a boot_info whose only usable region is the simulated RAM and a
 * frame allocator over it, as the kernel does at boot. */
static void setup_frames(void)
{
    static struct boot_info bi;
    uint64_t *bitmap;
    size_t bytes;
    int err;

    bi.source = BOOT_SRC_MULTIBOOT2;
    bi.regions[0].base = HAL_HOST_RAM_BASE;
    bi.regions[0].length = HAL_HOST_RAM_SIZE;
    bi.regions[0].type = MEM_USABLE;
    bi.region_count = 1;
    bi.usable_bytes = HAL_HOST_RAM_SIZE;
    bytes = frame_bitmap_bytes(&bi);
    bitmap = malloc(bytes);
    if (bitmap == NULL)
        fail("bitmap allocation", FB_ENOMEM);
    err = frame_init(&frames, &bi, bitmap, bytes);
    if (err != FB_OK)
        fail("frame_init", err);
}

/* Allocates and frees one frame iters times. */
static void body_frame_pair(uint64_t iters)
{
    uint64_t pa, acc = 0;
    int err;

    for (uint64_t i = 0; i < iters; i++) {
        err = frame_alloc(&frames, &pa);
        if (err != FB_OK)
            fail("frame_alloc", err);
        acc += pa;
        err = frame_free(&frames, pa);
        if (err != FB_OK)
            fail("frame_free", err);
    }
    sink = acc;
}

/* ------------------------------------------------------------ fmt_snprintf */

/* Formats a typical kernel log line (integers, hex, a pointer, a string,
 * widths and padding) iters times. */
static void body_fmt(uint64_t iters)
{
    char line[160];
    uint64_t acc = 0;

    for (uint64_t i = 0; i < iters; i++) {
        acc += (uint64_t)fmt_snprintf(line, sizeof line,
                                      "[%6llu.%06llu] cpu%u: %-8s frame %#llx -> %p flags=%02x (%d)\n",
                                      (unsigned long long)(i / 1000000),
                                      (unsigned long long)(i % 1000000), (unsigned)(i & 3),
                                      "mem", (unsigned long long)(i << 12),
                                      (void *)(uintptr_t)(0x400000u + i), (unsigned)(i & 0xf),
                                      -(int)(i & 7));
    }
    sink = acc;
}

/* ------------------------------------------------ bootinfo_parse_multiboot2 */

static _Alignas(8) unsigned char mb2[512];
static size_t mb2_len;

/* Appends a Multiboot2 tag (type, payload) padded to 8 bytes. */
static void mb2_tag(uint32_t type, const void *payload, uint32_t len)
{
    uint32_t size = 8 + len;

    memcpy(mb2 + mb2_len, &type, 4);
    memcpy(mb2 + mb2_len + 4, &size, 4);
    if (len > 0)
        memcpy(mb2 + mb2_len + 8, payload, len);
    mb2_len += (size + 7u) & ~7u;
}

/* Builds the image GRUB would hand over for a small machine: command
 * line, loader name, one module and a 4-entry memory map. */
static void setup_mb2(void)
{
    static const char cmdline[] = "autoexit loglevel=2 ticks=10";
    static const char loader[] = "GRUB 2.06";
    static const struct { uint64_t base, len; uint32_t type, zero; } map[] = {
        { 0x0, 0x9fc00, MEM_USABLE, 0 },
        { 0x9fc00, 0x400, MEM_RESERVED, 0 },
        { 0x100000, 0xfee0000, MEM_USABLE, 0 },
        { 0xffe0000, 0x20000, MEM_ACPI_RECLAIM, 0 },
    };
    unsigned char mmap[8 + sizeof map];
    unsigned char module[8 + sizeof "initrd"];
    uint32_t entry_size = 24, entry_version = 0, mod_start = 0x200000, mod_end = 0x240000;
    uint32_t zero = 0, total;

    _Static_assert(sizeof map[0] == 24, "Multiboot2 memory map entries are 24 bytes");
    memcpy(mmap, &entry_size, 4);
    memcpy(mmap + 4, &entry_version, 4);
    memcpy(mmap + 8, map, sizeof map);
    memcpy(module, &mod_start, 4);
    memcpy(module + 4, &mod_end, 4);
    memcpy(module + 8, "initrd", sizeof "initrd");

    mb2_len = 8;
    mb2_tag(1, cmdline, sizeof cmdline);
    mb2_tag(2, loader, sizeof loader);
    mb2_tag(3, module, sizeof module);
    mb2_tag(6, mmap, sizeof mmap);
    mb2_tag(0, NULL, 0);
    total = (uint32_t)mb2_len;
    memcpy(mb2, &total, 4);
    memcpy(mb2 + 4, &zero, 4);
}

/* Parses the image iters times, checking the first parse fully worked. */
static void body_mb2(uint64_t iters)
{
    static struct boot_info bi;
    uint64_t acc = 0;

    for (uint64_t i = 0; i < iters; i++) {
        int err = bootinfo_parse_multiboot2(mb2, mb2_len, &bi);

        if (err != FB_OK)
            fail("bootinfo_parse_multiboot2", err);
        acc += bi.usable_bytes;
    }
    if (bi.module_count != 1 || bi.region_count < 3)
        fail("bootinfo_parse_multiboot2 result check", FB_EINVAL);
    sink = acc;
}

/* ------------------------------------------------------------------ driver */

static const struct bench benches[] = {
    { "host.hal_read_timestamp", 2000000, NULL, body_timestamp },
    { "host.frame_alloc_free_pair", 1000000, setup_frames, body_frame_pair },
    { "host.fmt_snprintf_log_line", 200000, NULL, body_fmt },
    { "host.bootinfo_parse_multiboot2", 200000, setup_mb2, body_mb2 },
};

/* Orders doubles for qsort. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median ns per operation of RUNS timed runs, after one warm-up run. */
static double measure(const struct bench *b)
{
    double ns[RUNS];

    b->body(b->iters / 10 + 1);
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = hal_read_timestamp();
        b->body(b->iters);
        ns[r] = (double)(hal_read_timestamp() - t0) / (double)b->iters;
    }
    qsort(ns, RUNS, sizeof ns[0], cmp_double);
    return ns[RUNS / 2];
}

/* Runs every benchmark and writes its result line. */
int main(int argc, char **argv)
{
    FILE *out = stdout;

    if (argc > 2) {
        fprintf(stderr, "usage: %s [OUTPUT.jsonl]\n", argv[0]);
        return 2;
    }
    if (argc == 2 && (out = fopen(argv[1], "w")) == NULL) {
        perror(argv[1]);
        return 1;
    }
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        const struct bench *b = &benches[i];

        if (b->setup != NULL)
            b->setup();
        fprintf(out, "{\"name\": \"%s\", \"value\": %.2f, \"unit\": \"ns\", \"better\": \"lower\"}\n",
                b->name, measure(b));
        fflush(out);
    }
    return fclose(out) == 0 ? 0 : 1;
}
