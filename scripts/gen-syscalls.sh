#!/bin/sh
# Generates one file from core/sys/syscalls.tbl (see cmake/gen-syscalls.awk).
# usage: gen-syscalls.sh numbers|kernel|user|doc OUTPUT
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:?usage: gen-syscalls.sh numbers|kernel|user|doc OUTPUT}
out=${2:?usage: gen-syscalls.sh numbers|kernel|user|doc OUTPUT}
mkdir -p "$(dirname "$out")"
awk -v mode="$mode" -f "$here/cmake/gen-syscalls.awk" "$here/core/sys/syscalls.tbl" > "$out.tmp"
mv "$out.tmp" "$out"
