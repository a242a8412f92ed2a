//! The scheduler: loads the ucode, starts a job on the RSP and reports, without ever waiting,
//! whether it finished, failed or hung.
//!
//! One job runs at a time (the RSP has one program counter); a second `submit` while one runs is
//! refused with [`SubmitError::Busy`], so the caller decides what to queue. The life of a job:
//!
//! 1. [`Scheduler::submit`]: checks the job's addresses and where its command list makes the
//!    RSP write (below), writes back the workspace spans the CPU
//!    wrote ([`Job::to_rsp`]), writes back and drops from the cache the spans the RSP will
//!    write ([`Job::from_rsp`], so no dirty line can land on the RSP's results later), writes the
//!    ucode's boot block (command list address, status RUNNING), sets SP_PC and starts the RSP
//!    with interrupt-on-break. It returns a [`JobHandle`] at once.
//! 2. [`Scheduler::poll`]: one look at the hardware. `Running` while the RSP runs (or its last
//!    DMA is still moving data); on completion it drops [`Job::from_rsp`] from the cache (so
//!    the CPU reads what the RSP wrote) and reports the boot block's status; past the deadline
//!    it halts the RSP and reports [`Fault::Timeout`] with the PC it was at.
//!
//! While a job runs the workspace is the RSP's: [`Scheduler::workspace_mut`] refuses. The
//! workspace is `&'static mut`, owned by the scheduler, so no other code can touch it at all,
//! and forgetting a [`JobHandle`] cannot hand the memory back early.
//!
//! # What the RSP may write
//! The RSP is a DMA master: it writes whatever RDRAM its program tells it to. The scheduler
//! trusts the *code* it loads (the ucode: [`Scheduler::load_ucode`], and the overlays that code
//! loads) and checks the *data* that steers it: before starting a job it walks the command list
//! to its END ([`crate::plan::check_writes`]) and refuses a list whose commands would make the
//! rspnn dispatcher write RDRAM outside the workspace, over the list itself or over a sealed
//! list ([`crate::sealed`]: lists checked once and then only patched in fields that cannot
//! move a write). The list is written back and dropped from the data cache first, so the bytes
//! checked are the bytes the RSP fetches. Which bytes run as overlay code is data too (the
//! OVERLAYS command's address): the list must name one block inside the workspace holding the
//! ucode's own overlay images, compared byte for byte after the same writeback, which the list
//! does not overwrite and which is protected like the list once sealed. A ucode other than
//! rspnn's is outside that check: it is code.

use crate::hw::RspHardware;
use crate::memory::{
    check_aligned, check_inside, check_result_span, AddressError, Shared, Span, SpanList,
    CACHE_LINE, DMA_ALIGN,
};
use crate::plan::{check_writes, ListError};
use crate::regs::{self, status};
use crate::sealed::SealedTable;
use core::fmt;
use rspnn_ucode::command::op;
use rspnn_ucode::layout::{self, status as ucode_status, BOOT};

/// A program for the RSP: IMEM and DMEM images and where to start.
#[derive(Clone, Copy, Debug)]
pub struct Ucode<'a> {
    /// Loaded at IMEM 0.
    pub text: &'a [u8],
    /// Loaded at DMEM 0 (the dispatcher's boot block and constants).
    pub data: &'a [u8],
    /// SP_PC at the start of every job.
    pub entry: u32,
}

impl Ucode<'static> {
    /// rspnn's resident dispatcher (`rspnn_ucode::ucode`).
    pub const RSPNN: Ucode<'static> = Ucode {
        text: &rspnn_ucode::ucode::TEXT,
        data: &rspnn_ucode::ucode::DATA,
        entry: rspnn_ucode::ucode::ENTRY,
    };
}

/// How the scheduler learns that a job finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Read SP_STATUS: halted, with no DMA in flight.
    Status,
    /// Wait for the SP interrupt line (MI_INTR), raised by BREAK with interrupt-on-break, then
    /// confirm with SP_STATUS. A game with an interrupt handler sees the same line.
    Interrupt,
}

/// Scheduler settings. Valid by construction: the deadline is 1 to `u32::MAX` ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// A job still running this many ticks after it started is declared hung.
    deadline_ticks: u32,
    completion: Completion,
}

