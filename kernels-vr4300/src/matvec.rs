//! `y = W x` for Q8 block-record matrices, with the record's inner loop in MIPS III assembly on
//! the N64 (numerics: `kernels::matvec`, whose doc this follows step by step).
//!
//! The spec builds each weight as `w16 = q << 8` and sums `2 * w16 * x` onto the VMULF rounding
//! constant: `h = sat16((0x8000 + 512 * S) >> 16)` with the exact integer dot product
//! `S = sum_c q[c] * x[c]`. Since `0x8000 + 512 S = 512 (S + 64)`, that is
//! `h = sat16((S + 64) >> 7)`, an `i32` computation: `|S| <= 32 * 128 * 32768 = 2^27`. Then
//! `h * G` (`|h| <= 2^15`, `G < 2^16`) fits an `i32` too, and only the scale chain over the
//! blocks needs 64 bits. So the VR4300 needs one 32-bit MULT per weight and nothing wider.
//!
//! # The inner loop (`record_sums_q8`)
//!
//! A record stores column `c` of its 8 rows as bytes `8c..8c+7`, so one column is 8 `LB`s
//! (sign-extending loads, no shifts) multiplied by the same `x[c]` (one `LH`). Per weight:
//! `LB`, `MULT`, `MFLO`, `ADDU` into one of 8 row accumulators held in registers for the whole
//! record: 4 instructions, plus 4 per column of 8 weights for `x`, the pointers and the
//! branch (two columns per iteration). The order keeps two instructions between each `MFLO`
//! and the next `MULT` (the R4000-family HI/LO hazard; VR4300 User's Manual, "MFLO"/"MULT"
//! restrictions) and loads each weight two instructions before its use.
//!
//! Measured (cen64, `cargo xtask bench`, bench-results/kernels.md): see there. cen64 does
//! not stall on a 32-bit MULT (its `VR4300_MULT_MULTU` returns without an interlock; `DMULT`
//! costs 8), while the VR4300 User's Manual gives MULT a 5-cycle latency that `MFLO` waits
//! for, so on a console this loop runs about 4 cycles per weight slower than in cen64.

use kernels::fixed::{sat16, shl_sat, VMULF_ROUND};
use kernels::matvec::{
    matvec as spec_matvec, BlockMatrix, Saturations, WeightBits, BLOCK_COLS, RECORD_ROWS,
};
use kernels::KernelError;

/// `y = W x`, bit-identical to `kernels::matvec::matvec` (same result, same saturation
/// counts, same errors). Q8 uses the tuned record loop; Q4 the spec.
pub fn matvec(m: &BlockMatrix<'_>, x: &[i16], y: &mut [i16]) -> Result<Saturations, KernelError> {
    if m.bits() != WeightBits::Q8 {
        return spec_matvec(m, x, y);
    }
    check_len("matvec input", m.cols(), x.len())?;
    check_len("matvec output", m.rows(), y.len())?;
    let blocks = m.cols() / BLOCK_COLS;
    let records = m.records();
    let record_bytes = WeightBits::Q8.record_bytes();
    let weight_bytes = WeightBits::Q8.weight_bytes();
    let mut sat = Saturations::default();
    for (g, (group, out)) in records
        .chunks_exact(blocks * record_bytes)
        .zip(y.chunks_exact_mut(RECORD_ROWS))
        .enumerate()
    {
        let _ = g;
        // The scale chain starts with the rounding product (VMUDM 0x4000 * 2 = 0x8000).
        let mut acc = [VMULF_ROUND; RECORD_ROWS];
        for (rec, xb) in group
            .chunks_exact(record_bytes)
            .zip(x.chunks_exact(BLOCK_COLS))
        {
            let rec: &[u8; 272] = rec.try_into().expect("records are 272 bytes");
            let xb: &[i16; BLOCK_COLS] = xb.try_into().expect("blocks are 32 columns");
            let sums = record_sums_q8(rec, xb);
            for j in 0..RECORD_ROWS {
                let h32 = (sums[j] + 64) >> 7;
                let h = sat16(h32 as i64);
                if h as i32 != h32 {
                    sat.partial += 1;
                }
                let at = weight_bytes + 2 * j;
                let scale = u16::from_be_bytes([rec[at], rec[at + 1]]);
                acc[j] += (h as i32 * scale as i32) as i64;
            }
        }
        for (j, slot) in out.iter_mut().enumerate() {
            let yk64 = acc[j] >> 16;
            let yk = sat16(yk64);
            let shifted = shl_sat(yk, m.out_shift() as u32);
            if yk as i64 != yk64 || (shifted as i64) != ((yk as i64) << m.out_shift()) {
                sat.output += 1;
            }
            *slot = shifted;
        }
    }
    Ok(sat)
}

fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<(), KernelError> {
    if expected == actual {
        Ok(())
    } else {
        Err(KernelError::Length {
            what,
            expected,
            actual,
        })
    }
}

/// The exact dot products `S_j = sum_c q[j][c] * x[c]` of one Q8 record's 8 rows (portable
/// form: the definition the assembly must match).
pub fn record_sums_q8_portable(rec: &[u8; 272], x: &[i16; BLOCK_COLS]) -> [i32; RECORD_ROWS] {
    let mut s = [0i32; RECORD_ROWS];
    for (c, &xc) in x.iter().enumerate() {
        for (j, sj) in s.iter_mut().enumerate() {
            *sj += (rec[c * RECORD_ROWS + j] as i8) as i32 * xc as i32;
        }
    }
    s
}

