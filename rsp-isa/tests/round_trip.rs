//! Exact round trips both ways, over a structured sweep of the word space and random
//! instructions, plus hand-checked words.

use rsp_isa::random::{self, Rng};
use rsp_isa::*;

fn check_word(word: u32) {
    match decode(word) {
        Ok(instr) => {
            assert_eq!(instr.encode(), word, "{word:#010x} -> {instr:?}");
            assert!(instr.is_well_formed(), "{word:#010x} -> {instr:?}");
        }
        Err(DecodeError::NotOnRsp { word: w, mips_name }) => {
            assert_eq!(w, word);
            assert!(!mips_name.is_empty());
        }
        Err(DecodeError::Reserved { word: w }) => assert_eq!(w, word),
    }
}

#[test]
fn every_opcode_rs_rt_funct_combination_round_trips() {
    // All 2^22 combinations of opcode, rs, rt and funct, each with the remaining ten bits
    // (rd, sa) all zero, all one, and a pseudo-random pattern: covers every dispatch path of
    // the decoder (opcode, SPECIAL funct, REGIMM rt, COP rs, vector funct, LWC2/SWC2 sub).
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut accepted = 0u32;
    for top in 0u32..1 << 16 {
        for funct in 0u32..64 {
            let base = top << 16 | funct;
            for middle in [0u32, 0x3ff, rng.below(0x400) as u32] {
                let word = base | middle << 6;
                check_word(word);
                accepted += decode(word).is_ok() as u32;
            }
        }
    }
    assert!(accepted > 1_000_000, "only {accepted} words decoded");
}

#[test]
fn random_words_round_trip() {
    let mut rng = Rng(42);
    for _ in 0..1_000_000 {
        check_word(rng.next_u64() as u32);
    }
}

#[test]
fn random_instructions_round_trip() {
    let mut rng = Rng(7);
    for _ in 0..200_000 {
        let instr = random::instr(&mut rng);
        assert!(instr.is_well_formed());
        assert_eq!(
            decode(instr.encode()),
            Ok(instr),
            "{instr:?} = {:#010x}",
            instr.encode()
        );
        assert!(!instr.to_string().is_empty());
    }
}

#[test]
fn enum_tables_are_indexed_by_their_codes() {
    for (i, op) in VecOp::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i);
        assert_eq!(VecOp::from_mnemonic(op.mnemonic()), Some(*op));
    }
    for (i, op) in VMemOp::ALL.iter().enumerate() {
        assert_eq!(*op as usize, i);
        assert_eq!(VMemOp::from_mnemonic(op.load_mnemonic()), Some((*op, true)));
        assert_eq!(
            VMemOp::from_mnemonic(op.store_mnemonic()),
            Some((*op, false))
        );
    }
}

/// Words everybody who has read a MIPS listing knows, written down independently of the code.
#[test]
fn well_known_mips_words() {
    let cases: [(u32, Instr); 10] = [
        (
            0x0000_0000,
            Instr::Shift {
                op: ShiftOp::Sll,
                rd: 0,
                rt: 0,
                sa: 0,
            },
        ),
        (0x03e0_0008, Instr::Jr { rs: 31 }),
        (
            0x27bd_fff0,
            Instr::AluImm {
                op: AluImmOp::Addiu,
                rt: 29,
                rs: 29,
                imm: 0xfff0,
            },
        ),
        (
            0x8fa8_0004,
            Instr::Load {
                width: LoadWidth::Lw,
                rt: 8,
                base: 29,
                offset: 4,
            },
        ),
        (
            0xafbf_0010,
            Instr::Store {
                width: StoreWidth::Sw,
                rt: 31,
                base: 29,
                offset: 16,
            },
        ),
        (0x3c01_1234, Instr::Lui { rt: 1, imm: 0x1234 }),
        (0x0000_000d, Instr::Break { code: 0 }),
        (
            0x1000_ffff,
            Instr::Branch {
                cond: BranchCond::Beq,
                rs: 0,
                rt: 0,
                offset: -1,
            },
        ),
        (
            0x0c00_0010,
            Instr::Jump {
                link: true,
                target: 0x10,
            },
        ),
        (
            0x0109_5021,
            Instr::AluReg {
                op: AluRegOp::Addu,
                rd: 10,
                rs: 8,
                rt: 9,
            },
        ),
    ];
    for (word, instr) in cases {
        assert_eq!(decode(word), Ok(instr), "{word:#010x}");
        assert_eq!(instr.encode(), word, "{instr:?}");
    }
}

