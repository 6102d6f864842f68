/* systest group "dev": interrupt lines (irq_*), DMA buffers (dma_*),
 * the console (console_*), and the numbers that have no syscall: the
 * reserved IPC block, holes in the table and numbers past its end. */
#include "systest.h"

#define CONSOLE_MAX 4096u

/* Handle-suite wrappers. */
static int64_t h_bind(cap_handle_t h)
{
    int64_t r = exo_irq_bind(h);

    if (r == FB_OK)
        exo_irq_unbind(h);
    return r;
}
static int64_t h_unbind(cap_handle_t h) { return exo_irq_unbind(h); }
static int64_t h_wait(cap_handle_t h) { return exo_irq_wait(h); }
static int64_t h_ack(cap_handle_t h) { return exo_irq_ack(h); }
static int64_t h_poll(cap_handle_t h) { return exo_irq_poll(h); }

/* The irq_* calls on the lines init handed down. An unbound line makes
 * irq_wait return at once (FB_ENOENT), so none of this can block. */
static void test_irq(void)
{
    struct cap_iter it;
    /* Zeroed only because GCC cannot see cap_iter_next's syscall fill it. */
    struct exo_cap_info c = { 0 };
    cap_handle_t line = 0;

    CHECK(exo_irq_bind(user_cap), FB_EINVAL);
    CHECK(exo_irq_poll(0), FB_EBADCAP);
    cap_iter_init(&it);
    while (line == 0 && cap_iter_next(&it, &c) == 1) {
        if (c.type != CAP_T_IRQ)
            continue;
        int64_t r = exo_irq_bind(c.handle);
        check_note("line", c.object);
        CHECK2(r, FB_OK, FB_EBUSY);                        /* EBUSY: the kernel keeps it */
        if (r == FB_OK)
            line = c.handle;
    }
    check_note(NULL, 0);
    if (line == 0) {
        printf("systest: note: no bindable interrupt line; irq_* only checked with bad handles\n");
        return;
    }
    CHECK(exo_irq_bind(line), FB_EBUSY);
    CHECK2(exo_irq_poll(line), FB_EAGAIN, WANT_OK);
    CHECK(exo_irq_ack(line), FB_OK);
    CHECK(exo_irq_unbind(line), FB_OK);
    CHECK(exo_irq_unbind(line), FB_ENOENT);
    CHECK(exo_irq_ack(line), FB_ENOENT);
    CHECK(exo_irq_poll(line), FB_ENOENT);
    CHECK(exo_irq_wait(line), FB_ENOENT);
    CHECK_HANDLES(h_bind, line, CAP_R_RECV, HANDLE_TYPED);
    CHECK_HANDLES(h_unbind, line, CAP_R_RECV, HANDLE_TYPED);
    CHECK_HANDLES(h_wait, line, CAP_R_RECV, HANDLE_TYPED);
    CHECK_HANDLES(h_ack, line, CAP_R_RECV, HANDLE_TYPED);
    CHECK_HANDLES(h_poll, line, CAP_R_RECV, HANDLE_TYPED);
}

/* dma_alloc, dma_free and dma_info; a kernel without a DMA zone must say
 * FB_ENOTSUP everywhere. */
