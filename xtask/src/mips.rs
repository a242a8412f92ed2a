//! Encodes the few MIPS III instructions our IPL3 is made of.
//!
//! Formats and opcodes: "MIPS IV Instruction Set" (rev 3.2) and the VR4300 User's Manual,
//! chapter "CPU Instruction Set Details": I-type `op<<26 | rs<<21 | rt<<16 | imm16`, SPECIAL
//! (op 0) R-type with the function in bits 0..5, COP0 moves `0x10<<26 | 4<<21 | rt<<16 | rd<<11`
//! for MTC0, CACHE `0x2F<<26 | base<<21 | op<<16 | offset`. Branch offsets count instructions
//! from the delay slot.

/// A general-purpose register number.
pub type Reg = u32;

pub const ZERO: Reg = 0;
pub const T0: Reg = 8;
pub const T1: Reg = 9;
pub const T2: Reg = 10;
pub const T3: Reg = 11;
pub const T4: Reg = 12;
pub const S3: Reg = 19;
pub const S4: Reg = 20;
pub const S5: Reg = 21;
pub const S6: Reg = 22;
pub const S7: Reg = 23;
pub const T9: Reg = 25;
pub const SP: Reg = 29;

/// CP0 TagLo and TagHi, the tag values CACHE Index_Store_Tag writes.
pub const CP0_TAGLO: Reg = 28;
pub const CP0_TAGHI: Reg = 29;
/// CP0 Status and Config, which the PIF boot program sets before the IPL3 runs.
pub const CP0_STATUS: Reg = 12;
pub const CP0_CONFIG: Reg = 16;

fn i_type(op: u32, rs: Reg, rt: Reg, imm: u16) -> u32 {
    op << 26 | (rs & 31) << 21 | (rt & 31) << 16 | imm as u32
}

pub fn nop() -> u32 {
    0
}

pub fn lui(rt: Reg, imm: u16) -> u32 {
    i_type(0x0F, 0, rt, imm)
}

pub fn ori(rt: Reg, rs: Reg, imm: u16) -> u32 {
    i_type(0x0D, rs, rt, imm)
}

pub fn andi(rt: Reg, rs: Reg, imm: u16) -> u32 {
    i_type(0x0C, rs, rt, imm)
}

pub fn addiu(rt: Reg, rs: Reg, imm: i16) -> u32 {
    i_type(0x09, rs, rt, imm as u16)
}

pub fn lw(rt: Reg, offset: i16, base: Reg) -> u32 {
    i_type(0x23, base, rt, offset as u16)
}

pub fn sw(rt: Reg, offset: i16, base: Reg) -> u32 {
    i_type(0x2B, base, rt, offset as u16)
}

/// `bne rs, rt, offset` with `offset` in instructions after the delay slot.
pub fn bne(rs: Reg, rt: Reg, offset: i16) -> u32 {
    i_type(0x05, rs, rt, offset as u16)
}

/// `cache op, offset(base)`.
pub fn cache(op: u32, offset: i16, base: Reg) -> u32 {
    i_type(0x2F, base, op, offset as u16)
}

/// `srl rd, rt, sa` (SPECIAL function 0x02).
pub fn srl(rd: Reg, rt: Reg, sa: u32) -> u32 {
    (rt & 31) << 16 | (rd & 31) << 11 | (sa & 31) << 6 | 0x02
}

pub fn jr(rs: Reg) -> u32 {
    (rs & 31) << 21 | 0x08
}

pub fn mtc0(rt: Reg, cp0_reg: Reg) -> u32 {
    0x10 << 26 | 4 << 21 | (rt & 31) << 16 | (cp0_reg & 31) << 11
}

/// Loads a 32-bit constant with `lui` + `ori` (always two instructions, so code size does not
/// depend on the value).
pub fn load_u32(rt: Reg, value: u32) -> [u32; 2] {
    [lui(rt, (value >> 16) as u16), ori(rt, rt, value as u16)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_encodings() {
        assert_eq!(nop(), 0x0000_0000);
        // `jr $ra` ends nearly every MIPS function: 0x03E00008.
        assert_eq!(jr(31), 0x03E0_0008);
        // PI register base in KSEG1: lui $t0, 0xA460.
        assert_eq!(lui(T0, 0xA460), 0x3C08_A460);
        // lw $t1, 0x10($t0) (PI_STATUS).
        assert_eq!(lw(T1, 0x10, T0), 0x8D09_0010);
        // addiu $t2, $t2, -16 sign-extends the immediate field: 0xFFF0.
        assert_eq!(addiu(T2, T2, -16), 0x254A_FFF0);
        // A branch to itself: offset -1.
        assert_eq!(bne(T1, ZERO, -1), 0x1520_FFFF);
        // mtc0 $zero, TagLo.
        assert_eq!(mtc0(ZERO, CP0_TAGLO), 0x4080_E000);
        // srl $t3, $t2, 8.
        assert_eq!(srl(T3, T2, 8), 0x000A_5A02);
        // mtc0 $t4, Status.
        assert_eq!(mtc0(T4, CP0_STATUS), 0x408C_6000);
    }
}
