//! The DMEM map (defined once, in `rsp/layout.inc`), as typed Rust constants.
//!
//! Every value comes from the assembler's symbols; the assertions below fail the build if the
//! data section or the Rust structs drift from the `.struct`s and `.equ`s.

use crate::ucode::{consts, dmem, imem};
use bytemuck::{Pod, Zeroable};
use static_assertions::const_assert_eq;

/// A big-endian `u16` as the RSP reads it (the N64 is big-endian).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct Be16(pub [u8; 2]);

/// A big-endian `u32`.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct Be32(pub [u8; 4]);

impl Be16 {
    /// Encodes `v`.
    pub const fn new(v: u16) -> Be16 {
        Be16(v.to_be_bytes())
    }
    /// The value.
    pub const fn get(self) -> u16 {
        u16::from_be_bytes(self.0)
    }
}

impl Be32 {
    /// Encodes `v`.
    pub const fn new(v: u32) -> Be32 {
        Be32(v.to_be_bytes())
    }
    /// The value.
    pub const fn get(self) -> u32 {
        u32::from_be_bytes(self.0)
    }
}

/// DMEM bytes the ucode may use (4,096, or 3,584 with the `rspq` feature).
pub const DMEM_BUDGET: usize = consts::DMEM_BUDGET as usize;
/// The boot block ([`Boot`]).
pub const BOOT: usize = consts::BOOT as usize;
/// The kernels' vector constants (one register).
pub const KVEC: usize = consts::KVEC as usize;
/// Where the dispatcher fetches commands to.
pub const CMDBUF: usize = consts::CMDBUF as usize;
/// Bytes fetched per command-list DMA; a list must be readable to the next multiple of this.
pub const CMDBUF_BYTES: usize = consts::CMDBUF_BYTES as usize;
/// Bytes per command.
pub const CMD_BYTES: usize = consts::CMD_BYTES as usize;
/// The activation area: commands' DMEM homes (x, y) must lie inside it.
pub const ACT: usize = consts::ACT as usize;
/// Bytes of the activation area.
pub const ACT_BYTES: usize = consts::ACT_BYTES as usize;
/// The two weight tile buffers.
pub const TILE0: usize = consts::TILE0 as usize;
/// Second tile buffer.
pub const TILE1: usize = consts::TILE1 as usize;
/// Bytes per tile buffer.
pub const TILE_BYTES: usize = consts::TILE_BYTES as usize;
/// End of the ucode's DMEM.
pub const DMEM_END: usize = consts::DMEM_END as usize;

/// Boot.status values.
pub mod status {
    use super::consts;
    /// The program has not finished (or was never started).
    pub const RUNNING: u32 = consts::STATUS_RUNNING as u32;
    /// END reached.
    pub const DONE: u32 = consts::STATUS_DONE as u32;
    /// An opcode with no routine.
    pub const BAD_OPCODE: u32 = consts::STATUS_BAD_OPCODE as u32;
    /// A DMA command with a bad length, alignment or DMEM range.
    pub const BAD_DMA: u32 = consts::STATUS_BAD_DMA as u32;
    /// A MATVEC with bad bits, shift, shape, alignment or homes.
    pub const BAD_MATVEC: u32 = consts::STATUS_BAD_MATVEC as u32;
    /// A STEP with a context outside 1..=256.
    pub const BAD_STEP: u32 = consts::STATUS_BAD_STEP as u32;
    /// An EMBED with a bad shape, alignment or home, or a step token not below its vocab.
    pub const BAD_EMBED: u32 = consts::STATUS_BAD_EMBED as u32;
    /// A NORM with a bad kind, length or home.
    pub const BAD_NORM: u32 = consts::STATUS_BAD_NORM as u32;
    /// An ATTEND with a bad shape or home, or a step that does not fit its context.
    pub const BAD_ATTEND: u32 = consts::STATUS_BAD_ATTEND as u32;
    /// A RELU/ADD with a bad length or home.
    pub const BAD_VEC: u32 = consts::STATUS_BAD_VEC as u32;
    /// An ARGMAX with an empty range or a bad home.
    pub const BAD_ARGMAX: u32 = consts::STATUS_BAD_ARGMAX as u32;
    /// A command in an overlay ran before any OVERLAYS command said where the overlays are.
    pub const NO_OVERLAYS: u32 = consts::STATUS_NO_OVERLAYS as u32;
    /// An OVERLAYS command with an address that is not a multiple of 8.
    pub const BAD_OVERLAYS: u32 = consts::STATUS_BAD_OVERLAYS as u32;
}

/// The boot block at [`BOOT`]: the host writes `cmd_list` before starting the RSP; the ucode
/// writes `status` (see [`status`]) and, on an error, `fault_cmd`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct Boot {
    /// RDRAM address of the first command.
    pub cmd_list: Be32,
    /// A [`status`] value.
    pub status: Be32,
    /// RDRAM address of the command that failed.
    pub fault_cmd: Be32,
    /// Overlays loaded into IMEM during the run (each load is one DMA; `rsp/overlay.inc`).
    pub overlay_loads: Be32,
}

const_assert_eq!(core::mem::size_of::<Boot>(), consts::Boot_SIZE as usize);
const_assert_eq!(core::mem::offset_of!(Boot, cmd_list), consts::Boot_cmd_list as usize);
const_assert_eq!(core::mem::offset_of!(Boot, status), consts::Boot_status as usize);
const_assert_eq!(core::mem::offset_of!(Boot, fault_cmd), consts::Boot_fault_cmd as usize);
const_assert_eq!(core::mem::offset_of!(Boot, overlay_loads), consts::Boot_overlay_loads as usize);

// The data section is laid out in the order layout.inc's map gives (labels can't be used in the
// assembler's `.if`, so the check is here).
const_assert_eq!(dmem::boot_block as usize, BOOT);
const_assert_eq!(dmem::kvec as usize, KVEC);
const_assert_eq!(dmem::data_end as usize, CMDBUF);
// The areas are ordered, 16-byte aligned and inside the budget.
const_assert_eq!(CMDBUF % 16, 0);
const_assert_eq!(ACT % 16, 0);
const_assert_eq!(TILE0 % 16, 0);
const_assert_eq!(TILE1, TILE0 + TILE_BYTES);
const_assert_eq!(DMEM_END, TILE1 + TILE_BYTES);
static_assertions::const_assert!(DMEM_END <= DMEM_BUDGET);
static_assertions::const_assert!(DMEM_BUDGET <= 4096);
// One `j routine; nop` pair per opcode in the IMEM jump table.
const_assert_eq!((imem::op_table_end - imem::op_table) as usize, 8 * consts::OP_COUNT as usize);
const_assert_eq!(crate::ucode::ENTRY, 0);
const_assert_eq!(consts::BOOT_BYTES, consts::Boot_SIZE);
