//! `y = W x` for Q4 block-record matrices: the row-group loop in MIPS III assembly on the N64
//! (numerics: `kernels::matvec`; the Q8 loop's module, `crate::matvec`, explains the shared
//! structure: row sums in registers, the clamp out of line, the 64-bit scale chain).
//!
//! A Q4 weight enters the spec as `w16 = q << 12`, so the block partial sum is
//! `h = sat16((0x8000 + 8192 S) >> 16) = sat16((S + 4) >> 3)` with `S = sum_c q[c] x[c]`,
//! `|S| <= 32 * 8 * 32768 = 2^23`: 32-bit arithmetic again.
//!
//! A record's byte `8p + j` holds row `j`'s columns `2p` (high nibble) and `2p + 1` (low
//! nibble), two's complement. Per byte: LB (sign-extended), SRA 4 for the high nibble, SLL 28 +
//! SRA 28 for the low one, then MULT, MFLO, ADDU for each: 10 instructions for 2 weights. The
//! byte after the current one is loaded and unpacked while the current one multiplies, into the
//! other of two register pairs, and the instructions are ordered so that two separate each MFLO
//! from the next MULT (the HI/LO hazard). `x[2p]` and `x[2p+1]` are reloaded after the column's
//! last MULT. Per record of 256 weights: 16 x (8 x 10 + 2) = 1,312 instructions, 96 for the row
//! ends, about 20 of set-up: 5.6 per weight.
//!
//! Measured (`cargo xtask bench`, bench-results/kernels.md, 128x128, layer 0's Wq of
//! `nibble-2l-q4`): 5.88 instructions per weight in mupen64plus (spec: 15.60) and 8.53 CPU
//! cycles per weight in cen64 (spec: 30.63), of which the D-cache line fills of the weight
//! stream are about 1.7 (9 lines of 46 cycles per 144-byte record); the 2-layer token went
//! from 29.3 to 9.0 cycles per weight.

use kernels::matvec::{BlockMatrix, Saturations, WeightBits, BLOCK_COLS, RECORD_ROWS};
use kernels::KernelError;

/// Bytes of a Q4 record and where its scales start.
const RECORD: usize = 144;
const SCALES: usize = 128;

/// `y = W x` for a Q4 matrix, bit-identical to `kernels::matvec::matvec`.
pub fn matvec_q4(
    m: &BlockMatrix<'_>,
    x: &[i16],
    y: &mut [i16],
) -> Result<Saturations, KernelError> {
    assert_eq!(m.bits(), WeightBits::Q4, "matvec_q4 takes Q4 matrices");
    crate::matvec::matvec_by_groups(m, x, y, RECORD, group_q4)
}

/// One row group of a Q4 matrix (portable form: the definition the assembly must match).
pub fn group_q4_portable(records: &[u8], x: &[i16], acc: &mut [i64; RECORD_ROWS]) -> u32 {
    let mut partial = 0;
    for (rec, xb) in records.chunks_exact(RECORD).zip(x.chunks_exact(BLOCK_COLS)) {
        let mut s = [0i32; RECORD_ROWS];
        for p in 0..BLOCK_COLS / 2 {
            for (j, sj) in s.iter_mut().enumerate() {
                let b = rec[8 * p + j] as i8 as i32;
                // High nibble: column 2p; low nibble (sign-extended from bit 3): column 2p + 1.
                *sj += (b >> 4) * xb[2 * p] as i32 + ((b << 28) >> 28) * xb[2 * p + 1] as i32;
            }
        }
        // 0x8000 + 8192 S = 8192 (S + 4): the spec's VMULF chain, in 32 bits.
        partial += crate::matvec::add_row_ends_portable(&s, 3, &rec[SCALES..], acc);
    }
    partial
}

/// [`group_q4_portable`] as the N64 computes it: the assembly on MIPS, the portable form
/// elsewhere.
#[inline]
pub fn group_q4(records: &[u8], x: &[i16], acc: &mut [i64; RECORD_ROWS]) -> u32 {
    #[cfg(target_arch = "mips")]
    {
        group_q4_mips(records, x, acc)
    }
    #[cfg(not(target_arch = "mips"))]
    {
        group_q4_portable(records, x, acc)
    }
}

/// Splits the byte in `$hi` (loaded by LB, so sign-extended) into its two weights: the low
/// nibble to `$lo` (SLL 28, SRA 28 sign-extends bit 3), the high one stays in `$hi` (SRA 4).
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! unpack {
    ($hi:literal, $lo:literal) => {
        concat!(
            "sll  ", $lo, ", ", $hi, ", 28\n",
            "sra  ", $lo, ", ", $lo, ", 28\n",
            "sra  ", $hi, ", ", $hi, ", 4\n",
        )
    };
}

