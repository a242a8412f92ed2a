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
//! # The loop (`group_q8_mips`: one row group, all its blocks)
//!
//! A record stores column `c` of its 8 rows as bytes `8c..8c+7`, so one column is 8 `LB`s
//! (sign-extending loads, no shifts) multiplied by the same `x[c]` (one `LH`). Per weight:
//! `LB`, `MULT`, `MFLO`, `ADDU` into one of 8 row sums held in registers for the whole
//! record; the 32 columns are unrolled (offsets are immediates), and each column's `LH` of the
//! next `x` fills the slot that keeps two instructions between the last `MFLO` and the next
//! `MULT` (the R4000-family HI/LO hazard, VR4300 User's Manual on MFHI/MFLO). Each record ends
//! with, per row, `h = (S + 64) >> 7`, a 4-instruction range test that branches to an
//! out-of-line clamp (counted as the spec counts it), and `acc += h * G` (LHU, MULT, MFLO, and
//! LD/DADDU/SD on the 64-bit sum). Per record of 256 weights: 1,057 instructions of columns,
//! 96 of row ends, 11 of set-up and loop: 4.55 per weight (the measured 4.7-4.9 add each
//! group's call and its 8 outputs in Rust).
//!
//! # Measured (`cargo xtask bench`, bench-results/kernels.md)
//!
//! | | spec (LLVM) | this loop |
//! |---|---|---|
//! | mupen64plus instructions per weight, 512x128 | 15.88 | 4.87 |
//! | cen64 CPU cycles per weight, 512x128 | 32.67 | 8.39 |
//! | cen64 CPU cycles per weight, 128x128 | 33.35 | 8.78 |
//!
//! (cen64 figures move by up to 0.3 between builds: the caches are direct-mapped, so where the
//! linker puts the loop, the stack and the input changes which lines the weight stream evicts.)
//!
//! Where the cen64 cycles go: the weight stream misses the D-cache on every 16-byte line, and a
//! line fill costs 46 cycles there (`DCACHE_ACCESS_DELAY`): 17 lines per 272-byte record, about
//! 3.1 cycles per weight that no instruction order hides (MIPS III has no prefetch). The rest
//! is the 4.7-4.9 instructions. A first version that returned the 8 sums to Rust for each
//! record ran at 5.53 instructions and 9.08 cycles per weight.
//!
//! On a console it will be slower: cen64 charges DMULT 8, DIV 37 and DDIV 69 cycles, the
//! figures of the VR4300 User's Manual's multiply/divide table, but nothing for MULT, to which
//! the same table gives 5; each MFLO here waits for its MULT, so expect about 4 cycles more per
//! weight. Where that holds, products from small per-column tables may beat MULT; that needs
//! hardware to settle (bench-results/HARDWARE.md).

use kernels::error::check_len;
use kernels::fixed::{sat16, shl_sat, VMULF_ROUND};
use kernels::matvec::{BlockMatrix, Saturations, WeightBits, BLOCK_COLS, RECORD_ROWS};
use kernels::KernelError;

/// `y = W x`, bit-identical to `kernels::matvec::matvec` (same result, same saturation
/// counts, same errors). Q8 runs the loop below, Q4 the one of `crate::matvec_q4`.
pub fn matvec(m: &BlockMatrix<'_>, x: &[i16], y: &mut [i16]) -> Result<Saturations, KernelError> {
    if m.bits() == WeightBits::Q4 {
        return crate::matvec_q4::matvec_q4(m, x, y);
    }
    matvec_by_groups(m, x, y, WeightBits::Q8.record_bytes(), group_q8)
}

