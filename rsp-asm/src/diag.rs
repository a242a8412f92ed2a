//! Diagnostics: `file:line:col: error: message`, the source line, and a caret under the
//! offending text. All diagnostics of an assembly are collected and reported together.

use std::fmt;

/// Where a diagnostic points: a file, a 1-based line and a 0-based byte range in `line_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    /// 1-based line number in `file`.
    pub line: u32,
    /// 0-based byte column of the first offending character in `line_text`.
    pub col: u32,
    /// Bytes underlined (at least 1 when shown).
    pub len: u32,
    /// The line the column refers to (after `#define`/macro substitution when there was one).
    pub line_text: String,
}

/// One error, with optional notes (macro expansion sites, overflow contributors, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// `None` for errors about the whole program (IMEM/DMEM overflow, unreadable main file).
    pub location: Option<Location>,
    /// File name to prefix when there is no location.
    pub file: String,
    pub message: String,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub(crate) fn at(location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic { file: location.file.clone(), location: Some(location), message: message.into(), notes: Vec::new() }
    }

    pub(crate) fn global(file: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { location: None, file: file.to_string(), message: message.into(), notes: Vec::new() }
    }

    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// 1-based line, 1-based column, as printed.
    pub fn line_col(&self) -> Option<(u32, u32)> {
        self.location.as_ref().map(|l| (l.line, l.col + 1))
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => {
                writeln!(f, "{}:{}:{}: error: {}", loc.file, loc.line, loc.col + 1, self.message)?;
                // Tabs are kept in the echoed line and reproduced in the caret's indentation,
                // so the caret lines up in any terminal.
                let shown: String =
                    loc.line_text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
                writeln!(f, "    {shown}")?;
                let indent: String = shown
                    .char_indices()
                    .take_while(|(i, _)| (*i as u32) < loc.col)
                    .map(|(_, c)| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let width = shown.get(loc.col as usize..).map(|rest| rest.chars().count()).unwrap_or(0);
                let len = (loc.len as usize).clamp(1, width.max(1));
                write!(f, "    {indent}^{}", "~".repeat(len - 1))?;
            }
            None => write!(f, "{}: error: {}", self.file, self.message)?,
        }
        for note in &self.notes {
            write!(f, "\n    note: {note}")?;
        }
        Ok(())
    }
}

/// Every error of one assembly, in source order.
#[derive(Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Diagnostic>);

impl Errors {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        write!(f, "{} error{}", self.0.len(), if self.0.len() == 1 { "" } else { "s" })
    }
}

// Debug prints the same as Display, so that `fn main() -> Result<(), Errors>` in a build script
// shows readable diagnostics instead of a struct dump.
impl fmt::Debug for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Errors {}
