/* fbsh: the interactive native shell on the serial console. Reads a line
 * (readline: echo and editing), splits it into words and runs the
 * matching built-in from commands.c. Long lines are cut by readline,
 * too many words or an open quote give an error line, never an overflow. */
#include "exo.h"
#include "fbsh.h"

#define FBSH_LINE_MAX 512
#define PROMPT "fbsh> "

/* Splits line in place into words at blanks; "double quotes" keep blanks
 * inside one word. Returns the number of words, or -1 for more than max
 * words or an unterminated quote. */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;

    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return argc;
        if (argc == max)
            return -1;
        char end = ' ';
        if (*p == '"') {
            end = '"';
            p++;
        }
        argv[argc++] = p;
        while (*p != '\0' && *p != end)
            p++;
        if (*p == '\0')
            return end == '"' ? -1 : argc;
        *p++ = '\0';
    }
}

/* Runs the built-in named argv[0], or says there is none. */
static void dispatch(int argc, char **argv)
{
    for (const struct fbsh_command *c = fbsh_commands; c->name != NULL; c++) {
        if (strcmp(c->name, argv[0]) == 0) {
            c->run(argc, argv);
            return;
        }
    }
    printf("fbsh: unknown command '%s' (try 'help')\n", argv[0]);
}

/* Prints /etc/motd when it exists. */
static void motd(void)
{
    static const char path[] = "/etc/motd";
    char buf[512];
    int64_t fd = exo_vfs_open(path, sizeof path - 1, EXO_O_READ);

    if (fd < 0)
        return;
    int64_t n;
    while ((n = exo_vfs_read((int32_t)fd, buf, sizeof buf)) > 0)
        exo_console_write(buf, (size_t)n);
    exo_vfs_close((int32_t)fd);
}

/* Prompt, read, split, run, until exit or end of input (^D). */
int main(const char *args)
{
    static char line[FBSH_LINE_MAX];
    char *argv[FBSH_MAX_ARGS + 1];

    (void)args;
    motd();
    for (;;) {
        printf(PROMPT);
        int n = readline(line, sizeof line);
        if (n == FB_ENOENT) {
            printf("exit\n");
            return 0;
        }
        if (n < 0) {
            printf("fbsh: console_read: %s\n", fb_strerror(n));
            return 1;
        }
        int argc = split_words(line, argv, FBSH_MAX_ARGS);
        if (argc < 0) {
            printf("fbsh: more than %d words or an unterminated quote\n", FBSH_MAX_ARGS);
            continue;
        }
        if (argc == 0)
            continue;
        argv[argc] = NULL;
        dispatch(argc, argv);
    }
}
