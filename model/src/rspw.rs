//! Our weight format, "RSPW" version 1 (docs/weight-format.md is the full description).
//!
//! Big-endian throughout (the N64 is big-endian). A 64-byte header, then the embedding as Q8
//! block records (the same bytes serve the lookup and the tied output head), then per layer a
//! 16-byte prefix (the six output shifts) and the six matrices as block records, then
//! optionally the real block scales as float16 (for the float reference only). Every section
//! starts 16-byte aligned, so any run of records is a DMA tile. A CRC-32 covers every byte
//! except its own four.
//!
//! [`ModelView::parse`] validates everything (magic, version, dimensions, formats, sizes,
//! shifts, checksum) before anything is read, and then lends [`BlockMatrix`] views without
//! copying.

use crate::dims::ModelDims;
use crate::error::{MatrixId, MatrixKind, ModelError};
use crate::scales::{decode_half, scaled_round, Fold};
use kernels::formats::{F_FFH, F_K, F_LOGIT, F_Q, F_RES, F_UNIT, F_V};
use kernels::matvec::{matrix_bytes, BlockMatrix, WeightBits, MAX_OUT_SHIFT};

/// File magic.
pub const MAGIC: [u8; 4] = *b"RSPW";
/// The version this code writes and reads.
pub const VERSION: u16 = 1;
/// Header size.
pub const HEADER_BYTES: usize = 64;
/// Per-layer prefix (six output shifts, padded to 16 bytes).
pub const LAYER_PREFIX_BYTES: usize = 16;
/// Flag bit: the real-scale section is present.
pub const FLAG_REAL_SCALES: u8 = 1;
/// Offset of the CRC-32 field.
pub const CRC_OFFSET: usize = 52;

/// The activation formats a file was made for, in header order (offsets 22..29). A reader
/// refuses a file whose formats differ from the kernels' (its integer scales would be wrong).
pub const FORMATS: [u8; 7] = [
    F_RES as u8,
    F_UNIT as u8,
    F_Q as u8,
    F_K as u8,
    F_V as u8,
    F_FFH as u8,
    F_LOGIT as u8,
];

/// Everything in the header besides the dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderInfo {
    pub dims: ModelDims,
    pub bits: WeightBits,
    pub has_real_scales: bool,
    /// Embedding lookup scale (numerics.md "Embedding").
    pub g_emb: u16,
    /// Real embedding scale as a rational: real = q * num / den.
    pub emb_scale_num: u16,
    pub emb_scale_den: u16,
    /// Norm epsilon in units of the sum of squares.
    pub eps_ss: u32,
    /// Output shift of the tied head.
    pub head_shift: u8,
}

/// Byte sizes of the sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub embedding: u64,
    pub layer: u64,
    pub real_scales: u64,
    pub total: u64,
}

