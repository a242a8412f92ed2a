//! Post-training requantisation of a model's layer matrices to Q4 (host only, f32 math).
//!
//! For every block of 32 weights of a row: the real weights `w = q * s` are rebuilt, the new
//! scale is `s4 = half(max|w| / 7)` (rounded to float16, nearest even, so the result is a
//! model in the same terms as the seed's v2 Q4 files), and each code is
//! `clamp(round(w / s4), -8, 7)` (round half away from zero). The embedding keeps its int8
//! codes: our files always store it as Q8 (it is 32 KB, and the head reads it too).

use crate::convert::SourceModel;
use crate::dims::ModelDims;
use crate::error::MatrixKind;
use crate::half::{f32_bits_to_half, half_to_f32_bits};
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
    f32::from_bits(half_to_f32_bits(bits))
}

/// Requantises one block of real weights: returns (float16 scale bits, codes).
pub fn quantize_block_q4(w: &[f32], codes: &mut [i8]) -> u16 {
    let amax = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let s_bits = f32_bits_to_half((amax / 7.0).to_bits());
    let s = half_f32(s_bits);
    for (c, v) in codes.iter_mut().zip(w) {
        *c = if s > 0.0 {
            (v / s).round().clamp(-8.0, 7.0) as i8
        } else {
            0
        };
    }
    s_bits
}

impl<'a> Requantized<'a> {
    /// Requantises every layer matrix of `src` to Q4.
    pub fn to_q4(src: &'a dyn SourceModel) -> Self {
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
                        let sc = half_f32(src.scale_bits(l, kind, r, b));
                        for (c, wc) in w.iter_mut().enumerate() {
                            *wc = src.q(l, kind, r, b * 32 + c) as f32 * sc;
                        }
                        let at = r * cols + b * 32;
                        scales[r * (cols / 32) + b] =
                            quantize_block_q4(&w, &mut codes[at..at + 32]);
                    }
                }
                ql[kind.index()] = codes;
                sl[kind.index()] = scales;
            }
            q.push(ql);
            s.push(sl);
        }
        Requantized { src, dims, q, s }
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
    fn block_uses_full_nibble_range() {
        let mut w = [0f32; 32];
        w[0] = 0.7;
        w[1] = -0.7;
        w[2] = 0.05; // 0.5 of a step of 0.1 rounds away from zero
        w[3] = -0.8; // beyond -7 steps: clamps at... -8 is allowed
        let mut q = [0i8; 32];
        let s = quantize_block_q4(&w, &mut q);
        let sf = half_f32(s);
        assert!((sf - 0.8 / 7.0).abs() < 1e-4, "scale {sf}");
        assert_eq!(q[3], -7);
        assert_eq!(q[0], (0.7 / sf).round() as i8);
        assert_eq!(q[1], -q[0]);
        assert_eq!(q[4], 0);
        let zero = [0f32; 32];
        assert_eq!(quantize_block_q4(&zero, &mut q), 0);
        assert!(q.iter().all(|&c| c == 0));
    }
}
