//! `rsp_asm::build`, the one call a build script makes. (Its own test binary: it sets
//! `OUT_DIR`, which must not race with other tests.)

#[test]
fn build_writes_rust_into_out_dir_and_reports_errors() {
    let dir = std::env::temp_dir().join(format!("rsp-asm-build-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("k.S"), ".include \"k.inc\"\n  nop\n").unwrap();
    std::fs::write(dir.join("k.inc"), ".equ ROWS, 8\n").unwrap();
    std::fs::write(dir.join("bad.S"), "  nop $t0\n").unwrap();
    std::env::set_var("OUT_DIR", &dir);
    let path = rsp_asm::build(dir.join("k.S"), "k.rs").unwrap();
    assert_eq!(path, dir.join("k.rs"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("pub const ROWS: i64 = 8;"), "{text}");
    let err = rsp_asm::build(dir.join("bad.S"), "bad.rs").unwrap_err();
    // Debug shows the diagnostics (what `fn main() -> Result<..>` prints), not a struct dump.
    assert!(format!("{err:?}").contains("bad.S:1:7: error: `nop` takes no operands"), "{err:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