/// [`record_sums_q8_portable`] as the N64 computes it: the assembly loop on MIPS, the
/// portable form elsewhere.
#[inline]
pub fn record_sums_q8(rec: &[u8; 272], x: &[i16; BLOCK_COLS]) -> [i32; RECORD_ROWS] {
    #[cfg(target_arch = "mips")]
    {
        record_sums_q8_mips(rec, x)
    }
    #[cfg(not(target_arch = "mips"))]
    {
        record_sums_q8_portable(rec, x)
    }
}

/// One column: the 8 weights at `$off(w)`..`$off+7(w)` times `$x` (loaded before), each by
/// MULT, MFLO, ADDU, then the LB of the weight two ahead; `$fill` is the instruction that keeps
/// the last MFLO two instructions away from the last MULT (see the module doc).
#[cfg(target_arch = "mips")]
macro_rules! column {
    ($off:literal, $x:literal, $fill:expr) => {
        concat!(
            "lb   {qa}, ",
            $off,
            "+0({w})\n",
            "lb   {qb}, ",
            $off,
            "+1({w})\n",
            "mult {qa}, ",
            $x,
            "\n",
            "mflo {t}\n",
            "addu {s0}, {s0}, {t}\n",
            "lb   {qa}, ",
            $off,
            "+2({w})\n",
            "mult {qb}, ",
            $x,
            "\n",
            "mflo {t}\n",
            "addu {s1}, {s1}, {t}\n",
            "lb   {qb}, ",
            $off,
            "+3({w})\n",
            "mult {qa}, ",
            $x,
            "\n",
            "mflo {t}\n",
            "addu {s2}, {s2}, {t}\n",
            "lb   {qa}, ",
            $off,
            "+4({w})\n",
            "mult {qb}, ",
            $x,
            "\n",
            "mflo {t}\n",
            "addu {s3}, {s3}, {t}\n",
            "lb   {qb}, ",
            $off,
            "+5({w})\n",
            "mult {qa}, ",
            $x,
            "\n",
            "mflo {t}\n",
            "addu {s4}, {s4}, {t}\n",
            "lb   {qa}, ",
            $off,
            "+6({w})\n",
            "mult {qb}, ",
            $x,
            "\n",
            "mflo {t}\n",
            "addu {s5}, {s5}, {t}\n",
            "lb   {qb}, ",
            $off,
            "+7({w})\n",
            "mult {qa}, ",
            $x,
            "\n",
            "mflo {t}\n",
            "addu {s6}, {s6}, {t}\n",
            $fill,
            "\n",
            "mult {qb}, ",
            $x,
            "\n",
            "mflo {t}\n",
            "addu {s7}, {s7}, {t}\n",
        )
    };
}

/// Never inlined: Rust's MIPS `asm!` cannot name HI/LO as clobbers, but the o32 ABI does not
/// preserve them across a call, so no caller keeps a value there while this runs.
#[cfg(target_arch = "mips")]
#[inline(never)]
fn record_sums_q8_mips(rec: &[u8; 272], x: &[i16; BLOCK_COLS]) -> [i32; RECORD_ROWS] {
    let (mut s0, mut s1, mut s2, mut s3) = (0i32, 0i32, 0i32, 0i32);
    let (mut s4, mut s5, mut s6, mut s7) = (0i32, 0i32, 0i32, 0i32);
    let w = rec.as_ptr();
    let xp = x.as_ptr();
    // SAFETY: the loop reads rec[0..256] (32 columns x 8 bytes) and x[0..32], both in bounds
    // by their array types; it writes only its register operands and HI/LO (clobbered below
    // by the call, see above).
    unsafe {
        core::arch::asm!(
            ".set push",
            ".set noreorder",
            ".set noat", // every line is one machine instruction: no macro needs $at
            // Two columns per iteration, x[c] in {xa} and x[c+1] in {xb}.
            "2:",
            "lh   {xa}, 0({xp})",
            column!("0", "{xa}", "lh {xb}, 2({xp})"),
            column!("8", "{xb}", "addiu {w}, {w}, 16"),
            "bne  {w}, {end}, 2b",
            "addiu {xp}, {xp}, 4", // delay slot
            ".set pop",
            w = inout(reg) w => _,
            xp = inout(reg) xp => _,
            end = in(reg) w.add(BLOCK_COLS * RECORD_ROWS),
            xa = out(reg) _,
            xb = out(reg) _,
            qa = out(reg) _,
            qb = out(reg) _,
            t = out(reg) _,
            s0 = inout(reg) s0,
            s1 = inout(reg) s1,
            s2 = inout(reg) s2,
            s3 = inout(reg) s3,
            s4 = inout(reg) s4,
            s5 = inout(reg) s5,
            s6 = inout(reg) s6,
            s7 = inout(reg) s7,
            options(nostack, readonly),
        );
    }
    [s0, s1, s2, s3, s4, s5, s6, s7]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_column_sums_are_exact() {
        // Every weight -128, every x -32768: S = 32 * 2^22 = 2^27 per row.
        let mut rec = [0x80u8; 272];
        rec[256..].fill(0);
        let s = record_sums_q8_portable(&rec, &[i16::MIN; 32]);
        assert_eq!(s, [1 << 27; 8]);
        // Row 3 alone +127 in column 5 with x = 7, the rest zero.
        let mut rec = [0u8; 272];
        rec[5 * 8 + 3] = 127;
        let mut x = [0i16; 32];
        x[5] = 7;
        assert_eq!(
            record_sums_q8_portable(&rec, &x),
            [0, 0, 0, 889, 0, 0, 0, 0]
        );
    }
}
