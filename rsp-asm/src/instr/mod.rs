//! Mnemonic + operands to [`Instr`]s: every RSP instruction, in libdragon's operand forms, and
//! the pseudo-instructions ucode authors use (GNU as expansions, checked against
//! `mips-linux-gnu-as` in the tests).

use rsp_isa::names::ElementStyle;
use rsp_isa::{AluImmOp, AluRegOp, BranchCond, Instr, LoadWidth, ShiftOp, StoreWidth, VMemOp};

use crate::expr::{self, Expr, ExprError, Region, Value};
use crate::operand::{Elem, OpKind, Operand};

mod mnemonics;
mod pseudo;
mod vector;

use mnemonics::not_an_instruction;
pub(crate) use mnemonics::unknown_mnemonic;
use pseudo::pseudo_branch;
use vector::{memory_element, raw_element, vector_memory, vector_op};

/// What encoding needs from the assembler.
pub(crate) trait InstrEnv {
    fn eval(&self, e: &Expr) -> Result<Value, ExprError>;
    /// Absolute address of the first instruction of this statement.
    fn pc(&self) -> u32;
    /// The memory this statement is assembled into.
    fn region(&self) -> Region;
    /// False under `.set noat` (pseudo-instructions may not use `$at`).
    fn at_allowed(&self) -> bool;
    /// The address of IMEM offset 0 (`AddressMap`).
    fn imem_origin(&self) -> u32;
}

type R<T> = Result<T, ExprError>;

const AT: u8 = 1;

fn err<T>(op: &Operand, message: impl Into<String>) -> R<T> {
    Err(ExprError { start: op.start, end: op.end, message: message.into() })
}

fn gpr(op: &Operand) -> R<u8> {
    match &op.kind {
        OpKind::Gpr { n, .. } => Ok(*n),
        OpKind::Vreg { .. } => err(op, "expected a GPR (`$t0`), found a vector register"),
        _ => err(op, "expected a GPR such as `$t0`"),
    }
}

fn vreg_plain(op: &Operand) -> R<u8> {
    match &op.kind {
        OpKind::Vreg { n, elem: None } => Ok(*n),
        OpKind::Vreg { elem: Some(e), .. } => Err(ExprError {
            start: e.start,
            end: e.end,
            message: "no element suffix is allowed on this operand".into(),
        }),
        OpKind::Gpr { .. } => err(op, "expected a vector register (`$v00`..`$v31`), found a GPR"),
        _ => err(op, "expected a vector register (`$v00`..`$v31`)"),
    }
}

fn vreg_elem(op: &Operand) -> R<(u8, Option<Elem>)> {
    match &op.kind {
        OpKind::Vreg { n, elem } => Ok((*n, *elem)),
        OpKind::Gpr { .. } => err(op, "expected a vector register (`$v00`..`$v31`), found a GPR"),
        _ => err(op, "expected a vector register (`$v00`..`$v31`)"),
    }
}

fn is_vreg(op: &Operand) -> bool {
    matches!(op.kind, OpKind::Vreg { .. })
}

fn is_gpr(op: &Operand) -> bool {
    matches!(op.kind, OpKind::Gpr { .. })
}

fn value(env: &dyn InstrEnv, op: &Operand) -> R<(Value, bool)> {
    match &op.kind {
        OpKind::Expr(e) => Ok((env.eval(e)?, expr::is_lo(e))),
        OpKind::Gpr { .. } | OpKind::Vreg { .. } => err(op, "expected a number or symbol, found a register"),
        OpKind::Mem { .. } => err(op, "expected a number or symbol, found an address `off(base)`"),
        OpKind::ElemFn(_) => err(op, "`e(...)` is only an element operand"),
    }
}

fn number_in(env: &dyn InstrEnv, op: &Operand, lo: i64, hi: i64, what: &str) -> R<i64> {
    let (v, _) = value(env, op)?;
    if v.n < lo || v.n > hi {
        return err(op, format!("{what} {} is out of range ({lo}..{hi})", v.n));
    }
    Ok(v.n)
}

