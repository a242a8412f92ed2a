//! Words to [`Instr`].
//!
//! [`decode`] is exact: it accepts a word only if [`Instr::encode`] gives the same word back, so
//! fields the RSP ignores but MIPS requires to be zero (the `rs` of SLL, the low 11 bits of
//! MFC0, ...) must be zero. [`decode_lenient`] first clears those fields, the way the RSP's own
//! decoder never looks at them (ares `n64/rsp/decoder.cpp` dispatches on opcode/funct/rs/rt
//! only), so it gives the instruction the hardware would execute.
//!
//! Opcode map (MIPS I as in the VR4300 manual; RSP subset per RSP-FACTS "Machine" and ares):
//! anything the VR4300 has but the RSP lacks is [`DecodeError::NotOnRsp`] with its MIPS name;
//! anything neither has is [`DecodeError::Reserved`].

use crate::{
    AluImmOp, AluRegOp, BranchCond, DecodeError, Instr, LoadWidth, ShiftOp, StoreWidth, VMemOp,
    VecOp,
};

const fn rs(w: u32) -> u8 {
    ((w >> 21) & 31) as u8
}
const fn rt(w: u32) -> u8 {
    ((w >> 16) & 31) as u8
}
const fn rd(w: u32) -> u8 {
    ((w >> 11) & 31) as u8
}
const fn sa(w: u32) -> u8 {
    ((w >> 6) & 31) as u8
}

fn not_on_rsp(word: u32, mips_name: &'static str) -> Result<Instr, DecodeError> {
    Err(DecodeError::NotOnRsp { word, mips_name })
}

fn reserved(word: u32) -> Result<Instr, DecodeError> {
    Err(DecodeError::Reserved { word })
}

/// Decodes one instruction word exactly (see the module docs).
pub fn decode(word: u32) -> Result<Instr, DecodeError> {
    let opcode = word >> 26;
    let imm = word as u16;
    let simm = word as u16 as i16;
    match opcode {
        0x00 => decode_special(word),
        0x01 => decode_regimm(word),
        0x02 | 0x03 => Ok(Instr::Jump {
            link: opcode == 0x03,
            target: word & 0x03ff_ffff,
        }),
        0x04 | 0x05 => Ok(Instr::Branch {
            cond: if opcode == 0x04 {
                BranchCond::Beq
            } else {
                BranchCond::Bne
            },
            rs: rs(word),
            rt: rt(word),
            offset: simm,
        }),
        0x06 | 0x07 => {
            // BLEZ/BGTZ: rt must be 0 in MIPS; Instr keeps rt = 0 for these.
            if rt(word) != 0 {
                return reserved(word);
            }
            let cond = if opcode == 0x06 {
                BranchCond::Blez
            } else {
                BranchCond::Bgtz
            };
            Ok(Instr::Branch {
                cond,
                rs: rs(word),
                rt: 0,
                offset: simm,
            })
        }
        0x08..=0x0e => {
            let op = match opcode {
                0x08 => AluImmOp::Addi,
                0x09 => AluImmOp::Addiu,
                0x0a => AluImmOp::Slti,
                0x0b => AluImmOp::Sltiu,
                0x0c => AluImmOp::Andi,
                0x0d => AluImmOp::Ori,
                _ => AluImmOp::Xori,
            };
            Ok(Instr::AluImm {
                op,
                rt: rt(word),
                rs: rs(word),
                imm,
            })
        }
        0x0f => {
            if rs(word) != 0 {
                return reserved(word);
            }
            Ok(Instr::Lui { rt: rt(word), imm })
        }
        0x10 => decode_cop0(word),
        0x11 => decode_cop1(word),
        0x12 => decode_cop2(word),
        0x13 => not_on_rsp(word, "cop3"),
        0x14 => not_on_rsp(word, "beql"),
        0x15 => not_on_rsp(word, "bnel"),
        0x16 => not_on_rsp(word, "blezl"),
        0x17 => not_on_rsp(word, "bgtzl"),
        0x18 => not_on_rsp(word, "daddi"),
        0x19 => not_on_rsp(word, "daddiu"),
        0x1a => not_on_rsp(word, "ldl"),
        0x1b => not_on_rsp(word, "ldr"),
        0x1c..=0x1f => reserved(word),
        0x20 | 0x21 | 0x23 | 0x24 | 0x25 | 0x27 => {
            let width = match opcode {
                0x20 => LoadWidth::Lb,
                0x21 => LoadWidth::Lh,
                0x23 => LoadWidth::Lw,
                0x24 => LoadWidth::Lbu,
                0x25 => LoadWidth::Lhu,
                _ => LoadWidth::Lwu,
            };
            Ok(Instr::Load {
                width,
                rt: rt(word),
                base: rs(word),
                offset: simm,
            })
        }
        0x22 => not_on_rsp(word, "lwl"),
        0x26 => not_on_rsp(word, "lwr"),
        0x28 | 0x29 | 0x2b => {
            let width = match opcode {
                0x28 => StoreWidth::Sb,
                0x29 => StoreWidth::Sh,
                _ => StoreWidth::Sw,
            };
            Ok(Instr::Store {
                width,
                rt: rt(word),
                base: rs(word),
                offset: simm,
            })
        }
        0x2a => not_on_rsp(word, "swl"),
        0x2c => not_on_rsp(word, "sdl"),
        0x2d => not_on_rsp(word, "sdr"),
        0x2e => not_on_rsp(word, "swr"),
        0x2f => not_on_rsp(word, "cache"),
        0x30 => not_on_rsp(word, "ll"),
        0x31 => not_on_rsp(word, "lwc1"),
        0x32 | 0x3a => decode_vector_memory(word),
        0x33 => not_on_rsp(word, "lwc3"),
        0x34 => not_on_rsp(word, "lld"),
        0x35 => not_on_rsp(word, "ldc1"),
        0x36 => not_on_rsp(word, "ldc2"),
        0x37 => not_on_rsp(word, "ld"),
        0x38 => not_on_rsp(word, "sc"),
        0x39 => not_on_rsp(word, "swc1"),
        0x3b => not_on_rsp(word, "swc3"),
        0x3c => not_on_rsp(word, "scd"),
        0x3d => not_on_rsp(word, "sdc1"),
        0x3e => not_on_rsp(word, "sdc2"),
        _ => not_on_rsp(word, "sd"),
    }
}

