//! Harness for the token program's kernels: command lists with the overlay block, DMEM homes
//! filled and read back by DMA commands, and the KV cache layout written from its description
//! in rsp/attend.inc (independently of the ucode) so tests can fill and read caches.
#![allow(dead_code)]

use crate::common::{run_sim, run_z64, Finished};
use rspnn_ucode::image::read_i16s;
use rspnn_ucode::layout::{ACT, CMDBUF_BYTES};
use rspnn_ucode::program::place_overlays;
use rspnn_ucode::{Command, RdramImage};

/// RDRAM for one kernel test (weights of the largest test matrices fit).
pub const IMAGE_BYTES: usize = 1 << 20;

/// A command list under construction: an RDRAM image (the overlay block first, then whatever
/// the test places, 16-aligned) and the commands after OVERLAYS.
pub struct Job {
    pub buf: Vec<u8>,
    pub commands: Vec<Command>,
}

impl Job {
    /// An image holding the overlay block, and a list that starts with OVERLAYS.
    pub fn new() -> Job {
        let mut buf = vec![0u8; IMAGE_BYTES];
        let mut img = RdramImage::new(&mut buf, 0).unwrap();
        let ovl = place_overlays(&mut img).unwrap();
        let used = img.len();
        buf.truncate(used);
        Job { buf, commands: vec![Command::Overlays { rdram: ovl }] }
    }

    /// Places bytes (16-aligned); returns their address.
    pub fn put_bytes(&mut self, b: &[u8]) -> u32 {
        let at = self.buf.len().div_ceil(16) * 16;
        self.buf.resize(at, 0);
        self.buf.extend_from_slice(b);
        at as u32
    }

    /// Places int16 values big-endian; returns their address.
    pub fn put_i16s(&mut self, v: &[i16]) -> u32 {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_be_bytes()).collect();
        self.put_bytes(&bytes)
    }

    /// Reserves zeroed bytes; returns their address.
    pub fn reserve(&mut self, n: usize) -> u32 {
        self.put_bytes(&vec![0u8; n])
    }

    /// DMA_IN of `v` into DMEM `dmem`.
    pub fn load(&mut self, dmem: usize, v: &[i16]) {
        let at = self.put_i16s(v);
        self.commands.push(Command::DmaIn { dmem: dmem as u16, len: (2 * v.len()) as u16, rdram: at });
    }

    /// DMA_OUT of `n` int16 at DMEM `dmem`; returns where they land.
    pub fn store(&mut self, dmem: usize, n: usize) -> Out {
        let len = (2 * n).div_ceil(8) * 8;
        let at = self.reserve(len);
        self.commands.push(Command::DmaOut { dmem: dmem as u16, len: len as u16, rdram: at });
        Out { at, n }
    }

    pub fn push(&mut self, c: Command) {
        self.commands.push(c);
    }

    /// The image and the command list's address (commands unchecked: tests feed bad ones too),
    /// padded with END to the dispatcher's 64-byte fetch.
    pub fn finish(mut self) -> (Vec<u8>, u32) {
        let mut bytes: Vec<u8> = self.commands.iter().flat_map(|c| c.encode()).collect();
        bytes.extend_from_slice(&Command::End.encode());
        bytes.resize(bytes.len().div_ceil(CMDBUF_BYTES) * CMDBUF_BYTES, 0);
        let list = self.put_bytes(&bytes);
        (self.buf, list)
    }

    pub fn run_sim(self) -> Finished {
        let (rdram, list) = self.finish();
        run_sim(rdram, list)
    }

    pub fn run_z64(self) -> Finished {
        let (rdram, list) = self.finish();
        run_z64(&rdram, list)
    }
}

/// Where a DMA_OUT put its values.
#[derive(Clone, Copy)]
pub struct Out {
    pub at: u32,
    pub n: usize,
}

impl Out {
    pub fn read(&self, f: &Finished) -> Vec<i16> {
        let mut v = vec![0i16; self.n];
        assert!(read_i16s(&f.rdram, 0, self.at, &mut v));
        v
    }
}

/// DMEM home `i` of `bytes` each, from the start of the activation area.
pub fn home(offset: usize) -> usize {
    ACT + offset
}

/// The KV cache layout of one layer (rsp/attend.inc "Cache layout"), written here from that
/// description: K transposed per head (head h, group g, dimension d: 8 slots), V by 8
/// dimensions (run ov, slot j: 8 dimensions).
pub struct KvLayout {
    pub d_model: usize,
    pub heads: usize,
    pub ctx: usize,
}

impl KvLayout {
    pub fn ctx8(&self) -> usize {
        self.ctx.div_ceil(8) * 8
    }
    pub fn hd(&self) -> usize {
        self.d_model / self.heads
    }
    pub fn bytes(&self) -> usize {
        4 * self.ctx8() * self.d_model
    }
    /// Byte offset of k[slot][dim].
    pub fn k_at(&self, slot: usize, dim: usize) -> usize {
        let (hd, h, d) = (self.hd(), dim / self.hd(), dim % self.hd());
        h * 2 * self.ctx8() * hd + (slot / 8) * 16 * hd + 16 * d + 2 * (slot % 8)
    }
    /// Byte offset of v[slot][dim].
    pub fn v_at(&self, slot: usize, dim: usize) -> usize {
        2 * self.ctx8() * self.d_model + (dim / 8) * 16 * self.ctx8() + 16 * slot + 2 * (dim % 8)
    }
    /// A cache image with k[slot] and v[slot] for every slot given.
    pub fn write(&self, bytes: &mut [u8], k: &[Vec<i16>], v: &[Vec<i16>]) {
        for (slot, (ks, vs)) in k.iter().zip(v).enumerate() {
            for dim in 0..self.d_model {
                let a = self.k_at(slot, dim);
                bytes[a..a + 2].copy_from_slice(&ks[dim].to_be_bytes());
                let b = self.v_at(slot, dim);
                bytes[b..b + 2].copy_from_slice(&vs[dim].to_be_bytes());
            }
        }
    }
    /// k[slot] and v[slot] read back from a cache image.
    pub fn read(&self, bytes: &[u8], slot: usize) -> (Vec<i16>, Vec<i16>) {
        let get = |a: usize| i16::from_be_bytes([bytes[a], bytes[a + 1]]);
        let k = (0..self.d_model).map(|d| get(self.k_at(slot, d))).collect();
        let v = (0..self.d_model).map(|d| get(self.v_at(slot, d))).collect();
        (k, v)
    }
}
