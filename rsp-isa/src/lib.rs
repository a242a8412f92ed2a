//! The RSP instruction set as data: one [`Instr`] value per 32-bit instruction word.
//!
//! This crate is the contract between the assembler (`rsp-asm`, which produces words) and the
//! simulator (`rsp-sim`, which executes them): both go through [`decode`] / [`Instr::encode`], and
//! [`Instr`]'s `Display` is the one disassembly syntax of the project (the syntax `rsp-asm`
//! accepts), so a listing, a simulator trace and an assembler error all read the same.
//!
//! Encodings (see `../shared/RSP-FACTS.md`, "Encodings"):
//! - vector op: `0x4A000000 | e<<21 | vt<<16 | vs<<11 | vd<<6 | funct`
//! - LWC2 (0x32) / SWC2 (0x3A): `op<<26 | base<<21 | vt<<16 | sub<<11 | e<<7 | off7`
//! - COP2 moves: `0x12<<26 | rs<<21 | rt<<16 | rd<<11 | e<<7` (rs 0 mfc2, 2 cfc2, 4 mtc2, 6 ctc2)
//! - COP0 moves: `0x10<<26 | rs<<21 | rt<<16 | rd<<11` (rs 0 mfc0, 4 mtc0)
//!
//! The scalar unit is the MIPS I subset the RSP implements: no MULT/DIV family, no 64-bit ops,
//! no likely branches, no LWL/LWR/SWL/SWR, no coprocessor 1 (ares `n64/rsp/decoder.cpp`).
//!
//! Besides the types:
//! - [`decode`] (exact: accepts a word only if [`Instr::encode`] rebuilds it) and
//!   [`decode_lenient`] (what the RSP executes: fields its decoder ignores are cleared first);
//! - `Display` for [`Instr`] (and [`Instr::at`] for absolute branch targets), in `rsp-asm`'s
//!   syntax;
//! - [`Instr::effects`] (GPR / vector register / VU state reads and writes, DMEM access),
//!   [`Instr::unit`], [`Instr::has_delay_slot`], [`Instr::static_target`] for the cycle model;
//! - [`names`]: mnemonics and register names shared with the assembler;
//! - [`sp_status`]: the bit layouts of SP_STATUS (COP0 register 4) as read and as written;
//! - `random` (feature `random`, for tests): random well-formed instructions.
#![no_std]

mod decode;
mod display;
mod effects;
mod encode;
pub mod names;
#[cfg(feature = "random")]
pub mod random;
pub mod sp_status;

pub use decode::{decode, decode_lenient};
pub use display::{cop0_register_name, gpr_name, DisplayAt};
pub use effects::{Effects, Unit, VuState};
pub use names::{cop0_register_by_name, gpr_by_name, VECTOR_CONTROL_NAMES};

/// A general-purpose register number, 0..=31.
pub type Gpr = u8;
/// A vector register number, 0..=31.
pub type Vr = u8;

