/* Specification of core/irq: device lines handed out through CAP_T_IRQ
 * capabilities, driven by the host HAL's simulated lines (tests raise
 * them as a device would). */
#include <criterion/criterion.h>

#include "cap.h"
#include "expect.h"
#include "hal/cpu.h"
#include "hal/irqline.h"
#include "hal_host.h"
#include "hal_host_irqline.h"
#include "irq.h"
#include "lattice.h"

#define LINE 5u
#define SLOTS 64u

static _Alignas(64) struct cap_slot kslots[SLOTS], eslots[SLOTS];
static struct cap_table kernel_table, env_table;
static cap_handle_t root;   /* the kernel's capability for LINE */

/* Fresh tables, a root capability for LINE in the kernel table, and the
 * IRQ module and simulated lines back at their boot state. */
static void setup(void)
{
    hal_host_irqline_reset();
    expect(hal_host_set_cpu_count(2), FB_OK);
    expect(cap_table_init(&kernel_table, kslots, SLOTS, lattice_top()), FB_OK);
    expect(cap_table_init(&env_table, eslots, SLOTS, lattice_top()), FB_OK);
    expect(cap_create(&kernel_table, CAP_T_IRQ, LINE, CAP_R_ALL, lattice_bottom(), &root), FB_OK);
    expect(irq_init(), FB_OK);
}

/* A capability for LINE granted to the environment's table with rights. */
static cap_handle_t grant(cap_rights_t rights)
{
    cap_handle_t h;

    expect(cap_grant(&kernel_table, root, &env_table, rights, lattice_bottom(), &h), FB_OK);
    return h;
}

/* One line's statistics. */
static struct irq_stats stats_of(unsigned line)
{
    struct irq_stats st;

    expect(irq_stats(line, &st), FB_OK);
    return st;
}


Test(irq, lines_start_masked_and_unbound, .init = setup)
{
    struct irq_stats st = stats_of(LINE);

    cr_assert(hal_host_irqline_masked(LINE), "expected lines masked after irq_init");
    cr_assert(!st.bound, "expected no binding after irq_init");
}

Test(irq, bind_routes_and_unmasks_the_line, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);

    expect(irq_bind(&env_table, h, 1), FB_OK);
    cr_assert(!hal_host_irqline_masked(LINE), "expected the bound line unmasked");
    cr_assert_eq(hal_host_irqline_cpu(LINE), 1u, "expected the line routed to CPU 1");
    cr_assert(stats_of(LINE).bound, "expected irq_stats to show the binding");
    cr_assert_eq(stats_of(LINE).binds, 1u, "expected one bind counted");
}

Test(irq, bind_needs_the_recv_right, .init = setup)
{
    cap_handle_t h = grant(CAP_R_READ | CAP_R_WRITE);

    expect(irq_bind(&env_table, h, 0), FB_EPERM);
    cr_assert(hal_host_irqline_masked(LINE), "expected a refused bind to leave the line masked");
}

Test(irq, bind_refuses_a_capability_of_another_type, .init = setup)
{
    cap_handle_t mem;

    expect(cap_create(&env_table, CAP_T_MEMORY, LINE, CAP_R_ALL, lattice_bottom(), &mem), FB_OK);
    expect(irq_bind(&env_table, mem, 0), FB_EINVAL);
}

Test(irq, bind_refuses_a_line_the_hal_does_not_have, .init = setup)
{
    cap_handle_t h;

    expect(cap_create(&env_table, CAP_T_IRQ, HAL_HOST_IRQ_LINES, CAP_R_ALL, lattice_bottom(), &h),
           FB_OK);
    expect(irq_bind(&env_table, h, 0), FB_EINVAL);
    expect(cap_create(&env_table, CAP_T_IRQ, UINT64_MAX, CAP_R_ALL, lattice_bottom(), &h), FB_OK);
    expect(irq_bind(&env_table, h, 0), FB_EINVAL);
}

Test(irq, bind_refuses_a_cpu_that_is_not_up, .init = setup)
{
    expect(irq_bind(&env_table, grant(CAP_R_RECV), hal_cpu_count()), FB_EINVAL);
}

Test(irq, bind_refuses_bad_handles, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);

    expect(irq_bind(&env_table, CAP_HANDLE_NONE, 0), FB_EBADCAP);
    expect(irq_bind(NULL, h, 0), FB_EINVAL);
    expect(cap_delete(&env_table, h), FB_OK);
    expect(irq_bind(&env_table, h, 0), FB_ESTALE);
}

