//! (feature `sim`, host only) [`RspHardware`] over rsp-sim, so the scheduler's own code is
//! tested on the host.
//!
//! - SP registers, SP_PC, DMEM and IMEM are the simulator's CPU-side API (`cpu_read`,
//!   `cpu_write`, `set_pc`, `load_dmem`/`load_imem`), which models the real registers
//!   (rsp-sim README "Library").
//! - Time: the clock is the simulator's cycle counter (62.5 MHz RSP cycles, RSP-FACTS
//!   "Machine"), and it only moves when the CPU looks: every SP_STATUS or MI_INTR read first
//!   lets [`SimRsp::cycles_per_poll`] cycles pass, standing for the CPU's work between two
//!   polls (a game frame).
//! - Memory: host buffers are given RDRAM addresses with [`SimRsp::map`]. The CPU's view (the
//!   host buffer) and RDRAM (the simulator's) are separate copies, joined only by the cache
//!   calls, which model the VR4300's write-back data cache with 16-byte lines (VR4300 User's
//!   Manual "Cache Memory"; RSP-FACTS "Machine"):
//!   - every mapped byte is in the cache: the host buffer is what the CPU reads, and a line
//!     is *dirty* when the CPU wrote one of its bytes since the cache and RDRAM last agreed
//!     (the model keeps that last agreed copy per mapping and compares; a CPU write of the
//!     very bytes already there is not seen as one);
//!   - `writeback` writes the range's dirty lines to RDRAM, whole; clean lines are left
//!     alone, so a stale clean line never overwrites what the RSP wrote;
//!   - `invalidate` drops whole lines: the range must start and end on 16-byte boundaries (a
//!     partial-line invalidate would drop the neighbour's bytes with it, and is refused);
//!     a line still dirty there was, on hardware, evicted at some moment while the RSP ran,
//!     and the model evicts it at the worst one: after the RSP wrote, over its result. So a
//!     job without the writeback-invalidate of its result lines before it starts reads back
//!     the CPU's old bytes, not the RSP's;
//!   - `writeback_invalidate` writes the range's dirty bytes back, then drops its lines;
//!   - dirty lines are never evicted early: the RSP reads stale RDRAM until a writeback, so a
//!     missing one always shows;
//!   - a cache call on memory no [`SimRsp::map`] covers is refused with a panic (a scheduler
//!     bug: the RSP cannot see that memory, and the old silent no-op hid it).
//! - Every call that changes something is logged ([`SimRsp::events`]), so tests can check the
//!   order of cache maintenance and register writes.
//! - A simulator error (an invalid instruction, a DMA outside RDRAM) halts the simulated RSP
//!   without BREAK, as a crashed RSP looks to the CPU; [`SimRsp::error`] keeps the message.

extern crate std;

use crate::hw::RspHardware;
use crate::regs::status_write;
use rsp_sim::{Rsp, SpReg};
use std::string::{String, ToString};
use std::vec::Vec;

/// RSP clock: rsp-sim counts RSP cycles.
pub const RSP_HZ: u32 = 62_500_000;

/// One logged hardware call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Data-cache writeback of RDRAM `[rdram, rdram + len)`.
    Writeback {
        rdram: u32,
        len: usize,
    },
    /// Writeback and invalidate.
    WritebackInvalidate {
        rdram: u32,
        len: usize,
    },
    Invalidate {
        rdram: u32,
        len: usize,
    },
    DmemWrite {
        addr: usize,
        len: usize,
    },
    DmemRead {
        addr: usize,
        len: usize,
    },
    ImemWrite {
        addr: usize,
        len: usize,
    },
    SetPc(u32),
    StatusWrite(u32),
}

#[derive(Clone, Debug)]
struct Mapping {
    host: usize,
    len: usize,
    rdram: u32,
    /// What the cache and RDRAM last agreed on, byte by byte: a host byte that differs is a
    /// CPU write the cache holds dirty.
    agreed: Vec<u8>,
}

/// Bytes in a VR4300 data-cache line.
pub const LINE: usize = 16;

/// Why [`SimRsp::map`] refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The RDRAM range does not fit the simulator's RDRAM.
    OutsideRdram {
        rdram: u32,
        len: usize,
        rdram_len: usize,
    },
    /// The range overlaps another mapping (on the host side or in RDRAM).
    Overlaps { rdram: u32, len: usize },
}

/// The simulated RSP as the CPU sees it.
pub struct SimRsp {
    rsp: Rsp,
    maps: Vec<Mapping>,
    /// RSP cycles that pass at each SP_STATUS / MI_INTR read.
    pub cycles_per_poll: u64,
    events: Vec<Event>,
    error: Option<String>,
    /// Ticks added to the cycle counter by [`SimRsp::skip_ticks`].
    skipped: u64,
}

