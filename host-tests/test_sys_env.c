/* Environment, CPU and file syscalls through the real entry path: a
 * parent program creating, starting, waiting for, killing and granting
 * to children; the scheduler calls; the VFS calls with a descriptor
 * table per environment. Programs exit 0 when every check held, else with
 * the line of the first failed one. */
#include <criterion/criterion.h>

#include "sys_harness.h"

#define BAD_KERNEL 0xffff800000001000ull
#define STR        (SH_DATA + 1024)     /* where programs put their strings */
#define OUT        (SH_DATA + 2048)     /* where the kernel writes results */
#define PATH(s)    ustr(STR, (s)), strlen(s)

static void boot(void) { sh_boot(); }

static void halt(void) { sh_halt(); }

/* Every test ends with this: nothing may be left behind. */
#define EXPECT_SETTLED() cr_assert(sh_settled(), "an environment or user frame leaked")

static void expect_ok(const char *path, const char *args)
{
    int64_t code = sh_run(path, args);

    cr_assert_eq(code, 0, "%s failed at line %ld (the call returned %ld)", path, (long)code,
                 (long)sh_last_got);
}

/* A child that exits with 40 + the length of its argument string. */
static void prog_child(uint64_t argp)
{
    char s[64];
    size_t n = 0;

    upeek(s, argp, 1);
    while (n < sizeof(s) - 1 && s[n] != '\0') {
        n++;
        upeek(&s[n], argp + n, 1);
    }
    SC1(SYS_env_exit, 40 + (int64_t)n);
}

/* A child that waits to be killed (sleeping in short naps). */
static void prog_sleeper(uint64_t argp)
{
    (void)argp;
    for (;;)
        SC1(SYS_sleep, 1000000);
}

/* The parent: create, start, wait, info, and every error on the way. */
static void prog_parent(uint64_t argp)
{
    struct exo_env_info info;
    int64_t c, code = 0, id;

    (void)argp;
    UEXPECT(SC3(SYS_env_create, PATH("/bin/none"), 0), FB_ENOENT);
    UEXPECT(SC3(SYS_env_create, PATH("/bin"), 0), FB_EINVAL);       /* a directory */
    UEXPECT(SC3(SYS_env_create, PATH("/bin/child"), 1), FB_EINVAL); /* flags */
    UEXPECT(SC3(SYS_env_create, BAD_KERNEL, 5, 0), FB_EFAULT);
    UEXPECT(SC3(SYS_env_create, STR, 0, 0), FB_EINVAL);
    UEXPECT(SC3(SYS_env_create, STR, EXO_PATH_MAX + 1, 0), FB_ERANGE);
    UEXPECT(SC3(SYS_env_create, PATH("/etc/notelf"), 0), FB_ETRUNC); /* shorter than a header */
    c = SC3(SYS_env_create, PATH("/bin/child"), 0);
    UCHECK(c > 0);
    UEXPECT(SC2(SYS_env_info, c, OUT), 0);
    upeek(&info, OUT, sizeof(info));
    UCHECK(info.state == EXO_ENV_CREATED && info.parent == (uint32_t)SC0(SYS_env_self));
    UEXPECT(SC2(SYS_env_set_personality, c, EXO_PERS_LINUX), 0);
    UEXPECT(SC2(SYS_env_set_personality, c, 9), FB_EINVAL);
    UEXPECT(SC3(SYS_env_set_label, c, 3, 0x1), 0);
    UEXPECT(SC3(SYS_env_set_label, c, 2, 0x1), FB_EPERM);          /* labels only rise */
    UEXPECT(SC3(SYS_env_set_label, c, 16, 0), FB_EINVAL);
    UEXPECT(SC2(SYS_env_set_gas, c, -1), FB_EINVAL);
    UEXPECT(SC3(SYS_cap_list, OUT, 1, 0), 1);                     /* its own env capability */
    UEXPECT(SC2(SYS_env_set_gas, ((struct exo_cap_info *)uaddr(OUT))->handle, 1u << 30),
            FB_EPERM);                                             /* not its own budget */
    UEXPECT(SC2(SYS_env_set_gas, c, 500), 0);
    UEXPECT(SC3(SYS_env_start, c, BAD_KERNEL, 3), FB_EFAULT);
    UEXPECT(SC3(SYS_env_start, c, STR, EXO_ARGS_MAX), FB_ERANGE);
    UEXPECT(SC3(SYS_env_start, c, ustr(STR, "abcd"), 4), 0);
    UEXPECT(SC2(SYS_env_wait, c, BAD_KERNEL), FB_EFAULT);
    id = SC2(SYS_env_wait, c, OUT);
    UCHECK(id == info.id);
    upeek(&code, OUT, sizeof(code));
    UCHECK(code == 44);
    UEXPECT(SC2(SYS_env_wait, c, OUT), FB_ESTALE);                /* reaped, handle gone */
    UEXPECT(SC2(SYS_env_info, c, OUT), FB_ESTALE);
    /* One that is running (until killed) cannot be started again or
     * change personality. */
    c = SC3(SYS_env_create, PATH("/bin/sleeper"), 0);
    UEXPECT(SC3(SYS_env_start, c, STR, 0), 0);
    UEXPECT(SC3(SYS_env_start, c, STR, 0), FB_EBUSY);
    UEXPECT(SC2(SYS_env_set_personality, c, EXO_PERS_NATIVE), FB_EBUSY);
    UEXPECT(SC1(SYS_env_kill, c), 0);
    UCHECK(SC2(SYS_env_wait, c, OUT) > 0);
    SC1(SYS_env_exit, 0);
}

