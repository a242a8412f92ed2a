//! The micro-benchmark ROM: each kernel on the VR4300 scalar path(s) and on the RSP, checked
//! bit for bit against the scalar spec (`kernels/`), timed with CP0 Count.
//!
//! Kernels (the demo models' real matrices, from the cartridge):
//! * `matvec_q8_<rows>x<cols>`: layer 0's Wq (128x128), FF1 (512x128), FF2 (128x512) and the
//!   tied head (256x128) of `nibble-4l-q8`; paths `spec` (kernels::matvec), `tuned`
//!   (kernels-vr4300's hand-written MIPS loop) and `rsp` (the ucode's MATVEC through the
//!   scheduler, for the matrices up to 256 wide); `matvec_q4_128x128`: Wq of `nibble-2l-q4`,
//!   the same three paths.
//! * `tuned_check`: the tuned matvec against the spec on every matrix of both models (layer
//!   matrices and heads), on the edge cases of `n64_demo::bench::edge_case` read as Q8 and as
//!   Q4 records, and on Q4 at its extremes.
//! * `attention_check`: the tuned attention (kernels-vr4300) against the spec on random
//!   caches at the demo models' shape (d_model 128, 4 heads) for contexts 1..64, at full and
//!   at small amplitude (scores that saturate and ones that do not).
//! * `token_q8` / `token_q4`: one token of each model (the mean over the bytes of
//!   `TOKEN_PROMPT`, positions 0..21), paths `scalar` (the scalar runner; on the VR4300 its
//!   matvecs are the tuned ones) and `rsp` (the token program); `identical` compares the
//!   predicted byte and its logit at every position. The 4-layer model's scalar figure is
//!   also printed as `bench.token.scalar.cpu_cycles_per_weight`.
//!
//! Lines: `bench.<kernel>.<path>.<unit>=<value>` (units in `n64_demo::bench`) on the IS-Viewer;
//! the screen shows one row per kernel and path (CPU cycles per weight) and whether every path
//! agreed with the spec; RSP rows add rsp-sim's prediction for the same work
//! (`n64_demo::bench_predicted`, compiled in: `sim`, in CPU cycles' time per weight). `cpu_cycles` is
//! Count x 2, CPU cycles on hardware and in cen64; under mupen64plus (CountPerOp=1) read
//! `count_ticks` as an instruction count, and the RSP there finishes inside the start write, so
//! its `rsp` times are only the CPU's own work. The RSP-side DP clock is not read yet
//! (bench-results/HARDWARE.md, "Not measured yet").
#![no_std]
#![no_main]

use core::fmt::Display;
use core::hint::black_box;
use core::ptr::addr_of_mut;
use kernels::matvec::{matvec as spec_matvec, BlockMatrix, Saturations, WeightBits};
use kernels_vr4300::matvec as tuned_matvec;
use n64_demo::assets;
use n64_demo::bench::{
    edge_case, input_vector, weights_per_token, Hundredths, Line, EDGE_CASES, EDGE_MAX_BYTES,
    TOKEN_PROMPT,
};
use n64_demo::bench_predicted::predicted_rsp_cycles;
use n64_demo::dp_clock_probe::{image as probe, row_name, Figures, RESULTS, RESULT_WORDS, SIZES};
use n64_rt::cache::CacheAligned;
use n64_rt::vi::Screen;
use n64_rt::{println, timing};
use rspnn::mmio::Mmio;
use rspnn::plan::MatvecChain;
use rspnn::token::TokenRunner;
use rspnn::{Completion, Config, Job, Poll, Scheduler, Span, Ucode};
use rspnn_model::backend::DecodeMask;
use rspnn_model::error::MatrixKind;
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_ucode::RdramImage;

n64_rt::entry!(main);

const Q8_MAX: usize = 1 << 20;
const Q4_MAX: usize = 320 * 1024;
const SCALAR_WS: usize = 72 * 1024;
/// The RSP's workspace: the largest matvec chain (512x128 Q8: 139,264 weight bytes) or the
/// two token programs (~136 KiB for the 4-layer model, less for the 2-layer one).
const RSP_WORKSPACE: usize = 320 * 1024;
const DEADLINE_MICROS: u32 = 500_000;
const WIDEST: usize = 512;
/// The widest matrix a one-matrix chain takes (two activation homes of 4 x 256 bytes in DMEM).
const RSP_CHAIN_WIDEST: usize = 256;

