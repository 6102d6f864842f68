/* The boot self-check: the parts of the HAL that no host test can reach
 * (page tables, user copies and their fault fixup, context switching,
 * the one-shot timer, RDRAND/RDSEED), and the known answers of BearSSL
 * as compiled with kernel flags, are exercised once on every boot; any
 * failure stops the boot. Runs with interrupts enabled. */
#include <stdint.h>

#include "arch.h"
#include "cap.h"
#include "fmt.h"
#include "hal/hal.h"
#include "hmac.h"
#include "kerr.h"
#include "kstring.h"

#define PING_STACK 8192

static hal_context_t boot_ctx, ping_ctx;
static uint8_t ping_stack[PING_STACK] __attribute__((aligned(16)));
static volatile unsigned pings;

/* Stops the boot with the reason of a failed check. */
_Noreturn static void fail(const char *what, int err)
{
    kprintf("FeuerBird: selftest FAILED: %s (%s)\n", what, fb_strerror(err));
    hal_halt(HAL_EXIT_FAILURE);
}

/* Round trip through one user page of a fresh address space, then a read
 * of an unmapped user page, which must fault and be fixed up. */
static void check_usercopy(uint32_t loglevel)
{
    static const char pattern[] = "FeuerBird user copy";
    char back[sizeof(pattern)];
    hal_aspace_t *as;
    uint64_t frame, fixups;
    hal_irq_state_t irq;
    int err, copy_to, copy_from, unmapped, below;

    if ((err = hal_aspace_create(&as)) != FB_OK)
        fail("hal_aspace_create", err);
    if ((err = bootmem_frame_alloc(&frame)) != FB_OK)
        fail("frame_alloc", err);
    err = hal_aspace_map(as, HAL_USER_BASE, frame, HAL_MAP_USER | HAL_MAP_READ | HAL_MAP_WRITE);
    if (err != FB_OK)
        fail("hal_aspace_map", err);

    irq = hal_irq_disable();
    hal_aspace_switch(as);
    fixups = x86_usercopy_fixups;
    copy_to = hal_copy_to_user(HAL_USER_BASE, pattern, sizeof(pattern));
    copy_from = hal_copy_from_user(back, HAL_USER_BASE, sizeof(back));
    unmapped = hal_copy_from_user(back, HAL_USER_BASE + HAL_PAGE_SIZE, 8);
    below = hal_copy_from_user(back, HAL_USER_BASE - HAL_PAGE_SIZE, 8);
    fixups = x86_usercopy_fixups - fixups;
    hal_aspace_switch(NULL);
    hal_irq_restore(irq);

    if (copy_to != FB_OK)
        fail("hal_copy_to_user to a mapped user page", copy_to);
    if (copy_from != FB_OK || kmemcmp(back, pattern, sizeof(pattern)) != 0)
        fail("hal_copy_from_user did not return what was written", copy_from);
    if (unmapped != FB_EFAULT || fixups != 1)
        fail("copy from an unmapped page must fault once and give FB_EFAULT", unmapped);
    if (below != FB_EFAULT)
        fail("copy from below HAL_USER_BASE must give FB_EFAULT", below);
    if ((err = hal_aspace_unmap(as, HAL_USER_BASE)) != FB_OK)
        fail("hal_aspace_unmap", err);
    hal_aspace_destroy(as);
    bootmem_frame_free(frame);
    if (loglevel >= 2)
        kprintf("FeuerBird: selftest: user copy round trip and fault fixup ok\n");
}

/* The second context: counts a ping and switches back, forever. */
static void ping_entry(void *arg)
{
    (void)arg;
    for (;;) {
        pings++;
        hal_context_switch(&ping_ctx, &boot_ctx);
    }
}

/* Switches to a new context and back twice: the first switch runs the
 * trampoline, the second resumes a saved context. */
