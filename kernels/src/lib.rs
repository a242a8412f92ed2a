//! The scalar fixed-point reference kernels of rspnn.
//!
//! Every function here is the *definition* of a kernel's numerics: the RSP microcode must
//! produce the same bits, and the VR4300 runs these functions as they are. The formats, every
//! rounding and saturation, and the RSP instruction sequence that computes each kernel exactly
//! are written down in `docs/numerics.md`; each function's documentation names its section.
//!
//! Constraints (so the code runs on the VR4300 as well as on a host): `no_std`, no allocator,
//! no floating point, no `i128`. Sums are carried in `i64`, which is exact for every bound the
//! kernels check (the RSP's 48-bit accumulator never wraps for valid inputs, see
//! numerics.md "Accumulator bounds").
#![no_std]
#![forbid(unsafe_code)]

pub mod attention;
pub mod elementwise;
pub mod error;
pub mod exp;
pub mod fixed;
pub mod formats;
pub mod matvec;
pub mod norm;
pub mod rcp;
pub mod softmax;

pub use error::KernelError;
