//! Source files to a flat list of statements: comments, includes, `#define`, conditionals and
//! `.macro` expansion are dealt with here, so the assembler proper sees only labels,
//! directives and instructions.
//!
//! Supported (the subset libdragon ucode relies on; see README "Syntax"):
//! - comments `#`, `//`, `/* */`; `;` separates statements; `\` at line end continues a line;
//! - `.include "f"`, `#include "f"` / `<f>` (with a built-in `<regdef.h>`);
//! - `#define NAME text`, `#define NAME(a, b, ...) text` (with `#`, `##`, `__VA_ARGS__`),
//!   predefined `__ASSEMBLER__` and the MIPS target macros, `#undef`, `#ifdef`,
//!   `#ifndef`, `#if`, `#elif`, `#else`, `#endif`, `#error`;
//! - `.if`, `.ifeq/.ifne/.iflt/.ifle/.ifgt/.ifge expr`, `.ifdef/.ifndef sym`, `.ifb/.ifnb text`,
//!   `.else`, `.elseif`, `.endif` (expressions over constants defined earlier in the source);
//! - `.macro name a, b=default, c:req, d:vararg` ... `.endm`, `\a`, `\()`, `\@`, `.exitm`;
//!   macro definitions may nest (a macro can define macros).

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::diag::{Diagnostic, Location};
use crate::expr::{self, Scope, Value};
use crate::lexer::{self, Tok, Token};
use crate::source::SourceLoader;

mod conditional;
mod cpp;
mod macros;
mod system_headers;

use conditional::Cond;
use cpp::{cpp_keyword, Define};
use macros::{MacroDef, Recording};

/// One statement for the assembler.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub file: Rc<str>,
    pub line_no: u32,
    /// The whole line the statement lies in (columns refer to it).
    pub text: Rc<str>,
    /// The statement's byte range in `text` (comments excluded).
    pub start: usize,
    pub end: usize,
    /// Where the text came from when it is not the file's own line (macro expansion,
    /// `#define` substitution).
    pub context: Option<Rc<str>>,
}

impl Line {
    pub fn location(&self, start: usize, end: usize) -> Location {
        Location {
            file: self.file.to_string(),
            line: self.line_no,
            col: start.min(self.text.len()) as u32,
            len: end.saturating_sub(start).max(1) as u32,
            line_text: self.text.to_string(),
        }
    }

    pub fn error(&self, start: usize, end: usize, message: impl Into<String>) -> Diagnostic {
        let d = Diagnostic::at(self.location(start, end), message);
        match &self.context {
            Some(c) => d.with_note(c.to_string()),
            None => d,
        }
    }
}

pub(crate) struct Preprocessed {
    pub lines: Vec<Line>,
    pub errors: Vec<Diagnostic>,
    /// Display names of every file read (for `cargo:rerun-if-changed`).
    pub files: Vec<String>,
}

/// Limits that keep any input (including adversarial fuzz input) bounded in time and memory.
const MAX_INCLUDE_DEPTH: usize = 32;
const MAX_MACRO_DEPTH: usize = 64;
const MAX_OUTPUT_LINES: usize = 50_000;
const MAX_SUBSTITUTED_LEN: usize = 64 * 1024;
/// Lines the preprocessor may look at in all, counting every include and macro expansion (a
/// macro that invokes itself twice per level would otherwise run for 2^depth steps).
const MAX_WORK: usize = 150_000;

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    /// `.exitm`: stop the innermost macro expansion.
    ExitMacro,
}

struct Pp<'a> {
    loader: &'a dyn SourceLoader,
    defines: HashMap<String, Define>,
    macros: HashMap<String, Rc<MacroDef>>,
    constants: HashMap<String, i64>,
    labels: HashSet<String>,
    cond: Vec<Cond>,
    recording: Option<Recording>,
    out: Vec<Line>,
    errors: Vec<Diagnostic>,
    files: Vec<String>,
    include_depth: usize,
    macro_depth: usize,
    expansions: u64,
    gave_up: bool,
    /// Lines processed so far (physical, included and macro-expanded).
    work: usize,
}

pub(crate) fn preprocess(loader: &dyn SourceLoader, main: &str) -> Preprocessed {
    let mut pp = Pp {
        loader,
        defines: cpp::PREDEFINED.iter().map(|(n, v)| (n.to_string(), Define::Object(v.to_string()))).collect(),
        macros: HashMap::new(),
        constants: HashMap::new(),
        labels: HashSet::new(),
        cond: Vec::new(),
        recording: None,
        out: Vec::new(),
        errors: Vec::new(),
        files: Vec::new(),
        include_depth: 0,
        macro_depth: 0,
        expansions: 0,
        gave_up: false,
        work: 0,
    };
    match loader.load(main, None) {
        Ok((name, text)) => pp.file(&name, &text),
        Err(e) => pp.errors.push(Diagnostic::global(main, e)),
    }
    for c in pp.cond.drain(..).collect::<Vec<_>>() {
        pp.errors.push(Diagnostic::at(c.opened_at, "conditional is never closed (missing `.endif`/`#endif`)"));
    }
    if let Some(r) = pp.recording.take() {
        pp.errors
            .push(Diagnostic::at(r.opened_at, format!("macro `{}` is never closed (missing `.endm`)", r.def.name)));
    }
    Preprocessed { lines: pp.out, errors: pp.errors, files: pp.files }
}

