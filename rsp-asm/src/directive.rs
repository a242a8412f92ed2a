//! Directives that reach the assembler (the preprocessor has handled includes, macros and
//! conditionals): sections, overlays, alignment, data, symbols, options, `.struct`.

use crate::assemble::{Pass, SectionKey, StructState};
use crate::expr::{self, ExprError, Region, Value};
use crate::lexer::{Tok, Token};

type R<T> = Result<T, ExprError>;

fn span(tokens: &[Token], fallback: (usize, usize)) -> (usize, usize) {
    match (tokens.first(), tokens.last()) {
        (Some(f), Some(l)) => (f.start, l.end),
        _ => fallback,
    }
}

fn fail<T>(at: (usize, usize), message: impl Into<String>) -> R<T> {
    Err(ExprError { start: at.0, end: at.1, message: message.into() })
}

struct Args<'a> {
    list: &'a [Vec<Token>],
    dir: (usize, usize),
    name: &'a str,
}

impl Args<'_> {
    /// Number of non-empty arguments (`.text` has zero, `.byte 1, 2` two).
    fn len(&self) -> usize {
        if self.list.len() == 1 && self.list[0].is_empty() {
            0
        } else {
            self.list.len()
        }
    }

    fn span(&self, k: usize) -> (usize, usize) {
        self.list.get(k).map(|t| span(t, (self.dir.1, self.dir.1 + 1))).unwrap_or((self.dir.1, self.dir.1 + 1))
    }

    fn expect(&self, allowed: std::ops::RangeInclusive<usize>, usage: &str) -> R<()> {
        if allowed.contains(&self.len()) {
            Ok(())
        } else {
            fail(self.dir, format!("`{}` takes {usage}", self.name))
        }
    }

    fn value(&self, pass: &Pass, k: usize) -> R<Value> {
        let tokens = self.list.get(k).map(Vec::as_slice).unwrap_or(&[]);
        let e = expr::parse(tokens, self.span(k).0)?;
        pass.eval(&e)
    }

    fn number(&self, pass: &Pass, k: usize, lo: i64, hi: i64, what: &str) -> R<i64> {
        let v = self.value(pass, k)?.n;
        if v < lo || v > hi {
            return fail(self.span(k), format!("{what} {v} is out of range ({lo}..{hi})"));
        }
        Ok(v)
    }

    fn ident(&self, k: usize, what: &str) -> R<String> {
        match self.list.get(k).map(Vec::as_slice) {
            Some([Token { tok: Tok::Ident(s), .. }]) => Ok(s.clone()),
            _ => fail(self.span(k), format!("`{}` needs {what}", self.name)),
        }
    }

    fn string(&self, k: usize) -> R<Vec<u8>> {
        match self.list.get(k).map(Vec::as_slice) {
            Some([Token { tok: Tok::Str(b), .. }]) => Ok(b.clone()),
            _ => fail(self.span(k), format!("`{}` needs a string in double quotes", self.name)),
        }
    }
}

/// Runs one directive; errors go to the pass (reported in the final pass).
pub(crate) fn run(pass: &mut Pass, name: &str, start: usize, end: usize, list: &[Vec<Token>]) {
    let args = Args { list, dir: (start, end), name };
    if let Err(e) = dispatch(pass, name, &args) {
        pass.report(e);
    }
}

fn subsection(pass: &Pass, args: &Args) -> R<u32> {
    args.expect(0..=1, "an optional subsection number")?;
    if args.len() == 0 {
        return Ok(0);
    }
    Ok(args.number(pass, 0, 0, 8191, "subsection")? as u32)
}

