#!/usr/bin/env bash
# Builds and runs every fuzz target (fuzz/fuzz_*.c) for a bounded time.
# usage: fuzz.sh libfuzzer|afl SECONDS_PER_TARGET
#   libfuzzer: clang -fsanitize=fuzzer,address,undefined (quick smoke)
#   afl:       AFL++ persistent mode through libAFLDriver
# Prints PASS/FAIL per target and "fuzz: N passed, N failed"; exits 1 when a
# target crashed.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:?usage: fuzz.sh libfuzzer|afl SECONDS}
secs=${2:?usage: fuzz.sh libfuzzer|afl SECONDS}
[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || { echo "fuzz: bad SECONDS '$secs'" >&2; exit 2; }
case "$mode" in
    libfuzzer) preset=fuzz ;;
    afl) preset=fuzz-afl ;;
    *) echo "fuzz: mode must be libfuzzer or afl" >&2; exit 2 ;;
esac

cd "$here"
echo "==> fuzz ($mode): building preset $preset"
cmake --preset "$preset" --log-level=WARNING >/dev/null && cmake --build --preset "$preset" -j"$(nproc)" >/dev/null \
    || { echo "fuzz: build failed"; echo "fuzz: 0 passed, 1 failed"; exit 1; }

pass=0 fail=0
for src in fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    bin=build/$preset/fuzz/$name
    seeds=fuzz/corpus/$name
    work=build/$preset/work/$name
    rm -rf "$work"; mkdir -p "$work/corpus"
    echo "==> fuzz ($mode): $name for ${secs}s"
    if [ "$mode" = libfuzzer ]; then
        # New inputs go to the scratch corpus; the committed seeds stay as they are.
        "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/" \
            "$work/corpus" "$seeds" >"$work/log" 2>&1
        rc=$?
        execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -oE '[0-9]+$')
    else
        AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
        AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1 \
            afl-fuzz -i "$seeds" -o "$work/out" -V "$secs" -- "$bin" >"$work/log" 2>&1
        rc=$?
        crashes=$(find "$work/out" -path '*crashes/id:*' 2>/dev/null | wc -l)
        [ "$crashes" -eq 0 ] || rc=1
        execs=$(grep -hoE '^execs_done *: *[0-9]+' "$work"/out/*/fuzzer_stats 2>/dev/null | grep -oE '[0-9]+$' | head -n1)
    fi
    if [ $rc -eq 0 ]; then
        echo "PASS $name (${execs:-?} executions)"; pass=$((pass + 1))
    else
        echo "FAIL $name (exit $rc; log $work/log)"; tail -n 30 "$work/log" | sed 's/^/    | /'
        fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
