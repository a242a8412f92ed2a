//! Test helpers: a scheduler over rsp-sim with a mapped workspace, random matrices, the oracle.
#![allow(dead_code)]

use kernels::matvec::{matvec, BlockMatrix, WeightBits};
use rspnn::sim::SimRsp;
use rspnn::{Completion, Config, Scheduler, Ucode};
use rspnn_ucode::ucode::imem;
use std::cell::RefCell;
use std::rc::Rc;

/// RDRAM of the simulated machine, and where the test puts things in it.
pub const RDRAM_BYTES: usize = 1 << 20;
pub const WORKSPACE_RDRAM: u32 = 0x1_0000;
pub const SHARED_RDRAM: u32 = 0x8_0000;

/// A leaked, zeroed buffer: the scheduler wants `&'static mut` memory, as a ROM's static.
pub fn leak(len: usize) -> &'static mut [u8] {
    Box::leak(vec![0u8; len].into_boxed_slice())
}

/// A scheduler over a fresh simulated RSP with a `len`-byte workspace at [`WORKSPACE_RDRAM`],
/// the rspnn ucode loaded, a 10 ms deadline.
pub fn scheduler(len: usize, completion: Completion) -> Scheduler<SimRsp> {
    let mut sim = SimRsp::new(RDRAM_BYTES);
    let ws = leak(len);
    sim.map(ws, WORKSPACE_RDRAM).expect("workspace maps");
    let config =
        Config::with_deadline_micros(&sim, 10_000, completion).expect("10 ms is a deadline");
    let mut s = Scheduler::new(sim, ws, config).expect("workspace accepted");
    s.load_ucode(&Ucode::RSPNN).expect("ucode loads");
    s
}

/// A small seeded generator (64-bit LCG, Knuth's MMIX constants).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u32() as u8).collect()
    }
    /// Uniform in -m..=m.
    pub fn i16_within(&mut self, m: i32) -> i16 {
        (self.next_u32() % (2 * m as u32 + 1)) as i32 as i16 - m as i16
    }
}

/// Random block records: every byte pattern is a valid record (int8/int4 codes, u16 scales).
pub fn random_records(rng: &mut Lcg, bits: WeightBits, rows: usize, cols: usize) -> Vec<u8> {
    let per = if bits == WeightBits::Q8 { 272 } else { 144 };
    rng.bytes(rows / 8 * cols / 32 * per)
}

/// The oracle: `kernels::matvec` through the chain.
pub fn chain_oracle(matrices: &[BlockMatrix<'_>], x: &[i16]) -> Vec<i16> {
    let mut v = x.to_vec();
    for m in matrices {
        let mut y = vec![0i16; m.rows()];
        matvec(m, &v, &mut y).expect("oracle accepts the matrix");
        v = y;
    }
    v
}

pub fn be_i16s(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_be_bytes([b[0], b[1]]))
        .collect()
}

/// An RDRAM -> SP memory request, tagged with the command that made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaRead {
    pub command: usize,
    pub sp: u32,
    pub rdram: u32,
    pub len: u32,
}

/// Records every SP DMA read of a run (MTC0 to COP0 0/1/2, RSP-FACTS "Encodings"), tagged with
/// the index of the command running: the dispatcher passes `cmd_dispatch` once per command.
pub fn record_dma_reads(rsp: &mut rsp_sim::Rsp) -> Rc<RefCell<Vec<DmaRead>>> {
    let reads = Rc::new(RefCell::new(Vec::new()));
    let sink = reads.clone();
    let mut gpr: [u32; 32] = std::array::from_fn(|r| rsp.gpr(r as u8));
    let (mut sp, mut dram, mut command) = (0u32, 0u32, usize::MAX);
    rsp.set_tracer(Some(Box::new(move |rec: &rsp_sim::TraceRecord| {
        if rec.pc == imem::cmd_dispatch {
            command = command.wrapping_add(1);
        }
        let w = rec.word;
        if w >> 26 == 0x10 && (w >> 21) & 31 == 4 {
            let value = gpr[((w >> 16) & 31) as usize];
            match (w >> 11) & 31 {
                0 => sp = value & 0x1FF8,
                1 => dram = value & 0x00FF_FFF8,
                2 => sink.borrow_mut().push(DmaRead {
                    command,
                    sp,
                    rdram: dram,
                    len: (value & 0xFFF) + 1,
                }),
                _ => {}
            }
        }
        for c in &rec.changes {
            if let rsp_sim::Change::Gpr { reg, value } = c {
                gpr[*reg as usize] = *value;
            }
        }
    })));
    reads
}
