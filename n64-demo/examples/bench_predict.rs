//! rsp-sim's prediction for the RSP work of the bench ROM (`src/bin/bench.rs`): the same
//! matrices (from the same model files), the same inputs (`n64_demo::bench::input_vector`), the
//! same tokens (`TOKEN_PROMPT`), through the same scheduler, on the simulator's cycle model
//! (RSP-FACTS "Timing"). Each RSP result is checked against the scalar spec first.
//!
//! ```text
//! cargo run --release -p n64-demo --example bench_predict [-- --per-position]
//! ```
//!
//! Prints `bench.<kernel>.rsp.rsp_sim_cycles=<busy RSP cycles>` (tokens: the mean over the
//! prompt's positions; the Q4 ones again as `bench.<kernel>.rsp_q4waw.rsp_sim_cycles` with the
//! opt-in Q4 chain's IMEM image `TEXT_Q4_WAW`), and with `--per-position` `rsp_sim.<kernel>.position.<p>=<cycles>` for a
//! full context (the prompt, then the model's own predictions). `cargo xtask bench` reads both.

use kernels::matvec::{matvec, BlockMatrix};
use n64_demo::bench::{input_vector, TOKEN_PROMPT};
use rspnn::plan::MatvecChain;
use rspnn::sim::SimRsp;
use rspnn::token::TokenRunner;
use rspnn::{Completion, Config, Job, Scheduler, Span, Ucode};
use rspnn_model::backend::DecodeMask;
use rspnn_model::error::MatrixKind;
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::ScalarRunner;
use rspnn_ucode::RdramImage;

type Sched = Scheduler<SimRsp>;