Test(sys_env, parent_creates_starts_and_reaps_a_child, .init = boot, .fini = halt)
{
    vfs_handle_t h;
    size_t put;

    sh_install("/bin/child", prog_child);
    sh_install("/bin/sleeper", prog_sleeper);
    sh_install("/bin/parent", prog_parent);
    cr_assert_eq(vfs_mkdir(&sh_fs, "/etc", 0755, NULL), FB_OK);
    cr_assert_eq(vfs_create(&sh_fs, "/etc/notelf", 0644, &h), FB_OK);
    cr_assert_eq(vfs_write(&sh_fs, h, 0, "hello, not an ELF", 17, &put), FB_OK);
    expect_ok("/bin/parent", "");
    EXPECT_SETTLED();
}

/* A child that computes forever without a system call; the timer's
 * return to user mode is where a kill reaches it. */
static void prog_spinner(uint64_t argp)
{
    (void)argp;
    for (;;)
        hal_host_user_return();
}

static void prog_spin_killer(uint64_t argp)
{
    int64_t c = SC3(SYS_env_create, PATH("/bin/spinner"), 0), code = 0;

    (void)argp;
    UEXPECT(SC3(SYS_env_start, c, STR, 0), 0);
    UEXPECT(SC1(SYS_sleep, 2000000), 0);
    UEXPECT(SC1(SYS_env_kill, c), 0);
    UCHECK(SC2(SYS_env_wait, c, OUT) > 0);
    upeek(&code, OUT, sizeof(code));
    UCHECK(code == EXO_EXIT_KILLED);
    SC1(SYS_env_exit, 0);
}

Test(sys_env, kill_reaches_a_child_that_makes_no_syscalls, .init = boot, .fini = halt)
{
    sh_install("/bin/spinner", prog_spinner);
    sh_install("/bin/spinkill", prog_spin_killer);
    expect_ok("/bin/spinkill", "");
    EXPECT_SETTLED();
}

/* Kill a created child, then a running one; the killed report -1001. */
static void prog_killer(uint64_t argp)
{
    int64_t a, b, code = 0;

    (void)argp;
    a = SC3(SYS_env_create, PATH("/bin/sleeper"), 0);
    UCHECK(a > 0);
    UEXPECT(SC1(SYS_env_kill, a), 0);
    UEXPECT(SC3(SYS_env_start, a, STR, 0), FB_ESTALE);            /* it ended */
    UCHECK(SC2(SYS_env_wait, a, OUT) > 0);
    upeek(&code, OUT, sizeof(code));
    UCHECK(code == EXO_EXIT_KILLED);
    b = SC3(SYS_env_create, PATH("/bin/sleeper"), 0);
    UEXPECT(SC3(SYS_env_start, b, STR, 0), 0);
    UEXPECT(SC1(SYS_sleep, 5000000), 0);
    UEXPECT(SC1(SYS_env_kill, b), 0);
    UCHECK(SC2(SYS_env_wait, b, OUT) > 0);
    upeek(&code, OUT, sizeof(code));
    UCHECK(code == EXO_EXIT_KILLED);
    UEXPECT(SC1(SYS_env_kill, 0), FB_EBADCAP);
    SC1(SYS_env_exit, 0);
}

