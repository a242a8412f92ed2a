//! The real seed-v5 weights (the `../shared` fixture, converted by rspnn-model) through the
//! RSP matvec on rsp-sim: every layer matrix and the tied head, as shipped (Q8) and requantised
//! to Q4 (rspnn-model `requant`), bit for bit against `kernels::matvec`. The inputs are made from
//! corpus bytes the way the model makes them: embedding lookup, RMSNorm (Q1.14) for wq, wk, wv,
//! wff1 and the head; wv's output (Q5.10, what attention over one position returns) for wo;
//! ReLU of wff1's output (Q7.8) for wff2.

mod common;

use common::{assert_same, matvec_sim, oracle};
use kernels::matvec::BlockMatrix;
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::error::MatrixKind;
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::ModelView;
use rspnn_model::seed::SeedModel;

/// The RSPW files (Q8 as shipped, Q4 requantised) and three corpus bytes, or None (skipped).
fn fixture() -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let seai = shared_fixtures::read("fixtures/seed-v5/weights_v5_q8.seai")?;
    let text = shared_fixtures::read("fixtures/seed-v5/corpus_v5_expanded.txt")?;
    let seed = SeedModel::parse(&seai).expect("the fixture parses");
    let q8 = to_rspw_vec(&seed).expect("converts");
    let q4 = to_rspw_vec(&Requantized::to_q4(&seed).expect("requantises")).expect("requantises");
    let tokens = vec![text[1000], text[250_000], text[3_000_001]];
    Some((q8, q4, tokens))
}

/// Runs every matrix of `file` on the RSP for each token's inputs; returns how many ran.
fn every_matrix(file: &[u8], tokens: &[u8], what: &str) -> usize {
    let view = ModelView::parse(file).expect("RSPW parses");
    let info = *view.info();
    let d = info.dims;
    let emb = view.embedding().unwrap();
    let mut ran = 0;
    for &t in tokens {
        let mut x_res = vec![0i16; d.d_model];
        kernels::elementwise::embedding_lookup(&emb, t as usize, info.g_emb, &mut x_res).unwrap();
        let mut u = vec![0i16; d.d_model];
        kernels::norm::rms_norm(&x_res, info.eps_ss as u64, &mut u).unwrap();
        let mut run = |m: &BlockMatrix<'_>, x: &[i16], name: &str| -> Vec<i16> {
            let (got, _) = matvec_sim(m, x);
            let want = oracle(m, x);
            assert_same(&format!("{what} {name} token {t}"), &got, &want);
            ran += 1;
            want
        };
        for layer in 0..d.n_layers {
            let m = |k| view.matrix(layer, k).unwrap();
            run(&m(MatrixKind::Wq), &u, &format!("layer {layer} wq"));
            run(&m(MatrixKind::Wk), &u, &format!("layer {layer} wk"));
            let v = run(&m(MatrixKind::Wv), &u, &format!("layer {layer} wv"));
            run(&m(MatrixKind::Wo), &v, &format!("layer {layer} wo"));
            let mut hidden = run(&m(MatrixKind::Ff1), &u, &format!("layer {layer} wff1"));
            kernels::elementwise::relu_in_place(&mut hidden);
            run(&m(MatrixKind::Ff2), &hidden, &format!("layer {layer} wff2"));
        }
        run(&emb, &u, "head");
    }
    ran
}

#[test]
fn seed_v5_q8_matrices_are_bit_exact() {
    let Some((q8, _, tokens)) = fixture() else { return };
    assert_eq!(every_matrix(&q8, &tokens, "Q8"), 3 * 25);
}

#[test]
fn seed_v5_requantised_q4_matrices_are_bit_exact() {
    let Some((_, q4, tokens)) = fixture() else { return };
    assert_eq!(every_matrix(&q4, &tokens, "Q4"), 3 * 25);
}
