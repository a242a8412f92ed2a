//! `cargo xtask`: rspnn's automation (see `usage()` and the README).

mod args;
mod bench;
mod cen64;
mod chat_check;
mod elf;
mod emulator;
mod fpu_check;
mod fuzz;
mod hot_code;
mod ipl3;
mod libdragon_example;
mod libdragon_ipl3;
mod libdragon_matvec;
mod libdragon_sdk;
mod mips;
mod n64_build;
mod process;
mod rom;
mod roms;
mod screen_check;
mod setup;
mod steps;
mod test_suite;
#[cfg(test)]
mod test_support;
mod workspace;

use args::Args;
use emulator::{Emulator, Ending};
use n64_build::RomElf;
use rom::BootPath;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use workspace::Workspace;

pub type Result<T> = std::result::Result<T, String>;

/// How long a ROM may run in the emulator before it counts as hung.
pub const DEFAULT_ROM_TIMEOUT_S: f64 = 60.0;
/// The ROM `cargo xtask demo` shows (the best one we have).
const DEMO_ROM: &str = "chat";

fn usage() -> &'static str {
    "usage: cargo xtask <command>

commands:
  setup                        install what is missing (Debian packages, rustup toolchain link)
  n64-build [--ipl3 FILE]      build the N64 ROM programs and pack them, models included, into
                               <target>/n64/roms/NAME.z64 (our IPL3: emulators) and, with
                               libdragon's IPL3 (FILE, else $RSPNN_LIBDRAGON_IPL3, else
                               ../shared's), into
                               <target>/n64/roms/console/NAME.z64 (consoles, flash carts, cen64)
  pack ELF -o ROM [--ipl3 FILE] [--title TITLE] [--asset FILE]
                               pack an N64 ELF into a .z64 ROM; with --ipl3, boot through
                               libdragon's IPL3 (real hardware, cen64) instead of ours
                               (emulators): FILE is its boot/bin/ipl3_prod.z64 or tools/ipl3.h;
                               --asset puts FILE (a model) in the ROM's asset directory
  run ROM [--timeout S] [--emulator mupen64plus|cen64]
                               run a ROM, print its IS-Viewer lines, stop at its end line
                               (default timeout 60 s; mupen64plus by default, cen64 is slower
                               and more accurate, under Xvfb with our PIF boot program)
  screenshot ROM -o FILE.png [--timeout S]
                               run a ROM in cen64 (under Xvfb) until its end line and save
                               what its screen shows
  libdragon-sdk [--check]      build a libdragon SDK (N64_INST) from Debian packages and
                               ../shared/third-party/libdragon, cached in
                               ~/.cache/rspnn/libdragon-sdk-<hash>; print its path. --check:
                               build examples/libdragon-hello, libdragon-abi (C calling
                               Rust) and libdragon-sys-probe (Rust calling libdragon through
                               libdragon-sys) with it and run them in cen64 (libdragon's IPL3),
                               checking their lines. With N64_INST set, that SDK is used instead
  libdragon-matvec             build rspnn's rspq overlay (libdragon/rsp_rspnn.S, assembled by
                               the SDK's n64.mk), the Rust reference library and
                               examples/libdragon-matvec (Q8 and Q4 matvecs between rdpq
                               fills); run it in cen64 and compare its lines with
                               kernels::matvec on the host
  libdragon-example            build examples/libdragon-chat (a libdragon game answering
                               prompts with rspnn's generate API while rdpq draws and
                               libdragon's mixer plays), run it in cen64, compare its answers
                               with host `rspnn generate` and its audio buffers with the
                               emulated time; the last line is identical=yes
  test                         everything: setup, host tests, fuzzing (60 s a target), N64 build,
                               ROMs in mupen64plus
  demo [--emulator cen64]      build the ROMs and run the chat ROM's attract mode in
                               mupen64plus; print its answers and what its screen shows;
                               in cen64: packed with libdragon's IPL3, screenshot checked
  bench                        run the bench ROM in cen64 and mupen64plus and rsp-sim's
                               prediction; write bench-results/kernels.md, kernels.csv, plots
  fuzz [SECONDS]               run every cargo-fuzz target for SECONDS (default 60) each"
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("setup") => cmd_setup(),
        Some("n64-build") => cmd_n64_build(&args[1..]),
        Some("pack") => cmd_pack(&args[1..]),
        Some("run") => cmd_run(&args[1..]),
        Some("screenshot") => cmd_screenshot(&args[1..]),
        Some("test") => test_suite::run(),
        Some("demo") => cmd_demo(&args[1..]),
        Some("bench") => bench::run(),
        Some("fuzz") => fuzz::cmd_fuzz(&args[1..]),
        Some("libdragon-sdk") => cmd_libdragon_sdk(&args[1..]),
        Some("libdragon-matvec") => cmd_libdragon_matvec(&args[1..]),
        Some("libdragon-example") => cmd_libdragon_example(&args[1..]),
        Some("help" | "-h" | "--help") => {
            println!("{}", usage());
            Ok(())
        }
        Some(other) => Err(with_usage(format!("unknown command `{other}`"))),
        None => Err(usage().to_string()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn with_usage(message: String) -> String {
    format!("{message}\n\n{}", usage())
}

fn cmd_setup() -> Result<()> {
    let report = setup::ensure()?;
    if report.did_nothing() {
        println!("setup: everything is present");
    } else {
        println!(
            "setup: installed {:?}, linked toolchain: {}, built cen64: {}",
            report.installed_packages, report.linked_toolchain, report.built_cen64
        );
    }
    Ok(())
}

fn cmd_n64_build(args: &[String]) -> Result<()> {
    let args = Args::parse(args, &["--ipl3"]).map_err(with_usage)?;
    if !args.positional.is_empty() {
        return Err(with_usage("n64-build takes no file arguments".into()));
    }
    setup::ensure()?;
    let ws = Workspace::locate()?;
    // libdragon's IPL3 for the console ROMs: --ipl3, else $RSPNN_LIBDRAGON_IPL3, else
    // ../shared's, else none.
    let ipl3 = match args.option("--ipl3") {
        Some(file) => Some(libdragon_ipl3::read(Path::new(file))?),
        None => {
            let found = (std::env::var_os(libdragon_ipl3::ENV_VAR).is_some()
                || shared_fixtures::shared_dir()
                    .join("third-party/libdragon")
                    .is_dir())
            .then(libdragon_ipl3::find)
            .flatten();
            match found {
                Some(result) => Some(result?.1),
                None => None,
            }
        }
    };
    let elfs = n64_build::build(&ws)?;
    for (elf, rom) in elfs.iter().zip(pack_all(&ws, &elfs)?) {
        println!(
            "{}: {} -> {}",
            elf.name,
            elf.path.display(),
            rom.path.display()
        );
    }
    match ipl3 {
        Some(ipl3) => {
            let dir = ws.rom_dir().join("console");
            for elf in &elfs {
                let path = dir.join(format!("{}.z64", elf.name));
                let assets = roms::assets_for(&ws, &elf.name)?;
                let boot = BootPath::LibdragonIpl3(ipl3.clone());
                pack_file(
                    &elf.path,
                    &path,
                    &rom::default_title(&elf.name),
                    &boot,
                    &assets,
                )?;
                println!("{}: libdragon's IPL3 -> {}", elf.name, path.display());
            }
        }
        None => println!(
            "console ROMs (libdragon's IPL3) not packed: pass --ipl3 <libdragon>/tools/ipl3.h"
        ),
    }
    Ok(())
}

fn cmd_pack(args: &[String]) -> Result<()> {
    let args = Args::parse(args, &["-o", "--ipl3", "--title", "--asset"]).map_err(with_usage)?;
    let [elf_path] = args.positional.as_slice() else {
        return Err(with_usage("pack takes one ELF file".into()));
    };
    let out = args.option("-o").ok_or("pack needs -o ROM")?;
    let boot = match args.option("--ipl3") {
        Some(file) => BootPath::LibdragonIpl3(libdragon_ipl3::read(Path::new(file))?),
        None => BootPath::OwnIpl3,
    };
    let stem = Path::new(elf_path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    let title = match args.option("--title") {
        Some(title) => title.to_string(),
        None => rom::default_title(&stem.unwrap_or_default()),
    };
    let assets = match args.option("--asset") {
        Some(file) => {
            vec![std::fs::read(file).map_err(|e| format!("cannot read asset {file}: {e}"))?]
        }
        None => Vec::new(),
    };
    pack_file(Path::new(elf_path), Path::new(out), &title, &boot, &assets)?;
    println!("{out}: {title:?}");
    Ok(())
}

pub fn pack_file(
    elf_path: &Path,
    out: &Path,
    title: &str,
    boot: &BootPath,
    assets: &[Vec<u8>],
) -> Result<()> {
    let bytes =
        std::fs::read(elf_path).map_err(|e| format!("cannot read {}: {e}", elf_path.display()))?;
    let program = elf::parse(&bytes).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    let rom = rom::pack(&program, title, boot, assets)
        .map_err(|e| format!("{}: {e}", elf_path.display()))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(out, rom).map_err(|e| format!("cannot write {}: {e}", out.display()))
}

/// A ROM packed from one of the built programs.
pub struct PackedRom {
    pub name: String,
    pub path: PathBuf,
    pub title: String,
}

/// Packs every built program with our IPL3 into the ROM directory.
pub fn pack_all(ws: &Workspace, elfs: &[RomElf]) -> Result<Vec<PackedRom>> {
    let mut roms = Vec::new();
    for elf in elfs {
        let path = ws.rom_dir().join(format!("{}.z64", elf.name));
        let title = rom::default_title(&elf.name);
        let assets = roms::assets_for(ws, &elf.name)?;
        pack_file(&elf.path, &path, &title, &BootPath::OwnIpl3, &assets)?;
        roms.push(PackedRom {
            name: elf.name.clone(),
            path,
            title,
        });
    }
    Ok(roms)
}

fn cmd_run(args: &[String]) -> Result<()> {
    let args = Args::parse(args, &["--timeout", "--emulator"]).map_err(with_usage)?;
    let [rom] = args.positional.as_slice() else {
        return Err(with_usage("run takes one ROM file".into()));
    };
    let use_cen64 = wants_cen64(&args)?;
    let timeout = parse_timeout(&args)?;
    setup::ensure()?;
    let run = if use_cen64 {
        let options = cen64::RunOptions {
            echo: true,
            ..Default::default()
        };
        cen64::run_rom(Path::new(rom), timeout, &options)?
    } else {
        Emulator::locate()?.run(Path::new(rom), timeout, true)?
    };
    match run.ending {
        Ending::Done => Ok(()),
        Ending::Panic => Err(format!("{rom} panicked")),
    }
}

/// `--emulator`: mupen64plus (the default) or cen64; true for cen64.
fn wants_cen64(args: &Args) -> Result<bool> {
    match args.option("--emulator") {
        None | Some("mupen64plus") => Ok(false),
        Some("cen64") => Ok(true),
        Some(other) => Err(with_usage(format!(
            "--emulator {other}: expected mupen64plus or cen64"
        ))),
    }
}

fn parse_timeout(args: &Args) -> Result<Duration> {
    let seconds = match args.option("--timeout") {
        Some(text) => text
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .ok_or_else(|| format!("--timeout {text}: expected a positive number of seconds"))?,
        None => DEFAULT_ROM_TIMEOUT_S,
    };
    Ok(Duration::from_secs_f64(seconds))
}

fn cmd_screenshot(args: &[String]) -> Result<()> {
    let args = Args::parse(args, &["-o", "--timeout"]).map_err(with_usage)?;
    let [rom] = args.positional.as_slice() else {
        return Err(with_usage("screenshot takes one ROM file".into()));
    };
    let png = args.option("-o").ok_or("screenshot needs -o FILE.png")?;
    let timeout = parse_timeout(&args)?;
    setup::ensure()?;
    let options = cen64::RunOptions {
        echo: true,
        screenshot: Some(PathBuf::from(png)),
    };
    let run = cen64::run_rom(Path::new(rom), timeout, &options)?;
    match run.ending {
        Ending::Done => {
            println!("{png}: the screen of {rom} at its end line (cen64)");
            Ok(())
        }
        Ending::Panic => Err(format!("{rom} panicked; {png} shows its screen")),
    }
}

/// The libdragon SDK (the user's `N64_INST`, or built from ../shared and cached), or why none.
fn required_libdragon_sdk() -> Result<libdragon_sdk::Sdk> {
    libdragon_sdk::ensure()?.ok_or_else(|| {
        format!(
            "no libdragon: N64_INST is not set and {} does not exist",
            shared_fixtures::shared_dir()
                .join(libdragon_sdk::SHARED_LIBDRAGON)
                .display()
        )
    })
}

fn cmd_libdragon_matvec(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        return Err(with_usage("libdragon-matvec takes no arguments".into()));
    }
    setup::ensure()?;
    let sdk = required_libdragon_sdk()?;
    let ws = Workspace::locate()?;
    println!("{}", libdragon_matvec::check(&ws, &sdk)?);
    Ok(())
}

fn cmd_libdragon_example(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        return Err(with_usage("libdragon-example takes no arguments".into()));
    }
    setup::ensure()?;
    let sdk = required_libdragon_sdk()?;
    let ws = Workspace::locate()?;
    println!("{}", libdragon_example::check(&ws, &sdk)?);
    Ok(())
}

fn cmd_libdragon_sdk(args: &[String]) -> Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err(with_usage("libdragon-sdk takes only --check".into())),
    };
    setup::ensure()?;
    let sdk = required_libdragon_sdk()?;
    eprintln!("libdragon-sdk: {:?}", sdk.source);
    if check {
        let ws = Workspace::locate()?;
        println!("{}", libdragon_sdk::check_hello(&ws, &sdk)?);
        println!("{}", libdragon_sdk::check_abi(&ws, &sdk)?);
        println!("{}", libdragon_sdk::check_sys(&ws, &sdk)?);
    }
    println!("N64_INST={}", sdk.n64_inst.display());
    Ok(())
}

