//! The lines a ROM prints when it stops, so that a runner (`cargo xtask run`) knows the ROM
//! is finished and whether it ended well. They are shared with xtask through this crate.

/// Printed when the ROM's `main` returns.
pub const DONE: &str = "@@rspnn:done@@";
/// Printed after the panic message when the ROM panics.
pub const PANIC: &str = "@@rspnn:panic@@";
