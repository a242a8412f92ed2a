//! `.macro` ... `.endm`: recording definitions and expanding invocations.

use std::rc::Rc;

use super::*;

pub(super) struct MacroParam {
    pub(super) name: String,
    pub(super) default: Option<String>,
    pub(super) required: bool,
    pub(super) vararg: bool,
}

pub(super) struct MacroDef {
    pub(super) name: String,
    pub(super) params: Vec<MacroParam>,
    pub(super) body: Vec<String>,
    pub(super) defined_at: String,
}

pub(super) struct Recording {
    pub(super) def: MacroDef,
    pub(super) depth: u32,
    pub(super) opened_at: Location,
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

/// The first word of a statement after its `label:`s, lowercased.
fn first_word(code: &str) -> Option<String> {
    let mut rest = code.trim_start();
    loop {
        let len = rest.bytes().take_while(|&c| lexer::is_ident_char(c) || c == b'\\').count();
        let word = &rest[..len];
        let after = rest[len..].trim_start();
        if len > 0 && after.starts_with(':') && !after.starts_with(":=") {
            rest = after[1..].trim_start();
            continue;
        }
        return (len > 0).then(|| word.to_ascii_lowercase());
    }
}

/// `"text"` as a whole argument is `text` (escapes kept, as GNU as keeps them).
fn unquote(arg: &str) -> &str {
    let b = arg.as_bytes();
    if b.len() >= 2 && b[0] == b'"' && lexer::skip_quoted(b, 0, b.len(), b'"') == b.len() && b[b.len() - 1] == b'"' {
        &arg[1..arg.len() - 1]
    } else {
        arg
    }
}

/// Macro invocation arguments: separated by commas, or by blanks between two words (GNU as
/// squeezes blanks next to operators first, so `m a b` has two arguments and `m a + b` one).
fn split_macro_args(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let word_end = |c: u8| lexer::is_ident_char(c) || c == b'"' || c == b'\'';
    let word_start = |c: u8| lexer::is_ident_char(c) || c == b'"' || c == b'\'' || c == b'\\';
    let mut out = Vec::new();
    for (s, e) in split_commas(text, start, end) {
        let mut depth = 0i32;
        let mut part_start = s;
        let mut i = s;
        while i < e {
            match b[i] {
                b'"' | b'\'' => {
                    i = lexer::skip_quoted(b, i, e, b[i]);
                    continue;
                }
                b'(' => depth += 1,
                b')' => depth -= 1,
                b' ' | b'\t' if depth <= 0 => {
                    let j = i + b[i..e].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
                    if i > part_start && j < e && word_end(b[i - 1]) && word_start(b[j]) {
                        out.push((part_start, i));
                        part_start = j;
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        out.push((part_start, e));
    }
    out
}

impl Pp<'_> {
    pub(super) fn record(&mut self, line: Line) {
        // The first word after any labels, read as text: a body line need not lex yet
        // (`.macro \\name` before the outer macro's parameters are substituted).
        let code_end = lexer::comment_start(&line.text, line.end);
        let first = first_word(&line.text[line.start.min(code_end)..code_end]);
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

    pub(super) fn begin_macro(&mut self, line: &Line, tokens: &[Token]) {
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
                // `$`-names too: `.macro assert_eq v0, v1` after `<regdef.h>` is `$2, $3`.
                Tok::Ident(p) | Tok::Reg(p) => {
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

    pub(super) fn expand_macro(&mut self, line: &Line, def: &Rc<MacroDef>, args_start: usize) -> Flow {
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
            split_macro_args(&line.text, args_start, line.end)
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
            // GNU as passes a quoted argument without its quotes (`m "a b"` gives `a b`).
            let given = args.get(k).filter(|a| !a.is_empty()).map(|a| unquote(a).to_string());
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