impl SimRsp {
    /// A halted RSP with `rdram_len` bytes of zeroed RDRAM.
    pub fn new(rdram_len: usize) -> SimRsp {
        SimRsp {
            rsp: Rsp::with_rdram(std::vec![0u8; rdram_len]),
            maps: Vec::new(),
            cycles_per_poll: 2_000,
            events: Vec::new(),
            error: None,
            skipped: 0,
        }
    }

    /// Gives the host buffer `memory` the RDRAM address `rdram`: from now on the scheduler
    /// may hand it to the RSP. Nothing is copied (that is what `writeback` is for).
    pub fn map(&mut self, memory: &[u8], rdram: u32) -> Result<(), MapError> {
        let len = memory.len();
        let rdram_len = self.rsp.rdram().len();
        if rdram as usize + len > rdram_len {
            return Err(MapError::OutsideRdram {
                rdram,
                len,
                rdram_len,
            });
        }
        let host = memory.as_ptr() as usize;
        let overlaps =
            |a: usize, a_len: usize, b: usize, b_len: usize| a < b + b_len && b < a + a_len;
        if self.maps.iter().any(|m| {
            overlaps(m.host, m.len, host, len)
                || overlaps(m.rdram as usize, m.len, rdram as usize, len)
        }) {
            return Err(MapError::Overlaps { rdram, len });
        }
        // The cache holds nothing of it yet: every host byte that differs from RDRAM is a
        // CPU write not written back.
        let start = rdram as usize;
        let agreed = self.rsp.rdram()[start..start + len].to_vec();
        self.maps.push(Mapping {
            host,
            len,
            rdram,
            agreed,
        });
        Ok(())
    }

    /// The RDRAM range of `memory`, if it lies inside one mapping.
    fn range_of(&self, memory: &[u8]) -> Option<(usize, usize)> {
        self.find(memory)
            .map(|(i, off)| (self.maps[i].rdram as usize + off, memory.len()))
    }

    /// The mapping holding all of `memory` and its offset in it.
    fn find(&self, memory: &[u8]) -> Option<(usize, usize)> {
        let host = memory.as_ptr() as usize;
        self.maps
            .iter()
            .position(|m| host >= m.host && host + memory.len() <= m.host + m.len)
            .map(|i| (i, host - self.maps[i].host))
    }

    /// The mapping of a cache call's `memory`, or the panic that refuses the call.
    fn cached(&self, call: &str, memory: &[u8]) -> (usize, usize) {
        self.find(memory).unwrap_or_else(|| {
            panic!(
                "SimRsp: {call} of {} bytes at host {:p}, which no SimRsp::map covers: the RSP cannot see that memory",
                memory.len(),
                memory.as_ptr()
            )
        })
    }

    /// Writes the dirty lines of `memory` (mapping `i`, offset `off`) to RDRAM: a line with
    /// one CPU-written byte is written whole, as the hardware writes a dirty line (a partial
    /// line at either end of `memory`: its part inside `memory`).
    fn write_dirty(&mut self, i: usize, off: usize, memory: &[u8]) {
        let m = &mut self.maps[i];
        let at = m.rdram as usize + off;
        let rdram = self.rsp.rdram_mut();
        let mut k = 0;
        while k < memory.len() {
            // This line's part of `memory`: up to the next line boundary in RDRAM.
            let end = (k + LINE - (at + k) % LINE).min(memory.len());
            let part = &memory[k..end];
            let agreed = &mut m.agreed[off + k..off + end];
            if part != &agreed[..] {
                rdram[at + k..at + end].copy_from_slice(part);
                agreed.copy_from_slice(part);
            }
            k = end;
        }
    }

    /// Drops the lines of `memory` (whole lines: checked by the caller): the CPU reads RDRAM.
    fn drop_lines(&mut self, i: usize, off: usize, memory: &mut [u8]) {
        let m = &mut self.maps[i];
        let at = m.rdram as usize + off;
        let rdram = &self.rsp.rdram()[at..at + memory.len()];
        memory.copy_from_slice(rdram);
        m.agreed[off..off + memory.len()].copy_from_slice(rdram);
    }

    /// Everything logged since the last [`SimRsp::take_events`].
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Returns and clears the log.
    pub fn take_events(&mut self) -> Vec<Event> {
        core::mem::take(&mut self.events)
    }

    /// The simulator (statistics, DMEM, RDRAM as the RSP sees it).
    pub fn rsp(&self) -> &Rsp {
        &self.rsp
    }

    /// The simulator, mutable (to install a tracer).
    pub fn rsp_mut(&mut self) -> &mut Rsp {
        &mut self.rsp
    }

