//! Host cost per token of the fixed-point scalar runner and the float32 reference on the real
//! seed-v5 model (and its Q4 requantisation). Each measured step feeds one byte at a
//! mid-context position: the runner is reset every 64 steps, so the attention length averages
//! half the context, as in the accuracy yardstick.
//!
//! Run: `CARGO_TARGET_DIR=... cargo bench -p rspnn-model --bench per_token`. Skips (with a
//! message) when ../shared is absent.

use criterion::{criterion_group, criterion_main, Criterion};
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::float_ref::{FloatModel, FloatRunner};
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::seed::SeedModel;

fn bench_backend(c: &mut Criterion, name: &str, be: &mut dyn Backend, text: &[u8]) {
    let mut i = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            if i % 64 == 0 {
                be.reset();
            }
            let byte = text[777 + i % 4096];
            i += 1;
            be.step(byte, DecodeMask::All).unwrap()
        })
    });
}

fn per_token(c: &mut Criterion) {
    let Some(weights) = shared_fixtures::read("fixtures/seed-v5/weights_v5_q8.seai") else {
        return;
    };
    let Some(text) = shared_fixtures::read("fixtures/seed-v5/corpus_v5_expanded.txt") else {
        return;
    };
    let seed = SeedModel::parse(&weights).unwrap();
    let q8 = to_rspw_vec(&seed).unwrap();
    let q4 = to_rspw_vec(&Requantized::to_q4(&seed).unwrap()).unwrap();
    for (label, file) in [("q8", &q8), ("q4", &q4)] {
        let view = ModelView::parse(file).unwrap();
        let mut sc = ScalarRunner::new(view, vec![0i16; workspace_len(view.dims())]).unwrap();
        bench_backend(c, &format!("v5_{label}_scalar_step"), &mut sc, &text);
        let fm = FloatModel::from_view(&view).unwrap();
        let mut fl = FloatRunner::new(&fm);
        bench_backend(c, &format!("v5_{label}_float_step"), &mut fl, &text);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = per_token
}
criterion_main!(benches);
