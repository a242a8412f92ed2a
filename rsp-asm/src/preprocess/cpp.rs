//! The C preprocessor subset: `#define` (object- and function-like) substitution, `#if`
//! family conditions, `#include` / `.include`.

use std::rc::Rc;

use super::*;

pub(super) enum Define {
    Object(String),
    /// `variadic`: the last parameter is `...` (named `__VA_ARGS__` in `params`) and takes
    /// the remaining arguments with their commas.
    Function {
        params: Vec<String>,
        body: String,
        variadic: bool,
    },
}

/// What a MIPS GCC predefines for `-x assembler-with-cpp -march=mips1 -mabi=32` that RSP
/// sources test (`__ASSEMBLER__` guards the C parts of headers shared with C code); the
/// GNU cpp target macros rsp-asm keeps to.
pub(super) const PREDEFINED: [(&str, &str); 10] = [
    ("__ASSEMBLER__", "1"),
    ("_LANGUAGE_ASSEMBLY", "1"),
    ("__mips__", "1"),
    ("__mips", "1"),
    ("_mips", "1"),
    ("mips", "1"),
    ("__MIPSEB__", "1"),
    ("_MIPSEB", "1"),
    ("_ABIO32", "1"),
    ("_MIPS_SIM", "_ABIO32"),
];

const CPP_KEYWORDS: [&str; 11] =
    ["define", "undef", "include", "ifdef", "ifndef", "if", "elif", "else", "endif", "error", "warning"];

/// For a line (already trimmed at the start) beginning with `#keyword`, the keyword and the
/// rest of the line.
pub(super) fn cpp_keyword(s: &str) -> Option<(&'static str, &str)> {
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

/// cpp identifiers. In `-x assembler-with-cpp` mode GNU cpp does not take `$` into
/// identifiers: with `#define vcc 1`, `$vcc` is `$1` (tiny3d's RSPL output relies on it).
pub(super) fn is_c_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

pub(super) fn is_c_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
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

/// One piece of a `#define` body, for `#` / `##` processing.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Ident(&'a str),
    /// `#` (stringize, before a parameter of a function-like macro).
    Hash,
    /// `##` (token pasting).
    Paste,
    Space,
    Other(&'a str),
}

fn pieces(body: &str) -> Vec<Piece<'_>> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let j = if is_c_ident_start(c) {
            let j = i + b[i..].iter().take_while(|&&x| is_c_ident_char(x)).count();
            out.push(Piece::Ident(&body[i..j]));
            j
        } else if c.is_ascii_digit() {
            // A pp-number (`0x1f`) is one token: `x` in it is no parameter.
            let j = i + b[i..].iter().take_while(|&&x| x.is_ascii_alphanumeric() || x == b'_' || x == b'.').count();
            out.push(Piece::Other(&body[i..j]));
            j
        } else if c == b'#' && b.get(i + 1) == Some(&b'#') {
            out.push(Piece::Paste);
            i + 2
        } else if c == b'#' {
            out.push(Piece::Hash);
            i + 1
        } else if c == b' ' || c == b'\t' {
            let j = i + b[i..].iter().take_while(|&&x| x == b' ' || x == b'\t').count();
            out.push(Piece::Space);
            j
        } else if c == b'"' || c == b'\'' {
            let j = lexer::skip_quoted(b, i, b.len(), c);
            out.push(Piece::Other(&body[i..j]));
            j
        } else {
            let j = i + body[i..].chars().next().map(char::len_utf8).unwrap_or(1);
            out.push(Piece::Other(&body[i..j]));
            j
        };
        i = j;
    }
    out
}

