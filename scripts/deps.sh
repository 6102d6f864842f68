#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages FeuerBird builds and tests with.
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

PACKAGES=(build-essential cmake qemu-system-x86 grub-pc-bin grub-efi-amd64-bin
          grub-common xorriso mtools ovmf libcriterion-dev libbearssl-dev gcovr
          doxygen afl++ clang libclang-rt-dev lld gdb spin)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "[deps] all ${#PACKAGES[@]} packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "[deps] missing: ${missing[*]}; run as root or install sudo" >&2
        exit 1
    fi
fi

echo "[deps] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "[deps] done"
