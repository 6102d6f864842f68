#!/usr/bin/env bash
# Builds a GRUB2 rescue ISO (BIOS + UEFI) around the kernel ELF, and,
# when INITRD is given, the initrd (cpio) as the Multiboot2 module
# "initrd" (/boot/initrd.cpio).
# usage: mkiso.sh KERNEL_ELF OUTPUT_ISO [KERNEL_CMDLINE [INITRD]]
set -euo pipefail
usage="usage: mkiso.sh KERNEL_ELF OUTPUT_ISO [CMDLINE [INITRD]]"
kernel=${1:?$usage}
out=${2:?$usage}
cmdline=${3:-}
initrd=${4:-}
here=$(cd "$(dirname "$0")/.." && pwd)

case "$cmdline" in
    *[\;\"\'\$\\\`]*) echo "mkiso: command line may not contain ; \" ' \$ \\ or \`" >&2; exit 2 ;;
esac
[ -f "$kernel" ] || { echo "mkiso: no kernel at $kernel" >&2; exit 2; }
[ -z "$initrd" ] || [ -f "$initrd" ] || { echo "mkiso: no initrd at $initrd" >&2; exit 2; }

stage=$(mktemp -d)
# The log lives outside the stage: grub-mkrescue packs the whole stage,
# and a log growing while xorriso reads it fails the build.
log=$(mktemp)
trap 'rm -rf "$stage" "$log"' EXIT
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/feuerbird.elf"
module=""
if [ -n "$initrd" ]; then
    cp "$initrd" "$stage/boot/initrd.cpio"
    module="module2 /boot/initrd.cpio initrd"
fi
sed -e "s|@CMDLINE@|$cmdline|" -e "s|@INITRD@|$module|" "$here/boot/grub/grub.cfg" \
    > "$stage/boot/grub/grub.cfg"

echo "[iso] grub-mkrescue -> $out (cmdline: '${cmdline}'${initrd:+, initrd: $initrd})"
# Only the modules the menu needs keep the image small.
grub-mkrescue -o "$out" "$stage" \
    --install-modules="multiboot2 normal serial terminal part_msdos part_gpt iso9660" \
    --fonts= --locales= --themes= 2>"$log" || { cat "$log" >&2; exit 1; }
echo "[iso] $(stat -c %s "$out") bytes"
