//! The rsp-sim prediction compiled into the bench ROM (`n64_demo::bench_predicted`) is what
//! rsp-sim says today for the same work: a ucode or simulator change that moves a figure
//! fails here until `cargo xtask bench` regenerates the file.

#[allow(dead_code)]
#[path = "../examples/bench_predict.rs"]
mod bench_predict;

use n64_demo::bench_predicted::PREDICTED_RSP_CYCLES;

#[test]
fn the_rom_carries_rsp_sims_current_prediction() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let got = bench_predict::predict(&root, false).expect("rsp-sim runs the bench's RSP work");
    let want: Vec<(String, u64)> = PREDICTED_RSP_CYCLES
        .iter()
        .map(|(k, c)| match k.contains('.') {
            // `<kernel>.<path>`: another RSP path (the opt-in Q4 chain, `rsp_q4waw`)
            true => (format!("bench.{k}.rsp_sim_cycles"), *c as u64),
            false => (format!("bench.{k}.rsp.rsp_sim_cycles"), *c as u64),
        })
        .collect();
    assert_eq!(
        got, want,
        "rsp-sim's figures changed: `cargo xtask bench` regenerates n64-demo/src/bench_predicted.rs"
    );
}
