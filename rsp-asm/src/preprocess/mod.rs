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
mod symbols;
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
/// (libdragon's rsp.inc expands each vector instruction to about a thousand lines, most of
/// them `.set`s consumed here.)
const MAX_OUTPUT_LINES: usize = 5_000_000;
const MAX_SUBSTITUTED_LEN: usize = 64 * 1024;
/// Lines the preprocessor may look at in all, counting every include and macro expansion (a
/// macro that invokes itself twice per level would otherwise run for 2^depth steps).
const MAX_WORK: usize = 10_000_000;

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
    /// Symbols equated to a register (`symbols.rs`).
    reg_aliases: HashMap<String, symbols::RegAlias>,
    /// Some `$name` constant was set (`symbols.rs`): statements need resolving.
    has_dollar_constants: bool,
    labels: HashSet<String>,
    cond: Vec<Cond>,
    recording: Option<Recording>,
    out: Vec<Line>,
    errors: Vec<Diagnostic>,
    files: Vec<String>,
    include_depth: usize,
    macro_depth: usize,
    /// `macro_depth` when the file being read was included (a `.include` in a macro body
    /// reads a file whose lines are cpp'd like any other).
    file_macro_depth: usize,
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
        reg_aliases: HashMap::new(),
        has_dollar_constants: false,
        labels: HashSet::new(),
        cond: Vec::new(),
        recording: None,
        out: Vec::new(),
        errors: Vec::new(),
        files: Vec::new(),
        include_depth: 0,
        macro_depth: 0,
        file_macro_depth: 0,
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
    /// Lines here are assembled: no enclosing conditional (cpp or as) is skipping.
    fn active(&self) -> bool {
        self.cond.iter().all(|c| c.active)
    }

    fn file(&mut self, name: &str, text: &str) {
        let outer = std::mem::replace(&mut self.file_macro_depth, self.macro_depth);
        self.file_lines(name, text);
        self.file_macro_depth = outer;
    }

    fn file_lines(&mut self, name: &str, text: &str) {
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
        // cpp runs over the files before the assembler reads them (as `gcc` does for `.S`):
        // cpp directives and `#define` substitution apply to lines read from a file, also
        // inside a `.macro` body being recorded, and never again to a macro's expansion.
        let from_file = self.macro_depth == self.file_macro_depth;
        let trimmed_start = line.text.len() - line.text.trim_start().len();
        if from_file {
            if let Some((kw, rest)) = cpp_keyword(&line.text[trimmed_start..]) {
                let rest_start = line.text.len() - rest.len();
                self.cpp_directive(&line, kw, rest_start);
                return Flow::Continue;
            }
        }
        if self.recording.is_some() {
            if from_file {
                if self.cpp_skipping() {
                    return Flow::Continue; // inside `#if 0` in a macro body
                }
                let code_end = lexer::comment_start(&line.text, line.end);
                if let Some(l) = self.substitute_defines(&line, code_end) {
                    self.record(l);
                }
            } else {
                self.record(line);
            }
            return Flow::Continue;
        }
        let code_end = lexer::comment_start(&line.text, line.end);
        if self.cpp_skipping() {
            return Flow::Continue;
        }
        if !self.active() {
            // Only nesting matters inside a skipped region.
            if let Ok(tokens) = lexer::lex(&line.text, line.start, code_end) {
                if let Some(Tok::Ident(d)) = tokens.first().map(|t| &t.tok) {
                    self.conditional(&line, d, &tokens, code_end);
                }
            }
            return Flow::Continue;
        }
        let line = if from_file {
            match self.substitute_defines(&line, code_end) {
                Some(l) => l,
                None => return Flow::Continue,
            }
        } else {
            line
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
                    "program too long (more than 5000000 statements after macro expansion)",
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
        if matches!(first.tok, Tok::Reg(_))
            && matches!(tokens.get(i + 1).map(|t| &t.tok), Some(Tok::Punct("=")))
            && self.assign_symbol(&line, &tokens[i..], false)
        {
            if i > 0 {
                self.emit(label_part);
            }
            return Flow::Continue;
        }
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
            ".equ" | ".set" | ".equiv" if self.assign_symbol(&line, &tokens[i + 1..], true) => {
                if i > 0 {
                    self.emit(label_part);
                }
                return Flow::Continue;
            }
            _ => {}
        }
        if matches!(tokens.get(i + 1).map(|t| &t.tok), Some(Tok::Punct("=")))
            && self.assign_symbol(&line, &tokens[i..], false)
        {
            if i > 0 {
                self.emit(label_part);
            }
            return Flow::Continue;
        }
        if let Some(def) = self.macros.get(word).cloned() {
            if i > 0 {
                self.emit(label_part);
            }
            return self.expand_macro(&line, &def, first.end);
        }
        match self.resolve_line(&line, &tokens) {
            Some(resolved) => self.emit(resolved),
            None => self.emit(line),
        }
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
