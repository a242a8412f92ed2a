//! The text-generation demo: a model from the cartridge (PI DMA), answers to fixed prompts
//! generated on the RSP (rspnn's scheduler running the ucode's token program) and on the VR4300
//! (the scalar runner), printed, compared and timed, with a "game" whose frame counter keeps
//! advancing while the RSP works.
//!
//! Output (`cargo xtask test` checks it against `rspnn generate` on the host):
//! `textgen.<i>.rsp="..."`, `textgen.<i>.scalar="..."` (escaped, `n64_demo::textgen::Escaped`),
//! `textgen.<i>.identical=yes|no`, then timing lines in CP0 Count ticks. Under mupen64plus,
//! Count advances by a fixed amount per executed instruction (an estimate, not hardware time),
//! and the RSP task runs to its BREAK inside the CPU's SP_STATUS write, taking no emulated CPU
//! time (mupen64plus-core `do_SP_Task`): what the CPU spends around a token is measured here,
//! how long the RSP takes comes from rsp-sim (bench-results/scheduler.md).
#![no_std]
#![no_main]

use core::cell::RefCell;
use core::ptr::addr_of_mut;
use n64_demo::assets;
use n64_demo::game::Game;
use n64_demo::textgen::{self, Escaped, StepCounter, Timed, GEN_LEN, PROMPTS};
use n64_rt::cache::CacheAligned;
use n64_rt::{println, timing};
use rspnn::token::{LaneStats, RspLane};
use rspnn::Completion;
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::window::Staggered;

n64_rt::entry!(main);

/// Room for the model file (the 4-layer Q8 model is 919,680 bytes).
const MODEL_MAX: usize = 1 << 20;
/// i16 per scalar lane: a 4-layer, width-128, context-64 model needs 67,456.
const SCALAR_LANE: usize = 72 * 1024;
/// The RSP's workspace: two token programs (a 4-layer model's is ~136 KiB each: its KV cache).
const RSP_WORKSPACE: usize = 320 * 1024;
/// A token is declared hung after this long (a 4-layer token takes ~5 ms of RSP time).
const DEADLINE_MICROS: u32 = 500_000;

static mut MODEL: CacheAligned<[u8; MODEL_MAX]> = CacheAligned([0; MODEL_MAX]);
static mut SCALAR: [[i16; SCALAR_LANE]; 2] = [[0; SCALAR_LANE]; 2];
static mut WORKSPACE: CacheAligned<[u8; RSP_WORKSPACE]> = CacheAligned([0; RSP_WORKSPACE]);

