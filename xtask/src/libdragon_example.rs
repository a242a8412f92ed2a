//! `cargo xtask libdragon-example` (issue 18): builds rspnn's Rust library for the N64
//! (`libdragon/reference`: the generator behind include/rspnn.h's generate API), then
//! `examples/libdragon-chat` with the libdragon SDK (whose n64.mk assembles rspnn's overlay
//! against that libdragon and packs the demo model into the ROM's DFS), runs the ROM in cen64
//! behind libdragon's IPL3, and compares every answer with host `rspnn generate
//! --stop-at-newline` for the same model and prompt, and checks that libdragon's mixer kept
//! playing meanwhile (audio buffers played against the emulated time, no underrun). Its last
//! line is `identical=yes`, or it fails.

use crate::libdragon_sdk::{compare_lines, make, Sdk};
use crate::roms::{demo_model, host_generate_with, quoted};
use crate::workspace::Workspace;
use crate::Result;
use rspnn_model::rspw::ModelView;

/// The example project.
pub const CHAT_EXAMPLE: &str = "examples/libdragon-chat";
/// main.c's PROMPTS, in order.
pub const PROMPTS: [&str; 2] = ["Q: Who are you?\nA:", "Q: What is the RSP?\nA:"];
/// The Q4 model main.c answers PROMPTS[0] with after the demo model's answers.
pub const Q4_MODEL: &str = "models/nibble-2l-q4.rspw";
/// main.c's MAX_ANSWER.
const MAX_ANSWER: usize = 64;
/// main.c loads this many bytes of the model first, which must be refused.
const TRUNCATED_BYTES: usize = 1000;
/// main.c's AUDIO_HZ (asked of audio_init; libdragon rounds it to what the DAC rate gives).
const AUDIO_HZ: f64 = 32000.0;
/// main.c's AUDIO_BUFFERS.
const AUDIO_BUFFERS: u32 = 4;
/// main.c's TUNE_AMPLITUDE times the channel volume (0.5): the mixed output's largest sample.
const MIXED_PEAK: u32 = 12000 / 2;
/// get_ticks() runs at half the VR4300's 93.75 MHz clock.
const TICKS_PER_SECOND: f64 = 46_875_000.0;
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

/// The ROM's audio figures for one answer (its `audio N:` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioStats {
    /// Buffers mixed by mixer_poll and handed to the AI.
    pub mixed: u32,
    /// AI interrupts: buffers the AI finished playing.
    pub played: u32,
    /// Interrupts after which the AI had nothing queued: the audio ran dry.
    pub dry: u32,
    /// The longest mixer_poll call (rsp_mixer through rspq's high-priority queue).
    pub mix_max_ticks: u32,
    /// Of that call, the ticks in the game's waveform read callback (CPU, writing the
    /// uncached sample buffer).
    pub read_ticks: u32,
    /// The largest |sample| of the mixed output the ROM looked at.
    pub peak: u32,
}

/// Parses `key=value` words of `line` for the given keys, naming a missing or bad one.
fn parse_fields<const N: usize>(line: &str, names: [&str; N]) -> Result<[u32; N]> {
    let mut fields = [None; N];
    for word in line.split_whitespace() {
        if let Some((k, v)) = word.split_once('=') {
            if let Some(i) = names.iter().position(|&n| n == k) {
                fields[i] = Some(
                    v.parse::<u32>()
                        .map_err(|e| format!("{line:?}: {k}={v}: {e}"))?,
                );
            }
        }
    }
    let mut out = [0; N];
    for i in 0..N {
        out[i] = fields[i].ok_or_else(|| format!("{line:?}: no {}=", names[i]))?;
    }
    Ok(out)
}

