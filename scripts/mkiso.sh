#!/usr/bin/env bash
# Builds a GRUB2 rescue ISO (BIOS + UEFI) around the kernel ELF.
# usage: mkiso.sh KERNEL_ELF OUTPUT_ISO [KERNEL_CMDLINE]
set -euo pipefail
kernel=${1:?usage: mkiso.sh KERNEL_ELF OUTPUT_ISO [CMDLINE]}
out=${2:?usage: mkiso.sh KERNEL_ELF OUTPUT_ISO [CMDLINE]}
cmdline=${3:-}
here=$(cd "$(dirname "$0")/.." && pwd)

case "$cmdline" in
    *[\;\"\'\$\\\`]*) echo "mkiso: command line may not contain ; \" ' \$ \\ or \`" >&2; exit 2 ;;
esac
[ -f "$kernel" ] || { echo "mkiso: no kernel at $kernel" >&2; exit 2; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$kernel" "$stage/boot/feuerbird.elf"
sed "s|@CMDLINE@|$cmdline|" "$here/boot/grub/grub.cfg" > "$stage/boot/grub/grub.cfg"

echo "[iso] grub-mkrescue -> $out (cmdline: '${cmdline}')"
# Only the modules the menu needs keep the image small.
grub-mkrescue -o "$out" "$stage" \
    --install-modules="multiboot2 normal serial terminal part_msdos part_gpt iso9660" \
    --fonts= --locales= --themes= 2>"$stage/log" || { cat "$stage/log" >&2; exit 1; }
echo "[iso] $(stat -c %s "$out") bytes"
