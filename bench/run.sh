#!/usr/bin/env bash
# Runs FeuerBird's benchmarks and merges them into build/bench/results.json:
# the host microbenchmarks (build/host-release/bench/bench_host) and, when
# the kernel and ISO are built, QEMU boot measurements and image sizes.
# Builds nothing: `make bench` builds first. See docs/BENCHMARKS.md.
#
# usage: bench/run.sh [--update-baseline] [--strict] [--accel tcg|kvm|auto]
#                     [--qemu-runs N] [--no-qemu]
#   --update-baseline  also copy the results to bench/baseline.json
#   --strict           exit 1 when bench/compare.sh finds a regression
#   --accel            QEMU accelerator for boot timings (default tcg)
#   --qemu-runs N      boots per boot path; the median is kept (default 3)
#   --no-qemu          host microbenchmarks only
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bench_bin=build/host-release/bench/bench_host
kernel=build/kernel/arch/x86_64/feuerbird.elf
initrd=build/kernel/user/initrd.cpio
test_iso=build/feuerbird-test.iso
iso=build/feuerbird.iso
out_dir=build/bench
out=$out_dir/results.json
baseline=bench/baseline.json

update=0 strict=0 accel=tcg runs=3 qemu=1
usage() { sed -n '7,13p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --update-baseline) update=1; shift ;;
        --strict) strict=1; shift ;;
        --accel) accel=${2:?}; shift 2 ;;
        --qemu-runs) runs=${2:?}; shift 2 ;;
        --no-qemu) qemu=0; shift ;;
        *) echo "bench: unknown argument '$1'" >&2; usage ;;
    esac
done
case "$accel" in tcg|kvm|auto) ;; *) echo "bench: --accel must be tcg, kvm or auto" >&2; exit 2 ;; esac
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench: --qemu-runs must be a positive integer" >&2; exit 2; }
[ -x "$bench_bin" ] || { echo "bench: $bench_bin missing; build the host-release preset first (make bench)" >&2; exit 2; }

mkdir -p "$out_dir"
lines=$out_dir/results.jsonl
: > "$lines"
failed=0
qemu_accel_used=none

# Escapes a string for a JSON string literal (backslash and double quote).
json_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n'; }

# Appends one result line: name value unit better.
result() {
    printf '{"name": "%s", "value": %s, "unit": "%s", "better": "%s"}\n' "$1" "$2" "$3" "$4" >> "$lines"
}

# Median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Boots once with qemu-run.sh ARGS...; prints "MS CYCLES ACCEL" where MS is
# the wall time from launching the runner until "FeuerBird: boot ok" is in
# the serial log. Returns 1 when the boot never reported ok.
boot_once() {
    local log=$out_dir/boot.log err=$out_dir/boot.err t0 t1 pid cycles acc
    : > "$log"
    t0=$(date +%s%N)
    bash scripts/qemu-run.sh "$@" --log "$log" --timeout 60 --accel "$accel" 2> "$err" &
    pid=$!
    while ! grep -q 'FeuerBird: boot ok' "$log" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            grep -q 'FeuerBird: boot ok' "$log" 2>/dev/null && break
            wait "$pid" || true
            echo "bench: no 'FeuerBird: boot ok' from: qemu-run.sh $*" >&2
            cat "$err" >&2
            return 1
        fi
        sleep 0.005
    done
    t1=$(date +%s%N)
    if ! wait "$pid"; then
        echo "bench: kernel did not exit with success: qemu-run.sh $*" >&2
        cat "$err" >&2
        return 1
    fi
    cycles=$(grep -o 'entry->ok [0-9]* cycles' "$log" | head -n1 | awk '{ print $2 }')
    acc=$(sed -n 's/^\[qemu\] \([a-z]*\): kernel verdict.*/\1/p' "$err" | head -n1)
    echo "$(( (t1 - t0) / 1000 )) ${cycles:-none} ${acc:-unknown}"
}

