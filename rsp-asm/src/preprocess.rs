//! Source files to a flat list of statements: comments, includes, `#define`, conditionals and
//! `.macro` expansion are dealt with here, so the assembler proper sees only labels,
//! directives and instructions.
//!
//! Supported (the subset libdragon ucode relies on; see README "Syntax"):
//! - comments `#`, `//`, `/* */`; `;` separates statements; `\` at line end continues a line;
//! - `.include "f"`, `#include "f"` / `<f>`;
//! - `#define NAME text`, `#define NAME(a, b) text` (no `#`/`##`), `#undef`, `#ifdef`,
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

struct MacroParam {
    name: String,
    default: Option<String>,
    required: bool,
    vararg: bool,
}

struct MacroDef {
    name: String,
    params: Vec<MacroParam>,
    body: Vec<String>,
    defined_at: String,
}

enum Define {
    Object(String),
    Function { params: Vec<String>, body: String },
}

struct Cond {
    /// Lines in the current branch are assembled.
    active: bool,
    /// Some branch of this conditional was taken already (so `.else` is inactive).
    taken: bool,
    /// The enclosing region is active.
    parent_active: bool,
    seen_else: bool,
    opened_at: Location,
}

struct Recording {
    def: MacroDef,
    depth: u32,
    opened_at: Location,
}

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
        defines: HashMap::new(),
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

const CPP_KEYWORDS: [&str; 11] =
    ["define", "undef", "include", "ifdef", "ifndef", "if", "elif", "else", "endif", "error", "warning"];

/// For a line (already trimmed at the start) beginning with `#keyword`, the keyword and the
/// rest of the line.
fn cpp_keyword(s: &str) -> Option<(&'static str, &str)> {
    let rest = s.strip_prefix('#')?.trim_start_matches([' ', '\t']);
    for kw in CPP_KEYWORDS {
        if let Some(after) = rest.strip_prefix(kw) {
            if after.is_empty() || after.starts_with([' ', '\t', '(', '<', '"']) {
                return Some((kw, after));
            }
        }
    }
    None
}

fn is_c_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_c_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
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

/// Scope for conditional expressions: constants defined so far; `.` is not known here.
struct ConstScope<'a>(&'a HashMap<String, i64>);

impl Scope for ConstScope<'_> {
    fn symbol(&self, name: &str) -> Option<Value> {
        self.0.get(name).map(|v| Value::plain(*v))
    }
    fn dot(&self) -> Value {
        Value::plain(0)
    }
    fn local_label(&self, _: u32, _: bool) -> Option<Value> {
        None
    }
}

/// Scope for `#if`: every identifier left after substitution is 0, as in C.
struct CppScope;

impl Scope for CppScope {
    fn symbol(&self, _: &str) -> Option<Value> {
        Some(Value::plain(0))
    }
    fn dot(&self) -> Value {
        Value::plain(0)
    }
    fn local_label(&self, _: u32, _: bool) -> Option<Value> {
        None
    }
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

    fn record(&mut self, line: Line) {
        let code_end = lexer::comment_start(&line.text, line.end);
        let first = lexer::lex(&line.text, line.start, code_end).ok().and_then(|t| {
            // Skip labels so `name: .endm` is still seen.
            let mut i = 0;
            while i + 1 < t.len() && matches!(t[i + 1].tok, Tok::Punct(":")) {
                i += 2;
            }
            match t.get(i).map(|t| &t.tok) {
                Some(Tok::Ident(s)) => Some(s.to_ascii_lowercase()),
                _ => None,
            }
        });
        let Some(rec) = self.recording.as_mut() else {
            return;
        };
        match first.as_deref() {
            Some(".macro") => rec.depth += 1,
            Some(".endm") | Some(".endmacro") => {
                if rec.depth == 0 {
                    if let Some(rec) = self.recording.take() {
                        let def = rec.def;
                        self.macros.insert(def.name.clone(), Rc::new(def));
                    }
                    return;
                }
                rec.depth -= 1;
            }
            _ => {}
        }
        if rec.def.body.len() < MAX_OUTPUT_LINES {
            rec.def.body.push(line.text[..line.end.min(line.text.len())].to_string());
        }
    }

