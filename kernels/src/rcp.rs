//! The RSP's reciprocal and reciprocal-square-root instructions, bit for bit
//! (numerics.md "Reciprocal and reciprocal square root").
//!
//! The softmax normalisation and the norms use these instead of a division, so the RSP can do
//! them with one VRCPH/VRCPL (or VRSQH/VRSQL) pair on a 32-bit input. The algorithm follows the
//! behaviour described by ares `n64/rsp/interpreter-vpu.cpp` (VRCP/VRSQ) and RSP-FACTS.md
//! "Accumulator and clamps": the input's magnitude is normalised by its leading zeros, nine bits
//! below the leading one index a 512-entry table, the entry (with an implicit 17th bit) is
//! shifted back, and negative inputs get the ones' complement. The tables are rebuilt here from
//! their defining formulas; `tests/rcp_hardware.rs` checks all 65,536 16-bit inputs of each
//! instruction against values measured on a real N64 (fixtures/rsp, suites vrcp and vrsq).

/// Reciprocal table: entry 0 is 0xFFFF, entry i is `((2^34 / (i + 512)) + 1) >> 8` (RSP-FACTS).
pub const RCP_TABLE: [u16; 512] = build_rcp_table();

/// Reciprocal-square-root table: entry i holds `b >> 1` for the largest `b >= 2^17` with
/// `a * b^2 < 2^44` (the search that counts `b` up from 2^17 while `a * (b + 1)^2 < 2^44`), where `a = i + 512` for even i and `(i + 512) >> 1` for odd i (the
/// low index bit carries the input exponent's parity).
pub const RSQ_TABLE: [u16; 512] = build_rsq_table();

const fn build_rcp_table() -> [u16; 512] {
    let mut t = [0u16; 512];
    t[0] = 0xFFFF;
    let mut i = 1;
    while i < 512 {
        let b = (1u64 << 34) / (i as u64 + 512);
        t[i] = ((b + 1) >> 8) as u16;
        i += 1;
    }
    t
}

/// Floor of the square root of `v` (bitwise, exact for every u64).
const fn isqrt_u64(v: u64) -> u64 {
    let mut rem = v;
    let mut root = 0u64;
    let mut bit = 1u64 << 62;
    while bit > v {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

const fn build_rsq_table() -> [u16; 512] {
    let mut t = [0u16; 512];
    let mut i = 0;
    while i < 512 {
        let a = (i as u64 + 512) >> (i & 1);
        // Largest b with a * b^2 < 2^44 is isqrt((2^44 - 1) / a); the defining search starts
        // at b = 2^17 and only counts up, so b is never below that.
        let mut b = isqrt_u64(((1u64 << 44) - 1) / a);
        if b < (1 << 17) {
            b = 1 << 17;
        }
        t[i] = (b >> 1) as u16;
        i += 1;
    }
    t
}

/// Common front end of VRCP/VRSQ: returns `(mask, data)` or the special-case result.
#[inline]
fn normalise(input: i32) -> Result<(i32, u32), i32> {
    let mask = input >> 31;
    let mut data = input ^ mask;
    // Only inputs above -32768 get the +1 that completes the two's-complement negation; the
    // ones' complement of smaller 32-bit inputs is what the hardware uses.
    if input > -32768 {
        data = data.wrapping_sub(mask);
    }
    if data == 0 {
        return Err(0x7FFF_FFFF);
    }
    if input == -32768 {
        return Err(0xFFFF_0000u32 as i32);
    }
    Ok((mask, data as u32))
}

/// VRCP / VRCPL: the 32-bit result `~2^31 / input` for a 32-bit input (a 16-bit VRCP input
/// is this function of the sign-extended value). The high half is what VRCPH then returns as
/// DIVOUT; VRCP/VRCPL write the low half to the destination lane.
pub fn vrcp32(input: i32) -> i32 {
    let (mask, data) = match normalise(input) {
        Ok(v) => v,
        Err(special) => return special,
    };
    let shift = data.leading_zeros();
    let index = (((data as u64) << shift) & 0x7FC0_0000) >> 22;
    let entry = RCP_TABLE[index as usize] as i32;
    let result = (0x10000 | entry) << 14;
    (result >> (31 - shift)) ^ mask
}

/// VRSQ / VRSQL: the 32-bit result `~2^31 / sqrt(input)` (same conventions as [`vrcp32`]).
pub fn vrsq32(input: i32) -> i32 {
    let (mask, data) = match normalise(input) {
        Ok(v) => v,
        Err(special) => return special,
    };
    let shift = data.leading_zeros();
    let index = ((((data as u64) << shift) & 0x7FC0_0000) >> 22) as u32;
    let entry = RSQ_TABLE[((index & 0x1FE) | (shift & 1)) as usize] as i32;
    let result = (0x10000 | entry) << 14;
    (result >> ((31 - shift) >> 1)) ^ mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isqrt_is_exact_around_squares() {
        for r in [
            0u64,
            1,
            2,
            3,
            255,
            65535,
            1 << 20,
            (1 << 31) - 1,
            (1 << 32) - 1,
        ] {
            assert_eq!(isqrt_u64(r * r), r);
            if r > 0 {
                assert_eq!(isqrt_u64(r * r - 1), r - 1);
            }
            assert_eq!(isqrt_u64(r * r + 2 * r), r);
        }
    }

    #[test]
    fn reciprocal_of_powers_of_two_is_the_table_head_shifted() {
        // 2^k has index 0 (entry 0xFFFF, so mantissa 0x1FFFF): result 0x7FFFC000 >> k.
        for k in 0..31 {
            assert_eq!(vrcp32(1 << k), 0x7FFF_C000 >> k, "k={k}");
        }
    }

    #[test]
    fn reciprocal_is_close_to_the_true_value() {
        // The table has 9 index bits: the result is within 2^-9 of 2^31/x.
        for x in [
            3i32,
            7,
            100,
            1000,
            32767,
            40000,
            1 << 20,
            2_000_000,
            0x7FFF_FFFF,
        ] {
            let exact = (1u64 << 31) as f64 / x as f64;
            let got = vrcp32(x) as f64;
            assert!(
                (got - exact).abs() <= exact / 512.0 + 1.0,
                "x={x}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn rsqrt_is_close_to_the_true_value() {
        for x in [1i32, 2, 3, 4, 100, 12345, 1 << 20, 123_456_789, 0x7FFF_FFFF] {
            let exact = (1u64 << 31) as f64 / (x as f64).sqrt();
            let got = vrsq32(x) as f64;
            assert!(
                (got - exact).abs() <= exact / 256.0 + 1.0,
                "x={x}: {got} vs {exact}"
            );
        }
    }
}
