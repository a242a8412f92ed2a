//! Causal attention over a key/value cache (numerics.md "Attention").
//!
//! For each head `h` (dims `h*hd .. h*hd+hd`), over the `n` cached positions:
//! * score `s_j = sat16((0x8000 + sum_d 2 * q_d * k_jd) >> 16)`: a VMULF chain, Q3.12 times
//!   Q5.10 gives Q8.7 (the 1/sqrt(hd) factor is already folded into wq's scales);
//! * `p = softmax(s)` ([`crate::softmax::softmax`]);
//! * output `o_d = sat16((0x8000 + sum_j 2 * p_j * v_jd) >> 16)`: a VMULF chain, Q0.15 times
//!   Q4.11 stays Q4.11.
//!
//! Every step is a sum over positions that is exact before its single rounding, and the max
//! is order-free, so the result does not depend on the order of the cache slots: a ring buffer
//! gives the same bits as a shifted cache (the seed model has no positional embedding).

use crate::error::{check_len, KernelError};
use crate::fixed::vmulf_chain;
use crate::softmax::softmax;

/// Shape of one attention call.
#[derive(Clone, Copy, Debug)]
pub struct AttentionShape {
    /// Model width (q, k, v and output length).
    pub d_model: usize,
    /// Number of heads; `d_model` must be a multiple.
    pub n_heads: usize,
    /// Distance between consecutive cache slots, in elements (>= d_model).
    pub slot_stride: usize,
    /// Number of valid cache slots (1..).
    pub n_pos: usize,
}

/// Computes the attention output for `q` against the first `n_pos` slots of `k_cache` and
/// `v_cache` (slot `j` at `j * slot_stride`). `scores` and `probs` are scratch with at least
/// `n_pos` elements.
pub fn attention(
    shape: AttentionShape,
    q: &[i16],
    k_cache: &[i16],
    v_cache: &[i16],
    scores: &mut [i16],
    probs: &mut [i16],
    out: &mut [i16],
) -> Result<(), KernelError> {
    let AttentionShape {
        d_model,
        n_heads,
        slot_stride,
        n_pos,
    } = shape;
    if n_heads == 0 || d_model == 0 || d_model % n_heads != 0 {
        return Err(KernelError::Shape {
            what: "attention heads",
            value: n_heads,
        });
    }
    if slot_stride < d_model {
        return Err(KernelError::Shape {
            what: "attention slot stride",
            value: slot_stride,
        });
    }
    if n_pos == 0 {
        return Err(KernelError::Shape {
            what: "attention positions",
            value: 0,
        });
    }
    check_len("attention q", d_model, q.len())?;
    check_len("attention out", d_model, out.len())?;
    let cache_len = (n_pos - 1) * slot_stride + d_model;
    if k_cache.len() < cache_len || v_cache.len() < cache_len {
        return Err(KernelError::Length {
            what: "attention cache",
            expected: cache_len,
            actual: k_cache.len().min(v_cache.len()),
        });
    }
    if scores.len() < n_pos || probs.len() < n_pos {
        return Err(KernelError::Length {
            what: "attention scratch",
            expected: n_pos,
            actual: scores.len().min(probs.len()),
        });
    }
    let hd = d_model / n_heads;
    let scores = &mut scores[..n_pos];
    let probs = &mut probs[..n_pos];
    for h in 0..n_heads {
        let lo = h * hd;
        let qh = &q[lo..lo + hd];
        for (j, s) in scores.iter_mut().enumerate() {
            let kj = &k_cache[j * slot_stride + lo..j * slot_stride + lo + hd];
            *s = vmulf_chain(qh.iter().copied().zip(kj.iter().copied()));
        }
        softmax(scores, probs)?;
        for d in lo..lo + hd {
            out[d] = vmulf_chain(
                probs
                    .iter()
                    .enumerate()
                    .map(|(j, &p)| (p, v_cache[j * slot_stride + d])),
            );
        }
    }
    Ok(())
}
