//! [`Instr`] to words: the inverse of [`crate::decode`].
//!
//! Fields wider than their slot are masked to the slot (a `Gpr` of 40 encodes as 8), so
//! `encode` never panics; [`Instr::is_well_formed`] says whether every field fits, which is
//! what makes `decode(encode(i)) == Ok(i)` hold.

use crate::{BranchCond, Instr};

const fn r5(x: u8) -> u32 {
    (x & 31) as u32
}
const fn e4(x: u8) -> u32 {
    (x & 15) as u32
}

impl Instr {
    /// The 32-bit word of this instruction (RSP-FACTS "Encodings" for the COP0/COP2/LWC2/SWC2
    /// formats; MIPS I for the rest).
    pub fn encode(&self) -> u32 {
        match *self {
            Instr::Shift { op, rd, rt, sa } => {
                r5(rt) << 16 | r5(rd) << 11 | r5(sa) << 6 | op.funct()
            }
            Instr::ShiftVar { op, rd, rt, rs } => {
                r5(rs) << 21 | r5(rt) << 16 | r5(rd) << 11 | (op.funct() + 4)
            }
            Instr::AluReg { op, rd, rs, rt } => {
                r5(rs) << 21 | r5(rt) << 16 | r5(rd) << 11 | op.funct()
            }
            Instr::AluImm { op, rt, rs, imm } => {
                op.opcode() << 26 | r5(rs) << 21 | r5(rt) << 16 | imm as u32
            }
            Instr::Lui { rt, imm } => 0x0f << 26 | r5(rt) << 16 | imm as u32,
            Instr::Branch {
                cond,
                rs,
                rt,
                offset,
            } => {
                let (opcode, rt_field) = match cond {
                    BranchCond::Beq => (0x04, r5(rt)),
                    BranchCond::Bne => (0x05, r5(rt)),
                    BranchCond::Blez => (0x06, 0),
                    BranchCond::Bgtz => (0x07, 0),
                    BranchCond::Bltz => (0x01, 0x00),
                    BranchCond::Bgez => (0x01, 0x01),
                    BranchCond::Bltzal => (0x01, 0x10),
                    BranchCond::Bgezal => (0x01, 0x11),
                };
                opcode << 26 | r5(rs) << 21 | rt_field << 16 | offset as u16 as u32
            }
            Instr::Jump { link, target } => {
                (if link { 0x03 } else { 0x02 }) << 26 | (target & 0x03ff_ffff)
            }
            Instr::Jr { rs } => r5(rs) << 21 | 0x08,
            Instr::Jalr { rd, rs } => r5(rs) << 21 | r5(rd) << 11 | 0x09,
            Instr::Break { code } => (code & 0xf_ffff) << 6 | 0x0d,
            Instr::Load {
                width,
                rt,
                base,
                offset,
            } => width.opcode() << 26 | r5(base) << 21 | r5(rt) << 16 | offset as u16 as u32,
            Instr::Store {
                width,
                rt,
                base,
                offset,
            } => width.opcode() << 26 | r5(base) << 21 | r5(rt) << 16 | offset as u16 as u32,
            Instr::Mfc0 { rt, rd } => 0x10 << 26 | r5(rt) << 16 | r5(rd) << 11,
            Instr::Mtc0 { rt, rd } => 0x10 << 26 | 4 << 21 | r5(rt) << 16 | r5(rd) << 11,
            Instr::Mfc2 { rt, vs, e } => 0x12 << 26 | r5(rt) << 16 | r5(vs) << 11 | e4(e) << 7,
            Instr::Mtc2 { rt, vs, e } => {
                0x12 << 26 | 4 << 21 | r5(rt) << 16 | r5(vs) << 11 | e4(e) << 7
            }
            Instr::Cfc2 { rt, rd } => 0x12 << 26 | 2 << 21 | r5(rt) << 16 | r5(rd) << 11,
            Instr::Ctc2 { rt, rd } => 0x12 << 26 | 6 << 21 | r5(rt) << 16 | r5(rd) << 11,
            Instr::Vector { op, vd, vs, vt, e } => {
                0x4a00_0000 | e4(e) << 21 | r5(vt) << 16 | r5(vs) << 11 | r5(vd) << 6 | op.funct()
            }
            Instr::VLoad {
                op,
                vt,
                e,
                base,
                offset,
            } => vector_memory(0x32, op as u32, vt, e, base, offset),
            Instr::VStore {
                op,
                vt,
                e,
                base,
                offset,
            } => vector_memory(0x3a, op as u32, vt, e, base, offset),
        }
    }

    /// True when every field fits its slot (registers < 32, elements < 16, jump target < 2^26,
    /// break code < 2^20, vector memory offsets in -64..=63, `rt == 0` for branches other than
    /// BEQ/BNE). Exactly the values for which `decode(encode(i)) == Ok(i)`.
    pub fn is_well_formed(&self) -> bool {
        let r = |x: u8| x < 32;
        let el4 = |x: u8| x < 16;
        let off7 = |x: i8| (-64..=63).contains(&x);
        match *self {
            Instr::Shift { rd, rt, sa, .. } => r(rd) && r(rt) && r(sa),
            Instr::ShiftVar { rd, rt, rs, .. } => r(rd) && r(rt) && r(rs),
            Instr::AluReg { rd, rs, rt, .. } => r(rd) && r(rs) && r(rt),
            Instr::AluImm { rt, rs, .. } => r(rt) && r(rs),
            Instr::Lui { rt, .. } => r(rt),
            Instr::Branch { cond, rs, rt, .. } => {
                r(rs)
                    && if cond.compares_two_registers() {
                        r(rt)
                    } else {
                        rt == 0
                    }
            }
            Instr::Jump { target, .. } => target < 1 << 26,
            Instr::Jr { rs } => r(rs),
            Instr::Jalr { rd, rs } => r(rd) && r(rs),
            Instr::Break { code } => code < 1 << 20,
            Instr::Load { rt, base, .. } | Instr::Store { rt, base, .. } => r(rt) && r(base),
            Instr::Mfc0 { rt, rd } | Instr::Mtc0 { rt, rd } => r(rt) && r(rd),
            Instr::Mfc2 { rt, vs, e } | Instr::Mtc2 { rt, vs, e } => r(rt) && r(vs) && el4(e),
            Instr::Cfc2 { rt, rd } | Instr::Ctc2 { rt, rd } => r(rt) && r(rd),
            Instr::Vector {
                vd, vs, vt, e: el, ..
            } => r(vd) && r(vs) && r(vt) && el4(el),
            Instr::VLoad {
                vt,
                e: el,
                base,
                offset,
                ..
            }
            | Instr::VStore {
                vt,
                e: el,
                base,
                offset,
                ..
            } => r(vt) && el4(el) && r(base) && off7(offset),
        }
    }
}

fn vector_memory(opcode: u32, sub: u32, vt: u8, e: u8, base: u8, offset: i8) -> u32 {
    opcode << 26
        | r5(base) << 21
        | r5(vt) << 16
        | sub << 11
        | e4(e) << 7
        | (offset as u8 as u32 & 0x7f)
}
