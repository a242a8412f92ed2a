//! The `rsp-asm` command: raw big-endian images, listing, errors and exit status.

use std::process::Command;

fn temp(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("rsp-asm-cli-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn writes_images_listing_overlays_and_rust() {
    let dir = temp("ok");
    let src = dir.join("k.S");
    std::fs::write(&src, ".data\nv: .half 0x1234\n.text\n  lui $t0, 0xabcd\n  break\n.overlay extra\n  nop\n").unwrap();
    let (text, data, ovl, rust) = (dir.join("k.text"), dir.join("k.data"), dir.join("ovl"), dir.join("k.rs"));
    // rspnn's own layout (IMEM/DMEM offsets, unpadded images: what ucode/build.rs gets).
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-asm"))
        .arg(&src)
        .args(["--layout", "offsets"])
        .arg("--text-bin")
        .arg(&text)
        .arg("--data-bin")
        .arg(&data)
        .arg("--overlay-dir")
        .arg(&ovl)
        .arg("--rust")
        .arg(&rust)
        .arg("--listing")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // lui $t0, 0xabcd = 0x3c08abcd; break = 0x0000000d; big-endian.
    assert_eq!(std::fs::read(&text).unwrap(), [0x3c, 0x08, 0xab, 0xcd, 0, 0, 0, 0x0d]);
    assert_eq!(std::fs::read(&data).unwrap(), [0x12, 0x34]);
    assert_eq!(std::fs::read(ovl.join("extra.bin")).unwrap(), [0; 8]);
    assert!(std::fs::read_to_string(&rust).unwrap().contains("pub const TEXT: [u8; 8] = ["));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("I 0000 3c08abcd  lui $t0, 0xabcd\n"), "{stdout}");
    assert!(stdout.contains("D 0000 1234      v: .half 0x1234\n"), "{stdout}");
    assert!(stdout.contains("O 0008 00000000  nop\n"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_go_to_stderr_with_failure_status() {
    let dir = temp("err");
    let src = dir.join("bad.S");
    std::fs::write(&src, "nop\n  lw $t0, 4($t0\n  mult $t0, $t1\n").unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_rsp-asm")).arg(&src).arg("--text-bin").arg(dir.join("x")).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = src.display().to_string();
    assert!(stderr.contains(&format!("{shown}:2:")), "{stderr}");
    assert!(stderr.contains(&format!("{shown}:3:3: error: `mult` is not an RSP instruction")), "{stderr}");
    assert!(stderr.trim_end().ends_with("2 errors"), "{stderr}");
    assert!(!dir.join("x").exists(), "no output is written when assembly fails");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn disassembles_an_image_back_to_source() {
    let dir = temp("dis");
    let bin = dir.join("t.bin");
    // vmudh $v01, $v02, $v03.e7 ; beq $zero, $zero, 0x000 (offset -2 from 0x004)
    let words: [u32; 2] = [0x4a00_0000 | 15 << 21 | 3 << 16 | 2 << 11 | 1 << 6 | 0x07, 0x1000_fffe];
    std::fs::write(&bin, words.iter().flat_map(|w| w.to_be_bytes()).collect::<Vec<u8>>()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-asm")).arg("--disassemble").arg(&bin).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "0000: 4be31047  vmudh $v01, $v02, $v03.e7\n0004: 1000fffe  beq $zero, $zero, 0x000\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors() {
    // Usage errors are clap's: status 2, the offending argument named, the usage line shown.
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-asm")).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument '--bogus'"));
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-asm")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: rsp-asm"));
}

#[test]
fn libdragon_address_map_and_origins() {
    // `jal x` with x one word into the text: GNU's field for rsp.ld's text ORIGIN 0xA4001000
    // is 0x1000401; for an older rsp.ld with `ram_text` at 0 it is 1.
    let dir = temp("origins");
    let src = dir.join("j.S");
    std::fs::write(&src, ".text\n  nop\nx: jal x\n  nop\n").unwrap();
    let text = dir.join("j.text");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_rsp-asm"))
            .arg(&src)
            .args(extra)
            .arg("--text-bin")
            .arg(&text)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(&text).unwrap()
    };
    // Padded to 16 bytes as GNU as pads `.text`.
    // libdragon's layout is the default (what GNU as + rsp.ld give a libdragon user).
    assert_eq!(run(&[]), [0, 0, 0, 0, 0x0d, 0, 0x04, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(run(&["--layout", "libdragon"]), run(&[]));
    assert_eq!(run(&["--text-origin", "0"])[4..8], [0x0c, 0, 0, 0x01]);
    assert_eq!(run(&["--layout", "offsets"]), [0, 0, 0, 0, 0x0c, 0, 0, 0x01, 0, 0, 0, 0]);
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-asm"))
        .arg(&src)
        .args(["--layout", "offsets", "--text-origin", "0"])
        .output()
        .unwrap();
    // A usage error (exit 2) naming the flag it needs.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("they go with --layout libdragon"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