fn dispatch(pass: &mut Pass, name: &str, args: &Args) -> R<()> {
    if pass.in_struct.is_some() && !matches!(name, ".field" | ".align" | ".endstruct") {
        return fail(
            args.dir,
            format!("`{name}` is not allowed inside `.struct` (only `.field`, `.align`, `.endstruct`)"),
        );
    }
    match name {
        ".text" => {
            let n = subsection(pass, args)?;
            pass.switch_to(SectionKey::Text(n));
        }
        ".data" | ".rodata" => {
            let n = subsection(pass, args)?;
            pass.switch_to(SectionKey::Data(n));
        }
        ".bss" => {
            let n = subsection(pass, args)?;
            pass.switch_to(SectionKey::Bss(n));
        }
        ".section" => {
            let first = args.list.first().map(Vec::as_slice).unwrap_or(&[]);
            let sec_name = match first {
                [Token { tok: Tok::Ident(s), .. }] => s.clone(),
                [Token { tok: Tok::Str(b), .. }] => String::from_utf8_lossy(b).into_owned(),
                _ => return fail(args.dir, "`.section` needs a name (.text, .data, .rodata or .bss)"),
            };
            let Some(key) = named_section(&sec_name) else {
                return fail(
                    args.span(0),
                    format!(
                        "unknown section `{sec_name}` (rsp-asm has .text, .data, .rodata, .bss, .text.NAME, \
                         .data.NAME, .bss.NAME, .bssovl1..3 and `.overlay NAME`)"
                    ),
                );
            };
            if args.len() > 1 {
                // `.section name, "flags", @type`: the flags would change what the section is.
                return fail(args.span(1), "section flags are not supported (the name sets the kind)");
            }
            pass.switch_to(key);
        }
        ".previous" => {
            let key = pass.keys[pass.previous_section].clone();
            pass.switch_to(key);
        }
        ".overlay" => {
            args.expect(1..=1, "a name: `.overlay NAME`")?;
            let n = args.ident(0, "a name")?;
            pass.switch_to(SectionKey::Overlay(n));
        }
        ".align" | ".p2align" | ".balign" => align(pass, name, args)?,
        ".byte" | ".2byte" | ".half" | ".short" | ".hword" | ".4byte" | ".word" | ".long" | ".int" | ".8byte"
        | ".quad" | ".dword" => {
            let size = match name {
                ".byte" => 1,
                ".2byte" | ".half" | ".short" | ".hword" => 2,
                ".4byte" | ".word" | ".long" | ".int" => 4,
                _ => 8,
            };
            data(pass, args, size)?;
        }
        ".space" | ".skip" => {
            args.expect(1..=2, "`size[, fill]`")?;
            let n = args.number(pass, 0, 0, crate::assemble::MAX_SECTION_BYTES as i64, "size")? as u32;
            let fill = if args.len() == 2 { args.number(pass, 1, -128, 255, "fill byte")? as u8 } else { 0 };
            pass.emit_fill(n, fill, args.dir);
        }
        ".fill" => {
            args.expect(1..=3, "`count[, size[, value]]`")?;
            let count = args.number(pass, 0, 0, crate::assemble::MAX_SECTION_BYTES as i64, "count")? as u32;
            let size = if args.len() >= 2 { args.number(pass, 1, 0, 8, "size")? as u32 } else { 1 };
            let value = if args.len() == 3 { args.value(pass, 2)?.n } else { 0 };
            repeat(pass, args, count, size, value)?;
        }
        ".dcb" | ".dcb.b" | ".dcb.w" | ".dcb.l" | ".ds" | ".ds.b" | ".ds.w" | ".ds.l" => {
            // libdragon's `.dcb.w count[, value]` / `.ds.b count` (GNU as's m68k-style "define
            // constant block" / "define storage": count units of 1, 2 or 4 bytes).
            args.expect(1..=2, "`count[, value]`")?;
            let size = match name {
                ".dcb.b" | ".ds.b" => 1,
                ".dcb.l" | ".ds.l" => 4,
                _ => 2,
            };
            let count = args.number(pass, 0, 0, crate::assemble::MAX_SECTION_BYTES as i64, "count")? as u32;
            let value = if args.len() == 2 { args.value(pass, 1)?.n } else { 0 };
            pass.align_to(size, 0, args.dir);
            repeat(pass, args, count, size, value)?;
        }
        ".ascii" | ".asciz" | ".asciiz" | ".string" => {
            if args.len() == 0 {
                return fail(args.dir, format!("`{name}` needs a string"));
            }
            for k in 0..args.len() {
                let mut bytes = args.string(k)?;
                if name != ".ascii" {
                    bytes.push(0);
                }
                pass.emit(&bytes, 1, args.span(k));
            }
        }
        ".equ" | ".equiv" | ".set" => {
            if name == ".set" && args.len() == 1 {
                return option(pass, args);
            }
            args.expect(2..=2, "`name, value`")?;
            let sym = args.ident(0, "a symbol name")?;
            if name == ".equiv" && (pass.consts.contains_key(&sym) || pass.labels.contains_key(&sym)) {
                return fail(args.span(0), format!("`{sym}` is already defined (`.equiv` does not redefine)"));
            }
            let v = args.value(pass, 1)?;
            pass.define_const(&sym, v, args.span(0));
        }
        ".global" | ".globl" => {
            for k in 0..args.len() {
                let sym = args.ident(k, "symbol names")?;
                pass.globals.push((sym, pass.stmt_idx));
            }
        }
        ".entry" => {
            args.expect(1..=1, "an address: `.entry label`")?;
            let v = args.value(pass, 0)?;
            if !matches!(v.region, Some(Region::Imem(None))) && pass.final_pass {
                return fail(args.span(0), "the entry point must be a label in resident `.text`");
            }
            pass.entry = Some((v, pass.stmt_idx));
        }
        ".struct" => {
            args.expect(1..=1, "a name: `.struct NAME`")?;
            let n = args.ident(0, "a name")?;
            pass.in_struct =
                Some(StructState { name: n, offset: 0, align: 1, opened_at: (pass.stmt_idx, args.dir.0, args.dir.1) });
        }
        ".field" => field(pass, args)?,
        ".endstruct" => {
            let Some(s) = pass.in_struct.take() else {
                return fail(args.dir, "`.endstruct` without `.struct`");
            };
            let size = s.offset.div_ceil(s.align).saturating_mul(s.align);
            pass.define_const(&format!("{}.SIZE", s.name), Value::plain(size as i64), args.dir);
            pass.define_const(&format!("{}.ALIGN", s.name), Value::plain(s.align as i64), args.dir);
        }
        // Debug-info and ELF bookkeeping that GNU as sources carry; nothing to do for a raw image.
        ".func" | ".endfunc" | ".type" | ".size" | ".ent" | ".end" | ".file" | ".loc" | ".frame" | ".mask"
        | ".fmask" | ".ident" | ".local" | ".weak" | ".list" | ".nolist" | ".warning" | ".print" | ".module"
        | ".abicalls" | ".insn" | ".hidden" => {}
        ".if" | ".ifdef" | ".ifndef" | ".else" | ".elseif" | ".endif" | ".macro" | ".endm" | ".include" | ".exitm" => {
            return fail(args.dir, format!("misplaced `{name}`"));
        }
        ".org" | ".rept" | ".irp" | ".irpc" | ".endr" | ".incbin" | ".float" | ".double" => {
            return fail(args.dir, format!("`{name}` is not supported by rsp-asm"));
        }
        _ => return fail(args.dir, format!("unknown directive `{name}`")),
    }
    Ok(())
}

