//! Runs a ROM headless in Debian's mupen64plus and collects what it prints on the IS-Viewer.
//!
//! mupen64plus prints each IS-Viewer line as `Core: IS64: <text>` on stdout (an INFO message of
//! the core, `src/device/cart/is_viewer.c`). Its stdout is a pipe here, so it runs under
//! `stdbuf -oL` to get lines as they happen rather than at exit. The run ends when the ROM
//! prints one of n64-rt's sentinel lines; the emulator never exits by itself.
//!
//! Options: dummy video/audio/input plugins (no window, no sound), the z64 low-level RSP plugin,
//! the pure interpreter (`--emumode 0`, the most faithful CPU core), no on-screen display, no
//! speed limit, a throw-away config directory and `--nosaveoptions` so no user config is read or
//! written.

use crate::process::stdout_of;
use crate::Result;
use n64_rt::sentinel;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The prefix of an IS-Viewer line in mupen64plus's output.
pub const ISVIEWER_PREFIX: &str = "Core: IS64: ";
/// How many lines of emulator output an error shows.
const CONTEXT_LINES: usize = 30;

/// The Debian files of mupen64plus.
pub struct Emulator {
    pub binary: PathBuf,
    pub plugin_dir: PathBuf,
    pub data_dir: PathBuf,
}

/// How a ROM run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The ROM printed [`sentinel::DONE`].
    Done,
    /// The ROM printed [`sentinel::PANIC`].
    Panic,
}

/// What a ROM printed before its sentinel, and how it ended.
#[derive(Clone, Debug)]
pub struct RomRun {
    pub lines: Vec<String>,
    pub ending: Ending,
}