/// Why a [`Config`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// A deadline of zero would declare every job hung at its first poll.
    ZeroDeadline,
    /// The deadline does not fit the 32-bit tick count the scheduler measures with (CP0 Count
    /// wraps at 2^32 ticks, 91.6 s at 46.875 MHz); a longer one used to be cut to the maximum.
    DeadlineTooLong { micros: u32, max_micros: u32 },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ConfigError::ZeroDeadline => write!(f, "a deadline of 0 would time every job out"),
            ConfigError::DeadlineTooLong { micros, max_micros } => write!(
                f,
                "a deadline of {micros} us is longer than the {max_micros} us the 32-bit tick counter measures"
            ),
        }
    }
}

impl Config {
    /// A deadline of `ticks` of the hardware's clock ([`RspHardware::now_ticks`]), at least 1.
    pub fn with_deadline_ticks(ticks: u32, completion: Completion) -> Result<Config, ConfigError> {
        if ticks == 0 {
            return Err(ConfigError::ZeroDeadline);
        }
        Ok(Config {
            deadline_ticks: ticks,
            completion,
        })
    }

    /// A deadline of `micros` microseconds on `hw`'s clock (rounded up to whole ticks), 1 us
    /// at least and at most what 2^32 - 1 ticks last.
    pub fn with_deadline_micros<H: RspHardware>(
        hw: &H,
        micros: u32,
        completion: Completion,
    ) -> Result<Config, ConfigError> {
        if micros == 0 {
            return Err(ConfigError::ZeroDeadline);
        }
        let per_second = hw.ticks_per_second().max(1) as u64;
        let ticks = (per_second * micros as u64).div_ceil(1_000_000);
        let ticks = u32::try_from(ticks).map_err(|_| ConfigError::DeadlineTooLong {
            micros,
            max_micros: (u32::MAX as u64 * 1_000_000 / per_second).min(u32::MAX as u64) as u32,
        })?;
        Config::with_deadline_ticks(ticks, completion)
    }

    /// The deadline in ticks.
    pub fn deadline_ticks(&self) -> u32 {
        self.deadline_ticks
    }

    /// How the scheduler learns that a job finished.
    pub fn completion(&self) -> Completion {
        self.completion
    }

    /// The same deadline with another completion signal.
    pub fn with_completion(self, completion: Completion) -> Config {
        Config { completion, ..self }
    }
}

/// What a job asks of the RSP. Offsets are into the scheduler's workspace.
#[derive(Clone, Copy, Debug)]
pub struct Job<'j> {
    /// Offset of the command list (a multiple of 8: the dispatcher fetches it by DMA).
    pub cmd_list: usize,
    /// Spans the CPU wrote since the RSP last ran (command list patches, inputs): written back.
    pub to_rsp: &'j [Span],
    /// Spans the RSP writes that the CPU will read (whole cache lines).
    pub from_rsp: &'j [Span],
}

/// Names a submitted job of one scheduler: a handle polled on another scheduler is refused
/// ([`PollError::NotRunning`]), and ids never repeat (64 bits: 2^64 jobs would take longer than
/// the N64 will exist).
#[must_use = "poll the handle to learn when the job is done"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobHandle {
    id: u64,
    scheduler: SchedulerId,
}

impl JobHandle {
    /// The job's sequence number (1, 2, ...) in its scheduler.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The scheduler that started it.
    pub fn scheduler(&self) -> SchedulerId {
        self.scheduler
    }
}

/// Tells schedulers apart: the address of the workspace a scheduler owns. Two schedulers
/// alive at once cannot own the same `&'static mut` workspace, so no two share an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedulerId(usize);

/// A finished job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    /// Ticks from the start to the poll that saw it finished (an upper bound of its run time).
    pub elapsed_ticks: u32,
    /// SP_PC after the BREAK.
    pub pc: u32,
    /// The boot block's last word (the token ucode counts overlay loads there).
    pub boot_extra: u32,
}

/// One look at a running job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    Running { elapsed_ticks: u32 },
    Done(Done),
}

/// A job that went wrong; the RSP is halted and the scheduler idle again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Still running at the deadline: the scheduler halted it.
    Timeout {
        pc: u32,
        sp_status: u32,
        elapsed_ticks: u32,
    },
    /// Halted without BREAK (something else halted it, or the simulator stopped it).
    HaltedWithoutBreak { pc: u32, sp_status: u32 },
    /// The dispatcher refused a command: its status code and the command's RDRAM address.
    Refused {
        status: u32,
        fault_cmd: u32,
        pc: u32,
    },
    /// BREAK without the dispatcher writing a status: the ucode crashed or is not ours.
    NoStatus { pc: u32, status: u32 },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Fault::Timeout { pc, sp_status, elapsed_ticks } => write!(
                f,
                "the RSP was still running after {elapsed_ticks} ticks (SP_PC {pc:#05x}, SP_STATUS {sp_status:#x}); halted it"
            ),
            Fault::HaltedWithoutBreak { pc, sp_status } => {
                write!(f, "the RSP halted without BREAK at SP_PC {pc:#05x} (SP_STATUS {sp_status:#x})")
            }
            Fault::Refused { status, fault_cmd, pc } => write!(
                f,
                "the ucode refused the command at RDRAM {fault_cmd:#x} with status {status:#x} (SP_PC {pc:#05x})"
            ),
            Fault::NoStatus { pc, status } => {
                write!(f, "the RSP broke at SP_PC {pc:#05x} with boot status {status:#x} (not a finished command list)")
            }
        }
    }
}

