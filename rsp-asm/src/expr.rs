//! Constant expressions: integers, symbols, `.`, numeric local labels, C operators, `%lo()` /
//! `%hi()`. Values are 64-bit and wrap; comparisons give 1 or 0.
//!
//! Each value also carries the memory it points into when it is derived from a label
//! (`label`, `label + 8`, `. - 4`), so branches to DMEM labels or into another overlay can be
//! caught; the difference of two labels is a plain number.

use crate::lexer::{Tok, Token};

/// Which memory a label-derived value addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Region {
    /// IMEM: resident text (`None`) or overlay number `Some(i)`.
    Imem(Option<usize>),
    Dmem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Value {
    pub n: i64,
    pub region: Option<Region>,
}

impl Value {
    pub fn plain(n: i64) -> Value {
        Value { n, region: None }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Not,
    LogicalNot,
    Plus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    And,
    Xor,
    Or,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    LogicalAnd,
    LogicalOr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExprKind {
    Num(i64),
    Sym(String),
    /// `.`: the address of the current statement.
    Dot,
    LocalRef {
        label: u32,
        forward: bool,
    },
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `%lo(x)` = x & 0xffff.
    Lo(Box<Expr>),
    /// `%hi(x)` = ((x + 0x8000) >> 16) & 0xffff, so that `lui %hi` + `addiu %lo` rebuilds x.
    Hi(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    /// Byte range in the line.
    pub start: usize,
    pub end: usize,
    /// Height of the tree (a leaf is 1); bounded by [`MAX_DEPTH`] so that evaluating and
    /// dropping it never recurses deeply.
    pub depth: u32,
}

/// An error at a byte range of the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExprError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// Deepest nesting of parentheses/unary operators accepted (keeps the parser's recursion, and
/// so the stack, bounded on any input).
const MAX_DEPTH: u32 = 64;

/// Parses a whole expression from `tokens` (all of them must be used).
/// Parses an assembler expression, with GNU as's operator precedence (see [`binop`]).
pub(crate) fn parse(tokens: &[Token], line_end: usize) -> Result<Expr, ExprError> {
    parse_with(tokens, line_end, false)
}

/// Parses a cpp `#if` expression, with C's operator precedence.
pub(crate) fn parse_c(tokens: &[Token], line_end: usize) -> Result<Expr, ExprError> {
    parse_with(tokens, line_end, true)
}

fn parse_with(tokens: &[Token], line_end: usize, c: bool) -> Result<Expr, ExprError> {
    let mut p = Parser { tokens, pos: 0, line_end, c };
    if tokens.is_empty() {
        return Err(ExprError { start: line_end, end: line_end + 1, message: "expected an expression".into() });
    }
    let e = p.binary(0, 0)?;
    if let Some(t) = tokens.get(p.pos) {
        return Err(ExprError { start: t.start, end: t.end, message: "unexpected text after expression".into() });
    }
    Ok(e)
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    /// C precedence (cpp) instead of GNU as's.
    c: bool,
    line_end: usize,
}

/// A binary operator and its precedence (higher binds tighter). GNU as (gas/expr.c
/// `op_rank`) has fewer levels than C: `* / % << >>` bind tightest, then `| ^ &` together,
/// then `+ -`, then all comparisons, then `&&`, then `||`; so `1<<15-1` is 0x7fff and
/// `a + b | c` is `a + (b | c)`. cpp's `#if` uses C's levels (`c`).
fn binop(tok: &Tok, c: bool) -> Option<(BinOp, u8)> {
    let Tok::Punct(p) = tok else { return None };
    if !c {
        return Some(match *p {
            "*" => (BinOp::Mul, 9),
            "/" => (BinOp::Div, 9),
            "%" => (BinOp::Rem, 9),
            "<<" => (BinOp::Shl, 9),
            ">>" => (BinOp::Shr, 9),
            "|" => (BinOp::Or, 8),
            "^" => (BinOp::Xor, 8),
            "&" => (BinOp::And, 8),
            "+" => (BinOp::Add, 7),
            "-" => (BinOp::Sub, 7),
            "==" => (BinOp::Eq, 4),
            "!=" => (BinOp::Ne, 4),
            "<" => (BinOp::Lt, 4),
            ">" => (BinOp::Gt, 4),
            "<=" => (BinOp::Le, 4),
            ">=" => (BinOp::Ge, 4),
            "&&" => (BinOp::LogicalAnd, 3),
            "||" => (BinOp::LogicalOr, 2),
            _ => return None,
        });
    }
    Some(match *p {
        "*" => (BinOp::Mul, 10),
        "/" => (BinOp::Div, 10),
        "%" => (BinOp::Rem, 10),
        "+" => (BinOp::Add, 9),
        "-" => (BinOp::Sub, 9),
        "<<" => (BinOp::Shl, 8),
        ">>" => (BinOp::Shr, 8),
        "<" => (BinOp::Lt, 7),
        ">" => (BinOp::Gt, 7),
        "<=" => (BinOp::Le, 7),
        ">=" => (BinOp::Ge, 7),
        "==" => (BinOp::Eq, 6),
        "!=" => (BinOp::Ne, 6),
        "&" => (BinOp::And, 5),
        "^" => (BinOp::Xor, 4),
        "|" => (BinOp::Or, 3),
        "&&" => (BinOp::LogicalAnd, 2),
        "||" => (BinOp::LogicalOr, 1),
        _ => return None,
    })
}

impl Parser<'_> {
    fn err_here(&self, message: &str) -> ExprError {
        match self.tokens.get(self.pos) {
            Some(t) => ExprError { start: t.start, end: t.end, message: message.into() },
            None => ExprError { start: self.line_end, end: self.line_end + 1, message: message.into() },
        }
    }

    fn binary(&mut self, min_prec: u8, depth: u32) -> Result<Expr, ExprError> {
        let mut lhs = self.unary(depth)?;
        while let Some((op, prec)) = self.tokens.get(self.pos).and_then(|t| binop(&t.tok, self.c)) {
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            let rhs = self.binary(prec + 1, depth + 1)?;
            let (start, end) = (lhs.start, rhs.end);
            let height = lhs.depth.max(rhs.depth) + 1;
            if height > MAX_DEPTH {
                return Err(ExprError { start, end, message: "expression too complex (nested too deeply)".into() });
            }
            lhs = Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), start, end, depth: height };
            if !self.c && matches!(op, BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge | BinOp::Eq | BinOp::Ne) {
                // GNU as: a true comparison is -1 (all ones), not 1.
                lhs = Expr { kind: ExprKind::Unary(UnOp::Neg, Box::new(lhs)), start, end, depth: height + 1 };
            }
        }
        Ok(lhs)
    }

