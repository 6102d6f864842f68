#!/bin/sh
# Checks that the syscall reference lists exactly the syscalls of
# core/sys/syscalls.tbl, in table order: every "### NR name" heading, the
# signature line after it (`int64_t name(args)`, as gen-syscalls.awk's doc
# mode prints it) and the group section it sits in (the first word of the
# enclosing "## group: title" heading) must match the table's line
# "NR name(args) group". Prints the differences and exits 1 on any
# mismatch (missing, extra, renamed, renumbered, moved, wrong signature or
# group); exits 2 when it cannot run. Every ```c block of the page must
# also be a verbatim part of the stubs the generator writes (user mode),
# so the page's example of a stub is the real one.
# usage: check-syscall-doc.sh [DOC]   (default docs/SYSCALL_REFERENCE.md)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
doc=${1:-$root/docs/SYSCALL_REFERENCE.md}
if [ ! -r "$doc" ]; then
    echo "check-syscall-doc: cannot read $doc" >&2
    exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-syscall-doc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' HUP INT TERM

if ! awk -v mode=doc -f "$root/cmake/gen-syscalls.awk" "$root/core/sys/syscalls.tbl" \
        > "$tmp/table"; then
    echo "check-syscall-doc: core/sys/syscalls.tbl does not parse" >&2
    exit 2
fi

# The doc's own list in the table's format, with complaints about headings
# it cannot read on stderr (and a nonzero exit). Fenced code is skipped.
status=0
awk '
function complain(line, msg) { printf "%s:%d: %s\n", FILENAME, line, msg > "/dev/stderr"; bad = 1 }
function need_sig() { if (want) complain(hline, "no signature line after \"### " nr " " name "\"") }
{ sub(/\r$/, "") }
/^```/ { fence = !fence; next }
fence { next }
/^## / { need_sig(); want = 0; group = $2; sub(/:.*/, "", group); next }
/^### [0-9]/ {
    need_sig(); want = 0
    if ($0 !~ /^### [0-9]+ [a-z][a-z0-9_]*$/) { complain(NR, "malformed syscall heading: " $0); next }
    nr = $2; name = $3; hline = NR; want = 1
    next
}
/^#/ { need_sig(); want = 0; next }
want && /^[ \t]*$/ { next }
want {
    want = 0
    if ($0 !~ /^`int64_t [a-z][a-z0-9_]*\(.*\)`$/) {
        complain(NR, "expected `int64_t " name "(...)` after \"### " nr " " name "\", got: " $0)
        next
    }
    sig = substr($0, 10, length($0) - 10)
    signame = sig; sub(/\(.*/, "", signame)
    if (signame != name)
        complain(NR, "signature names " signame ", heading names " name)
    print nr " " name substr(sig, length(signame) + 1) " " group
}
END { need_sig(); exit bad }
' "$doc" > "$tmp/doc" || status=1

if ! out=$(diff -u "$tmp/table" "$tmp/doc"); then
    echo "check-syscall-doc: $doc does not match core/sys/syscalls.tbl" >&2
    echo "(lines are \"NR name(args) group\"; - the table says, + the doc says)" >&2
    printf '%s\n' '--- core/sys/syscalls.tbl' "+++ $doc"
    printf '%s\n' "$out" | sed 1,2d
    status=1
fi
# Each fenced C block, as its own file, must occur in the generated stubs.
awk -v mode=user -f "$root/cmake/gen-syscalls.awk" "$root/core/sys/syscalls.tbl" > "$tmp/stubs"
awk -v dir="$tmp" '
/^```c[ \t]*$/ { n++; inblock = 1; start[n] = NR; next }
/^```/ { inblock = 0; next }
inblock { print > (dir "/block" n) }
END { for (i = 1; i <= n; i++) print i, start[i] > (dir "/blocks") }
' "$doc"
if [ -f "$tmp/blocks" ]; then
    while read -r i line; do
        if ! awk -v blockfile="$tmp/block$i" '
            BEGIN { while ((getline l < blockfile) > 0) want[++nw] = l }
            { have[++nh] = $0 }
            END {
                for (s = 1; s + nw - 1 <= nh; s++) {
                    for (k = 1; k <= nw && have[s + k - 1] == want[k]; k++)
                        ;
                    if (k > nw) exit 0
                }
                exit 1
            }' "$tmp/stubs"; then
            echo "$doc:$line: this C block is not part of the generated stubs (exo_syscalls.h)" >&2
            status=1
        fi
    done < "$tmp/blocks"
fi
exit "$status"
