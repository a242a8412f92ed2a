//! Names and numeric codes: mnemonics of every op enum, GPR names, COP0 and vector control
//! register names. One table per thing, shared by the decoder, the encoder, `Display` and the
//! assembler's parser (so a name can never mean one thing to the assembler and another to the
//! disassembler).

use crate::{AluImmOp, AluRegOp, BranchCond, Gpr, LoadWidth, ShiftOp, StoreWidth, VMemOp, VecOp};

/// The conventional MIPS o32 GPR names, by number. `$30` is printed `fp` (GNU as also accepts
/// `s8`, which libdragon ucode uses; [`gpr_by_name`] accepts both).
pub(crate) const GPR_NAMES: [&str; 32] = [
    "zero", "at", "v0", "v1", "a0", "a1", "a2", "a3", "t0", "t1", "t2", "t3", "t4", "t5", "t6",
    "t7", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "t8", "t9", "k0", "k1", "gp", "sp", "fp",
    "ra",
];

/// The GPR a conventional name (without `$`) stands for: `t0` -> 8, `s8`/`fp` -> 30.
pub fn gpr_by_name(name: &str) -> Option<Gpr> {
    if name == "s8" {
        return Some(30);
    }
    GPR_NAMES.iter().position(|n| *n == name).map(|i| i as Gpr)
}

/// COP0 register names as libdragon's `rsp.inc` spells them: 0..7 are the SP interface
/// registers (DMA addresses/lengths, status, DMA full/busy, semaphore), 8..15 the DP command
/// registers (RSP-FACTS "Encodings", COP0 moves).
pub(crate) const COP0_NAMES: [&str; 16] = [
    "COP0_DMA_SPADDR",
    "COP0_DMA_RAMADDR",
    "COP0_DMA_READ",
    "COP0_DMA_WRITE",
    "COP0_SP_STATUS",
    "COP0_DMA_FULL",
    "COP0_DMA_BUSY",
    "COP0_SEMAPHORE",
    "COP0_DP_START",
    "COP0_DP_END",
    "COP0_DP_CURRENT",
    "COP0_DP_STATUS",
    "COP0_DP_CLOCK",
    "COP0_DP_BUSY",
    "COP0_DP_PIPE_BUSY",
    "COP0_DP_TMEM_BUSY",
];

/// The COP0 register number of a libdragon-style name (`COP0_SP_STATUS` -> 4).
pub fn cop0_register_by_name(name: &str) -> Option<u8> {
    COP0_NAMES.iter().position(|n| *n == name).map(|i| i as u8)
}

/// Vector control registers for CFC2/CTC2 (0 = VCO, 1 = VCC, 2 = VCE), libdragon's names.
pub const VECTOR_CONTROL_NAMES: [&str; 3] = ["COP2_CTRL_VCO", "COP2_CTRL_VCC", "COP2_CTRL_VCE"];

impl ShiftOp {
    pub const ALL: [ShiftOp; 3] = [ShiftOp::Sll, ShiftOp::Srl, ShiftOp::Sra];

    /// The immediate form's mnemonic (`sll`).
    pub const fn mnemonic(self) -> &'static str {
        match self {
            ShiftOp::Sll => "sll",
            ShiftOp::Srl => "srl",
            ShiftOp::Sra => "sra",
        }
    }

    /// The register form's mnemonic (`sllv`).
    pub const fn variable_mnemonic(self) -> &'static str {
        match self {
            ShiftOp::Sll => "sllv",
            ShiftOp::Srl => "srlv",
            ShiftOp::Sra => "srav",
        }
    }

    /// SPECIAL funct of the immediate form; the register form is this + 4.
    pub(crate) const fn funct(self) -> u32 {
        match self {
            ShiftOp::Sll => 0x00,
            ShiftOp::Srl => 0x02,
            ShiftOp::Sra => 0x03,
        }
    }
}

impl AluRegOp {
    pub const ALL: [AluRegOp; 10] = [
        AluRegOp::Add,
        AluRegOp::Addu,
        AluRegOp::Sub,
        AluRegOp::Subu,
        AluRegOp::And,
        AluRegOp::Or,
        AluRegOp::Xor,
        AluRegOp::Nor,
        AluRegOp::Slt,
        AluRegOp::Sltu,
    ];