    fn unary(&mut self, depth: u32) -> Result<Expr, ExprError> {
        if depth > MAX_DEPTH {
            return Err(self.err_here("expression nested too deeply"));
        }
        let Some(t) = self.tokens.get(self.pos) else {
            return Err(self.err_here("expected an expression"));
        };
        let start = t.start;
        self.pos += 1;
        let kind = match &t.tok {
            Tok::Int(n) => ExprKind::Num(*n),
            Tok::Ident(s) if s == "." => ExprKind::Dot,
            Tok::Ident(s) => ExprKind::Sym(s.clone()),
            Tok::LocalRef { label, forward } => ExprKind::LocalRef { label: *label, forward: *forward },
            Tok::Punct(p @ ("-" | "~" | "!" | "+")) => {
                let op = match *p {
                    "-" => UnOp::Neg,
                    "~" => UnOp::Not,
                    "!" => UnOp::LogicalNot,
                    _ => UnOp::Plus,
                };
                let inner = self.unary(depth + 1)?;
                let (end, height) = (inner.end, inner.depth + 1);
                return Ok(Expr { kind: ExprKind::Unary(op, Box::new(inner)), start, end, depth: height });
            }
            Tok::Punct("(") => {
                let inner = self.binary(0, depth + 1)?;
                self.expect_close()?;
                let end = self.tokens[self.pos - 1].end;
                return Ok(Expr { kind: inner.kind, start, end, depth: inner.depth });
            }
            Tok::Func(name) => {
                let is_lo = match name.as_str() {
                    "lo" => true,
                    "hi" => false,
                    _ => {
                        return Err(ExprError {
                            start,
                            end: t.end,
                            message: format!("unknown operator `%{name}` (only %lo and %hi exist)"),
                        })
                    }
                };
                if !matches!(self.tokens.get(self.pos).map(|t| &t.tok), Some(Tok::Punct("("))) {
                    return Err(self.err_here("expected `(` after %lo/%hi"));
                }
                self.pos += 1;
                let inner = self.binary(0, depth + 1)?;
                self.expect_close()?;
                let end = self.tokens[self.pos - 1].end;
                let height = inner.depth + 1;
                let b = Box::new(inner);
                let kind = if is_lo { ExprKind::Lo(b) } else { ExprKind::Hi(b) };
                return Ok(Expr { kind, start, end, depth: height });
            }
            Tok::Reg(r) => {
                return Err(ExprError {
                    start,
                    end: t.end,
                    message: format!("register `{r}` where a number was expected"),
                })
            }
            Tok::Str(_) => {
                return Err(ExprError { start, end: t.end, message: "string where a number was expected".into() })
            }
            Tok::Punct(p) => {
                return Err(ExprError { start, end: t.end, message: format!("expected an expression, found `{p}`") })
            }
        };
        Ok(Expr { kind, start, end: t.end, depth: 1 })
    }

