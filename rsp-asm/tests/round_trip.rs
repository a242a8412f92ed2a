//! Random valid instructions -> disassembly (rsp-isa's Display, and the absolute-address form
//! `rsp_asm::disassemble` prints) -> assembler -> the same words.

use rsp_isa::*;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn u8(&mut self, n: u64) -> u8 {
        self.below(n) as u8
    }
}

fn random_instr(rng: &mut Rng) -> Instr {
    let r = |rng: &mut Rng| rng.u8(32);
    match rng.below(17) {
        0 => Instr::Shift { op: ShiftOp::ALL[rng.below(3) as usize], rd: r(rng), rt: r(rng), sa: r(rng) },
        1 => Instr::ShiftVar { op: ShiftOp::ALL[rng.below(3) as usize], rd: r(rng), rt: r(rng), rs: r(rng) },
        2 => Instr::AluReg { op: AluRegOp::ALL[rng.below(10) as usize], rd: r(rng), rs: r(rng), rt: r(rng) },
        3 => Instr::AluImm { op: AluImmOp::ALL[rng.below(7) as usize], rt: r(rng), rs: r(rng), imm: rng.next() as u16 },
        4 => Instr::Lui { rt: r(rng), imm: rng.next() as u16 },
        5 => {
            let cond = BranchCond::ALL[rng.below(8) as usize];
            let rt = if cond.compares_two_registers() { r(rng) } else { 0 };
            Instr::Branch { cond, rs: r(rng), rt, offset: rng.next() as i16 }
        }
        6 => Instr::Jump { link: rng.below(2) == 1, target: rng.below(1 << 26) as u32 },
        7 => Instr::Jr { rs: r(rng) },
        8 => Instr::Jalr { rd: r(rng), rs: r(rng) },
        9 => Instr::Break { code: rng.below(1 << 20) as u32 },
        10 => Instr::Load {
            width: LoadWidth::ALL[rng.below(5) as usize],
            rt: r(rng),
            base: r(rng),
            offset: rng.next() as i16,
        },
        11 => Instr::Store {
            width: StoreWidth::ALL[rng.below(3) as usize],
            rt: r(rng),
            base: r(rng),
            offset: rng.next() as i16,
        },
        12 => match rng.below(2) {
            0 => Instr::Mfc0 { rt: r(rng), rd: r(rng) },
            _ => Instr::Mtc0 { rt: r(rng), rd: r(rng) },
        },
        13 => match rng.below(4) {
            0 => Instr::Mfc2 { rt: r(rng), vs: r(rng), e: rng.u8(16) },
            1 => Instr::Mtc2 { rt: r(rng), vs: r(rng), e: rng.u8(16) },
            2 => Instr::Cfc2 { rt: r(rng), rd: r(rng) },
            _ => Instr::Ctc2 { rt: r(rng), rd: r(rng) },
        },
        14 => {
            // Bias towards the special forms (single-lane, vsar, vrnd, vmacq, vnop) and zeros.
            let op = VecOp::ALL[rng.below(64) as usize];
            let z = |rng: &mut Rng, n| if rng.below(3) == 0 { 0 } else { rng.u8(n) };
            Instr::Vector { op, vd: z(rng, 32), vs: z(rng, 32), vt: z(rng, 32), e: z(rng, 16) }
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

fn assemble_words(source: &str) -> Vec<u32> {
    match rsp_asm::assemble_str("rt.S", source) {
        Ok(u) => u.text_words(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn display_of_random_instructions_reassembles() {
    let mut rng = Rng(0xdead_beef);
    // 20 programs of 1000 instructions (each fits the 4 KB IMEM).
    for _ in 0..20 {
        let instrs: Vec<Instr> = (0..1000).map(|_| random_instr(&mut rng)).collect();
        let source: Vec<String> = instrs.iter().map(|i| i.to_string()).collect();
        let words = assemble_words(&source.join("\n"));
        for (k, i) in instrs.iter().enumerate() {
            assert_eq!(words[k], i.encode(), "`{}` ({i:?})", source[k]);
        }
    }
}

#[test]
fn listing_disassembly_reassembles() {
    // `rsp_asm::disassemble` prints absolute branch targets; assembled at the same addresses
    // they give the same words.
    let mut rng = Rng(77);
    for _ in 0..5 {
        let words: Vec<u32> = (0..1000).map(|_| random_instr(&mut rng).encode()).collect();
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        let listing = rsp_asm::disassemble(&bytes, 0);
        let source: Vec<&str> = listing.lines().map(|l| l.split_once("  ").unwrap().1).collect();
        assert_eq!(assemble_words(&source.join("\n")), words);
    }
}

#[test]
fn every_vector_op_and_element_reassembles() {
    // Exhaustive over funct x element, with register patterns that hit each special form.
    let mut lines = Vec::new();
    let mut want = Vec::new();
    for op in VecOp::ALL {
        for e in 0..16u8 {
            for (vd, vs, vt) in [(0, 0, 0), (1, 2, 3), (31, 9, 17)] {
                let i = Instr::Vector { op, vd, vs, vt, e };
                lines.push(i.to_string());
                want.push(i.encode());
            }
        }
    }
    for chunk in 0..lines.len().div_ceil(1000) {
        let range = chunk * 1000..((chunk + 1) * 1000).min(lines.len());
        assert_eq!(assemble_words(&lines[range.clone()].join("\n")), want[range]);
    }
}