/// Blanks `/* */` comments (keeping newlines, so line numbers stay), skipping strings and
/// `#`/`//` line comments.
fn blank_block_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut j = i + 2;
            while j < b.len() && !(b[j] == b'*' && b.get(j + 1) == Some(&b'/')) {
                j += 1;
            }
            let stop = (j + 2).min(b.len());
            for byte in out.iter_mut().take(stop).skip(i) {
                if *byte != b'\n' {
                    *byte = b' ';
                }
            }
            i = stop;
            line_start = false;
            continue;
        }
        let line_end = b[i..].iter().position(|&x| x == b'\n').map(|p| i + p).unwrap_or(b.len());
        if c == b'"' || c == b'\'' {
            i = lexer::skip_quoted(b, i, line_end, c);
        } else if (c == b'/' && b.get(i + 1) == Some(&b'/'))
            || (c == b'#' && !(line_start && cpp_keyword(&text[i..line_end]).is_some()))
        {
            i = line_end;
        } else {
            if !c.is_ascii_whitespace() {
                line_start = false;
            }
            i += 1;
        }
    }
    // Only ASCII bytes were replaced by ASCII spaces, and only whole comment bytes (which may be
    // multi-byte UTF-8) were blanked, so the result is valid UTF-8; fall back to lossy anyway.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Splits `text[start..end]` at commas outside parentheses and quotes; returns trimmed ranges.