static void test_dma(void)
{
    struct exo_dma_info before, after;
    struct exo_cap_info ci;
    uint64_t pa = 0;
    int64_t r = exo_dma_info(&before);

    if (r == FB_ENOTSUP) {
        CHECK(exo_dma_alloc(&pa), FB_ENOTSUP);
        printf("systest: note: no DMA zone; dma_* only checked for FB_ENOTSUP\n");
        return;
    }
    CHECK(r, FB_OK);
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_dma_info((struct exo_dma_info *)bad_out[i]), FB_EFAULT);
        CHECK(exo_dma_alloc((uint64_t *)bad_out[i]), FB_EFAULT);
    }
    check_note(NULL, 0);
    CHECK(exo_dma_info(&after), FB_OK);
    CHECK(after.in_use, before.in_use);                    /* the failures took nothing */

    int64_t buf = CHECK_OK(exo_dma_alloc(&pa));
    if (buf <= 0)
        return;
    CHECK_TRUE(pa != 0 && pa % PAGE == 0 && pa < (1ull << 32));
    if (CHECK(exo_cap_info((cap_handle_t)buf, &ci), FB_OK) == FB_OK)
        CHECK_TRUE(ci.type == CAP_T_DMA && ci.depth == 0 && ci.object == pa);
    CHECK(exo_dma_info(&after), FB_OK);
    CHECK(after.in_use, before.in_use + 1);
    CHECK(exo_mem_map(SCRATCH_DEV, (cap_handle_t)buf, EXO_PROT_READ | EXO_PROT_WRITE), FB_OK);
    ((volatile uint32_t *)SCRATCH_DEV)[0] = 0xd3a;
    CHECK(exo_dma_free((cap_handle_t)buf), FB_EBUSY);                /* mapped */
    CHECK(exo_cap_delete((cap_handle_t)buf), FB_EBUSY);
    int64_t copy = CHECK_OK(exo_cap_derive((cap_handle_t)buf, CAP_R_READ | CAP_R_MAP, 0, 0));
    CHECK(exo_mem_map(SCRATCH_DEV + PAGE, (cap_handle_t)copy, EXO_PROT_READ), FB_EPERM);
    CHECK(exo_mem_unmap(SCRATCH_DEV), FB_OK);
    int64_t frame = CHECK_OK(exo_frame_alloc(0));
    CHECK(exo_dma_free((cap_handle_t)frame), FB_EINVAL);
    exo_frame_free((cap_handle_t)frame);
    CHECK(exo_dma_free(user_cap), FB_EINVAL);
    CHECK(exo_dma_free(0), FB_EBADCAP);
    CHECK(exo_dma_free((cap_handle_t)buf), FB_OK);
    CHECK(exo_dma_free((cap_handle_t)buf), FB_ESTALE);
    CHECK(exo_dma_info(&after), FB_OK);
    CHECK(after.in_use, before.in_use);
}

/* console_write, console_log and console_read (never blocking). */
static void test_console(void)
{
    static const char line[] = "systest: console_write works\n";
    static char big[CONSOLE_MAX + 1];
    char in[16];

    memset((void *)edge_page, 0, PAGE);    /* a crossing write may print these bytes */
    CHECK(exo_console_write(line, sizeof line - 1), (int64_t)sizeof line - 1);
    CHECK(exo_console_write(line, 0), 0);
    CHECK(exo_console_write(big, CONSOLE_MAX + 1), FB_EINVAL);
    CHECK(exo_console_write(big, 1ull << 40), FB_EINVAL);
    CHECK(exo_console_write((const char *)(edge_page + PAGE - 4), 8), FB_EFAULT);
    CHECK(exo_console_log(1, "console_log works\n", 18), 18);
    CHECK(exo_console_log(4, "x\n", 2), FB_EINVAL);
    CHECK(exo_syscall3(SYS_console_log, HI | 1, (uintptr_t)"x\n", 2), FB_EINVAL);
    CHECK(exo_console_log(0, big, CONSOLE_MAX + 1), FB_EINVAL);
    for (size_t i = 0; i < n_bad_in; i++) {
        check_note("buf", bad_in[i]);
        CHECK(exo_console_write((const char *)bad_in[i], 8), FB_EFAULT);
        CHECK(exo_console_log(0, (const char *)bad_in[i], 8), FB_EFAULT);
    }
    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("buf", bad_out[i]);
        CHECK(exo_console_read((char *)bad_out[i], 8, EXO_CONSOLE_NONBLOCK), FB_EFAULT);
    }
    check_note(NULL, 0);
    int64_t n = CHECK_OK(exo_console_read(in, sizeof in, EXO_CONSOLE_NONBLOCK));
    CHECK_TRUE(n <= (int64_t)sizeof in);
    CHECK(exo_console_read(in, 0, EXO_CONSOLE_NONBLOCK), FB_EINVAL);
    CHECK(exo_console_read(big, CONSOLE_MAX + 1, EXO_CONSOLE_NONBLOCK), FB_EINVAL);
    CHECK(exo_console_read(in, sizeof in, 2), FB_EINVAL);
    CHECK(exo_syscall3(SYS_console_read, (uintptr_t)in, sizeof in, HI | EXO_CONSOLE_NONBLOCK),
          FB_EINVAL);
}