/// A 16-bit immediate: signed fields take -32768..32767, unsigned 0..65535; `%lo(x)` is a
/// 16-bit pattern either accepts (as with GNU as).
fn imm16(env: &dyn InstrEnv, op: &Operand, signed: bool) -> R<u16> {
    let (v, lo) = value(env, op)?;
    if v.region.is_some() {
        // A label (an address GNU as leaves to the linker): the instruction takes its low 16
        // bits, as GNU as's R_MIPS_LO16 does (`addiu t0, t0, label`, `ori t0, zero, label`).
        return Ok(v.n as u16);
    }
    // GNU as takes a sign-extended immediate written as its 16-bit pattern too (`addiu t0, t1,
    // 65500` is -36; tiny3d's RSPL output writes them so).
    let ok = if lo {
        (0..=0xffff).contains(&v.n)
    } else if signed {
        (-0x8000..=0xffff).contains(&v.n)
    } else {
        (0..=0xffff).contains(&v.n)
    };
    if !ok {
        let range = if signed { "-32768..65535" } else { "0..65535" };
        return err(op, format!("immediate {} does not fit ({range})", v.n));
    }
    Ok(v.n as u16)
}

fn fits_signed16(v: i64) -> bool {
    (-0x8000..=0x7fff).contains(&v)
}

fn fits_unsigned16(v: i64) -> bool {
    (0..=0xffff).contains(&v)
}

fn count(ops: &[Operand], allowed: &[usize], mnemonic: &str, usage: &str, at: usize) -> R<()> {
    if allowed.contains(&ops.len()) {
        return Ok(());
    }
    let (start, end) = match (ops.first(), ops.last()) {
        (Some(f), Some(l)) => (f.start, l.end),
        _ => (at, at + 1),
    };
    Err(ExprError { start, end, message: format!("`{mnemonic}` takes {usage}") })
}

/// GNU as's `li`: one instruction when the value fits 16 bits, else `lui` (+ `ori`).
fn load_immediate(rt: u8, v: i64) -> Vec<Instr> {
    if fits_signed16(v) {
        return vec![Instr::AluImm { op: AluImmOp::Addiu, rt, rs: 0, imm: v as u16 }];
    }
    if fits_unsigned16(v) {
        return vec![Instr::AluImm { op: AluImmOp::Ori, rt, rs: 0, imm: v as u16 }];
    }
    let hi = (v as u32 >> 16) as u16;
    let lo = v as u16;
    let mut out = vec![Instr::Lui { rt, imm: hi }];
    if lo != 0 {
        out.push(Instr::AluImm { op: AluImmOp::Ori, rt, rs: rt, imm: lo });
    }
    out
}

/// `li`/`la rt, value` as GNU as expands them. A constant: `addiu`/`ori`/`lui[+ori]`
/// ([`load_immediate`]). A label (whose value GNU as leaves to the linker): `li` is one
/// `addiu rt, $zero, %lo(label)` (the low 16 bits, all the RSP's 12-bit addresses need); `la`
/// is `lui %hi` + `addiu %lo`, shortened to one `addiu` where the address fits 16 bits signed
/// (always so with rspnn's own map, never with libdragon's 0xA400xxxx addresses).
fn load_value(env: &dyn InstrEnv, op: &Operand, rt: u8, la: bool) -> R<Vec<Instr>> {
    let v = li_value(env, op)?;
    let (label, _) = value(env, op)?;
    if label.region.is_none() || (la && fits_signed16(v)) {
        return Ok(load_immediate(rt, v));
    }
    if !la {
        return Ok(vec![Instr::AluImm { op: AluImmOp::Addiu, rt, rs: 0, imm: v as u16 }]);
    }
    let x = v as u32;
    Ok(vec![
        Instr::Lui { rt, imm: (x.wrapping_add(0x8000) >> 16) as u16 },
        Instr::AluImm { op: AluImmOp::Addiu, rt, rs: rt, imm: x as u16 },
    ])
}