/// Computes section sizes in u64 (cannot overflow for validated dimensions).
pub fn layout(dims: &ModelDims, bits: WeightBits, real_scales: bool) -> Layout {
    let embedding = matrix_bytes(WeightBits::Q8, dims.vocab, dims.d_model) as u64;
    let mut layer = LAYER_PREFIX_BYTES as u64;
    let mut scales = 0u64;
    for kind in MatrixKind::ALL {
        let (r, c) = dims.matrix_shape(kind);
        layer += matrix_bytes(bits, r, c) as u64;
        scales += (r * (c / 32) * 2) as u64;
    }
    // Pad the real-scale section to 16 bytes per layer.
    let scales = scales.div_ceil(16) * 16;
    let l = dims.n_layers as u64;
    let real_scales = if real_scales { scales * l } else { 0 };
    Layout {
        embedding,
        layer,
        real_scales,
        total: HEADER_BYTES as u64 + embedding + layer * l + real_scales,
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Writes the 64-byte header (CRC field zero; [`finish_crc`] fills it).
pub fn write_header(
    info: &HeaderInfo,
    payload_bytes: u32,
    out: &mut [u8],
) -> Result<(), ModelError> {
    if out.len() < HEADER_BYTES {
        return Err(ModelError::BufferTooSmall {
            needed: HEADER_BYTES,
            actual: out.len(),
        });
    }
    let h = &mut out[..HEADER_BYTES];
    h.fill(0);
    h[0..4].copy_from_slice(&MAGIC);
    h[4..6].copy_from_slice(&VERSION.to_be_bytes());
    h[6..8].copy_from_slice(&(HEADER_BYTES as u16).to_be_bytes());
    let d = &info.dims;
    for (i, v) in [d.n_layers, d.d_model, d.n_heads, d.d_ff, d.vocab, d.ctx]
        .iter()
        .enumerate()
    {
        h[8 + 2 * i..10 + 2 * i].copy_from_slice(&(*v as u16).to_be_bytes());
    }
    h[20] = info.bits.bits() as u8;
    h[21] = if info.has_real_scales {
        FLAG_REAL_SCALES
    } else {
        0
    };
    h[22..29].copy_from_slice(&FORMATS);
    h[30..32].copy_from_slice(&info.g_emb.to_be_bytes());
    h[32..34].copy_from_slice(&info.emb_scale_num.to_be_bytes());
    h[34..36].copy_from_slice(&info.emb_scale_den.to_be_bytes());
    h[36..40].copy_from_slice(&info.eps_ss.to_be_bytes());
    h[40] = info.head_shift;
    h[48..52].copy_from_slice(&payload_bytes.to_be_bytes());
    Ok(())
}

/// The embedding lookup scale `G_emb` a real embedding scale `num / den` gives (numerics.md
/// 6.1): `round_half_up(num / den * 2^(8 + F_RES))`, `None` when it does not fit 16 bits. The
/// converter writes it and the reader requires it.
pub fn lookup_scale(num: u16, den: u16) -> Option<u16> {
    if den == 0 {
        return None;
    }
    scaled_round(num as u64, 8 + F_RES as i32, den as u64, Fold::ONE.fixed())
        .and_then(|g| u16::try_from(g).ok())
}

/// The file size an RSPW header declares (64 + its payload field), from the file's first 52
/// or more bytes; `None` when they are too few or the magic is not RSPW. How much of a file a
/// loader needs to read at most ([`ModelView::parse`] then checks everything).
pub fn declared_size(header: &[u8]) -> Option<u64> {
    if header.len() < CRC_OFFSET || header[0..4] != MAGIC {
        return None;
    }
    Some(HEADER_BYTES as u64 + be32(header, 48) as u64)
}

/// CRC-32 of a whole file except bytes 52..56.
pub fn compute_crc(file: &[u8]) -> u32 {
    let mut c = crc32fast::Hasher::new();
    c.update(&file[..CRC_OFFSET.min(file.len())]);
    if file.len() > CRC_OFFSET + 4 {
        c.update(&file[CRC_OFFSET + 4..]);
    }
    c.finalize()
}

/// Fills in the CRC field of a complete file.
pub fn finish_crc(file: &mut [u8]) {
    if file.len() >= HEADER_BYTES {
        let crc = compute_crc(file);
        file[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
    }
}

/// A validated RSPW file, read in place.
#[derive(Clone, Copy, Debug)]
pub struct ModelView<'a> {
    info: HeaderInfo,
    layout: Layout,
    bytes: &'a [u8],
}

/// Header offsets of the six dimensions, for error messages.
const DIM_OFFSETS: [usize; 6] = [8, 10, 12, 14, 16, 18];

impl<'a> ModelView<'a> {
    /// Validates `bytes` as an RSPW file.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ModelError> {
        let actual = bytes.len() as u64;
        if bytes.len() < 4 {
            return Err(ModelError::Truncated {
                needed: HEADER_BYTES as u64,
                actual,
            });
        }
        if bytes[0..4] != MAGIC {
            return Err(ModelError::BadMagic {
                found: [bytes[0], bytes[1], bytes[2], bytes[3]],
            });
        }
        if bytes.len() < HEADER_BYTES {
            return Err(ModelError::Truncated {
                needed: HEADER_BYTES as u64,
                actual,
            });
        }
        let version = be16(bytes, 4);
        if version != VERSION {
            return Err(ModelError::UnsupportedVersion { version });
        }
        let field = |offset: usize, field: &'static str, value: u64, why: &'static str| {
            Err(ModelError::BadField {
                offset,
                field,
                value,
                why,
            })
        };
        if be16(bytes, 6) as usize != HEADER_BYTES {
            return field(6, "header_bytes", be16(bytes, 6) as u64, "must be 64");
        }
        let dim = |i: usize| be16(bytes, DIM_OFFSETS[i]) as usize;
        let dims = ModelDims {
            n_layers: dim(0),
            d_model: dim(1),
            n_heads: dim(2),
            d_ff: dim(3),
            vocab: dim(4),
            ctx: dim(5),
        };
        dims.validate(DIM_OFFSETS)?;
        let bits = match bytes[20] {
            4 => WeightBits::Q4,
            8 => WeightBits::Q8,
            b => return field(20, "weight_bits", b as u64, "must be 4 or 8"),
        };
        if bytes[21] & !FLAG_REAL_SCALES != 0 {
            return field(21, "flags", bytes[21] as u64, "unknown flag bits");
        }
        let has_real_scales = bytes[21] & FLAG_REAL_SCALES != 0;
        for (i, &f) in FORMATS.iter().enumerate() {
            if bytes[22 + i] != f {
                return field(
                    22 + i,
                    "activation format",
                    bytes[22 + i] as u64,
                    "differs from these kernels' formats (file made for other numerics)",
                );
            }
        }
        // Reserved bytes (29, 41..48, 56..64) must be zero: a reader that ignored them could
        // not tell a future format's header from ours.
        for at in core::iter::once(29)
            .chain(41..48)
            .chain(CRC_OFFSET + 4..HEADER_BYTES)
        {
            if bytes[at] != 0 {
                return field(at, "reserved", bytes[at] as u64, "must be zero");
            }
        }
        let emb_scale_den = be16(bytes, 34);
        if emb_scale_den == 0 {
            return field(34, "emb_scale_den", 0, "must not be 0");
        }
        let g_emb = be16(bytes, 30);
        if Some(g_emb) != lookup_scale(be16(bytes, 32), emb_scale_den) {
            return field(
                30,
                "g_emb",
                g_emb as u64,
                "disagrees with the embedding scale num/den at 32..36 (must be round_half_up(num / den * 2^(8 + F_RES)), numerics.md 6.1)",
            );
        }
        let head_shift = bytes[40];
        if head_shift > MAX_OUT_SHIFT {
            return field(40, "head_shift", head_shift as u64, "must be at most 15");
        }
        let info = HeaderInfo {
            dims,
            bits,
            has_real_scales,
            g_emb,
            emb_scale_num: be16(bytes, 32),
            emb_scale_den,
            eps_ss: be32(bytes, 36),
            head_shift,
        };
        let layout = layout(&dims, bits, has_real_scales);
        let payload = be32(bytes, 48) as u64;
        if payload != layout.total - HEADER_BYTES as u64 {
            return field(
                48,
                "payload_bytes",
                payload,
                "does not match the dimensions",
            );
        }
        if actual < layout.total {
            return Err(ModelError::Truncated {
                needed: layout.total,
                actual,
            });
        }
        if actual > layout.total {
            return Err(ModelError::TrailingBytes {
                expected: layout.total,
                actual,
            });
        }
        let stored = be32(bytes, CRC_OFFSET);
        let computed = compute_crc(bytes);
        if stored != computed {
            return Err(ModelError::Checksum { stored, computed });
        }
        let view = ModelView {
            info,
            layout,
            bytes,
        };
        for layer in 0..dims.n_layers {
            let prefix = view.layer_offset(layer);
            for (i, kind) in MatrixKind::ALL.iter().enumerate() {
                let k = bytes[prefix + i];
                if k > MAX_OUT_SHIFT {
                    let _ = kind;
                    return field(
                        prefix + i,
                        "matrix output shift",
                        k as u64,
                        "must be at most 15",
                    );
                }
            }
            if bytes[prefix + 6..prefix + LAYER_PREFIX_BYTES]
                .iter()
                .any(|&b| b != 0)
            {
                return field(prefix + 6, "layer prefix padding", 0, "must be zero");
            }
        }
        view.check_real_scales()?;
        Ok(view)
    }

    /// Every real float16 scale must be one the float reference can use (finite, not negative:
    /// real weight = q * scale), and the per-layer padding must be zero.
    fn check_real_scales(&self) -> Result<(), ModelError> {
        if !self.info.has_real_scales {
            return Ok(());
        }
        let d = &self.info.dims;
        let per_layer = self.layout.real_scales as usize / d.n_layers;
        let mut at =
            HEADER_BYTES + self.layout.embedding as usize + d.n_layers * self.layout.layer as usize;
        for layer in 0..d.n_layers {
            let layer_start = at;
            for kind in MatrixKind::ALL {
                let (rows, cols) = d.matrix_shape(kind);
                let blocks = cols / 32;
                for row in 0..rows {
                    for block in 0..blocks {
                        let bits = be16(self.bytes, at);
                        if let Err(p) = decode_half(bits) {
                            return Err(ModelError::BadScale {
                                matrix: MatrixId::Layer { layer, kind },
                                row,
                                block,
                                bits,
                                why: p.why(),
                            });
                        }
                        at += 2;
                    }
                }
            }
            let end = layer_start + per_layer;
            if let Some(i) = self.bytes[at..end].iter().position(|&b| b != 0) {
                return Err(ModelError::BadField {
                    offset: at + i,
                    field: "real-scale padding",
                    value: self.bytes[at + i] as u64,
                    why: "must be zero",
                });
            }
            at = end;
        }
        Ok(())
    }

    /// Header contents.
    pub fn info(&self) -> &HeaderInfo {
        &self.info
    }
    /// Dimensions.
    pub fn dims(&self) -> &ModelDims {
        &self.info.dims
    }
    /// Section sizes.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn layer_offset(&self, layer: usize) -> usize {
        HEADER_BYTES + self.layout.embedding as usize + layer * self.layout.layer as usize
    }

    /// The embedding matrix (vocab x d_model, Q8); its record scales are the head's `G`.
    pub fn embedding(&self) -> Result<BlockMatrix<'a>, ModelError> {
        let d = &self.info.dims;
        let bytes = &self.bytes[HEADER_BYTES..HEADER_BYTES + self.layout.embedding as usize];
        Ok(BlockMatrix::new(
            WeightBits::Q8,
            d.vocab,
            d.d_model,
            self.info.head_shift,
            bytes,
        )?)
    }

    /// A layer matrix.
    pub fn matrix(&self, layer: usize, kind: MatrixKind) -> Result<BlockMatrix<'a>, ModelError> {
        let d = &self.info.dims;
        if layer >= d.n_layers {
            return Err(ModelError::Kernel(kernels::KernelError::Index {
                what: "layer",
                index: layer,
                limit: d.n_layers,
            }));
        }
        let prefix = self.layer_offset(layer);
        let mut at = prefix + LAYER_PREFIX_BYTES;
        for k in MatrixKind::ALL {
            let (r, c) = d.matrix_shape(k);
            let n = matrix_bytes(self.info.bits, r, c);
            if k == kind {
                let shift = self.bytes[prefix + kind.index()];
                return Ok(BlockMatrix::new(
                    self.info.bits,
                    r,
                    c,
                    shift,
                    &self.bytes[at..at + n],
                )?);
            }
            at += n;
        }
        unreachable_kind()
    }

    /// The real float16 scale of `(row, block)` of a layer matrix, if the file has them.
    pub fn real_scale(
        &self,
        layer: usize,
        kind: MatrixKind,
        row: usize,
        block: usize,
    ) -> Option<u16> {
        if !self.info.has_real_scales {
            return None;
        }
        let d = &self.info.dims;
        if layer >= d.n_layers {
            return None;
        }
        let per_layer = self.layout.real_scales as usize / d.n_layers;
        let mut at = HEADER_BYTES
            + self.layout.embedding as usize
            + d.n_layers * self.layout.layer as usize
            + layer * per_layer;
        for k in MatrixKind::ALL {
            let (r, c) = d.matrix_shape(k);
            if k == kind {
                if row >= r || block >= c / 32 {
                    return None;
                }
                return Some(be16(self.bytes, at + 2 * (row * (c / 32) + block)));
            }
            at += 2 * r * (c / 32);
        }
        None
    }

    /// Identifies a matrix for messages.
    pub fn id(layer: usize, kind: MatrixKind) -> MatrixId {
        MatrixId::Layer { layer, kind }
    }
}

// MatrixKind::ALL lists every kind, so the loop above always returns; this keeps the function
// total without a panic path.
fn unreachable_kind<T>() -> Result<T, ModelError> {
    Err(ModelError::Kernel(kernels::KernelError::Shape {
        what: "matrix kind",
        value: 0,
    }))
}
