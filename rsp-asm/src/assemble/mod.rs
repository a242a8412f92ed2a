//! The passes: lay the statements out until every address is stable, then encode.
//!
//! Each pass walks all statements in order. Symbols defined further down (forward references)
//! take their value from the previous pass; the first pass uses 0 for them. A pass that
//! reproduces the previous layout exactly ends the iteration, and one more pass, the final one,
//! encodes and reports errors. Instruction sizes only grow between passes (a `li` that needed
//! two words once keeps two), so the iteration settles.
//!
//! Memory map: resident text at IMEM 0 (`.text` subsections in number order), then the overlay
//! region (every `.overlay` section starts at the same 8-aligned address after the resident
//! text); `.data` subsections at DMEM 0, then `.bss`.

use std::collections::{HashMap, HashSet};

use rsp_isa::Instr;

use crate::diag::{Diagnostic, Errors};
use crate::directive;
use crate::expr::{self, ExprError, Region, Scope, Value};
use crate::instr::{self, InstrEnv};
use crate::parse::{self, Body, LabelName, Stmt};
use crate::preprocess::{Line, Preprocessed};
use crate::ucode::{ListingEntry, Overlay, Symbol, SymbolKind, Ucode, DMEM_SIZE, IMEM_SIZE};

mod output;

use output::{build_ucode, check_sizes, sort_in_source_order};

const MAX_PASSES: usize = 24;
/// No section may grow past this, whatever the input says (`.space 1000000000`): far more than
/// the 4 KB memories, small enough to allocate.
pub(crate) const MAX_SECTION_BYTES: u32 = 0x10000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SectionKey {
    Text(u32),
    Overlay(String),
    Data(u32),
    Bss(u32),
    /// `.section .text.NAME` / `.data.NAME` (also `.rodata.NAME`) / `.bss.NAME`: placed after
    /// `.text`/`.data`/`.bss` in the order they first appear, and dropped unless something
    /// kept refers to one of their labels (GNU ld `--gc-sections` with libdragon's rsp.ld,
    /// which keeps `.text`, `.data`, `.bss` and `.bssovlN` and collects `.text.*` etc.).
    /// The string is the full section name.
    TextNamed(String),
    DataNamed(String),
    BssNamed(String),
    /// `.section .bssovlN[.NAME]` (N = 1..3): rsp.ld's OVERLAY, BSS that starts at the same
    /// address as `.bss` (buffers that are never live together).
    BssOverlay(u32, String),
}

impl SectionKey {
    pub fn is_code(&self) -> bool {
        matches!(self, SectionKey::Text(_) | SectionKey::Overlay(_) | SectionKey::TextNamed(_))
    }

    /// BSS that may hold only zeros. `.bssovlN` is no BSS to GNU as (only `.bss` and
    /// `.bss.NAME` are NOBITS by name), so it takes any data; rsp.ld places it outside the
    /// data image, so its contents never reach DMEM (as with GNU).
    pub fn is_zero_only(&self) -> bool {
        matches!(self, SectionKey::Bss(_) | SectionKey::BssNamed(_))
    }

    /// Sections the linker keeps whether or not anything refers to them.
    fn always_kept(&self) -> bool {
        !matches!(self, SectionKey::TextNamed(_) | SectionKey::DataNamed(_) | SectionKey::BssNamed(_))
    }