fn need_at(env: &dyn InstrEnv, op: &Operand, mnemonic: &str) -> R<()> {
    if env.at_allowed() {
        Ok(())
    } else {
        err(op, format!("`{mnemonic}` with this operand needs `$at`, but `.set noat` is in effect"))
    }
}

/// A constant for `li` and the other macros that load a register: anything that fits 32 bits
/// (signed or unsigned), returned sign-extended from 32 bits, since the registers are 32-bit
/// (GNU as: `li $t0, 0xffff8000` is `addiu $t0, $zero, -32768`).
fn li_value(env: &dyn InstrEnv, op: &Operand) -> R<i64> {
    let (v, _) = value(env, op)?;
    if !(-0x8000_0000..=0xffff_ffff).contains(&v.n) {
        return err(op, format!("value {} does not fit 32 bits", v.n));
    }
    Ok(v.n as u32 as i32 as i64)
}

/// A branch's 16-bit offset to the target in `op`.
fn branch_offset(env: &dyn InstrEnv, op: &Operand, pc: u32) -> R<i16> {
    let (v, _) = value(env, op)?;
    check_code_target(env, op, v, "branch")?;
    let delta = v.n.wrapping_sub(pc as i64 + 4);
    if delta % 4 != 0 {
        return err(op, format!("branch target 0x{:x} is not a multiple of 4", v.n));
    }
    let words = delta / 4;
    if !(-0x8000..=0x7fff).contains(&words) {
        return err(op, format!("branch target 0x{:x} is too far ({words} words)", v.n));
    }
    Ok(words as i16)
}

/// Branches and jumps must land in IMEM: not DMEM, not outside the 4 KB of IMEM (the RSP's PC
/// has 12 bits, so a target past the end would silently wrap around to a different
/// instruction), and not in another overlay (which occupies the same IMEM addresses and is not
/// loaded while this code runs).
fn check_code_target(env: &dyn InstrEnv, op: &Operand, v: Value, what: &str) -> R<()> {
    let origin = env.imem_origin() as i64;
    if !(origin..origin + crate::ucode::IMEM_SIZE as i64).contains(&v.n) {
        let shown = if v.n < 0 { format!("-0x{:x}", v.n.unsigned_abs()) } else { format!("0x{:x}", v.n) };
        let last = origin + crate::ucode::IMEM_SIZE as i64 - 1;
        return err(op, format!("{what} target {shown} is outside IMEM (0x{origin:03x}..0x{last:03x})"));
    }
    match (v.region, env.region()) {
        (Some(Region::Dmem), _) => err(op, format!("{what} target is a DMEM label")),
        (Some(Region::Imem(Some(a))), Region::Imem(Some(b))) if a != b => {
            err(op, format!("{what} into another overlay (both occupy the same IMEM; only one is loaded)"))
        }
        _ => Ok(()),
    }
}

fn alu_reg_op(m: &str) -> Option<AluRegOp> {
    AluRegOp::ALL.iter().copied().find(|o| o.mnemonic() == m)
}

fn alu_imm_op(m: &str) -> Option<AluImmOp> {
    AluImmOp::ALL.iter().copied().find(|o| o.mnemonic() == m)
}

/// The immediate form GNU as uses for `add $t0, $t1, 4` and friends, with the immediate's
/// sign (SUB/SUBU add the negated value).
fn immediate_form(op: AluRegOp) -> Option<(AluImmOp, bool)> {
    Some(match op {
        AluRegOp::Add => (AluImmOp::Addi, false),
        AluRegOp::Addu => (AluImmOp::Addiu, false),
        AluRegOp::Sub => (AluImmOp::Addi, true),
        AluRegOp::Subu => (AluImmOp::Addiu, true),
        AluRegOp::And => (AluImmOp::Andi, false),
        AluRegOp::Or => (AluImmOp::Ori, false),
        AluRegOp::Xor => (AluImmOp::Xori, false),
        AluRegOp::Slt => (AluImmOp::Slti, false),
        AluRegOp::Sltu => (AluImmOp::Sltiu, false),
        AluRegOp::Nor => return None,
    })
}

