//! Helpers for xtask's tests that check against GNU binutils for MIPS (an independent
//! assembler and ELF reader).

use std::path::PathBuf;
use std::process::Command;

pub const ASSEMBLER: &str = "mips-linux-gnu-as";

/// True when `tool` runs. Otherwise the test is skipped with a message, or fails under CI,
/// where `cargo xtask setup` has installed it (the team's policy for installed tools).
pub fn tool_present(tool: &str) -> bool {
    if Command::new(tool).arg("--version").output().is_ok() {
        return true;
    }
    assert!(!shared_fixtures::under_ci(), "{tool} is missing under CI");
    eprintln!("SKIPPED: {tool} not installed (cargo xtask setup installs it)");
    false
}

/// A scratch directory for one test, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("xtask-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a tool and returns its stdout; the test fails with the tool's stderr if it fails.
pub fn run_tool(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{cmd:?} failed: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Assembles big-endian VR4300 source into an object file in `scratch`.
pub fn assemble(scratch: &Scratch, source: &str) -> PathBuf {
    let (source_file, object) = (scratch.file("source.s"), scratch.file("source.o"));
    std::fs::write(&source_file, source).unwrap();
    run_tool(
        Command::new(ASSEMBLER)
            .args(["-EB", "-march=vr4300", "-mabi=32", "-o"])
            .arg(&object)
            .arg(&source_file),
    );
    object
}
