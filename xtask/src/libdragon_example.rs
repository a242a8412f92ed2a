//! `cargo xtask libdragon-example` (issue 18): builds rspnn's Rust library for the N64
//! (`libdragon/reference`: the generator behind include/rspnn.h's generate API), then
//! `examples/libdragon-chat` with the libdragon SDK (whose n64.mk assembles rspnn's overlay
//! against that libdragon and packs the demo model into the ROM's DFS), runs the ROM in cen64
//! behind libdragon's IPL3, and compares every answer with host `rspnn generate
//! --stop-at-newline` for the same model and prompt. Its last line is `identical=yes`, or it
//! fails.

use crate::libdragon_matvec::REFERENCE_CRATE;
use crate::libdragon_sdk::{compare_lines, make, Sdk};
use crate::roms::{demo_model, host_generate_with, quoted};
use crate::workspace::Workspace;
use crate::Result;
use rspnn_model::rspw::ModelView;

/// The example project.
pub const CHAT_EXAMPLE: &str = "examples/libdragon-chat";
/// main.c's PROMPTS, in order.
pub const PROMPTS: [&str; 2] = ["Q: Who are you?\nA:", "Q: What is the RSP?\nA:"];
/// main.c's MAX_ANSWER.
const MAX_ANSWER: usize = 64;
/// main.c loads this many bytes of the model first, which must be refused.
const TRUNCATED_BYTES: usize = 1000;
/// How long the ROM may take in cen64.
const TIMEOUT_S: u64 = 300;

/// The ROM's measured figures for one answer (its `stats N:` line).
#[derive(Debug, PartialEq, Eq)]
pub struct AnswerStats {
    pub bytes: u32,
    pub frames: u32,
    pub polls: u32,
    pub busy: u32,
    pub cpu_ticks: u32,
    /// Ticks inside the rspnn_generate_poll calls that did work (not RSPNN_BUSY): the model's
    /// CPU part and the queueing.
    pub work_ticks: u32,
    /// Ticks drawing frames (rdpq_detach_wait, the CPU's text, display_show).
    pub draw_ticks: u32,
}

/// Parses `stats N: bytes=.. frames=.. polls=.. busy=.. cpu_ticks=.. work_ticks=..
/// draw_ticks=..`.
pub fn parse_stats(line: &str) -> Result<AnswerStats> {
    let mut fields = [None; 7];
    const NAMES: [&str; 7] = [
        "bytes",
        "frames",
        "polls",
        "busy",
        "cpu_ticks",
        "work_ticks",
        "draw_ticks",
    ];
    for word in line.split_whitespace() {
        if let Some((k, v)) = word.split_once('=') {
            if let Some(i) = NAMES.iter().position(|&n| n == k) {
                fields[i] = Some(
                    v.parse::<u32>()
                        .map_err(|e| format!("{line:?}: {k}={v}: {e}"))?,
                );
            }
        }
    }
    let get = |i: usize| fields[i].ok_or_else(|| format!("{line:?}: no {}=", NAMES[i]));
    Ok(AnswerStats {
        bytes: get(0)?,
        frames: get(1)?,
        polls: get(2)?,
        busy: get(3)?,
        cpu_ticks: get(4)?,
        work_ticks: get(5)?,
        draw_ticks: get(6)?,
    })
}

/// What the ROM must print apart from its `stats` lines, given the host's answers.
pub fn expected_lines(model: &[u8], answers: &[Vec<u8>]) -> Vec<String> {
    let refusal = match ModelView::parse(&model[..TRUNCATED_BYTES.min(model.len())]) {
        Ok(_) => "accepted".to_string(),
        Err(e) => format!("model of {TRUNCATED_BYTES} bytes: {e}"),
    };
    let mut lines = vec![
        "libdragon-chat: main reached".to_string(),
        format!("model bytes={}", model.len()),
        format!("truncated: not a valid rspnn model file: {refusal}"),
        "model loaded".to_string(),
    ];
    for (i, a) in answers.iter().enumerate() {
        lines.push(format!("answer {i}={}", quoted(a)));
    }
    lines
}