/// Encodes one statement. `mnemonic` is lower case. `at` is the mnemonic's end column (for
/// errors about missing operands).
pub(crate) fn encode(mnemonic: &str, ops: &[Operand], env: &dyn InstrEnv, at: usize) -> R<Vec<Instr>> {
    let m = mnemonic;
    let pc = env.pc();
    let one = |i: Instr| Ok(vec![i]);

    if let Some(op) = ShiftOp::ALL.iter().copied().find(|o| o.mnemonic() == m) {
        count(ops, &[2, 3], m, "`rd, rt, shift` or `rd, shift`", at)?;
        let rd = gpr(&ops[0])?;
        let (rt, amount) = if ops.len() == 3 { (gpr(&ops[1])?, &ops[2]) } else { (rd, &ops[1]) };
        if is_gpr(amount) {
            // GNU as: a register shift amount means the variable form.
            return one(Instr::ShiftVar { op, rd, rt, rs: gpr(amount)? });
        }
        let sa = number_in(env, amount, 0, 31, "shift amount")? as u8;
        return one(Instr::Shift { op, rd, rt, sa });
    }
    if let Some(op) = ShiftOp::ALL.iter().copied().find(|o| o.variable_mnemonic() == m) {
        count(ops, &[2, 3], m, "`rd, rt, rs` or `rd, rs`", at)?;
        let rd = gpr(&ops[0])?;
        let (rt, rs) = if ops.len() == 3 { (gpr(&ops[1])?, gpr(&ops[2])?) } else { (rd, gpr(&ops[1])?) };
        return one(Instr::ShiftVar { op, rd, rt, rs });
    }
    if let Some(op) = alu_reg_op(m) {
        count(ops, &[2, 3], m, "`rd, rs, rt`, `rd, rt`, or an immediate as the last operand", at)?;
        let rd = gpr(&ops[0])?;
        let (rs, last) = if ops.len() == 3 { (gpr(&ops[1])?, &ops[2]) } else { (rd, &ops[1]) };
        if is_gpr(last) {
            return one(Instr::AluReg { op, rd, rs, rt: gpr(last)? });
        }
        // Immediate operand: the I-form when it fits, else `li $at` + the register form.
        let v = li_value(env, last)?;
        if let Some((imm_op, negate)) = immediate_form(op) {
            let iv = if negate { -v } else { v };
            let fits = if imm_op.sign_extends() { fits_signed16(iv) } else { fits_unsigned16(iv) };
            if fits {
                return one(Instr::AluImm { op: imm_op, rt: rd, rs, imm: iv as u16 });
            }
        }
        need_at(env, last, m)?;
        let mut out = load_immediate(AT, v);
        out.push(Instr::AluReg { op, rd, rs, rt: AT });
        return Ok(out);
    }
    if let Some(op) = alu_imm_op(m) {
        count(ops, &[2, 3], m, "`rt, rs, immediate` or `rt, immediate`", at)?;
        let rt = gpr(&ops[0])?;
        let (rs, imm_op) = if ops.len() == 3 { (gpr(&ops[1])?, &ops[2]) } else { (rt, &ops[1]) };
        return one(Instr::AluImm { op, rt, rs, imm: imm16(env, imm_op, op.sign_extends())? });
    }
    if let Some(cond) = BranchCond::ALL.iter().copied().find(|c| c.mnemonic() == m) {
        if cond.compares_two_registers() {
            count(ops, &[3], m, "`rs, rt, target`", at)?;
            let rs = gpr(&ops[0])?;
            if !is_gpr(&ops[1]) {
                // `beq $t0, 5, label`: GNU as loads the constant into $at (0 is $zero).
                let v = li_value(env, &ops[1])?;
                if v == 0 && value(env, &ops[1])?.0.region.is_none() {
                    return one(Instr::Branch { cond, rs, rt: 0, offset: branch_offset(env, &ops[2], pc)? });
                }
                need_at(env, &ops[1], m)?;
                let mut out = load_value(env, &ops[1], AT, false)?;
                let bpc = pc + 4 * out.len() as u32;
                out.push(Instr::Branch { cond, rs, rt: AT, offset: branch_offset(env, &ops[2], bpc)? });
                return Ok(out);
            }
            let rt = gpr(&ops[1])?;
            return one(Instr::Branch { cond, rs, rt, offset: branch_offset(env, &ops[2], pc)? });
        }
        count(ops, &[2], m, "`rs, target`", at)?;
        return one(Instr::Branch { cond, rs: gpr(&ops[0])?, rt: 0, offset: branch_offset(env, &ops[1], pc)? });
    }
    if let Some(width) = LoadWidth::ALL.iter().copied().find(|w| w.mnemonic() == m) {
        count(ops, &[2], m, "`rt, offset(base)`", at)?;
        let rt = gpr(&ops[0])?;
        let (mut out, base, offset) = memory_operand(env, &ops[1], Some(rt), m)?;
        out.push(Instr::Load { width, rt, base, offset });
        return Ok(out);
    }
    if let Some(width) = StoreWidth::ALL.iter().copied().find(|w| w.mnemonic() == m) {
        count(ops, &[2], m, "`rt, offset(base)`", at)?;
        let rt = gpr(&ops[0])?;
        let (mut out, base, offset) = memory_operand(env, &ops[1], None, m)?;
        out.push(Instr::Store { width, rt, base, offset });
        return Ok(out);
    }
    if let Some((op, is_load)) = VMemOp::from_mnemonic(m) {
        let (vt, e, base, offset) = vector_memory(env, m, op, ops, at)?;
        return one(if is_load {
            Instr::VLoad { op, vt, e, base, offset }
        } else {
            Instr::VStore { op, vt, e, base, offset }
        });
    }
    if let Some(r) = vector_op(env, m, ops, at) {
        return r.map(|i| vec![i]);
    }
    if let Some(r) = pseudo_branch(env, m, ops, at) {
        return r;
    }

    match m {
        "nop" => {
            count(ops, &[0], m, "no operands", at)?;
            one(Instr::Shift { op: ShiftOp::Sll, rd: 0, rt: 0, sa: 0 })
        }
        "lui" => {
            count(ops, &[2], m, "`rt, immediate`", at)?;
            let (v, _) = value(env, &ops[1])?;
            if v.region.is_some() {
                return err(&ops[1], "`lui` of a label: write `%hi(label)` (or `%lo`)");
            }
            one(Instr::Lui { rt: gpr(&ops[0])?, imm: imm16(env, &ops[1], false)? })
        }
        "li" | "la" => {
            count(ops, &[2], m, "`rt, value`", at)?;
            let rt = gpr(&ops[0])?;
            load_value(env, &ops[1], rt, m == "la")
        }
        "move" => {
            count(ops, &[2], m, "`rd, rs`", at)?;
            // GNU as (32-bit): `or rd, rs, $zero`.
            one(Instr::AluReg { op: AluRegOp::Or, rd: gpr(&ops[0])?, rs: gpr(&ops[1])?, rt: 0 })
        }
        "neg" | "negu" => {
            count(ops, &[1, 2], m, "`rd, rs` or `rd`", at)?;
            let rd = gpr(&ops[0])?;
            let rt = if ops.len() == 2 { gpr(&ops[1])? } else { rd };
            let op = if m == "neg" { AluRegOp::Sub } else { AluRegOp::Subu };
            one(Instr::AluReg { op, rd, rs: 0, rt })
        }
        "seq" | "sne" | "sge" | "sgeu" | "sgt" | "sgtu" | "sle" | "sleu" => set_on_condition(env, m, ops, at),
        "not" => {
            count(ops, &[1, 2], m, "`rd, rs` or `rd`", at)?;
            let rd = gpr(&ops[0])?;
            let rs = if ops.len() == 2 { gpr(&ops[1])? } else { rd };
            one(Instr::AluReg { op: AluRegOp::Nor, rd, rs, rt: 0 })
        }
        "j" | "jal" => {
            count(ops, &[1], m, "a target", at)?;
            if is_gpr(&ops[0]) {
                // GNU as accepts `j $reg` / `jal $reg` as JR / JALR.
                let rs = gpr(&ops[0])?;
                return one(if m == "j" { Instr::Jr { rs } } else { Instr::Jalr { rd: 31, rs } });
            }
            let (v, _) = value(env, &ops[0])?;
            check_code_target(env, &ops[0], v, "jump")?;
            if v.n % 4 != 0 {
                return err(&ops[0], format!("jump target 0x{:x} is not a multiple of 4", v.n));
            }
            // The field holds address bits 27..2 (the target is in IMEM, checked above, so in
            // the same 256 MB region as the jump, as MIPS requires).
            one(Instr::Jump { link: m == "jal", target: ((v.n >> 2) & 0x3ff_ffff) as u32 })
        }
        "jr" => {
            count(ops, &[1], m, "`rs`", at)?;
            one(Instr::Jr { rs: gpr(&ops[0])? })
        }
        "jalr" => {
            count(ops, &[1, 2], m, "`rs` or `rd, rs`", at)?;
            if ops.len() == 1 {
                return one(Instr::Jalr { rd: 31, rs: gpr(&ops[0])? });
            }
            one(Instr::Jalr { rd: gpr(&ops[0])?, rs: gpr(&ops[1])? })
        }
        // The generic coprocessor-2 forms GNU as for MIPS I takes (libdragon's rsp.inc builds
        // every vector instruction from them): `cop2 func` (COP2 with the CO bit: bits 24..0
        // are `func`), `lwc2/swc2 rt, offset(base)` (the RSP's vector loads/stores, whose
        // offset field holds the opcode, element and scaled offset). The word must be an RSP
        // instruction.
        "cop2" => {
            count(ops, &[1], m, "a 25-bit function field", at)?;
            let func = number_in(env, &ops[0], 0, (1 << 25) - 1, "cop2 function")? as u32;
            raw_word(&ops[0], 0x12 << 26 | 1 << 25 | func)
        }
        "lwc2" | "swc2" => {
            count(ops, &[2], m, "`rt, offset(base)`", at)?;
            let rt = match &ops[0].kind {
                OpKind::Gpr { n, .. } => *n as u32,
                OpKind::Vreg { n, elem: None } => *n as u32,
                _ => number_in(env, &ops[0], 0, 31, "coprocessor register")? as u32,
            };
            let (mut out, base, off) = memory_operand(env, &ops[1], None, m)?;
            let opcode: u32 = if m == "lwc2" { 0x32 } else { 0x3a };
            out.extend(raw_word(&ops[1], opcode << 26 | (base as u32) << 21 | rt << 16 | off as u16 as u32)?);
            Ok(out)
        }
        "break" => {
            count(ops, &[0, 1, 2], m, "no operands, `code` or `code, code2`", at)?;
            let high = if let Some(o) = ops.first() { number_in(env, o, 0, 1023, "break code")? as u32 } else { 0 };
            let low = if let Some(o) = ops.get(1) { number_in(env, o, 0, 1023, "break code")? as u32 } else { 0 };
            one(Instr::Break { code: high << 10 | low })
        }
        "mfc0" | "mtc0" => {
            count(ops, &[2], m, "`rt, COP0 register` (`COP0_SP_STATUS`, `$4`, ...)", at)?;
            let rt = gpr(&ops[0])?;
            let rd = control_register(env, &ops[1], 31, "COP0 register")?;
            one(if m == "mfc0" { Instr::Mfc0 { rt, rd } } else { Instr::Mtc0 { rt, rd } })
        }
        "cfc2" | "ctc2" => {
            count(ops, &[2], m, "`rt, control register` (`COP2_CTRL_VCO`/`VCC`/`VCE` or `$0`..`$2`)", at)?;
            let rt = gpr(&ops[0])?;
            let rd = control_register(env, &ops[1], 31, "vector control register")?;
            one(if m == "cfc2" { Instr::Cfc2 { rt, rd } } else { Instr::Ctc2 { rt, rd } })
        }
        "mfc2" | "mtc2" => {
            count(ops, &[2, 3], m, "`rt, $vNN.eN` or `rt, $vNN, element`", at)?;
            let rt = gpr(&ops[0])?;
            let (vs, elem) = vreg_elem(&ops[1])?;
            let e = match (elem, ops.get(2)) {
                (Some(_), Some(extra)) => return err(extra, "the element is given twice"),
                (Some(el), None) => memory_element(ElementStyle::Byte, el, m)?,
                (None, Some(raw)) => raw_element(env, raw, ElementStyle::Byte)?,
                (None, None) => 0,
            };
            one(if m == "mfc2" { Instr::Mfc2 { rt, vs, e } } else { Instr::Mtc2 { rt, vs, e } })
        }
        _ => Err(not_an_instruction(m, ops, at)),
    }
}

