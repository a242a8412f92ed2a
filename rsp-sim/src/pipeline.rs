//! The cycle model: which instructions issue together and how many cycles a group waits.
//!
//! Rules (RSP-FACTS.md "Timing": Nintendo's "Mary Jo's rules" as implemented and tested on
//! hardware in ares commit 631b0f645, `n64/rsp/rsp.hpp` `Pipeline` / `canDualIssue` and
//! `n64/rsp/decoder.cpp` `OpInfo`):
//! - Dual issue: one scalar-unit op and one vector-unit op issue in the same cycle when the
//!   second does not read or write a vector register or vector flag register written by the
//!   first. Vector loads/stores and all coprocessor moves are scalar-unit ops.
//! - Vector results (VU ops, vector loads, MTC2) are ready 4 cycles later: a group reading a
//!   vector register written 1/2/3 groups earlier stalls 3/2/1 cycles. The accumulator is not
//!   tracked, so MAC chains run one per cycle.
//! - Scalar loads, MFC0, MFC2 and CFC2 have a 3-cycle latency: a read of their result in the
//!   next group stalls 2 cycles, one group later 1. Every other scalar result is bypassed.
//! - A store two groups after a load costs a bubble (coprocessor moves count as both loads and
//!   stores in ares' tables).
//! - A branch delay slot issues alone; a taken branch costs 1 cycle; when the branch target
//!   is not 8-byte aligned, the group at the target issues alone.
//! - ares' table also records two false dependencies the hardware has: a single-lane op
//!   (VRCP.., VMOV) "reads" the register its `de` field names, and VNOP its `vd`, for the dual
//!   issue check only (VNOP only after MTC2 or LTV).

use rsp_isa::{Instr, VMemOp, VecOp, VuState};

/// Flags of [`PipeInfo`].
pub(crate) mod flag {
    pub const VECTOR: u8 = 1;
    pub const LOAD: u8 = 2;
    pub const STORE: u8 = 4;
    pub const BRANCH: u8 = 8;
    /// MTC2/LTV (as first op) and VNOP (as second op): the VNOP false dependency.
    pub const VNOP_GROUP: u8 = 16;
}

/// Static timing facts of one instruction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PipeInfo {
    /// GPRs read.
    pub r_use: u32,
    /// GPRs written with load latency (loads, MFC0, MFC2, CFC2); bypassed writes are not
    /// tracked because they never stall.
    pub r_def_late: u32,
    /// Vector registers read.
    pub v_use: u32,
    /// Vector registers written.
    pub v_def: u32,
    /// Registers the dual-issue logic believes are read (see the module docs).
    pub v_fake: u32,
    /// Vector flag registers read / written (bit 0 VCO, 1 VCC, 2 VCE).
    pub vc_use: u8,
    pub vc_def: u8,
    pub flags: u8,
}

fn flag_bits(state: VuState) -> u8 {
    let mut bits = 0;
    if state.intersects(VuState::VCO) {
        bits |= 1;
    }
    if state.intersects(VuState::VCC) {
        bits |= 2;
    }
    if state.intersects(VuState::VCE) {
        bits |= 4;
    }
    bits
}

impl PipeInfo {
    /// The timing facts of `instr`.
    pub fn of(instr: &Instr) -> PipeInfo {
        let fx = instr.effects();
        let mut info = PipeInfo {
            r_use: fx.gpr_reads,
            r_def_late: 0,
            v_use: fx.vr_reads,
            v_def: fx.vr_writes,
            v_fake: 0,
            vc_use: flag_bits(fx.vu_reads),
            vc_def: flag_bits(fx.vu_writes),
            flags: 0,
        };
        match *instr {
            Instr::Vector { op, vs, vd, .. } => {
                info.flags |= flag::VECTOR;
                if op.is_single_lane() {
                    info.v_fake = 1 << (vs & 31);
                }
                match op {
                    // ares lists VABS as using and defining VCO for dual issue.
                    VecOp::Vabs => {
                        info.vc_use |= 1;
                        info.vc_def |= 1;
                    }
                    VecOp::Vnop => {
                        info.flags |= flag::VNOP_GROUP;
                        info.v_fake = 1 << (vd & 31);
                    }
                    _ => {}
                }
            }
            Instr::Load { .. } => {
                info.flags |= flag::LOAD;
                info.r_def_late = fx.gpr_writes;
            }
            Instr::Store { .. } | Instr::VStore { .. } => info.flags |= flag::STORE,
            Instr::VLoad { op, .. } => {
                info.flags |= flag::LOAD;
                if op == VMemOp::Tv {
                    info.flags |= flag::VNOP_GROUP;
                }
            }
            Instr::Mfc0 { .. } | Instr::Mfc2 { .. } | Instr::Cfc2 { .. } => {
                info.flags |= flag::LOAD | flag::STORE;
                info.r_def_late = fx.gpr_writes;
            }
            Instr::Mtc2 { .. } => info.flags |= flag::LOAD | flag::STORE | flag::VNOP_GROUP,
            Instr::Mtc0 { .. } | Instr::Ctc2 { .. } => info.flags |= flag::LOAD | flag::STORE,
            Instr::Branch { .. } | Instr::Jump { .. } | Instr::Jr { .. } | Instr::Jalr { .. } => {
                info.flags |= flag::BRANCH
            }
            _ => {}
        }
        info
    }

