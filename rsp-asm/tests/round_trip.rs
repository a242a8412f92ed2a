//! Random valid instructions -> disassembly (rsp-isa's Display, and the absolute-address form
//! `rsp_asm::disassemble` prints) -> assembler -> the same words.

use rsp_isa::random::{self, Rng};
use rsp_isa::*;

/// A random instruction whose branch or jump target (at IMEM address `pc`) is inside IMEM: the
/// assembler refuses targets past the 12-bit PC, which would silently wrap on the RSP.
fn in_imem(rng: &mut Rng, pc: u32) -> Instr {
    loop {
        let i = random::instr(rng);
        let target = match i {
            Instr::Jump { target, .. } => (target as i64) << 2,
            Instr::Branch { offset, .. } => pc as i64 + 4 + 4 * offset as i64,
            _ => return i,
        };
        if (0..4096).contains(&target) {
            return i;
        }
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
        let instrs: Vec<Instr> = (0..1000).map(|k| in_imem(&mut rng, 4 * k)).collect();
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
        let words: Vec<u32> = (0..1000).map(|k| in_imem(&mut rng, 4 * k).encode()).collect();
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
