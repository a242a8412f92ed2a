//! Running other programs with errors that say what was run and how it ended.

use crate::Result;
use std::process::{Command, Stdio};

/// A short rendering of a command for messages: `program arg arg ...`.
pub fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `cmd` with the terminal's stdout/stderr; an error if it cannot start or fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs `cmd` (stdin closed) and returns its stdout as bytes; on failure the error carries
/// its stderr.
pub fn stdout_bytes_of(cmd: &mut Command) -> Result<Vec<u8>> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    if !output.status.success() {
        return Err(format!(
            "`{}` failed ({}): {}",
            describe(cmd),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

/// [`stdout_bytes_of`] for a command that prints text.
pub fn stdout_of(cmd: &mut Command) -> Result<String> {
    let stdout = stdout_bytes_of(cmd)?;
    String::from_utf8(stdout).map_err(|_| format!("`{}` printed non-UTF-8", describe(cmd)))
}

/// The cargo that runs xtask (`cargo run` sets `CARGO`), so host steps use the same toolchain.
pub fn host_cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}
