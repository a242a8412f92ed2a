//! Tokens of one statement.
//!
//! Spelling follows GNU as for MIPS (what libdragon ucode is written for): symbols may contain
//! `.` and `$`; registers start with `$`; numbers are decimal, `0x` hex, `0b` binary, leading-0
//! octal (as GNU as reads them) or `'c'` characters; `1f`/`1b` refer to numeric local labels;
//! `#` and `//` start a comment.

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A symbol, mnemonic, directive (`.align`) or `.` (the current address).
    Ident(String),
    /// `$` followed by a name or number: `$t0`, `$8`, `$v01.e3`.
    Reg(String),
    Int(i64),
    /// `1f` (forward) / `1b` (backward) numeric local label reference.
    LocalRef {
        label: u32,
        forward: bool,
    },
    Str(Vec<u8>),
    /// `%lo` / `%hi`.
    Func(String),
    Punct(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Byte offsets in the line text.
    pub start: usize,
    pub end: usize,
}

/// A lexing error at byte `start..end` of the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LexError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

const PUNCTS: [&str; 25] = [
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", ",", "(", ")", ":", "=", "+", "-", "*", "/", "%", "&", "|", "^",
    "~", "!", "<", ">",
];

pub(crate) fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'.'
}

pub(crate) fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'$'
}

/// Byte offset where a `#` or `//` comment starts in `text[..end]` (strings and character
/// literals are skipped), or `end`.
pub(crate) fn comment_start(text: &str, end: usize) -> usize {
    let b = text.as_bytes();
    let end = end.min(b.len());
    let mut i = 0;
    while i < end {
        match b[i] {
            b'"' => i = skip_quoted(b, i, end, b'"'),
            b'\'' => i = skip_quoted(b, i, end, b'\''),
            b'#' => return i,
            b'/' if b.get(i + 1) == Some(&b'/') => return i,
            _ => i += 1,
        }
    }
    end
}

/// Index just past a quoted run starting at `i` (or `end` if unterminated).
pub(crate) fn skip_quoted(b: &[u8], i: usize, end: usize, quote: u8) -> usize {
    let mut j = i + 1;
    while j < end {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == quote {
            return j + 1;
        }
        j += 1;
    }
    end
}

/// Tokenizes `text[start..end]` up to a comment.
pub(crate) fn lex(text: &str, start: usize, end: usize) -> Result<Vec<Token>, LexError> {
    let b = text.as_bytes();
    let end = end.min(b.len());
    let mut out = Vec::new();
    let mut i = start.min(end);
    while i < end {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) {
            break;
        }
        let s = i;
        let tok = if is_ident_start(c) {
            while i < end && is_ident_char(b[i]) {
                i += 1;
            }
            Tok::Ident(text[s..i].to_string())
        } else if c == b'$' {
            i += 1;
            while i < end && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            if i == s + 1 {
                return Err(LexError {
                    start: s,
                    end: s + 1,
                    message: "`$` must be followed by a register name".into(),
                });
            }
            Tok::Reg(text[s..i].to_string())
        } else if c.is_ascii_digit() {
            while i < end && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let run = &text[s..i];
            // `0q`, `1h`: the quarter/half selectors of libdragon's `e(...)` element syntax.
            if run.len() == 2 && matches!(run.as_bytes()[1], b'q' | b'h') {
                Tok::Ident(run.to_string())
            } else {
                number(run).map_err(|message| LexError { start: s, end: i, message })?
            }
        } else if c == b'"' {
            let close = skip_quoted(b, i, end, b'"');
            if close > end || b.get(close - 1) != Some(&b'"') || close == i + 1 {
                return Err(LexError { start: s, end, message: "unterminated string".into() });
            }
            i = close;
            Tok::Str(unescape(&b[s + 1..close - 1]).map_err(|m| LexError { start: s, end: close, message: m })?)
        } else if c == b'\'' {
            let close = skip_quoted(b, i, end, b'\'');
            if close > end || close < i + 3 || b.get(close - 1) != Some(&b'\'') {
                return Err(LexError { start: s, end: close.max(s + 1), message: "bad character literal".into() });
            }
            let bytes = unescape(&b[s + 1..close - 1]).map_err(|m| LexError { start: s, end: close, message: m })?;
            if bytes.len() != 1 {
                return Err(LexError {
                    start: s,
                    end: close,
                    message: "a character literal holds one character".into(),
                });
            }
            i = close;
            Tok::Int(bytes[0] as i64)
        } else if c == b'%' && i + 1 < end && b[i + 1].is_ascii_alphabetic() {
            i += 1;
            while i < end && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            Tok::Func(text[s + 1..i].to_string())
        } else if let Some(p) = PUNCTS.iter().find(|p| b[i..end].starts_with(p.as_bytes())) {
            i += p.len();
            Tok::Punct(p)
        } else {
            let ch_len = text[i..].chars().next().map(|ch| ch.len_utf8()).unwrap_or(1);
            let shown = &text[i..(i + ch_len).min(text.len())];
            return Err(LexError { start: s, end: s + ch_len, message: format!("unexpected character `{shown}`") });
        };
        out.push(Token { tok, start: s, end: i });
    }
    Ok(out)
}

