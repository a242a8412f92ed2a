//! The SP (RSP interface) and MI registers the scheduler touches, as the VR4300 sees them.
//!
//! Addresses and bit layouts: n64brew "RSP Interface" (SP_STATUS read and write layouts,
//! SP_PC, the DMEM/IMEM windows) and "MIPS Interface" (MI_INTR), cross-checked with
//! mupen64plus-core `src/device/rcp/rsp/rsp_core.c` (`update_sp_status`); the SP_STATUS bits
//! are rsp-isa's `sp_status`, which rsp-sim uses too. Physical addresses; the N64
//! implementation reaches them through KSEG1.

/// DMEM: 4 KiB at 0x0400_0000 (RSP-FACTS "Machine"); the CPU may only use 32-bit accesses.
pub const SP_DMEM: u32 = 0x0400_0000;
/// IMEM: 4 KiB at 0x0400_1000.
pub const SP_IMEM: u32 = 0x0400_1000;
/// Bytes in DMEM and in IMEM.
pub const SP_MEM_BYTES: usize = 4096;
/// SP_STATUS (read: flags; write: set/clear pairs).
pub const SP_STATUS: u32 = 0x0404_0010;
/// SP_PC: the RSP's program counter (12 bits); written by the CPU only while halted.
pub const SP_PC: u32 = 0x0408_0000;
/// MI_INTR: pending RCP interrupts (read only); bit 0 is the SP line.
pub const MI_INTR: u32 = 0x0430_0008;
/// MI_INTR bit of the SP interrupt.
pub const MI_INTR_SP: u32 = 1 << 0;

/// SP_STATUS bits as read and as written (rsp-isa's one definition, shared with rsp-sim).
pub use rsp_isa::sp_status::{status, status_write};

/// The SP_STATUS write that starts the RSP at SP_PC: acknowledge any old SP interrupt, clear
/// BROKE and single-step, turn interrupt-on-break on, and clear HALT last in the same write (a
/// single write applies every bit before the RSP runs: mupen64plus applies them all, then runs
/// the task).
pub const START: u32 = status_write::CLEAR_INTERRUPT
    | status_write::CLEAR_BROKE
    | status_write::CLEAR_SINGLE_STEP
    | status_write::SET_INTERRUPT_ON_BREAK
    | status_write::CLEAR_HALT;

/// The SP_STATUS write that stops a hung RSP.
pub const STOP: u32 = status_write::SET_HALT;

/// The SP_STATUS write that acknowledges the SP interrupt after a job.
pub const ACKNOWLEDGE: u32 = status_write::CLEAR_INTERRUPT;

#[cfg(test)]
mod tests {
    use super::*;

    /// The start word is the OR of the documented bit numbers 0, 2, 3, 5 and 8.
    #[test]
    fn start_word_has_the_documented_bits() {
        assert_eq!(START, 0b1_0010_1101);
        assert_eq!(START & status_write::SET_HALT, 0);
        assert_eq!(START & status_write::SET_INTERRUPT_ON_BREAK, 0x100);
    }
}
