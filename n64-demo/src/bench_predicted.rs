//! rsp-sim's RSP cycles for the bench ROM's RSP work (tokens: the mean over the prompt's
//! positions), compiled into the ROM so that a console shows measured against predicted.
//! Written by `cargo xtask bench` from `cargo run --release -p n64-demo --example
//! bench_predict`; `tests/predicted.rs` fails when rsp-sim or the ucode says otherwise.

/// (kernel, predicted RSP cycles).
pub const PREDICTED_RSP_CYCLES: &[(&str, u32)] = &[
    ("matvec_q8_128x128", 4375),
    ("matvec_q8_256x128", 8081),
    ("matvec_q4_128x128", 5353),
    ("token_q8", 234781),
    ("token_q4", 146374),
    ("matvec_q4_128x128.rsp_q4waw", 5333),
    ("token_q4.rsp_q4waw", 145918),
    ("dp_clock.calibration", 1280),
    ("dma.256", 81),
    ("dma.1088", 231),
    ("dma.2048", 411),
    ("dma.4096", 783),
    ("dma.2x256", 158),
    ("dma.2x1088", 458),
    ("dma.2x2048", 806),
    ("dma.2x4096", 1550),
];

/// The prediction for `kernel`, if there is one.
pub fn predicted_rsp_cycles(kernel: &str) -> Option<u32> {
    PREDICTED_RSP_CYCLES
        .iter()
        .find(|(k, _)| *k == kernel)
        .map(|(_, c)| *c)
}
