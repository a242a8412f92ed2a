//! RSPW round trips, integer scales checked against f64, and every class of bad input.

mod common;

use common::{half_f64, v2_bytes, v5_bytes, Synthetic};
use kernels::formats::{F_FFH, F_K, F_LOGIT, F_Q, F_RES, F_UNIT, F_V};
use kernels::matvec::WeightBits;
use rspnn_model::convert::{to_rspw_vec, SourceModel};
use rspnn_model::dims::ModelDims;
use rspnn_model::error::{MatrixKind, ModelError};
use rspnn_model::rspw::{finish_crc, ModelView, HEADER_BYTES};
use rspnn_model::seed::{SeedModel, SeedVersion};

fn small_dims() -> ModelDims {
    ModelDims {
        n_layers: 2,
        d_model: 64,
        n_heads: 2,
        d_ff: 128,
        vocab: 16,
        ctx: 8,
    }
}

/// (f_in, f_out, fold) of each matrix, restated from docs/numerics.md.
fn expected_formats(kind: MatrixKind, d: &ModelDims) -> (u32, u32, f64) {
    let n = d.d_model as f64;
    match kind {
        MatrixKind::Wq => (F_UNIT, F_Q, (n / d.head_dim() as f64).sqrt()),
        MatrixKind::Wk => (F_UNIT, F_K, n.sqrt()),
        MatrixKind::Wv => (F_UNIT, F_V, n.sqrt()),
        MatrixKind::Wo => (F_V, F_RES, 1.0),
        MatrixKind::Ff1 => (F_UNIT, F_FFH, n.sqrt()),
        MatrixKind::Ff2 => (F_FFH, F_RES, 1.0),
    }
}

#[test]
fn round_trip_keeps_codes_and_computes_scales_like_f64() {
    for bits in [WeightBits::Q8, WeightBits::Q4] {
        let src = Synthetic::random(small_dims(), bits, 42);
        let file = to_rspw_vec(&src).unwrap();
        let view = ModelView::parse(&file).unwrap();
        assert_eq!(*view.dims(), src.dims);
        assert_eq!(view.info().bits, bits);
        let d = src.dims;
        let emb = view.embedding().unwrap();
        for t in 0..d.vocab {
            for c in 0..d.d_model {
                assert_eq!(emb.weight(t, c), Some(src.emb[t * d.d_model + c]));
            }
        }
        // Embedding lookup scale: round(56/2032 * 2^(8 + F_RES)).
        assert_eq!(
            view.info().g_emb as f64,
            (56.0 / 2032.0 * 2f64.powi(8 + F_RES as i32)).round()
        );
        let mut exact = 0;
        let mut total = 0;
        for l in 0..d.n_layers {
            for kind in MatrixKind::ALL {
                let m = view.matrix(l, kind).unwrap();
                let (rows, cols) = d.matrix_shape(kind);
                let (fi, fo, fold) = expected_formats(kind, &d);
                let k = m.out_shift() as i32;
                let mut max_g_unshifted = 0f64;
                for r in 0..rows {
                    for c in 0..cols {
                        assert_eq!(m.weight(r, c), Some(src.q(l, kind, r, c)));
                    }
                    for b in 0..cols / 32 {
                        let sb = src.scale_bits(l, kind, r, b);
                        assert_eq!(view.real_scale(l, kind, r, b), Some(sb));
                        let g = half_f64(sb)
                            * 2f64.powi(bits.bits() as i32 - 1)
                            * fold
                            * 2f64.powi(16 + fo as i32 - fi as i32);
                        max_g_unshifted = max_g_unshifted.max(g);
                        let want = (g / 2f64.powi(k)).round();
                        let got = m.scale(r, b).unwrap() as f64;
                        assert!(
                            (got - want).abs() <= 1.0,
                            "layer {l} {} r{r} b{b}: {got} vs {want}",
                            kind.name()
                        );
                        exact += usize::from(got == want);
                        total += 1;
                    }
                }
                // k is the smallest shift that fits u16.
                assert!((max_g_unshifted / 2f64.powi(k)).round() <= 65535.0);
                if k > 0 {
                    assert!(
                        (max_g_unshifted / 2f64.powi(k - 1)).round() > 65535.0,
                        "shift {k} not minimal"
                    );
                }
            }
        }
        // Off-by-one only where f64's product lands within 2^-24 of a half.
        assert!(exact * 1000 >= total * 999, "{exact}/{total} exact");
    }
}

