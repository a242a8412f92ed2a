//! Q8 and Q4 matrix-vector products over the canonical block-record layout
//! (numerics.md "Matrix-vector" and docs/weight-format.md "Block records").
//!
//! A matrix `W` is `[rows][cols]`, `y = W x`, rows a multiple of 8, cols a multiple of 32. Its
//! bytes are *block records*, row-group major and block minor: record `(g, b)` covers rows
//! `8g..8g+7` and columns `32b..32b+31`. A Q8 record is 256 weight bytes (byte `c*8 + j` =
//! `q[8g+j][32b+c]`) then 8 big-endian u16 block scales (scale `j` for row `8g+j`); a Q4
//! record is 128 bytes (byte `p*8 + j` = high nibble `q[8g+j][32b+2p]`, low nibble
//! `q[8g+j][32b+2p+1]`, two's complement) then the 8 scales. Records are 272 and 144 bytes,
//! multiples of 16, so any run of records is a DMA tile.
//!
//! Numerics, per row `r` and block `b` (the RSP loads a weight as `w16 = q << (16 - bits)`,
//! a Q0.15 fraction of the block's range):
//!
//! * `h_b = sat16((0x8000 + sum_c 2 * w16[r][c] * x[c]) >> 16)` (VMULF + 31 VMACF), which is
//!   `round(sum_c q * x / 2^(bits-1))`, in the input's format;
//! * `y_k = sat16((0x8000 + sum_b h_b * G_b) >> 16)` with `G_b` the block's unsigned integer
//!   scale (VMUDM rounding product, then one VMADM per block);
//! * `y = sat16(y_k << k)` with the matrix's output shift `k` (VMUDH by 2^k; skipped if 0).
//!
//! `G_b = round(g_b * c * 2^(16 + f_out - f_in - k))` where `g_b = scale * 2^(bits-1)` is the
//! block's real range and `c` a folded constant; the converter computes it once (rspnn-model
//! `scales` module) and chooses the smallest `k` that keeps every `G_b` below 2^16.

use crate::error::{check_len, KernelError};
use crate::fixed::{sat16, shl_sat, VMULF_ROUND};

/// Bytes of one Q8 block record: 256 weights + 8 scales (17 * 16).
pub const Q8_RECORD_BYTES: usize = 272;
/// Bytes of one Q4 block record: 128 packed weight bytes + 8 scales (9 * 16).
pub const Q4_RECORD_BYTES: usize = 144;
/// Rows per record (one per RSP lane).
pub const RECORD_ROWS: usize = 8;
/// Columns per record (one quantisation block).
pub const BLOCK_COLS: usize = 32;
/// Largest column count accepted: keeps the scale chain `sum_b h_b * G_b` (at most
/// `cols/32 * 2^31`) far below the 48-bit accumulator's 2^47.
pub const MAX_COLS: usize = 1 << 14;
/// Largest row count accepted (a sanity bound for file validation).
pub const MAX_ROWS: usize = 1 << 14;
/// Largest output shift `k`.
pub const MAX_OUT_SHIFT: u8 = 15;

/// Weight precision of a matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightBits {
    /// int4 weights, -8..7, two per byte.
    Q4,
    /// int8 weights, -128..127.
    Q8,
}

impl WeightBits {
    /// Bits per weight.
    pub const fn bits(self) -> u32 {
        match self {
            WeightBits::Q4 => 4,
            WeightBits::Q8 => 8,
        }
    }
    /// Bytes per block record.
    pub const fn record_bytes(self) -> usize {
        match self {
            WeightBits::Q4 => Q4_RECORD_BYTES,
            WeightBits::Q8 => Q8_RECORD_BYTES,
        }
    }
    /// Bytes of weights at the start of a record (the scales follow).
    pub const fn weight_bytes(self) -> usize {
        match self {
            WeightBits::Q4 => 128,
            WeightBits::Q8 => 256,
        }
    }
}

