#!/usr/bin/env bash
# Checks a Promela model exhaustively with Spin: generates the verifier,
# compiles it for safety properties (assertions, invalid end states) and
# runs it. Exit 0 when Spin reports no error, 1 otherwise.
# usage: host-tests/model/run.sh MODEL.pml [-DMACRO ...]
set -euo pipefail
model=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
command -v spin >/dev/null 2>&1 || { echo "model: spin is not installed (scripts/deps.sh)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
spin -a "$@" "$model" >spin.log 2>&1 || { cat spin.log; exit 1; }
cc -O2 -DSAFETY -o pan pan.c 2>>spin.log || { cat spin.log; exit 1; }
./pan >pan.log 2>&1 || true
grep -E 'violated|errors:|states, stored' pan.log
grep -q 'errors: 0' pan.log