/// Builds and runs the example, checks it; returns the summary (ending `identical=yes`).
pub fn check(ws: &Workspace, sdk: &Sdk) -> Result<String> {
    let project = ws.root.join(CHAT_EXAMPLE);
    let lib = crate::n64_build::build_static_lib(ws, &ws.root.join(REFERENCE_CRATE).join("Cargo.toml"), "librspnn_libdragon_reference.a")?;
    let model_path = demo_model(ws)?;
    let model = std::fs::read(&model_path)
        .map_err(|e| format!("cannot read {}: {e}", model_path.display()))?;
    let fs_dir = project.join("filesystem");
    std::fs::create_dir_all(&fs_dir)
        .map_err(|e| format!("cannot create {}: {e}", fs_dir.display()))?;
    let packed = fs_dir.join("nibble-4l-q8.rspw");
    std::fs::write(&packed, &model)
        .map_err(|e| format!("cannot write {}: {e}", packed.display()))?;

    let max = MAX_ANSWER.to_string();
    let answers = PROMPTS
        .iter()
        .map(|p| host_generate_with(ws, &model_path, p, &["--max", &max, "--stop-at-newline"]))
        .collect::<Result<Vec<_>>>()?;

    let lib_var = format!("RSPNN_REFERENCE_LIB={}", lib.display());
    make(sdk, &project, &["clean", &lib_var])?;
    make(sdk, &project, &["all", &lib_var])?;
    let rom = project.join("libdragon-chat.z64");
    // The screen at the end line: the last answer, drawn by the game.
    let png = ws.rom_dir().join("libdragon-chat-cen64.png");
    std::fs::create_dir_all(ws.rom_dir())
        .map_err(|e| format!("cannot create {}: {e}", ws.rom_dir().display()))?;
    let options = crate::cen64::RunOptions {
        echo: true,
        screenshot: Some(png.clone()),
    };
    let timeout = std::time::Duration::from_secs(TIMEOUT_S);
    let started = std::time::Instant::now();
    let out = crate::cen64::run_rom(&rom, timeout, &options)?;
    let wall = started.elapsed().as_secs_f64();
    if out.ending != crate::emulator::Ending::Done {
        return Err(format!(
            "{} did not reach its end line within {TIMEOUT_S} s in cen64 (last lines: {:?})",
            rom.display(),
            out.lines.iter().rev().take(5).collect::<Vec<_>>()
        ));
    }
    let (stats, lines): (Vec<String>, Vec<String>) =
        out.lines.into_iter().partition(|l| l.starts_with("stats "));
    compare_lines(&lines, &expected_lines(&model, &answers))
        .map_err(|e| format!("{}: {e}", project.display()))?;
    let mut summary = Vec::new();
    for (i, a) in answers.iter().enumerate() {
        let line = stats
            .iter()
            .find(|l| l.starts_with(&format!("stats {i}:")))
            .ok_or_else(|| format!("{}: no `stats {i}:` line", rom.display()))?;
        let s = parse_stats(line)?;
        if s.bytes as usize != a.len() {
            return Err(format!(
                "{line}: {} bytes, the host answered {}",
                s.bytes,
                a.len()
            ));
        }
        if s.frames == 0 {
            return Err(format!("{line}: no frame was drawn while rspnn generated"));
        }
        let share = |t: u32| 100.0 * t as f64 / s.cpu_ticks.max(1) as f64;
        summary.push(format!(
            "answer {i}: {} bytes, {} frames drawn meanwhile, {} polls ({} busy), {} CPU ticks \
             ({:.1}% in rspnn_generate_poll's work, {:.1}% drawing)",
            s.bytes,
            s.frames,
            s.polls,
            s.busy,
            s.cpu_ticks,
            share(s.work_ticks),
            share(s.draw_ticks)
        ));
    }
    summary.push(format!(
        "cen64 wall time {wall:.1} s; its screen at the end: {}",
        png.display()
    ));
    summary.push("identical=yes".into());
    Ok(summary.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_lines_parse_and_missing_fields_are_named() {
        let s = parse_stats(
            "stats 1: bytes=51 frames=120 polls=9000 busy=8000 cpu_ticks=123 work_ticks=40 \
             draw_ticks=50",
        )
        .unwrap();
        assert_eq!(s.bytes, 51);
        assert_eq!(s.frames, 120);
        assert_eq!(s.cpu_ticks, 123);
        assert_eq!((s.work_ticks, s.draw_ticks), (40, 50));
        let e =
            parse_stats("stats 1: bytes=51 polls=9 busy=8 cpu_ticks=1 work_ticks=1 draw_ticks=1")
                .unwrap_err();
        assert!(e.contains("no frames="), "{e}");
    }

    #[test]
    fn the_expected_refusal_is_the_models_own_message() {
        let model = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/nibble-4l-q8.rspw"),
        )
        .unwrap();
        let lines = expected_lines(&model, &[b" hi\\".to_vec()]);
        assert_eq!(lines[1], format!("model bytes={}", model.len()));
        assert!(
            lines[2].starts_with("truncated: not a valid rspnn model file: model of 1000 bytes: "),
            "{}",
            lines[2]
        );
        assert!(lines[2].contains("1000"), "{}", lines[2]);
        assert_eq!(lines[4], "answer 0=\" hi\\\\\"");
    }
}
