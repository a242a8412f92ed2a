//! A model on the RSP through the scheduler: the ucode crate's token program (one command list
//! per forward step, `rspnn_ucode::program`) laid out in the scheduler's workspace, started one
//! step at a time without waiting.
//!
//! [`TokenRunner`] is one model state (one KV cache). Per step the CPU patches the STEP command
//! (token, position) — and the ARGMAX range when the decode mask changes — in its sealed
//! command list (checked by the scheduler once, `crate::sealed`), each patched command written
//! back, and the job names the 16-byte result for invalidation; the RSP fetches the list, the
//! weights (tile by tile), the overlays and the KV cache itself. [`RspLane`] wraps a runner as an rspnn-model `Backend`
//! (blocking from the caller's point of view, but running the caller's `between_polls` — a
//! game frame — while the RSP works), so `rspnn_model::window::Staggered` runs two of them past
//! the context exactly as it runs scalar runners.
//!
//! # Example: a reply, one game frame per poll
//!
//! The same code runs on the N64 with `rspnn::mmio::Mmio::take()` as the hardware, a
//! cache-line-aligned `static mut` as the workspace and the model read from the cartridge by PI
//! DMA (`n64-demo/src/bin/textgen.rs`); here the hardware is rsp-sim. One runner holds one
//! context (64 positions for this model); past it, two runners in `Staggered` [`RspLane`]s.
//!
//! ```
//! use rspnn::sim::SimRsp;
//! use rspnn::token::TokenRunner;
//! use rspnn::{Completion, Config, Poll, Scheduler, Ucode};
//! use rspnn_model::backend::DecodeMask;
//!
//! let leak = |v: Vec<u8>| -> &'static mut [u8] { Box::leak(v.into_boxed_slice()) };
//! let model: &'static [u8] = leak(std::fs::read("models/nibble-4l-q8.rspw").unwrap());
//! let workspace = leak(vec![0; 256 * 1024]);
//! let mut hw = SimRsp::new(2 << 20);
//! hw.map(workspace, 0x1_0000).unwrap();
//! hw.map(model, 0x10_0000).unwrap();
//!
//! let config = Config::with_deadline_micros(&hw, 500_000, Completion::Status).unwrap();
//! let mut sched = Scheduler::new(hw, workspace, config).unwrap();
//! sched.load_ucode(&Ucode::RSPNN).unwrap();
//! let (mut npc, _end) = TokenRunner::build(&mut sched, model, 0).unwrap();
//! sched.writeback_workspace().unwrap();
//!
//! let prompt = b"Q: How fast is the CPU?\nA:";
//! let (mut reply, mut frames) = (Vec::new(), 0u32);
//! let mut byte = prompt[0];
//! for step in 1.. {
//!     let job = npc.start(&mut sched, byte, DecodeMask::All).unwrap(); // returns at once
//!     while let Poll::Running { .. } = sched.poll(job).unwrap() {
//!         frames += 1; // the game's frame runs here
//!     }
//!     let (predicted, _logit) = npc.finish(&sched).unwrap();
//!     byte = match prompt.get(step) {
//!         Some(&b) => b,               // still feeding the prompt
//!         None if predicted == b'\n' => break,
//!         None => {
//!             reply.push(predicted);
//!             predicted
//!         }
//!     };
//! }
//! assert_eq!(reply, b" 93.75 MHz. Fast for 1996!");
//! assert!(frames > 1000); // ~120 polls of 2,000 RSP cycles per 4-layer token
//! ```

use crate::hw::RspHardware;
use crate::memory::{AddressError, Span, CACHE_LINE};
use crate::plan::{summarize_list, ListSummary, PlanError};
use crate::scheduler::{Done, Fault, JobHandle, Layout, Poll, PollError, Scheduler, SubmitError};
use crate::sealed::{Field, SealedList};
use core::cell::RefCell;
use core::fmt;
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::ModelError;
use rspnn_ucode::layout::CMD_BYTES;
use rspnn_ucode::program::{program_bytes, ProgramError, ProgramOptions, TokenProgram};
use rspnn_ucode::RdramImage;

