//! Edge values of the kernels: saturation, extreme codes (-128, -8/7 nibbles), zero rows,
//! output shifts; and real-valued checks against f64 arithmetic done independently here.

use kernels::attention::{attention, AttentionShape};
use kernels::elementwise::{argmax_in, embedding_lookup, relu_in_place, residual_add};
use kernels::matvec::{matvec, BlockMatrix, WeightBits, Q4_RECORD_BYTES, Q8_RECORD_BYTES};
use kernels::norm::{layer_norm, rms_norm};
use kernels::softmax::softmax;
use kernels::KernelError;

/// A small deterministic generator (64-bit LCG, top bits).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next() % (hi - lo + 1) as u32) as i32
    }
}

/// Builds Q8 records from a dense `q[rows][cols]` and `g[rows][blocks]` (independent of the
/// converter: the byte rule of the layout, written out again).
fn q8_records(rows: usize, cols: usize, q: &[i8], g: &[u16]) -> Vec<u8> {
    let nb = cols / 32;
    let mut out = Vec::new();
    for grp in 0..rows / 8 {
        for b in 0..nb {
            let mut rec = vec![0u8; Q8_RECORD_BYTES];
            for c in 0..32 {
                for j in 0..8 {
                    rec[c * 8 + j] = q[(grp * 8 + j) * cols + b * 32 + c] as u8;
                }
            }
            for j in 0..8 {
                rec[256 + 2 * j..258 + 2 * j]
                    .copy_from_slice(&g[(grp * 8 + j) * nb + b].to_be_bytes());
            }
            out.extend(rec);
        }
    }
    out
}

fn q4_records(rows: usize, cols: usize, q: &[i8], g: &[u16]) -> Vec<u8> {
    let nb = cols / 32;
    let mut out = Vec::new();
    for grp in 0..rows / 8 {
        for b in 0..nb {
            let mut rec = vec![0u8; Q4_RECORD_BYTES];
            for p in 0..16 {
                for j in 0..8 {
                    let r = grp * 8 + j;
                    let hi = q[r * cols + b * 32 + 2 * p] as u8 & 0xF;
                    let lo = q[r * cols + b * 32 + 2 * p + 1] as u8 & 0xF;
                    rec[p * 8 + j] = hi << 4 | lo;
                }
            }
            for j in 0..8 {
                rec[128 + 2 * j..130 + 2 * j]
                    .copy_from_slice(&g[(grp * 8 + j) * nb + b].to_be_bytes());
            }
            out.extend(rec);
        }
    }
    out
}

#[test]
fn q8_matvec_saturates_and_rounds_as_specified() {
    let (rows, cols) = (8, 32);
    let mut q = vec![0i8; rows * cols];
    let mut g = vec![0u16; rows];
    let mut x = vec![0i16; cols];
    // Row 0: all +127 against x = 32767: the block sum 32*127*32767/128 saturates to 32767;
    // with G = 65535 the output is (0x8000 + 32767*65535) >> 16 = 32767.
    x.iter_mut().for_each(|v| *v = 32767);
    q[..32].iter_mut().for_each(|v| *v = 127);
    g[0] = 65535;
    // Row 1: all -128: the block sum saturates to -32768; with G = 1 the output is
    // (0x8000 - 32768) >> 16 = 0.
    q[32..64].iter_mut().for_each(|v| *v = -128);
    g[1] = 1;
    // Row 2: a zero row gives 0 whatever G.
    g[2] = 65535;
    // Row 3: one weight, q = 127 at column 5: h = round(127*32767/128) = 32511 (32510.99);
    // G = 2^15 gives (0x8000 + 32511*32768) >> 16 = 16256.
    q[3 * 32 + 5] = 127;
    g[3] = 1 << 15;
    let rec = q8_records(rows, cols, &q, &g);
    let m = BlockMatrix::new(WeightBits::Q8, rows, cols, 0, &rec).unwrap();
    let mut y = vec![0i16; rows];
    let sat = matvec(&m, &x, &mut y).unwrap();
    assert_eq!(&y[..4], &[32767, 0, 0, 16256]);
    assert_eq!(sat.partial, 2, "rows 0 and 1 saturate their block sums");
}

