//! Integer block scales: how a real block scale becomes the u16 `G` the matvec multiplies by,
//! once, when a model is converted (numerics.md "Block scales").
//!
//! `G = round_half_up(s * 2^(bits-1) * fold * 2^(16 + f_out - f_in - k))` where `s` is the
//! block's real scale (real weight = q * s), `fold = sqrt(fold_num / fold_den)` is a constant
//! folded into the matrix (the norm's `sqrt(n)`, and attention's `1/sqrt(head_dim)` for wq),
//! and `k` is the matrix's output shift. Everything is integer arithmetic: `s` is an exact
//! float16 (or a small rational for the embedding) and `fold` is the fixed-point value
//! `floor(sqrt(fold_num * 2^48 / fold_den))` = `sqrt(...) * 2^24` rounded down, so the result
//! is the same on every machine.

use crate::dims::ModelDims;
use crate::error::MatrixKind;
use kernels::formats::{F_FFH, F_K, F_LOGIT, F_Q, F_RES, F_UNIT, F_V};
use kernels::matvec::MAX_OUT_SHIFT;

/// A non-negative finite float16 value as `mant * 2^exp2` (exact).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExactHalf {
    pub mant: u64,
    pub exp2: i32,
}

/// Why a float16 block scale cannot be used.
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

/// Decodes a float16 block scale exactly: a normal value is `(1024 + frac) * 2^(e - 25)`, a
/// subnormal `frac * 2^-24` (IEEE 754 binary16: 5 exponent bits, bias 15, 10 fraction bits).
/// Zero of either sign is 0; other negatives, infinities and NaNs are refused.
pub fn decode_half(bits: u16) -> Result<ExactHalf, HalfProblem> {
    let h = half::f16::from_bits(bits);
    if !h.is_finite() {
        return Err(HalfProblem::NotFinite);
    }
    if h == half::f16::ZERO {
        // Also -0 (IEEE equality).
        return Ok(ExactHalf { mant: 0, exp2: 0 });
    }
    if h.is_sign_negative() {
        return Err(HalfProblem::Negative);
    }
    let e = i32::from((bits >> 10) & 0x1F);
    let frac = u64::from(bits & 0x3FF);
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

/// Fractional bits of the fixed-point fold factor.
pub const FOLD_FRAC_BITS: u32 = 24;

/// A folded constant `sqrt(num / den)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub num: u64,
    pub den: u64,
}

impl Fold {
    pub const ONE: Fold = Fold { num: 1, den: 1 };

    /// `floor(sqrt(num * 2^48 / den))` (num <= 2^14 keeps the shift inside u64).
    pub fn fixed(self) -> u64 {
        isqrt((self.num << (2 * FOLD_FRAC_BITS)) / self.den.max(1))
    }
}

fn isqrt(v: u64) -> u64 {
    if v == 0 {
        return 0;
    }
    // Newton from above, exact floor.
    let mut x = v;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + v / x) / 2;
    }
    x
}

/// Input format, output format and folded constant of a matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixFormats {
    pub f_in: u32,
    pub f_out: u32,
    pub fold: Fold,
}

/// The formats of a layer matrix (numerics.md "Formats" table).
pub fn layer_formats(kind: MatrixKind, dims: &ModelDims) -> MatrixFormats {
    let n = dims.d_model as u64;
    let norm = Fold { num: n, den: 1 };
    match kind {
        // sqrt(n) undoes the unit-norm output; 1/sqrt(head_dim) is attention's scaling.
        MatrixKind::Wq => MatrixFormats {
            f_in: F_UNIT,
            f_out: F_Q,
            fold: Fold {
                num: n,
                den: dims.head_dim() as u64,
            },
        },
        MatrixKind::Wk => MatrixFormats {
            f_in: F_UNIT,
            f_out: F_K,
            fold: norm,
        },
        MatrixKind::Wv => MatrixFormats {
            f_in: F_UNIT,
            f_out: F_V,
            fold: norm,
        },
        MatrixKind::Wo => MatrixFormats {
            f_in: F_V,
            f_out: F_RES,
            fold: Fold::ONE,
        },
        MatrixKind::Ff1 => MatrixFormats {
            f_in: F_UNIT,
            f_out: F_FFH,
            fold: norm,
        },
        MatrixKind::Ff2 => MatrixFormats {
            f_in: F_FFH,
            f_out: F_RES,
            fold: Fold::ONE,
        },
    }
}

