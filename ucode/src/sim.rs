//! (feature `sim`, host only) The token program on rsp-sim as an rspnn-model [`Backend`]:
//! `rspnn ... --backend rsp-sim`, the whole-model tests and the cycle benchmark use it.
//!
//! One [`SimBackend`] is one model state (one KV cache): `rspnn_model::window::Staggered`
//! runs two of them past the context, as it does scalar runners. Each step patches the STEP
//! command (token, position) and, when the decode mask changed, the ARGMAX range in the
//! simulated RDRAM, starts the RSP at the entry point on the command list, runs it to its
//! BREAK and reads the result. The statistics of every step are kept ([`SimBackend::last`]).

extern crate std;

use crate::layout::{self, status};
use crate::program::{program_bytes, ProgramError, ProgramOptions, TokenProgram};
use crate::ucode;
use crate::RdramImage;
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::rspw::ModelView;
use rspnn_model::ModelError;
use std::format;
use std::string::String;
use std::vec;

/// Cycle limit of one simulated step (a v5-size token takes about 0.2 M).
pub const STEP_CYCLE_LIMIT: u64 = 50_000_000;

/// The RDRAM of an N64 with the Expansion Pak, 8 MiB: the most a model and its token program
/// may take on the simulated RSP (the console has no more; without the pak it has 4 MiB).
pub const RDRAM_MAX: usize = 8 << 20;

/// What one step cost on the simulated RSP.
#[derive(Clone, Copy, Debug, Default)]
pub struct StepStats {
    /// The simulator's counters for the step alone.
    pub stats: rsp_sim::Stats,
    /// Overlays loaded into IMEM (`Boot.overlay_loads`).
    pub overlay_loads: u32,
    /// The position the step ran at.
    pub pos: usize,
}

/// Why a step did not finish.
#[derive(Clone, Debug, PartialEq)]
pub enum StepFailure {
    /// The simulator stopped (cycle limit, a bad DMA).
    Sim(String),
    /// The ucode stopped with an error status at a command.
    Status { status: u32, fault_cmd: u32 },
    /// Building or patching the program.
    Program(ProgramError),
}

impl core::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StepFailure::Sim(e) => write!(f, "rsp-sim: {e}"),
            StepFailure::Status { status, fault_cmd } => {
                write!(f, "the ucode stopped with status 0x{status:x} at the command at RDRAM 0x{fault_cmd:x}")
            }
            StepFailure::Program(e) => write!(f, "token program: {e}"),
        }
    }
}

/// A model state on the simulated RSP.
pub struct SimBackend {
    rsp: rsp_sim::Rsp,
    prog: TokenProgram,
    pos: usize,
    range: (usize, usize),
    last: StepStats,
    failure: Option<StepFailure>,
}

impl SimBackend {
    /// A backend for the RSPW model `file`: RDRAM holds the file at address 0 and the token
    /// program after it.
    pub fn new(file: &[u8], logits: bool) -> Result<SimBackend, ProgramError> {
        let view = ModelView::parse(file)?;
        let d = *view.dims();
        let bytes = file.len().div_ceil(16) * 16 + program_bytes(&d, logits);
        // The console's RDRAM (with the Expansion Pak): a model that could not run there is
        // refused before any simulated memory is allocated.
        if bytes > RDRAM_MAX {
            return Err(ProgramError::RdramTooSmall {
                needed: bytes,
                available: RDRAM_MAX,
                kv_cache: crate::token_cmd::kv_layer_bytes(d.d_model, d.ctx) * d.n_layers,
            });
        }
        let mut buf = vec![0u8; bytes];
        let mut img = RdramImage::new(&mut buf, 0)?;
        let weights = img.put_bytes(file)?;
        let opts = ProgramOptions { logits, argmax: (0, d.vocab as u16) };
        let prog = TokenProgram::build(file, weights, &mut img, opts)?;
        let used = img.len();
        buf.truncate(used);
        let mut rsp = rsp_sim::Rsp::with_rdram(buf);
        rsp.load_imem(0, &ucode::TEXT).map_err(|_| ProgramError::Unsupported {
            what: "TEXT bytes",
            value: ucode::TEXT.len(),
            rule: "fit IMEM",
        })?;
        rsp.load_dmem(0, &ucode::DATA).map_err(|_| ProgramError::Unsupported {
            what: "DATA bytes",
            value: ucode::DATA.len(),
            rule: "fit DMEM",
        })?;
        Ok(SimBackend { rsp, prog, pos: 0, range: (0, d.vocab), last: StepStats::default(), failure: None })
    }

    /// The program's addresses.
    pub fn program(&self) -> &TokenProgram {
        &self.prog
    }

    /// The statistics of the last step.
    pub fn last(&self) -> &StepStats {
        &self.last
    }

    /// Why the last failed step failed.
    pub fn last_failure(&self) -> Option<&StepFailure> {
        self.failure.as_ref()
    }

    /// The simulated RDRAM (the KV cache, the logits).
    pub fn rdram(&self) -> &[u8] {
        self.rsp.rdram()
    }