#[test]
fn q8_minus_128_times_minus_32768_is_the_vmulf_corner() {
    // w16 = -128 << 8 = -32768 and x = -32768: 2*w*x + 0x8000 = 2^31 + 2^15, >> 16 = 32768,
    // which saturates to 32767 (VMULF's -1 * -1 case).
    let mut q = vec![0i8; 8 * 32];
    q[0] = -128;
    let mut g = vec![0u16; 8];
    g[0] = 1 << 15;
    let rec = q8_records(8, 32, &q, &g);
    let m = BlockMatrix::new(WeightBits::Q8, 8, 32, 0, &rec).unwrap();
    let mut x = vec![0i16; 32];
    x[0] = i16::MIN;
    let mut y = vec![0i16; 8];
    let sat = matvec(&m, &x, &mut y).unwrap();
    assert_eq!(sat.partial, 1);
    // (0x8000 + 32767 * 32768) >> 16 = 16384.
    assert_eq!(y[0], 16384);
}

#[test]
fn q4_extreme_nibbles() {
    let (rows, cols) = (8, 32);
    let mut q = vec![0i8; rows * cols];
    for c in 0..32 {
        q[c] = if c % 2 == 0 { -8 } else { 7 }; // row 0: -8, 7, -8, 7, ...
        q[32 + c] = -8; // row 1: all -8
        q[64 + c] = 7; // row 2: all 7
    }
    let g = vec![65535u16; rows];
    let rec = q4_records(rows, cols, &q, &g);
    let m = BlockMatrix::new(WeightBits::Q4, rows, cols, 0, &rec).unwrap();
    for r in 0..3 {
        for c in 0..32 {
            assert_eq!(m.weight(r, c), Some(q[r * 32 + c]));
        }
    }
    let x = vec![1000i16; cols];
    let mut y = vec![0i16; rows];
    matvec(&m, &x, &mut y).unwrap();
    // Row 0: h = round(16 * (-8 + 7) * 1000 / 8) = -2000; y = floor((0x8000 - 2000*65535) / 2^16).
    let expect = |h: i64| ((0x8000 + h * 65535) as f64 / 65536.0).floor() as i16;
    assert_eq!(y[0], expect(-2000));
    // Row 1: h = round(32 * -8 * 1000 / 8) = -32000.
    assert_eq!(y[1], expect(-32000));
    // Row 2: h = 32 * 7 * 1000 / 8 = 28000.
    assert_eq!(y[2], expect(28000));
    assert_eq!(y[3], 0);
}

#[test]
fn output_shift_doubles_and_saturates() {
    let mut q = vec![0i8; 8 * 32];
    q[0] = 64; // row 0
    q[32] = 127; // row 1
    let g = vec![65535u16; 8];
    let rec = q8_records(8, 32, &q, &g);
    let x = {
        let mut x = vec![0i16; 32];
        x[0] = 30000;
        x
    };
    let m0 = BlockMatrix::new(WeightBits::Q8, 8, 32, 0, &rec).unwrap();
    let m3 = BlockMatrix::new(WeightBits::Q8, 8, 32, 3, &rec).unwrap();
    let (mut y0, mut y3) = (vec![0i16; 8], vec![0i16; 8]);
    matvec(&m0, &x, &mut y0).unwrap();
    let sat = matvec(&m3, &x, &mut y3).unwrap();
    // Row 0: h = 64*30000/128 = 15000, y0 = floor((0x8000 + 15000*65535)/2^16) = 15000.
    assert_eq!(y0[0], 15000);
    assert_eq!(y3[0], 32767, "15000 << 3 saturates");
    assert_eq!(sat.output, 2, "rows 0 and 1 saturate in the shift");
}

#[test]
fn random_matvec_tracks_real_arithmetic() {
    let mut rng = Lcg(7);
    for &(bits, rows, cols) in &[(WeightBits::Q8, 16, 128), (WeightBits::Q4, 24, 64)] {
        let (lo, hi) = if bits == WeightBits::Q8 {
            (-128, 127)
        } else {
            (-8, 7)
        };
        let q: Vec<i8> = (0..rows * cols).map(|_| rng.range(lo, hi) as i8).collect();
        let nb = cols / 32;
        let g: Vec<u16> = (0..rows * nb).map(|_| rng.range(0, 65535) as u16).collect();
        let x: Vec<i16> = (0..cols).map(|_| rng.range(-3000, 3000) as i16).collect();
        let rec = if bits == WeightBits::Q8 {
            q8_records(rows, cols, &q, &g)
        } else {
            q4_records(rows, cols, &q, &g)
        };
        let m = BlockMatrix::new(bits, rows, cols, 0, &rec).unwrap();
        let mut y = vec![0i16; rows];
        matvec(&m, &x, &mut y).unwrap();
        let half = if bits == WeightBits::Q8 { 128.0 } else { 8.0 };
        for r in 0..rows {
            let mut real = 0f64;
            for b in 0..nb {
                let h: f64 = (0..32)
                    .map(|c| q[r * cols + b * 32 + c] as f64 / half * x[b * 32 + c] as f64)
                    .sum();
                real += h * g[r * nb + b] as f64 / 65536.0;
            }
            // Each block sum rounds by at most 1/2, times G/2^16 < 1; the final floor-with-
            // half adds at most 1/2.
            let bound = nb as f64 * 0.5 + 0.5 + 1e-9;
            assert!(
                (y[r] as f64 - real).abs() <= bound,
                "row {r}: {} vs {real}",
                y[r]
            );
        }
    }
}