/// Why a step could not be prepared, run or read.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenError {
    Program(ProgramError),
    Address(AddressError),
    Submit(SubmitError),
    Poll(PollError),
    Plan(PlanError),
    /// The workspace is the RSP's right now (a job runs).
    Busy(JobHandle),
    /// The shared scheduler is borrowed elsewhere (a lane stepped from inside a hook).
    SchedulerInUse,
    /// The runner was built on another scheduler, or its scheduler forgot its layouts
    /// ([`Scheduler::forget_layouts`]): its program is not (or no longer) in this workspace.
    NotLaidOut,
    /// `finish` without a step started since the last `finish`.
    NothingToFinish,
    /// `finish` of a step that did not complete: it failed with this fault, or it is still
    /// running (`None`: poll it to its end first), or too many jobs ran since to know.
    NotFinished(Option<Fault>),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Program(e) => write!(f, "token program: {e}"),
            TokenError::Address(e) => write!(f, "{e}"),
            TokenError::Submit(e) => write!(f, "submit: {e}"),
            TokenError::Poll(e) => write!(f, "RSP: {e}"),
            TokenError::Plan(e) => write!(f, "plan: {e}"),
            TokenError::Busy(h) => write!(f, "job {} owns the workspace", h.id()),
            TokenError::SchedulerInUse => write!(f, "the scheduler is already borrowed"),
            TokenError::NotLaidOut => {
                write!(
                    f,
                    "the token program is not laid out in this scheduler's workspace"
                )
            }
            TokenError::NothingToFinish => write!(f, "no step was started since the last finish"),
            TokenError::NotFinished(Some(fault)) => write!(f, "the step failed: {fault}"),
            TokenError::NotFinished(None) => {
                write!(
                    f,
                    "the step has not finished (poll its job to the end first)"
                )
            }
        }
    }
}

impl From<ProgramError> for TokenError {
    fn from(e: ProgramError) -> Self {
        TokenError::Program(e)
    }
}
impl From<AddressError> for TokenError {
    fn from(e: AddressError) -> Self {
        TokenError::Address(e)
    }
}
impl From<SubmitError> for TokenError {
    fn from(e: SubmitError) -> Self {
        TokenError::Submit(e)
    }
}
impl From<PollError> for TokenError {
    fn from(e: PollError) -> Self {
        TokenError::Poll(e)
    }
}

/// One model state on the RSP.
#[derive(Clone, Debug)]
pub struct TokenRunner {
    prog: TokenProgram,
    /// RDRAM address of workspace offset 0.
    base: u32,
    pos: usize,
    /// The ARGMAX range the list holds.
    argmax: (usize, usize),
    /// The range to write before the next step (the mask changed).
    argmax_wanted: (usize, usize),
    /// The list, once sealed (checked by the scheduler and protected from then on).
    sealed: Option<SealedList>,
    /// The workspace bytes the program occupies, claimed in its scheduler.
    layout: Layout,
    /// The step started and not yet finished.
    pending: Option<JobHandle>,
}

