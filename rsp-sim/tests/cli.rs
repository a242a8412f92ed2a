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
    assert!(String::from_utf8_lossy(&out.stderr).contains("a value is required for '--imem"));
}

fn rsp_sim<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rsp-sim"))
        .args(args)
        .output()
        .unwrap()
}

/// Status `code`, and `needle` in stderr (and no panic).
fn fails<S: AsRef<std::ffi::OsStr>>(args: &[S], code: i32, needle: &str) {
    let o = rsp_sim(args);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{e}");
    assert!(e.contains(needle), "{needle:?} not in: {e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn help_exits_0() {
    for args in [&["--help"][..], &["run", "--help"], &["help", "run"]] {
        let o = rsp_sim(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stdout).contains("Usage: rsp-sim"));
    }
}

#[test]
fn images_are_read_only_as_far_as_their_memory_holds() {
    let dir = temp_dir("bounds");
    let data = dir.join("data.bin");
    std::fs::write(&data, words(&[0])).unwrap();
    let out = dir.join("out.bin");
    let (d, o) = (data.to_str().unwrap(), out.to_str().unwrap());
    fails(
        &["run", "--imem", "/dev/zero", "--dmem", d, "--out-dmem", o],
        1,
        "/dev/zero: IMEM image is larger than the 4096 bytes it can hold",
    );
    fails(
        &["run", "--imem", d, "--dmem", "/dev/zero", "--out-dmem", o],
        1,
        "/dev/zero: DMEM image is larger than the 4096 bytes it can hold",
    );
    fails(
        &[
            "run",
            "--imem",
            d,
            "--dmem",
            d,
            "--rdram",
            "/dev/zero",
            "--out-dmem",
            o,
        ],
        1,
        "/dev/zero: RDRAM image is larger than the 8388608 bytes it can hold",
    );
    fails(
        &[
            "run",
            "--imem",
            dir.to_str().unwrap(),
            "--dmem",
            d,
            "--out-dmem",
            o,
        ],
        1,
        "cannot read IMEM image: Is a directory",
    );
    fails(
        &[
            "run",
            "--imem",
            d,
            "--dmem",
            d,
            "--out-dmem",
            o,
            "--max-cycles",
            "0",
        ],
        2,
        "--max-cycles",
    );
    fails(
        &[
            "run",
            "--imem",
            d,
            "--dmem",
            d,
            "--out-dmem",
            o,
            "--max-cycles",
            "10_000_000_001",
        ],
        2,
        "more than the 10000000000 cycles rsp-sim runs at most",
    );
    assert!(!out.exists());
}

#[test]
fn a_failing_output_leaves_every_output_as_it_was() {
    let dir = temp_dir("outs");
    // sw $zero, 0($zero); break
    std::fs::write(dir.join("text.bin"), words(&[0xAC00_0000, 0x0000_000D])).unwrap();
    std::fs::write(dir.join("data.bin"), words(&[7])).unwrap();
    std::fs::write(dir.join("rdram.bin"), [0u8; 64]).unwrap();
    let out = dir.join("out.bin");
    std::fs::write(&out, b"old").unwrap();
    let args = |rdram_out: PathBuf| {
        vec![
            "run".into(),
            "--imem".into(),
            dir.join("text.bin").into_os_string(),
            "--dmem".into(),
            dir.join("data.bin").into_os_string(),
            "--rdram".into(),
            dir.join("rdram.bin").into_os_string(),
            "--out-dmem".into(),
            out.clone().into_os_string(),
            "--out-rdram".into(),
            rdram_out.into_os_string(),
        ]
    };
    let a: Vec<std::ffi::OsString> = args(dir.join("missing/rdram.out"));
    fails(
        &a,
        1,
        "missing/rdram.out: cannot write: No such file or directory",
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        b"old",
        "--out-dmem not written"
    );
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["data.bin", "out.bin", "rdram.bin", "text.bin"]);
    let o = rsp_sim(&args(dir.join("rdram.out")));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&out).unwrap().len(), 4096);
    assert_eq!(std::fs::read(dir.join("rdram.out")).unwrap(), [0u8; 64]);
}

#[test]
fn errors_have_no_debug_formatting_and_non_utf8_paths_work() {
    let dir = temp_dir("msgs");
    // mult $t0, $t1: a MIPS instruction the RSP lacks.
    std::fs::write(dir.join("text.bin"), words(&[0x0109_0018])).unwrap();
    std::fs::write(dir.join("data.bin"), words(&[0])).unwrap();
    let (t, d) = (dir.join("text.bin"), dir.join("data.bin"));
    let o = rsp_sim(&[
        "run".as_ref(),
        "--imem".as_ref(),
        t.as_os_str(),
        "--dmem".as_ref(),
        d.as_os_str(),
        "--out-dmem".as_ref(),
        dir.join("o").as_os_str(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        e.contains("invalid instruction 01090018 at pc 000: `mult` is a MIPS instruction the RSP does not implement"),
        "{e}"
    );
    assert!(!e.contains('{') && !e.contains("NotOnRsp"), "{e}");
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = dir.join(std::ffi::OsStr::from_bytes(b"t\xff.bin"));
        std::fs::write(&odd, words(&[0x0000_000D])).unwrap();
        let out = dir.join(std::ffi::OsStr::from_bytes(b"o\xfe.bin"));
        let o = rsp_sim(&[
            "run".as_ref(),
            "--imem".as_ref(),
            odd.as_os_str(),
            "--dmem".as_ref(),
            d.as_os_str(),
            "--out-dmem".as_ref(),
            out.as_os_str(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(std::fs::read(&out).unwrap().len(), 4096);
    }
}