    fn expect_close(&mut self) -> Result<(), ExprError> {
        match self.tokens.get(self.pos) {
            Some(Token { tok: Tok::Punct(")"), .. }) => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(self.err_here("expected `)`")),
        }
    }
}

/// What evaluation needs from the assembler.
pub(crate) trait Scope {
    /// A symbol's value, `None` if undefined.
    fn symbol(&self, name: &str) -> Option<Value>;
    /// The current address (`.`).
    fn dot(&self) -> Value;
    /// The nearest numeric local label `label` after (`forward`) or before this statement.
    fn local_label(&self, label: u32, forward: bool) -> Option<Value>;
}

pub(crate) fn eval(e: &Expr, scope: &dyn Scope) -> Result<Value, ExprError> {
    let err = |m: String| ExprError { start: e.start, end: e.end, message: m };
    Ok(match &e.kind {
        ExprKind::Num(n) => Value::plain(*n),
        ExprKind::Sym(s) => scope.symbol(s).ok_or_else(|| err(format!("undefined symbol `{s}`")))?,
        ExprKind::Dot => scope.dot(),
        ExprKind::LocalRef { label, forward } => scope.local_label(*label, *forward).ok_or_else(|| {
            err(format!("no local label `{label}:` {}", if *forward { "after this line" } else { "before this line" }))
        })?,
        ExprKind::Unary(op, x) => {
            // One evaluation of the operand: evaluating it again for unary `+` (which keeps the
            // operand's region) made a chain of n `+` cost 2^n (the fuzzer's `++...+0`, 42 deep).
            let value = eval(x, scope)?;
            let v = value.n;
            Value::plain(match op {
                UnOp::Neg => v.wrapping_neg(),
                UnOp::Not => !v,
                UnOp::LogicalNot => (v == 0) as i64,
                UnOp::Plus => return Ok(value),
            })
        }
        ExprKind::Lo(x) => Value::plain(eval(x, scope)?.n & 0xffff),
        ExprKind::Hi(x) => Value::plain((eval(x, scope)?.n.wrapping_add(0x8000) >> 16) & 0xffff),
        ExprKind::Binary(op, a, b) => {
            let (va, vb) = (eval(a, scope)?, eval(b, scope)?);
            let (x, y) = (va.n, vb.n);
            let region = match op {
                // label + n, n + label, label - n keep pointing into label's memory.
                BinOp::Add if va.region.is_some() != vb.region.is_some() => va.region.or(vb.region),
                BinOp::Sub if vb.region.is_none() => va.region,
                _ => None,
            };
            let n = match op {
                BinOp::Mul => x.wrapping_mul(y),
                BinOp::Div | BinOp::Rem if y == 0 => return Err(err("division by zero".into())),
                BinOp::Div => x.wrapping_div(y),
                BinOp::Rem => x.wrapping_rem(y),
                BinOp::Add => x.wrapping_add(y),
                BinOp::Sub => x.wrapping_sub(y),
                BinOp::Shl | BinOp::Shr if !(0..64).contains(&y) => {
                    return Err(err(format!("shift by {y} (must be 0..63)")))
                }
                BinOp::Shl => x.wrapping_shl(y as u32),
                BinOp::Shr => x.wrapping_shr(y as u32),
                BinOp::And => x & y,
                BinOp::Xor => x ^ y,
                BinOp::Or => x | y,
                BinOp::Lt => (x < y) as i64,
                BinOp::Gt => (x > y) as i64,
                BinOp::Le => (x <= y) as i64,
                BinOp::Ge => (x >= y) as i64,
                BinOp::Eq => (x == y) as i64,
                BinOp::Ne => (x != y) as i64,
                BinOp::LogicalAnd => (x != 0 && y != 0) as i64,
                BinOp::LogicalOr => (x != 0 || y != 0) as i64,
            };
            Value { n, region }
        }
    })
}

