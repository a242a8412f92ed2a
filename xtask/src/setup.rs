//! `cargo xtask setup`: makes sure the machine has what the N64 build and the emulator runs
//! need, installing only what is missing. Idempotent, and silent when nothing is missing.
//!
//! The recipe (checked by hand on Debian 12): Debian's Rust 1.96 with its std sources (for
//! `-Zbuild-std`), LLVM's linker, GNU binutils for MIPS (objdump for the no-FPU check, `as`
//! for the encoder tests), mupen64plus with the z64 RSP plugin, numpy for Debian's Python (the exporter tests); then the Debian Rust linked into
//! rustup as the toolchain `debian`; then, when ../shared/third-party/cen64 is there, that
//! cen64 source built once into `$HOME/.cache/rspnn/cen64-<source hash>/` (see `cen64.rs`).

use crate::process::{run, stdout_of};
use crate::Result;
use std::process::Command;

/// Debian packages, as named in Debian 12 (bookworm).
pub const APT_PACKAGES: &[&str] = &[
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "lld",
    "binutils-mips-linux-gnu",
    // The GNU reference for libdragon's RSP ucode (cpp + as as libdragon's n64.mk runs them):
    // rsp-asm's tests/libdragon.rs compares every rsp_*.S against it.
    "gcc-mips-linux-gnu",
    "mupen64plus-ui-console",
    "mupen64plus-rsp-z64",
    // The training exporter's tests (numpy only, never PyTorch) run on Debian's own Python,
    // /usr/bin/python3, for which this package provides numpy.
    "python3-numpy",
    // The text of `cargo xtask bench`'s PNG plots (plotters reads DejaVuSans.ttf directly).
    "fonts-dejavu-core",
    // cen64 (`run --emulator cen64`, `screenshot`): Debian's emulator, the X server it needs,
    // `xwd` and ImageMagick's `convert` for screenshots, and what building the newer cen64
    // source in ../shared/third-party/cen64 needs (cmake, a C compiler, OpenAL, GL, X11).
    "cen64",
    "xvfb",
    "x11-apps",
    "imagemagick",
    "cmake",
    "gcc",
    "libopenal-dev",
    "libgl1-mesa-dev",
    "libx11-dev",
    // The libdragon SDK (`cargo xtask libdragon-sdk`, docs/libdragon.md): Debian's cross GCC for
    // MIPS64 (C and C++), the newlib and binutils sources it builds for mips64-elf (Debian's
    // binutils tarball lacks some generated lexers and parsers: flex, bison), and make/g++ for
    // libdragon's build and its host tools.
    "gcc-mips64-linux-gnuabi64",
    "g++-mips64-linux-gnuabi64",
    "newlib-source",
    "binutils-source",
    "flex",
    "bison",
    "make",
    "g++",
];

/// The rustup name of the Debian toolchain (installed under /usr).
pub const DEBIAN_TOOLCHAIN: &str = "debian";

/// What [`ensure`] had to do.
#[derive(Debug, Default)]
pub struct SetupReport {
    pub installed_packages: Vec<String>,
    pub linked_toolchain: bool,
    /// cen64 was built from ../shared/third-party/cen64 into `$HOME/.cache/rspnn/`.
    pub built_cen64: bool,
}

impl SetupReport {
    pub fn did_nothing(&self) -> bool {
        self.installed_packages.is_empty() && !self.linked_toolchain && !self.built_cen64
    }
}

/// Installs missing packages and links the Debian toolchain if needed.
pub fn ensure() -> Result<SetupReport> {
    let mut report = SetupReport::default();
    let missing = missing_packages()?;
    if !missing.is_empty() {
        eprintln!("setup: installing {}", missing.join(" "));
        install_packages(&missing)?;
        let still_missing = missing_packages()?;
        if !still_missing.is_empty() {
            return Err(format!(
                "apt-get did not install: {}",
                still_missing.join(" ")
            ));
        }
        report.installed_packages = missing;
    }
    if let Some(source) = crate::cen64::shared_source() {
        let cached = crate::cen64::cached_build_dir(&source)?.join("cen64");
        if !cached.is_file() {
            crate::cen64::ensure_built()?;
            report.built_cen64 = true;
        }
    }
    if !debian_toolchain_linked()? {
        eprintln!("setup: rustup toolchain link {DEBIAN_TOOLCHAIN} /usr");
        run(Command::new("rustup").args(["toolchain", "link", DEBIAN_TOOLCHAIN, "/usr"]))?;
        report.linked_toolchain = true;
    }
    Ok(report)
}

/// The packages of [`APT_PACKAGES`] that dpkg does not report as installed.
fn missing_packages() -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for package in APT_PACKAGES {
        let query = Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", package])
            .output();
        let output = query.map_err(|e| {
            format!(
                "cannot run dpkg-query ({e}): setup needs Debian or Ubuntu with dpkg and apt-get; \
                 elsewhere install the equivalents of: {}",
                APT_PACKAGES.join(" ")
            )
        })?;
        // Unknown packages make dpkg-query fail; known ones print e.g. "install ok installed".
        let status = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() || !status.ends_with("ok installed") {
            missing.push(package.to_string());
        }
    }
    Ok(missing)
}

/// apt-get update + install, as root or through non-interactive sudo.
fn install_packages(packages: &[String]) -> Result<()> {
    let as_root = stdout_of(Command::new("id").arg("-u"))?.trim() == "0";
    let privileged = |program: &str| -> Result<Command> {
        if as_root {
            return Ok(Command::new(program));
        }
        // sudo -n never prompts: CI has no stdin, and a hidden password prompt would hang.
        let sudo_works = Command::new("sudo").args(["-n", "true"]).output();
        if !matches!(sudo_works, Ok(ref out) if out.status.success()) {
            return Err(format!(
                "installing packages needs root; run as root, or with password-less sudo, or \
                 install them yourself: sudo apt-get install -y {}",
                packages.join(" ")
            ));
        }
        let mut cmd = Command::new("sudo");
        cmd.args(["-n", program]);
        Ok(cmd)
    };
    let mut update = privileged("apt-get")?;
    update
        .arg("update")
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut update)?;
    let mut install = privileged("apt-get")?;
    install
        .args(["install", "-y"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut install)
}

/// True when `rustup toolchain list` shows the `debian` toolchain.
fn debian_toolchain_linked() -> Result<bool> {
    let list = stdout_of(Command::new("rustup").args(["toolchain", "list"])).map_err(|e| {
        format!("{e}; the N64 build uses rustup to select the Debian toolchain (`cargo +debian`)")
    })?;
    Ok(list
        .lines()
        .any(|line| line.split_whitespace().next() == Some(DEBIAN_TOOLCHAIN)))
}
