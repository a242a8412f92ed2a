//! Running past the context: two staggered fresh windows (docs/numerics.md "Past the
//! context").
//!
//! Measured on seed-v5 (bench-results/accuracy.md): a plain ring-buffer KV cache keeps only
//! ~0.35 next-char accuracy past 64 tokens, and pinning the first tokens as attention sinks
//! does not help. The model has no positional embedding, but it was only ever run on windows
//! that *start fresh*: every cached key/value was computed from a context that began at a
//! reset. Once the oldest token is overwritten, the cached values of the later layers were
//! computed from tokens the window no longer holds, and the model leaves its training
//! distribution.
//!
//! `Staggered` keeps that invariant at a constant 2x cost, with no latency spike: two copies
//! of a backend restart from empty every `ctx` tokens, half a context apart (lane 0 at
//! 0, ctx, 2ctx, ...; lane 1 at ctx/2, ctx/2 + ctx, ...). Neither ever holds more than `ctx`
//! tokens, and the prediction comes from the lane with the longer history, which has seen
//! between ctx/2 + 1 and ctx tokens from a fresh start. Before ctx/2 tokens only lane 0 runs
//! and the result equals the plain backend exactly.

use crate::backend::{Backend, DecodeMask};
use crate::error::ModelError;

/// Two staggered copies of a backend for a model of context `ctx`.
pub struct Staggered<B> {
    lanes: [B; 2],
    ctx: usize,
    pos: usize,
}

impl<B: Backend> Staggered<B> {
    /// `a` and `b` must be two fresh instances of the same model.
    pub fn new(a: B, b: B, ctx: usize) -> Self {
        let mut s = Staggered {
            lanes: [a, b],
            ctx: ctx.max(1),
            pos: 0,
        };
        s.reset();
        s
    }

    fn half(&self) -> usize {
        (self.ctx / 2).max(1)
    }

    /// Start time of lane `l`'s current window at time `t`, if the lane has started.
    fn lane_start(&self, l: usize, t: usize) -> Option<usize> {
        let phase = if l == 0 { 0 } else { self.half() };
        if t < phase {
            return None;
        }
        Some(t - (t - phase) % self.ctx)
    }
}

impl<B: Backend> Backend for Staggered<B> {
    fn name(&self) -> &'static str {
        self.lanes[0].name()
    }

    fn reset(&mut self) {
        self.pos = 0;
        self.lanes[0].reset();
        self.lanes[1].reset();
    }

    fn step(&mut self, byte: u8, mask: DecodeMask) -> Result<u8, ModelError> {
        let t = self.pos;
        let mut best: Option<(usize, usize)> = None; // (start, lane)
        for l in 0..2 {
            if self.ctx == 1 && l == 1 {
                continue;
            }
            if let Some(start) = self.lane_start(l, t) {
                if start == t {
                    self.lanes[l].reset();
                }
                if best.is_none_or(|(s, _)| start < s) {
                    best = Some((start, l));
                }
            }
        }
        let Some((_, chosen)) = best else {
            return Err(ModelError::TokenOutOfRange { token: 0, vocab: 0 });
        };
        let mut prediction = 0;
        for l in 0..2 {
            if self.ctx == 1 && l == 1 {
                continue;
            }
            if self.lane_start(l, t).is_some() {
                let p = self.lanes[l].step(byte, mask)?;
                if l == chosen {
                    prediction = p;
                }
            }
        }
        self.pos += 1;
        Ok(prediction)
    }
}
