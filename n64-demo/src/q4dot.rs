//! A Q4 dot product: int4 weights times int16 activations, summed exactly in an i32.
//!
//! Weights are two's complement 4-bit values (-8..=7) packed two per byte: weight `2k` in the low
//! nibble of byte `k`, weight `2k + 1` in the high nibble. The demo's inputs come from a
//! fixed-seed xorshift32 generator so that the ROM and the host compute the same numbers.

use core::fmt;

/// Number of weights and activations in the demo.
pub const DEMO_LEN: usize = 256;
/// Seed of the demo's generator (any non-zero value works for xorshift32).
pub const DEMO_SEED: u32 = 0x2545_F491;

/// The longest input whose sum is guaranteed to fit an i32: every product lies in
/// -8 * 32767 ..= -8 * -32768 = 2^18, and 8192 products of 2^18 would reach 2^31 (one past
/// i32::MAX). Lengths are even (two weights per byte), so the limit is 8190.
pub const MAX_LEN: usize = 8190;

/// Marsaglia's xorshift32 (shifts 13, 17, 5; "Xorshift RNGs", J. Stat. Software, 2003).
#[derive(Clone, Debug)]
pub struct XorShift32 {
    state: u32,
}

impl XorShift32 {
    /// A generator from `seed`; a zero seed (which would stay zero forever) is replaced by 1.
    pub const fn new(seed: u32) -> Self {
        Self {
            state: if seed == 0 { 1 } else { seed },
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        x
    }
}

/// The signed value of a 4-bit two's complement nibble (the low 4 bits of `nibble`).
pub const fn i4_from_nibble(nibble: u8) -> i8 {
    ((nibble << 4) as i8) >> 4
}

/// Weight `index` of a packed weight array, or `None` past its end.
pub fn weight_at(packed: &[u8], index: usize) -> Option<i8> {
    let byte = *packed.get(index / 2)?;
    Some(if index % 2 == 0 {
        i4_from_nibble(byte)
    } else {
        i4_from_nibble(byte >> 4)
    })
}

/// Why a dot product was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotError {
    /// Packed weights must hold exactly one weight per activation (two per byte).
    LengthMismatch {
        weight_bytes: usize,
        activations: usize,
    },
    /// More than [`MAX_LEN`] elements could overflow the i32 sum.
    TooLong { activations: usize },
}

impl fmt::Display for DotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::LengthMismatch {
                weight_bytes,
                activations,
            } => write!(
                f,
                "{weight_bytes} packed weight bytes hold {} weights, but there are {activations} \
                 activations",
                weight_bytes * 2
            ),
            Self::TooLong { activations } => {
                write!(
                    f,
                    "{activations} activations exceed the exact-i32 limit of {MAX_LEN}"
                )
            }
        }
    }
}

/// The exact sum of `weight[i] * activation[i]`.
pub fn dot(packed_weights: &[u8], activations: &[i16]) -> Result<i32, DotError> {
    if activations.len() > MAX_LEN {
        return Err(DotError::TooLong {
            activations: activations.len(),
        });
    }
    if packed_weights.len() * 2 != activations.len() {
        return Err(DotError::LengthMismatch {
            weight_bytes: packed_weights.len(),
            activations: activations.len(),
        });
    }
    let mut sum = 0i32;
    for (&byte, pair) in packed_weights.iter().zip(activations.chunks_exact(2)) {
        sum += i32::from(i4_from_nibble(byte)) * i32::from(pair[0]);
        sum += i32::from(i4_from_nibble(byte >> 4)) * i32::from(pair[1]);
    }
    Ok(sum)
}

/// The demo's inputs.
#[derive(Clone, Debug)]
pub struct DemoInputs {
    pub packed_weights: [u8; DEMO_LEN / 2],
    pub activations: [i16; DEMO_LEN],
}

