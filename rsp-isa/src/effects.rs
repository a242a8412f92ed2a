//! What an instruction reads and writes, for the simulator's cycle model (dual issue, result
//! latencies, RSP-FACTS "Timing") and for any dependency analysis.
//!
//! These are *architectural* effects (what the instruction's result depends on and changes),
//! taken from the per-op behaviour in ares `n64/rsp/interpreter-vpu.cpp`. ares's own pipeline
//! tables (`decoder.cpp`, `OpInfo`) additionally count a few fields as hazards that the
//! semantics do not use (VABS as touching VCO, the `vs` slot of single-lane ops as a register);
//! a cycle model that wants those can add them on top.

use crate::{BranchCond, Instr, VMemOp, VecOp};

/// Which unit issues the instruction. Only vector computational ops are [`Unit::Vector`]; vector
/// loads/stores and all coprocessor moves issue on the scalar unit (RSP-FACTS "Timing").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    Scalar,
    Vector,
}

/// A set of vector-unit state other than the 32 vector registers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VuState(pub u8);

impl VuState {
    pub const NONE: VuState = VuState(0);
    /// Carry/not-equal flags (control register 0).
    pub const VCO: VuState = VuState(1);
    /// Compare flags (control register 1).
    pub const VCC: VuState = VuState(2);
    /// Clip-compare extension (control register 2).
    pub const VCE: VuState = VuState(4);
    /// The 48-bit per-lane accumulator (any slice).
    pub const ACC: VuState = VuState(8);
    /// The divide unit's latches shared by VRCP/VRSQ and their H/L forms (input high half,
    /// result, double-precision flag).
    pub const DIV: VuState = VuState(16);

    pub const fn union(self, other: VuState) -> VuState {
        VuState(self.0 | other.0)
    }

    pub const fn contains(self, other: VuState) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn intersects(self, other: VuState) -> bool {
        self.0 & other.0 != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The control register CFC2/CTC2 number `rd` reaches: `rd & 3`, with 3 an alias of VCE
    /// (ares `CFC2`/`CTC2`, marked unverified there).
    pub const fn control_register(rd: u8) -> VuState {
        match rd & 3 {
            0 => VuState::VCO,
            1 => VuState::VCC,
            _ => VuState::VCE,
        }
    }
}

impl core::ops::BitOr for VuState {
    type Output = VuState;
    fn bitor(self, rhs: VuState) -> VuState {
        self.union(rhs)
    }
}

/// Reads and writes of one instruction. Register sets are bit masks (bit n = register n).
/// `$zero` never appears: reading it depends on nothing and writing it changes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Effects {
    pub gpr_reads: u32,
    pub gpr_writes: u32,
    pub vr_reads: u32,
    pub vr_writes: u32,
    pub vu_reads: VuState,
    pub vu_writes: VuState,
    pub reads_dmem: bool,
    pub writes_dmem: bool,
}

const fn gpr(r: u8) -> u32 {
    (1u32 << (r & 31)) & !1
}
const fn vr(r: u8) -> u32 {
    1u32 << (r & 31)
}
/// The eight registers LTV/STV touch: the group of 8 that `vt` lies in (ares `VGDef`/`VGUse`).
const fn vr_group(r: u8) -> u32 {
    0xffu32 << (r & 0x18)
}

impl Instr {
    /// The unit that issues this instruction.
    pub const fn unit(&self) -> Unit {
        match self {
            Instr::Vector { .. } => Unit::Vector,
            _ => Unit::Scalar,
        }
    }

    /// True for branches and jumps (they all have one delay slot on the RSP).
    pub const fn has_delay_slot(&self) -> bool {
        matches!(
            self,
            Instr::Branch { .. } | Instr::Jump { .. } | Instr::Jr { .. } | Instr::Jalr { .. }
        )
    }

    /// The IMEM address a branch or J/JAL at `pc` goes to when taken (12-bit, wrapping like the
    /// RSP PC, RSP-FACTS "Machine"); `None` for JR/JALR (register target) and non-branches.
    pub const fn static_target(&self, pc: u32) -> Option<u32> {
        match *self {
            Instr::Branch { offset, .. } => {
                Some((pc.wrapping_add(4).wrapping_add((offset as i32 * 4) as u32)) & 0xffc)
            }
            Instr::Jump { target, .. } => Some((target << 2) & 0xffc),
            _ => None,
        }
    }