Test(sys_env, kill_ends_created_and_running_children, .init = boot, .fini = halt)
{
    sh_install("/bin/sleeper", prog_sleeper);
    sh_install("/bin/killer", prog_killer);
    expect_ok("/bin/killer", "");
    EXPECT_SETTLED();
}

/* A parent that exits without waiting leaves no trace once the orphan
 * ends. */
static void prog_deserter(uint64_t argp)
{
    int64_t c = SC3(SYS_env_create, PATH("/bin/child"), 0);

    (void)argp;
    UCHECK(c > 0);
    UEXPECT(SC3(SYS_env_start, c, STR, 0), 0);
    c = SC3(SYS_env_create, PATH("/bin/child"), 0);   /* never started */
    UCHECK(c > 0);
    SC1(SYS_env_exit, 0);
}

Test(sys_env, orphans_are_reaped_by_the_kernel, .init = boot, .fini = halt)
{
    sh_install("/bin/child", prog_child);
    sh_install("/bin/deserter", prog_deserter);
    expect_ok("/bin/deserter", "");
    EXPECT_SETTLED();
}

/* cap_grant hands a child an attenuated copy; env capabilities need
 * WRITE to grant through. */
static void prog_granter(uint64_t argp)
{
    int64_t c = SC3(SYS_env_create, PATH("/bin/child"), 0), root, ro, given;

    (void)argp;
    root = SC3(SYS_cap_create, CAP_T_USER, 9, CAP_R_ALL);
    UCHECK(c > 0 && root > 0);
    given = SC5(SYS_cap_grant, root, c, CAP_R_READ, 0, 0);
    UCHECK(given > 0);
    UEXPECT(SC5(SYS_cap_grant, root, c, CAP_R_READ, 16, 0), FB_EINVAL);
    UEXPECT(SC5(SYS_cap_grant, root, root, CAP_R_READ, 0, 0), FB_EINVAL); /* not an env */
    ro = SC4(SYS_cap_derive, c, CAP_R_READ, 0, 0);
    UCHECK(ro > 0);
    UEXPECT(SC5(SYS_cap_grant, root, ro, CAP_R_READ, 0, 0), FB_EPERM);
    UEXPECT(SC1(SYS_env_kill, ro), FB_EPERM);
    UEXPECT(SC1(SYS_env_kill, c), 0);
    UCHECK(SC2(SYS_env_wait, c, OUT) > 0);
    SC1(SYS_env_exit, 0);
}

Test(sys_env, grant_reaches_the_child_attenuated, .init = boot, .fini = halt)
{
    sh_install("/bin/child", prog_child);
    sh_install("/bin/granter", prog_granter);
    expect_ok("/bin/granter", "");
    EXPECT_SETTLED();
}

/* The CPU group: yield, sleep, sched_info, cpu_stats, and the calls that
 * need a CPU capability (this environment has none). */
static void prog_cpu(uint64_t argp)
{
    struct exo_sched_info si;
    int64_t t0, t1;

    (void)argp;
    UEXPECT(SC0(SYS_yield), 0);
    t0 = SC0(SYS_time_now);
    UEXPECT(SC1(SYS_sleep, 20000000), 0);
    t1 = SC0(SYS_time_now);
    UCHECK(t1 - t0 >= 20000000);
    UEXPECT(SC1(SYS_sleep, 61000000000ull), FB_EINVAL);
    UEXPECT(SC1(SYS_sched_info, OUT), 0);
    upeek(&si, OUT, sizeof(si));
    UCHECK(si.cpus == SH_CPUS + 1 && strcmp(si.policy, "rr") == 0 && si.slice_ns > 0);
    UEXPECT(SC2(SYS_cpu_stats, 1, OUT), 0);
    UEXPECT(SC2(SYS_cpu_stats, SH_CPUS + 1, OUT), FB_EINVAL);
    UEXPECT(SC2(SYS_cpu_stats, 1, BAD_KERNEL), FB_EFAULT);
    UEXPECT(SC3(SYS_sched_switch, 0, PATH("stride")), FB_EBADCAP);
    UEXPECT(SC2(SYS_cpu_bind, 0, 1), FB_EBADCAP);
    UEXPECT(SC1(SYS_irq_poll, 0), FB_EBADCAP);
    UEXPECT(SC1(SYS_dma_info, BAD_KERNEL), FB_EFAULT);
    UEXPECT(SC1(SYS_yield_to, 0), FB_EBADCAP);
    SC1(SYS_env_exit, 0);
}

