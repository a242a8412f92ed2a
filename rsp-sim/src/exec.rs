//! Execution: issue groups under the cycle model and the instruction semantics of the scalar
//! unit (the vector unit's are in `vu/`).
//!
//! Scalar semantics: MIPS I as on the RSP (RSP-FACTS "Machine": ADD/ADDI/SUB behave as
//! ADDU/ADDIU/SUBU, the PC is 12 bits and wraps, loads and stores of any alignment wrap at the
//! end of DMEM; ares `n64/rsp/interpreter-ipu.cpp`). BREAK sets SP_STATUS halt and broke and
//! raises the SP interrupt when interrupt-on-break is set (RSP-FACTS / n64brew "RSP Interface").

use crate::error::SimError;
use crate::icache::Slot;
use crate::machine::{Poll, PollKind, Rsp, RECENT};
use crate::pipeline::{can_dual_issue, Group};
use crate::sp::SpReg;
use crate::vu;
use rsp_isa::{AluImmOp, AluRegOp, BranchCond, Instr, LoadWidth, ShiftOp, StoreWidth};

/// Why [`Rsp::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A BREAK instruction halted the RSP.
    Break,
    /// The ucode halted the RSP by writing SP_STATUS (set halt) through MTC0.
    Halted,
}

/// How [`Rsp::advance`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// The RSP is halted (it was, or it halted during the call).
    Halted,
    /// The cycle budget was used up with the RSP still running.
    Running,
}

impl Rsp {
    /// Starts the RSP at the current PC the way the CPU does (clearing HALT and BROKE in
    /// SP_STATUS) and runs until it halts, at most `max_cycles` cycles.
    ///
    /// Exceeding the budget is [`SimError::CycleLimit`], with the PC and the last instructions.
    pub fn run(&mut self, max_cycles: u64) -> Result<StopReason, SimError> {
        self.sp.halt = false;
        self.sp.broke = false;
        let limit = self.stats.cycles.saturating_add(max_cycles);
        let halted = self.run_until(limit)?;
        if !halted {
            return Err(SimError::CycleLimit {
                limit: max_cycles,
                pc: self.pc,
                recent: self.recent_instructions(),
            });
        }
        Ok(if self.sp.broke {
            StopReason::Break
        } else {
            StopReason::Halted
        })
    }

    /// Lets `cycles` cycles pass: a running RSP executes (the call returns early when it
    /// halts); a halted one idles while the DMA engine works. For a host that drives the RSP through
    /// [`Rsp::cpu_write`] like the real MMIO registers.
    pub fn advance(&mut self, cycles: u64) -> Result<Advance, SimError> {
        if self.sp.halt {
            self.idle(cycles);
            return Ok(Advance::Halted);
        }
        let limit = self.stats.cycles.saturating_add(cycles);
        Ok(if self.run_until(limit)? {
            Advance::Halted
        } else {
            Advance::Running
        })
    }

    /// Advances a halted RSP's clock by `cycles` (DMA transfers progress).
    pub fn idle(&mut self, cycles: u64) {
        let end = self.stats.cycles.saturating_add(cycles);
        while self.dma.next_event() <= end {
            let t = self.dma.next_event().max(self.stats.cycles);
            self.stats.halted_cycles += t - self.stats.cycles;
            self.stats.cycles = t;
            self.dma_advance();
        }
        self.stats.halted_cycles += end - self.stats.cycles;
        self.stats.cycles = end;
    }

    /// Executes exactly one issue group (one or two instructions) if the RSP is not halted.
    pub fn step(&mut self) -> Result<(), SimError> {
        if self.sp.halt {
            return Ok(());
        }
        if self.tracer.is_some() {
            self.step_group::<true>()
        } else {
            self.step_group::<false>()
        }
    }

    /// Runs until halted (true) or the cycle count reaches `limit` (false).
    fn run_until(&mut self, limit: u64) -> Result<bool, SimError> {
        if self.tracer.is_some() {
            self.run_loop::<true>(limit)
        } else {
            self.run_loop::<false>(limit)
        }
    }