    /// What this instruction reads and writes (see the module docs).
    pub fn effects(&self) -> Effects {
        let mut fx = Effects::default();
        match *self {
            Instr::Shift { rd, rt, .. } => {
                fx.gpr_reads = gpr(rt);
                fx.gpr_writes = gpr(rd);
            }
            Instr::ShiftVar { rd, rt, rs, .. } | Instr::AluReg { rd, rs, rt, .. } => {
                fx.gpr_reads = gpr(rs) | gpr(rt);
                fx.gpr_writes = gpr(rd);
            }
            Instr::AluImm { rt, rs, .. } => {
                fx.gpr_reads = gpr(rs);
                fx.gpr_writes = gpr(rt);
            }
            Instr::Lui { rt, .. } => fx.gpr_writes = gpr(rt),
            Instr::Branch { cond, rs, rt, .. } => {
                fx.gpr_reads = gpr(rs)
                    | if cond.compares_two_registers() {
                        gpr(rt)
                    } else {
                        0
                    };
                if matches!(cond, BranchCond::Bltzal | BranchCond::Bgezal) {
                    fx.gpr_writes = gpr(31);
                }
            }
            Instr::Jump { link, .. } => fx.gpr_writes = if link { gpr(31) } else { 0 },
            Instr::Jr { rs } => fx.gpr_reads = gpr(rs),
            Instr::Jalr { rd, rs } => {
                fx.gpr_reads = gpr(rs);
                fx.gpr_writes = gpr(rd);
            }
            Instr::Break { .. } => {}
            Instr::Load { rt, base, .. } => {
                fx.gpr_reads = gpr(base);
                fx.gpr_writes = gpr(rt);
                fx.reads_dmem = true;
            }
            Instr::Store { rt, base, .. } => {
                fx.gpr_reads = gpr(base) | gpr(rt);
                fx.writes_dmem = true;
            }
            Instr::Mfc0 { rt, .. } => fx.gpr_writes = gpr(rt),
            Instr::Mtc0 { rt, .. } => fx.gpr_reads = gpr(rt),
            Instr::Mfc2 { rt, vs, .. } => {
                fx.vr_reads = vr(vs);
                fx.gpr_writes = gpr(rt);
            }
            Instr::Mtc2 { rt, vs, .. } => {
                fx.gpr_reads = gpr(rt);
                fx.vr_writes = vr(vs);
            }
            Instr::Cfc2 { rt, rd } => {
                fx.vu_reads = VuState::control_register(rd);
                fx.gpr_writes = gpr(rt);
            }
            Instr::Ctc2 { rt, rd } => {
                fx.gpr_reads = gpr(rt);
                fx.vu_writes = VuState::control_register(rd);
            }
            Instr::VLoad { op, vt, base, .. } => {
                fx.gpr_reads = gpr(base);
                fx.reads_dmem = true;
                fx.vr_writes = match op {
                    // LWV does nothing on the N64 RSP (RSP-FACTS "Accumulator and clamps").
                    VMemOp::Wv => 0,
                    VMemOp::Tv => vr_group(vt),
                    _ => vr(vt),
                };
            }
            Instr::VStore { op, vt, base, .. } => {
                fx.gpr_reads = gpr(base);
                fx.writes_dmem = true;
                fx.vr_reads = if op == VMemOp::Tv {
                    vr_group(vt)
                } else {
                    vr(vt)
                };
            }
            Instr::Vector { op, vd, vs, vt, .. } => vector_effects(&mut fx, op, vd, vs, vt),
        }
        fx
    }
}

fn vector_effects(fx: &mut Effects, op: VecOp, vd: u8, vs: u8, vt: u8) {
    use VecOp::*;
    let (acc, vco, vcc, vce, div) = (
        VuState::ACC,
        VuState::VCO,
        VuState::VCC,
        VuState::VCE,
        VuState::DIV,
    );
    let two_sources = vr(vs) | vr(vt);
    // (vector registers read, vector state read, vector state written); every op listed writes
    // vd except VNOP/VNULL.
    let (vr_reads, vu_reads, vu_writes) = match op {
        Vmulf | Vmulu | Vmulq | Vmudl | Vmudm | Vmudn | Vmudh => (two_sources, VuState::NONE, acc),
        Vmacf | Vmacu | Vmadl | Vmadm | Vmadn | Vmadh => (two_sources, acc, acc),
        // The vs slot of VRNDP/VRNDN is a shift flag, not a register (ares `VRND`).
        Vrndp | Vrndn => (vr(vt), acc, acc),
        Vmacq => (0, acc, acc),
        Vadd | Vsub => (two_sources, vco, acc | vco),
        Vaddc | Vsubc => (two_sources, VuState::NONE, acc | vco),
        Vabs | Vand | Vnand | Vor | Vnor | Vxor | Vnxor => (two_sources, VuState::NONE, acc),
        Vsar => (0, acc, VuState::NONE),
        // VLT/VEQ/VNE/VGE use VCO (carry and not-equal) and clear it, set VCC.
        Vlt | Veq | Vne | Vge => (two_sources, vco, acc | vco | vcc),
        Vcl => (two_sources, vco | vcc | vce, acc | vco | vcc | vce),
        Vch | Vcr => (two_sources, VuState::NONE, acc | vco | vcc | vce),
        // VMRG selects by VCC and clears VCO (ares `VMRG`).
        Vmrg => (two_sources, vcc, acc | vco),
        // Single-lane ops read one lane of vt and set the whole accumulator low slice to vt[e].
        Vmov => (vr(vt), VuState::NONE, acc),
        Vrcp | Vrsq | Vrcph | Vrsqh => (vr(vt), VuState::NONE, acc | div),
        // The L forms combine vt with the high half latched by VRCPH/VRSQH.
        Vrcpl | Vrsql => (vr(vt), div, acc | div),
        Vnop | Vnull => return,
        // Reserved functs run as VZERO: accumulator low = vs + vt[e], vd = 0 (ares).
        _ => (two_sources, VuState::NONE, acc),
    };
    fx.vr_reads = vr_reads;
    fx.vr_writes = vr(vd);
    fx.vu_reads = vu_reads;
    fx.vu_writes = vu_writes;
}
