//! VR4300 cache maintenance, for memory that a DMA engine (PI, RSP) reads or writes.
//!
//! The VR4300 has a 16 KiB instruction cache with 32-byte lines and an 8 KiB write-back data
//! cache with 16-byte lines (VR4300 User's Manual, "Cache Memory"). A DMA engine sees only
//! RDRAM, so before it reads memory the CPU wrote through KSEG0, dirty lines must be written
//! back; after it writes memory, stale lines must be invalidated before the CPU reads it.
//!
//! CACHE instruction operations (op field = operation << 2 | cache, cache 0 = I, 1 = D; the
//! same values libdragon uses): Hit_Invalidate_I 0x10, Hit_Invalidate_D 0x11,
//! Hit_Writeback_Invalidate_D 0x15, Hit_Writeback_D 0x19, Index_Writeback_Invalidate_D 0x01,
//! Index_Invalidate_I 0x00.
//!
//! Invalidating discards a whole line: ranges given to [`data_invalidate`] should start and end
//! on 16-byte boundaries ([`CacheAligned`] helps), or dirty neighbours in the same line are lost.

/// Data cache line size in bytes.
pub const DCACHE_LINE: u32 = 16;
/// Data cache size in bytes.
pub const DCACHE_SIZE: u32 = 8 * 1024;
/// Instruction cache line size in bytes.
pub const ICACHE_LINE: u32 = 32;
/// Instruction cache size in bytes.
pub const ICACHE_SIZE: u32 = 16 * 1024;

/// A value aligned to a data cache line, so that invalidating it touches nothing else.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheAligned<T>(pub T);

/// The lines that cover `len` bytes from `addr`: (first line address, number of lines).
/// An empty range covers no line.
pub const fn lines_covering(addr: u32, len: u32, line: u32) -> (u32, u32) {
    if len == 0 {
        return (addr & !(line - 1), 0);
    }
    let first = addr & !(line - 1);
    // In u64 so that a range ending at 0xFFFF_FFFF does not overflow.
    let end = addr as u64 + len as u64;
    let lines = (end - first as u64).div_ceil(line as u64);
    (first, lines as u32)
}

#[cfg(target_arch = "mips")]
mod ops {
    use super::*;

    /// Runs one CACHE operation on every line covering the range.
    macro_rules! cache_range {
        ($op:expr, $line:expr, $addr:expr, $len:expr) => {{
            let (mut line_addr, lines) = lines_covering($addr, $len, $line);
            for _ in 0..lines {
                // SAFETY: hit operations on a KSEG0 address only move data between the cache
                // and RDRAM; they never fault for unmapped-segment addresses.
                unsafe {
                    core::arch::asm!("cache {op}, 0({addr})", op = const $op,
                        addr = in(reg) line_addr, options(nostack));
                }
                line_addr = line_addr.wrapping_add($line);
            }
        }};
    }

    /// Writes dirty data-cache lines of the range back to RDRAM (before a DMA reads it).
    pub fn data_writeback(ptr: *const u8, len: usize) {
        cache_range!(0x19, DCACHE_LINE, ptr as usize as u32, len as u32)
    }

    /// Drops the range's data-cache lines without writing them (after a DMA wrote RDRAM).
    pub fn data_invalidate(ptr: *const u8, len: usize) {
        cache_range!(0x11, DCACHE_LINE, ptr as usize as u32, len as u32)
    }

    /// Writes back, then drops, the range's data-cache lines.
    pub fn data_writeback_invalidate(ptr: *const u8, len: usize) {
        cache_range!(0x15, DCACHE_LINE, ptr as usize as u32, len as u32)
    }

    /// Drops the range's instruction-cache lines (after new code was written or DMAed).
    pub fn inst_invalidate(ptr: *const u8, len: usize) {
        cache_range!(0x10, ICACHE_LINE, ptr as usize as u32, len as u32)
    }

    /// Writes back and drops the whole data cache (index operations over its 8 KiB).
    pub fn data_writeback_invalidate_all() {
        cache_range!(0x01, DCACHE_LINE, crate::addr::KSEG0_BASE, DCACHE_SIZE)
    }

    /// Drops the whole instruction cache.
    pub fn inst_invalidate_all() {
        cache_range!(0x00, ICACHE_LINE, crate::addr::KSEG0_BASE, ICACHE_SIZE)
    }
}

#[cfg(target_arch = "mips")]
pub use ops::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_range_covers_exactly_its_lines() {
        assert_eq!(
            lines_covering(0x8000_1000, 64, DCACHE_LINE),
            (0x8000_1000, 4)
        );
        assert_eq!(
            lines_covering(0x8000_1000, 16, DCACHE_LINE),
            (0x8000_1000, 1)
        );
    }

    #[test]
    fn unaligned_range_takes_the_partial_lines_at_both_ends() {
        // 0x...1004..0x...1024 touches lines 0x1000, 0x1010 and 0x1020.
        assert_eq!(
            lines_covering(0x8000_1004, 0x20, DCACHE_LINE),
            (0x8000_1000, 3)
        );
        assert_eq!(
            lines_covering(0x8000_101F, 2, ICACHE_LINE),
            (0x8000_1000, 2)
        );
        assert_eq!(
            lines_covering(0x8000_100F, 1, DCACHE_LINE),
            (0x8000_1000, 1)
        );
    }

    #[test]
    fn empty_and_top_of_address_space() {
        assert_eq!(lines_covering(0x8000_1234, 0, DCACHE_LINE).1, 0);
        assert_eq!(
            lines_covering(0xFFFF_FFF0, 16, DCACHE_LINE),
            (0xFFFF_FFF0, 1)
        );
        assert_eq!(
            lines_covering(0xFFFF_FFE8, 0x18, DCACHE_LINE),
            (0xFFFF_FFE0, 2)
        );
    }

    #[test]
    fn whole_caches_are_their_line_counts() {
        assert_eq!(lines_covering(0x8000_0000, DCACHE_SIZE, DCACHE_LINE).1, 512);
        assert_eq!(lines_covering(0x8000_0000, ICACHE_SIZE, ICACHE_LINE).1, 512);
    }

    #[test]
    fn cache_aligned_is_line_aligned() {
        assert_eq!(core::mem::align_of::<CacheAligned<[u8; 3]>>(), 16);
        assert_eq!(core::mem::size_of::<CacheAligned<[u8; 3]>>(), 16);
    }
}