fn cmd_demo(args: &[String]) -> Result<()> {
    let args = Args::parse(args, &["--emulator"]).map_err(with_usage)?;
    let in_cen64 = wants_cen64(&args)?;
    setup::ensure()?;
    let ws = Workspace::locate()?;
    let elfs = n64_build::build(&ws)?;
    let roms = pack_all(&ws, &elfs)?;
    if in_cen64 {
        let elf = elfs.iter().find(|e| e.name == DEMO_ROM);
        let elf = elf.ok_or_else(|| format!("the N64 build made no `{DEMO_ROM}` program"))?;
        let png = ws.rom_dir().join("chat-cen64.png");
        println!("\nrunning the chat ROM (libdragon's IPL3) in cen64:");
        let summary = chat_check::check_chat_in_cen64(&ws, &elf.path, &png, true)
            .ok_or("no libdragon IPL3: set RSPNN_LIBDRAGON_IPL3 to <libdragon>/tools/ipl3.h")??;
        println!("\ndemo: {summary}");
        return Ok(());
    }
    let rom = roms.iter().find(|rom| rom.name == DEMO_ROM);
    let rom = rom.ok_or_else(|| format!("the N64 build made no `{DEMO_ROM}` program"))?;
    println!(
        "\nrunning {} in mupen64plus (IS-Viewer output):",
        rom.path.display()
    );
    let check = roms::ROM_CHECKS
        .iter()
        .find(|c| c.name == DEMO_ROM)
        .ok_or("no check for the demo")?;
    let timeout = Duration::from_secs_f64(check.timeout_s);
    let run = Emulator::locate()?.run(&rom.path, timeout, true)?;
    let summary = (check.check)(&run, &rom.title)?;
    println!("\nthe screen at the end of the attract round:");
    let frame = format!("+{}+", "-".repeat(n64_rt::text::COLUMNS));
    println!("{frame}");
    for row in 0..n64_rt::text::ROWS {
        let text = roms::value(&run, &format!("chat.screen.{row}"))?;
        let text = text.trim_matches('"');
        println!("|{text:<width$}|", width = n64_rt::text::COLUMNS);
    }
    println!("{frame}");
    println!("\ndemo: {summary}");
    Ok(())
}
