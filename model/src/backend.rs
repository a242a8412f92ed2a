//! The `Backend` trait: one interface for every way of running a model (the fixed-point
//! scalar runner, the float32 reference, and later the RSP simulator in its own crate), so the
//! CLI's `--backend` flag can grow without changing this crate.

use crate::error::ModelError;

/// Which bytes greedy decoding may choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DecodeMask {
    /// Every vocabulary entry (the model's own argmax).
    #[default]
    All,
    /// Printable ASCII 32..=126 only. The seed demo's float engine decodes this way: its
    /// `pred_f32_public.bin` never holds a byte outside 32..=122 and we reproduce it exactly
    /// with this mask (bench-results/accuracy.md).
    Printable,
}

impl DecodeMask {
    /// The half-open index range allowed for a vocabulary of `vocab` entries.
    pub fn range(self, vocab: usize) -> (usize, usize) {
        match self {
            DecodeMask::All => (0, vocab),
            DecodeMask::Printable => (32.min(vocab), 127.min(vocab)),
        }
    }
}

/// `token` as a byte, or [`ModelError::NotAByte`].
pub fn token_byte(token: usize, vocab: usize) -> Result<u8, ModelError> {
    u8::try_from(token).map_err(|_| ModelError::NotAByte { token, vocab })
}

/// A model that can be reset and fed one byte at a time.
pub trait Backend {
    /// Short name for messages ("scalar", "float", ...).
    fn name(&self) -> &'static str;
    /// Forgets all fed bytes.
    fn reset(&mut self);
    /// Feeds `byte` and returns the greedy prediction of the next byte within `mask`. A model
    /// whose vocabulary exceeds 256 may predict a token that is no byte: that is
    /// [`ModelError::NotAByte`], never a token cut to its low 8 bits.
    fn step(&mut self, byte: u8, mask: DecodeMask) -> Result<u8, ModelError>;
}

impl<W: AsMut<[i16]> + AsRef<[i16]>> Backend for crate::runner::ScalarRunner<'_, W> {
    fn name(&self) -> &'static str {
        "scalar"
    }
    fn reset(&mut self) {
        crate::runner::ScalarRunner::reset(self)
    }
    fn step(&mut self, byte: u8, mask: DecodeMask) -> Result<u8, ModelError> {
        let next = self.step_greedy(byte as usize, mask)?;
        token_byte(next, self.model().dims().vocab)
    }
}
