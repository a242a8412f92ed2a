//! Issue #17 items 1-4 at the library level: what `ModelView::parse`, `Requantized::to_q4` and
//! the byte-level backends must refuse, each on a file the converter wrote and then changed in
//! exactly one place (CRC recomputed), with the error's exact fields.

mod common;

use common::Synthetic;
use kernels::matvec::WeightBits;
use rspnn_model::backend::{token_byte, Backend, DecodeMask};
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::dims::ModelDims;
use rspnn_model::error::{MatrixId, MatrixKind, ModelError};
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::{self, ModelView, HEADER_BYTES};

fn dims(vocab: usize) -> ModelDims {
    ModelDims {
        n_layers: 2,
        d_model: 64,
        n_heads: 2,
        d_ff: 96,
        vocab,
        ctx: 8,
    }
}

fn file() -> Vec<u8> {
    to_rspw_vec(&Synthetic::random(dims(64), WeightBits::Q8, 7)).unwrap()
}

fn patched(patch: impl Fn(&mut Vec<u8>)) -> Result<(), ModelError> {
    let mut b = file();
    patch(&mut b);
    rspw::finish_crc(&mut b);
    ModelView::parse(&b).map(|_| ())
}

#[test]
fn reserved_header_bytes_must_be_zero() {
    assert_eq!(patched(|_| {}), Ok(()));
    for at in [29usize, 41, 42, 47, 56, 63] {
        assert_eq!(
            patched(|b| b[at] = 0x80),
            Err(ModelError::BadField {
                offset: at,
                field: "reserved",
                value: 0x80,
                why: "must be zero"
            })
        );
    }
}

#[test]
fn g_emb_must_agree_with_the_embedding_scale() {
    // 56 / 2032 * 4096 = 112.88 -> 113 (numerics.md 6.1).
    assert_eq!(rspw::lookup_scale(56, 16 * 127), Some(113));
    assert_eq!(rspw::lookup_scale(1, 0), None);
    assert_eq!(
        rspw::lookup_scale(u16::MAX, 1),
        None,
        "2^28 does not fit 16 bits"
    );
    let b = file();
    assert_eq!(u16::from_be_bytes([b[30], b[31]]), 113);
    for g in [112u16, 114, 0] {
        match patched(|b| b[30..32].copy_from_slice(&g.to_be_bytes())) {
            Err(ModelError::BadField {
                offset: 30,
                field: "g_emb",
                value,
                ..
            }) => assert_eq!(value, g as u64),
            other => panic!("G_emb {g}: {other:?}"),
        }
    }
    // Changing the scale instead of G_emb is caught the same way.
    match patched(|b| b[32..34].copy_from_slice(&57u16.to_be_bytes())) {
        Err(ModelError::BadField {
            offset: 30,
            field: "g_emb",
            value: 113,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn real_scales_must_be_finite_and_not_negative() {
    let b = file();
    let v = ModelView::parse(&b).unwrap();
    let l = v.layout();
    let per_layer = (l.real_scales / 2) as usize;
    // Layer 1's section; its wk starts after wq's 64 rows x 2 blocks.
    let layer1 = HEADER_BYTES + (l.embedding + 2 * l.layer) as usize + per_layer;
    let wk_row3_block1 = layer1 + 2 * (64 * 2) + 2 * (3 * 2 + 1);
    for (bits, why) in [
        (0x7C00u16, "infinite or NaN"),
        (0xFE00, "infinite or NaN"),
        (0x8001, "negative (block scales must be >= 0)"),
    ] {
        assert_eq!(
            patched(|b| b[wk_row3_block1..wk_row3_block1 + 2].copy_from_slice(&bits.to_be_bytes())),
            Err(ModelError::BadScale {
                matrix: MatrixId::Layer {
                    layer: 1,
                    kind: MatrixKind::Wk
                },
                row: 3,
                block: 1,
                bits,
                why
            })
        );
    }
    // -0 reads as 0, as in the converter.
    assert_eq!(
        patched(|b| b[wk_row3_block1..wk_row3_block1 + 2].copy_from_slice(&0x8000u16.to_be_bytes())),
        Ok(())
    );
    // No padding to test: every matrix has a multiple of 32 rows, so each layer's scales fill
    // whole 16-byte lines (the reader checks the padding anyway, for a future layout).
}

#[test]
fn requantising_refuses_bad_source_scales_naming_them() {
    let mut src = Synthetic::random(dims(64), WeightBits::Q8, 3);
    let ok = Requantized::to_q4(&src).map(|_| ());
    assert_eq!(ok, Ok(()));
    for (bits, why) in [
        (0x7E00u16, "infinite or NaN"),
        (0xC000, "negative (block scales must be >= 0)"),
        (
            0x7BFF,
            "too large to requantise: max|q * scale| / 7 is above the largest float16 (65504)",
        ),
    ] {
        src.s[1][MatrixKind::Ff2.index()][5] = bits; // row 1 block 2 (ff2 has 96 / 32 = 3 blocks)
                                                     // The codes of that block must reach the largest float16 when multiplied.
        for c in &mut src.q[1][MatrixKind::Ff2.index()][96..96 + 96] {
            *c = 127;
        }
        assert_eq!(
            Requantized::to_q4(&src).map(|_| ()),
            Err(ModelError::BadScale {
                matrix: MatrixId::Layer {
                    layer: 1,
                    kind: MatrixKind::Ff2
                },
                row: 1,
                block: 2,
                bits,
                why
            })
        );
    }
}

#[test]
fn a_token_above_255_is_not_a_byte() {
    assert_eq!(token_byte(255, 4096), Ok(255));
    assert_eq!(
        token_byte(256, 512),
        Err(ModelError::NotAByte {
            token: 256,
            vocab: 512
        })
    );
    // A real vocab-512 model whose head favours token 300 (every embedding row but two zero):
    // the scalar runner's prediction is refused, not cut to 300 & 0xFF.
    let mut src = Synthetic::random(dims(512), WeightBits::Q8, 5);
    for l in &mut src.q {
        for m in l.iter_mut() {
            m.fill(0);
        }
    }
    src.emb.fill(0);
    let n = 64;
    src.emb[b'a' as usize * n..(b'a' as usize + 1) * n].fill(10);
    src.emb[300 * n..301 * n].fill(20);
    let bytes = to_rspw_vec(&src).unwrap();
    let view = ModelView::parse(&bytes).unwrap();
    let mut runner = rspnn_model::runner::ScalarRunner::new(
        view,
        vec![0i16; rspnn_model::runner::workspace_len(view.dims())],
    )
    .unwrap();
    assert_eq!(runner.step_greedy(b'a' as usize, DecodeMask::All), Ok(300));
    runner.reset();
    assert_eq!(
        Backend::step(&mut runner, b'a', DecodeMask::All),
        Err(ModelError::NotAByte {
            token: 300,
            vocab: 512
        })
    );
    // Printable decoding never leaves the bytes.
    runner.reset();
    assert!(Backend::step(&mut runner, b'a', DecodeMask::Printable).is_ok());
}
