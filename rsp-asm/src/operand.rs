//! Instruction operands: registers, vector registers with element suffixes, memory references,
//! libdragon's `e(...)` element function, and expressions.

use crate::expr::{self, Expr, ExprError};
use crate::lexer::{Tok, Token};

/// An element suffix as written: `.e3` is `Elem { letter: b'e', n: 3 }`; `.v` has n = 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Elem {
    pub letter: u8,
    pub n: u8,
    /// Byte range of the suffix (including the dot) in the line.
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    /// `$t0`, `t0`, `$8` (`numeric` for the `$n` spelling, which COP0/COP2 control operands
    /// accept as a register number).
    Gpr {
        n: u8,
        numeric: bool,
    },
    Vreg {
        n: u8,
        elem: Option<Elem>,
    },
    /// `offset(base)`; `offset` absent for `(base)`.
    Mem {
        offset: Option<Expr>,
        base: u8,
    },
    /// libdragon's `e(x)`: the text between the parentheses.
    ElemFn(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Operand {
    pub kind: OpKind,
    pub start: usize,
    pub end: usize,
}

/// A GPR from a `$`-register token (`$t0`, `$8`): `Some((n, numeric))`.
pub(crate) fn gpr_of_reg(name: &str) -> Option<(u8, bool)> {
    let body = name.strip_prefix('$')?;
    if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        return body.parse::<u8>().ok().filter(|n| *n < 32).map(|n| (n, true));
    }
    rsp_isa::gpr_by_name(body).map(|n| (n, false))
}

/// The GPR a bare word names (`t0`, `zero`, `s8`), libdragon style (its `regdef.h`).
pub(crate) fn bare_gpr(word: &str) -> Option<u8> {
    match word {
        // libdragon's `rsp.inc`: `#define ra2 sp` (the second return-address register).
        "ra2" => Some(29),
        _ => rsp_isa::gpr_by_name(word),
    }
}

/// Parses `$vNN` with an optional `.xN` suffix; `Ok(None)` if the token is not a vector
/// register at all.
fn vreg(tok: &Token, name: &str) -> Result<Option<(u8, Option<Elem>)>, ExprError> {
    let Some(rest) = name.strip_prefix("$v") else {
        return Ok(None);
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() < 2 {
        // `$v0` and `$v1` are GPRs 2 and 3; `$v2`..`$v9` are nothing.
        if digits.len() == 1 && (digits == "0" || digits == "1") && rest.len() == 1 {
            return Ok(None);
        }
        if !digits.is_empty() {
            return Err(ExprError {
                start: tok.start,
                end: tok.end,
                message: format!("vector registers are written with two digits: `$v{:0>2}`", digits),
            });
        }
        return Ok(None);
    }
    let n: u32 = digits.parse().unwrap_or(99);
    if digits.len() != 2 || n > 31 {
        return Err(ExprError {
            start: tok.start,
            end: tok.end,
            message: format!("no vector register `{name}` (they are $v00..$v31)"),
        });
    }
    let suffix = &rest[2..];
    if suffix.is_empty() {
        return Ok(Some((n as u8, None)));
    }
    let sfx_start = tok.start + 4;
    let bad = |m: &str| ExprError { start: sfx_start, end: tok.end, message: m.to_string() };
    let Some(sfx) = suffix.strip_prefix('.') else {
        return Err(bad("expected an element suffix such as `.e0` after the vector register"));
    };
    let letter = sfx.bytes().next().unwrap_or(b' ');
    let num = &sfx[1.min(sfx.len())..];
    let n_el = if letter == b'v' && num.is_empty() {
        0
    } else {
        match num.parse::<u8>() {
            Ok(v) if !num.starts_with('+') => v,
            _ => return Err(bad("element suffixes are .v, .q0-.q1, .h0-.h3, .e0-.e7 or .b0-.b15")),
        }
    };
    let max = match letter {
        b'v' => 0,
        b'q' => 1,
        b'h' => 3,
        b'e' => 7,
        b'b' => 15,
        _ => return Err(bad("element suffixes are .v, .q0-.q1, .h0-.h3, .e0-.e7 or .b0-.b15")),
    };
    if n_el > max {
        return Err(bad(&format!(
            "`.{}{}` is out of range (.{}0-.{}{max})",
            letter as char, n_el, letter as char, letter as char
        )));
    }
    Ok(Some((n as u8, Some(Elem { letter, n: n_el, start: sfx_start, end: tok.end }))))
}

/// Splits a token list at top-level commas.
pub(crate) fn split_operands(tokens: &[Token]) -> Vec<&[Token]> {
    if tokens.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut s = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t.tok {
            Tok::Punct("(") => depth += 1,
            Tok::Punct(")") => depth -= 1,
            Tok::Punct(",") if depth <= 0 => {
                out.push(&tokens[s..i]);
                s = i + 1;
            }
            _ => {}
        }
    }
    out.push(&tokens[s..]);
    out
}

