//! GNU as symbols that the assembler proper has no place for, resolved here in source order:
//!
//! - symbols whose names start with `$` (`.set $v01, 0x101`, `.set $v01.e3, 0x23b`). For GNU
//!   as for MIPS these are ordinary symbols: only `$0`..`$31` and the ABI names are registers.
//!   rsp-asm's own vector-register spelling `$v00`..`$v31` gives way to such a symbol while it
//!   is defined (libdragon's `rsp.inc` redefines `$vNN` and `$vNN.eN` this way to encode its
//!   operands);
//! - symbols equated to a register (`.set $v01, $1`, `.set reg.$v01.e0, $1`): GNU as keeps
//!   the register, and an instruction naming the symbol uses that register.
//!
//! Both are set when the statement is read (their values must be known there, as for `.if`),
//! and every statement handed on to the assembler, and every `.if` expression, sees them
//! replaced by their current value: `(257)` or `$1`.

use super::*;

/// What a register-valued symbol stands for: its `$n` spelling.
pub(super) type RegAlias = String;

impl Pp<'_> {
    /// The replacement for `tok`, if it names a symbol resolved here.
    fn replacement(&self, tok: &Tok) -> Option<String> {
        let name = match tok {
            Tok::Reg(n) | Tok::Ident(n) => n,
            _ => return None,
        };
        if let Some(alias) = self.reg_aliases.get(name) {
            return Some(alias.clone());
        }
        match tok {
            Tok::Reg(n) => self.constants.get(n).map(|v| format!("({v})")),
            _ => None,
        }
    }

    /// `tokens` with resolved symbols replaced (for `.if` and `.set` values).
    pub(super) fn resolve_tokens(&self, tokens: &[Token]) -> Vec<Token> {
        if self.reg_aliases.is_empty() && !self.has_dollar_constants {
            return tokens.to_vec();
        }
        tokens
            .iter()
            .map(|t| {
                let name = match &t.tok {
                    Tok::Reg(n) | Tok::Ident(n) => n,
                    _ => return t.clone(),
                };
                if let Some(alias) = self.reg_aliases.get(name) {
                    return Token { tok: Tok::Reg(alias.clone()), ..t.clone() };
                }
                match (&t.tok, self.constants.get(name)) {
                    (Tok::Reg(_), Some(v)) => Token { tok: Tok::Int(*v), ..t.clone() },
                    _ => t.clone(),
                }
            })
            .collect()
    }

    /// The statement `line` (lexed as `tokens`) with resolved symbols replaced, for the
    /// assembler; `None` when nothing in it is such a symbol.
    pub(super) fn resolve_line(&self, line: &Line, tokens: &[Token]) -> Option<Line> {
        if self.reg_aliases.is_empty() && !self.has_dollar_constants {
            return None;
        }
        let mut out = String::new();
        let mut last = line.start;
        for t in tokens {
            if let Some(r) = self.replacement(&t.tok) {
                out.push_str(&line.text[last..t.start]);
                out.push_str(&r);
                last = t.end;
            }
        }
        if last == line.start {
            return None;
        }
        out.push_str(&line.text[last..line.end]);
        let original = line.text[line.start..line.end].trim();
        let note = match &line.context {
            Some(c) => format!("{c}; after symbol substitution of: {original}"),
            None => format!("after symbol substitution of: {original}"),
        };
        Some(Line {
            start: 0,
            end: out.len(),
            text: Rc::from(out.as_str()),
            context: Some(Rc::from(note.as_str())),
            ..line.clone()
        })
    }

    /// `.set/.equ/.equiv name, value` or `name = value` (`tokens` from the name on). Returns
    /// true when the symbol is one resolved here (then the statement is consumed); false for
    /// an ordinary symbol, whose value is noted for `.if` and which goes on to the assembler.
    pub(super) fn assign_symbol(&mut self, line: &Line, tokens: &[Token], comma_form: bool) -> bool {
        let (name, dollar) = match tokens.first().map(|t| &t.tok) {
            Some(Tok::Ident(n)) => (n.clone(), false),
            Some(Tok::Reg(n)) => (n.clone(), true),
            _ => return false,
        };
        let sep = if comma_form { "," } else { "=" };
        if !matches!(tokens.get(1).map(|t| &t.tok), Some(Tok::Punct(p)) if *p == sep) {
            return false;
        }
        let value = self.resolve_tokens(&tokens[2..]);
        let register = match value.as_slice() {
            [Token { tok: Tok::Reg(r), .. }] => crate::operand::gpr_of_reg(r).map(|(n, _)| n),
            _ => None,
        };
        if let Some(n) = register {
            self.constants.remove(&name);
            self.reg_aliases.insert(name, format!("${n}"));
            return true;
        }
        self.reg_aliases.remove(&name);
        if !dollar {
            self.note_constant(line, &[&tokens[..2], &value[..]].concat(), comma_form);
            return false;
        }
        let end = tokens.last().map(|t| t.end).unwrap_or(line.end);
        match expr::parse(&value, end).and_then(|e| expr::eval(&e, &conditional::ConstScope(&self.constants))) {
            Ok(v) => {
                self.constants.insert(name, v.n);
                self.has_dollar_constants = true;
            }
            Err(e) => {
                self.constants.remove(&name);
                self.push_error(line.error(
                    e.start,
                    e.end,
                    format!(
                        "`{name}`: {}; a `$` symbol needs a value known where it is set (constants above it, no labels)",
                        e.message
                    ),
                ));
            }
        }
        true
    }
}