    /// The name diagnostics use.
    pub fn display(&self) -> String {
        match self {
            SectionKey::Text(0) => ".text".to_string(),
            SectionKey::Text(n) => format!(".text {n}"),
            SectionKey::Overlay(n) => format!(".overlay {n}"),
            SectionKey::Data(0) => ".data".to_string(),
            SectionKey::Data(n) => format!(".data {n}"),
            SectionKey::Bss(0) => ".bss".to_string(),
            SectionKey::Bss(n) => format!(".bss {n}"),
            SectionKey::TextNamed(n)
            | SectionKey::DataNamed(n)
            | SectionKey::BssNamed(n)
            | SectionKey::BssOverlay(_, n) => n.clone(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Section {
    pub size: u32,
    pub align: u32,
    pub bytes: Vec<u8>,
}

/// Where everything landed in one pass.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Layout {
    pub keys: Vec<SectionKey>,
    pub bases: Vec<u32>,
    pub labels: HashMap<String, (usize, u32)>,
    pub consts: HashMap<String, Value>,
    /// Numeric local labels: (label, statement index, section, offset).
    pub locals: Vec<(u32, usize, usize, u32)>,
    /// Bytes emitted by each statement.
    pub sizes: Vec<u32>,
    /// The addresses IMEM and DMEM offset 0 have (see [`AddressMap`]).
    pub origins: Origins,
    /// Per section: kept by the linker's garbage collection (see `SectionKey::TextNamed`).
    pub kept: Vec<bool>,
    /// End of the DMEM initialised data (libdragon's `_data_end`).
    pub data_end: u32,
}

/// Addresses of IMEM and DMEM offset 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Origins {
    pub imem: u32,
    pub dmem: u32,
}

impl Origins {
    pub fn of(map: AddressMap) -> Origins {
        match map {
            AddressMap::Rspnn => Origins { imem: 0, dmem: 0 },
            AddressMap::Libdragon { text_origin, data_origin } => Origins { imem: text_origin, dmem: data_origin },
        }
    }

    pub fn of_region(&self, r: Region) -> u32 {
        match r {
            Region::Dmem => self.dmem,
            Region::Imem(_) => self.imem,
        }
    }
}

/// How the images are linked: where IMEM and DMEM offset 0 are in the address space labels
/// resolve in, and how sections end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AddressMap {
    /// rspnn's own: IMEM and DMEM labels are their offsets (0x000..0xfff); the images end
    /// where the code and data end; `.overlay` sections (padded to 8 bytes, the RSP's DMA
    /// granularity).
    #[default]
    Rspnn,
    /// As libdragon links ucode (GNU as for `mips-linux-gnu`, then `ld -T rsp.ld`): text labels
    /// at `text_origin` + offset, data labels at `data_origin` + offset (rsp.ld's `ram_text`
    /// and `ram_data` ORIGINs, so `jal` fields, `.word label` and `%hi` come out as GNU's),
    /// `.text`/`.data` padded to 16 bytes (GNU as pads ELF sections to their 16-byte
    /// alignment: NOPs in code, zeros in data), named sections and `.bssovlN` as rsp.ld places
    /// them. [`AddressMap::LIBDRAGON`] has today's origins.
    Libdragon { text_origin: u32, data_origin: u32 },
}

impl AddressMap {
    /// libdragon's rsp.ld since 2023 (`ram_data : ORIGIN = 0xA4000000`, `ram_text : ORIGIN =
    /// 0xA4001000`: the VR4300's uncached view of DMEM and IMEM; the RSP itself uses only the
    /// low 12 bits of an address). Older rsp.ld files had `ram_text` at 0.
    pub const LIBDRAGON: AddressMap = AddressMap::Libdragon { text_origin: 0xA400_1000, data_origin: 0xA400_0000 };

    pub(crate) fn is_libdragon(self) -> bool {
        matches!(self, AddressMap::Libdragon { .. })
    }
}

impl Layout {
    pub fn region(&self, sec: usize) -> Region {
        region_of(&self.keys, sec)
    }

    pub fn abs(&self, sec: usize, off: u32) -> Value {
        let base = self.bases.get(sec).copied().unwrap_or(0);
        let region = self.region(sec);
        Value { n: self.origins.of_region(region) as i64 + base as i64 + off as i64, region: Some(region) }
    }
}

fn region_of(keys: &[SectionKey], sec: usize) -> Region {
    match keys.get(sec) {
        Some(SectionKey::Overlay(_)) => {
            let ordinal = keys[..sec].iter().filter(|k| matches!(k, SectionKey::Overlay(_))).count();
            Region::Imem(Some(ordinal))
        }
        Some(k) if !k.is_code() => Region::Dmem,
        _ => Region::Imem(None),
    }
}

/// A label defined at the current position with nothing emitted since: alignment padding
/// moves it (as GNU as for MIPS does), so `x: .word 1` after a `.byte` labels the word.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    Named(String),
    Local(usize),
}

pub(crate) struct StructState {
    pub name: String,
    pub offset: u32,
    pub align: u32,
    /// Where `.struct` was written: statement index and the directive's span, for the
    /// "never closed" error.
    pub opened_at: (usize, usize, usize),
}