/// A COP0 or vector control register operand: `$n` (number spelling) or a constant
/// (`COP0_SP_STATUS`, `COP2_CTRL_VCC`, `4`).
fn control_register(env: &dyn InstrEnv, op: &Operand, max: i64, what: &str) -> R<u8> {
    match &op.kind {
        OpKind::Gpr { n, numeric: true } => Ok(*n),
        OpKind::Gpr { numeric: false, .. } => err(
            op,
            format!("expected a {what} (a name such as `COP0_SP_STATUS`/`COP2_CTRL_VCO`, or `$n`), found a GPR name"),
        ),
        _ => Ok(number_in(env, op, 0, max, what)? as u8),
    }
}

/// GNU as's set-on-condition macros (`sne rd, rs, rt|imm` ...), expanded as
/// `mips-linux-gnu-as -march=mips1` expands them (checked case by case: the `$zero` and
/// immediate shortcuts included). `sle`/`sleu` take registers only.
fn set_on_condition(env: &dyn InstrEnv, m: &str, ops: &[Operand], at: usize) -> R<Vec<Instr>> {
    count(ops, &[3], m, "`rd, rs, rt` or `rd, rs, immediate`", at)?;
    let rd = gpr(&ops[0])?;
    let rs = gpr(&ops[1])?;
    let reg = |op, rd, rs, rt| Instr::AluReg { op, rd, rs, rt };
    let imm = |op, rt, rs, imm: i64| Instr::AluImm { op, rt, rs, imm: imm as u16 };
    let unsigned = m.ends_with('u');
    let (slt, slti) = if unsigned { (AluRegOp::Sltu, AluImmOp::Sltiu) } else { (AluRegOp::Slt, AluImmOp::Slti) };
    if is_gpr(&ops[2]) {
        let rt = gpr(&ops[2])?;
        return Ok(match m {
            "seq" if rs == 0 || rt == 0 => vec![imm(AluImmOp::Sltiu, rd, rs.max(rt), 1)],
            "seq" => vec![reg(AluRegOp::Xor, rd, rs, rt), imm(AluImmOp::Sltiu, rd, rd, 1)],
            "sne" if rs == 0 || rt == 0 => vec![reg(AluRegOp::Sltu, rd, 0, rs.max(rt))],
            "sne" => vec![reg(AluRegOp::Xor, rd, rs, rt), reg(AluRegOp::Sltu, rd, 0, rd)],
            "sge" | "sgeu" => vec![reg(slt, rd, rs, rt), imm(AluImmOp::Xori, rd, rd, 1)],
            "sgt" | "sgtu" => vec![reg(slt, rd, rt, rs)],
            _ => vec![reg(slt, rd, rt, rs), imm(AluImmOp::Xori, rd, rd, 1)], // sle, sleu
        });
    }
    let v = li_value(env, &ops[2])?;
    let with_at = |env: &dyn InstrEnv, mut tail: Vec<Instr>| -> R<Vec<Instr>> {
        need_at(env, &ops[2], m)?;
        let mut out = load_immediate(AT, v);
        out.append(&mut tail);
        Ok(out)
    };
    match m {
        "seq" | "sne" => {
            let last = if m == "seq" { imm(AluImmOp::Sltiu, rd, rd, 1) } else { reg(AluRegOp::Sltu, rd, 0, rd) };
            if v == 0 {
                return Ok(vec![if m == "seq" {
                    imm(AluImmOp::Sltiu, rd, rs, 1)
                } else {
                    reg(AluRegOp::Sltu, rd, 0, rs)
                }]);
            }
            if fits_unsigned16(v) {
                return Ok(vec![imm(AluImmOp::Xori, rd, rs, v), last]);
            }
            if fits_signed16(-v) {
                return Ok(vec![imm(AluImmOp::Addiu, rd, rs, -v), last]);
            }
            with_at(env, vec![reg(AluRegOp::Xor, rd, rs, AT), last])
        }
        "sge" | "sgeu" if fits_signed16(v) => Ok(vec![imm(slti, rd, rs, v), imm(AluImmOp::Xori, rd, rd, 1)]),
        "sge" | "sgeu" => with_at(env, vec![reg(slt, rd, rs, AT), imm(AluImmOp::Xori, rd, rd, 1)]),
        "sgt" | "sgtu" => with_at(env, vec![reg(slt, rd, AT, rs)]),
        _ => err(&ops[2], format!("`{m}` with an immediate is not supported (use a register)")),
    }
}

