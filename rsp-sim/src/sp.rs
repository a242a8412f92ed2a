//! The SP registers as the RSP (COP0 0..7) and the CPU (0xA404_0000..) see them, apart from
//! the DMA engine (`dma.rs`).
//!
//! RSP-FACTS.md "Encodings": COP0 registers 0..7 are SP DMA address, DRAM address, read length,
//! write length, status, DMA full, DMA busy, semaphore; 8..15 are the DP command registers.
//! Bit layouts of SP_STATUS as read and as written, and the semaphore's read-sets/write-clears
//! behaviour: n64brew "RSP Interface" and ares `n64/rsp/io.cpp`.

/// A register of the SP interface, numbered as COP0 registers 0..7 / CPU offsets 0x00..0x1C.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SpReg {
    /// SP_MEM_ADDR: DMEM/IMEM address of the next DMA (bit 12 selects IMEM).
    MemAddr = 0,
    /// SP_DRAM_ADDR: RDRAM address of the next DMA.
    DramAddr = 1,
    /// SP_RD_LEN: writing starts an RDRAM -> DMEM/IMEM DMA.
    RdLen = 2,
    /// SP_WR_LEN: writing starts a DMEM/IMEM -> RDRAM DMA.
    WrLen = 3,
    /// SP_STATUS.
    Status = 4,
    /// SP_DMA_FULL (read only).
    DmaFull = 5,
    /// SP_DMA_BUSY (read only).
    DmaBusy = 6,
    /// SP_SEMAPHORE: a read returns the flag and sets it; a write clears it.
    Semaphore = 7,
}

impl SpReg {
    /// The register for COP0 number / CPU word offset `n` (0..7).
    pub fn from_index(n: u8) -> Option<SpReg> {
        Some(match n {
            0 => SpReg::MemAddr,
            1 => SpReg::DramAddr,
            2 => SpReg::RdLen,
            3 => SpReg::WrLen,
            4 => SpReg::Status,
            5 => SpReg::DmaFull,
            6 => SpReg::DmaBusy,
            7 => SpReg::Semaphore,
            _ => return None,
        })
    }
}

/// SP_STATUS bits as read and as written (defined in rsp-isa, shared with rspnn).
pub use rsp_isa::sp_status::{status, status_write};

/// The SP status flags (not the DMA bits, which the DMA engine owns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpFlags {
    pub halt: bool,
    pub broke: bool,
    pub single_step: bool,
    pub interrupt_on_break: bool,
    /// Signals 0..7 as bits 0..7.
    pub signals: u8,
    /// The SP interrupt line to the CPU (MI_INTR bit 0).
    pub interrupt: bool,
    pub semaphore: bool,
}

impl Default for SpFlags {
    /// After reset the RSP is halted (ares `RSP::power`).
    fn default() -> Self {
        SpFlags {
            halt: true,
            broke: false,
            single_step: false,
            interrupt_on_break: false,
            signals: 0,
            interrupt: false,
            semaphore: false,
        }
    }
}

impl SpFlags {
    /// The status word as read (the DMA bits supplied by the caller).
    pub fn read(&self, dma_busy: bool, dma_full: bool) -> u32 {
        let mut v = 0;
        if self.halt {
            v |= status::HALT;
        }
        if self.broke {
            v |= status::BROKE;
        }
        if dma_busy {
            v |= status::DMA_BUSY;
        }
        if dma_full {
            v |= status::DMA_FULL;
        }
        if self.single_step {
            v |= status::SINGLE_STEP;
        }
        if self.interrupt_on_break {
            v |= status::INTERRUPT_ON_BREAK;
        }
        v | (self.signals as u32) << 7
    }

    /// Applies a status write. A bit pair with both halves set changes nothing (ares
    /// `RSP::ioWrite`).
    pub fn write(&mut self, data: u32) {
        use status_write::*;
        let pair = |clear: u32, set: u32| -> Option<bool> {
            match (data & clear != 0, data & set != 0) {
                (true, false) => Some(false),
                (false, true) => Some(true),
                _ => None,
            }
        };
        if let Some(v) = pair(CLEAR_HALT, SET_HALT) {
            self.halt = v;
        }
        if data & CLEAR_BROKE != 0 {
            self.broke = false;
        }
        if let Some(v) = pair(CLEAR_INTERRUPT, SET_INTERRUPT) {
            self.interrupt = v;
        }
        if let Some(v) = pair(CLEAR_SINGLE_STEP, SET_SINGLE_STEP) {
            self.single_step = v;
        }
        if let Some(v) = pair(CLEAR_INTERRUPT_ON_BREAK, SET_INTERRUPT_ON_BREAK) {
            self.interrupt_on_break = v;
        }
        for n in 0..8 {
            if let Some(v) = pair(clear_signal(n), set_signal(n)) {
                if v {
                    self.signals |= 1 << n;
                } else {
                    self.signals &= !(1 << n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_write_pairs() {
        let mut f = SpFlags::default();
        assert!(f.halt);
        f.write(
            status_write::CLEAR_HALT
                | status_write::set_signal(2)
                | status_write::SET_INTERRUPT_ON_BREAK,
        );
        assert!(!f.halt);
        assert_eq!(
            f.read(false, false),
            status::signal(2) | status::INTERRUPT_ON_BREAK
        );
        // Both halves of a pair: no change.
        f.write(status_write::CLEAR_HALT | status_write::SET_HALT);
        assert!(!f.halt);
        f.write(status_write::clear_signal(2));
        assert_eq!(f.signals, 0);
        assert_eq!(
            f.read(true, true),
            status::INTERRUPT_ON_BREAK | status::DMA_BUSY | status::DMA_FULL
        );
    }
}
