//! The text-generation demo's shared parts: its prompts, greedy generation over any
//! `Backend` (exactly what `rspnn generate` does with its default options), the escaped form in
//! which the ROM prints text and the host compares it, and a step counter.

use core::cell::Cell;
use core::fmt;
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::ModelError;

/// The prompts, in the training corpus's format (training/README.md "The corpus").
pub const PROMPTS: [&str; 3] = [
    "Q: Who are you?\nA:",
    "Q: How fast is the CPU?\nA:",
    "Q: What is the RSP?\nA:",
];

/// Bytes generated per prompt: enough for the demo model's answers to the prompts (the
/// longest, 53 bytes, then its newline).
pub const GEN_LEN: usize = 56;

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

/// The RSP side of the text ROMs (`textgen`, `chat`): the scheduler over the real registers
/// with rspnn's ucode loaded, and two token programs for `model` in `workspace` (one per
/// staggered lane), written back for the RSP. Returns the scheduler, the two runners and the
/// workspace bytes they use. A failure here is a broken ROM, so it panics with what failed.
#[cfg(target_arch = "mips")]
pub fn rsp_lanes(
    model: &'static [u8],
    workspace: &'static mut [u8],
    deadline_micros: u32,
) -> (
    rspnn::Scheduler<rspnn::mmio::Mmio>,
    rspnn::token::TokenRunner,
    rspnn::token::TokenRunner,
    usize,
) {
    use rspnn::mmio::Mmio;
    use rspnn::token::TokenRunner;
    use rspnn::{Completion, Config, Scheduler, Ucode};
    let Some(hw) = Mmio::take() else {
        panic!("the RSP is already taken")
    };
    let config = match Config::with_deadline_micros(&hw, deadline_micros, Completion::Status) {
        Ok(c) => c,
        Err(e) => panic!("deadline: {e}"),
    };
    let mut sched = match Scheduler::new(hw, workspace, config) {
        Ok(s) => s,
        Err(e) => panic!("scheduler: {e}"),
    };
    if let Err(e) = sched.load_ucode(&Ucode::RSPNN) {
        panic!("loading the ucode: {e}");
    }
    let build = |sched: &mut Scheduler<Mmio>, at| match TokenRunner::build(sched, model, at) {
        Ok(r) => r,
        Err(e) => panic!("token program: {e}"),
    };
    let (runner0, end) = build(&mut sched, 0);
    let (runner1, end) = build(&mut sched, end);
    if let Err(h) = sched.writeback_workspace() {
        panic!("job {} running before the first step", h.id());
    }
    (sched, runner0, runner1, end)
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
        // "Q: Who are you?\nA:" is 18 bytes; 56 generated bytes need 55 more steps.
        assert_eq!(PROMPTS[0].len(), 18);
        assert_eq!(steps_for(PROMPTS[0].len(), GEN_LEN), 73);
    }
}