static void check_context(uint32_t loglevel)
{
    hal_irq_state_t irq;
    int err = hal_context_init(&ping_ctx, ping_stack, sizeof(ping_stack), ping_entry, NULL);

    if (err != FB_OK)
        fail("hal_context_init", err);
    irq = hal_irq_disable();
    hal_context_switch(&boot_ctx, &ping_ctx);
    hal_context_switch(&boot_ctx, &ping_ctx);
    hal_irq_restore(irq);
    if (pings != 2)
        fail("context ping-pong did not run twice", FB_EINVAL);
    if (loglevel >= 2)
        kprintf("FeuerBird: selftest: context ping-pong ok\n");
}

/* One-shot callback: records when it ran. */
static void shot_fired(void *arg)
{
    *(volatile uint64_t *)arg = hal_read_timestamp();
}

/* Waits with interrupts on until *flag is set or max_ticks ticks pass. */
static void wait_for(volatile uint64_t *flag, uint64_t max_ticks)
{
    uint64_t start = hal_timer_ticks();

    while (*flag == 0 && hal_timer_ticks() - start < max_ticks)
        __asm__ volatile("sti; hlt");
}

/* A cancelled one-shot must stay silent; an armed one must fire, and not
 * before its time. */
static void check_timer(uint32_t loglevel)
{
    static volatile uint64_t cancelled_at, fired_at;
    const uint64_t delay = 2000000;   /* 2 ms */
    uint64_t t0, t_arm;
    hal_irq_state_t irq;
    int err;

    /* Arm, let the shot expire and cancel, all with interrupts off: its
     * interrupt is then pending and must find nothing to run. This also
     * keeps a slow host from making the check flaky. */
    irq = hal_irq_disable();
    err = hal_timer_oneshot(delay / 2, shot_fired, (void *)&cancelled_at);
    if (err == FB_OK) {
        t_arm = hal_read_timestamp();
        while (hal_read_timestamp() - t_arm < delay)
            hal_cpu_relax();
        hal_timer_cancel();
    }
    hal_irq_restore(irq);
    if (err != FB_OK)
        fail("hal_timer_oneshot", err);
    t0 = hal_read_timestamp();
    if ((err = hal_timer_oneshot(delay, shot_fired, (void *)&fired_at)) != FB_OK)
        fail("hal_timer_oneshot", err);
    wait_for(&fired_at, 100);
    if (fired_at == 0)
        fail("one-shot timer did not fire within 100 ticks", FB_EAGAIN);
    if (fired_at - t0 < delay)
        fail("one-shot timer fired early", FB_EINVAL);
    if (cancelled_at != 0)
        fail("cancelled one-shot timer fired", FB_EINVAL);
    if (loglevel >= 2)
        kprintf("FeuerBird: selftest: one-shot timer fired after %lu us\n", (fired_at - t0) / 1000);
}

/* Two draws of hardware randomness must differ (a stuck source repeats). */
static void check_entropy(uint32_t loglevel)
{
    uint64_t a[2] = { 0, 0 }, b[2] = { 0, 0 };
    int err = hal_entropy(a, sizeof(a));

    if (err == FB_ENOTSUP) {
        if (loglevel >= 2)
            kprintf("FeuerBird: selftest: no RDSEED/RDRAND, entropy unavailable\n");
        return;
    }
    if (err != FB_OK || (err = hal_entropy(b, sizeof(b))) != FB_OK)
        fail("hal_entropy", err);
    if (kmemcmp(a, b, sizeof(a)) == 0)
        fail("hal_entropy returned the same 16 bytes twice", FB_EINVAL);
    if (loglevel >= 2)
        kprintf("FeuerBird: selftest: entropy ok (%s)\n", x86_cpu.rdseed ? "RDSEED" : "RDRAND");
}

/* SHA-256 and HMAC-SHA256 against RFC 4231 and FIPS 180-4: the host
 * tests check Debian's libbearssl, this checks the kernel's own build of
 * the same sources (no SSE, kernel code model). */
