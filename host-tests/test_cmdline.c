/* Specification of the kernel command-line parser (core/boot/cmdline.c):
 * every option, its defaults, and that bad input only ever warns. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"
#include "kerr.h"

/* Collects warnings: how many, and the last message. */
struct warns {
    int count;
    char last[128];
};

/* Warning callback: counts and keeps the last message. */
static void collect(const char *msg, void *ctx)
{
    struct warns *w = ctx;

    w->count++;
    strncpy(w->last, msg, sizeof w->last - 1);
    w->last[sizeof w->last - 1] = '\0';
}

/* Parses s, asserting success, and returns the options. */
static struct cmdline_opts parse(const char *s, struct warns *w)
{
    struct cmdline_opts o;

    memset(w, 0, sizeof *w);
    int err = cmdline_parse(s, &o, collect, w);
    cr_assert_eq(err, FB_OK, "expected FB_OK for \"%s\", got %s", s ? s : "(null)",
                 fb_strerror(err));
    cr_assert_eq(o.warnings, (uint32_t)w->count,
                 "expected one callback per counted warning");
    return o;
}

Test(cmdline, null_input_gives_defaults)
{
    struct warns w;
    struct cmdline_opts o = parse(NULL, &w);

    cr_assert_eq(o.fault, FAULT_NONE, "expected no fault by default");
    cr_assert_eq(o.autoexit, false, "expected autoexit off by default");
    cr_assert_eq(o.ticks, 10, "expected 10 ticks by default, got %u", o.ticks);
    cr_assert_eq(o.loglevel, 1, "expected loglevel 1 by default, got %u", o.loglevel);
    cr_assert_eq(o.warnings, 0, "expected no warnings");
}

Test(cmdline, empty_and_blank_input_give_defaults)
{
    struct warns w;
    struct cmdline_opts o = parse(" \t  ", &w);

    cr_assert_eq(o.ticks, 10, "expected default ticks");
    cr_assert_eq(w.count, 0, "expected no warnings for blanks, got %d", w.count);
    o = parse("", &w);
    cr_assert_eq(w.count, 0, "expected no warnings for the empty string");
}

Test(cmdline, null_output_is_rejected)
{
    cr_assert_eq(cmdline_parse("autoexit", NULL, NULL, NULL), FB_EINVAL, "expected FB_EINVAL");
}

Test(cmdline, every_fault_name_selects_its_fault)
{
    static const struct { const char *arg; enum cmdline_fault f; } cases[] = {
        { "fault=de", FAULT_DE }, { "fault=bp", FAULT_BP }, { "fault=ud", FAULT_UD },
        { "fault=gp", FAULT_GP }, { "fault=pf", FAULT_PF }, { "fault=guard", FAULT_GUARD },
        { "fault=none", FAULT_NONE },
    };
    struct warns w;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cmdline_opts o = parse(cases[i].arg, &w);
        cr_assert_eq(o.fault, cases[i].f, "%s: expected fault %d, got %d", cases[i].arg,
                     cases[i].f, o.fault);
        cr_assert_eq(w.count, 0, "%s: expected no warning", cases[i].arg);
        cr_assert_str_eq(cmdline_fault_name(o.fault), cases[i].arg + 6,
                         "expected the name to round-trip");
    }
}

Test(cmdline, fault_name_of_out_of_range_value_is_question_mark)
{
    cr_assert_str_eq(cmdline_fault_name((enum cmdline_fault)99), "?", "expected \"?\"");
}

Test(cmdline, unknown_fault_warns_and_keeps_previous)
{
    struct warns w;
    struct cmdline_opts o = parse("fault=pf fault=xx", &w);

    cr_assert_eq(o.fault, FAULT_PF, "expected the earlier valid fault kept");
    cr_assert_eq(w.count, 1, "expected one warning, got %d", w.count);
    cr_assert_str_eq(w.last, "bad value 'xx' for fault", "got \"%s\"", w.last);
}

