//! The bench ROM's shared parts (host-tested): its inputs, the edge-case matrices that check
//! the tuned VR4300 loop, the weight count of a token, and the `bench.<kernel>.<path>.<unit>`
//! lines it prints.
//!
//! Units: `count_ticks` (CP0 Count difference), `cpu_cycles` (Count x 2: CPU cycles on hardware
//! and in cen64; under mupen64plus, which xtask runs at `CountPerOp=1`, Count is an instruction
//! count, so there `count_ticks` is the figure to read), `cpu_cycles_per_weight` (x.xx),
//! `identical` (`yes`/`no`: this path's result equals the scalar spec bit for bit).

use crate::q4dot::XorShift32;
use core::fmt;
use kernels::matvec::{WeightBits, Q8_RECORD_BYTES};
use rspnn_model::dims::ModelDims;
use rspnn_model::error::MatrixKind;

/// Prefix of every result line.
pub const PREFIX: &str = "bench.";

/// Bytes the bench feeds each model, one token per byte: the third demo prompt.
pub const TOKEN_PROMPT: &[u8] = b"Q: What is the RSP?\nA:";

/// Matrix weights one token multiplies: every layer matrix plus the tied head (vocab x width).
pub fn weights_per_token(d: &ModelDims) -> u64 {
    let layer: usize = MatrixKind::ALL
        .iter()
        .map(|&k| {
            let (r, c) = d.matrix_shape(k);
            r * c
        })
        .sum();
    (d.n_layers * layer + d.vocab * d.d_model) as u64
}

/// A ratio printed with two decimals, rounded half up (`12.34`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hundredths(pub u64);

impl Hundredths {
    /// `num / den` to two decimals (`den` 0 gives 0).
    pub fn ratio(num: u64, den: u64) -> Self {
        if den == 0 {
            return Hundredths(0);
        }
        Hundredths((num * 100 + den / 2) / den)
    }
}

impl fmt::Display for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Fills `x` from xorshift32(`seed`): the top 16 bits of each draw, the whole int16 range.
pub fn input_vector(seed: u32, x: &mut [i16]) {
    let mut rng = XorShift32::new(seed);
    for v in x.iter_mut() {
        *v = (rng.next_u32() >> 16) as u16 as i16;
    }
}

/// Number of edge-case Q8 matrices ([`edge_case`]).
pub const EDGE_CASES: usize = 5;
/// Bytes of the largest edge case (64 x 64 Q8).
pub const EDGE_MAX_BYTES: usize = 8 * 2 * Q8_RECORD_BYTES;

/// Edge case `i`: its shape `(rows, cols, out_shift)`, its records written into `rec` and its
/// input into `x`. They push the tuned loop where the spec clamps: the most negative weights
/// and inputs (every block partial sum saturates), the most positive, alternating signs,
/// full-range random weights with the largest scales and output shift (outputs saturate), and
/// a zero matrix.
pub fn edge_case(i: usize, rec: &mut [u8], x: &mut [i16]) -> (usize, usize, u8) {
    let mut rng = XorShift32::new(0x5EED_0000 + i as u32);
    let (rows, cols, shift) = match i {
        0..=2 | 4 => (8, 32, 0),
        _ => (64, 64, 15),
    };
    let n = kernels::matvec::matrix_bytes(WeightBits::Q8, rows, cols);
    for (k, byte) in rec[..n].iter_mut().enumerate() {
        let in_scales = k % Q8_RECORD_BYTES >= 256;
        *byte = match (i, in_scales) {
            (4, _) => 0,
            (_, true) => 0xFF,
            (0, false) => 0x80,
            (1, false) => 0x7F,
            (2, false) => {
                if k % 2 == 0 {
                    0x80
                } else {
                    0x7F
                }
            }
            _ => rng.next_u32() as u8,
        };
    }
    for (c, v) in x[..cols].iter_mut().enumerate() {
        *v = match i {
            0 => i16::MIN,
            1 => i16::MAX,
            2 | 4 => {
                if c % 2 == 0 {
                    i16::MIN
                } else {
                    i16::MAX
                }
            }
            _ => (rng.next_u32() >> 16) as u16 as i16,
        };
    }
    (rows, cols, shift)
}

/// One result line: `bench.<kernel>.<path>.<unit>=<value>`.
pub struct Line<'a, V> {
    pub kernel: &'a str,
    pub path: &'a str,
    pub unit: &'a str,
    pub value: V,
}

impl<V: fmt::Display> fmt::Display for Line<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}.{}.{}={}",
            self.kernel, self.path, self.unit, self.value
        )
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use kernels::matvec::{matvec, BlockMatrix};
    use std::format;

    #[test]
    fn the_demo_models_weights_per_token() {
        // 4 layers x (4 x 128^2 + 2 x 512 x 128) + 256 x 128 = 819,200: the 870,400 weight
        // bytes the RSP streams per token (textgen.plan) are these plus 2 bytes of scale per
        // 32 weights (272 / 256).
        let d = ModelDims {
            n_layers: 4,
            d_model: 128,
            n_heads: 4,
            d_ff: 512,
            ctx: 64,
            vocab: 256,
        };
        assert_eq!(weights_per_token(&d), 819_200);
        assert_eq!(weights_per_token(&d) * 272 / 256, 870_400);
    }

    #[test]
    fn hundredths_round_half_up() {
        assert_eq!(
            format!("{}", Hundredths::ratio(28_160_000, 870_400)),
            "32.35"
        );
        assert_eq!(format!("{}", Hundredths::ratio(1, 8)), "0.13");
        assert_eq!(format!("{}", Hundredths::ratio(5, 0)), "0.00");
        assert_eq!(format!("{}", Hundredths(705)), "7.05");
    }

    #[test]
    fn lines_have_the_documented_form() {
        let l = Line {
            kernel: "token_q8",
            path: "scalar",
            unit: "cpu_cycles_per_weight",
            value: Hundredths(812),
        };
        assert_eq!(
            format!("{l}"),
            "bench.token_q8.scalar.cpu_cycles_per_weight=8.12"
        );
    }

    #[test]
    fn edge_cases_reach_the_clamps_they_are_meant_to() {
        let mut rec = [0u8; EDGE_MAX_BYTES];
        let mut x = [0i16; 64];
        let mut sat = [(0, 0); EDGE_CASES];
        for (i, s) in sat.iter_mut().enumerate() {
            let (rows, cols, shift) = edge_case(i, &mut rec, &mut x);
            let n = kernels::matvec::matrix_bytes(WeightBits::Q8, rows, cols);
            let m = BlockMatrix::new(WeightBits::Q8, rows, cols, shift, &rec[..n]).unwrap();
            let mut y = [0i16; 64];
            let got = matvec(&m, &x[..cols], &mut y[..rows]).unwrap();
            *s = (got.partial, got.output);
        }
        // -128 x -32768 x 32 and 127 x 32767 x 32 clamp every row's block partial sum (to
        // 32767, whose product with the 0xFFFF scale, 32766 after the >> 16, fits); the
        // alternating case sums to a small value; the random case saturates outputs (shift
        // 15); the zero matrix clamps nothing.
        assert_eq!(sat[0], (8, 0));
        assert_eq!(sat[1], (8, 0));
        assert_eq!(sat[2].0, 0);
        assert!(sat[3].1 > 0, "{:?}", sat[3]);
        assert_eq!(sat[4], (0, 0));
    }
}
