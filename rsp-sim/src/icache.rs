//! IMEM pre-decoded: one [`Slot`] per instruction word, rebuilt for exactly the words an IMEM
//! write or DMA touches, so the run loop never decodes.

use crate::pipeline::PipeInfo;
use rsp_isa::{DecodeError, Instr};

/// One pre-decoded IMEM word.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    /// The instruction, or why the word is not one.
    pub instr: Result<Instr, DecodeError>,
    pub word: u32,
    pub info: PipeInfo,
}

/// Decodes a word the way the RSP executes it: `rsp_isa::decode_lenient` ignores the fields
/// the RSP's decoder never reads (and decodes LWU, which the RSP runs as LW).
pub(crate) fn decode_word(word: u32) -> Result<Instr, DecodeError> {
    rsp_isa::decode_lenient(word)
}

impl Slot {
    pub fn new(word: u32) -> Slot {
        let instr = decode_word(word);
        let info = match &instr {
            Ok(i) => PipeInfo::of(i),
            Err(_) => PipeInfo::default(),
        };
        Slot { instr, word, info }
    }
}

/// The pre-decoded IMEM: 1024 slots.
pub(crate) struct ICache {
    slots: Box<[Slot; 1024]>,
}

impl ICache {
    /// All-zero IMEM (every word is NOP).
    pub fn new() -> ICache {
        ICache {
            slots: Box::new([Slot::new(0); 1024]),
        }
    }

    #[inline(always)]
    pub fn slot(&self, pc: u32) -> &Slot {
        &self.slots[((pc >> 2) & 1023) as usize]
    }

    /// Re-decodes the words overlapping IMEM bytes `[addr, addr + len)` (wrapping) from `imem`.
    pub fn refresh(&mut self, imem: &[u8; 4096], addr: u32, len: u32) {
        if len == 0 {
            return;
        }
        let first = (addr & 0xFFF) >> 2;
        let words = ((addr & 3) + len).div_ceil(4).min(1024);
        for k in 0..words {
            let index = ((first + k) & 1023) as usize;
            let b = index * 4;
            let word = u32::from_be_bytes([imem[b], imem[b + 1], imem[b + 2], imem[b + 3]]);
            self.slots[index] = Slot::new(word);
        }
    }
}