Test(cmdline, fault_without_value_warns)
{
    struct warns w;

    parse("fault", &w);
    cr_assert_str_eq(w.last, "missing value for fault", "got \"%s\"", w.last);
    parse("fault=", &w);
    cr_assert_str_eq(w.last, "missing value for fault", "got \"%s\"", w.last);
}

Test(cmdline, autoexit_flag_and_values)
{
    struct warns w;

    cr_assert(parse("autoexit", &w).autoexit, "expected bare autoexit to enable");
    cr_assert(parse("autoexit=1", &w).autoexit, "expected autoexit=1 to enable");
    cr_assert(!parse("autoexit autoexit=0", &w).autoexit, "expected autoexit=0 to disable");
    cr_assert_eq(w.count, 0, "expected no warnings");
}

Test(cmdline, autoexit_bad_value_warns)
{
    struct warns w;
    struct cmdline_opts o = parse("autoexit=yes", &w);

    cr_assert(!o.autoexit, "expected autoexit left off");
    cr_assert_str_eq(w.last, "bad value 'yes' for autoexit", "got \"%s\"", w.last);
}

Test(cmdline, ticks_accepts_its_range)
{
    struct warns w;

    cr_assert_eq(parse("ticks=1", &w).ticks, 1, "expected 1");
    cr_assert_eq(parse("ticks=10000", &w).ticks, 10000, "expected 10000");
    cr_assert_eq(parse("ticks=250", &w).ticks, 250, "expected 250");
    cr_assert_eq(w.count, 0, "expected no warnings");
}

Test(cmdline, ticks_out_of_range_or_malformed_warns_and_keeps_default)
{
    static const char *const bad[] = { "ticks=0", "ticks=10001", "ticks=-5", "ticks=12a",
                                       "ticks=99999999999999999999", "ticks=+3" };
    struct warns w;
    char want[96];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cmdline_opts o = parse(bad[i], &w);
        cr_assert_eq(o.ticks, 10, "%s: expected default 10 kept, got %u", bad[i], o.ticks);
        cr_assert_eq(w.count, 1, "%s: expected one warning", bad[i]);
        snprintf(want, sizeof want, "bad value '%s' for ticks", bad[i] + 6);
        cr_assert_str_eq(w.last, want, "%s: got \"%s\"", bad[i], w.last);
    }
}

Test(cmdline, ticks_without_value_warns)
{
    struct warns w;

    parse("ticks=", &w);
    cr_assert_str_eq(w.last, "missing value for ticks", "got \"%s\"", w.last);
}

Test(cmdline, loglevel_accepts_0_to_3)
{
    struct warns w;

    for (unsigned l = 0; l <= 3; l++) {
        char arg[16];
        snprintf(arg, sizeof arg, "loglevel=%u", l);
        cr_assert_eq(parse(arg, &w).loglevel, l, "expected loglevel %u", l);
    }
    cr_assert_eq(w.count, 0, "expected no warnings");
}

Test(cmdline, loglevel_4_warns_and_keeps_default)
{
    struct warns w;
    struct cmdline_opts o = parse("loglevel=4", &w);

    cr_assert_eq(o.loglevel, 1, "expected default 1 kept");
    cr_assert_str_eq(w.last, "bad value '4' for loglevel", "got \"%s\"", w.last);
}

Test(cmdline, unknown_option_warns_with_its_name)
{
    struct warns w;
    struct cmdline_opts o = parse("foo autoexit bar=baz", &w);

    cr_assert_eq(w.count, 2, "expected two warnings, got %d", w.count);
    cr_assert_eq(o.warnings, 2, "expected warnings counted");
    cr_assert_str_eq(w.last, "unknown option 'bar'", "got \"%s\"", w.last);
    cr_assert(o.autoexit, "expected the valid option between them applied");
}