/// Parses one operand (a comma-separated token slice). `pos` is where it starts (for errors on
/// an empty operand).
pub(crate) fn parse_operand(tokens: &[Token], pos: usize) -> Result<Operand, ExprError> {
    let Some(first) = tokens.first() else {
        return Err(ExprError { start: pos, end: pos + 1, message: "missing operand".into() });
    };
    let (start, end) = (first.start, tokens.last().map(|t| t.end).unwrap_or(first.end));
    let op = |kind| Ok(Operand { kind, start, end });
    if tokens.len() == 1 {
        match &first.tok {
            Tok::Reg(name) => {
                if let Some((n, elem)) = vreg(first, name)? {
                    return op(OpKind::Vreg { n, elem });
                }
                return match gpr_of_reg(name) {
                    Some((n, numeric)) => op(OpKind::Gpr { n, numeric }),
                    None => Err(ExprError { start, end, message: format!("unknown register `{name}`") }),
                };
            }
            Tok::Ident(w) => {
                if let Some(n) = bare_gpr(w) {
                    return op(OpKind::Gpr { n, numeric: false });
                }
            }
            _ => {}
        }
    }
    // e(x)
    if tokens.len() >= 3 {
        if let (Tok::Ident(e), Tok::Punct("("), Some(Tok::Punct(")"))) =
            (&first.tok, &tokens[1].tok, tokens.last().map(|t| &t.tok))
        {
            if e == "e" {
                let inner: String = tokens[2..tokens.len() - 1]
                    .iter()
                    .map(|t| match &t.tok {
                        Tok::Ident(s) | Tok::Reg(s) => s.clone(),
                        Tok::Int(n) => n.to_string(),
                        Tok::Punct(p) => p.to_string(),
                        _ => "?".into(),
                    })
                    .collect();
                return op(OpKind::ElemFn(inner));
            }
        }
    }
    // offset(base) / (base)
    let n = tokens.len();
    if n >= 3 && matches!(tokens[n - 1].tok, Tok::Punct(")")) && matches!(tokens[n - 3].tok, Tok::Punct("(")) {
        let base = match &tokens[n - 2].tok {
            Tok::Reg(name) => gpr_of_reg(name).map(|(g, _)| g),
            Tok::Ident(w) => bare_gpr(w),
            _ => None,
        };
        if let Some(base) = base {
            let offset = if n == 3 { None } else { Some(expr::parse(&tokens[..n - 3], tokens[n - 3].start)?) };
            return op(OpKind::Mem { offset, base });
        }
        if let Tok::Reg(name) = &tokens[n - 2].tok {
            let (start, end) = (tokens[n - 2].start, tokens[n - 2].end);
            let is_vector = name.starts_with("$v") && vreg(&tokens[n - 2], name).ok().flatten().is_some();
            let message = if is_vector {
                "the base of an address must be a GPR, not a vector register".to_string()
            } else {
                format!("unknown register `{name}`")
            };
            return Err(ExprError { start, end, message });
        }
    }
    let e = expr::parse(tokens, end)?;
    op(OpKind::Expr(e))
}
