//! `y = W x` for Q8 block-record matrices, with each row group in MIPS III assembly on
//! the N64 (numerics: `kernels::matvec`, whose doc this follows step by step).
//!
//! The spec builds each weight as `w16 = q << 8` and sums `2 * w16 * x` onto the VMULF rounding
//! constant: `h = sat16((0x8000 + 512 * S) >> 16)` with the exact integer dot product
//! `S = sum_c q[c] * x[c]`. Since `0x8000 + 512 S = 512 (S + 64)`, that is
//! `h = sat16((S + 64) >> 7)`, an `i32` computation: `|S| <= 32 * 128 * 32768 = 2^27`. Then
//! `h * G` (`|h| <= 2^15`, `G < 2^16`) fits an `i32` too, and only the scale chain over the
//! blocks needs 64 bits. So the VR4300 needs one 32-bit MULT per weight and nothing wider.
//!
//! # The loop (`group_q8_out_mips`: one row group, all its blocks, to its 8 outputs)
//!
//! A record stores column `c` of its 8 rows as bytes `8c..8c+7`, so one column is 8 `LB`s
//! (sign-extending loads, no shifts) multiplied by the same `x[c]` (one `LH`). Per weight:
//! `LB`, `MULT`, `MFLO`, `ADDU` into one of 8 row sums held in registers for the whole
//! record; the 32 columns are unrolled (offsets are immediates), and the LB of each column's
//! first weight fills the slot that keeps two instructions between the last `MFLO` and the
//! next `MULT` (the R4000-family HI/LO hazard, VR4300 User's Manual on MFHI/MFLO). Each record
//! ends with, per row, `h = (S + 64) >> 7`, a 3-instruction range test that branches to an
//! out-of-line clamp (counted as the spec counts it), and `acc += h * G` into a 64-bit register
//! (LHU, MULT in the branch's delay slot, MFLO, DADDU). The 8 scale chains stay in registers
//! for the whole group and the spec's output step (bits 16..31, clamp, `out_shift` with
//! saturation) is done in the same `asm!`, so a group touches no memory but its weights, `x`
//! and its 8 outputs. Per record of 256 weights: 1,056 instructions of columns, 80 of row
//! ends, 10 of zeroing and loop: 4.48 per weight; mupen64plus counts 4.60-4.72 with the calls
//! and the output step.
//!
//! # Measured (`cargo xtask bench`, bench-results/kernels.md)
//!
//! | | spec (LLVM) | this loop |
//! |---|---|---|
//! | mupen64plus instructions per weight, 512x128 | 15.88 | 4.71 |
//! | cen64 CPU cycles per weight, 512x128 | 32.78 | 8.17 |
//! | cen64 CPU cycles per weight, 128x128 (the first, cold) | 32.9 | 8.61 |
//! | cen64 CPU cycles per weight, 512x128, 128x512 | 32.78, 32.68 | 8.16, 8.30 |
//!
//! (cen64 figures move by up to 0.3 between builds: the caches are direct-mapped, so where the
//! linker puts the loop, the stack and the input changes which lines the weight stream evicts.)
//!
//! Where the cen64 cycles go, counted with cen64's `-profile` (instructions and D-cache misses
//! per PC) over a whole bench run, 77,268 records: per record 1,166 instructions and 18.6
//! D-cache misses: 16 weight lines, 1 scale line (17: the 272-byte record), 1.2 lines of `x`
//! (the weight stream evicts them between two uses: the D-cache is 8 KiB and direct-mapped),
//! 0.2 of `y` and 0.2 of the stack (the clamp counts). A miss costs 46 cycles in cen64
//! (`DCACHE_ACCESS_DELAY`), so the 17 lines alone are 3.05 cycles per weight that no
//! instruction order hides (MIPS III has no prefetch) and the whole record ~7.95. The previous
//! loop (the same columns, the 64-bit sums in memory, the output step in Rust) measured 8.46:
//! the Rust around it spilled the sums to the stack, where the weight stream evicted them
//! (~6 misses a group).
//!
//! Hence the floor of this design in cen64: 4 instructions and 17/256 line fills a weight,
//! ~7.1 cycles, ~7.9 with the row ends, `x`, the outputs and the calls; the rest of the Q8
//! token (attention, norms, softmax, ~0.25 a weight: 8.42 in all, bench-results/kernels.md)
//! leaves 8.0 for the whole token out of reach without fewer line fills or fewer than 4
//! instructions a weight (two products per MULT need more than 32 bits of spacing; DMULT costs
//! 8 cycles in cen64 and on the console).
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
    check_len("matvec input", m.cols(), x.len())?;
    check_len("matvec output", m.rows(), y.len())?;
    let record_bytes = WeightBits::Q8.record_bytes();
    let group_bytes = m.cols() / BLOCK_COLS * record_bytes;
    let shift = m.out_shift() as u32;
    let mut sat = Saturations::default();
    for (records, out) in m
        .records()
        .chunks_exact(group_bytes)
        .zip(y.chunks_exact_mut(RECORD_ROWS))
    {
        let out: &mut [i16; RECORD_ROWS] = out.try_into().expect("groups are 8 rows");
        let (partial, output) = group_q8_out(records, x, out, shift);
        sat.partial += partial;
        sat.output += output;
    }
    Ok(sat)
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
        sat.output += output_step(&acc, m.out_shift() as u32, out);
    }
    Ok(sat)
}

