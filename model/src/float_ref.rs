//! The float32 host reference of the same model (numerics.md "Float reference"): the real
//! weights (code times float16 block scale, the embedding's rational scale) in f32, computed
//! with f32 math and the textbook definitions (RMSNorm `x / sqrt(mean(x^2) + 1e-6)`, scores
//! scaled by 1/sqrt(head_dim), `exp` softmax). It exists only to measure quantisation loss: it
//! reads the same RSPW file (which keeps the float16 scales for this purpose) and uses the same
//! ring-buffer cache as the fixed-point runner.

use crate::backend::{Backend, DecodeMask};
use crate::dims::ModelDims;
use crate::error::{MatrixKind, ModelError};
use crate::rspw::ModelView;

/// A dense float matrix `[rows][cols]`.
struct Dense {
    rows: usize,
    cols: usize,
    w: Vec<f32>,
}

impl Dense {
    fn apply(&self, x: &[f32], y: &mut [f32]) {
        for (r, yr) in y.iter_mut().enumerate().take(self.rows) {
            let row = &self.w[r * self.cols..(r + 1) * self.cols];
            *yr = row.iter().zip(x).map(|(a, b)| a * b).sum();
        }
    }
}

/// The dequantised model.
pub struct FloatModel {
    dims: ModelDims,
    emb: Dense,
    layers: Vec<[Dense; 6]>,
}

impl FloatModel {
    /// Dequantises an RSPW model (it must carry real scales).
    pub fn from_view(view: &ModelView<'_>) -> Result<Self, ModelError> {
        let dims = *view.dims();
        let info = view.info();
        if !info.has_real_scales {
            return Err(ModelError::NoRealScales);
        }
        let e = view.embedding()?;
        let es = info.emb_scale_num as f32 / info.emb_scale_den as f32;
        let mut ew = Vec::with_capacity(dims.vocab * dims.d_model);
        for t in 0..dims.vocab {
            for d in 0..dims.d_model {
                ew.push(e.weight(t, d).unwrap_or(0) as f32 * es);
            }
        }
        let mut layers = Vec::with_capacity(dims.n_layers);
        for l in 0..dims.n_layers {
            let mk = |kind: MatrixKind| -> Result<Dense, ModelError> {
                let m = view.matrix(l, kind)?;
                let (rows, cols) = (m.rows(), m.cols());
                let mut w = Vec::with_capacity(rows * cols);
                for r in 0..rows {
                    for c in 0..cols {
                        let s = view
                            .real_scale(l, kind, r, c / 32)
                            .ok_or(ModelError::NoRealScales)?;
                        let s = half::f16::from_bits(s).to_f32();
                        w.push(m.weight(r, c).unwrap_or(0) as f32 * s);
                    }
                }
                Ok(Dense { rows, cols, w })
            };
            layers.push([
                mk(MatrixKind::Wq)?,
                mk(MatrixKind::Wk)?,
                mk(MatrixKind::Wv)?,
                mk(MatrixKind::Wo)?,
                mk(MatrixKind::Ff1)?,
                mk(MatrixKind::Ff2)?,
            ]);
        }
        Ok(FloatModel {
            dims,
            emb: Dense {
                rows: dims.vocab,
                cols: dims.d_model,
                w: ew,
            },
            layers,
        })
    }

    /// Dimensions.
    pub fn dims(&self) -> &ModelDims {
        &self.dims
    }
}

fn rms_norm(x: &[f32], out: &mut [f32]) {
    let ms = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
    let inv = 1.0 / (ms + 1e-6).sqrt();
    for (o, v) in out.iter_mut().zip(x) {
        *o = v * inv;
    }
}

/// The float32 runner with a ring-buffer KV cache.
pub struct FloatRunner<'a> {
    m: &'a FloatModel,
    k: Vec<f32>,
    v: Vec<f32>,
    pos: usize,
    logits: Vec<f32>,
}

