//! PI DMA: copies from the cartridge (ROM) into RDRAM.
//!
//! Registers and bits: [`crate::regs`]. The RDRAM side takes a physical address, the cartridge
//! side a PI bus address (ROM starts at 0x1000_0000), and the length register holds bytes - 1;
//! writing PI_WR_LEN starts the copy (n64brew "Peripheral Interface").
//!
//! Because the copy bypasses the data cache, [`read`] writes back and invalidates the
//! destination's lines before the copy and invalidates them again after it. To keep other data
//! out of those lines, the destination must start on a cache line (16 bytes) and its length must
//! be a multiple of 16; the PI itself needs an 8-byte-aligned RDRAM address and an even
//! cartridge address, which that implies (libdragon's IPL3 checks the same alignments).

use crate::cache::DCACHE_LINE;

/// Why a PI DMA was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PiDmaError {
    /// The RDRAM destination does not start on a 16-byte cache line.
    DestinationNotLineAligned { addr: u32 },
    /// The length is zero or not a multiple of 16 bytes.
    LengthNotWholeLines { len: usize },
    /// The length does not fit the PI's 24-bit length register.
    TooLong { len: usize },
    /// The cartridge address is odd (the PI moves 16-bit units).
    CartAddressOdd { cart_addr: u32 },
    /// The PI reported an error after the transfer.
    BusError { status: u32 },
}

impl core::fmt::Display for PiDmaError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::DestinationNotLineAligned { addr } => {
                write!(f, "PI DMA destination {addr:#010x} is not 16-byte aligned")
            }
            Self::LengthNotWholeLines { len } => {
                write!(
                    f,
                    "PI DMA length {len} is not a non-zero multiple of 16 bytes"
                )
            }
            Self::TooLong { len } => write!(f, "PI DMA length {len} exceeds 16 MiB"),
            Self::CartAddressOdd { cart_addr } => {
                write!(f, "PI DMA cartridge address {cart_addr:#010x} is odd")
            }
            Self::BusError { status } => write!(f, "PI DMA failed, PI_STATUS={status:#x}"),
        }
    }
}

/// Largest transfer: the length register holds 24 bits of (bytes - 1).
pub const MAX_DMA_BYTES: usize = 1 << 24;

/// Checks a cartridge-to-RDRAM transfer of `len` bytes to `dest_addr` from `cart_addr`.
pub fn check_read(dest_addr: u32, len: usize, cart_addr: u32) -> Result<(), PiDmaError> {
    if dest_addr % DCACHE_LINE != 0 {
        return Err(PiDmaError::DestinationNotLineAligned { addr: dest_addr });
    }
    if len == 0 || len % DCACHE_LINE as usize != 0 {
        return Err(PiDmaError::LengthNotWholeLines { len });
    }
    if len > MAX_DMA_BYTES {
        return Err(PiDmaError::TooLong { len });
    }
    if cart_addr % 2 != 0 {
        return Err(PiDmaError::CartAddressOdd { cart_addr });
    }
    Ok(())
}

/// Copies `dest.len()` bytes from cartridge bus address `cart_addr` into `dest` and waits for
/// the copy to finish.
#[cfg(target_arch = "mips")]
pub fn read(dest: &mut [u8], cart_addr: u32) -> Result<(), PiDmaError> {
    use crate::addr::{physical, uncached};
    use crate::cache;
    use crate::regs::*;

    let dest_addr = dest.as_mut_ptr() as usize as u32;
    check_read(dest_addr, dest.len(), cart_addr)?;
    cache::data_writeback_invalidate(dest.as_ptr(), dest.len());

    let reg = |physical_addr: u32| uncached(physical_addr) as usize as *mut u32;
    // SAFETY: PI registers in KSEG1 are always mapped; the destination is a live, exclusively
    // borrowed buffer whose lines were just written back and dropped from the cache.
    let status = unsafe {
        wait_pi_idle();
        core::ptr::write_volatile(reg(PI_DRAM_ADDR), physical(dest_addr));
        core::ptr::write_volatile(reg(PI_CART_ADDR), cart_addr);
        core::ptr::write_volatile(reg(PI_WR_LEN), dest.len() as u32 - 1);
        wait_pi_idle();
        let status = core::ptr::read_volatile(reg(PI_STATUS));
        core::ptr::write_volatile(reg(PI_STATUS), PI_STATUS_CLEAR_INTERRUPT);
        status
    };
    cache::data_invalidate(dest.as_ptr(), dest.len());
    if status & PI_STATUS_ERROR != 0 {
        return Err(PiDmaError::BusError { status });
    }
    Ok(())
}

/// Spins until the PI has no DMA and no CPU access running.
#[cfg(target_arch = "mips")]
unsafe fn wait_pi_idle() {
    use crate::regs::{PI_STATUS, PI_STATUS_DMA_BUSY, PI_STATUS_IO_BUSY};
    let status = crate::addr::uncached(PI_STATUS) as usize as *const u32;
    while core::ptr::read_volatile(status) & (PI_STATUS_DMA_BUSY | PI_STATUS_IO_BUSY) != 0 {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_line_aligned_whole_line_transfer() {
        assert_eq!(check_read(0x8010_0000, 64, 0x1000_0000), Ok(()));
        assert_eq!(check_read(0x8010_0010, MAX_DMA_BYTES, 0x1000_1002), Ok(()));
    }

    #[test]
    fn refuses_what_the_pi_or_the_cache_cannot_do() {
        assert_eq!(
            check_read(0x8010_0008, 64, 0x1000_0000),
            Err(PiDmaError::DestinationNotLineAligned { addr: 0x8010_0008 })
        );
        assert_eq!(
            check_read(0x8010_0000, 0, 0x1000_0000),
            Err(PiDmaError::LengthNotWholeLines { len: 0 })
        );
        assert_eq!(
            check_read(0x8010_0000, 40, 0x1000_0000),
            Err(PiDmaError::LengthNotWholeLines { len: 40 })
        );
        assert_eq!(
            check_read(0x8010_0000, MAX_DMA_BYTES + 16, 0x1000_0000),
            Err(PiDmaError::TooLong {
                len: MAX_DMA_BYTES + 16
            })
        );
        assert_eq!(
            check_read(0x8010_0000, 16, 0x1000_0001),
            Err(PiDmaError::CartAddressOdd {
                cart_addr: 0x1000_0001
            })
        );
    }
}