pub(crate) struct Program {
    pub lines: Vec<Line>,
    pub stmts: Vec<Stmt>,
    pub map: AddressMap,
}

/// One pass over the program.
pub(crate) struct Pass<'p> {
    pub prog: &'p Program,
    pub prev: &'p Layout,
    pub final_pass: bool,
    pub keys: Vec<SectionKey>,
    pub sections: Vec<Section>,
    pub cur: usize,
    pub previous_section: usize,
    pub labels: HashMap<String, (usize, u32)>,
    pub label_stmt: HashMap<String, usize>,
    pub consts: HashMap<String, Value>,
    pub const_stmt: HashMap<String, usize>,
    pub locals: Vec<(u32, usize, usize, u32)>,
    pub sizes: Vec<u32>,
    pub pending: Vec<Pending>,
    pub at_allowed: bool,
    /// `.set push` saves the options (`.set pop` restores them).
    pub option_stack: Vec<bool>,
    pub in_struct: Option<StructState>,
    pub globals: Vec<(String, usize)>,
    pub entry: Option<(Value, usize)>,
    /// (section, offset) of the delay slot after the last branch/jump emitted.
    pub delay_slot_at: Option<(usize, u32)>,
    /// (statement, section, offset, bytes) for the listing.
    pub listing: Vec<(usize, usize, u32, Vec<u8>)>,
    pub stmt_idx: usize,
    pub errors: Vec<Diagnostic>,
    /// (section of a statement, section of a label it refers to): the linker's relocations,
    /// for the garbage collection of named sections.
    pub refs: std::cell::RefCell<HashSet<(usize, usize)>>,
}

/// Names `rsp.inc` defines that authors use as operands (values per RSP-FACTS "Encodings":
/// COP0 registers 0..15, vector control registers 0..2, VSAR accumulator slices 8..10).
fn builtin(name: &str) -> Option<i64> {
    if let Some(r) = rsp_isa::cop0_register_by_name(name) {
        return Some(r as i64);
    }
    if let Some(i) = rsp_isa::VECTOR_CONTROL_NAMES.iter().position(|n| *n == name) {
        return Some(i as i64);
    }
    match name {
        "COP2_ACC_HI" => Some(8),
        "COP2_ACC_MD" => Some(9),
        "COP2_ACC_LO" => Some(10),
        _ => None,
    }
}

impl Scope for Pass<'_> {
    fn symbol(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.consts.get(name) {
            return Some(*v);
        }
        if let Some(&(sec, off)) = self.prev.labels.get(name) {
            if sec != self.cur {
                self.refs.borrow_mut().insert((self.cur, sec));
            }
            return Some(self.prev.abs(sec, off));
        }
        if let Some(v) = self.prev.consts.get(name) {
            return Some(*v);
        }
        if let Some(v) = builtin(name) {
            return Some(Value::plain(v));
        }
        if self.prog.map.is_libdragon() {
            // Symbols libdragon's rsp.ld defines (when the source does not).
            let o = self.prev.origins;
            let text_start = Value { n: o.imem as i64, region: Some(Region::Imem(None)) };
            match name {
                "_start" => return Some(text_start),
                "_data_end" => {
                    return Some(Value { n: o.dmem as i64 + self.prev.data_end as i64, region: Some(Region::Dmem) })
                }
                _ => {}
            }
        }
        if self.prev.kept.get(self.cur) == Some(&false) {
            // A section the linker collects: as with GNU as and ld --gc-sections, a symbol
            // nothing defines is no error there (libdragon's triangle code refers to labels
            // only the ucode that keeps it defines). Its value is unused: the section's bytes
            // are dropped.
            return Some(self.dot());
        }
        // Before the final pass an unknown symbol may be defined later: assume 0 for now.
        (!self.final_pass).then_some(Value::plain(0))
    }

    fn dot(&self) -> Value {
        let base = self.prev.bases.get(self.cur).copied().unwrap_or(0);
        let region = region_of(&self.keys, self.cur);
        let origin = Origins::of(self.prog.map).of_region(region) as i64;
        Value { n: origin + base as i64 + self.sections[self.cur].size as i64, region: Some(region) }
    }

    fn local_label(&self, label: u32, forward: bool) -> Option<Value> {
        let found = if forward {
            self.prev
                .locals
                .iter()
                .find(|(l, s, _, _)| *l == label && *s > self.stmt_idx)
                .map(|&(_, _, sec, off)| (sec, off))
        } else {
            self.locals
                .iter()
                .rev()
                .find(|(l, s, _, _)| *l == label && *s <= self.stmt_idx)
                .map(|&(_, _, sec, off)| (sec, off))
        };
        match found {
            Some((sec, off)) => Some(self.prev.abs(sec, off)),
            None => (!self.final_pass).then_some(Value::plain(0)),
        }
    }
}

