//! Disassembly in the assembler's syntax (`rsp-asm/README.md`), so a listing or a simulator
//! trace can be fed back to `rsp-asm` and gives the same words, for every word [`decode`]
//! accepts.
//!
//! Conventions (libdragon's `rsp.inc` spelling wherever it has one):
//! - GPRs by name (`$t0`), vector registers `$v00`..`$v31`.
//! - Vector op elements: none (e = 0), `.q0`/`.q1` (2, 3), `.h0`..`.h3` (4..7), `.e0`..`.e7`
//!   (8..15, one lane broadcast); e = 1, which no suffix names, is written as a fourth operand.
//! - Loads/stores and MTC2/MFC2: `.eN` = lane N (byte 2N), `.bN` = byte N (see
//!   [`crate::names::ElementStyle`]); offsets in bytes; forms no suffix can spell use
//!   libdragon's four-operand form `op $vt, element, offset, $base`.
//! - Branches: `. + n` (relative to the branch itself) with plain `Display`; an absolute IMEM
//!   address with [`Instr::at`].
//!
//! [`decode`]: crate::decode

use core::fmt::{self, Display, Formatter};

use crate::names::{ElementStyle, COP0_NAMES, GPR_NAMES};
use crate::{Instr, VMemOp, VecOp, VECTOR_CONTROL_NAMES};

/// The conventional name of a GPR, without `$` (`8` -> `t0`); numbers above 31 are masked.
pub fn gpr_name(r: u8) -> &'static str {
    GPR_NAMES[(r & 31) as usize]
}

/// libdragon's name of a COP0 register (`4` -> `COP0_SP_STATUS`); `None` above 15.
pub fn cop0_register_name(r: u8) -> Option<&'static str> {
    COP0_NAMES.get(r as usize).copied()
}

/// An instruction printed with branch targets as absolute IMEM addresses (for listings where
/// the instruction's own address is known). Made by [`Instr::at`].
#[derive(Clone, Copy, Debug)]
pub struct DisplayAt {
    instr: Instr,
    pc: u32,
}

impl Instr {
    /// Display with branch targets resolved against `pc` (the byte address of this instruction).
    pub fn at(&self, pc: u32) -> DisplayAt {
        DisplayAt { instr: *self, pc }
    }
}

impl Display for Instr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_instr(f, self, None)
    }
}

impl Display for DisplayAt {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_instr(f, &self.instr, Some(self.pc))
    }
}

struct G(u8);
impl Display for G {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "${}", gpr_name(self.0))
    }
}

struct V(u8);
impl Display for V {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "$v{:02}", self.0 & 31)
    }
}

/// The element suffix of a vector computational op's `vt`, or `None` for e = 1 (no suffix).
fn compute_suffix(e: u8) -> Option<(&'static str, u8)> {
    match e {
        0 => Some(("", 0)),
        2 | 3 => Some((".q", e - 2)),
        4..=7 => Some((".h", e - 4)),
        8..=15 => Some((".e", e - 8)),
        _ => None,
    }
}

/// `$vNN` plus the compute element, as the last operand(s) of a vector op.
fn write_vt_element(f: &mut Formatter<'_>, vt: u8, e: u8) -> fmt::Result {
    match compute_suffix(e) {
        Some(("", _)) => write!(f, "{}", V(vt)),
        Some((s, n)) => write!(f, "{}{}{}", V(vt), s, n),
        None => write!(f, "{}, {}", V(vt), e),
    }
}

/// The element suffix of a load/store/move operand, or `None` if the style cannot spell `e`.
fn memory_suffix(style: ElementStyle, e: u8) -> Option<(char, u8)> {
    match (style, e) {
        (_, 0) => Some((' ', 0)),
        (ElementStyle::Byte | ElementStyle::LaneAsByte, _) if e % 2 == 0 => Some(('e', e / 2)),
        (ElementStyle::Byte, _) => Some(('b', e)),
        (ElementStyle::Lane, 1..=7) => Some(('e', e)),
        _ => None,
    }
}

