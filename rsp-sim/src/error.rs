//! Errors the simulator reports instead of panicking.

use core::fmt;

/// One recently executed instruction (for error reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentInstr {
    pub pc: u32,
    pub word: u32,
    /// Disassembly (or the decode error).
    pub text: String,
}

impl fmt::Display for RecentInstr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03x}: {:08x}  {}", self.pc, self.word, self.text)
    }
}

/// Why a simulation step or a host operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// The PC reached a word that is not an RSP instruction.
    InvalidInstruction { pc: u32, word: u32, reason: String },
    /// `run` used up its cycle budget before the RSP halted.
    CycleLimit {
        limit: u64,
        pc: u32,
        recent: Vec<RecentInstr>,
    },
    /// A DMA would touch RDRAM beyond the buffer the simulator was given.
    DmaOutOfRange {
        /// The RSP PC of the MTC0 that requested it, `None` when the CPU side did.
        pc: Option<u32>,
        dram_addr: u32,
        dram_end: u64,
        rdram_len: usize,
    },
    /// A host-side access to DMEM/IMEM/RDRAM outside the memory.
    OutOfRange {
        what: &'static str,
        addr: u64,
        len: usize,
        size: usize,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::InvalidInstruction { pc, word, reason } => {
                write!(f, "invalid instruction {word:08x} at pc {pc:03x}: {reason}")
            }
            SimError::CycleLimit { limit, pc, recent } => {
                write!(
                    f,
                    "no BREAK within {limit} cycles; pc = {pc:03x}; last instructions:"
                )?;
                for r in recent {
                    write!(f, "\n  {r}")?;
                }
                Ok(())
            }
            SimError::DmaOutOfRange {
                pc,
                dram_addr,
                dram_end,
                rdram_len,
            } => {
                match pc {
                    Some(pc) => write!(f, "DMA requested at pc {pc:03x}")?,
                    None => write!(f, "DMA requested by the CPU")?,
                }
                write!(
                    f,
                    " touches RDRAM {dram_addr:#08x}..{dram_end:#08x}, beyond the {rdram_len}-byte RDRAM buffer"
                )
            }
            SimError::OutOfRange {
                what,
                addr,
                len,
                size,
            } => write!(
                f,
                "{what}: {len} bytes at {addr:#x} do not fit in its {size} bytes"
            ),
        }
    }
}

impl std::error::Error for SimError {}