/// `.set noreorder`, `.set at`, ...
fn option(pass: &mut Pass, args: &Args) -> R<()> {
    let opt = args.ident(0, "an option or `name, value`")?;
    match opt.as_str() {
        "noreorder" | "nomacro" | "macro" | "mips1" | "mips2" | "mips3" | "mips32" | "nomips16" | "nomicromips"
        | "volatile" | "novolatile" => {}
        "push" => pass.option_stack.push(pass.at_allowed),
        "pop" => match pass.option_stack.pop() {
            Some(at) => pass.at_allowed = at,
            None => return fail(args.span(0), "`.set pop` without `.set push`"),
        },
        "at" => pass.at_allowed = true,
        "noat" => pass.at_allowed = false,
        "reorder" => {
            return fail(
                args.span(0),
                "rsp-asm never reorders or fills delay slots; `.set reorder` is not supported (write the delay slots)",
            )
        }
        other => return fail(args.span(0), format!("unknown `.set` option `{other}`")),
    }
    Ok(())
}

/// The section `.section NAME` names: the standard ones, GNU ld's `.text.NAME`-style input
/// sections that libdragon's rsp.ld collects, and its `.bssovlN` overlays.
fn named_section(name: &str) -> Option<SectionKey> {
    let overlay = |rest: &str| {
        let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let after = &rest[n.len()..];
        let n: u32 = n.parse().ok().filter(|n| (1..=3).contains(n))?;
        (after.is_empty() || after.starts_with('.')).then_some(n)
    };
    Some(match name {
        ".text" => SectionKey::Text(0),
        ".data" | ".rodata" => SectionKey::Data(0),
        ".bss" => SectionKey::Bss(0),
        _ if name.starts_with(".text.") && name.len() > 6 => SectionKey::TextNamed(name.to_string()),
        _ if name.starts_with(".data.") && name.len() > 6 => SectionKey::DataNamed(name.to_string()),
        _ if name.starts_with(".bss.") && name.len() > 5 => SectionKey::BssNamed(name.to_string()),
        _ => SectionKey::BssOverlay(overlay(name.strip_prefix(".bssovl")?)?, name.to_string()),
    })
}

