//! RMSNorm and LayerNorm, parameter-free (numerics.md "Norms").
//!
//! Both produce the *unit direction* `u = c / ||c||` in Q1.14 ([`F_UNIT`]), where `c` is the
//! residual `x` (RMSNorm) or `x - mean(x)` (LayerNorm). The real normalised vector is
//! `sqrt(n) * u`; that constant is folded into the block scales of the matrices that read the
//! norm's output, so no kernel multiplies by it. Because `|u| <= 1`, the output cannot
//! saturate whatever the residual's size (the seed-v5 residual reaches 1095).
//!
//! Steps, each exact on the RSP:
//! 1. `ss = sum a_i^2 + eps_ss`, `a_i = vabs(c_i)` (VABS, then a VMUDM chain per lane; the
//!    eight lane sums, each below 2^34, are added exactly by the scalar unit);
//! 2. `e` = the smallest integer with `ss >> 2e < 2^31` (scalar loop), `r = vrsq32(ss >> 2e)`
//!    (VRSQH/VRSQL), `m = r >> (1 + e)` (scalar shift): `m ~= 2^30 / sqrt(ss)`;
//! 3. `u_i = sat16((0x8000 + c_i * m) >> 16)` (VMUDM rounding product, VMADM c by m's low
//!    half, VMADH c by m's high half).

use crate::error::{check_len, KernelError};
use crate::fixed::{sat16, vabs, vsub};
use crate::formats::F_RES;
use crate::rcp::vrsq32;

pub use crate::formats::F_UNIT;

/// Largest vector length accepted (keeps `ss` below 2^45 and the lane sums below 2^47).
pub const MAX_NORM_LEN: usize = 1 << 14;

/// The integer epsilon added to `ss` for a real epsilon of `eps_ppm` millionths:
/// `max(1, round(n * eps * 2^(2 F_RES)))`. The seed models use eps = 1e-6 (`eps_ppm` = 1),
/// which is below one unit of `ss` at F_RES = 4, so the term is 1: it only keeps `ss > 0`.
pub const fn eps_ss(n: usize, eps_ppm: u64) -> u64 {
    let scaled = (n as u64) << (2 * F_RES);
    let e = (scaled * eps_ppm + 500_000) / 1_000_000;
    if e == 0 {
        1
    } else {
        e
    }
}

/// `sum_i vabs(x_i)^2`, exact.
pub fn sum_squares(x: &[i16]) -> u64 {
    x.iter()
        .map(|&v| {
            let a = vabs(v) as u64;
            a * a
        })
        .sum()
}

/// The multiplier `m ~= 2^30 / sqrt(ss)` of step 2 (for `ss >= 1`; `ss = 0` gives the VRSQ
/// special case 0x7FFFFFFF shifted, which only ever multiplies zeros).
pub fn unit_multiplier(ss: u64) -> u32 {
    let mut e = 0u32;
    while (ss >> (2 * e)) >= (1u64 << 31) {
        e += 1;
    }
    let r = vrsq32((ss >> (2 * e)) as i32) as u32;
    r >> (1 + e)
}

/// Step 3: `out_i = sat16((0x8000 + c_i * m) >> 16)`.
pub fn apply_multiplier(c: &[i16], m: u32, out: &mut [i16]) -> Result<(), KernelError> {
    check_len("norm output", c.len(), out.len())?;
    for (o, &v) in out.iter_mut().zip(c) {
        *o = sat16((0x8000 + v as i64 * m as i64) >> 16);
    }
    Ok(())
}

fn check_norm_len(n: usize) -> Result<(), KernelError> {
    if n == 0 || n > MAX_NORM_LEN {
        Err(KernelError::Shape {
            what: "norm length",
            value: n,
        })
    } else {
        Ok(())
    }
}

/// RMSNorm: `out = x / ||x||` in Q1.14 from `x` in Q11.4 (numerics.md "Norms").
pub fn rms_norm(x: &[i16], eps_ss: u64, out: &mut [i16]) -> Result<(), KernelError> {
    check_norm_len(x.len())?;
    let m = unit_multiplier(sum_squares(x) + eps_ss);
    apply_multiplier(x, m, out)
}

/// The mean used by LayerNorm: `floor((sum x + n/2) / n)` (round half up), exact.
pub fn rounded_mean(x: &[i16]) -> i16 {
    let n = x.len().max(1) as i64;
    let s: i64 = x.iter().map(|&v| v as i64).sum();
    sat16((s + n / 2).div_euclid(n))
}

/// LayerNorm without gain or bias: `c = sat16(x - mean)`, then `out = c / ||c||` in Q1.14.
/// `centered` is scratch of the same length.
pub fn layer_norm(
    x: &[i16],
    eps_ss: u64,
    centered: &mut [i16],
    out: &mut [i16],
) -> Result<(), KernelError> {
    check_norm_len(x.len())?;
    check_len("layer_norm scratch", x.len(), centered.len())?;
    let mu = rounded_mean(x);
    for (c, &v) in centered.iter_mut().zip(x) {
        *c = vsub(v, mu);
    }
    let m = unit_multiplier(sum_squares(centered) + eps_ss);
    apply_multiplier(centered, m, out)
}