Test(cmdline, repeated_option_keeps_last_value)
{
    struct warns w;
    struct cmdline_opts o = parse("ticks=5 loglevel=3 ticks=7 fault=de fault=gp", &w);

    cr_assert_eq(o.ticks, 7, "expected the last ticks");
    cr_assert_eq(o.fault, FAULT_GP, "expected the last fault");
    cr_assert_eq(o.loglevel, 3, "expected loglevel 3");
}

Test(cmdline, tabs_and_runs_of_blanks_separate_tokens)
{
    struct warns w;
    struct cmdline_opts o = parse("\tautoexit\t\tticks=3   loglevel=0 ", &w);

    cr_assert(o.autoexit, "expected autoexit");
    cr_assert_eq(o.ticks, 3, "expected ticks 3");
    cr_assert_eq(o.loglevel, 0, "expected loglevel 0");
    cr_assert_eq(w.count, 0, "expected no warnings");
}

Test(cmdline, very_long_token_warns_with_a_bounded_message)
{
    static char line[5000];
    struct warns w;

    memset(line, 'k', sizeof line - 1);
    parse(line, &w);
    cr_assert_eq(w.count, 1, "expected one warning");
    cr_assert_lt(strlen(w.last), 96, "expected a bounded message, got %zu bytes", strlen(w.last));
    cr_assert_eq(strncmp(w.last, "unknown option 'kkkk", 20), 0, "got \"%s\"", w.last);
}

Test(cmdline, null_callback_still_counts_warnings)
{
    struct cmdline_opts o;

    cr_assert_eq(cmdline_parse("nope also=no", &o, NULL, NULL), FB_OK, "expected FB_OK");
    cr_assert_eq(o.warnings, 2, "expected two counted warnings, got %u", o.warnings);
}

Test(cmdline, smp_test_and_sched_default_to_all_cpus_no_test_no_policy)
{
    struct warns w;
    struct cmdline_opts o = parse("autoexit", &w);

    cr_assert_eq(o.smp, 0, "expected smp 0 (every CPU) by default, got %u", o.smp);
    cr_assert_eq(o.test, TEST_NONE, "expected no test by default");
    cr_assert_str_eq(o.sched, "", "expected no policy name by default, got \"%s\"", o.sched);
}

Test(cmdline, smp_accepts_1_to_64)
{
    struct warns w;

    cr_assert_eq(parse("smp=1", &w).smp, 1, "expected smp 1");
    cr_assert_eq(parse("smp=64", &w).smp, 64, "expected smp 64");
    cr_assert_eq(w.count, 0, "expected no warnings");
}

Test(cmdline, smp_out_of_range_warns_and_keeps_default)
{
    static const char *const bad[] = { "smp=0", "smp=65", "smp=two", "smp=-1" };
    struct warns w;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cmdline_opts o = parse(bad[i], &w);

        cr_assert_eq(o.smp, 0, "%s: expected the default 0 kept, got %u", bad[i], o.smp);
        cr_assert_eq(w.count, 1, "%s: expected one warning", bad[i]);
    }
    parse("smp=", &w);
    cr_assert_str_eq(w.last, "missing value for smp", "got \"%s\"", w.last);
}

Test(cmdline, every_test_name_selects_its_test)
{
    struct warns w;

    for (int t = TEST_NONE; t <= TEST_ALL; t++) {
        char arg[32];

        snprintf(arg, sizeof arg, "test=%s", cmdline_test_name((enum cmdline_test)t));
        cr_assert_eq(parse(arg, &w).test, (enum cmdline_test)t, "%s: expected test %d", arg, t);
    }
    cr_assert_eq(w.count, 0, "expected no warnings");
    cr_assert_str_eq(cmdline_test_name((enum cmdline_test)99), "?", "expected ? out of range");
}

