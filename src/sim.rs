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
//!   calls: `writeback` copies the CPU's bytes to RDRAM, `invalidate` copies RDRAM to the CPU's
//!   bytes. A forgotten call leaves one side stale, as a real data cache would.
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

#[derive(Clone, Copy, Debug)]
struct Mapping {
    host: usize,
    len: usize,
    rdram: u32,
}

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
        self.maps.push(Mapping { host, len, rdram });
        Ok(())
    }

    /// The RDRAM range of `memory`, if it lies inside one mapping.
    fn range_of(&self, memory: &[u8]) -> Option<(usize, usize)> {
        let host = memory.as_ptr() as usize;
        self.maps.iter().find_map(|m| {
            let inside = host >= m.host && host + memory.len() <= m.host + m.len;
            inside.then(|| (m.rdram as usize + (host - m.host), memory.len()))
        })
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
        let Some((at, len)) = self.range_of(memory) else {
            return;
        };
        self.log(Event::Writeback {
            rdram: at as u32,
            len,
        });
        self.rsp.rdram_mut()[at..at + len].copy_from_slice(memory);
    }

    fn writeback_invalidate(&mut self, memory: &mut [u8]) {
        let Some((at, len)) = self.range_of(memory) else {
            return;
        };
        self.log(Event::WritebackInvalidate {
            rdram: at as u32,
            len,
        });
        self.rsp.rdram_mut()[at..at + len].copy_from_slice(memory);
    }

    fn invalidate(&mut self, memory: &mut [u8]) {
        let Some((at, len)) = self.range_of(memory) else {
            return;
        };
        self.log(Event::Invalidate {
            rdram: at as u32,
            len,
        });
        memory.copy_from_slice(&self.rsp.rdram()[at..at + len]);
    }

    fn now_ticks(&mut self) -> u32 {
        self.rsp.stats().cycles as u32
    }

    fn ticks_per_second(&self) -> u32 {
        RSP_HZ
    }
}
