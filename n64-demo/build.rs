//! Links the ROM binaries with n64-rt's linker script (n64-rt's build script puts `n64.ld` on
//! the library search path). Host builds link nothing special.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("mips") {
        println!("cargo:rustc-link-arg-bins=-Tn64.ld");
    }
}