/// A parsed RSPW file as a converter source: every code, scale and header field read back
/// through `ModelView`, so converting it rewrites the file from what the parser saw.
struct Parsed<'a>(ModelView<'a>);

impl SourceModel for Parsed<'_> {
    fn dims(&self) -> ModelDims {
        *self.0.dims()
    }
    fn bits(&self) -> WeightBits {
        self.0.info().bits
    }
    fn emb_q(&self, token: usize, d: usize) -> i8 {
        self.0.embedding().unwrap().weight(token, d).unwrap()
    }
    fn emb_scale(&self) -> (u16, u16) {
        (self.0.info().emb_scale_num, self.0.info().emb_scale_den)
    }
    fn q(&self, layer: usize, kind: MatrixKind, row: usize, col: usize) -> i8 {
        self.0
            .matrix(layer, kind)
            .unwrap()
            .weight(row, col)
            .unwrap()
    }
    fn scale_bits(&self, layer: usize, kind: MatrixKind, row: usize, block: usize) -> u16 {
        self.0.real_scale(layer, kind, row, block).unwrap()
    }
}

#[test]
fn rspw_bytes_are_stable_through_parse_and_rewrite() {
    for bits in [WeightBits::Q8, WeightBits::Q4] {
        let src = Synthetic::random(small_dims(), bits, 3);
        let a = to_rspw_vec(&src).unwrap();
        // Parsed, then written again from what the parser read: the same bytes (the integer
        // scales, shifts, G_emb and CRC recomputed from the parsed real scales).
        let rewritten = to_rspw_vec(&Parsed(ModelView::parse(&a).unwrap())).unwrap();
        assert_eq!(rewritten.len(), a.len());
        if let Some(at) = (0..a.len()).find(|&i| a[i] != rewritten[i]) {
            panic!("{bits:?}: the rewrite differs first at byte {at}");
        }
    }
    let src = Synthetic::random(small_dims(), WeightBits::Q8, 3);
    let a = to_rspw_vec(&src).unwrap();
    let b = to_rspw_vec(&src).unwrap();
    assert_eq!(a, b, "conversion is deterministic");
    // Header fields at their documented offsets (docs/weight-format.md).
    assert_eq!(&a[0..4], b"RSPW");
    assert_eq!(u16::from_be_bytes([a[4], a[5]]), 1);
    assert_eq!(u16::from_be_bytes([a[10], a[11]]), 64); // d_model
    assert_eq!(a[20], 8);
    assert_eq!(
        &a[22..29],
        &[
            F_RES as u8,
            F_UNIT as u8,
            F_Q as u8,
            F_K as u8,
            F_V as u8,
            F_FFH as u8,
            F_LOGIT as u8
        ]
    );
    assert_eq!(
        u32::from_be_bytes([a[48], a[49], a[50], a[51]]) as usize,
        a.len() - HEADER_BYTES
    );
    // Every record section is 16-byte aligned: the embedding starts at 64 and layers follow.
    let emb_bytes = 16 / 8 * (64 / 32) * 272;
    assert_eq!((HEADER_BYTES + emb_bytes) % 16, 0);
}

fn parse_err(bytes: &[u8]) -> ModelError {
    match ModelView::parse(bytes) {
        Ok(_) => panic!("bad input accepted"),
        Err(e) => e,
    }
}

