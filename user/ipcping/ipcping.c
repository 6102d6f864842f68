/* ipcping: call/reply ping-pong between two environments through an IPC
 * endpoint, checked end to end. "ipcping [N]" (default 1000000) creates
 * an endpoint and starts a second copy of itself as the client
 * ("client N H", H = the endpoint capability granted to it with SEND and
 * CALL only), with a gas budget of exactly N + 1 calls; then it serves:
 * every call is answered from its four words until the last one. The
 * client checks every reply against what the server must compute and a
 * checksum over all replies against one computed without IPC, prints
 * "ipcping: N round trips, checksum 0x... (matches), C cycles per round
 * trip", and exits 0 only when every reply was right; its exit code is
 * this program's. */
#include "exo.h"
#include "stdlib.h"

#define DEFAULT_ROUNDS 1000000u
#define STOP (~0ull)   /* w[0] of the last call: the server replies and ends */

/* What the server answers to message m: a function of all four words,
 * so a reply to another message (lost, doubled or reordered) shows. */
static void answer(const struct exo_ipc_msg *m, struct exo_ipc_msg *r)
{
    *r = (struct exo_ipc_msg){ 0 };
    r->w[0] = m->w[0] + 1;
    r->w[1] = m->w[1] ^ (m->w[0] * 0x9E3779B97F4A7C15ull);
    r->w[2] = m->w[2] + m->w[3];
    r->w[3] = ~m->w[3];
}

/* Reads the timestamp counter (user mode may: CR4.TSD is clear). */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* The server: answers every call until STOP. */
static int serve(cap_handle_t ep)
{
    struct exo_ipc_msg m, r;

    for (;;) {
        int64_t err = exo_ipc_recv(ep, &m);

        if (err != 0) {
            printf("ipcping: server recv: %s\n", fb_strerror((int)err));
            return 1;
        }
        answer(&m, &r);
        err = exo_ipc_reply(&r);
        if (err != 0) {
            printf("ipcping: server reply: %s\n", fb_strerror((int)err));
            return 1;
        }
        if (m.w[0] == STOP)
            return 0;
    }
}

/* The client: n calls, each reply checked; returns the failures. */
static uint64_t ping(cap_handle_t ep, uint64_t n, uint64_t *sum, uint64_t *cycles)
{
    struct exo_ipc_msg m = { 0 }, r, want;
    uint64_t bad = 0, t0 = rdtsc();

    for (uint64_t i = 0; i < n; i++) {
        m.w[0] = i;
        m.w[1] = i * 31 + 7;
        m.w[2] = i << 3;
        m.w[3] = i ^ 0x5555;
        int64_t err = exo_ipc_call(ep, &m, &r);

        if (err != 0) {
            if (bad++ == 0)
                printf("ipcping: call %lu: %s\n", (unsigned long)i, fb_strerror((int)err));
            continue;
        }
        answer(&m, &want);
        if (memcmp(r.w, want.w, sizeof(want.w)) != 0 && bad++ == 0)
            printf("ipcping: call %lu: reply %lx %lx %lx %lx, want %lx %lx %lx %lx\n",
                   (unsigned long)i, (unsigned long)r.w[0], (unsigned long)r.w[1],
                   (unsigned long)r.w[2], (unsigned long)r.w[3], (unsigned long)want.w[0],
                   (unsigned long)want.w[1], (unsigned long)want.w[2], (unsigned long)want.w[3]);
        *sum = (*sum * 1099511628211ull) ^ r.w[0] ^ r.w[1] ^ r.w[2] ^ r.w[3];
    }
    *cycles = n > 0 ? (rdtsc() - t0) / n : 0;
    return bad;
}

/* The checksum the replies must give, computed without any IPC. */
static uint64_t expected_sum(uint64_t n)
{
    struct exo_ipc_msg m = { 0 }, r;
    uint64_t sum = 0;

    for (uint64_t i = 0; i < n; i++) {
        m.w[0] = i;
        m.w[1] = i * 31 + 7;
        m.w[2] = i << 3;
        m.w[3] = i ^ 0x5555;
        answer(&m, &r);
        sum = (sum * 1099511628211ull) ^ r.w[0] ^ r.w[1] ^ r.w[2] ^ r.w[3];
    }
    return sum;
}

/* Starts the client with a SEND|CALL copy of ep and gas for exactly
 * n + 1 calls; its env handle in *child. */
static int start_client(cap_handle_t ep, uint64_t n, cap_handle_t *child)
{
    struct exo_env_info self;
    char args[64];
    int64_t c = exo_env_create("/bin/ipcping", 12, 0), given, err;

    if (c < 0)
        return (int)c;
    *child = (cap_handle_t)c;
    if (exo_env_info(0, &self) != 0)
        return FB_EINVAL;
    given = exo_cap_grant(ep, (cap_handle_t)c, CAP_R_SEND | CAP_R_CALL, self.level, self.cats);
    if (given < 0)
        return (int)given;
    err = exo_env_set_gas((cap_handle_t)c, (int64_t)((n + 1) * EXO_IPC_GAS_MSG));
    if (err != 0)
        return (int)err;
    snprintf(args, sizeof args, "client %lu %lu", (unsigned long)n, (unsigned long)given);
    return (int)exo_env_start((cap_handle_t)c, args, strlen(args));
}

/* The client: n checked calls, then the last one; returns the exit code. */
static int client(uint64_t n, cap_handle_t ep)
{
    struct exo_ipc_msg stop = { .w = { STOP } }, r;
    uint64_t sum = 0, cycles = 0, bad = ping(ep, n, &sum, &cycles);
    int64_t err = exo_ipc_call(ep, &stop, &r);

    if (err != 0 && bad++ == 0)
        printf("ipcping: last call: %s\n", fb_strerror((int)err));
    printf("ipcping: %lu round trips, checksum 0x%016lx (%s), %lu cycles per round trip\n",
           (unsigned long)n, (unsigned long)sum, sum == expected_sum(n) ? "matches" : "WRONG",
           (unsigned long)cycles);
    if (bad != 0 || sum != expected_sum(n)) {
        printf("ipcping: %lu bad replies\n", (unsigned long)bad);
        return 1;
    }
    return 0;
}

int main(const char *args)
{
    struct exo_env_info self;
    uint64_t n = DEFAULT_ROUNDS;
    cap_handle_t child = 0;
    int64_t ep, code = -1;
    const char *rest;
    int err;

    if (strncmp(args, "client ", 7) == 0) {
        n = strtoul(args + 7, (char **)&rest, 10);
        return client(n, (cap_handle_t)strtoul(rest, NULL, 10));
    }
    if (args[0] != '\0')
        n = strtoul(args, NULL, 10);
    if (exo_env_info(0, &self) != 0)
        return 1;
    ep = exo_ipc_endpoint_create(self.level, self.cats);
    if (ep < 0 || (err = start_client((cap_handle_t)ep, n, &child)) != 0) {
        printf("ipcping: setup: %s\n", fb_strerror(ep < 0 ? (int)ep : err));
        return 1;
    }
    if (serve((cap_handle_t)ep) != 0 || spawn_wait(child, &code) < 0)
        return 1;
    return (int)code;
}