#[test]
fn mips_instructions_the_rsp_lacks_are_named() {
    let cases: [(u32, &str); 12] = [
        (0x0109_0018, "mult"),
        (0x0109_001a, "div"),
        (0x0000_4010, "mfhi"),
        (0x0109_502d, "daddu"),
        (0x5000_0001, "beql"),
        (0x0503_0001, "bgezl"),
        (0x8808_0000, "lwl"),
        (0xb808_0000, "swr"),
        (0xdc08_0000, "ld"),
        (0x4600_0000, "cop1"),
        (0x4481_0000, "mtc1"),
        (0x0000_000c, "syscall"),
    ];
    for (word, name) in cases {
        assert_eq!(
            decode(word),
            Err(DecodeError::NotOnRsp {
                word,
                mips_name: name
            }),
            "{word:#010x}"
        );
    }
    // Opcode 0x1c..0x1f and SPECIAL funct 0x01/0x05 exist on no MIPS the N64 has.
    for word in [0x7000_0000, 0x7c00_0000, 0x0000_0001, 0x0000_0005] {
        assert_eq!(decode(word), Err(DecodeError::Reserved { word }));
    }
}

#[test]
fn nonzero_must_be_zero_fields_are_rejected_exactly_and_accepted_leniently() {
    // sll $t0, $t1, 2 with rs = 5: not an exact encoding, but the RSP runs it as the SLL.
    let word = 0x00a9_4080;
    assert_eq!(decode(word), Err(DecodeError::Reserved { word }));
    assert_eq!(
        decode_lenient(word),
        Ok(Instr::Shift {
            op: ShiftOp::Sll,
            rd: 8,
            rt: 9,
            sa: 2
        })
    );
    // mfc0 $t0, COP0_SP_STATUS with junk in bits 10..0.
    let word = 0x4008_2001;
    assert_eq!(decode(word), Err(DecodeError::Reserved { word }));
    assert_eq!(decode_lenient(word), Ok(Instr::Mfc0 { rt: 8, rd: 4 }));
    // mtc2 with junk in bits 6..0 keeps its element.
    let word = 0x4881_0f85;
    assert_eq!(
        decode_lenient(word),
        Ok(Instr::Mtc2 {
            rt: 1,
            vs: 1,
            e: 15
        })
    );
    // The lenient decoder reports errors for the word it was given.
    assert_eq!(
        decode_lenient(0x0109_0018),
        Err(DecodeError::NotOnRsp {
            word: 0x0109_0018,
            mips_name: "mult"
        })
    );
}

#[test]
fn lwc2_sub_fields_above_eleven_are_reserved() {
    for sub in 12u32..32 {
        let word = 0x32 << 26 | sub << 11;
        assert_eq!(decode(word), Err(DecodeError::Reserved { word }));
    }
}

/// Opcode 0x27 is LWU on the VR4300; the RSP decodes it and runs it as LW (ares
/// `n64/rsp/decoder.cpp`), so it is an RSP instruction, not `NotOnRsp`.
#[test]
fn lwu_is_an_rsp_load() {
    // lwu $t1, -4($sp): 0x27<<26 | 29<<21 | 9<<16 | 0xfffc
    let word = 0x9fa9_fffc;
    let instr = rsp_isa::decode(word).expect("lwu decodes on the RSP");
    assert_eq!(
        instr,
        rsp_isa::Instr::Load {
            width: rsp_isa::LoadWidth::Lwu,
            rt: 9,
            base: 29,
            offset: -4
        }
    );
    assert_eq!(instr.encode(), word);
    assert_eq!(instr.to_string(), "lwu $t1, -4($sp)");
}
