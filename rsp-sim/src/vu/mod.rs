//! The vector unit (VU): 32 vector registers of eight 16-bit lanes, a 48-bit accumulator per
//! lane, the flag registers VCO/VCC/VCE and the divide unit's state.
//!
//! Facts used throughout (RSP-FACTS.md "Accumulator and clamps", "Encodings"; ares
//! `n64/rsp/interpreter-vpu.cpp` for the per-op details, checked against the hardware vectors in
//! `fixtures/rsp/rsp_hw_golden.json` by `tests/hw_golden.rs`):
//! - lane 0 is the halfword at the lowest byte address (big-endian), so byte `i` of a register
//!   is the high byte of lane `i / 2` when `i` is even and its low byte when odd;
//! - `vd = vs OP vt[e]` where `e` selects lanes of `vt` (see [`ELEMENT_LANES`]).

mod compute;
mod divide;
mod memops;

pub(crate) use compute::execute as execute_compute;
pub use divide::{RCP_TABLE, RSQ_TABLE};
pub(crate) use memops::{load as vector_load, store as vector_store};

/// One vector register: eight lanes, lane 0 first.
pub type VReg = [u16; 8];

/// `ELEMENT_LANES[e][i]` is the lane of `vt` that lane `i` of the operation reads for element
/// field `e` (RSP-FACTS.md "Encodings": 0,1 whole vector; 2,3 quarters 00224466 / 11335577;
/// 4..7 halves 00004444, 11115555, 22226666, 33337777; 8+n broadcast lane n).
pub const ELEMENT_LANES: [[usize; 8]; 16] = {
    let mut t = [[0usize; 8]; 16];
    let mut e = 0;
    while e < 16 {
        let mut i = 0;
        while i < 8 {
            t[e][i] = match e {
                0 | 1 => i,
                2 | 3 => (i & !1) | (e & 1),
                4..=7 => (i & !3) | (e & 3),
                _ => e & 7,
            };
            i += 1;
        }
        e += 1;
    }
    t
};

/// The architectural state of the vector unit (all zero after reset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VectorUnit {
    /// v0..v31.
    pub regs: [VReg; 32],
    /// Accumulator per lane, 48 bits kept sign-extended in an i64 (it wraps mod 2^48).
    pub acc: [i64; 8],
    /// VCO: bit n = carry of lane n (bits 0..7), bit 8+n = "not equal" of lane n.
    pub vco: u16,
    /// VCC: bit n = compare result of lane n (bits 0..7), bit 8+n = clip result of lane n.
    pub vcc: u16,
    /// VCE: bit n = "equal to -1" flag of lane n from VCH.
    pub vce: u8,
    /// High half of a 32-bit divide input, latched by VRCPH/VRSQH.
    pub div_in: u16,
    /// High half of the last divide result, read out by VRCPH/VRSQH.
    pub div_out: u16,
    /// Set by VRCPH/VRSQH: the next VRCPL/VRSQL uses `div_in` as its high half.
    pub div_dp: bool,
}

/// Which 16-bit slice of the accumulator (VSAR's element 8, 9, 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccSlice {
    /// Bits 47..32.
    High,
    /// Bits 31..16.
    Mid,
    /// Bits 15..0.
    Low,
}

/// Wraps a value to 48 bits, sign-extended (the accumulator wraps mod 2^48).
#[inline(always)]
pub(crate) fn wrap48(x: i64) -> i64 {
    (x << 16) >> 16
}

impl VectorUnit {
    /// One 16-bit slice of every lane's accumulator.
    pub fn acc_slice(&self, slice: AccSlice) -> VReg {
        let shift = match slice {
            AccSlice::High => 32,
            AccSlice::Mid => 16,
            AccSlice::Low => 0,
        };
        let mut out = [0u16; 8];
        for (o, a) in out.iter_mut().zip(self.acc.iter()) {
            *o = (*a >> shift) as u16;
        }
        out
    }

    /// Sets one 16-bit slice of every lane's accumulator.
    pub fn set_acc_slice(&mut self, slice: AccSlice, value: VReg) {
        let shift = match slice {
            AccSlice::High => 32,
            AccSlice::Mid => 16,
            AccSlice::Low => 0,
        };
        for (a, v) in self.acc.iter_mut().zip(value.iter()) {
            let cleared = *a & !(0xFFFFi64 << shift);
            *a = wrap48(cleared | ((*v as i64) << shift));
        }
    }

    /// Byte `i` (0..16) of register `r`, big-endian within each lane.
    #[inline(always)]
    pub fn reg_byte(&self, r: usize, i: usize) -> u8 {
        let lane = self.regs[r][(i >> 1) & 7];
        if i & 1 == 0 {
            (lane >> 8) as u8
        } else {
            lane as u8
        }
    }