impl Emulator {
    /// Finds mupen64plus's files through dpkg (the Debian packages install them in
    /// `/usr/games`, `/usr/lib/<multiarch>/mupen64plus` and `/usr/share/games/mupen64plus`).
    pub fn locate() -> Result<Self> {
        let binary = package_file("mupen64plus-ui-console", |p| {
            p.ends_with("bin/mupen64plus") || p.ends_with("games/mupen64plus")
        })?;
        let plugin = package_file("mupen64plus-rsp-z64", |p| {
            p.ends_with("/mupen64plus-rsp-z64.so")
        })?;
        let ini = package_file("mupen64plus-data", |p| p.ends_with("/mupen64plus.ini"))?;
        let parent = |path: &Path| path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Self {
            plugin_dir: parent(&plugin),
            data_dir: parent(&ini),
            binary,
        })
    }

    /// Runs `rom` until it prints a sentinel or `timeout` passes. With `echo`, IS-Viewer lines
    /// are printed as they arrive.
    pub fn run(&self, rom: &Path, timeout: Duration, echo: bool) -> Result<RomRun> {
        if !rom.is_file() {
            return Err(format!("ROM {} does not exist", rom.display()));
        }
        // Unique per process and run, so parallel runs never share a config directory.
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let config_dir = std::env::temp_dir().join(format!(
            "rspnn-mupen64plus-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&config_dir)
            .map_err(|e| format!("cannot create {}: {e}", config_dir.display()))?;
        let result = self.run_in(rom, &config_dir, timeout, echo);
        let _ = std::fs::remove_dir_all(&config_dir);
        result
    }

    fn run_in(
        &self,
        rom: &Path,
        config_dir: &Path,
        timeout: Duration,
        echo: bool,
    ) -> Result<RomRun> {
        let mut cmd = Command::new("stdbuf");
        cmd.arg("-oL")
            .arg(&self.binary)
            .args(["--gfx", "dummy", "--audio", "dummy", "--input", "dummy"])
            .args(["--rsp", "mupen64plus-rsp-z64.so", "--emumode", "0"])
            .args(["--noosd", "--nospeedlimit", "--nosaveoptions"])
            .arg("--configdir")
            .arg(config_dir)
            .arg("--datadir")
            .arg(&self.data_dir)
            .arg("--plugindir")
            .arg(&self.plugin_dir)
            // Save files (EEPROM etc.) go into the throw-away directory, not the user's home.
            .arg("--set")
            .arg(format!("Core[SaveSRAMPath]={}", config_dir.display()))
            .arg("--set")
            .arg(format!("Core[SaveStatePath]={}", config_dir.display()))
            .arg(rom)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start mupen64plus: {e}"))?;
        let lines = spawn_line_readers(&mut child);
        let outcome = watch(lines, Instant::now() + timeout, echo, mupen_isviewer_text);
        // The emulator keeps running after the ROM halts; stop it whatever happened.
        let _ = child.kill();
        let status = child
            .wait()
            .map_err(|e| format!("waiting for mupen64plus: {e}"))?;
        outcome.into_result("mupen64plus", rom, timeout, status)
    }
}

/// mupen64plus prints IS-Viewer text on stdout behind [`ISVIEWER_PREFIX`].
fn mupen_isviewer_text(stream: Stream, line: &str) -> Option<&str> {
    match stream {
        Stream::Stdout => line.strip_prefix(ISVIEWER_PREFIX),
        Stream::Stderr => None,
    }
}

/// The file of `package` that `wanted` picks, from `dpkg-query -L`.
fn package_file(package: &str, wanted: impl Fn(&str) -> bool) -> Result<PathBuf> {
    let files = stdout_of(Command::new("dpkg-query").args(["-L", package]))
        .map_err(|e| format!("{e} (is {package} installed? `cargo xtask setup` installs it)"))?;
    files
        .lines()
        .find(|line| wanted(line) && Path::new(line).is_file())
        .map(PathBuf::from)
        .ok_or_else(|| format!("package {package} has no file of the expected name"))
}

/// Which output stream of the emulator a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Reads stdout and stderr line by line on two threads, into one channel. Bytes that are not
/// UTF-8 are replaced (U+FFFD) rather than ending the stream.
pub fn spawn_line_readers(child: &mut Child) -> mpsc::Receiver<(Stream, String)> {
    let (sender, receiver) = mpsc::channel();
    let spawn_reader = |which: Stream, stream: Option<Box<dyn Read + Send>>| {
        if let Some(stream) = stream {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).split(b'\n') {
                    let Ok(line) = line else { break };
                    let text = String::from_utf8_lossy(&line).into_owned();
                    if sender.send((which, text)).is_err() {
                        break;
                    }
                }
            });
        }
    };
    spawn_reader(
        Stream::Stdout,
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    spawn_reader(
        Stream::Stderr,
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    receiver
}

/// How following an emulator's output ended.
pub enum Watched {
    Sentinel(RomRun),
    TimedOut(String),
    Exited(String),
}

impl Watched {
    /// The run, or an error naming the emulator and showing its last output.
    pub fn into_result(
        self,
        emulator: &str,
        rom: &Path,
        timeout: Duration,
        status: std::process::ExitStatus,
    ) -> Result<RomRun> {
        match self {
            Watched::Sentinel(run) => Ok(run),
            Watched::TimedOut(context) => Err(format!(
                "{} did not finish within {} s in {emulator}; last output:\n{}",
                rom.display(),
                timeout.as_secs_f64(),
                context
            )),
            Watched::Exited(context) => Err(format!(
                "{emulator} exited ({status}) before {} printed `{}`; last output:\n{}",
                rom.display(),
                sentinel::DONE,
                context
            )),
        }
    }
}

/// Follows an emulator's output until a sentinel, the deadline, or the end of the output.
/// `isviewer_text` picks the IS-Viewer text out of an output line (None: the emulator's own).
pub fn watch(
    lines: mpsc::Receiver<(Stream, String)>,
    deadline: Instant,
    echo: bool,
    isviewer_text: fn(Stream, &str) -> Option<&str>,
) -> Watched {
    let mut printed = Vec::new();
    let mut recent: VecDeque<String> = VecDeque::new();
    let context = |recent: &VecDeque<String>| -> String {
        recent
            .iter()
            .map(|line| format!("  {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    loop {
        let now = Instant::now();
        let (stream, line) = match lines.recv_timeout(deadline.saturating_duration_since(now)) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => return Watched::TimedOut(context(&recent)),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Watched::Exited(context(&recent)),
        };
        if recent.len() == CONTEXT_LINES {
            recent.pop_front();
        }
        recent.push_back(line.clone());
        let Some(text) = isviewer_text(stream, &line) else {
            continue;
        };
        if echo {
            println!("  | {text}");
        }
        let ending = match text {
            sentinel::DONE => Ending::Done,
            sentinel::PANIC => Ending::Panic,
            _ => {
                printed.push(text.to_string());
                continue;
            }
        };
        return Watched::Sentinel(RomRun {
            lines: printed,
            ending,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(lines: &[&str]) -> mpsc::Receiver<(Stream, String)> {
        let (sender, receiver) = mpsc::channel();
        for line in lines {
            sender.send((Stream::Stdout, line.to_string())).unwrap();
        }
        receiver // the sender is dropped: the output ends after these lines
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[test]
    fn collects_isviewer_lines_until_done() {
        let output = feed(&[
            "Core: Starting R4300 emulator: Pure Interpreter",
            "Core: IS64: q4dot.result=-1343462",
            "Core Warning: something else",
            "Core: IS64: ",
            "Core: IS64: @@rspnn:done@@",
            "Core: IS64: after the sentinel",
        ]);
        let Watched::Sentinel(run) = watch(output, far(), false, mupen_isviewer_text) else {
            panic!("no sentinel")
        };
        assert_eq!(run.ending, Ending::Done);
        assert_eq!(run.lines, ["q4dot.result=-1343462", ""]);
    }

    #[test]
    fn a_panic_sentinel_ends_the_run_as_a_panic() {
        let output = feed(&[
            "Core: IS64: panicked at src/x.rs:1:2:",
            "Core: IS64: @@rspnn:panic@@",
        ]);
        let Watched::Sentinel(run) = watch(output, far(), false, mupen_isviewer_text) else {
            panic!("no sentinel")
        };
        assert_eq!(run.ending, Ending::Panic);
        assert_eq!(run.lines, ["panicked at src/x.rs:1:2:"]);
    }

    #[test]
    fn output_ending_without_a_sentinel_is_reported_with_context() {
        let output = feed(&["Core: IS64: half way", "Core Error: something broke"]);
        let Watched::Exited(context) = watch(output, far(), false, mupen_isviewer_text) else {
            panic!("not exited")
        };
        assert!(
            context.contains("something broke") && context.contains("half way"),
            "{context}"
        );
    }

    #[test]
    fn silence_past_the_deadline_is_a_timeout() {
        let (sender, receiver) = mpsc::channel::<(Stream, String)>();
        sender
            .send((Stream::Stdout, "Core: IS64: started".into()))
            .unwrap();
        let deadline = Instant::now() + Duration::from_millis(50);
        let Watched::TimedOut(context) = watch(receiver, deadline, false, mupen_isviewer_text)
        else {
            panic!("no timeout")
        };
        assert!(context.contains("started"));
        drop(sender);
    }
}