    pub const fn mnemonic(self) -> &'static str {
        match self {
            AluRegOp::Add => "add",
            AluRegOp::Addu => "addu",
            AluRegOp::Sub => "sub",
            AluRegOp::Subu => "subu",
            AluRegOp::And => "and",
            AluRegOp::Or => "or",
            AluRegOp::Xor => "xor",
            AluRegOp::Nor => "nor",
            AluRegOp::Slt => "slt",
            AluRegOp::Sltu => "sltu",
        }
    }

    /// SPECIAL funct (MIPS I encoding).
    pub(crate) const fn funct(self) -> u32 {
        match self {
            AluRegOp::Add => 0x20,
            AluRegOp::Addu => 0x21,
            AluRegOp::Sub => 0x22,
            AluRegOp::Subu => 0x23,
            AluRegOp::And => 0x24,
            AluRegOp::Or => 0x25,
            AluRegOp::Xor => 0x26,
            AluRegOp::Nor => 0x27,
            AluRegOp::Slt => 0x2a,
            AluRegOp::Sltu => 0x2b,
        }
    }
}

impl AluImmOp {
    pub const ALL: [AluImmOp; 7] = [
        AluImmOp::Addi,
        AluImmOp::Addiu,
        AluImmOp::Slti,
        AluImmOp::Sltiu,
        AluImmOp::Andi,
        AluImmOp::Ori,
        AluImmOp::Xori,
    ];

    pub const fn mnemonic(self) -> &'static str {
        match self {
            AluImmOp::Addi => "addi",
            AluImmOp::Addiu => "addiu",
            AluImmOp::Slti => "slti",
            AluImmOp::Sltiu => "sltiu",
            AluImmOp::Andi => "andi",
            AluImmOp::Ori => "ori",
            AluImmOp::Xori => "xori",
        }
    }

    /// True when the CPU sign-extends the immediate (ADDI, ADDIU, SLTI, SLTIU; SLTIU compares
    /// unsigned but still sign-extends, as on every MIPS I).
    pub const fn sign_extends(self) -> bool {
        matches!(
            self,
            AluImmOp::Addi | AluImmOp::Addiu | AluImmOp::Slti | AluImmOp::Sltiu
        )
    }

    /// Primary opcode.
    pub(crate) const fn opcode(self) -> u32 {
        match self {
            AluImmOp::Addi => 0x08,
            AluImmOp::Addiu => 0x09,
            AluImmOp::Slti => 0x0a,
            AluImmOp::Sltiu => 0x0b,
            AluImmOp::Andi => 0x0c,
            AluImmOp::Ori => 0x0d,
            AluImmOp::Xori => 0x0e,
        }
    }
}

impl BranchCond {
    pub const ALL: [BranchCond; 8] = [
        BranchCond::Beq,
        BranchCond::Bne,
        BranchCond::Blez,
        BranchCond::Bgtz,
        BranchCond::Bltz,
        BranchCond::Bgez,
        BranchCond::Bltzal,
        BranchCond::Bgezal,
    ];

    pub const fn mnemonic(self) -> &'static str {
        match self {
            BranchCond::Beq => "beq",
            BranchCond::Bne => "bne",
            BranchCond::Blez => "blez",
            BranchCond::Bgtz => "bgtz",
            BranchCond::Bltz => "bltz",
            BranchCond::Bgez => "bgez",
            BranchCond::Bltzal => "bltzal",
            BranchCond::Bgezal => "bgezal",
        }
    }

    /// True for BEQ/BNE, the two that compare two registers.
    pub const fn compares_two_registers(self) -> bool {
        matches!(self, BranchCond::Beq | BranchCond::Bne)
    }

    /// True for BLTZAL/BGEZAL, which write the return address to `$ra` whether or not taken.
    pub const fn links(self) -> bool {
        matches!(self, BranchCond::Bltzal | BranchCond::Bgezal)
    }
}

impl LoadWidth {
    pub const ALL: [LoadWidth; 6] = [
        LoadWidth::Lb,
        LoadWidth::Lbu,
        LoadWidth::Lh,
        LoadWidth::Lhu,
        LoadWidth::Lw,
        LoadWidth::Lwu,
    ];

