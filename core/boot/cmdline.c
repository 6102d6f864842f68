/* Kernel command-line parsing (cmdline.h): space- or tab-separated
 * "key=value" options and bare flags. Input is untrusted loader text, so a
 * bad option is reported through the warn callback and skipped. */
#include "cmdline.h"

#include <stddef.h>

#include "fmt.h"
#include "kerr.h"
#include "kstring.h"

#define TICKS_DEFAULT   10u
#define TICKS_MAX       10000u
#define LOGLEVEL_DEFAULT 1u
#define LOGLEVEL_MAX    3u
#define WARN_MSG_MAX    96
#define WARN_ECHO_MAX   32   /* bytes of a bad token echoed in a warning */

/* A slice of the command line: not NUL-terminated. */
struct slice {
    const char *p;
    size_t n;
};

/* Command-line spelling of each fault kind, indexed by enum cmdline_fault. */
static const char *const fault_names[] = {
    [FAULT_NONE] = "none", [FAULT_DE] = "de", [FAULT_BP] = "bp",
    [FAULT_UD] = "ud",     [FAULT_GP] = "gp", [FAULT_PF] = "pf",
    [FAULT_GUARD] = "guard",
};

#define NFAULTS (sizeof fault_names / sizeof fault_names[0])

/* Command-line spelling of each test, indexed by enum cmdline_test. */
static const char *const test_names[] = {
    [TEST_NONE] = "none",       [TEST_SCHED] = "sched", [TEST_SWITCH] = "switch",
    [TEST_PREEMPT] = "preempt", [TEST_FPU] = "fpu",     [TEST_IRQ] = "irq",
    [TEST_CTXSW] = "ctxsw",     [TEST_DMA] = "dma",     [TEST_USER] = "user",
    [TEST_ALL] = "all",
};

#define NTESTS (sizeof test_names / sizeof test_names[0])

/* Name of a fault kind; "?" for a value outside the enum. */
const char *cmdline_fault_name(enum cmdline_fault f)
{
    if ((unsigned)f >= NFAULTS)
        return "?";
    return fault_names[f];
}

/* Name of a test; "?" for a value outside the enum. */
const char *cmdline_test_name(enum cmdline_test t)
{
    if ((unsigned)t >= NTESTS)
        return "?";
    return test_names[t];
}

/* True when slice s spells exactly the NUL-terminated word w. */
static bool slice_is(struct slice s, const char *w)
{
    return kstrlen(w) == s.n && kstrncmp(s.p, w, s.n) == 0;
}

/* Why an option was ignored. */
enum opt_result { OPT_OK, OPT_UNKNOWN, OPT_MISSING, OPT_BAD };

/* Formats the warning for result r, counts it and hands it to the
 * callback. Echoed text is cut to WARN_ECHO_MAX bytes. */
static void warn_opt(struct cmdline_opts *out, cmdline_warn_fn warn, void *ctx,
                     enum opt_result r, struct slice key, struct slice val)
{
    char msg[WARN_MSG_MAX];
    int kn = key.n > WARN_ECHO_MAX ? WARN_ECHO_MAX : (int)key.n;
    int vn = val.n > WARN_ECHO_MAX ? WARN_ECHO_MAX : (int)val.n;

    if (r == OPT_UNKNOWN)
        fmt_snprintf(msg, sizeof msg, "unknown option '%.*s'", kn, key.p);
    else if (r == OPT_MISSING)
        fmt_snprintf(msg, sizeof msg, "missing value for %.*s", kn, key.p);
    else
        fmt_snprintf(msg, sizeof msg, "bad value '%.*s' for %.*s", vn, val.p, kn, key.p);
    out->warnings++;
    if (warn != NULL)
        warn(msg, ctx);
}

/* Parses a decimal number in [lo, hi]; false for anything else. */
static bool parse_uint(struct slice v, uint32_t lo, uint32_t hi, uint32_t *res)
{
    uint32_t x = 0;

    if (v.n == 0)
        return false;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        x = x * 10 + (uint32_t)(v.p[i] - '0');
        if (x > hi)
            return false;      /* also stops overflow on long digit runs */
    }
    if (x < lo)
        return false;
    *res = x;
    return true;
}

/* Index of val in names[0..n), or -1. */
static int find_name(struct slice val, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (slice_is(val, names[i]))
            return (int)i;
    }
    return -1;
}

/* Copies a policy name: 1..CMDLINE_SCHED_MAX-1 lowercase letters. */
static bool parse_name(struct slice v, char *dst)
{
    if (v.n == 0 || v.n >= CMDLINE_SCHED_MAX)
        return false;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < 'a' || v.p[i] > 'z')
            return false;
    }
    kmemcpy(dst, v.p, v.n);
    dst[v.n] = '\0';
    return true;
}

/* Copies an init= path: '/' then up to CMDLINE_INIT_MAX - 2 printable
 * characters. */