    /// Positions fed since the reset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The simulated RDRAM, writable: what the CPU side may change between steps (tests use it
    /// to inject faults into the command list).
    pub fn rdram_mut(&mut self) -> &mut [u8] {
        self.rsp.rdram_mut()
    }

    /// Runs one step for `token` with the argmax over `[lo, hi)`; returns the predicted index
    /// and its logit.
    pub fn run_step(&mut self, token: usize, lo: usize, hi: usize) -> Result<(u16, i16), StepFailure> {
        let r = self.try_step(token, lo, hi);
        self.failure = r.as_ref().err().cloned();
        r
    }

    fn try_step(&mut self, token: usize, lo: usize, hi: usize) -> Result<(u16, i16), StepFailure> {
        let prog = self.prog;
        prog.patch_step(self.rsp.rdram_mut(), 0, token, self.pos).map_err(StepFailure::Program)?;
        if (lo, hi) != self.range {
            prog.patch_argmax(self.rsp.rdram_mut(), 0, lo, hi).map_err(StepFailure::Program)?;
            self.range = (lo, hi);
        }
        self.rsp
            .load_dmem(layout::BOOT as u32, &prog.cmd_list.to_be_bytes())
            .map_err(|e| StepFailure::Sim(format!("{e}")))?;
        self.rsp.set_pc(ucode::ENTRY);
        let before = *self.rsp.stats();
        match self.rsp.run(STEP_CYCLE_LIMIT) {
            Ok(rsp_sim::StopReason::Break) => {}
            Ok(other) => return Err(StepFailure::Sim(format!("stopped without BREAK: {other:?}"))),
            Err(e) => return Err(StepFailure::Sim(format!("{e}"))),
        }
        let after = *self.rsp.stats();
        let word = |at: usize| self.rsp.dmem_u32(at as u32);
        let (st, fault, loads) = (word(layout::BOOT + 4), word(layout::BOOT + 8), word(layout::BOOT + 12));
        if st != status::DONE {
            return Err(StepFailure::Status { status: st, fault_cmd: fault });
        }
        self.last = StepStats { stats: diff(&after, &before), overlay_loads: loads, pos: self.pos };
        self.pos += 1;
        prog.read_result(self.rsp.rdram(), 0).map_err(StepFailure::Program)
    }

    /// The last step's logits (the backend must have been built with `logits`).
    pub fn logits(&self, out: &mut [i16]) -> Result<(), ProgramError> {
        self.prog.read_logits(self.rsp.rdram(), 0, out)
    }
}

/// `a - b`, counter by counter.
fn diff(a: &rsp_sim::Stats, b: &rsp_sim::Stats) -> rsp_sim::Stats {
    let mut d = *a;
    d.cycles -= b.cycles;
    d.halted_cycles -= b.halted_cycles;
    d.instructions -= b.instructions;
    d.groups -= b.groups;
    d.dual_issued -= b.dual_issued;
    d.stalls.vector_dependency -= b.stalls.vector_dependency;
    d.stalls.scalar_load_use -= b.stalls.scalar_load_use;
    d.stalls.load_store -= b.stalls.load_store;
    d.stalls.taken_branch -= b.stalls.taken_branch;
    d.dma_wait_cycles -= b.dma_wait_cycles;
    d.semaphore_wait_cycles -= b.semaphore_wait_cycles;
    d.dma.transfers -= b.dma.transfers;
    d.dma.bytes -= b.dma.bytes;
    d.dma.busy_cycles -= b.dma.busy_cycles;
    d
}

impl Backend for SimBackend {
    fn name(&self) -> &'static str {
        "rsp-sim"
    }

    fn reset(&mut self) {
        // The KV cache needs no clearing: a step reads only the slots written since position 0.
        self.pos = 0;
    }

    fn step(&mut self, byte: u8, mask: DecodeMask) -> Result<u8, ModelError> {
        let (lo, hi) = mask.range(self.prog.vocab);
        match self.run_step(byte as usize, lo, hi) {
            Ok((index, _)) => rspnn_model::backend::token_byte(index as usize, self.prog.vocab),
            Err(StepFailure::Program(ProgramError::Unsupported { what: "token", .. })) => {
                Err(ModelError::TokenOutOfRange { token: byte as usize, vocab: self.prog.vocab })
            }
            // The full reason (the simulator's message, the faulting command) stays in
            // last_failure(); the error names the kind of failure and the ucode's status.
            Err(StepFailure::Status { status, .. }) => Err(ModelError::Backend {
                backend: "rsp-sim",
                position: self.pos,
                what: "the ucode stopped with an error status (SimBackend::last_failure has the command)",
                code: status,
            }),
            Err(StepFailure::Sim(_)) => Err(ModelError::Backend {
                backend: "rsp-sim",
                position: self.pos,
                what: "the simulator stopped (SimBackend::last_failure says why)",
                code: 0,
            }),
            Err(StepFailure::Program(_)) => Err(ModelError::Backend {
                backend: "rsp-sim",
                position: self.pos,
                what: "the token program could not be patched (SimBackend::last_failure says why)",
                code: 0,
            }),
        }
    }
}
