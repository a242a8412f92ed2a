//! Puts the linker script `n64.ld` where the final link of an N64 ROM finds it.
//!
//! A library cannot add `-T` to its dependents' link lines, but the search path it emits here
//! does reach them; the ROM crate then names the script (`-Tn64.ld`). Host builds (where only
//! the pure helpers compile) need nothing.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=n64.ld");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("mips") {
        return;
    }
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let script =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("n64.ld");
    fs::copy(&script, out_dir.join("n64.ld")).expect("copy n64.ld into OUT_DIR");
    println!("cargo:rustc-link-search={}", out_dir.display());
}
