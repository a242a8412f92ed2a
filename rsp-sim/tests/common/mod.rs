#![allow(dead_code)]
pub mod fixture;

use rsp_isa::{AluImmOp, BranchCond, Instr, LoadWidth, StoreWidth, VMemOp, VecOp};
use rsp_sim::Rsp;

pub fn bytes(program: &[Instr]) -> Vec<u8> {
    program
        .iter()
        .flat_map(|i| i.encode().to_be_bytes())
        .collect()
}

/// A fresh simulator with `program` at IMEM 0 and the PC at 0.
pub fn load(program: &[Instr]) -> Rsp {
    let mut rsp = Rsp::with_rdram(vec![0; 1 << 20]);
    rsp.load_imem(0, &bytes(program)).unwrap();
    rsp.set_pc(0);
    rsp
}

// Small constructors so programs read like assembly.
pub fn nop() -> Instr {
    Instr::Shift {
        op: rsp_isa::ShiftOp::Sll,
        rd: 0,
        rt: 0,
        sa: 0,
    }
}
pub fn brk() -> Instr {
    Instr::Break { code: 0 }
}
pub fn addiu(rt: u8, rs: u8, imm: i16) -> Instr {
    Instr::AluImm {
        op: AluImmOp::Addiu,
        rt,
        rs,
        imm: imm as u16,
    }
}
pub fn ori(rt: u8, rs: u8, imm: u16) -> Instr {
    Instr::AluImm {
        op: AluImmOp::Ori,
        rt,
        rs,
        imm,
    }
}
pub fn lw(rt: u8, offset: i16, base: u8) -> Instr {
    Instr::Load {
        width: LoadWidth::Lw,
        rt,
        base,
        offset,
    }
}
pub fn sw(rt: u8, offset: i16, base: u8) -> Instr {
    Instr::Store {
        width: StoreWidth::Sw,
        rt,
        base,
        offset,
    }
}
pub fn beq(rs: u8, rt: u8, offset: i16) -> Instr {
    Instr::Branch {
        cond: BranchCond::Beq,
        rs,
        rt,
        offset,
    }
}
pub fn bne(rs: u8, rt: u8, offset: i16) -> Instr {
    Instr::Branch {
        cond: BranchCond::Bne,
        rs,
        rt,
        offset,
    }
}
pub fn vop(op: VecOp, vd: u8, vs: u8, vt: u8) -> Instr {
    Instr::Vector {
        op,
        vd,
        vs,
        vt,
        e: 0,
    }
}
pub fn vmulf(vd: u8, vs: u8, vt: u8) -> Instr {
    vop(VecOp::Vmulf, vd, vs, vt)
}
pub fn vmacf(vd: u8, vs: u8, vt: u8) -> Instr {
    vop(VecOp::Vmacf, vd, vs, vt)
}
pub fn lqv(vt: u8, offset16: i8, base: u8) -> Instr {
    Instr::VLoad {
        op: VMemOp::Qv,
        vt,
        e: 0,
        base,
        offset: offset16,
    }
}
pub fn sqv(vt: u8, offset16: i8, base: u8) -> Instr {
    Instr::VStore {
        op: VMemOp::Qv,
        vt,
        e: 0,
        base,
        offset: offset16,
    }
}
pub fn mfc0(rt: u8, rd: u8) -> Instr {
    Instr::Mfc0 { rt, rd }
}
pub fn mtc0(rt: u8, rd: u8) -> Instr {
    Instr::Mtc0 { rt, rd }
}

// GPR numbers.
pub const T0: u8 = 8;
pub const T1: u8 = 9;
pub const T2: u8 = 10;
pub const T3: u8 = 11;
pub const RA: u8 = 31;

// COP0 register numbers (RSP-FACTS "Encodings").
pub const SP_MEM_ADDR: u8 = 0;
pub const SP_DRAM_ADDR: u8 = 1;
pub const SP_RD_LEN: u8 = 2;
pub const SP_WR_LEN: u8 = 3;
pub const SP_STATUS: u8 = 4;
pub const SP_DMA_FULL: u8 = 5;
pub const SP_DMA_BUSY: u8 = 6;
pub const SP_SEMAPHORE: u8 = 7;
pub const DPC_CLOCK: u8 = 12;
