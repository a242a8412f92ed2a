//! Text generation cut at its matrix products: exactly what `rspnn generate` does (reset, feed
//! the prompt, then feed back each greedy prediction; `--max`, `--stop-at-newline`, `--vocab`
//! and `--cache staggered|ring`), as a state machine that hands every matvec to its caller.
//!
//! This is how a libdragon game runs a model without ever blocking (include/rspnn.h): the
//! caller queues each [`Event::Matvec`] on the RSP as rspq commands, goes on drawing, and
//! calls [`Generator::resume`] once the RSP is done; the norms, attention, softmax and argmax
//! run here on the CPU with the spec kernels, so the text is the same bytes as the host's.
//! No allocator: the two runners' workspaces are the caller's.

use crate::backend::{token_byte, DecodeMask};
use crate::error::ModelError;
use crate::rspw::ModelView;
use crate::runner::{MatvecJob, ScalarRunner, StepNeed};
use core::fmt;
use kernels::elementwise::argmax_in;

/// The longest prompt a [`Generator`] holds (it keeps its own copy).
pub const MAX_PROMPT: usize = 512;

/// Past the context: `rspnn generate --cache` (crate::window explains the staggered windows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cache {
    /// Two staggered fresh windows (the CLI's default): both workspaces are used.
    Staggered,
    /// One ring-buffer KV cache: only the first workspace is used.
    Ring,
}

/// Why [`Generator::begin`] or [`Generator::resume`] refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenerateError {
    /// The prompt is empty (`rspnn generate` refuses it too).
    EmptyPrompt,
    /// The prompt is longer than [`MAX_PROMPT`] bytes.
    PromptTooLong { len: usize, max: usize },
    /// `max` was 0 (`rspnn generate --max` is 1 or more).
    ZeroMax,
    /// `resume` was called with nothing begun, or after an error.
    NotGenerating,
    /// The model or a kernel refused.
    Model(ModelError),
}

impl From<ModelError> for GenerateError {
    fn from(e: ModelError) -> Self {
        GenerateError::Model(e)
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenerateError::EmptyPrompt => write!(f, "the prompt is empty"),
            GenerateError::PromptTooLong { len, max } => {
                write!(
                    f,
                    "the prompt has {len} bytes, more than the {max} a generator holds"
                )
            }
            GenerateError::ZeroMax => write!(f, "max must be at least 1 byte"),
            GenerateError::NotGenerating => write!(f, "nothing is being generated"),
            GenerateError::Model(e) => write!(f, "{e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for GenerateError {}

/// What the caller does next.
#[derive(Clone, Copy, Debug)]
pub enum Event<'m> {
    /// Compute this product into [`Generator::workspace_mut`]`(lane)`, then call `resume`.
    Matvec { lane: usize, job: MatvecJob<'m> },
    /// The next byte of the answer; call `resume` to go on.
    Byte(u8),
    /// The answer is complete (`max` bytes, or a newline with `stop_at_newline`).
    Done,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Idle,
    /// Feeding `byte`; lane `lane` is in the middle of its step.
    Stepping {
        byte: u8,
        lane: usize,
        chosen: usize,
        pred: u8,
    },
    /// A byte was just emitted; `next` is fed after it unless `max` is reached.
    Emitted {
        next: u8,
    },
    Done,
}

/// Greedy generation over one model, one matvec at a time.
pub struct Generator<'m, W> {
    lane0: ScalarRunner<'m, W>,
    /// The second staggered window (absent with [`Cache::Ring`]).
    lane1: Option<ScalarRunner<'m, W>>,
    cache: Cache,
    ctx: usize,
    mask: DecodeMask,
    prompt: [u8; MAX_PROMPT],
    prompt_len: usize,
    fed: usize,
    /// Bytes fed since `begin` (the staggered windows' clock).
    t: usize,
    max: usize,
    emitted: usize,
    stop_at_newline: bool,
    state: State,
}

impl<'m, W: AsMut<[i16]> + AsRef<[i16]>> Generator<'m, W> {
    /// A generator over `model`; `ws0` and `ws1` need [`crate::runner::workspace_len`] elements
    /// each (`ws1` is unused, and may be empty, with [`Cache::Ring`]).
    pub fn new(
        model: ModelView<'m>,
        ws0: W,
        ws1: W,
        cache: Cache,
        mask: DecodeMask,
    ) -> Result<Self, ModelError> {
        let ctx = model.dims().ctx.max(1);
        let lane0 = ScalarRunner::new(model, ws0)?;
        let lane1 = match cache {
            Cache::Staggered => Some(ScalarRunner::new(model, ws1)?),
            Cache::Ring => None,
        };
        Ok(Generator {
            lane0,
            lane1,
            cache,
            ctx,
            mask,
            prompt: [0; MAX_PROMPT],
            prompt_len: 0,
            fed: 0,
            t: 0,
            max: 0,
            emitted: 0,
            stop_at_newline: false,
            state: State::Idle,
        })
    }

    /// The workspace of `lane` (0 or 1), where [`Event::Matvec`]'s offsets point.
    /// (Lane 1 of a ring-cache generator has none: an empty slice.)
    pub fn workspace_mut(&mut self, lane: usize) -> &mut [i16] {
        match (lane, self.lane1.as_mut()) {
            (0, _) => self.lane0.workspace_mut(),
            (_, Some(l1)) => l1.workspace_mut(),
            (_, None) => &mut [],
        }
    }

    /// Lane `l`'s runner; only called for live lanes (lane 1 is live only when it exists).
    fn lane(&mut self, l: usize) -> Result<&mut ScalarRunner<'m, W>, GenerateError> {
        match (l, self.lane1.as_mut()) {
            (0, _) => Ok(&mut self.lane0),
            (_, Some(l1)) => Ok(l1),
            (_, None) => Err(GenerateError::NotGenerating),
        }
    }

    /// Starts answering `prompt` (forgetting everything before): up to `max` bytes, stopping
    /// before the first generated newline with `stop_at_newline`. The first event is a matvec.
    pub fn begin(
        &mut self,
        prompt: &[u8],
        max: usize,
        stop_at_newline: bool,
    ) -> Result<Event<'m>, GenerateError> {
        self.state = State::Idle;
        if prompt.is_empty() {
            return Err(GenerateError::EmptyPrompt);
        }
        if prompt.len() > MAX_PROMPT {
            return Err(GenerateError::PromptTooLong {
                len: prompt.len(),
                max: MAX_PROMPT,
            });
        }
        if max == 0 {
            return Err(GenerateError::ZeroMax);
        }
        self.prompt[..prompt.len()].copy_from_slice(prompt);
        self.prompt_len = prompt.len();
        self.max = max;
        self.stop_at_newline = stop_at_newline;
        self.emitted = 0;
        self.t = 0;
        self.fed = 1;
        self.lane0.reset();
        if let Some(l1) = self.lane1.as_mut() {
            l1.reset();
        }
        self.start_byte(prompt[0])
    }