/// Draws the demo's inputs from xorshift32(`seed`): first the weight bytes (the top 8 bits of
/// one draw each: two random nibbles), then the activations (the top 16 bits of one draw each).
pub fn demo_inputs(seed: u32) -> DemoInputs {
    let mut rng = XorShift32::new(seed);
    let mut inputs = DemoInputs {
        packed_weights: [0; DEMO_LEN / 2],
        activations: [0; DEMO_LEN],
    };
    for byte in inputs.packed_weights.iter_mut() {
        *byte = (rng.next_u32() >> 24) as u8;
    }
    for activation in inputs.activations.iter_mut() {
        *activation = (rng.next_u32() >> 16) as u16 as i16;
    }
    inputs
}

/// The demo's result as computed here (the ROM must print the same).
pub fn demo_result() -> Result<i32, DotError> {
    let inputs = demo_inputs(DEMO_SEED);
    dot(&inputs.packed_weights, &inputs.activations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift32_matches_marsaglias_sequence() {
        // From seed 1, by hand: 1 ^ 1<<13 = 0x2001; >>17 changes nothing; ^ 0x2001<<5 = 0x42021.
        let mut rng = XorShift32::new(1);
        assert_eq!(rng.next_u32(), 0x42021);
        // The next two, computed with an independent Python implementation.
        assert_eq!(rng.next_u32(), 67_634_689);
        assert_eq!(rng.next_u32(), 2_647_435_461);
        assert_eq!(
            XorShift32::new(0).next_u32(),
            0x42021,
            "seed 0 is replaced by 1"
        );
    }

    #[test]
    fn nibbles_are_twos_complement() {
        let expected: [i8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, -8, -7, -6, -5, -4, -3, -2, -1];
        for (nibble, want) in expected.iter().enumerate() {
            assert_eq!(i4_from_nibble(nibble as u8), *want);
            assert_eq!(
                i4_from_nibble(nibble as u8 | 0xA0),
                *want,
                "high bits are ignored"
            );
        }
    }

    #[test]
    fn low_nibble_holds_the_even_weight() {
        let packed = [0x21, 0xF8];
        let weights: [Option<i8>; 5] = core::array::from_fn(|i| weight_at(&packed, i));
        assert_eq!(weights, [Some(1), Some(2), Some(-8), Some(-1), None]);
    }

    #[test]
    fn small_dot_product_by_hand() {
        // weights 1, 2, -8, -1 times 1000, -3, 7, -32768:
        // 1000 - 6 - 56 + 32768 = 33706.
        assert_eq!(dot(&[0x21, 0xF8], &[1000, -3, 7, -32768]), Ok(33_706));
        assert_eq!(dot(&[], &[]), Ok(0));
    }

    #[test]
    fn extremes_stay_exact() {
        // The largest product, -8 * -32768 = 262144, at the longest allowed length:
        // 8190 * 262144 = 2_146_959_360, just under i32::MAX = 2_147_483_647.
        let weights = [0x88u8; MAX_LEN / 2];
        assert_eq!(dot(&weights, &[-32768; MAX_LEN]), Ok(2_146_959_360));
        // The most negative: -8 * 32767 * 8190 = -2_146_893_840.
        assert_eq!(dot(&weights, &[32767; MAX_LEN]), Ok(-2_146_893_840));
    }

    #[test]
    fn refuses_bad_lengths() {
        assert_eq!(
            dot(&[0x11; 3], &[1; 5]),
            Err(DotError::LengthMismatch {
                weight_bytes: 3,
                activations: 5
            })
        );
        let too_many = [0i16; MAX_LEN + 2];
        assert_eq!(
            dot(&[0; MAX_LEN / 2 + 1], &too_many),
            Err(DotError::TooLong {
                activations: MAX_LEN + 2
            })
        );
    }

    #[test]
    fn demo_inputs_and_result() {
        let inputs = demo_inputs(DEMO_SEED);
        // The first weights and activations and the sum, from the independent Python
        // implementation of the same generator and dot product.
        let first_weights: [Option<i8>; 6] =
            core::array::from_fn(|i| weight_at(&inputs.packed_weights, i));
        assert_eq!(
            first_weights,
            [Some(1), Some(-2), Some(-5), Some(-8), Some(4), Some(6)]
        );
        assert_eq!(inputs.activations[..4], [-25955, -18025, 5584, -10019]);
        assert_eq!(demo_result(), Ok(-1_343_462));
    }
}