/// The part of `y = W x` around the assembly loops, shared by Q8 and Q4 (`record_bytes` a
/// record): the length checks, then for each group of 8 rows `group` (the width's loop) sums
/// `h_b * G_b` onto the rounding constant, and the spec's output step takes bits 16..31 of the
/// sum, shifted left by the matrix's `out_shift` with saturation (counted).
#[inline(always)]
pub(crate) fn matvec_by_groups(
    m: &BlockMatrix<'_>,
    x: &[i16],
    y: &mut [i16],
    record_bytes: usize,
    group: impl Fn(&[u8], &[i16], &mut [i64; RECORD_ROWS]) -> u32,
) -> Result<Saturations, KernelError> {
    check_len("matvec input", m.cols(), x.len())?;
    check_len("matvec output", m.rows(), y.len())?;
    let blocks = m.cols() / BLOCK_COLS;
    let mut sat = Saturations::default();
    for (records, out) in m
        .records()
        .chunks_exact(blocks * record_bytes)
        .zip(y.chunks_exact_mut(RECORD_ROWS))
    {
        // The scale chain starts with the rounding product (VMUDM 0x4000 * 2 = 0x8000).
        let mut acc = [VMULF_ROUND; RECORD_ROWS];
        sat.partial += group(records, x, &mut acc);
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

/// One row group of a Q8 matrix (`records`: its blocks' records, `x`: the whole input):
/// adds `h_b * G_b` of every block `b` to `acc[j]` for the group's 8 rows and returns how many
/// partial sums `h_b` were clamped (portable form: the definition the assembly must match).
pub fn group_q8_portable(records: &[u8], x: &[i16], acc: &mut [i64; RECORD_ROWS]) -> u32 {
    let mut partial = 0;
    for (rec, xb) in records.chunks_exact(272).zip(x.chunks_exact(BLOCK_COLS)) {
        let rec: &[u8; 272] = rec.try_into().expect("records are 272 bytes");
        let xb: &[i16; BLOCK_COLS] = xb.try_into().expect("blocks are 32 columns");
        let sums = record_sums_q8_portable(rec, xb);
        // 0x8000 + 512 S = 512 (S + 64): the spec's VMULF chain, in 32 bits.
        partial += add_row_ends_portable(&sums, 7, &rec[256..], acc);
    }
    partial
}

/// A record's row ends (portable form of `rows!`, Q8 and Q4): `h = sat16((S + round) >> shift)`
/// with `round = 2^(shift-1)`, counted when clamped, then `acc[j] += h * G_j` (`G_j` the
/// big-endian u16 at `scales[2j]`). Returns how many of the 8 `h` were clamped.
pub(crate) fn add_row_ends_portable(
    sums: &[i32; RECORD_ROWS],
    shift: u32,
    scales: &[u8],
    acc: &mut [i64; RECORD_ROWS],
) -> u32 {
    let mut clamped = 0;
    for (j, a) in acc.iter_mut().enumerate() {
        let h32 = (sums[j] + (1 << (shift - 1))) >> shift;
        let h = sat16(h32 as i64);
        if h as i32 != h32 {
            clamped += 1;
        }
        let scale = u16::from_be_bytes([scales[2 * j], scales[2 * j + 1]]);
        *a += (h as i32 * scale as i32) as i64;
    }
    clamped
}

/// [`group_q8_portable`] as the N64 computes it: the assembly loop on MIPS, the portable form
/// elsewhere.
#[inline]
pub fn group_q8(records: &[u8], x: &[i16], acc: &mut [i64; RECORD_ROWS]) -> u32 {
    #[cfg(target_arch = "mips")]
    {
        group_q8_mips(records, x, acc)
    }
    #[cfg(not(target_arch = "mips"))]
    {
        group_q8_portable(records, x, acc)
    }
}

/// One column: the 8 weights at `$off(w)`..`$off+7(w)` times `$x` (loaded before), each by
/// MULT, MFLO, ADDU, then the LB of the weight two ahead; `$fill` is the instruction that keeps
/// the last MFLO two instructions away from the last MULT (see the module doc).
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! q8_column {
    ($off:literal, $x:literal, $fill:expr) => {
        concat!(
            "lb   {qa}, ", $off, "+0({w})\n",
            "lb   {qb}, ", $off, "+1({w})\n",
            "mult {qa}, ", $x, "\n", "mflo {t}\n", "addu {s0}, {s0}, {t}\n",
            "lb   {qa}, ", $off, "+2({w})\n",
            "mult {qb}, ", $x, "\n", "mflo {t}\n", "addu {s1}, {s1}, {t}\n",
            "lb   {qb}, ", $off, "+3({w})\n",
            "mult {qa}, ", $x, "\n", "mflo {t}\n", "addu {s2}, {s2}, {t}\n",
            "lb   {qa}, ", $off, "+4({w})\n",
            "mult {qb}, ", $x, "\n", "mflo {t}\n", "addu {s3}, {s3}, {t}\n",
            "lb   {qb}, ", $off, "+5({w})\n",
            "mult {qa}, ", $x, "\n", "mflo {t}\n", "addu {s4}, {s4}, {t}\n",
            "lb   {qa}, ", $off, "+6({w})\n",
            "mult {qb}, ", $x, "\n", "mflo {t}\n", "addu {s5}, {s5}, {t}\n",
            "lb   {qb}, ", $off, "+7({w})\n",
            "mult {qa}, ", $x, "\n", "mflo {t}\n", "addu {s6}, {s6}, {t}\n",
            $fill, "\n",
            "mult {qb}, ", $x, "\n", "mflo {t}\n", "addu {s7}, {s7}, {t}\n",
        )
    };
}

/// Row `$j`'s end of a record, for the Q8 loop and the Q4 one (`crate::matvec_q4`):
/// `h = (S + $round) >> $shift` (Q8: 64, 7; Q4: 4, 3), clamped to int16 out of line (label
/// `2$j`, counted) when `h >> 15` is neither 0 nor -1; then `acc[$j] += h * G` (MULT: both fit
/// 32 bits, the product too; the 64-bit sum by LD/DADDU/SD). `$g`: the scale's offset in the
/// record, `$a`: the sum's in `acc`.
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! row {
    ($j:literal, $s:literal, $round:literal, $shift:literal, $g:expr, $a:literal) => {
        concat!(
            "addiu {t}, ", $s, ", ", $round, "\n",
            "sra   {t}, {t}, ", $shift, "\n",
            "sra   {xa}, {t}, 15\n",
            "addiu {xa}, {xa}, 1\n",
            "sltiu {xa}, {xa}, 2\n",
            "beqz  {xa}, 2", $j, "f\n",
            "lhu   {xb}, ", $g, "({w})\n", // delay slot: the row's scale G
            "3", $j, ":\n",
            "mult  {t}, {xb}\n",
            "mflo  {t}\n",
            "ld    {qa}, ", $a, "({acc})\n",
            "daddu {qa}, {qa}, {t}\n",
            "sd    {qa}, ", $a, "({acc})\n",
        )
    };
}

/// The clamp of row `$j`: -32768 for a negative h, 32767 otherwise (`0x7FFF ^ sign`), one more
/// saturated partial sum, back to the row's MULT.
#[cfg(target_arch = "mips")]
macro_rules! saturate {
    ($j:literal) => {
        concat!(
            "2",
            $j,
            ":\n",
            "sra   {xa}, {t}, 31\n",
            "ori   {t}, $0, 32767\n",
            "xor   {t}, {t}, {xa}\n",
            "b     3",
            $j,
            "b\n",
            "addiu {np}, {np}, 1\n", // delay slot
        )
    };
}

/// The 8 row ends of a record (row `j`: sum `s{j}`, scale at `$scales + 2j` in the record,
/// 64-bit sum at `8j` in `acc`), `h = (S + $round) >> $shift`.
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one row a line
macro_rules! rows {
    ($round:literal, $shift:literal, $scales:literal) => {
        concat!(
            row!("0", "{s0}", $round, $shift, concat!($scales, "+0"), "0"),
            row!("1", "{s1}", $round, $shift, concat!($scales, "+2"), "8"),
            row!("2", "{s2}", $round, $shift, concat!($scales, "+4"), "16"),
            row!("3", "{s3}", $round, $shift, concat!($scales, "+6"), "24"),
            row!("4", "{s4}", $round, $shift, concat!($scales, "+8"), "32"),
            row!("5", "{s5}", $round, $shift, concat!($scales, "+10"), "40"),
            row!("6", "{s6}", $round, $shift, concat!($scales, "+12"), "48"),
            row!("7", "{s7}", $round, $shift, concat!($scales, "+14"), "56"),
        )
    };
}

/// The `asm!` of a row-group loop, Q8 or Q4: label `3` starts a record with the 8 row sums
/// zeroed, `$body` is the record's columns, row ends and the branch back to `3` while records
/// remain, and the out-of-line clamps follow the loop. The operands both loops use are named
/// here; `$extra` adds the Q4 loop's second register pair (placed where it always stood in the
/// list: the order decides which registers LLVM picks, and so the measured machine code).
#[cfg(target_arch = "mips")]
macro_rules! record_loop {
    ($records:expr, $x:expr, $acc:expr, $np:ident, [$($body:expr),* $(,)?] $(, $extra:ident)*) => {
        core::arch::asm!(
            ".set push",
            ".set noreorder",
            ".set noat", // every line is one machine instruction: no macro needs $at
            "3:",
            "move {s0}, $0",
            "move {s1}, $0",
            "move {s2}, $0",
            "move {s3}, $0",
            "move {s4}, $0",
            "move {s5}, $0",
            "move {s6}, $0",
            "move {s7}, $0",
            $($body,)*
            "b    9f",
            "nop",
            saturate!("0"),
            saturate!("1"),
            saturate!("2"),
            saturate!("3"),
            saturate!("4"),
            saturate!("5"),
            saturate!("6"),
            saturate!("7"),
            "9:",
            ".set pop",
            w = inout(reg) $records.as_ptr() => _,
            end = in(reg) $records.as_ptr().add($records.len()),
            xp = inout(reg) $x.as_ptr() => _,
            acc = in(reg) $acc.as_mut_ptr(),
            np = inout(reg) $np,
            xa = out(reg) _,
            xb = out(reg) _,
            qa = out(reg) _,
            qb = out(reg) _,
            $($extra = out(reg) _,)*
            t = out(reg) _,
            s0 = out(reg) _,
            s1 = out(reg) _,
            s2 = out(reg) _,
            s3 = out(reg) _,
            s4 = out(reg) _,
            s5 = out(reg) _,
            s6 = out(reg) _,
            s7 = out(reg) _,
            options(nostack),
        )
    };
}

/// One row group (8 rows, all its blocks): `acc[j] += h_b * G_b` over the blocks, where
/// `h_b` is the block's clamped partial sum; returns how many `h_b` were clamped.
/// `records` is the group's records (a multiple of 272 bytes), `x` the matching input.
///
/// Never inlined: Rust's MIPS `asm!` cannot name HI/LO as clobbers, but the o32 ABI does not
/// preserve them across a call, so no caller keeps a value there while this runs.
#[cfg(target_arch = "mips")]
#[inline(never)]
fn group_q8_mips(records: &[u8], x: &[i16], acc: &mut [i64; RECORD_ROWS]) -> u32 {
    let blocks = records.len() / 272;
    assert!(blocks > 0 && records.len() == blocks * 272 && x.len() == blocks * BLOCK_COLS);
    let mut np = 0u32;
    // SAFETY: the loop reads `records` (272 bytes a block: weights at 0..256, scales at
    // 256..272) and `x` (32 i16 a block) within the lengths asserted above, and reads and
    // writes the 8 i64 of `acc` (8-byte aligned); it writes only its register operands and
    // HI/LO (see above).
    unsafe {
        record_loop!(
            records,
            x,
            acc,
            np,
            [
                "lh   {xa}, 0({xp})",
                q8_column!("0", "{xa}", "lh {xb}, 2({xp})"),
                q8_column!("8", "{xb}", "lh {xa}, 4({xp})"),
                q8_column!("16", "{xa}", "lh {xb}, 6({xp})"),
                q8_column!("24", "{xb}", "lh {xa}, 8({xp})"),
                q8_column!("32", "{xa}", "lh {xb}, 10({xp})"),
                q8_column!("40", "{xb}", "lh {xa}, 12({xp})"),
                q8_column!("48", "{xa}", "lh {xb}, 14({xp})"),
                q8_column!("56", "{xb}", "lh {xa}, 16({xp})"),
                q8_column!("64", "{xa}", "lh {xb}, 18({xp})"),
                q8_column!("72", "{xb}", "lh {xa}, 20({xp})"),
                q8_column!("80", "{xa}", "lh {xb}, 22({xp})"),
                q8_column!("88", "{xb}", "lh {xa}, 24({xp})"),
                q8_column!("96", "{xa}", "lh {xb}, 26({xp})"),
                q8_column!("104", "{xb}", "lh {xa}, 28({xp})"),
                q8_column!("112", "{xa}", "lh {xb}, 30({xp})"),
                q8_column!("120", "{xb}", "lh {xa}, 32({xp})"),
                q8_column!("128", "{xa}", "lh {xb}, 34({xp})"),
                q8_column!("136", "{xb}", "lh {xa}, 36({xp})"),
                q8_column!("144", "{xa}", "lh {xb}, 38({xp})"),
                q8_column!("152", "{xb}", "lh {xa}, 40({xp})"),
                q8_column!("160", "{xa}", "lh {xb}, 42({xp})"),
                q8_column!("168", "{xb}", "lh {xa}, 44({xp})"),
                q8_column!("176", "{xa}", "lh {xb}, 46({xp})"),
                q8_column!("184", "{xb}", "lh {xa}, 48({xp})"),
                q8_column!("192", "{xa}", "lh {xb}, 50({xp})"),
                q8_column!("200", "{xb}", "lh {xa}, 52({xp})"),
                q8_column!("208", "{xa}", "lh {xb}, 54({xp})"),
                q8_column!("216", "{xb}", "lh {xa}, 56({xp})"),
                q8_column!("224", "{xa}", "lh {xb}, 58({xp})"),
                q8_column!("232", "{xb}", "lh {xa}, 60({xp})"),
                q8_column!("240", "{xa}", "lh {xb}, 62({xp})"),
                q8_column!("248", "{xb}", "addiu {xp}, {xp}, 64"),
                rows!("64", "7", "256"),
                "addiu {w}, {w}, 272",
                "bne  {w}, {end}, 3b",
                "nop",
            ]
        );
    }
    np
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