Test(irq, a_bound_line_cannot_be_bound_twice, .init = setup)
{
    cap_handle_t a = grant(CAP_R_RECV);
    cap_handle_t b = grant(CAP_R_RECV);

    expect(irq_bind(&env_table, a, 0), FB_OK);
    expect(irq_bind(&env_table, b, 0), FB_EBUSY);
    expect(irq_bind(&env_table, a, 0), FB_EBUSY);
}

Test(irq, interrupt_is_pending_and_masks_the_line_until_ack, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);
    uint32_t n = 0;

    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(hal_host_irqline_raise(LINE), FB_OK);
    cr_assert(hal_host_irqline_masked(LINE), "expected the handler to mask the line");
    cr_assert_eq(stats_of(LINE).pending, 1u, "expected one pending interrupt");
    expect(irq_poll(&env_table, h, &n), FB_OK);
    cr_assert_eq(n, 1u, "expected poll to take one interrupt, got %u", n);
    expect(irq_poll(&env_table, h, &n), FB_EAGAIN);
    expect(irq_ack(&env_table, h), FB_OK);
    cr_assert(!hal_host_irqline_masked(LINE), "expected ack to unmask the line");
    cr_assert_eq(stats_of(LINE).delivered, 1u, "expected one delivered interrupt counted");
}

Test(irq, an_edge_while_masked_is_delivered_at_ack, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);
    uint32_t n = 0;

    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(hal_host_irqline_raise(LINE), FB_OK);
    expect(irq_wait(&env_table, h, &n), FB_OK);   /* pending: returns at once */
    expect(hal_host_irqline_raise(LINE), FB_OK);  /* masked: latched */
    expect(irq_poll(&env_table, h, &n), FB_EAGAIN);
    expect(irq_ack(&env_table, h), FB_OK);
    expect(irq_poll(&env_table, h, &n), FB_OK);
    cr_assert_eq(n, 1u, "expected the latched edge after ack");
}

Test(irq, wait_returns_pending_interrupts_without_blocking, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);
    uint32_t n = 0;

    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(hal_host_irqline_raise(LINE), FB_OK);
    expect(irq_wait(&env_table, h, &n), FB_OK);
    cr_assert_eq(n, 1u, "expected one interrupt from irq_wait");
    cr_assert_eq(stats_of(LINE).pending, 0u, "expected irq_wait to take the pending count");
}

Test(irq, an_unbound_line_interrupt_is_dropped_and_counted, .init = setup)
{
    uint64_t before = irq_dropped_total();

    expect(hal_irqline_unmask(LINE), FB_OK);   /* a misbehaving unmask */
    expect(hal_host_irqline_raise(LINE), FB_OK);
    cr_assert_eq(stats_of(LINE).dropped, 1u, "expected the interrupt counted as dropped");
    cr_assert_eq(irq_dropped_total(), before + 1, "expected the global drop count to grow");
    cr_assert(hal_host_irqline_masked(LINE), "expected the unbound line masked again");
}

Test(irq, only_the_binding_capability_may_ack_wait_or_unbind, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);
    cap_handle_t other = grant(CAP_R_RECV);
    uint32_t n;

    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(irq_ack(&env_table, other), FB_EPERM);
    expect(irq_poll(&env_table, other, &n), FB_EPERM);
    expect(irq_unbind(&env_table, other), FB_EPERM);
    expect(irq_unbind(&kernel_table, root), FB_EPERM);
    expect(irq_unbind(&env_table, h), FB_OK);
    expect(irq_unbind(&env_table, h), FB_ENOENT);
    expect(irq_ack(&env_table, h), FB_ENOENT);
}

Test(irq, unbind_masks_and_forgets_pending_interrupts, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);
    uint32_t n;

    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(hal_host_irqline_raise(LINE), FB_OK);
    expect(irq_unbind(&env_table, h), FB_OK);
    cr_assert(hal_host_irqline_masked(LINE), "expected unbind to mask the line");
    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(irq_poll(&env_table, h, &n), FB_EAGAIN);
}

Test(irq, revoking_the_binding_capability_frees_the_line, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);
    cap_handle_t again;

    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(cap_revoke(&kernel_table, root), FB_OK);
    cr_assert(!stats_of(LINE).bound, "expected a revoked binding not to count as bound");
    expect(hal_host_irqline_raise(LINE), FB_OK);
    cr_assert_eq(stats_of(LINE).dropped, 1u, "expected the interrupt of a dead binding dropped");
    cr_assert_eq(stats_of(LINE).delivered, 0u, "expected nothing delivered to a dead binding");
    expect(irq_ack(&env_table, h), FB_EREVOKED);
    again = grant(CAP_R_RECV);
    expect(irq_bind(&env_table, again, 0), FB_OK);
}

