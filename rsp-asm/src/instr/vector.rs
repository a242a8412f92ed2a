//! Vector computational ops and vector loads/stores: operand forms and element spellings.

use rsp_isa::names::ElementStyle;
use rsp_isa::{Instr, VMemOp, VecOp};

use super::*;

/// A load/store/move element suffix to the raw 4-bit field (libdragon's meanings, see
/// `rsp_isa::names::ElementStyle`).
pub(super) fn memory_element(style: ElementStyle, el: Elem, m: &str) -> R<u8> {
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
pub(super) fn raw_element(env: &dyn InstrEnv, op: &Operand, style: ElementStyle) -> R<u8> {
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
pub(super) fn compute_element(env: &dyn InstrEnv, op: &Operand) -> R<u8> {
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
pub(super) fn vector_op(env: &dyn InstrEnv, m: &str, ops: &[Operand], at: usize) -> Option<R<Instr>> {
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
pub(super) fn vector_memory(
    env: &dyn InstrEnv,
    m: &str,
    op: VMemOp,
    ops: &[Operand],
    at: usize,
) -> R<(u8, u8, u8, i8)> {
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