    /// Goes on after the last event: after a matvec once its product is in the workspace,
    /// after a byte at once. After [`Event::Done`] it keeps returning `Done`.
    pub fn resume(&mut self) -> Result<Event<'m>, GenerateError> {
        let r = self.resume_inner();
        if r.is_err() {
            self.state = State::Idle;
        }
        r
    }

    fn resume_inner(&mut self) -> Result<Event<'m>, GenerateError> {
        match self.state {
            State::Idle => Err(GenerateError::NotGenerating),
            State::Done => Ok(Event::Done),
            State::Emitted { next } => {
                if self.emitted < self.max {
                    self.start_byte(next)
                } else {
                    self.state = State::Done;
                    Ok(Event::Done)
                }
            }
            State::Stepping {
                byte,
                lane,
                chosen,
                mut pred,
            } => match self.lane(lane)?.resume_step()? {
                StepNeed::Matvec(job) => Ok(Event::Matvec { lane, job }),
                StepNeed::Logits => {
                    let mask = self.mask;
                    let runner = self.lane(lane)?;
                    let vocab = runner.model().dims().vocab;
                    let (lo, hi) = mask.range(vocab);
                    let logits = runner.logits();
                    let token = argmax_in(logits, lo, hi).ok_or(ModelError::TokenOutOfRange {
                        token: hi,
                        vocab: logits.len(),
                    })?;
                    let p = token_byte(token, vocab)?;
                    if lane == chosen {
                        pred = p;
                    }
                    if lane == 0 && self.lane_live(1, self.t) {
                        self.state = State::Stepping {
                            byte,
                            lane: 1,
                            chosen,
                            pred,
                        };
                        let job = self.lane(1)?.start_step(byte as usize)?;
                        return Ok(Event::Matvec { lane: 1, job });
                    }
                    self.t += 1;
                    self.after_byte(pred)
                }
            },
        }
    }

    /// A fed byte's prediction `next` is known: feed the prompt's next byte, or emit `next`.
    fn after_byte(&mut self, next: u8) -> Result<Event<'m>, GenerateError> {
        if self.fed < self.prompt_len {
            let b = self.prompt[self.fed];
            self.fed += 1;
            return self.start_byte(b);
        }
        if self.stop_at_newline && next == b'\n' {
            self.state = State::Done;
            return Ok(Event::Done);
        }
        self.emitted += 1;
        self.state = State::Emitted { next };
        Ok(Event::Byte(next))
    }

    /// Start of lane `l`'s current window at time `t`, if it has started (window.rs).
    fn lane_start(&self, l: usize, t: usize) -> Option<usize> {
        if l == 1 && (self.lane1.is_none() || self.ctx == 1) {
            return None;
        }
        if self.cache == Cache::Ring {
            return Some(0);
        }
        let phase = if l == 0 { 0 } else { (self.ctx / 2).max(1) };
        if t < phase {
            return None;
        }
        Some(t - (t - phase) % self.ctx)
    }

    fn lane_live(&self, l: usize, t: usize) -> bool {
        self.lane_start(l, t).is_some()
    }

    /// Feeds `byte` at time `t`: restarts the lanes whose window starts now and picks the lane
    /// with the longer history, as `window::Staggered::step` does; lane 0 always runs.
    fn start_byte(&mut self, byte: u8) -> Result<Event<'m>, GenerateError> {
        let t = self.t;
        let mut chosen = 0;
        let mut best = usize::MAX;
        for l in 0..2 {
            if let Some(start) = self.lane_start(l, t) {
                if start == t && self.cache == Cache::Staggered {
                    self.lane(l)?.reset();
                }
                if start < best {
                    best = start;
                    chosen = l;
                }
            }
        }
        self.state = State::Stepping {
            byte,
            lane: 0,
            chosen,
            pred: 0,
        };
        let job = self.lane0.start_step(byte as usize)?;
        Ok(Event::Matvec { lane: 0, job })
    }
}
