/* Host microbenchmarks of core hot paths over the pthread HAL. Each runs a
 * fixed number of iterations RUNS times and reports the median ns/op as
 * one JSON object per line (the format bench/run.sh and bench/compare.sh
 * read; see docs/BENCHMARKS.md), to stdout or to the file named in argv[1].
 * A few capability measurements do not fit that pattern (a single cold
 * call, throughput over simulated CPUs) and write their own lines. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "bootinfo.h"
#include "cap.h"
#include "fmt.h"
#include "frame.h"
#include "hal/hal.h"
#include "hal_host.h"
#include "kerr.h"
#include "lattice.h"


/* Keeps results alive so the compiler cannot drop the measured work. */
static volatile uint64_t sink;

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

/* ------------------------------------------------------ capability table */

#define CHAIN_DEPTH 16          /* a root and CAP_MAX_DEPTH derivations */
#define SMALL_SLOTS 64

static struct cap_slot small_slots[SMALL_SLOTS];
static struct cap_table small;
/* chain[d] has depth d; chain[0] is the root. */
static cap_handle_t chain[CHAIN_DEPTH + 1];
static uint8_t token[CAP_TOKEN_LEN];

/* A small table holding one chain of derivations to the depth bound,
 * every link with every right, and a token for the depth-1 capability. */
static void setup_cap_chain(void)
{
    static const char key[] = "bench_host fixed token key 01234";
    int err;

    if ((err = cap_table_init(&small, small_slots, SMALL_SLOTS, lattice_top())) != FB_OK)
        fail("cap_table_init", err);
    if ((err = cap_create(&small, CAP_T_MEMORY, 0x1000, CAP_R_ALL, lattice_bottom(), &chain[0])) != FB_OK)
        fail("cap_create", err);
    for (int d = 1; d <= CHAIN_DEPTH; d++)
        if ((err = cap_derive(&small, chain[d - 1], CAP_R_ALL, lattice_bottom(), &chain[d])) != FB_OK)
            fail("cap_derive", err);
    if ((err = cap_token_set_key(key, sizeof key - 1)) != FB_OK)
        fail("cap_token_set_key", err);
    if ((err = cap_token_mint(&small, chain[1], token)) != FB_OK)
        fail("cap_token_mint", err);
}

/* Verifies handle h, iters times; every call must succeed. */
static void verify_loop(cap_handle_t h, uint64_t iters)
{
    int acc = 0;

    for (uint64_t i = 0; i < iters; i++)
        acc |= cap_verify(&small, h, CAP_R_READ);
    if (acc != FB_OK)
        fail("cap_verify", acc);
}

static void body_verify_d1(uint64_t iters) { verify_loop(chain[1], iters); }
static void body_verify_d8(uint64_t iters) { verify_loop(chain[8], iters); }
static void body_verify_d16(uint64_t iters) { verify_loop(chain[16], iters); }

/* Derives a child of the depth-1 capability and deletes it, iters times
 * (the table stays small and warm). */
static void body_derive_delete(uint64_t iters)
{
    cap_handle_t h;
    int err;

    for (uint64_t i = 0; i < iters; i++) {
        if ((err = cap_derive(&small, chain[1], CAP_R_READ, lattice_bottom(), &h)) != FB_OK)
            fail("cap_derive", err);
        if ((err = cap_delete(&small, h)) != FB_OK)
            fail("cap_delete", err);
    }
}

/* Mints a token for the depth-1 capability, iters times. */
static void body_token_mint(uint64_t iters)
{
    uint8_t out[CAP_TOKEN_LEN];
    int acc = 0;

    for (uint64_t i = 0; i < iters; i++) {
        acc |= cap_token_mint(&small, chain[1], out);
        sink += out[CAP_TOKEN_LEN - 1];
    }
    if (acc != FB_OK)
        fail("cap_token_mint", acc);
}

/* Verifies the depth-1 capability's token, iters times. */
static void body_token_verify(uint64_t iters)
{
    struct cap_info info;
    int acc = 0;

    for (uint64_t i = 0; i < iters; i++) {
        acc |= cap_token_verify(&small, token, sizeof token, &info);
        sink += info.object;
    }
    if (acc != FB_OK)
        fail("cap_token_verify", acc);
}