    #[inline(always)]
    pub fn is_vector(&self) -> bool {
        self.flags & flag::VECTOR != 0
    }

    #[inline(always)]
    pub fn is_branch(&self) -> bool {
        self.flags & flag::BRANCH != 0
    }
}

/// True when `second` may issue in the same cycle as `first` (module docs, first rule).
#[inline(always)]
pub(crate) fn can_dual_issue(first: &PipeInfo, second: &PipeInfo) -> bool {
    first.is_vector() != second.is_vector()
        && first.v_def & (second.v_use | second.v_def) == 0
        && first.vc_def & (second.vc_use | second.vc_def) == 0
        && !(((first.flags | !second.flags) & flag::VNOP_GROUP != 0)
            && first.v_def & second.v_fake != 0)
}

/// What one issue group did, as far as later groups can see.
#[derive(Clone, Copy, Debug, Default)]
struct Stage {
    load: bool,
    r_write: u32,
    v_write: u32,
}

/// Stall cycles by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StallCycles {
    /// Waiting for a vector result (VU op, vector load, MTC2) 1..3 groups old.
    pub vector_dependency: u64,
    /// Waiting for a scalar load / MFC0 / MFC2 / CFC2 result.
    pub scalar_load_use: u64,
    /// The bubble of a store two groups after a load.
    pub load_store: u64,
    /// The cycle every taken branch costs.
    pub taken_branch: u64,
}

impl StallCycles {
    /// All stall cycles.
    pub fn total(&self) -> u64 {
        self.vector_dependency + self.scalar_load_use + self.load_store + self.taken_branch
    }
}

/// The state the cycle model carries between groups.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pipeline {
    previous: [Stage; 3],
    /// The next group issues alone (branch delay slot, or unaligned branch target).
    pub single_issue: bool,
}

/// The combined facts of the instructions of one group.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Group {
    pub r_use: u32,
    pub r_def_late: u32,
    pub v_use: u32,
    pub v_def: u32,
    pub flags: u8,
}

impl Group {
    #[inline(always)]
    pub fn of(info: &PipeInfo) -> Group {
        Group {
            r_use: info.r_use,
            r_def_late: info.r_def_late,
            v_use: info.v_use,
            v_def: info.v_def,
            flags: info.flags,
        }
    }

    #[inline(always)]
    pub fn add(&mut self, info: &PipeInfo) {
        self.r_use |= info.r_use;
        self.r_def_late |= info.r_def_late;
        self.v_use |= info.v_use;
        self.v_def |= info.v_def;
        self.flags |= info.flags;
    }
}

impl Pipeline {
    #[inline(always)]
    fn bubble(&mut self) {
        self.previous[2] = self.previous[1];
        self.previous[1] = self.previous[0];
        self.previous[0] = Stage::default();
    }

