//! The command encoding: 16-byte big-endian records the dispatcher reads from RDRAM.
//!
//! Each command has a `#[repr(C)]` struct of byte arrays mirroring its `.struct` in
//! `rsp/layout.inc`; the assertions below fail the build when a size or an offset differs from
//! the assembler's symbols. [`Command`] is the typed form: [`Command::check`] applies the same
//! rules the ucode applies (so a builder can refuse a command before the RSP sees it), and
//! [`Command::encode`] writes the bytes without checking (tests use it to feed the ucode bad
//! commands).

use crate::layout::{Be16, Be32, ACT, DMEM_BUDGET};
use crate::ucode::consts;
use bytemuck::{Pod, Zeroable};
use core::fmt;
use core::mem::{offset_of, size_of};
use static_assertions::const_assert_eq;

/// Opcodes (byte 0 of a command).
pub mod op {
    use super::consts;
    /// Stop with status DONE.
    pub const END: u8 = consts::OP_END as u8;
    /// RDRAM -> DMEM.
    pub const DMA_IN: u8 = consts::OP_DMA_IN as u8;
    /// DMEM -> RDRAM.
    pub const DMA_OUT: u8 = consts::OP_DMA_OUT as u8;
    /// Number of opcodes; larger ones stop the ucode with STATUS_BAD_OPCODE.
    pub const COUNT: u8 = consts::OP_COUNT as u8;
}

/// `END`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdEnd {
    pub op: u8,
    pub pad: [u8; 15],
}

/// `DMA_IN` / `DMA_OUT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdDma {
    pub op: u8,
    pub pad0: u8,
    /// DMEM address, multiple of 8.
    pub dmem: Be16,
    /// Bytes, multiple of 8, 8..4096.
    pub len: Be16,
    pub pad1: [u8; 2],
    /// RDRAM address, multiple of 8.
    pub rdram: Be32,
    pub pad2: [u8; 4],
}

const_assert_eq!(size_of::<CmdEnd>(), consts::CmdEnd_SIZE as usize);
const_assert_eq!(size_of::<CmdEnd>(), consts::CMD_BYTES as usize);
const_assert_eq!(offset_of!(CmdEnd, op), consts::CmdEnd_op as usize);
const_assert_eq!(size_of::<CmdDma>(), consts::CmdDma_SIZE as usize);
const_assert_eq!(size_of::<CmdDma>(), consts::CMD_BYTES as usize);
const_assert_eq!(offset_of!(CmdDma, op), consts::CmdDma_op as usize);
const_assert_eq!(offset_of!(CmdDma, dmem), consts::CmdDma_dmem as usize);
const_assert_eq!(offset_of!(CmdDma, len), consts::CmdDma_len as usize);
const_assert_eq!(offset_of!(CmdDma, rdram), consts::CmdDma_rdram as usize);

/// A command in typed form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Stop: Boot.status = DONE, BREAK.
    End,
    /// Copy `len` bytes from RDRAM `rdram` to DMEM `dmem` (at or above `layout::ACT`) and wait
    /// for them.
    DmaIn { dmem: u16, len: u16, rdram: u32 },
    /// Copy `len` bytes from DMEM `dmem` to RDRAM `rdram` and wait.
    DmaOut { dmem: u16, len: u16, rdram: u32 },
}

/// Why [`Command::check`] refused a command (the ucode would stop with an error status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// A DMA length outside 8..=4096 (one RSP DMA row, RSP-FACTS "Timing").
    DmaLength { len: u16 },
    /// A DMA address or length that is not a multiple of 8 (RSP-FACTS "Timing").
    DmaAlignment { dmem: u16, len: u16, rdram: u32 },
    /// `dmem + len` past the ucode's DMEM budget.
    DmaRange { dmem: u16, len: u16, budget: usize },
    /// A DMA_IN into the ucode's fixed area (below `layout::ACT`).
    DmaIntoFixedArea { dmem: u16 },
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CommandError::DmaLength { len } => write!(f, "DMA length {len} is outside 8..=4096"),
            CommandError::DmaAlignment { dmem, len, rdram } => {
                write!(f, "DMA dmem 0x{dmem:03x}, length {len} and rdram 0x{rdram:06x} must all be multiples of 8")
            }
            CommandError::DmaRange { dmem, len, budget } => {
                write!(f, "DMA of {len} bytes at dmem 0x{dmem:03x} runs past the DMEM budget of {budget} bytes")
            }
            CommandError::DmaIntoFixedArea { dmem } => {
                write!(f, "DMA_IN to dmem 0x{dmem:03x} would overwrite the ucode's fixed area (below 0x{ACT:03x})")
            }
        }
    }
}

fn check_dma(dmem: u16, len: u16, rdram: u32) -> Result<(), CommandError> {
    if (dmem as u32 | len as u32 | rdram) & 7 != 0 {
        return Err(CommandError::DmaAlignment { dmem, len, rdram });
    }
    if len == 0 || len > 4096 {
        return Err(CommandError::DmaLength { len });
    }
    if dmem as usize + len as usize > DMEM_BUDGET {
        return Err(CommandError::DmaRange { dmem, len, budget: DMEM_BUDGET });
    }
    Ok(())
}

impl Command {
    /// Applies the checks the ucode applies to this command.
    pub fn check(&self) -> Result<(), CommandError> {
        match *self {
            Command::End => Ok(()),
            Command::DmaIn { dmem, .. } if (dmem as usize) < ACT => Err(CommandError::DmaIntoFixedArea { dmem }),
            Command::DmaIn { dmem, len, rdram } | Command::DmaOut { dmem, len, rdram } => check_dma(dmem, len, rdram),
        }
    }

    /// The command's 16 bytes, as the ucode reads them (no checks).
    pub fn encode(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        match *self {
            Command::End => out.copy_from_slice(bytemuck::bytes_of(&CmdEnd { op: op::END, pad: [0; 15] })),
            Command::DmaIn { dmem, len, rdram } | Command::DmaOut { dmem, len, rdram } => {
                let opcode = if matches!(self, Command::DmaIn { .. }) { op::DMA_IN } else { op::DMA_OUT };
                let c = CmdDma {
                    op: opcode,
                    pad0: 0,
                    dmem: Be16::new(dmem),
                    len: Be16::new(len),
                    pad1: [0; 2],
                    rdram: Be32::new(rdram),
                    pad2: [0; 4],
                };
                out.copy_from_slice(bytemuck::bytes_of(&c));
            }
        }
        out
    }
}
