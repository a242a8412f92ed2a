//! The monotonic exp used by the softmax (numerics.md "exp").
//!
//! `exp(d) ~= (1 + d/256)^256` for a score difference `d <= 0`, computed as eight VMULF
//! squarings of a Q0.15 start value. With scores in Q8.7 ([`crate::formats::F_SCORE`] = 7),
//! `1 + d/256` in Q0.15 is exactly `32768 + d`; the kernel uses `0x7FFF + d` (one below, as
//! 1.0 is not representable) clamped at 0. Each step is monotone non-decreasing in its input,
//! so the whole function is; its error against exp is measured in `tests/exp_error.rs`.

use crate::fixed::{vadd, vmulf};

/// Number of VMULF squarings: the start value is raised to the power 2^8 = 256.
pub const EXP_SQUARINGS: u32 = 8;

/// `exp(d / 2^F_SCORE)` in Q0.15 for `d <= 0`; positive `d` is treated as 0.
///
/// Steps (each an RSP primitive): `t = max(sat16(0x7FFF + d), 0)` (VADD, then VGE/VMRG with
/// zero), then `t = sat16((2*t*t + 0x8000) >> 16)` eight times (VMULF t, t).
pub fn exp_neg_q15(d: i16) -> i16 {
    let d = if d > 0 { 0 } else { d };
    let mut t = vadd(0x7FFF, d);
    if t < 0 {
        t = 0;
    }
    for _ in 0..EXP_SQUARINGS {
        t = vmulf(t, t);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_monotone_over_every_input() {
        let mut prev = exp_neg_q15(i16::MIN);
        assert_eq!(prev, 0, "d = -256.0 must give exactly 0");
        for d in (i16::MIN as i32 + 1)..=0 {
            let e = exp_neg_q15(d as i16);
            assert!(e >= prev, "exp not monotone at d={d}: {e} < {prev}");
            prev = e;
        }
    }
}
