//! rspnn: neural-network inference on the Nintendo 64's RSP, the VR4300 side.
//!
//! The RSP runs rspnn's resident ucode (`rspnn-ucode`): a dispatcher that walks a command list
//! in RDRAM and fetches its own weights, tile by tile, with its own DMA. This crate is what the
//! CPU does around that, without an allocator and without ever waiting:
//!
//! * [`scheduler`]: loads the ucode, starts a job (a command list) and reports by polling —
//!   SP_STATUS or the SP interrupt line — whether it finished, was refused by the ucode, crashed
//!   or hung (a deadline; the RSP is then halted). Cache coherence and address checks included.
//! * [`hw`]: the one trait the scheduler drives. [`mmio`] implements it with the N64's
//!   registers (MIPS target only), [`sim`] with rsp-sim (feature `sim`, host only), so the
//!   scheduler's code is tested on the host as it runs on the N64.
//! * [`sealed`]: command lists checked once and then started per token with only their
//!   write-neutral fields (STEP's token and position, ARGMAX's range) patched.
//! * [`plan`]: the weight-tile stream of a job: which tiles the RSP fetches, in which order,
//!   into which DMEM buffer, sized to what the DMEM layout leaves free.
//! * [`token`]: a model's forward step on the RSP (the ucode crate's token program) through the
//!   scheduler, and as an rspnn-model `Backend` that runs a game frame while it waits.
//! * [`memory`]: the workspace spans and the alignment rules.
//! * [`regs`]: SP/MI register addresses and bits.
#![no_std]

pub mod hw;
pub mod memory;
#[cfg(target_arch = "mips")]
pub mod mmio;
pub mod plan;
pub mod regs;
pub mod scheduler;
pub mod sealed;
#[cfg(feature = "sim")]
pub mod sim;
pub mod token;

pub use hw::RspHardware;
pub use memory::{AddressError, Shared, Span};
pub use scheduler::{
    Completion, Config, ConfigError, Done, Fault, Job, JobHandle, Layout, LoadError, Poll,
    PollError, Scheduler, SchedulerId, SubmitError, Ucode,
};
