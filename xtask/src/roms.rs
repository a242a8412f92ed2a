//! The ROMs `cargo xtask test` runs in mupen64plus, and what each must print.
//!
//! A ROM is a binary of n64-demo (`src/bin/<name>.rs`). To check a new one, add a
//! [`RomCheck`] to [`ROM_CHECKS`] with a function that inspects its IS-Viewer lines.

use crate::emulator::{Ending, RomRun};
use crate::workspace::Workspace;
use crate::{Result, DEFAULT_ROM_TIMEOUT_S};
use n64_demo::q4dot;
use n64_demo::textgen::{Escaped, GEN_LEN, PROMPTS};
use std::path::PathBuf;

/// A ROM and its check. The check gets the run and the title the ROM was packed with, and
/// returns a one-line summary for the test report.
pub struct RomCheck {
    pub name: &'static str,
    pub check: fn(&RomRun, &str) -> Result<String>,
    /// How long the ROM may run in the emulator (seconds).
    pub timeout_s: f64,
}

pub const ROM_CHECKS: &[RomCheck] = &[
    RomCheck {
        name: "textgen",
        check: check_textgen,
        // The VR4300 scalar path runs 366 steps of the 4-layer model (~13.5 M instructions
        // each) in mupen64plus's pure interpreter: about 95 s on this 2-core machine.
        timeout_s: 300.0,
    },
    RomCheck {
        name: "bench",
        check: check_bench,
        // Every kernel on the spec and tuned VR4300 paths and the RSP, 22 tokens of each
        // model on both: about 15 s in mupen64plus on this machine.
        timeout_s: 120.0,
    },
    RomCheck {
        name: "chat",
        check: crate::chat_check::check_chat,
        // Attract mode starts after 3 s without input; three answers on the RSP and four
        // bytes on the VR4300 (21 scalar steps): about 20 s in mupen64plus.
        timeout_s: 120.0,
    },
    RomCheck {
        name: "q4dot",
        check: check_q4dot,
        timeout_s: DEFAULT_ROM_TIMEOUT_S,
    },
    RomCheck {
        name: "panic-probe",
        check: check_panic_probe,
        timeout_s: DEFAULT_ROM_TIMEOUT_S,
    },
];

/// The demo model: the one models/README.md says the demo should use.
const DEMO_MODEL: &str = "models/nibble-4l-q8.rspw";

/// The 2-layer Q4 model the bench ROM carries beside the demo model.
const Q4_MODEL: &str = "models/nibble-2l-q4.rspw";

/// The model file the demo ROM carries.
pub fn demo_model(ws: &Workspace) -> Result<PathBuf> {
    let path = ws.root.join(DEMO_MODEL);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("the demo model {} is missing", path.display()))
    }
}

/// The files packed behind ROM `name`'s program (read back by the ROM through
/// `n64_demo::assets`).
pub fn assets_for(ws: &Workspace, name: &str) -> Result<Vec<Vec<u8>>> {
    Ok(match name {
        "textgen" | "chat" => {
            let path = demo_model(ws)?;
            vec![std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?]
        }
        "bench" => [DEMO_MODEL, Q4_MODEL]
            .iter()
            .map(|m| {
                let path = ws.root.join(m);
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
            })
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    })
}

/// `rspnn generate` on the host: the bytes it prints, without the final newline.
fn host_generate(ws: &Workspace, model: &std::path::Path, prompt: &str) -> Result<Vec<u8>> {
    host_generate_with(ws, model, prompt, &["--max", &GEN_LEN.to_string()])
}

/// `rspnn generate` with `options` after the prompt.
pub fn host_generate_with(
    ws: &Workspace,
    model: &std::path::Path,
    prompt: &str,
    options: &[&str],
) -> Result<Vec<u8>> {
    let mut cmd = crate::process::host_cargo();
    cmd.current_dir(&ws.root)
        .args([
            "run",
            "-q",
            "-p",
            "rspnn-cli",
            "--",
            "generate",
            "--weights",
        ])
        .arg(model)
        .args(["--prompt", prompt])
        .args(options);
    let what = crate::process::describe(&cmd);
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot start `{what}`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{what}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let mut text = out.stdout;
    if text.last() == Some(&b'\n') {
        text.pop();
    }
    Ok(text)
}

