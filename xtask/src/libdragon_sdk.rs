//! `cargo xtask libdragon-sdk`: a libdragon SDK (`N64_INST`) built from Debian packages and the
//! libdragon copy in `../shared/third-party/libdragon`, cached in
//! `$HOME/.cache/rspnn/libdragon-sdk-<hash of the inputs>/` so that a rerun costs a hash.
//!
//! The recipe is `xtask/libdragon-sdk/build-sdk.sh` (with the `mips64-elf-*` wrapper it installs);
//! docs/libdragon.md says why each step is there. A user with their own libdragon toolchain sets
//! `N64_INST` and nothing is built.
//!
//! The hash covers every input that changes the result: the recipe files, the libdragon tree,
//! the newlib and binutils source tarballs, and the version of Debian's cross GCC.

use crate::process::{describe, run, stdout_of};
use crate::Result;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The recipe, compiled into xtask so that the hash and the build always agree.
const RECIPE: &[(&str, &str)] = &[
    (
        "build-sdk.sh",
        include_str!("../libdragon-sdk/build-sdk.sh"),
    ),
    (
        "mips64-elf-wrapper.sh",
        include_str!("../libdragon-sdk/mips64-elf-wrapper.sh"),
    ),
    ("gcc-ld.sh", include_str!("../libdragon-sdk/gcc-ld.sh")),
    (
        "newlib-3.3-sinit-lock.c",
        include_str!("../libdragon-sdk/newlib-3.3-sinit-lock.c"),
    ),
];

/// Debian 12's `newlib-source` (newlib 3.3.0) and `binutils-source` (binutils 2.40) tarballs.
pub const NEWLIB_TARBALL: &str = "/usr/src/newlib/newlib-3.3.0.tar.xz";
pub const BINUTILS_TARBALL: &str = "/usr/src/binutils/binutils-2.40.tar.xz";
/// Debian's cross compiler the wrapper drives.
const DEBIAN_GCC: &str = "mips64-linux-gnuabi64-gcc";
/// Where the libdragon source is, inside `../shared`.
pub const SHARED_LIBDRAGON: &str = "third-party/libdragon";

/// Where an SDK comes from.
#[derive(Debug, PartialEq, Eq)]
pub enum SdkSource {
    /// `N64_INST` was set: the user's own toolchain.
    UserInstalled,
    /// Found in the cache.
    Cached,
    /// Built now, taking this many seconds.
    Built(u64),
}

/// A usable SDK: its `N64_INST` directory.
#[derive(Debug)]
pub struct Sdk {
    pub n64_inst: PathBuf,
    pub source: SdkSource,
}

/// The SDK to use: `$N64_INST` when set, else the cached build from `../shared` (building it
/// if needed). `Ok(None)` when neither exists (the caller skips, or fails under CI).
pub fn ensure() -> Result<Option<Sdk>> {
    if let Some(dir) = std::env::var_os("N64_INST") {
        let n64_inst = PathBuf::from(dir);
        let mk = n64_inst.join("include").join("n64.mk");
        if !mk.is_file() {
            return Err(format!(
                "N64_INST={} has no include/n64.mk: point it at an installed libdragon \
                 toolchain, or unset it to build one from ../shared",
                n64_inst.display()
            ));
        }
        return Ok(Some(Sdk {
            n64_inst,
            source: SdkSource::UserInstalled,
        }));
    }
    let libdragon = shared_fixtures::shared_dir().join(SHARED_LIBDRAGON);
    if !libdragon.is_dir() {
        return Ok(None);
    }
    // Without the `..` of shared_dir(), for the messages and build logs.
    let libdragon = libdragon.canonicalize().unwrap_or(libdragon);
    let dir = cache_dir(&libdragon)?;
    if dir.join(".complete").is_file() {
        return Ok(Some(Sdk {
            n64_inst: dir,
            source: SdkSource::Cached,
        }));
    }
    let started = std::time::Instant::now();
    build(&libdragon, &dir)?;
    Ok(Some(Sdk {
        n64_inst: dir,
        source: SdkSource::Built(started.elapsed().as_secs()),
    }))
}

