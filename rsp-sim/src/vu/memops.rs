//! Vector loads (LWC2) and stores (SWC2) with the hardware's byte rules.
//!
//! RSP-FACTS.md "Encodings" and "Accumulator and clamps": `e` is a byte index 0..15; loads never
//! wrap inside the register (fewer bytes land), stores do wrap; LPV puts a byte in bits 15..8,
//! LUV/LHV/LFV in 14..7; LWV does nothing on hardware. The exact per-form rules (which DMEM
//! bytes, which register bytes, the 8- and 16-byte windows of the "packed", "rest", "transpose"
//! and "wrap" forms) follow ares `n64/rsp/interpreter-vpu.cpp`; the lbv..luv, stv, swv, ltv and
//! memaccess suites of `fixtures/rsp/rsp_hw_golden.json` check them on hardware results.
//!
//! `addr` is the full effective address (base register + scaled offset); DMEM wraps at 4 KB.

use super::VectorUnit;
use crate::mem::Mem4K;
use rsp_isa::VMemOp;

/// Executes a vector load into `vt`.
#[inline]
pub(crate) fn load(vu: &mut VectorUnit, dmem: &Mem4K, op: VMemOp, vt: u8, e: u8, addr: u32) {
    let r = (vt & 31) as usize;
    let e = (e & 15) as usize;
    match op {
        VMemOp::Bv | VMemOp::Sv | VMemOp::Lv | VMemOp::Dv => {
            let size = 1usize << (op as u8); // 1, 2, 4, 8 bytes
            let end = (e + size).min(16);
            for (k, byte) in (e..end).enumerate() {
                vu.set_reg_byte(r, byte, dmem.read_u8(addr.wrapping_add(k as u32)));
            }
        }
        VMemOp::Qv => {
            // Up to the next 16-byte boundary of DMEM, and not past byte 15 of the register.
            let end = (16 + e - (addr & 15) as usize).min(16);
            if e == 0 && addr & 15 == 0 {
                // Aligned whole-register fast path (the common case in real ucode).
                let base = addr;
                for lane in 0..8 {
                    vu.regs[r][lane] = dmem.read_u16(base.wrapping_add(2 * lane as u32));
                }
                return;
            }
            for (k, byte) in (e..end).enumerate() {
                vu.set_reg_byte(r, byte, dmem.read_u8(addr.wrapping_add(k as u32)));
            }
        }
        VMemOp::Rv => {
            // The bytes of the 16-byte block before `addr`, landing at the end of the register.
            let misalign = (addr & 15) as usize;
            if misalign < e {
                return;
            }
            let start = 16 - (misalign - e);
            let block = addr & !15;
            for (k, byte) in (start..16).enumerate() {
                vu.set_reg_byte(r, byte, dmem.read_u8(block.wrapping_add(k as u32)));
            }
        }
        VMemOp::Pv | VMemOp::Uv => {
            // One byte per lane from an 8-byte-aligned window of 16 bytes, rotated by the
            // misalignment minus e; LPV into bits 15..8, LUV into 14..7.
            let shift = if op == VMemOp::Pv { 8 } else { 7 };
            let index = (addr & 7).wrapping_sub(e as u32);
            let block = addr & !7;
            for lane in 0..8u32 {
                let b = dmem.read_u8(block.wrapping_add(index.wrapping_add(lane) & 15));
                vu.regs[r][lane as usize] = (b as u16) << shift;
            }
        }
        VMemOp::Hv => {
            // Every other byte of the 16-byte window, into bits 14..7.
            let index = (addr & 7).wrapping_sub(e as u32);
            let block = addr & !7;
            for lane in 0..8u32 {
                let b = dmem.read_u8(block.wrapping_add(index.wrapping_add(2 * lane) & 15));
                vu.regs[r][lane as usize] = (b as u16) << 7;
            }
        }
        VMemOp::Fv => {
            // Every fourth byte (two interleaved groups of four) into bits 14..7, then only
            // register bytes e..e+8 (not past 15) are written.
            let index = (addr & 7).wrapping_sub(e as u32);
            let block = addr & !7;
            let mut lanes = [0u16; 8];
            for k in 0..4u32 {
                let lo = dmem.read_u8(block.wrapping_add(index.wrapping_add(4 * k) & 15));
                let hi = dmem.read_u8(block.wrapping_add(index.wrapping_add(4 * k + 8) & 15));
                lanes[k as usize] = (lo as u16) << 7;
                lanes[k as usize + 4] = (hi as u16) << 7;
            }
            let end = (e + 8).min(16);
            for byte in e..end {
                let lane = lanes[byte >> 1];
                let value = if byte & 1 == 0 {
                    (lane >> 8) as u8
                } else {
                    lane as u8
                };
                vu.set_reg_byte(r, byte, value);
            }
        }
        VMemOp::Wv => {
            // LWV does nothing on hardware (RSP-FACTS "Accumulator and clamps").
        }
        VMemOp::Tv => {
            // Transpose load: eight halfwords of a 16-byte window into lane i of registers
            // (vt & ~7) + ((e/2 + i) & 7), rotating through the window.
            let block = addr & !7;
            let mut offset = ((e as u32) + (addr & 8)) & 15;
            let group = r & !7;
            let mut reg_offset = e >> 1;
            for lane in 0..8 {
                let hi = dmem.read_u8(block.wrapping_add(offset));
                offset = (offset + 1) & 15;
                let lo = dmem.read_u8(block.wrapping_add(offset));
                offset = (offset + 1) & 15;
                vu.regs[group + reg_offset][lane] = u16::from_be_bytes([hi, lo]);
                reg_offset = (reg_offset + 1) & 7;
            }
        }
    }
}