    /// The simulator error that crashed the RSP, if one did.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Lets `cycles` RSP cycles pass (the RSP runs if it was started).
    pub fn let_time_pass(&mut self, cycles: u64) {
        if let Err(e) = self.rsp.advance(cycles) {
            // A real RSP does not report errors; it is stuck. Stop it so the CPU sees a halt
            // without BREAK, and keep the reason for the test's message.
            self.error = Some(e.to_string());
            let _ = self.rsp.cpu_write(SpReg::Status, status_write::SET_HALT);
        }
    }

    /// Moves the tick counter on by `ticks` with the simulated RSP frozen: a gap between two
    /// polls far longer than simulating it would allow (the scheduler's deadline arithmetic
    /// across the 32-bit counter's wrap). Only the clock moves.
    pub fn skip_ticks(&mut self, ticks: u64) {
        self.skipped += ticks;
    }

    fn log(&mut self, event: Event) {
        self.events.push(event);
    }
}

impl RspHardware for SimRsp {
    fn sp_status(&mut self) -> u32 {
        self.let_time_pass(self.cycles_per_poll);
        self.rsp.cpu_read(SpReg::Status)
    }

    fn write_sp_status(&mut self, bits: u32) {
        self.log(Event::StatusWrite(bits));
        // Status writes never start a DMA, so they cannot fail.
        let _ = self.rsp.cpu_write(SpReg::Status, bits);
    }

    fn sp_pc(&mut self) -> u32 {
        self.rsp.pc()
    }

    fn set_sp_pc(&mut self, pc: u32) {
        self.log(Event::SetPc(pc));
        self.rsp.set_pc(pc);
    }

    fn sp_interrupt(&mut self) -> bool {
        self.let_time_pass(self.cycles_per_poll);
        self.rsp.sp_interrupt()
    }

    fn write_dmem(&mut self, addr: usize, bytes: &[u8]) {
        self.log(Event::DmemWrite {
            addr,
            len: bytes.len(),
        });
        // The scheduler checked the range.
        let _ = self.rsp.load_dmem(addr as u32, bytes);
    }

    fn read_dmem(&mut self, addr: usize, out: &mut [u8]) {
        self.log(Event::DmemRead {
            addr,
            len: out.len(),
        });
        let dmem = self.rsp.dmem();
        if let Some(src) = dmem.get(addr..addr + out.len()) {
            out.copy_from_slice(src);
        }
    }

    fn write_imem(&mut self, addr: usize, bytes: &[u8]) {
        self.log(Event::ImemWrite {
            addr,
            len: bytes.len(),
        });
        let _ = self.rsp.load_imem(addr as u32, bytes);
    }

    fn rdram_address(&self, memory: &[u8]) -> Option<u32> {
        self.range_of(memory).map(|(at, _)| at as u32)
    }

    fn writeback(&mut self, memory: &[u8]) {
        let (i, off) = self.cached("writeback", memory);
        self.log(Event::Writeback {
            rdram: self.maps[i].rdram + off as u32,
            len: memory.len(),
        });
        self.write_dirty(i, off, memory);
    }

    fn writeback_invalidate(&mut self, memory: &mut [u8]) {
        let (i, off) = self.cached("writeback_invalidate", memory);
        self.log(Event::WritebackInvalidate {
            rdram: self.maps[i].rdram + off as u32,
            len: memory.len(),
        });
        // The dirty lines are written first, so dropping the lines loses nothing: a partial
        // range is as safe here as on the hardware (which rounds it out to whole lines).
        self.write_dirty(i, off, memory);
        self.drop_lines(i, off, memory);
    }

    fn invalidate(&mut self, memory: &mut [u8]) {
        let (i, off) = self.cached("invalidate", memory);
        let rdram = self.maps[i].rdram + off as u32;
        assert!(
            rdram as usize % LINE == 0 && memory.len() % LINE == 0,
            "SimRsp: invalidate of RDRAM {rdram:#x}..{:#x} is not whole {LINE}-byte lines: the hardware would drop the rest of each partial line too",
            rdram as usize + memory.len()
        );
        self.log(Event::Invalidate {
            rdram,
            len: memory.len(),
        });
        // A line still dirty here was evicted while the RSP ran: its bytes land over RDRAM
        // (the RSP's result) before the line is dropped.
        self.write_dirty(i, off, memory);
        self.drop_lines(i, off, memory);
    }

    fn now_ticks(&mut self) -> u32 {
        (self.rsp.stats().cycles + self.skipped) as u32
    }

    fn ticks_per_second(&self) -> u32 {
        RSP_HZ
    }
}