/* ------------------------------------------------------------------ driver */

/* In order: the cap_* entries after the first share its setup. */
static const struct bench benches[] = {
    { "host.hal_read_timestamp", 2000000, NULL, body_timestamp },
    { "host.frame_alloc_free_pair", 1000000, setup_frames, body_frame_pair },
    { "host.fmt_snprintf_log_line", 200000, NULL, body_fmt },
    { "host.bootinfo_parse_multiboot2", 200000, setup_mb2, body_mb2 },
    { "host.cap_verify_depth1", 2000000, setup_cap_chain, body_verify_d1 },
    { "host.cap_verify_depth8", 2000000, NULL, body_verify_d8 },
    { "host.cap_verify_depth16", 1000000, NULL, body_verify_d16 },
    { "host.cap_derive_delete_pair", 1000000, NULL, body_derive_delete },
    { "host.cap_token_mint", 100000, NULL, body_token_mint },
    { "host.cap_token_verify", 100000, NULL, body_token_verify },
};

/* measure() of two benchmarks with their runs interleaved, so that both
 * see the same machine noise and their ratio means something. */
static void measure_pair(const struct bench *a, const struct bench *b, double *a_ns, double *b_ns)
{
    double na[RUNS], nb[RUNS];

    a->body(a->iters / 10 + 1);
    b->body(b->iters / 10 + 1);
    for (int r = 0; r < RUNS; r++) {
        na[r] = timed_run(a);
        nb[r] = timed_run(b);
    }
    *a_ns = median(na, RUNS);
    *b_ns = median(nb, RUNS);
}

/* ------------------------------------------ revocation of a big subtree */

#define BIG_SLOTS ((uint32_t)1 << 21)
#define SUBTREE 1000000u        /* descendants of the revoked capability */
#define BUILDS 5                /* cold first revocations measured (odd) */
#define FANOUT1 100u            /* children of the root */
#define FANOUT2 100u            /* children of each of those */
#define FANOUT3 98u             /* children of each grandchild */
#define CHAINS 660u             /* chains of CHAIN_LEN under the root */
#define CHAIN_LEN 15u

_Static_assert(FANOUT1 + FANOUT1 * FANOUT2 + FANOUT1 * FANOUT2 * FANOUT3 + CHAINS * CHAIN_LEN == SUBTREE,
               "the tree has exactly SUBTREE descendants");

static struct cap_table big;
static cap_handle_t big_leaf, big_root, big_deepest;

/* One derivation in the big table; stops the run on failure. */
static cap_handle_t big_derive(cap_handle_t parent, cap_rights_t rights)
{
    cap_handle_t h;
    int err = cap_derive(&big, parent, rights, lattice_bottom(), &h);

    if (err != FB_OK)
        fail("cap_derive (big table)", err);
    return h;
}

/* Fresh big table: a leaf root with no descendants, and a root with
 * SUBTREE descendants, wide (100 x 100 x 98) and deep (660 chains of
 * 15, down to depth 15). Returns the ns the derivations took. */
static uint64_t build_big(struct cap_slot *slots)
{
    cap_handle_t l1, l2;
    uint64_t t0;
    int err;

    if ((err = cap_table_init(&big, slots, BIG_SLOTS, lattice_top())) != FB_OK)
        fail("cap_table_init (big table)", err);
    if ((err = cap_create(&big, CAP_T_MEMORY, 1, CAP_R_ALL, lattice_bottom(), &big_leaf)) != FB_OK ||
        (err = cap_create(&big, CAP_T_MEMORY, 2, CAP_R_ALL, lattice_bottom(), &big_root)) != FB_OK)
        fail("cap_create (big table)", err);
    t0 = hal_read_timestamp();
    for (uint32_t i = 0; i < FANOUT1; i++) {
        l1 = big_derive(big_root, CAP_R_ALL);
        for (uint32_t j = 0; j < FANOUT2; j++) {
            l2 = big_derive(l1, CAP_R_ALL);
            for (uint32_t k = 0; k < FANOUT3; k++)
                big_derive(l2, CAP_R_READ);
        }
    }
    for (uint32_t c = 0; c < CHAINS; c++) {
        big_deepest = big_root;
        for (uint32_t d = 0; d < CHAIN_LEN; d++)
            big_deepest = big_derive(big_deepest, CAP_R_ALL);
    }
    return hal_read_timestamp() - t0;
}

