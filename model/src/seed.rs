//! The seed demo's "SEAI" weight files (layouts in fixtures/seed-v5/README.md).
//!
//! Both versions share a 12-byte header: "SEAI", n_layers u8 @4, n_embed u16 little-endian @5,
//! n_heads u8 @7, vocab u16 LE @8, ctx u8 @10, em*16 u8 @11 (em = the embedding's range). The
//! FFN width is 4 * n_embed. Nothing in the header says which version a file is, so the file
//! size decides (the two layouts never have the same size for the same header).
//!
//! * v5 (Q8): embedding `vocab x n_embed` int8 (real = q * em / 127); per layer the int8
//!   weights of wq, wk, wv, wo, wff1, wff2 ([out][in], row-major), then their float16 scales,
//!   little-endian, one per 32 consecutive weights in the same order (real = q * scale).
//! * v2 (Q4): the same with packed nibbles (low nibble = even index, value = nibble - 8). The
//!   embedding has no scale of its own; we read it as `(nibble - 8) * em / 7` (the int4
//!   analogue of v5's `q * em / 127`: the largest positive code maps to em). No v2 file was
//!   ever published, so that reading is our documented assumption (docs/weight-format.md).

use crate::convert::SourceModel;
use crate::dims::ModelDims;
use crate::error::{MatrixKind, ModelError};
use kernels::matvec::WeightBits;

/// Seed header size.
pub const SEED_HEADER_BYTES: usize = 12;
/// Seed magic.
pub const SEED_MAGIC: [u8; 4] = *b"SEAI";

/// Which seed layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedVersion {
    V5Q8,
    V2Q4,
}

/// A validated seed file, read in place.
#[derive(Clone, Copy, Debug)]
pub struct SeedModel<'a> {
    version: SeedVersion,
    dims: ModelDims,
    em16: u8,
    bytes: &'a [u8],
    layer_bytes: usize,
    emb_bytes: usize,
}

/// Header offsets of (layers, width, heads, ff, vocab, ctx); ff is derived from the width.
const DIM_OFFSETS: [usize; 6] = [4, 5, 7, 5, 8, 10];

fn weights_per_layer(d: &ModelDims) -> usize {
    MatrixKind::ALL
        .iter()
        .map(|&k| {
            let (r, c) = d.matrix_shape(k);
            r * c
        })
        .sum()
}

/// Expected file size of a seed layout (u64; validated dims keep it small).
pub fn seed_size(d: &ModelDims, version: SeedVersion) -> (usize, usize, u64) {
    let w = weights_per_layer(d);
    let scales = w / 32 * 2;
    let (emb, layer) = match version {
        SeedVersion::V5Q8 => (d.vocab * d.d_model, w + scales),
        SeedVersion::V2Q4 => (d.vocab * d.d_model / 2, w / 2 + scales),
    };
    (
        emb,
        layer,
        SEED_HEADER_BYTES as u64 + emb as u64 + layer as u64 * d.n_layers as u64,
    )
}

/// Validates the 12-byte header: (dimensions, em*16).
fn parse_header(bytes: &[u8]) -> Result<(ModelDims, u8), ModelError> {
    let actual = bytes.len() as u64;
    if bytes.len() < 4 {
        return Err(ModelError::Truncated {
            needed: SEED_HEADER_BYTES as u64,
            actual,
        });
    }
    if bytes[0..4] != SEED_MAGIC {
        return Err(ModelError::BadMagic {
            found: [bytes[0], bytes[1], bytes[2], bytes[3]],
        });
    }
    if bytes.len() < SEED_HEADER_BYTES {
        return Err(ModelError::Truncated {
            needed: SEED_HEADER_BYTES as u64,
            actual,
        });
    }
    let d_model = u16::from_le_bytes([bytes[5], bytes[6]]) as usize;
    let dims = ModelDims {
        n_layers: bytes[4] as usize,
        d_model,
        n_heads: bytes[7] as usize,
        d_ff: 4 * d_model,
        vocab: u16::from_le_bytes([bytes[8], bytes[9]]) as usize,
        ctx: bytes[10] as usize,
    };
    dims.validate(DIM_OFFSETS)?;
    let em16 = bytes[11];
    if em16 == 0 {
        return Err(ModelError::BadField {
            offset: 11,
            field: "em*16",
            value: 0,
            why: "embedding range must be positive",
        });
    }
    Ok((dims, em16))
}

