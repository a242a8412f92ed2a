//! The fixed-point formats of every activation (numerics.md "Formats").
//!
//! `F_*` is the number of fractional bits of an int16 value: real = int / 2^F. They were chosen
//! by measuring the seed-v5 model's activation ranges (numerics.md "How the formats were
//! chosen"); weights and block scales have no global format, see [`crate::matvec`].

/// Residual stream: Q11.4, range +-2048. The seed-v5 model carries "massive activations"
/// (one dimension reaches 1095), so the residual needs this range; the norms remove the scale
/// before anything precision-sensitive happens.
pub const F_RES: u32 = 4;
/// Normalised direction `u = x / ||x||` (the norms' output): Q1.14. |u| <= 1 always, so it can
/// never saturate; the norm's `sqrt(n)` is folded into the next matrix's block scales.
pub const F_UNIT: u32 = 14;
/// Attention query (with 1/sqrt(head_dim) folded into wq): Q3.12.
pub const F_Q: u32 = 12;
/// Attention key: Q5.10.
pub const F_K: u32 = 10;
/// Attention score `q . k` from a VMULF chain: F_Q + F_K - 15 = 7, Q8.7 (range +-256).
/// With 7 fractional bits the exp's first step `1 + d/256` is exactly `0x7FFF + d` in Q0.15.
pub const F_SCORE: u32 = F_Q + F_K - 15;
/// Attention value and the attention-weighted sum: Q4.11.
pub const F_V: u32 = 10;
/// Softmax probabilities and exp outputs: Q0.15.
pub const F_PROB: u32 = 15;
/// The FFN hidden layer after ReLU: Q7.8.
pub const F_FFH: u32 = 8;
/// Output logits: Q7.8.
pub const F_LOGIT: u32 = 8;

const _: () = assert!(F_SCORE == 7);