/* Reads every slot of the big table, so the next call finds neither the
 * slot it touches nor its page translation in a cache. */
static void evict_caches(void)
{
    uint64_t acc = 0;

    for (uint32_t i = 0; i < BIG_SLOTS; i++)
        acc += atomic_load_explicit(&big.slots[i].stamp, memory_order_relaxed);
    sink = acc;
}

/* ns of one cold cap_revoke call, less the cost of reading the clock. */
static double time_one_revoke(cap_handle_t h, double overhead)
{
    evict_caches();
    uint64_t t0 = hal_read_timestamp();
    int err = cap_revoke(&big, h);
    uint64_t t1 = hal_read_timestamp();

    if (err != FB_OK)
        fail("cap_revoke (big table)", err);
    return (double)(t1 - t0) - overhead;
}

/* Median ns between two back-to-back clock reads. */
static double clock_overhead(void)
{
    double d[101];

    for (int i = 0; i < 101; i++) {
        uint64_t t0 = hal_read_timestamp();
        d[i] = (double)(hal_read_timestamp() - t0);
    }
    return median(d, 101);
}

/* After the first revocation the subtree must be dead and only the two
 * roots live: revocation really reached a million descendants. */
static void check_big_revoked(void)
{
    struct cap_table_stats st;
    int err = cap_verify(&big, big_deepest, 0);

    if (err != FB_EREVOKED)
        fail("deepest descendant still verifies after revoke", err == FB_OK ? FB_EINVAL : err);
    if ((err = cap_table_check(&big, &st, NULL)) != FB_OK)
        fail("cap_table_check (big table)", err);
    if (st.live != 2 || st.dead != SUBTREE)
        fail("big table counts after revoke", FB_EINVAL);
}

/* Revokes h in the big table iters times. Never inlined: the leaf and
 * the root run the very same machine code, so code placement cannot make
 * one look faster than the other. */
__attribute__((noinline)) static void revoke_loop(cap_handle_t h, uint64_t iters)
{
    int acc = 0;

    for (uint64_t i = 0; i < iters; i++)
        acc |= cap_revoke(&big, h);
    if (acc != FB_OK)
        fail("cap_revoke", acc);
}

static void body_revoke_leaf(uint64_t iters) { revoke_loop(big_leaf, iters); }
static void body_revoke_root(uint64_t iters) { revoke_loop(big_root, iters); }

/* Revocation of a leaf and of a root with a million descendants: the
 * first call on each (caches evicted), median of BUILDS fresh trees, then
 * repeated warm calls on the same two handles; and the derivations' cost
 * while building. */
static void run_revoke(FILE *out)
{
    static const struct bench leaf = { "host.cap_revoke_leaf", 1000000, NULL, body_revoke_leaf };
    static const struct bench root = { "host.cap_revoke_1m_descendants", 1000000, NULL, body_revoke_root };
    struct cap_slot *slots = aligned_alloc(64, cap_table_bytes(BIG_SLOTS));
    double first_leaf[BUILDS], first_root[BUILDS], derive_ns[BUILDS], leaf_ns, root_ns;

    if (slots == NULL)
        fail("big table allocation", FB_ENOMEM);
    for (int b = 0; b < BUILDS; b++) {
        derive_ns[b] = (double)build_big(slots) / SUBTREE;
        double overhead = clock_overhead();
        first_leaf[b] = time_one_revoke(big_leaf, overhead);
        first_root[b] = time_one_revoke(big_root, overhead);
        check_big_revoked();
    }
    measure_pair(&leaf, &root, &leaf_ns, &root_ns);
    result(out, "host.cap_derive_big_table", median(derive_ns, BUILDS), "ns", "lower");
    result(out, leaf.name, leaf_ns, "ns", "lower");
    result(out, root.name, root_ns, "ns", "lower");
    result(out, "host.cap_revoke_1m_ratio", root_ns / leaf_ns, "ratio", "lower");
    result(out, "host.cap_revoke_leaf_first", median(first_leaf, BUILDS), "ns", "lower");
    result(out, "host.cap_revoke_1m_first", median(first_root, BUILDS), "ns", "lower");
    free(slots);
}