/// The largest size a seed file with this header may have (the v5 size; v2 files are smaller),
/// from its first 12 bytes: how much of a file a loader needs to read at most.
pub fn declared_size(header: &[u8]) -> Result<u64, ModelError> {
    let (dims, _) = parse_header(header)?;
    Ok(seed_size(&dims, SeedVersion::V5Q8)
        .2
        .max(seed_size(&dims, SeedVersion::V2Q4).2))
}

impl<'a> SeedModel<'a> {
    /// Validates a seed file; the size picks the version.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ModelError> {
        let actual = bytes.len() as u64;
        let (dims, em16) = parse_header(bytes)?;
        let (emb5, layer5, size5) = seed_size(&dims, SeedVersion::V5Q8);
        let (emb2, layer2, size2) = seed_size(&dims, SeedVersion::V2Q4);
        let (version, emb_bytes, layer_bytes) = if actual == size5 {
            (SeedVersion::V5Q8, emb5, layer5)
        } else if actual == size2 {
            (SeedVersion::V2Q4, emb2, layer2)
        } else if actual < size2 {
            return Err(ModelError::Truncated {
                needed: size2,
                actual,
            });
        } else if actual < size5 {
            // Between the two sizes: a truncated v5 (the larger layout) is the likelier story.
            return Err(ModelError::Truncated {
                needed: size5,
                actual,
            });
        } else {
            return Err(ModelError::TrailingBytes {
                expected: size5,
                actual,
            });
        };
        Ok(SeedModel {
            version,
            dims,
            em16,
            bytes,
            layer_bytes,
            emb_bytes,
        })
    }

    /// Which layout the file has.
    pub fn version(&self) -> SeedVersion {
        self.version
    }

    fn matrix_offset(&self, layer: usize, kind: MatrixKind) -> (usize, usize, usize) {
        // (weights offset, scales offset, columns)
        let base = SEED_HEADER_BYTES + self.emb_bytes + layer * self.layer_bytes;
        let total_w = weights_per_layer(&self.dims);
        let mut w_before = 0;
        for k in MatrixKind::ALL {
            if k == kind {
                break;
            }
            let (r, c) = self.dims.matrix_shape(k);
            w_before += r * c;
        }
        let cols = self.dims.matrix_shape(kind).1;
        match self.version {
            SeedVersion::V5Q8 => (base + w_before, base + total_w + w_before / 32 * 2, cols),
            SeedVersion::V2Q4 => (
                base + w_before / 2,
                base + total_w / 2 + w_before / 32 * 2,
                cols,
            ),
        }
    }

    fn nibble(&self, at_weight: usize, base: usize) -> i8 {
        let byte = self.bytes[base + at_weight / 2];
        let n = if at_weight % 2 == 0 {
            byte & 0xF
        } else {
            byte >> 4
        };
        n as i8 - 8
    }
}

impl SourceModel for SeedModel<'_> {
    fn dims(&self) -> ModelDims {
        self.dims
    }
    fn bits(&self) -> WeightBits {
        match self.version {
            SeedVersion::V5Q8 => WeightBits::Q8,
            SeedVersion::V2Q4 => WeightBits::Q4,
        }
    }
    fn emb_q(&self, token: usize, d: usize) -> i8 {
        let i = token * self.dims.d_model + d;
        match self.version {
            SeedVersion::V5Q8 => self.bytes[SEED_HEADER_BYTES + i] as i8,
            SeedVersion::V2Q4 => self.nibble(i, SEED_HEADER_BYTES),
        }
    }
    fn emb_scale(&self) -> (u16, u16) {
        // em = em16 / 16; v5: em / 127, v2: em / 7.
        match self.version {
            SeedVersion::V5Q8 => (self.em16 as u16, 16 * 127),
            SeedVersion::V2Q4 => (self.em16 as u16, 16 * 7),
        }
    }
    fn q(&self, layer: usize, kind: MatrixKind, row: usize, col: usize) -> i8 {
        let (w, _, cols) = self.matrix_offset(layer, kind);
        match self.version {
            SeedVersion::V5Q8 => self.bytes[w + row * cols + col] as i8,
            SeedVersion::V2Q4 => self.nibble(row * cols + col, w),
        }
    }
    fn scale_bits(&self, layer: usize, kind: MatrixKind, row: usize, block: usize) -> u16 {
        let (_, s, cols) = self.matrix_offset(layer, kind);
        let at = s + 2 * (row * (cols / 32) + block);
        u16::from_le_bytes([self.bytes[at], self.bytes[at + 1]])
    }
}