/// Why a submit was refused (nothing was started).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// A job is running; poll it to completion first.
    Busy {
        running: JobHandle,
    },
    /// The RSP is running something the scheduler did not start.
    RspNotHalted {
        sp_status: u32,
    },
    /// [`Scheduler::load_ucode`] was never called.
    NoUcode,
    /// The sealed list was unsealed (the CPU took the workspace), or belongs to no slot.
    NotSealed,
    /// Every sealing slot is taken.
    TooManySealed,
    /// The sealed list was sealed by another scheduler.
    NotYours,
    /// A patch of a field at a command that is not the field's (or past the list).
    NotPatchable {
        command: usize,
        field: crate::sealed::Field,
    },
    Address(AddressError),
    /// The command list would write where the RSP may not, or has no END.
    List(ListError),
}

/// Why a poll could not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollError {
    /// The handle is not the running job (it finished already, or belongs to no job).
    NotRunning {
        handle: JobHandle,
    },
    Fault(Fault),
}

/// Why loading into IMEM/DMEM was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    Busy {
        running: JobHandle,
    },
    RspNotHalted {
        sp_status: u32,
    },
    /// Address or length not a multiple of 4 (the CPU reaches SP memory in words), or past 4 KiB.
    Range {
        what: &'static str,
        addr: usize,
        len: usize,
    },
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SubmitError::Busy { running } => write!(f, "job {} is still running", running.id),
            SubmitError::NotYours => write!(f, "the sealed list belongs to another scheduler"),
            SubmitError::RspNotHalted { sp_status } => {
                write!(
                    f,
                    "the RSP is running something else (SP_STATUS {sp_status:#x})"
                )
            }
            SubmitError::NoUcode => write!(f, "no ucode loaded"),
            SubmitError::NotSealed => write!(f, "the command list is no longer sealed"),
            SubmitError::TooManySealed => write!(f, "every sealing slot is taken"),
            SubmitError::NotPatchable { command, field } => {
                write!(
                    f,
                    "command {command} has no {} field to patch",
                    field.name()
                )
            }
            SubmitError::Address(e) => write!(f, "{e}"),
            SubmitError::List(e) => write!(f, "command list: {e}"),
        }
    }
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PollError::NotRunning { handle } => write!(f, "job {} is not running", handle.id),
            PollError::Fault(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LoadError::Busy { running } => write!(f, "job {} is still running", running.id),
            LoadError::RspNotHalted { sp_status } => {
                write!(f, "the RSP is running (SP_STATUS {sp_status:#x}); SP memory can only be loaded while it is halted")
            }
            LoadError::Range { what, addr, len } => write!(
                f,
                "{what}: {len} bytes at {addr:#x} must be whole words inside the 4 KiB memory"
            ),
        }
    }
}

impl From<AddressError> for SubmitError {
    fn from(e: AddressError) -> Self {
        SubmitError::Address(e)
    }
}

/// Jobs whose outcome [`Scheduler::outcome`] remembers.
pub const OUTCOMES: usize = 4;

/// Regions of the workspace laid out at once ([`Scheduler::claim`]).
pub const MAX_LAYOUTS: usize = 8;

/// The claimed regions, and a generation that [`Scheduler::forget_layouts`] bumps.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LayoutTable {
    spans: [Option<Span>; MAX_LAYOUTS],
    generation: u32,
}

/// A region of the workspace that one user laid out (a token program): no other claim may
/// overlap it until [`Scheduler::forget_layouts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    slot: usize,
    generation: u32,
    span: Span,
    scheduler: SchedulerId,
}

impl Layout {
    /// The claimed bytes of the workspace.
    pub fn span(&self) -> Span {
        self.span
    }
}

