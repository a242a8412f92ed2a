//! The ROMs `cargo xtask test` runs in mupen64plus, and what each must print.
//!
//! A ROM is a binary of n64-demo (`src/bin/<name>.rs`). To check a new one, add a
//! [`RomCheck`] to [`ROM_CHECKS`] with a function that inspects its IS-Viewer lines.

use crate::emulator::{Ending, RomRun};
use crate::Result;
use n64_demo::q4dot;

/// A ROM and its check. The check gets the run and the title the ROM was packed with, and
/// returns a one-line summary for the test report.
pub struct RomCheck {
    pub name: &'static str,
    pub check: fn(&RomRun, &str) -> Result<String>,
}

pub const ROM_CHECKS: &[RomCheck] = &[
    RomCheck {
        name: "q4dot",
        check: check_q4dot,
    },
    RomCheck {
        name: "panic-probe",
        check: check_panic_probe,
    },
];

/// The value of the first `key=value` line.
fn value<'a>(run: &'a RomRun, key: &str) -> Result<&'a str> {
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

fn parse<T: std::str::FromStr>(run: &RomRun, key: &str) -> Result<T> {
    let text = value(run, key)?;
    text.parse()
        .map_err(|_| format!("`{key}={text}` is not a number of the expected type"))
}

fn ended_well(run: &RomRun) -> Result<()> {
    match run.ending {
        Ending::Done => Ok(()),
        Ending::Panic => Err(format!("the ROM panicked:\n{}", run.lines.join("\n"))),
    }
}

/// q4dot: the dot product equals the host's, Count ticked, PI DMA read the header back.
fn check_q4dot(run: &RomRun, title: &str) -> Result<String> {
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
        "result {on_n64} = host; {ticks} Count ticks (emulated); PI DMA ok"
    ))
}

/// panic-probe: the panic message and its location reach the IS-Viewer, then the panic sentinel.
fn check_panic_probe(run: &RomRun, _title: &str) -> Result<String> {
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
            "q4dot.count_ticks=4434".into(),
            "q4dot.cpu_cycles=8868".into(),
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
