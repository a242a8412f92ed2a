//! The ROM's first instructions: `_start`, placed first in `.text` by `n64.ld`.
//!
//! Whoever boots us (our IPL3, libdragon's IPL3) jumps here with the program image in RDRAM.
//! Register state is otherwise undefined (libdragon boot/README.md guarantees only $sp), so
//! this code sets up everything it relies on:
//! - CP0 Status: IE, EXL and ERL cleared (bits 0..2, VR4300 User's Manual "Status Register"),
//!   so no interrupt or leftover exception level can divert us; nothing installs handlers;
//! - $sp: 16 bytes below `__stack_top`, because an o32 caller reserves 16 bytes of argument
//!   space above its stack pointer that the callee may write;
//! - `.bss` zeroed (libdragon's IPL3 clears RDRAM, ours does not);
//! then calls `n64_rt_start`, which never returns.

core::arch::global_asm!(
    r#"
    .section .text.n64_rt_entry, "ax", @progbits
    .global _start
    .type _start, @function
    .set push
    .set noreorder
    .set noat
_start:
    mfc0  $t0, $12
    addiu $t1, $zero, -8
    and   $t0, $t0, $t1
    mtc0  $t0, $12
    nop
    nop
    nop
    nop
    lui   $sp, %hi(__stack_top - 16)
    addiu $sp, $sp, %lo(__stack_top - 16)
    lui   $t0, %hi(__bss_start)
    addiu $t0, $t0, %lo(__bss_start)
    lui   $t1, %hi(__bss_end)
    addiu $t1, $t1, %lo(__bss_end)
1:
    beq   $t0, $t1, 2f
    nop
    sw    $zero, 0($t0)
    b     1b
    addiu $t0, $t0, 4
2:
    jal   n64_rt_start
    nop
3:
    b     3b
    nop
    .set pop
"#
);

extern "C" {
    /// The ROM's main, defined by [`crate::entry!`].
    fn n64_rt_main();
}

/// Runs the ROM's main, then reports that it finished.
#[no_mangle]
extern "C" fn n64_rt_start() -> ! {
    // SAFETY: defined by the ROM through `entry!`, a plain `extern "C" fn()`.
    unsafe { n64_rt_main() };
    crate::halt::finish()
}