/// Bytes of a `rows x cols` matrix in record layout (no validation).
pub const fn matrix_bytes(bits: WeightBits, rows: usize, cols: usize) -> usize {
    (rows / RECORD_ROWS) * (cols / BLOCK_COLS) * bits.record_bytes()
}

/// A matrix in block-record layout, borrowed from a weight file.
#[derive(Clone, Copy, Debug)]
pub struct BlockMatrix<'a> {
    bits: WeightBits,
    rows: usize,
    cols: usize,
    out_shift: u8,
    records: &'a [u8],
}

/// How often a matvec's clamps engaged (for measurement; zero on the seed-v5 fixture).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Saturations {
    /// Block partial sums `h_b` that hit int16 limits.
    pub partial: u32,
    /// Outputs that hit int16 limits (in `y_k` or in the output shift).
    pub output: u32,
}

impl Saturations {
    /// Adds another count.
    pub fn add(&mut self, other: Saturations) {
        self.partial += other.partial;
        self.output += other.output;
    }
}

impl<'a> BlockMatrix<'a> {
    /// Wraps `records` as a `rows x cols` matrix; checks the shape and the byte count.
    pub fn new(
        bits: WeightBits,
        rows: usize,
        cols: usize,
        out_shift: u8,
        records: &'a [u8],
    ) -> Result<Self, KernelError> {
        if rows == 0 || rows % RECORD_ROWS != 0 || rows > MAX_ROWS {
            return Err(KernelError::Shape {
                what: "matrix rows",
                value: rows,
            });
        }
        if cols == 0 || cols % BLOCK_COLS != 0 || cols > MAX_COLS {
            return Err(KernelError::Shape {
                what: "matrix cols",
                value: cols,
            });
        }
        if out_shift > MAX_OUT_SHIFT {
            return Err(KernelError::Shape {
                what: "matrix output shift",
                value: out_shift as usize,
            });
        }
        check_len(
            "matrix record bytes",
            matrix_bytes(bits, rows, cols),
            records.len(),
        )?;
        Ok(BlockMatrix {
            bits,
            rows,
            cols,
            out_shift,
            records,
        })
    }

    /// Weight precision.
    pub fn bits(&self) -> WeightBits {
        self.bits
    }
    /// Output rows.
    pub fn rows(&self) -> usize {
        self.rows
    }
    /// Input columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
    /// The output shift `k`.
    pub fn out_shift(&self) -> u8 {
        self.out_shift
    }
    /// The record bytes.
    pub fn records(&self) -> &'a [u8] {
        self.records
    }

    fn record(&self, group: usize, block: usize) -> &'a [u8] {
        let n = self.bits.record_bytes();
        let start = (group * (self.cols / BLOCK_COLS) + block) * n;
        &self.records[start..start + n]
    }

    /// The quantised weight `q[row][col]` (-128..127 or -8..7). Panics never: out-of-range
    /// indices give `None`.
    pub fn weight(&self, row: usize, col: usize) -> Option<i8> {
        if row >= self.rows || col >= self.cols {
            return None;
        }
        let rec = self.record(row / RECORD_ROWS, col / BLOCK_COLS);
        let (j, c) = (row % RECORD_ROWS, col % BLOCK_COLS);
        Some(match self.bits {
            WeightBits::Q8 => rec[c * RECORD_ROWS + j] as i8,
            WeightBits::Q4 => {
                let byte = rec[(c / 2) * RECORD_ROWS + j];
                let nibble = if c % 2 == 0 { byte >> 4 } else { byte & 0xF };
                // Two's-complement nibble: sign-extend bit 3.
                ((nibble << 4) as i8) >> 4
            }
        })
    }

    /// The integer block scale `G` of `row` in block `block`.
    pub fn scale(&self, row: usize, block: usize) -> Option<u16> {
        if row >= self.rows || block >= self.cols / BLOCK_COLS {
            return None;
        }
        let rec = self.record(row / RECORD_ROWS, block);
        let at = self.bits.weight_bytes() + 2 * (row % RECORD_ROWS);
        Some(u16::from_be_bytes([rec[at], rec[at + 1]]))
    }
}