#[test]
fn rspw_rejects_every_bad_input_class() {
    let src = Synthetic::random(small_dims(), WeightBits::Q4, 9);
    let good = to_rspw_vec(&src).unwrap();
    ModelView::parse(&good).unwrap();

    let mut bad = good.clone();
    bad[0] = b'X';
    assert!(matches!(parse_err(&bad), ModelError::BadMagic { .. }));

    for len in [0, 3, 10, 63, 64, 1000, good.len() - 1] {
        assert!(
            matches!(
                parse_err(&good[..len]),
                ModelError::Truncated { .. } | ModelError::BadMagic { .. }
            ),
            "len {len}"
        );
    }
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(parse_err(&long), ModelError::TrailingBytes { .. }));

    let mut v = good.clone();
    v[5] = 2;
    assert!(matches!(
        parse_err(&v),
        ModelError::UnsupportedVersion { version: 2 }
    ));

    // Inconsistent or absurd dimensions, each reported with its header offset.
    for (offset, value, field) in [
        (10usize, 65u16, "d_model"), // not a multiple of 32
        (12, 3, "n_heads"),          // does not divide 64
        (16, 65535, "vocab"),        // absurd
        (8, 0, "n_layers"),
        (18, 0, "ctx"),
    ] {
        let mut b = good.clone();
        b[offset..offset + 2].copy_from_slice(&value.to_be_bytes());
        finish_crc(&mut b);
        match parse_err(&b) {
            ModelError::BadField {
                offset: o,
                field: f,
                ..
            } => {
                assert_eq!((o, f), (offset, field));
            }
            e => panic!("{field}: {e}"),
        }
    }
    // A consistent header whose dimensions do not match the payload size.
    let mut b = good.clone();
    b[18..20].copy_from_slice(&16u16.to_be_bytes()); // ctx changes nothing in the payload...
    finish_crc(&mut b);
    ModelView::parse(&b).unwrap();
    b[14..16].copy_from_slice(&256u16.to_be_bytes()); // ...but d_ff does
    finish_crc(&mut b);
    assert!(matches!(
        parse_err(&b),
        ModelError::BadField { offset: 48, .. }
    ));

    let mut b = good.clone();
    b[20] = 5;
    finish_crc(&mut b);
    assert!(matches!(
        parse_err(&b),
        ModelError::BadField { offset: 20, .. }
    ));
    let mut b = good.clone();
    b[21] = 0x80;
    finish_crc(&mut b);
    assert!(matches!(
        parse_err(&b),
        ModelError::BadField { offset: 21, .. }
    ));
    let mut b = good.clone();
    b[23] += 1; // F_UNIT
    finish_crc(&mut b);
    assert!(matches!(
        parse_err(&b),
        ModelError::BadField { offset: 23, .. }
    ));
    let mut b = good.clone();
    b[40] = 16; // head shift
    finish_crc(&mut b);
    assert!(matches!(
        parse_err(&b),
        ModelError::BadField { offset: 40, .. }
    ));
    let layer0 = HEADER_BYTES + 16 / 8 * 2 * 272;
    let mut b = good.clone();
    b[layer0 + 2] = 99; // wv output shift of layer 0
    finish_crc(&mut b);
    assert!(matches!(parse_err(&b), ModelError::BadField { offset, .. } if offset == layer0 + 2));

    // Any flipped payload bit is caught by the CRC.
    let mut b = good.clone();
    let mid = b.len() / 2;
    b[mid] ^= 0x10;
    assert!(matches!(parse_err(&b), ModelError::Checksum { .. }));
}