/* --------------------------------------- derive/verify throughput, SMP */

#define TP_ROUNDS 300000u       /* rounds per CPU in one run */
#define TP_OPS_PER_ROUND 3u     /* cap_* calls per round */

/* A throughput workload: one round of TP_OPS_PER_ROUND calls on the
 * shared small table, and its result names for 1 and 2 CPUs. */
struct tp_load {
    const char *name[2];
    void (*round)(void);
};

/* Derives a child of the shared depth-1 capability, verifies it, deletes it. */
static void tp_derive_verify_delete(void)
{
    cap_handle_t h;
    int err;

    if ((err = cap_derive(&small, chain[1], CAP_R_READ, lattice_bottom(), &h)) != FB_OK)
        fail("cap_derive (throughput)", err);
    if ((err = cap_verify(&small, h, CAP_R_READ)) != FB_OK)
        fail("cap_verify (throughput)", err);
    if ((err = cap_delete(&small, h)) != FB_OK)
        fail("cap_delete (throughput)", err);
}

/* Verifies the shared depth-1, depth-8 and depth-16 capabilities. */
static void tp_verify(void)
{
    int err = cap_verify(&small, chain[1], CAP_R_READ) | cap_verify(&small, chain[8], CAP_R_READ) |
              cap_verify(&small, chain[16], CAP_R_READ);

    if (err != FB_OK)
        fail("cap_verify (throughput)", err);
}

static const struct tp_load tp_loads[] = {
    { { "host.cap_derive_verify_delete_1cpu", "host.cap_derive_verify_delete_2cpu" },
      tp_derive_verify_delete },
    { { "host.cap_verify_shared_1cpu", "host.cap_verify_shared_2cpu" }, tp_verify },
};

static atomic_uint tp_ready;
static atomic_bool tp_go;

/* One CPU's share of a run: waits for the start signal, then runs
 * TP_ROUNDS rounds of the workload @p arg. */
static void tp_worker(void *arg)
{
    const struct tp_load *load = arg;

    atomic_fetch_add(&tp_ready, 1);
    while (!atomic_load(&tp_go))
        ;
    for (uint32_t i = 0; i < TP_ROUNDS; i++)
        load->round();
}

/* Calls per second, all CPUs together, of cpus simulated CPUs running
 * load on the one shared table; CPU 0 is this thread. */
static double throughput(const struct tp_load *load, unsigned cpus)
{
    uint64_t t0;
    int err;

    atomic_store(&tp_ready, 0);
    atomic_store(&tp_go, false);
    for (unsigned c = 1; c < cpus; c++)
        if ((err = hal_host_cpu_start(c, tp_worker, (void *)load)) != FB_OK)
            fail("hal_host_cpu_start", err);
    while (atomic_load(&tp_ready) != cpus - 1)
        ;
    t0 = hal_read_timestamp();
    atomic_store(&tp_go, true);
    tp_worker((void *)load);
    for (unsigned c = 1; c < cpus; c++)
        if ((err = hal_host_cpu_join(c)) != FB_OK)
            fail("hal_host_cpu_join", err);
    return (double)cpus * TP_ROUNDS * TP_OPS_PER_ROUND * 1e9 / (double)(hal_read_timestamp() - t0);
}

/* Median throughput of RUNS runs (after a warm-up run) of each workload
 * with 1 and with 2 simulated CPUs. */
static void run_throughput(FILE *out)
{
    double ops[RUNS];
    int err;

    if ((err = hal_host_set_cpu_count(2)) != FB_OK)
        fail("hal_host_set_cpu_count", err);
    for (size_t l = 0; l < sizeof tp_loads / sizeof tp_loads[0]; l++) {
        for (unsigned cpus = 1; cpus <= 2; cpus++) {
            throughput(&tp_loads[l], cpus);
            for (int r = 0; r < RUNS; r++)
                ops[r] = throughput(&tp_loads[l], cpus);
            result(out, tp_loads[l].name[cpus - 1], median(ops, RUNS), "ops/s", "higher");
        }
    }
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
        result(out, b->name, measure(b), "ns", "lower");
    }
    run_throughput(out);
    run_revoke(out);
    return fclose(out) == 0 ? 0 : 1;
}