#[test]
fn matvec_rejects_bad_shapes_without_panicking() {
    let rec = vec![0u8; Q8_RECORD_BYTES];
    assert!(matches!(
        BlockMatrix::new(WeightBits::Q8, 7, 32, 0, &rec),
        Err(KernelError::Shape { .. })
    ));
    assert!(matches!(
        BlockMatrix::new(WeightBits::Q8, 8, 33, 0, &rec),
        Err(KernelError::Shape { .. })
    ));
    assert!(matches!(
        BlockMatrix::new(WeightBits::Q8, 8, 64, 0, &rec),
        Err(KernelError::Length { .. })
    ));
    assert!(matches!(
        BlockMatrix::new(WeightBits::Q8, 8, 32, 16, &rec),
        Err(KernelError::Shape { .. })
    ));
    let m = BlockMatrix::new(WeightBits::Q8, 8, 32, 0, &rec).unwrap();
    let mut y = vec![0i16; 8];
    assert!(matches!(
        matvec(&m, &[0; 31], &mut y),
        Err(KernelError::Length { .. })
    ));
}

#[test]
fn rms_norm_gives_the_unit_direction_in_q1_14() {
    let mut rng = Lcg(11);
    for scale in [3, 300, 30000] {
        let x: Vec<i16> = (0..128).map(|_| rng.range(-scale, scale) as i16).collect();
        let mut u = vec![0i16; 128];
        rms_norm(&x, 1, &mut u).unwrap();
        let norm = x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
        for (a, b) in u.iter().zip(&x) {
            let want = *b as f64 / norm * 16384.0;
            // VRSQ's table is good to about 2^-10; plus half a unit of rounding.
            assert!(
                (*a as f64 - want).abs() <= want.abs() / 700.0 + 1.0,
                "{a} vs {want}"
            );
        }
    }
    // Saturated residual: -32768 everywhere still gives |u| <= 1.
    let x = vec![i16::MIN; 128];
    let mut u = vec![0i16; 128];
    rms_norm(&x, 1, &mut u).unwrap();
    let want = -16384.0 / (128f64).sqrt();
    assert!(u.iter().all(|&v| (v as f64 - want).abs() < 4.0), "{}", u[0]);
    // All-zero input gives zeros (ss = eps = 1).
    rms_norm(&[0; 64], 1, &mut u[..64]).unwrap();
    assert!(u[..64].iter().all(|&v| v == 0));
}

#[test]
fn layer_norm_centres_first() {
    let x: Vec<i16> = (0..64).map(|i| 1000 + (i % 2) * 20).collect(); // mean 1010, +-10
    let (mut c, mut u) = (vec![0i16; 64], vec![0i16; 64]);
    layer_norm(&x, 1, &mut c, &mut u).unwrap();
    let want = 16384.0 / 8.0; // each |c| = 10, ||c|| = 10 * 8
    for (i, &v) in u.iter().enumerate() {
        let s = if i % 2 == 0 { -1.0 } else { 1.0 };
        assert!((v as f64 - s * want).abs() <= 3.0, "{i}: {v}");
    }
    layer_norm(&[500; 32], 1, &mut c[..32], &mut u[..32]).unwrap();
    assert!(u[..32].iter().all(|&v| v == 0));
}

