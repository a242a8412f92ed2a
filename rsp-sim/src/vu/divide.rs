//! The divide unit: VRCP/VRCPL/VRCPH, VRSQ/VRSQL/VRSQH and VMOV (the single-lane ops).
//!
//! RSP-FACTS.md "Accumulator and clamps": VRCP/VRSQ compute ~2^31/x and ~2^31/sqrt(x) from
//! 512-entry tables; the reciprocal entry i is ((2^34/(i+512))+1)>>8 with entry 0 = 0xFFFF; the
//! 32-bit forms go through VRCPH/VRCPL. The normalisation, the inverse-square-root table's
//! definition (largest b with a*b^2 < 2^44, a = i+512, halved for odd i) and the special
//! inputs (0 and -32768) follow ares `n64/rsp/interpreter-vpu.cpp` / `rsp.cpp`; all 1,024
//! vrcp/vrsq hardware cases of the fixture check them.

use super::{VReg, VectorUnit, ELEMENT_LANES};
use rsp_isa::VecOp;

/// The reciprocal ROM: entry i = ((2^34 / (i + 512)) + 1) >> 8, entry 0 = 0xFFFF.
pub const RCP_TABLE: [u16; 512] = {
    let mut t = [0u16; 512];
    t[0] = 0xFFFF;
    let mut i = 1;
    while i < 512 {
        t[i] = (((1u64 << 34) / (i as u64 + 512) + 1) >> 8) as u16;
        i += 1;
    }
    t
};

/// Largest `b` with `a * b * b < 2^44`.
const fn largest_below_inverse_sqrt(a: u64) -> u64 {
    // Binary search over b in [0, 2^22): a >= 256 so b < 2^18 always.
    let mut lo = 0u64; // a*lo^2 < 2^44 holds
    let mut hi = 1u64 << 22; // a*hi^2 >= 2^44 holds
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if a * mid * mid < (1u64 << 44) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The inverse-square-root ROM: for entry i, a = (i + 512) >> (i odd), entry = b >> 1 with b the
/// largest value with a*b^2 < 2^44 (at least 2^17).
pub const RSQ_TABLE: [u16; 512] = {
    let mut t = [0u16; 512];
    let mut i = 0;
    while i < 512 {
        let a = (i as u64 + 512) >> (i & 1);
        let mut b = largest_below_inverse_sqrt(a);
        if b < (1 << 17) {
            b = 1 << 17;
        }
        t[i] = (b >> 1) as u16;
        i += 1;
    }
    t
};

/// The 32-bit result of a reciprocal (`sqrt` false) or inverse square root (`sqrt` true) of
/// `input`, a signed 32-bit value.
fn lookup(input: i32, sqrt: bool) -> i32 {
    let mask = input >> 31;
    let mut data = input ^ mask;
    if input > -32768 {
        data = data.wrapping_sub(mask);
    }
    if data == 0 {
        0x7FFF_FFFF
    } else if input == -32768 {
        0xFFFF_0000u32 as i32
    } else {
        let shift = (data as u32).leading_zeros();
        let index = ((((data as u32 as u64) << shift) & 0x7FC0_0000) >> 22) as usize;
        let (entry, result_shift) = if sqrt {
            (
                RSQ_TABLE[(index & 0x1FE) | (shift as usize & 1)],
                (31 - shift) >> 1,
            )
        } else {
            (RCP_TABLE[index], 31 - shift)
        };
        let scaled = ((0x10000 | entry as i32) << 14) >> result_shift;
        scaled ^ mask
    }
}

/// Executes a single-lane op: `de` is the destination lane (the vs slot, masked to 3 bits),
/// `e` the element field; the source is lane `e & 7` of vt for the divides. Every one of them
/// also copies vt[e] (element-selected) into the accumulator's low slice.
pub(crate) fn execute(vu: &mut VectorUnit, op: VecOp, vd: usize, de: u8, vt: &VReg, e: u8) {
    let lanes = &ELEMENT_LANES[(e & 15) as usize];
    let selected: VReg = core::array::from_fn(|i| vt[lanes[i]]);
    for (acc, v) in vu.acc.iter_mut().zip(selected.iter()) {
        *acc = (*acc & !0xFFFF) | *v as i64;
    }
    let de = (de & 7) as usize;
    let source = vt[(e & 7) as usize];
    match op {
        VecOp::Vmov => {
            vu.regs[vd][de] = selected[de];
        }
        VecOp::Vrcph | VecOp::Vrsqh => {
            vu.div_dp = true;
            vu.div_in = source;
            vu.regs[vd][de] = vu.div_out;
        }
        _ => {
            let sqrt = matches!(op, VecOp::Vrsq | VecOp::Vrsql);
            let double = matches!(op, VecOp::Vrcpl | VecOp::Vrsql) && vu.div_dp;
            let input = if double {
                ((vu.div_in as u32) << 16 | source as u32) as i32
            } else {
                source as i16 as i32
            };
            let result = lookup(input, sqrt);
            vu.div_dp = false;
            vu.div_out = (result >> 16) as u16;
            vu.regs[vd][de] = result as u16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocal_table_starts_like_the_hardware_rom() {
        // First entries of the RSP's reciprocal ROM as published on n64brew's RSP page.
        assert_eq!(
            RCP_TABLE[..8],
            [0xFFFF, 0xFF00, 0xFE01, 0xFD04, 0xFC07, 0xFB0C, 0xFA11, 0xF918]
        );
    }

    #[test]
    fn inverse_sqrt_table_is_the_largest_b_below_the_bound() {
        for (i, &entry) in RSQ_TABLE.iter().enumerate() {
            let a = ((i as u64) + 512) >> (i & 1);
            let b = largest_below_inverse_sqrt(a);
            assert!(a * b * b < 1 << 44 && a * (b + 1) * (b + 1) >= 1 << 44);
            assert_eq!(entry as u64, (b.max(1 << 17) >> 1) & 0xFFFF);
        }
    }

    #[test]
    fn reciprocal_of_one_and_of_zero() {
        // 1/1 in the 2^31 scale is 0x7FFF_FFFF-ish: the table gives 0x7FFF_C000 for input 1.
        assert_eq!(lookup(1, false), 0x7FFF_C000);
        assert_eq!(lookup(0, false), 0x7FFF_FFFF);
        assert_eq!(lookup(-32768, false), 0xFFFF_0000u32 as i32);
        // 2^31 / 2 = 2^30.
        assert_eq!(lookup(2, false) >> 16, 0x3FFF);
    }

    #[test]
    fn vrcph_vrcpl_pair_divides_a_32_bit_input() {
        let mut vu = VectorUnit::default();
        let vt = [0x0001, 0x0000, 0, 0, 0, 0, 0, 0]; // 0x0001_0000 = 65536
        execute(&mut vu, VecOp::Vrcph, 3, 0, &vt, 8);
        execute(&mut vu, VecOp::Vrcpl, 3, 1, &vt, 9);
        // 2^31 / 2^16 = 2^15 = 0x8000 (table precision: 0x7FFF_C000 >> 16).
        let result = (vu.div_out as u32) << 16 | vu.regs[3][1] as u32;
        assert_eq!(result >> 12, 0x7FFF_C000u32 >> 16 >> 12);
        assert!(!vu.div_dp);
    }
}
