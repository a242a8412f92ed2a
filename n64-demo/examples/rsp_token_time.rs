//! How long the RSP takes per token of the demo model, and so how much of the VR4300's time a
//! game keeps while a token runs: the RSP half of bench-results/scheduler.md.
//!
//! mupen64plus runs an RSP task to its end inside the CPU's SP_STATUS write (no RSP timing), so
//! the ROM can only measure the CPU's side. This runs the same token program through the same
//! scheduler on rsp-sim (its cycle model: RSP-FACTS "Timing") and reads the RSP's busy cycles
//! per step at every position of a full context.
//!
//! ```text
//! cargo run --release -p n64-demo --example rsp_token_time -- [MODEL.rspw] [--cpu-ticks N]
//! ```
//!
//! `--cpu-ticks N`: the scheduler's CPU ticks per token the ROM printed
//! (`textgen.rsp.cpu_ticks_per_token`); the share of CPU time left to the game is then
//! `1 - N / (RSP time of a token in Count ticks)`.

use n64_demo::textgen::PROMPTS;
use rspnn::sim::SimRsp;
use rspnn::token::TokenRunner;
use rspnn::{Completion, Config, Scheduler, Ucode};
use rspnn_model::backend::DecodeMask;
use rspnn_model::rspw::ModelView;

/// RSP clock and CP0 Count rate (RSP-FACTS "Machine"): Count ticks = RSP cycles x 46.875/62.5.
const RSP_HZ: f64 = 62.5e6;
const COUNT_HZ: f64 = 46.875e6;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut path = "models/nibble-2l-q4.rspw".to_string();
    let mut cpu_ticks: Option<f64> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cpu-ticks" => {
                let v = it.next().ok_or("--cpu-ticks needs a value")?;
                cpu_ticks = Some(
                    v.parse()
                        .map_err(|_| format!("--cpu-ticks {v}: not a number"))?,
                );
            }
            other => path = other.to_string(),
        }
    }
    let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    let model: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let view = ModelView::parse(model).map_err(|e| format!("{path}: {e}"))?;
    let d = *view.dims();

    let mut sim = SimRsp::new(4 << 20);
    let workspace: &'static mut [u8] = Box::leak(vec![0u8; 512 * 1024].into_boxed_slice());
    sim.map(workspace, 0x1_0000).map_err(|e| format!("{e:?}"))?;
    sim.map(model, 0x20_0000).map_err(|e| format!("{e:?}"))?;
    // A poll every 1,000 RSP cycles; the busy time below does not depend on it.
    sim.cycles_per_poll = 1_000;
    let config = Config::with_deadline_micros(&sim, 500_000, Completion::Status)
        .map_err(|e| e.to_string())?;
    let mut s = Scheduler::new(sim, workspace, config).map_err(|e| e.to_string())?;
    s.load_ucode(&Ucode::RSPNN).map_err(|e| e.to_string())?;
    let (mut runner, used) = TokenRunner::build(&mut s, model, 0).map_err(|e| e.to_string())?;
    s.writeback_workspace()
        .map_err(|h| format!("job {} running", h.id()))?;
    let plan = runner.plan(&s).map_err(|e| e.to_string())?;

    // A full context: the first prompt, then the model's own predictions.
    let mut cycles = Vec::new();
    let mut feed: Vec<u8> = PROMPTS[0].bytes().collect();
    let mut i = 0;
    while cycles.len() < d.ctx {
        let before = *s.hardware().rsp().stats();
        let h = runner
            .start(&mut s, feed[i], DecodeMask::All)
            .map_err(|e| e.to_string())?;
        s.wait(h, || {}).map_err(|e| e.to_string())?;
        let (next, _) = runner.finish(&s).map_err(|e| e.to_string())?;
        let after = *s.hardware().rsp().stats();
        // Busy = elapsed minus halted: the RSP's own run time for the step.
        let busy = (after.cycles - before.cycles) - (after.halted_cycles - before.halted_cycles);
        cycles.push(busy);
        i += 1;
        if i == feed.len() {
            feed.push(next);
        }
    }
    let mean = cycles.iter().sum::<u64>() as f64 / cycles.len() as f64;
    let ticks = |c: f64| c * COUNT_HZ / RSP_HZ;
    println!(
        "model {path}: {} layers, width {}, FFN {}, context {}, {:?}",
        d.n_layers,
        d.d_model,
        d.d_ff,
        d.ctx,
        view.info().bits
    );
    println!(
        "workspace: {used} bytes per lane; a step: {} commands, {} overlay loads, {} MATVECs, {} weight bytes in {} tiles",
        plan.commands, plan.overlay_loads, plan.stream.matvecs, plan.stream.weight_bytes, plan.stream.tiles
    );
    println!("RSP cycles per token (rsp-sim): position 0 {}, position {} {}, position {} {}, mean {mean:.0}",
        cycles[0], d.ctx / 2 - 1, cycles[d.ctx / 2 - 1], d.ctx - 1, cycles[d.ctx - 1]);
    println!(
        "  = {:.3} ms = {:.0} Count ticks per token (mean); {:.0} tokens/s",
        mean / RSP_HZ * 1e3,
        ticks(mean),
        RSP_HZ / mean
    );
    if let Some(cpu) = cpu_ticks {
        println!(
            "CPU ticks around a token {cpu:.0} -> the game keeps {:.1}% of the VR4300 while a token runs",
            100.0 * (1.0 - cpu / ticks(mean))
        );
    }
    Ok(())
}
