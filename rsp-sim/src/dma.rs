//! The SP DMA engine: RDRAM <-> DMEM/IMEM, one transfer running and one queued.
//!
//! RSP-FACTS.md "Timing": 8-byte aligned addresses; the length register holds bytes-1 in bits
//! 0..11, count-1 in bits 12..19 and the RDRAM skip between rows in bits 20..31; one transfer may
//! be queued behind the running one (SP_DMA_FULL), SP_DMA_BUSY is set while one runs. Register
//! masks (address bits 3..11 plus the IMEM select bit 12, RDRAM address bits 3..23, the low three
//! bits of length and skip ignored so a row is a whole number of 8-byte units) and the register
//! read-back values follow ares `n64/rsp/io.cpp` and `dma.cpp`; a length write while a transfer
//! is already queued replaces the queued one, as there.
//!
//! Time: RSP-FACTS "Timing" gives the measured RDRAM <-> DMEM cost as 0.2724 CPU cycles per byte
//! plus about 41 CPU cycles (93.75 MHz CPU clock); the RSP runs at 62.5 MHz, so one CPU cycle is
//! 2/3 of an RSP cycle. Each row of a transfer is charged the fixed cost plus its bytes (the
//! measurement was of single-row transfers; a row restarts the RDRAM access because of the skip).
//! Data lands when its row completes.

/// RSP cycles one DMA row of `bytes` bytes takes: ceil((41 + 0.2724 * bytes) * 2 / 3).
pub fn row_cycles(bytes: u32) -> u64 {
    // In units of 1/10000 CPU cycle: 41 -> 410_000, 0.2724/byte -> 2_724/byte.
    let cpu_e4 = 410_000u64 + 2_724 * bytes as u64;
    (cpu_e4 * 2).div_ceil(30_000)
}

/// One transfer as requested by a length-register write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    /// DMEM/IMEM address, bits 3..11, plus bit 12 = IMEM.
    pub sp_addr: u32,
    /// RDRAM address, bits 3..23.
    pub dram_addr: u32,
    /// Bytes per row (a multiple of 8, 8..4096).
    pub row_bytes: u32,
    /// Rows (1..256).
    pub rows: u32,
    /// RDRAM bytes skipped after each row (a multiple of 8).
    pub skip: u32,
    /// Direction: true = DMEM/IMEM -> RDRAM (SP_WR_LEN).
    pub to_rdram: bool,
    /// The length register value as written.
    pub length_reg: u32,
}

impl Request {
    /// The request a write of `length_reg` makes with the address registers as they are.
    pub fn new(sp_addr: u32, dram_addr: u32, length_reg: u32, to_rdram: bool) -> Request {
        Request {
            sp_addr: sp_addr & 0x1FF8,
            dram_addr: dram_addr & 0x00FF_FFF8,
            row_bytes: (length_reg & 0xFF8) + 8,
            rows: ((length_reg >> 12) & 0xFF) + 1,
            skip: (length_reg >> 20) & 0xFF8,
            to_rdram,
            length_reg,
        }
    }

    /// One past the last RDRAM byte the transfer touches.
    pub fn dram_end(&self) -> u64 {
        self.dram_addr as u64
            + (self.rows as u64 - 1) * (self.row_bytes as u64 + self.skip as u64)
            + self.row_bytes as u64
    }
}

/// The transfer being performed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Active {
    pub request: Request,
    /// Rows still to complete, including the current one.
    pub rows_left: u32,
    /// Current DMEM/IMEM and RDRAM addresses.
    pub sp_addr: u32,
    pub dram_addr: u32,
    /// The cycle the current row completes.
    pub row_done_at: u64,
    /// The cycle the transfer started.
    pub started_at: u64,
}

/// DMA counters for [`crate::Stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmaStats {
    /// Transfers completed.
    pub transfers: u64,
    /// Bytes moved by completed rows.
    pub bytes: u64,
    /// Cycles during which a transfer was running.
    pub busy_cycles: u64,
}

/// The engine's registers and queue.
#[derive(Clone, Debug, Default)]
pub(crate) struct DmaEngine {
    /// SP_MEM_ADDR and SP_DRAM_ADDR as the next request will use them / as read back.
    pub mem_addr: u32,
    pub dram_addr: u32,
    /// True when the RSP or CPU wrote an address register after the last length write: the
    /// values are then the next request's, and a transfer that completes in the meantime must
    /// not replace them with its end address (ares `n64/rsp/io.cpp` writes a separate pending
    /// register set that completion never touches; queueing a DMA while one runs, as
    /// libdragon's DMA macros do, depends on it).
    pub addr_written: bool,
    /// SP_RD_LEN / SP_WR_LEN as read back when idle.
    pub length_readback: u32,
    pub active: Option<Active>,
    pub queued: Option<Request>,
    pub stats: DmaStats,
}

/// A row ready to be copied, produced by [`DmaEngine::complete_row`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    pub sp_addr: u32,
    pub dram_addr: u32,
    pub bytes: u32,
    pub to_rdram: bool,
}

impl DmaEngine {
    pub fn busy(&self) -> bool {
        self.active.is_some()
    }

    pub fn full(&self) -> bool {
        self.queued.is_some()
    }

    /// The cycle of the next row completion (`u64::MAX` when idle).
    #[inline(always)]
    pub fn next_event(&self) -> u64 {
        match &self.active {
            Some(a) => a.row_done_at,
            None => u64::MAX,
        }
    }

    /// Accepts a request at cycle `now`: it starts if the engine is idle, otherwise it waits in
    /// the queue (replacing a queued one).
    pub fn submit(&mut self, request: Request, now: u64) {
        self.addr_written = false;
        if self.active.is_none() {
            self.start(request, now);
        } else {
            self.queued = Some(request);
        }
    }

