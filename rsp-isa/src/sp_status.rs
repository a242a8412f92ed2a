//! SP_STATUS, the RSP's status register: COP0 register 4 for the RSP (`mfc0`/`mtc0`), physical
//! 0x0404_0010 for the VR4300. One definition for the simulator (rsp-sim) and the N64 scheduler
//! (rspnn), so the two cannot disagree.
//!
//! Bit layouts as read and as written: n64brew "RSP Interface", cross-checked with ares
//! `n64/rsp/io.cpp` and mupen64plus-core `src/device/rcp/rsp/rsp_core.c` (`update_sp_status`).

/// SP_STATUS bits as read.
pub mod status {
    /// The RSP is halted (after reset, after BREAK, or after a CPU "set halt").
    pub const HALT: u32 = 1 << 0;
    /// The RSP executed BREAK (stays set until the CPU clears it).
    pub const BROKE: u32 = 1 << 1;
    /// An SP DMA is running.
    pub const DMA_BUSY: u32 = 1 << 2;
    /// A second SP DMA is queued behind the running one.
    pub const DMA_FULL: u32 = 1 << 3;
    pub const IO_FULL: u32 = 1 << 4;
    /// Single-step mode.
    pub const SINGLE_STEP: u32 = 1 << 5;
    /// BREAK raises the SP interrupt.
    pub const INTERRUPT_ON_BREAK: u32 = 1 << 6;
    /// Signal `n` (0..7).
    pub const fn signal(n: u32) -> u32 {
        1 << (7 + (n & 7))
    }
}

/// SP_STATUS bits as written: each flag has a clear bit and a set bit.
pub mod status_write {
    pub const CLEAR_HALT: u32 = 1 << 0;
    pub const SET_HALT: u32 = 1 << 1;
    pub const CLEAR_BROKE: u32 = 1 << 2;
    pub const CLEAR_INTERRUPT: u32 = 1 << 3;
    pub const SET_INTERRUPT: u32 = 1 << 4;
    pub const CLEAR_SINGLE_STEP: u32 = 1 << 5;
    pub const SET_SINGLE_STEP: u32 = 1 << 6;
    pub const CLEAR_INTERRUPT_ON_BREAK: u32 = 1 << 7;
    /// Needed under mupen64plus: its z64 RSP sets HALT again only through the SP interrupt
    /// path, so without it a task that ends with BREAK never reads as halted (n64-rt crate docs;
    /// mupen64plus-core `rsp_interrupt_event`).
    pub const SET_INTERRUPT_ON_BREAK: u32 = 1 << 8;
    /// Clears signal `n` (0..7).
    pub const fn clear_signal(n: u32) -> u32 {
        1 << (9 + 2 * (n & 7))
    }
    /// Sets signal `n` (0..7).
    pub const fn set_signal(n: u32) -> u32 {
        1 << (10 + 2 * (n & 7))
    }
}
