//! Fuzzes the weight loaders: arbitrary bytes must give a clear error, never a panic or an
//! out-of-bounds read. Inputs whose first byte is odd get a valid CRC-32 written into them
//! before parsing, so the fuzzer also reaches the checks behind the checksum; whatever parses
//! is converted and run for a few tokens on both backends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::float_ref::{FloatModel, FloatRunner};
use rspnn_model::rspw::{finish_crc, ModelView};
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::seed::SeedModel;

fn exercise(view: ModelView<'_>) {
    let d = *view.dims();
    // Keep each run short: skip models whose single step would take long.
    if d.n_layers * d.d_model * d.d_ff > 1 << 22 || d.ctx > 256 {
        return;
    }
    if let Ok(mut r) = ScalarRunner::new(view, vec![0i16; workspace_len(&d)]) {
        for t in 0..3u8 {
            let _ = Backend::step(&mut r, t, DecodeMask::All);
        }
        let _ = r.step(d.vocab); // out of range: must be an error
    }
    if let Ok(m) = FloatModel::from_view(&view) {
        let mut f = FloatRunner::new(&m);
        let _ = Backend::step(&mut f, 1, DecodeMask::Printable);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let mut bytes = data[1..].to_vec();
    if data[0] & 1 == 1 {
        finish_crc(&mut bytes);
    }
    if let Ok(view) = ModelView::parse(&bytes) {
        exercise(view);
    }
    if let Ok(seed) = SeedModel::parse(&bytes) {
        if let Ok(file) = to_rspw_vec(&seed) {
            if let Ok(view) = ModelView::parse(&file) {
                exercise(view);
            }
        }
    }
});
