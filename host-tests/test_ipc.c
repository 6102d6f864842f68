/* IPC through the real syscall entry: environments on two simulated CPUs
 * rendezvous on endpoints. A parent creates the endpoints and its
 * children, grants each child what it needs and passes the handles in
 * the argument string (hex, space-separated). Programs exit 0 when every
 * check held, else with the line of the first failed one. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "sys_harness.h"

#define BAD_KERNEL 0xffff800000001000ull
#define MSG        (SH_DATA + 512)      /* the message a program sends */
#define RCV        (SH_DATA + 768)      /* where the kernel writes what it receives */
#define STR        (SH_DATA + 1024)     /* strings */
#define OUT        (SH_DATA + 2048)     /* other results (32 exo_cap_info at most) */
#define PATH(s)    ustr(STR, (s)), strlen(s)
#define NHANDLES   16

static void boot(void) { sh_boot(); }

static void halt(void) { sh_halt(); }

/* Every test ends with this: nothing may be left behind. */
#define EXPECT_SETTLED() cr_assert(sh_settled(), "an environment, user frame or endpoint leaked")

/* What a child saw, for children whose exit code nobody can collect
 * (orphans): a probe the test body reads, outside the simulation. */
static _Atomic int64_t observed;
static atomic_uint observed_set;

static void expect_ok(const char *path, const char *args)
{
    int64_t code = sh_run(path, args);

    cr_assert_eq(code, 0, "%s failed at line %ld (the call returned %ld)", path, (long)code,
                 (long)sh_last_got);
}

/* Reads the caller's argument string: up to NHANDLES hex handles. */
static unsigned args_handles(uint64_t argp, int64_t h[NHANDLES])
{
    char s[EXO_ARGS_MAX];
    char *p = s, *end;
    unsigned n = 0;

    for (size_t i = 0; i < sizeof(s); i++) {
        upeek(&s[i], argp + i, 1);
        if (s[i] == '\0')
            break;
    }
    s[sizeof(s) - 1] = '\0';
    while (n < NHANDLES) {
        uint64_t v = strtoull(p, &end, 16);

        if (end == p)
            break;
        h[n++] = (int64_t)v;
        p = end;
    }
    return n;
}

/* Appends handle h to the argument string s. */
static void args_add(char *s, size_t len, int64_t h)
{
    size_t n = strlen(s);

    snprintf(s + n, len - n, "%s%lx", n ? " " : "", (unsigned long)h);
}

/* Sends (w0, w1, 0, 0) on ep. */
static int64_t u_send(int64_t ep, uint64_t w0, uint64_t w1)
{
    struct exo_ipc_msg m = { .w = { w0, w1, 0, 0 } };

    upoke(MSG, &m, sizeof(m));
    return SC2(SYS_ipc_send, ep, MSG);
}

/* Receives on ep into *m. */
static int64_t u_recv(int64_t ep, struct exo_ipc_msg *m)
{
    int64_t r = SC2(SYS_ipc_recv, ep, RCV);

    upeek(m, RCV, sizeof(*m));
    return r;
}

/* Calls ep with (w0, w1, 0, 0); the reply lands in *reply. */
static int64_t u_call(int64_t ep, uint64_t w0, uint64_t w1, struct exo_ipc_msg *reply)
{
    struct exo_ipc_msg m = { .w = { w0, w1, 0, 0 } };
    int64_t r;

    upoke(MSG, &m, sizeof(m));
    r = SC3(SYS_ipc_call, ep, MSG, RCV);
    upeek(reply, RCV, sizeof(*reply));
    return r;
}

/* Replies (w0, w1, 0, 0). */
static int64_t u_reply(uint64_t w0, uint64_t w1)
{
    struct exo_ipc_msg m = { .w = { w0, w1, 0, 0 } };

    upoke(MSG, &m, sizeof(m));
    return SC1(SYS_ipc_reply, MSG);
}