/// Where a running job is.
#[derive(Clone, Copy, Debug)]
enum State {
    Idle,
    Running {
        handle: JobHandle,
        from_rsp: SpanList,
    },
    /// Halted after a fault; waiting for its last DMA to finish before giving memory back.
    Stopping {
        handle: JobHandle,
        from_rsp: SpanList,
        fault: Fault,
    },
}

/// A job's elapsed ticks, summed poll by poll: the tick counter wraps at 2^32 (CP0 Count every
/// 91.6 s), so each poll adds the wrapping difference since the last one. Exact while polls
/// come less than 2^32 ticks apart, whatever the deadline.
#[derive(Clone, Copy, Debug)]
struct JobClock {
    last: u32,
    elapsed: u64,
}

impl JobClock {
    fn tick(&mut self, now: u32) -> u64 {
        self.elapsed += now.wrapping_sub(self.last) as u64;
        self.last = now;
        self.elapsed
    }
}

/// A tick count as reported: saturated at `u32::MAX`.
fn reported(elapsed: u64) -> u32 {
    elapsed.min(u32::MAX as u64) as u32
}

/// Counters since the scheduler was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub submitted: u32,
    pub completed: u32,
    pub faults: u32,
    pub polls: u32,
}

/// The VR4300-side scheduler of RSP jobs.
pub struct Scheduler<H: RspHardware> {
    pub(crate) hw: H,
    pub(crate) workspace: &'static mut [u8],
    workspace_rdram: u32,
    config: Config,
    state: State,
    /// The running job's elapsed time (meaningful while `state` is not `Idle`).
    clock: JobClock,
    entry: Option<u32>,
    id: SchedulerId,
    next_id: u64,
    /// How the last [`OUTCOMES`] jobs ended (for [`Scheduler::outcome`]), by id modulo.
    outcomes: [Option<(JobHandle, Result<Done, Fault>)>; OUTCOMES],
    counters: Counters,
    pub(crate) sealed: SealedTable,
    pub(crate) layouts: LayoutTable,
}

impl<H: RspHardware> Scheduler<H> {
    /// A scheduler over `hw` owning `workspace`: memory both processors use (command lists,
    /// results, caches of model state). It must be reachable by the RSP and start and end on
    /// cache lines; its cached lines are written back and dropped here.
    pub fn new(
        mut hw: H,
        workspace: &'static mut [u8],
        config: Config,
    ) -> Result<Self, AddressError> {
        let workspace_rdram = hw
            .rdram_address(workspace)
            .ok_or(AddressError::Unreachable {
                what: "the workspace",
                len: workspace.len(),
            })?;
        check_aligned(
            "workspace RDRAM address",
            workspace_rdram as usize,
            CACHE_LINE,
        )?;
        check_aligned("workspace length", workspace.len(), CACHE_LINE)?;
        hw.writeback_invalidate(workspace);
        let id = SchedulerId(workspace.as_ptr() as usize);
        Ok(Scheduler {
            hw,
            workspace,
            workspace_rdram,
            config,
            state: State::Idle,
            clock: JobClock {
                last: 0,
                elapsed: 0,
            },
            entry: None,
            id,
            next_id: 1,
            outcomes: [None; OUTCOMES],
            counters: Counters::default(),
            sealed: SealedTable::default(),
            layouts: LayoutTable::default(),
        })
    }

    /// Takes the scheduler apart, handing back the hardware and the workspace (to build a new
    /// scheduler, or give the memory to something else). Refused while a job runs: the RSP
    /// owns the workspace until the job is polled to its end.
    // On refusal the scheduler itself comes back, whole: no_std has no box to put it in.
    #[allow(clippy::result_large_err)]
    pub fn into_parts(self) -> Result<(H, &'static mut [u8]), Self> {
        if self.running().is_some() {
            return Err(self);
        }
        Ok((self.hw, self.workspace))
    }

    /// This scheduler's identity (the one its job handles carry).
    pub fn id(&self) -> SchedulerId {
        self.id
    }

    /// Checks that `span` could be claimed now: inside the workspace, overlapping no claim,
    /// and a slot free.
    pub fn check_claim(&self, what: &'static str, span: Span) -> Result<(), AddressError> {
        check_inside(what, span, self.workspace.len())?;
        let overlaps = |s: &Span| span.offset < s.end() && s.offset < span.end();
        if let Some(by) = self.layouts.spans.iter().flatten().find(|s| overlaps(s)) {
            return Err(AddressError::Claimed {
                what,
                span,
                by: *by,
            });
        }
        if !self.layouts.spans.iter().any(Option::is_none) {
            return Err(AddressError::TooManyLayouts {
                what,
                max: MAX_LAYOUTS,
            });
        }
        Ok(())
    }