struct Env<'a, 'p> {
    pass: &'a Pass<'p>,
    pc: u32,
}

impl InstrEnv for Env<'_, '_> {
    fn eval(&self, e: &expr::Expr) -> Result<Value, ExprError> {
        expr::eval(e, self.pass)
    }
    fn pc(&self) -> u32 {
        self.pc
    }
    fn region(&self) -> Region {
        region_of(&self.pass.keys, self.pass.cur)
    }
    fn imem_origin(&self) -> u32 {
        Origins::of(self.pass.prog.map).imem
    }
    fn at_allowed(&self) -> bool {
        self.pass.at_allowed
    }
}

impl<'p> Pass<'p> {
    fn new(prog: &'p Program, prev: &'p Layout, final_pass: bool) -> Pass<'p> {
        Pass {
            prog,
            prev,
            final_pass,
            keys: vec![SectionKey::Text(0)],
            sections: vec![Section::default()],
            cur: 0,
            previous_section: 0,
            labels: HashMap::new(),
            label_stmt: HashMap::new(),
            consts: HashMap::new(),
            const_stmt: HashMap::new(),
            locals: Vec::new(),
            sizes: Vec::with_capacity(prog.stmts.len()),
            pending: Vec::new(),
            at_allowed: true,
            option_stack: Vec::new(),
            in_struct: None,
            globals: Vec::new(),
            entry: None,
            delay_slot_at: None,
            listing: Vec::new(),
            stmt_idx: 0,
            errors: Vec::new(),
            refs: Default::default(),
        }
    }

    pub fn line(&self) -> &'p Line {
        &self.prog.lines[self.prog.stmts[self.stmt_idx].line]
    }

    /// Records an error (final pass only: earlier passes run on provisional values).
    pub fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        if self.final_pass {
            let d = self.line().error(start, end, message);
            self.errors.push(d);
        }
    }

    pub fn report(&mut self, e: ExprError) {
        self.error(e.start, e.end, e.message);
    }

    pub fn eval(&self, e: &expr::Expr) -> Result<Value, ExprError> {
        expr::eval(e, self)
    }

    pub fn switch_to(&mut self, key: SectionKey) {
        let idx = match self.keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                self.keys.push(key);
                self.sections.push(Section::default());
                self.keys.len() - 1
            }
        };
        if idx != self.cur {
            self.previous_section = self.cur;
            self.cur = idx;
        }
        self.pending.clear();
        self.delay_slot_at = None;
    }

    pub fn cur_key(&self) -> &SectionKey {
        &self.keys[self.cur]
    }

    /// Pads the current section to a multiple of `align` (a power of two), moving pending
    /// labels to the aligned address.
    pub fn align_to(&mut self, align: u32, fill: u8, at: (usize, usize)) {
        self.align_to_moving(align, fill, at, true);
    }

    /// [`Pass::align_to`]; `move_labels` false leaves pending labels where they are (GNU as
    /// for MIPS moves them for `.align` and the implicit alignment of data and instructions,
    /// not for `.balign`/`.p2align`).
    pub fn align_to_moving(&mut self, align: u32, fill: u8, at: (usize, usize), move_labels: bool) {
        let align = align.max(1);
        // Aligned as an address, as GNU as does: a numbered subsection (`.text 1`) follows
        // the one before it unpadded, so its offsets are not aligned by themselves (the base
        // comes from the previous pass; passes repeat until the layout settles).
        let base = self.prev.bases.get(self.cur).copied().unwrap_or(0);
        let sec = &mut self.sections[self.cur];
        sec.align = sec.align.max(align);
        let pad = (align - base.wrapping_add(sec.size) % align) % align;
        if pad == 0 {
            return;
        }
        let size = self.sections[self.cur].size;
        if !self.grow_ok(pad, at) {
            return;
        }
        let new = size + pad;
        let pending = if move_labels { self.pending.as_slice() } else { &[] };
        for p in pending {
            match p {
                Pending::Named(n) => {
                    if let Some(pos) = self.labels.get_mut(n) {
                        pos.1 = new;
                    }
                }
                Pending::Local(i) => {
                    if let Some(l) = self.locals.get_mut(*i) {
                        l.3 = new;
                    }
                }
            }
        }
        let sec = &mut self.sections[self.cur];
        if self.final_pass {
            sec.bytes.resize(new as usize, fill);
        }
        sec.size = new;
        self.delay_slot_at = None;
    }

    fn grow_ok(&mut self, n: u32, at: (usize, usize)) -> bool {
        let size = self.sections[self.cur].size;
        if size.checked_add(n).is_none_or(|s| s > MAX_SECTION_BYTES) {
            self.error(
                at.0,
                at.1,
                format!("section would grow past {MAX_SECTION_BYTES} bytes (IMEM and DMEM hold 4096)"),
            );
            return false;
        }
        true
    }

    /// Appends bytes to the current section (after aligning to `align`).
    pub fn emit(&mut self, bytes: &[u8], align: u32, at: (usize, usize)) {
        self.align_to(align, 0, at);
        if !self.grow_ok(bytes.len() as u32, at) {
            return;
        }
        let off = self.sections[self.cur].size;
        if self.cur_key().is_zero_only() && bytes.iter().any(|b| *b != 0) {
            self.error(at.0, at.1, "`.bss` holds only zeros (use `.space`, or put initialised data in `.data`)");
        }
        let sec = &mut self.sections[self.cur];
        if self.final_pass {
            sec.bytes.extend_from_slice(bytes);
            self.listing.push((self.stmt_idx, self.cur, off, bytes.to_vec()));
        }
        sec.size += bytes.len() as u32;
        self.pending.clear();
        self.delay_slot_at = None;
    }

    /// Appends `n` copies of `fill` (no per-byte listing lines).
    pub fn emit_fill(&mut self, n: u32, fill: u8, at: (usize, usize)) {
        if !self.grow_ok(n, at) {
            return;
        }
        if self.cur_key().is_zero_only() && fill != 0 {
            self.error(at.0, at.1, "`.bss` holds only zeros");
        }
        let off = self.sections[self.cur].size;
        let sec = &mut self.sections[self.cur];
        if self.final_pass {
            sec.bytes.resize((off + n) as usize, fill);
            self.listing.push((self.stmt_idx, self.cur, off, Vec::new()));
        }
        sec.size += n;
        if n > 0 {
            self.pending.clear();
        }
        self.delay_slot_at = None;
    }

    pub fn define_const(&mut self, name: &str, v: Value, at: (usize, usize)) {
        if self.labels.contains_key(name) {
            self.error(at.0, at.1, format!("`{name}` is already a label"));
            return;
        }
        if builtin(name).is_some() {
            self.error(at.0, at.1, format!("`{name}` is a predefined name"));
            return;
        }
        self.consts.insert(name.to_string(), v);
        self.const_stmt.insert(name.to_string(), self.stmt_idx);
    }

    fn define_labels(&mut self, stmt: &Stmt) {
        for l in &stmt.labels {
            if self.in_struct.is_some() {
                self.error(l.start, l.end, "labels are not allowed inside `.struct` (use `.field`)");
                continue;
            }
            let off = self.sections[self.cur].size;
            match &l.name {
                LabelName::Named(n) => {
                    if operand_is_register_name(n) {
                        self.error(l.start, l.end, format!("`{n}` is a register name and cannot be a label"));
                    }
                    if let Some(&first) = self.label_stmt.get(n) {
                        let at = self.prog.lines[self.prog.stmts[first].line].location(0, 0);
                        self.error(
                            l.start,
                            l.end,
                            format!("label `{n}` is already defined at {}:{}", at.file, at.line),
                        );
                        continue;
                    }
                    if self.consts.contains_key(n) || builtin(n).is_some() {
                        self.error(l.start, l.end, format!("`{n}` is already a constant"));
                        continue;
                    }
                    self.labels.insert(n.clone(), (self.cur, off));
                    self.label_stmt.insert(n.clone(), self.stmt_idx);
                    self.pending.push(Pending::Named(n.clone()));
                }
                LabelName::Numeric(k) => {
                    self.locals.push((*k, self.stmt_idx, self.cur, off));
                    self.pending.push(Pending::Local(self.locals.len() - 1));
                }
            }
        }
    }

    fn instruction(&mut self, mnemonic: &str, start: usize, end: usize, operands: &[crate::operand::Operand]) {
        if self.in_struct.is_some() {
            self.error(start, end, "instructions are not allowed inside `.struct`");
            return;
        }
        if !self.cur_key().is_code() {
            self.error(start, end, "instructions belong in `.text` or an `.overlay` (this is DMEM)");
            return;
        }
        let off = self.sections[self.cur].size;
        if off % 4 != 0 {
            self.error(
                start,
                end,
                format!(
                    "instruction at an address that is not a multiple of 4 (offset {off}); add `.align 2` before it"
                ),
            );
        }
        let base = self.prev.bases.get(self.cur).copied().unwrap_or(0);
        let pc = Origins::of(self.prog.map).imem.wrapping_add(base).wrapping_add(off);
        let result = instr::encode(mnemonic, operands, &Env { pass: self, pc }, end);
        let prev_size = self.prev.sizes.get(self.stmt_idx).copied().unwrap_or(0);
        let mut instrs = match result {
            Ok(i) => i,
            Err(e) => {
                self.report(e);
                // Keep the layout of a broken statement stable: one word, or what it had.
                vec![Instr::Shift { op: rsp_isa::ShiftOp::Sll, rd: 0, rt: 0, sa: 0 }; (prev_size / 4).max(1) as usize]
            }
        };
        if let Some((sec, at)) = self.delay_slot_at {
            if sec == self.cur && at == off && instrs.len() > 1 {
                self.error(start, end, format!("`{mnemonic}` expands to {} instructions here, in a branch delay slot: only the first would be in the slot", instrs.len()));
            }
        }
        // Sizes never shrink between passes (see module docs); pad with NOPs if they would.
        while (instrs.len() as u32) * 4 < prev_size {
            instrs.push(Instr::Shift { op: rsp_isa::ShiftOp::Sll, rd: 0, rt: 0, sa: 0 });
        }
        let mut bytes = Vec::with_capacity(instrs.len() * 4);
        for i in &instrs {
            bytes.extend_from_slice(&i.encode().to_be_bytes());
        }
        let last_has_delay = instrs.last().is_some_and(Instr::has_delay_slot);
        self.emit(&bytes, 1, (start, end));
        if last_has_delay {
            self.delay_slot_at = Some((self.cur, self.sections[self.cur].size));
        }
    }

    fn run(&mut self) {
        let prog = self.prog;
        for (i, stmt) in prog.stmts.iter().enumerate() {
            self.stmt_idx = i;
            let before = self.total_size_marker();
            self.define_labels(stmt);
            match &stmt.body {
                Body::Empty | Body::Invalid => {}
                Body::Assign { name, name_start, name_end, value } => match self.eval(value) {
                    Ok(v) => self.define_const(name, v, (*name_start, *name_end)),
                    Err(e) => self.report(e),
                },
                Body::Directive { name, start, end, args } => directive::run(self, name, *start, *end, args),
                Body::Instr { mnemonic, start, end, operands } => self.instruction(mnemonic, *start, *end, operands),
            }
            let after = self.total_size_marker();
            // A statement that switched sections emitted nothing in the one it started in.
            let emitted = if after.0 == before.0 { after.1.saturating_sub(before.1) } else { 0 };
            self.sizes.push(emitted);
        }
        if let Some(s) = &self.in_struct {
            let (stmt, start, end) = s.opened_at;
            let message = format!("`.struct {}` is never closed with `.endstruct`", s.name);
            if self.final_pass {
                let line = &self.prog.lines[self.prog.stmts[stmt].line];
                self.errors.push(line.error(start, end, message));
            }
        }
    }

    /// (current section, its size), to measure what one statement emitted.
    fn total_size_marker(&self) -> (usize, u32) {
        (self.cur, self.sections[self.cur].size)
    }

    /// Which sections the linker keeps: those it always keeps, the one holding `_start`,
    /// and every named section a kept one refers to (transitively).
    fn kept(&self) -> Vec<bool> {
        let mut kept: Vec<bool> = self.keys.iter().map(SectionKey::always_kept).collect();
        if let Some(&(sec, _)) = self.labels.get("_start") {
            kept[sec] = true;
        }
        let refs = self.refs.borrow();
        loop {
            let mut changed = false;
            for &(from, to) in refs.iter() {
                if kept.get(from) == Some(&true) && kept.get(to) == Some(&false) {
                    kept[to] = true;
                    changed = true;
                }
            }
            if !changed {
                return kept;
            }
        }
    }

    /// Section bases from this pass's sizes (see the module docs for the memory map): the
    /// bases (offsets in IMEM/DMEM), the end of resident text, the overlay base, the end of
    /// DMEM use and the end of initialised data. With libdragon's map the sections are laid
    /// out as rsp.ld does: `.text` then the kept `.text.*`; `.data` then the kept `.data.*`
    /// (`_data_end`); at ALIGN(8) `.bss` with the kept `.bss.*`, and every `.bssovlN` at the
    /// same address as `.bss`. GNU as pads `.text`/`.data`/`.bss` to their 16-byte alignment
    /// and a named section to its own alignment (at most 16).
    fn bases(&self) -> (Vec<u32>, u32, u32, u32, u32) {
        let mut bases = vec![0u32; self.keys.len()];
        let kept = self.kept();
        let libdragon = self.prog.map.is_libdragon();
        let align_up = |x: u32, a: u32| x.div_ceil(a.max(1)).saturating_mul(a.max(1));
        let mut order: Vec<usize> = (0..self.keys.len()).filter(|&i| kept[i]).collect();
        order.sort_by_key(|&i| match &self.keys[i] {
            SectionKey::Text(n) => (0, *n, i),
            SectionKey::TextNamed(_) => (1, 0, i),
            SectionKey::Overlay(_) => (2, 0, i),
            SectionKey::Data(n) => (3, *n, i),
            SectionKey::DataNamed(_) => (4, 0, i),
            SectionKey::Bss(n) => (5, *n, i),
            SectionKey::BssNamed(_) => (6, 0, i),
            SectionKey::BssOverlay(n, _) => (7 + *n, 0, i),
        });
        let mut imem = 0u32;
        let mut dmem = 0u32;
        let overlay_align = order
            .iter()
            .filter(|&&i| matches!(self.keys[i], SectionKey::Overlay(_)))
            .map(|&i| self.sections[i].align)
            .max()
            .unwrap_or(1)
            .max(8);
        let mut overlay_base = None;
        // GNU as pads an ELF section to its alignment (at most 16): `.text`, `.data` and
        // `.bss` are 16-aligned, numbered subsections are part of them.
        let pad = |x: u32, a: u32| if libdragon { align_up(x, a.min(16)) } else { x };
        let mut data_end = None;
        let mut bss_start = None;
        let mut bss_overlay = None;
        // The first named section after `.text`/`.data` ends that ELF section (padded).
        let (mut text_closed, mut data_closed) = (false, false);
        for &i in &order {
            let s = &self.sections[i];
            match &self.keys[i] {
                SectionKey::Text(_) => {
                    bases[i] = imem;
                    imem = imem.saturating_add(s.size);
                }
                SectionKey::TextNamed(_) => {
                    if !std::mem::replace(&mut text_closed, true) {
                        imem = pad(imem, 16);
                    }
                    imem = align_up(imem, s.align);
                    bases[i] = imem;
                    imem = pad(imem.saturating_add(s.size), s.align);
                }
                SectionKey::Overlay(_) => {
                    let b = *overlay_base.get_or_insert(align_up(imem, overlay_align));
                    bases[i] = b;
                }
                SectionKey::Data(_) => {
                    bases[i] = dmem;
                    dmem = dmem.saturating_add(s.size);
                }
                SectionKey::DataNamed(_) => {
                    if !std::mem::replace(&mut data_closed, true) {
                        dmem = pad(dmem, 16);
                    }
                    dmem = align_up(dmem, s.align);
                    bases[i] = dmem;
                    dmem = pad(dmem.saturating_add(s.size), s.align);
                }
                SectionKey::Bss(_) | SectionKey::BssNamed(_) => {
                    if bss_start.is_none() {
                        let end = if data_closed { dmem } else { pad(dmem, 16) };
                        data_end = Some(end);
                        // rsp.ld: `. = ALIGN(8)` before the BSS, whose output section has
                        // the 16-byte alignment of `.bss`.
                        dmem = if libdragon { align_up(align_up(end, 8), 16) } else { end };
                        bss_start = Some(dmem);
                    }
                    dmem = align_up(
                        if matches!(self.keys[i], SectionKey::BssNamed(_)) { pad(dmem, 16) } else { dmem },
                        s.align,
                    );
                    bases[i] = dmem;
                    dmem = dmem.saturating_add(s.size);
                }
                SectionKey::BssOverlay(n, _) => {
                    if bss_start.is_none() {
                        let end = if data_closed { dmem } else { pad(dmem, 16) };
                        data_end = Some(end);
                        dmem = if libdragon { align_up(align_up(end, 8), 16) } else { end };
                        bss_start = Some(dmem);
                    }
                    // Each `.bssovlN` starts at `.bss`'s address; its input sections follow
                    // one another.
                    let start = match bss_overlay {
                        Some((m, at)) if m == *n => at,
                        _ => bss_start.unwrap_or(dmem),
                    };
                    let at = align_up(start, s.align);
                    bases[i] = at;
                    let end = at.saturating_add(s.size);
                    bss_overlay = Some((*n, end));
                    // Not counted in DMEM use: rsp.ld does not bound the overlays, and
                    // libdragon's own opus ucode has a 4 KB one past its 0x280 bytes of data
                    // (the RSP wraps DMEM addresses at 4 KB).
                    let _ = end;
                }
            }
        }
        let resident_end = if text_closed { imem } else { pad(imem, 16) };
        let data_end = data_end.unwrap_or(if data_closed { dmem } else { pad(dmem, 16) });
        let dmem_end = dmem.max(data_end);
        (bases, resident_end, overlay_base.unwrap_or(align_up(resident_end, 8)), dmem_end, data_end)
    }

    fn layout(&self) -> Layout {
        Layout {
            keys: self.keys.clone(),
            bases: self.bases().0,
            labels: self.labels.clone(),
            consts: self.consts.clone(),
            locals: self.locals.clone(),
            sizes: self.sizes.clone(),
            origins: Origins::of(self.prog.map),
            kept: self.kept(),
            data_end: self.bases().4,
        }
    }
}

