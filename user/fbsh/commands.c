/* fbsh's built-in commands. Each is a thin view of one or two syscalls;
 * errors are printed with the kernel's code name. */
#include "exo.h"
#include "fbsh.h"
#include "parse.h"

#define PS_MAX 64
#define READ_CHUNK 4096

/* Prints "fbsh: what: FB_E..." for a failed call; returns 1. */
static int fail(const char *what, int64_t err)
{
    printf("fbsh: %s: %s\n", what, fb_strerror((int)err));
    return 1;
}

/* Lists the built-ins. */
static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (const struct fbsh_command *c = fbsh_commands; c->name != NULL; c++)
        printf("  %-7s %-22s %s\n", c->name, c->usage, c->help);
    printf("  rights in 'caps': r read, w write, x exec, m map, s send, R recv,\n"
           "  c call, g grant, d derive, v revoke\n");
    return 0;
}

/* Prints the words after the command, one blank apart. */
static int cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "");
    printf("\n");
    return 0;
}

/* One-letter name of a node type. */
static char type_letter(uint32_t type)
{
    return type == EXO_S_DIR ? 'd' : type == EXO_S_SYMLINK ? 'l' : '-';
}

/* Prints one ls line for path, shown as name. */
static void ls_line(const char *path, const char *name)
{
    struct exo_stat st;
    int64_t r = exo_vfs_stat(path, strlen(path), &st);

    if (r < 0)
        printf("?  %10s  %s (%s)\n", "?", name, fb_strerror((int)r));
    else
        printf("%c %04o %10lu  %s%s\n", type_letter(st.type), (unsigned)st.mode,
               (unsigned long)st.size, name, st.type == EXO_S_DIR ? "/" : "");
}

/* Lists a directory (default "/"), or shows one file. */
static int cmd_ls(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/";
    struct exo_stat st;
    struct exo_dirent de;
    char path[EXO_PATH_MAX + 1];

    int64_t r = exo_vfs_stat(dir, strlen(dir), &st);
    if (r < 0)
        return fail(dir, r);
    if (st.type != EXO_S_DIR) {
        ls_line(dir, dir);
        return 0;
    }
    int64_t fd = exo_vfs_open(dir, strlen(dir), EXO_O_DIR);
    if (fd < 0)
        return fail(dir, fd);
    size_t dlen = strlen(dir);
    const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
    for (uint32_t i = 0;; i++) {
        r = exo_vfs_readdir((int32_t)fd, i, &de);
        if (r <= 0)
            break;
        if ((size_t)snprintf(path, sizeof path, "%s%s%s", dir, sep, de.name) >= sizeof path)
            printf("?  %10s  %s (path too long)\n", "?", de.name);
        else
            ls_line(path, de.name);
    }
    exo_vfs_close((int32_t)fd);
    return r < 0 ? fail("readdir", r) : 0;
}

/* Copies one file to the console. */
static int cat_one(const char *path)
{
    static char buf[READ_CHUNK];
    int64_t fd = exo_vfs_open(path, strlen(path), EXO_O_READ);
    int64_t n;

    if (fd < 0)
        return fail(path, fd);
    while ((n = exo_vfs_read((int32_t)fd, buf, sizeof buf)) > 0)
        exo_console_write(buf, (size_t)n);
    exo_vfs_close((int32_t)fd);
    return n < 0 ? fail(path, n) : 0;
}

/* Prints each file named. */
static int cmd_cat(int argc, char **argv)
{
    int rc = 0;

    if (argc < 2)
        return fail("cat", FB_EINVAL);
    for (int i = 1; i < argc; i++)
        rc |= cat_one(argv[i]);
    return rc;
}

/* Name of an environment state. */
static const char *state_name(uint32_t s)
{
    return s == EXO_ENV_CREATED ? "created" : s == EXO_ENV_RUNNING ? "running"
         : s == EXO_ENV_EXITED ? "exited" : "?";
}

/* Lists the live environments. */
static int cmd_ps(int argc, char **argv)
{
    static struct exo_env_info envs[PS_MAX];
    (void)argc;
    (void)argv;

    int64_t total = exo_env_list(envs, PS_MAX);
    if (total < 0)
        return fail("env_list", total);
    printf("%5s %6s %-8s %6s %12s  %s\n", "ID", "PARENT", "STATE", "PAGES", "RUNTIME(ms)", "NAME");
    int64_t shown = total < PS_MAX ? total : PS_MAX;
    for (int64_t i = 0; i < shown; i++) {
        const struct exo_env_info *e = &envs[i];
        printf("%5u %6u %-8s %6u %12lu  %.*s\n", e->id, e->parent, state_name(e->state), e->pages,
               (unsigned long)(e->runtime_ns / 1000000), EXO_NAME_MAX, e->name);
    }
    if (total > shown)
        printf("(%ld more)\n", (long)(total - shown));
    return 0;
}

/* Name of a capability type; user types as "user+N". */
static const char *cap_type_name(uint32_t type, char *buf, size_t size)
{
    static const char *const names[] = { "?", "memory", "endpoint", "irq", "dma", "env", "cpu",
                                         "file" };

    if (type < sizeof names / sizeof names[0])
        return names[type];
    if (type >= CAP_T_USER)
        snprintf(buf, size, "user+%u", type - CAP_T_USER);
    else
        snprintf(buf, size, "type%u", type);
    return buf;
}

/* The rights as a fixed 10-letter string, '-' for a missing right. */
static void rights_string(uint32_t rights, char out[11])
{
    static const char letters[] = "rwxmsRcgdv";

    for (int i = 0; i < 10; i++)
        out[i] = (rights & (1u << i)) != 0 ? letters[i] : '-';
    out[10] = '\0';
}

