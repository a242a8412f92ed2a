//! n64-rt: a small bare-metal runtime for rspnn's own Nintendo 64 ROMs (no libdragon).
//!
//! What a ROM gets from it:
//! - the entry point `_start` (interrupts off, stack, `.bss` cleared) and the linker script
//!   `n64.ld` (program at 0x8000_0400, 64 KiB stack below the end of the base 4 MiB of RDRAM);
//!   the ROM names its `main` with [`entry!`];
//! - text output through the IS-Viewer debug port ([`print!`], [`println!`], [`isviewer`]);
//! - CP0 Count timing ([`timing`]), PI DMA from the cartridge ([`pi`]), cache writeback and
//!   invalidate helpers ([`cache`]), KSEG0/KSEG1 address helpers ([`addr`]);
//! - a text screen on the TV (`vi::Screen`: the VI, two 320x240 RGBA5551 framebuffers, a
//!   [`text::TextScreen`] drawn with our own [`font`]; the drawing is pure code, host-tested);
//! - controller 1 through the PIF ([`joybus`]);
//! - a panic handler that prints the panic through the IS-Viewer (and on the screen when one is
//!   up), then [`sentinel::PANIC`]; returning from `main` prints [`sentinel::DONE`]. Both then
//!   halt the CPU in a loop.
//!
//! The hardware parts compile only for the N64 target (`target_arch = "mips"`,
//! `targets/mips-nintendo64-none.json`); on the host only the pure helpers compile, so that
//! `cargo test` checks them and `xtask` shares the sentinel lines.
//!
//! There is no allocator: the rspnn library is designed to need none.
//!
//! # Starting the RSP under mupen64plus
//! Code that starts the RSP must also enable interrupt-on-break (write
//! [`regs::SP_STATUS_SET_INTR_BREAK`], bit 0x100, to `SP_STATUS`). mupen64plus's z64 RSP clears
//! HALT when a task starts and sets it again only through the SP interrupt path, so without
//! interrupt-on-break a task that ends with BREAK never reads as halted and the CPU waits forever.
#![no_std]
#![cfg_attr(target_arch = "mips", feature(asm_experimental_arch))]

pub mod addr;
pub mod cache;
pub mod font;
pub mod isviewer;
pub mod joybus;
pub mod pi;
pub mod regs;
pub mod sentinel;
pub mod text;
pub mod timing;

#[cfg(target_arch = "mips")]
mod entry;
#[cfg(target_arch = "mips")]
pub mod halt;
#[cfg(target_arch = "mips")]
mod panic;
#[cfg(target_arch = "mips")]
pub mod vi;

/// Names the ROM's main function: `n64_rt::entry!(main);` with `fn main()`.
///
/// The runtime's entry code calls it after setting up the stack and `.bss`; when it returns,
/// the runtime prints [`sentinel::DONE`] and halts.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        pub extern "C" fn n64_rt_main() {
            let main: fn() = $main;
            main()
        }
    };
}
