//! The VU's computational ops (COP2 with bit 25 set), `vd = vs OP vt[e]`.
//!
//! Per-op behaviour: RSP-FACTS.md "Accumulator and clamps" for the multiplies and clamps; ares
//! `n64/rsp/interpreter-vpu.cpp` and its decoder (`n64/rsp/decoder.cpp`) for the add, select,
//! clip, logic, undocumented and MPEG-style ops. Everything here is checked against the hardware
//! vectors in `fixtures/rsp/rsp_hw_golden.json` where the fixture covers the op.

use super::{divide, wrap48, VReg, VectorUnit, ELEMENT_LANES};
use rsp_isa::VecOp;

/// Signed clamp: acc[47:16] clamped to int16 (RSP-FACTS "Accumulator and clamps").
#[inline(always)]
fn clamp_signed(acc: i64) -> u16 {
    (acc >> 16).clamp(-32768, 32767) as i16 as u16
}

/// Low clamp: acc[15:0] unless acc[47:31] is not a sign extension, then 0xFFFF if positive and
/// 0 if negative (RSP-FACTS "Accumulator and clamps").
#[inline(always)]
fn clamp_low(acc: i64) -> u16 {
    let high = acc >> 16;
    if high < -32768 {
        0
    } else if high > 32767 {
        0xFFFF
    } else {
        acc as u16
    }
}

/// Unsigned clamp: h = acc >> 16; negative -> 0, above 0x7FFF -> 0xFFFF (RSP-FACTS).
#[inline(always)]
fn clamp_unsigned(acc: i64) -> u16 {
    let high = acc >> 16;
    if high < 0 {
        0
    } else if high > 0x7FFF {
        0xFFFF
    } else {
        high as u16
    }
}

#[inline(always)]
fn select(v: &VReg, e: u8) -> VReg {
    let lanes = &ELEMENT_LANES[(e & 15) as usize];
    [
        v[lanes[0]],
        v[lanes[1]],
        v[lanes[2]],
        v[lanes[3]],
        v[lanes[4]],
        v[lanes[5]],
        v[lanes[6]],
        v[lanes[7]],
    ]
}

#[inline(always)]
fn set_low(acc: &mut i64, value: u16) {
    *acc = (*acc & !0xFFFF) | value as i64;
}

#[inline(always)]
fn bit(mask: u16, lane: usize) -> bool {
    mask >> lane & 1 != 0
}

