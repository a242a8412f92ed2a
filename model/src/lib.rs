//! Weight files and the scalar model runner of rspnn.
//!
//! * [`rspw`]: our versioned weight format (docs/weight-format.md): header, integer block
//!   scales in the RSP's block-record layout, CRC-32; parsed in place (no copy, no allocator).
//! * [`seed`]: importers for the seed demo's "SEAI" files (v5 Q8, v2 Q4).
//! * [`convert`]: seed -> ours, computing each matrix's integer scales and output shift once.
//! * [`runner`]: the fixed-point model runner (any layer count, width, heads, FFN width and
//!   context) with a ring-buffer KV cache; the VR4300 path and the RSP's oracle.
//! * [`generate`]: `rspnn generate` as a state machine that hands each matvec to its caller
//!   (the libdragon C API runs them on the RSP through rspq).
//! * [`backend`]: the `Backend` trait the CLI drives (scalar, float, later rsp-sim).
//! * `float_ref` (feature `std`): the float32 reference used to measure quantisation loss.
//! * `requant` (feature `std`): post-training Q8 -> Q4 requantisation.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod backend;
pub mod convert;
pub mod dims;
pub mod error;
pub mod generate;
pub mod rspw;
pub mod runner;
pub mod scales;
pub mod seed;
pub mod window;

#[cfg(feature = "std")]
pub mod float_ref;
#[cfg(feature = "std")]
pub mod requant;

/// The CRC-32 of our weight files (CRC-32/ISO-HDLC), re-exported so the ROMs and xtask check
/// cartridge assets with the same implementation without their own dependency.
pub use crc32fast;
pub use error::ModelError;
