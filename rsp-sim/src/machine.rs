//! The simulator object and its host-side API (memories, registers, the CPU's view of the SP
//! registers). Execution lives in `exec.rs`.

use crate::dma::{DmaEngine, Request};
use crate::error::{RecentInstr, SimError};
use crate::icache::ICache;
use crate::mem::{Mem4K, MEM_SIZE};
use crate::pipeline::Pipeline;
use crate::sp::{SpFlags, SpReg};
use crate::stats::Stats;
use crate::trace::Tracer;
use crate::vu::VectorUnit;

/// Number of recently executed PCs kept for error reports.
pub(crate) const RECENT: usize = 16;

/// What a poll of a busy resource is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollKind {
    Dma,
    Semaphore,
}

/// A poll that found its resource busy and has not yet seen it free.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Poll {
    pub kind: PollKind,
    pub pc: u32,
    pub since: u64,
}

/// A simulated RSP with its DMEM, IMEM, SP registers, DMA engine and an RDRAM buffer.
pub struct Rsp {
    pub(crate) gpr: [u32; 32],
    /// Address of the next instruction.
    pub(crate) pc: u32,
    /// Address of the one after it (a branch target while `pc` is a delay slot).
    pub(crate) next_pc: u32,
    /// Set by a taken branch: its target, charged after the delay slot's group.
    pub(crate) branch_taken: Option<u32>,
    pub(crate) vu: VectorUnit,
    pub(crate) dmem: Mem4K,
    pub(crate) imem: Mem4K,
    pub(crate) icache: ICache,
    pub(crate) rdram: Vec<u8>,
    pub(crate) sp: SpFlags,
    pub(crate) dma: DmaEngine,
    /// DP command registers (COP0 8..15); no RDP is simulated.
    pub(crate) dp: [u32; 8],
    pub(crate) pipeline: Pipeline,
    pub(crate) stats: Stats,
    pub(crate) recent: [u16; RECENT],
    pub(crate) recent_pos: usize,
    pub(crate) poll: Option<Poll>,
    pub(crate) tracer: Option<Tracer>,
}

impl Default for Rsp {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for Rsp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Rsp")
            .field("pc", &self.pc)
            .field("gpr", &self.gpr)
            .field("sp", &self.sp)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn check_range(what: &'static str, addr: u64, len: usize, size: usize) -> Result<(), SimError> {
    if addr + len as u64 > size as u64 {
        return Err(SimError::OutOfRange {
            what,
            addr,
            len,
            size,
        });
    }
    Ok(())
}

impl Rsp {
    /// A halted RSP after reset: all registers and memories zero, PC 0, no RDRAM.
    pub fn new() -> Rsp {
        Rsp {
            gpr: [0; 32],
            pc: 0,
            next_pc: 4,
            branch_taken: None,
            vu: VectorUnit::default(),
            dmem: Mem4K::new(),
            imem: Mem4K::new(),
            icache: ICache::new(),
            rdram: Vec::new(),
            sp: SpFlags::default(),
            dma: DmaEngine::default(),
            dp: [0; 8],
            pipeline: Pipeline::default(),
            stats: Stats::default(),
            recent: [0; RECENT],
            recent_pos: 0,
            poll: None,
            tracer: None,
        }
    }

    /// A reset RSP with `rdram` as main memory (big-endian bytes, as the N64 stores them).
    pub fn with_rdram(rdram: Vec<u8>) -> Rsp {
        let mut rsp = Rsp::new();
        rsp.rdram = rdram;
        rsp
    }

    // ----- memories -------------------------------------------------------------------

    /// Copies `bytes` into IMEM at `addr` (0..4096, no wrap) and re-decodes those words.
    pub fn load_imem(&mut self, addr: u32, bytes: &[u8]) -> Result<(), SimError> {
        check_range("IMEM", addr as u64, bytes.len(), MEM_SIZE)?;
        self.imem.write_bytes(addr, bytes);
        self.icache
            .refresh(self.imem.bytes(), addr, bytes.len() as u32);
        Ok(())
    }

    /// Copies `bytes` into DMEM at `addr` (0..4096, no wrap).
    pub fn load_dmem(&mut self, addr: u32, bytes: &[u8]) -> Result<(), SimError> {
        check_range("DMEM", addr as u64, bytes.len(), MEM_SIZE)?;
        self.dmem.write_bytes(addr, bytes);
        Ok(())
    }