impl TokenRunner {
    /// Lays out the token program of the RSPW file `model` in the scheduler's workspace from
    /// offset `at` (a multiple of 16) on; returns the runner and the offset just past what it
    /// used. The model stays where it is (shared with the RSP, read in place); call
    /// [`Scheduler::writeback_workspace`] once all runners are built.
    pub fn build<H: RspHardware>(
        sched: &mut Scheduler<H>,
        model: &'static [u8],
        at: usize,
    ) -> Result<(TokenRunner, usize), TokenError> {
        if at % CACHE_LINE != 0 {
            return Err(AddressError::Misaligned {
                what: "token program offset",
                value: at,
                align: CACHE_LINE,
            }
            .into());
        }
        let view = rspnn_model::rspw::ModelView::parse(model).map_err(ProgramError::Model)?;
        let d = *view.dims();
        // The bytes the program will take, refused before anything is written if another
        // runner's program lies there (two programs in the same bytes overwrite each other).
        let need = program_bytes(&d, false);
        // Too big for the rest of the workspace: said with the bytes (as the program builder
        // says it), before the claim check would report only a span outside the workspace.
        let available = sched.workspace_len().saturating_sub(at);
        if need > available {
            return Err(ProgramError::RdramTooSmall {
                needed: need,
                available,
                kv_cache: rspnn_ucode::token_cmd::kv_layer_bytes(d.d_model, d.ctx) * d.n_layers,
            }
            .into());
        }
        let span = Span::new(at, need.div_ceil(CACHE_LINE) * CACHE_LINE);
        sched.check_claim("token program", span)?;
        let weights = sched.share(model)?;
        let base = sched.workspace_rdram();
        let ws = sched.workspace_mut().map_err(TokenError::Busy)?;
        let len = ws.len();
        let region = ws.get_mut(at..).ok_or(AddressError::OutsideWorkspace {
            what: "token program",
            span: Span::new(at, 0),
            workspace: len,
        })?;
        let mut img = RdramImage::new(region, base + at as u32).map_err(ProgramError::Image)?;
        let vocab = d.vocab;
        let opts = ProgramOptions {
            logits: false,
            argmax: (0, vocab as u16),
        };
        let prog = TokenProgram::build(model, weights.rdram, &mut img, opts)?;
        let end = at + img.len().div_ceil(CACHE_LINE) * CACHE_LINE;
        let layout = sched.claim("token program", Span::new(at, end - at))?;
        Ok((
            TokenRunner {
                prog,
                base,
                pos: 0,
                argmax: (0, vocab),
                argmax_wanted: (0, vocab),
                sealed: None,
                layout,
                pending: None,
            },
            end,
        ))
    }

    /// The program's addresses.
    pub fn program(&self) -> &TokenProgram {
        &self.prog
    }

    /// Tokens fed since the reset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Forgets the fed tokens (the KV cache needs no clearing: a step only reads the slots
    /// written since position 0).
    pub fn reset(&mut self) {
        self.pos = 0;
    }

    /// The workspace offset of one of the program's RDRAM addresses (inside its layout, as
    /// [`TokenRunner::check`] made sure).
    fn offset(&self, rdram: u32) -> usize {
        rdram.wrapping_sub(self.base) as usize
    }

    /// Refuses a scheduler this runner's program is not laid out in.
    fn check<H: RspHardware>(&self, sched: &Scheduler<H>) -> Result<(), TokenError> {
        if sched.holds(&self.layout) && sched.workspace_rdram() == self.base {
            Ok(())
        } else {
            Err(TokenError::NotLaidOut)
        }
    }

    /// What one step transfers: commands, overlay loads and weight tiles, from the list itself.
    pub fn plan<H: RspHardware>(&self, sched: &Scheduler<H>) -> Result<ListSummary, TokenError> {
        self.check(sched)?;
        let ws = sched.workspace().map_err(TokenError::Busy)?;
        let list = &ws[self.offset(self.prog.cmd_list)..];
        summarize_list(list).map_err(TokenError::Plan)
    }

    /// Patches the step for `token` (decoding within `mask`) and starts it. Returns at once.
    pub fn start<H: RspHardware>(
        &mut self,
        sched: &mut Scheduler<H>,
        token: u8,
        mask: DecodeMask,
    ) -> Result<JobHandle, TokenError> {
        self.check(sched)?;
        let (token, pos) = self.prog.step_fields(token as usize, self.pos)?;
        self.argmax_wanted = mask.range(self.prog.vocab);
        // The list is sealed once (checked, then protected); a scheduler that handed its
        // workspace out since has unsealed it, and it is sealed again.
        let sealed = match self.patch(sched, token, pos) {
            Err(SubmitError::NotSealed) => {
                self.seal(sched)?;
                self.patch(sched, token, pos)?
            }
            other => other?,
        };
        let from_rsp = [Span::new(self.offset(self.prog.result), CACHE_LINE)];
        let handle = sched.submit_sealed(&sealed, &from_rsp)?;
        self.argmax = self.argmax_wanted;
        self.pending = Some(handle);
        Ok(handle)
    }

