#!/usr/bin/env bash
# The whole test suite behind `make test`: builds both configurations and the
# test ISO, runs the host tests (Criterion through ctest, each Criterion test
# counted), the sanitizer runs, the libFuzzer smoke and the QEMU tests, and
# ends with one line "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
jobs=$(nproc)
KERNEL=build/kernel/arch/x86_64/feuerbird.elf
pass=0 fail=0
logdir=build/test-logs
mkdir -p "$logdir"

step() { echo; echo "==> [$1] $2"; }
# count PASSED FAILED: adds one stage's numbers to the totals.
count() { pass=$((pass + $1)); fail=$((fail + $2)); echo "    -> $1 passed, $2 failed"; }

build_preset() {
    cmake --preset "$1" --log-level=WARNING >"$logdir/$1.configure" 2>&1 &&
        cmake --build --preset "$1" -j"$jobs" >"$logdir/$1.build" 2>&1
    local rc=$?
    [ $rc -eq 0 ] || { cat "$logdir/$1.configure" "$logdir/$1.build" | tail -n 60; }
    return $rc
}

# host_ctest PRESET: runs ctest verbosely and counts Criterion's individual
# tests (its "Synthesis" lines) plus every non-Criterion ctest entry.
host_ctest() {
    local preset=$1 log=$logdir/ctest-$1.log
    ctest --preset "$preset" -j"$jobs" -V >"$log" 2>&1
    local rc=$?
    sed -i 's/\x1b\[[0-9;]*m//g' "$log"
    local summary t f cp cf ce cef
    summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1)
    if [ -z "$summary" ]; then
        tail -n 40 "$log"; count 0 1; return
    fi
    t=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$summary")
    f=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
    read -r cp cf ce cef < <(grep -E 'Synthesis: Tested:' "$log" | awk -F'|' '
        { p = $2; sub(/.*Passing: */, "", p); fl = $3; sub(/.*Failing: */, "", fl);
          cr = $4; sub(/.*Crashing: */, "", cr);
          P += p; F += fl + cr; E++; if (fl + cr > 0) EF++ }
        END { print P + 0, F + 0, E + 0, EF + 0 }')
    local op=$(( t - f - (ce - cef) )) of=$(( f - cef ))
    [ $rc -eq 0 ] || grep -E '\*\*\*Failed|\(Failed\)|Exception|\[FAIL\]' "$log" | head -n 40
    count $(( cp + op )) $(( cf + of ))
}

step 1/7 "host build (preset host)"
if build_preset host; then host_ok=1; else host_ok=0; count 0 1; fi

step 2/7 "kernel build (preset kernel)"
if build_preset kernel; then
    kernel_ok=1
    echo "    kernel: $KERNEL, $(stat -c %s "$KERNEL") bytes"
else
    kernel_ok=0; count 0 1
fi

step 3/7 "test ISO (GRUB2, BIOS + UEFI)"
iso_ok=0
if [ $kernel_ok -eq 1 ] && bash scripts/mkiso.sh "$KERNEL" build/feuerbird-test.iso autoexit &&
   bash scripts/mkiso.sh "$KERNEL" build/feuerbird-user-test.iso "-- /bin/systest" \
       build/kernel/user/initrd.cpio; then
    iso_ok=1
else
    count 0 1
fi

step 4/7 "host tests (Criterion via ctest)"
if [ $host_ok -eq 1 ]; then host_ctest host; fi

step 5/7 "sanitizer runs (host-asan: ASan+UBSan, host-tsan: TSan)"
for p in host-asan host-tsan; do
    echo "    $p"
    if build_preset "$p"; then host_ctest "$p"; else count 0 1; fi
done

step 6/7 "fuzz smoke (libFuzzer, 10 s per target)"
fz=$(bash scripts/fuzz.sh libfuzzer 10 2>&1 | tee "$logdir/fuzz.log" | grep -E '^(PASS|FAIL|fuzz:)')
echo "$fz" | sed 's/^/    /'
line=$(grep -E '^fuzz: [0-9]+ passed' <<<"$fz")
if [ -n "$line" ]; then
    count "$(awk '{print $2}' <<<"$line")" "$(awk '{print $4}' <<<"$line")"
else
    tail -n 20 "$logdir/fuzz.log"; count 0 1
fi

step 7/7 "QEMU tests"
if [ $iso_ok -eq 1 ]; then
    bash qemu-tests/run.sh | tee "$logdir/qemu.log" | sed 's/^/    /'
    line=$(grep -E '^qemu-tests: [0-9]+ passed' "$logdir/qemu.log")
    if [ -n "$line" ]; then
        count "$(awk '{print $2}' <<<"$line")" "$(awk '{print $4}' <<<"$line")"
    else
        count 0 1
    fi
fi

echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