fn decode_special(word: u32) -> Result<Instr, DecodeError> {
    let funct = word & 0x3f;
    let shift_op = |f: u32| match f & 3 {
        0 => Some(ShiftOp::Sll),
        2 => Some(ShiftOp::Srl),
        3 => Some(ShiftOp::Sra),
        _ => None,
    };
    match funct {
        0x00 | 0x02 | 0x03 => {
            if rs(word) != 0 {
                return reserved(word);
            }
            let op = shift_op(funct).ok_or(DecodeError::Reserved { word })?;
            Ok(Instr::Shift {
                op,
                rd: rd(word),
                rt: rt(word),
                sa: sa(word),
            })
        }
        0x04 | 0x06 | 0x07 => {
            if sa(word) != 0 {
                return reserved(word);
            }
            let op = shift_op(funct).ok_or(DecodeError::Reserved { word })?;
            Ok(Instr::ShiftVar {
                op,
                rd: rd(word),
                rt: rt(word),
                rs: rs(word),
            })
        }
        0x08 => {
            // JR rs: rt, rd and the hint field are zero in MIPS I.
            if word & 0x001f_ffc0 != 0 {
                return reserved(word);
            }
            Ok(Instr::Jr { rs: rs(word) })
        }
        0x09 => {
            if rt(word) != 0 || sa(word) != 0 {
                return reserved(word);
            }
            Ok(Instr::Jalr {
                rd: rd(word),
                rs: rs(word),
            })
        }
        0x0c => not_on_rsp(word, "syscall"),
        0x0d => Ok(Instr::Break {
            code: (word >> 6) & 0xf_ffff,
        }),
        0x0f => not_on_rsp(word, "sync"),
        0x10 => not_on_rsp(word, "mfhi"),
        0x11 => not_on_rsp(word, "mthi"),
        0x12 => not_on_rsp(word, "mflo"),
        0x13 => not_on_rsp(word, "mtlo"),
        0x14 => not_on_rsp(word, "dsllv"),
        0x16 => not_on_rsp(word, "dsrlv"),
        0x17 => not_on_rsp(word, "dsrav"),
        0x18 => not_on_rsp(word, "mult"),
        0x19 => not_on_rsp(word, "multu"),
        0x1a => not_on_rsp(word, "div"),
        0x1b => not_on_rsp(word, "divu"),
        0x1c => not_on_rsp(word, "dmult"),
        0x1d => not_on_rsp(word, "dmultu"),
        0x1e => not_on_rsp(word, "ddiv"),
        0x1f => not_on_rsp(word, "ddivu"),
        0x20..=0x27 | 0x2a | 0x2b => {
            if sa(word) != 0 {
                return reserved(word);
            }
            let op = match funct {
                0x20 => AluRegOp::Add,
                0x21 => AluRegOp::Addu,
                0x22 => AluRegOp::Sub,
                0x23 => AluRegOp::Subu,
                0x24 => AluRegOp::And,
                0x25 => AluRegOp::Or,
                0x26 => AluRegOp::Xor,
                0x27 => AluRegOp::Nor,
                0x2a => AluRegOp::Slt,
                _ => AluRegOp::Sltu,
            };
            Ok(Instr::AluReg {
                op,
                rd: rd(word),
                rs: rs(word),
                rt: rt(word),
            })
        }
        0x2c => not_on_rsp(word, "dadd"),
        0x2d => not_on_rsp(word, "daddu"),
        0x2e => not_on_rsp(word, "dsub"),
        0x2f => not_on_rsp(word, "dsubu"),
        0x30 => not_on_rsp(word, "tge"),
        0x31 => not_on_rsp(word, "tgeu"),
        0x32 => not_on_rsp(word, "tlt"),
        0x33 => not_on_rsp(word, "tltu"),
        0x34 => not_on_rsp(word, "teq"),
        0x36 => not_on_rsp(word, "tne"),
        0x38 => not_on_rsp(word, "dsll"),
        0x3a => not_on_rsp(word, "dsrl"),
        0x3b => not_on_rsp(word, "dsra"),
        0x3c => not_on_rsp(word, "dsll32"),
        0x3e => not_on_rsp(word, "dsrl32"),
        0x3f => not_on_rsp(word, "dsra32"),
        _ => reserved(word),
    }
}

