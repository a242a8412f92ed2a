//! Our own IPL3: the boot code at ROM 0x40..0x1000, for emulators.
//!
//! mupen64plus's high-level PIF (`src/device/pif/bootrom_hle.c`) configures the PI from the
//! header's first word, copies ROM 0x40..0x1000 into SP DMEM and jumps to 0xA400_0040 without
//! checking it. This code then, from DMEM:
//! 1. copies the program image from ROM to RDRAM with one PI DMA (cartridge -> RDRAM) and waits
//!    for it, then acknowledges the PI interrupt;
//! 2. marks every instruction- and data-cache line invalid (CACHE Index_Store_Tag with
//!    TagLo = TagHi = 0, ops 0x08 for I and 0x09 for D; 16 KiB / 32-byte lines and
//!    8 KiB / 16-byte lines), so the program starts with no stale cache contents;
//! 3. jumps to the program's entry point.
//!
//! It does not initialise RDRAM (RI/RDRAM registers), and its checksum matches no CIC, so a real
//! console refuses it: on hardware, boot through libdragon's IPL3 (`pack --ipl3`).
//!
//! The code is emitted here as MIPS words (see [`crate::mips`]); it needs no C toolchain.

use crate::mips::*;

/// Most bytes of IPL3 code: ROM 0x40..0x1000.
pub const MAX_BYTES: usize = 0x1000 - 0x40;

/// What the IPL3 copies and where it jumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipl3Params {
    /// Physical cartridge address of the image (ROM offset + 0x1000_0000).
    pub cart_addr: u32,
    /// Physical RDRAM address the image goes to (8-byte aligned for the PI).
    pub dram_addr: u32,
    /// Image length in bytes (even, non-zero).
    pub length: u32,
    /// Virtual address to jump to (KSEG0).
    pub entry: u32,
}

const PI_BASE_KSEG1_HI: u16 = 0xA460;
const PI_STATUS_OFFSET: i16 = 0x10;
const PI_DRAM_ADDR_OFFSET: i16 = 0x00;
const PI_CART_ADDR_OFFSET: i16 = 0x04;
const PI_WR_LEN_OFFSET: i16 = 0x0C;
/// PI_STATUS: DMA busy | IO busy.
const PI_BUSY_BITS: u16 = 0x3;
/// PI_STATUS write: clear interrupt.
const PI_CLEAR_INTERRUPT: u16 = 0x2;
const INDEX_STORE_TAG_I: u32 = 0x08;
const INDEX_STORE_TAG_D: u32 = 0x09;

/// Appends "spin while the PI is busy" to `code` (uses $t1; $t0 holds the PI base).
fn wait_pi_idle(code: &mut Vec<u32>) {
    code.push(lw(T1, PI_STATUS_OFFSET, T0));
    code.push(andi(T1, T1, PI_BUSY_BITS));
    code.push(bne(T1, ZERO, -3)); // back to the lw
    code.push(nop());
}

/// Appends "Index_Store_Tag every line of a cache" (uses $t2, $t3).
fn clear_cache_tags(code: &mut Vec<u32>, op: u32, size: u16, line: i16) {
    code.push(lui(T2, 0x8000));
    code.push(ori(T3, T2, size));
    code.push(cache(op, 0, T2));
    code.push(addiu(T2, T2, line));
    code.push(bne(T2, T3, -3)); // back to the cache op
    code.push(nop());
}

/// The IPL3's instruction words.
pub fn code(params: &Ipl3Params) -> Vec<u32> {
    let mut code = Vec::new();
    code.push(lui(T0, PI_BASE_KSEG1_HI));
    wait_pi_idle(&mut code);
    code.extend(load_u32(T1, params.dram_addr));
    code.push(sw(T1, PI_DRAM_ADDR_OFFSET, T0));
    code.extend(load_u32(T1, params.cart_addr));
    code.push(sw(T1, PI_CART_ADDR_OFFSET, T0));
    // The length register takes bytes - 1; writing it starts the DMA.
    code.extend(load_u32(T1, params.length.wrapping_sub(1)));
    code.push(sw(T1, PI_WR_LEN_OFFSET, T0));
    wait_pi_idle(&mut code);
    code.push(ori(T1, ZERO, PI_CLEAR_INTERRUPT));
    code.push(sw(T1, PI_STATUS_OFFSET, T0));

    code.push(mtc0(ZERO, CP0_TAGLO));
    code.push(mtc0(ZERO, CP0_TAGHI));
    // CP0 writes take a few cycles to reach the cache logic (VR4300 manual, "CP0 hazards").
    code.extend([nop(), nop(), nop()]);
    clear_cache_tags(&mut code, INDEX_STORE_TAG_D, 0x2000, 16);
    clear_cache_tags(&mut code, INDEX_STORE_TAG_I, 0x4000, 32);

    code.extend(load_u32(T9, params.entry));
    code.push(jr(T9));
    code.push(nop());
    code
}