/* The caller's own CAP_T_ENV capability (env_create made it), or 0. */
static int64_t self_cap(void)
{
    struct exo_cap_info ci[32];
    int64_t n = SC3(SYS_cap_list, OUT, 32, 0), me = SC0(SYS_env_self);

    upeek(ci, OUT, sizeof(ci));
    for (int64_t i = 0; i < n; i++) {
        if (ci[i].type == CAP_T_ENV && ci[i].object == (uint64_t)me)
            return (int64_t)ci[i].handle;
    }
    return 0;
}

/* Creates the child at path, gives it copies of the n capabilities in
 * caps with rights, starts it with their handles as arguments and returns
 * its CAP_T_ENV handle (0 on failure). A label level above 0 is set
 * before the start. */
static int64_t spawn(const char *path, const int64_t *caps, unsigned n, uint32_t rights,
                     unsigned level)
{
    char args[EXO_ARGS_MAX] = "";
    int64_t c = SC3(SYS_env_create, PATH(path), 0);

    if (c <= 0)
        return 0;
    if (level != 0 && SC3(SYS_env_set_label, c, level, 0) != 0)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        int64_t g = SC5(SYS_cap_grant, caps[i], c, rights, 0, 0);

        if (g <= 0)
            return 0;
        args_add(args, sizeof(args), g);
    }
    if (SC3(SYS_env_start, c, ustr(STR, args), strlen(args)) != 0)
        return 0;
    return c;
}

/* Waits for child c and returns its exit code (or a code no program uses). */
static int64_t reap(int64_t c)
{
    int64_t code = -7777;

    if (SC2(SYS_env_wait, c, OUT) <= 0)
        return -7777;
    upeek(&code, OUT, sizeof(code));
    return code;
}

/* ------------------------------------------------------------ call/reply */

#define ROUNDS 1000

/* Server: answers ROUNDS calls in order with (w0 + 1, w0 * w1), then
 * one stop message; exits 0 when the calls came in order, from one
 * caller, with the sum it expects. */
static void prog_echo_server(uint64_t argp)
{
    int64_t h[NHANDLES];
    struct exo_ipc_msg m;
    uint64_t caller = 0, sum = 0;

    UCHECK(args_handles(argp, h) == 1);
    for (uint64_t i = 0; i < ROUNDS; i++) {
        UEXPECT(u_recv(h[0], &m), 0);
        UCHECK(m.w[0] == i && m.w[1] == i * 7 + 3 && m.flags == EXO_IPC_CALL);
        UCHECK(caller == 0 || m.sender == caller);
        caller = m.sender;
        sum += m.w[0] + m.w[1];
        UEXPECT(u_reply(m.w[0] + 1, m.w[0] * m.w[1]), 0);
        UEXPECT(u_reply(0, 0), FB_ENOENT);            /* one-shot */
    }
    UEXPECT(u_recv(h[0], &m), 0);
    UCHECK(m.flags == 0 && m.w[0] == sum);
    SC1(SYS_env_exit, 0);
}

/* Client: ROUNDS calls, each reply checked, then the checksum sent. */
static void prog_echo_client(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), srv;
    struct exo_ipc_msg r;
    uint64_t sum = 0;

    (void)argp;
    UCHECK(ep > 0);
    srv = spawn("/bin/server", &ep, 1, CAP_R_RECV, 0);
    UCHECK(srv > 0);
    for (uint64_t i = 0; i < ROUNDS; i++) {
        UEXPECT(u_call(ep, i, i * 7 + 3, &r), 0);
        UCHECK(r.w[0] == i + 1 && r.w[1] == i * (i * 7 + 3) && r.flags == 0);
        UCHECK(r.sender != 0 && r.sender != (uint32_t)SC0(SYS_env_self));
        sum += i + i * 7 + 3;
    }
    UEXPECT(u_send(ep, sum, 0), 0);
    UEXPECT(reap(srv), 0);
    SC1(SYS_env_exit, 0);
}

