#!/usr/bin/env bash
# Fails when a core/ source includes a system header other than the
# freestanding ones DESIGN.md allows, or a BearSSL header outside
# core/crypto/ (the one place that wraps BearSSL). Quoted includes must
# resolve inside core/ or hal/include, never to a host header; the only
# exceptions are the headers the build generates from core/sys/syscalls.tbl.
set -euo pipefail
core=${1:?usage: check-freestanding.sh CORE_DIR}
core=${core%/}
root=$(cd "$core/.." && pwd)
allowed='^(stdint|stddef|stdbool|stdatomic|stdarg|limits)\.h$'
bearssl='^bearssl[a-z0-9_]*\.h$'
generated='^(sys_table|sys_numbers)\.h$'
bad=0
nfiles=0
while IFS= read -r -d '' f; do
    nfiles=$((nfiles + 1))
    dir=$(dirname "$f")
    while IFS=: read -r line text; do
        hdr=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]+)[>"].*/\1/' <<<"$text")
        if [[ $text =~ \#[[:space:]]*include[[:space:]]*\< ]]; then
            if [[ $hdr =~ $bearssl ]]; then
                if [[ $f != "$core"/crypto/* ]]; then
                    echo "$f:$line: <$hdr> is allowed in core/crypto/ only"
                    bad=1
                fi
            elif ! [[ $hdr =~ $allowed ]]; then
                echo "$f:$line: system header <$hdr> is not allowed in core/"
                bad=1
            fi
        elif [[ $hdr =~ $generated ]]; then
            if [ ! -f "$root/core/sys/syscalls.tbl" ]; then
                echo "$f:$line: \"$hdr\" is generated from core/sys/syscalls.tbl, which is missing"
                bad=1
            fi
        elif [ ! -f "$dir/$hdr" ] && [ ! -f "$root/core/include/$hdr" ] && [ ! -f "$root/hal/include/$hdr" ]; then
            echo "$f:$line: \"$hdr\" is neither beside the file, in core/include nor in hal/include"
            bad=1
        fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$f" || true)
done < <(find "$core" -name '*.[ch]' -print0)
if [ "$nfiles" -eq 0 ]; then
    echo "no sources found under $core"
    exit 1
fi
if [ "$bad" -ne 0 ]; then
    exit 1
fi
echo "core is freestanding: $nfiles files checked"