/// Executes a vector store from `vt`.
#[inline]
pub(crate) fn store(vu: &VectorUnit, dmem: &mut Mem4K, op: VMemOp, vt: u8, e: u8, addr: u32) {
    let r = (vt & 31) as usize;
    let e = (e & 15) as usize;
    match op {
        VMemOp::Bv | VMemOp::Sv | VMemOp::Lv | VMemOp::Dv => {
            let size = 1usize << (op as u8);
            for k in 0..size {
                dmem.write_u8(addr.wrapping_add(k as u32), vu.reg_byte(r, (e + k) & 15));
            }
        }
        VMemOp::Qv => {
            // Up to the next 16-byte boundary of DMEM; register bytes wrap.
            let count = 16 - (addr & 15) as usize;
            if e == 0 && count == 16 {
                for lane in 0..8 {
                    dmem.write_u16(addr.wrapping_add(2 * lane as u32), vu.regs[r][lane]);
                }
                return;
            }
            for k in 0..count {
                dmem.write_u8(addr.wrapping_add(k as u32), vu.reg_byte(r, (e + k) & 15));
            }
        }
        VMemOp::Rv => {
            // The bytes before `addr` in its 16-byte block, taken from the register's end.
            let misalign = (addr & 15) as usize;
            let block = addr & !15;
            let skip = 16 - misalign;
            for k in 0..misalign {
                dmem.write_u8(
                    block.wrapping_add(k as u32),
                    vu.reg_byte(r, (e + k + skip) & 15),
                );
            }
        }
        VMemOp::Pv | VMemOp::Uv => {
            // Register byte positions e..e+8 (wrapping at 16); the first eight positions give
            // the packed form of lane (pos & 7), the second eight the other form. SPV packs
            // bits 15..8 for positions 0..7, SUV bits 14..7.
            for k in 0..8 {
                let pos = (e + k) & 15;
                let lane = vu.regs[r][pos & 7];
                let high_form = (pos < 8) == (op == VMemOp::Pv);
                let value = if high_form {
                    (lane >> 8) as u8
                } else {
                    (lane >> 7) as u8
                };
                dmem.write_u8(addr.wrapping_add(k as u32), value);
            }
        }
        VMemOp::Hv => {
            let index = addr & 7;
            let block = addr & !7;
            for k in 0..8usize {
                let b = e + 2 * k;
                let value = (vu.reg_byte(r, b & 15) << 1) | (vu.reg_byte(r, (b + 1) & 15) >> 7);
                dmem.write_u8(
                    block.wrapping_add(index.wrapping_add(2 * k as u32) & 15),
                    value,
                );
            }
        }
        VMemOp::Fv => {
            // Four lanes' bits 14..7 to every fourth byte of the window. Which lanes depends
            // on e; the e values without a defined pattern store zeros (ares SFV).
            let lanes: Option<[usize; 4]> = match e {
                0 | 15 => Some([0, 1, 2, 3]),
                1 => Some([6, 7, 4, 5]),
                4 => Some([1, 2, 3, 0]),
                5 => Some([7, 4, 5, 6]),
                8 => Some([4, 5, 6, 7]),
                11 => Some([3, 0, 1, 2]),
                12 => Some([5, 6, 7, 4]),
                _ => None,
            };
            let index = addr & 7;
            let block = addr & !7;
            for k in 0..4u32 {
                let value = match lanes {
                    Some(l) => (vu.regs[r][l[k as usize]] >> 7) as u8,
                    None => 0,
                };
                dmem.write_u8(block.wrapping_add(index.wrapping_add(4 * k) & 15), value);
            }
        }
        VMemOp::Wv => {
            // All 16 register bytes starting at e, into the 16-byte window rotated by the
            // misalignment.
            let index = addr & 7;
            let block = addr & !7;
            for k in 0..16usize {
                let value = vu.reg_byte(r, (e + k) & 15);
                dmem.write_u8(block.wrapping_add(index.wrapping_add(k as u32) & 15), value);
            }
        }
        VMemOp::Tv => {
            // Transpose store: lane-diagonal halfwords of the eight registers of vt's group.
            let group = r & !7;
            let mut element = 16 - (e & !1);
            let mut offset = (addr & 7).wrapping_sub((e & !1) as u32);
            let block = addr & !7;
            for reg in group..group + 8 {
                for _ in 0..2 {
                    let value = vu.reg_byte(reg, element & 15);
                    dmem.write_u8(block.wrapping_add(offset & 15), value);
                    element += 1;
                    offset = offset.wrapping_add(1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dmem_counting() -> Mem4K {
        let mut m = Mem4K::new();
        for i in 0..4096u32 {
            m.write_u8(i, i as u8);
        }
        m
    }

    #[test]
    fn lqv_stops_at_the_16_byte_boundary() {
        let m = dmem_counting();
        let mut vu = VectorUnit::default();
        vu.regs[1] = [0xEEEE; 8];
        load(&mut vu, &m, VMemOp::Qv, 1, 0, 0x10C);
        // Bytes 0x0C..0x0F land in register bytes 0..3; the rest keep their old value.
        assert_eq!(
            vu.regs[1],
            [0x0C0D, 0x0E0F, 0xEEEE, 0xEEEE, 0xEEEE, 0xEEEE, 0xEEEE, 0xEEEE]
        );
    }

    #[test]
    fn lrv_fills_the_register_end_from_the_block_start() {
        let m = dmem_counting();
        let mut vu = VectorUnit::default();
        load(&mut vu, &m, VMemOp::Rv, 1, 0, 0x10C);
        // 12 bytes before 0x10C in its block (0x100..0x10B) land at register bytes 4..15.
        assert_eq!(
            vu.regs[1],
            [0, 0, 0x0001, 0x0203, 0x0405, 0x0607, 0x0809, 0x0A0B]
        );
    }

    #[test]
    fn lqv_plus_lrv_load_an_unaligned_vector() {
        let m = dmem_counting();
        let mut vu = VectorUnit::default();
        load(&mut vu, &m, VMemOp::Qv, 1, 0, 0x105);
        load(&mut vu, &m, VMemOp::Rv, 1, 0, 0x115);
        let expected: Vec<u16> = (0..8)
            .map(|i| u16::from_be_bytes([5 + 2 * i, 6 + 2 * i]))
            .collect();
        assert_eq!(vu.regs[1].to_vec(), expected);
    }

    #[test]
    fn sqv_plus_srv_store_an_unaligned_vector() {
        let mut m = Mem4K::new();
        let mut vu = VectorUnit::default();
        vu.regs[2] = [
            0x0102, 0x0304, 0x0506, 0x0708, 0x090A, 0x0B0C, 0x0D0E, 0x0F10,
        ];
        store(&vu, &mut m, VMemOp::Qv, 2, 0, 0x203);
        store(&vu, &mut m, VMemOp::Rv, 2, 0, 0x213);
        let mut out = [0u8; 16];
        m.read_bytes(0x203, &mut out);
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        assert_eq!(m.read_u8(0x202), 0);
        assert_eq!(m.read_u8(0x213), 0);
    }

    #[test]
    fn lpv_and_luv_put_bytes_in_the_documented_bits() {
        let m = dmem_counting();
        let mut vu = VectorUnit::default();
        load(&mut vu, &m, VMemOp::Pv, 1, 0, 0x80);
        load(&mut vu, &m, VMemOp::Uv, 2, 0, 0x80);
        assert_eq!(vu.regs[1][3], 0x83 << 8);
        assert_eq!(vu.regs[2][3], 0x83 << 7);
    }

    #[test]
    fn sbv_store_wraps_inside_the_register_but_lbv_does_not() {
        let mut m = Mem4K::new();
        let mut vu = VectorUnit::default();
        vu.regs[3] = [0x1122, 0, 0, 0, 0, 0, 0, 0x3344];
        // SSV from byte 15 wraps to byte 0.
        store(&vu, &mut m, VMemOp::Sv, 3, 15, 0x40);
        assert_eq!(m.read_u16(0x40), 0x4411);
        // LSV into byte 15 writes only that byte.
        let src = dmem_counting();
        load(&mut vu, &src, VMemOp::Sv, 3, 15, 0x50);
        assert_eq!(vu.regs[3][7], 0x3350);
        assert_eq!(vu.regs[3][0], 0x1122);
    }

    #[test]
    fn lwv_does_nothing() {
        let m = dmem_counting();
        let mut vu = VectorUnit::default();
        vu.regs[4] = [7; 8];
        load(&mut vu, &m, VMemOp::Wv, 4, 0, 0x20);
        assert_eq!(vu.regs[4], [7; 8]);
    }
}
