//! KSEG0 (cached) and KSEG1 (uncached) views of physical addresses.
//!
//! The VR4300 maps 0x8000_0000..0xA000_0000 (KSEG0, cached) and 0xA000_0000..0xC000_0000
//! (KSEG1, uncached) both onto physical 0..0x2000_0000, without the TLB (VR4300 User's Manual,
//! "Kernel mode" address spaces; n64brew "Memory map"). RDRAM, the RCP registers and the
//! cartridge all live in that physical range. Hardware registers are always accessed uncached;
//! DMA engines (PI, SP) take physical addresses.

/// Start of KSEG0, the cached view.
pub const KSEG0_BASE: u32 = 0x8000_0000;
/// Start of KSEG1, the uncached view.
pub const KSEG1_BASE: u32 = 0xA000_0000;
/// The bits of a KSEG0/KSEG1 address that give the physical address (512 MiB window).
pub const PHYSICAL_MASK: u32 = 0x1FFF_FFFF;

/// The physical address behind a KSEG0 or KSEG1 address (or a physical address, unchanged).
pub const fn physical(addr: u32) -> u32 {
    addr & PHYSICAL_MASK
}

/// The cached (KSEG0) view of `addr`, which may be physical, KSEG0 or KSEG1.
pub const fn cached(addr: u32) -> u32 {
    KSEG0_BASE | physical(addr)
}

/// The uncached (KSEG1) view of `addr`, which may be physical, KSEG0 or KSEG1.
pub const fn uncached(addr: u32) -> u32 {
    KSEG1_BASE | physical(addr)
}

/// The uncached view of a pointer (N64 only: pointers are 32-bit there).
#[cfg(target_arch = "mips")]
pub fn uncached_ptr<T>(ptr: *mut T) -> *mut T {
    uncached(ptr as usize as u32) as usize as *mut T
}

/// The cached view of a pointer (N64 only).
#[cfg(target_arch = "mips")]
pub fn cached_ptr<T>(ptr: *mut T) -> *mut T {
    cached(ptr as usize as u32) as usize as *mut T
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_of_rdram_and_registers() {
        // The first byte our programs load at, in its three forms.
        assert_eq!(physical(0x8000_0400), 0x0000_0400);
        assert_eq!(uncached(0x8000_0400), 0xA000_0400);
        assert_eq!(cached(0xA000_0400), 0x8000_0400);
        // PI_STATUS: physical 0x0460_0010, written through KSEG1.
        assert_eq!(uncached(0x0460_0010), 0xA460_0010);
        // The IS-Viewer window on the cartridge bus.
        assert_eq!(uncached(0x13FF_0020), 0xB3FF_0020);
        assert_eq!(physical(0xB3FF_0014), 0x13FF_0014);
    }

    #[test]
    fn conversions_are_idempotent_and_inverse() {
        for addr in [
            0u32,
            0x400,
            0x003F_FFF0,
            0x1FFF_FFFF,
            0x8012_3458,
            0xBFFF_FFFC,
        ] {
            assert_eq!(cached(cached(addr)), cached(addr));
            assert_eq!(uncached(uncached(addr)), uncached(addr));
            assert_eq!(physical(cached(addr)), physical(uncached(addr)));
            assert_eq!(cached(uncached(addr)), cached(addr));
        }
    }
}