/// `t0`, `zero`, ...: libdragon writes GPRs without `$`, so these cannot be symbols.
fn operand_is_register_name(n: &str) -> bool {
    crate::operand::bare_gpr(n).is_some()
}

/// Runs the passes and builds the [`Ucode`].
pub(crate) fn assemble(pre: Preprocessed, main: &str, map: AddressMap) -> Result<Ucode, Errors> {
    let mut errors = pre.errors;
    let stmts = parse::parse_all(&pre.lines, &mut errors);
    let prog = Program { lines: pre.lines, stmts, map };

    let mut prev = Layout { origins: Origins::of(map), ..Layout::default() };
    let mut settled = false;
    for _ in 0..MAX_PASSES {
        let mut pass = Pass::new(&prog, &prev, false);
        pass.run();
        let layout = pass.layout();
        if layout == prev {
            settled = true;
            break;
        }
        prev = layout;
    }
    let mut fin = Pass::new(&prog, &prev, true);
    fin.run();
    errors.append(&mut fin.errors);
    if !settled {
        errors.push(Diagnostic::global(
            main,
            "addresses do not settle: some symbol's value changes the size of code that defines it",
        ));
    }
    let (bases, resident_end, overlay_base, dmem_end, data_end) = fin.bases();
    check_sizes(&fin, &bases, resident_end, overlay_base, dmem_end, main, &mut errors);
    if !errors.is_empty() {
        sort_in_source_order(&mut errors, &prog.lines);
        return Err(Errors(errors));
    }
    Ok(build_ucode(&fin, &bases, resident_end, overlay_base, data_end, pre.files))
}
