//! Statements: `label:`s, then a directive, an instruction, or `name = expr`.

use crate::diag::Diagnostic;
use crate::expr::{self, Expr};
use crate::instr;
use crate::lexer::{self, Tok, Token};
use crate::operand::{self, Operand};
use crate::preprocess::Line;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LabelName {
    Named(String),
    /// `1:` (referred to as `1b` / `1f`).
    Numeric(u32),
}

#[derive(Clone, Debug)]
pub(crate) struct LabelDef {
    pub name: LabelName,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug)]
pub(crate) enum Body {
    Empty,
    /// `name = expr`.
    Assign {
        name: String,
        name_start: usize,
        name_end: usize,
        value: Expr,
    },
    /// `.name args` (name lower-cased); `args` split at top-level commas.
    Directive {
        name: String,
        start: usize,
        end: usize,
        args: Vec<Vec<Token>>,
    },
    /// `mnemonic operands` (mnemonic lower-cased).
    Instr {
        mnemonic: String,
        start: usize,
        end: usize,
        operands: Vec<Operand>,
    },
    /// A parse error was reported; the statement is skipped.
    Invalid,
}

#[derive(Clone, Debug)]
pub(crate) struct Stmt {
    /// Index into the preprocessed lines.
    pub line: usize,
    pub labels: Vec<LabelDef>,
    pub body: Body,
}

pub(crate) fn parse_all(lines: &[Line], errors: &mut Vec<Diagnostic>) -> Vec<Stmt> {
    lines.iter().enumerate().map(|(i, line)| parse_stmt(i, line, errors)).collect()
}

fn parse_stmt(index: usize, line: &Line, errors: &mut Vec<Diagnostic>) -> Stmt {
    let mut stmt = Stmt { line: index, labels: Vec::new(), body: Body::Empty };
    let tokens = match lexer::lex(&line.text, line.start, line.end) {
        Ok(t) => t,
        Err(e) => {
            errors.push(line.error(e.start, e.end, e.message));
            stmt.body = Body::Invalid;
            return stmt;
        }
    };
    let mut i = 0;
    while i + 1 < tokens.len() && matches!(tokens[i + 1].tok, Tok::Punct(":")) {
        let name = match &tokens[i].tok {
            Tok::Ident(s) if s != "." => LabelName::Named(s.clone()),
            Tok::Int(n) if (0..=u32::MAX as i64).contains(n) => LabelName::Numeric(*n as u32),
            _ => break,
        };
        stmt.labels.push(LabelDef { name, start: tokens[i].start, end: tokens[i].end });
        i += 2;
    }
    let rest = &tokens[i..];
    let Some(first) = rest.first() else {
        return stmt;
    };
    let code_end = line.end;
    stmt.body = match &first.tok {
        Tok::Ident(name) if matches!(rest.get(1).map(|t| &t.tok), Some(Tok::Punct("="))) => {
            match expr::parse(&rest[2..], code_end) {
                Ok(value) => Body::Assign { name: name.clone(), name_start: first.start, name_end: first.end, value },
                Err(e) => {
                    errors.push(line.error(e.start, e.end, e.message));
                    Body::Invalid
                }
            }
        }
        Tok::Ident(name) if name.starts_with('.') && name.len() > 1 => Body::Directive {
            name: name.to_ascii_lowercase(),
            start: first.start,
            end: first.end,
            args: operand::split_operands(&rest[1..]).into_iter().map(|a| a.to_vec()).collect(),
        },
        Tok::Ident(name) => {
            let errors_before = errors.len();
            let mut operands = Vec::new();
            let mut ok = true;
            let mut pos = first.end;
            for part in operand::split_operands(&rest[1..]) {
                match operand::parse_operand(part, pos) {
                    Ok(op) => {
                        pos = op.end;
                        operands.push(op);
                    }
                    Err(e) => {
                        errors.push(line.error(e.start, e.end, e.message));
                        ok = false;
                    }
                }
            }
            let mnemonic = name.to_ascii_lowercase();
            if ok {
                Body::Instr { mnemonic, start: first.start, end: first.end, operands }
            } else {
                if let Some(message) = instr::unknown_mnemonic(&mnemonic) {
                    // `mfc1 $t0, $f1`: the mnemonic is the news, not its operands.
                    errors.truncate(errors_before);
                    errors.push(line.error(first.start, first.end, message));
                }
                Body::Invalid
            }
        }
        _ => {
            errors.push(line.error(first.start, first.end, "expected a label, directive or instruction"));
            Body::Invalid
        }
    };
    stmt
}
