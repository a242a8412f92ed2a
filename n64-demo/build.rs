//! Links the ROM binaries with n64-rt's linker script (n64-rt's build script puts `n64.ld` on
//! the library search path). Host builds link nothing special.
//!
//! Also assembles the bench ROM's DP clock probe (`rsp/dp_clock_probe.S`, a small measurement
//! ucode, not rspnn's) with rsp-asm into `$OUT_DIR/dp_clock_probe.rs`, included by
//! `src/dp_clock_probe.rs`.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("mips") {
        println!("cargo:rustc-link-arg-bins=-Tn64.ld");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=rsp/dp_clock_probe.S");
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let source = std::path::Path::new("rsp").join("dp_clock_probe.S");
    let probe = rsp_asm::assemble_file(&source, &[]).unwrap_or_else(|e| {
        eprintln!("error: n64-demo: {e}");
        std::process::exit(1)
    });
    let text = rsp_asm::rust_source(&probe, &source.display().to_string()).unwrap_or_else(|e| {
        eprintln!("error: n64-demo: {e}");
        std::process::exit(1)
    });
    std::fs::write(out.join("dp_clock_probe.rs"), text).expect("OUT_DIR is writable");
}
