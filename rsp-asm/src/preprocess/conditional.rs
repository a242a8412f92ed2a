//! `.if` family conditionals and the constants they may use.

use std::collections::HashMap;

use super::*;

pub(super) struct Cond {
    /// Lines in the current branch are assembled.
    pub(super) active: bool,
    /// Some branch of this conditional was taken already (so `.else` is inactive).
    pub(super) taken: bool,
    /// The enclosing region is active.
    pub(super) parent_active: bool,
    pub(super) seen_else: bool,
    pub(super) opened_at: Location,
    /// `#if`/`#ifdef`/`#ifndef` (cpp) rather than `.if` (as): a region cpp skips is not seen
    /// by the assembler at all, so `.if` lines in it are not even counted.
    pub(super) is_cpp: bool,
}

/// Scope for conditional expressions: constants defined so far; `.` is not known here.
pub(super) struct ConstScope<'a>(pub(super) &'a HashMap<String, i64>);

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

impl Pp<'_> {
    pub(super) fn open_cond(&mut self, value: bool, opened_at: crate::diag::Location, is_cpp: bool) {
        let parent_active = if is_cpp { !self.cpp_skipping() } else { self.active() };
        self.cond.push(Cond {
            active: parent_active && value,
            taken: value,
            parent_active,
            seen_else: false,
            opened_at,
            is_cpp,
        });
    }

    /// Inside a region a cpp conditional skips.
    pub(super) fn cpp_skipping(&self) -> bool {
        self.cond.iter().any(|c| c.is_cpp && !c.active)
    }

    /// Handles `.if*`/`.else`/`.elseif`/`.endif`; returns true if `directive` was one.
    pub(super) fn conditional(&mut self, line: &Line, directive: &str, tokens: &[Token], code_end: usize) -> bool {
        let d = directive.to_ascii_lowercase();
        let arg_start = tokens.get(1).map(|t| t.start).unwrap_or(code_end);
        let args = &tokens[1.min(tokens.len())..];
        match d.as_str() {
            ".if" | ".ifne" | ".ifeq" | ".iflt" | ".ifle" | ".ifgt" | ".ifge" | ".ifdef" | ".ifndef" | ".ifnotdef"
            | ".ifb" | ".ifnb" | ".ifc" | ".ifnc" => {
                let value = if self.active() { self.cond_value(line, &d, args, arg_start, code_end) } else { false };
                self.open_cond(value, line.location(tokens[0].start, tokens[0].end), false);
            }
            ".else" | ".elseif" => {
                let is_elseif = d == ".elseif";
                let Some(top) = self.cond.last().filter(|c| !c.is_cpp) else {
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
                // A `.endif` never closes a `#if` (cpp and as conditionals nest separately).
                if self.cond.last().is_some_and(|c| !c.is_cpp) {
                    self.cond.pop();
                } else {
                    self.push_error(line.error(tokens[0].start, tokens[0].end, "`.endif` without `.if`"));
                }
            }
            _ => return false,
        }
        true
    }

    pub(super) fn cond_value(
        &mut self,
        line: &Line,
        d: &str,
        args: &[Token],
        arg_start: usize,
        code_end: usize,
    ) -> bool {
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
        let args = self.resolve_tokens(args);
        let value = expr::parse(&args, code_end).and_then(|e| expr::eval(&e, &ConstScope(&self.constants)));
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

    /// Remembers `.equ name, expr` / `name = expr` values known at this point, for conditionals.
    pub(super) fn note_constant(&mut self, line: &Line, tokens: &[Token], comma_form: bool) {
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
}