impl<'a> FloatRunner<'a> {
    pub fn new(m: &'a FloatModel) -> Self {
        let d = m.dims;
        let cache = d.n_layers * d.ctx * d.d_model;
        FloatRunner {
            m,
            k: vec![0.0; cache],
            v: vec![0.0; cache],
            pos: 0,
            logits: vec![0.0; d.vocab],
        }
    }

    /// Feeds `token` and returns the logits for the next one.
    pub fn step(&mut self, token: usize) -> Result<&[f32], ModelError> {
        let d = self.m.dims;
        if token >= d.vocab {
            return Err(ModelError::TokenOutOfRange {
                token,
                vocab: d.vocab,
            });
        }
        let n = d.d_model;
        let hd = d.head_dim();
        let slot = self.pos % d.ctx;
        let n_pos = (self.pos + 1).min(d.ctx);
        let scale = 1.0 / (hd as f32).sqrt();
        let mut x: Vec<f32> = self.m.emb.w[token * n..(token + 1) * n].to_vec();
        let mut h = vec![0.0f32; n];
        let mut q = vec![0.0f32; n];
        let mut att = vec![0.0f32; n];
        let mut tmp = vec![0.0f32; n];
        let mut ffh = vec![0.0f32; d.d_ff];
        let mut p = vec![0.0f32; n_pos];
        for (l, w) in self.m.layers.iter().enumerate() {
            let base = l * d.ctx * n;
            rms_norm(&x, &mut h);
            w[0].apply(&h, &mut q);
            w[1].apply(&h, &mut self.k[base + slot * n..base + (slot + 1) * n]);
            w[2].apply(&h, &mut self.v[base + slot * n..base + (slot + 1) * n]);
            for head in 0..d.n_heads {
                let lo = head * hd;
                for (j, pj) in p.iter_mut().enumerate() {
                    let kj = &self.k[base + j * n + lo..base + j * n + lo + hd];
                    *pj = q[lo..lo + hd]
                        .iter()
                        .zip(kj)
                        .map(|(a, b)| a * b)
                        .sum::<f32>()
                        * scale;
                }
                let m = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut s = 0.0;
                for pj in p.iter_mut() {
                    *pj = (*pj - m).exp();
                    s += *pj;
                }
                for (dd, a) in att.iter_mut().enumerate().skip(lo).take(hd) {
                    *a = p
                        .iter()
                        .enumerate()
                        .map(|(j, pj)| pj * self.v[base + j * n + dd])
                        .sum::<f32>()
                        / s;
                }
            }
            w[3].apply(&att, &mut tmp);
            x.iter_mut().zip(&tmp).for_each(|(a, b)| *a += b);
            rms_norm(&x, &mut h);
            w[4].apply(&h, &mut ffh);
            ffh.iter_mut().for_each(|v| *v = v.max(0.0));
            w[5].apply(&ffh, &mut tmp);
            x.iter_mut().zip(&tmp).for_each(|(a, b)| *a += b);
        }
        rms_norm(&x, &mut h);
        self.m.emb.apply(&h, &mut self.logits);
        self.pos += 1;
        Ok(&self.logits)
    }
}

/// Index of the first maximum of `v[lo..hi]`.
pub fn argmax_f32(v: &[f32], lo: usize, hi: usize) -> usize {
    let mut best = lo;
    for i in lo..hi.min(v.len()) {
        if v[i] > v[best] {
            best = i;
        }
    }
    best
}

impl Backend for FloatRunner<'_> {
    fn name(&self) -> &'static str {
        "float"
    }
    fn reset(&mut self) {
        self.pos = 0;
        self.k.fill(0.0);
        self.v.fill(0.0);
    }
    fn step(&mut self, byte: u8, mask: DecodeMask) -> Result<u8, ModelError> {
        let (lo, hi) = mask.range(self.m.dims.vocab);
        let logits = FloatRunner::step(self, byte as usize)?;
        crate::backend::token_byte(argmax_f32(logits, lo, hi), self.m.dims.vocab)
    }
}
