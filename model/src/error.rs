//! Errors of the weight loaders, the converter and the runners. Every bad input gives one of
//! these (never a panic): what was wrong and, for files, the byte offset where it was found.

use core::fmt;
use kernels::KernelError;

/// Which matrix of a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixKind {
    Wq,
    Wk,
    Wv,
    Wo,
    Ff1,
    Ff2,
}

impl MatrixKind {
    /// The six per-layer matrices in file order.
    pub const ALL: [MatrixKind; 6] = [
        MatrixKind::Wq,
        MatrixKind::Wk,
        MatrixKind::Wv,
        MatrixKind::Wo,
        MatrixKind::Ff1,
        MatrixKind::Ff2,
    ];

    /// Name used in messages and docs.
    pub const fn name(self) -> &'static str {
        match self {
            MatrixKind::Wq => "wq",
            MatrixKind::Wk => "wk",
            MatrixKind::Wv => "wv",
            MatrixKind::Wo => "wo",
            MatrixKind::Ff1 => "wff1",
            MatrixKind::Ff2 => "wff2",
        }
    }

    /// Position in [`MatrixKind::ALL`].
    pub const fn index(self) -> usize {
        match self {
            MatrixKind::Wq => 0,
            MatrixKind::Wk => 1,
            MatrixKind::Wv => 2,
            MatrixKind::Wo => 3,
            MatrixKind::Ff1 => 4,
            MatrixKind::Ff2 => 5,
        }
    }
}

/// Where a matrix sits: a layer's matrix, or the embedding / output head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixId {
    Layer { layer: usize, kind: MatrixKind },
    Embedding,
}

impl fmt::Display for MatrixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatrixId::Layer { layer, kind } => write!(f, "layer {layer} {}", kind.name()),
            MatrixId::Embedding => write!(f, "embedding/head"),
        }
    }
}

/// Everything that can go wrong reading, converting or running a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelError {
    /// The file does not start with a known magic.
    BadMagic { found: [u8; 4] },
    /// A version we do not read.
    UnsupportedVersion { version: u16 },
    /// The file ends before `needed` bytes (it has `actual`).
    Truncated { needed: u64, actual: u64 },
    /// The file has bytes after the last section.
    TrailingBytes { expected: u64, actual: u64 },
    /// A header field is out of range or inconsistent with another.
    BadField {
        offset: usize,
        field: &'static str,
        value: u64,
        why: &'static str,
    },
    /// The stored CRC-32 does not match the contents.
    Checksum { stored: u32, computed: u32 },
    /// A block scale that cannot be used (negative, infinite, NaN).
    BadScale {
        matrix: MatrixId,
        row: usize,
        block: usize,
        bits: u16,
        why: &'static str,
    },
    /// Even the largest output shift leaves an integer scale above 65535.
    ScaleOverflow { matrix: MatrixId, max_scale: u64 },
    /// An output buffer is too small.
    BufferTooSmall { needed: usize, actual: usize },
    /// A token outside the vocabulary was fed.
    TokenOutOfRange { token: usize, vocab: usize },
    /// The model predicted a token that is not a byte (vocabularies above 256 entries): the
    /// byte-level [`crate::backend::Backend`] cannot return it without cutting it.
    NotAByte { token: usize, vocab: usize },
    /// The model has no real-valued scales (needed by the float reference).
    NoRealScales,
    /// A kernel refused its arguments (a bug in the runner, reported rather than panicking).
    Kernel(KernelError),
    /// A backend other than the scalar and float runners (the RSP on the simulator or the
    /// console) could not complete a step: `what` says what failed, `code` is the backend's own
    /// status code where it has one (the ucode's `Boot.status`), else 0. The backend keeps the
    /// full details (e.g. the simulator's message) for whoever asks it.
    Backend {
        backend: &'static str,
        position: usize,
        what: &'static str,
        code: u32,
    },
}

impl From<KernelError> for ModelError {
    fn from(e: KernelError) -> Self {
        ModelError::Kernel(e)
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::BadMagic { found } => write!(
                f,
                "not a weight file: magic {:02x} {:02x} {:02x} {:02x} at offset 0 (expected \"RSPW\" or \"SEAI\")",
                found[0], found[1], found[2], found[3]
            ),
            ModelError::UnsupportedVersion { version } => {
                write!(f, "unsupported weight-file version {version}")
            }
            ModelError::Truncated { needed, actual } => {
                write!(f, "file truncated: needs {needed} bytes, has {actual}")
            }
            ModelError::TrailingBytes { expected, actual } => write!(
                f,
                "file has {} unexpected bytes after offset {expected} (size {actual})",
                actual - expected
            ),
            ModelError::BadField { offset, field, value, why } => {
                write!(f, "header field {field} at offset {offset} = {value}: {why}")
            }
            ModelError::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch: stored CRC-32 {stored:#010x}, contents give {computed:#010x}"
            ),
            ModelError::BadScale { matrix, row, block, bits, why } => write!(
                f,
                "{matrix}: block scale at row {row} block {block} (f16 bits {bits:#06x}) is {why}"
            ),
            ModelError::ScaleOverflow { matrix, max_scale } => write!(
                f,
                "{matrix}: integer block scale {max_scale} exceeds 65535 even with the largest output shift"
            ),
            ModelError::BufferTooSmall { needed, actual } => {
                write!(f, "buffer too small: needs {needed}, has {actual}")
            }
            ModelError::TokenOutOfRange { token, vocab } => {
                write!(f, "token {token} outside the vocabulary 0..{vocab}")
            }
            ModelError::NotAByte { token, vocab } => write!(
                f,
                "the model predicted token {token} (vocabulary 0..{vocab}), which is not a byte: byte-level text can only hold tokens 0..=255"
            ),
            ModelError::NoRealScales => {
                write!(f, "the weight file carries no real-valued scales (needed by the float backend)")
            }
            ModelError::Kernel(e) => write!(f, "kernel error: {e}"),
            ModelError::Backend { backend, position, what, code } => write!(
                f,
                "{backend} backend failed at position {position}: {what} (code 0x{code:x})"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ModelError {}
