//! Post-training requantisation of a model's layer matrices to Q4 (host only, f32 math).
//!
//! For every block of 32 weights of a row: the real weights `w = q * s` are rebuilt, a new
//! float16 scale `s4` is chosen among a few candidates near `max|w| / 7` by least squared
//! error (so the result is a model in the same terms as the seed's v2 Q4 files), and each code
//! is `clamp(round(w / s4), -8, 7)` (round half away from zero). The embedding keeps its int8
//! codes: our files always store it as Q8 (it is 32 KB, and the head reads it too).

use crate::convert::SourceModel;
use crate::dims::ModelDims;
use crate::error::{MatrixId, MatrixKind, ModelError};
use crate::scales::decode_half;
use half::f16;
use kernels::matvec::WeightBits;

/// A requantised copy of a source model.
pub struct Requantized<'a> {
    src: &'a dyn SourceModel,
    dims: ModelDims,
    /// Per layer, per kind: codes `[row][col]` and scales `[row][block]`.
    q: Vec<[Vec<i8>; 6]>,
    s: Vec<[Vec<u16>; 6]>,
}

fn half_f32(bits: u16) -> f32 {
    f16::from_bits(bits).to_f32()
}

/// Codes of `w` at scale `s` (bits of a float16) and their squared error.
fn codes_at(w: &[f32], s_bits: u16, codes: &mut [i8]) -> f32 {
    let s = half_f32(s_bits);
    let mut err = 0.0;
    for (c, v) in codes.iter_mut().zip(w) {
        *c = if s > 0.0 {
            (v / s).round().clamp(-8.0, 7.0) as i8
        } else {
            0
        };
        let d = v - *c as f32 * s;
        err += d * d;
    }
    err
}

/// Requantises one block of real weights: returns (float16 scale bits, codes).
///
/// Candidate scales are `max|w| / 7 * b` for `b` in 0.60, 0.62, ... 1.00 and `max|w| / 8`
/// (which lets -8 carry the largest negative weight); each is rounded to float16 and the one
/// with the smallest squared error wins (ties: the larger scale, i.e. the first candidate).
pub fn quantize_block_q4(w: &[f32], codes: &mut [i8]) -> u16 {
    let amax = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let first = f16::from_f32(amax / 7.0).to_bits();
    let mut best = (codes_at(w, first, codes), first);
    let mut trial = [0i8; 32];
    let n = w.len().min(32);
    let mut candidates = [0u16; 22];
    for (i, c) in candidates.iter_mut().enumerate().take(21) {
        *c = f16::from_f32(amax / 7.0 * (1.0 - 0.02 * i as f32)).to_bits();
    }
    candidates[21] = f16::from_f32(amax / 8.0).to_bits();
    for &cand in &candidates[1..] {
        let e = codes_at(&w[..n], cand, &mut trial[..n]);
        if e < best.0 {
            best = (e, cand);
        }
    }
    codes_at(w, best.1, codes);
    best.1
}

impl<'a> Requantized<'a> {
    /// Requantises every layer matrix of `src` to Q4. Every source block scale is checked
    /// first, as the Q8 converter checks it (negative, infinite or NaN scales are refused with
    /// their matrix, row and block), and a block whose new scale would not be a finite float16
    /// (max|q * s| / 7 above 65504) is refused naming the source scale, not the derived one.
    pub fn to_q4(src: &'a dyn SourceModel) -> Result<Self, ModelError> {
        let dims = src.dims();
        let mut q = Vec::with_capacity(dims.n_layers);
        let mut s = Vec::with_capacity(dims.n_layers);
        for l in 0..dims.n_layers {
            let mut ql: [Vec<i8>; 6] = Default::default();
            let mut sl: [Vec<u16>; 6] = Default::default();
            for kind in MatrixKind::ALL {
                let (rows, cols) = dims.matrix_shape(kind);
                let mut codes = vec![0i8; rows * cols];
                let mut scales = vec![0u16; rows * (cols / 32)];
                let mut w = [0f32; 32];
                for r in 0..rows {
                    for b in 0..cols / 32 {
                        let bits = src.scale_bits(l, kind, r, b);
                        let bad = |why: &'static str| ModelError::BadScale {
                            matrix: MatrixId::Layer { layer: l, kind },
                            row: r,
                            block: b,
                            bits,
                            why,
                        };
                        decode_half(bits).map_err(|p| bad(p.why()))?;
                        let sc = half_f32(bits);
                        for (c, wc) in w.iter_mut().enumerate() {
                            *wc = src.q(l, kind, r, b * 32 + c) as f32 * sc;
                        }
                        let at = r * cols + b * 32;
                        let new = quantize_block_q4(&w, &mut codes[at..at + 32]);
                        if !f16::from_bits(new).is_finite() {
                            return Err(bad(
                                "too large to requantise: max|q * scale| / 7 is above the largest float16 (65504)",
                            ));
                        }
                        scales[r * (cols / 32) + b] = new;
                    }
                }
                ql[kind.index()] = codes;
                sl[kind.index()] = scales;
            }
            q.push(ql);
            s.push(sl);
        }
        Ok(Requantized { src, dims, q, s })
    }
}

impl SourceModel for Requantized<'_> {
    fn dims(&self) -> ModelDims {
        self.dims
    }
    fn bits(&self) -> WeightBits {
        WeightBits::Q4
    }
    fn emb_q(&self, token: usize, d: usize) -> i8 {
        self.src.emb_q(token, d)
    }
    fn emb_scale(&self) -> (u16, u16) {
        self.src.emb_scale()
    }
    fn q(&self, layer: usize, kind: MatrixKind, row: usize, col: usize) -> i8 {
        let cols = self.dims.matrix_shape(kind).1;
        self.q[layer][kind.index()][row * cols + col]
    }
    fn scale_bits(&self, layer: usize, kind: MatrixKind, row: usize, block: usize) -> u16 {
        let cols = self.dims.matrix_shape(kind).1;
        self.s[layer][kind.index()][row * (cols / 32) + block]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_scale_is_no_worse_than_max_over_7() {
        let w: Vec<f32> = (0..32)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.013)
            .collect();
        let mut q = [0i8; 32];
        let s = quantize_block_q4(&w, &mut q);
        let sf = half_f32(s);
        let err = |scale: f32, codes: &[i8]| -> f32 {
            w.iter()
                .zip(codes)
                .map(|(v, &c)| (v - c as f32 * scale).powi(2))
                .sum()
        };
        // Independent baseline: max|w|/7 with plain rounding.
        let base = 0.143f32 / 7.0;
        let base_codes: Vec<i8> = w
            .iter()
            .map(|v| (v / base).round().clamp(-8.0, 7.0) as i8)
            .collect();
        assert!(err(sf, &q) <= err(base, &base_codes) * 1.001);
        assert!(q.iter().all(|&c| (-8..=7).contains(&c)));
        // Codes are the rounded quotients at the chosen scale.
        for (v, &c) in w.iter().zip(&q) {
            assert_eq!(c, (v / sf).round().clamp(-8.0, 7.0) as i8);
        }
        let zero = [0f32; 32];
        assert_eq!(quantize_block_q4(&zero, &mut q), 0);
        assert!(q.iter().all(|&c| c == 0));
    }
}
