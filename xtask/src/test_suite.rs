//! `cargo xtask test`: everything, in order, as named steps with a summary (see
//! [`crate::steps`]): setup, the host tests, the N64 build, the no-FPU check, packing, and each
//! ROM of [`crate::roms::ROM_CHECKS`] in mupen64plus.
//!
//! To add a step (a bounded fuzz run, z64 checks, a benchmark ROM), add one `steps.add(...)`
//! line below; a ROM with a check is added in `roms.rs` instead.

use crate::emulator::Emulator;
use crate::n64_build::{self, RomElf};
use crate::workspace::Workspace;
use crate::{fpu_check, pack_all, process, roms, setup, steps, PackedRom, Result};
use std::time::Duration;

/// Debian's Python, which `setup` gives numpy (`python3-numpy`); a `python3` earlier on PATH
/// (pyenv, a venv) may lack it.
const PYTHON_WITH_NUMPY: &str = "/usr/bin/python3";

/// What the steps of `cargo xtask test` hand each other.
struct TestContext {
    ws: Option<Workspace>,
    elfs: Vec<RomElf>,
    roms: Vec<PackedRom>,
}

/// Runs the steps; an error when any failed.
pub fn run() -> Result<()> {
    let mut steps = steps::Steps::new("cargo xtask test");
    steps.add("setup", |ctx: &mut TestContext| {
        let report = setup::ensure()?;
        ctx.ws = Some(Workspace::locate()?);
        Ok(if report.did_nothing() {
            String::new()
        } else {
            format!("{report:?}")
        })
    });
    steps.add("host tests (cargo test --workspace)", |_| {
        // CI=true reaches the tests through the inherited environment: under CI a missing
        // fixture or tool fails a test instead of skipping it.
        // --no-fail-fast: one run reports every failing test binary, not just the first.
        process::run(process::host_cargo().args(["test", "--workspace", "--no-fail-fast"]))?;
        Ok(if shared_fixtures::under_ci() {
            "CI=true".into()
        } else {
            String::new()
        })
    });
    steps.add(
        "libdragon C API's Rust half on the host (libdragon/reference: load, generate, refusals)",
        |ctx| {
            let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
            // Its own workspace (it builds for the N64 as a static library); the host unit tests
            // drive the functions rspnn.c calls, with kernels::matvec computing each job.
            process::run(
                process::host_cargo()
                    .args(["test", "--lib", "--manifest-path"])
                    .arg(
                        ws.root
                            .join(crate::libdragon_matvec::REFERENCE_CRATE)
                            .join("Cargo.toml"),
                    )
                    .arg("--target-dir")
                    .arg(&ws.target_dir),
            )?;
            Ok(String::new())
        },
    );
    steps.add("training exporter tests (numpy, Debian python3)", |ctx| {
        let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
        // The tests drive the real CLI on the files the exporter writes.
        process::run(process::host_cargo().args(["build", "--quiet", "-p", "rspnn-cli"]))?;
        let cli = ws.target_dir.join("debug").join("rspnn");
        process::run(
            std::process::Command::new(PYTHON_WITH_NUMPY)
                .args(["-m", "unittest", "discover", "-s", "training/tests", "-v"])
                .current_dir(&ws.root)
                .env("RSPNN", &cli),
        )?;
        Ok(String::new())
    });
    for target in crate::fuzz::TARGETS {
        steps.add(
            format!(
                "fuzz {} ({}, {} s)",
                target.target,
                target.what,
                crate::fuzz::CI_SECONDS
            ),
            move |ctx: &mut TestContext| {
                let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
                crate::fuzz::run_target(ws, target, crate::fuzz::CI_SECONDS)
            },
        );
    }
    steps.add("n64 build (Debian Rust, -Zbuild-std)", |ctx| {
        let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
        ctx.elfs = n64_build::build(ws)?;
        Ok(ctx
            .elfs
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", "))
    });
    steps.add("n64 programs use no FPU instruction (objdump)", |ctx| {
        if ctx.elfs.is_empty() {
            return Err("no programs: the N64 build failed".into());
        }
        for elf in &ctx.elfs {
            let found = fpu_check::fpu_instructions(&elf.path)?;
            if !found.is_empty() {
                return Err(format!(
                    "{} has FPU instructions:\n{}",
                    elf.name,
                    found.join("\n")
                ));
            }
        }
        Ok(format!("{} programs checked", ctx.elfs.len()))
    });
    steps.add("pack ROMs (our IPL3)", |ctx| {
        let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
        if ctx.elfs.is_empty() {
            return Err("no programs: the N64 build failed".into());
        }
        ctx.roms = pack_all(ws, &ctx.elfs)?;
        let unchecked: Vec<&str> = ctx
            .elfs
            .iter()
            .map(|e| e.name.as_str())
            .filter(|name| roms::ROM_CHECKS.iter().all(|c| c.name != *name))
            .collect();
        Ok(if unchecked.is_empty() {
            format!("{} ROMs", ctx.roms.len())
        } else {
            format!(
                "{} ROMs; not run (no check in xtask/src/roms.rs): {}",
                ctx.roms.len(),
                unchecked.join(", ")
            )
        })
    });
    for check in roms::ROM_CHECKS {
        steps.add(format!("rom {} in mupen64plus", check.name), move |ctx| {
            let rom = ctx.roms.iter().find(|rom| rom.name == check.name);
            let rom = rom.ok_or_else(|| {
                format!("no ROM `{}`: the build or the packing failed", check.name)
            })?;
            let timeout = Duration::from_secs_f64(check.timeout_s);
            let run = Emulator::locate()?.run(&rom.path, timeout, true)?;
            (check.check)(&run, &rom.title)
        });
    }
    steps.add(
        "rom q4dot in cen64 (our IPL3, libdragon's IPL3; our PIF program)",
        |ctx| {
            let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
            let q4dot = ctx.roms.iter().find(|rom| rom.name == "q4dot");
            let q4dot = q4dot.ok_or("no ROM `q4dot`: the build or the packing failed")?;
            let check = |run: &crate::emulator::RomRun, title: &str| roms::check_q4dot(run, title);
            let options = crate::cen64::RunOptions::default();
            let timeout = Duration::from_secs_f64(crate::DEFAULT_ROM_TIMEOUT_S);
            let own = check(
                &crate::cen64::run_rom(&q4dot.path, timeout, &options)?,
                &q4dot.title,
            )?;
            let Some(ipl3) = crate::libdragon_ipl3::find() else {
                return skipped(&format!(
                    "our IPL3: {own}; libdragon's IPL3: no ../shared and no RSPNN_LIBDRAGON_IPL3"
                ));
            };
            let (_, ipl3) = ipl3?;
            let elf = ctx
                .elfs
                .iter()
                .find(|e| e.name == "q4dot")
                .ok_or("no q4dot ELF")?;
            let rom = ws.rom_dir().join("q4dot-libdragon-ipl3.z64");
            crate::pack_file(
                &elf.path,
                &rom,
                &q4dot.title,
                &crate::rom::BootPath::LibdragonIpl3(ipl3),
                &[],
            )?;
            let theirs = check(
                &crate::cen64::run_rom(&rom, timeout, &options)?,
                &q4dot.title,
            )?;
            Ok(format!("our IPL3: {own}; libdragon's IPL3: {theirs}"))
        },
    );
    steps.add(
        "rom chat in cen64 (libdragon's IPL3): attract answers, screen rows, screenshot pixels",
        |ctx| {
            let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
            let elf = ctx.elfs.iter().find(|e| e.name == "chat");
            let elf = elf.ok_or("no chat program: the N64 build failed")?;
            let png = ws.rom_dir().join("chat-cen64.png");
            match crate::chat_check::check_chat_in_cen64(ws, &elf.path, &png, false) {
                Some(result) => result,
                None => skipped("no libdragon IPL3: no ../shared and no RSPNN_LIBDRAGON_IPL3"),
            }
        },
    );
    steps.add(
        "rom chat in cen64 with a model too big for RDRAM: reported on screen",
        |ctx| {
            let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
            let elf = ctx.elfs.iter().find(|e| e.name == "chat");
            let elf = elf.ok_or("no chat program: the N64 build failed")?;
            crate::chat_check::check_chat_too_big_model(ws, &elf.path)
        },
    );
    steps.add(
        "rom panic-probe in cen64: the panic message on the screen",
        |ctx| {
            let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
            let rom = ctx.roms.iter().find(|rom| rom.name == "panic-probe");
            let rom = rom.ok_or("no ROM `panic-probe`: the build or the packing failed")?;
            let png = ws.rom_dir().join("panic-probe-cen64.png");
            let options = crate::cen64::RunOptions {
                echo: false,
                screenshot: Some(png.clone()),
            };
            let timeout = Duration::from_secs_f64(crate::DEFAULT_ROM_TIMEOUT_S);
            let run = crate::cen64::run_rom(&rom.path, timeout, &options)?;
            let summary = roms::check_panic_probe(&run, &rom.title)?;
            // The message: the lines after the ROM's own first line.
            let message = run.lines.get(1..).unwrap_or_default();
            let expected = crate::screen_check::panic_screen(message);
            let shot = crate::screen_check::read_image(&png)?;
            crate::screen_check::compare(&shot, &expected)
                .map_err(|e| format!("{}: {e}", png.display()))?;
            Ok(format!("{summary}; on screen in red, pixel for pixel"))
        },
    );
    steps.add(
        "libdragon SDK (cached) + examples/libdragon-hello, libdragon-abi, libdragon-sys-probe in cen64 (libdragon's IPL3)",
        |ctx| {
            let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
            let Some(sdk) = crate::libdragon_sdk::ensure()? else {
                return skipped("neither N64_INST nor ../shared/third-party/libdragon exists");
            };
            let hello = crate::libdragon_sdk::check_hello(ws, &sdk)?;
            let abi = crate::libdragon_sdk::check_abi(ws, &sdk)?;
            let sys = crate::libdragon_sdk::check_sys(ws, &sdk)?;
            Ok(format!("SDK {:?}; hello: {hello}; abi: {abi}; libdragon-sys: {sys}", sdk.source))
        },
    );
    steps.add(
        "examples/libdragon-matvec in cen64: rspnn's overlay (Q8 and Q4 commands) through rspq vs kernels::matvec",
        |ctx| {
            let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
            let Some(sdk) = crate::libdragon_sdk::ensure()? else {
                return skipped("neither N64_INST nor ../shared/third-party/libdragon exists");
            };
            crate::libdragon_matvec::check(ws, &sdk)
        },
    );
    steps.add(
        "libdragon-example: examples/libdragon-chat in cen64 = host rspnn generate (identical=yes)",
        |ctx| {
            let ws = ctx.ws.as_ref().ok_or("no workspace: setup failed")?;
            let Some(sdk) = crate::libdragon_sdk::ensure()? else {
                return skipped("neither N64_INST nor ../shared/third-party/libdragon exists");
            };
            let summary = crate::libdragon_example::check(ws, &sdk)?;
            Ok(summary.replace('\n', "; "))
        },
    );
    let mut context = TestContext {
        ws: None,
        elfs: Vec::new(),
        roms: Vec::new(),
    };
    if steps.run(&mut context) {
        Ok(())
    } else {
        Err("cargo xtask test failed (see the summary above)".into())
    }
}

/// A step that cannot run here for want of ../shared: a pass that says SKIPPED on a user's
/// clone, a failure under `CI=true` (CI always has ../shared).
fn skipped(message: &str) -> Result<String> {
    if shared_fixtures::under_ci() {
        Err(format!("{message}; CI must have ../shared"))
    } else {
        Ok(format!("SKIPPED: {message}"))
    }
}