    /// Applies `#define`s to `line.text[..code_end]`; returns the line to use (`None` after
    /// reporting an error).
    fn substitute_defines(&mut self, line: &Line, code_end: usize) -> Option<Line> {
        if self.defines.is_empty() {
            return Some(line.clone());
        }
        let code = &line.text[..code_end];
        match self.expand_text(code, &mut Vec::new(), 0) {
            Ok(expanded) if expanded == code => Some(line.clone()),
            Ok(expanded) => {
                let note = match &line.context {
                    Some(c) => format!("{c}; after #define substitution of: {}", code.trim()),
                    None => format!("after #define substitution of: {}", code.trim()),
                };
                let len = expanded.len();
                Some(Line {
                    text: Rc::from(expanded.as_str()),
                    start: line.start.min(len),
                    end: len,
                    context: Some(Rc::from(note.as_str())),
                    ..line.clone()
                })
            }
            Err(message) => {
                self.push_error(line.error(line.start, code_end, message));
                None
            }
        }
    }

    /// cpp-style substitution of object- and function-like `#define`s, rescanning the result
    /// with the macros being expanded disabled (so self-reference terminates).
    fn expand_text(&self, text: &str, disabled: &mut Vec<String>, depth: u32) -> Result<String, String> {
        if depth > 32 {
            return Err("#define substitution nested too deeply".into());
        }
        let b = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if out.len() > MAX_SUBSTITUTED_LEN {
                return Err("#define substitution makes the line too long".into());
            }
            if c == b'"' || c == b'\'' {
                let j = lexer::skip_quoted(b, i, b.len(), c);
                out.push_str(&text[i..j]);
                i = j;
            } else if c.is_ascii_digit() {
                // A pp-number (`0x1f`, `1b`) is never an identifier.
                let j = i + b[i..].iter().take_while(|&&x| x.is_ascii_alphanumeric() || x == b'_' || x == b'.').count();
                out.push_str(&text[i..j]);
                i = j;
            } else if is_c_ident_start(c) {
                let j = i + b[i..].iter().take_while(|&&x| is_c_ident_char(x)).count();
                let name = &text[i..j];
                match self.defines.get(name) {
                    Some(_) if disabled.iter().any(|d| d == name) => {
                        out.push_str(name);
                        i = j;
                    }
                    Some(Define::Object(body)) => {
                        disabled.push(name.to_string());
                        let r = self.expand_text(body, disabled, depth + 1);
                        disabled.pop();
                        out.push_str(&r?);
                        i = j;
                    }
                    Some(Define::Function { params, body }) => {
                        let mut k = j;
                        while k < b.len() && (b[k] == b' ' || b[k] == b'\t') {
                            k += 1;
                        }
                        if b.get(k) != Some(&b'(') {
                            // A function-like macro name without arguments is left alone (cpp).
                            out.push_str(name);
                            i = j;
                            continue;
                        }
                        let close = matching_paren(b, k)
                            .ok_or_else(|| format!("unbalanced parentheses in use of `{name}(...)`"))?;
                        let args: Vec<String> = if text[k + 1..close].trim().is_empty() && params.is_empty() {
                            Vec::new()
                        } else {
                            split_commas(text, k + 1, close).into_iter().map(|(s, e)| text[s..e].to_string()).collect()
                        };
                        if args.len() != params.len() {
                            return Err(format!("`{name}` takes {} argument(s), given {}", params.len(), args.len()));
                        }
                        // Arguments are expanded first, then substituted, then the result is
                        // rescanned (C's order, without `#` and `##`).
                        let mut expanded_args = Vec::new();
                        for a in &args {
                            expanded_args.push(self.expand_text(a, disabled, depth + 1)?);
                        }
                        let replaced = replace_params(body, params, &expanded_args);
                        disabled.push(name.to_string());
                        let r = self.expand_text(&replaced, disabled, depth + 1);
                        disabled.pop();
                        out.push_str(&r?);
                        i = close + 1;
                    }
                    None => {
                        out.push_str(name);
                        i = j;
                    }
                }
            } else {
                let ch_len = text[i..].chars().next().map(char::len_utf8).unwrap_or(1);
                out.push_str(&text[i..i + ch_len]);
                i += ch_len;
            }
        }
        Ok(out)
    }

    fn cpp_directive(&mut self, line: &Line, kw: &str, rest_start: usize) {
        // The directive's own `#` is not a comment; one after it is.
        let code_end = rest_start
            + lexer::comment_start(&line.text[rest_start.min(line.end)..line.end], line.end - rest_start.min(line.end));
        let rest = line.text[rest_start..code_end].trim();
        let err_range = (rest_start, code_end.max(rest_start + 1));
        // Conditionals are tracked even in skipped regions.
        match kw {
            "ifdef" | "ifndef" | "if" => {
                let value = if !self.active() {
                    false
                } else if kw == "if" {
                    match self.cpp_condition(rest) {
                        Ok(v) => v,
                        Err(m) => {
                            self.push_error(line.error(err_range.0, err_range.1, m));
                            false
                        }
                    }
                } else {
                    let name = rest.split_whitespace().next().unwrap_or("");
                    self.defines.contains_key(name) == (kw == "ifdef")
                };
                self.open_cond(value, line.location(line.start, line.end));
                return;
            }
            "elif" | "else" => {
                let is_elif = kw == "elif";
                let Some(top) = self.cond.last() else {
                    self.push_error(line.error(line.start, line.end, format!("#{kw} without #if")));
                    return;
                };
                let want = top.parent_active && !top.taken;
                let value = if want && is_elif {
                    match self.cpp_condition(rest) {
                        Ok(v) => v,
                        Err(m) => {
                            self.push_error(line.error(err_range.0, err_range.1, m));
                            false
                        }
                    }
                } else {
                    want
                };
                if let Some(top) = self.cond.last_mut() {
                    top.active = value;
                    top.taken |= value;
                }
                return;
            }
            "endif" => {
                if self.cond.pop().is_none() {
                    self.push_error(line.error(line.start, line.end, "#endif without #if"));
                }
                return;
            }
            _ => {}
        }
        if !self.active() {
            return;
        }
        match kw {
            "define" => self.define(line, rest_start, code_end),
            "undef" => {
                let name = rest.split_whitespace().next().unwrap_or("");
                self.defines.remove(name);
            }
            "include" => {
                let name = rest.trim_matches(|c| c == '"' || c == '<' || c == '>' || c == ' ');
                self.include(line, name, err_range);
            }
            "error" => self.push_error(line.error(line.start, line.end, format!("#error {rest}"))),
            _ => {} // #warning: no warnings channel; the build continues as with cpp.
        }
    }

    fn cpp_condition(&self, rest: &str) -> Result<bool, String> {
        // `defined X` / `defined(X)` are resolved before macro substitution, as in C.
        let mut resolved = String::new();
        let b = rest.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if rest[i..].starts_with("defined")
                && (i == 0 || !is_c_ident_char(b[i - 1]))
                && !b.get(i + 7).copied().is_some_and(is_c_ident_char)
            {
                let mut j = i + 7;
                while j < b.len() && (b[j] == b' ' || b[j] == b'(') {
                    j += 1;
                }
                let k = j + b[j..].iter().take_while(|&&x| is_c_ident_char(x)).count();
                let name = &rest[j..k];
                let mut m = k;
                while m < b.len() && (b[m] == b' ' || b[m] == b')') {
                    m += 1;
                }
                resolved.push_str(if self.defines.contains_key(name) { " 1 " } else { " 0 " });
                i = m;
                continue;
            }
            let ch_len = rest[i..].chars().next().map(char::len_utf8).unwrap_or(1);
            resolved.push_str(&rest[i..i + ch_len]);
            i += ch_len;
        }
        let expanded = self.expand_text(&resolved, &mut Vec::new(), 0)?;
        let tokens = lexer::lex(&expanded, 0, expanded.len()).map_err(|e| e.message)?;
        let e = expr::parse(&tokens, expanded.len()).map_err(|e| e.message)?;
        expr::eval(&e, &CppScope).map(|v| v.n != 0).map_err(|e| e.message)
    }

    fn define(&mut self, line: &Line, rest_start: usize, code_end: usize) {
        let text = &line.text[..code_end];
        let b = text.as_bytes();
        let mut i = rest_start;
        while i < code_end && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        let name_end = i + b[i..code_end].iter().take_while(|&&x| is_c_ident_char(x)).count();
        if name_end == i || !is_c_ident_start(b[i]) {
            self.push_error(line.error(i, code_end, "#define needs a name"));
            return;
        }
        let name = text[i..name_end].to_string();
        if b.get(name_end) == Some(&b'(') {
            let Some(close) = matching_paren(&b[..code_end], name_end) else {
                self.push_error(line.error(name_end, code_end, "unclosed parameter list"));
                return;
            };
            let params: Vec<String> =
                text[name_end + 1..close].split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
            let body = text[close + 1..].trim().to_string();
            if body.contains('#') {
                self.push_error(line.error(close + 1, code_end, "`#` and `##` in #define bodies are not supported"));
                return;
            }
            self.defines.insert(name, Define::Function { params, body });
        } else {
            self.defines.insert(name, Define::Object(text[name_end..].trim().to_string()));
        }
    }

    fn include(&mut self, line: &Line, name: &str, err_range: (usize, usize)) {
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            self.gave_up = true;
            self.push_error(line.error(err_range.0, err_range.1, "includes nested too deeply (recursive include?)"));
            return;
        }
        match self.loader.load(name, Some(&line.file)) {
            Ok((display, text)) => {
                self.include_depth += 1;
                self.file(&display, &text);
                self.include_depth -= 1;
            }
            Err(e) => {
                let mut d = line.error(err_range.0, err_range.1, e);
                if name.ends_with("rsp.inc") || name.ends_with("rsp_queue.inc") {
                    d = d.with_note("rsp-asm knows the RSP instructions, registers and element suffixes natively; libdragon's rsp.inc is not needed");
                }
                self.push_error(d);
            }
        }
    }

    fn open_cond(&mut self, value: bool, opened_at: crate::diag::Location) {
        let parent_active = self.active();
        self.cond.push(Cond {
            active: parent_active && value,
            taken: value,
            parent_active,
            seen_else: false,
            opened_at,
        });
    }

    /// Handles `.if*`/`.else`/`.elseif`/`.endif`; returns true if `directive` was one.
    fn conditional(&mut self, line: &Line, directive: &str, tokens: &[Token], code_end: usize) -> bool {
        let d = directive.to_ascii_lowercase();
        let arg_start = tokens.get(1).map(|t| t.start).unwrap_or(code_end);
        let args = &tokens[1.min(tokens.len())..];
        match d.as_str() {
            ".if" | ".ifne" | ".ifeq" | ".iflt" | ".ifle" | ".ifgt" | ".ifge" | ".ifdef" | ".ifndef" | ".ifnotdef"
            | ".ifb" | ".ifnb" | ".ifc" | ".ifnc" => {
                let value = if self.active() { self.cond_value(line, &d, args, arg_start, code_end) } else { false };
                self.open_cond(value, line.location(tokens[0].start, tokens[0].end));
            }
            ".else" | ".elseif" => {
                let is_elseif = d == ".elseif";
                let Some(top) = self.cond.last() else {
                    self.push_error(line.error(tokens[0].start, tokens[0].end, format!("`{d}` without `.if`")));
                    return true;
                };
                let (seen_else, want) = (top.seen_else, top.parent_active && !top.taken);
                if seen_else {
                    self.push_error(line.error(tokens[0].start, tokens[0].end, format!("`{d}` after `.else`")));
                }
                let value =
                    if want && is_elseif { self.cond_value(line, ".if", args, arg_start, code_end) } else { want };
                if let Some(top) = self.cond.last_mut() {
                    top.active = value;
                    top.taken |= value;
                    top.seen_else |= !is_elseif;
                }
            }
            ".endif" => {
                if self.cond.pop().is_none() {
                    self.push_error(line.error(tokens[0].start, tokens[0].end, "`.endif` without `.if`"));
                }
            }
            _ => return false,
        }
        true
    }

    fn cond_value(&mut self, line: &Line, d: &str, args: &[Token], arg_start: usize, code_end: usize) -> bool {
        let raw = line.text[arg_start.min(code_end)..code_end].trim();
        match d {
            ".ifb" => return raw.is_empty(),
            ".ifnb" => return !raw.is_empty(),
            ".ifc" | ".ifnc" => {
                let parts = split_commas(&line.text, arg_start.min(code_end), code_end);
                let same = parts.len() == 2 && line.text[parts[0].0..parts[0].1] == line.text[parts[1].0..parts[1].1];
                return same == (d == ".ifc");
            }
            ".ifdef" | ".ifndef" | ".ifnotdef" => {
                let name = match args.first().map(|t| &t.tok) {
                    Some(Tok::Ident(s)) => s.clone(),
                    _ => {
                        self.push_error(line.error(arg_start, code_end, format!("`{d}` needs a symbol name")));
                        return false;
                    }
                };
                let defined = self.constants.contains_key(&name) || self.labels.contains(&name);
                return defined == (d == ".ifdef");
            }
            _ => {}
        }
        let value = expr::parse(args, code_end).and_then(|e| expr::eval(&e, &ConstScope(&self.constants)));
        match value {
            Ok(v) => {
                let n = v.n;
                match d {
                    ".if" | ".ifne" => n != 0,
                    ".ifeq" => n == 0,
                    ".iflt" => n < 0,
                    ".ifle" => n <= 0,
                    ".ifgt" => n > 0,
                    _ => n >= 0,
                }
            }
            Err(e) => {
                let msg = if e.message.starts_with("undefined symbol") {
                    format!("{} (conditions can use only constants defined above them)", e.message)
                } else {
                    e.message
                };
                self.push_error(line.error(e.start, e.end, msg));
                false
            }
        }
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
                        self.include(&line, &name, (first.start, line.end));
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

    /// Remembers `.equ name, expr` / `name = expr` values known at this point, for conditionals.
    fn note_constant(&mut self, line: &Line, tokens: &[Token], comma_form: bool) {
        let Some(Tok::Ident(name)) = tokens.first().map(|t| &t.tok) else {
            return;
        };
        let sep = if comma_form { "," } else { "=" };
        if !matches!(tokens.get(1).map(|t| &t.tok), Some(Tok::Punct(p)) if *p == sep) {
            return;
        }
        let value =
            expr::parse(&tokens[2..], line.end).ok().and_then(|e| expr::eval(&e, &ConstScope(&self.constants)).ok());
        match value {
            Some(v) => {
                self.constants.insert(name.clone(), v.n);
            }
            None => {
                self.constants.remove(name);
            }
        }
    }

    fn begin_macro(&mut self, line: &Line, tokens: &[Token]) {
        let name = match tokens.get(1).map(|t| &t.tok) {
            Some(Tok::Ident(n)) => n.clone(),
            _ => {
                self.push_error(line.error(tokens[0].end, line.end, "`.macro` needs a name"));
                // Still swallow the body so its lines are not assembled by accident.
                String::from("<unnamed>")
            }
        };
        // Parameters: separated by commas and/or blanks; `p=default`, `p:req`, `p:vararg`.
        let mut params: Vec<MacroParam> = Vec::new();
        let mut j = 2;
        while j < tokens.len() {
            match &tokens[j].tok {
                Tok::Punct(",") => j += 1,
                Tok::Ident(p) => {
                    let mut param = MacroParam { name: p.clone(), default: None, required: false, vararg: false };
                    j += 1;
                    if matches!(tokens.get(j).map(|t| &t.tok), Some(Tok::Punct(":"))) {
                        match tokens.get(j + 1).map(|t| &t.tok) {
                            Some(Tok::Ident(q)) if q == "req" => param.required = true,
                            Some(Tok::Ident(q)) if q == "vararg" => param.vararg = true,
                            _ => self.push_error(line.error(
                                tokens[j].start,
                                line.end,
                                "expected `req` or `vararg` after `:`",
                            )),
                        }
                        j += 2;
                    } else if matches!(tokens.get(j).map(|t| &t.tok), Some(Tok::Punct("="))) {
                        let s = tokens.get(j + 1).map(|t| t.start).unwrap_or(line.end);
                        let mut k = j + 1;
                        while k < tokens.len() && !matches!(tokens[k].tok, Tok::Punct(",")) {
                            k += 1;
                        }
                        let e = if k > j + 1 { tokens[k - 1].end } else { s };
                        param.default = Some(line.text[s..e].to_string());
                        j = k;
                    }
                    params.push(param);
                }
                _ => {
                    self.push_error(line.error(tokens[j].start, tokens[j].end, "bad macro parameter"));
                    j += 1;
                }
            }
        }
        let defined_at = format!("{}:{}", line.file, line.line_no);
        self.recording = Some(Recording {
            def: MacroDef { name, params, body: Vec::new(), defined_at },
            depth: 0,
            opened_at: line.location(tokens[0].start, tokens[0].end),
        });
    }

    fn expand_macro(&mut self, line: &Line, def: &Rc<MacroDef>, args_start: usize) -> Flow {
        if self.macro_depth >= MAX_MACRO_DEPTH {
            // A runaway recursion: report it once and stop preprocessing (the result would be
            // wrong anyway, and a macro that recurses twice per level never ends otherwise).
            self.gave_up = true;
            self.push_error(line.error(
                line.start,
                line.end,
                format!("macro `{}` expands too deeply (recursive macro?)", def.name),
            ));
            return Flow::Continue;
        }
        let ranges = if line.text[args_start..line.end].trim().is_empty() {
            Vec::new()
        } else {
            split_commas(&line.text, args_start, line.end)
        };
        let mut args: Vec<String> = ranges.iter().map(|(s, e)| line.text[*s..*e].to_string()).collect();
        let vararg = def.params.last().is_some_and(|p| p.vararg);
        if args.len() > def.params.len() {
            if vararg {
                let rest = args.split_off(def.params.len() - 1).join(", ");
                args.push(rest);
            } else {
                self.push_error(line.error(
                    args_start,
                    line.end,
                    format!("macro `{}` takes {} argument(s), given {}", def.name, def.params.len(), args.len()),
                ));
                return Flow::Continue;
            }
        }
        let mut values = Vec::new();
        for (k, p) in def.params.iter().enumerate() {
            let given = args.get(k).filter(|a| !a.is_empty()).cloned();
            match (given, &p.default) {
                (Some(v), _) => values.push(v),
                (None, Some(d)) => values.push(d.clone()),
                (None, None) if p.required => {
                    self.push_error(line.error(
                        args_start,
                        line.end,
                        format!("macro `{}` needs argument `{}`", def.name, p.name),
                    ));
                    return Flow::Continue;
                }
                (None, None) => values.push(String::new()),
            }
        }
        self.expansions += 1;
        let counter = self.expansions.to_string();
        let note: Rc<str> =
            Rc::from(format!("in expansion of macro `{}` (defined at {})", def.name, def.defined_at).as_str());
        let note = match &line.context {
            Some(outer) => Rc::from(format!("{note}; {outer}").as_str()),
            None => note,
        };
        let cond_depth = self.cond.len();
        self.macro_depth += 1;
        for body_line in &def.body {
            if self.gave_up {
                break;
            }
            let text = substitute_params(body_line, &def.params, &values, &counter);
            let expanded = Line {
                file: line.file.clone(),
                line_no: line.line_no,
                end: text.len(),
                text: Rc::from(text.as_str()),
                start: 0,
                context: Some(note.clone()),
            };
            if self.line(expanded) == Flow::ExitMacro {
                break;
            }
        }
        self.macro_depth -= 1;
        if self.cond.len() > cond_depth {
            // Left by `.exitm` inside a conditional, or an unclosed `.if` in the body.
            self.cond.truncate(cond_depth);
        }
        Flow::Continue
    }
}