Test(ipc, call_reply_round_trips_keep_order_and_payload, .init = boot, .fini = halt)
{
    struct ipc_endpoint_stats st;

    sh_install("/bin/server", prog_echo_server);
    sh_install("/bin/client", prog_echo_client);
    expect_ok("/bin/client", "");
    cr_assert_eq(ipc_endpoint_stats(0, &st), FB_OK);
    cr_assert_eq(st.messages, ROUNDS + 1, "every call and the checksum counted once, got %lu",
                 (unsigned long)st.messages);
    EXPECT_SETTLED();
}

/* ------------------------------------------------------------ blocking */

#define NAP_NS 20000000ull

/* Sleeps, then receives (7, 8) from the parent. */
static void prog_late_receiver(uint64_t argp)
{
    int64_t h[NHANDLES];
    struct exo_ipc_msg m;

    UCHECK(args_handles(argp, h) == 1);
    UEXPECT(SC1(SYS_sleep, NAP_NS), 0);
    UEXPECT(u_recv(h[0], &m), 0);
    UCHECK(m.w[0] == 7 && m.w[1] == 8 && m.w[2] == 0 && m.sender == 1);
    SC1(SYS_env_exit, 0);
}

static void prog_early_sender(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), c, t0;

    (void)argp;
    t0 = SC0(SYS_time_now);
    c = spawn("/bin/late", &ep, 1, CAP_R_RECV, 0);
    UCHECK(c > 0);
    UEXPECT(u_send(ep, 7, 8), 0);
    UCHECK(SC0(SYS_time_now) - t0 >= (int64_t)NAP_NS);   /* held until the receiver came */
    UEXPECT(reap(c), 0);
    SC1(SYS_env_exit, 0);
}

Test(ipc, send_blocks_until_a_receiver_takes_the_message, .init = boot, .fini = halt)
{
    sh_install("/bin/late", prog_late_receiver);
    sh_install("/bin/early", prog_early_sender);
    expect_ok("/bin/early", "");
    EXPECT_SETTLED();
}

/* Sleeps, then sends (5, 6). */
static void prog_late_sender(uint64_t argp)
{
    int64_t h[NHANDLES];

    UCHECK(args_handles(argp, h) == 1);
    UEXPECT(SC1(SYS_sleep, NAP_NS), 0);
    UEXPECT(u_send(h[0], 5, 6), 0);
    SC1(SYS_env_exit, 0);
}

static void prog_early_receiver(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), c, t0;
    struct exo_ipc_msg m;

    (void)argp;
    t0 = SC0(SYS_time_now);
    c = spawn("/bin/late", &ep, 1, CAP_R_SEND, 0);
    UCHECK(c > 0);
    UEXPECT(u_recv(ep, &m), 0);
    UCHECK(SC0(SYS_time_now) - t0 >= (int64_t)NAP_NS);
    UCHECK(m.w[0] == 5 && m.w[1] == 6 && m.flags == 0);
    UCHECK(m.sender == (uint32_t)SC0(SYS_env_self) + 1);   /* the child's id */
    UEXPECT(reap(c), 0);
    SC1(SYS_env_exit, 0);
}

Test(ipc, recv_blocks_until_a_sender_comes, .init = boot, .fini = halt)
{
    sh_install("/bin/late", prog_late_sender);
    sh_install("/bin/early", prog_early_receiver);
    expect_ok("/bin/early", "");
    EXPECT_SETTLED();
}

/* ------------------------------------------------------------ lattice */

/* Sender of the send matrix: at each level i (raising its own label),
 * sends (i, j) on endpoint j for every j; allowed exactly when i <= j. */
static void prog_matrix_sender(uint64_t argp)
{
    int64_t h[NHANDLES], me = self_cap();

    UCHECK(args_handles(argp, h) == 16 && me > 0);
    for (unsigned i = 0; i < 16; i++) {
        UEXPECT(SC3(SYS_env_set_label, me, i, 0), 0);
        for (unsigned j = 0; j < 16; j++)
            UEXPECT(u_send(h[j], i, j), i <= j ? 0 : FB_EPERM);
    }
    SC1(SYS_env_exit, 0);
}

