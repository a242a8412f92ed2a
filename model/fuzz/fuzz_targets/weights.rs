//! Fuzzes the weight loaders and everything behind them: arbitrary bytes must give a clear
//! error, never a panic or an out-of-bounds read.
//!
//! The first input byte chooses what else runs; the rest is the file:
//! - bit 0: a valid CRC-32 is written into the file before parsing, so the fuzzer also reaches
//!   the checks behind the checksum;
//! - bit 1: a SEAI file that parses is also requantised to Q4 (`Requantized::to_q4`, what
//!   `rspnn convert --q4` does) and that RSPW file run too;
//! - bit 2: a small model is also run on rsp-sim (the token program, `SimBackend`), and the
//!   predicted token must equal the scalar runner's (the numerics spec): rsp-sim and the
//!   scalar reference agree bit for bit, whatever the weights.
//!
//! Every model that parses runs a few tokens on the scalar runner and the float reference,
//! including the highest token id (past 255 when vocab > 256: the seeds include a vocab-264
//! model) and one id past the vocabulary, which must be an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspnn_model::backend::DecodeMask;
use rspnn_model::convert::{to_rspw_vec, SourceModel};
use rspnn_model::float_ref::{FloatModel, FloatRunner};
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::{finish_crc, ModelView};
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::seed::SeedModel;
use rspnn_ucode::sim::SimBackend;

const FIX_CRC: u8 = 1;
const REQUANT: u8 = 2;
const RSP_SIM: u8 = 4;

/// The token ids each model is fed: low ones, then the highest (>= 256 for a big vocabulary).
fn tokens(vocab: usize) -> [usize; 3] {
    [0, 1 % vocab, vocab - 1]
}

fn exercise(file: &[u8], mode: u8) {
    let Ok(view) = ModelView::parse(file) else {
        return;
    };
    let d = *view.dims();
    // Keep each run short: skip models whose single step would take long.
    if d.n_layers * d.d_model * d.d_ff > 1 << 22 || d.ctx > 256 {
        return;
    }
    let mut scalar_preds = Vec::new();
    if let Ok(mut r) = ScalarRunner::new(view, vec![0i16; workspace_len(&d)]) {
        for t in tokens(d.vocab) {
            scalar_preds.push(r.step_greedy(t, DecodeMask::All).ok());
        }
        assert!(
            r.step(d.vocab).is_err(),
            "token {} of vocab {} accepted",
            d.vocab,
            d.vocab
        );
    }
    if let Ok(m) = FloatModel::from_view(&view) {
        let mut f = FloatRunner::new(&m);
        for t in tokens(d.vocab) {
            let _ = f.step(t);
        }
        assert!(
            f.step(d.vocab).is_err(),
            "float: token {} accepted",
            d.vocab
        );
    }
    // rsp-sim interprets the ucode cycle by cycle: only the smallest shapes.
    if mode & RSP_SIM != 0 && d.n_layers * d.d_model * d.d_ff <= 1 << 14 && d.ctx <= 16 {
        if let Ok(mut sim) = SimBackend::new(file, false) {
            for (i, t) in tokens(d.vocab).into_iter().enumerate() {
                let got = sim
                    .run_step(t, 0, d.vocab)
                    .ok()
                    .map(|(index, _)| index as usize);
                if let (Some(got), Some(Some(want))) = (got, scalar_preds.get(i)) {
                    assert_eq!(
                        got, *want,
                        "rsp-sim and the scalar runner disagree at step {i}"
                    );
                }
            }
            assert!(
                sim.run_step(d.vocab, 0, d.vocab).is_err(),
                "rsp-sim: token {} accepted",
                d.vocab
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    let mut bytes = file.to_vec();
    if mode & FIX_CRC != 0 {
        finish_crc(&mut bytes);
    }
    exercise(&bytes, mode);
    if let Ok(seed) = SeedModel::parse(&bytes) {
        if let Ok(file) = to_rspw_vec(&seed) {
            exercise(&file, mode);
        }
        let d = seed.dims();
        if mode & REQUANT != 0 && d.n_layers * d.d_model * d.d_ff <= 1 << 20 {
            if let Ok(q4) = Requantized::to_q4(&seed) {
                if let Ok(file) = to_rspw_vec(&q4) {
                    exercise(&file, mode);
                }
            }
        }
    }
});