#[test]
fn seed_importer_reads_v5_and_rejects_bad_files() {
    let d = ModelDims {
        n_layers: 1,
        d_model: 32,
        n_heads: 1,
        d_ff: 128,
        vocab: 8,
        ctx: 4,
    };
    let src = Synthetic::random(d, WeightBits::Q8, 77);
    let bytes = v5_bytes(&src, 56);
    let seed = SeedModel::parse(&bytes).unwrap();
    assert_eq!(seed.version(), SeedVersion::V5Q8);
    assert_eq!(seed.dims(), d);
    for kind in MatrixKind::ALL {
        let (r, c) = d.matrix_shape(kind);
        for row in 0..r {
            for col in 0..c {
                assert_eq!(seed.q(0, kind, row, col), src.q(0, kind, row, col));
            }
            for b in 0..c / 32 {
                assert_eq!(
                    seed.scale_bits(0, kind, row, b),
                    src.scale_bits(0, kind, row, b)
                );
            }
        }
    }
    assert_eq!(seed.emb_scale(), (56, 16 * 127));

    let err = |b: &[u8]| SeedModel::parse(b).expect_err("bad seed accepted");
    assert!(matches!(
        err(&bytes[..bytes.len() - 1]),
        ModelError::Truncated { .. }
    ));
    assert!(matches!(err(&bytes[..11]), ModelError::Truncated { .. }));
    let mut long = bytes.clone();
    long.push(1);
    assert!(matches!(err(&long), ModelError::TrailingBytes { .. }));
    let mut b = bytes.clone();
    b[1] = b'X';
    assert!(matches!(err(&b), ModelError::BadMagic { .. }));
    let mut b = bytes.clone();
    b[5] = 33; // width not a multiple of 32
    assert!(matches!(err(&b), ModelError::BadField { offset: 5, .. }));
    let mut b = bytes.clone();
    b[7] = 0; // no heads
    assert!(matches!(err(&b), ModelError::BadField { offset: 7, .. }));
    let mut b = bytes.clone();
    b[11] = 0;
    assert!(matches!(err(&b), ModelError::BadField { offset: 11, .. }));

    // Negative and NaN scales are refused by the converter, naming the block.
    let scales_at = 12 + 8 * 32 + (4 * 32 * 32 + 2 * 128 * 32);
    for (bits, why) in [(0xBC00u16, "negative"), (0x7E00, "infinite or NaN")] {
        let mut b = bytes.clone();
        b[scales_at + 2..scales_at + 4].copy_from_slice(&bits.to_le_bytes()); // wq row 1 block 0
        let s = SeedModel::parse(&b).unwrap();
        match to_rspw_vec(&s) {
            Err(ModelError::BadScale {
                row: 1,
                block: 0,
                why: w,
                ..
            }) => assert!(w.starts_with(why)),
            other => panic!("{other:?}"),
        }
    }
    // A scale too large for any output shift.
    let mut b = bytes.clone();
    b[scales_at..scales_at + 2].copy_from_slice(&0x7BFFu16.to_le_bytes()); // 65504
    let s = SeedModel::parse(&b).unwrap();
    assert!(matches!(
        to_rspw_vec(&s),
        Err(ModelError::ScaleOverflow { .. })
    ));
}

#[test]
fn seed_v2_q4_imports_from_bytes_built_here() {
    let d = ModelDims {
        n_layers: 2,
        d_model: 64,
        n_heads: 2,
        d_ff: 256,
        vocab: 16,
        ctx: 32,
    };
    let src = Synthetic::random(d, WeightBits::Q4, 5);
    let mut rng = common::Lcg(8);
    let emb4: Vec<i8> = (0..d.vocab * d.d_model)
        .map(|_| rng.range(-8, 7) as i8)
        .collect();
    let bytes = v2_bytes(&src, &emb4, 48);
    let seed = SeedModel::parse(&bytes).unwrap();
    assert_eq!(seed.version(), SeedVersion::V2Q4);
    assert_eq!(seed.bits(), WeightBits::Q4);
    for t in 0..d.vocab {
        for c in 0..d.d_model {
            assert_eq!(seed.emb_q(t, c), emb4[t * d.d_model + c]);
        }
    }
    assert_eq!(seed.emb_scale(), (48, 16 * 7));
    let file = to_rspw_vec(&seed).unwrap();
    let view = ModelView::parse(&file).unwrap();
    assert_eq!(view.info().bits, WeightBits::Q4);
    for l in 0..2 {
        for kind in MatrixKind::ALL {
            let m = view.matrix(l, kind).unwrap();
            let (r, c) = d.matrix_shape(kind);
            for row in (0..r).step_by(7) {
                for col in 0..c {
                    assert_eq!(m.weight(row, col), Some(src.q(l, kind, row, col)));
                }
            }
        }
    }
    // v2 embedding scale em/7 = 3/7: lookup G = round(3/7 * 2^12).
    assert_eq!(view.info().g_emb, (3.0f64 / 7.0 * 4096.0).round() as u16);
}
