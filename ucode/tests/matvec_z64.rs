//! The same MATVEC runs on the z64 RSP (mupen64plus's low-level RSP plugin) as a second
//! opinion: a representative subset of the rsp-sim tests, each compared with
//! `kernels::matvec` and with rsp-sim. (z64 has no timing and instant DMA; RSP-FACTS lists where
//! it differs from hardware, none of it in the ops a matvec uses.) Skipped with a message when
//! the plugin is absent, failing under `CI=true`.

mod common;

use common::*;
use kernels::matvec::{BlockMatrix, WeightBits};
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::error::MatrixKind;
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::ModelView;
use rspnn_model::seed::SeedModel;

fn three_way(m: &BlockMatrix<'_>, x: &[i16], what: &str) {
    let want = oracle(m, x);
    let (sim, _) = matvec_sim(m, x);
    let z64 = matvec_z64(m, x);
    assert_same(&format!("rsp-sim {what}"), &sim, &want);
    assert_same(&format!("z64 {what}"), &z64, &want);
}

#[test]
fn random_and_edge_matrices_agree_on_z64() {
    if !z64_available() {
        return;
    }
    let mut rng = Lcg(2024);
    for bits in [WeightBits::Q8, WeightBits::Q4] {
        for &(rows, cols, d) in &[
            (128, 128, Dist::Within(1 << 14)),
            (512, 128, Dist::Full),
            (128, 512, Dist::Within(1 << 10)),
            (40, 160, Dist::Full),
        ] {
            let q = random_q(&mut rng, bits, rows, cols);
            let g = random_g(&mut rng, rows, cols, 65535);
            let rec = records(bits, &q, &g);
            let shift = rng.range(0, 15) as u8;
            let m = BlockMatrix::new(bits, rows, cols, shift, &rec).unwrap();
            three_way(&m, &random_x(&mut rng, cols, d), &format!("{bits:?} {rows}x{cols} {d:?} k={shift}"));
        }
        // Edges: saturating block sums, q min x min, k = 15 on small outputs.
        let (qmax, qmin) = if bits == WeightBits::Q8 { (127i8, -128i8) } else { (7, -8) };
        let q: Vec<Vec<i8>> = (0..16).map(|r| vec![if r % 2 == 0 { qmax } else { qmin }; 64]).collect();
        let g = random_g(&mut rng, 16, 64, 65535);
        let rec = records(bits, &q, &g);
        let m = BlockMatrix::new(bits, 16, 64, 0, &rec).unwrap();
        let x: Vec<i16> = (0..64).map(|c| if c < 32 { 32767 } else { -32768 }).collect();
        three_way(&m, &x, &format!("{bits:?} saturating"));
        let m15 = BlockMatrix::new(bits, 16, 64, 15, &rec).unwrap();
        three_way(&m15, &random_x(&mut rng, 64, Dist::Within(3)), &format!("{bits:?} k=15"));
    }
}

#[test]
fn seed_v5_matrices_agree_on_z64() {
    if !z64_available() {
        return;
    }
    let Some(seai) = shared_fixtures::read("fixtures/seed-v5/weights_v5_q8.seai") else { return };
    let seed = SeedModel::parse(&seai).unwrap();
    let mut rng = Lcg(5);
    for file in [to_rspw_vec(&seed).unwrap(), to_rspw_vec(&Requantized::to_q4(&seed).unwrap()).unwrap()] {
        let view = ModelView::parse(&file).unwrap();
        for (layer, kind) in [(0, MatrixKind::Ff1), (3, MatrixKind::Ff2), (1, MatrixKind::Wq)] {
            let m = view.matrix(layer, kind).unwrap();
            let x = random_x(&mut rng, m.cols(), Dist::Within(1 << 13));
            three_way(&m, &x, &format!("{:?} layer {layer} {kind:?}", view.info().bits));
        }
        let head = view.embedding().unwrap();
        three_way(&head, &random_x(&mut rng, head.cols(), Dist::Within(1 << 14)), "head");
    }
}