fn write_vector_memory(
    f: &mut Formatter<'_>,
    mnemonic: &str,
    op: VMemOp,
    vt: u8,
    e: u8,
    base: u8,
    offset: i8,
) -> fmt::Result {
    let bytes = offset as i32 * op.offset_scale();
    match memory_suffix(op.element_style(), e) {
        Some((' ', _)) => write!(f, "{mnemonic} {}, {bytes}({})", V(vt), G(base)),
        Some((c, n)) => write!(f, "{mnemonic} {}.{c}{n}, {bytes}({})", V(vt), G(base)),
        None => write!(f, "{mnemonic} {}, {e}, {bytes}, {}", V(vt), G(base)),
    }
}

fn write_move2(f: &mut Formatter<'_>, mnemonic: &str, rt: u8, vs: u8, e: u8) -> fmt::Result {
    if e % 2 == 0 {
        write!(f, "{mnemonic} {}, {}.e{}", G(rt), V(vs), e / 2)
    } else {
        write!(f, "{mnemonic} {}, {}.b{}", G(rt), V(vs), e)
    }
}

fn write_branch_target(f: &mut Formatter<'_>, offset: i16, pc: Option<u32>) -> fmt::Result {
    // Target = address of the delay slot + offset * 4.
    let rel = (offset as i32 + 1) * 4;
    if let Some(pc) = pc {
        let target = pc as i64 + rel as i64;
        if (0..0x1000).contains(&target) {
            return write!(f, "0x{target:03x}");
        }
    }
    if rel < 0 {
        write!(f, ". - {}", -rel)
    } else {
        write!(f, ". + {rel}")
    }
}

fn write_vector(f: &mut Formatter<'_>, op: VecOp, vd: u8, vs: u8, vt: u8, e: u8) -> fmt::Result {
    let m = op.mnemonic();
    if op.is_single_lane() {
        // vs holds the destination element; libdragon writes it `$vd.eN` (field 8 + N).
        if (8..16).contains(&vs) && (8..16).contains(&e) {
            return write!(f, "{m} {}.e{}, {}.e{}", V(vd), vs - 8, V(vt), e - 8);
        }
        return write!(f, "{m} {}, {vs}, {}, {e}", V(vd), V(vt));
    }
    match op {
        VecOp::Vsar if vs == 0 && vt == 0 && (8..=10).contains(&e) => {
            let slice = ["COP2_ACC_HI", "COP2_ACC_MD", "COP2_ACC_LO"][(e - 8) as usize];
            return write!(f, "vsar {}, {slice}", V(vd));
        }
        VecOp::Vrndp | VecOp::Vrndn => {
            // The vs slot is a flag (1 = shift the operand left by 16), not a register.
            match vs {
                0 => write!(f, "{m} {}, ", V(vd))?,
                1 => write!(f, "{m}16 {}, ", V(vd))?,
                _ => write!(f, "{m} {}, {vs}, ", V(vd))?,
            }
            return write_vt_element(f, vt, e);
        }
        VecOp::Vmacq if vs == 0 && vt == 0 && e == 0 => return write!(f, "vmacq {}", V(vd)),
        VecOp::Vnop | VecOp::Vnull if vd == 0 && vs == 0 && vt == 0 && e == 0 => {
            return f.write_str(m)
        }
        _ => {}
    }
    write!(f, "{m} {}, {}, ", V(vd), V(vs))?;
    write_vt_element(f, vt, e)
}