    fn run_loop<const TRACE: bool>(&mut self, limit: u64) -> Result<bool, SimError> {
        while !self.sp.halt {
            if self.stats.cycles >= limit {
                return Ok(false);
            }
            self.step_group::<TRACE>()?;
        }
        Ok(true)
    }

    #[inline(always)]
    fn step_group<const TRACE: bool>(&mut self) -> Result<(), SimError> {
        let first = *self.icache.slot(self.pc);
        // A branch taken in the previous group makes this group its delay slot.
        let delay_slot_of = self.branch_taken.take();
        let mut group = Group::of(&first.info);
        let mut second: Option<Slot> = None;
        if !self.pipeline.single_issue && !first.info.is_branch() {
            let next = self.icache.slot(self.pc.wrapping_add(4));
            if can_dual_issue(&first.info, &next.info) {
                group.add(&next.info);
                second = Some(*next);
            }
        }
        let waited = self.pipeline.issue(&group, &mut self.stats.stalls);
        self.stats.cycles += waited as u64;
        if self.dma.next_event() <= self.stats.cycles {
            self.dma_advance();
        }
        self.stats.groups += 1;
        self.exec_slot::<TRACE>(&first)?;
        if let Some(second) = second {
            // An instruction paired after one that halts (BREAK, MTC0 setting HALT) does not
            // run. ares' interpreter would still run it; no hardware vector settles this, and
            // stopping at the BREAK is what ucode authors expect.
            if !self.sp.halt {
                self.stats.dual_issued += 1;
                self.exec_slot::<TRACE>(&second)?;
            }
        }
        self.stats.cycles += 1;
        if let Some(target) = delay_slot_of {
            self.stats.cycles += self.pipeline.taken_branch(target, &mut self.stats.stalls) as u64;
        }
        Ok(())
    }

    #[inline(always)]
    fn exec_slot<const TRACE: bool>(&mut self, slot: &Slot) -> Result<(), SimError> {
        let pc = self.pc;
        let instr = match slot.instr {
            Ok(i) => i,
            Err(e) => {
                return Err(SimError::InvalidInstruction {
                    pc,
                    word: slot.word,
                    reason: e.to_string(),
                });
            }
        };
        self.pc = self.next_pc;
        self.next_pc = (self.next_pc + 4) & 0xFFC;
        self.stats.instructions += 1;
        self.recent[self.recent_pos] = pc as u16;
        self.recent_pos = (self.recent_pos + 1) % RECENT;
        if TRACE {
            let before = crate::trace::Snapshot::take(self);
            let result = self.execute(pc, instr);
            let cycle = self.stats.cycles;
            if let Some(mut tracer) = self.tracer.take() {
                tracer.emit(pc, slot.word, &instr, cycle, &before, self);
                self.tracer = Some(tracer);
            }
            result
        } else {
            self.execute(pc, instr)
        }
    }

    #[inline(always)]
    fn set_gpr_raw(&mut self, r: u8, value: u32) {
        self.gpr[(r & 31) as usize] = value;
        self.gpr[0] = 0;
    }

    #[inline(always)]
    fn take_branch(&mut self, target: u32) {
        let target = target & 0xFFC;
        self.next_pc = target;
        self.branch_taken = Some(target);
    }

