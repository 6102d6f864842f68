#!/usr/bin/env bash
# QEMU tests: boots the kernel through every supported path and checks the
# serial log and QEMU's exit status (the kernel's verdict via isa-debug-exit).
# usage: qemu-tests/run.sh [FILTER]   (FILTER: substring of test names)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
kernel=${FB_KERNEL:-$here/build/kernel/arch/x86_64/feuerbird.elf}
test_iso=${FB_TEST_ISO:-$here/build/feuerbird-test.iso}
initrd=${FB_INITRD:-$here/build/kernel/user/initrd.cpio}
user_iso=${FB_USER_ISO:-$here/build/feuerbird-user-test.iso}
logs=$here/build/qemu-tests
filter=${1:-}
mkdir -p "$logs"
pass=0 fail=0

# run_case NAME EXPECTED_RC TIMEOUT PATTERNS... -- RUNNER_ARGS...
# Passes when the runner exits with EXPECTED_RC and every PATTERN (an
# extended regex) appears in the serial log.
run_case() {
    local name=$1 want=$2 tmo=$3; shift 3
    local patterns=()
    while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
    shift
    if [ -n "$filter" ] && [[ $name != *"$filter"* ]]; then return; fi
    local log=$logs/$name.log
    "$here/scripts/qemu-run.sh" --log "$log" --timeout "$tmo" "$@" 2>"$logs/$name.runner"
    local rc=$? why=""
    [ "$rc" -eq "$want" ] || why="runner exit $rc, expected $want ($(tail -n1 "$logs/$name.runner"))"
    local p
    for p in "${patterns[@]}"; do
        [ -n "$why" ] && break
        grep -qE -- "$p" "$log" || why="serial log lacks /$p/"
    done
    if [ -z "$why" ]; then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: $why (log: $log)"; fail=$((fail + 1))
        tail -n 25 "$log" | sed 's/^/    | /'
    fi
}

for f in "$kernel" "$test_iso" "$initrd" "$user_iso"; do
    [ -f "$f" ] || { echo "qemu-tests: missing $f (build the kernel and ISO first)"; echo "qemu-tests: 0 passed, 1 failed"; exit 1; }
done

ok='FeuerBird: boot ok'
run_case pvh_boots_to_boot_ok 0 60 'booted by .* via PVH' "$ok" 'selftest ok' 'timer ticks, exiting' -- \
    --kernel "$kernel" --append "autoexit"
run_case pvh_passes_cmdline_and_counts_ticks 0 60 "cmdline.*autoexit ticks=25" '25 timer ticks' -- \
    --kernel "$kernel" --append "autoexit ticks=25"
run_case pvh_warns_on_unknown_option 0 60 "unknown option 'frobnicate'" "$ok" -- \
    --kernel "$kernel" --append "autoexit frobnicate=1"
# The kernel's own BearSSL build must reproduce RFC 4231's HMAC-SHA256
# tags at boot, and the kernel build of core/cap must derive, verify,
# revoke and round-trip a token; loglevel=2 makes the self-check name each
# check it passed.
run_case pvh_selftest_hmac_and_capabilities 0 60 'selftest: HMAC-SHA256 RFC 4231 ok' \
    'selftest: capabilities ok \(verify [0-9]+ cycles at depth 1, [0-9]+ at depth 8\)' 'selftest ok' "$ok" -- \
    --kernel "$kernel" --append "autoexit loglevel=2"
# Without RDSEED/RDRAND there is no token key: tokens are refused, the
# rest of the capability checks and the boot still pass.
run_case pvh_without_entropy_disables_tokens_only 0 60 'no token key \(FB_ENOTSUP\)' \
    'selftest: capabilities ok' "$ok" -- \
    --kernel "$kernel" --append "autoexit loglevel=2" --cpu qemu64
echo "feuerbird test module" > "$logs/module.bin"
run_case pvh_lists_boot_module 0 60 'module 0: \[0x[0-9a-f]{16}-0x[0-9a-f]{16}\)' "$ok" -- \
    --kernel "$kernel" --append "autoexit" --initrd "$logs/module.bin"
run_case iso_bios_boots_to_boot_ok 0 120 "$ok" 'booted by GRUB.*via Multiboot2' -- \
    --iso "$test_iso"
run_case iso_uefi_boots_to_boot_ok 0 240 "$ok" 'booted by GRUB.*via Multiboot2' -- \
    --iso "$test_iso" --uefi