/* Receiver of the send matrix (level 15): takes them in the same order. */
static void prog_matrix_sink(uint64_t argp)
{
    int64_t h[NHANDLES];
    struct exo_ipc_msg m;

    UCHECK(args_handles(argp, h) == 16);
    for (unsigned i = 0; i < 16; i++) {
        for (unsigned j = i; j < 16; j++) {
            UEXPECT(u_recv(h[j], &m), 0);
            UCHECK(m.w[0] == i && m.w[1] == j);
        }
    }
    SC1(SYS_env_exit, 0);
}

/* Receiver of the receive matrix: at each level i, receives on endpoint
 * j for every j; allowed exactly when j <= i. */
static void prog_matrix_receiver(uint64_t argp)
{
    int64_t h[NHANDLES], me = self_cap();
    struct exo_ipc_msg m;

    UCHECK(args_handles(argp, h) == 16 && me > 0);
    for (unsigned i = 0; i < 16; i++) {
        UEXPECT(SC3(SYS_env_set_label, me, i, 0), 0);
        for (unsigned j = 0; j < 16; j++) {
            UEXPECT(u_recv(h[j], &m), j <= i ? 0 : FB_EPERM);
            UCHECK(j > i || (m.w[0] == i && m.w[1] == j));
        }
    }
    SC1(SYS_env_exit, 0);
}

/* Sender of the receive matrix (level 0): feeds it in the same order. */
static void prog_matrix_source(uint64_t argp)
{
    int64_t h[NHANDLES];

    UCHECK(args_handles(argp, h) == 16);
    for (unsigned i = 0; i < 16; i++) {
        for (unsigned j = 0; j <= i; j++)
            UEXPECT(u_send(h[j], i, j), 0);
    }
    SC1(SYS_env_exit, 0);
}

/* Parent: 16 endpoints at levels 0..15; argument "send" or "recv" picks
 * the matrix. */
static void prog_matrix(uint64_t argp)
{
    int64_t ep[16], a, b;
    char mode;

    upeek(&mode, argp, 1);
    for (unsigned j = 0; j < 16; j++) {
        ep[j] = SC2(SYS_ipc_endpoint_create, j, 0);
        UCHECK(ep[j] > 0);
    }
    if (mode == 's') {
        a = spawn("/bin/msender", ep, 16, CAP_R_SEND, 0);
        b = spawn("/bin/msink", ep, 16, CAP_R_RECV, 15);
    } else {
        a = spawn("/bin/mreceiver", ep, 16, CAP_R_RECV, 0);
        b = spawn("/bin/msource", ep, 16, CAP_R_SEND, 0);
    }
    UCHECK(a > 0 && b > 0);
    UEXPECT(reap(a), 0);
    UEXPECT(reap(b), 0);
    SC1(SYS_env_exit, 0);
}

static void install_matrix(void)
{
    sh_install("/bin/msender", prog_matrix_sender);
    sh_install("/bin/msink", prog_matrix_sink);
    sh_install("/bin/mreceiver", prog_matrix_receiver);
    sh_install("/bin/msource", prog_matrix_source);
    sh_install("/bin/matrix", prog_matrix);
}

Test(ipc, send_is_allowed_exactly_when_sender_label_is_below_endpoint_for_all_level_pairs,
     .init = boot, .fini = halt)
{
    struct ipc_endpoint_stats st;

    install_matrix();
    expect_ok("/bin/matrix", "send");
    for (unsigned j = 0; j < 16; j++) {
        cr_assert_eq(ipc_endpoint_stats(j, &st), FB_OK);
        cr_assert_eq(st.label.level, j);
        cr_assert_eq(st.denied, 15 - j, "endpoint %u: %u senders above it denied, got %lu", j,
                     15 - j, (unsigned long)st.denied);
        cr_assert_eq(st.messages, j + 1, "endpoint %u: %u messages, got %lu", j, j + 1,
                     (unsigned long)st.messages);
    }
    EXPECT_SETTLED();
}

