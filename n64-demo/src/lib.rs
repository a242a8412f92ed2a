//! The computations of rspnn's N64 ROMs, kept apart from the ROM binaries so that the host
//! tests (and `cargo xtask test`, which compares a ROM's printed result with this code run on
//! the host) compile exactly what the ROMs run.
//!
//! The ROMs themselves are `src/bin/*.rs`; they build only for the N64 target with the `rom`
//! feature (`cargo xtask n64-build`).
#![no_std]

pub mod assets;
pub mod bench;
pub mod bench_predicted;
pub mod chat;
pub mod dp_clock_probe;
pub mod game;
pub mod q4dot;
pub mod textgen;