# SMP: every CPU of the MADT is started (INIT-SIPI-SIPI) and the tick runs
# through the IOAPIC; smp=N caps the CPUs started.
for n in 2 4; do
    run_case "smp${n}_starts_every_cpu" 0 60 "MADT: $n CPUs" "SMP: $n CPU\(s\) up" 'via IOAPIC' \
        "$ok" 'timer ticks, exiting' -- --kernel "$kernel" --append "autoexit" --smp $n
done
run_case iso_bios_smp4_starts_every_cpu 0 120 "SMP: 4 CPU\(s\) up" "$ok" 'timer ticks, exiting' -- \
    --iso "$test_iso" --smp 4
run_case iso_uefi_smp4_starts_every_cpu 0 240 'ACPI 2 MADT: 4 CPUs' "SMP: 4 CPU\(s\) up" "$ok" \
    'timer ticks, exiting' -- --iso "$test_iso" --uefi --smp 4
run_case smp_option_limits_cpus 0 60 "SMP: 2 CPU\(s\) up" "$ok" -- \
    --kernel "$kernel" --append "autoexit smp=2" --smp 4

# Without ACPI tables there is no MADT: one CPU, the tick through the
# 8259, and the scheduler still preempts through the LAPIC timer.
run_case no_acpi_falls_back_to_8259 0 90 'no ACPI MADT' 'tick .* via 8259' 'ktest: preempt ok' -- \
    --kernel "$kernel" --append "test=preempt" --smp 2 --machine pc,acpi=off

# In-kernel tests (arch/x86_64/ktest.c), each on 1, 2 and 4 CPUs: kernel
# threads under every policy with checksums and every CPU running some;
# live policy switches under load; a thread that never yields preempted by
# the LAPIC timer; SSE registers kept across switches; COM1's interrupt
# through an irq_bind capability, then dropped once unbound; user threads
# in their own address spaces (ktest_user.c): system calls, SSE state,
# registers, user copies, faults, TLB shootdown by PCID generation.
# DMA pool buffers from the boot DMA zone (once: no CPU-count dependence).
run_case ktest_dma_pool_from_the_boot_zone 0 90 'DMA zone 4096 KiB at 0x' \
    'ktest: dma: 8 buffers .*below 4 GiB, zeroed.*ownership errors ok, zone coalesced' 'ktest: dma ok' -- \
    --kernel "$kernel" --append "test=dma" --smp 2
for n in 1 2 4; do
    for pol in rr prio stride; do
        run_case "ktest_sched_${pol}_smp$n" 0 90 "ktest: sched $pol: 8 threads x 200 iterations on $n CPUs, checksums match" \
            "ktest: cpu $((n - 1)) ran [1-9]" 'ktest: sched ok' -- \
            --kernel "$kernel" --append "test=sched sched=$pol loglevel=0" --smp $n
    done
    run_case "ktest_switch_smp$n" 0 120 'ktest: switch: [0-9]+ live policy switches.*none lost or run twice' \
        'ktest: switch ok' -- --kernel "$kernel" --append "test=switch loglevel=0" --smp $n
    run_case "ktest_preempt_smp$n" 0 90 'ktest: preempt: the spinner was preempted [1-9][0-9]* times' \
        'ktest: preempt ok' -- --kernel "$kernel" --append "test=preempt loglevel=0" --smp $n
    run_case "ktest_fpu_smp$n" 0 90 'ktest: fpu: 3 SSE threads x 100 switches, 0 mismatches' \
        'ktest: fpu ok' -- --kernel "$kernel" --append "test=fpu loglevel=0" --smp $n
    run_case "ktest_irq_smp$n" 0 90 "ktest: irq: line 4 bound to cpu $((n - 1)), [2-9][0-9]* delivered" \
        'ktest: irq: unbound line dropped [1-9]' 'ktest: irq ok' -- \
        --kernel "$kernel" --append "test=irq loglevel=0" --smp $n
    run_case "ktest_user_smp$n" 0 120 'ktest: user: no handler: a system call returned FB_ENOSYS' \
        'ktest: user: 100000 null system calls counted, [0-9]+ cycles each' \
        "ktest: user: sse: .* 0 mismatches, moved across CPUs 0x$(printf %x $(((1 << n) - 1))), [1-9][0-9]* preemptions" \
        'ktest: user: registers but RAX, RCX, R11 kept' 'ktest: user: copy: good pointer FB_OK' \
        'ktest: user: a system call at the top of user space ends in #GP' \
        'ktest: user: faults: .* the kernel survived' "ktest: user: tlb: .* from CPU $((n - 1)) and from CPU 0" \
        'ktest: user: aspace: next walks 5 pages' 'ktest: user: console: 3 bytes looped back' \
        'ktest: user ok' -- --kernel "$kernel" --append "test=user loglevel=0" --smp $n
