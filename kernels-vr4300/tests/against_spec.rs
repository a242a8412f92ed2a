//! The tuned matvec's Rust around the record loop (scale chain, clamps, saturation counts,
//! errors) against the spec, `kernels::matvec::matvec`, on random and extreme Q8 and Q4
//! matrices. (The MIPS record loop itself is checked against the spec inside the bench ROM.)

use kernels::matvec::{matrix_bytes, matvec as spec, BlockMatrix, WeightBits};
use kernels_vr4300::matvec::{group_q8_out, group_q8_out_portable, matvec as tuned};
use kernels_vr4300::matvec_q4::{group_q4, group_q4_portable};

/// xorshift32, so the cases are the same on every run.
struct Rng(u32);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

fn random_records(rng: &mut Rng, bits: WeightBits, rows: usize, cols: usize, big: bool) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..matrix_bytes(bits, rows, cols))
        .map(|_| rng.next() as u8)
        .collect();
    if !big {
        // Small scales, like a trained model's.
        let rb = bits.record_bytes();
        for rec in bytes.chunks_exact_mut(rb) {
            for s in rec[bits.weight_bytes()..].chunks_exact_mut(2) {
                s[0] &= 0x0F;
            }
        }
    }
    bytes
}

#[test]
fn tuned_equals_spec_on_random_and_extreme_matrices() {
    let mut rng = Rng(0x2545_F491);
    let mut saturated = 0;
    for &(rows, cols) in &[
        (8, 32),
        (128, 128),
        (512, 128),
        (128, 512),
        (384, 128),
        (16, 64),
    ] {
        for bits in [WeightBits::Q8, WeightBits::Q4] {
            for shift in [0u8, 3, 15] {
                for big in [false, true] {
                    let w = random_records(&mut rng, bits, rows, cols, big);
                    let m = BlockMatrix::new(bits, rows, cols, shift, &w).unwrap();
                    let x: Vec<i16> = (0..cols)
                        .map(|_| {
                            let v = rng.next();
                            if big {
                                v as i16
                            } else {
                                (v as i16) >> 4
                            }
                        })
                        .collect();
                    let (mut a, mut b) = (vec![0i16; rows], vec![0i16; rows]);
                    let sa = spec(&m, &x, &mut a).unwrap();
                    let sb = tuned(&m, &x, &mut b).unwrap();
                    assert_eq!(a, b, "{bits:?} {rows}x{cols} shift {shift} big {big}");
                    assert_eq!(sa, sb, "{bits:?} {rows}x{cols} shift {shift} big {big}");
                    saturated += sa.partial + sa.output;
                }
            }
        }
    }
    // The big cases must exercise the clamps, or the saturation counts were never compared.
    assert!(saturated > 1000, "only {saturated} saturations");

    // Every weight -128 and every input -32768: the partial sums clamp at 32767.
    let w: Vec<u8> = (0..272)
        .map(|i| if i < 256 { 0x80 } else { 0xFF })
        .collect();
    let m = BlockMatrix::new(WeightBits::Q8, 8, 32, 0, &w).unwrap();
    let (mut a, mut b) = ([0i16; 8], [0i16; 8]);
    let sa = spec(&m, &[i16::MIN; 32], &mut a).unwrap();
    assert_eq!(tuned(&m, &[i16::MIN; 32], &mut b).unwrap(), sa);
    assert_eq!(a, b);
    assert_eq!(sa.partial, 8);
}

#[test]
fn tuned_refuses_what_the_spec_refuses() {
    let w = vec![0u8; 272];
    let m = BlockMatrix::new(WeightBits::Q8, 8, 32, 0, &w).unwrap();
    let mut y = [0i16; 8];
    assert_eq!(
        tuned(&m, &[0; 31], &mut y).unwrap_err(),
        spec(&m, &[0; 31], &mut y).unwrap_err()
    );
    let mut short = [0i16; 7];
    assert_eq!(
        tuned(&m, &[0; 32], &mut short).unwrap_err(),
        spec(&m, &[0; 32], &mut short).unwrap_err()
    );
}

#[test]
fn the_group_loop_is_the_portable_one_on_this_target() {
    let mut rng = Rng(7);
    let recs: Vec<u8> = (0..3 * 272).map(|_| rng.next() as u8).collect();
    let x: Vec<i16> = (0..96).map(|_| rng.next() as i16).collect();
    for shift in [0, 4, 15] {
        let (mut a, mut b) = ([0i16; 8], [0i16; 8]);
        let na = group_q8_out(&recs, &x, &mut a, shift);
        let nb = group_q8_out_portable(&recs, &x, &mut b, shift);
        assert_eq!((na, a), (nb, b));
        assert!(na.0 > 0, "full-range inputs clamp some partial sums");
        if shift == 15 {
            assert!(na.1 > 0, "a shift of 15 clamps some outputs");
        }
    }
}

#[test]
fn the_q4_group_loop_is_the_portable_one_on_this_target() {
    let mut rng = Rng(11);
    let recs: Vec<u8> = (0..3 * 144).map(|_| rng.next() as u8).collect();
    let x: Vec<i16> = (0..96).map(|_| rng.next() as i16).collect();
    let (mut a, mut b) = ([0x8000i64; 8], [0x8000i64; 8]);
    let na = group_q4(&recs, &x, &mut a);
    let nb = group_q4_portable(&recs, &x, &mut b);
    assert_eq!((na, a), (nb, b));
    assert!(na > 0, "full-range inputs clamp some partial sums");
}