/// Row sum `$s` takes the current byte's two weights (`$hi` times `x[2p]` in `xa`, `$lo` times
/// `x[2p+1]` in `xb`); between the two products, the LB of the next byte (at `$next({w})`)
/// into `$load`, so that two instructions separate each MFLO from the next MULT (HI/LO hazard).
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! weights {
    ($s:literal, $hi:literal, $lo:literal, $load:literal, $next:expr) => {
        concat!(
            "mult ", $hi, ", {xa}\n",
            "mflo {t}\n",
            "addu ", $s, ", ", $s, ", {t}\n",
            "lb   ", $load, ", ", $next, "({w})\n",
            "mult ", $lo, ", {xb}\n",
            "mflo {t}\n",
            "addu ", $s, ", ", $s, ", {t}\n",
        )
    };
}

/// Columns `2p` and `2p + 1` of the record, bytes `$b = 8p` to `8p + 7` (one a row). The rows
/// alternate register pairs: `qa`/`qb` holds the current byte while `qc`/`qd` takes the next,
/// then the other way round. `$reload` follows the pair's last MULT: the LHs of the next
/// `x[2p]`, `x[2p+1]` (nothing after the record's last pair).
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! column_pair {
    ($b:literal, $reload:expr) => {
        concat!(
            weights!("{s0}", "{qa}", "{qb}", "{qc}", concat!($b, "+1")),
            unpack!("{qc}", "{qd}"),
            weights!("{s1}", "{qc}", "{qd}", "{qa}", concat!($b, "+2")),
            unpack!("{qa}", "{qb}"),
            weights!("{s2}", "{qa}", "{qb}", "{qc}", concat!($b, "+3")),
            unpack!("{qc}", "{qd}"),
            weights!("{s3}", "{qc}", "{qd}", "{qa}", concat!($b, "+4")),
            unpack!("{qa}", "{qb}"),
            weights!("{s4}", "{qa}", "{qb}", "{qc}", concat!($b, "+5")),
            unpack!("{qc}", "{qd}"),
            weights!("{s5}", "{qc}", "{qd}", "{qa}", concat!($b, "+6")),
            unpack!("{qa}", "{qb}"),
            weights!("{s6}", "{qa}", "{qb}", "{qc}", concat!($b, "+7")),
            unpack!("{qc}", "{qd}"),
            weights!("{s7}", "{qc}", "{qd}", "{qa}", concat!($b, "+8")),
            $reload,
            unpack!("{qa}", "{qb}"),
        )
    };
}

/// The LHs of `x[2p]` into `xa` and `x[2p+1]` into `xb`, `$x = 4p` bytes into the block.
#[cfg(target_arch = "mips")]
#[rustfmt::skip] // one instruction a line
macro_rules! load_x {
    ($x:literal) => {
        concat!("lh   {xa}, ", $x, "({xp})\n", "lh   {xb}, ", $x, "+2({xp})\n")
    };
}

/// Never inlined, for the reason the Q8 loop gives (HI/LO are not asm! clobbers).
#[cfg(target_arch = "mips")]
#[inline(never)]
fn group_q4_mips(records: &[u8], x: &[i16], acc: &mut [i64; RECORD_ROWS]) -> u32 {
    let blocks = records.len() / RECORD;
    assert!(blocks > 0 && records.len() == blocks * RECORD && x.len() >= blocks * BLOCK_COLS);
    let mut np = 0u32;
    // SAFETY: reads `records` (144 bytes a block; byte 128 of the last one is read and unused)
    // and `x` (32 i16 a block) within the lengths asserted above; reads and writes the 8 i64 of
    // `acc`; writes only its register operands and HI/LO (not preserved across this call).
    unsafe {
        record_loop!(
            records,
            x,
            acc,
            np,
            [
                load_x!("0"),
                "lb   {qa}, 0({w})",
                unpack!("{qa}", "{qb}"),
                column_pair!("0", load_x!("4")),
                column_pair!("8", load_x!("8")),
                column_pair!("16", load_x!("12")),
                column_pair!("24", load_x!("16")),
                column_pair!("32", load_x!("20")),
                column_pair!("40", load_x!("24")),
                column_pair!("48", load_x!("28")),
                column_pair!("56", load_x!("32")),
                column_pair!("64", load_x!("36")),
                column_pair!("72", load_x!("40")),
                column_pair!("80", load_x!("44")),
                column_pair!("88", load_x!("48")),
                column_pair!("96", load_x!("52")),
                column_pair!("104", load_x!("56")),
                column_pair!("112", load_x!("60")),
                column_pair!("120", ""),
                rows!("4", "3", "128"),
                "addiu {w}, {w}, 144",
                "bne  {w}, {end}, 3b",
                "addiu {xp}, {xp}, 64", // delay slot
            ],
            qc,
            qd
        );
    }
    np
}