/// The formats of the tied output head (input: the final norm's unit vector).
pub fn head_formats(dims: &ModelDims) -> MatrixFormats {
    MatrixFormats {
        f_in: F_UNIT,
        f_out: F_LOGIT,
        fold: Fold {
            num: dims.d_model as u64,
            den: 1,
        },
    }
}

/// `round_half_up(mant * 2^exp2 / den * fold_fixed / 2^24)`, or `None` when the result is
/// 2^32 or more (far past any usable scale). `den >= 1`.
pub fn scaled_round(mant: u64, exp2: i32, den: u64, fold_fixed: u64) -> Option<u64> {
    let den = den.max(1);
    if mant == 0 || fold_fixed == 0 {
        return Some(0);
    }
    // n = mant * fold_fixed < 2^64 for mant < 2^12 and fold_fixed < 2^38.
    let n = mant.checked_mul(fold_fixed)?;
    let sh = exp2 - FOLD_FRAC_BITS as i32;
    let result = if sh >= 0 {
        if sh >= 64 || n.leading_zeros() <= sh as u32 + 1 {
            return None;
        }
        let num = n << sh;
        num / den + u64::from(2 * (num % den) >= den)
    } else {
        let r = (-sh) as u32;
        if r >= 100 {
            return Some(0);
        }
        // divide by d = den * 2^r, rounding half up; split the power of two to stay in u64.
        let mut q = n;
        let mut d = den;
        let mut rr = r;
        while rr > 0 && d.leading_zeros() > 2 {
            d <<= 1;
            rr -= 1;
        }
        // Remaining power of two shifts the numerator (floor, exact enough: the dropped bits
        // are below 2^-40 of the result and only arise for r > 60).
        q >>= rr;
        q / d + u64::from(2 * (q % d) >= d)
    };
    if result >= 1 << 32 {
        None
    } else {
        Some(result)
    }
}

/// The power-of-two exponent that turns a real scale into `G` before the output shift:
/// `(bits - 1) + 16 + f_out - f_in`.
pub fn base_exponent(weight_bits: u32, f: &MatrixFormats) -> i32 {
    (weight_bits as i32 - 1) + 16 + f.f_out as i32 - f.f_in as i32
}

/// Chooses the smallest output shift `k` that keeps `max_g(k) <= 65535`; `max_at` gives the
/// largest `G` at a shift (None = overflowed u32). Returns `(k, largest G)` or the largest
/// value seen at the biggest shift.
pub fn choose_shift(mut max_at: impl FnMut(u8) -> Option<u64>) -> Result<u8, u64> {
    let mut last = u64::MAX;
    for k in 0..=MAX_OUT_SHIFT {
        match max_at(k) {
            Some(g) if g <= 0xFFFF => return Ok(k),
            Some(g) => last = g,
            None => last = u64::MAX,
        }
    }
    Err(last)
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
    fn exact_decoding_equals_the_half_crates_value_for_every_finite_half() {
        for bits in 0u16..=0xFFFF {
            let h = half::f16::from_bits(bits);
            match decode_half(bits) {
                Ok(e) => {
                    let v = e.mant as f64 * 2f64.powi(e.exp2);
                    assert_eq!(v, h.to_f64().abs(), "{bits:#06x}");
                }
                Err(HalfProblem::NotFinite) => assert!(!h.is_finite(), "{bits:#06x}"),
                Err(HalfProblem::Negative) => assert!(h.to_f32() < 0.0, "{bits:#06x}"),
            }
        }
    }

    #[test]
    fn fold_fixed_point_values() {
        assert_eq!(Fold::ONE.fixed(), 1 << 24);
        assert_eq!(Fold { num: 128, den: 32 }.fixed(), 2 << 24);
        // sqrt(128) * 2^24 = 189812531.25...
        assert_eq!(Fold { num: 128, den: 1 }.fixed(), 189_812_531);
    }

    #[test]
    fn scaled_round_rounds_half_up() {
        let one = Fold::ONE.fixed();
        assert_eq!(scaled_round(3, -1, 1, one), Some(2)); // 1.5 -> 2
        assert_eq!(scaled_round(5, -2, 1, one), Some(1)); // 1.25 -> 1
        assert_eq!(scaled_round(7, 0, 2, one), Some(4)); // 3.5 -> 4
        assert_eq!(scaled_round(1, 40, 1, one), None);
        assert_eq!(scaled_round(1, -200, 1, one), Some(0));
        assert_eq!(scaled_round(1024, 5, 1, one), Some(32768));
    }
}