    /// Claims `span` of the workspace for one layout (a token program): refused when it
    /// overlaps another claim, so two programs cannot be laid out over each other.
    pub fn claim(&mut self, what: &'static str, span: Span) -> Result<Layout, AddressError> {
        self.check_claim(what, span)?;
        let slot = self.layouts.spans.iter().position(Option::is_none).ok_or(
            AddressError::TooManyLayouts {
                what,
                max: MAX_LAYOUTS,
            },
        )?;
        self.layouts.spans[slot] = Some(span);
        Ok(Layout {
            slot,
            generation: self.layouts.generation,
            span,
            scheduler: self.id,
        })
    }

    /// True while `layout` is a current claim of this scheduler.
    pub fn holds(&self, layout: &Layout) -> bool {
        layout.scheduler == self.id
            && layout.generation == self.layouts.generation
            && self.layouts.spans.get(layout.slot) == Some(&Some(layout.span))
    }

    /// Drops every claim (to lay the workspace out anew); layouts claimed before are no
    /// longer held, so what was built on them is refused from now on.
    pub fn forget_layouts(&mut self) -> Result<(), JobHandle> {
        if let Some(handle) = self.running() {
            return Err(handle);
        }
        self.layouts = LayoutTable {
            spans: [None; MAX_LAYOUTS],
            generation: self.layouts.generation.wrapping_add(1),
        };
        Ok(())
    }

    /// How the job `handle` ended, if it is one of the last [`OUTCOMES`] jobs and has ended:
    /// `Ok` with its [`Done`] or `Err` with its [`Fault`]. `None` for a running job, an older
    /// one, or a handle of another scheduler.
    pub fn outcome(&self, handle: JobHandle) -> Option<Result<Done, Fault>> {
        match self.outcomes[handle.id as usize % OUTCOMES] {
            Some((h, outcome)) if h == handle => Some(outcome),
            _ => None,
        }
    }

    fn record(&mut self, handle: JobHandle, outcome: Result<Done, Fault>) {
        self.outcomes[handle.id as usize % OUTCOMES] = Some((handle, outcome));
    }

    /// The hardware (for the simulator's controls in tests, or a frame's other RSP users).
    pub fn hardware(&mut self) -> &mut H {
        &mut self.hw
    }

    pub fn config(&self) -> Config {
        self.config
    }