static mut Q8_MODEL: CacheAligned<[u8; Q8_MAX]> = CacheAligned([0; Q8_MAX]);
static mut Q4_MODEL: CacheAligned<[u8; Q4_MAX]> = CacheAligned([0; Q4_MAX]);
static mut SCALAR: [i16; SCALAR_WS] = [0; SCALAR_WS];
static mut WORKSPACE: CacheAligned<[u8; RSP_WORKSPACE]> = CacheAligned([0; RSP_WORKSPACE]);

fn fail(what: &str, e: impl Display) -> ! {
    panic!("{what}: {e}")
}

fn line(kernel: &str, path: &str, unit: &str, value: impl Display) {
    println!(
        "{}",
        Line {
            kernel,
            path,
            unit,
            value
        }
    );
}

fn yes_no(same: bool) -> &'static str {
    if same {
        "yes"
    } else {
        "no"
    }
}

/// Prints a path's time: Count ticks, CPU cycles (Count x 2) and cycles per weight, and the
/// cycles per weight on the screen.
fn timed(screen: &mut Screen, kernel: &str, path: &str, ticks: u32, weights: u64) {
    let cycles = timing::ticks_to_cpu_cycles(ticks);
    let per_weight = Hundredths::ratio(cycles, weights);
    line(kernel, path, "count_ticks", ticks);
    line(kernel, path, "cpu_cycles", cycles);
    line(kernel, path, "cpu_cycles_per_weight", per_weight);
    // RSP rows: rsp-sim's prediction for the same work (compiled in), in the same unit (RSP
    // cycles x 93.75 / 62.5 = CPU cycles' time), beside the measurement.
    match predicted_rsp_cycles(kernel).filter(|_| path == "rsp") {
        Some(rsp_cycles) => {
            let predicted = Hundredths::ratio(rsp_cycles as u64 * 3, weights * 2);
            line(kernel, path, "rsp_sim_cycles", rsp_cycles);
            line(kernel, path, "predicted_cpu_cycles_per_weight", predicted);
            on_screen(
                screen,
                format_args!("{kernel:<18} {path:<6} {per_weight:>8} sim {predicted:>5}"),
            );
        }
        None => on_screen(
            screen,
            format_args!("{kernel:<18} {path:<6} {per_weight:>8}"),
        ),
    }
}

/// An RSP path's time on the IS-Viewer only: Count ticks, CPU cycles, and rsp-sim's
/// prediction for it (`<kernel>.<path>` in `bench_predicted`).
fn off_screen_rsp_row(kernel: &str, path: &str, ticks: u32) {
    line(kernel, path, "count_ticks", ticks);
    line(
        kernel,
        path,
        "cpu_cycles",
        timing::ticks_to_cpu_cycles(ticks),
    );
    let mut key = heapless_name();
    let _ = core::fmt::write(&mut key, format_args!("{kernel}.{path}"));
    if let Some(rsp_cycles) = predicted_rsp_cycles(key.as_str()) {
        line(kernel, path, "rsp_sim_cycles", rsp_cycles);
    }
}

/// A row of the on-screen summary (50 columns); the IS-Viewer has the full lines.
fn on_screen(screen: &mut Screen, args: core::fmt::Arguments) {
    let _ = core::fmt::Write::write_fmt(&mut screen.text, args);
    screen.text.write_bytes(b"\n");
    screen.present();
}

type Sched = Scheduler<Mmio>;