fn write_instr(f: &mut Formatter<'_>, instr: &Instr, pc: Option<u32>) -> fmt::Result {
    match *instr {
        Instr::Shift {
            op: crate::ShiftOp::Sll,
            rd: 0,
            rt: 0,
            sa: 0,
        } => f.write_str("nop"),
        Instr::Shift { op, rd, rt, sa } => {
            write!(f, "{} {}, {}, {}", op.mnemonic(), G(rd), G(rt), sa)
        }
        Instr::ShiftVar { op, rd, rt, rs } => {
            write!(
                f,
                "{} {}, {}, {}",
                op.variable_mnemonic(),
                G(rd),
                G(rt),
                G(rs)
            )
        }
        Instr::AluReg { op, rd, rs, rt } => {
            write!(f, "{} {}, {}, {}", op.mnemonic(), G(rd), G(rs), G(rt))
        }
        Instr::AluImm { op, rt, rs, imm } => {
            if op.sign_extends() {
                write!(f, "{} {}, {}, {}", op.mnemonic(), G(rt), G(rs), imm as i16)
            } else {
                write!(f, "{} {}, {}, 0x{:x}", op.mnemonic(), G(rt), G(rs), imm)
            }
        }
        Instr::Lui { rt, imm } => write!(f, "lui {}, 0x{:x}", G(rt), imm),
        Instr::Branch {
            cond,
            rs,
            rt,
            offset,
        } => {
            if cond.compares_two_registers() {
                write!(f, "{} {}, {}, ", cond.mnemonic(), G(rs), G(rt))?;
            } else {
                write!(f, "{} {}, ", cond.mnemonic(), G(rs))?;
            }
            write_branch_target(f, offset, pc)
        }
        Instr::Jump { link, target } => {
            write!(
                f,
                "{} 0x{:03x}",
                if link { "jal" } else { "j" },
                (target & 0x03ff_ffff) << 2
            )
        }
        Instr::Jr { rs } => write!(f, "jr {}", G(rs)),
        Instr::Jalr { rd, rs } => write!(f, "jalr {}, {}", G(rd), G(rs)),
        Instr::Break { code } => {
            // GNU as: `break a` puts a in bits 25..16, `break a, b` puts b in bits 15..6.
            let (high, low) = ((code >> 10) & 0x3ff, code & 0x3ff);
            match (high, low) {
                (0, 0) => f.write_str("break"),
                (_, 0) => write!(f, "break {high}"),
                _ => write!(f, "break {high}, {low}"),
            }
        }
        Instr::Load {
            width,
            rt,
            base,
            offset,
        } => {
            write!(f, "{} {}, {}({})", width.mnemonic(), G(rt), offset, G(base))
        }
        Instr::Store {
            width,
            rt,
            base,
            offset,
        } => {
            write!(f, "{} {}, {}({})", width.mnemonic(), G(rt), offset, G(base))
        }
        Instr::Mfc0 { rt, rd } | Instr::Mtc0 { rt, rd } => {
            let m = if matches!(instr, Instr::Mfc0 { .. }) {
                "mfc0"
            } else {
                "mtc0"
            };
            match cop0_register_name(rd) {
                Some(name) => write!(f, "{m} {}, {name}", G(rt)),
                None => write!(f, "{m} {}, ${}", G(rt), rd & 31),
            }
        }
        Instr::Mfc2 { rt, vs, e } => write_move2(f, "mfc2", rt, vs, e & 15),
        Instr::Mtc2 { rt, vs, e } => write_move2(f, "mtc2", rt, vs, e & 15),
        Instr::Cfc2 { rt, rd } | Instr::Ctc2 { rt, rd } => {
            let m = if matches!(instr, Instr::Cfc2 { .. }) {
                "cfc2"
            } else {
                "ctc2"
            };
            match VECTOR_CONTROL_NAMES.get(rd as usize) {
                Some(name) => write!(f, "{m} {}, {name}", G(rt)),
                None => write!(f, "{m} {}, ${}", G(rt), rd & 31),
            }
        }
        Instr::Vector { op, vd, vs, vt, e } => {
            write_vector(f, op, vd & 31, vs & 31, vt & 31, e & 15)
        }
        Instr::VLoad {
            op,
            vt,
            e,
            base,
            offset,
        } => write_vector_memory(f, op.load_mnemonic(), op, vt, e & 15, base, offset),
        Instr::VStore {
            op,
            vt,
            e,
            base,
            offset,
        } => write_vector_memory(f, op.store_mnemonic(), op, vt, e & 15, base, offset),
    }
}
