//! Sealed command lists: checked once, then started again and again with only their
//! write-neutral fields patched, so a game pays the list walk of [`Scheduler::submit`] once per
//! model rather than once per token.
//!
//! A sealed list is protected: every list sealed or submitted later is refused if it would make
//! the RSP write over it, and sealing refuses a list that an already sealed one writes over.
//! The CPU can change a sealed list only through [`Scheduler::patch_sealed`], which allows the
//! fields that cannot change where the RSP writes: STEP's token and position (the ucode checks
//! the token against the vocabulary and the position against the context before it writes the
//! KV cache: rspnn-ucode `rsp/step.inc`, `rsp/attend_scores.inc`) and ARGMAX's range (ARGMAX
//! writes DMEM). Taking the workspace with [`Scheduler::workspace_mut`] unseals every list.

use crate::hw::RspHardware;
use crate::memory::{check_result_span, Span, SpanList};
use crate::scheduler::{Job, JobHandle, Scheduler, SchedulerId, SubmitError};
use rspnn_ucode::command::op;
use rspnn_ucode::layout::CMD_BYTES;
use rspnn_ucode::token_cmd::{
    ARGMAX_HI_OFFSET, ARGMAX_LO_OFFSET, STEP_POS_OFFSET, STEP_TOKEN_OFFSET,
};

/// Lists that can be sealed at once (two model states need two).
pub const MAX_SEALED: usize = 4;

/// The sealed lists' spans, the RDRAM range of the overlay block each loads its code from
/// (protected like the list: a later list that wrote there would change what the sealed one
/// runs), and a generation that every unsealing bumps.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SealedTable {
    spans: [Option<Span>; MAX_SEALED],
    overlays: [Option<(u32, u32)>; MAX_SEALED],
    generation: u32,
}

/// RDRAM ranges of the sealed lists and their overlay blocks (a fixed array: no allocator).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ranges {
    ranges: [(u32, u32); 2 * MAX_SEALED],
    count: usize,
}

impl Ranges {
    pub(crate) fn as_slice(&self) -> &[(u32, u32)] {
        &self.ranges[..self.count]
    }
}

/// A command list the scheduler checked and protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedList {
    slot: usize,
    generation: u32,
    span: Span,
    scheduler: SchedulerId,
}

impl SealedList {
    /// Where the list is in the workspace (to its last 64-byte fetch).
    pub fn span(&self) -> Span {
        self.span
    }
}

/// The fields [`Scheduler::patch_sealed`] may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    StepToken,
    StepPos,
    ArgmaxLo,
    ArgmaxHi,
}

impl Field {
    /// The field as the ucode's command layout names it.
    pub fn name(self) -> &'static str {
        match self {
            Field::StepToken => "STEP token",
            Field::StepPos => "STEP position",
            Field::ArgmaxLo => "ARGMAX lo",
            Field::ArgmaxHi => "ARGMAX hi",
        }
    }

    /// The command the field belongs to and its byte offset in it (rspnn-ucode `token_cmd`).
    fn place(self) -> (u8, usize) {
        match self {
            Field::StepToken => (op::STEP, STEP_TOKEN_OFFSET),
            Field::StepPos => (op::STEP, STEP_POS_OFFSET),
            Field::ArgmaxLo => (op::ARGMAX, ARGMAX_LO_OFFSET),
            Field::ArgmaxHi => (op::ARGMAX, ARGMAX_HI_OFFSET),
        }
    }
}

impl<H: RspHardware> Scheduler<H> {
    pub(crate) fn unseal_all(&mut self) {
        let generation = self.sealed.generation.wrapping_add(1);
        self.sealed = SealedTable {
            generation,
            ..SealedTable::default()
        };
    }

    fn rdram_range(&self, span: Span) -> (u32, u32) {
        let base = self.workspace_rdram();
        (base + span.offset as u32, base + span.end() as u32)
    }

    pub(crate) fn sealed_ranges(&self) -> Ranges {
        let mut r = Ranges::default();
        for span in self.sealed.spans.iter().flatten() {
            r.ranges[r.count] = self.rdram_range(*span);
            r.count += 1;
        }
        for block in self.sealed.overlays.iter().flatten() {
            r.ranges[r.count] = *block;
            r.count += 1;
        }
        r
    }