/// A word built field by field (`cop2`, `lwc2`, `swc2`): accepted only if it decodes as an
/// RSP instruction, so a field value the RSP would not execute is an error here.
fn raw_word(op: &Operand, word: u32) -> R<Vec<Instr>> {
    match rsp_isa::decode(word) {
        Ok(i) if i.encode() == word => Ok(vec![i]),
        Ok(_) | Err(_) => err(op, format!("0x{word:08x} is not an RSP instruction")),
    }
}

/// A load/store address: `off(base)`, `(base)`, or an absolute address (base `$zero`). An
/// offset that does not fit 16 bits signed is expanded as GNU as does (`ld_st` macro):
/// `lui tmp, %hi(off)`, `addu tmp, tmp, base` (unless base is `$zero`), then the access with
/// `%lo(off)(tmp)`; `tmp` is the loaded register (`load_rt`) when that is neither `$zero` nor
/// the base, else `$at`. (With libdragon's address map every label is 0xA400xxxx, so
/// `lw t0, label(s0)` takes three instructions there, as with GNU as.)
fn memory_operand(env: &dyn InstrEnv, op: &Operand, load_rt: Option<u8>, m: &str) -> R<(Vec<Instr>, u8, i16)> {
    let (base, e) = match &op.kind {
        OpKind::Mem { offset: None, base } => return Ok((Vec::new(), *base, 0)),
        OpKind::Mem { offset: Some(e), base } => (*base, e),
        OpKind::Expr(e) => (0, e),
        _ => return err(op, "expected an address: `offset(base)`, `(base)` or a constant address"),
    };
    let v = env.eval(e)?;
    if expr::is_lo(e) && fits_unsigned16(v.n) {
        return Ok((Vec::new(), base, v.n as u16 as i16));
    }
    if fits_signed16(v.n) {
        return Ok((Vec::new(), base, v.n as i16));
    }
    if !(-0x8000_0000..=0xffff_ffff).contains(&v.n) {
        return err(op, format!("offset {} does not fit 32 bits", v.n));
    }
    let tmp = load_rt.filter(|&t| t != 0 && t != base).unwrap_or(AT);
    if tmp == AT {
        need_at(env, op, m)?;
    }
    let x = v.n as u32;
    let mut out = vec![Instr::Lui { rt: tmp, imm: (x.wrapping_add(0x8000) >> 16) as u16 }];
    if base != 0 {
        out.push(Instr::AluReg { op: AluRegOp::Addu, rd: tmp, rs: tmp, rt: base });
    }
    Ok((out, tmp, x as u16 as i16))
}