pub(crate) fn split_commas(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut i = start;
    let mut part_start = start;
    while i < end {
        match b[i] {
            b'"' | b'\'' => {
                i = lexer::skip_quoted(b, i, end, b[i]);
                continue;
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth <= 0 => {
                parts.push(trim_range(text, part_start, i));
                part_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(trim_range(text, part_start, end));
    parts
}

fn trim_range(text: &str, mut s: usize, mut e: usize) -> (usize, usize) {
    let b = text.as_bytes();
    while s < e && b[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && b[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    (s, e)
}

impl Pp<'_> {
    fn active(&self) -> bool {
        self.cond.last().map(|c| c.active).unwrap_or(true)
    }

    fn file(&mut self, name: &str, text: &str) {
        self.files.push(name.to_string());
        let file: Rc<str> = Rc::from(name);
        let blanked = blank_block_comments(text);
        let mut lines = blanked.split('\n').enumerate();
        while let Some((i, raw)) = lines.next() {
            if self.gave_up {
                return;
            }
            let line_no = i as u32 + 1;
            let mut joined = raw.trim_end_matches('\r').to_string();
            // `\` at the end of a line continues it (as cpp does), e.g. in a long `#define`.
            while joined.ends_with('\\') {
                joined.pop();
                match lines.next() {
                    Some((_, next)) => joined.push_str(next.trim_end_matches('\r')),
                    None => break,
                }
            }
            let line = Line {
                file: file.clone(),
                line_no,
                text: Rc::from(joined.as_str()),
                start: 0,
                end: joined.len(),
                context: None,
            };
            self.line(line);
        }
    }

    fn push_error(&mut self, d: Diagnostic) {
        if self.errors.len() < 1000 {
            self.errors.push(d);
        }
    }

    /// One physical (or macro-expanded) line.
    fn line(&mut self, line: Line) -> Flow {
        if self.gave_up {
            return Flow::ExitMacro;
        }
        self.work += 1;
        if self.work > MAX_WORK {
            self.gave_up = true;
            self.errors.push(line.error(
                line.start,
                line.end,
                "too much to preprocess (runaway include or macro expansion?)",
            ));
            return Flow::ExitMacro;
        }
        if self.recording.is_some() {
            self.record(line);
            return Flow::Continue;
        }
        let trimmed_start = line.text.len() - line.text.trim_start().len();
        if let Some((kw, rest)) = cpp_keyword(&line.text[trimmed_start..]) {
            let rest_start = line.text.len() - rest.len();
            self.cpp_directive(&line, kw, rest_start);
            return Flow::Continue;
        }
        let code_end = lexer::comment_start(&line.text, line.end);
        if !self.active() {
            // Only nesting matters inside a skipped region.
            if let Ok(tokens) = lexer::lex(&line.text, line.start, code_end) {
                if let Some(Tok::Ident(d)) = tokens.first().map(|t| &t.tok) {
                    self.conditional(&line, d, &tokens, code_end);
                }
            }
            return Flow::Continue;
        }
        let line = match self.substitute_defines(&line, code_end) {
            Some(l) => l,
            None => return Flow::Continue,
        };
        let code_end = lexer::comment_start(&line.text, line.end);
        for (s, e) in split_statements(&line.text, line.start, code_end) {
            let stmt = Line { start: s, end: e, ..line.clone() };
            if self.statement(stmt) == Flow::ExitMacro {
                return Flow::ExitMacro;
            }
            if self.recording.is_some() {
                // `.macro` started mid-line: the rest of the line belongs to nobody.
                break;
            }
        }
        Flow::Continue
    }

    fn emit(&mut self, line: Line) {
        if self.out.len() >= MAX_OUTPUT_LINES {
            if !self.gave_up {
                self.gave_up = true;
                self.errors.push(line.error(
                    line.start,
                    line.end,
                    "program too long (more than 50000 statements after macro expansion)",
                ));
            }
            return;
        }
        self.out.push(line);
    }

    /// One statement of an active region.
    fn statement(&mut self, line: Line) -> Flow {
        let tokens = match lexer::lex(&line.text, line.start, line.end) {
            Ok(t) => t,
            Err(e) => {
                self.push_error(line.error(e.start, e.end, e.message));
                return Flow::Continue;
            }
        };
        let mut i = 0;
        while i + 1 < tokens.len()
            && matches!(tokens[i + 1].tok, Tok::Punct(":"))
            && matches!(tokens[i].tok, Tok::Ident(_) | Tok::Int(_))
        {
            if let Tok::Ident(name) = &tokens[i].tok {
                self.labels.insert(name.clone());
            }
            i += 2;
        }
        let Some(first) = tokens.get(i) else {
            if !tokens.is_empty() {
                self.emit(line);
            }
            return Flow::Continue;
        };
        let label_part = Line { end: first.start, ..line.clone() };
        let Tok::Ident(word) = &first.tok else {
            self.emit(line);
            return Flow::Continue;
        };
        let lower = word.to_ascii_lowercase();
        if self.conditional(&line, word, &tokens[i..], line.end) {
            if i > 0 {
                self.emit(label_part);
            }
            return Flow::Continue;
        }
        match lower.as_str() {
            ".macro" => {
                if i > 0 {
                    self.emit(label_part);
                }
                self.begin_macro(&line, &tokens[i..]);
                return Flow::Continue;
            }
            ".endm" | ".endmacro" => {
                self.push_error(line.error(first.start, first.end, "`.endm` without `.macro`"));
                return Flow::Continue;
            }
            ".exitm" => {
                if self.macro_depth == 0 {
                    self.push_error(line.error(first.start, first.end, "`.exitm` outside a macro"));
                    return Flow::Continue;
                }
                return Flow::ExitMacro;
            }
            ".include" => {
                if i > 0 {
                    self.emit(label_part);
                }
                match tokens.get(i + 1).map(|t| &t.tok) {
                    Some(Tok::Str(bytes)) => {
                        let name = String::from_utf8_lossy(bytes).into_owned();
                        self.include(&line, &name, false, (first.start, line.end));
                    }
                    _ => self.push_error(line.error(first.end, line.end, "`.include` needs a file name in quotes")),
                }
                return Flow::Continue;
            }
            ".error" | ".err" => {
                let msg = match tokens.get(i + 1).map(|t| &t.tok) {
                    Some(Tok::Str(b)) => String::from_utf8_lossy(b).into_owned(),
                    _ => "`.error` reached".to_string(),
                };
                self.push_error(line.error(first.start, line.end, msg));
                return Flow::Continue;
            }
            ".equ" | ".set" | ".equiv" => self.note_constant(&line, &tokens[i + 1..], true),
            _ => {}
        }
        if matches!(tokens.get(i + 1).map(|t| &t.tok), Some(Tok::Punct("="))) {
            self.note_constant(&line, &tokens[i..], false);
        }
        if let Some(def) = self.macros.get(word).cloned() {
            if i > 0 {
                self.emit(label_part);
            }
            return self.expand_macro(&line, &def, first.end);
        }
        self.emit(line);
        Flow::Continue
    }
}

/// Splits at `;` outside quotes (GNU as for MIPS separates statements with `;`).
fn split_statements(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut s = start;
    let mut i = start;
    while i < end {
        match b[i] {
            b'"' | b'\'' => {
                i = lexer::skip_quoted(b, i, end, b[i]);
                continue;
            }
            b';' => {
                out.push((s, i));
                s = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push((s, end));
    out
}
