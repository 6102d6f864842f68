/* Fuzz target for the syscall layer: the input is a program of syscalls
 * (number and six operands, each picked from values that matter at the
 * boundary: zero, small numbers, the program's own user addresses, kernel
 * addresses, handles it was given, descriptors, raw 64-bit values). A
 * user program in an environment on the simulated machine runs it
 * through the real entry path. After every input: no environment or user
 * frame may be left over, every frame is back in the allocator, and every
 * environment slot (its capability table included) passes env_check. Calls that would block for long are tamed
 * (sleep at most 1 ms, console reads non-blocking, a wait preceded by a
 * kill of the same child) so that every input ends. IPC sends, receives
 * and calls whose first operand is a live capability are skipped: with
 * one environment running there is no partner, so they could only block
 * for good; every other operand exercises their error paths. */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "../host-tests/sys_harness.h"

#define MAX_CALLS 64
#define POOL      16   /* handles and descriptors remembered */

static const uint8_t *input;
static size_t input_len;
static bool booted;

/* An operand chosen by one input byte (plus more bytes for raw values). */
static uint64_t operand(struct reader *r, const uint64_t *pool)
{
    uint8_t k = u8(r);

    switch (k % 12) {
    case 0: return 0;
    case 1: return k >> 4;                                    /* 0..15 */
    case 2: return SH_DATA + (uint64_t)u16(r) % 4096;         /* its data page */
    case 3: return SH_SCRATCH + (uint64_t)(u8(r) % 8) * 4096; /* scratch pages */
    case 4: return 0xffff800000000000ull + u16(r);            /* kernel half */
    case 5: return UINT64_MAX - (k >> 4);
    case 6: return pool[u8(r) % POOL];                        /* a handle it got */
    case 7: return (uint64_t)u16(r);
    case 8: return SH_TEXT;                                   /* read-only text */
    case 9: return ENV_STACK_TOP - 4096;                      /* its stack */
    case 10: return 1ull << (k >> 2);
    default: {
        uint64_t v = 0;

        for (int i = 0; i < 8; i++)
            v |= (uint64_t)u8(r) << (8 * i);
        return v;
    }
    }
}

/* The fuzzed user program. */
static void prog_fuzz(uint64_t argp)
{
    struct reader r = { input, input_len };
    uint64_t pool[POOL] = { 0 };
    unsigned next = 0;

    (void)argp;
    /* Something to path-walk and to spawn. */
    ustr(SH_DATA + 3000, "/bin/quick");
    for (int i = 0; i < MAX_CALLS && r.n > 0; i++) {
        uint64_t nr = u8(&r), a[6];
        int64_t ret;

        if (nr >= 128)
            nr = (nr - 128) * 1000;   /* far outside the table */
        for (int j = 0; j < 6; j++)
            a[j] = operand(&r, pool);
        if (nr == SYS_env_exit)
            continue;
        if (nr == SYS_sleep)
            a[0] %= 1000000;
        if (nr == SYS_console_read)
            a[2] |= EXO_CONSOLE_NONBLOCK;
        if (nr == SYS_env_wait)
            sc(SYS_env_kill, a[0], 0, 0, 0, 0, 0);
        if ((nr == SYS_ipc_send || nr == SYS_ipc_recv || nr == SYS_ipc_call) &&
            sc(SYS_cap_verify, a[0], 0, 0, 0, 0, 0) == 0)
            continue;
        if (nr == SYS_env_create) {
            a[0] = SH_DATA + 3000;
            a[1] = strlen("/bin/quick");
        }
        ret = sc(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (ret > 0)
            pool[next++ % POOL] = (uint64_t)ret;
    }
    SC1(SYS_env_exit, 0);
}

/* A child that ends at once. */
static void prog_quick(uint64_t argp)
{
    (void)argp;
    SC1(SYS_env_exit, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    int64_t code;

    if (!booted) {
        static const uint8_t key[32] = { 7 };

        sh_boot();
        cap_token_set_key(key, sizeof(key));
        sh_install("/bin/fuzz", prog_fuzz);
        sh_install("/bin/quick", prog_quick);
        booted = true;
    }
    input = data;
    input_len = size;
    code = sh_run("/bin/fuzz", "");
    /* The program may kill itself through a handle of its own. */
    check(code == 0 || code == EXO_EXIT_KILLED);
    /* Orphans are reaped as they end; give them a moment. */
    for (int tries = 0; env_count() != 0 && tries < 2000; tries++)
        harness_sleep_ms(1);
    check(env_count() == 0);
    check(umem_total() == 0);
    check(frame_free_count(&sh_frames) == sh_free_at_start);
    check(env_check(&why) == FB_OK);
    return 0;
}