/// Executes one computational op. `vs` is the destination element for the single-lane ops
/// (VRCP.., VMOV), as in the encoding.
#[inline]
pub(crate) fn execute(vu: &mut VectorUnit, op: VecOp, vd: u8, vs: u8, vt: u8, e: u8) {
    let vd = (vd & 31) as usize;
    let vt_reg = vu.regs[(vt & 31) as usize];
    if op.is_single_lane() {
        divide::execute(vu, op, vd, vs & 7, &vt_reg, e);
        return;
    }
    let a = vu.regs[(vs & 31) as usize];
    let b = select(&vt_reg, e);
    // Results go straight into vd (a and b are copies, so vd may alias vs/vt).
    let VectorUnit {
        regs,
        acc,
        vco: vco_reg,
        vcc: vcc_reg,
        vce: vce_reg,
        ..
    } = vu;
    let out = &mut regs[vd];
    match op {
        // Multiplies: accumulator per RSP-FACTS table; products are formed in 64 bits and the
        // accumulator wraps mod 2^48.
        VecOp::Vmulf | VecOp::Vmulu => {
            for i in 0..8 {
                acc[i] = (a[i] as i16 as i64) * (b[i] as i16 as i64) * 2 + 0x8000;
                out[i] = if op == VecOp::Vmulf {
                    clamp_signed(acc[i])
                } else {
                    clamp_unsigned(acc[i])
                };
            }
        }
        VecOp::Vmacf | VecOp::Vmacu => {
            for i in 0..8 {
                acc[i] = wrap48(acc[i] + (a[i] as i16 as i64) * (b[i] as i16 as i64) * 2);
                out[i] = if op == VecOp::Vmacf {
                    clamp_signed(acc[i])
                } else {
                    clamp_unsigned(acc[i])
                };
            }
        }
        VecOp::Vmudl => {
            for i in 0..8 {
                acc[i] = ((a[i] as i64) * (b[i] as i64)) >> 16;
                out[i] = acc[i] as u16;
            }
        }
        VecOp::Vmadl => {
            for i in 0..8 {
                acc[i] = wrap48(acc[i] + (((a[i] as i64) * (b[i] as i64)) >> 16));
                out[i] = clamp_low(acc[i]);
            }
        }
        VecOp::Vmudm => {
            for i in 0..8 {
                acc[i] = (a[i] as i16 as i64) * (b[i] as i64);
                out[i] = (acc[i] >> 16) as u16;
            }
        }
        VecOp::Vmadm => {
            for i in 0..8 {
                acc[i] = wrap48(acc[i] + (a[i] as i16 as i64) * (b[i] as i64));
                out[i] = clamp_signed(acc[i]);
            }
        }
        VecOp::Vmudn => {
            for i in 0..8 {
                acc[i] = (a[i] as i64) * (b[i] as i16 as i64);
                out[i] = acc[i] as u16;
            }
        }
        VecOp::Vmadn => {
            for i in 0..8 {
                acc[i] = wrap48(acc[i] + (a[i] as i64) * (b[i] as i16 as i64));
                out[i] = clamp_low(acc[i]);
            }
        }
        VecOp::Vmudh => {
            for i in 0..8 {
                acc[i] = ((a[i] as i16 as i64) * (b[i] as i16 as i64)) << 16;
                out[i] = clamp_signed(acc[i]);
            }
        }
        VecOp::Vmadh => {
            for i in 0..8 {
                acc[i] = wrap48(acc[i] + (((a[i] as i16 as i64) * (b[i] as i16 as i64)) << 16));
                out[i] = clamp_signed(acc[i]);
            }
        }
        // MPEG helpers (ares VMULQ/VMACQ/VRND; not covered by the hardware fixture).
        VecOp::Vmulq => {
            for i in 0..8 {
                let mut product = (a[i] as i16 as i32) * (b[i] as i16 as i32);
                if product < 0 {
                    product += 31;
                }
                acc[i] = (product as i64) << 16;
                out[i] = ((product >> 1).clamp(-32768, 32767) as i16 as u16) & !15;
            }
        }
        VecOp::Vmacq => {
            for i in 0..8 {
                let mut product = (acc[i] >> 16) as i32;
                if product & (1 << 5) == 0 {
                    if product < 0 {
                        product = product.wrapping_add(32);
                    } else if product >= 32 {
                        product -= 32;
                    }
                }
                acc[i] = wrap48(((product as i64) << 16) | (acc[i] & 0xFFFF));
                out[i] = ((product >> 1).clamp(-32768, 32767) as i16 as u16) & !15;
            }
        }
        VecOp::Vrndp | VecOp::Vrndn => {
            // VRNDP rounds non-negative accumulators, VRNDN negative ones; bit 0 of the vs
            // field selects whether vt is added at bit 16 or bit 0.
            for i in 0..8 {
                let mut add = b[i] as i16 as i64;
                if vs & 1 != 0 {
                    add <<= 16;
                }
                let negative = acc[i] < 0;
                if (op == VecOp::Vrndp) != negative {
                    acc[i] = wrap48(acc[i] + add);
                }
                out[i] = clamp_signed(acc[i]);
            }
        }
        // Adds: VADD/VSUB use and clear VCO; VADDC/VSUBC set it (RSP-FACTS).
        VecOp::Vadd | VecOp::Vsub => {
            for i in 0..8 {
                let carry = (*vco_reg >> i & 1) as i32;
                let r = if op == VecOp::Vadd {
                    (a[i] as i16 as i32) + (b[i] as i16 as i32) + carry
                } else {
                    (a[i] as i16 as i32) - (b[i] as i16 as i32) - carry
                };
                set_low(&mut acc[i], r as u16);
                out[i] = r.clamp(-32768, 32767) as i16 as u16;
            }
            *vco_reg = 0;
        }
        VecOp::Vaddc => {
            let mut carry = 0u16;
            for i in 0..8 {
                let r = a[i] as u32 + b[i] as u32;
                set_low(&mut acc[i], r as u16);
                out[i] = r as u16;
                carry |= ((r >> 16) as u16) << i;
            }
            *vco_reg = carry;
        }
        VecOp::Vsubc => {
            let mut flags = 0u16;
            for i in 0..8 {
                let r = (a[i] as i32) - (b[i] as i32);
                set_low(&mut acc[i], r as u16);
                out[i] = r as u16;
                flags |= ((r < 0) as u16) << i | ((r != 0) as u16) << (8 + i);
            }
            *vco_reg = flags;
        }
        VecOp::Vabs => {
            for i in 0..8 {
                let s = a[i] as i16;
                let t = b[i] as i16;
                let (low, result) = if s < 0 {
                    if t == i16::MIN {
                        (0x8000u16, 0x7FFFu16)
                    } else {
                        let n = t.wrapping_neg() as u16;
                        (n, n)
                    }
                } else if s > 0 {
                    (t as u16, t as u16)
                } else {
                    (0, 0)
                };
                set_low(&mut acc[i], low);
                out[i] = result;
            }
        }
        // Select ops: result and acc low are vs or vt[e] by the compare; VCC high and VCO are
        // cleared, VCE kept (ares VLT/VEQ/VNE/VGE).
        VecOp::Vlt | VecOp::Veq | VecOp::Vne | VecOp::Vge => {
            let mut vcc = 0u16;
            for i in 0..8 {
                let s = a[i] as i16;
                let t = b[i] as i16;
                let carry = bit(*vco_reg, i);
                let not_equal = bit(*vco_reg, 8 + i);
                let take_vs = match op {
                    VecOp::Vlt => s < t || (s == t && carry && not_equal),
                    VecOp::Veq => s == t && !not_equal,
                    VecOp::Vne => s != t || not_equal,
                    _ => s > t || (s == t && !(carry && not_equal)),
                };
                vcc |= (take_vs as u16) << i;
                let r = if take_vs { a[i] } else { b[i] };
                set_low(&mut acc[i], r);
                out[i] = r;
            }
            *vcc_reg = vcc;
            *vco_reg = 0;
        }
        VecOp::Vmrg => {
            // VMRG selects by VCC low and clears VCO (RSP-FACTS "Emulators": z64 keeps VCO,
            // hardware clears it).
            for i in 0..8 {
                let r = if bit(*vcc_reg, i) { a[i] } else { b[i] };
                set_low(&mut acc[i], r);
                out[i] = r;
            }
            *vco_reg = 0;
        }
        VecOp::Vch => {
            let (mut vco, mut vcc, mut vce) = (0u16, 0u16, 0u8);
            for i in 0..8 {
                let s = a[i] as i16;
                let t = b[i] as i16;
                // "ne" is also false when vs is the one's complement of vt.
                let r;
                if (s ^ t) < 0 {
                    let sum = s.wrapping_add(t);
                    let le = sum <= 0;
                    r = if le { t.wrapping_neg() as u16 } else { a[i] };
                    vcc |= (le as u16) << i | ((t < 0) as u16) << (8 + i);
                    let ne = sum != 0 && a[i] != !b[i];
                    vco |= 1 << i | (ne as u16) << (8 + i);
                    vce |= ((sum == -1) as u8) << i;
                } else {
                    let diff = s.wrapping_sub(t);
                    let ge = diff >= 0;
                    r = if ge { b[i] } else { a[i] };
                    vcc |= ((t < 0) as u16) << i | (ge as u16) << (8 + i);
                    let ne = diff != 0 && a[i] != !b[i];
                    vco |= (ne as u16) << (8 + i);
                }
                set_low(&mut acc[i], r);
                out[i] = r;
            }
            *vco_reg = vco;
            *vcc_reg = vcc;
            *vce_reg = vce;
        }
        VecOp::Vcl => {
            let mut vcc = *vcc_reg;
            for i in 0..8 {
                let s = a[i];
                let t = b[i];
                let sign_differs = bit(*vco_reg, i);
                let not_equal = bit(*vco_reg, 8 + i);
                let r;
                if sign_differs {
                    let le = if not_equal {
                        bit(*vcc_reg, i)
                    } else {
                        let wide = s as u32 + t as u32;
                        let sum_zero = wide & 0xFFFF == 0;
                        let carry = wide > 0xFFFF;
                        let le = if *vce_reg >> i & 1 != 0 {
                            sum_zero || !carry
                        } else {
                            sum_zero && !carry
                        };
                        vcc = (vcc & !(1 << i)) | (le as u16) << i;
                        le
                    };
                    r = if le { t.wrapping_neg() } else { s };
                } else {
                    let ge = if not_equal {
                        bit(*vcc_reg, 8 + i)
                    } else {
                        let ge = s >= t;
                        vcc = (vcc & !(1 << (8 + i))) | (ge as u16) << (8 + i);
                        ge
                    };
                    r = if ge { t } else { s };
                }
                set_low(&mut acc[i], r);
                out[i] = r;
            }
            *vcc_reg = vcc;
            *vco_reg = 0;
            *vce_reg = 0;
        }
        VecOp::Vcr => {
            let mut vcc = 0u16;
            for i in 0..8 {
                let s = a[i] as i16 as i32;
                let t = b[i] as i16 as i32;
                let r = if (s ^ t) < 0 {
                    // "less or equal" in one's complement: vs + vt + 1 <= 0.
                    let le = s + t < 0;
                    vcc |= ((t < 0) as u16) << (8 + i) | (le as u16) << i;
                    if le {
                        !b[i]
                    } else {
                        a[i]
                    }
                } else {
                    let ge = s - t >= 0;
                    vcc |= ((t < 0) as u16) << i | (ge as u16) << (8 + i);
                    if ge {
                        b[i]
                    } else {
                        a[i]
                    }
                };
                set_low(&mut acc[i], r);
                out[i] = r;
            }
            *vcc_reg = vcc;
            *vco_reg = 0;
            *vce_reg = 0;
        }
        // Logic ops write acc low and vd.
        VecOp::Vand | VecOp::Vnand | VecOp::Vor | VecOp::Vnor | VecOp::Vxor | VecOp::Vnxor => {
            for i in 0..8 {
                let r = match op {
                    VecOp::Vand => a[i] & b[i],
                    VecOp::Vnand => !(a[i] & b[i]),
                    VecOp::Vor => a[i] | b[i],
                    VecOp::Vnor => !(a[i] | b[i]),
                    VecOp::Vxor => a[i] ^ b[i],
                    _ => !(a[i] ^ b[i]),
                };
                set_low(&mut acc[i], r);
                out[i] = r;
            }
        }
        VecOp::Vsar => {
            // Reads one accumulator slice (e = 8 high, 9 mid, 10 low); other e give zero. The
            // accumulator is not changed.
            let shift = match e {
                8 => Some(32),
                9 => Some(16),
                10 => Some(0),
                _ => None,
            };
            match shift {
                Some(shift) => {
                    for i in 0..8 {
                        out[i] = (acc[i] >> shift) as u16;
                    }
                }
                None => *out = [0; 8],
            }
        }
        VecOp::Vnop | VecOp::Vnull => {}
        // Every other funct (VSUT, VADDB..VSUM, VACC, VSUC, 0x2E, 0x2F, VEXTT..VINSN, 0x3B):
        // on the RSP these write acc low = vs + vt[e] (16-bit) and vd = 0 (ares decoder maps
        // them to VZERO).
        _ => {
            for i in 0..8 {
                set_low(&mut acc[i], a[i].wrapping_add(b[i]));
            }
            *out = [0; 8];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vu_with(vs: VReg, vt: VReg) -> VectorUnit {
        let mut vu = VectorUnit::default();
        vu.regs[1] = vs;
        vu.regs[2] = vt;
        vu
    }

    #[test]
    fn vmulf_rounds_and_saturates_the_minus_one_square() {
        // 0x8000 * 0x8000 = (-1.0)^2 = +1.0, not representable: clamps to 0x7FFF.
        // 0x4000 * 0x4000 = 0.25 -> 2ab + 0x8000 = 0x2000_8000 -> 0x2000.
        let mut vu = vu_with(
            [0x8000, 0x4000, 0xC000, 0, 0, 0, 0, 0],
            [0x8000, 0x4000, 0x4000, 0, 0, 0, 0, 0],
        );
        execute(&mut vu, VecOp::Vmulf, 3, 1, 2, 0);
        assert_eq!(&vu.regs[3][..4], &[0x7FFF, 0x2000, 0xE000, 0x0000]);
        assert_eq!(vu.acc[0], 0x8000_8000);
        assert_eq!(vu.acc[3], 0x8000);
    }

    #[test]
    fn vmudh_vmadh_sum_integer_products_in_acc_high_and_mid() {
        let mut vu = vu_with([300; 8], [200; 8]);
        execute(&mut vu, VecOp::Vmudh, 3, 1, 2, 0);
        execute(&mut vu, VecOp::Vmadh, 3, 1, 2, 0);
        // 2 * 300 * 200 = 120000 > 32767: result clamps, the accumulator keeps the sum.
        assert_eq!(vu.regs[3][0], 0x7FFF);
        assert_eq!(vu.acc[0] >> 16, 120_000);
    }

    #[test]
    fn vaddc_then_vadd_carries_between_lanes_of_a_32_bit_add() {
        // 0x0001_FFFF + 0x0000_0001 = 0x0002_0000 using lane 0 = low halves, lane 1 = high.
        let mut vu = vu_with(
            [0xFFFF, 0x0001, 0, 0, 0, 0, 0, 0],
            [0x0001, 0x0000, 0, 0, 0, 0, 0, 0],
        );
        execute(&mut vu, VecOp::Vaddc, 3, 1, 2, 0);
        assert_eq!(vu.regs[3][0], 0x0000);
        assert_eq!(vu.vco, 0x0001);
        vu.regs[4] = [0, 0x0001, 0, 0, 0, 0, 0, 0];
        vu.regs[5] = [0; 8];
        // Move the carry to lane 1 for the demonstration: VADD adds the lane's own carry bit.
        vu.vco = 0x0002;
        execute(&mut vu, VecOp::Vadd, 6, 4, 5, 0);
        assert_eq!(vu.regs[6][1], 0x0002);
        assert_eq!(vu.vco, 0);
    }

    #[test]
    fn vsar_reads_slices_without_changing_the_accumulator() {
        let mut vu = VectorUnit {
            acc: [0x1234_5678_9ABC; 8],
            ..Default::default()
        };
        execute(&mut vu, VecOp::Vsar, 1, 0, 0, 8);
        execute(&mut vu, VecOp::Vsar, 2, 0, 0, 9);
        execute(&mut vu, VecOp::Vsar, 3, 0, 0, 10);
        execute(&mut vu, VecOp::Vsar, 4, 0, 0, 0);
        assert_eq!(vu.regs[1], [0x1234; 8]);
        assert_eq!(vu.regs[2], [0x5678; 8]);
        assert_eq!(vu.regs[3], [0x9ABC; 8]);
        assert_eq!(vu.regs[4], [0; 8]);
        assert_eq!(vu.acc, [0x1234_5678_9ABC; 8]);
    }

    #[test]
    fn clamps_follow_the_documented_rules() {
        assert_eq!(clamp_signed(0x7FFF_FFFF), 0x7FFF);
        assert_eq!(clamp_signed(0x8000_0000), 0x7FFF);
        assert_eq!(clamp_signed(-0x8000_0001), 0x8000);
        assert_eq!(clamp_low(0x7FFF_1234), 0x1234);
        assert_eq!(clamp_low(0x8000_1234), 0xFFFF);
        assert_eq!(clamp_low(-0x8000_0001), 0x0000);
        assert_eq!(clamp_unsigned(-1), 0);
        assert_eq!(clamp_unsigned(0x8000_0000), 0xFFFF);
        assert_eq!(clamp_unsigned(0x7FFF_0000), 0x7FFF);
    }
}
