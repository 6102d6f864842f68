/* fbsh, the native shell: the command table shared by the reader loop
 * (fbsh.c) and the built-in commands (commands.c). */
#ifndef FBSH_H
#define FBSH_H

/** Most words a command line may have, command included. */
#define FBSH_MAX_ARGS 16

/** One built-in command. */
struct fbsh_command {
    const char *name;    /**< what the user types */
    const char *usage;   /**< arguments, for help */
    const char *help;    /**< one line saying what it does */
    int (*run)(int argc, char **argv);   /**< returns 0 on success */
};

/** The built-ins, ending with an entry whose name is NULL. */
extern const struct fbsh_command fbsh_commands[];

#endif