    /// All of DMEM.
    pub fn dmem(&self) -> &[u8; MEM_SIZE] {
        self.dmem.bytes()
    }

    /// All of IMEM.
    pub fn imem(&self) -> &[u8; MEM_SIZE] {
        self.imem.bytes()
    }

    /// Big-endian word of DMEM at `addr` (wrapping, any alignment).
    pub fn dmem_u32(&self, addr: u32) -> u32 {
        self.dmem.read_u32(addr)
    }

    /// The RDRAM buffer.
    pub fn rdram(&self) -> &[u8] {
        &self.rdram
    }

    /// The RDRAM buffer, writable.
    pub fn rdram_mut(&mut self) -> &mut Vec<u8> {
        &mut self.rdram
    }

    /// Replaces the RDRAM buffer.
    pub fn set_rdram(&mut self, rdram: Vec<u8>) {
        self.rdram = rdram;
    }

    // ----- registers ------------------------------------------------------------------

    /// GPR `r` (0..31; higher numbers are masked).
    pub fn gpr(&self, r: u8) -> u32 {
        self.gpr[(r & 31) as usize]
    }

    /// Sets GPR `r`; writes to `$zero` are ignored.
    pub fn set_gpr(&mut self, r: u8, value: u32) {
        self.gpr[(r & 31) as usize] = value;
        self.gpr[0] = 0;
    }

    /// The vector unit's state (registers, accumulator, flags).
    pub fn vu(&self) -> &VectorUnit {
        &self.vu
    }

    /// The vector unit's state, writable.
    pub fn vu_mut(&mut self) -> &mut VectorUnit {
        &mut self.vu
    }

    /// The PC (SP_PC): address of the next instruction.
    pub fn pc(&self) -> u32 {
        self.pc
    }

    /// Sets SP_PC (12 bits, word aligned), as the CPU does before starting the RSP.
    pub fn set_pc(&mut self, pc: u32) {
        self.pc = pc & 0xFFC;
        self.next_pc = (self.pc + 4) & 0xFFC;
        self.branch_taken = None;
        self.poll = None;
    }

    /// The DP command register `n` (COP0 8 + n); reads of DPC_CLOCK give the cycle count.
    pub fn dp_reg(&self, n: u8) -> u32 {
        self.read_dp(n & 7)
    }

    pub(crate) fn read_dp(&self, n: u8) -> u32 {
        match n & 7 {
            // DPC_CLOCK: a 24-bit RCP clock (RSP-FACTS "Timing").
            4 => (self.stats.cycles & 0x00FF_FFFF) as u32,
            // DPC_BUFBUSY, DPC_PIPEBUSY: no RDP, never busy.
            5 | 6 => 0,
            k => self.dp[k as usize],
        }
    }

    pub(crate) fn write_dp(&mut self, n: u8, value: u32) {
        match n & 7 {
            // DPC_START / DPC_END: no RDP is simulated, so a command list is consumed at once
            // and DPC_CURRENT follows DPC_END.
            0 => {
                self.dp[0] = value & 0x00FF_FFF8;
                self.dp[2] = self.dp[0];
            }
            1 => {
                self.dp[1] = value & 0x00FF_FFF8;
                self.dp[2] = self.dp[1];
            }
            // DPC_STATUS: only the XBUS (command list in DMEM) flag is kept: bit 0 clears it,
            // bit 1 sets it; it reads back in bit 0 (n64brew "Reality Display Processor").
            3 => {
                if value & 1 != 0 {
                    self.dp[3] &= !1;
                }
                if value & 2 != 0 {
                    self.dp[3] |= 1;
                }
            }
            _ => {}
        }
    }

    // ----- statistics -----------------------------------------------------------------

    /// Counters since creation or the last [`Rsp::reset_stats`].
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Zeroes the counters (the cycle count included).
    pub fn reset_stats(&mut self) {
        self.stats = Stats::default();
        self.dma.stats = Default::default();
        self.poll = None;
    }

    /// The last executed instructions, oldest first (at most 16).
    pub fn recent_instructions(&self) -> Vec<RecentInstr> {
        let count = (self.stats.instructions as usize).min(RECENT);
        (0..count)
            .map(|k| {
                let idx = (self.recent_pos + RECENT - count + k) % RECENT;
                let pc = self.recent[idx] as u32;
                let slot = self.icache.slot(pc);
                let text = match &slot.instr {
                    Ok(i) => i.at(pc).to_string(),
                    Err(e) => e.to_string(),
                };
                RecentInstr {
                    pc,
                    word: slot.word,
                    text,
                }
            })
            .collect()
    }

