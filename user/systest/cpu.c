/* systest group "cpu" and "time": yield, yield_to, cpu_bind,
 * sched_switch (switched and switched back), sched_info, sleep,
 * sched_set_param, cpu_stats, time_now, time_info, time_ticks. */
#include "systest.h"

#define MS 1000000ull
#define SLEEP_MAX_NS 60000000000ull

static uint64_t all_cpus;           /* mask of every CPU up */
static char policy[16];             /* the policy to restore */

/* Handle-suite wrappers. */
static int64_t h_yield_to(cap_handle_t h) { return exo_yield_to(h); }
static int64_t h_bind(cap_handle_t h) { return exo_cpu_bind(h, all_cpus); }
static int64_t h_switch(cap_handle_t h) { return exo_sched_switch(h, policy, strlen(policy)); }
static int64_t h_param(cap_handle_t h) { return exo_sched_set_param(h, 3, 100); }

/* sched_info, and the CPU count everything below relies on. */
static uint32_t test_info(void)
{
    struct exo_sched_info si;

    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_sched_info((struct exo_sched_info *)bad_out[i]), FB_EFAULT);
    }
    check_note(NULL, 0);
    if (CHECK(exo_sched_info(&si), FB_OK) != FB_OK)
        return 1;
    CHECK_TRUE(si.cpus >= 1 && si.cpus <= 64 && si.slice_ns > 0);
    CHECK_TRUE(strcmp(si.policy, "rr") == 0 || strcmp(si.policy, "prio") == 0 ||
               strcmp(si.policy, "stride") == 0);
    strlcpy(policy, si.policy, sizeof policy);
    return si.cpus;
}

/* cpu_bind and sched_switch with the CPU capability init handed down. */
static void test_cpu_cap(uint32_t cpus)
{
    static const char *const names[] = { "rr", "prio", "stride" };
    struct exo_cap_info cpu;
    struct exo_sched_info si;

    if (!CHECK_TRUE(find_cap(CAP_T_CPU, &cpu) == FB_OK))
        return;   /* started without init's grant: nothing to switch with */
    all_cpus = cpus >= 64 ? ~0ull : (1ull << cpus) - 1;
    CHECK(exo_cpu_bind(cpu.handle, 1), FB_OK);
    CHECK(exo_cpu_bind(cpu.handle, 0), FB_EINVAL);
    if (cpus < 64)
        CHECK(exo_cpu_bind(cpu.handle, 1ull << 63), FB_EINVAL);
    CHECK(exo_cpu_bind(cpu.handle, all_cpus), FB_OK);
    CHECK_HANDLES(h_bind, cpu.handle, CAP_R_WRITE, HANDLE_TYPED);

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        check_note("policy", i);
        CHECK(exo_sched_switch(cpu.handle, names[i], strlen(names[i])), FB_OK);
        if (CHECK(exo_sched_info(&si), FB_OK) == FB_OK)
            CHECK_TRUE(strcmp(si.policy, names[i]) == 0);
        exo_yield();                   /* run a little under each policy */
    }
    check_note(NULL, 0);
    CHECK(exo_sched_switch(cpu.handle, "bogus", 5), FB_ENOENT);
    CHECK(exo_sched_switch(cpu.handle, "rrr", 2), FB_OK);      /* only len bytes count */
    CHECK2(exo_sched_switch(cpu.handle, "rr", 0), FB_EINVAL, FB_ENOENT);
    for (size_t i = 0; i < n_bad_in; i++) {
        check_note("policy", bad_in[i]);
        CHECK(exo_sched_switch(cpu.handle, (const char *)bad_in[i], 2), FB_EFAULT);
    }
    check_note(NULL, 0);
    CHECK_HANDLES(h_switch, cpu.handle, CAP_R_WRITE, HANDLE_TYPED);
    CHECK(exo_sched_switch(cpu.handle, policy, strlen(policy)), FB_OK);
    if (CHECK(exo_sched_info(&si), FB_OK) == FB_OK)
        CHECK_TRUE(strcmp(si.policy, policy) == 0);
}