fn scheduler(models: &[&'static [u8]], ucode: &Ucode<'static>) -> Result<Sched, String> {
    let mut sim = SimRsp::new(8 << 20);
    let workspace: &'static mut [u8] = Box::leak(vec![0u8; 512 * 1024].into_boxed_slice());
    sim.map(workspace, 0x1_0000).map_err(|e| format!("{e:?}"))?;
    let mut at = 0x20_0000;
    for m in models {
        sim.map(m, at).map_err(|e| format!("{e:?}"))?;
        at += (m.len() as u32).div_ceil(0x1_0000) * 0x1_0000;
    }
    sim.cycles_per_poll = 1_000;
    let config = Config::with_deadline_micros(&sim, 500_000, Completion::Status)
        .map_err(|e| e.to_string())?;
    let mut s = Scheduler::new(sim, workspace, config).map_err(|e| e.to_string())?;
    s.load_ucode(ucode).map_err(|e| e.to_string())?;
    Ok(s)
}

/// The RSP's busy cycles (elapsed minus halted) while `f` runs.
fn busy<T>(
    s: &mut Sched,
    f: impl FnOnce(&mut Sched) -> Result<T, String>,
) -> Result<(T, u64), String> {
    let before = *s.hardware().rsp().stats();
    let out = f(s)?;
    let after = *s.hardware().rsp().stats();
    Ok((
        out,
        (after.cycles - before.cycles) - (after.halted_cycles - before.halted_cycles),
    ))
}

/// Figures, in order: (`bench.<kernel>.rsp.rsp_sim_cycles` or `rsp_sim.<kernel>.position.<p>`,
/// cycles).
pub type Predicted = Vec<(String, u64)>;

fn matvec_on_rsp(
    s: &mut Sched,
    kernel: &str,
    path: &str,
    m: &BlockMatrix<'_>,
    out: &mut Predicted,
) -> Result<(), String> {
    let (rows, cols) = (m.rows(), m.cols());
    let mut x = vec![0i16; 512];
    input_vector(rows as u32 * 7 + cols as u32, &mut x);
    let x = &x[..cols];
    let mut want = vec![0i16; rows];
    matvec(m, x, &mut want).map_err(|e| e.to_string())?;
    let base = s.workspace_rdram();
    let ws = s
        .workspace_mut()
        .map_err(|h| format!("job {} running", h.id()))?;
    let mut img = RdramImage::new(ws, base).map_err(|e| e.to_string())?;
    let chain = MatvecChain::build(&mut img, base, &[*m], x).map_err(|e| e.to_string())?;
    s.writeback_workspace()
        .map_err(|h| format!("job {} running", h.id()))?;
    let from = [Span::new(chain.y, chain.y_bytes)];
    let ((), cycles) = busy(s, |s| {
        let h = s
            .submit(&Job {
                cmd_list: chain.cmd_list,
                to_rsp: &[],
                from_rsp: &from,
            })
            .map_err(|e| e.to_string())?;
        s.wait(h, || {}).map_err(|e| e.to_string())?;
        Ok(())
    })?;
    let ws = s
        .workspace()
        .map_err(|h| format!("job {} running", h.id()))?;
    let got: Vec<i16> = ws[chain.y..chain.y + 2 * rows]
        .chunks_exact(2)
        .map(|b| i16::from_be_bytes([b[0], b[1]]))
        .collect();
    if got != want {
        return Err(format!("{kernel}: the RSP result differs from the spec"));
    }
    out.push((format!("bench.{kernel}.{path}.rsp_sim_cycles"), cycles));
    Ok(())
}

/// Tokens of `model` on the RSP: the ROM's prompt (the mean printed), or with `positions` a
/// full context, each step checked against the scalar runner's argmax and logit.
fn tokens_on_rsp(
    s: &mut Sched,
    kernel: &str,
    path: &str,
    model: &'static [u8],
    per_position: bool,
    out: &mut Predicted,
) -> Result<(), String> {
    let view = ModelView::parse(model).map_err(|e| e.to_string())?;
    let d = *view.dims();
    let mut ws = vec![0i16; rspnn_model::runner::workspace_len(&d)];
    let mut scalar = ScalarRunner::new(view, &mut ws[..]).map_err(|e| e.to_string())?;
    // Each model's program is laid out anew at the workspace's start, as in the bench ROM.
    s.forget_layouts()
        .map_err(|h| format!("job {} running", h.id()))?;
    let (mut runner, _) = TokenRunner::build(s, model, 0).map_err(|e| e.to_string())?;
    s.writeback_workspace()
        .map_err(|h| format!("job {} running", h.id()))?;
    let n = if per_position {
        d.ctx
    } else {
        TOKEN_PROMPT.len()
    };
    let mut feed: Vec<u8> = TOKEN_PROMPT.to_vec();
    let mut total = 0u64;
    for p in 0..n {
        let byte = feed[p];
        let logits = scalar.step(byte as usize).map_err(|e| e.to_string())?;
        let best = kernels::elementwise::argmax_in(logits, 0, d.vocab).ok_or("no argmax")?;
        let best_logit = logits[best];
        let ((next, logit), cycles) = busy(s, |s| {
            let h = runner
                .start(s, byte, DecodeMask::All)
                .map_err(|e| format!("{kernel}: position {p}: {e}"))?;
            s.wait(h, || {}).map_err(|e| e.to_string())?;
            runner.finish(s).map_err(|e| e.to_string())
        })?;
        if (next as usize, logit) != (best, best_logit) {
            return Err(format!("{kernel}: position {p}: RSP and scalar differ"));
        }
        if per_position {
            out.push((format!("rsp_sim.{kernel}.position.{p}"), cycles));
        }
        total += cycles;
        if p + 1 == feed.len() {
            feed.push(next);
        }
    }
    if !per_position {
        out.push((
            format!("bench.{kernel}.{path}.rsp_sim_cycles"),
            total / n as u64,
        ));
    }
    Ok(())
}

/// The DP clock probe (`n64_demo::dp_clock_probe`) on rsp-sim, whose DPC_CLOCK is its cycle
/// count: `bench.dp_clock.calibration.rsp_sim_cycles`, `bench.dma.<bytes>.rsp_sim_cycles` (one
/// transfer) and `bench.dma.2x<bytes>.rsp_sim_cycles` (two queued). The transferred bytes are
/// checked first.
fn dp_clock_probe_on_sim(out: &mut Predicted) -> Result<(), String> {
    use n64_demo::dp_clock_probe::{image, Figures, RESULTS, RESULT_WORDS, SIZES, SOURCE_BYTES};
    const SOURCE: usize = 0x1000;
    let mut rdram = vec![0u8; SOURCE + SOURCE_BYTES];
    for (i, b) in rdram[SOURCE..].iter_mut().enumerate() {
        *b = (i * 7 + 3) as u8;
    }
    let source = rdram[SOURCE..].to_vec();
    let mut rsp = rsp_sim::Rsp::with_rdram(rdram);
    rsp.load_imem(0, &image::TEXT)
        .map_err(|e| format!("{e:?}"))?;
    let mut dmem = image::DATA.to_vec();
    dmem[RESULTS..RESULTS + 4].copy_from_slice(&(SOURCE as u32).to_be_bytes());
    rsp.load_dmem(0, &dmem).map_err(|e| format!("{e:?}"))?;
    rsp.set_pc(image::ENTRY);
    match rsp.run(10_000_000) {
        Ok(rsp_sim::StopReason::Break) => {}
        other => {
            return Err(format!(
                "the DP clock probe did not stop at BREAK: {other:?}"
            ))
        }
    }
    let results_end = RESULTS + 4 * RESULT_WORDS;
    if rsp.dmem()[results_end..] != source[results_end..] {
        return Err("the DP clock probe's last 4,096-byte DMA did not land in DMEM".into());
    }
    let mut words = [0u32; RESULT_WORDS];
    for (i, w) in words.iter_mut().enumerate() {
        *w = rsp.dmem_u32((RESULTS + 4 * i) as u32);
    }
    let f = Figures::from_words(&words);
    out.push((
        "bench.dp_clock.calibration.rsp_sim_cycles".into(),
        f.calibration as u64,
    ));
    for (i, bytes) in SIZES.iter().enumerate() {
        out.push((format!("bench.dma.{bytes}.rsp_sim_cycles"), f.one[i] as u64));
    }
    for (i, bytes) in SIZES.iter().enumerate() {
        out.push((
            format!("bench.dma.2x{bytes}.rsp_sim_cycles"),
            f.two[i] as u64,
        ));
    }
    Ok(())
}

/// rsp-sim's figures for the bench ROM's RSP work (`root`: the repository, for the models).
pub fn predict(root: &std::path::Path, per_position: bool) -> Result<Predicted, String> {
    let read = |name: &str| -> Result<&'static [u8], String> {
        let path = root.join(name);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Box::leak(bytes.into_boxed_slice()))
    };
    let q8 = read("models/nibble-4l-q8.rspw")?;
    let q4 = read("models/nibble-2l-q4.rspw")?;
    let mut s = scheduler(&[q8, q4], &Ucode::RSPNN)?;
    let q8v = ModelView::parse(q8).map_err(|e| e.to_string())?;
    let q4v = ModelView::parse(q4).map_err(|e| e.to_string())?;
    let mut out = Predicted::new();
    if !per_position {
        let wq = q8v.matrix(0, MatrixKind::Wq).map_err(|e| e.to_string())?;
        matvec_on_rsp(&mut s, "matvec_q8_128x128", "rsp", &wq, &mut out)?;
        let head = q8v.embedding().map_err(|e| e.to_string())?;
        matvec_on_rsp(&mut s, "matvec_q8_256x128", "rsp", &head, &mut out)?;
        let wq4 = q4v.matrix(0, MatrixKind::Wq).map_err(|e| e.to_string())?;
        matvec_on_rsp(&mut s, "matvec_q4_128x128", "rsp", &wq4, &mut out)?;
    }
    tokens_on_rsp(&mut s, "token_q8", "rsp", q8, per_position, &mut out)?;
    // The Q4 program on a fresh simulated machine: the ROM lays it over the Q8 program's
    // bytes, which the RSP wrote (KV cache), and SimRsp's cache model cannot see a CPU write
    // of the very bytes its cache already holds (rspnn `sim` module docs), so over RSP-written
    // RDRAM a rewrite with equal bytes would look clean and stay unwritten. On the console the
    // rewrite dirties its lines; the RSP's cycles are the same either way (each step begins
    // with OVERLAYS, so IMEM's history does not enter them).
    let mut s = scheduler(&[q8, q4], &Ucode::RSPNN)?;
    tokens_on_rsp(&mut s, "token_q4", "rsp", q4, per_position, &mut out)?;
    if !per_position {
        // The Q4 work again with the opt-in fast chain's IMEM image (`rsp_q4waw` rows; the
        // bench ROM runs it after the default, ucode/README.md "Assumptions").
        let waw = Ucode {
            text: &rspnn_ucode::ucode::TEXT_Q4_WAW,
            ..Ucode::RSPNN
        };
        let mut s = scheduler(&[q8, q4], &waw)?;
        let wq4 = q4v.matrix(0, MatrixKind::Wq).map_err(|e| e.to_string())?;
        matvec_on_rsp(&mut s, "matvec_q4_128x128", "rsp_q4waw", &wq4, &mut out)?;
        let mut s = scheduler(&[q8, q4], &waw)?;
        tokens_on_rsp(&mut s, "token_q4", "rsp_q4waw", q4, false, &mut out)?;
        dp_clock_probe_on_sim(&mut out)?;
    }
    Ok(out)
}

#[allow(dead_code)] // the test that includes this file calls `predict` only
fn main() -> Result<(), String> {
    let per_position = std::env::args().any(|a| a == "--per-position");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (key, cycles) in predict(&root, per_position)? {
        println!("{key}={cycles}");
    }
    Ok(())
}