/// textgen: for every prompt, the text generated on the RSP equals the scalar path's on the
/// VR4300 and `rspnn generate` on the host; the timing lines are there.
fn check_textgen(run: &RomRun, _title: &str) -> Result<String> {
    ended_well(run)?;
    let ws = Workspace::locate()?;
    let model = demo_model(&ws)?;
    let expected: Vec<String> = PROMPTS
        .iter()
        .map(|p| host_generate(&ws, &model, p).map(|t| quoted(&t)))
        .collect::<Result<_>>()?;
    check_textgen_lines(run, &expected)?;
    let scalar_ticks: u64 = parse(run, "textgen.scalar.ticks_per_token")?;
    let sched_ticks: u64 = parse(run, "textgen.rsp.cpu_ticks_per_token")?;
    Ok(format!(
        "{} prompts x {GEN_LEN} bytes: RSP = VR4300 scalar = host `rspnn generate` ({}); per \
         token (instructions: mupen64plus Count at CountPerOp=1): scalar {scalar_ticks}, \
         scheduler CPU work around an RSP token {sched_ticks}",
        PROMPTS.len(),
        DEMO_MODEL,
    ))
}

/// Text as the ROM prints it: escaped (`n64_demo::textgen::Escaped`) and in double quotes, so
/// leading and trailing spaces survive the emulator's line handling.
pub fn quoted(text: &[u8]) -> String {
    format!("\"{}\"", Escaped(text))
}

/// The comparison itself (apart from running the host CLI, so that it can be tested).
fn check_textgen_lines(run: &RomRun, expected: &[String]) -> Result<()> {
    for (i, want) in expected.iter().enumerate() {
        let on_rsp = value(run, &format!("textgen.{i}.rsp"))?;
        let on_cpu = value(run, &format!("textgen.{i}.scalar"))?;
        if on_rsp != want || on_cpu != want {
            return Err(format!(
                "prompt {i} {:?}:\n  RSP:    {on_rsp}\n  scalar: {on_cpu}\n  host:   {want}",
                PROMPTS[i]
            ));
        }
        if value(run, &format!("textgen.{i}.identical"))? != "yes" {
            return Err(format!("prompt {i}: the ROM says RSP and scalar differ"));
        }
        // The game counter advanced while the RSP generated: `first..last` with last > first.
        let frames = value(run, &format!("textgen.{i}.game_frames"))?;
        let advanced = frames
            .split_once("..")
            .and_then(|(a, b)| Some(b.parse::<u64>().ok()? > a.parse::<u64>().ok()?));
        if advanced != Some(true) {
            return Err(format!(
                "prompt {i}: the game counter did not advance ({frames})"
            ));
        }
    }
    Ok(())
}

/// The `bench.<kernel>.<path>.identical` results every bench run must print (`yes`).
pub const BENCH_IDENTICAL: &[&str] = &[
    "tuned_check.tuned",
    "attention_check.tuned",
    "matvec_q8_128x128.tuned",
    "matvec_q8_128x128.rsp",
    "matvec_q8_512x128.tuned",
    "matvec_q8_128x512.tuned",
    "matvec_q8_256x128.tuned",
    "matvec_q8_256x128.rsp",
    "matvec_q4_128x128.tuned",
    "matvec_q4_128x128.rsp",
    "token_q8.rsp",
    "token_q4.rsp",
    // The Q4 matvec's opt-in fast chain (ucode/README.md "Assumptions"), run after the default.
    "matvec_q4_128x128.rsp_q4waw",
    "token_q4.rsp_q4waw",
];