fn main() {
    // SAFETY: main runs once; these are the only references ever made to the statics.
    let (q8_buf, q4_buf, scalar_ws, rsp_ws) = unsafe {
        (
            &mut (*addr_of_mut!(Q8_MODEL)).0,
            &mut (*addr_of_mut!(Q4_MODEL)).0,
            &mut *addr_of_mut!(SCALAR),
            &mut (*addr_of_mut!(WORKSPACE)).0,
        )
    };
    let q8: &'static [u8] =
        assets::load(0, q8_buf).unwrap_or_else(|e| fail("asset 0 (Q8 model)", e));
    let q4: &'static [u8] =
        assets::load(1, q4_buf).unwrap_or_else(|e| fail("asset 1 (Q4 model)", e));
    let q8v = ModelView::parse(q8).unwrap_or_else(|e| fail("the Q8 model", e));
    let q4v = ModelView::parse(q4).unwrap_or_else(|e| fail("the Q4 model", e));
    println!(
        "rspnn bench: {} ({} bytes) and {} ({} bytes) from the cartridge (CRC-32 ok)",
        "nibble-4l-q8",
        q8.len(),
        "nibble-2l-q4",
        q4.len()
    );

    let mut screen = Screen::init();
    // 21 rows fit without scrolling (the 22nd holds the cursor): 4 SP DMA rows, 16 kernel
    // rows (CPU cycles, Count x 2, per weight), the verdict. The IS-Viewer has the title.
    println!("rspnn bench: CPU cycles (Count x 2) per weight; RSP rows: measured, sim = rsp-sim");

    // Before the scheduler takes the RSP (halted since boot): SP DMA timed from the CPU.
    sp_dma(&mut screen, q8);

    let Some(hw) = Mmio::take() else {
        panic!("the RSP is already taken")
    };
    let config = Config::with_deadline_micros(&hw, DEADLINE_MICROS, Completion::Status)
        .unwrap_or_else(|e| fail("deadline", e));
    let mut sched = Sched::new(hw, rsp_ws, config).unwrap_or_else(|e| fail("scheduler", e));
    sched
        .load_ucode(&Ucode::RSPNN)
        .unwrap_or_else(|e| fail("loading the ucode", e));

    tuned_check(&[&q8v, &q4v]);
    attention_check(scalar_ws);

    let matvecs: [(MatrixKind, Option<usize>); 4] = [
        (MatrixKind::Wq, Some(0)),
        (MatrixKind::Ff1, Some(0)),
        (MatrixKind::Ff2, Some(0)),
        (MatrixKind::Wq, None), // the tied head
    ];
    for (kind, layer) in matvecs {
        let m = match layer {
            Some(l) => q8v.matrix(l, kind),
            None => q8v.embedding(),
        }
        .unwrap_or_else(|e| fail("a Q8 matrix", e));
        bench_matvec(&mut screen, &mut sched, &m, true, "rsp");
    }
    let m = q4v
        .matrix(0, MatrixKind::Wq)
        .unwrap_or_else(|e| fail("the Q4 Wq", e));
    bench_matvec(&mut screen, &mut sched, &m, false, "rsp");

    let same8 = bench_token(
        &mut screen,
        &mut sched,
        "token_q8",
        q8,
        &q8v,
        scalar_ws,
        "rsp",
    );
    let same4 = bench_token(
        &mut screen,
        &mut sched,
        "token_q4",
        q4,
        &q4v,
        scalar_ws,
        "rsp",
    );
    // The Q4 matvec's opt-in fast chain (ucode/README.md "Assumptions": a vector load writes
    // a register one issue group after a MAC wrote it; nobody has measured which write lands
    // last). Same ucode otherwise, so the same command lists run on it; a console that lands
    // the MAC's write last shows `rsp_q4waw ... identical=no` and `fastQ4 no` on screen.
    sched
        .load_ucode(&Ucode {
            text: &rspnn_ucode::ucode::TEXT_Q4_WAW,
            ..Ucode::RSPNN
        })
        .unwrap_or_else(|e| fail("loading the Q4 fast-chain ucode", e));
    let fast_mv = bench_matvec(&mut screen, &mut sched, &m, false, "rsp_q4waw");
    let fast_tok = bench_token(
        &mut screen,
        &mut sched,
        "token_q4",
        q4,
        &q4v,
        scalar_ws,
        "rsp_q4waw",
    );
    line(
        "q4_fast_chain",
        "rsp_q4waw",
        "identical",
        yes_no(fast_mv && fast_tok),
    );
    sched
        .load_ucode(&Ucode::RSPNN)
        .unwrap_or_else(|e| fail("reloading the ucode", e));
    on_screen(
        &mut screen,
        format_args!(
            "tuned, RSP = spec bit for bit: {} fastQ4 {}",
            yes_no(same8 && same4 && all_same_so_far()),
            yes_no(fast_mv && fast_tok)
        ),
    );
}

/// SP registers (n64brew "RSP Interface"), physical; accessed through KSEG1.
const SP_MEM_ADDR: u32 = 0x0404_0000;
const SP_DRAM_ADDR: u32 = 0x0404_0004;
const SP_RD_LEN: u32 = 0x0404_0008;
const SP_STATUS_REG: u32 = 0x0404_0010;
/// SP_STATUS read bits: a DMA is running / a second one is queued.
const SP_STATUS_DMA_BUSY: u32 = 1 << 2;
const SP_STATUS_DMA_FULL: u32 = 1 << 3;
/// The model RSP-FACTS "Timing" gives and rsp-sim uses: 0.2724 CPU cycles per byte + 41 per
/// transfer (in ten-thousandths of a cycle per byte).
const DMA_MODEL_PER_BYTE_E4: u64 = 2724;
const DMA_MODEL_SETUP: u64 = 41;

