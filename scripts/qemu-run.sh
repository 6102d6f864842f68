#!/usr/bin/env bash
# The one QEMU runner: boots the kernel (PVH via -kernel, or the GRUB ISO
# under SeaBIOS or OVMF), with isa-debug-exit so the kernel's verdict becomes
# our exit status, a timeout on every non-interactive run, and the serial
# log kept in a file.
#
# usage: qemu-run.sh (--kernel ELF [--append CMDLINE] | --iso ISO) [--uefi]
#                    [--log FILE] [--timeout SEC] [--accel auto|kvm|tcg]
#                    [--initrd FILE] [--cpu MODEL] [--smp N] [--machine TYPE]
#                    [--interactive] [--gdb] [--input FILE]
#        --input: the serial receiver reads FILE (e.g. a FIFO a test writes
#        commands into) instead of nothing; output still goes to the log
# exit:  0 kernel reported success (QEMU status 33), or the user quit an
#          interactive run
#        1 kernel reported failure (QEMU status 35)
#        124 timeout; 2 usage or QEMU error, or QEMU ended without a verdict
#          (a triple fault resets the machine, and -no-reboot exits)
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
kernel="" iso="" append="" initrd="" uefi=0 log="" timeout_s=60 accel=auto
interactive=0 gdb=0 cpu="" smp=1 machine=q35 input=""

usage() { sed -n '7,17p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) kernel=${2:?}; shift 2 ;;
        --iso) iso=${2:?}; shift 2 ;;
        --append) append=${2-}; shift 2 ;;
        --initrd) initrd=${2:?}; shift 2 ;;
        --cpu) cpu=${2:?}; shift 2 ;;
        --smp) smp=${2:?}; shift 2 ;;
        --machine) machine=${2:?}; shift 2 ;;
        --uefi) uefi=1; shift ;;
        --log) log=${2:?}; shift 2 ;;
        --timeout) timeout_s=${2:?}; shift 2 ;;
        --accel) accel=${2:?}; shift 2 ;;
        --interactive) interactive=1; shift ;;
        --gdb) gdb=1; interactive=1; shift ;;
        --input) input=${2:?}; shift 2 ;;
        *) echo "qemu-run: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -n "$kernel" ] || [ -n "$iso" ] || usage
[ -z "$kernel" ] || [ -z "$iso" ] || { echo "qemu-run: --kernel and --iso exclude each other" >&2; exit 2; }
[[ $timeout_s =~ ^[0-9]+$ ]] && [ "$timeout_s" -gt 0 ] || { echo "qemu-run: bad --timeout '$timeout_s'" >&2; exit 2; }
[[ $smp =~ ^[0-9]+$ ]] && [ "$smp" -gt 0 ] || { echo "qemu-run: bad --smp '$smp'" >&2; exit 2; }
for f in "$kernel" "$iso" "$initrd"; do
    [ -z "$f" ] || [ -f "$f" ] || { echo "qemu-run: no such file: $f" >&2; exit 2; }
done
if { [ -n "$append" ] || [ -n "$initrd" ]; } && [ -n "$iso" ]; then
    echo "qemu-run: --append and --initrd only work with --kernel (the ISO's grub.cfg holds its command line)" >&2
    exit 2
fi

ovmf=""
if [ $uefi -eq 1 ]; then
    for f in /usr/share/ovmf/OVMF.fd /usr/share/OVMF/OVMF.fd /usr/share/qemu/OVMF.fd; do
        [ -f "$f" ] && { ovmf=$f; break; }
    done
    [ -n "$ovmf" ] || { echo "qemu-run: OVMF not found (install ovmf)" >&2; exit 2; }
fi

base=(qemu-system-x86_64 -machine "$machine" -m 256M -smp "$smp" -no-reboot -display none -nic none
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)
if [ -n "$kernel" ]; then
    boot=(-kernel "$kernel")
    [ -z "$append" ] || boot+=(-append "$append")
    [ -z "$initrd" ] || boot+=(-initrd "$initrd")
else
    boot=(-cdrom "$iso" -boot d)
fi
[ -z "$ovmf" ] || boot+=(-bios "$ovmf")

# KVM only counts as working when a real boot through it succeeds: nested
# KVM can boot PVH yet hang inside GRUB, so the probe uses the same boot
# path as the run and its answer is cached per path.
kvm_works() {
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
    local mode=pvh probe_kernel=$kernel
    [ -z "$iso" ] || mode=iso
    [ $uefi -eq 0 ] || mode=$mode-uefi
    local cache="$here/build/.kvm-probe-$mode"
    if [ -f "$cache" ]; then [ "$(cat "$cache")" = yes ]; return; fi
    mkdir -p "$here/build"
    local probe_boot=("${boot[@]}")
    if [ -z "$iso" ]; then probe_boot=(-kernel "$probe_kernel" -append autoexit); fi
    timeout 20 "${base[@]}" -accel kvm -cpu host "${probe_boot[@]}" -serial null -monitor none >/dev/null 2>&1
    if [ $? -eq 33 ]; then echo yes > "$cache"; return 0; fi
    echo no > "$cache"; return 1
}
case "$accel" in
    kvm) acc=(-accel kvm -cpu "${cpu:-host}"); accel_name=kvm ;;
    tcg) acc=(-accel tcg -cpu "${cpu:-max}"); accel_name=tcg ;;
    auto) if kvm_works; then acc=(-accel kvm -cpu "${cpu:-host}"); accel_name=kvm
          else acc=(-accel tcg -cpu "${cpu:-max}"); accel_name=tcg; fi ;;
    *) echo "qemu-run: --accel must be auto, kvm or tcg" >&2; exit 2 ;;
esac

if [ $interactive -eq 1 ]; then
    extra=(-serial mon:stdio)
    if [ $gdb -eq 1 ]; then
        extra+=(-s -S)
        echo "[qemu] paused with a gdb stub on :1234; attach with: gdb -x scripts/gdbinit"
    else
        echo "[qemu] booting ($accel_name); serial console below, Ctrl-A X quits"
    fi
    if [ -n "$log" ]; then
        "${base[@]}" "${acc[@]}" "${boot[@]}" "${extra[@]}" | tee "$log"
        status=${PIPESTATUS[0]}
    else
        "${base[@]}" "${acc[@]}" "${boot[@]}" "${extra[@]}"
        status=$?
    fi
else
    [ -n "$log" ] || log=$(mktemp)
    : > "$log"
    if [ -n "$input" ]; then
        timeout --foreground -k 5 "$timeout_s" "${base[@]}" "${acc[@]}" "${boot[@]}" \
            -serial stdio -monitor none <"$input" >"$log"
    else
        timeout --foreground -k 5 "$timeout_s" "${base[@]}" "${acc[@]}" "${boot[@]}" \
            -serial "file:$log" -monitor none </dev/null
    fi
    status=$?
fi

case $status in
    33) verdict=success; rc=0 ;;
    35) verdict=failure; rc=1 ;;
    124|137) verdict="timeout after ${timeout_s}s"; rc=124 ;;
    # Without a verdict QEMU exits 0 on its own only after a reset, which
    # -no-reboot turns into an exit: a triple fault. Only a person quitting
    # an interactive run makes that a normal end.
    0) if [ $interactive -eq 1 ]; then verdict="quit by the user"; rc=0
       else verdict="no verdict: QEMU exited on its own (triple fault or reset)"; rc=2; fi ;;
    *) verdict="qemu error"; rc=2 ;;
esac
echo "[qemu] $accel_name: kernel verdict: $verdict (status $status)" >&2
exit $rc