    /// Writes byte `i` (0..16) of register `r`.
    #[inline(always)]
    pub fn set_reg_byte(&mut self, r: usize, i: usize, value: u8) {
        let lane = &mut self.regs[r][(i >> 1) & 7];
        if i & 1 == 0 {
            *lane = (*lane & 0x00FF) | ((value as u16) << 8);
        } else {
            *lane = (*lane & 0xFF00) | value as u16;
        }
    }

    /// Register `r` as 16 big-endian bytes.
    pub fn reg_bytes(&self, r: usize) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, lane) in self.regs[r].iter().enumerate() {
            out[2 * i..2 * i + 2].copy_from_slice(&lane.to_be_bytes());
        }
        out
    }

    /// Sets register `r` from 16 big-endian bytes.
    pub fn set_reg_bytes(&mut self, r: usize, bytes: &[u8; 16]) {
        for (i, lane) in self.regs[r].iter_mut().enumerate() {
            *lane = u16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]]);
        }
    }

    /// CFC2: the control register `rd` as the 16-bit pattern CFC2 returns, sign-extended to 32
    /// bits. 0 = VCO, 1 = VCC, 2 and 3 = VCE (ares `CFC2`: VCE in the low byte, the high byte
    /// zero; the result is sign-extended from 16 bits).
    pub fn read_control(&self, rd: u8) -> u32 {
        let v = match rd & 3 {
            0 => self.vco,
            1 => self.vcc,
            _ => self.vce as u16,
        };
        v as i16 as i32 as u32
    }

    /// CTC2: sets control register `rd` from the low 16 bits of `value` (VCE takes the low 8).
    pub fn write_control(&mut self, rd: u8, value: u32) {
        match rd & 3 {
            0 => self.vco = value as u16,
            1 => self.vcc = value as u16,
            _ => self.vce = value as u8,
        }
    }

    /// MFC2: the halfword of `vs` starting at byte `e`, the second byte wrapping to byte 0 when
    /// `e` is 15; sign-extended (ares `MFC2`).
    pub fn mfc2(&self, vs: usize, e: u8) -> u32 {
        let e = (e & 15) as usize;
        let hi = self.reg_byte(vs, e);
        let lo = self.reg_byte(vs, (e + 1) & 15);
        (i16::from_be_bytes([hi, lo])) as i32 as u32
    }

    /// MTC2: writes the low halfword of `value` into `vs` starting at byte `e`. With `e` = 15
    /// only the high byte lands (the write does not wrap inside the register; RSP-FACTS.md
    /// "Emulators": this is one of the cases where z64 differs from hardware).
    pub fn mtc2(&mut self, vs: usize, e: u8, value: u32) {
        let e = (e & 15) as usize;
        self.set_reg_byte(vs, e, (value >> 8) as u8);
        if e != 15 {
            self.set_reg_byte(vs, e + 1, value as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_table_matches_the_documented_patterns() {
        assert_eq!(ELEMENT_LANES[0], [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(ELEMENT_LANES[2], [0, 0, 2, 2, 4, 4, 6, 6]);
        assert_eq!(ELEMENT_LANES[3], [1, 1, 3, 3, 5, 5, 7, 7]);
        assert_eq!(ELEMENT_LANES[6], [2, 2, 2, 2, 6, 6, 6, 6]);
        assert_eq!(ELEMENT_LANES[13], [5; 8]);
    }

    #[test]
    fn control_registers_sign_extend_from_16_bits() {
        let mut vu = VectorUnit::default();
        vu.write_control(0, 0x0001_8001);
        assert_eq!(vu.vco, 0x8001);
        assert_eq!(vu.read_control(0), 0xFFFF_8001);
        vu.write_control(2, 0x1FF);
        assert_eq!(vu.read_control(2), 0xFF);
        assert_eq!(vu.read_control(3), 0xFF);
    }

    #[test]
    fn mfc2_wraps_the_second_byte_and_mtc2_does_not() {
        let mut vu = VectorUnit::default();
        vu.regs[1] = [0x0102, 0, 0, 0, 0, 0, 0, 0xA0B0];
        assert_eq!(vu.mfc2(1, 15), 0xFFFF_B001);
        vu.mtc2(1, 15, 0x1234);
        assert_eq!(vu.regs[1][7], 0xA012);
        assert_eq!(vu.regs[1][0], 0x0102);
    }

    #[test]
    fn acc_slices_round_trip_and_stay_48_bit() {
        let mut vu = VectorUnit::default();
        vu.set_acc_slice(AccSlice::High, [0x8000; 8]);
        assert_eq!(vu.acc[0], -(1i64 << 47));
        vu.set_acc_slice(AccSlice::Low, [0x1234; 8]);
        assert_eq!(vu.acc_slice(AccSlice::Low), [0x1234; 8]);
        assert_eq!(vu.acc_slice(AccSlice::High), [0x8000; 8]);
        assert_eq!(vu.acc_slice(AccSlice::Mid), [0; 8]);
    }
}