    pub const fn mnemonic(self) -> &'static str {
        match self {
            LoadWidth::Lb => "lb",
            LoadWidth::Lbu => "lbu",
            LoadWidth::Lh => "lh",
            LoadWidth::Lhu => "lhu",
            LoadWidth::Lw => "lw",
            LoadWidth::Lwu => "lwu",
        }
    }

    /// Bytes accessed.
    pub const fn size(self) -> u32 {
        match self {
            LoadWidth::Lb | LoadWidth::Lbu => 1,
            LoadWidth::Lh | LoadWidth::Lhu => 2,
            LoadWidth::Lw | LoadWidth::Lwu => 4,
        }
    }

    pub(crate) const fn opcode(self) -> u32 {
        match self {
            LoadWidth::Lb => 0x20,
            LoadWidth::Lh => 0x21,
            LoadWidth::Lw => 0x23,
            LoadWidth::Lbu => 0x24,
            LoadWidth::Lhu => 0x25,
            LoadWidth::Lwu => 0x27,
        }
    }
}

impl StoreWidth {
    pub const ALL: [StoreWidth; 3] = [StoreWidth::Sb, StoreWidth::Sh, StoreWidth::Sw];

    pub const fn mnemonic(self) -> &'static str {
        match self {
            StoreWidth::Sb => "sb",
            StoreWidth::Sh => "sh",
            StoreWidth::Sw => "sw",
        }
    }

    /// Bytes accessed.
    pub const fn size(self) -> u32 {
        match self {
            StoreWidth::Sb => 1,
            StoreWidth::Sh => 2,
            StoreWidth::Sw => 4,
        }
    }

    pub(crate) const fn opcode(self) -> u32 {
        match self {
            StoreWidth::Sb => 0x28,
            StoreWidth::Sh => 0x29,
            StoreWidth::Sw => 0x2b,
        }
    }
}

/// How the 4-bit element field of a vector load/store (or MTC2/MFC2) is written in source.
///
/// libdragon's `rsp.inc` gives `.eN` a per-instruction meaning, which we follow so its ucode
/// reads the same here: for most forms the field is a byte index and `.eN` means lane N (byte
/// 2N), `.bN` byte N; for LPV/LUV/SPV/SUV `.eN` is the raw field N; for LTV/STV only even bytes
/// (lanes) are meaningful, so only `.eN` (byte 2N) is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElementStyle {
    /// `.eN` = byte 2N, `.bN` = byte N.
    Byte,
    /// `.eN` = N.
    Lane,
    /// `.eN` = byte 2N only.
    LaneAsByte,
}

impl VMemOp {
    pub const ALL: [VMemOp; 12] = [
        VMemOp::Bv,
        VMemOp::Sv,
        VMemOp::Lv,
        VMemOp::Dv,
        VMemOp::Qv,
        VMemOp::Rv,
        VMemOp::Pv,
        VMemOp::Uv,
        VMemOp::Hv,
        VMemOp::Fv,
        VMemOp::Wv,
        VMemOp::Tv,
    ];

    /// The op with this `sub` field (bits 15..11 of LWC2/SWC2), if any.
    pub const fn from_sub(sub: u32) -> Option<VMemOp> {
        if sub < 12 {
            Some(VMemOp::ALL[sub as usize])
        } else {
            None
        }
    }