Test(ipc, recv_is_allowed_exactly_when_endpoint_label_is_below_receiver_for_all_level_pairs,
     .init = boot, .fini = halt)
{
    struct ipc_endpoint_stats st;

    install_matrix();
    expect_ok("/bin/matrix", "recv");
    for (unsigned j = 0; j < 16; j++) {
        cr_assert_eq(ipc_endpoint_stats(j, &st), FB_OK);
        cr_assert_eq(st.denied, j, "endpoint %u: %u receivers below it denied, got %lu", j, j,
                     (unsigned long)st.denied);
        cr_assert_eq(st.messages, 16 - j, "endpoint %u: %u messages, got %lu", j, 16 - j,
                     (unsigned long)st.messages);
    }
    EXPECT_SETTLED();
}

/* Categories count too: an endpoint without the sender's category is
 * below it; endpoints may not be created below their creator. */
static void prog_categories(uint64_t argp)
{
    int64_t me = self_cap(), low, high;
    struct exo_ipc_msg r;

    (void)argp;
    low = SC2(SYS_ipc_endpoint_create, 3, 0x1);
    high = SC2(SYS_ipc_endpoint_create, 3, 0x3);
    UCHECK(me > 0 && low > 0 && high > 0);
    UEXPECT(SC3(SYS_env_set_label, me, 3, 0x2), 0);
    UEXPECT(u_send(low, 1, 2), FB_EPERM);       /* category 1 would flow into {0} */
    UEXPECT(u_call(low, 1, 2, &r), FB_EPERM);
    UEXPECT(SC2(SYS_ipc_endpoint_create, 2, 0x2), FB_EPERM);  /* a lower level */
    UEXPECT(SC2(SYS_ipc_endpoint_create, 3, 0x1), FB_EPERM);  /* category 1 missing */
    UEXPECT(SC2(SYS_ipc_endpoint_create, 16, 0), FB_EINVAL);
    UCHECK(SC2(SYS_ipc_endpoint_create, 3, 0x2) > 0);
    UEXPECT(SC1(SYS_cap_delete, high), 0);
    SC1(SYS_env_exit, 0);
}

Test(ipc, categories_take_part_in_flow_control_and_creation, .init = boot, .fini = halt)
{
    struct ipc_endpoint_stats st;

    sh_install("/bin/cats", prog_categories);
    expect_ok("/bin/cats", "");
    cr_assert_eq(ipc_endpoint_stats(0, &st), FB_OK);
    cr_assert_eq(st.denied, 2, "the send and the call were counted, got %lu",
                 (unsigned long)st.denied);
    EXPECT_SETTLED();
}

/* ------------------------------------------------------------ gas */

/* Sends until the budget runs out: two sends fit, the third must fail
 * at once with FB_ENOGAS and leave the budget untouched. */
static void prog_poor_sender(uint64_t argp)
{
    int64_t h[NHANDLES], me = self_cap();
    struct exo_env_info info;

    UCHECK(args_handles(argp, h) == 1);
    UEXPECT(u_send(h[0], 1, 0), 0);
    UEXPECT(u_send(h[0], 2, 0), 0);
    UEXPECT(u_send(h[0], 3, 0), FB_ENOGAS);
    UEXPECT(u_send(h[0], 3, 0), FB_ENOGAS);
    UEXPECT(SC2(SYS_env_info, me, OUT), 0);
    upeek(&info, OUT, sizeof(info));
    UCHECK(info.gas == IPC_GAS_SEND - 1);
    SC1(SYS_env_exit, 0);
}

static void prog_gas(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), c, g;
    struct exo_ipc_msg m;
    char args[EXO_ARGS_MAX] = "";

    (void)argp;
    c = SC3(SYS_env_create, PATH("/bin/poor"), 0);
    g = SC5(SYS_cap_grant, ep, c, CAP_R_SEND, 0, 0);
    UCHECK(c > 0 && g > 0);
    UEXPECT(SC2(SYS_env_set_gas, c, 3 * IPC_GAS_SEND - 1), 0);
    args_add(args, sizeof(args), g);
    UEXPECT(SC3(SYS_env_start, c, ustr(STR, args), strlen(args)), 0);
    UEXPECT(u_recv(ep, &m), 0);
    UCHECK(m.w[0] == 1);
    UEXPECT(u_recv(ep, &m), 0);
    UCHECK(m.w[0] == 2);
    UEXPECT(reap(c), 0);      /* it ended: FB_ENOGAS never blocked */
    SC1(SYS_env_exit, 0);
}