#[test]
fn softmax_properties() {
    // Equal scores: each p = 2^15 / n within the reciprocal's 2^-9.
    for n in [1usize, 3, 8, 64] {
        let s = vec![100i16; n];
        let mut p = vec![0i16; n];
        softmax(&s, &mut p).unwrap();
        let want = 32768.0 / n as f64;
        assert!(
            p.iter()
                .all(|&v| (v as f64 - want).abs() <= want / 500.0 + 1.0),
            "n={n}: {:?}",
            &p[..n.min(4)]
        );
    }
    // A score 256 above the rest takes everything.
    let s = [-32768i16, 0, -32768, -32768];
    let mut p = [0i16; 4];
    softmax(&s, &mut p).unwrap();
    assert_eq!(p, [0, 32767, 0, 0]);
    // Two scores one unit (1/128) apart: ratio exp(-1/128).
    let s = [0i16, -128];
    softmax(&s, &mut p[..2]).unwrap();
    let ratio = p[1] as f64 / p[0] as f64;
    assert!((ratio - (-1f64).exp()).abs() < 0.005, "{ratio}");
    let sum: i32 = p[..2].iter().map(|&v| v as i32).sum();
    assert!((sum - 32768).abs() <= 70, "{sum}");
    assert!(softmax(&[], &mut []).is_err());
}

#[test]
fn attention_is_independent_of_slot_order() {
    let mut rng = Lcg(5);
    let (d, heads, n) = (64, 2, 10);
    let q: Vec<i16> = (0..d).map(|_| rng.range(-6000, 6000) as i16).collect();
    let k: Vec<i16> = (0..d * n).map(|_| rng.range(-6000, 6000) as i16).collect();
    let v: Vec<i16> = (0..d * n).map(|_| rng.range(-6000, 6000) as i16).collect();
    let shape = AttentionShape {
        d_model: d,
        n_heads: heads,
        slot_stride: d,
        n_pos: n,
    };
    let (mut s, mut p) = (vec![0i16; n], vec![0i16; n]);
    let mut out1 = vec![0i16; d];
    attention(shape, &q, &k, &v, &mut s, &mut p, &mut out1).unwrap();
    // Rotate the slots, as a ring buffer does.
    let rot = |a: &[i16]| -> Vec<i16> {
        let mut r = a[3 * d..].to_vec();
        r.extend_from_slice(&a[..3 * d]);
        r
    };
    let mut out2 = vec![0i16; d];
    attention(shape, &q, &rot(&k), &rot(&v), &mut s, &mut p, &mut out2).unwrap();
    assert_eq!(out1, out2);
    // One position: the output is that position's value (p = 32767/32768).
    let one = AttentionShape { n_pos: 1, ..shape };
    attention(one, &q, &k, &v, &mut s, &mut p, &mut out2).unwrap();
    for (o, vv) in out2.iter().zip(&v[..d]) {
        assert!((o - vv).abs() <= 1, "{o} vs {vv}");
    }
}

#[test]
fn elementwise_kernels() {
    let mut v = [-5i16, 0, 7, i16::MIN];
    relu_in_place(&mut v);
    assert_eq!(v, [0, 0, 7, 0]);
    let mut x = [32000i16, -32000, 5];
    residual_add(&mut x, &[1000, -1000, -6]).unwrap();
    assert_eq!(x, [32767, -32768, -1]);
    assert!(residual_add(&mut x, &[1]).is_err());
    assert_eq!(
        argmax_in(&[3, 9, 9, 1], 0, 4),
        Some(1),
        "ties go to the lower index"
    );
    assert_eq!(argmax_in(&[3, 9, 9, 1], 2, 4), Some(2));
    assert_eq!(argmax_in(&[3], 1, 1), None);
    // Embedding: q = -128 and 127 with G = 113 (seed-v5): round(q * 113 / 256).
    let mut q = vec![0i8; 8 * 32];
    q[0] = -128;
    q[1] = 127;
    q[32 + 2] = 1;
    let rec = q8_records(8, 32, &q, &[0; 8]);
    let m = BlockMatrix::new(WeightBits::Q8, 8, 32, 0, &rec).unwrap();
    let mut out = vec![0i16; 32];
    embedding_lookup(&m, 0, 113, &mut out).unwrap();
    assert_eq!(out[0], -56); // -128 * 113 / 256 = -56.5, rounds half up to -56
    assert_eq!(out[1], 56); // 127 * 113 / 256 = 56.06
    embedding_lookup(&m, 1, 113, &mut out).unwrap();
    assert_eq!(out[2], 0); // 113 / 256 = 0.44
    assert!(matches!(
        embedding_lookup(&m, 8, 113, &mut out),
        Err(KernelError::Index { .. })
    ));
}