/// `\name`, `\()` and `\@` substitution in a macro body line.
fn substitute_params(body: &str, params: &[MacroParam], values: &[String], counter: &str) -> String {
    let b = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if body[i + 1..].starts_with("()") {
                i += 3;
                continue;
            }
            if body[i + 1..].starts_with('@') {
                out.push_str(counter);
                i += 2;
                continue;
            }
            let j = i
                + 1
                + b[i + 1..]
                    .iter()
                    .take_while(|&&x| x.is_ascii_alphanumeric() || x == b'_' || x == b'$' || x == b'.')
                    .count();
            // Longest parameter name that the run starts with (`\vd.e0` is `\vd` then `.e0`).
            let run = &body[i + 1..j];
            let best =
                params.iter().enumerate().filter(|(_, p)| run.starts_with(&p.name)).max_by_key(|(_, p)| p.name.len());
            if let Some((k, p)) = best {
                out.push_str(&values[k]);
                i += 1 + p.name.len();
                continue;
            }
        }
        let ch_len = body[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        out.push_str(&body[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// Function-like `#define` parameter replacement (whole C identifiers only).
fn replace_params(body: &str, params: &[String], args: &[String]) -> String {
    let b = body.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if is_c_ident_start(b[i]) {
            let j = i + b[i..].iter().take_while(|&&x| is_c_ident_char(x)).count();
            match params.iter().position(|p| p == &body[i..j]) {
                Some(k) => out.push_str(&args[k]),
                None => out.push_str(&body[i..j]),
            }
            i = j;
        } else {
            let ch_len = body[i..].chars().next().map(char::len_utf8).unwrap_or(1);
            out.push_str(&body[i..i + ch_len]);
            i += ch_len;
        }
    }
    out
}

fn matching_paren(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'"' | b'\'' => {
                i = lexer::skip_quoted(b, i, b.len(), b[i]);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
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
