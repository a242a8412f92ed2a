//! Mnemonic + operands to [`Instr`]s: every RSP instruction, in libdragon's operand forms, and
//! the pseudo-instructions ucode authors use (GNU as expansions, checked against
//! `mips-linux-gnu-as` in the tests).

use rsp_isa::names::ElementStyle;
use rsp_isa::{AluImmOp, AluRegOp, BranchCond, Instr, LoadWidth, ShiftOp, StoreWidth, VMemOp, VecOp};

use crate::expr::{self, Expr, ExprError, Region, Value};
use crate::operand::{Elem, OpKind, Operand};

/// What encoding needs from the assembler.
pub(crate) trait InstrEnv {
    fn eval(&self, e: &Expr) -> Result<Value, ExprError>;
    /// Absolute address of the first instruction of this statement.
    fn pc(&self) -> u32;
    /// The memory this statement is assembled into.
    fn region(&self) -> Region;
    /// False under `.set noat` (pseudo-instructions may not use `$at`).
    fn at_allowed(&self) -> bool;
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
    let ok = if lo {
        (0..=0xffff).contains(&v.n)
    } else if signed {
        (-0x8000..=0x7fff).contains(&v.n)
    } else {
        (0..=0xffff).contains(&v.n)
    };
    if !ok {
        let range = if signed { "-32768..32767" } else { "0..65535" };
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

fn need_at(env: &dyn InstrEnv, op: &Operand, mnemonic: &str) -> R<()> {
    if env.at_allowed() {
        Ok(())
    } else {
        err(op, format!("`{mnemonic}` with this operand needs `$at`, but `.set noat` is in effect"))
    }
}

fn li_value(env: &dyn InstrEnv, op: &Operand) -> R<i64> {
    let (v, _) = value(env, op)?;
    if !(-0x8000_0000..=0xffff_ffff).contains(&v.n) {
        return err(op, format!("value {} does not fit 32 bits", v.n));
    }
    Ok(v.n)
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

/// Branches and jumps must land in IMEM: not DMEM, and not in another overlay (which occupies
/// the same IMEM addresses and is not loaded while this code runs).
fn check_code_target(env: &dyn InstrEnv, op: &Operand, v: Value, what: &str) -> R<()> {
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
                if v == 0 {
                    return one(Instr::Branch { cond, rs, rt: 0, offset: branch_offset(env, &ops[2], pc)? });
                }
                need_at(env, &ops[1], m)?;
                let mut out = load_immediate(AT, v);
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
        let (base, offset) = scalar_address(env, &ops[1])?;
        return one(Instr::Load { width, rt: gpr(&ops[0])?, base, offset });
    }
    if let Some(width) = StoreWidth::ALL.iter().copied().find(|w| w.mnemonic() == m) {
        count(ops, &[2], m, "`rt, offset(base)`", at)?;
        let (base, offset) = scalar_address(env, &ops[1])?;
        return one(Instr::Store { width, rt: gpr(&ops[0])?, base, offset });
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
            one(Instr::Lui { rt: gpr(&ops[0])?, imm: imm16(env, &ops[1], false)? })
        }
        "li" | "la" => {
            count(ops, &[2], m, "`rt, value`", at)?;
            let rt = gpr(&ops[0])?;
            Ok(load_immediate(rt, li_value(env, &ops[1])?))
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
            if v.n % 4 != 0 || !(0..1 << 28).contains(&v.n) {
                return err(&ops[0], format!("jump target 0x{:x} must be a multiple of 4 below 2^28", v.n));
            }
            one(Instr::Jump { link: m == "jal", target: (v.n >> 2) as u32 })
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

fn not_an_instruction(m: &str, ops: &[Operand], at: usize) -> ExprError {
    let start = at.saturating_sub(m.len());
    let end = ops.last().map(|o| o.end).unwrap_or(at).max(at);
    let message = unknown_mnemonic(m).unwrap_or_else(|| format!("bad use of `{m}`"));
    ExprError { start, end: end.min(at).max(start + 1), message }
}

/// Why `m` is not an instruction of this assembler, or `None` if it is one.
pub(crate) fn unknown_mnemonic(m: &str) -> Option<String> {
    if all_mnemonics().contains(&m) {
        return None;
    }
    let reason = match m {
        "mult" | "multu" | "div" | "divu" | "mfhi" | "mflo" | "mthi" | "mtlo" => {
            "the RSP has no multiply/divide unit (use the vector unit)"
        }
        "lwl" | "lwr" | "swl" | "swr" => "the RSP has no unaligned-word loads/stores (its lw/sw accept any alignment)",
        "beql" | "bnel" | "blezl" | "bgtzl" | "bltzl" | "bgezl" | "bltzall" | "bgezall" => {
            "the RSP has no branch-likely instructions"
        }
        "syscall" | "sync" | "eret" | "cache" | "ll" | "sc" => "the RSP does not have it",
        "teq" | "tne" | "tge" | "tgeu" | "tlt" | "tltu" | "teqi" | "tnei" | "tgei" | "tgeiu" | "tlti" | "tltiu" => {
            "the RSP has no trap instructions"
        }
        _ if is_mips64_name(m) => "the RSP is a 32-bit MIPS (no 64-bit instructions)",
        _ if m.ends_with("c1") || m.starts_with("bc1") || m.ends_with(".s") || m.ends_with(".d") => {
            "the RSP has no floating-point unit"
        }
        _ => "",
    };
    Some(if reason.is_empty() {
        match suggestion(m) {
            Some(k) => format!("unknown instruction `{m}` (did you mean `{k}`?)"),
            None => format!("unknown instruction `{m}`"),
        }
    } else {
        format!("`{m}` is not an RSP instruction: {reason}")
    })
}

fn is_mips64_name(m: &str) -> bool {
    matches!(
        m,
        "dadd"
            | "daddu"
            | "daddi"
            | "daddiu"
            | "dsub"
            | "dsubu"
            | "dmult"
            | "dmultu"
            | "ddiv"
            | "ddivu"
            | "dsll"
            | "dsrl"
            | "dsra"
            | "dsll32"
            | "dsrl32"
            | "dsra32"
            | "dsllv"
            | "dsrlv"
            | "dsrav"
            | "ld"
            | "sd"
            | "ldl"
            | "ldr"
            | "sdl"
            | "sdr"
            | "lwu"
            | "lld"
            | "scd"
            | "dmfc0"
            | "dmtc0"
            | "dmfc2"
            | "dmtc2"
    )
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

/// `off(base)`, `(base)`, or an absolute address (base `$zero`, GNU as style `lw $t0, %lo(X)`).
fn scalar_address(env: &dyn InstrEnv, op: &Operand) -> R<(u8, i16)> {
    match &op.kind {
        OpKind::Mem { offset: None, base } => Ok((*base, 0)),
        OpKind::Mem { offset: Some(e), base } => {
            let v = env.eval(e)?;
            if expr::is_lo(e) && fits_unsigned16(v.n) {
                return Ok((*base, v.n as u16 as i16));
            }
            if !fits_signed16(v.n) {
                return err(op, format!("offset {} does not fit 16 bits signed", v.n));
            }
            Ok((*base, v.n as i16))
        }
        OpKind::Expr(e) => {
            let v = env.eval(e)?;
            if (expr::is_lo(e) && fits_unsigned16(v.n)) || fits_signed16(v.n) {
                return Ok((0, v.n as u16 as i16));
            }
            err(op, format!("address 0x{:x} does not fit a 16-bit offset from $zero; use a base register", v.n))
        }
        _ => err(op, "expected an address: `offset(base)`, `(base)` or a constant address"),
    }
}

/// A load/store/move element suffix to the raw 4-bit field (libdragon's meanings, see
/// `rsp_isa::names::ElementStyle`).
fn memory_element(style: ElementStyle, el: Elem, m: &str) -> R<u8> {
    let bad = |msg: String| Err(ExprError { start: el.start, end: el.end, message: msg });
    match (el.letter, style) {
        (b'e', ElementStyle::Lane) => Ok(el.n),
        (b'e', _) => Ok(el.n * 2),
        (b'b', ElementStyle::Byte) => Ok(el.n),
        (b'b', _) => bad(format!("`{m}` takes lane elements `.e0`-`.e7` only")),
        _ => bad(format!(
            "`.{}` is a broadcast selector of vector computational ops; `{m}` takes `.e0`-`.e7`{}",
            el.letter as char,
            if style == ElementStyle::Byte { " or `.b0`-`.b15`" } else { "" }
        )),
    }
}

/// A raw element operand: a number 0..15 or `e(N)` in the style of the instruction.
fn raw_element(env: &dyn InstrEnv, op: &Operand, style: ElementStyle) -> R<u8> {
    if let OpKind::ElemFn(x) = &op.kind {
        let lane = x.parse::<u8>().ok().filter(|n| *n < 8);
        return match (lane, style) {
            (Some(n), ElementStyle::Lane) => Ok(n),
            (Some(n), _) => Ok(n * 2),
            (None, _) => err(op, "this instruction takes `e(0)`..`e(7)`"),
        };
    }
    Ok(number_in(env, op, 0, 15, "element")? as u8)
}

/// A computational op's element: suffix, raw number, or `e(x)` with libdragon's `VE_*` values.
fn compute_element(env: &dyn InstrEnv, op: &Operand) -> R<u8> {
    if let OpKind::ElemFn(x) = &op.kind {
        let v = match x.as_str() {
            "v" => Some(0),
            "0q" => Some(2),
            "1q" => Some(3),
            "0h" => Some(4),
            "1h" => Some(5),
            "2h" => Some(6),
            "3h" => Some(7),
            s => s.parse::<u8>().ok().filter(|n| *n < 8).map(|n| n + 8),
        };
        return v.map_or_else(|| err(op, "`e(...)` takes v, 0q, 1q, 0h..3h or 0..7"), Ok);
    }
    Ok(number_in(env, op, 0, 15, "element")? as u8)
}

fn suffix_to_compute(el: Elem) -> u8 {
    match el.letter {
        b'v' => 0,
        b'q' => 2 + el.n,
        b'h' => 4 + el.n,
        b'e' => 8 + el.n,
        _ => 0xff,
    }
}

fn compute_suffix(el: Elem) -> R<u8> {
    if el.letter == b'b' {
        return Err(ExprError {
            start: el.start,
            end: el.end,
            message: "`.bN` is a byte index for loads/stores; computational ops take .v/.qN/.hN/.eN".into(),
        });
    }
    Ok(suffix_to_compute(el))
}

/// `$vt[.el]` + optional separate element operand, for computational ops.
fn vt_and_element(env: &dyn InstrEnv, vt_op: &Operand, elem_op: Option<&Operand>) -> R<(u8, u8)> {
    let (vt, el) = vreg_elem(vt_op)?;
    match (el, elem_op) {
        (Some(_), Some(extra)) => err(extra, "the element is given twice"),
        (Some(el), None) => Ok((vt, compute_suffix(el)?)),
        (None, Some(e)) => Ok((vt, compute_element(env, e)?)),
        (None, None) => Ok((vt, 0)),
    }
}

/// Vector computational ops; `None` if `m` is not one.
fn vector_op(env: &dyn InstrEnv, m: &str, ops: &[Operand], at: usize) -> Option<R<Instr>> {
    let (op, rnd_flag) = match m {
        "vrndp16" => (VecOp::Vrndp, Some(1)),
        "vrndn16" => (VecOp::Vrndn, Some(1)),
        "vrndp" => (VecOp::Vrndp, Some(0)),
        "vrndn" => (VecOp::Vrndn, Some(0)),
        _ => (VecOp::from_mnemonic(m)?, None),
    };
    Some(vector_op_inner(env, m, op, rnd_flag, ops, at))
}

fn vector_op_inner(
    env: &dyn InstrEnv,
    m: &str,
    op: VecOp,
    rnd_flag: Option<u8>,
    ops: &[Operand],
    at: usize,
) -> R<Instr> {
    let v = |vd, vs, vt, e| Ok(Instr::Vector { op, vd, vs, vt, e });
    if op.is_single_lane() {
        return single_lane(env, m, op, ops, at);
    }
    if let Some(flag) = rnd_flag {
        // VRNDP/VRNDN: the vs slot is a flag (libdragon's vrndp16 sets it), not a register.
        count(ops, &[2, 3, 4], m, "`vd, vt[.e]`, `vd, vt, element` or `vd, flag, vt[.e]`", at)?;
        let vd = vreg_plain(&ops[0])?;
        if ops.len() >= 3 && !is_vreg(&ops[1]) {
            if m.ends_with("16") {
                return err(&ops[1], format!("`{m}` already sets the flag; write `{} ...` to give it", &m[..5]));
            }
            let vs = number_in(env, &ops[1], 0, 31, "vs field")? as u8;
            let (vt, e) = vt_and_element(env, &ops[2], ops.get(3))?;
            return v(vd, vs, vt, e);
        }
        count(ops, &[2, 3], m, "`vd, vt[.e]` or `vd, vt, element`", at)?;
        let (vt, e) = vt_and_element(env, &ops[1], ops.get(2))?;
        return v(vd, flag, vt, e);
    }
    match op {
        VecOp::Vsar if ops.len() == 2 && !is_vreg(&ops[1]) => {
            // libdragon: `vsar $vd, COP2_ACC_HI` (vs = vt = 0, e = 8/9/10).
            let vd = vreg_plain(&ops[0])?;
            let e = number_in(
                env,
                &ops[1],
                8,
                10,
                "accumulator slice (COP2_ACC_HI = 8, COP2_ACC_MD = 9, COP2_ACC_LO = 10)",
            )? as u8;
            return v(vd, 0, 0, e);
        }
        VecOp::Vmacq if ops.len() == 1 => return v(vreg_plain(&ops[0])?, 0, 0, 0),
        VecOp::Vnop | VecOp::Vnull if ops.is_empty() => return v(0, 0, 0, 0),
        _ => {}
    }
    count(ops, &[2, 3, 4], m, "`vd, vs, vt[.e]`, `vd, vs, vt, element` or `vd, vt[.e]`", at)?;
    let vd = vreg_plain(&ops[0])?;
    match ops.len() {
        2 => {
            let (vt, e) = vt_and_element(env, &ops[1], None)?;
            v(vd, vd, vt, e)
        }
        3 if !is_vreg(&ops[2]) && !is_gpr(&ops[2]) => {
            // libdragon: `op vd, vt, element` (vs = vd).
            let (vt, e) = vt_and_element(env, &ops[1], Some(&ops[2]))?;
            v(vd, vd, vt, e)
        }
        _ => {
            let vs = vreg_plain(&ops[1])?;
            let (vt, e) = vt_and_element(env, &ops[2], ops.get(3))?;
            v(vd, vs, vt, e)
        }
    }
}

/// VRCP/VRSQ/VMOV and the H/L forms: `vd.eN, vt.eM` or `vd, de, vt, e` (and the mixed forms).
/// The destination element field is written 8 + N for `.eN`, as libdragon and armips do.
fn single_lane(env: &dyn InstrEnv, m: &str, op: VecOp, ops: &[Operand], at: usize) -> R<Instr> {
    count(ops, &[2, 3, 4], m, "`vd.eN, vt.eN` or `vd, de, vt, e`", at)?;
    let lane_suffix = |el: Elem| -> R<u8> {
        if el.letter == b'e' {
            Ok(8 + el.n)
        } else {
            Err(ExprError {
                start: el.start,
                end: el.end,
                message: format!("`{m}` works on one element: use `.e0`-`.e7`"),
            })
        }
    };
    let (vd, vd_el) = vreg_elem(&ops[0])?;
    let (de, rest) = match vd_el {
        Some(el) => (lane_suffix(el)?, &ops[1..]),
        None => {
            let Some(de_op) = ops.get(1) else {
                return err(&ops[0], format!("`{m}` needs the destination element: `{m} $vd.eN, $vt.eN`"));
            };
            if is_vreg(de_op) {
                return err(&ops[0], format!("`{m}` needs the destination element: `{m} $vd.eN, $vt.eN`"));
            }
            let de = if let OpKind::ElemFn(_) = de_op.kind {
                compute_element(env, de_op)?
            } else {
                number_in(env, de_op, 0, 31, "destination element")? as u8
            };
            (de, &ops[2..])
        }
    };
    let Some(vt_op) = rest.first() else {
        return err(&ops[ops.len() - 1], format!("`{m}` needs a source: `{m} $vd.eN, $vt.eN`"));
    };
    let (vt, vt_el) = vreg_elem(vt_op)?;
    let e = match (vt_el, rest.get(1)) {
        (Some(_), Some(extra)) => return err(extra, "the element is given twice"),
        (Some(el), None) => lane_suffix(el)?,
        (None, Some(e)) => compute_element(env, e)?,
        (None, None) => return err(vt_op, format!("`{m}` needs the source element: `$vNN.eN`")),
    };
    if rest.len() > 2 {
        return err(&rest[2], "too many operands");
    }
    Ok(Instr::Vector { op, vd, vs: de, vt, e })
}

/// The 24 vector loads/stores: `vt[.el], off(base)`, `vt[.el], (base)`, `vt[.el], off, base`,
/// `vt, element, off, base`. Offsets are in bytes and must be a multiple of the access size
/// within the signed 7-bit field's reach (RSP-FACTS "Encodings").
fn vector_memory(env: &dyn InstrEnv, m: &str, op: VMemOp, ops: &[Operand], at: usize) -> R<(u8, u8, u8, i8)> {
    count(
        ops,
        &[2, 3, 4],
        m,
        "`$vt[.eN], offset(base)`, `$vt[.eN], offset, base` or `$vt, element, offset, base`",
        at,
    )?;
    let (vt, el) = vreg_elem(&ops[0])?;
    let style = op.element_style();
    let (e, addr_ops) = if ops.len() == 4 {
        if let Some(el) = el {
            return Err(ExprError { start: el.start, end: el.end, message: "the element is given twice".into() });
        }
        (raw_element(env, &ops[1], style)?, &ops[2..])
    } else {
        (el.map(|el| memory_element(style, el, m)).transpose()?.unwrap_or(0), &ops[1..])
    };
    let (base, off_op, offset) = match addr_ops {
        [mem] => match &mem.kind {
            OpKind::Mem { offset, base } => {
                (*base, mem, offset.as_ref().map(|e| env.eval(e)).transpose()?.map(|v| v.n).unwrap_or(0))
            }
            OpKind::Expr(e) => (0, mem, env.eval(e)?.n),
            _ => return err(mem, "expected `offset(base)`"),
        },
        [off, base] => {
            let (v, _) = value(env, off)?;
            (gpr(base)?, off, v.n)
        }
        _ => return err(&ops[0], "bad operands"),
    };
    let scale = op.offset_scale() as i64;
    if offset % scale != 0 {
        return err(off_op, format!("offset {offset} of `{m}` must be a multiple of {scale}"));
    }
    let field = offset / scale;
    if !(-64..=63).contains(&field) {
        return err(off_op, format!("offset {offset} of `{m}` is out of range ({}..{})", -64 * scale, 63 * scale));
    }
    Ok((vt, e, base, field as i8))
}

/// `b`, `bal`, `beqz`, `bnez` and the compare-and-branch macros (`blt`, `bgeu`, ...); `None` if
/// `m` is none of them.
fn pseudo_branch(env: &dyn InstrEnv, m: &str, ops: &[Operand], at: usize) -> Option<R<Vec<Instr>>> {
    let pc = env.pc();
    let r = match m {
        "b" | "bal" => (|| {
            count(ops, &[1], m, "a target", at)?;
            let offset = branch_offset(env, &ops[0], pc)?;
            let cond = if m == "b" { BranchCond::Beq } else { BranchCond::Bgezal };
            Ok(vec![Instr::Branch { cond, rs: 0, rt: 0, offset }])
        })(),
        "beqz" | "bnez" => (|| {
            count(ops, &[2], m, "`rs, target`", at)?;
            let cond = if m == "beqz" { BranchCond::Beq } else { BranchCond::Bne };
            Ok(vec![Instr::Branch { cond, rs: gpr(&ops[0])?, rt: 0, offset: branch_offset(env, &ops[1], pc)? }])
        })(),
        "blt" | "bltu" | "bge" | "bgeu" | "bgt" | "bgtu" | "ble" | "bleu" => (|| {
            count(ops, &[3], m, "`rs, rt, target` or `rs, immediate, target`", at)?;
            compare_branch(env, m, ops)
        })(),
        _ => return None,
    };
    Some(r)
}

/// GNU as's expansion of `blt`/`bge`/`bgt`/`ble` (+`u`): set `$at` with SLT(I)(U), then branch on
/// it against `$zero`.
fn compare_branch(env: &dyn InstrEnv, m: &str, ops: &[Operand]) -> R<Vec<Instr>> {
    let unsigned = m.ends_with('u');
    let rs = gpr(&ops[0])?;
    need_at(env, &ops[1], m)?;
    let (slt, slti) = if unsigned { (AluRegOp::Sltu, AluImmOp::Sltiu) } else { (AluRegOp::Slt, AluImmOp::Slti) };
    // lt: $at = rs < x, branch if set; ge: same, branch if clear;
    // gt: $at = x < rs, branch if set; le: same, branch if clear.
    let (swap, branch_if_set) = match &m[1..3] {
        "lt" => (false, true),
        "ge" => (false, false),
        "gt" => (true, true),
        _ => (true, false),
    };
    if let Some(short) = compare_branch_shortcut(env, m, ops, rs)? {
        return Ok(short);
    }
    let mut out = Vec::new();
    let mut cond = if branch_if_set { BranchCond::Bne } else { BranchCond::Beq };
    if is_gpr(&ops[1]) {
        let rt = gpr(&ops[1])?;
        let (a, b) = if swap { (rt, rs) } else { (rs, rt) };
        out.push(Instr::AluReg { op: slt, rd: AT, rs: a, rt: b });
    } else {
        // The registers are 32-bit: take the constant as a 32-bit pattern, sign-extended the
        // way SLTI/SLTIU extend their immediate (GNU as uses SLTIU for 0xffffffff as -1).
        let v = li_value(env, &ops[1])? as u32 as i32 as i64;
        let next = if unsigned {
            (v as u32).checked_add(1).map(|x| x as i32 as i64)
        } else {
            v.checked_add(1).filter(|x| *x <= i32::MAX as i64)
        };
        match (swap, next) {
            (true, Some(imm)) => {
                // GNU as: rs > v  <=>  !(rs < v + 1), and rs <= v  <=>  rs < v + 1.
                if fits_signed16(imm) {
                    out.push(Instr::AluImm { op: slti, rt: AT, rs, imm: imm as u16 });
                } else {
                    out.extend(load_immediate(AT, imm));
                    out.push(Instr::AluReg { op: slt, rd: AT, rs, rt: AT });
                }
                cond = if branch_if_set { BranchCond::Beq } else { BranchCond::Bne };
            }
            (true, None) => {
                // v + 1 does not fit 32 bits: compare v < rs directly.
                out.extend(load_immediate(AT, v));
                out.push(Instr::AluReg { op: slt, rd: AT, rs: AT, rt: rs });
            }
            (false, _) if fits_signed16(v) => out.push(Instr::AluImm { op: slti, rt: AT, rs, imm: v as u16 }),
            (false, _) => {
                out.extend(load_immediate(AT, v));
                out.push(Instr::AluReg { op: slt, rd: AT, rs, rt: AT });
            }
        }
    }
    let offset = branch_offset(env, &ops[2], env.pc() + 4 * out.len() as u32)?;
    out.push(Instr::Branch { cond, rs: AT, rt: 0, offset });
    Ok(out)
}

/// GNU as's one-instruction forms of compare-and-branch against 0, 1, -1 or `$zero` (e.g.
/// `bge $t0, 1, L` is `bgtz $t0, L`; `bltu $t0, 0` can never branch and is a NOP).
fn compare_branch_shortcut(env: &dyn InstrEnv, m: &str, ops: &[Operand], rs: u8) -> R<Option<Vec<Instr>>> {
    let unsigned = m.ends_with('u');
    let kind = &m[1..3];
    let branch = |cond, rs, rt, env: &dyn InstrEnv| -> R<Option<Vec<Instr>>> {
        Ok(Some(vec![Instr::Branch { cond, rs, rt, offset: branch_offset(env, &ops[2], env.pc())? }]))
    };
    let never = || Ok(Some(vec![Instr::Shift { op: ShiftOp::Sll, rd: 0, rt: 0, sa: 0 }]));
    use BranchCond::*;
    // Second operand as a constant when it is one (`$zero` counts as 0).
    let x = match &ops[1].kind {
        OpKind::Gpr { n: 0, .. } => Some(0),
        OpKind::Gpr { .. } => None,
        _ => Some(li_value(env, &ops[1])?),
    };
    if let (0, Some(OpKind::Gpr { n: rt, .. })) = (rs, ops.get(1).map(|o| &o.kind)) {
        if *rt != 0 {
            // `$zero` first: compare the second register against 0 the other way round.
            let rt = *rt;
            return match (unsigned, kind) {
                (false, "lt") => branch(Bgtz, rt, 0, env),
                (false, "ge") => branch(Blez, rt, 0, env),
                (false, "gt") => branch(Bltz, rt, 0, env),
                (false, "le") => branch(Bgez, rt, 0, env),
                (true, "lt") => branch(Bne, 0, rt, env),
                (true, "ge") => branch(Beq, 0, rt, env),
                (true, "gt") => never(),
                _ => branch(Beq, 0, 0, env),
            };
        }
    }
    let Some(v) = x else { return Ok(None) };
    let v32 = v & 0xffff_ffff;
    match (unsigned, kind, if unsigned { v32 } else { v32 as u32 as i32 as i64 }) {
        (false, "lt", 0) => branch(Bltz, rs, 0, env),
        (false, "ge", 0) => branch(Bgez, rs, 0, env),
        (false, "gt", 0) => branch(Bgtz, rs, 0, env),
        (false, "le", 0) => branch(Blez, rs, 0, env),
        (false, "lt", 1) => branch(Blez, rs, 0, env),
        (false, "ge", 1) => branch(Bgtz, rs, 0, env),
        (false, "gt", -1) => branch(Bgez, rs, 0, env),
        (false, "le", -1) => branch(Bltz, rs, 0, env),
        (true, "lt", 0) => never(),
        (true, "ge", 0) => branch(Beq, 0, 0, env),
        (true, "gt", 0) => branch(Bne, rs, 0, env),
        (true, "le", 0) => branch(Beq, rs, 0, env),
        (true, "lt", 1) => branch(Beq, rs, 0, env),
        (true, "ge", 1) => branch(Bne, rs, 0, env),
        (true, "gt", 0xffff_ffff) => never(),
        (true, "le", 0xffff_ffff) => branch(Beq, 0, 0, env),
        _ => Ok(None),
    }
}

/// Every mnemonic [`encode`] accepts (for "did you mean" hints).
fn all_mnemonics() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = vec![
        "nop", "lui", "li", "la", "move", "neg", "negu", "not", "j", "jal", "jr", "jalr", "break", "mfc0", "mtc0",
        "cfc2", "ctc2", "mfc2", "mtc2", "b", "bal", "beqz", "bnez", "blt", "bltu", "bge", "bgeu", "bgt", "bgtu", "ble",
        "bleu", "vrndp16", "vrndn16",
    ];
    v.extend(ShiftOp::ALL.iter().flat_map(|o| [o.mnemonic(), o.variable_mnemonic()]));
    v.extend(AluRegOp::ALL.iter().map(|o| o.mnemonic()));
    v.extend(AluImmOp::ALL.iter().map(|o| o.mnemonic()));
    v.extend(BranchCond::ALL.iter().map(|c| c.mnemonic()));
    v.extend(LoadWidth::ALL.iter().map(|w| w.mnemonic()));
    v.extend(StoreWidth::ALL.iter().map(|w| w.mnemonic()));
    v.extend(VMemOp::ALL.iter().flat_map(|o| [o.load_mnemonic(), o.store_mnemonic()]));
    v.extend(VecOp::ALL.iter().map(|o| o.mnemonic()));
    v
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + (ca != *cb) as usize).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The known mnemonic closest to `m` if it is a likely typo.
fn suggestion(m: &str) -> Option<&'static str> {
    if m.len() > 16 {
        return None;
    }
    all_mnemonics()
        .into_iter()
        .map(|k| (distance(m, k), k))
        .filter(|(d, _)| *d <= 1 || (*d == 2 && m.len() > 4))
        .min()
        .map(|(_, k)| k)
}
