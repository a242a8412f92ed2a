//! The `rsp-sim` binary on small images.

use std::path::PathBuf;
use std::process::Command;

fn words(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_be_bytes()).collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rsp-sim-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn runs_to_break_and_writes_dmem() {
    let dir = temp_dir("ok");
    // lw $t0, 0($zero); addiu $t0, $t0, 1; sw $t0, 4($zero); break
    std::fs::write(
        dir.join("text.bin"),
        words(&[0x8C08_0000, 0x2508_0001, 0xAC08_0004, 0x0000_000D]),
    )
    .unwrap();
    std::fs::write(dir.join("data.bin"), words(&[41])).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-sim"))
        .args(["run", "--imem"])
        .arg(dir.join("text.bin"))
        .arg("--dmem")
        .arg(dir.join("data.bin"))
        .arg("--out-dmem")
        .arg(dir.join("out.bin"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("instructions: 4"), "{stdout}");
    assert!(stdout.contains("cycles: "), "{stdout}");
    let dmem = std::fs::read(dir.join("out.bin")).unwrap();
    assert_eq!(dmem.len(), 4096);
    assert_eq!(&dmem[4..8], &42u32.to_be_bytes());
}

#[test]
fn cycle_limit_is_an_error_with_the_pc_and_recent_instructions() {
    let dir = temp_dir("limit");
    // loop: j loop; nop
    std::fs::write(dir.join("text.bin"), words(&[0x0800_0000, 0x0000_0000])).unwrap();
    std::fs::write(dir.join("data.bin"), words(&[0])).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-sim"))
        .args(["run", "--max-cycles", "100", "--imem"])
        .arg(dir.join("text.bin"))
        .arg("--dmem")
        .arg(dir.join("data.bin"))
        .arg("--out-dmem")
        .arg(dir.join("out.bin"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no BREAK within 100 cycles"), "{stderr}");
    assert!(stderr.contains("000: 08000000"), "{stderr}");
}

#[test]
fn trace_prints_one_line_per_instruction() {
    let dir = temp_dir("trace");
    std::fs::write(dir.join("text.bin"), words(&[0x2408_0007, 0x0000_000D])).unwrap();
    std::fs::write(dir.join("data.bin"), words(&[0])).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-sim"))
        .args(["run", "--trace", "--imem"])
        .arg(dir.join("text.bin"))
        .arg("--dmem")
        .arg(dir.join("data.bin"))
        .arg("--out-dmem")
        .arg(dir.join("out.bin"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains("$t0=00000007"), "{stderr}");
}

#[test]
fn bad_usage_is_reported() {
    let out = Command::new(env!("CARGO_BIN_EXE_rsp-sim"))
        .args(["run", "--imem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--imem needs a value"));
}