/// `$HOME/.cache/rspnn/libdragon-sdk-<hash>`.
pub fn cache_dir(libdragon: &Path) -> Result<PathBuf> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set: no place for the SDK cache")?;
    let hash = inputs_hash(libdragon)?;
    Ok(PathBuf::from(home)
        .join(".cache")
        .join("rspnn")
        .join(format!("libdragon-sdk-{hash:08x}")))
}

/// CRC-32 over the recipe, the libdragon tree (paths and contents, in sorted order), the two
/// tarballs and the cross GCC's version line.
fn inputs_hash(libdragon: &Path) -> Result<u32> {
    let mut hasher = crc32fast::Hasher::new();
    for (name, text) in RECIPE {
        hasher.update(name.as_bytes());
        hasher.update(text.as_bytes());
    }
    let mut files = Vec::new();
    collect_files(libdragon, &mut files)?;
    files.sort();
    for file in &files {
        let relative = file.strip_prefix(libdragon).unwrap_or(file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(&read(file)?);
    }
    for tarball in [NEWLIB_TARBALL, BINUTILS_TARBALL] {
        hasher.update(tarball.as_bytes());
        hasher.update(&read(Path::new(tarball)).map_err(|e| {
            format!(
                "{e} (the SDK needs Debian's newlib-source and binutils-source: cargo xtask setup)"
            )
        })?);
    }
    let version = stdout_of(Command::new(DEBIAN_GCC).arg("--version"))?;
    hasher.update(version.lines().next().unwrap_or("").as_bytes());
    Ok(hasher.finalize())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot stat {}: {e}", path.display()))?;
        if kind.is_dir() {
            collect_files(&path, files)?;
        } else if kind.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

/// Runs the recipe into `<dir>.partial` and renames it to `dir` once it succeeded, so an
/// interrupted build is never taken for a complete one.
fn build(libdragon: &Path, dir: &Path) -> Result<()> {
    let partial = dir.with_extension("partial");
    let recipe_dir = partial.with_extension("recipe");
    for path in [&partial, &recipe_dir] {
        if path.exists() {
            std::fs::remove_dir_all(path)
                .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
        }
    }
    std::fs::create_dir_all(&recipe_dir)
        .map_err(|e| format!("cannot create {}: {e}", recipe_dir.display()))?;
    for (name, text) in RECIPE {
        let path = recipe_dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    eprintln!(
        "libdragon-sdk: building into {} (15-20 minutes on 2 busy cores; logs in {}/build)",
        dir.display(),
        partial.display()
    );
    let mut cmd = Command::new("bash");
    cmd.arg(recipe_dir.join("build-sdk.sh"))
        .arg(&partial)
        .arg(libdragon)
        .arg(NEWLIB_TARBALL)
        .arg(BINUTILS_TARBALL)
        .env_remove("N64_INST");
    run(&mut cmd).map_err(|e| {
        format!(
            "{e}\nthe libdragon SDK build failed; its logs are in {}/build",
            partial.display()
        )
    })?;
    std::fs::remove_dir_all(&recipe_dir)
        .map_err(|e| format!("cannot remove {}: {e}", recipe_dir.display()))?;
    std::fs::rename(&partial, dir).map_err(|e| {
        format!(
            "cannot rename {} to {}: {e}",
            partial.display(),
            dir.display()
        )
    })?;
    Ok(())
}

/// `make -C project` with the SDK's `N64_INST`.
pub fn make(sdk: &Sdk, project: &Path, targets: &[&str]) -> Result<()> {
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(project)
        .args(targets)
        .env("N64_INST", &sdk.n64_inst);
    run(&mut cmd).map_err(|e| {
        format!(
            "{e} (building {} with {})",
            project.display(),
            describe(&cmd)
        )
    })
}

/// The libdragon program of ours that proves an SDK runs (`examples/libdragon-hello`).
pub const HELLO_EXAMPLE: &str = "examples/libdragon-hello";
/// How long each example ROM may take in cen64 (each takes a few seconds of wall time there).
const ROM_TIMEOUT_S: u64 = 120;

/// What libdragon-hello must print, line by line (see its main.c): main is reached, its 128 KiB
/// .bss array is all zero (the IPL3 cleared RDRAM: the emulator's SP DMA is right), an rspq
/// syncpoint is reached, rdpq fills its rectangle (RGBA5551 0xF801, red) in every frame while
/// the framebuffer around it keeps the clear colour of `rdpq_attach_clear` (opaque black,
/// 0x000000FF, which is 0x0001 in RGBA5551), and a 64-bit division is right.
pub fn hello_expected_lines() -> Vec<String> {
    let mut lines = vec![
        "libdragon-hello: main reached".to_string(),
        "bss zero=131072/131072 first_nonzero=-1".to_string(),
        "rspq syncpoint reached=1".to_string(),
    ];
    for frame in 0..4 {
        lines.push(format!("frame {frame} pixel=0xf801 outside=0x0001"));
    }
    lines.push("frames=4 pixel=0xf801".into());
    lines.push("u64 division=1234567890".into());
    lines
}

/// Builds libdragon-hello with `sdk` and runs it in cen64 behind libdragon's own IPL3 (n64tool
/// puts it in the ROM); an error naming the first line that differs.
pub fn check_hello(ws: &crate::workspace::Workspace, sdk: &Sdk) -> Result<String> {
    let project = ws.root.join(HELLO_EXAMPLE);
    let lines = build_and_run(sdk, &project, "libdragon-hello.z64", &[])?;
    let (text, others): (Vec<String>, Vec<String>) = lines
        .iter()
        .cloned()
        .partition(|l| l.starts_with("rdpq text "));
    compare_lines(&others, &hello_expected_lines())
        .map_err(|e| format!("{}: {e}", project.display()))?;
    let text = text.first().ok_or_else(|| {
        format!(
            "{}: no `rdpq text` line (a frame with rdpq text did not finish?)",
            project.display()
        )
    })?;
    check_hello_text(text).map_err(|e| format!("{}: {e}", project.display()))?;
    Ok(format!("{} lines as expected", lines.len()))
}

/// Where libdragon-hello prints "rspnn" with rdpq (main.c TEXT_X, TEXT_Y: x and baseline).
const HELLO_TEXT: (i32, i32) = (100, 120);

/// Checks libdragon-hello's `rdpq text lit=N box=X0,Y0-X1,Y1`: the five glyphs of the built-in
/// 8x8 font lit at least 8 pixels each, and every lit pixel lies in their cells (8 pixels
/// wide from a few pixels left of x, 12 rows above the baseline to 4 below, for descenders
/// and the font's shadow). A frame the RDP did not draw has no lit pixel; one it drew from
/// garbage commands lights pixels elsewhere.
pub fn check_hello_text(line: &str) -> Result<()> {
    let parse = |s: &str| -> Option<(i32, [i32; 4])> {
        let rest = s.strip_prefix("rdpq text lit=")?;
        let (lit, rest) = rest.split_once(" box=")?;
        let (a, b) = rest.split_once('-')?;
        let (x0, y0) = a.split_once(',')?;
        let (x1, y1) = b.split_once(',')?;
        Some((
            lit.parse().ok()?,
            [
                x0.parse().ok()?,
                y0.parse().ok()?,
                x1.parse().ok()?,
                y1.parse().ok()?,
            ],
        ))
    };
    let (lit, [x0, y0, x1, y1]) = parse(line).ok_or_else(|| format!("cannot parse {line:?}"))?;
    let (x, y) = HELLO_TEXT;
    let cells = (x - 4, y - 12, x + 5 * 8 + 4, y + 4);
    if lit < 5 * 8
        || x0 < cells.0
        || y0 < cells.1
        || x1 > cells.2
        || y1 > cells.3
        || x1 < x0
        || y1 < y0
    {
        return Err(format!(
            "{line:?}: expected at least 40 lit pixels, all within {},{}-{},{}",
            cells.0, cells.1, cells.2, cells.3
        ));
    }
    Ok(())
}

/// `make clean all VARS...` in `project` with `sdk`, then runs the ROM it made in cen64 (its
/// IS-Viewer lines echoed) and returns them; an error unless it reached its end line.
pub fn build_and_run(sdk: &Sdk, project: &Path, rom: &str, vars: &[&str]) -> Result<Vec<String>> {
    make(sdk, project, &[&["clean"][..], vars].concat())?;
    make(sdk, project, &[&["all"][..], vars].concat())?;
    let rom = project.join(rom);
    let options = crate::cen64::RunOptions {
        echo: true,
        ..Default::default()
    };
    let timeout = std::time::Duration::from_secs(ROM_TIMEOUT_S);
    let run = crate::cen64::run_rom(&rom, timeout, &options)?;
    if run.ending != crate::emulator::Ending::Done {
        return Err(format!("{} did not reach its end line", rom.display()));
    }
    Ok(run.lines)
}

/// The libdragon ABI probe (`examples/libdragon-abi`): C (o64) calling Rust (o32).
pub const ABI_EXAMPLE: &str = "examples/libdragon-abi";

/// What libdragon-abi must print: called directly, the o32 function hands back each of s0-s7
/// as the sign extension of its low half (its 32-bit sw/lw), losing what the o64 caller kept
/// in the high half; through the thunk all eight survive. Both return 5 * 3 + 7.
pub fn abi_expected_lines() -> Vec<String> {
    let loaded: [u64; 8] = [
        0x1111_1111_8000_0010,
        0x2222_2222_0000_0011,
        0x3333_3333_8000_0012,
        0x4444_4444_0000_0013,
        0x5555_5555_8000_0014,
        0x6666_6666_0000_0015,
        0x7777_7777_8000_0016,
        0x0123_4567_0000_0017,
    ];
    let mut lines: Vec<String> = loaded
        .iter()
        .enumerate()
        .map(|(i, &value)| {
            let low_sign_extended = value as u32 as i32 as i64 as u64;
            format!("direct: s{i}={low_sign_extended:016x}, was {value:016x}")
        })
        .collect();
    lines.push("direct: return=22 s0-s7 kept=0/8".into());
    lines.push("thunk: return=22 s0-s7 kept=8/8".into());
    lines
}

/// Builds the probe's Rust static library (N64 target, the N64 build's toolchain), then the
/// example with `sdk`, runs it in cen64 and compares its lines.
pub fn check_abi(ws: &crate::workspace::Workspace, sdk: &Sdk) -> Result<String> {
    let project = ws.root.join(ABI_EXAMPLE);
    let lib = crate::n64_build::build_static_lib(
        ws,
        &project.join("probe").join("Cargo.toml"),
        "liblibdragon_abi_probe.a",
    )?;
    let probe_lib = format!("PROBE_LIB={}", lib.display());
    let lines = build_and_run(sdk, &project, "libdragon-abi.z64", &[&probe_lib])?;
    compare_lines(&lines, &abi_expected_lines())
        .map_err(|e| format!("{}: {e}", project.display()))?;
    Ok("o64 C -> o32 Rust: direct call loses s0-s7 high halves, the thunk keeps 8/8".into())
}

/// The libdragon-sys probe (`examples/libdragon-sys-probe`): Rust (o32) calling libdragon (o64)
/// through libdragon-sys's o32 -> o64 thunks.
pub const SYS_EXAMPLE: &str = "examples/libdragon-sys-probe";

/// What libdragon-sys-probe must print (see its main.c), first what the thunks fix: through
/// a thunk the 32 canary bytes above an o32 caller's 16-byte home area survive, called
/// directly the o64 variadic callee overwrites 16 of them (its a2 and a3 home slots); the
/// fifth and sixth arguments (LLVM passes them in $8 and $9, o64 reads them from the stack)
/// arrive only through the thunk (1 + 2*2 + ... + 6*6 = 91); a 64-bit result (o64: in v0; LLVM:
/// through a hidden pointer) comes back only through the thunk; a 64-bit argument passes in one
/// register in both conventions ((0x01234567 * 3 + 0x89abcdef + 5) mod 2^32 both ways); the
/// cache helpers and PI DMA (the ROM header's first word, 0x80371240, and its title) working;
/// then rspq: the overlay's sum after commands of 1, 4, 4 and 1 words (5 + (1 + 2*2 + 4*3 +
/// 8*4) + (10 + 2*20 + 4*30 + 8*40) + 7 = 551), 1000 more from the high-priority queue.
pub fn sys_expected_lines() -> Vec<String> {
    // The probe's C helpers (main.c), computed here from the arguments the Rust side passes.
    let varargs_sum: u32 = 0x11 + 0x22 + 0x33;
    let sum6: u32 = (1..=6).map(|i| i * i).sum();
    let u64_argument = 0x0123_4567_89ab_cdef_u64;
    let u64_argument_result = ((u64_argument >> 32) as u32)
        .wrapping_mul(3)
        .wrapping_add(u64_argument as u32)
        .wrapping_add(5);
    // The overlay's command 1 adds a0 + 2 a1 + 4 a2 + 8 a3 (rsp_ldsys_probe.S).
    let add4 = |w: [u32; 4]| w[0] + 2 * w[1] + 4 * w[2] + 8 * w[3];
    let sum = 5 + add4([1, 2, 3, 4]) + add4([10, 20, 30, 40]) + 7;
    vec![
        "libdragon-sys-probe: main reached".to_string(),
        "probe abi status=0".into(),
        format!("thunk: canary bytes kept=32/32 varargs sum={varargs_sum}"),
        format!("direct: canary bytes kept=16/32 varargs sum={varargs_sum}"),
        format!("thunk: sum6={sum6}; direct: sum6 correct=0"),
        "thunk: u64=0123456789abcdef; direct: u64 correct=0".into(),
        format!(
            "thunk: u64 argument={u64_argument_result:08x}; direct: u64 argument={u64_argument_result:08x}"
        ),
        "cache writeback=1 invalidate=1 writeback_invalidate=1".into(),
        // n64tool's ROM header starts with the PI configuration word 0x80371240.
        "dma rom header=80371240 title=1 ticks increasing=1".into(),
        "probe rspq status=0".into(),
        format!("overlay registered=1 sum={sum} syncpoint reached=1"),
        format!("highpri sum={} unregistered=1", sum + 1000),
    ]
}

/// Builds the probe's Rust static library (N64 target, the N64 build's toolchain; it depends on
/// libdragon-sys), then the example with `sdk` (libdragon-sys.mk compiles the thunks and shims
/// with it), runs it in cen64 and compares its lines.
pub fn check_sys(ws: &crate::workspace::Workspace, sdk: &Sdk) -> Result<String> {
    let project = ws.root.join(SYS_EXAMPLE);
    let lib = crate::n64_build::build_static_lib(
        ws,
        &project.join("rust").join("Cargo.toml"),
        "liblibdragon_sys_probe.a",
    )?;
    let rust_lib = format!("LIBDRAGON_SYS_RUST_LIB={}", lib.display());
    let lines = build_and_run(sdk, &project, "libdragon-sys-probe.z64", &[&rust_lib])?;
    compare_lines(&lines, &sys_expected_lines())
        .map_err(|e| format!("{}: {e}", project.display()))?;
    // libdragon's C addresses its small data relative to $gp ($28), which its entry code sets
    // once; Rust code that wrote $28 would break every C function called after it. LLVM's static
    // code for our target does not touch it: checked on what the probe linked.
    let rust_object = project.join("build").join("libdragon_sys_rust.o");
    let listing = crate::process::stdout_of(
        Command::new(crate::fpu_check::OBJDUMP)
            .args(["-d", "-M", "gpr-names=numeric"])
            .arg(&rust_object),
    )?;
    let gp = gp_lines(&listing);
    if !gp.is_empty() {
        return Err(format!(
            "{}: {} instructions use $gp ($28), which libdragon's C relies on, first: {}",
            rust_object.display(),
            gp.len(),
            gp[0]
        ));
    }
    Ok(
        "o32 Rust -> o64 libdragon via libdragon-sys: overlay, syncpoints, highpri, cache, DMA; \
        thunk keeps 32/32 canary bytes (direct 16/32), args 5-6 and a 64-bit result"
            .into(),
    )
}

/// The instruction lines of an objdump listing (`-M gpr-names=numeric`) that name `$28`.
fn gp_lines(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|line| {
            let mut fields = line.split('\t');
            let is_instruction = fields.next().is_some_and(|a| a.trim_end().ends_with(':'));
            is_instruction
                && fields.nth(2).is_some_and(|operands| {
                    operands.split([',', '(', ')']).any(|op| op.trim() == "$28")
                })
        })
        .map(|line| line.trim().to_string())
        .collect()
}

/// `got` must equal `expected`, line for line.
pub fn compare_lines(got: &[String], expected: &[String]) -> Result<()> {
    for (i, want) in expected.iter().enumerate() {
        match got.get(i) {
            Some(line) if line == want => {}
            Some(line) => return Err(format!("line {}: got {line:?}, expected {want:?}", i + 1)),
            None => return Err(format!("line {}: missing, expected {want:?}", i + 1)),
        }
    }
    if got.len() > expected.len() {
        return Err(format!(
            "{} unexpected lines after the last expected one, first {:?}",
            got.len() - expected.len(),
            got[expected.len()]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdpq_text_must_be_lit_and_in_place() {
        assert!(check_hello_text("rdpq text lit=203 box=99,114-129,122").is_ok());
        for bad in [
            "rdpq text lit=0 box=320,240--1,-1",
            "rdpq text lit=203 box=0,114-129,122",
            "rdpq text lit=203 box=99,114-129,200",
            "rdpq text lit=12 box=99,114-129,122",
            "rdpq text lit=x",
        ] {
            assert!(check_hello_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_different_line_is_named() {
        let expected = hello_expected_lines();
        let mut got = expected.clone();
        got[4] = "frame 1 pixel=0x0001 outside=0x0001".into();
        let err = compare_lines(&got, &expected).unwrap_err();
        assert_eq!(
            err,
            "line 5: got \"frame 1 pixel=0x0001 outside=0x0001\", expected \"frame 1 pixel=0xf801 outside=0x0001\""
        );
        assert!(compare_lines(&expected, &expected).is_ok());
        assert!(compare_lines(&expected[..2], &expected).is_err());
    }

    #[test]
    fn the_abi_probe_expects_sign_extended_low_halves_without_the_thunk() {
        let lines = abi_expected_lines();
        assert_eq!(
            lines[0],
            "direct: s0=ffffffff80000010, was 1111111180000010"
        );
        assert_eq!(
            lines[1],
            "direct: s1=0000000000000011, was 2222222200000011"
        );
        assert_eq!(lines[8], "direct: return=22 s0-s7 kept=0/8");
        assert_eq!(lines[9], "thunk: return=22 s0-s7 kept=8/8");
        assert_eq!(lines.len(), 10);
    }

    #[test]
    fn the_sys_probe_expects_the_sums_of_its_commands_and_helpers() {
        let lines = sys_expected_lines();
        assert_eq!(lines[4], "thunk: sum6=91; direct: sum6 correct=0");
        assert_eq!(
            lines[6],
            "thunk: u64 argument=8d159e29; direct: u64 argument=8d159e29"
        );
        assert_eq!(
            lines[10],
            "overlay registered=1 sum=551 syncpoint reached=1"
        );
        assert_eq!(lines[11], "highpri sum=1551 unregistered=1");
        assert_eq!(lines.len(), 12);
    }

    #[test]
    fn gp_uses_are_found_in_a_listing() {
        let listing = "00000000 <f>:\n   0:\t27bdffe8 \taddiu\t$29,$29,-24\n   \
                       4:\t8f828010 \tlw\t$2,-32752($28)\n   8:\t03e00008 \tjr\t$31\n";
        assert_eq!(gp_lines(listing), vec!["4:\t8f828010 \tlw\t$2,-32752($28)"]);
        assert!(gp_lines("   0:\t00000000 \tnop\n   4:\t0380e021 \tmove\t$280,$4\n").is_empty());
    }

    #[test]
    fn the_hash_changes_with_the_libdragon_tree() {
        let dir = std::env::temp_dir().join(format!("rspnn-sdk-hash-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/a.c"), "int a;").unwrap();
        let Ok(first) = inputs_hash(&dir) else {
            // No newlib/binutils tarball or cross GCC here: nothing to hash against.
            assert!(
                !shared_fixtures::under_ci(),
                "CI has the SDK's Debian packages"
            );
            let _ = std::fs::remove_dir_all(&dir);
            return;
        };
        assert_eq!(inputs_hash(&dir).unwrap(), first);
        std::fs::write(dir.join("src/a.c"), "int b;").unwrap();
        assert_ne!(inputs_hash(&dir).unwrap(), first);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