Test(sys_env, cpu_calls_check_their_arguments, .init = boot, .fini = halt)
{
    sh_install("/bin/cpu", prog_cpu);
    expect_ok("/bin/cpu", "");
    EXPECT_SETTLED();
}

/* With a CPU capability: live policy switches and binding. */
static void prog_sched(uint64_t argp)
{
    struct exo_sched_info si;
    int64_t cpu = SC3(SYS_cap_list, OUT, 4, 0), weak;
    struct exo_cap_info ci[4];

    (void)argp;
    UCHECK(cpu == 2);
    upeek(ci, OUT, sizeof(ci[0]) * 2);
    cpu = ci[0].type == CAP_T_CPU ? (int64_t)ci[0].handle : (int64_t)ci[1].handle;
    UEXPECT(SC3(SYS_sched_switch, cpu, PATH("stride")), 0);
    UEXPECT(SC1(SYS_sched_info, OUT), 0);
    upeek(&si, OUT, sizeof(si));
    UCHECK(strcmp(si.policy, "stride") == 0);
    UEXPECT(SC3(SYS_sched_switch, cpu, PATH("lottery")), FB_ENOENT);
    UEXPECT(SC3(SYS_sched_switch, cpu, STR, 0), FB_EINVAL);
    UEXPECT(SC3(SYS_sched_switch, cpu, STR, 16), FB_EINVAL);
    UEXPECT(SC3(SYS_sched_switch, cpu, PATH("rr")), 0);
    weak = SC4(SYS_cap_derive, cpu, CAP_R_READ, 0, 0);
    UEXPECT(SC3(SYS_sched_switch, weak, PATH("prio")), FB_EPERM);
    UEXPECT(SC2(SYS_cpu_bind, cpu, 0), FB_EINVAL);
    UEXPECT(SC2(SYS_cpu_bind, cpu, 1ull << 40), FB_EINVAL);
    UEXPECT(SC2(SYS_cpu_bind, cpu, 1ull << 2), 0);
    UEXPECT(SC0(SYS_yield), 0);
    SC1(SYS_env_exit, 0);
}

/* The kernel thread of the test: like sh_run, with a CPU capability. */
static atomic_uint sched_done;
static int64_t sched_code;

static void sched_job(void *arg)
{
    struct env *e;
    cap_handle_t h;

    (void)arg;
    if (env_create_path(NULL, "/bin/sched", &e, NULL) != FB_OK ||
        cap_create(&e->caps, CAP_T_CPU, 0, CAP_R_ALL, e->label, &h) != FB_OK ||
        env_start(e, "", 0) != FB_OK || env_wait(e, &sched_code) <= 0)
        sched_code = -1;
    atomic_store(&sched_done, 1);
}

Test(sys_env, cpu_capability_switches_policy_and_binds, .init = boot, .fini = halt)
{
    struct sched_thread t;

    sh_install("/bin/sched", prog_sched);
    cr_assert_eq(harness_spawn(&t, "job", sched_job, NULL, NULL), 0);
    cr_assert(harness_wait_for(&sched_done, 1, 10000), "the program did not end");
    cr_assert_eq(sched_code, 0, "failed at line %ld (got %ld)", (long)sched_code,
                 (long)sh_last_got);
    while (!sched_thread_done(&t))
        harness_sleep_ms(1);
    harness_reap(&t);
    EXPECT_SETTLED();
}

/* A frame granted to and mapped by a child outlives its owner: the
 * parent exits first, the orphaned child still reads the frame, and the
 * frame is freed with the child's mapping (EXPECT_SETTLED). */
