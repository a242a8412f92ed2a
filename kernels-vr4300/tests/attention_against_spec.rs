//! The tuned attention's Rust around its dot-product loop against the spec,
//! `kernels::attention::attention`, on random and extreme caches and on bad arguments. (The
//! MIPS loop itself is checked against the spec inside the bench ROM: `attention_check`.)

use kernels::attention::{attention as spec, AttentionShape};
use kernels_vr4300::attention::{
    attention as tuned, dot, dot32, dot_portable, weighted, WEIGHTED_DIMS,
};

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

fn both(shape: AttentionShape, q: &[i16], k: &[i16], v: &[i16]) -> (Vec<i16>, Vec<i16>) {
    let n = shape.d_model;
    let (mut sa, mut pa, mut oa) = (vec![0; shape.n_pos], vec![0; shape.n_pos], vec![0; n]);
    let (mut sb, mut pb, mut ob) = (vec![0; shape.n_pos], vec![0; shape.n_pos], vec![0; n]);
    let ra = spec(shape, q, k, v, &mut sa, &mut pa, &mut oa);
    let rb = tuned(shape, q, k, v, &mut sb, &mut pb, &mut ob);
    assert_eq!(ra, rb, "{shape:?}");
    assert_eq!((&sa, &pa), (&sb, &pb), "{shape:?}: scratch");
    (oa, ob)
}

#[test]
fn tuned_attention_equals_spec() {
    let mut rng = Rng(0x1234_5677);
    let mut nonzero = 0;
    // Head dims 32 (16 at a time) and 12 (a dim at a time).
    for &(d_model, n_heads, extra) in &[
        (128, 4, 0),
        (128, 4, 128),
        (64, 2, 8),
        (32, 1, 0),
        (48, 4, 0),
    ] {
        let slot_stride = d_model + extra;
        for n_pos in [1, 2, 11, 22, 64] {
            for scale in [0u32, 3, 8] {
                let len = (n_pos - 1) * slot_stride + d_model;
                let mut vec_of = |n: usize| -> Vec<i16> {
                    (0..n).map(|_| (rng.next() as i16) >> scale).collect()
                };
                let (q, k, v) = (vec_of(d_model), vec_of(len), vec_of(len));
                let shape = AttentionShape {
                    d_model,
                    n_heads,
                    slot_stride,
                    n_pos,
                };
                let (a, b) = both(shape, &q, &k, &v);
                assert_eq!(a, b, "{shape:?} scale {scale}");
                nonzero += a.iter().filter(|&&o| o != 0).count();
            }
        }
    }
    assert!(
        nonzero > 1000,
        "the cases must produce real outputs ({nonzero} nonzero)"
    );
}

#[test]
fn extreme_values_saturate_alike() {
    // Every q and k at -32768: each score's sum is 32 * 2^30, far past int16 (saturates).
    let shape = AttentionShape {
        d_model: 128,
        n_heads: 4,
        slot_stride: 128,
        n_pos: 5,
    };
    let full = vec![i16::MIN; 4 * 128 + 128];
    let (a, b) = both(shape, &full[..128], &full, &full);
    assert_eq!(a, b);
    assert!(a.iter().all(|&o| o == a[0]) && a[0] != 0);
}

#[test]
fn tuned_refuses_what_the_spec_refuses() {
    let q = [1i16; 128];
    let cache = [1i16; 4 * 128];
    for shape in [
        AttentionShape {
            d_model: 128,
            n_heads: 0,
            slot_stride: 128,
            n_pos: 1,
        },
        AttentionShape {
            d_model: 128,
            n_heads: 3,
            slot_stride: 128,
            n_pos: 1,
        },
        AttentionShape {
            d_model: 128,
            n_heads: 4,
            slot_stride: 64,
            n_pos: 1,
        },
        AttentionShape {
            d_model: 128,
            n_heads: 4,
            slot_stride: 128,
            n_pos: 0,
        },
        AttentionShape {
            d_model: 128,
            n_heads: 4,
            slot_stride: 128,
            n_pos: 5,
        },
    ] {
        let n = shape.n_pos.max(1);
        let (mut s, mut p, mut o) = (vec![0; n], vec![0; n], vec![0; 128]);
        let want = spec(shape, &q, &cache, &cache, &mut s, &mut p, &mut o);
        assert!(want.is_err(), "{shape:?}");
        assert_eq!(
            tuned(shape, &q, &cache, &cache, &mut s, &mut p, &mut o),
            want
        );
    }
}

#[test]
fn dot_is_the_exact_strided_sum() {
    let a = [i16::MIN, 3, -7];
    let b = [i16::MIN, 99, 5, 99, 2];
    assert_eq!(dot(&a, &b, 2), (1i64 << 30) + 15 - 14);
    assert_eq!(dot(&a, &b, 2), dot_portable(&a, &b, 2));
}

#[test]
#[should_panic]
fn dot_refuses_a_short_strided_operand() {
    dot(&[1, 2, 3], &[1, 2, 3, 4], 2);
}

#[test]
fn weighted_is_sixteen_strided_sums() {
    let p = [i16::MIN, 2, -3];
    let v: Vec<i16> = (0..2 * 20 + 16).map(|i| (i as i16 - 20) * 900).collect();
    let mut sums = [0i64; WEIGHTED_DIMS];
    weighted(&p, &v, 20, &mut sums);
    for (d, &s) in sums.iter().enumerate() {
        let want = p[0] as i64 * v[d] as i64 + 2 * v[20 + d] as i64 - 3 * v[40 + d] as i64;
        assert_eq!(s, want, "dim {d}");
    }
}

#[test]
fn dot32_is_the_exact_sum() {
    let mut rng = Rng(99);
    let a: [i16; 32] = core::array::from_fn(|_| rng.next() as i16);
    let b: [i16; 32] = core::array::from_fn(|_| rng.next() as i16);
    let want: i64 = a.iter().zip(&b).map(|(&x, &y)| x as i64 * y as i64).sum();
    assert_eq!(dot32(&a, &b), want);
    assert_eq!(dot32(&[i16::MIN; 32], &[i16::MIN; 32]), 32i64 << 30);
}