/// Parses a number token (the whole alphanumeric run starting with a digit).
fn number(s: &str) -> Result<Tok, String> {
    let bad = || format!("invalid number `{s}`");
    let bytes = s.as_bytes();
    // `1f` / `1b`: numeric local label references (decimal digits then one letter).
    if let Some((&last, digits)) = bytes.split_last() {
        if (last == b'f' || last == b'b') && !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
            // `0b` with no digits after it would otherwise be an empty binary number.
            let label = s[..s.len() - 1].parse::<u32>().map_err(|_| bad())?;
            return Ok(Tok::LocalRef { label, forward: last == b'f' });
        }
    }
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if let Some(bin) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, bin)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() {
        return Err(bad());
    }
    u64::from_str_radix(&digits, radix).map(|v| Tok::Int(v as i64)).map_err(|_| bad())
}

/// C-style escapes in string and character literals.
fn unescape(b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let Some(&c) = b.get(i + 1) else {
            return Err("a `\\` escape is cut off".into());
        };
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                let mut n = 1;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    return Err("`\\x` needs hex digits".into());
                }
                out.push(v as u8);
            }
            b'\\' | b'"' | b'\'' => out.push(c),
            _ => return Err(format!("unknown escape `\\{}`", c as char)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s, 0, s.len()).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_follow_gnu_as() {
        assert_eq!(toks("10 0x10 010 0b101 'A'"), [Tok::Int(10), Tok::Int(16), Tok::Int(8), Tok::Int(5), Tok::Int(65)]);
        assert_eq!(
            toks("1f 2b"),
            [Tok::LocalRef { label: 1, forward: true }, Tok::LocalRef { label: 2, forward: false }]
        );
        assert!(lex("09", 0, 2).is_err());
    }

    #[test]
    fn registers_symbols_and_comments() {
        assert_eq!(
            toks("lqv $v01.e2, %lo(x.y)($t0) # c"),
            [
                Tok::Ident("lqv".into()),
                Tok::Reg("$v01.e2".into()),
                Tok::Punct(","),
                Tok::Func("lo".into()),
                Tok::Punct("("),
                Tok::Ident("x.y".into()),
                Tok::Punct(")"),
                Tok::Punct("("),
                Tok::Reg("$t0".into()),
                Tok::Punct(")"),
            ]
        );
        assert_eq!(toks("a << 2 // x"), [Tok::Ident("a".into()), Tok::Punct("<<"), Tok::Int(2)]);
        assert_eq!(comment_start("x \"#\" # y", 9), 6);
    }
}