    /// Changes the deadline or the completion signal between jobs.
    pub fn set_config(&mut self, config: Config) -> Result<(), JobHandle> {
        match self.running() {
            Some(handle) => Err(handle),
            None => {
                self.config = config;
                Ok(())
            }
        }
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The RDRAM address of workspace offset 0.
    pub fn workspace_rdram(&self) -> u32 {
        self.workspace_rdram
    }

    /// The workspace's length in bytes (also while a job runs).
    pub fn workspace_len(&self) -> usize {
        self.workspace.len()
    }

    /// The running job, if any.
    pub fn running(&self) -> Option<JobHandle> {
        match self.state {
            State::Idle => None,
            State::Running { handle, .. } | State::Stopping { handle, .. } => Some(handle),
        }
    }

    /// The workspace for the CPU to read, unless a job owns it.
    pub fn workspace(&self) -> Result<&[u8], JobHandle> {
        match self.running() {
            None => Ok(self.workspace),
            Some(handle) => Err(handle),
        }
    }

    /// The workspace for the CPU to write, unless a job owns it. What the CPU writes reaches
    /// the RSP when a job names it in [`Job::to_rsp`] (or after [`Scheduler::writeback_workspace`]).
    ///
    /// Handing out the workspace unseals every sealed command list ([`Scheduler::seal_list`]):
    /// the CPU may change anything in it now.
    pub fn workspace_mut(&mut self) -> Result<&mut [u8], JobHandle> {
        match self.running() {
            None => {
                self.unseal_all();
                Ok(self.workspace)
            }
            Some(handle) => Err(handle),
        }
    }

    /// Writes the whole workspace back and drops it from the cache (after laying out a program
    /// in it, for instance).
    pub fn writeback_workspace(&mut self) -> Result<(), JobHandle> {
        if let Some(handle) = self.running() {
            return Err(handle);
        }
        self.hw.writeback_invalidate(self.workspace);
        Ok(())
    }

    /// Makes `bytes` readable by the RSP: checks its address and writes it back once.
    pub fn share(&mut self, bytes: &'static [u8]) -> Result<Shared, AddressError> {
        let rdram = self
            .hw
            .rdram_address(bytes)
            .ok_or(AddressError::Unreachable {
                what: "shared data",
                len: bytes.len(),
            })?;
        check_aligned("shared data RDRAM address", rdram as usize, DMA_ALIGN)?;
        self.hw.writeback(bytes);
        Ok(Shared {
            rdram,
            len: bytes.len(),
        })
    }

    fn check_loadable(&mut self) -> Result<(), LoadError> {
        if let Some(running) = self.running() {
            return Err(LoadError::Busy { running });
        }
        let sp_status = self.hw.sp_status();
        if sp_status & status::HALT == 0 {
            return Err(LoadError::RspNotHalted { sp_status });
        }
        Ok(())
    }

    fn check_sp_range(what: &'static str, addr: usize, len: usize) -> Result<(), LoadError> {
        let fits = addr
            .checked_add(len)
            .is_some_and(|end| end <= regs::SP_MEM_BYTES);
        if addr % 4 != 0 || len % 4 != 0 || !fits {
            return Err(LoadError::Range { what, addr, len });
        }
        Ok(())
    }

    /// Loads a program: its text at IMEM 0, its data at DMEM 0. Later jobs start at its entry.
    pub fn load_ucode(&mut self, ucode: &Ucode<'_>) -> Result<(), LoadError> {
        self.check_loadable()?;
        Self::check_sp_range("ucode text", 0, ucode.text.len())?;
        Self::check_sp_range("ucode data", 0, ucode.data.len())?;
        Self::check_sp_range("ucode entry", ucode.entry as usize, 4)?;
        self.hw.write_imem(0, ucode.text);
        self.hw.write_dmem(0, ucode.data);
        self.entry = Some(ucode.entry);
        Ok(())
    }

    /// Loads `bytes` into IMEM at `addr` (an overlay the CPU places itself).
    pub fn load_imem(&mut self, addr: usize, bytes: &[u8]) -> Result<(), LoadError> {
        self.check_loadable()?;
        Self::check_sp_range("IMEM load", addr, bytes.len())?;
        self.hw.write_imem(addr, bytes);
        Ok(())
    }

    /// Loads `bytes` into DMEM at `addr`.
    pub fn load_dmem(&mut self, addr: usize, bytes: &[u8]) -> Result<(), LoadError> {
        self.check_loadable()?;
        Self::check_sp_range("DMEM load", addr, bytes.len())?;
        self.hw.write_dmem(addr, bytes);
        Ok(())
    }

    /// Reads DMEM while no job runs (for inspecting what a job left there).
    pub fn read_dmem(&mut self, addr: usize, out: &mut [u8]) -> Result<(), LoadError> {
        self.check_loadable()?;
        Self::check_sp_range("DMEM read", addr, out.len())?;
        self.hw.read_dmem(addr, out);
        Ok(())
    }

    /// Starts `job` and returns at once. The command list is written back and checked first
    /// (module docs, "What the RSP may write"); a list sealed with
    /// [`Scheduler::seal_list`] skips that walk through [`Scheduler::submit_sealed`].
    pub fn submit(&mut self, job: &Job<'_>) -> Result<JobHandle, SubmitError> {
        let (entry, from_rsp) = self.check_job(job)?;
        let span = self.flush_list(job.cmd_list)?;
        let protected = self.sealed_ranges();
        self.check_flushed_list(span, protected.as_slice())?;
        Ok(self.start(entry, job, from_rsp))
    }

    /// The checks every job passes before anything is touched; returns the entry point and
    /// the RSP-written spans.
    pub(crate) fn check_job(&mut self, job: &Job<'_>) -> Result<(u32, SpanList), SubmitError> {
        if let Some(running) = self.running() {
            return Err(SubmitError::Busy { running });
        }
        let entry = self.entry.ok_or(SubmitError::NoUcode)?;
        let len = self.workspace.len();
        check_inside(
            "command list",
            Span::new(job.cmd_list, layout::CMDBUF_BYTES),
            len,
        )?;
        check_aligned("command list offset", job.cmd_list, DMA_ALIGN)?;
        for &span in job.to_rsp {
            check_inside("CPU-written span", span, len)?;
        }
        for &span in job.from_rsp {
            check_result_span(span, len)?;
        }
        let from_rsp = SpanList::from_slice("RSP-written", job.from_rsp)?;
        let sp_status = self.hw.sp_status();
        if sp_status & status::HALT == 0 {
            return Err(SubmitError::RspNotHalted { sp_status });
        }
        Ok((entry, from_rsp))
    }

    /// Finds the command list at `offset` in the CPU's view (to the 64-byte fetch holding END)
    /// and writes it back and drops it from the cache, so that the bytes checked next are read
    /// from RDRAM: what the RSP will fetch, even where a clean cache line was stale.
    pub(crate) fn flush_list(&mut self, offset: usize) -> Result<Span, SubmitError> {
        let len = self.workspace.len();
        let list = self.workspace.get(offset..).unwrap_or(&[]);
        let no_end = SubmitError::List(ListError::NoEnd {
            commands: list.len() / layout::CMD_BYTES,
        });
        let commands = list
            .chunks_exact(layout::CMD_BYTES)
            .position(|c| c[0] == op::END)
            .ok_or(no_end)?
            + 1;
        let fetched =
            (commands * layout::CMD_BYTES).div_ceil(layout::CMDBUF_BYTES) * layout::CMDBUF_BYTES;
        let span = Span::new(offset, fetched);
        check_inside("command list", span, len).map_err(|_| no_end)?;
        self.hw
            .writeback_invalidate(&mut self.workspace[span.offset..span.end()]);
        Ok(span)
    }

    /// Checks what the flushed list `span` would make the RSP write: inside the workspace,
    /// never over itself or a `protected` RDRAM range; and that its OVERLAYS command, if any,
    /// points at the ucode's overlay images (written back and dropped from the cache first, so
    /// the bytes compared are the ones the RSP loads). Returns that overlay block's RDRAM range.
    pub(crate) fn check_flushed_list(
        &mut self,
        span: Span,
        protected: &[(u32, u32)],
    ) -> Result<Option<(u32, u32)>, SubmitError> {
        let rdram = self.workspace_rdram;
        let allowed = (rdram, rdram + self.workspace.len() as u32);
        let mut block = None;
        for command in self.workspace[span.offset..span.end()].chunks_exact(layout::CMD_BYTES) {
            if let Some(at) = crate::plan::overlays_rdram(command) {
                block = Some(at);
            }
            if command[0] == op::END {
                break;
            }
        }
        if let Some(at) = block {
            let (start, end) = crate::plan::overlay_block_range(at);
            if start >= allowed.0 as u64 && end <= allowed.1 as u64 {
                let offset = (start - allowed.0 as u64) as usize;
                let len = (end - start) as usize;
                self.hw
                    .writeback_invalidate(&mut self.workspace[offset..offset + len]);
            }
        }
        let list = &self.workspace[span.offset..span.end()];
        check_writes(
            list,
            rdram + span.offset as u32,
            allowed,
            &self.workspace[..],
            protected,
        )
        .map_err(SubmitError::List)?;
        Ok(block.map(|at| {
            let (start, end) = crate::plan::overlay_block_range(at);
            (start as u32, end as u32)
        }))
    }

    /// Writes the job's spans back or out of the cache, the boot block, SP_PC, and starts the
    /// RSP. Everything was checked.
    pub(crate) fn start(&mut self, entry: u32, job: &Job<'_>, from_rsp: SpanList) -> JobHandle {
        for &span in job.to_rsp {
            self.hw.writeback(&self.workspace[span.offset..span.end()]);
        }
        for span in from_rsp.as_slice() {
            self.hw
                .writeback_invalidate(&mut self.workspace[span.offset..span.end()]);
        }
        // The boot block (rspnn-ucode `layout::Boot`): the list's address, and status RUNNING,
        // so a BREAK that did not come from the dispatcher's END is told apart.
        let cmd_list = self.workspace_rdram + job.cmd_list as u32;
        let mut boot = [0u8; 16];
        boot[..4].copy_from_slice(&cmd_list.to_be_bytes());
        boot[4..8].copy_from_slice(&ucode_status::RUNNING.to_be_bytes());
        self.hw.write_dmem(BOOT, &boot);
        self.hw.set_sp_pc(entry);
        let started = self.hw.now_ticks();
        self.hw.write_sp_status(regs::START);

        let handle = JobHandle {
            id: self.next_id,
            scheduler: self.id,
        };
        self.next_id += 1;
        self.counters.submitted += 1;
        self.clock = JobClock {
            last: started,
            elapsed: 0,
        };
        self.state = State::Running { handle, from_rsp };
        handle
    }

    /// One look at the job: running, done, or failed. Never waits.
    pub fn poll(&mut self, handle: JobHandle) -> Result<Poll, PollError> {
        self.counters.polls += 1;
        match self.state {
            State::Running {
                handle: running,
                from_rsp,
            } if running == handle => self.poll_running(handle, from_rsp),
            State::Stopping {
                handle: running,
                from_rsp,
                fault,
            } if running == handle => self.poll_stopping(handle, from_rsp, fault),
            _ => Err(PollError::NotRunning { handle }),
        }
    }

    /// Polls until the job is done, calling `between_polls` each time it is still running (the
    /// game's frame, or nothing).
    pub fn wait(
        &mut self,
        handle: JobHandle,
        mut between_polls: impl FnMut(),
    ) -> Result<Done, PollError> {
        loop {
            match self.poll(handle)? {
                Poll::Done(done) => return Ok(done),
                Poll::Running { .. } => between_polls(),
            }
        }
    }

    fn poll_running(&mut self, handle: JobHandle, from_rsp: SpanList) -> Result<Poll, PollError> {
        let elapsed = self.clock.tick(self.hw.now_ticks());
        let elapsed_ticks = reported(elapsed);
        let signalled = match self.config.completion {
            Completion::Status => true,
            Completion::Interrupt => self.hw.sp_interrupt(),
        };
        let sp_status = if signalled { self.hw.sp_status() } else { 0 };
        let busy_dma = sp_status & (status::DMA_BUSY | status::DMA_FULL) != 0;
        if !signalled || sp_status & status::HALT == 0 || busy_dma {
            if elapsed <= self.config.deadline_ticks as u64 {
                return Ok(Poll::Running { elapsed_ticks });
            }
            // Hung: stop it, then give the memory back once its DMA is quiet.
            self.hw.write_sp_status(regs::STOP);
            let sp_status = self.hw.sp_status();
            let fault = Fault::Timeout {
                pc: self.hw.sp_pc(),
                sp_status,
                elapsed_ticks,
            };
            self.state = State::Stopping {
                handle,
                from_rsp,
                fault,
            };
            return self.poll_stopping(handle, from_rsp, fault);
        }
        self.hw.write_sp_status(regs::ACKNOWLEDGE);
        self.release(from_rsp);
        let pc = self.hw.sp_pc();
        let mut boot = [0u8; 16];
        self.hw.read_dmem(BOOT, &mut boot);
        let word = |i: usize| u32::from_be_bytes([boot[i], boot[i + 1], boot[i + 2], boot[i + 3]]);
        let (status_word, fault_cmd, boot_extra) = (word(4), word(8), word(12));
        let fault = if sp_status & status::BROKE == 0 {
            Some(Fault::HaltedWithoutBreak { pc, sp_status })
        } else if status_word == ucode_status::DONE {
            None
        } else if status_word == ucode_status::RUNNING {
            Some(Fault::NoStatus {
                pc,
                status: status_word,
            })
        } else {
            Some(Fault::Refused {
                status: status_word,
                fault_cmd,
                pc,
            })
        };
        match fault {
            None => {
                self.counters.completed += 1;
                let done = Done {
                    elapsed_ticks,
                    pc,
                    boot_extra,
                };
                self.record(handle, Ok(done));
                Ok(Poll::Done(done))
            }
            Some(fault) => {
                self.counters.faults += 1;
                self.record(handle, Err(fault));
                Err(PollError::Fault(fault))
            }
        }
    }

    /// A job halted after its deadline: `Running` (with its real elapsed ticks) until its
    /// last DMA is quiet, then the fault.
    fn poll_stopping(
        &mut self,
        handle: JobHandle,
        from_rsp: SpanList,
        fault: Fault,
    ) -> Result<Poll, PollError> {
        let elapsed_ticks = reported(self.clock.tick(self.hw.now_ticks()));
        let sp_status = self.hw.sp_status();
        if sp_status & (status::DMA_BUSY | status::DMA_FULL) != 0 {
            return Ok(Poll::Running { elapsed_ticks });
        }
        self.hw.write_sp_status(regs::ACKNOWLEDGE);
        self.release(from_rsp);
        self.counters.faults += 1;
        self.record(handle, Err(fault));
        Err(PollError::Fault(fault))
    }

    /// Hands the workspace back to the CPU: the RSP-written spans leave the cache so the CPU
    /// reads RDRAM.
    fn release(&mut self, from_rsp: SpanList) {
        for span in from_rsp.as_slice() {
            self.hw
                .invalidate(&mut self.workspace[span.offset..span.end()]);
        }
        self.state = State::Idle;
    }
}
