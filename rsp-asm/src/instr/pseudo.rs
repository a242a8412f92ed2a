//! Pseudo-branches: `b`, `bal`, `beqz`, `bnez` and GNU as's compare-and-branch macros.

use rsp_isa::{AluImmOp, AluRegOp, BranchCond, Instr, ShiftOp};

use super::*;

/// `b`, `bal`, `beqz`, `bnez` and the compare-and-branch macros (`blt`, `bgeu`, ...); `None` if
/// `m` is none of them.
pub(super) fn pseudo_branch(env: &dyn InstrEnv, m: &str, ops: &[Operand], at: usize) -> Option<R<Vec<Instr>>> {
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