fn align(pass: &mut Pass, name: &str, args: &Args) -> R<()> {
    args.expect(1..=2, "`amount[, fill]`")?;
    let bytes = if name == ".balign" {
        let b = args.number(pass, 0, 1, 4096, "alignment")?;
        if b & (b - 1) != 0 {
            return fail(args.span(0), format!("alignment {b} is not a power of two"));
        }
        b as u32
    } else {
        // MIPS GNU as: `.align n` aligns to 2^n bytes.
        1u32 << args.number(pass, 0, 0, 12, "alignment exponent")?
    };
    let fill = if args.len() == 2 { args.number(pass, 1, -128, 255, "fill byte")? as u8 } else { 0 };
    if let Some(s) = pass.in_struct.as_mut() {
        s.offset = s.offset.div_ceil(bytes).saturating_mul(bytes);
        s.align = s.align.max(bytes);
        return Ok(());
    }
    pass.align_to_moving(bytes, fill, args.dir, name == ".align");
    Ok(())
}

/// `.byte` / `.half` / `.word` / `.quad` values, big-endian, naturally aligned (GNU as for MIPS
/// aligns them too).
fn data(pass: &mut Pass, args: &Args, size: u32) -> R<()> {
    if args.len() == 0 {
        return fail(args.dir, format!("`{}` needs at least one value", args.name));
    }
    let (lo, hi): (i64, i64) = match size {
        1 => (-0x80, 0xff),
        2 => (-0x8000, 0xffff),
        4 => (-0x8000_0000, 0xffff_ffff),
        _ => (i64::MIN, i64::MAX),
    };
    pass.align_to(size, 0, args.dir);
    let mut bytes = Vec::with_capacity(args.len() * size as usize);
    let mut first_error = None;
    for k in 0..args.len() {
        match args.value(pass, k) {
            Ok(v) if v.n < lo || v.n > hi => {
                first_error.get_or_insert(ExprError {
                    start: args.span(k).0,
                    end: args.span(k).1,
                    message: format!("value {} does not fit {} byte(s)", v.n, size),
                });
            }
            Ok(v) => bytes.extend_from_slice(&v.n.to_be_bytes()[8 - size as usize..]),
            Err(e) => {
                first_error.get_or_insert(e);
                bytes.extend(std::iter::repeat_n(0, size as usize));
            }
        }
        if bytes.len() < (k + 1) * size as usize {
            bytes.resize((k + 1) * size as usize, 0);
        }
    }
    pass.emit(&bytes, size, args.dir);
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn repeat(pass: &mut Pass, args: &Args, count: u32, size: u32, value: i64) -> R<()> {
    let total = count.saturating_mul(size);
    if value == 0 || size == 0 {
        pass.emit_fill(total, 0, args.dir);
        return Ok(());
    }
    if total > crate::assemble::MAX_SECTION_BYTES {
        return fail(args.dir, "too many bytes");
    }
    let unit = &value.to_be_bytes()[8 - size as usize..];
    let bytes: Vec<u8> = unit.iter().copied().cycle().take(total as usize).collect();
    pass.emit(&bytes, 1, args.dir);
    Ok(())
}

/// `.field name, size[, align]` inside `.struct`: defines `Struct.name` = offset. Without an
/// explicit alignment a field of 1, 2, 4, 8 or 16 bytes is aligned to its size (what `repr(C)`
/// does for the matching Rust integer or `[i16; 8]`-style vector types is checked by the
/// author with static_assertions against the exported constants).
fn field(pass: &mut Pass, args: &Args) -> R<()> {
    if pass.in_struct.is_none() {
        return fail(args.dir, "`.field` outside `.struct`");
    }
    args.expect(2..=3, "`name, size[, align]`")?;
    let name = args.ident(0, "a field name")?;
    let size = args.number(pass, 1, 0, 4096, "field size")? as u32;
    let align = if args.len() == 3 {
        let a = args.number(pass, 2, 1, 4096, "field alignment")? as u32;
        if a & (a - 1) != 0 {
            return fail(args.span(2), format!("alignment {a} is not a power of two"));
        }
        a
    } else if matches!(size, 1 | 2 | 4 | 8 | 16) {
        size
    } else {
        1
    };
    let Some(s) = pass.in_struct.as_mut() else {
        return Ok(());
    };
    let offset = s.offset.div_ceil(align).saturating_mul(align);
    s.offset = offset.saturating_add(size);
    s.align = s.align.max(align);
    let full = format!("{}.{}", s.name, name);
    pass.define_const(&full, Value::plain(offset as i64), args.span(0));
    Ok(())
}