/* IPC's error paths (one environment: nothing here may block): every
 * check fails before a rendezvous. test_ipc.c covers the protocol. */
static void test_ipc(void)
{
    struct exo_ipc_msg m = { .w = { 1, 2, 3, 4 } }, bad = { .flags = 1 };
    const void *kaddr = (const void *)0xffff800000001000ull;
    int64_t ep, no_send;

    CHECK(exo_ipc_endpoint_create(16, 0), FB_EINVAL);
    ep = CHECK_OK(exo_ipc_endpoint_create(15, ~0ull));   /* above any label */
    CHECK(exo_ipc_send((cap_handle_t)ep, kaddr), FB_EFAULT);
    CHECK(exo_ipc_send((cap_handle_t)ep, &bad), FB_EINVAL);
    CHECK(exo_ipc_recv((cap_handle_t)ep, (struct exo_ipc_msg *)kaddr), FB_EFAULT);
    CHECK(exo_ipc_call((cap_handle_t)ep, &m, (struct exo_ipc_msg *)kaddr), FB_EFAULT);
    CHECK(exo_ipc_reply(&m), FB_ENOENT);
    CHECK(exo_ipc_reply(kaddr), FB_EFAULT);
    CHECK(exo_ipc_send(0, &m), FB_EBADCAP);
    no_send = CHECK_OK(exo_cap_derive((cap_handle_t)ep, CAP_R_RECV, 15, ~0ull));
    CHECK(exo_ipc_send((cap_handle_t)no_send, &m), FB_EPERM);
    CHECK(exo_ipc_call((cap_handle_t)no_send, &m, &m), FB_EPERM);
    CHECK(exo_cap_delete((cap_handle_t)ep), 0);
    CHECK(exo_ipc_send((cap_handle_t)ep, &m), FB_ESTALE);
    CHECK(exo_ipc_recv((cap_handle_t)no_send, &m), FB_EREVOKED);
}

/* Numbers without a syscall: each must give FB_ENOSYS, whatever the
 * arguments, and a number must not be cut to 32 bits on the way. */
static void test_nosys(void)
{
    static const uint64_t unknown[] = { 13, 14, 15, 25, 31, 42, 56, 69, 75, 88, 99, 107, 122,
                                        200, 9999, 1ull << 32, (1ull << 32) | SYS_null,
                                        (1ull << 32) | SYS_env_self, 1ull << 63, ~0ull };

    static const uint64_t reserved[] = { SYS_ipc_reply_recv, SYS_ipc_notify, SYS_ipc_notify_wait };

    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        uint64_t nr = reserved[i];

        check_note("nr", nr);
        CHECK(exo_syscall0(nr), FB_ENOSYS);
        CHECK(exo_syscall6(nr, 1, 2, 3, 4, 5, 6), FB_ENOSYS);
    }
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        check_note("nr", unknown[i]);
        CHECK(exo_syscall0(unknown[i]), FB_ENOSYS);
        CHECK(exo_syscall6(unknown[i], ~0ull, 0, 1, 0xffff800000000000ull, 5, 6), FB_ENOSYS);
    }
    check_note(NULL, 0);
}

/* The group. */
void test_dev(void)
{
    test_irq();
    test_dma();
    test_console();
    test_ipc();
    test_nosys();
}
