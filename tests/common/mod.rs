//! Test helpers: a scheduler over rsp-sim with a mapped workspace, random matrices, the oracle.
#![allow(dead_code)]

use kernels::matvec::{matvec, BlockMatrix, WeightBits};
use rspnn::sim::SimRsp;
use rspnn::{Completion, Config, Scheduler, Ucode};

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
    let config = Config::with_deadline_micros(&sim, 10_000, completion);
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