/// bench: every path equals the scalar spec bit for bit (each listed `identical` line says
/// `yes`, and no line says `no`); the tuned loop saw clamped sums; the token times are there.
fn check_bench(run: &RomRun, _title: &str) -> Result<String> {
    ended_well(run)?;
    for key in BENCH_IDENTICAL {
        let said = value(run, &format!("bench.{key}.identical"))?;
        if said != "yes" {
            return Err(format!(
                "bench.{key}: the result differs from the scalar spec"
            ));
        }
    }
    if let Some(line) = run
        .lines
        .iter()
        .find(|l| l.starts_with("bench.") && l.ends_with(".identical=no"))
    {
        return Err(format!("{line}: differs from the scalar spec"));
    }
    let saturations: u32 = parse(run, "bench.tuned_check.tuned.saturations")?;
    if saturations == 0 {
        return Err("the tuned matvec check met no clamped sum: its edge cases did not run".into());
    }
    let _: f64 = parse(run, "bench.token.scalar.cpu_cycles_per_weight")?;
    let dp_clock = dp_clock_rows(run)?;
    let q8: u64 = parse(run, "bench.token_q8.scalar.count_ticks")?;
    let weights: u64 = parse(run, "bench.token_q8.model.weights_per_token")?;
    Ok(format!(
        "{} kernels and paths = scalar spec bit for bit ({saturations} clamped sums in the \
         tuned check); Q8 token on the VR4300: {q8} instructions ({:.2} per weight; \
         mupen64plus Count at CountPerOp=1); DP clock probe: {dp_clock}",
        BENCH_IDENTICAL.len(),
        q8 as f64 / weights as f64
    ))
}

/// The DP clock probe's rows (n64-demo `dp_clock_probe`): it ran to its BREAK and said whether
/// the DP clock runs; where it runs, every row is a positive cycle count, and where it does not
/// (both emulators here), no row passes a 0 off as a measurement.
fn dp_clock_rows(run: &RomRun) -> Result<&'static str> {
    let running = match value(run, "bench.dp_clock.rsp.status")? {
        "running" => true,
        "not running" => false,
        other => {
            return Err(format!(
                "bench.dp_clock.rsp.status={other}: expected `running` or `not running`"
            ))
        }
    };
    let mut keys = vec!["bench.dp_clock.calibration.rsp_cycles".to_string()];
    for bytes in [256, 1088, 2048, 4096] {
        keys.push(format!("bench.dma.{bytes}.rsp_cycles"));
        keys.push(format!("bench.dma.2x{bytes}.rsp_cycles"));
    }
    for key in &keys {
        let said = value(run, key)?;
        let ok = if running {
            said.parse::<u32>().is_ok_and(|c| c > 0)
        } else {
            said == "not measured (dp_clock not running)"
        };
        if !ok {
            return Err(format!(
                "{key}={said}: with the DP clock {}, expected {}",
                if running { "running" } else { "not running" },
                if running {
                    "a positive cycle count"
                } else {
                    "`not measured (dp_clock not running)`"
                }
            ));
        }
    }
    Ok(if running {
        "DP clock running, RSP-side DMA rows measured"
    } else {
        "the DP clock does not run here (rows say so)"
    })
}

/// The value of the first `key=value` line.
pub fn value<'a>(run: &'a RomRun, key: &str) -> Result<&'a str> {
    run.lines
        .iter()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
        .ok_or_else(|| {
            format!(
                "the ROM printed no `{key}=` line; it printed:\n{}",
                run.lines.join("\n")
            )
        })
}

pub fn parse<T: std::str::FromStr>(run: &RomRun, key: &str) -> Result<T> {
    let text = value(run, key)?;
    text.parse()
        .map_err(|_| format!("`{key}={text}` is not a number of the expected type"))
}

pub fn ended_well(run: &RomRun) -> Result<()> {
    match run.ending {
        Ending::Done => Ok(()),
        Ending::Panic => Err(format!("the ROM panicked:\n{}", run.lines.join("\n"))),
    }
}