/// Parses `audio N: mixed=.. played=.. dry=.. mix_max_ticks=.. read_ticks=.. peak=..`.
pub fn parse_audio(line: &str) -> Result<AudioStats> {
    let [mixed, played, dry, mix_max_ticks, read_ticks, peak] = parse_fields(
        line,
        [
            "mixed",
            "played",
            "dry",
            "mix_max_ticks",
            "read_ticks",
            "peak",
        ],
    )?;
    Ok(AudioStats {
        mixed,
        played,
        dry,
        mix_max_ticks,
        read_ticks,
        peak,
    })
}

/// The audio setup the ROM printed: `audio: freq=.. buf_samples=.. buffers=..`.
#[derive(Debug, PartialEq)]
pub struct AudioSetup {
    pub freq: u32,
    pub buf_samples: u32,
    pub buffers: u32,
}

pub fn parse_audio_setup(line: &str) -> Result<AudioSetup> {
    let [freq, buf_samples, buffers] = parse_fields(line, ["freq", "buf_samples", "buffers"])?;
    if (freq as f64 - AUDIO_HZ).abs() > AUDIO_HZ * 0.01 || buf_samples == 0 {
        return Err(format!(
            "{line:?}: audio_init({AUDIO_HZ}) gave {freq} Hz and {buf_samples}-sample buffers"
        ));
    }
    if buffers != AUDIO_BUFFERS {
        return Err(format!("{line:?}: expected buffers={AUDIO_BUFFERS}"));
    }
    Ok(AudioSetup {
        freq,
        buf_samples,
        buffers,
    })
}

/// Checks that the mixer kept up during one answer of `cpu_ticks` emulated ticks: the AI
/// played as many buffers as that time holds (to one buffer either way: the answer does not
/// start or end on a buffer boundary), never ran dry, the game mixed as many as were played
/// (give or take the buffers it may fill ahead), each mixer_poll took less than one buffer's
/// playing time, and the output has the tune's amplitude. Returns the buffers expected.
pub fn check_audio(setup: &AudioSetup, cpu_ticks: u32, a: &AudioStats) -> Result<f64> {
    let seconds = cpu_ticks as f64 / TICKS_PER_SECOND;
    let buffer_s = setup.buf_samples as f64 / setup.freq as f64;
    let expected = seconds / buffer_s;
    let mut wrong = Vec::new();
    if (a.played as f64) < expected.floor() - 1.0 || (a.played as f64) > expected.ceil() + 1.0 {
        wrong.push(format!(
            "the AI played {} buffers in {seconds:.3} s, which hold {expected:.2}",
            a.played
        ));
    }
    if a.dry != 0 {
        wrong.push(format!("the audio ran dry {} times", a.dry));
    }
    if a.mixed.abs_diff(a.played) > setup.buffers {
        wrong.push(format!(
            "{} buffers mixed for {} played (at most {} may be ahead or behind)",
            a.mixed, a.played, setup.buffers
        ));
    }
    let buffer_ticks = buffer_s * TICKS_PER_SECOND;
    if a.mix_max_ticks as f64 >= buffer_ticks {
        wrong.push(format!(
            "a mixer_poll took {} ticks, longer than a buffer plays ({buffer_ticks:.0})",
            a.mix_max_ticks
        ));
    }
    if a.peak > MIXED_PEAK + 1 || a.peak < MIXED_PEAK * 95 / 100 {
        wrong.push(format!(
            "the mixed output's peak is {}, the tune's is {MIXED_PEAK}",
            a.peak
        ));
    }
    if wrong.is_empty() {
        Ok(expected)
    } else {
        Err(wrong.join("; "))
    }
}

/// Parses `stats N: bytes=.. frames=.. polls=.. busy=.. cpu_ticks=.. work_ticks=..
/// draw_ticks=..`.
pub fn parse_stats(line: &str) -> Result<AnswerStats> {
    let [bytes, frames, polls, busy, cpu_ticks, work_ticks, draw_ticks] = parse_fields(
        line,
        [
            "bytes",
            "frames",
            "polls",
            "busy",
            "cpu_ticks",
            "work_ticks",
            "draw_ticks",
        ],
    )?;
    Ok(AnswerStats {
        bytes,
        frames,
        polls,
        busy,
        cpu_ticks,
        work_ticks,
        draw_ticks,
    })
}