/// The spec's output step for a group's 8 rows: bits 16..31 of each sum, clamped to int16,
/// shifted left by `shift` with saturation; returns how many rows clamped (once a row).
pub(crate) fn output_step(acc: &[i64; RECORD_ROWS], shift: u32, out: &mut [i16]) -> u32 {
    let mut clamped = 0;
    for (slot, &a) in out.iter_mut().zip(acc) {
        let yk64 = a >> 16;
        let yk = sat16(yk64);
        let shifted = shl_sat(yk, shift);
        if yk as i64 != yk64 || (shifted as i64) != ((yk as i64) << shift) {
            clamped += 1;
        }
        *slot = shifted;
    }
    clamped
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

/// A record's row ends (portable form of `rows!` and `q8_row_end!`, Q8 and Q4): `h = sat16((S + round) >> shift)`
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

/// One row group of a Q8 matrix to its 8 outputs (portable form: the definition the assembly
/// must match): the scale chain from the rounding constant ([`group_q8_portable`]), then the
/// output step. Returns (clamped partial sums, clamped outputs).
pub fn group_q8_out_portable(
    records: &[u8],
    x: &[i16],
    out: &mut [i16; RECORD_ROWS],
    shift: u32,
) -> (u32, u32) {
    let mut acc = [VMULF_ROUND; RECORD_ROWS];
    let partial = group_q8_portable(records, x, &mut acc);
    (partial, output_step(&acc, shift, out))
}

/// [`group_q8_out_portable`] as the N64 computes it: the assembly loop on MIPS, the portable
/// form elsewhere.
#[inline]
pub fn group_q8_out(
    records: &[u8],
    x: &[i16],
    out: &mut [i16; RECORD_ROWS],
    shift: u32,
) -> (u32, u32) {
    #[cfg(target_arch = "mips")]
    {
        group_q8_out_mips(records, x, out, shift)
    }
    #[cfg(not(target_arch = "mips"))]
    {
        group_q8_out_portable(records, x, out, shift)
    }
}

/// Row `$j`'s end of a record for the Q4 loop (`crate::matvec_q4`; the Q8 loop has `q8_row_end!`):
/// `h = (S + $round) >> $shift` (Q4: 4, 3), clamped to int16 out of line (label
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

/// One column of the Q8 loop: `x[c]` (LH at `$xoff({xp})`) times the 8 weights at
/// `$off({w})`..`$off+7({w})`, each by MULT, MFLO into the weight's own register, ADDU into
/// the row sum; the column's first weight is already in `qa` (loaded by the previous column's
/// `$fill`, or before the first). `$fill` sits between the last MFLO but one and the last MULT
/// (two instructions must separate an MFLO from the next MULT: the R4000-family HI/LO hazard,
/// VR4300 User's Manual on MFHI/MFLO): the LB of the next column's first weight, or the step
/// of `xp` after the last. Every load is two or more instructions ahead of its use (a load
/// used by the next instruction interlocks one cycle).
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! q8_column {
    ($off:expr, $xoff:expr, $fill:expr) => {
        concat!(
            "lh   {x}, ", $xoff, "({xp})\n",
            "lb   {qb}, ", $off, "+1({w})\n",
            "mult {qa}, {x}\n", "mflo {qa}\n", "addu {s0}, {s0}, {qa}\n",
            "lb   {qa}, ", $off, "+2({w})\n",
            "mult {qb}, {x}\n", "mflo {qb}\n", "addu {s1}, {s1}, {qb}\n",
            "lb   {qb}, ", $off, "+3({w})\n",
            "mult {qa}, {x}\n", "mflo {qa}\n", "addu {s2}, {s2}, {qa}\n",
            "lb   {qa}, ", $off, "+4({w})\n",
            "mult {qb}, {x}\n", "mflo {qb}\n", "addu {s3}, {s3}, {qb}\n",
            "lb   {qb}, ", $off, "+5({w})\n",
            "mult {qa}, {x}\n", "mflo {qa}\n", "addu {s4}, {s4}, {qa}\n",
            "lb   {qa}, ", $off, "+6({w})\n",
            "mult {qb}, {x}\n", "mflo {qb}\n", "addu {s5}, {s5}, {qb}\n",
            "lb   {qb}, ", $off, "+7({w})\n",
            "mult {qa}, {x}\n", "mflo {qa}\n", "addu {s6}, {s6}, {qa}\n",
            $fill, "\n",
            "mult {qb}, {x}\n", "mflo {qb}\n", "addu {s7}, {s7}, {qb}\n",
        )
    };
}

/// Columns `$c` and `$c + 1` (one 16-byte D-cache line of weights), each one's fill the LB of
/// the next column's first weight.
#[cfg(target_arch = "mips")]
macro_rules! q8_columns {
    ($c:literal) => {
        concat!(
            q8_column!(
                concat!("8*", $c),
                concat!("2*", $c),
                concat!("lb {qa}, 8*", $c, "+8({w})")
            ),
            q8_column!(
                concat!("8*", $c, "+8"),
                concat!("2*", $c, "+2"),
                concat!("lb {qa}, 8*", $c, "+16({w})")
            ),
        )
    };
}

/// Row `$j`'s end of a record, its sum in `$s` and its 64-bit scale chain in `$a` (temporaries
/// `x`, `qa`, `qb`): `h = (S + 64) >> 7`; the scale `G` loaded four instructions before its
/// use; the range test "h equals its low 16 bits sign-extended" (3 instructions); the MULT by
/// `G` in the branch's delay slot. An `h` outside int16 goes to label `2$j` (clamp, count,
/// MULT again) and comes back to `3$j`. `mflo` sign-extends the 32-bit `h * G`
/// (`|h G| < 2^31`) for the 64-bit `DADDU`.
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! q8_row_end {
    ($j:literal, $s:literal, $a:literal) => {
        concat!(
            "addiu {x}, ", $s, ", 64\n",
            "lhu   {qb}, 256+2*", $j, "({w})\n",
            "sra   {x}, {x}, 7\n",
            "sll   {qa}, {x}, 16\n",
            "sra   {qa}, {qa}, 16\n",
            "bne   {qa}, {x}, 2", $j, "f\n",
            "mult  {x}, {qb}\n", // delay slot
            "3", $j, ":\n",
            "mflo  {x}\n",
            "daddu ", $a, ", ", $a, ", {x}\n",
        )
    };
}

/// The clamp of row `$j`'s partial sum (out of line): -32768 for a negative h, 32767 otherwise
/// (`0x7FFF ^ sign`), the MULT by G again, one more clamped partial sum (the word at `0($sp)`:
/// no register is left for the count; clamps are rare).
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! q8_row_clamp {
    ($j:literal) => {
        concat!(
            "2", $j, ":\n",
            "sra   {qa}, {x}, 31\n",
            "ori   {x}, $0, 32767\n",
            "xor   {x}, {x}, {qa}\n",
            "mult  {x}, {qb}\n",
            "lw    {qa}, 0($sp)\n",
            "addiu {qa}, {qa}, 1\n",
            "b     3", $j, "b\n",
            "sw    {qa}, 0($sp)\n", // delay slot
        )
    };
}

/// Row `$j`'s output (the spec's output step, [`output_step`]): `yk = a >> 16` (64-bit),
/// clamped to int16 at label `4$j` when it does not fit; `yk << shift` (SLLV: `|yk| <= 2^15`,
/// `shift <= 15`, so it fits 32 bits), clamped at `6$j` when it does not fit int16; the SH to
/// `y[$j]` sits in the second branch's delay slot (a clamp path stores again). Each clamp path
/// counts the row once (the word at `4($sp)`).
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! q8_output {
    ($j:literal, $a:literal) => {
        concat!(
            "dsra  {qa}, ", $a, ", 16\n",
            "sll   {qb}, {qa}, 16\n",
            "sra   {qb}, {qb}, 16\n",
            "bne   {qb}, {qa}, 4", $j, "f\n",
            "sllv  {x}, {qb}, {sh}\n", // delay slot
            "sll   {qa}, {x}, 16\n",
            "sra   {qa}, {qa}, 16\n",
            "bne   {qa}, {x}, 6", $j, "f\n",
            "sh    {x}, 2*", $j, "({y})\n", // delay slot
            "7", $j, ":\n",
        )
    };
}

/// Row `$j`'s output clamps (out of line). `4$j`: `yk` (in `qa`, 64-bit) clamped by its sign,
/// shifted, and clamped again if the shift overflows; `6$j`: only the shift overflowed. Both
/// count the row once and store the clamped value.
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! q8_output_clamp {
    ($j:literal) => {
        concat!(
            "4", $j, ":\n",
            "dsra32 {qb}, {qa}, 31\n",
            "ori   {x}, $0, 32767\n",
            "xor   {qb}, {x}, {qb}\n",
            "sllv  {x}, {qb}, {sh}\n",
            "sll   {qa}, {x}, 16\n",
            "sra   {qa}, {qa}, 16\n",
            "beq   {qa}, {x}, 8", $j, "f\n",
            "nop\n",
            "6", $j, ":\n",
            "sra   {qa}, {x}, 31\n",
            "ori   {x}, $0, 32767\n",
            "xor   {x}, {x}, {qa}\n",
            "8", $j, ":\n",
            "sh    {x}, 2*", $j, "({y})\n",
            "lw    {qa}, 4($sp)\n",
            "addiu {qa}, {qa}, 1\n",
            "b     7", $j, "b\n",
            "sw    {qa}, 4($sp)\n", // delay slot
        )
    };
}

/// One row group (8 rows, all its blocks) to its 8 outputs: the scale chain `0x8000 +
/// sum_b h_b G_b` of each row, `h_b` the block's clamped partial sum, then the output step;
/// returns (clamped partial sums, clamped outputs). `records` is the group's records (a
/// multiple of 272 bytes), `x` the matching input, `shift` the matrix's `out_shift`.
///
/// Everything stays in registers for the whole group: the 8 row sums, the 8 64-bit scale
/// chains, the pointers (24 operands, all LLVM gives an `asm!` here); the two clamp counts are
/// words on the stack, touched only when something clamps. So the only memory a group touches
/// is its weights, `x` and the 16 bytes of `y`: the spec's output step in Rust around a
/// record loop spilled the 64-bit sums to the stack, where the weight stream evicts them
/// (the direct-mapped 8 KiB D-cache): cen64's `-profile` counted ~6 misses a group there.
/// Per record of 256 weights: 32 columns of 33 instructions, 8 row ends of 10, 10 of loop and
/// zeroing: 1,146 instructions (4.48 per weight); per group, 9 a row for the output.
///
/// Never inlined: Rust's MIPS `asm!` cannot name HI/LO as clobbers, but the o32 ABI does not
/// preserve them across a call, so no caller keeps a value there while this runs. The 64-bit
/// sums live in registers only inside the `asm!` (interrupts are off in rspnn's ROMs; a
/// handler that saved only the low 32 bits of registers would corrupt them).
#[cfg(target_arch = "mips")]
#[inline(never)]
fn group_q8_out_mips(
    records: &[u8],
    x: &[i16],
    out: &mut [i16; RECORD_ROWS],
    shift: u32,
) -> (u32, u32) {
    let blocks = records.len() / 272;
    assert!(blocks > 0 && records.len() == blocks * 272 && x.len() == blocks * BLOCK_COLS);
    assert!(shift <= 15, "out_shift is at most 15 (BlockMatrix)");
    let (partial, output): (u32, u32);
    // SAFETY: the loop reads `records` (272 bytes a block: weights at 0..256, scales at
    // 256..272) and `x` (32 i16 a block) within the lengths asserted above, writes the 8 i16
    // of `out`, and 8 bytes it reserves below the stack pointer (and gives back); it writes
    // only its register operands and HI/LO (see above).
    unsafe {
        core::arch::asm!(
            ".set push",
            ".set noreorder",
            ".set noat", // LLVM may give an operand $at; every line is one machine instruction
            "addiu $sp, $sp, -8", // the two clamp counts
            "sw   $0, 0($sp)",
            "sw   $0, 4($sp)",
            "ori  {a0}, $0, 0x8000", // the VMULF rounding constant starts each chain
            "ori  {a1}, $0, 0x8000",
            "ori  {a2}, $0, 0x8000",
            "ori  {a3}, $0, 0x8000",
            "ori  {a4}, $0, 0x8000",
            "ori  {a5}, $0, 0x8000",
            "ori  {a6}, $0, 0x8000",
            "ori  {a7}, $0, 0x8000",
            "move {s0}, $0",
            "3:", // a record; s0 is zeroed before the label and in the loop's delay slot
            "move {s1}, $0",
            "move {s2}, $0",
            "move {s3}, $0",
            "move {s4}, $0",
            "move {s5}, $0",
            "move {s6}, $0",
            "move {s7}, $0",
            "lb   {qa}, 0({w})",
            q8_columns!("0"),
            q8_columns!("2"),
            q8_columns!("4"),
            q8_columns!("6"),
            q8_columns!("8"),
            q8_columns!("10"),
            q8_columns!("12"),
            q8_columns!("14"),
            q8_columns!("16"),
            q8_columns!("18"),
            q8_columns!("20"),
            q8_columns!("22"),
            q8_columns!("24"),
            q8_columns!("26"),
            q8_columns!("28"),
            q8_column!("8*30", "2*30", "lb {qa}, 8*30+8({w})"),
            q8_column!("8*31", "2*31", "addiu {xp}, {xp}, 64"),
            q8_row_end!("0", "{s0}", "{a0}"),
            q8_row_end!("1", "{s1}", "{a1}"),
            q8_row_end!("2", "{s2}", "{a2}"),
            q8_row_end!("3", "{s3}", "{a3}"),
            q8_row_end!("4", "{s4}", "{a4}"),
            q8_row_end!("5", "{s5}", "{a5}"),
            q8_row_end!("6", "{s6}", "{a6}"),
            q8_row_end!("7", "{s7}", "{a7}"),
            "addiu {w}, {w}, 272",
            "bne  {w}, {end}, 3b",
            "move {s0}, $0", // delay slot
            q8_output!("0", "{a0}"),
            q8_output!("1", "{a1}"),
            q8_output!("2", "{a2}"),
            q8_output!("3", "{a3}"),
            q8_output!("4", "{a4}"),
            q8_output!("5", "{a5}"),
            q8_output!("6", "{a6}"),
            q8_output!("7", "{a7}"),
            "lw   {w}, 0($sp)",
            "lw   {end}, 4($sp)",
            "b    9f",
            "addiu $sp, $sp, 8", // delay slot
            q8_row_clamp!("0"),
            q8_row_clamp!("1"),
            q8_row_clamp!("2"),
            q8_row_clamp!("3"),
            q8_row_clamp!("4"),
            q8_row_clamp!("5"),
            q8_row_clamp!("6"),
            q8_row_clamp!("7"),
            q8_output_clamp!("0"),
            q8_output_clamp!("1"),
            q8_output_clamp!("2"),
            q8_output_clamp!("3"),
            q8_output_clamp!("4"),
            q8_output_clamp!("5"),
            q8_output_clamp!("6"),
            q8_output_clamp!("7"),
            "9:",
            ".set pop",
            w = inout(reg) records.as_ptr() => partial,
            end = inout(reg) records.as_ptr().add(records.len()) => output,
            xp = inout(reg) x.as_ptr() => _,
            y = in(reg) out.as_mut_ptr(),
            sh = in(reg) shift,
            x = out(reg) _,
            qa = out(reg) _,
            qb = out(reg) _,
            s0 = out(reg) _,
            s1 = out(reg) _,
            s2 = out(reg) _,
            s3 = out(reg) _,
            s4 = out(reg) _,
            s5 = out(reg) _,
            s6 = out(reg) _,
            s7 = out(reg) _,
            a0 = out(reg) _,
            a1 = out(reg) _,
            a2 = out(reg) _,
            a3 = out(reg) _,
            a4 = out(reg) _,
            a5 = out(reg) _,
            a6 = out(reg) _,
            a7 = out(reg) _,
        );
    }
    (partial, output)
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