/// q4dot: the dot product equals the host's, Count ticked, PI DMA read the header back.
pub fn check_q4dot(run: &RomRun, title: &str) -> Result<String> {
    ended_well(run)?;
    let on_n64: i32 = parse(run, "q4dot.result")?;
    let on_host = q4dot::demo_result().map_err(|e| format!("host computation failed: {e}"))?;
    if on_n64 != on_host {
        return Err(format!(
            "the ROM computed {on_n64}, the host computes {on_host}"
        ));
    }
    let ticks: u32 = parse(run, "q4dot.count_ticks")?;
    if ticks == 0 {
        return Err("CP0 Count did not advance during the dot product".into());
    }
    let word0 = value(run, "pi_dma.header_word0")?;
    if word0 != "0x80371240" {
        return Err(format!(
            "PI DMA read header word 0 as {word0}, the ROM has 0x80371240"
        ));
    }
    let read_title = value(run, "pi_dma.header_title")?;
    if read_title != title.trim_end() {
        return Err(format!(
            "PI DMA read the title {read_title:?}, the ROM has {title:?}"
        ));
    }
    Ok(format!(
        "result {on_n64} = host; {ticks} Count ticks (mupen64plus at CountPerOp=1: instructions; \
         cen64: CPU cycles / 2); PI DMA ok"
    ))
}

