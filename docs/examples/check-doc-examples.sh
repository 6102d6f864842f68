#!/usr/bin/env bash
# Checks that the code blocks of documentation pages are the example
# programs that are built and run: every fenced block whose first line is
# a marker comment `/* docs/examples/NAME.c */` must equal that file byte
# for byte, and every docs/examples/*.c must appear in such a block of
# one of the pages.
#
# usage: check-doc-examples.sh PAGE.md...
#   the repository is the one this script lives in. Exit 0 when all
#   match, 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ $# -gt 0 ] || { echo "usage: check-doc-examples.sh PAGE.md..." >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
found=" "

# Checks the marked blocks of one page; adds their paths to $found.
check_page() {
    local page=$1 p rel block
    [ -f "$page" ] || { echo "check-doc-examples: no page $page" >&2; fail=1; return; }
    rm -f "$work"/*

    # Writes each marked block to $work/<n>.c and its marker path to
    # $work/<n>.path. Fences open and close in pairs; a block is marked when
    # the line after its opening fence is a marker comment.
    awk -v work="$work" '
        /^```/ {
            if (incode) {
                incode = 0
                if (out != "") { close(out); out = "" }
            } else {
                incode = 1; first = 1
            }
            next
        }
        incode && first {
            first = 0
            if ($0 ~ /^\/\* docs\/examples\/[A-Za-z0-9_.-]+\.c \*\/$/) {
                n++; out = work "/" n ".c"
                print substr($0, 4, length($0) - 6) > (work "/" n ".path")
                close(work "/" n ".path")
            }
        }
        out != "" { print > out }
    ' "$page"

    for p in "$work"/*.path; do
        [ -e "$p" ] || break
        rel=$(cat "$p")
        block=${p%.path}.c
        found="$found$rel "
        if [ ! -f "$root/$rel" ]; then
            echo "check-doc-examples: $page shows $rel, which does not exist" >&2
            fail=1
        elif ! diff -u "$root/$rel" "$block" >"$work/diff" ; then
            echo "check-doc-examples: $page's block for $rel differs from the file:" >&2
            cat "$work/diff" >&2
            fail=1
        fi
    done
}

for page in "$@"; do
    check_page "$page"
done

for f in "$root"/docs/examples/*.c; do
    rel=docs/examples/$(basename "$f")
    case "$found" in
        *" $rel "*) ;;
        *) echo "check-doc-examples: $rel is not shown in any of: $*" >&2; fail=1 ;;
    esac
done

[ "$fail" -eq 0 ] && echo "check-doc-examples: every example in $* matches its file"
exit "$fail"
