//! Bounded cargo-fuzz runs for `cargo xtask test` and `cargo xtask fuzz`.
//!
//! Each target feeds arbitrary bytes to code that takes untrusted input (assembler source,
//! weight files, command lists) and fails on any panic, overflow, timeout or out-of-memory. They
//! run on the stable toolchain with `--sanitizer none`: the fuzzed crates contain no `unsafe`
//! (`kernels` and `rspnn-model` forbid it, `rsp-asm` and `rsp-sim` have none, `rspnn` has it
//! only in its MIPS-only `mmio`), so AddressSanitizer would find nothing Rust's own checks do
//! not, and CI machines need not have a nightly toolchain. Debug assertions stay on (cargo-fuzz's
//! default), so arithmetic overflow is caught.
//!
//! The working corpus and build go under the target directory, so a run leaves the source tree
//! untouched; the checked-in `seeds/` folders are read, never written (libFuzzer writes new
//! inputs into the *first* corpus folder only).

use crate::process::{host_cargo, run};
use crate::workspace::Workspace;
use crate::Result;

/// libFuzzer's limit for one input, in seconds (see `run_target`).
const PER_INPUT_TIMEOUT_S: u32 = 30;

pub struct FuzzTarget {
    /// What it checks, for the step name.
    pub what: &'static str,
    /// The cargo-fuzz project, relative to the workspace root.
    pub project: &'static str,
    /// The fuzz target's name inside the project.
    pub target: &'static str,
    /// Extra libFuzzer arguments (relative paths are inside the project).
    pub libfuzzer_args: &'static [&'static str],
}

pub const TARGETS: &[FuzzTarget] = &[
    FuzzTarget {
        what: "rsp-asm source text",
        project: "rsp-asm/fuzz",
        target: "assemble",
        libfuzzer_args: &["-dict=asm.dict"],
    },
    FuzzTarget {
        what: "weight files through requantising and the scalar, float and rsp-sim backends",
        project: "model/fuzz",
        target: "weights",
        libfuzzer_args: &[],
    },
    FuzzTarget {
        what: "the scheduler's command-list checks against the ucode on rsp-sim",
        project: "fuzz",
        target: "command_list",
        libfuzzer_args: &[],
    },
];

/// Seconds each target runs in `cargo xtask test`.
pub const CI_SECONDS: u32 = 60;

/// Installs cargo-fuzz when `cargo fuzz` is not there (a few minutes, once per machine).
pub fn ensure_cargo_fuzz() -> Result<()> {
    let present = host_cargo()
        .args(["fuzz", "--version"])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    if !present {
        eprintln!("setup: cargo install cargo-fuzz --locked");
        run(host_cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

/// Runs one target for `seconds`; the note says how many inputs it tried.
pub fn run_target(ws: &Workspace, t: &FuzzTarget, seconds: u32) -> Result<String> {
    ensure_cargo_fuzz()?;
    let project = ws.root.join(t.project);
    let work = ws.target_dir.join("fuzz").join(t.target);
    let corpus = work.join("corpus");
    // One build directory for every target: their shared crates (rsp-sim, the ucode with its
    // build-time assembly, the model) compile once per CI run, not once per target.
    let build = ws.target_dir.join("fuzz").join("build");
    std::fs::create_dir_all(&corpus)
        .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
    let mut cmd = host_cargo();
    cmd.current_dir(&project)
        .args(["fuzz", "run", "--sanitizer", "none", "--target-dir"])
        .arg(&build)
        .arg(t.target)
        .arg(&corpus)
        .arg("seeds")
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        // A slow input is a finding (no input may hang a binary): libFuzzer's default of 1,200 s
        // per input let one (rsp-asm's exponential unary `+` chain) stall CI for 20 minutes;
        // 30 s reports it as a failure with its artifact, far above any input's normal time.
        .arg(format!("-timeout={PER_INPUT_TIMEOUT_S}"))
        .args(t.libfuzzer_args);
    // libFuzzer reports on stderr; keep its last summary line for the step's note.
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run cargo fuzz in {}: {e}", project.display()))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "cargo fuzz run {} failed ({}); a crashing input is saved under {}/artifacts:\n{}",
            t.target,
            output.status,
            t.project,
            tail.join("\n")
        ));
    }
    let runs = stderr
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("Done ").map(str::to_string))
        .unwrap_or_else(|| "finished".to_string());
    Ok(format!("{seconds} s: {runs}"))
}

/// `cargo xtask fuzz [SECONDS]`: every target, one after the other.
pub fn cmd_fuzz(args: &[String]) -> Result<()> {
    let seconds = match args.first() {
        None => CI_SECONDS,
        Some(s) => s
            .parse()
            .map_err(|_| format!("cargo xtask fuzz [SECONDS]: `{s}` is not a number of seconds"))?,
    };
    let ws = Workspace::locate()?;
    for t in TARGETS {
        println!(
            "fuzz {} ({}): {}",
            t.target,
            t.what,
            run_target(&ws, t, seconds)?
        );
    }
    Ok(())
}
