//! What a run cost, for ucode authors.

use crate::dma::DmaStats;
use crate::pipeline::StallCycles;
use core::fmt;

/// Counters accumulated since the simulator was created (or `reset_stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// RSP cycles elapsed (running or halted).
    pub cycles: u64,
    /// Cycles spent halted (only `advance` lets time pass while halted).
    pub halted_cycles: u64,
    /// Instructions executed.
    pub instructions: u64,
    /// Issue groups (cycles in which something issued).
    pub groups: u64,
    /// Groups in which a scalar and a vector op issued together.
    pub dual_issued: u64,
    /// Stall cycles by cause.
    pub stalls: StallCycles,
    /// Cycles the ucode spent polling SP_DMA_BUSY / SP_DMA_FULL while a DMA was in the way:
    /// from a poll that found the engine busy (full) to the poll by the same instruction that
    /// found it free. If double buffering hides the DMA, this stays near zero.
    pub dma_wait_cycles: u64,
    /// The same for SP_SEMAPHORE polls (from a read that found it taken to the read at the same
    /// instruction that acquired it).
    pub semaphore_wait_cycles: u64,
    /// DMA engine counters.
    pub dma: DmaStats,
}

impl Stats {
    /// Instructions per running cycle.
    pub fn ipc(&self) -> f64 {
        let running = self.cycles - self.halted_cycles;
        if running == 0 {
            0.0
        } else {
            self.instructions as f64 / running as f64
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cycles: {}", self.cycles)?;
        writeln!(f, "instructions: {}", self.instructions)?;
        writeln!(
            f,
            "dual-issued groups: {} of {}",
            self.dual_issued, self.groups
        )?;
        writeln!(
            f,
            "stall cycles: {} (vector dependency {}, scalar load-use {}, load/store {}, taken branch {})",
            self.stalls.total(),
            self.stalls.vector_dependency,
            self.stalls.scalar_load_use,
            self.stalls.load_store,
            self.stalls.taken_branch
        )?;
        writeln!(f, "dma wait cycles: {}", self.dma_wait_cycles)?;
        writeln!(f, "semaphore wait cycles: {}", self.semaphore_wait_cycles)?;
        write!(
            f,
            "dma: {} transfers, {} bytes, {} busy cycles",
            self.dma.transfers, self.dma.bytes, self.dma.busy_cycles
        )
    }
}
