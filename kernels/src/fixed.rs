//! The RSP vector-unit primitives the kernels are built from, as plain integer functions.
//!
//! Each mirrors one row of RSP-FACTS.md "Accumulator and clamps": the 48-bit accumulator is
//! modelled by an `i64` (the kernels keep every sum below 2^47, so the hardware's wrap mod 2^48
//! never happens; numerics.md "Accumulator bounds"), and the signed output clamp is [`sat16`].

/// The signed output clamp: `acc[47:16]` (already shifted) clamped to int16.
#[inline]
pub const fn sat16(v: i64) -> i16 {
    if v > i16::MAX as i64 {
        i16::MAX
    } else if v < i16::MIN as i64 {
        i16::MIN
    } else {
        v as i16
    }
}

/// Rounding constant that VMULF adds once at the start of a chain (RSP-FACTS: `= 2ab + 0x8000`).
pub const VMULF_ROUND: i64 = 0x8000;

/// One VMULF/VMACF chain: `sat16((0x8000 + sum 2*a_i*b_i) >> 16)`.
///
/// Arithmetic shift (floor) of the exact sum; the single rounding constant makes it round half
/// up. Used for the block partial dot product, attention scores, the attention-weighted sum
/// and the exp squarings.
#[inline]
pub fn vmulf_chain<I: Iterator<Item = (i16, i16)>>(pairs: I) -> i16 {
    let mut acc = VMULF_ROUND;
    for (a, b) in pairs {
        acc += 2 * (a as i64) * (b as i64);
    }
    sat16(acc >> 16)
}

/// A single VMULF: `sat16((2ab + 0x8000) >> 16)`, i.e. the Q0.15 product rounded half up.
#[inline]
pub const fn vmulf(a: i16, b: i16) -> i16 {
    sat16((2 * (a as i64) * (b as i64) + VMULF_ROUND) >> 16)
}

/// VADD without carry-in: the saturating int16 sum.
#[inline]
pub const fn vadd(a: i16, b: i16) -> i16 {
    sat16(a as i64 + b as i64)
}

/// VSUB without carry-in: the saturating int16 difference.
#[inline]
pub const fn vsub(a: i16, b: i16) -> i16 {
    sat16(a as i64 - b as i64)
}

/// VMUDH by the constant `2^k`: the saturating left shift `sat16(a << k)` (k <= 15).
#[inline]
pub const fn shl_sat(a: i16, k: u32) -> i16 {
    sat16((a as i64) << k)
}

/// VABS of a value with itself: `|a|`, with -32768 giving 32767 (the result is clamped).
#[inline]
pub const fn vabs(a: i16) -> i16 {
    if a == i16::MIN {
        i16::MAX
    } else if a < 0 {
        -a
    } else {
        a
    }
}
