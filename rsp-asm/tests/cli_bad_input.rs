//! Issue #17 for the `rsp-asm` command line: help exits 0, bad arguments and images are
//! refused with the argument or file named, non-UTF-8 paths work, reads are bounded by IMEM,
//! and a failing command leaves every output as it was.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rsp-asm-bad-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rsp_asm<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rsp-asm")).args(args).output().unwrap()
}

/// Status `code` and a stderr containing `needle` (and no panic).
fn fails<S: AsRef<OsStr>>(args: &[S], code: i32, needle: &str) {
    let o = rsp_asm(args);
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{e}");
    assert!(e.contains(needle), "{needle:?} not in: {e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn help_exits_0() {
    for a in ["--help", "-h"] {
        let o = rsp_asm(&[a]);
        assert_eq!(o.status.code(), Some(0));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("Usage: rsp-asm") && out.contains("--disassemble"), "{out}");
    }
}

#[test]
fn disassemble_refuses_partial_words_endless_files_and_bad_bases() {
    let d = temp("dis");
    let five = d.join("five.bin");
    std::fs::write(&five, [0, 0, 0, 0x0d, 0xff]).unwrap();
    let five = five.to_str().unwrap();
    fails(&["--disassemble", five], 1, "five.bin: 5 bytes is not a whole number of 4-byte instruction words");
    fails(&["--disassemble", "/dev/zero"], 1, "/dev/zero: IMEM image is larger than the 4096 bytes it can hold");
    fails(&["--disassemble", five, "--base", "2"], 2, "0x2 is not word-aligned");
    fails(&["--disassemble", five, "--base", "0xfffffffc"], 2, "0xfffffffc is outside IMEM");
    fails(&["--disassemble", five, "--base", "0x1000"], 2, "0x1000 is outside IMEM");
    fails(&["--disassemble", five, "--base", "0x10000000000"], 2, "is not a 32-bit number");
    // 8 bytes at 0xffc would run past the end of IMEM (and wrap the address).
    let eight = d.join("eight.bin");
    std::fs::write(&eight, [0u8; 8]).unwrap();
    fails(
        &["--disassemble", eight.to_str().unwrap(), "--base", "0xffc"],
        1,
        "larger than the 4 bytes it can hold (from --base 0xffc to the end of IMEM)",
    );
    // The last word of IMEM disassembles at its address.
    let four = d.join("four.bin");
    std::fs::write(&four, [0, 0, 0, 0x0d]).unwrap();
    let o = rsp_asm(&["--disassemble", four.to_str().unwrap(), "--base", "0xffc"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "0ffc: 0000000d  break\n");
    // A directory: the OS reason.
    fails(&["--disassemble", d.to_str().unwrap()], 1, "cannot read IMEM image: Is a directory");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn the_source_file_is_read_at_most_16_mib_and_a_directory_gives_the_os_reason() {
    fails(&["/dev/zero"], 1, "/dev/zero: error: source file is larger than the 16777216 bytes it can hold");
    let d = temp("srcdir");
    let shown = d.display().to_string();
    fails(&[&shown], 1, &format!("{shown}: error: cannot read source file: Is a directory (os error 21)"));
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn a_failing_later_output_leaves_the_earlier_ones_untouched() {
    let d = temp("outs");
    let src = d.join("k.S");
    std::fs::write(&src, ".text\n  break\n.overlay extra\n  nop\n").unwrap();
    let text = d.join("k.text");
    std::fs::write(&text, b"old text").unwrap();
    // --rust into a directory that does not exist.
    fails(
        &[
            src.as_os_str(),
            "--text-bin".as_ref(),
            text.as_os_str(),
            "--rust".as_ref(),
            d.join("missing/k.rs").as_os_str(),
        ],
        1,
        "missing/k.rs: cannot write: No such file or directory",
    );
    assert_eq!(std::fs::read(&text).unwrap(), b"old text");
    // --overlay-dir that is a file.
    let blocker = d.join("file");
    std::fs::write(&blocker, b"").unwrap();
    fails(
        &[src.as_os_str(), "--text-bin".as_ref(), text.as_os_str(), "--overlay-dir".as_ref(), blocker.as_os_str()],
        1,
        "cannot create the overlay directory",
    );
    assert_eq!(std::fs::read(&text).unwrap(), b"old text");
    // Nothing else appeared (no temporary files, no overlay directory).
    let mut names: Vec<_> =
        std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["file", "k.S", "k.text"]);
    // All outputs succeed together.
    let o = rsp_asm(&[
        src.as_os_str(),
        "--layout".as_ref(),
        "offsets".as_ref(),
        "--text-bin".as_ref(),
        text.as_os_str(),
        "--overlay-dir".as_ref(),
        d.join("ovl").as_os_str(),
        "--symbols".as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&text).unwrap(), [0, 0, 0, 0x0d]);
    assert_eq!(std::fs::read(d.join("ovl/extra.bin")).unwrap(), [0; 8]);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn symbols_are_printed_in_words_not_debug_formatting() {
    let d = temp("sym");
    let src = d.join("s.S");
    std::fs::write(&src, ".data\nv: .half 1\n.text\nstart: break\n.overlay extra\nov: nop\n").unwrap();
    let o = rsp_asm(&[src.as_os_str(), "--symbols".as_ref()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(out.lines().any(|l| l.starts_with("ov ") && l.ends_with(" overlay extra")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("start ") && l.ends_with(" text")), "{out}");
    assert!(!out.contains('"') && !out.contains('('), "{out}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
#[cfg(unix)]
fn non_utf8_paths_work() {
    use std::os::unix::ffi::OsStrExt;
    let d = temp("utf8");
    let src = d.join(OsStr::from_bytes(b"k\xff.S"));
    std::fs::write(&src, ".text\n  break\n").unwrap();
    let text = d.join(OsStr::from_bytes(b"t\xfe.bin"));
    let o =
        rsp_asm(&[src.as_os_str(), "--layout".as_ref(), "offsets".as_ref(), "--text-bin".as_ref(), text.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&text).unwrap(), [0, 0, 0, 0x0d]);
    let o = rsp_asm(&[OsStr::new("--disassemble"), text.as_os_str()]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "0000: 0000000d  break\n");
    let missing = d.join(OsStr::from_bytes(b"no\xff.S"));
    fails(&[missing.as_os_str()], 1, "no\u{FFFD}.S");
    std::fs::remove_dir_all(&d).ok();
}