fn sp_write(reg: u32, value: u32) {
    // SAFETY: an SP register in KSEG1; the RSP is halted and nothing else drives its DMA.
    unsafe { core::ptr::write_volatile(n64_rt::addr::uncached(reg) as *mut u32, value) }
}

fn sp_read(reg: u32) -> u32 {
    // SAFETY: as above, a read.
    unsafe { core::ptr::read_volatile(n64_rt::addr::uncached(reg) as *const u32) }
}

/// Count ticks from writing SP_RD_LEN until SP_STATUS shows no DMA busy or queued, for
/// `transfers` back-to-back transfers of `len` bytes RDRAM -> DMEM (the second written while the
/// first runs: the queued register set). The minimum of 8 runs.
fn sp_dma_ticks(src: u32, len: u32, transfers: u32) -> u32 {
    let mut best = u32::MAX;
    for _ in 0..8 {
        while sp_read(SP_STATUS_REG) & (SP_STATUS_DMA_BUSY | SP_STATUS_DMA_FULL) != 0 {}
        let start = timing::read_count();
        for t in 0..transfers {
            sp_write(SP_MEM_ADDR, 0);
            sp_write(SP_DRAM_ADDR, src + t * len);
            sp_write(SP_RD_LEN, len - 1);
        }
        while sp_read(SP_STATUS_REG) & (SP_STATUS_DMA_BUSY | SP_STATUS_DMA_FULL) != 0 {}
        best = best.min(timing::read_count().wrapping_sub(start));
    }
    best
}

/// SP DMA throughput by tile size, one transfer and two queued, timed by the CPU (Count around
/// the register writes and the SP_STATUS polls, so each figure includes a few uncached register
/// accesses), beside the model's prediction.
fn sp_dma(screen: &mut Screen, model: &'static [u8]) {
    let src = n64_rt::addr::physical(model.as_ptr() as u32) & !7;
    // The RSP's own view first (the DP clock probe), so each screen row can carry both.
    let rsp = dp_clock_probe(src);
    for (i, len) in [256u32, 1088, 2048, 4096].into_iter().enumerate() {
        let mut measured = [0u64; 2];
        for transfers in [1u32, 2] {
            let ticks = sp_dma_ticks(src, len, transfers);
            let cycles = timing::ticks_to_cpu_cycles(ticks);
            let bytes = (len * transfers) as u64;
            let model = transfers as u64
                * (DMA_MODEL_SETUP + (len as u64 * DMA_MODEL_PER_BYTE_E4).div_ceil(10_000));
            let mut name = heapless_name();
            let _ = core::fmt::write(&mut name, format_args!("sp_dma_{transfers}x{len}"));
            let kernel = name.as_str();
            line(kernel, "cpu", "cpu_cycles", cycles);
            line(kernel, "model", "cpu_cycles", model);
            // Bytes per RSP cycle (62.5 MHz): bytes / (CPU cycles x 62.5 / 93.75).
            let per_rsp_cycle = Hundredths::ratio(bytes * 3, cycles.max(1) * 2);
            line(kernel, "cpu", "bytes_per_rsp_cycle", per_rsp_cycle);
            measured[transfers as usize - 1] = cycles;
        }
        // One screen row per size: CPU cycles for one transfer / two queued, then the RSP's
        // DP clock cycles for the same (or "off" where the clock does not run); the models'
        // figures are in bench-results/HARDWARE.md.
        match rsp {
            Some(f) => on_screen(
                screen,
                format_args!(
                    "DMA {len:>4}B cpu {:>5}/{:>5} rsp {:>4}/{:>4}",
                    measured[0], measured[1], f.one[i], f.two[i]
                ),
            ),
            None => on_screen(
                screen,
                format_args!(
                    "DMA {len:>4}B cpu {:>5}/{:>5} rsp off",
                    measured[0], measured[1]
                ),
            ),
        }
    }
}

/// SP registers for the probe (n64brew "RSP Interface"): IMEM, DMEM, SP_PC.
const SP_DMEM: u32 = 0x0400_0000;
const SP_IMEM: u32 = 0x0400_1000;
const SP_PC_REG: u32 = 0x0408_0000;
/// SP_STATUS read bit 0: halted.
const SP_STATUS_HALT: u32 = 1 << 0;
/// The probe takes about 6,000 RSP cycles; a console or emulator that has not halted it after
/// this many Count ticks (~0.1 s) never will.
const PROBE_TIMEOUT_TICKS: u32 = 5_000_000;