    /// The two letters shared by the load and store mnemonic (`qv` in `lqv`/`sqv`).
    const fn suffix(self) -> &'static str {
        match self {
            VMemOp::Bv => "bv",
            VMemOp::Sv => "sv",
            VMemOp::Lv => "lv",
            VMemOp::Dv => "dv",
            VMemOp::Qv => "qv",
            VMemOp::Rv => "rv",
            VMemOp::Pv => "pv",
            VMemOp::Uv => "uv",
            VMemOp::Hv => "hv",
            VMemOp::Fv => "fv",
            VMemOp::Wv => "wv",
            VMemOp::Tv => "tv",
        }
    }

    /// `lbv`, `lsv`, ... `ltv`.
    pub const fn load_mnemonic(self) -> &'static str {
        match self {
            VMemOp::Bv => "lbv",
            VMemOp::Sv => "lsv",
            VMemOp::Lv => "llv",
            VMemOp::Dv => "ldv",
            VMemOp::Qv => "lqv",
            VMemOp::Rv => "lrv",
            VMemOp::Pv => "lpv",
            VMemOp::Uv => "luv",
            VMemOp::Hv => "lhv",
            VMemOp::Fv => "lfv",
            VMemOp::Wv => "lwv",
            VMemOp::Tv => "ltv",
        }
    }

    /// `sbv`, `ssv`, ... `stv`.
    pub const fn store_mnemonic(self) -> &'static str {
        match self {
            VMemOp::Bv => "sbv",
            VMemOp::Sv => "ssv",
            VMemOp::Lv => "slv",
            VMemOp::Dv => "sdv",
            VMemOp::Qv => "sqv",
            VMemOp::Rv => "srv",
            VMemOp::Pv => "spv",
            VMemOp::Uv => "suv",
            VMemOp::Hv => "shv",
            VMemOp::Fv => "sfv",
            VMemOp::Wv => "swv",
            VMemOp::Tv => "stv",
        }
    }

    /// The op and direction a mnemonic names: `lqv` -> (Qv, load = true).
    pub fn from_mnemonic(m: &str) -> Option<(VMemOp, bool)> {
        let (first, rest) = (m.as_bytes().first()?, m.get(1..)?);
        let is_load = match first {
            b'l' => true,
            b's' => false,
            _ => return None,
        };
        VMemOp::ALL
            .iter()
            .find(|op| op.suffix() == rest)
            .map(|op| (*op, is_load))
    }

    /// How the element field is spelled for this op (see [`ElementStyle`]).
    pub const fn element_style(self) -> ElementStyle {
        match self {
            VMemOp::Pv | VMemOp::Uv => ElementStyle::Lane,
            VMemOp::Tv => ElementStyle::LaneAsByte,
            _ => ElementStyle::Byte,
        }
    }
}

impl VecOp {
    /// Every vector op, indexed by funct (`ALL[f] as u8 == f`).
    pub const ALL: [VecOp; 64] = [
        VecOp::Vmulf,
        VecOp::Vmulu,
        VecOp::Vrndp,
        VecOp::Vmulq,
        VecOp::Vmudl,
        VecOp::Vmudm,
        VecOp::Vmudn,
        VecOp::Vmudh,
        VecOp::Vmacf,
        VecOp::Vmacu,
        VecOp::Vrndn,
        VecOp::Vmacq,
        VecOp::Vmadl,
        VecOp::Vmadm,
        VecOp::Vmadn,
        VecOp::Vmadh,
        VecOp::Vadd,
        VecOp::Vsub,
        VecOp::Vsut,
        VecOp::Vabs,
        VecOp::Vaddc,
        VecOp::Vsubc,
        VecOp::Vaddb,
        VecOp::Vsubb,
        VecOp::Vaccb,
        VecOp::Vsucb,
        VecOp::Vsad,
        VecOp::Vsac,
        VecOp::Vsum,
        VecOp::Vsar,
        VecOp::Vacc,
        VecOp::Vsuc,
        VecOp::Vlt,
        VecOp::Veq,
        VecOp::Vne,
        VecOp::Vge,
        VecOp::Vcl,
        VecOp::Vch,
        VecOp::Vcr,
        VecOp::Vmrg,
        VecOp::Vand,
        VecOp::Vnand,
        VecOp::Vor,
        VecOp::Vnor,
        VecOp::Vxor,
        VecOp::Vnxor,
        VecOp::V2e,
        VecOp::V2f,
        VecOp::Vrcp,
        VecOp::Vrcpl,
        VecOp::Vrcph,
        VecOp::Vmov,
        VecOp::Vrsq,
        VecOp::Vrsql,
        VecOp::Vrsqh,
        VecOp::Vnop,
        VecOp::Vextt,
        VecOp::Vextq,
        VecOp::Vextn,
        VecOp::V3b,
        VecOp::Vinst,
        VecOp::Vinsq,
        VecOp::Vinsn,
        VecOp::Vnull,
    ];

    /// The op with this 6-bit funct (only the low 6 bits are looked at).
    pub const fn from_funct(funct: u32) -> VecOp {
        VecOp::ALL[(funct & 0x3f) as usize]
    }

    /// The funct field.
    pub const fn funct(self) -> u32 {
        self as u32
    }