    // ----- the CPU's view -------------------------------------------------------------

    /// SP_STATUS without side effects.
    pub fn status(&self) -> u32 {
        self.sp.read(self.dma.busy(), self.dma.full())
    }

    /// True when the RSP is halted.
    pub fn is_halted(&self) -> bool {
        self.sp.halt
    }

    /// The SP interrupt line (raised by BREAK with interrupt-on-break, or a status write).
    pub fn sp_interrupt(&self) -> bool {
        self.sp.interrupt
    }

    /// A CPU read of an SP register (reading SP_SEMAPHORE sets it).
    pub fn cpu_read(&mut self, reg: SpReg) -> u32 {
        self.read_sp_reg(reg)
    }

    /// A CPU write of an SP register. Writing a length register starts (or queues) a DMA; it
    /// fails if the DMA would leave the RDRAM buffer.
    pub fn cpu_write(&mut self, reg: SpReg, value: u32) -> Result<(), SimError> {
        self.write_sp_reg(reg, value, None)
    }

    pub(crate) fn read_sp_reg(&mut self, reg: SpReg) -> u32 {
        match reg {
            SpReg::MemAddr => self.dma.read_mem_addr(),
            SpReg::DramAddr => self.dma.read_dram_addr(),
            SpReg::RdLen | SpReg::WrLen => self.dma.read_length(),
            SpReg::Status => self.status(),
            SpReg::DmaFull => self.dma.full() as u32,
            SpReg::DmaBusy => self.dma.busy() as u32,
            SpReg::Semaphore => {
                let v = self.sp.semaphore as u32;
                self.sp.semaphore = true;
                v
            }
        }
    }

    pub(crate) fn write_sp_reg(
        &mut self,
        reg: SpReg,
        value: u32,
        pc: Option<u32>,
    ) -> Result<(), SimError> {
        match reg {
            SpReg::MemAddr => self.dma.write_mem_addr(value),
            SpReg::DramAddr => self.dma.write_dram_addr(value),
            SpReg::RdLen | SpReg::WrLen => {
                let request = Request::new(
                    self.dma.mem_addr,
                    self.dma.dram_addr,
                    value,
                    reg == SpReg::WrLen,
                );
                if request.dram_end() > self.rdram.len() as u64 {
                    return Err(SimError::DmaOutOfRange {
                        pc,
                        dram_addr: request.dram_addr,
                        dram_end: request.dram_end(),
                        rdram_len: self.rdram.len(),
                    });
                }
                self.dma.submit(request, self.stats.cycles);
            }
            SpReg::Status => self.sp.write(value),
            SpReg::DmaFull | SpReg::DmaBusy => {}
            SpReg::Semaphore => self.sp.semaphore = false,
        }
        Ok(())
    }

    /// Lets the DMA engine finish every transfer (queued included), advancing the clock while
    /// the RSP stays as it is; like a CPU waiting on SP_DMA_BUSY. Returns the cycles waited.
    pub fn wait_dma_idle(&mut self) -> u64 {
        let start = self.stats.cycles;
        while self.dma.busy() {
            let t = self.dma.next_event();
            if t > self.stats.cycles {
                if self.sp.halt {
                    self.stats.halted_cycles += t - self.stats.cycles;
                }
                self.stats.cycles = t;
            }
            self.dma_advance();
        }
        self.stats.cycles - start
    }

    /// Performs every DMA row due by now.
    pub(crate) fn dma_advance(&mut self) {
        while self.dma.next_event() <= self.stats.cycles {
            let Some(row) = self.dma.complete_row() else {
                break;
            };
            let imem = row.sp_addr & 0x1000 != 0;
            let base = row.dram_addr as usize;
            let len = row.bytes as usize;
            // The range was checked when the transfer was requested.
            if base + len > self.rdram.len() {
                continue;
            }
            let mem = if imem { &mut self.imem } else { &mut self.dmem };
            if row.to_rdram {
                mem.read_bytes(row.sp_addr & 0xFFF, &mut self.rdram[base..base + len]);
            } else {
                mem.write_bytes(row.sp_addr & 0xFFF, &self.rdram[base..base + len]);
                if imem {
                    self.icache
                        .refresh(self.imem.bytes(), row.sp_addr & 0xFFF, row.bytes);
                }
            }
        }
        self.stats.dma = self.dma.stats;
    }
}