Test(ipc, exhausted_gas_fails_with_enogas_without_blocking_or_sending, .init = boot,
     .fini = halt)
{
    struct ipc_endpoint_stats st;

    sh_install("/bin/poor", prog_poor_sender);
    sh_install("/bin/gas", prog_gas);
    expect_ok("/bin/gas", "");
    cr_assert_eq(ipc_endpoint_stats(0, &st), FB_OK);
    cr_assert_eq(st.messages, 2, "only the paid-for messages went, got %lu",
                 (unsigned long)st.messages);
    cr_assert_eq(st.blocked_senders, 0);
    EXPECT_SETTLED();
}

/* ------------------------------------------------------------ endpoint death */

/* Sends on an endpoint nobody receives on; reports what the send
 * returned through its exit code (0 for FB_ESTALE). */
static void prog_stuck_sender(uint64_t argp)
{
    int64_t h[NHANDLES];

    UCHECK(args_handles(argp, h) == 1);
    UEXPECT(u_send(h[0], 1, 2), FB_ESTALE);
    UEXPECT(u_send(h[0], 1, 2), FB_EREVOKED);   /* its copy died with the root */
    SC1(SYS_env_exit, 0);
}

static void prog_destroyer(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), c;
    struct exo_ipc_msg m;

    (void)argp;
    c = spawn("/bin/stuck", &ep, 1, CAP_R_SEND, 0);
    UCHECK(c > 0);
    UEXPECT(SC1(SYS_sleep, NAP_NS), 0);
    UEXPECT(SC1(SYS_cap_delete, ep), 0);
    UEXPECT(reap(c), 0);
    UEXPECT(u_recv(ep, &m), FB_ESTALE);
    SC1(SYS_env_exit, 0);
}

Test(ipc, deleting_the_root_wakes_a_blocked_sender_with_estale, .init = boot, .fini = halt)
{
    sh_install("/bin/stuck", prog_stuck_sender);
    sh_install("/bin/destroyer", prog_destroyer);
    expect_ok("/bin/destroyer", "");
    EXPECT_SETTLED();
}

/* Blocks in recv; what it got goes to the probe (it is an orphan). */
static void prog_orphan_receiver(uint64_t argp)
{
    int64_t h[NHANDLES];
    struct exo_ipc_msg m;

    UCHECK(args_handles(argp, h) == 1);
    atomic_store(&observed, u_recv(h[0], &m));
    atomic_store(&observed_set, 1);
    SC1(SYS_env_exit, 0);
}

/* Owns the endpoint and leaves while the child waits on it. */
static void prog_leaver(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), c;

    (void)argp;
    c = spawn("/bin/orphan", &ep, 1, CAP_R_RECV, 0);
    UCHECK(c > 0);
    UEXPECT(SC1(SYS_sleep, NAP_NS), 0);
    SC1(SYS_env_exit, 0);
}

Test(ipc, owner_exit_wakes_a_blocked_receiver_with_estale, .init = boot, .fini = halt)
{
    sh_install("/bin/orphan", prog_orphan_receiver);
    sh_install("/bin/leaver", prog_leaver);
    expect_ok("/bin/leaver", "");
    cr_assert(harness_wait_for(&observed_set, 1, 5000), "the receiver never woke");
    cr_assert_eq(atomic_load(&observed), FB_ESTALE, "recv returned %ld",
                 (long)atomic_load(&observed));
    EXPECT_SETTLED();
}