fn main() {
    // SAFETY: main runs once; these are the only references ever made to the statics.
    let (model_buf, scalar_ws, rsp_ws) = unsafe {
        (
            &mut (*addr_of_mut!(MODEL)).0,
            &mut *addr_of_mut!(SCALAR),
            &mut (*addr_of_mut!(WORKSPACE)).0,
        )
    };
    let model: &'static [u8] = match assets::load(0, model_buf) {
        Ok(bytes) => bytes,
        Err(e) => panic!("loading the model: {e}"),
    };
    let view = match ModelView::parse(model) {
        Ok(v) => v,
        Err(e) => panic!("the model: {e}"),
    };
    let d = *view.dims();
    println!(
        "rspnn textgen: {} layers, width {}, FFN {}, context {}, {:?}, {} bytes from the cartridge (CRC-32 ok)",
        d.n_layers,
        d.d_model,
        d.d_ff,
        d.ctx,
        view.info().bits,
        model.len()
    );

    // The VR4300 path: two staggered scalar lanes (what `rspnn generate` runs).
    let need = workspace_len(&d);
    if need > SCALAR_LANE {
        panic!(
            "the model needs {need} i16 of scalar workspace per lane, the ROM has {SCALAR_LANE}"
        );
    }
    let [lane0, lane1] = scalar_ws;
    let (scalar_tokens, scalar_steps) = (StepCounter::default(), StepCounter::default());
    let scalar_lane =
        |ws: &'static mut [i16; SCALAR_LANE]| match ScalarRunner::new(view, &mut ws[..need]) {
            Ok(r) => Timed::new(r, timing::read_count, &scalar_steps),
            Err(e) => panic!("scalar runner: {e}"),
        };
    let lanes = Staggered::new(scalar_lane(lane0), scalar_lane(lane1), d.ctx);
    let mut scalar = Timed::new(lanes, timing::read_count, &scalar_tokens);

    // The RSP path: the scheduler over the real registers, two token programs in its
    // workspace, two staggered lanes that run a game frame before every poll.
    let (sched, runner0, runner1, end) = textgen::rsp_lanes(model, rsp_ws, DEADLINE_MICROS);
    let plan = match runner0.plan(&sched) {
        Ok(p) => p,
        Err(e) => panic!("plan: {e}"),
    };
    println!(
        "textgen.plan: {} workspace bytes for 2 lanes; a step runs {} commands, {} overlay loads, {} MATVECs streaming {} weight bytes in {} tiles",
        end, plan.commands, plan.overlay_loads, plan.stream.matvecs, plan.stream.weight_bytes, plan.stream.tiles
    );
    let game = Game::new();
    let sched = RefCell::new(sched);
    let hook = RefCell::new(|| game.frame());
    let stats = RefCell::new(LaneStats::default());
    let rsp_tokens = StepCounter::default();
    let lanes = Staggered::new(
        RspLane::new(&sched, &hook, &stats, runner0),
        RspLane::new(&sched, &hook, &stats, runner1),
        d.ctx,
    );
    let mut rsp = Timed::new(lanes, timing::read_count, &rsp_tokens);

    let mut all_identical = true;
    for (i, prompt) in PROMPTS.iter().enumerate() {
        println!("textgen.{i}.prompt=\"{}\"", Escaped(prompt.as_bytes()));
        // Both ways of learning that the RSP finished: SP_STATUS, then the SP interrupt line
        // (MI_INTR, raised by BREAK with interrupt-on-break), then SP_STATUS again.
        let completion = if i % 2 == 0 {
            Completion::Status
        } else {
            Completion::Interrupt
        };
        let config = sched.borrow().config().with_completion(completion);
        if let Err(h) = sched.borrow_mut().set_config(config) {
            panic!("job {} still running between prompts", h.id());
        }
        println!("textgen.{i}.completion={completion:?}");
        let frames_before = game.frames.get();
        let mut on_rsp = [0u8; GEN_LEN];
        if let Err(e) = textgen::generate(&mut rsp, prompt.as_bytes(), &mut on_rsp) {
            match &stats.borrow().failure {
                Some(why) => panic!("RSP generation: {why}"),
                None => panic!("RSP generation: {e}"),
            }
        }
        println!("textgen.{i}.rsp=\"{}\"", Escaped(&on_rsp));
        // The answer as a player would see it: up to the line's end (the model then invents
        // the next question; models/README.md).
        let answer = on_rsp.split(|&b| b == b'\n').next().unwrap_or(&[]);
        println!("{} ->{}", prompt.trim_end_matches("\nA:"), Escaped(answer));
        println!(
            "textgen.{i}.game_frames={}..{}",
            frames_before,
            game.frames.get()
        );
        let mut on_cpu = [0u8; GEN_LEN];
        if let Err(e) = textgen::generate(&mut scalar, prompt.as_bytes(), &mut on_cpu) {
            panic!("scalar generation: {e}");
        }
        println!("textgen.{i}.scalar=\"{}\"", Escaped(&on_cpu));
        let same = on_rsp == on_cpu;
        all_identical &= same;
        println!("textgen.{i}.identical={}", if same { "yes" } else { "no" });
    }
    println!(
        "textgen.identical={}",
        if all_identical { "yes" } else { "no" }
    );

    // Timing (Count ticks; an instruction-count estimate under mupen64plus). A token here is
    // one forward step of one lane (past ctx/2 positions, `Staggered` runs both lanes).
    let scalar_lane_steps = scalar_steps.steps.get().max(1);
    let scalar_lane_ticks = scalar_steps.ticks.get();
    println!("textgen.scalar.bytes_fed={}", scalar_tokens.steps.get());
    println!("textgen.scalar.lane_steps={scalar_lane_steps}");
    println!("textgen.scalar.ticks={}", scalar_tokens.ticks.get());
    println!(
        "textgen.scalar.ticks_per_token={}",
        scalar_lane_ticks / scalar_lane_steps
    );
    println!(
        "textgen.scalar.cpu_cycles_per_token={}",
        2 * scalar_lane_ticks / scalar_lane_steps
    );

    let stats = stats.borrow();
    let rsp_lane_steps = stats.steps.max(1);
    let rsp_ticks = rsp_tokens.ticks.get();
    let game_ticks = game.ticks.get();
    let cpu_ticks = rsp_ticks.saturating_sub(game_ticks);
    println!("textgen.rsp.bytes_fed={}", rsp_tokens.steps.get());
    println!("textgen.rsp.lane_steps={rsp_lane_steps}");
    println!("textgen.rsp.ticks={rsp_ticks}");
    println!("textgen.rsp.game_ticks={game_ticks}");
    println!("textgen.rsp.busy_polls={}", stats.busy_polls);
    println!(
        "textgen.rsp.overlay_loads_per_step={}",
        stats.overlay_loads / rsp_lane_steps
    );
    println!(
        "textgen.rsp.cpu_ticks_per_token={}",
        cpu_ticks / rsp_lane_steps
    );
    let polls = (stats.steps + stats.busy_polls).max(1);
    println!(
        "textgen.rsp.start_ticks_per_token={}",
        stats.start_ticks / rsp_lane_steps
    );
    println!("textgen.rsp.ticks_per_poll={}", stats.poll_ticks / polls);
    println!(
        "textgen.rsp.finish_ticks_per_token={}",
        stats.finish_ticks / rsp_lane_steps
    );
    println!(
        "textgen.rsp.game_share_permille={}",
        game_ticks * 1000 / rsp_ticks.max(1)
    );
    println!("textgen.game.frames={}", game.frames.get());
    let counters = sched.borrow().counters();
    println!(
        "textgen.scheduler: {} jobs submitted, {} completed, {} faults, {} polls",
        counters.submitted, counters.completed, counters.faults, counters.polls
    );
}
