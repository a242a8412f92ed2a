#!/usr/bin/env bash
# Builds a libdragon SDK from Debian packages into PREFIX (docs/libdragon.md explains each step).
# Run by `cargo xtask libdragon-sdk`, which picks PREFIX ($HOME/.cache/rspnn/libdragon-sdk-<hash>)
# and skips this when it exists.
#   build-sdk.sh PREFIX LIBDRAGON_SOURCE NEWLIB_TARBALL BINUTILS_TARBALL
set -euo pipefail
prefix="$1"
libdragon_src="$2"
newlib_tarball="$3"
binutils_tarball="$4"
here="$(cd "$(dirname "$0")" && pwd)"
jobs="${JOBS:-$(nproc)}"
work="$prefix/build"
rm -rf "$prefix"
mkdir -p "$prefix/bin" "$prefix/libexec" "$work"
export N64_INST="$prefix"
export PATH="$prefix/bin:$PATH"

# binutils for mips64-elf (as, ld, objcopy, ...: what a libdragon toolchain has), about 6 minutes.
# Not Debian's Linux-targeted ones: their assembler rounds every section's size up to 16 bytes
# (binutils tc-mips.c md_section_align: only a TARGET_OS of "elf" skips it). rspq's overlay check
# compares the first (rsp_queue_text_end - rsp_queue_text_start) bytes of each overlay with
# rsp_queue's text: padded to 0x280 there, it reached 8 bytes into every overlay's own code
# ("Common code of overlay rsp_rdpq does not match!"). And their BFD has no elf32-bigmips, the
# output format of libdragon's linker scripts.
echo "libdragon-sdk: binutils for mips64-elf from $binutils_tarball"
tar -C "$work" -xf "$binutils_tarball"
binutils_src="$(echo "$work"/binutils-*)"
mkdir -p "$work/binutils-build"
(
    cd "$work/binutils-build"
    "$binutils_src/configure" --target=mips64-elf --prefix="$prefix" --with-cpu=mips64vr4300 \
        --disable-nls --disable-werror --disable-gdb --disable-gdbserver --disable-sim \
        --disable-gprof --disable-gprofng --disable-gold --disable-libctf --without-zstd \
        --without-msgpack > "$work/binutils-configure.log" 2>&1
    make -j"$jobs" MAKEINFO=true > "$work/binutils-make.log" 2>&1
    make install MAKEINFO=true > "$work/binutils-install.log" 2>&1
)

echo "libdragon-sdk: the C and C++ compiler (Debian's GCC behind a wrapper)"
install -m 0755 "$here/mips64-elf-wrapper.sh" "$prefix/libexec/mips64-elf-wrapper"
for tool in gcc cc g++ c++; do
    ln -s ../libexec/mips64-elf-wrapper "$prefix/bin/mips64-elf-$tool"
done
# What the GCC driver runs for `as` and `ld` (the wrapper's -B folder).
mkdir -p "$prefix/libexec/gcc-bin"
ln -s ../../mips64-elf/bin/as "$prefix/libexec/gcc-bin/as"
install -m 0755 "$here/gcc-ld.sh" "$prefix/libexec/gcc-bin/ld"
# libstdc++'s headers (from the Linux cross compiler) include <features.h>, a glibc header.
mkdir -p "$prefix/mips64-elf/include/linux-compat"
cat > "$prefix/mips64-elf/include/linux-compat/features.h" <<'FEATURES'
/* Stub for libstdc++'s Linux headers (bits/os_defines.h): newlib is no glibc. */
#define __GLIBC_PREREQ(major, minor) 0
FEATURES

echo "libdragon-sdk: newlib from $newlib_tarball"
tar -C "$work" -xf "$newlib_tarball"
newlib_src="$(echo "$work"/newlib-*)"
mkdir -p "$work/newlib-build"
(
    cd "$work/newlib-build"
    CFLAGS_FOR_TARGET="-DHAVE_ASSERT_FUNC -O2" \
        "$newlib_src/configure" --target=mips64-elf --prefix="$prefix" \
        --disable-multilib --disable-libssp --disable-werror --disable-nls \
        --enable-newlib-multithread --enable-newlib-retargetable-locking \
        > "$work/newlib-configure.log" 2>&1
    make -j"$jobs" MAKEINFO=true > "$work/newlib-make.log" 2>&1
    make install MAKEINFO=true > "$work/newlib-install.log" 2>&1
)
# newlib's own (empty) retargetable-lock functions would take precedence over libdragon's.
mips64-elf-ar t "$prefix/mips64-elf/lib/libc.a" | grep -E '^(lib_a-|libc_a-)?lock\.o$' \
    | xargs -r mips64-elf-ar d "$prefix/mips64-elf/lib/libc.a"

echo "libdragon-sdk: libdragon from $libdragon_src"
cp -r "$libdragon_src" "$work/libdragon"
(
    cd "$work/libdragon"
    make -j"$jobs" install > "$work/libdragon-make.log" 2>&1
    # mkfont and audioconv64 cannot be built from ../shared's copy (two source files are missing).
    make -j"$jobs" -C tools n64tool-install n64sym-install n64elfcompress-install \
        mkdfs-install mksprite-install n64dso-install n64dso-extern-install n64dso-msym-install \
        > "$work/libdragon-tools.log" 2>&1
)

echo "libdragon-sdk: n64.ld's constructor list"
lib="$prefix/mips64-elf/lib"
# Constructors. libdragon's startup (__wrap___do_global_ctors) runs the words of n64.ld's .ctors
# section, expecting the sentinels a bare-metal GCC's crtbegin.o (0xFFFFFFFF first) and crtend.o
# (0 last) put there; it asserts on them, before main and before its crash handler is ready.
# Debian's GCC is configured for Linux: it puts constructors in .init_array, which n64.ld drops,
# and its crtbegin/crtend are n64-ABI Linux objects that cannot be linked here. So n64.ld itself
# gets the sentinels and keeps .init_array in .ctors. (libdragon runs the list backwards, as it
# does .ctors; none of its constructors has a priority.)
grep -q '^        KEEP(\*(.ctors))$' "$lib/n64.ld"
sed -i 's/^        KEEP(\*(.ctors))$/        LONG(0xFFFFFFFF)\n        KEEP(*(.ctors))\n        KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*)))\n        KEEP(*(.init_array))\n        LONG(0)/' \
    "$lib/n64.ld"

echo "libdragon-sdk: newlib 3.3 compatibility"
mips64-elf-gcc -O2 -c "$here/newlib-3.3-sinit-lock.c" -o "$work/newlib-3.3-sinit-lock.o"
mips64-elf-ar r "$prefix/mips64-elf/lib/libc.a" "$work/newlib-3.3-sinit-lock.o"

rm -rf "$work"
touch "$prefix/.complete"
echo "libdragon-sdk: done, N64_INST=$prefix"