Test(cmdline, test_user_selects_the_user_mode_test)
{
    struct warns w;

    cr_assert_eq(parse("test=user", &w).test, TEST_USER, "expected TEST_USER");
    cr_assert_str_eq(cmdline_test_name(TEST_USER), "user", "expected the name \"user\"");
    cr_assert_eq(w.count, 0, "expected no warnings");
}

Test(cmdline, unknown_test_warns_and_keeps_previous)
{
    struct warns w;
    struct cmdline_opts o = parse("test=fpu test=bogus", &w);

    cr_assert_eq(o.test, TEST_FPU, "expected the earlier test kept");
    cr_assert_str_eq(w.last, "bad value 'bogus' for test", "got \"%s\"", w.last);
}

Test(cmdline, sched_takes_a_lowercase_policy_name)
{
    struct warns w;

    cr_assert_str_eq(parse("sched=stride", &w).sched, "stride", "expected the name stored");
    cr_assert_eq(w.count, 0, "expected no warnings");
}

Test(cmdline, sched_rejects_empty_long_or_odd_names)
{
    static const char *const bad[] = { "sched=RR", "sched=r_r", "sched=prio1",
                                       "sched=abcdefghijklmnop" };
    struct warns w;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cmdline_opts o = parse(bad[i], &w);

        cr_assert_str_eq(o.sched, "", "%s: expected no policy stored, got \"%s\"", bad[i], o.sched);
        cr_assert_eq(w.count, 1, "%s: expected one warning", bad[i]);
    }
    parse("sched=", &w);
    cr_assert_str_eq(w.last, "missing value for sched", "got \"%s\"", w.last);
}

Test(cmdline, init_defaults_to_slash_init_with_no_arguments)
{
    struct warns w = { 0 };
    struct cmdline_opts o = parse("loglevel=2", &w);

    cr_assert_str_eq(o.init, "/init");
    cr_assert_str_eq(o.init_args, "");
}

Test(cmdline, init_takes_an_absolute_printable_path)
{
    struct warns w = { 0 };
    struct cmdline_opts o = parse("init=/bin/fbsh", &w);

    cr_assert_str_eq(o.init, "/bin/fbsh");
    cr_assert_eq(w.count, 0);
    o = parse("init=bin/fbsh", &w);
    cr_assert_str_eq(o.init, "/init", "expected a relative path refused");
    cr_assert_eq(w.count, 1);
    o = parse("init=/bin/\x7f", &w);
    cr_assert_str_eq(o.init, "/init", "expected a control character refused");
    o = parse("init=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &w);
    cr_assert_str_eq(o.init, "/init", "expected a path over 63 bytes refused");
    o = parse("init=", &w);
    cr_assert_str_eq(o.init, "/init");
}

Test(cmdline, double_dash_ends_options_and_passes_the_rest_to_init)
{
    struct warns w = { 0 };
    struct cmdline_opts o = parse("loglevel=0 --   /bin/systest  a=b  frobnicate ", &w);

    cr_assert_eq(o.loglevel, 0);
    cr_assert_str_eq(o.init_args, "/bin/systest  a=b  frobnicate ");
    cr_assert_eq(w.count, 0, "expected nothing after -- parsed as an option");
    o = parse("-- ", &w);
    cr_assert_str_eq(o.init_args, "");
    o = parse("a--b autoexit", &w);
    cr_assert(o.autoexit, "expected a token that merely contains -- to be an option");
}

Test(cmdline, overlong_init_arguments_are_dropped_with_a_warning)
{
    char line[CMDLINE_ARGS_MAX + 16] = "-- ";
    struct warns w = { 0 };
    struct cmdline_opts o;

    memset(line + 3, 'x', CMDLINE_ARGS_MAX);
    line[3 + CMDLINE_ARGS_MAX] = '\0';
    o = parse(line, &w);
    cr_assert_str_eq(o.init_args, "");
    cr_assert_eq(w.count, 1);
    cr_assert(strstr(w.last, "too long") != NULL, "got '%s'", w.last);
}