    /// Executes one instruction at `pc` (the PC registers already point past it).
    #[inline(always)]
    fn execute(&mut self, pc: u32, instr: Instr) -> Result<(), SimError> {
        let g = |s: &Self, r: u8| s.gpr[(r & 31) as usize];
        match instr {
            Instr::Shift { op, rd, rt, sa } => {
                let v = g(self, rt);
                let sa = (sa & 31) as u32;
                let r = match op {
                    ShiftOp::Sll => v << sa,
                    ShiftOp::Srl => v >> sa,
                    ShiftOp::Sra => ((v as i32) >> sa) as u32,
                };
                self.set_gpr_raw(rd, r);
            }
            Instr::ShiftVar { op, rd, rt, rs } => {
                let v = g(self, rt);
                let sa = g(self, rs) & 31;
                let r = match op {
                    ShiftOp::Sll => v << sa,
                    ShiftOp::Srl => v >> sa,
                    ShiftOp::Sra => ((v as i32) >> sa) as u32,
                };
                self.set_gpr_raw(rd, r);
            }
            Instr::AluReg { op, rd, rs, rt } => {
                let a = g(self, rs);
                let b = g(self, rt);
                let r = match op {
                    // No overflow traps on the RSP (RSP-FACTS "Machine").
                    AluRegOp::Add | AluRegOp::Addu => a.wrapping_add(b),
                    AluRegOp::Sub | AluRegOp::Subu => a.wrapping_sub(b),
                    AluRegOp::And => a & b,
                    AluRegOp::Or => a | b,
                    AluRegOp::Xor => a ^ b,
                    AluRegOp::Nor => !(a | b),
                    AluRegOp::Slt => ((a as i32) < (b as i32)) as u32,
                    AluRegOp::Sltu => (a < b) as u32,
                };
                self.set_gpr_raw(rd, r);
            }
            Instr::AluImm { op, rt, rs, imm } => {
                let a = g(self, rs);
                let simm = imm as i16 as i32 as u32;
                let r = match op {
                    AluImmOp::Addi | AluImmOp::Addiu => a.wrapping_add(simm),
                    AluImmOp::Slti => ((a as i32) < (simm as i32)) as u32,
                    AluImmOp::Sltiu => (a < simm) as u32,
                    AluImmOp::Andi => a & imm as u32,
                    AluImmOp::Ori => a | imm as u32,
                    AluImmOp::Xori => a ^ imm as u32,
                };
                self.set_gpr_raw(rt, r);
            }
            Instr::Lui { rt, imm } => self.set_gpr_raw(rt, (imm as u32) << 16),
            Instr::Branch {
                cond,
                rs,
                rt,
                offset,
            } => {
                let a = g(self, rs);
                let b = g(self, rt);
                let taken = match cond {
                    BranchCond::Beq => a == b,
                    BranchCond::Bne => a != b,
                    BranchCond::Blez => (a as i32) <= 0,
                    BranchCond::Bgtz => (a as i32) > 0,
                    BranchCond::Bltz | BranchCond::Bltzal => (a as i32) < 0,
                    BranchCond::Bgez | BranchCond::Bgezal => (a as i32) >= 0,
                };
                if matches!(cond, BranchCond::Bltzal | BranchCond::Bgezal) {
                    // The link is written whether or not the branch is taken (MIPS I).
                    self.set_gpr_raw(31, (pc + 8) & 0xFFF);
                }
                if taken {
                    self.take_branch(pc.wrapping_add(4).wrapping_add((offset as i32 * 4) as u32));
                }
            }
            Instr::Jump { link, target } => {
                if link {
                    self.set_gpr_raw(31, (pc + 8) & 0xFFF);
                }
                self.take_branch(target << 2);
            }
            Instr::Jr { rs } => {
                let t = g(self, rs);
                self.take_branch(t);
            }
            Instr::Jalr { rd, rs } => {
                let t = g(self, rs);
                self.set_gpr_raw(rd, (pc + 8) & 0xFFF);
                self.take_branch(t);
            }
            Instr::Break { .. } => {
                self.sp.halt = true;
                self.sp.broke = true;
                if self.sp.interrupt_on_break {
                    self.sp.interrupt = true;
                }
            }
            Instr::Load {
                width,
                rt,
                base,
                offset,
            } => {
                let addr = g(self, base).wrapping_add(offset as i32 as u32);
                let v = match width {
                    LoadWidth::Lb => self.dmem.read_u8(addr) as i8 as i32 as u32,
                    LoadWidth::Lbu => self.dmem.read_u8(addr) as u32,
                    LoadWidth::Lh => self.dmem.read_u16(addr) as i16 as i32 as u32,
                    LoadWidth::Lhu => self.dmem.read_u16(addr) as u32,
                    // LWU is LW on the RSP: its registers are 32 bits (rsp-isa `LoadWidth::Lwu`).
                    LoadWidth::Lw | LoadWidth::Lwu => self.dmem.read_u32(addr),
                };
                self.set_gpr_raw(rt, v);
            }
            Instr::Store {
                width,
                rt,
                base,
                offset,
            } => {
                let addr = g(self, base).wrapping_add(offset as i32 as u32);
                let v = g(self, rt);
                match width {
                    StoreWidth::Sb => self.dmem.write_u8(addr, v as u8),
                    StoreWidth::Sh => self.dmem.write_u16(addr, v as u16),
                    StoreWidth::Sw => self.dmem.write_u32(addr, v),
                }
            }
            Instr::Mfc0 { rt, rd } => {
                let v = self.mfc0(pc, rd);
                self.set_gpr_raw(rt, v);
            }
            Instr::Mtc0 { rt, rd } => {
                let v = g(self, rt);
                self.mtc0(pc, rd, v)?;
            }
            Instr::Mfc2 { rt, vs, e } => {
                let v = self.vu.mfc2((vs & 31) as usize, e);
                self.set_gpr_raw(rt, v);
            }
            Instr::Mtc2 { rt, vs, e } => {
                let v = g(self, rt);
                self.vu.mtc2((vs & 31) as usize, e, v);
            }
            Instr::Cfc2 { rt, rd } => {
                let v = self.vu.read_control(rd);
                self.set_gpr_raw(rt, v);
            }
            Instr::Ctc2 { rt, rd } => {
                let v = g(self, rt);
                self.vu.write_control(rd, v);
            }
            Instr::Vector { op, vd, vs, vt, e } => {
                vu::execute_compute(&mut self.vu, op, vd, vs, vt, e)
            }
            Instr::VLoad {
                op,
                vt,
                e,
                base,
                offset,
            } => {
                let addr = g(self, base).wrapping_add((offset as i32 * op.offset_scale()) as u32);
                vu::vector_load(&mut self.vu, &self.dmem, op, vt, e, addr);
            }
            Instr::VStore {
                op,
                vt,
                e,
                base,
                offset,
            } => {
                let addr = g(self, base).wrapping_add((offset as i32 * op.offset_scale()) as u32);
                vu::vector_store(&self.vu, &mut self.dmem, op, vt, e, addr);
            }
        }
        Ok(())
    }