/* Takes one call and ends without replying. */
static void prog_rude_server(uint64_t argp)
{
    int64_t h[NHANDLES];
    struct exo_ipc_msg m;

    UCHECK(args_handles(argp, h) == 1);
    UEXPECT(u_recv(h[0], &m), 0);
    UCHECK(m.flags == EXO_IPC_CALL && m.w[0] == 9);
    SC1(SYS_env_exit, 0);
}

static void prog_jilted_caller(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), c;
    struct exo_ipc_msg r;

    (void)argp;
    c = spawn("/bin/rude", &ep, 1, CAP_R_RECV, 0);
    UCHECK(c > 0);
    UEXPECT(u_call(ep, 9, 0, &r), FB_ESTALE);
    UEXPECT(reap(c), 0);
    SC1(SYS_env_exit, 0);
}

Test(ipc, a_server_ending_without_reply_fails_the_call_with_estale, .init = boot, .fini = halt)
{
    sh_install("/bin/rude", prog_rude_server);
    sh_install("/bin/jilted", prog_jilted_caller);
    expect_ok("/bin/jilted", "");
    EXPECT_SETTLED();
}

/* Blocks in recv until killed. */
static void prog_patient(uint64_t argp)
{
    int64_t h[NHANDLES];
    struct exo_ipc_msg m;

    UCHECK(args_handles(argp, h) == 1);
    u_recv(h[0], &m);
    SC1(SYS_env_exit, 0);
}

static void prog_impatient(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), c;

    (void)argp;
    c = spawn("/bin/patient", &ep, 1, CAP_R_RECV, 0);
    UCHECK(c > 0);
    UEXPECT(SC1(SYS_sleep, NAP_NS), 0);
    UEXPECT(SC1(SYS_env_kill, c), 0);
    UEXPECT(reap(c), EXO_EXIT_KILLED);
    SC1(SYS_env_exit, 0);
}

Test(ipc, kill_reaches_an_environment_blocked_in_recv, .init = boot, .fini = halt)
{
    struct ipc_endpoint_stats st;

    sh_install("/bin/patient", prog_patient);
    sh_install("/bin/impatient", prog_impatient);
    expect_ok("/bin/impatient", "");
    cr_assert_eq(ipc_endpoint_stats(0, &st), FB_OK);
    cr_assert_eq(st.blocked_receivers, 0, "the killed receiver left the queue");
    EXPECT_SETTLED();
}

/* ------------------------------------------------------------ bad input */

/* Sends (4, 4) once. */
static void prog_one_sender(uint64_t argp)
{
    int64_t h[NHANDLES];

    UCHECK(args_handles(argp, h) == 1);
    UEXPECT(u_send(h[0], 4, 4), 0);
    SC1(SYS_env_exit, 0);
}

static void prog_bad_pointers(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), c;
    struct exo_ipc_msg m = { .w = { 1 }, .flags = 2 };

    (void)argp;
    UEXPECT(SC2(SYS_ipc_send, ep, BAD_KERNEL), FB_EFAULT);
    UEXPECT(SC2(SYS_ipc_send, ep, 0), FB_EFAULT);
    UEXPECT(SC3(SYS_ipc_call, ep, BAD_KERNEL, RCV), FB_EFAULT);
    UEXPECT(SC3(SYS_ipc_call, ep, MSG, BAD_KERNEL), FB_EFAULT);   /* nothing sent */
    UEXPECT(SC3(SYS_ipc_call, ep, MSG, SH_TEXT), FB_EFAULT);      /* read-only page */
    UEXPECT(SC1(SYS_ipc_reply, BAD_KERNEL), FB_EFAULT);
    upoke(MSG, &m, sizeof(m));
    UEXPECT(SC2(SYS_ipc_send, ep, MSG), FB_EINVAL);              /* flags must be 0 */
    UEXPECT(SC1(SYS_ipc_reply, MSG), FB_EINVAL);
    m.flags = 0;
    upoke(MSG, &m, sizeof(m));
    UEXPECT(SC1(SYS_ipc_reply, MSG), FB_ENOENT);                 /* nobody to answer */
    /* A receive with a bad buffer takes nothing: the sender's message
     * is still there for the next receive. */
    c = spawn("/bin/one", &ep, 1, CAP_R_SEND, 0);
    UCHECK(c > 0);
    UEXPECT(SC1(SYS_sleep, NAP_NS), 0);
    UEXPECT(SC2(SYS_ipc_recv, ep, BAD_KERNEL), FB_EFAULT);
    UEXPECT(SC2(SYS_ipc_recv, ep, SH_TEXT), FB_EFAULT);
    UEXPECT(u_recv(ep, &m), 0);
    UCHECK(m.w[0] == 4 && m.w[1] == 4);
    UEXPECT(reap(c), 0);
    SC1(SYS_env_exit, 0);
}