# Boots runs times through one path and records the medians as
# qemu.PATH.ACCEL.boot_ms and qemu.PATH.ACCEL.entry_to_ok_cycles.
measure_boot() {
    local path=$1; shift
    local ms=() cyc=() acc=unknown line i m c
    for ((i = 0; i < runs; i++)); do
        line=$(boot_once "$@") || { failed=1; return 0; }
        read -r m c acc <<< "$line"
        ms+=("$m")
        [ "$c" = none ] || cyc+=("$c")
    done
    qemu_accel_used=$acc
    result "qemu.$path.$acc.boot_ms" "$(awk -v us="$(median "${ms[@]}")" 'BEGIN { printf "%.1f", us / 1000 }')" ms lower
    if [ ${#cyc[@]} -gt 0 ]; then
        result "qemu.$path.$acc.entry_to_ok_cycles" "$(median "${cyc[@]}")" cycles lower
    else
        echo "bench: no 'entry->ok N cycles' in the $path boot log" >&2
        failed=1
    fi
}

# boot_bench NAME TIMEOUT RUNNER_ARGS...: one boot on one CPU for a
# benchmark, its serial log in $out_dir/NAME.log; sets acc (the caller's
# local) to the accelerator used. A failed boot is reported and marks the
# run failed (returns 1).
boot_bench() {
    local name=$1 tmo=$2 err=$out_dir/$1.err
    shift 2
    if ! bash scripts/qemu-run.sh --smp 1 --log "$out_dir/$name.log" --timeout "$tmo" \
            --accel "$accel" "$@" 2> "$err"; then
        echo "bench: $name failed" >&2
        cat "$err" >&2
        failed=1
        return 1
    fi
    acc=$(sed -n 's/^\[qemu\] \([a-z]*\): kernel verdict.*/\1/p' "$err" | head -n1)
}

# record_cycles KEY SED_SCRIPT LOG: records the number SED_SCRIPT prints
# from LOG as qemu.ACCEL.KEY (cycles, lower is better); a missing one
# marks the run failed.
record_cycles() {
    local v
    v=$(sed -n "$2" "$3" | head -n1)
    if [ -n "$v" ]; then
        result "qemu.${acc:-unknown}.$1" "$v" cycles lower
    else
        echo "bench: no $1 in $3" >&2
        failed=1
    fi
}

# Boots test=ctxsw and records the kernel's context-switch figures (each
# already the fastest of several batches, in TSC cycles):
# qemu.ACCEL.ctxsw_cycles (bare switch), ctxsw_fpu_cycles (both sides FPU
# users), ctxsw_yield_cycles (sched_yield_cpu between two threads),
# null_syscall_cycles (a null system call round trip from user mode).
measure_ctxsw() {
    local acc name
    boot_bench ctxsw 90 --kernel "$kernel" --append "test=ctxsw loglevel=0" || return 0
    for name in ctxsw_cycles ctxsw_fpu_cycles ctxsw_yield_cycles null_syscall_cycles; do
        record_cycles "$name" "s/^bench: $name \([0-9]*\).*/\1/p" "$out_dir/ctxsw.log"
    done
}

# The same paths measured from a real environment: /bin/bench from the
# initrd, through core's dispatcher (argument checks, capability lookups,
# user frame accounting): qemu.ACCEL.user_null_syscall_cycles and
# qemu.ACCEL.user_map_unmap_cycles (mem_map + mem_unmap of one frame);
# and IPC call/reply between two address spaces (/bin/ipcping, 100000
# checked round trips): qemu.ACCEL.ipc_roundtrip_cycles.
measure_user() {
    local acc name
    if boot_bench user 120 --kernel "$kernel" --initrd "$initrd" \
            --append "loglevel=0 -- /bin/bench"; then
        for name in null_syscall_cycles map_unmap_cycles; do
            record_cycles "user_$name" "s/^bench: $name=\([0-9]*\).*/\1/p" "$out_dir/user.log"
        done
    fi
    boot_bench ipc 120 --kernel "$kernel" --initrd "$initrd" \
        --append "loglevel=0 -- /bin/ipcping 100000" || return 0
    record_cycles ipc_roundtrip_cycles \
        's/^ipcping: .*(matches), \([0-9]*\) cycles per round trip.*/\1/p' "$out_dir/ipc.log"
}

# bench_host first, then every other host benchmark program (bench_*.c),
# each printing one JSON result per line.
ran=" "
for b in "$bench_bin" build/host-release/bench/bench_*; do
    [ -f "$b" ] && [ -x "$b" ] || continue
    case "$ran" in *" $b "*) continue ;; esac
    ran="$ran$b "
    echo "==> host microbenchmarks ($b)" >&2
    "$b" >> "$lines" || { echo "bench: $b failed" >&2; failed=1; }
done

if [ -f "$kernel" ]; then
    result size.kernel_elf_bytes "$(stat -c %s "$kernel")" bytes lower
fi
if [ -f "$iso" ]; then
    result size.iso_bytes "$(stat -c %s "$iso")" bytes lower
fi
if [ $qemu -eq 1 ]; then
    if [ -f "$kernel" ]; then
        echo "==> QEMU PVH boot x$runs ($accel)" >&2
        measure_boot pvh --kernel "$kernel" --append autoexit
    else
        echo "bench: $kernel not built; skipping the PVH boot timing" >&2
    fi
    if [ -f "$kernel" ]; then
        echo "==> QEMU context switch (test=ctxsw, $accel)" >&2
        measure_ctxsw
    fi
    if [ -f "$kernel" ] && [ -f "$initrd" ]; then
        echo "==> QEMU user-mode syscalls (/bin/bench, $accel)" >&2
        measure_user
    fi
    if [ -f "$test_iso" ]; then
        echo "==> QEMU GRUB/BIOS boot x$runs ($accel)" >&2
        measure_boot grub_bios --iso "$test_iso"
    else
        echo "bench: $test_iso not built; skipping the GRUB boot timing" >&2
    fi
fi

# Conditions: what the numbers depend on.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' build/host-release/CMakeCache.txt 2>/dev/null | head -n1)
cc_version=$("${cc:-cc}" --version 2>/dev/null | head -n1 || true)
qemu_version=$(qemu-system-x86_64 --version 2>/dev/null | head -n1 || true)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
{
    echo '{"conditions": {'
    printf '  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '  "commit": "%s",\n' "$(json_str "$commit")"
    printf '  "host": "%s",\n' "$(json_str "$(uname -srm)")"
    printf '  "cpu": "%s",\n' "$(json_str "$cpu")"
    printf '  "cpus": %s,\n' "$(nproc)"
    printf '  "compiler": "%s",\n' "$(json_str "$cc_version")"
    printf '  "host_build": "host-release (-O2, LTO)",\n'
    printf '  "qemu": "%s",\n' "$(json_str "$qemu_version")"
    printf '  "qemu_accel": "%s",\n' "$qemu_accel_used"
    printf '  "qemu_runs": %s\n' "$runs"
    echo '},'
    echo '"results": ['
    sed '$!s/$/,/' "$lines"
    echo ']}'
} > "$out"
rm -f "$lines"
echo "==> wrote $out" >&2

if [ $update -eq 1 ]; then
    cp "$out" "$baseline"
    echo "==> baseline updated: $baseline" >&2
elif [ -f "$baseline" ]; then
    strict_arg=()
    [ $strict -eq 0 ] || strict_arg=(--strict)
    bash bench/compare.sh "${strict_arg[@]}" "$baseline" "$out" || failed=1
fi
exit $failed
