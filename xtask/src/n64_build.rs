//! The N64 build: n64-demo's ROM binaries for `targets/mips-nintendo64-none.json`, with the
//! Debian toolchain (Rust 1.96 with std sources) and `-Zbuild-std`, in its own target directory.

use crate::process::describe;
use crate::setup::DEBIAN_TOOLCHAIN;
use crate::workspace::Workspace;
use crate::Result;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The package that holds the ROMs, and the feature that enables its ROM binaries.
const ROM_PACKAGE: &str = "n64-demo";
const ROM_FEATURE: &str = "rom";

/// One built ROM program.
#[derive(Clone, Debug)]
pub struct RomElf {
    /// The binary's name (`src/bin/<name>.rs`), also the ROM's name.
    pub name: String,
    pub path: PathBuf,
}

/// The cargo command of the N64 build.
pub fn command(ws: &Workspace) -> Command {
    let mut cmd = cargo_build_for_n64(ws);
    cmd.args(["--package", ROM_PACKAGE, "--features", ROM_FEATURE])
        .arg("--bins")
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(&ws.root);
    cmd
}

/// Builds the Rust static library of the crate at `manifest` for the N64 (the libdragon
/// examples link these into C programs) and returns the path of `lib_file` (`lib<name>.a`).
pub fn build_static_lib(ws: &Workspace, manifest: &Path, lib_file: &str) -> Result<PathBuf> {
    let mut cargo = cargo_build_for_n64(ws);
    cargo.arg("--manifest-path").arg(manifest);
    crate::process::run(&mut cargo)?;
    Ok(ws
        .n64_target_dir()
        .join("mips-nintendo64-none")
        .join("release")
        .join(lib_file))
}

/// `cargo build --release` for the N64 target with the Debian toolchain, into the N64 target
/// directory; the caller names the package (or manifest) and what to build.
pub fn cargo_build_for_n64(ws: &Workspace) -> Command {
    // `rustup run debian cargo` is `cargo +debian` without relying on the `cargo` on PATH being
    // rustup's proxy.
    let mut cmd = Command::new("rustup");
    cmd.args(["run", DEBIAN_TOOLCHAIN, "cargo"])
        .args(["build", "--release"])
        // core and alloc are built from the Debian toolchain's sources for our target;
        // compiler-builtins-mem provides memcpy/memset, since there is no libc.
        .args([
            "-Zbuild-std=core,alloc",
            "-Zbuild-std-features=compiler-builtins-mem",
        ])
        .arg("-Zjson-target-spec")
        .arg("--target")
        .arg(ws.target_spec())
        .arg("--target-dir")
        .arg(ws.n64_target_dir())
        // -Z flags on a stable-versioned toolchain.
        .env("RUSTC_BOOTSTRAP", "1")
        // These would point at the host toolchain or host directories when xtask runs under
        // `cargo run`; the N64 build chooses its own.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    cmd
}

/// Builds all ROM binaries and returns their ELF files.
pub fn build(ws: &Workspace) -> Result<Vec<RomElf>> {
    let mut cmd = command(ws);
    let what = describe(&cmd);
    // Cargo's JSON messages go to stdout (read here for the executables' paths); its progress
    // and rendered diagnostics go to stderr, straight to the terminal.
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start `{what}`: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or("cargo's stdout was not captured")?;
    let mut elfs = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("reading cargo's output: {e}"))?;
        if let Some(elf) = executable_in_message(&line) {
            elfs.push(elf);
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{what}`: {e}"))?;
    if !status.success() {
        return Err(format!("the N64 build failed ({status}): `{what}`"));
    }
    if elfs.is_empty() {
        return Err(format!("the N64 build produced no executables: `{what}`"));
    }
    elfs.sort_by(|a, b| a.name.cmp(&b.name));
    // The linker script's hot-code grouping must still hold (a crate rename would silently
    // drop it): checked on every ROM that runs the scalar model.
    let script = ws.root.join("n64-rt").join("n64.ld");
    for elf in elfs
        .iter()
        .filter(|e| crate::hot_code::HOT_CODE_ROMS.contains(&e.name.as_str()))
    {
        let r = crate::hot_code::check_elf(&elf.name, &elf.path, &script)?;
        println!(
            "{}: hot code 0x{:x}..0x{:x} ({} bytes, {} functions), grouped as n64-rt/n64.ld says",
            elf.name,
            r.start,
            r.end,
            r.end - r.start,
            r.functions
        );
    }
    Ok(elfs)
}

/// The executable named by one of cargo's `compiler-artifact` JSON messages, if any.
fn executable_in_message(line: &str) -> Option<RomElf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    let path = PathBuf::from(message["executable"].as_str()?);
    let name = message["target"]["name"].as_str()?.to_string();
    Some(RomElf { name, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_executables_in_cargo_messages() {
        let artifact = r#"{"reason":"compiler-artifact","target":{"name":"q4dot","kind":["bin"]},
            "executable":"/t/n64/mips-nintendo64-none/release/q4dot","fresh":true}"#
            .replace('\n', "");
        let elf = executable_in_message(&artifact).expect("an executable");
        assert_eq!(elf.name, "q4dot");
        assert_eq!(
            elf.path,
            PathBuf::from("/t/n64/mips-nintendo64-none/release/q4dot")
        );

        let library =
            r#"{"reason":"compiler-artifact","target":{"name":"n64_rt"},"executable":null}"#;
        assert!(executable_in_message(library).is_none());
        assert!(executable_in_message(r#"{"reason":"build-finished","success":true}"#).is_none());
        assert!(executable_in_message("not json").is_none());
    }
}