    /// Lower-case mnemonic. The four functs nobody named (0x2e, 0x2f, 0x3b) are written
    /// `v2e`, `v2f`, `v3b` (hex funct), so that every vector word disassembles to something the
    /// assembler accepts.
    pub const fn mnemonic(self) -> &'static str {
        match self {
            VecOp::Vmulf => "vmulf",
            VecOp::Vmulu => "vmulu",
            VecOp::Vrndp => "vrndp",
            VecOp::Vmulq => "vmulq",
            VecOp::Vmudl => "vmudl",
            VecOp::Vmudm => "vmudm",
            VecOp::Vmudn => "vmudn",
            VecOp::Vmudh => "vmudh",
            VecOp::Vmacf => "vmacf",
            VecOp::Vmacu => "vmacu",
            VecOp::Vrndn => "vrndn",
            VecOp::Vmacq => "vmacq",
            VecOp::Vmadl => "vmadl",
            VecOp::Vmadm => "vmadm",
            VecOp::Vmadn => "vmadn",
            VecOp::Vmadh => "vmadh",
            VecOp::Vadd => "vadd",
            VecOp::Vsub => "vsub",
            VecOp::Vsut => "vsut",
            VecOp::Vabs => "vabs",
            VecOp::Vaddc => "vaddc",
            VecOp::Vsubc => "vsubc",
            VecOp::Vaddb => "vaddb",
            VecOp::Vsubb => "vsubb",
            VecOp::Vaccb => "vaccb",
            VecOp::Vsucb => "vsucb",
            VecOp::Vsad => "vsad",
            VecOp::Vsac => "vsac",
            VecOp::Vsum => "vsum",
            VecOp::Vsar => "vsar",
            VecOp::Vacc => "vacc",
            VecOp::Vsuc => "vsuc",
            VecOp::Vlt => "vlt",
            VecOp::Veq => "veq",
            VecOp::Vne => "vne",
            VecOp::Vge => "vge",
            VecOp::Vcl => "vcl",
            VecOp::Vch => "vch",
            VecOp::Vcr => "vcr",
            VecOp::Vmrg => "vmrg",
            VecOp::Vand => "vand",
            VecOp::Vnand => "vnand",
            VecOp::Vor => "vor",
            VecOp::Vnor => "vnor",
            VecOp::Vxor => "vxor",
            VecOp::Vnxor => "vnxor",
            VecOp::V2e => "v2e",
            VecOp::V2f => "v2f",
            VecOp::Vrcp => "vrcp",
            VecOp::Vrcpl => "vrcpl",
            VecOp::Vrcph => "vrcph",
            VecOp::Vmov => "vmov",
            VecOp::Vrsq => "vrsq",
            VecOp::Vrsql => "vrsql",
            VecOp::Vrsqh => "vrsqh",
            VecOp::Vnop => "vnop",
            VecOp::Vextt => "vextt",
            VecOp::Vextq => "vextq",
            VecOp::Vextn => "vextn",
            VecOp::V3b => "v3b",
            VecOp::Vinst => "vinst",
            VecOp::Vinsq => "vinsq",
            VecOp::Vinsn => "vinsn",
            VecOp::Vnull => "vnull",
        }
    }

    /// The op a mnemonic names (`vmulf` -> Vmulf).
    pub fn from_mnemonic(m: &str) -> Option<VecOp> {
        VecOp::ALL.iter().copied().find(|op| op.mnemonic() == m)
    }

    /// True for the functs the N64 RSP does not implement as documented ops (VSUT, VADDB..VSUM,
    /// VACC, VSUC, 0x2e, 0x2f, VEXTT..VINSN): ares runs them as "VZERO" (vd = 0, accumulator
    /// low = vs + vt\[e\]), `ares/n64/rsp/decoder.cpp`.
    pub const fn is_reserved_on_rsp(self) -> bool {
        matches!(
            self,
            VecOp::Vsut
                | VecOp::Vaddb
                | VecOp::Vsubb
                | VecOp::Vaccb
                | VecOp::Vsucb
                | VecOp::Vsad
                | VecOp::Vsac
                | VecOp::Vsum
                | VecOp::Vacc
                | VecOp::Vsuc
                | VecOp::V2e
                | VecOp::V2f
                | VecOp::Vextt
                | VecOp::Vextq
                | VecOp::Vextn
                | VecOp::V3b
                | VecOp::Vinst
                | VecOp::Vinsq
                | VecOp::Vinsn
        )
    }
}