/// One RSP instruction.
///
/// Register fields always hold the raw 5-bit numbers; element fields hold the raw 4-bit field of
/// the encoding (not a lane number). `decode(encode(i)) == Ok(i)` for every valid `i`, and
/// `encode(decode(w)?) == w` for every word `decode` accepts (fields the RSP ignores, such as the
/// `code` of BREAK, are kept so that the round trip is exact).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Instr {
    /// `rd = rt <op> sa` (SLL, SRL, SRA). `sll $zero, $zero, 0` is the canonical NOP.
    Shift {
        op: ShiftOp,
        rd: Gpr,
        rt: Gpr,
        sa: u8,
    },
    /// `rd = rt <op> (rs & 31)` (SLLV, SRLV, SRAV).
    ShiftVar {
        op: ShiftOp,
        rd: Gpr,
        rt: Gpr,
        rs: Gpr,
    },
    /// `rd = rs <op> rt` (ADD, ADDU, SUB, SUBU, AND, OR, XOR, NOR, SLT, SLTU).
    /// On the RSP ADD/SUB never trap: they behave as ADDU/SUBU.
    AluReg {
        op: AluRegOp,
        rd: Gpr,
        rs: Gpr,
        rt: Gpr,
    },
    /// `rt = rs <op> imm` (ADDI, ADDIU, SLTI, SLTIU sign-extend `imm`; ANDI, ORI, XORI
    /// zero-extend it).
    AluImm {
        op: AluImmOp,
        rt: Gpr,
        rs: Gpr,
        imm: u16,
    },
    /// `rt = imm << 16`.
    Lui { rt: Gpr, imm: u16 },
    /// Conditional branch; target = address of the delay slot + `offset * 4`.
    /// `rt` is only meaningful for BEQ/BNE (it is 0 in the other encodings).
    Branch {
        cond: BranchCond,
        rs: Gpr,
        rt: Gpr,
        offset: i16,
    },
    /// J / JAL; `target` is the 26-bit word-index field (the RSP PC is 12 bits, so only the
    /// low 10 bits matter, but all 26 are kept).
    Jump { link: bool, target: u32 },
    /// JR rs.
    Jr { rs: Gpr },
    /// JALR rd, rs.
    Jalr { rd: Gpr, rs: Gpr },
    /// BREAK: halts the RSP (sets SP_STATUS halt + broke, raises the SP interrupt when
    /// interrupt-on-break is enabled). `code` is the ignored 20-bit field.
    Break { code: u32 },
    /// Scalar load: `rt = mem[base + offset]`.
    Load {
        width: LoadWidth,
        rt: Gpr,
        base: Gpr,
        offset: i16,
    },
    /// Scalar store: `mem[base + offset] = rt`.
    Store {
        width: StoreWidth,
        rt: Gpr,
        base: Gpr,
        offset: i16,
    },
    /// `rt = cop0[rd]` (SP registers 0..7, DP registers 8..15).
    Mfc0 { rt: Gpr, rd: u8 },
    /// `cop0[rd] = rt`.
    Mtc0 { rt: Gpr, rd: u8 },
    /// `rt = sign-extended halfword of vs starting at byte e`.
    Mfc2 { rt: Gpr, vs: Vr, e: u8 },
    /// `halfword of vs starting at byte e = rt`.
    Mtc2 { rt: Gpr, vs: Vr, e: u8 },
    /// `rt = vector control register rd` (0 = VCO, 1 = VCC, 2 = VCE).
    Cfc2 { rt: Gpr, rd: u8 },
    /// `vector control register rd = rt`.
    Ctc2 { rt: Gpr, rd: u8 },
    /// Vector computational op, `vd = vs <op> vt[e]`.
    ///
    /// For the single-lane ops (VRCP, VRCPL, VRCPH, VMOV, VRSQ, VRSQL, VRSQH) the `vs` slot
    /// holds the destination element ("de") and `e` selects the source lane of `vt`. For VSAR
    /// `e` is 8/9/10 (accumulator high/middle/low). VNOP and VNULL keep whatever fields the
    /// word had.
    Vector {
        op: VecOp,
        vd: Vr,
        vs: Vr,
        vt: Vr,
        e: u8,
    },
    /// Vector load (LWC2), `offset` is the raw signed 7-bit field (scaled by the access size).
    VLoad {
        op: VMemOp,
        vt: Vr,
        e: u8,
        base: Gpr,
        offset: i8,
    },
    /// Vector store (SWC2), `offset` is the raw signed 7-bit field (scaled by the access size).
    VStore {
        op: VMemOp,
        vt: Vr,
        e: u8,
        base: Gpr,
        offset: i8,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShiftOp {
    Sll,
    Srl,
    Sra,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluRegOp {
    Add,
    Addu,
    Sub,
    Subu,
    And,
    Or,
    Xor,
    Nor,
    Slt,
    Sltu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluImmOp {
    Addi,
    Addiu,
    Slti,
    Sltiu,
    Andi,
    Ori,
    Xori,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BranchCond {
    Beq,
    Bne,
    Blez,
    Bgtz,
    Bltz,
    Bgez,
    Bltzal,
    Bgezal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadWidth {
    Lb,
    Lbu,
    Lh,
    Lhu,
    Lw,
    /// LWU: a VR4300 (MIPS III) opcode that the RSP decodes and runs exactly as LW, since its
    /// registers are 32 bits wide (ares `n64/rsp/decoder.cpp` and `interpreter-ipu.cpp`).
    Lwu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreWidth {
    Sb,
    Sh,
    Sw,
}

/// The twelve vector load/store forms, numbered by their `sub` field (0..=11).
/// LWC2 has all twelve except that `Wv` as a load does nothing on hardware; SWC2 has all twelve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum VMemOp {
    Bv = 0,
    Sv = 1,
    Lv = 2,
    Dv = 3,
    Qv = 4,
    Rv = 5,
    Pv = 6,
    Uv = 7,
    Hv = 8,
    Fv = 9,
    Wv = 10,
    Tv = 11,
}

impl VMemOp {
    /// The factor the 7-bit offset field is multiplied by (RSP-FACTS "Encodings").
    pub const fn offset_scale(self) -> i32 {
        match self {
            VMemOp::Bv => 1,
            VMemOp::Sv => 2,
            VMemOp::Lv => 4,
            VMemOp::Dv | VMemOp::Pv | VMemOp::Uv => 8,
            VMemOp::Qv | VMemOp::Rv | VMemOp::Hv | VMemOp::Fv | VMemOp::Wv | VMemOp::Tv => 16,
        }
    }
}

/// Vector computational ops by their 6-bit `funct`. Every funct value has a variant, so every
/// COP2 vector word decodes; the ones with no documented effect on the RSP are still named as
/// armips names them (the hardware gives them defined behaviour, which `rsp-sim` models).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum VecOp {
    Vmulf = 0x00,
    Vmulu = 0x01,
    Vrndp = 0x02,
    Vmulq = 0x03,
    Vmudl = 0x04,
    Vmudm = 0x05,
    Vmudn = 0x06,
    Vmudh = 0x07,
    Vmacf = 0x08,
    Vmacu = 0x09,
    Vrndn = 0x0a,
    Vmacq = 0x0b,
    Vmadl = 0x0c,
    Vmadm = 0x0d,
    Vmadn = 0x0e,
    Vmadh = 0x0f,
    Vadd = 0x10,
    Vsub = 0x11,
    Vsut = 0x12,
    Vabs = 0x13,
    Vaddc = 0x14,
    Vsubc = 0x15,
    Vaddb = 0x16,
    Vsubb = 0x17,
    Vaccb = 0x18,
    Vsucb = 0x19,
    Vsad = 0x1a,
    Vsac = 0x1b,
    Vsum = 0x1c,
    Vsar = 0x1d,
    Vacc = 0x1e,
    Vsuc = 0x1f,
    Vlt = 0x20,
    Veq = 0x21,
    Vne = 0x22,
    Vge = 0x23,
    Vcl = 0x24,
    Vch = 0x25,
    Vcr = 0x26,
    Vmrg = 0x27,
    Vand = 0x28,
    Vnand = 0x29,
    Vor = 0x2a,
    Vnor = 0x2b,
    Vxor = 0x2c,
    Vnxor = 0x2d,
    V2e = 0x2e,
    V2f = 0x2f,
    Vrcp = 0x30,
    Vrcpl = 0x31,
    Vrcph = 0x32,
    Vmov = 0x33,
    Vrsq = 0x34,
    Vrsql = 0x35,
    Vrsqh = 0x36,
    Vnop = 0x37,
    Vextt = 0x38,
    Vextq = 0x39,
    Vextn = 0x3a,
    V3b = 0x3b,
    Vinst = 0x3c,
    Vinsq = 0x3d,
    Vinsn = 0x3e,
    Vnull = 0x3f,
}

impl VecOp {
    /// True for VRCP, VRCPL, VRCPH, VMOV, VRSQ, VRSQL, VRSQH: the ops whose `vs` slot is a
    /// destination element and which write one lane of `vd`.
    pub const fn is_single_lane(self) -> bool {
        matches!(
            self,
            VecOp::Vrcp
                | VecOp::Vrcpl
                | VecOp::Vrcph
                | VecOp::Vmov
                | VecOp::Vrsq
                | VecOp::Vrsql
                | VecOp::Vrsqh
        )
    }
}

/// Why a word is not an RSP instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A MIPS instruction the RSP's scalar unit does not implement (MULT, DIV, DADD, BEQL,
    /// LWL, COP1, ...): the name of what it would be on a MIPS CPU.
    NotOnRsp { word: u32, mips_name: &'static str },
    /// No MIPS I instruction at all.
    Reserved { word: u32 },
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::NotOnRsp { mips_name, .. } => {
                write!(
                    f,
                    "`{mips_name}` is a MIPS instruction the RSP does not implement"
                )
            }
            DecodeError::Reserved { .. } => write!(f, "not an RSP or MIPS instruction"),
        }
    }
}
