# Turns core/sys/syscalls.tbl into what is generated from it.
#   awk -v mode=numbers -f gen-syscalls.awk syscalls.tbl > sys_numbers.h
#   awk -v mode=kernel -f gen-syscalls.awk syscalls.tbl > sys_table.h
#   awk -v mode=user   -f gen-syscalls.awk syscalls.tbl > exo_syscalls.h
#   awk -v mode=doc    -f gen-syscalls.awk syscalls.tbl   (one line per syscall:
#       "NR name(args) group", what docs/SYSCALL_REFERENCE.md must list)
# Rejects (exit 1) a malformed line, a duplicate number or name, a number
# out of order, or more than six arguments.

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function fail(msg) { printf "syscalls.tbl:%d: %s\n", NR, msg > "/dev/stderr"; bad = 1; exit 1 }

BEGIN { FS = "|"; n = 0; last = -1 }

/^[ \t]*(#|$)/ { next }

{
    if (NF != 3) fail("expected NUMBER NAME | ARGUMENTS | GROUP")
    split(trim($1), head, /[ \t]+/)
    nr = head[1]; name = head[2]
    if (nr !~ /^[0-9]+$/ || name !~ /^[a-z][a-z0-9_]*$/ || head[3] != "") fail("bad number or name")
    nr += 0
    if (nr <= last) fail("numbers must increase")
    if (name in seen) fail("duplicate name " name)
    seen[name] = 1; last = nr
    args = trim($2); group = trim($3)
    if (group !~ /^(env|mem|cap|cpu|irq|dma|ipc|time|console|vfs|misc)$/) fail("unknown group " group)
    NRS[n] = nr; NAMES[n] = name; ARGS[n] = args; GROUPS[n] = group
    NARGS[n] = 0
    if (args != "void" && args != "RESERVED") {
        k = split(args, parts, ",")
        if (k > 6) fail("more than six arguments")
        for (i = 1; i <= k; i++) {
            p = trim(parts[i])
            if (p !~ /^[a-z_][a-z0-9_ ]*[ *][a-z_][a-z0-9_]*$/ || p ~ /^(void|struct) *[a-z_]+$/) fail("bad parameter '" p "'")
            match(p, /[a-z_][a-z0-9_]*$/)
            PNAME[n, i] = substr(p, RSTART)
            PPTR[n, i] = (p ~ /\*/)
            PDECL[n, i] = p
        }
        NARGS[n] = k
    }
    n++
}

function sig(j,    s, i) {
    if (ARGS[j] == "RESERVED") return "RESERVED"
    if (NARGS[j] == 0) return "void"
    s = PDECL[j, 1]
    for (i = 2; i <= NARGS[j]; i++) s = s ", " PDECL[j, i]
    return s
}

END {
    if (bad) exit 1
    if (mode == "numbers") {
        print "/* Generated from core/sys/syscalls.tbl by cmake/gen-syscalls.awk; do not edit. */"
        print "#ifndef FB_SYS_NUMBERS_H"
        print "#define FB_SYS_NUMBERS_H"
        print ""
        print "/** Syscall numbers. */"
        print "enum sys_nr {"
        for (j = 0; j < n; j++) printf "    SYS_%s = %d,\n", NAMES[j], NRS[j]
        print "};"
        print ""
        printf "/** One past the highest syscall number. */\n#define SYS_NR_LIMIT %d\n\n", last + 1
        print "#endif"
    } else if (mode == "kernel") {
        print "/* Generated from core/sys/syscalls.tbl by cmake/gen-syscalls.awk; do not edit. */"
        print "#ifndef FB_SYS_TABLE_H"
        print "#define FB_SYS_TABLE_H"
        print ""
        print "#include \"sys.h\""
        print "#include \"sys_numbers.h\""
        print ""
        for (j = 0; j < n; j++)
            if (ARGS[j] != "RESERVED")
                printf "int64_t sys_%s(struct env *self, const uint64_t a[6]);\n", NAMES[j]
        print ""
        print "/** The dispatch table, indexed by number; a hole or a reserved entry"
        print " *  has no handler. */"
        print "static const struct sys_entry sys_table[SYS_NR_LIMIT] = {"
        for (j = 0; j < n; j++) {
            h = (ARGS[j] == "RESERVED") ? "NULL" : "sys_" NAMES[j]
            printf "    [%d] = { \"%s\", %d, %s },\n", NRS[j], NAMES[j], NARGS[j], h
        }
        print "};"
        print ""
        print "#endif"
    } else if (mode == "user") {
        print "/* Generated from core/sys/syscalls.tbl by cmake/gen-syscalls.awk; do not edit."
        print " * One stub per syscall: exo_NAME(arguments) returns the kernel's int64_t. */"
        print "#ifndef EXO_SYSCALLS_H"
        print "#define EXO_SYSCALLS_H"
        print ""
        print "#include <stddef.h>"
        print "#include <stdint.h>"
        print ""
        print "#include \"exo_abi.h\""
        print "#include \"exo_syscall.h\""
        print ""
        for (j = 0; j < n; j++) printf "#define SYS_%s %d\n", NAMES[j], NRS[j]
        print ""
        for (j = 0; j < n; j++) {
            if (ARGS[j] == "RESERVED") continue
            printf "static inline int64_t exo_%s(%s)\n{\n    return exo_syscall%d(SYS_%s", NAMES[j], sig(j), NARGS[j], NAMES[j]
            for (i = 1; i <= NARGS[j]; i++)
                printf ", %s%s", PPTR[j, i] ? "(uint64_t)(uintptr_t)" : "(uint64_t)", PNAME[j, i]
            print ");\n}\n"
        }
        print "#endif"
    } else if (mode == "doc") {
        for (j = 0; j < n; j++) printf "%d %s(%s) %s\n", NRS[j], NAMES[j], sig(j), GROUPS[j]
    } else {
        print "gen-syscalls.awk: mode must be numbers, kernel, user or doc" > "/dev/stderr"
        exit 1
    }
}