fn decode_regimm(word: u32) -> Result<Instr, DecodeError> {
    let cond = match rt(word) {
        0x00 => BranchCond::Bltz,
        0x01 => BranchCond::Bgez,
        0x10 => BranchCond::Bltzal,
        0x11 => BranchCond::Bgezal,
        0x02 => return not_on_rsp(word, "bltzl"),
        0x03 => return not_on_rsp(word, "bgezl"),
        0x08 => return not_on_rsp(word, "tgei"),
        0x09 => return not_on_rsp(word, "tgeiu"),
        0x0a => return not_on_rsp(word, "tlti"),
        0x0b => return not_on_rsp(word, "tltiu"),
        0x0c => return not_on_rsp(word, "teqi"),
        0x0e => return not_on_rsp(word, "tnei"),
        0x12 => return not_on_rsp(word, "bltzall"),
        0x13 => return not_on_rsp(word, "bgezall"),
        _ => return reserved(word),
    };
    Ok(Instr::Branch {
        cond,
        rs: rs(word),
        rt: 0,
        offset: word as u16 as i16,
    })
}

/// The coprocessor-branch names (rs = 8): rt selects false/true and the likely forms.
fn coprocessor_branch(word: u32, names: [&'static str; 4]) -> Result<Instr, DecodeError> {
    match rt(word) {
        r @ 0..=3 => not_on_rsp(word, names[r as usize]),
        _ => reserved(word),
    }
}

fn decode_cop0(word: u32) -> Result<Instr, DecodeError> {
    match rs(word) {
        0 | 4 => {
            // MFC0/MTC0: bits 10..0 are zero in MIPS.
            if word & 0x7ff != 0 {
                return reserved(word);
            }
            let (rt, rd) = (rt(word), rd(word));
            Ok(if rs(word) == 0 {
                Instr::Mfc0 { rt, rd }
            } else {
                Instr::Mtc0 { rt, rd }
            })
        }
        1 => not_on_rsp(word, "dmfc0"),
        5 => not_on_rsp(word, "dmtc0"),
        2 => not_on_rsp(word, "cfc0"),
        6 => not_on_rsp(word, "ctc0"),
        8 => coprocessor_branch(word, ["bc0f", "bc0t", "bc0fl", "bc0tl"]),
        16..=31 => match word & 0x3f {
            0x01 => not_on_rsp(word, "tlbr"),
            0x02 => not_on_rsp(word, "tlbwi"),
            0x06 => not_on_rsp(word, "tlbwr"),
            0x08 => not_on_rsp(word, "tlbp"),
            0x10 => not_on_rsp(word, "rfe"),
            0x18 => not_on_rsp(word, "eret"),
            _ => reserved(word),
        },
        _ => reserved(word),
    }
}

fn decode_cop1(word: u32) -> Result<Instr, DecodeError> {
    match rs(word) {
        0 => not_on_rsp(word, "mfc1"),
        1 => not_on_rsp(word, "dmfc1"),
        2 => not_on_rsp(word, "cfc1"),
        4 => not_on_rsp(word, "mtc1"),
        5 => not_on_rsp(word, "dmtc1"),
        6 => not_on_rsp(word, "ctc1"),
        8 => coprocessor_branch(word, ["bc1f", "bc1t", "bc1fl", "bc1tl"]),
        16 | 17 | 20 | 21 => not_on_rsp(word, "cop1"),
        _ => reserved(word),
    }
}

fn decode_cop2(word: u32) -> Result<Instr, DecodeError> {
    if word & (1 << 25) != 0 {
        // Vector computational op: every one of the 26 low bits is a field, so every such word
        // decodes (RSP-FACTS "Encodings", vector op).
        return Ok(Instr::Vector {
            op: VecOp::from_funct(word),
            vd: sa(word),
            vs: rd(word),
            vt: rt(word),
            e: ((word >> 21) & 15) as u8,
        });
    }
    match rs(word) {
        0 | 4 => {
            // MFC2/MTC2: element in bits 10..7, bits 6..0 zero.
            if word & 0x7f != 0 {
                return reserved(word);
            }
            let (rt, vs, e) = (rt(word), rd(word), ((word >> 7) & 15) as u8);
            Ok(if rs(word) == 0 {
                Instr::Mfc2 { rt, vs, e }
            } else {
                Instr::Mtc2 { rt, vs, e }
            })
        }
        2 | 6 => {
            if word & 0x7ff != 0 {
                return reserved(word);
            }
            let (rt, rd) = (rt(word), rd(word));
            Ok(if rs(word) == 2 {
                Instr::Cfc2 { rt, rd }
            } else {
                Instr::Ctc2 { rt, rd }
            })
        }
        1 => not_on_rsp(word, "dmfc2"),
        5 => not_on_rsp(word, "dmtc2"),
        8 => coprocessor_branch(word, ["bc2f", "bc2t", "bc2fl", "bc2tl"]),
        _ => reserved(word),
    }
}

fn decode_vector_memory(word: u32) -> Result<Instr, DecodeError> {
    let Some(op) = VMemOp::from_sub((word >> 11) & 31) else {
        return reserved(word);
    };
    let vt = rt(word);
    let e = ((word >> 7) & 15) as u8;
    let base = rs(word);
    // Sign-extend the 7-bit offset field.
    let offset = (((word & 0x7f) as u8) << 1) as i8 >> 1;
    Ok(if word >> 26 == 0x32 {
        Instr::VLoad {
            op,
            vt,
            e,
            base,
            offset,
        }
    } else {
        Instr::VStore {
            op,
            vt,
            e,
            base,
            offset,
        }
    })
}

/// Decodes a word the way the RSP executes it: fields the RSP's decoder never reads are cleared
/// first (the `rs` of SLL/SRL/SRA, the `sa` of register ops, the unused fields of JR/JALR/LUI,
/// the `rt` of BLEZ/BGTZ, the low bits of COP0/COP2 moves), then [`decode`] runs. The result may
/// re-encode to a different word than `word`; errors are reported for the original word.
pub fn decode_lenient(word: u32) -> Result<Instr, DecodeError> {
    let cleared = clear_ignored_fields(word);
    decode(cleared).map_err(|e| match e {
        DecodeError::NotOnRsp { mips_name, .. } => DecodeError::NotOnRsp { word, mips_name },
        DecodeError::Reserved { .. } => DecodeError::Reserved { word },
    })
}

/// `word` with the fields the RSP ignores set to zero (ares `n64/rsp/decoder.cpp`: SPECIAL
/// dispatches on funct alone, COP0/COP2 on rs, and the handlers read only the fields they name).
fn clear_ignored_fields(word: u32) -> u32 {
    const RS: u32 = 31 << 21;
    const RT: u32 = 31 << 16;
    const RD: u32 = 31 << 11;
    const SA: u32 = 31 << 6;
    let opcode = word >> 26;
    match opcode {
        0x00 => match word & 0x3f {
            0x00 | 0x02 | 0x03 => word & !RS,
            0x04 | 0x06 | 0x07 | 0x20..=0x27 | 0x2a | 0x2b => word & !SA,
            0x08 => word & !(RT | RD | SA),
            0x09 => word & !(RT | SA),
            _ => word,
        },
        0x06 | 0x07 => word & !RT,
        0x0f => word & !RS,
        0x10 if matches!(rs(word), 0 | 4) => word & !0x7ff,
        0x12 if word & (1 << 25) == 0 => match rs(word) {
            0 | 4 => word & !0x7f,
            2 | 6 => word & !0x7ff,
            _ => word,
        },
        _ => word,
    }
}
