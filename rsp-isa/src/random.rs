//! (feature `random`) Random valid instructions for tests: one generator, so the ISA's own
//! round trips and the assembler's (disassemble -> assemble) draw from the same distribution.

use crate::*;

/// xorshift64*: small, deterministic, no dependency (tests are reproducible from their seed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `0..n` (modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn u8(&mut self, n: u64) -> u8 {
        self.below(n) as u8
    }
}

/// A random well-formed instruction: every class of [`Instr`], every field drawn over its whole
/// range. Vector ops are biased towards zero fields (a third of the time each), which reach the
/// special forms: single-lane VRCP/VRSQ/VMOV, VSAR, VNOP.
pub fn instr(rng: &mut Rng) -> Instr {
    let r = |rng: &mut Rng| rng.u8(32);
    match rng.below(17) {
        0 => Instr::Shift {
            op: ShiftOp::ALL[rng.below(3) as usize],
            rd: r(rng),
            rt: r(rng),
            sa: r(rng),
        },
        1 => Instr::ShiftVar {
            op: ShiftOp::ALL[rng.below(3) as usize],
            rd: r(rng),
            rt: r(rng),
            rs: r(rng),
        },
        2 => Instr::AluReg {
            op: AluRegOp::ALL[rng.below(10) as usize],
            rd: r(rng),
            rs: r(rng),
            rt: r(rng),
        },
        3 => Instr::AluImm {
            op: AluImmOp::ALL[rng.below(7) as usize],
            rt: r(rng),
            rs: r(rng),
            imm: rng.next_u64() as u16,
        },
        4 => Instr::Lui {
            rt: r(rng),
            imm: rng.next_u64() as u16,
        },
        5 => {
            let cond = BranchCond::ALL[rng.below(8) as usize];
            let rt = if cond.compares_two_registers() {
                r(rng)
            } else {
                0
            };
            Instr::Branch {
                cond,
                rs: r(rng),
                rt,
                offset: rng.next_u64() as i16,
            }
        }
        6 => Instr::Jump {
            link: rng.below(2) == 1,
            target: rng.below(1 << 26) as u32,
        },
        7 => Instr::Jr { rs: r(rng) },
        8 => Instr::Jalr {
            rd: r(rng),
            rs: r(rng),
        },
        9 => Instr::Break {
            code: rng.below(1 << 20) as u32,
        },
        10 => Instr::Load {
            width: LoadWidth::ALL[rng.below(5) as usize],
            rt: r(rng),
            base: r(rng),
            offset: rng.next_u64() as i16,
        },
        11 => Instr::Store {
            width: StoreWidth::ALL[rng.below(3) as usize],
            rt: r(rng),
            base: r(rng),
            offset: rng.next_u64() as i16,
        },
        12 => match rng.below(2) {
            0 => Instr::Mfc0 {
                rt: r(rng),
                rd: r(rng),
            },
            _ => Instr::Mtc0 {
                rt: r(rng),
                rd: r(rng),
            },
        },
        13 => match rng.below(4) {
            0 => Instr::Mfc2 {
                rt: r(rng),
                vs: r(rng),
                e: rng.u8(16),
            },
            1 => Instr::Mtc2 {
                rt: r(rng),
                vs: r(rng),
                e: rng.u8(16),
            },
            2 => Instr::Cfc2 {
                rt: r(rng),
                rd: r(rng),
            },
            _ => Instr::Ctc2 {
                rt: r(rng),
                rd: r(rng),
            },
        },
        14 => {
            let op = VecOp::ALL[rng.below(64) as usize];
            let z = |rng: &mut Rng, n| if rng.below(3) == 0 { 0 } else { rng.u8(n) };
            Instr::Vector {
                op,
                vd: z(rng, 32),
                vs: z(rng, 32),
                vt: z(rng, 32),
                e: z(rng, 16),
            }
        }
        15 => Instr::VLoad {
            op: VMemOp::ALL[rng.below(12) as usize],
            vt: r(rng),
            e: rng.u8(16),
            base: r(rng),
            offset: rng.below(128) as i8 - 64,
        },
        _ => Instr::VStore {
            op: VMemOp::ALL[rng.below(12) as usize],
            vt: r(rng),
            e: rng.u8(16),
            base: r(rng),
            offset: rng.below(128) as i8 - 64,
        },
    }
}
