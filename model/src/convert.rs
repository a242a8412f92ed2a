//! Writes our RSPW format from any source model (the seed importers, the Q4 requantiser):
//! computes every integer block scale and each matrix's output shift once (numerics.md "Block
//! scales"), lays the weights out as block records, and seals the file with its CRC-32.

use crate::dims::ModelDims;
use crate::error::{MatrixId, MatrixKind, ModelError};
use crate::rspw::{self, HeaderInfo, HEADER_BYTES, LAYER_PREFIX_BYTES};
use crate::scales::{
    base_exponent, choose_shift, decode_half, head_formats, layer_formats, scaled_round,
};
use kernels::matvec::{WeightBits, BLOCK_COLS, RECORD_ROWS};

/// A model in any layout: quantised weights, float16 block scales, an embedding with one
/// rational scale. Indices passed in are always in range (the writer guarantees it).
pub trait SourceModel {
    fn dims(&self) -> ModelDims;
    fn bits(&self) -> WeightBits;
    /// Embedding code of `token`, dimension `d` (int8, or int4 in -8..7).
    fn emb_q(&self, token: usize, d: usize) -> i8;
    /// Real embedding scale `num / den` (real = code * num / den).
    fn emb_scale(&self) -> (u16, u16);
    /// Weight code `q[row][col]` of a layer matrix.
    fn q(&self, layer: usize, kind: MatrixKind, row: usize, col: usize) -> i8;
    /// float16 bits of the block scale of `(row, block)`.
    fn scale_bits(&self, layer: usize, kind: MatrixKind, row: usize, block: usize) -> u16;
}

/// Size of the RSPW file [`write_rspw`] makes from `src`.
pub fn rspw_size(src: &dyn SourceModel) -> Result<usize, ModelError> {
    let dims = src.dims();
    dims.validate([8, 10, 12, 14, 16, 18])?;
    Ok(rspw::layout(&dims, src.bits(), true).total as usize)
}

fn g_of_half(bits16: u16, exp_base: i32, k: u8, fold_fixed: u64) -> Option<u64> {
    let h = decode_half(bits16).ok()?;
    scaled_round(h.mant, h.exp2 + exp_base - k as i32, 1, fold_fixed)
}