    /// Seals the runner's command list now (otherwise the first step does it).
    pub fn seal<H: RspHardware>(&mut self, sched: &mut Scheduler<H>) -> Result<(), TokenError> {
        self.check(sched)?;
        self.sealed = Some(sched.seal_list(self.offset(self.prog.cmd_list))?);
        // A fresh seal may follow a CPU rewrite of the list: write the range again.
        self.argmax = (usize::MAX, usize::MAX);
        Ok(())
    }

    /// Patches STEP (and ARGMAX when the range changes) in the sealed list.
    fn patch<H: RspHardware>(
        &self,
        sched: &mut Scheduler<H>,
        token: u16,
        pos: u16,
    ) -> Result<SealedList, SubmitError> {
        let list = self.sealed.ok_or(SubmitError::NotSealed)?;
        let index = |cmd: u32| (cmd - self.prog.cmd_list) as usize / CMD_BYTES;
        let (step, argmax) = (index(self.prog.step_cmd), index(self.prog.argmax_cmd));
        sched.patch_sealed(&list, step, Field::StepToken, token)?;
        sched.patch_sealed(&list, step, Field::StepPos, pos)?;
        if self.argmax_wanted != self.argmax {
            let (lo, hi) = self.argmax_wanted;
            sched.patch_sealed(&list, argmax, Field::ArgmaxLo, lo as u16)?;
            sched.patch_sealed(&list, argmax, Field::ArgmaxHi, hi as u16)?;
        }
        Ok(list)
    }

    /// Reads the finished step's result (the predicted byte and its logit) and moves on.
    /// Refused unless the step started last completed (polled to `Done`): after a fault, a
    /// second call or no step at all the result bytes are not this step's, and the position
    /// stays where it is.
    pub fn finish<H: RspHardware>(
        &mut self,
        sched: &Scheduler<H>,
    ) -> Result<(u8, i16), TokenError> {
        self.check(sched)?;
        let handle = self.pending.ok_or(TokenError::NothingToFinish)?;
        match sched.outcome(handle) {
            Some(Ok(_)) => {}
            Some(Err(fault)) => {
                self.pending = None;
                return Err(TokenError::NotFinished(Some(fault)));
            }
            None => return Err(TokenError::NotFinished(None)),
        }
        let ws = sched.workspace().map_err(TokenError::Busy)?;
        let (index, logit) = self.prog.read_result(ws, self.base)?;
        // A vocabulary above 256 can predict a token that is no byte: an error, never cut.
        let byte = rspnn_model::backend::token_byte(index as usize, self.prog.vocab)
            .map_err(ProgramError::Model)?;
        self.pending = None;
        self.pos += 1;
        Ok((byte, logit))
    }
}

/// Counters of [`RspLane`]s (lanes may share one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LaneStats {
    pub steps: u64,
    /// Polls that found the RSP still working (each after one `between_polls` call; every step
    /// also calls it once before the poll that sees it done).
    pub busy_polls: u64,
    /// Sum of the steps' elapsed ticks (submit to the poll that saw them done).
    pub rsp_ticks: u64,
    /// Overlay loads the ucode reported (`Boot.overlay_loads`), summed.
    pub overlay_loads: u64,
    /// The CPU's own time around the steps, on the hardware's clock: patching and starting,
    /// polling (every poll, the frames between them not counted), reading the result.
    pub start_ticks: u64,
    pub poll_ticks: u64,
    pub finish_ticks: u64,
    /// Why the last failed step failed (the Backend trait can only say "kernel error").
    pub failure: Option<TokenError>,
}

/// What one step cost.
struct StepCost {
    next: u8,
    done: Done,
    busy_polls: u64,
    start_ticks: u32,
    poll_ticks: u32,
    finish_ticks: u32,
}

/// A [`TokenRunner`] as an rspnn-model `Backend`: `step` starts the RSP, then runs
/// `between_polls` (a game frame) and polls, again and again until the RSP is done, and returns
/// the predicted byte. Two lanes share one scheduler (and one hook) through `RefCell`s: only
/// one runs at a time.
pub struct RspLane<'s, H: RspHardware, F: FnMut()> {
    sched: &'s RefCell<Scheduler<H>>,
    between_polls: &'s RefCell<F>,
    stats: &'s RefCell<LaneStats>,
    runner: TokenRunner,
}

