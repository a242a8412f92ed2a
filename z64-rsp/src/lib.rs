//! Runs RSP programs on the z64 RSP of mupen64plus (Debian's `mupen64plus-rsp-z64`), loaded
//! through the mupen64plus plugin ABI, as a second opinion for `rsp-sim`.
//!
//! z64 is a low-level RSP interpreter. It is not a judge: RSP-FACTS.md ("Emulators") lists where
//! it differs from hardware (one VMULU case, VMRG's VCO, VRCPL, MTC2 into lane 15, some
//! load/store forms). It has no timing and performs DMA instantly.
//!
//! Facts relied on (mupen64plus-rsp-z64 2.5.9 `src/main_rsp.cpp`, `rsp.cpp`, `rsp.h`; checked
//! with `nm -D` and a disassembly of the installed .so):
//! - The plugin imports nothing from the core: `PluginStartup` only stores the debug callback,
//!   so no core library is needed.
//! - `InitiateRSP` resets all RSP state and clears 8 KB from the DMEM pointer: DMEM and IMEM
//!   must be one 8 KB block with IMEM at DMEM + 0x1000 (instructions are also fetched from
//!   there).
//! - Memories hold 32-bit words in host byte order: big-endian byte `i` is host byte `i ^ 3`
//!   (RDRAM too; the DMA copies aligned 8-byte blocks, which keeps that layout).
//! - `DoRspCycles` ignores its argument and runs until BREAK or a halt (a program that never
//!   halts never returns, so unused IMEM is filled with BREAK here).
//! - The plugin has global state, so every use goes through one process-wide lock.

mod abi;
mod plugin;

pub use plugin::{plugin_path, DEFAULT_PLUGIN_PATH};

use std::fmt;
use std::path::PathBuf;

/// The BREAK instruction (SPECIAL funct 0x0D).
pub const BREAK_WORD: u32 = 0x0000_000D;

/// SP_STATUS bits as z64 keeps them.
pub const STATUS_HALT: u32 = 1 << 0;
pub const STATUS_BROKE: u32 = 1 << 1;

/// A program to run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Job<'a> {
    /// IMEM image from address 0 (big-endian, at most 4096 bytes); the rest of IMEM is filled
    /// with BREAK.
    pub imem: &'a [u8],
    /// DMEM image from address 0 (big-endian, at most 4096 bytes); the rest is zero.
    pub dmem: &'a [u8],
    /// RDRAM from address 0 (big-endian bytes, at most 8 MB, a multiple of 4 bytes).
    pub rdram: &'a [u8],
    /// Start PC.
    pub pc: u32,
}

/// The machine after the program stopped.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// DMEM, big-endian bytes.
    pub dmem: Vec<u8>,
    /// IMEM, big-endian bytes.
    pub imem: Vec<u8>,
    /// RDRAM (as long as the job's), big-endian bytes.
    pub rdram: Vec<u8>,
    /// SP_STATUS.
    pub status: u32,
    /// SP_PC.
    pub pc: u32,
    /// Instructions z64 executed (its `DoRspCycles` return value).
    pub executed: u32,
    /// Debug messages the plugin sent (warnings about unknown opcodes and the like).
    pub messages: Vec<String>,
}

impl Outcome {
    /// True when the program stopped at a BREAK.
    pub fn broke(&self) -> bool {
        self.status & STATUS_BROKE != 0
    }

    /// Big-endian word of DMEM at `addr` (wrapping).
    pub fn dmem_u32(&self, addr: u32) -> u32 {
        let b = |k: u32| self.dmem[((addr + k) & 0xFFF) as usize];
        u32::from_be_bytes([b(0), b(1), b(2), b(3)])
    }
}

/// Why a run could not happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Z64Error {
    /// The plugin library could not be loaded (not installed, or not a mupen64plus RSP plugin).
    PluginUnavailable { path: PathBuf, reason: String },
    /// `PluginStartup` failed.
    Startup { code: i32 },
    /// An image does not fit its memory.
    ImageTooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },
}

impl fmt::Display for Z64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Z64Error::PluginUnavailable { path, reason } => {
                write!(f, "z64 RSP plugin {} unavailable: {reason}", path.display())
            }
            Z64Error::Startup { code } => {
                write!(f, "z64 RSP plugin: PluginStartup returned {code}")
            }
            Z64Error::ImageTooLarge { what, len, max } => {
                write!(f, "{what} image of {len} bytes is larger than {max} bytes")
            }
        }
    }
}

impl std::error::Error for Z64Error {}

/// True when the plugin loads.
pub fn is_available() -> bool {
    plugin::with_plugin(|_| ()).is_ok()
}

/// Runs `job` on the z64 RSP from a clean state until it halts.
pub fn run(job: &Job) -> Result<Outcome, Z64Error> {
    if job.imem.len() > 4096 {
        return Err(Z64Error::ImageTooLarge {
            what: "IMEM",
            len: job.imem.len(),
            max: 4096,
        });
    }
    if job.dmem.len() > 4096 {
        return Err(Z64Error::ImageTooLarge {
            what: "DMEM",
            len: job.dmem.len(),
            max: 4096,
        });
    }
    if job.rdram.len() > plugin::RDRAM_MAX {
        return Err(Z64Error::ImageTooLarge {
            what: "RDRAM",
            len: job.rdram.len(),
            max: plugin::RDRAM_MAX,
        });
    }
    plugin::with_plugin(|p| p.run(job))?
}

/// Big-endian bytes to the plugin's layout (32-bit words in host order), and back.
pub(crate) mod byteorder {
    /// Host index of big-endian byte `i`.
    #[inline]
    pub fn host_index(i: usize) -> usize {
        if cfg!(target_endian = "little") {
            i ^ 3
        } else {
            i
        }
    }

    pub fn to_host(be: &[u8], host: &mut [u8]) {
        for (i, b) in be.iter().enumerate() {
            host[host_index(i)] = *b;
        }
    }

    pub fn from_host(host: &[u8], be: &mut [u8]) {
        for (i, b) in be.iter_mut().enumerate() {
            *b = host[host_index(i)];
        }
    }
}
