//! The N64 implementation of [`RspHardware`]: the SP registers, DMEM/IMEM and the VR4300's
//! caches (MIPS target only).
//!
//! Registers are reached through KSEG1 (uncached), as hardware registers must be (n64-rt
//! `addr`). DMEM and IMEM accept only 32-bit CPU accesses (n64brew "RSP Interface"), so bytes
//! are moved as big-endian words. Cache maintenance uses n64-rt's CACHE-instruction helpers;
//! time is CP0 Count (46.875 MHz, RSP-FACTS "Machine").

use crate::hw::RspHardware;
use crate::regs;
use core::sync::atomic::{AtomicBool, Ordering};
use n64_rt::{addr, cache, timing};

/// RDRAM the RSP can reach: the base 4 MiB plus the Expansion Pak's 4 MiB (n64brew "Memory
/// map"); the SP DMA's RDRAM address register has 24 bits (RSP-FACTS "Timing" / ares).
const RDRAM_BYTES: u32 = 8 * 1024 * 1024;

static TAKEN: AtomicBool = AtomicBool::new(false);

/// The RSP's registers and memories. There is one RSP, so there is at most one `Mmio`
/// ([`Mmio::take`]).
pub struct Mmio {
    _private: (),
}

impl Mmio {
    /// The RSP, the first time it is asked for; `None` afterwards (two schedulers driving one
    /// RSP would start each other's jobs).
    pub fn take() -> Option<Mmio> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            None
        } else {
            Some(Mmio { _private: () })
        }
    }

    fn reg(physical: u32) -> *mut u32 {
        addr::uncached(physical) as usize as *mut u32
    }

    fn read(physical: u32) -> u32 {
        // SAFETY: `physical` is one of the SP/MI register or SP memory addresses of `regs`,
        // always mapped through KSEG1; a 32-bit volatile read has no other effect.
        unsafe { core::ptr::read_volatile(Self::reg(physical)) }
    }

    fn write(physical: u32, value: u32) {
        // SAFETY: as in `read`; writes to these registers and to halted-RSP memory are the
        // documented way to drive the RSP.
        unsafe { core::ptr::write_volatile(Self::reg(physical), value) }
    }
}

impl RspHardware for Mmio {
    fn sp_status(&mut self) -> u32 {
        Self::read(regs::SP_STATUS)
    }

    fn write_sp_status(&mut self, bits: u32) {
        Self::write(regs::SP_STATUS, bits)
    }

    fn sp_pc(&mut self) -> u32 {
        Self::read(regs::SP_PC) & 0xFFC
    }

    fn set_sp_pc(&mut self, pc: u32) {
        Self::write(regs::SP_PC, pc & 0xFFC)
    }

    fn sp_interrupt(&mut self) -> bool {
        Self::read(regs::MI_INTR) & regs::MI_INTR_SP != 0
    }

    fn write_dmem(&mut self, at: usize, bytes: &[u8]) {
        for (i, word) in bytes.chunks_exact(4).enumerate() {
            let value = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            Self::write(regs::SP_DMEM + (at + 4 * i) as u32, value);
        }
    }

    fn read_dmem(&mut self, at: usize, out: &mut [u8]) {
        for (i, word) in out.chunks_exact_mut(4).enumerate() {
            word.copy_from_slice(&Self::read(regs::SP_DMEM + (at + 4 * i) as u32).to_be_bytes());
        }
    }

    fn write_imem(&mut self, at: usize, bytes: &[u8]) {
        for (i, word) in bytes.chunks_exact(4).enumerate() {
            let value = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            Self::write(regs::SP_IMEM + (at + 4 * i) as u32, value);
        }
    }

    fn rdram_address(&self, memory: &[u8]) -> Option<u32> {
        let virt = memory.as_ptr() as usize as u32;
        // Only KSEG0/KSEG1 map straight onto RDRAM without the TLB (n64-rt `addr`).
        if !(addr::KSEG0_BASE..0xC000_0000).contains(&virt) {
            return None;
        }
        let physical = addr::physical(virt);
        let end = physical as u64 + memory.len() as u64;
        (end <= RDRAM_BYTES as u64).then_some(physical)
    }

    fn writeback(&mut self, memory: &[u8]) {
        cache::data_writeback(memory.as_ptr(), memory.len())
    }

    fn writeback_invalidate(&mut self, memory: &mut [u8]) {
        cache::data_writeback_invalidate(memory.as_ptr(), memory.len())
    }

    fn invalidate(&mut self, memory: &mut [u8]) {
        cache::data_invalidate(memory.as_ptr(), memory.len())
    }

    fn now_ticks(&mut self) -> u32 {
        timing::read_count()
    }

    fn ticks_per_second(&self) -> u32 {
        timing::COUNT_HZ
    }
}