static _Atomic int mapper_saw = -1;
static struct umem_facts mapper_facts;   /* the frame's record, seen by the orphan */
static int mapper_facts_err = 1;

static void prog_mapper(uint64_t argp)
{
    struct exo_env_info info;
    char arg[24] = { 0 };
    uint64_t h = 0;
    char c = 0;

    for (size_t i = 0; i < sizeof(arg) - 1; i++) {
        upeek(&arg[i], argp + i, 1);   /* the string ends at the stack's top */
        if (arg[i] < '0' || arg[i] > '9')
            break;
        h = h * 10 + (uint64_t)(arg[i] - '0');
    }
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH, h, EXO_PROT_READ), 0);
    do {
        UEXPECT(SC1(SYS_sleep, 1000000), 0);
        UEXPECT(SC2(SYS_env_info, 0, OUT), 0);
        upeek(&info, OUT, sizeof(info));
    } while (info.parent != 0);   /* until the owner has exited */
    upeek(&c, SH_SCRATCH + 5, 1);
    /* Introspection only the host allows: the kernel's record of it. */
    UEXPECT(SC2(SYS_mem_query, SH_SCRATCH, OUT), 0);
    mapper_facts_err = umem_info(((struct exo_mem_query *)uaddr(OUT))->pa & ~4095ull,
                                 &mapper_facts);
    atomic_store(&mapper_saw, c);
    SC1(SYS_env_exit, 0);
}

static void prog_owner(uint64_t argp)
{
    char num[24];
    int64_t child = SC3(SYS_env_create, PATH("/bin/mapper"), 0), f, given;
    int n = 0;

    (void)argp;
    f = SC1(SYS_frame_alloc, 0);
    UCHECK(child > 0 && f > 0);
    UEXPECT(SC3(SYS_mem_map, SH_SCRATCH, f, EXO_PROT_READ | EXO_PROT_WRITE), 0);
    upoke(SH_SCRATCH + 5, "Z", 1);
    UEXPECT(SC1(SYS_mem_unmap, SH_SCRATCH), 0);
    given = SC5(SYS_cap_grant, f, child, CAP_R_READ | CAP_R_MAP, 0, 0);
    UCHECK(given > 0);
    for (uint64_t v = (uint64_t)given, d = 1; d <= v; d *= 10)
        n++;
    for (int i = n - 1, v = 0; i >= 0; i--, v++) {
        uint64_t p = 1;

        for (int k = 0; k < v; k++)
            p *= 10;
        num[i] = (char)('0' + (uint64_t)given / p % 10);
    }
    num[n] = '\0';
    UEXPECT(SC3(SYS_env_start, child, ustr(STR, num), n), 0);
    /* Wait until the child has mapped the frame (its first syscall) and
     * gone to sleep (its second); then the frame cannot go. */
    for (;;) {
        struct exo_env_info info;

        UEXPECT(SC2(SYS_env_info, child, OUT), 0);
        upeek(&info, OUT, sizeof(info));
        if (info.syscalls >= 2)
            break;
        UEXPECT(SC1(SYS_sleep, 1000000), 0);
    }
    UEXPECT(SC1(SYS_frame_free, f), FB_EBUSY);   /* mapped by the child */
    SC1(SYS_env_exit, 0);
}

Test(sys_env, granted_frame_outlives_its_owner_while_mapped, .init = boot, .fini = halt)
{
    sh_install("/bin/mapper", prog_mapper);
    sh_install("/bin/owner", prog_owner);
    expect_ok("/bin/owner", "");
    for (int tries = 0; atomic_load(&mapper_saw) < 0 && tries < 5000; tries++)
        harness_sleep_ms(1);
    cr_assert_eq(atomic_load(&mapper_saw), 'Z', "the orphaned child read %d", atomic_load(&mapper_saw));
    cr_assert_eq(mapper_facts_err, FB_OK, "expected the frame still recorded after its owner left");
    cr_assert(mapper_facts.owner == 0 && mapper_facts.maps == 1 && mapper_facts.with_cap,
              "expected an orphan mapped once, got owner %u maps %u", mapper_facts.owner,
              mapper_facts.maps);
    EXPECT_SETTLED();
}