    /// MFC0: SP registers 0..7, DP registers 8..15 (bit 3 of rd selects; ares `MFC0`).
    fn mfc0(&mut self, pc: u32, rd: u8) -> u32 {
        if rd & 8 != 0 {
            return self.read_dp(rd & 7);
        }
        let reg = SpReg::from_index(rd & 7).unwrap_or(SpReg::Status);
        let v = self.read_sp_reg(reg);
        match reg {
            SpReg::DmaBusy | SpReg::DmaFull => self.note_poll(PollKind::Dma, pc, v != 0),
            SpReg::Semaphore => self.note_poll(PollKind::Semaphore, pc, v != 0),
            _ => {}
        }
        v
    }

    fn mtc0(&mut self, pc: u32, rd: u8, value: u32) -> Result<(), SimError> {
        if rd & 8 != 0 {
            self.write_dp(rd & 7, value);
            return Ok(());
        }
        let reg = SpReg::from_index(rd & 7).unwrap_or(SpReg::Status);
        self.write_sp_reg(reg, value, Some(pc))
    }

    /// Waiting statistics: a poll that finds its resource busy starts a wait, the next poll by
    /// the same instruction that finds it free ends it.
    fn note_poll(&mut self, kind: PollKind, pc: u32, busy: bool) {
        let now = self.stats.cycles;
        match self.poll {
            Some(p) if p.kind == kind && p.pc == pc => {
                if !busy {
                    let waited = now - p.since;
                    match kind {
                        PollKind::Dma => self.stats.dma_wait_cycles += waited,
                        PollKind::Semaphore => self.stats.semaphore_wait_cycles += waited,
                    }
                    self.poll = None;
                }
            }
            _ => {
                if busy {
                    self.poll = Some(Poll {
                        kind,
                        pc,
                        since: now,
                    });
                }
            }
        }
    }
}
