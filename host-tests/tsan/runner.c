/* Test runner for the host-tsan preset: runs every Test() of the linked
 * file in its own forked child (as Criterion does), checks exit status or
 * the expected signal, and prints Criterion's synthesis line so the test
 * driver counts the same way in every preset. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criterion/criterion.h"

#define MAX_TESTS 1024
#define TEST_TIMEOUT_S 120

static const struct fbcr_test *tests[MAX_TESTS];
static int ntests;
static FILE *captured;

/* Called by each Test()'s constructor before main. */
void fbcr_register(const struct fbcr_test *t)
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "runner: more than %d tests\n", MAX_TESTS);
        abort();
    }
    tests[ntests++] = t;
}

/* Reports a failed assertion and ends the test's child process. */
void fbcr_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s:%d: assertion failed: %s: ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    _Exit(2);
}

/* .init hook: sends the child's standard output to a temporary file. */
void cr_redirect_stdout(void)
{
    fflush(stdout);
    captured = tmpfile();
    if (captured == NULL || dup2(fileno(captured), STDOUT_FILENO) < 0) {
        perror("runner: cr_redirect_stdout");
        _Exit(3);
    }
}

/* True when everything written to standard output so far equals want. */
bool fbcr_stdout_equals(const char *want)
{
    char got[8192];
    size_t n;

    if (captured == NULL)
        return false;
    fflush(stdout);
    rewind(captured);
    n = fread(got, 1, sizeof got - 1, captured);
    got[n] = '\0';
    return strcmp(got, want) == 0;
}

/* Runs one test in a child; returns 0 pass, 1 fail, 2 crash. */
static int run_one(const struct fbcr_test *t)
{
    int status;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("runner: fork");
        return 2;
    }
    if (pid == 0) {
        alarm(TEST_TIMEOUT_S);
        if (t->init)
            t->init();
        t->fn();
        if (t->fini)
            t->fini();
        fflush(NULL);
        _Exit(0);
    }
    if (waitpid(pid, &status, 0) < 0) {
        perror("runner: waitpid");
        return 2;
    }
    if (t->signal != 0)
        return WIFSIGNALED(status) && WTERMSIG(status) == t->signal ? 0 : 1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status) == t->exit_code ? 0 : 1;
    fprintf(stderr, "[CRASH] %s::%s: killed by signal %d\n", t->suite, t->name,
            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return 2;
}

int main(void)
{
    int passing = 0, failing = 0, crashing = 0;

    for (int i = 0; i < ntests; i++) {
        int r = run_one(tests[i]);
        if (r == 0)
            passing++;
        else if (r == 1)
            failing++;
        else
            crashing++;
        if (r == 1)
            fprintf(stderr, "[FAIL] %s::%s\n", tests[i]->suite, tests[i]->name);
    }
    fprintf(stderr, "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d\n",
            ntests, passing, failing, crashing);
    return failing + crashing == 0 && ntests > 0 ? 0 : 1;
}
