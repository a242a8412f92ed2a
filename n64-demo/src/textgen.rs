//! The text-generation demo's shared parts: its prompts, greedy generation over any
//! `Backend` (exactly what `rspnn generate` does with its default options), the escaped form in
//! which the ROM prints text and the host compares it, and a seeded synthetic model for when no
//! trained model is at hand.

use core::cell::Cell;
use core::fmt;
use kernels::matvec::WeightBits;
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::convert::SourceModel;
use rspnn_model::dims::ModelDims;
use rspnn_model::error::MatrixKind;
use rspnn_model::ModelError;

/// The prompts, in the training corpus's format (training/README.md "The corpus").
pub const PROMPTS: [&str; 3] = [
    "Q: Who are you?\nA:",
    "Q: How fast is the CPU?\nA:",
    "Q: What is the RSP?\nA:",
];

/// Bytes generated per prompt.
pub const GEN_LEN: usize = 40;

/// Generates `out.len()` bytes after `prompt` the way `rspnn generate --max N` does: reset,
/// feed the prompt, then feed back each predicted byte (all 256 bytes allowed).
pub fn generate<B: Backend + ?Sized>(
    backend: &mut B,
    prompt: &[u8],
    out: &mut [u8],
) -> Result<(), ModelError> {
    backend.reset();
    let mut next = 0u8;
    for &b in prompt {
        next = backend.step(b, DecodeMask::All)?;
    }
    let max = out.len();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = next;
        if i + 1 < max {
            next = backend.step(next, DecodeMask::All)?;
        }
    }
    Ok(())
}

/// Steps [`generate`] makes for a prompt (each is one model step per live lane).
pub const fn steps_for(prompt_len: usize, gen_len: usize) -> usize {
    prompt_len + gen_len - 1
}

/// Steps and clock ticks, counted by [`Timed`] backends (several may share one).
#[derive(Debug, Default)]
pub struct StepCounter {
    pub steps: Cell<u64>,
    pub ticks: Cell<u64>,
}

/// A backend that counts its steps and the clock ticks they took into a [`StepCounter`]
/// (`clock` is CP0 Count on the N64).
pub struct Timed<'c, B, C> {
    inner: B,
    clock: C,
    counter: &'c StepCounter,
}

impl<'c, B: Backend, C: FnMut() -> u32> Timed<'c, B, C> {
    pub fn new(inner: B, clock: C, counter: &'c StepCounter) -> Self {
        Timed {
            inner,
            clock,
            counter,
        }
    }
}

impl<B: Backend, C: FnMut() -> u32> Backend for Timed<'_, B, C> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn reset(&mut self) {
        self.inner.reset()
    }
    fn step(&mut self, byte: u8, mask: DecodeMask) -> Result<u8, ModelError> {
        let start = (self.clock)();
        let next = self.inner.step(byte, mask);
        let c = self.counter;
        c.ticks
            .set(c.ticks.get() + (self.clock)().wrapping_sub(start) as u64);
        c.steps.set(c.steps.get() + 1);
        next
    }
}