/// Runs the DP clock probe (`n64_demo::dp_clock_probe`) on the RSP, halted since boot, with
/// `src` (RDRAM, 8-aligned, 4,096 bytes) as its DMA source, and prints its rows: the
/// calibration loop and every transfer in DP clock cycles beside rsp-sim's prediction. Returns
/// the figures when the DP clock runs; where it does not (both emulators here, HARDWARE.md)
/// the rows say so instead of printing 0 as a measurement.
fn dp_clock_probe(src: u32) -> Option<Figures> {
    if sp_read(SP_STATUS_REG) & SP_STATUS_HALT == 0 {
        panic!("dp_clock_probe: the RSP is running; the probe needs it halted");
    }
    for (i, w) in probe::TEXT.chunks_exact(4).enumerate() {
        sp_write(
            SP_IMEM + 4 * i as u32,
            u32::from_be_bytes([w[0], w[1], w[2], w[3]]),
        );
    }
    for (i, w) in probe::DATA.chunks_exact(4).enumerate() {
        sp_write(
            SP_DMEM + 4 * i as u32,
            u32::from_be_bytes([w[0], w[1], w[2], w[3]]),
        );
    }
    sp_write(SP_DMEM + RESULTS as u32, src);
    sp_write(SP_PC_REG, probe::ENTRY);
    // The scheduler's start word (clear BROKE and single-step, interrupt on break, clear HALT
    // last): mupen64plus runs an RSP task only on such a write.
    sp_write(SP_STATUS_REG, rspnn::regs::START);
    let start = timing::read_count();
    while sp_read(SP_STATUS_REG) & SP_STATUS_HALT == 0 {
        if timing::read_count().wrapping_sub(start) > PROBE_TIMEOUT_TICKS {
            panic!("dp_clock_probe: the RSP did not reach its BREAK");
        }
    }
    sp_write(SP_STATUS_REG, rspnn::regs::ACKNOWLEDGE);
    let mut words = [0u32; RESULT_WORDS];
    for (i, w) in words.iter_mut().enumerate() {
        *w = sp_read(SP_DMEM + (RESULTS + 4 * i) as u32);
    }
    let f = Figures::from_words(&words);
    let running = f.clock_running();
    line(
        "dp_clock",
        "rsp",
        "status",
        if running { "running" } else { "not running" },
    );
    let predicted = |key: &str| predicted_rsp_cycles(key).unwrap_or(0);
    let mut rows = [("calibration", false, 0u32, f.calibration); 1 + 2 * SIZES.len()];
    for (i, &bytes) in SIZES.iter().enumerate() {
        rows[1 + i] = ("dma", false, bytes, f.one[i]);
        rows[1 + SIZES.len() + i] = ("dma", true, bytes, f.two[i]);
    }
    for (what, queued, bytes, cycles) in rows {
        let mut key = heapless_name();
        let (kernel, path) = if what == "calibration" {
            let _ = core::fmt::write(&mut key, format_args!("dp_clock.calibration"));
            ("dp_clock", "calibration")
        } else {
            let _ = row_name(queued, bytes, &mut key);
            ("dma", &key.as_str()[4..])
        };
        let mut full = heapless_name();
        let _ = core::fmt::write(&mut full, format_args!("{kernel}.{path}"));
        if running {
            line(kernel, path, "rsp_cycles", cycles);
            if bytes > 0 {
                let moved = bytes as u64 * if queued { 2 } else { 1 };
                line(
                    kernel,
                    path,
                    "bytes_per_rsp_cycle",
                    Hundredths::ratio(moved, cycles.max(1) as u64),
                );
            }
        } else {
            line(
                kernel,
                path,
                "rsp_cycles",
                "not measured (dp_clock not running)",
            );
        }
        line(kernel, path, "rsp_sim_cycles", predicted(full.as_str()));
    }
    running.then_some(f)
}

