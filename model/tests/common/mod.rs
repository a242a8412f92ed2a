//! Test helpers: a synthetic source model with known codes and scales, and builders of seed
//! file bytes written from the documented layouts (independently of the importers).
#![allow(dead_code)]

use kernels::matvec::WeightBits;
use rspnn_model::convert::SourceModel;
use rspnn_model::dims::ModelDims;
use rspnn_model::error::MatrixKind;

pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next() % (hi - lo + 1) as u32) as i32
    }
}

/// A model held as plain arrays.
pub struct Synthetic {
    pub dims: ModelDims,
    pub bits: WeightBits,
    pub emb: Vec<i8>,
    pub emb_scale: (u16, u16),
    /// [layer][kind] -> codes [row][col], scales [row][block] (float16 bits)
    pub q: Vec<Vec<Vec<i8>>>,
    pub s: Vec<Vec<Vec<u16>>>,
}

impl Synthetic {
    /// Random codes; scales drawn from a few float16 values between 2^-9 and 2^-4.
    pub fn random(dims: ModelDims, bits: WeightBits, seed: u64) -> Self {
        let mut rng = Lcg(seed);
        let (lo, hi) = if bits == WeightBits::Q8 {
            (-128, 127)
        } else {
            (-8, 7)
        };
        let emb = (0..dims.vocab * dims.d_model)
            .map(|_| rng.range(-127, 127) as i8)
            .collect();
        let mut q = Vec::new();
        let mut s = Vec::new();
        for _ in 0..dims.n_layers {
            let mut ql = Vec::new();
            let mut sl = Vec::new();
            for kind in MatrixKind::ALL {
                let (r, c) = dims.matrix_shape(kind);
                ql.push((0..r * c).map(|_| rng.range(lo, hi) as i8).collect());
                // float16 with exponent field 6..11 (2^-9 .. 2^-4 range) and any fraction.
                sl.push(
                    (0..r * c / 32)
                        .map(|_| ((rng.range(6, 11) as u16) << 10) | rng.range(0, 1023) as u16)
                        .collect(),
                );
            }
            q.push(ql);
            s.push(sl);
        }
        Synthetic {
            dims,
            bits,
            emb,
            emb_scale: (56, 16 * 127),
            q,
            s,
        }
    }
}

impl SourceModel for Synthetic {
    fn dims(&self) -> ModelDims {
        self.dims
    }
    fn bits(&self) -> WeightBits {
        self.bits
    }
    fn emb_q(&self, token: usize, d: usize) -> i8 {
        self.emb[token * self.dims.d_model + d]
    }
    fn emb_scale(&self) -> (u16, u16) {
        self.emb_scale
    }
    fn q(&self, layer: usize, kind: MatrixKind, row: usize, col: usize) -> i8 {
        let c = self.dims.matrix_shape(kind).1;
        self.q[layer][kind.index()][row * c + col]
    }
    fn scale_bits(&self, layer: usize, kind: MatrixKind, row: usize, block: usize) -> u16 {
        let c = self.dims.matrix_shape(kind).1;
        self.s[layer][kind.index()][row * (c / 32) + block]
    }
}

fn seed_header(d: &ModelDims, em16: u8) -> Vec<u8> {
    let mut h = b"SEAI".to_vec();
    h.push(d.n_layers as u8);
    h.extend_from_slice(&(d.d_model as u16).to_le_bytes());
    h.push(d.n_heads as u8);
    h.extend_from_slice(&(d.vocab as u16).to_le_bytes());
    h.push(d.ctx as u8);
    h.push(em16);
    h
}

/// Seed v5 bytes: header, int8 embedding, per layer six int8 matrices then their LE scales.
pub fn v5_bytes(m: &Synthetic, em16: u8) -> Vec<u8> {
    let mut b = seed_header(&m.dims, em16);
    b.extend(m.emb.iter().map(|&v| v as u8));
    for l in 0..m.dims.n_layers {
        for k in 0..6 {
            b.extend(m.q[l][k].iter().map(|&v| v as u8));
        }
        for k in 0..6 {
            for s in &m.s[l][k] {
                b.extend_from_slice(&s.to_le_bytes());
            }
        }
    }
    b
}

/// Seed v2 bytes: codes stored as nibble = code + 8, low nibble = even index.
pub fn v2_bytes(m: &Synthetic, emb_codes: &[i8], em16: u8) -> Vec<u8> {
    let pack = |codes: &[i8], out: &mut Vec<u8>| {
        for pair in codes.chunks(2) {
            let lo = (pair[0] + 8) as u8;
            let hi = (pair[1] + 8) as u8;
            out.push(hi << 4 | lo);
        }
    };
    let mut b = seed_header(&m.dims, em16);
    pack(emb_codes, &mut b);
    for l in 0..m.dims.n_layers {
        for k in 0..6 {
            pack(&m.q[l][k], &mut b);
        }
        for k in 0..6 {
            for s in &m.s[l][k] {
                b.extend_from_slice(&s.to_le_bytes());
            }
        }
    }
    b
}

/// float16 bits to f64 (independent of the crate's converter).
pub fn half_f64(bits: u16) -> f64 {
    let e = ((bits >> 10) & 0x1F) as i32;
    let f = (bits & 0x3FF) as f64;
    let v = if e == 0 {
        f * 2f64.powi(-24)
    } else {
        (1.0 + f / 1024.0) * 2f64.powi(e - 15)
    };
    if bits & 0x8000 != 0 {
        -v
    } else {
        v
    }
}