Test(ipc, bad_pointers_fail_with_efault_and_lose_no_message, .init = boot, .fini = halt)
{
    struct ipc_endpoint_stats st;

    sh_install("/bin/one", prog_one_sender);
    sh_install("/bin/badptr", prog_bad_pointers);
    expect_ok("/bin/badptr", "");
    cr_assert_eq(ipc_endpoint_stats(0, &st), FB_OK);
    cr_assert_eq(st.messages, 1, "only the good receive took a message, got %lu",
                 (unsigned long)st.messages);
    EXPECT_SETTLED();
}

static void prog_rights(uint64_t argp)
{
    int64_t ep = SC2(SYS_ipc_endpoint_create, 0, 0), no_send, no_recv, no_call, user, child;
    struct exo_ipc_msg m;

    (void)argp;
    no_send = SC4(SYS_cap_derive, ep, CAP_R_RECV | CAP_R_CALL, 0, 0);
    no_recv = SC4(SYS_cap_derive, ep, CAP_R_SEND | CAP_R_CALL, 0, 0);
    no_call = SC4(SYS_cap_derive, ep, CAP_R_SEND | CAP_R_RECV, 0, 0);
    user = SC3(SYS_cap_create, CAP_T_USER, 5, CAP_R_ALL);
    UCHECK(no_send > 0 && no_recv > 0 && no_call > 0 && user > 0);
    UEXPECT(u_send(no_send, 1, 1), FB_EPERM);
    UEXPECT(u_recv(no_recv, &m), FB_EPERM);
    UEXPECT(u_call(no_call, 1, 1, &m), FB_EPERM);
    UEXPECT(u_send(user, 1, 1), FB_EINVAL);       /* not an endpoint */
    UEXPECT(u_recv(user, &m), FB_EINVAL);
    UEXPECT(u_call(user, 1, 1, &m), FB_EINVAL);
    child = SC3(SYS_env_create, PATH("/bin/one"), 0);
    UCHECK(child > 0);
    UEXPECT(u_send(child, 1, 1), FB_EINVAL);      /* an environment */
    UEXPECT(SC1(SYS_env_kill, child), 0);
    UCHECK(reap(child) == EXO_EXIT_KILLED);
    UEXPECT(u_send(0, 1, 1), FB_EBADCAP);
    UEXPECT(u_recv(ep + 1000, &m), FB_EBADCAP);
    UEXPECT(SC1(SYS_cap_delete, ep), 0);
    UEXPECT(u_send(ep, 1, 1), FB_ESTALE);
    UEXPECT(u_recv(no_recv, &m), FB_EREVOKED);
    SC1(SYS_env_exit, 0);
}

Test(ipc, wrong_rights_and_wrong_types_are_refused, .init = boot, .fini = halt)
{
    struct ipc_endpoint_stats st;

    sh_install("/bin/one", prog_one_sender);
    sh_install("/bin/rights", prog_rights);
    expect_ok("/bin/rights", "");
    cr_assert_eq(ipc_endpoint_stats(0, &st), FB_OK);
    cr_assert_eq(st.denied, 0, "a missing right is no lattice denial, got %lu",
                 (unsigned long)st.denied);
    cr_assert_eq(st.messages, 0);
    EXPECT_SETTLED();
}