/// The tuned matvec equals the spec (output and clamp counts) on every matrix of the model
/// and on the edge cases.
fn tuned_check(models: &[&ModelView<'_>]) {
    let mut x = [0i16; WIDEST];
    let (mut a, mut b) = ([0i16; WIDEST], [0i16; WIDEST]);
    let mut checked = 0u32;
    let mut saturations = Saturations::default();
    let mut all_same = true;
    let mut compare = |m: &BlockMatrix<'_>, x: &[i16]| {
        let (rows, cols) = (m.rows(), m.cols());
        let sa = spec_matvec(m, &x[..cols], &mut a[..rows]).unwrap_or_else(|e| fail("spec", e));
        let sb = tuned_matvec(m, &x[..cols], &mut b[..rows]).unwrap_or_else(|e| fail("tuned", e));
        all_same &= sa == sb && a[..rows] == b[..rows];
        saturations.add(sa);
        checked += 1;
    };
    for model in models {
        for layer in 0..model.dims().n_layers {
            for (i, kind) in MatrixKind::ALL.iter().enumerate() {
                let m = model
                    .matrix(layer, *kind)
                    .unwrap_or_else(|e| fail("a model matrix", e));
                input_vector((layer * 8 + i) as u32 + 1, &mut x);
                compare(&m, &x);
            }
        }
        let head = model.embedding().unwrap_or_else(|e| fail("the head", e));
        input_vector(99, &mut x);
        compare(&head, &x);
    }
    let mut rec = [0u8; EDGE_MAX_BYTES];
    for i in 0..EDGE_CASES {
        let (rows, cols, shift) = edge_case(i, &mut rec, &mut x);
        let n = kernels::matvec::matrix_bytes(WeightBits::Q8, rows, cols);
        let m = BlockMatrix::new(WeightBits::Q8, rows, cols, shift, &rec[..n])
            .unwrap_or_else(|e| fail("an edge case", e));
        compare(&m, &x);
        // The same bytes read as Q4 records (nibbles -8..7, the scales where weights were).
        let n4 = kernels::matvec::matrix_bytes(WeightBits::Q4, rows, cols);
        let m = BlockMatrix::new(WeightBits::Q4, rows, cols, shift, &rec[..n4])
            .unwrap_or_else(|e| fail("a Q4 edge case", e));
        compare(&m, &x);
    }
    // Q4 at its extremes: every nibble -8 (0x88) against -32768, every one 7 (0x77) against
    // 32767: every block partial sum clamps.
    for (byte, xv) in [(0x88u8, i16::MIN), (0x77, i16::MAX)] {
        let mut r = [byte; 144];
        r[128..].fill(0xFF);
        let m = BlockMatrix::new(WeightBits::Q4, 8, 32, 0, &r)
            .unwrap_or_else(|e| fail("a Q4 edge case", e));
        compare(&m, &[xv; 32]);
    }
    line("tuned_check", "tuned", "matrices", checked);
    line(
        "tuned_check",
        "tuned",
        "saturations",
        saturations.partial + saturations.output,
    );
    line("tuned_check", "tuned", "identical", yes_no(all_same));
    note_same(all_same);
}

/// The tuned attention equals the spec (output and scratch) on random q, k and v at the demo
/// models' shape, for every context length 1..=64, the values at full range (the scores
/// saturate) and shifted right by 6 (they do not). `scratch` holds the two caches.
fn attention_check(scratch: &mut [i16; SCALAR_WS]) {
    use kernels::attention::{attention as spec, AttentionShape};
    use kernels_vr4300::attention::attention as tuned;
    const D: usize = 128;
    const CTX: usize = 64;
    let (k, rest) = scratch.split_at_mut(CTX * D);
    let v = &mut rest[..CTX * D];
    let mut q = [0i16; D];
    let (mut oa, mut ob) = ([0i16; D], [0i16; D]);
    let (mut sa, mut pa, mut sb, mut pb) = ([0i16; CTX], [0i16; CTX], [0i16; CTX], [0i16; CTX]);
    let (mut checked, mut all_same, mut nonzero) = (0u32, true, 0u32);
    // Count ticks of each path over contexts 1..=22 (a token's positions 0..21 of
    // TOKEN_PROMPT, in one layer), at the small amplitude (a trained model's scores).
    let mut ticks = [0u64; 2];
    for shift in [0u32, 6] {
        input_vector(7 + shift, k);
        input_vector(8 + shift, v);
        input_vector(9 + shift, &mut q);
        for t in [k.iter_mut(), v.iter_mut(), q.iter_mut()] {
            t.for_each(|e| *e >>= shift);
        }
        for n_pos in 1..=CTX {
            let shape = AttentionShape {
                d_model: D,
                n_heads: 4,
                slot_stride: D,
                n_pos,
            };
            let t0 = timing::read_count();
            spec(shape, &q, k, v, &mut sa, &mut pa, &mut oa)
                .unwrap_or_else(|e| fail("spec attention", e));
            let t1 = timing::read_count();
            tuned(shape, &q, k, v, &mut sb, &mut pb, &mut ob)
                .unwrap_or_else(|e| fail("tuned attention", e));
            let t2 = timing::read_count();
            if shift == 6 && n_pos <= TOKEN_PROMPT.len() {
                ticks[0] += t1.wrapping_sub(t0) as u64;
                ticks[1] += t2.wrapping_sub(t1) as u64;
            }
            all_same &= oa == ob && sa == sb && pa == pb;
            nonzero += oa.iter().filter(|&&o| o != 0).count() as u32;
            checked += 1;
        }
    }
    for (path, t) in [("spec", ticks[0]), ("tuned", ticks[1])] {
        // Per call at the token's mean context, like the token rows (mean over positions).
        let t = (t / TOKEN_PROMPT.len() as u64) as u32;
        line("attention_128x4h", path, "count_ticks", t);
        line(
            "attention_128x4h",
            path,
            "cpu_cycles",
            timing::ticks_to_cpu_cycles(t),
        );
    }
    line("attention_check", "tuned", "calls", checked);
    line("attention_check", "tuned", "nonzero_outputs", nonzero);
    line("attention_check", "tuned", "identical", yes_no(all_same));
    note_same(all_same);
}