/// panic-probe: the panic message and its location reach the IS-Viewer, then the panic sentinel.
pub fn check_panic_probe(run: &RomRun, _title: &str) -> Result<String> {
    if run.ending != Ending::Panic {
        return Err(format!(
            "expected a panic, the ROM finished normally:\n{}",
            run.lines.join("\n")
        ));
    }
    let text = run.lines.join("\n");
    if !text.contains("attempt to divide by zero") || !text.contains("src/bin/panic_probe.rs:") {
        return Err(format!(
            "the panic output lacks the message or its location:\n{text}"
        ));
    }
    Ok("panic message with file:line:col, then the panic sentinel".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str], ending: Ending) -> RomRun {
        RomRun {
            lines: lines.iter().map(|s| s.to_string()).collect(),
            ending,
        }
    }

    /// -1343462 is the demo's sum as computed by an independent Python implementation.
    fn q4dot_lines(result: &str) -> Vec<String> {
        vec![
            "rspnn q4dot: ...".into(),
            format!("q4dot.result={result}"),
            "q4dot.count_ticks=2217".into(),
            "q4dot.cpu_cycles=4434".into(),
            "pi_dma.header_word0=0x80371240".into(),
            "pi_dma.header_title=rspnn q4dot".into(),
        ]
    }

    #[test]
    fn q4dot_passes_with_the_right_result() {
        let lines = q4dot_lines("-1343462");
        let good = RomRun {
            lines,
            ending: Ending::Done,
        };
        let summary = check_q4dot(&good, "rspnn q4dot").unwrap();
        assert!(summary.contains("-1343462"), "{summary}");
    }

    #[test]
    fn q4dot_fails_on_a_wrong_or_missing_result() {
        let wrong = RomRun {
            lines: q4dot_lines("-1343461"),
            ending: Ending::Done,
        };
        assert!(check_q4dot(&wrong, "rspnn q4dot")
            .unwrap_err()
            .contains("computed -1343461"));
        let garbled = RomRun {
            lines: q4dot_lines("12x"),
            ending: Ending::Done,
        };
        assert!(check_q4dot(&garbled, "rspnn q4dot").is_err());
        let silent = run(&["hello"], Ending::Done);
        assert!(check_q4dot(&silent, "rspnn q4dot")
            .unwrap_err()
            .contains("no `q4dot.result=`"));
        let panicked = RomRun {
            lines: q4dot_lines("-1343462"),
            ending: Ending::Panic,
        };
        assert!(check_q4dot(&panicked, "rspnn q4dot")
            .unwrap_err()
            .contains("panicked"));
        let other_title = RomRun {
            lines: q4dot_lines("-1343462"),
            ending: Ending::Done,
        };
        assert!(check_q4dot(&other_title, "rspnn other")
            .unwrap_err()
            .contains("title"));
    }

    /// What a good textgen run prints for `texts` (one per prompt), both paths agreeing.
    fn textgen_lines(rsp: &[&str], scalar: &[&str], frames: &[&str]) -> RomRun {
        let mut lines = vec!["rspnn textgen: ...".to_string()];
        for i in 0..rsp.len() {
            lines.push(format!("textgen.{i}.rsp={}", rsp[i]));
            lines.push(format!("textgen.{i}.game_frames={}", frames[i]));
            lines.push(format!("textgen.{i}.scalar={}", scalar[i]));
            let same = if rsp[i] == scalar[i] { "yes" } else { "no" };
            lines.push(format!("textgen.{i}.identical={same}"));
        }
        RomRun {
            lines,
            ending: Ending::Done,
        }
    }

    #[test]
    fn textgen_passes_only_when_rsp_scalar_and_host_agree() {
        let host = [
            quoted(b" I am Nibble.\nQ:"),
            quoted(b" 93.75 MHz "),
            quoted(b"\xff\\"),
        ];
        // The escaped, quoted forms, written out by hand.
        assert_eq!(host[0], "\" I am Nibble.\\nQ:\"");
        assert_eq!(host[2], "\"\\xff\\\\\"");
        let want: Vec<&str> = host.iter().map(String::as_str).collect();
        let frames = ["0..57", "57..120", "120..173"];
        assert!(check_textgen_lines(&textgen_lines(&want, &want, &frames), &host).is_ok());

        let mut wrong = want.clone();
        wrong[1] = "\" 93.75 MHz!\"";
        let err = check_textgen_lines(&textgen_lines(&wrong, &wrong, &frames), &host).unwrap_err();
        assert!(err.contains("prompt 1"), "{err}");
        let err = check_textgen_lines(&textgen_lines(&want, &wrong, &frames), &host).unwrap_err();
        assert!(err.contains("scalar: \" 93.75 MHz!\""), "{err}");
        // A trailing space lost would be a difference too.
        let mut trimmed = want.clone();
        trimmed[1] = "\" 93.75 MHz\"";
        assert!(check_textgen_lines(&textgen_lines(&trimmed, &trimmed, &frames), &host).is_err());

        let stuck = ["0..57", "57..57", "57..99"];
        let err = check_textgen_lines(&textgen_lines(&want, &want, &stuck), &host).unwrap_err();
        assert!(err.contains("did not advance"), "{err}");
        let err = check_textgen_lines(&textgen_lines(&want[..2], &want[..2], &frames), &host)
            .unwrap_err();
        assert!(err.contains("textgen.2.rsp"), "{err}");
    }

    #[test]
    fn the_demo_carries_the_model_the_model_card_names() {
        let dir = std::env::temp_dir().join(format!("rspnn-roms-test-{}", std::process::id()));
        let ws = Workspace {
            root: dir.join("repo"),
            target_dir: dir.join("target"),
        };
        std::fs::create_dir_all(ws.root.join("models")).unwrap();
        assert!(demo_model(&ws)
            .unwrap_err()
            .contains("nibble-4l-q8.rspw is missing"));
        assert!(assets_for(&ws, "textgen").is_err());
        std::fs::write(ws.root.join("models/nibble-4l-q8.rspw"), b"model bytes").unwrap();
        assert_eq!(
            demo_model(&ws).unwrap(),
            ws.root.join("models/nibble-4l-q8.rspw")
        );
        assert_eq!(
            assets_for(&ws, "textgen").unwrap(),
            vec![b"model bytes".to_vec()]
        );
        assert!(assets_for(&ws, "q4dot").unwrap().is_empty());
        // The bench ROM carries the Q8 model, then the Q4 one.
        assert!(assets_for(&ws, "bench")
            .unwrap_err()
            .contains("nibble-2l-q4.rspw"));
        std::fs::write(ws.root.join("models/nibble-2l-q4.rspw"), b"q4 bytes").unwrap();
        assert_eq!(
            assets_for(&ws, "bench").unwrap(),
            vec![b"model bytes".to_vec(), b"q4 bytes".to_vec()]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn bench_run(flip: Option<&str>) -> RomRun {
        let mut lines = vec![
            "rspnn bench: ...".to_string(),
            "bench.tuned_check.tuned.saturations=11991".into(),
            "bench.token_q8.model.weights_per_token=819200".into(),
            "bench.token_q8.scalar.count_ticks=4178388".into(),
            "bench.token.scalar.cpu_cycles_per_weight=10.20".into(),
        ];
        for key in BENCH_IDENTICAL {
            let v = if Some(*key) == flip { "no" } else { "yes" };
            lines.push(format!("bench.{key}.identical={v}"));
        }
        // The DP clock probe as the emulators print it (their DP clock does not run).
        lines.push("bench.dp_clock.rsp.status=not running".into());
        let not = "not measured (dp_clock not running)";
        lines.push(format!("bench.dp_clock.calibration.rsp_cycles={not}"));
        for bytes in [256, 1088, 2048, 4096] {
            lines.push(format!("bench.dma.{bytes}.rsp_cycles={not}"));
            lines.push(format!("bench.dma.2x{bytes}.rsp_cycles={not}"));
        }
        RomRun {
            lines,
            ending: Ending::Done,
        }
    }

    #[test]
    fn bench_passes_only_when_every_path_equals_the_spec() {
        let summary = check_bench(&bench_run(None), "").unwrap();
        assert!(
            summary.contains("4178388 instructions (5.10 per weight"),
            "{summary}"
        );
        for key in BENCH_IDENTICAL {
            let err = check_bench(&bench_run(Some(key)), "").unwrap_err();
            assert!(err.contains(key), "{err}");
        }
        let mut extra = bench_run(None);
        extra.lines.push("bench.norm.rsp.identical=no".into());
        assert!(check_bench(&extra, "")
            .unwrap_err()
            .contains("bench.norm.rsp"));
        let mut missing = bench_run(None);
        missing
            .lines
            .retain(|l| !l.starts_with("bench.token_q4.rsp"));
        assert!(check_bench(&missing, "")
            .unwrap_err()
            .contains("bench.token_q4.rsp.identical"));
        let mut unclamped = bench_run(None);
        unclamped.lines[1] = "bench.tuned_check.tuned.saturations=0".into();
        assert!(check_bench(&unclamped, "").is_err());
    }

    #[test]
    fn the_dp_clock_rows_never_pass_a_zero_off_as_a_measurement() {
        let run = bench_run(None);
        assert!(check_bench(&run, "").unwrap().contains("does not run here"));
        // A console: running, every row a positive count.
        let mut console = bench_run(None);
        for l in console.lines.iter_mut() {
            if l == "bench.dp_clock.rsp.status=not running" {
                *l = "bench.dp_clock.rsp.status=running".into();
            } else if l.ends_with(".rsp_cycles=not measured (dp_clock not running)") {
                *l = l.replace("not measured (dp_clock not running)", "783");
            }
        }
        assert!(check_bench(&console, "")
            .unwrap()
            .contains("RSP-side DMA rows measured"));
        // Running but a row reads 0, or not running but a row shows a number: refused.
        let mut zero = console.clone();
        let i = zero
            .lines
            .iter()
            .position(|l| l.starts_with("bench.dma.1088.rsp_cycles"))
            .unwrap();
        zero.lines[i] = "bench.dma.1088.rsp_cycles=0".into();
        assert!(check_bench(&zero, "")
            .unwrap_err()
            .contains("bench.dma.1088.rsp_cycles=0"));
        let mut number = bench_run(None);
        let i = number
            .lines
            .iter()
            .position(|l| l.starts_with("bench.dma.2x256.rsp_cycles"))
            .unwrap();
        number.lines[i] = "bench.dma.2x256.rsp_cycles=0".into();
        assert!(check_bench(&number, "")
            .unwrap_err()
            .contains("bench.dma.2x256.rsp_cycles=0"));
        let mut absent = bench_run(None);
        absent
            .lines
            .retain(|l| !l.starts_with("bench.dp_clock.rsp.status"));
        assert!(check_bench(&absent, "")
            .unwrap_err()
            .contains("bench.dp_clock.rsp.status"));
    }

    #[test]
    fn panic_probe_needs_a_panic_with_location() {
        let good = run(
            &[
                "panicked at n64-demo/src/bin/panic_probe.rs:16:36:",
                "attempt to divide by zero",
            ],
            Ending::Panic,
        );
        assert!(check_panic_probe(&good, "").is_ok());
        let no_panic = run(&["attempt to divide by zero"], Ending::Done);
        assert!(check_panic_probe(&no_panic, "").is_err());
        let no_location = run(&["attempt to divide by zero"], Ending::Panic);
        assert!(check_panic_probe(&no_location, "").is_err());
    }
}