    /// Issues `group`: returns the stall cycles it waits before issuing (added to `stalls` by
    /// cause) and records its results for the groups that follow. The group itself takes one
    /// more cycle.
    #[inline(always)]
    pub fn issue(&mut self, group: &Group, stalls: &mut StallCycles) -> u32 {
        let mut waited = 0u32;
        // Scalar load latency first, then vector latency on the shifted history, then the
        // load/store bubble (the order of ares `Pipeline::end`).
        let gpr = if group.r_use & self.previous[0].r_write != 0 {
            2
        } else if group.r_use & self.previous[1].r_write != 0 {
            1
        } else {
            0
        };
        for _ in 0..gpr {
            self.bubble();
        }
        stalls.scalar_load_use += gpr as u64;
        waited += gpr;
        let vr = if group.v_use & self.previous[0].v_write != 0 {
            3
        } else if group.v_use & self.previous[1].v_write != 0 {
            2
        } else if group.v_use & self.previous[2].v_write != 0 {
            1
        } else {
            0
        };
        for _ in 0..vr {
            self.bubble();
        }
        stalls.vector_dependency += vr as u64;
        waited += vr;
        if group.flags & flag::STORE != 0 {
            while self.previous[1].load {
                self.bubble();
                stalls.load_store += 1;
                waited += 1;
            }
        }
        self.single_issue = group.flags & flag::BRANCH != 0;
        self.previous[2] = self.previous[1];
        self.previous[1] = self.previous[0];
        self.previous[0] = Stage {
            load: group.flags & flag::LOAD != 0,
            r_write: group.r_def_late,
            v_write: group.v_def,
        };
        waited
    }

    /// Charges the taken-branch cycle after the delay slot's group; `target` is the branch
    /// target (an unaligned one makes the next group issue alone).
    #[inline(always)]
    pub fn taken_branch(&mut self, target: u32, stalls: &mut StallCycles) -> u32 {
        self.bubble();
        stalls.taken_branch += 1;
        if target & 4 != 0 {
            self.single_issue = true;
        }
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsp_isa::{AluImmOp, LoadWidth};

    fn vmulf(vd: u8, vs: u8, vt: u8) -> PipeInfo {
        PipeInfo::of(&Instr::Vector {
            op: VecOp::Vmulf,
            vd,
            vs,
            vt,
            e: 0,
        })
    }

    #[test]
    fn scalar_and_vector_pair_unless_dependent() {
        let addi = PipeInfo::of(&Instr::AluImm {
            op: AluImmOp::Addiu,
            rt: 1,
            rs: 1,
            imm: 4,
        });
        let lqv = PipeInfo::of(&Instr::VLoad {
            op: VMemOp::Qv,
            vt: 2,
            e: 0,
            base: 1,
            offset: 0,
        });
        assert!(can_dual_issue(&addi, &vmulf(3, 4, 5)));
        assert!(can_dual_issue(&vmulf(3, 4, 5), &addi));
        assert!(!can_dual_issue(&vmulf(3, 4, 5), &vmulf(6, 7, 8)));
        assert!(!can_dual_issue(&addi, &lqv));
        // A vector load feeding the vector op in the same pair cannot pair.
        assert!(!can_dual_issue(&lqv, &vmulf(3, 2, 5)));
        assert!(can_dual_issue(&lqv, &vmulf(3, 4, 5)));
    }

    #[test]
    fn dependent_vector_chain_stalls_three_two_one() {
        let mut p = Pipeline::default();
        let mut s = StallCycles::default();
        assert_eq!(p.issue(&Group::of(&vmulf(1, 2, 3)), &mut s), 0);
        assert_eq!(p.issue(&Group::of(&vmulf(4, 1, 3)), &mut s), 3);
        let mut p = Pipeline::default();
        p.issue(&Group::of(&vmulf(1, 2, 3)), &mut s);
        p.issue(&Group::of(&vmulf(9, 9, 9)), &mut s);
        assert_eq!(p.issue(&Group::of(&vmulf(4, 1, 3)), &mut s), 2);
    }

    #[test]
    fn load_use_stalls_two_then_one() {
        let lw = PipeInfo::of(&Instr::Load {
            width: LoadWidth::Lw,
            rt: 8,
            base: 0,
            offset: 0,
        });
        let use8 = PipeInfo::of(&Instr::AluImm {
            op: AluImmOp::Addiu,
            rt: 9,
            rs: 8,
            imm: 1,
        });
        let other = PipeInfo::of(&Instr::AluImm {
            op: AluImmOp::Addiu,
            rt: 10,
            rs: 10,
            imm: 1,
        });
        let mut s = StallCycles::default();
        let mut p = Pipeline::default();
        p.issue(&Group::of(&lw), &mut s);
        assert_eq!(p.issue(&Group::of(&use8), &mut s), 2);
        let mut p = Pipeline::default();
        p.issue(&Group::of(&lw), &mut s);
        p.issue(&Group::of(&other), &mut s);
        assert_eq!(p.issue(&Group::of(&use8), &mut s), 1);
        assert_eq!(s.scalar_load_use, 3);
    }
}