/// Whether every comparison so far agreed (for the screen's last line).
static ALL_SAME: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(true);

fn note_same(same: bool) {
    if !same {
        ALL_SAME.store(false, core::sync::atomic::Ordering::Relaxed);
    }
}

fn all_same_so_far() -> bool {
    ALL_SAME.load(core::sync::atomic::Ordering::Relaxed)
}

/// One matrix on each path: `spec`, `tuned` (Q8 only), `rsp`; each compared with `spec`.
/// `rsp_path`: the name of the RSP row (`rsp`, or `rsp_q4waw` for the opt-in Q4 chain's IMEM
/// image); the CPU paths are timed only with `rsp`.
fn bench_matvec(
    screen: &mut Screen,
    sched: &mut Sched,
    m: &BlockMatrix<'static>,
    q8: bool,
    rsp_path: &str,
) -> bool {
    let cpu_paths = rsp_path == "rsp";
    let mut name = heapless_name();
    let _ = core::fmt::write(
        &mut name,
        format_args!(
            "matvec_{}_{}x{}",
            if q8 { "q8" } else { "q4" },
            m.rows(),
            m.cols()
        ),
    );
    let kernel = name.as_str();
    let weights = (m.rows() * m.cols()) as u64;
    let (rows, cols) = (m.rows(), m.cols());
    let mut x = [0i16; WIDEST];
    input_vector(rows as u32 * 7 + cols as u32, &mut x);
    let x = &x[..cols];

    let mut want = [0i16; WIDEST];
    let start = timing::read_count();
    spec_matvec(black_box(m), black_box(x), &mut want[..rows]).unwrap_or_else(|e| fail("spec", e));
    if cpu_paths {
        timed(
            screen,
            kernel,
            "spec",
            timing::read_count().wrapping_sub(start),
            weights,
        );
    }

    if cpu_paths {
        let mut got = [0i16; WIDEST];
        let start = timing::read_count();
        tuned_matvec(black_box(m), black_box(x), &mut got[..rows])
            .unwrap_or_else(|e| fail("tuned", e));
        timed(
            screen,
            kernel,
            "tuned",
            timing::read_count().wrapping_sub(start),
            weights,
        );
        let same = got[..rows] == want[..rows];
        note_same(same);
        line(kernel, "tuned", "identical", yes_no(same));
    }

    // The RSP: a one-matrix chain laid out in the workspace (weights copied there), then
    // submit, poll until done, read y back. A chain keeps x and y in DMEM, so it takes
    // matrices up to 256 wide (`MatvecChain::build`); wider ones run on the RSP only inside
    // the token program (`token_*.rsp`).
    if rows.max(cols) > RSP_CHAIN_WIDEST {
        return true;
    }
    let base = sched.workspace_rdram();
    let ws = sched
        .workspace_mut()
        .unwrap_or_else(|h| fail("workspace busy with job", h.id()));
    let mut img = RdramImage::new(ws, base).unwrap_or_else(|e| fail("image", e));
    let chain = MatvecChain::build(&mut img, base, &[*m], x).unwrap_or_else(|e| fail("chain", e));
    if let Err(h) = sched.writeback_workspace() {
        fail("job running", h.id());
    }
    let from = [Span::new(chain.y, chain.y_bytes)];
    let start = timing::read_count();
    let job = sched
        .submit(&Job {
            cmd_list: chain.cmd_list,
            to_rsp: &[],
            from_rsp: &from,
        })
        .unwrap_or_else(|e| fail("submit", e));
    loop {
        match sched.poll(job).unwrap_or_else(|e| fail("poll", e)) {
            Poll::Running { .. } => {}
            Poll::Done(_) => break,
        }
    }
    let ticks = timing::read_count().wrapping_sub(start);
    let ws = sched
        .workspace()
        .unwrap_or_else(|h| fail("workspace busy with job", h.id()));
    let y = &ws[chain.y..chain.y + 2 * rows];
    let same = y
        .chunks_exact(2)
        .zip(&want[..rows])
        .all(|(b, &w)| i16::from_be_bytes([b[0], b[1]]) == w);
    if cpu_paths {
        timed(screen, kernel, rsp_path, ticks, weights);
    } else {
        // Off screen (the screen holds 21 rows); the verdict row says whether it agreed.
        off_screen_rsp_row(kernel, rsp_path, ticks);
    }
    if cpu_paths {
        note_same(same);
    }
    line(kernel, rsp_path, "identical", yes_no(same));
    same
}

