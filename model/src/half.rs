//! IEEE half precision (float16) by bit manipulation: decoding to an exact integer mantissa
//! and power of two (how block scales become integer scales, numerics.md "Block scales"), and
//! conversions to/from f32 bits for the float reference and the Q4 requantiser.

/// A non-negative finite float16 value as `mant * 2^exp2` (exact).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExactHalf {
    pub mant: u64,
    pub exp2: i32,
}

/// Why a float16 scale cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HalfProblem {
    Negative,
    NotFinite,
}

impl HalfProblem {
    pub const fn why(self) -> &'static str {
        match self {
            HalfProblem::Negative => "negative (block scales must be >= 0)",
            HalfProblem::NotFinite => "infinite or NaN",
        }
    }
}

/// Decodes float16 bits exactly: normal values are `(1024 + frac) * 2^(e - 25)`, subnormals
/// `frac * 2^-24`. Zero (either sign) is accepted as 0; other negatives, infinities and NaNs
/// are refused.
pub fn decode_half(bits: u16) -> Result<ExactHalf, HalfProblem> {
    let sign = bits >> 15;
    let e = ((bits >> 10) & 0x1F) as i32;
    let frac = (bits & 0x3FF) as u64;
    if e == 0x1F {
        return Err(HalfProblem::NotFinite);
    }
    if e == 0 && frac == 0 {
        return Ok(ExactHalf { mant: 0, exp2: 0 });
    }
    if sign != 0 {
        return Err(HalfProblem::Negative);
    }
    Ok(if e == 0 {
        ExactHalf {
            mant: frac,
            exp2: -24,
        }
    } else {
        ExactHalf {
            mant: 1024 + frac,
            exp2: e - 25,
        }
    })
}

/// float16 bits -> f32 bits (exact; every half is an f32).
pub fn half_to_f32_bits(bits: u16) -> u32 {
    let sign = ((bits >> 15) as u32) << 31;
    let e = ((bits >> 10) & 0x1F) as u32;
    let frac = (bits & 0x3FF) as u32;
    if e == 0x1F {
        return sign | 0x7F80_0000 | (frac << 13);
    }
    if e == 0 {
        if frac == 0 {
            return sign;
        }
        // Subnormal: normalise the fraction.
        let mut f = frac;
        let mut exp = -14i32;
        while f & 0x400 == 0 {
            f <<= 1;
            exp -= 1;
        }
        return sign | (((exp + 127) as u32) << 23) | ((f & 0x3FF) << 13);
    }
    sign | ((e + 112) << 23) | (frac << 13)
}

/// f32 bits -> float16 bits, round to nearest even (for the requantiser's new scales).
pub fn f32_bits_to_half(f: u32) -> u16 {
    let sign = ((f >> 16) & 0x8000) as u16;
    let e = ((f >> 23) & 0xFF) as i32;
    let mut m = f & 0x7F_FFFF;
    if e == 0xFF {
        return sign | 0x7C00 | if m != 0 { 0x200 } else { 0 };
    }
    let unbiased = e - 127;
    if unbiased > 15 {
        return sign | 0x7C00;
    }
    if unbiased >= -14 {
        // Normal half: keep 10 of 23 fraction bits, round half to even.
        let half_e = (unbiased + 15) as u32;
        let mut out = (half_e << 10) | (m >> 13);
        let rest = m & 0x1FFF;
        if rest > 0x1000 || (rest == 0x1000 && (out & 1) == 1) {
            out += 1; // may carry into the exponent, which is the correct rounding
        }
        return sign | out as u16;
    }
    if unbiased < -25 {
        return sign;
    }
    // Subnormal half: value = m' * 2^-24 with the implicit bit made explicit.
    m |= 0x80_0000;
    let shift = (-unbiased - 14 + 13) as u32; // 14..=24
    let mut out = m >> shift;
    let rest = m & ((1 << shift) - 1);
    let halfway = 1 << (shift - 1);
    if rest > halfway || (rest == halfway && (out & 1) == 1) {
        out += 1;
    }
    sign | out as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_known_halves() {
        assert_eq!(
            decode_half(0x3C00),
            Ok(ExactHalf {
                mant: 1024,
                exp2: -10
            })
        ); // 1.0
        assert_eq!(decode_half(0x0001), Ok(ExactHalf { mant: 1, exp2: -24 })); // 2^-24
        assert_eq!(decode_half(0x8000), Ok(ExactHalf { mant: 0, exp2: 0 }));
        assert_eq!(decode_half(0xBC00), Err(HalfProblem::Negative));
        assert_eq!(decode_half(0x7C00), Err(HalfProblem::NotFinite));
        assert_eq!(decode_half(0x7E00), Err(HalfProblem::NotFinite));
    }

    #[test]
    fn half_f32_round_trip_is_exact_for_every_finite_half() {
        for bits in 0u16..=0xFFFF {
            if (bits >> 10) & 0x1F == 0x1F {
                continue;
            }
            let f = half_to_f32_bits(bits);
            assert_eq!(f32_bits_to_half(f), bits, "{bits:#06x}");
        }
    }

    #[test]
    fn f32_to_half_rounds_to_nearest_even() {
        // 1 + 2^-11 is halfway between 1.0 and the next half: rounds to even (1.0).
        assert_eq!(f32_bits_to_half((1.0f32 + 1.0 / 2048.0).to_bits()), 0x3C00);
        // 1 + 3*2^-11 is halfway between 1+2^-10 and 1+2^-9: rounds to even (1+2^-9).
        assert_eq!(f32_bits_to_half((1.0f32 + 3.0 / 2048.0).to_bits()), 0x3C02);
        assert_eq!(f32_bits_to_half(0.000_344_5f32.to_bits()), 0x0DA5);
        assert_eq!(f32_bits_to_half(1.0e6f32.to_bits()), 0x7C00);
    }
}
