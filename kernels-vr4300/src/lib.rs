//! The tuned VR4300 path of rspnn's scalar kernels: the same numbers as `kernels/` (the spec),
//! bit for bit, computed by hand-written MIPS III inner loops on the N64.
//!
//! On the N64 (`target_arch = "mips"`) the Q8 matrix-vector product's inner loop, one block
//! record (8 rows x 32 columns), is the `asm!` loop in [`matvec`]; everywhere else the same
//! function is portable Rust, so host tests check the code around it against `kernels::matvec`.
//! The inner loop itself is checked against the portable spec inside a ROM (the `bench` ROM,
//! run in mupen64plus by `cargo xtask test`), on the demo model's real matrices and on edge
//! cases.
//!
//! Q4 matrices have their own loop (`matvec_q4`), checked the same way; the attention's two
//! sums of products have theirs (`attention`).
#![no_std]
#![cfg_attr(target_arch = "mips", feature(asm_experimental_arch))]

// The Q8 module defines `record_loop!` (the asm! frame: set-up, out-of-line clamps, operands)
// and `rows!` (a record's row ends) for the Q4 loop (the Q8 loop has its own, all in registers).
#[macro_use]
pub mod matvec;
pub mod attention;
pub mod matvec_q4;

pub use matvec::matvec;
