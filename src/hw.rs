//! The hardware the scheduler drives, behind one small trait.
//!
//! Two implementations: [`crate::mmio::Mmio`] (the N64's registers and caches, MIPS target
//! only) and [`crate::sim::SimRsp`] (rsp-sim on the host, feature `sim`). The scheduler is
//! written once against this trait, so the host tests run the same code the ROM runs.
//!
//! Memory model: the CPU sees shared memory through its data cache; the RSP's DMA sees RDRAM.
//! [`RspHardware::writeback`] makes what the CPU wrote visible to the RSP, and
//! [`RspHardware::invalidate`] makes what the RSP wrote visible to the CPU (VR4300 User's
//! Manual "Cache Memory": an 8 KiB write-back data cache with 16-byte lines; the SP DMA never
//! looks at it). The simulator keeps the two views apart for real, so a missing call shows up
//! as wrong data in the host tests, not only on hardware.

/// What the scheduler needs from the machine. Every method is cheap and never blocks.
pub trait RspHardware {
    /// SP_STATUS as read ([`crate::regs::status`] bits).
    fn sp_status(&mut self) -> u32;
    /// Writes SP_STATUS ([`crate::regs::status_write`] bits).
    fn write_sp_status(&mut self, bits: u32);
    /// SP_PC (the next instruction's IMEM address).
    fn sp_pc(&mut self) -> u32;
    /// Sets SP_PC; only meaningful while the RSP is halted.
    fn set_sp_pc(&mut self, pc: u32);
    /// True while the SP interrupt line is raised (MI_INTR bit 0).
    fn sp_interrupt(&mut self) -> bool;
    /// Copies `bytes` into DMEM at `addr`. The scheduler checks that both are multiples of 4
    /// and inside DMEM, and that the RSP is halted.
    fn write_dmem(&mut self, addr: usize, bytes: &[u8]);
    /// Copies DMEM from `addr` into `out` (same rules as [`RspHardware::write_dmem`]).
    fn read_dmem(&mut self, addr: usize, out: &mut [u8]);
    /// Copies `bytes` into IMEM at `addr` (same rules).
    fn write_imem(&mut self, addr: usize, bytes: &[u8]);
    /// The RDRAM address the RSP's DMA uses for the first byte of `memory`, or `None` when the
    /// RSP cannot reach it.
    fn rdram_address(&self, memory: &[u8]) -> Option<u32>;
    /// Makes the CPU's writes to `memory` visible to the RSP (data-cache writeback).
    fn writeback(&mut self, memory: &[u8]);
    /// Writes `memory` back and drops it from the data cache, so no dirty line can later
    /// overwrite what the RSP writes there.
    fn writeback_invalidate(&mut self, memory: &mut [u8]);
    /// Drops `memory` from the data cache, so the CPU's next reads see what the RSP wrote.
    fn invalidate(&mut self, memory: &mut [u8]);
    /// A free-running tick counter (CP0 Count on the N64), wrapping at 2^32.
    fn now_ticks(&mut self) -> u32;
    /// Ticks of [`RspHardware::now_ticks`] per second.
    fn ticks_per_second(&self) -> u32;
}