/* Lists the caller's capabilities. */
static int cmd_caps(int argc, char **argv)
{
    struct cap_iter it;
    /* Zeroed only because GCC cannot see cap_iter_next's syscall fill it. */
    struct exo_cap_info c = { 0 };
    char tname[16];
    char rights[11];
    int r;
    (void)argc;
    (void)argv;

    printf("%-18s %-9s %-18s %-10s %3s %5s\n", "HANDLE", "TYPE", "OBJECT", "RIGHTS", "LVL",
           "DEPTH");
    cap_iter_init(&it);
    while ((r = cap_iter_next(&it, &c)) == 1) {
        rights_string(c.rights, rights);
        printf("%#-18lx %-9s %#-18lx %-10s %3u %5u\n", (unsigned long)c.handle,
               cap_type_name(c.type, tname, sizeof tname), (unsigned long)c.object, rights,
               c.level, c.depth);
    }
    return r < 0 ? fail("cap_list", r) : 0;
}

/* Shows the scheduler; "sched rr|prio|stride" switches policy first,
 * with the CPU capability init granted this shell. */
static int cmd_sched(int argc, char **argv)
{
    struct exo_sched_info si;

    if (argc > 1) {
        struct exo_cap_info cpu;
        int err = find_cap(CAP_T_CPU, &cpu);
        if (err != FB_OK)
            return fail("no CPU capability", err);
        int64_t r = exo_sched_switch(cpu.handle, argv[1], strlen(argv[1]));
        if (r < 0)
            return fail(argv[1], r);
    }
    int64_t r = exo_sched_info(&si);
    if (r < 0)
        return fail("sched_info", r);
    printf("policy %.*s, %u cpu%s, slice %lu.%03lu ms\n", (int)sizeof si.policy, si.policy,
           si.cpus, si.cpus == 1 ? "" : "s", (unsigned long)(si.slice_ns / 1000000),
           (unsigned long)(si.slice_ns / 1000 % 1000));
    return 0;
}

/* Shows memory counts. */
static int cmd_mem(int argc, char **argv)
{
    struct exo_mem_stats m;
    (void)argc;
    (void)argv;

    int64_t r = exo_mem_stats(&m);
    if (r < 0)
        return fail("mem_stats", r);
    unsigned long kib = (unsigned long)(m.page_size / 1024);
    printf("free      %8lu pages (%lu KiB)\n", (unsigned long)m.free_pages, m.free_pages * kib);
    printf("user      %8lu pages of %lu allowed\n", (unsigned long)m.user_pages,
           (unsigned long)m.user_limit);
    printf("this env  %8lu pages owned, %lu mapped\n", (unsigned long)m.env_pages,
           (unsigned long)m.env_mapped);
    return 0;
}

/* Shows the time since boot. */
static int cmd_uptime(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int64_t ns = exo_time_now();
    int64_t ticks = exo_time_ticks();

    if (ns < 0)
        return fail("time_now", ns);
    uint64_t ms = (uint64_t)ns / 1000000;
    uint64_t s = ms / 1000;
    printf("up %lu:%02lu:%02lu.%03lu, %ld ticks\n", (unsigned long)(s / 3600),
           (unsigned long)(s / 60 % 60), (unsigned long)(s % 60), (unsigned long)(ms % 1000),
           (long)ticks);
    return 0;
}

/* Runs a program ("hello" means /bin/hello) with the remaining words as
 * its argument string, waits for it and prints its exit code. */
static int cmd_run(int argc, char **argv)
{
    char path[EXO_PATH_MAX + 1];
    char args[EXO_ARGS_MAX];
    size_t len = 0;
    int64_t code;

    if (argc < 2)
        return fail("run", FB_EINVAL);
    const char *prefix = strchr(argv[1], '/') != NULL ? "" : "/bin/";
    if ((size_t)snprintf(path, sizeof path, "%s%s", prefix, argv[1]) >= sizeof path)
        return fail(argv[1], FB_ERANGE);
    args[0] = '\0';
    for (int i = 2; i < argc; i++) {
        int n = snprintf(args + len, sizeof args - len, "%s%s", i > 2 ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof args - len)
            return fail("arguments", FB_ERANGE);
        len += (size_t)n;
    }
    int64_t env = spawn(path, args, true);
    if (env < 0)
        return fail(path, env);
    int64_t id = spawn_wait((cap_handle_t)env, &code);
    if (id < 0)
        return fail("env_wait", id);
    printf("[env %ld exited with code %ld]\n", (long)id, (long)code);
    return 0;
}

/* Leaves the shell with CODE (default 0). */
static int cmd_exit(int argc, char **argv)
{
    int64_t code = 0;
    const char *end = NULL;

    if (argc > 1 && (parse_i64(argv[1], &end, 0, &code) != FB_OK || *end != '\0' ||
                     code < INT32_MIN || code > INT32_MAX))
        return fail("exit code", FB_EINVAL);
    exit((int)code);
}

const struct fbsh_command fbsh_commands[] = {
    { "help", "", "this list", cmd_help },
    { "ls", "[DIR]", "list a directory (default /)", cmd_ls },
    { "cat", "FILE...", "print files", cmd_cat },
    { "echo", "ARGS...", "print the arguments", cmd_echo },
    { "ps", "", "list environments", cmd_ps },
    { "caps", "", "list this shell's capabilities", cmd_caps },
    { "sched", "[rr|prio|stride]", "show or switch the scheduler", cmd_sched },
    { "mem", "", "memory counts", cmd_mem },
    { "uptime", "", "time since boot", cmd_uptime },
    { "run", "PROGRAM [ARGS...]", "run a program and wait for it", cmd_run },
    { "exit", "[CODE]", "leave the shell", cmd_exit },
    { NULL, NULL, NULL, NULL },
};