    /// Checks the command list at `offset` once (as [`Scheduler::submit`] does each time) and
    /// protects it from then on. Sealing the same list again returns the same handle.
    pub fn seal_list(&mut self, offset: usize) -> Result<SealedList, SubmitError> {
        if let Some(running) = self.running() {
            return Err(SubmitError::Busy { running });
        }
        let span = self.flush_list(offset)?;
        let generation = self.sealed.generation;
        if let Some(slot) = self.sealed.spans.iter().position(|s| *s == Some(span)) {
            return Ok(SealedList {
                slot,
                generation,
                span,
                scheduler: self.id(),
            });
        }
        let slot = self
            .sealed
            .spans
            .iter()
            .position(Option::is_none)
            .ok_or(SubmitError::TooManySealed)?;
        // It writes over no sealed list or its overlay code, and no sealed list writes over
        // it or its overlay code.
        let sealed = self.sealed_ranges();
        let block = self.check_flushed_list(span, sealed.as_slice())?;
        let mut new = Ranges::default();
        new.ranges[0] = self.rdram_range(span);
        new.count = 1;
        if let Some(block) = block {
            new.ranges[1] = block;
            new.count = 2;
        }
        let olds = self.sealed.spans;
        for old in olds.iter().flatten() {
            self.check_flushed_list(*old, new.as_slice())?;
        }
        self.sealed.spans[slot] = Some(span);
        self.sealed.overlays[slot] = block;
        Ok(SealedList {
            slot,
            generation,
            span,
            scheduler: self.id(),
        })
    }

    fn check_sealed(&self, list: &SealedList) -> Result<(), SubmitError> {
        if list.scheduler != self.id() {
            return Err(SubmitError::NotYours);
        }
        let current = list.generation == self.sealed.generation
            && self.sealed.spans.get(list.slot) == Some(&Some(list.span));
        if current {
            Ok(())
        } else {
            Err(SubmitError::NotSealed)
        }
    }

    /// Sets `field` of command `command` (its index in the list) to `value` and writes that
    /// command back. Refused unless the command is the field's (STEP or ARGMAX).
    pub fn patch_sealed(
        &mut self,
        list: &SealedList,
        command: usize,
        field: Field,
        value: u16,
    ) -> Result<(), SubmitError> {
        if let Some(running) = self.running() {
            return Err(SubmitError::Busy { running });
        }
        self.check_sealed(list)?;
        let (opcode, at) = field.place();
        // Any command index may come in: checked arithmetic, then the command must lie
        // inside the sealed list and be the field's.
        let start = command
            .checked_mul(CMD_BYTES)
            .and_then(|rel| rel.checked_add(list.span.offset))
            .filter(|&start| start.saturating_add(CMD_BYTES) <= list.span.end())
            .ok_or(SubmitError::NotPatchable { command, field })?;
        if self.workspace[start] != opcode {
            return Err(SubmitError::NotPatchable { command, field });
        }
        let bytes = &mut self.workspace[start..start + CMD_BYTES];
        bytes[at..at + 2].copy_from_slice(&value.to_be_bytes());
        self.hw.writeback(&self.workspace[start..start + CMD_BYTES]);
        Ok(())
    }

    /// Starts a sealed list (no walk: it was checked when sealed and can only have been
    /// patched since). `from_rsp` as in [`Job::from_rsp`].
    pub fn submit_sealed(
        &mut self,
        list: &SealedList,
        from_rsp: &[Span],
    ) -> Result<JobHandle, SubmitError> {
        self.check_sealed(list)?;
        let job = Job {
            cmd_list: list.span.offset,
            to_rsp: &[],
            from_rsp,
        };
        for &span in from_rsp {
            check_result_span(span, self.workspace.len())?;
        }
        let (entry, from_rsp): (u32, SpanList) = self.check_job(&job)?;
        Ok(self.start(entry, &job, from_rsp))
    }
}