    fn start(&mut self, request: Request, now: u64) {
        self.active = Some(Active {
            request,
            rows_left: request.rows,
            sp_addr: request.sp_addr,
            dram_addr: request.dram_addr,
            row_done_at: now + row_cycles(request.row_bytes),
            started_at: now,
        });
    }

    /// Completes the current row (the caller copies it), advancing to the next row or the
    /// queued transfer. Call only when `next_event() <= now`.
    pub fn complete_row(&mut self) -> Option<Row> {
        let a = self.active.as_mut()?;
        let r = a.request;
        let row = Row {
            sp_addr: a.sp_addr,
            dram_addr: a.dram_addr,
            bytes: r.row_bytes,
            to_rdram: r.to_rdram,
        };
        let done_at = a.row_done_at;
        self.stats.bytes += r.row_bytes as u64;
        a.rows_left -= 1;
        // The DMEM/IMEM side advances contiguously and wraps inside the selected memory.
        a.sp_addr = (a.sp_addr & 0x1000) | ((a.sp_addr + r.row_bytes) & 0xFF8);
        a.dram_addr = (a.dram_addr + r.row_bytes) & 0x00FF_FFF8;
        if a.rows_left > 0 {
            a.dram_addr = (a.dram_addr + r.skip) & 0x00FF_FFF8;
            a.row_done_at = done_at + row_cycles(r.row_bytes);
        } else {
            self.stats.transfers += 1;
            self.stats.busy_cycles += done_at - a.started_at;
            if !self.addr_written {
                self.mem_addr = a.sp_addr;
                self.dram_addr = a.dram_addr;
            }
            // ares leaves 0xFF8 in the length field after a transfer.
            self.length_readback = (r.length_reg & 0xFFF0_0000) | 0xFF8;
            self.active = None;
            if let Some(next) = self.queued.take() {
                self.start(next, done_at);
            }
        }
        Some(row)
    }

    /// A write of SP_MEM_ADDR (masked as the register keeps it).
    pub fn write_mem_addr(&mut self, value: u32) {
        self.mem_addr = value & 0x1FF8;
        self.addr_written = true;
    }

    /// A write of SP_DRAM_ADDR.
    pub fn write_dram_addr(&mut self, value: u32) {
        self.dram_addr = value & 0x00FF_FFF8;
        self.addr_written = true;
    }

    /// The value SP_MEM_ADDR / SP_DRAM_ADDR / the length registers read back.
    pub fn read_mem_addr(&self) -> u32 {
        match &self.active {
            Some(a) => a.sp_addr,
            None => self.mem_addr,
        }
    }

    pub fn read_dram_addr(&self) -> u32 {
        match &self.active {
            Some(a) => a.dram_addr,
            None => self.dram_addr,
        }
    }

    pub fn read_length(&self) -> u32 {
        match &self.active {
            Some(a) => (a.request.length_reg & 0xFFF0_0FFF) | ((a.rows_left - 1) & 0xFF) << 12,
            None => self.length_readback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_time_follows_the_measured_rate() {
        // 4096 bytes: (41 + 0.2724 * 4096) CPU cycles = 1156.75 -> 771.2 RSP cycles -> 772.
        assert_eq!(row_cycles(4096), 772);
        // 8 bytes: (41 + 2.1792) * 2/3 = 28.79 -> 29.
        assert_eq!(row_cycles(8), 29);
    }

    #[test]
    fn length_register_fields() {
        let r = Request::new(0x1234, 0x0080_0007, 0x0100_30FF, false);
        assert_eq!(r.sp_addr, 0x1230);
        assert_eq!(r.dram_addr, 0x0080_0000);
        assert_eq!(r.row_bytes, 0x100);
        assert_eq!(r.rows, 4);
        assert_eq!(r.skip, 0x010);
        assert_eq!(r.dram_end(), 0x0080_0000 + 3 * 0x110 + 0x100);
    }

    #[test]
    fn addresses_written_during_a_transfer_survive_its_completion() {
        // Transfer A (ends at DMEM 0x1000, which wraps to 0) runs; the ucode writes the next
        // request's addresses; A completes before the length write. The next request must use
        // the written addresses, not A's end address.
        let mut d = DmaEngine::default();
        d.submit(Request::new(0xBC0, 0x100, 0x43F, false), 0);
        d.write_mem_addr(0x780);
        d.write_dram_addr(0x2000);
        while d.busy() {
            d.complete_row();
        }
        assert_eq!((d.mem_addr, d.dram_addr), (0x780, 0x2000));
        // Without a write in between, the registers advance as before.
        d.submit(Request::new(d.mem_addr, d.dram_addr, 7, false), 0);
        d.complete_row();
        assert_eq!((d.mem_addr, d.dram_addr), (0x788, 0x2008));
    }

    #[test]
    fn queue_holds_one_and_starts_it_when_the_first_ends() {
        let mut d = DmaEngine::default();
        d.submit(Request::new(0, 0, 7, false), 100);
        d.submit(Request::new(8, 8, 7, false), 101);
        assert!(d.busy() && d.full());
        let first_done = d.next_event();
        assert_eq!(first_done, 100 + row_cycles(8));
        d.complete_row().unwrap();
        assert!(d.busy() && !d.full());
        assert_eq!(d.next_event(), first_done + row_cycles(8));
        d.complete_row().unwrap();
        assert!(!d.busy());
        assert_eq!(d.stats.transfers, 2);
        assert_eq!(d.stats.bytes, 16);
    }
}