/// One token of `model` on the scalar runner and on the RSP, over the bytes of TOKEN_PROMPT.
/// Returns whether the RSP agreed with the scalar runner at every position.
fn bench_token(
    screen: &mut Screen,
    sched: &mut Sched,
    kernel: &str,
    bytes: &'static [u8],
    model: &ModelView<'static>,
    scalar_ws: &mut [i16; SCALAR_WS],
    rsp_path: &str,
) -> bool {
    // With the opt-in Q4 chain (`rsp_q4waw`) the scalar runner runs again only as the
    // reference; its rows are printed once, with `rsp`.
    let cpu_paths = rsp_path == "rsp";
    let d = *model.dims();
    let need = workspace_len(&d);
    if need > SCALAR_WS {
        panic!("{kernel}: the model needs {need} i16 of scalar workspace, the ROM has {SCALAR_WS}");
    }
    let mut scalar = ScalarRunner::new(*model, &mut scalar_ws[..need])
        .unwrap_or_else(|e| fail("scalar runner", e));
    // Each model's program is laid out anew at the workspace's start: the last one's is done.
    if let Err(h) = sched.forget_layouts() {
        fail("job running", h.id());
    }
    let (runner, _end) = TokenRunner::build(sched, bytes, 0).unwrap_or_else(|e| fail("token", e));
    let mut runner = runner;
    if let Err(h) = sched.writeback_workspace() {
        fail("job running", h.id());
    }
    let (mut scalar_ticks, mut rsp_ticks) = (0u64, 0u64);
    let mut same = true;
    for &byte in TOKEN_PROMPT {
        let start = timing::read_count();
        let logits = scalar
            .step(byte as usize)
            .unwrap_or_else(|e| fail("scalar step", e));
        scalar_ticks += timing::read_count().wrapping_sub(start) as u64;
        let (lo, hi) = DecodeMask::All.range(d.vocab);
        let best = kernels::elementwise::argmax_in(logits, lo, hi).unwrap_or(usize::MAX);
        let best_logit = logits.get(best).copied();

        let start = timing::read_count();
        let job = runner
            .start(sched, byte, DecodeMask::All)
            .unwrap_or_else(|e| fail("token start", e));
        loop {
            match sched.poll(job).unwrap_or_else(|e| fail("token poll", e)) {
                Poll::Running { .. } => {}
                Poll::Done(_) => break,
            }
        }
        let (next, logit) = runner
            .finish(sched)
            .unwrap_or_else(|e| fail("token finish", e));
        rsp_ticks += timing::read_count().wrapping_sub(start) as u64;
        same &= next as usize == best && Some(logit) == best_logit;
    }
    let n = TOKEN_PROMPT.len() as u64;
    let weights = weights_per_token(&d);
    if !cpu_paths {
        off_screen_rsp_row(kernel, rsp_path, (rsp_ticks / n) as u32);
        line(kernel, rsp_path, "identical", yes_no(same));
        return same;
    }
    line(kernel, "model", "weights_per_token", weights);
    line(kernel, "model", "positions", n);
    for (path, ticks) in [("scalar", scalar_ticks), ("rsp", rsp_ticks)] {
        timed(screen, kernel, path, (ticks / n) as u32, weights);
    }
    if kernel == "token_q8" {
        // The demo model's figure under the name the issue tracker and docs use.
        let cycles = timing::ticks_to_cpu_cycles((scalar_ticks / n) as u32);
        line(
            "token",
            "scalar",
            "cpu_cycles_per_weight",
            Hundredths::ratio(cycles, weights),
        );
    }
    line(kernel, "rsp", "identical", yes_no(same));
    same
}

/// A small fixed-capacity string for kernel names.
struct Name {
    buf: [u8; 32],
    len: usize,
}

fn heapless_name() -> Name {
    Name {
        buf: [0; 32],
        len: 0,
    }
}

impl Name {
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl core::fmt::Write for Name {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(core::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
