//! DMEM and IMEM: 4 KB each, big-endian bytes, every address wraps to 12 bits.
//!
//! RSP-FACTS.md "Machine": IMEM 4 KB, DMEM 4 KB, the PC is 12 bits and wraps. Scalar and vector
//! accesses form their byte addresses from a 32-bit register plus an offset; only the low 12 bits
//! select a byte, so an access that runs off the end continues at address 0 (ares
//! `n64/rsp/interpreter-ipu.cpp` reads and writes unaligned words byte by byte through the same
//! wrapping memory).

/// Size of DMEM and of IMEM in bytes.
pub const MEM_SIZE: usize = 4096;
/// Mask that wraps a byte address into DMEM/IMEM.
pub const ADDR_MASK: u32 = (MEM_SIZE as u32) - 1;

/// One 4 KB RSP memory (DMEM or IMEM) as big-endian bytes.
#[derive(Clone)]
pub struct Mem4K {
    bytes: Box<[u8; MEM_SIZE]>,
}

impl Default for Mem4K {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for Mem4K {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Mem4K").finish_non_exhaustive()
    }
}

impl Mem4K {
    /// A zero-filled memory.
    pub fn new() -> Self {
        Self {
            bytes: Box::new([0; MEM_SIZE]),
        }
    }

    /// All 4096 bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8; MEM_SIZE] {
        &self.bytes
    }

    /// All 4096 bytes, writable.
    #[inline]
    pub fn bytes_mut(&mut self) -> &mut [u8; MEM_SIZE] {
        &mut self.bytes
    }

    /// The byte at `addr` (wrapped to 12 bits).
    #[inline(always)]
    pub fn read_u8(&self, addr: u32) -> u8 {
        self.bytes[(addr & ADDR_MASK) as usize]
    }

    /// Writes the byte at `addr` (wrapped to 12 bits).
    #[inline(always)]
    pub fn write_u8(&mut self, addr: u32, value: u8) {
        self.bytes[(addr & ADDR_MASK) as usize] = value;
    }

    /// Big-endian halfword at any (unaligned, wrapping) address.
    #[inline(always)]
    pub fn read_u16(&self, addr: u32) -> u16 {
        u16::from_be_bytes([self.read_u8(addr), self.read_u8(addr.wrapping_add(1))])
    }

    /// Big-endian word at any (unaligned, wrapping) address.
    #[inline(always)]
    pub fn read_u32(&self, addr: u32) -> u32 {
        let a = addr & ADDR_MASK;
        if a <= ADDR_MASK - 3 {
            let i = a as usize;
            u32::from_be_bytes([
                self.bytes[i],
                self.bytes[i + 1],
                self.bytes[i + 2],
                self.bytes[i + 3],
            ])
        } else {
            u32::from_be_bytes([
                self.read_u8(a),
                self.read_u8(a + 1),
                self.read_u8(a + 2),
                self.read_u8(a + 3),
            ])
        }
    }

    /// Writes a big-endian halfword at any (unaligned, wrapping) address.
    #[inline(always)]
    pub fn write_u16(&mut self, addr: u32, value: u16) {
        let [b0, b1] = value.to_be_bytes();
        self.write_u8(addr, b0);
        self.write_u8(addr.wrapping_add(1), b1);
    }

    /// Writes a big-endian word at any (unaligned, wrapping) address.
    #[inline(always)]
    pub fn write_u32(&mut self, addr: u32, value: u32) {
        let bytes = value.to_be_bytes();
        let a = addr & ADDR_MASK;
        if a <= ADDR_MASK - 3 {
            let i = a as usize;
            self.bytes[i..i + 4].copy_from_slice(&bytes);
        } else {
            for (k, b) in bytes.iter().enumerate() {
                self.write_u8(a + k as u32, *b);
            }
        }
    }

    /// Copies `data` in starting at `addr`, wrapping at the end of the memory.
    pub fn write_bytes(&mut self, addr: u32, data: &[u8]) {
        for (k, b) in data.iter().enumerate() {
            self.write_u8(addr.wrapping_add(k as u32), *b);
        }
    }

    /// Copies `out.len()` bytes out starting at `addr`, wrapping at the end of the memory.
    pub fn read_bytes(&self, addr: u32, out: &mut [u8]) {
        for (k, b) in out.iter_mut().enumerate() {
            *b = self.read_u8(addr.wrapping_add(k as u32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_access_wraps_at_4k() {
        let mut m = Mem4K::new();
        m.write_u32(0xFFE, 0x1122_3344);
        assert_eq!(m.read_u8(0xFFE), 0x11);
        assert_eq!(m.read_u8(0xFFF), 0x22);
        assert_eq!(m.read_u8(0x000), 0x33);
        assert_eq!(m.read_u8(0x001), 0x44);
        assert_eq!(m.read_u32(0x1FFE), 0x1122_3344);
        assert_eq!(m.read_u16(0xFFF), 0x2233);
    }

    #[test]
    fn high_address_bits_are_ignored() {
        let mut m = Mem4K::new();
        m.write_u16(0x0400_1010, 0xBEEF);
        assert_eq!(m.read_u16(0x010), 0xBEEF);
    }
}
