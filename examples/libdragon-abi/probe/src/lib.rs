//! An o32 function, compiled by LLVM the way all of rspnn's Rust is, for the libdragon ABI probe
//! (`examples/libdragon-abi`): it uses every callee-saved register s0-s7, so its prologue saves
//! them and its epilogue restores them, with 32-bit `sw`/`lw` (o32 callee-saved registers are
//! 32 bits wide). An o64 caller (libdragon's GCC) keeps 64-bit values there across calls.
#![no_std]
#![feature(asm_experimental_arch)]

/// Returns `a * 3 + b` after writing small values into s0-s7.
#[no_mangle]
pub extern "C" fn abi_probe(a: u32, b: u32) -> u32 {
    // SAFETY: only writes registers the asm declares as clobbered; LLVM saves and restores them.
    unsafe {
        core::arch::asm!(
            "li $16, 1", "li $17, 2", "li $18, 3", "li $19, 4",
            "li $20, 5", "li $21, 6", "li $22, 7", "li $23, 8",
            out("$16") _, out("$17") _, out("$18") _, out("$19") _,
            out("$20") _, out("$21") _, out("$22") _, out("$23") _,
        );
    }
    a.wrapping_mul(3).wrapping_add(b)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