static void check_hmac(uint32_t loglevel)
{
    int failed_case;
    int err = fb_hmac_selftest(&failed_case);

    if (err != FB_OK) {
        kprintf("FeuerBird: selftest: SHA-256/HMAC known-answer case %d differs\n", failed_case);
        fail("HMAC-SHA256 known answers", err);
    }
    if (loglevel >= 2)
        kprintf("FeuerBird: selftest: HMAC-SHA256 RFC 4231 ok\n");
}

/* The capability table as the kernel build compiles it: derive a chain
 * to depth 8, time cap_verify at depths 1 and 8 in cycles, revoke the
 * root (every descendant fails, the root still verifies), and round-trip
 * a token under the per-boot key, one flipped bit refused. */
static void check_caps(uint32_t loglevel)
{
    static struct cap_slot slots[32];
    static struct cap_table table;
    const unsigned rounds = 1000;
    cap_handle_t chain[9];
    uint8_t token[CAP_TOKEN_LEN];
    uint64_t c1, c8;
    int err;

    if ((err = cap_table_init(&table, slots, 32, lattice_top())) != FB_OK)
        fail("cap_table_init", err);
    if ((err = cap_create(&table, CAP_T_MEMORY, 0x1000, CAP_R_ALL, lattice_bottom(), &chain[0])) != FB_OK)
        fail("cap_create", err);
    for (int d = 1; d <= 8; d++)
        if ((err = cap_derive(&table, chain[d - 1], CAP_R_ALL, lattice_make((unsigned)d, 0), &chain[d])) != FB_OK)
            fail("cap_derive", err);
    /* Results are ORed, keeping a branch out of the timed loops: any
     * failure leaves err nonzero (its name is exact when all failures
     * agree). */
    c1 = hal_read_cycles();
    for (unsigned i = 0; i < rounds; i++)
        err |= cap_verify(&table, chain[1], CAP_R_READ);
    c8 = hal_read_cycles();
    c1 = (c8 - c1) / rounds;
    for (unsigned i = 0; i < rounds; i++)
        err |= cap_verify(&table, chain[8], CAP_R_READ);
    c8 = (hal_read_cycles() - c8) / rounds;
    if (err != FB_OK)
        fail("cap_verify of a valid chain", err);
    if ((err = cap_token_mint(&table, chain[8], token)) == FB_OK) {
        if ((err = cap_token_verify(&table, token, sizeof token, NULL)) != FB_OK)
            fail("cap_token_verify of a fresh token", err);
        token[17] ^= 0x04;
        if ((err = cap_token_verify(&table, token, sizeof token, NULL)) != FB_EAUTH)
            fail("a token with a flipped bit must give FB_EAUTH", err);
    } else if (err != FB_EAGAIN) {
        fail("cap_token_mint", err);
    }
    if ((err = cap_revoke(&table, chain[0])) != FB_OK)
        fail("cap_revoke", err);
    if ((err = cap_verify(&table, chain[0], CAP_R_ALL)) != FB_OK)
        fail("the revoked capability itself must still verify", err);
    for (int d = 1; d <= 8; d++)
        if ((err = cap_verify(&table, chain[d], 0)) != FB_EREVOKED)
            fail("a descendant of a revoked capability must give FB_EREVOKED", err);
    if ((err = cap_table_check(&table, NULL, NULL)) != FB_OK)
        fail("cap_table_check", err);
    if (loglevel >= 2)
        kprintf("FeuerBird: selftest: capabilities ok (verify %lu cycles at depth 1, %lu at depth 8)\n",
                c1, c8);
}

/* Runs every check; prints "selftest ok" or stops the machine. */
void x86_selftest(uint32_t loglevel)
{
    check_hmac(loglevel);
    check_usercopy(loglevel);
    check_context(loglevel);
    check_timer(loglevel);
    check_entropy(loglevel);
    check_caps(loglevel);
    kprintf("FeuerBird: selftest ok\n");
}
