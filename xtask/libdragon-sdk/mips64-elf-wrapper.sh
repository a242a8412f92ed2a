#!/usr/bin/env bash
# `$N64_INST/bin/mips64-elf-{gcc,g++,cc,c++}` of the libdragon SDK that `cargo xtask libdragon-sdk`
# builds (docs/libdragon.md): Debian's Linux cross compiler for MIPS64 (GCC 12) made to behave like
# the bare-metal `mips64-elf` GCC that libdragon's n64.mk expects. Which one it is comes from the
# name it was called by. The binutils beside it are real mips64-elf ones, built by build-sdk.sh.
#
# What each option is for (each was a failure without it):
# - `-B <dir>`: assemble and link with the SDK's mips64-elf binutils, not Debian's Linux ones
#   (whose assembler pads sections and breaks rspq's overlay check; see build-sdk.sh); the `ld`
#   there drops the Linux driver's emulation option (gcc-ld.sh).
# - C/C++ for the VR4300: libdragon's ABI is o64 (the bare-metal GCC's default); the Linux GCC
#   defaults to n64, PIE and abicalls, and defines __linux__; it must see newlib's headers, never
#   glibc's; and it types int32_t/uint32_t as `int` where the bare-metal GCC (and libdragon's printf
#   formats and `u32`) use `long`.
# - RSP ucode (n64.mk compiles and links rsp*.S with -mabi=32): a static link without PIE.
# - Linking: no Linux start files or libraries (the program's are newlib's and libdragon's), no
#   build-id note (n64.ld has no place for it: it landed before .text and broke the segments).
#   Constructors: see n64.ld's patch in build-sdk.sh.
set -euo pipefail
self="$(basename "$0")"
tool="${self#mips64-elf-}"
bindir="$(cd "$(dirname "$0")" && pwd)"
prefix="$(dirname "$bindir")"
debian=mips64-linux-gnuabi64

# Compile-only, preprocess-only, or print-something options: no link.
is_link=1
is_rsp=0
for arg in "$@"; do
    case "$arg" in
        -c | -S | -E | -M | -MM | -v | --version | -dumpversion | -dumpmachine | -print-*) is_link=0 ;;
        -mabi=32) is_rsp=1 ;;
    esac
done

case "$tool" in
    gcc | cc) driver="$debian-gcc" ;;
    g++ | c++) driver="$debian-g++" ;;
    *)
        echo "mips64-elf-wrapper: no tool called $tool" >&2
        exit 2 ;;
esac

binutils=(-B"$prefix/libexec/gcc-bin/")
if [ "$is_rsp" = 1 ]; then
    rsp=(-mfp32 -mno-abicalls -fno-pic)
    if [ "$is_link" = 1 ]; then
        exec "$driver" "${binutils[@]}" "$@" "${rsp[@]}" -no-pie -static -nostdlib -Wl,--build-id=none
    fi
    exec "$driver" "${binutils[@]}" "$@" "${rsp[@]}"
fi

# Types the bare-metal mips64-elf GCC gives the <stdint.h> 32-bit and pointer-sized integers.
int_types=(
    -U__INT32_TYPE__ -D__INT32_TYPE__=long\ int
    -U__UINT32_TYPE__ -D__UINT32_TYPE__=long\ unsigned\ int
    -U__INT_LEAST32_TYPE__ -D__INT_LEAST32_TYPE__=long\ int
    -U__UINT_LEAST32_TYPE__ -D__UINT_LEAST32_TYPE__=long\ unsigned\ int
    -U__INT_FAST32_TYPE__ -D__INT_FAST32_TYPE__=long\ int
    -U__UINT_FAST32_TYPE__ -D__UINT_FAST32_TYPE__=long\ unsigned\ int
    -U__INTPTR_TYPE__ -D__INTPTR_TYPE__=long\ int
    -U__UINTPTR_TYPE__ -D__UINTPTR_TYPE__=long\ unsigned\ int
)
not_linux=(-U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix)
# -G 8: the bare-metal mips64-elf GCC's small-data threshold (the Linux GCC's is 0). libdragon's
# entrypoint.S reaches its small globals (__boot_memsize, __boot_tvtype, ...) with %gprel, 16-bit
# offsets from _gp, so they must sit in .sdata/.sbss next to _gp, not in a .bss that a game's big
# arrays push more than 32 KiB away (docs/libdragon.md "small data").
vr4300=(-mabi=o64 -march=vr4300 -mtune=vr4300 -mno-abicalls -fno-pic -fno-pie -mno-shared -G 8)
headers=()
if [ "$driver" = "$debian-g++" ]; then
    # libstdc++'s headers of the Linux cross compiler, with a stub <features.h> for them, before
    # newlib's (their #include_next <stdlib.h> must find newlib's); GCC 12's C++ front end lacks
    # the C11 _Static_assert keyword that newlib's headers use.
    cxxver="$("$driver" -dumpversion)"
    headers=(-isystem "/usr/$debian/include/c++/$cxxver"
        -isystem "/usr/$debian/include/c++/$cxxver/$debian"
        -isystem "$prefix/mips64-elf/include/linux-compat"
        -D_Static_assert=static_assert)
fi
headers+=(-nostdinc -isystem "$prefix/mips64-elf/include"
    -isystem "$("$debian-gcc" -print-file-name=include)")
compile=("${binutils[@]}" "${vr4300[@]}" "${headers[@]}" "${not_linux[@]}" "${int_types[@]}")
if [ "$is_link" = 1 ]; then
    exec "$driver" "${compile[@]}" -nostartfiles -nodefaultlibs -no-pie -static \
        -Wl,--build-id=none -L"$prefix/mips64-elf/lib" "$@" \
        -Wl,--start-group -lc -lm -ldragonsys -Wl,--end-group
fi
exec "$driver" "${compile[@]}" "$@"