impl<'s, H: RspHardware, F: FnMut()> RspLane<'s, H, F> {
    /// A lane running `runner` on `sched`, calling `between_polls` while the RSP works and
    /// counting into `stats` (which other lanes may share).
    pub fn new(
        sched: &'s RefCell<Scheduler<H>>,
        between_polls: &'s RefCell<F>,
        stats: &'s RefCell<LaneStats>,
        runner: TokenRunner,
    ) -> Self {
        RspLane {
            sched,
            between_polls,
            stats,
            runner,
        }
    }

    pub fn runner(&self) -> &TokenRunner {
        &self.runner
    }

    fn run_step(&mut self, byte: u8, mask: DecodeMask) -> Result<StepCost, TokenError> {
        let mut sched = self
            .sched
            .try_borrow_mut()
            .map_err(|_| TokenError::SchedulerInUse)?;
        let mut hook = self
            .between_polls
            .try_borrow_mut()
            .map_err(|_| TokenError::SchedulerInUse)?;
        let t0 = sched.hardware().now_ticks();
        let handle = self.runner.start(&mut sched, byte, mask)?;
        let start_ticks = sched.hardware().now_ticks().wrapping_sub(t0);
        // A game polls once per frame: a frame first, then a look at the RSP.
        let (mut busy_polls, mut poll_ticks) = (0, 0u32);
        let done = loop {
            (*hook)();
            let t = sched.hardware().now_ticks();
            let polled = sched.poll(handle)?;
            poll_ticks = poll_ticks.wrapping_add(sched.hardware().now_ticks().wrapping_sub(t));
            match polled {
                Poll::Done(done) => break done,
                Poll::Running { .. } => busy_polls += 1,
            }
        };
        let t = sched.hardware().now_ticks();
        let (next, _) = self.runner.finish(&sched)?;
        let finish_ticks = sched.hardware().now_ticks().wrapping_sub(t);
        Ok(StepCost {
            next,
            done,
            busy_polls,
            start_ticks,
            poll_ticks,
            finish_ticks,
        })
    }
}

impl<H: RspHardware, F: FnMut()> Backend for RspLane<'_, H, F> {
    fn name(&self) -> &'static str {
        "rsp"
    }

    fn reset(&mut self) {
        self.runner.reset();
    }

    fn step(&mut self, byte: u8, mask: DecodeMask) -> Result<u8, ModelError> {
        if byte as usize >= self.runner.prog.vocab {
            return Err(ModelError::TokenOutOfRange {
                token: byte as usize,
                vocab: self.runner.prog.vocab,
            });
        }
        let result = self.run_step(byte, mask);
        let mut stats = self.stats.borrow_mut();
        match result {
            Ok(c) => {
                stats.steps += 1;
                stats.busy_polls += c.busy_polls;
                stats.rsp_ticks += c.done.elapsed_ticks as u64;
                stats.overlay_loads += c.done.boot_extra as u64;
                stats.start_ticks += c.start_ticks as u64;
                stats.poll_ticks += c.poll_ticks as u64;
                stats.finish_ticks += c.finish_ticks as u64;
                Ok(c.next)
            }
            Err(e) => {
                let (what, code) = match &e {
                    TokenError::Poll(PollError::Fault(Fault::Refused { status, .. })) => {
                        ("the ucode refused a command", *status)
                    }
                    TokenError::Poll(PollError::Fault(Fault::Timeout { .. })) => {
                        ("the RSP hung and was halted", 0)
                    }
                    TokenError::Poll(PollError::Fault(_)) => ("the RSP crashed", 0),
                    _ => ("the step could not be started (LaneStats::failure)", 0),
                };
                stats.failure = Some(e);
                Err(ModelError::Backend {
                    backend: "rsp",
                    position: self.runner.pos,
                    what,
                    code,
                })
            }
        }
    }
}