/// The IPL3 as the bytes of ROM 0x40..0x1000 (big-endian words, zero-padded).
pub fn bytes(params: &Ipl3Params) -> Vec<u8> {
    let mut bytes: Vec<u8> = code(params)
        .iter()
        .flat_map(|word| word.to_be_bytes())
        .collect();
    bytes.resize(MAX_BYTES, 0);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assemble, run_tool, tool_present, Scratch, ASSEMBLER};
    use std::process::Command;

    const PARAMS: Ipl3Params = Ipl3Params {
        cart_addr: 0x1000_1000,
        dram_addr: 0x0000_0400,
        length: 0x3078,
        entry: 0x8000_0400,
    };

    /// The same program written as GNU assembler source, independently of the encoder.
    const GNU_SOURCE: &str = "
        .set noreorder
        .set noat
        lui   $t0, 0xA460
    1:  lw    $t1, 0x10($t0)
        andi  $t1, $t1, 3
        bne   $t1, $zero, 1b
        nop
        lui   $t1, 0x0000
        ori   $t1, $t1, 0x0400
        sw    $t1, 0x0($t0)
        lui   $t1, 0x1000
        ori   $t1, $t1, 0x1000
        sw    $t1, 0x4($t0)
        lui   $t1, 0x0000
        ori   $t1, $t1, 0x3077
        sw    $t1, 0xC($t0)
    2:  lw    $t1, 0x10($t0)
        andi  $t1, $t1, 3
        bne   $t1, $zero, 2b
        nop
        ori   $t1, $zero, 2
        sw    $t1, 0x10($t0)
        mtc0  $zero, $28
        mtc0  $zero, $29
        nop
        nop
        nop
        lui   $t2, 0x8000
        ori   $t3, $t2, 0x2000
    3:  cache 0x09, 0($t2)
        addiu $t2, $t2, 16
        bne   $t2, $t3, 3b
        nop
        lui   $t2, 0x8000
        ori   $t3, $t2, 0x4000
    4:  cache 0x08, 0($t2)
        addiu $t2, $t2, 32
        bne   $t2, $t3, 4b
        nop
        lui   $t9, 0x8000
        ori   $t9, $t9, 0x0400
        jr    $t9
        nop
    ";

    #[test]
    fn gnu_as_assembles_the_same_words() {
        if !tool_present(ASSEMBLER) {
            return;
        }
        let scratch = Scratch::new("ipl3");
        let object = assemble(&scratch, GNU_SOURCE);
        let binary = scratch.file("ipl3.bin");
        run_tool(
            Command::new("mips-linux-gnu-objcopy")
                .args(["-O", "binary", "--only-section=.text"])
                .arg(&object)
                .arg(&binary),
        );
        let gnu_bytes = std::fs::read(&binary).unwrap();

        let ours: Vec<u8> = code(&PARAMS).iter().flat_map(|w| w.to_be_bytes()).collect();
        // GNU as pads .text to a 16-byte multiple with zeros.
        assert_eq!(
            gnu_bytes.len(),
            ours.len().div_ceil(16) * 16,
            "instruction count differs"
        );
        assert!(gnu_bytes[ours.len()..].iter().all(|&b| b == 0));
        for (index, (a, b)) in ours.chunks(4).zip(gnu_bytes.chunks(4)).enumerate() {
            assert_eq!(a, b, "instruction {index} differs");
        }
    }

    #[test]
    fn fits_in_the_ipl3_area_and_is_zero_padded() {
        let bytes = bytes(&PARAMS);
        assert_eq!(bytes.len(), MAX_BYTES);
        let used = code(&PARAMS).len() * 4;
        assert!(used < 256, "the IPL3 grew to {used} bytes");
        assert!(bytes[used..].iter().all(|&b| b == 0));
        // The first instruction sets up the PI base: lui $t0, 0xA460.
        assert_eq!(bytes[..4], [0x3C, 0x08, 0xA4, 0x60]);
    }
}
