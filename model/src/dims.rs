//! Model dimensions and their validation (shared by every file format and the runners).

use crate::error::ModelError;

/// Largest accepted values: far above any N64-sized model, small enough that every size
/// computed from them fits comfortably in u64 and a bad header cannot request absurd memory.
pub const MAX_LAYERS: usize = 64;
pub const MAX_WIDTH: usize = 4096;
pub const MAX_FF: usize = 16384;
pub const MAX_VOCAB: usize = 4096;
pub const MAX_CTX: usize = 4096;

/// The shape of a pre-norm transformer without positional embedding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelDims {
    pub n_layers: usize,
    pub d_model: usize,
    pub n_heads: usize,
    pub d_ff: usize,
    pub vocab: usize,
    pub ctx: usize,
}

impl ModelDims {
    /// Width of one head.
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads.max(1)
    }

    /// Checks the rules the kernels and the block-record layout need; `offsets` gives, for
    /// each field in the order (layers, width, heads, ff, vocab, ctx), the header offset used
    /// in the error message.
    pub fn validate(&self, offsets: [usize; 6]) -> Result<(), ModelError> {
        let bad = |i: usize, field: &'static str, value: usize, why: &'static str| {
            Err(ModelError::BadField {
                offset: offsets[i],
                field,
                value: value as u64,
                why,
            })
        };
        if self.n_layers == 0 || self.n_layers > MAX_LAYERS {
            return bad(0, "n_layers", self.n_layers, "must be 1..=64");
        }
        if self.d_model == 0 || self.d_model % 32 != 0 || self.d_model > MAX_WIDTH {
            return bad(
                1,
                "d_model",
                self.d_model,
                "must be a multiple of 32, at most 4096",
            );
        }
        if self.n_heads == 0 || self.d_model % self.n_heads != 0 {
            return bad(2, "n_heads", self.n_heads, "must divide d_model");
        }
        if self.d_ff == 0 || self.d_ff % 32 != 0 || self.d_ff > MAX_FF {
            return bad(
                3,
                "d_ff",
                self.d_ff,
                "must be a multiple of 32, at most 16384",
            );
        }
        if self.vocab == 0 || self.vocab % 8 != 0 || self.vocab > MAX_VOCAB {
            return bad(
                4,
                "vocab",
                self.vocab,
                "must be a multiple of 8, at most 4096",
            );
        }
        if self.ctx == 0 || self.ctx > MAX_CTX {
            return bad(5, "ctx", self.ctx, "must be 1..=4096");
        }
        Ok(())
    }

    /// (rows, cols) of a layer matrix.
    pub fn matrix_shape(&self, kind: crate::error::MatrixKind) -> (usize, usize) {
        use crate::error::MatrixKind::*;
        match kind {
            Wq | Wk | Wv | Wo => (self.d_model, self.d_model),
            Ff1 => (self.d_ff, self.d_model),
            Ff2 => (self.d_model, self.d_ff),
        }
    }
}