done
# The CPU model decides about PCIDs: without them every address-space
# switch flushes; with them (KVM on a host that has them; QEMU 7.2's TCG
# does not) stale entries on other CPUs are dropped by generation.
run_case ktest_user_without_pcid_smp2 0 120 'ktest: user: tlb: .*pcid off' 'ktest: user ok' -- \
    --kernel "$kernel" --append "test=user loglevel=0" --smp 2 --cpu max,-pcid
if [ "$(cat "$here/build/.kvm-probe-pvh" 2>/dev/null)" = yes ] && grep -qw pcid /proc/cpuinfo; then
    run_case ktest_user_with_pcid_kvm_smp2 0 120 'ktest: user: tlb: .*pcid on' 'ktest: user ok' -- \
        --kernel "$kernel" --append "test=user loglevel=0" --smp 2 --accel kvm
fi
# Every test in one boot: fresh threads per round, one scheduler throughout.
run_case ktest_all_in_one_boot_smp2 0 120 'ktest: sched rr: .* checksums match' 'ktest: switch: ' \
    'ktest: preempt: ' 'ktest: fpu: .* 0 mismatches' 'ktest: irq: unbound line dropped' \
    'ktest: dma: .*zone coalesced' 'ktest: user: tlb: ' 'ktest: all ok' -- \
    --kernel "$kernel" --append "test=all loglevel=0" --smp 2
# The context-switch benchmark prints its numbers (bench/run.sh reads them).
run_case ktest_ctxsw_bench_prints_cycles 0 90 'bench: ctxsw_cycles [0-9]+' 'bench: ctxsw_fpu_cycles [0-9]+' \
    'bench: ctxsw_yield_cycles [0-9]+' 'bench: null_syscall_cycles [0-9]+' 'ktest: ctxsw ok' -- \
    --kernel "$kernel" --append "test=ctxsw loglevel=0"

# A CPU without long mode is told so by the 32-bit entry, which fails the
# run instead of triple-faulting.
run_case cpu_without_long_mode_is_refused 1 60 'CPU lacks long mode' -- \
    --kernel "$kernel" --append "autoexit" --cpu qemu32

# fault=NAME must dump the right vector with RIP and CR2 and fail the run.
fault_case() {
    local f=$1; shift
    run_case "fault_${f}_dumps_and_fails" 1 60 "$ok" "$@" 'RIP=0x[0-9a-f]{16}' 'CR2=0x[0-9a-f]{16}' -- \
        --kernel "$kernel" --append "autoexit fault=$f"
}
fault_case de 'EXCEPTION vector=0 '
fault_case bp 'EXCEPTION vector=3 '
fault_case ud 'EXCEPTION vector=6 '
fault_case gp 'EXCEPTION vector=13 '
fault_case pf 'EXCEPTION vector=14 ' 'CR2=0x00000000dead0000'
fault_case guard 'EXCEPTION vector=8 ' "CPU 0's boot stack guard page hit"

# make debug: QEMU waits on the gdb stub, scripts/gdbinit loads the symbols
# and must stop at main64 in the higher half.
gdb_case() {
    local name=gdb_stub_stops_at_main64
    if [ -n "$filter" ] && [[ $name != *"$filter"* ]]; then return; fi
    if ! command -v gdb >/dev/null 2>&1; then
        echo "FAIL $name: gdb is not installed"; fail=$((fail + 1)); return
    fi
    local out=$logs/$name.gdb
    setsid "$here/scripts/qemu-run.sh" --kernel "$kernel" --gdb >"$logs/$name.log" 2>&1 </dev/null &
    local qpid=$! try
    # QEMU may not listen yet when gdb first tries; a refused attach leaves
    # QEMU untouched, so try again briefly.
    for try in 1 2 3 4 5; do
        (cd "$here" && timeout 60 gdb -q -batch -x scripts/gdbinit -ex 'info symbol $pc' -ex kill) >"$out" 2>&1
        grep -q 'Connection refused' "$out" || break
        sleep 1
    done
    # The paused QEMU has no timeout of its own; never leave it behind.
    for try in 1 2 3 4 5; do kill -0 $qpid 2>/dev/null || break; sleep 1; done
    kill -- -$qpid 2>/dev/null; wait $qpid 2>/dev/null
    if grep -qE '^Breakpoint 1, main64 ' "$out" && grep -q 'main64 in section .text' "$out"; then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: gdb did not stop at main64 (log: $out)"; fail=$((fail + 1))
        tail -n 15 "$out" | sed 's/^/    | /'
    fi
}
gdb_case

