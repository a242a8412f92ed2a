//! The C preprocessor subset: `#define` (object- and function-like) substitution, `#if`
//! family conditions, `#include` / `.include`.

use std::rc::Rc;

use super::*;

pub(super) enum Define {
    Object(String),
    Function { params: Vec<String>, body: String },
}

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

pub(super) fn is_c_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

pub(super) fn is_c_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
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

    pub(super) fn cpp_directive(&mut self, line: &Line, kw: &str, rest_start: usize) {
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
        let e = expr::parse(&tokens, expanded.len()).map_err(|e| e.message)?;
        expr::eval(&e, &CppScope).map(|v| v.n != 0).map_err(|e| e.message)
    }

    pub(super) fn define(&mut self, line: &Line, rest_start: usize, code_end: usize) {
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

    pub(super) fn include(&mut self, line: &Line, name: &str, err_range: (usize, usize)) {
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
}