/// `#arg`: the argument's spelling as a string literal (C 6.10.3.2: inner whitespace runs
/// become one space; `"` and `\` inside string and character literals are escaped).
fn stringize(arg: &str) -> String {
    let mut out = String::from("\"");
    let mut last_space = false;
    for c in arg.trim().chars() {
        if c.is_ascii_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Substitutes a `#define` body as C does (C 6.10.3.1-3): a parameter next to `##` or after
/// `#` takes its argument as written (`raw`), any other takes it macro-expanded (`expanded`);
/// `#param` becomes a string literal; `##` joins its neighbours (whitespace around it goes).
/// In assembler-with-cpp mode a `#` that is not before a parameter stays as it is (GNU cpp),
/// so an assembler comment in a macro body survives. Object-like bodies pass no parameters.
fn substitute_body(body: &str, params: &[String], raw: &[String], expanded: &[String]) -> String {
    let ps = pieces(body);
    let param = |p: &Piece| match p {
        Piece::Ident(name) => params.iter().position(|q| q == name),
        _ => None,
    };
    // Index of the previous / next non-space piece.
    let prev = |k: usize| (0..k).rev().find(|&m| ps[m] != Piece::Space);
    let next = |k: usize| (k + 1..ps.len()).find(|&m| ps[m] != Piece::Space);
    let mut out = String::with_capacity(body.len());
    let mut k = 0;
    while k < ps.len() {
        match &ps[k] {
            Piece::Paste => {
                // Drop the whitespace already written before `##` and skip the whitespace after.
                while out.ends_with([' ', '\t']) {
                    out.pop();
                }
                k = next(k).unwrap_or(ps.len());
                if let Some(m) = ps.get(k).and_then(&param) {
                    out.push_str(raw[m].trim());
                    k += 1;
                }
                continue;
            }
            Piece::Hash if !params.is_empty() => {
                if let Some(n) = next(k) {
                    if let Some(m) = param(&ps[n]) {
                        out.push_str(&stringize(&raw[m]));
                        k = n + 1;
                        continue;
                    }
                }
                out.push('#');
            }
            Piece::Hash => out.push('#'),
            Piece::Space => out.push(' '),
            Piece::Ident(name) => match param(&ps[k]) {
                Some(m) => {
                    let pasted = prev(k).is_some_and(|p| ps[p] == Piece::Paste)
                        || next(k).is_some_and(|n| ps[n] == Piece::Paste);
                    out.push_str(if pasted { raw[m].trim() } else { &expanded[m] });
                }
                None => out.push_str(name),
            },
            Piece::Other(t) => out.push_str(t),
        }
        k += 1;
    }
    out
}

pub(super) fn matching_paren(b: &[u8], open: usize) -> Option<usize> {
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

impl Pp<'_> {
    /// Applies `#define`s to `line.text[..code_end]`; returns the line to use (`None` after
    /// reporting an error).
    pub(super) fn substitute_defines(&mut self, line: &Line, code_end: usize) -> Option<Line> {
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
    pub(super) fn expand_text(&self, text: &str, disabled: &mut Vec<String>, depth: u32) -> Result<String, String> {
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
                        let pasted;
                        let body = if body.contains("##") {
                            pasted = substitute_body(body, &[], &[], &[]);
                            &pasted
                        } else {
                            body
                        };
                        disabled.push(name.to_string());
                        let r = self.expand_text(body, disabled, depth + 1);
                        disabled.pop();
                        out.push_str(&r?);
                        i = j;
                    }
                    Some(Define::Function { params, body, variadic }) => {
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
                        let mut args: Vec<String> = if text[k + 1..close].trim().is_empty() && params.len() <= 1 {
                            if params.is_empty() {
                                Vec::new()
                            } else {
                                vec![String::new()]
                            }
                        } else {
                            split_commas(text, k + 1, close).into_iter().map(|(s, e)| text[s..e].to_string()).collect()
                        };
                        if *variadic && args.len() + 1 == params.len() {
                            args.push(String::new()); // `F(a)` for `F(x, ...)`: empty `__VA_ARGS__`
                        }
                        if *variadic && args.len() > params.len() {
                            let rest = args.split_off(params.len() - 1).join(", ");
                            args.push(rest);
                        }
                        if args.len() != params.len() {
                            let at_least = if *variadic { "at least " } else { "" };
                            let wanted = params.len() - usize::from(*variadic);
                            return Err(format!("`{name}` takes {at_least}{wanted} argument(s), given {}", args.len()));
                        }
                        // Arguments are expanded first (except next to `#`/`##`), then
                        // substituted, then the result is rescanned (C's order).
                        let mut expanded_args = Vec::new();
                        for a in &args {
                            expanded_args.push(self.expand_text(a, disabled, depth + 1)?);
                        }
                        let replaced = substitute_body(body, params, &args, &expanded_args);
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

    pub(super) fn cpp_directive(&mut self, line: &Line, kw: &str, rest_start: usize) {
        // The directive's own `#` is not a comment; one after it is.
        let code_end = rest_start
            + lexer::comment_start(&line.text[rest_start.min(line.end)..line.end], line.end - rest_start.min(line.end));
        let rest = line.text[rest_start..code_end].trim();
        let err_range = (rest_start, code_end.max(rest_start + 1));
        // Conditionals are tracked even in skipped regions.
        match kw {
            "ifdef" | "ifndef" | "if" => {
                // cpp runs before the assembler: only cpp conditionals can skip a cpp line.
                let value = if self.cpp_skipping() {
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
                self.open_cond(value, line.location(line.start, line.end), true);
                return;
            }
            "elif" | "else" => {
                let is_elif = kw == "elif";
                let Some(top) = self.cond.last().filter(|c| c.is_cpp) else {
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
                if self.cond.last().is_some_and(|c| c.is_cpp) {
                    self.cond.pop();
                } else {
                    self.push_error(line.error(line.start, line.end, "#endif without #if"));
                }
                return;
            }
            _ => {}
        }
        if self.cpp_skipping() {
            return;
        }
        match kw {
            "define" => self.define(line, rest_start),
            "undef" => {
                let name = rest.split_whitespace().next().unwrap_or("");
                self.defines.remove(name);
            }
            "include" => {
                let angled = rest.starts_with('<');
                let name = rest.trim_matches(|c| c == '"' || c == '<' || c == '>' || c == ' ');
                self.include(line, name, angled, err_range);
            }
            "error" => self.push_error(line.error(line.start, line.end, format!("#error {rest}"))),
            _ => {} // #warning: no warnings channel; the build continues as with cpp.
        }
    }

    pub(super) fn cpp_condition(&self, rest: &str) -> Result<bool, String> {
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
        let e = expr::parse_c(&tokens, expanded.len()).map_err(|e| e.message)?;
        expr::eval(&e, &CppScope).map(|v| v.n != 0).map_err(|e| e.message)
    }

    pub(super) fn define(&mut self, line: &Line, rest_start: usize) {
        // A `#` in a #define body is no comment (cpp keeps it: `##`, `#param`, or an assembler
        // comment that starts where the macro is used); only C comments end the body.
        let code_end = rest_start + slash_comment_start(&line.text[rest_start..line.end]);
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
        let define = if b.get(name_end) == Some(&b'(') {
            let Some(close) = matching_paren(&b[..code_end], name_end) else {
                self.push_error(line.error(name_end, code_end, "unclosed parameter list"));
                return;
            };
            let mut params: Vec<String> =
                text[name_end + 1..close].split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
            let variadic = params.last().is_some_and(|p| p.ends_with("..."));
            if variadic {
                let last = params.pop().unwrap_or_default();
                let named = last.trim_end_matches("...").trim();
                params.push(if named.is_empty() { "__VA_ARGS__".to_string() } else { named.to_string() });
            }
            if let Some(bad) =
                params.iter().find(|p| !p.bytes().all(is_c_ident_char) || !is_c_ident_start(p.as_bytes()[0]))
            {
                self.push_error(line.error(name_end, close + 1, format!("bad #define parameter `{bad}`")));
                return;
            }
            let body = text[close + 1..].trim().to_string();
            Define::Function { params, body, variadic }
        } else {
            Define::Object(text[name_end..].trim().to_string())
        };
        let body = match &define {
            Define::Object(b) | Define::Function { body: b, .. } => b,
        };
        if body.starts_with("##") || body.ends_with("##") {
            self.push_error(line.error(name_end, code_end, "`##` cannot be at either end of a #define body"));
            return;
        }
        self.defines.insert(name, define);
    }

    /// `#include "f"` / `.include "f"` (`angled` false: beside the including file first, then
    /// the include directories) or `#include <f>` (the include directories only), then, as GNU
    /// cpp's sysroot, the built-in system headers (`<regdef.h>`).
    pub(super) fn include(&mut self, line: &Line, name: &str, angled: bool, err_range: (usize, usize)) {
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            self.gave_up = true;
            self.push_error(line.error(err_range.0, err_range.1, "includes nested too deeply (recursive include?)"));
            return;
        }
        let loaded = if angled { self.loader.load_angled(name) } else { self.loader.load(name, Some(&line.file)) };
        let loaded = match (loaded, system_headers::system_header(name)) {
            (Err(_), Some(text)) => Ok((format!("<built-in {name}>"), text)),
            (r, _) => r,
        };
        match loaded {
            Ok((display, text)) => {
                self.include_depth += 1;
                self.file(&display, &text);
                self.include_depth -= 1;
            }
            Err(e) => {
                let mut d = line.error(err_range.0, err_range.1, e);
                if name.ends_with("rsp.inc") || name.ends_with("rsp_queue.inc") {
                    d = d.with_note("rsp-asm knows the RSP instructions, registers and element suffixes natively; libdragon's rsp.inc is not needed (give libdragon's `include` folder with -I to use it)");
                }
                self.push_error(d);
            }
        }
    }
}

/// Where a `//` comment starts in `text` (outside quotes), or its length.
fn slash_comment_start(text: &str) -> usize {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => i = lexer::skip_quoted(b, i, b.len(), b[i]),
            b'/' if b.get(i + 1) == Some(&b'/') => return i,
            _ => i += 1,
        }
    }
    b.len()
}
