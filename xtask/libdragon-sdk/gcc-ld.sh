#!/usr/bin/env bash
# The `ld` that Debian's GCC driver runs (through the wrapper's `-B`) in the libdragon SDK: the
# SDK's mips64-elf ld, minus the emulation option the Linux driver adds for -mabi=32 links
# (`-m elf32btsmip`, the Linux name of 32-bit big-endian MIPS ELF); mips64-elf's one emulation,
# elf32ebmip, is the right one for both the VR4300 (o64) and the RSP (o32) programs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
args=()
skip_next=0
for arg in "$@"; do
    if [ "$skip_next" = 1 ]; then
        skip_next=0
        continue
    fi
    case "$arg" in
        -m) skip_next=1 ;;
        -melf*) ;;
        *) args+=("$arg") ;;
    esac
done
exec "$here/../../mips64-elf/bin/ld" "${args[@]}"