/// What the ROM must print apart from its `stats` lines, given the host's answers (the demo
/// model's, then the Q4 model's `q4_model` bytes and its answer to PROMPTS[0]).
pub fn expected_lines(
    model: &[u8],
    answers: &[Vec<u8>],
    q4_model: &[u8],
    q4_answer: &[u8],
) -> Vec<String> {
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
    lines.push(format!("q4 model bytes={}", q4_model.len()));
    lines.push("q4 model loaded".to_string());
    lines.push(format!("q4 answer 0={}", quoted(q4_answer)));
    lines
}

/// Builds and runs the example, checks it; returns the summary (ending `identical=yes`).
pub fn check(ws: &Workspace, sdk: &Sdk) -> Result<String> {
    let project = ws.root.join(CHAT_EXAMPLE);
    let lib = crate::libdragon_matvec::build_reference_lib(ws)?;
    let model_path = demo_model(ws)?;
    let model = std::fs::read(&model_path)
        .map_err(|e| format!("cannot read {}: {e}", model_path.display()))?;
    let fs_dir = project.join("filesystem");
    std::fs::create_dir_all(&fs_dir)
        .map_err(|e| format!("cannot create {}: {e}", fs_dir.display()))?;
    let packed = fs_dir.join("nibble-4l-q8.rspw");
    std::fs::write(&packed, &model)
        .map_err(|e| format!("cannot write {}: {e}", packed.display()))?;

    let q4_path = ws.root.join(Q4_MODEL);
    let q4_model =
        std::fs::read(&q4_path).map_err(|e| format!("cannot read {}: {e}", q4_path.display()))?;
    let q4_packed = fs_dir.join("nibble-2l-q4.rspw");
    std::fs::write(&q4_packed, &q4_model)
        .map_err(|e| format!("cannot write {}: {e}", q4_packed.display()))?;

    let max = MAX_ANSWER.to_string();
    let answers = PROMPTS
        .iter()
        .map(|p| host_generate_with(ws, &model_path, p, &["--max", &max, "--stop-at-newline"]))
        .collect::<Result<Vec<_>>>()?;
    let q4_answer = host_generate_with(
        ws,
        &q4_path,
        PROMPTS[0],
        &["--max", &max, "--stop-at-newline"],
    )?;

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
    let (stats, lines): (Vec<String>, Vec<String>) = out.lines.into_iter().partition(|l| {
        l.starts_with("stats ")
            || l.starts_with("audio")
            || l.starts_with("q4 stats ")
            || l.starts_with("q4 audio ")
    });
    let setup_line = stats
        .iter()
        .find(|l| l.starts_with("audio: "))
        .ok_or_else(|| format!("{}: no `audio: ` line", rom.display()))?;
    let setup = parse_audio_setup(setup_line)?;
    compare_lines(
        &lines,
        &expected_lines(&model, &answers, &q4_model, &q4_answer),
    )
    .map_err(|e| format!("{}: {e}", project.display()))?;
    let mut summary = Vec::new();
    // The demo model's answers ("" lines), then the Q4 model's ("q4 " lines).
    let runs = answers
        .iter()
        .enumerate()
        .map(|(i, a)| ("", i, a))
        .chain(std::iter::once(("q4 ", 0, &q4_answer)));
    for (tag, i, a) in runs {
        let line = stats
            .iter()
            .find(|l| l.starts_with(&format!("{tag}stats {i}:")))
            .ok_or_else(|| format!("{}: no `{tag}stats {i}:` line", rom.display()))?;
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
        let audio_line = stats
            .iter()
            .find(|l| l.starts_with(&format!("{tag}audio {i}:")))
            .ok_or_else(|| format!("{}: no `{tag}audio {i}:` line", rom.display()))?;
        let audio = parse_audio(audio_line)?;
        let expected = check_audio(&setup, s.cpu_ticks, &audio)
            .map_err(|e| format!("{audio_line}: the mixer did not keep up: {e}"))?;
        let share = |t: u32| 100.0 * t as f64 / s.cpu_ticks.max(1) as f64;
        summary.push(format!(
            "{tag}answer {i}: {} bytes, {} frames drawn meanwhile, {} polls ({} busy), {} CPU ticks \
             ({:.1}% in rspnn_generate_poll's work, {:.1}% drawing)",
            s.bytes,
            s.frames,
            s.polls,
            s.busy,
            s.cpu_ticks,
            share(s.work_ticks),
            share(s.draw_ticks)
        ));
        summary.push(format!(
            "{tag}answer {i}: audio kept up: {} buffers played ({expected:.2} in the emulated time), \
             {} mixed, dry {} times, longest mixer_poll {} ticks ({:.2} ms, {} of them in the \
             read callback), peak {}",
            audio.played,
            audio.mixed,
            audio.dry,
            audio.mix_max_ticks,
            audio.mix_max_ticks as f64 / TICKS_PER_SECOND * 1e3,
            audio.read_ticks,
            audio.peak
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
    fn audio_that_fell_behind_is_refused() {
        let setup = parse_audio_setup("audio: freq=31995 buf_samples=1272 buffers=4").unwrap();
        // 2.9325 s of emulated time hold 73.76 buffers of 1,272 samples at 31,995 Hz.
        let ok = parse_audio(
            "audio 0: mixed=77 played=73 dry=0 mix_max_ticks=9000 read_ticks=4000 peak=5996",
        )
        .unwrap();
        let expected = check_audio(&setup, 137_460_168, &ok).unwrap();
        assert!((expected - 73.76).abs() < 0.01, "{expected}");
        let e = check_audio(&setup, 137_460_168, &AudioStats { played: 60, ..ok }).unwrap_err();
        assert!(e.contains("played 60 buffers"), "{e}");
        let e = check_audio(&setup, 137_460_168, &AudioStats { dry: 2, ..ok }).unwrap_err();
        assert!(e.contains("ran dry 2 times"), "{e}");
        let e = check_audio(&setup, 137_460_168, &AudioStats { mixed: 60, ..ok }).unwrap_err();
        assert!(e.contains("60 buffers mixed"), "{e}");
        let e = check_audio(&setup, 137_460_168, &AudioStats { peak: 0, ..ok }).unwrap_err();
        assert!(e.contains("peak is 0"), "{e}");
        let slow = AudioStats {
            mix_max_ticks: 2_000_000,
            ..ok
        };
        let e = check_audio(&setup, 137_460_168, &slow).unwrap_err();
        assert!(e.contains("longer than a buffer plays"), "{e}");
        assert!(parse_audio_setup("audio: freq=22050 buf_samples=880 buffers=4").is_err());
        assert!(
            parse_audio("audio 0: mixed=1 played=1 mix_max_ticks=1 read_ticks=1 peak=1")
                .unwrap_err()
                .contains("no dry=")
        );
    }

    #[test]
    fn the_expected_refusal_is_the_models_own_message() {
        let model = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/nibble-4l-q8.rspw"),
        )
        .unwrap();
        let lines = expected_lines(&model, &[b" hi\\".to_vec()], &model[..8], b"q4");
        assert_eq!(lines[1], format!("model bytes={}", model.len()));
        assert!(
            lines[2].starts_with("truncated: not a valid rspnn model file: model of 1000 bytes: "),
            "{}",
            lines[2]
        );
        assert!(lines[2].contains("1000"), "{}", lines[2]);
        assert_eq!(lines[4], "answer 0=\" hi\\\\\"");
        assert_eq!(lines[5], "q4 model bytes=8");
        assert_eq!(lines[7], "q4 answer 0=\"q4\"");
    }
}