/* yield, yield_to and sched_set_param on children. */
static void test_children(void)
{
    cap_handle_t s = make_child(__FILE__, __LINE__, "spin");
    cap_handle_t c = make_child(__FILE__, __LINE__, "hello");

    CHECK(exo_yield(), FB_OK);
    if (c != 0) {
        CHECK(exo_yield_to(c), FB_EAGAIN);                 /* not started: not runnable */
        CHECK_HANDLES(h_yield_to, c, CAP_R_READ, HANDLE_TYPED);
        CHECK(exo_sched_set_param(c, 5, 100), FB_OK);
        CHECK(exo_sched_set_param(c, 16, 100), FB_EINVAL);
        CHECK(exo_sched_set_param(c, 5, 0), FB_EINVAL);
        CHECK(exo_sched_set_param(c, 5, 65536), FB_OK);              /* SCHED_MAX_TICKETS */
        CHECK(exo_sched_set_param(c, 5, 65537), FB_EINVAL);
        CHECK(exo_syscall3(SYS_sched_set_param, c, HI | 5, 100), FB_EINVAL);
        CHECK_HANDLES(h_param, c, CAP_R_WRITE, HANDLE_TYPED);
    }
    if (s != 0 && CHECK(exo_env_start(s, "", 0), FB_OK) == FB_OK) {
        CHECK2(exo_yield_to(s), FB_OK, FB_EAGAIN);         /* EAGAIN: it was running elsewhere */
        CHECK(exo_sched_set_param(s, 0, 1), FB_OK);
    }
    drop_child(s);
    drop_child(c);
}

/* sleep and the clocks. */
static void test_time(uint32_t cpus)
{
    struct exo_time_info ti;
    struct exo_cpu_stats cs;

    int64_t t0 = CHECK_OK(exo_time_now());
    CHECK(exo_sleep(2 * MS), FB_OK);
    int64_t t1 = CHECK_OK(exo_time_now());
    CHECK_TRUE(t1 - t0 >= (int64_t)(2 * MS));
    CHECK(exo_sleep(0), FB_OK);
    CHECK(exo_sleep(SLEEP_MAX_NS + 1), FB_EINVAL);
    CHECK(exo_sleep(UINT64_MAX), FB_EINVAL);
    CHECK_TRUE(exo_time_now() >= t1);

    for (size_t i = 0; i < n_bad_out; i++) {
        check_note("out", bad_out[i]);
        CHECK(exo_time_info((struct exo_time_info *)bad_out[i]), FB_EFAULT);
        CHECK(exo_cpu_stats(0, (struct exo_cpu_stats *)bad_out[i]), FB_EFAULT);
    }
    check_note(NULL, 0);
    if (CHECK(exo_time_info(&ti), FB_OK) == FB_OK) {
        CHECK_TRUE(ti.now_ns >= (uint64_t)t1 && ti.tick_ns > 0);
        int64_t k0 = CHECK_OK(exo_time_ticks());
        CHECK(exo_sleep(3 * ti.tick_ns), FB_OK);
        CHECK_TRUE(exo_time_ticks() > k0);
    }
    for (uint32_t c = 0; c < cpus; c++) {
        check_note("cpu", c);
        CHECK(exo_cpu_stats(c, &cs), FB_OK);
    }
    check_note(NULL, 0);
    CHECK(exo_cpu_stats(cpus, &cs), FB_EINVAL);
    CHECK(exo_syscall2(SYS_cpu_stats, HI, (uintptr_t)&cs), FB_EINVAL);
}

/* The group. */
void test_cpu(void)
{
    uint32_t cpus = test_info();

    test_cpu_cap(cpus);
    test_children();
    test_time(cpus);
}