/// The weights of one record as `w16` lanes: `w16[j][c] = q[8g+j][32b+c] << (16 - bits)`,
/// which is what LPV (Q8) or LPV + VAND 0xF000 / VMUDN 16 (Q4) leave in the RSP's lanes.
fn record_w16(bits: WeightBits, rec: &[u8], w16: &mut [[i16; BLOCK_COLS]; RECORD_ROWS]) {
    match bits {
        WeightBits::Q8 => {
            for c in 0..BLOCK_COLS {
                for (j, row) in w16.iter_mut().enumerate() {
                    row[c] = ((rec[c * RECORD_ROWS + j] as i8) as i16) << 8;
                }
            }
        }
        WeightBits::Q4 => {
            for p in 0..BLOCK_COLS / 2 {
                for (j, row) in w16.iter_mut().enumerate() {
                    let byte = rec[p * RECORD_ROWS + j] as u16;
                    // High nibble lands in bits 15..12 (VAND 0xF000 after LPV); the low
                    // nibble is moved there by VMUDN by 16.
                    row[2 * p] = ((byte << 8) & 0xF000) as i16;
                    row[2 * p + 1] = ((byte << 12) & 0xF000) as i16;
                }
            }
        }
    }
}

/// `y = W x` (numerics.md "Matrix-vector"). `x` has `cols` elements in the input format,
/// `y` gets `rows` elements in the output format. Returns how often the clamps engaged.
pub fn matvec(m: &BlockMatrix<'_>, x: &[i16], y: &mut [i16]) -> Result<Saturations, KernelError> {
    check_len("matvec input", m.cols, x.len())?;
    check_len("matvec output", m.rows, y.len())?;
    let blocks = m.cols / BLOCK_COLS;
    let mut sat = Saturations::default();
    let mut w16 = [[0i16; BLOCK_COLS]; RECORD_ROWS];
    for g in 0..m.rows / RECORD_ROWS {
        // The scale chain starts with the rounding product (VMUDM 0x4000 * 2 = 0x8000).
        let mut acc = [VMULF_ROUND; RECORD_ROWS];
        for b in 0..blocks {
            let rec = m.record(g, b);
            record_w16(m.bits, rec, &mut w16);
            let xb = &x[b * BLOCK_COLS..(b + 1) * BLOCK_COLS];
            for (j, row) in w16.iter().enumerate() {
                let mut hacc = VMULF_ROUND;
                for c in 0..BLOCK_COLS {
                    hacc += 2 * (row[c] as i64) * (xb[c] as i64);
                }
                let h64 = hacc >> 16;
                let h = sat16(h64);
                if h as i64 != h64 {
                    sat.partial += 1;
                }
                let at = m.bits.weight_bytes() + 2 * j;
                let scale = u16::from_be_bytes([rec[at], rec[at + 1]]);
                acc[j] += h as i64 * scale as i64;
            }
        }
        for j in 0..RECORD_ROWS {
            let yk64 = acc[j] >> 16;
            let yk = sat16(yk64);
            let out = shl_sat(yk, m.out_shift as u32);
            if yk as i64 != yk64 || (out as i64) != ((yk as i64) << m.out_shift) {
                sat.output += 1;
            }
            y[g * RECORD_ROWS + j] = out;
        }
    }
    Ok(sat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_nibbles_decode_as_twos_complement() {
        let mut rec = [0u8; Q4_RECORD_BYTES];
        rec[0] = 0x87; // row 0: q[0] = -8, q[1] = 7
        rec[1] = 0xF1; // row 1: q[0] = -1, q[1] = 1
        let m = BlockMatrix::new(WeightBits::Q4, 8, 32, 0, &rec).unwrap();
        assert_eq!(m.weight(0, 0), Some(-8));
        assert_eq!(m.weight(0, 1), Some(7));
        assert_eq!(m.weight(1, 0), Some(-1));
        assert_eq!(m.weight(1, 1), Some(1));
        assert_eq!(m.weight(8, 0), None);
    }
}