/// Text as one printable line: `\n` as `\n`, `\` as `\\`, other bytes outside 0x20..=0x7E as
/// `\xHH`.
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.0 {
            match b {
                b'\\' => f.write_str("\\\\")?,
                b'\n' => f.write_str("\\n")?,
                0x20..=0x7E => fmt::Write::write_char(f, b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        Ok(())
    }
}

/// A seeded random model with the demo's shape (2 layers, width 128, 4 heads, FFN 512, bytes,
/// context 64, Q4): every code and scale is a hash of its position, so it needs no storage and
/// is the same wherever it is built. Its text is gibberish; it exists so the ROM and its checks
/// run before (or without) a trained model.
pub struct SyntheticModel {
    pub seed: u64,
}

/// The demo's shape.
pub const DEMO_DIMS: ModelDims = ModelDims {
    n_layers: 2,
    d_model: 128,
    n_heads: 4,
    d_ff: 512,
    vocab: 256,
    ctx: 64,
};

impl SyntheticModel {
    /// splitmix64 of the seed and a position (Steele, Lea, Flood, "Fast splittable
    /// pseudorandom number generators", OOPSLA 2014).
    fn hash(&self, a: u64, b: u64, c: u64) -> u64 {
        let mut z = self.seed
            ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ b.rotate_left(21)
            ^ c.rotate_left(42);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl SourceModel for SyntheticModel {
    fn dims(&self) -> ModelDims {
        DEMO_DIMS
    }
    fn bits(&self) -> WeightBits {
        WeightBits::Q4
    }
    fn emb_q(&self, token: usize, d: usize) -> i8 {
        // int4 codes (the embedding shares the layers' precision).
        (self.hash(1, token as u64, d as u64) % 16) as i8 - 8
    }
    fn emb_scale(&self) -> (u16, u16) {
        (29, 2032)
    }
    fn q(&self, layer: usize, kind: MatrixKind, row: usize, col: usize) -> i8 {
        let where_ = (layer * 8 + kind.index()) as u64;
        (self.hash(2 + where_, row as u64, col as u64) % 16) as i8 - 8
    }
    fn scale_bits(&self, layer: usize, kind: MatrixKind, row: usize, block: usize) -> u16 {
        // float16 with exponent field 8..11 (2^-7 .. 2^-4) and any fraction: weights of a size
        // that keeps activations away from the clamps.
        let h = self.hash(
            100 + (layer * 8 + kind.index()) as u64,
            row as u64,
            block as u64,
        );
        (((8 + h % 4) as u16) << 10) | ((h >> 8) as u16 & 0x3FF)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn escaping_keeps_one_line_and_is_reversible_by_eye() {
        let text = b"A: hi\\ there\n\x01\xff~";
        assert_eq!(
            format!("{}", Escaped(text)),
            "A: hi\\\\ there\\n\\x01\\xff~"
        );
    }

    /// A backend that predicts byte + 1, to test the driver and the counter.
    struct Next;
    impl Backend for Next {
        fn name(&self) -> &'static str {
            "next"
        }
        fn reset(&mut self) {}
        fn step(&mut self, byte: u8, _: DecodeMask) -> Result<u8, ModelError> {
            Ok(byte.wrapping_add(1))
        }
    }

    #[test]
    fn generation_feeds_back_each_prediction_and_counts_steps() {
        let counter = StepCounter::default();
        let mut ticks = 0u32;
        let mut be = Timed::new(
            Next,
            || {
                ticks += 10;
                ticks
            },
            &counter,
        );
        let mut out = [0u8; 4];
        generate(&mut be, b"ab", &mut out).unwrap();
        // After "ab" the prediction is 'c', then each is fed back.
        assert_eq!(&out, b"cdef");
        // 2 prompt steps + 3 feedback steps, each 10 ticks long.
        assert_eq!(counter.steps.get(), 5);
        assert_eq!(counter.ticks.get(), 50);
    }

    #[test]
    fn steps_count_prompt_and_generated_bytes() {
        // "Q: Who are you?\nA:" is 18 bytes; 40 generated bytes need 39 more steps.
        assert_eq!(PROMPTS[0].len(), 18);
        assert_eq!(steps_for(PROMPTS[0].len(), GEN_LEN), 57);
    }

    #[test]
    fn the_synthetic_model_is_a_valid_demo_shaped_file() {
        let m = SyntheticModel { seed: 1 };
        let size = rspnn_model::convert::rspw_size(&m).unwrap();
        let mut buf = std::vec![0u8; size];
        rspnn_model::convert::write_rspw(&m, &mut buf).unwrap();
        let view = rspnn_model::rspw::ModelView::parse(&buf).unwrap();
        assert_eq!(*view.dims(), DEMO_DIMS);
        // Deterministic, and the seed matters.
        let mut again = std::vec![0u8; size];
        rspnn_model::convert::write_rspw(&SyntheticModel { seed: 1 }, &mut again).unwrap();
        assert_eq!(buf, again);
        rspnn_model::convert::write_rspw(&SyntheticModel { seed: 2 }, &mut again).unwrap();
        assert_ne!(buf, again);
    }
}