/// True if the expression's outermost operator is `%lo(...)`: its value is a 16-bit pattern
/// that signed immediate fields accept as is (GNU as treats it as a relocation, not a number).
pub(crate) fn is_lo(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Lo(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    struct Empty;
    impl Scope for Empty {
        fn symbol(&self, name: &str) -> Option<Value> {
            (name == "x").then_some(Value { n: 0x1234_8000, region: Some(Region::Dmem) })
        }
        fn dot(&self) -> Value {
            Value { n: 0x40, region: Some(Region::Imem(None)) }
        }
        fn local_label(&self, _: u32, _: bool) -> Option<Value> {
            None
        }
    }

    fn ev(s: &str) -> Result<i64, String> {
        let toks = lex(s, 0, s.len()).unwrap();
        let e = parse(&toks, s.len()).map_err(|e| e.message)?;
        eval(&e, &Empty).map(|v| v.n).map_err(|e| e.message)
    }

    #[test]
    fn gnu_as_precedence() {
        // mips-linux-gnu-as: `.half 1<<15-1` is 0x7fff; `.byte 1 + 2 | 4` is 7, `.byte 6 & 3 + 1` is 3.
        assert_eq!(ev("1<<15-1"), Ok(0x7fff));
        assert_eq!(ev("1 + 2 | 4"), Ok(7));
        assert_eq!(ev("6 & 3 + 1"), Ok(3));
        // A true comparison is -1 in GNU as (`.byte 1 | 2 == 3` is 0xff).
        assert_eq!(ev("1 | 2 == 3"), Ok(-1));
        assert_eq!(ev("2 < 1"), Ok(0));
    }

    #[test]
    fn c_precedence_and_gnu_lo_hi() {
        assert_eq!(ev("1 + 2 * 3"), Ok(7));
        assert_eq!(ev("(1 + 2) * 3"), Ok(9));
        assert_eq!(ev("1 << 4 | 1"), Ok(17));
        assert_eq!(ev("-8 >> 1"), Ok(-4));
        assert_eq!(ev("10 % 4 - ~0"), Ok(3));
        // %hi rounds up when bit 15 of the low half is set: 0x1234_8000 = 0x1235 << 16 - 0x8000.
        assert_eq!(ev("%hi(x)"), Ok(0x1235));
        assert_eq!(ev("%lo(x)"), Ok(0x8000));
        assert_eq!(ev(". + 8"), Ok(0x48));
        assert_eq!(ev("3 > 2 && 1"), Ok(1));
    }

    #[test]
    fn errors_are_values_not_panics() {
        assert!(ev("1 / 0").is_err());
        assert!(ev("1 <<").is_err());
        assert!(ev("y").unwrap_err().contains("undefined symbol `y`"));
        let deep = "(".repeat(10_000) + "1" + &")".repeat(10_000);
        assert!(ev(&deep).unwrap_err().contains("nested too deeply"));
        let deep_neg = "-".repeat(10_000) + "1";
        assert!(ev(&deep_neg).is_err());
        let long_chain = vec!["1"; 100_000].join(" + ");
        assert!(ev(&long_chain).unwrap_err().contains("too complex"));
    }
}