/// Writes `src` as an RSPW file into `out` (at least [`rspw_size`] bytes); returns the size.
pub fn write_rspw(src: &dyn SourceModel, out: &mut [u8]) -> Result<usize, ModelError> {
    let dims = src.dims();
    let total = rspw_size(src)?;
    if out.len() < total {
        return Err(ModelError::BufferTooSmall {
            needed: total,
            actual: out.len(),
        });
    }
    let out = &mut out[..total];
    out.fill(0);
    let bits = src.bits();
    let layout = rspw::layout(&dims, bits, true);

    // Embedding: lookup scale and the head's uniform block scale.
    let (num, den) = src.emb_scale();
    if den == 0 {
        return Err(ModelError::BadField {
            offset: 0,
            field: "embedding scale",
            value: 0,
            why: "zero denominator",
        });
    }
    let g_emb = rspw::lookup_scale(num, den).ok_or(ModelError::ScaleOverflow {
        matrix: MatrixId::Embedding,
        max_scale: u64::MAX,
    })?;
    let hf = head_formats(&dims);
    let head_fold = hf.fold.fixed();
    let head_exp = base_exponent(8, &hf);
    let head_g_at = |k: u8| scaled_round(num as u64, head_exp - k as i32, den as u64, head_fold);
    let head_shift = choose_shift(head_g_at).map_err(|max_scale| ModelError::ScaleOverflow {
        matrix: MatrixId::Embedding,
        max_scale,
    })?;
    let head_g = head_g_at(head_shift).unwrap_or(0) as u16;

    let mut at = HEADER_BYTES;
    let blocks = dims.d_model / BLOCK_COLS;
    for g in 0..dims.vocab / RECORD_ROWS {
        for b in 0..blocks {
            let rec = &mut out[at..at + 272];
            for c in 0..BLOCK_COLS {
                for j in 0..RECORD_ROWS {
                    rec[c * RECORD_ROWS + j] =
                        src.emb_q(g * RECORD_ROWS + j, b * BLOCK_COLS + c) as u8;
                }
            }
            for j in 0..RECORD_ROWS {
                rec[256 + 2 * j..258 + 2 * j].copy_from_slice(&head_g.to_be_bytes());
            }
            at += 272;
        }
    }

    let scale_base =
        HEADER_BYTES + (layout.embedding + layout.layer * dims.n_layers as u64) as usize;
    {
        let (out, scale_sec) = out.split_at_mut(scale_base);
        let mut scale_at = 0;
        let per_layer_scales = layout.real_scales as usize / dims.n_layers;
        for layer in 0..dims.n_layers {
            let prefix = at;
            at += LAYER_PREFIX_BYTES;
            let mut s_at = scale_at;
            for kind in MatrixKind::ALL {
                let id = MatrixId::Layer { layer, kind };
                let (rows, cols) = dims.matrix_shape(kind);
                let nb = cols / BLOCK_COLS;
                // Validate every scale; positive float16 bits order like their values, so the
                // largest bits give the largest G.
                let mut max_bits = 0u16;
                for r in 0..rows {
                    for b in 0..nb {
                        let s = src.scale_bits(layer, kind, r, b);
                        if let Err(p) = decode_half(s) {
                            return Err(ModelError::BadScale {
                                matrix: id,
                                row: r,
                                block: b,
                                bits: s,
                                why: p.why(),
                            });
                        }
                        let s = if s == 0x8000 { 0 } else { s };
                        max_bits = max_bits.max(s);
                    }
                }
                let f = layer_formats(kind, &dims);
                let fold = f.fold.fixed();
                let exp_base = base_exponent(bits.bits(), &f);
                let k = choose_shift(|k| g_of_half(max_bits, exp_base, k, fold)).map_err(
                    |max_scale| ModelError::ScaleOverflow {
                        matrix: id,
                        max_scale,
                    },
                )?;
                out[prefix + kind.index()] = k;
                for g in 0..rows / RECORD_ROWS {
                    for b in 0..nb {
                        let rec_len = bits.record_bytes();
                        let rec = &mut out[at..at + rec_len];
                        for j in 0..RECORD_ROWS {
                            let r = g * RECORD_ROWS + j;
                            match bits {
                                WeightBits::Q8 => {
                                    for c in 0..BLOCK_COLS {
                                        rec[c * RECORD_ROWS + j] =
                                            src.q(layer, kind, r, b * BLOCK_COLS + c) as u8;
                                    }
                                }
                                WeightBits::Q4 => {
                                    for p in 0..BLOCK_COLS / 2 {
                                        let hi = src.q(layer, kind, r, b * BLOCK_COLS + 2 * p)
                                            as u8
                                            & 0xF;
                                        let lo = src.q(layer, kind, r, b * BLOCK_COLS + 2 * p + 1)
                                            as u8
                                            & 0xF;
                                        rec[p * RECORD_ROWS + j] = (hi << 4) | lo;
                                    }
                                }
                            }
                            let sb = src.scale_bits(layer, kind, r, b);
                            let gv = g_of_half(sb, exp_base, k, fold).unwrap_or(0) as u16;
                            let w = bits.weight_bytes();
                            rec[w + 2 * j..w + 2 * j + 2].copy_from_slice(&gv.to_be_bytes());
                            scale_sec[s_at + 2 * (r * nb + b)..s_at + 2 * (r * nb + b) + 2]
                                .copy_from_slice(&sb.to_be_bytes());
                        }
                        at += rec_len;
                    }
                }
                s_at += 2 * rows * nb;
            }
            scale_at += per_layer_scales;
        }
    }
    let info = HeaderInfo {
        dims,
        bits,
        has_real_scales: true,
        g_emb,
        emb_scale_num: num,
        emb_scale_den: den,
        eps_ss: kernels::norm::eps_ss(dims.d_model, 1) as u32,
        head_shift,
    };
    rspw::write_header(&info, (total - HEADER_BYTES) as u32, out)?;
    rspw::finish_crc(out);
    Ok(total)
}

/// Converts with a freshly allocated buffer.
#[cfg(feature = "alloc")]
pub fn to_rspw_vec(src: &dyn SourceModel) -> Result<alloc::vec::Vec<u8>, ModelError> {
    let mut v = alloc::vec![0u8; rspw_size(src)?];
    write_rspw(src, &mut v)?;
    Ok(v)
}
