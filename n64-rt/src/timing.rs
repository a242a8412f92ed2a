//! CP0 Count timing.
//!
//! The VR4300's CP0 Count register (register 9) counts up at half the CPU clock: 46.875 MHz
//! on the N64's 93.75 MHz VR4300 (RSP-FACTS.md, "Machine"). It is 32 bits wide and wraps every
//! 2^32 / 46.875 MHz = 91.6 s, so differences are taken with wrapping arithmetic.
//!
//! Emulators differ: cen64 models the VR4300 pipeline and caches, so its Count ticks are CPU
//! cycles / 2 as on hardware. mupen64plus advances Count by `CountPerOp` per executed
//! instruction (xtask runs it with 1), so there a Count difference is an instruction count and
//! [`ticks_to_cpu_cycles`] means nothing.

/// VR4300 clock of the N64.
pub const CPU_HZ: u32 = 93_750_000;
/// Count ticks per second (one tick every two CPU cycles).
pub const COUNT_HZ: u32 = CPU_HZ / 2;

/// Ticks from `start` to `end`, correct across one wrap of the counter.
pub const fn elapsed_ticks(start: u32, end: u32) -> u32 {
    end.wrapping_sub(start)
}

/// CPU cycles that `ticks` Count ticks stand for on hardware and in cen64 (not mupen64plus).
pub const fn ticks_to_cpu_cycles(ticks: u32) -> u64 {
    ticks as u64 * 2
}

/// Whole microseconds that `ticks` Count ticks last (rounded down).
pub const fn ticks_to_micros(ticks: u32) -> u64 {
    ticks as u64 * 1_000_000 / COUNT_HZ as u64
}

/// Reads CP0 Count.
#[cfg(target_arch = "mips")]
pub fn read_count() -> u32 {
    let count: u32;
    // SAFETY: mfc0 of Count only reads a free-running counter.
    // The register allocator may pick $at for `{0}`; the assembler reserves $at for its macro
    // expansions and warns. mfc0 is a single machine instruction (no expansion), so `noat` is
    // exact here.
    unsafe {
        core::arch::asm!(
            ".set push",
            ".set noat",
            "mfc0 {0}, $9",
            ".set pop",
            out(reg) count,
            options(nomem, nostack)
        )
    };
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_rate_is_half_the_cpu_clock() {
        assert_eq!(COUNT_HZ, 46_875_000);
        assert_eq!(ticks_to_cpu_cycles(46_875_000), 93_750_000);
    }

    #[test]
    fn microseconds_from_ticks() {
        assert_eq!(ticks_to_micros(46_875), 1_000);
        assert_eq!(ticks_to_micros(46_874), 999);
        assert_eq!(ticks_to_micros(u32::MAX), 91_625_968);
    }

    #[test]
    fn elapsed_survives_the_wrap() {
        assert_eq!(elapsed_ticks(100, 350), 250);
        assert_eq!(elapsed_ticks(0xFFFF_FFF0, 0x10), 0x20);
    }
}