# The capability API is part of the kernel image, not only of the host
# library: every public function must be a defined text symbol.
symbols_case() {
    local name=kernel_image_has_capability_api missing="" f
    if [ -n "$filter" ] && [[ $name != *"$filter"* ]]; then return; fi
    local syms
    syms=$(nm --defined-only "$kernel" | awk '$2 == "T" { print $3 }')
    for f in cap_table_init cap_table_reset cap_table_alloc cap_table_release cap_table_check \
             cap_table_bytes cap_create cap_verify cap_lookup cap_derive cap_grant cap_revoke \
             cap_delete cap_token_init cap_token_set_key cap_token_mint cap_token_verify \
             lattice_leq lattice_join lattice_meet lattice_top lattice_bottom lattice_dominates \
             lattice_make lattice_valid lattice_equal rights_valid rights_leq rights_join \
             rights_meet rights_top rights_bottom br_hmac_init br_hmac_out fb_hmac_sha256_keyed; do
        grep -qx "$f" <<<"$syms" || missing+=" $f"
    done
    if [ -z "$missing" ]; then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: not in the kernel image:$missing"; fail=$((fail + 1))
    fi
}
symbols_case

# User space from the initrd: init runs the program after "--" and the
# kernel stops with its verdict (exit code 0 is success).
for n in 1 2; do
    run_case "user_systest_every_syscall_smp$n" 0 240 'systest: [0-9]+ checks, 0 failed' \
        'FeuerBird: /init exited with code 0' -- \
        --kernel "$kernel" --initrd "$initrd" --smp "$n" --append "-- /bin/systest"
done
run_case user_torture_million_random_syscalls_smp2 0 480 'torture: 1000000 syscalls, survived' \
    'FeuerBird: /init exited with code 0' -- \
    --kernel "$kernel" --initrd "$initrd" --smp 2 --append "-- /bin/torture"
# IPC between two address spaces: a million checked call/reply round
# trips, the client on a gas budget of exactly that many calls.
run_case user_ipc_million_round_trips_checked 0 400 \
    'ipcping: 1000000 round trips, checksum 0x[0-9a-f]{16} \(matches\)' \
    'FeuerBird: /init exited with code 0' -- \
    --kernel "$kernel" --initrd "$initrd" --append "loglevel=0 -- /bin/ipcping 1000000"
# GRUB hands the initrd over as a Multiboot2 module named "initrd".
run_case iso_bios_runs_systest_from_initrd_module 0 240 'booted by GRUB.*via Multiboot2' \
    "initrd 'initrd' unpacked" 'systest: [0-9]+ checks, 0 failed' -- --iso "$user_iso"
# A program's exit code is init's verdict; a missing program or initrd,
# or an archive that is not cpio, is reported and fails the boot cleanly.
run_case user_init_exit_code_is_the_verdict 1 60 'hello from env 2' \
    'FeuerBird: /init exited with code 42' -- \
    --kernel "$kernel" --initrd "$initrd" --append "-- /bin/hello"
# A fault in user mode ends that environment with a report, not the kernel.
run_case user_fault_ends_only_that_environment 1 60 \
    'FeuerBird: env 2 \(/bin/fault\) ended: fault vector 14 error 0x6 at ip 0x[0-9a-f]+ .*address 0x300000000000\)' \
    'FeuerBird: /init exited with code -1000' -- \
    --kernel "$kernel" --initrd "$initrd" --append "-- /bin/fault pf"
run_case user_missing_init_program_is_reported 1 60 'cannot load /bin/nope: FB_ENOENT' -- \
    --kernel "$kernel" --initrd "$initrd" --append "init=/bin/nope"
run_case user_without_initrd_is_reported 1 60 'no initrd module' 'cannot load /init' -- \
    --kernel "$kernel"
run_case user_malformed_initrd_is_rejected 1 60 "initrd '.*' rejected: FB_" 'cannot load /init' -- \
    --kernel "$kernel" --initrd "$kernel"

# fbsh driven through the serial console, command by command.
fbsh_case() {
    local name=user_fbsh_serial_session_smp$1
    if [ -n "$filter" ] && [[ $name != *"$filter"* ]]; then return; fi
    local out
    if out=$(bash "$here/qemu-tests/fbsh.sh" "$kernel" "$initrd" "$logs/$name.log" "$1" 2>&1); then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: $out" | head -n 1; fail=$((fail + 1))
        echo "$out" | tail -n 22 | sed 's/^/    | /'
    fi
}
fbsh_case 1
fbsh_case 2

echo "qemu-tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