static bool parse_path(struct slice v, char *dst)
{
    if (v.n == 0 || v.n >= CMDLINE_INIT_MAX || v.p[0] != '/')
        return false;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] <= ' ' || v.p[i] > '~')
            return false;
    }
    kmemcpy(dst, v.p, v.n);
    dst[v.n] = '\0';
    return true;
}

/* Applies test=, sched= and smp=; OPT_UNKNOWN for any other key. */
static enum opt_result apply_kernel(struct cmdline_opts *out, struct slice key,
                                    struct slice val, bool has_val)
{
    int i;

    if (!slice_is(key, "test") && !slice_is(key, "sched") && !slice_is(key, "smp") &&
        !slice_is(key, "init"))
        return OPT_UNKNOWN;
    if (!has_val || val.n == 0)
        return OPT_MISSING;
    if (slice_is(key, "init"))
        return parse_path(val, out->init) ? OPT_OK : OPT_BAD;
    if (slice_is(key, "test")) {
        if ((i = find_name(val, test_names, NTESTS)) < 0)
            return OPT_BAD;
        out->test = (enum cmdline_test)i;
        return OPT_OK;
    }
    if (slice_is(key, "sched"))
        return parse_name(val, out->sched) ? OPT_OK : OPT_BAD;
    return parse_uint(val, 1, CMDLINE_SMP_MAX, &out->smp) ? OPT_OK : OPT_BAD;
}

/* Applies one option key[=val]; has_val tells "key" apart from "key=". */
static enum opt_result apply(struct cmdline_opts *out, struct slice key,
                             struct slice val, bool has_val)
{
    if (slice_is(key, "autoexit")) {
        if (!has_val || slice_is(val, "1"))
            out->autoexit = true;
        else if (slice_is(val, "0"))
            out->autoexit = false;
        else
            return OPT_BAD;
        return OPT_OK;
    }
    if (slice_is(key, "fault")) {
        int i;

        if (!has_val || val.n == 0)
            return OPT_MISSING;
        if ((i = find_name(val, fault_names, NFAULTS)) < 0)
            return OPT_BAD;
        out->fault = (enum cmdline_fault)i;
        return OPT_OK;
    }
    if (slice_is(key, "ticks") || slice_is(key, "loglevel")) {
        bool ticks = key.p[0] == 't';
        uint32_t *dst = ticks ? &out->ticks : &out->loglevel;
        if (!has_val || val.n == 0)
            return OPT_MISSING;
        if (!parse_uint(val, ticks ? 1 : 0, ticks ? TICKS_MAX : LOGLEVEL_MAX, dst))
            return OPT_BAD;
        return OPT_OK;
    }
    return apply_kernel(out, key, val, has_val);
}

/* Splits one token at its first '=' and applies it, warning on failure. */
static void do_token(struct cmdline_opts *out, struct slice tok,
                     cmdline_warn_fn warn, void *ctx)
{
    struct slice key = tok;
    struct slice val = { tok.p + tok.n, 0 };
    bool has_val = false;

    for (size_t i = 0; i < tok.n; i++) {
        if (tok.p[i] == '=') {
            key.n = i;
            val = (struct slice){ tok.p + i + 1, tok.n - i - 1 };
            has_val = true;
            break;
        }
    }
    enum opt_result r = apply(out, key, val, has_val);
    if (r != OPT_OK)
        warn_opt(out, warn, ctx, r, key, val);
}

/* Keeps the rest of the line after "--" as init's arguments. */
static void init_args(struct cmdline_opts *out, const char *rest, cmdline_warn_fn warn, void *ctx)
{
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (kstrlcpy(out->init_args, rest, sizeof(out->init_args)) >= sizeof(out->init_args)) {
        out->init_args[0] = '\0';
        out->warnings++;
        if (warn != NULL)
            warn("init arguments after '--' too long: dropped", ctx);
    }
}

/* Parses the whole line token by token, starting from the defaults. */
int cmdline_parse(const char *s, struct cmdline_opts *out, cmdline_warn_fn warn, void *ctx)
{
    if (out == NULL)
        return FB_EINVAL;
    *out = (struct cmdline_opts){
        .fault = FAULT_NONE, .autoexit = false,
        .ticks = TICKS_DEFAULT, .loglevel = LOGLEVEL_DEFAULT, .warnings = 0,
        .smp = 0, .test = TEST_NONE, .sched = "", .init = "/init", .init_args = "",
    };
    if (s == NULL)
        return FB_OK;
    while (*s != '\0') {
        while (*s == ' ' || *s == '\t')
            s++;
        const char *start = s;
        while (*s != '\0' && *s != ' ' && *s != '\t')
            s++;
        if (s - start == 2 && start[0] == '-' && start[1] == '-') {
            init_args(out, s, warn, ctx);
            break;
        }
        if (s > start)
            do_token(out, (struct slice){ start, (size_t)(s - start) }, warn, ctx);
    }
    return FB_OK;
}