Test(irq, a_dead_binding_gives_way_to_a_new_bind_before_any_interrupt, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);

    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(cap_delete(&env_table, h), FB_OK);
    expect(irq_bind(&kernel_table, root, 1), FB_OK);
    cr_assert_eq(hal_host_irqline_cpu(LINE), 1u, "expected the new binding's route");
}

Test(irq, stats_refuses_bad_arguments, .init = setup)
{
    struct irq_stats st;

    expect(irq_stats(IRQ_MAX_LINES, &st), FB_EINVAL);
    expect(irq_stats(0, NULL), FB_EINVAL);
}

Test(irq, lines_are_independent, .init = setup)
{
    cap_handle_t a, b;
    uint32_t n;

    expect(cap_create(&env_table, CAP_T_IRQ, 3, CAP_R_RECV, lattice_bottom(), &a), FB_OK);
    expect(cap_create(&env_table, CAP_T_IRQ, 4, CAP_R_RECV, lattice_bottom(), &b), FB_OK);
    expect(irq_bind(&env_table, a, 0), FB_OK);
    expect(irq_bind(&env_table, b, 0), FB_OK);
    expect(hal_host_irqline_raise(4), FB_OK);
    expect(irq_poll(&env_table, a, &n), FB_EAGAIN);
    expect(irq_poll(&env_table, b, &n), FB_OK);
}

/* ---- blocking: irq_wait inside scheduled threads on one simulated CPU */

#include "exo_sched.h"

#define STACK 65536

static struct sched_thread waiter, device;
static _Alignas(16) unsigned char waiter_stack[STACK], device_stack[STACK];
static cap_handle_t waiter_cap;
static int wait_result;
static uint32_t wait_count;
/* What the device thread does once the waiter sleeps. */
static void (*device_action)(void);

/* Body of the waiting thread: one irq_wait. */
static void waiter_main(void *arg)
{
    (void)arg;
    wait_result = irq_wait(&env_table, waiter_cap, &wait_count);
}

/* Body of the device thread: lets the waiter block first, then acts. */
static void device_main(void *arg)
{
    (void)arg;
    while (waiter.state != SCHED_BLOCKED)
        sched_yield_cpu();
    device_action();
}

/* Runs the waiter and the device on CPU 0 (the test's thread) until both
 * are done, with the line bound to waiter_cap. */
static void run_waiter_and_device(void (*action)(void))
{
    expect(hal_host_set_cpu_count(1), FB_OK);
    expect(sched_init(NULL, 0), FB_OK);
    waiter_cap = grant(CAP_R_RECV);
    expect(irq_bind(&env_table, waiter_cap, 0), FB_OK);
    wait_result = 1;
    wait_count = 0;
    device_action = action;
    expect(sched_thread_create(&waiter, "waiter", waiter_main, NULL, waiter_stack, STACK, NULL),
           FB_OK);
    expect(sched_thread_create(&device, "device", device_main, NULL, device_stack, STACK, NULL),
           FB_OK);
    expect(sched_thread_start(&waiter), FB_OK);
    expect(sched_thread_start(&device), FB_OK);
    sched_shutdown();
    sched_cpu_run();
}

/* Device actions. */
static void raise_line(void) { expect(hal_host_irqline_raise(LINE), FB_OK); }
static void unbind_line(void) { expect(irq_unbind(&env_table, waiter_cap), FB_OK); }
static void revoke_then_raise(void)
{
    expect(cap_revoke(&kernel_table, root), FB_OK);
    expect(hal_host_irqline_raise(LINE), FB_OK);
}

Test(irq, wait_blocks_until_the_interrupt_arrives, .init = setup)
{
    run_waiter_and_device(raise_line);
    expect(wait_result, FB_OK);
    cr_assert_eq(wait_count, 1u, "expected the waiter to take one interrupt, got %u", wait_count);
}

Test(irq, unbind_wakes_a_waiter_with_enoent, .init = setup)
{
    run_waiter_and_device(unbind_line);
    expect(wait_result, FB_ENOENT);
}

Test(irq, a_waiter_whose_capability_was_revoked_wakes_at_the_next_interrupt, .init = setup)
{
    run_waiter_and_device(revoke_then_raise);
    expect(wait_result, FB_EREVOKED);
    cr_assert_eq(stats_of(LINE).delivered, 0u, "expected nothing delivered to a revoked binding");
}

Test(irq, wait_outside_a_scheduled_thread_with_nothing_pending_is_refused, .init = setup)
{
    cap_handle_t h = grant(CAP_R_RECV);

    expect(irq_bind(&env_table, h, 0), FB_OK);
    expect(irq_wait(&env_table, h, NULL), FB_EPERM);
}
