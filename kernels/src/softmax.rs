//! Softmax over attention scores (numerics.md "Softmax").
//!
//! Scores are Q8.7. With `m = max_j s_j`, `d_j = sat16(s_j - m)` (VSUB), `e_j =
//! exp_neg_q15(d_j)` (Q0.15), `S = sum_j e_j` exactly (int32), `R = vrcp32(S)` (VRCPH/VRCPL,
//! `~2^31 / S`), and `p_j = min(32767, (e_j * R) >> 16)` (VMUDM e by R's low half, VMADH e by
//! R's high half: the signed clamp of `acc >> 16`). The probabilities are Q0.15 and sum to
//! about 1 (the reciprocal's table error, at most 2^-9, scales them all alike).

use crate::error::{check_len, KernelError};
use crate::exp::exp_neg_q15;
use crate::fixed::{sat16, vsub};
use crate::rcp::vrcp32;

/// Largest number of scores: keeps `S <= n * 32767` below 2^31.
pub const MAX_SOFTMAX_LEN: usize = 1 << 15;

/// Writes the Q0.15 softmax of `scores` into `probs` (same length, at least 1).
pub fn softmax(scores: &[i16], probs: &mut [i16]) -> Result<(), KernelError> {
    check_len("softmax output", scores.len(), probs.len())?;
    if scores.is_empty() || scores.len() > MAX_SOFTMAX_LEN {
        return Err(KernelError::Shape {
            what: "softmax length",
            value: scores.len(),
        });
    }
    let m = scores.iter().copied().max().unwrap_or(0);
    let mut sum: i64 = 0;
    for (p, &s) in probs.iter_mut().zip(scores) {
        let e = exp_neg_q15(vsub(s, m));
        *p = e;
        sum += e as i64;
    }
    // sum >= exp_neg_q15(0) > 0 because the maximum's own term has d = 0.
    let r = vrcp32(sum as i32) as u32 as i64;
    for p in probs.iter_mut() {
        *p = sat16((*p as i64 * r) >> 16);
    }
    Ok(())
}
