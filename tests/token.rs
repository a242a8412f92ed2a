//! A real model on the RSP through the scheduler (rsp-sim): the token program in the scheduler's
//! workspace, two staggered lanes as an rspnn-model `Backend`, generating the same bytes as the
//! scalar runner (the numerics oracle) on the seed-v5 fixture (Q8, 4 layers) and on it
//! requantised to Q4; and one step's transfers are exactly what `rspnn::plan` says.

mod common;

use common::*;
use rspnn::plan::{overlay_of, ListPlan};
use rspnn::sim::{Event, SimRsp};
use rspnn::token::{LaneStats, RspLane, TokenRunner};
use rspnn::{Completion, Config, Scheduler, Ucode};
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::seed::SeedModel;
use rspnn_model::window::Staggered;
use rspnn_ucode::command::op;
use rspnn_ucode::layout::{BOOT, TILE0, TILE1};
use std::cell::RefCell;

/// The seed-v5 fixture as RSPW (Q8), and requantised to Q4; `None` when the fixture is absent.
fn models() -> Option<[&'static [u8]; 2]> {
    let seai = shared_fixtures::read("fixtures/seed-v5/weights_v5_q8.seai")?;
    let seed = SeedModel::parse(&seai).expect("the fixture parses");
    let q8 = to_rspw_vec(&seed).expect("converts");
    let q4 = to_rspw_vec(&Requantized::to_q4(&seed).expect("requantises")).expect("requantises");
    Some([
        Box::leak(q8.into_boxed_slice()),
        Box::leak(q4.into_boxed_slice()),
    ])
}

/// A scheduler on rsp-sim with a 512 KiB workspace and the model mapped at RDRAM 1 MiB (shared,
/// read in place by the RSP).
fn scheduler_for(model: &'static [u8]) -> Scheduler<SimRsp> {
    let mut sim = SimRsp::new(2 << 20);
    let ws = leak(512 * 1024);
    sim.map(ws, WORKSPACE_RDRAM).unwrap();
    sim.map(model, 0x10_0000).unwrap();
    let config = Config::with_deadline_micros(&sim, 50_000, Completion::Interrupt).unwrap();
    let mut s = Scheduler::new(sim, ws, config).unwrap();
    s.load_ucode(&Ucode::RSPNN).unwrap();
    s
}

fn generate(be: &mut dyn Backend, prompt: &[u8], n: usize) -> Vec<u8> {
    be.reset();
    let mut next = 0;
    for &b in prompt {
        next = be.step(b, DecodeMask::All).unwrap();
    }
    let mut out = vec![next];
    while out.len() < n {
        next = be.step(next, DecodeMask::All).unwrap();
        out.push(next);
    }
    out
}

#[test]
fn two_staggered_rsp_lanes_generate_what_the_scalar_runner_does() {
    let Some(models) = models() else { return };
    // Prompts long enough that both lanes run (past ctx/2 = 32) and the first lane restarts
    // (past ctx = 64): 20 + 60 = 80 positions.
    let prompts: [&[u8]; 2] = [b"The cartridge spirit ", b"Q: what is an N64?\nA"];
    for model in models {
        let view = ModelView::parse(model).unwrap();
        let d = *view.dims();
        let mut s = scheduler_for(model);
        let (r0, end) = TokenRunner::build(&mut s, model, 0).unwrap();
        let (r1, _) = TokenRunner::build(&mut s, model, end).unwrap();
        s.writeback_workspace().unwrap();
        let sched = RefCell::new(s);
        let frames = RefCell::new(0u64);
        let hook = RefCell::new(|| *frames.borrow_mut() += 1);
        let stats = RefCell::new(LaneStats::default());
        let mut rsp = Staggered::new(
            RspLane::new(&sched, &hook, &stats, r0),
            RspLane::new(&sched, &hook, &stats, r1),
            d.ctx,
        );
        let lane = || ScalarRunner::new(view, vec![0i16; workspace_len(&d)]).unwrap();
        let mut scalar = Staggered::new(lane(), lane(), d.ctx);
        for prompt in prompts {
            let want = generate(&mut scalar, prompt, 60);
            let got = generate(&mut rsp, prompt, 60);
            assert_eq!(
                got,
                want,
                "{:?}: {}",
                view.info().bits,
                String::from_utf8_lossy(prompt)
            );
        }
        // The game loop ran while the RSP worked (2,000 simulated cycles per poll): a frame
        // before every poll, so frames = steps + polls that found it busy.
        let stats = stats.borrow();
        assert_eq!(*frames.borrow(), stats.steps + stats.busy_polls);
        assert!(stats.busy_polls > 10 * stats.steps, "{stats:?}");
        assert_eq!(
            stats.overlay_loads,
            stats.steps * (3 + 3 * d.n_layers as u64)
        );
        assert!(stats.failure.is_none());
        let counters = sched.borrow().counters();
        assert_eq!(counters.faults, 0);
        assert_eq!(counters.submitted, counters.completed);
    }
}

#[test]
fn a_step_fetches_the_planned_tiles_and_overlays() {
    let Some([_, q4]) = models() else { return };
    let mut s = scheduler_for(q4);
    let (mut r, _) = TokenRunner::build(&mut s, q4, 0).unwrap();
    s.writeback_workspace().unwrap();
    let prog = *r.program();
    let summary = r.plan(&s).unwrap();
    // The program's own count: edge, then scores, values, norm per layer, then edge.
    assert_eq!(summary.overlay_loads, prog.overlay_loads_per_step);
    assert_eq!(summary.commands, prog.commands);
    // 4 layers x 6 matrices + the head.
    assert_eq!(summary.stream.matvecs, 25);
    let list_at = (prog.cmd_list - s.workspace_rdram()) as usize;
    let planned: Vec<_> = ListPlan::new(&s.workspace().unwrap()[list_at..])
        .map(Result::unwrap)
        .collect();
    assert_eq!(planned.first().map(|c| c.op), Some(op::OVERLAYS));
    assert_eq!(planned.last().map(|c| c.op), Some(op::END));
    assert_eq!(overlay_of(op::MATVEC), None);
    assert!(overlay_of(op::NORM).is_some() && overlay_of(op::STEP).is_some());

    // Two steps; trace the second (position 1: the attention reads one cached position).
    let h = r.start(&mut s, b'Q', DecodeMask::All).unwrap();
    s.wait(h, || {}).unwrap();
    r.finish(&s).unwrap();
    let reads = record_dma_reads(s.hardware().rsp_mut());
    let h = r.start(&mut s, b':', DecodeMask::All).unwrap();
    let done = s.wait(h, || {}).unwrap();
    s.hardware().rsp_mut().set_tracer(None);
    let reads = reads.borrow();

    for c in &planned {
        let tile_reads: Vec<(u32, u32, u32)> = reads
            .iter()
            .filter(|d| d.command == c.index && (d.sp == TILE0 as u32 || d.sp == TILE1 as u32))
            .map(|d| (d.sp, d.rdram, d.len))
            .collect();
        if let Some(tiles) = c.tiles.clone() {
            let want: Vec<(u32, u32, u32)> = tiles
                .map(|t| (t.dmem as u32, t.rdram, t.len as u32))
                .collect();
            assert_eq!(tile_reads, want, "command {} (MATVEC)", c.index);
        }
        let imem_loads = reads
            .iter()
            .filter(|d| d.command == c.index && d.sp & 0x1000 != 0)
            .count();
        assert_eq!(
            imem_loads, c.loads_overlay as usize,
            "command {} op {}",
            c.index, c.op
        );
    }
    // The ucode's own count agrees.
    assert_eq!(done.boot_extra as usize, summary.overlay_loads);
    let mut boot = [0u8; 16];
    s.read_dmem(BOOT, &mut boot).unwrap();
    assert_eq!(
        u32::from_be_bytes([boot[12], boot[13], boot[14], boot[15]]) as usize,
        summary.overlay_loads
    );
}

#[test]
fn a_step_patches_its_sealed_list_and_reads_back_only_its_result() {
    let Some([_, q4]) = models() else { return };
    let mut s = scheduler_for(q4);
    let (mut r, _) = TokenRunner::build(&mut s, q4, 0).unwrap();
    s.writeback_workspace().unwrap();
    let prog = *r.program();
    use rspnn::sim::Event::*;
    let cache_events = |s: &mut Scheduler<SimRsp>| -> Vec<Event> {
        s.hardware()
            .take_events()
            .into_iter()
            .filter(|e| {
                matches!(
                    e,
                    Writeback { .. } | WritebackInvalidate { .. } | Invalidate { .. }
                )
            })
            .collect()
    };
    let step = |cmd| Writeback {
        rdram: cmd,
        len: 16,
    };
    let result = [
        WritebackInvalidate {
            rdram: prog.result,
            len: 16,
        },
        Invalidate {
            rdram: prog.result,
            len: 16,
        },
    ];
    cache_events(&mut s);

    // First step: the list is sealed (written back whole, up to its last 64-byte fetch, and
    // checked), then STEP's token and position and ARGMAX's range are patched, each patch
    // writing back its command; the result line around the run. Nothing else: the KV cache,
    // the weights and the overlays are the RSP's alone.
    let h = r.start(&mut s, b'A', DecodeMask::All).unwrap();
    s.wait(h, || {}).unwrap();
    let fetched = (prog.commands * 16).div_ceil(64) * 64;
    // Sealing also writes back and drops the overlay block the list's OVERLAYS names, whose
    // bytes it compares with the ucode's overlay images (what the RSP will load and run).
    let mut want = vec![
        WritebackInvalidate {
            rdram: prog.cmd_list,
            len: fetched,
        },
        WritebackInvalidate {
            rdram: prog.overlays,
            len: rspnn_ucode::program::OVERLAY_BLOCK_BYTES,
        },
    ];
    want.extend([step(prog.step_cmd), step(prog.step_cmd)]);
    want.extend([step(prog.argmax_cmd), step(prog.argmax_cmd)]);
    want.extend(result.clone());
    assert_eq!(cache_events(&mut s), want);
    r.finish(&s).unwrap();

    // Next step, same mask: only STEP.
    let h = r.start(&mut s, b'B', DecodeMask::All).unwrap();
    s.wait(h, || {}).unwrap();
    let mut want = vec![step(prog.step_cmd), step(prog.step_cmd)];
    want.extend(result.clone());
    assert_eq!(cache_events(&mut s), want);
    r.finish(&s).unwrap();

    // A new mask patches ARGMAX again: the RSP sees it (RDRAM: lo = 32, hi = 127 at +2, +4,
    // big-endian) and decodes within it; RDRAM also holds the step's token and position.
    let h = r.start(&mut s, b'C', DecodeMask::Printable).unwrap();
    s.wait(h, || {}).unwrap();
    let (next, _) = r.finish(&s).unwrap();
    assert!((32..127).contains(&next), "{next}");
    let rdram = s.hardware().rsp().rdram();
    let at = prog.argmax_cmd as usize;
    assert_eq!(rdram[at + 2..at + 6], [0, 32, 0, 127]);
    let at = prog.step_cmd as usize;
    assert_eq!(rdram[at + 2..at + 6], [0, b'C', 0, 2]);

    // Taking the workspace unseals the list; the next step seals it again.
    s.workspace_mut().unwrap();
    cache_events(&mut s);
    let h = r.start(&mut s, b'D', DecodeMask::Printable).unwrap();
    s.wait(h, || {}).unwrap();
    assert_eq!(
        cache_events(&mut s)[0],
        WritebackInvalidate {
            rdram: prog.cmd_list,
            len: fetched
        }
    );
}

#[test]
fn a_step_the_ucode_refuses_is_a_backend_error_with_its_status() {
    use rspnn_model::ModelError;
    use rspnn_ucode::layout::status;
    let Some([_, q4]) = models() else { return };
    let mut s = scheduler_for(q4);
    let (r, _) = TokenRunner::build(&mut s, q4, 0).unwrap();
    s.writeback_workspace().unwrap();
    let prog = *r.program();
    // EMBED is the third command (OVERLAYS, STEP, EMBED): give it 33 columns (not a multiple
    // of 8), which the ucode refuses; the list still only writes where it may, so it seals.
    let embed = (prog.cmd_list - WORKSPACE_RDRAM) as usize + 2 * 16;
    let ws = s.workspace_mut().unwrap();
    assert_eq!(ws[embed], op::EMBED);
    ws[embed + 2..embed + 4].copy_from_slice(&33u16.to_be_bytes());
    let sched = RefCell::new(s);
    let hook = RefCell::new(|| {});
    let stats = RefCell::new(LaneStats::default());
    let mut lane = RspLane::new(&sched, &hook, &stats, r);
    match lane.step(b'A', DecodeMask::All) {
        Err(ModelError::Backend {
            backend: "rsp",
            position: 0,
            code,
            ..
        }) => {
            assert_eq!(code, status::BAD_EMBED)
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        stats.borrow().failure,
        Some(rspnn::token::TokenError::Poll(_))
    ));
    assert_eq!(sched.borrow().running(), None);
}

/// The seed-v5 model with its context set to 128 (the SEAI header's ctx byte; no weight depends
/// on it) through the scheduler, as a ROM runs it: 4 heads x 128 slots of scores do not fit the
/// ucode's scratch at once, so each layer's attention runs as two head groups. One lane (the
/// plain ring cache) past the context generates what the scalar runner does; a second lane does
/// not fit the 512 KiB workspace and is refused when its command list is built, with the bytes.
#[test]
fn a_context_of_128_runs_through_the_scheduler_and_a_lane_too_many_is_refused() {
    let Some(seai) = shared_fixtures::read("fixtures/seed-v5/weights_v5_q8.seai") else {
        return;
    };
    let mut seai = seai;
    seai[10] = 128; // SEAI: ctx u8 @10
    let seed = SeedModel::parse(&seai).expect("the fixture parses");
    let model: &'static [u8] = Box::leak(to_rspw_vec(&seed).unwrap().into_boxed_slice());
    let view = ModelView::parse(model).unwrap();
    let d = *view.dims();
    assert_eq!(d.ctx, 128);
    let mut s = scheduler_for(model);
    let (r0, end) = TokenRunner::build(&mut s, model, 0).unwrap();
    // The KV cache alone is 4 layers x 4 x 128 x 128 = 256 KiB: a second program cannot fit.
    let e = TokenRunner::build(&mut s, model, end)
        .err()
        .expect("refused");
    let msg = e.to_string();
    assert!(
        msg.contains("bytes of RDRAM (of which 262144 of KV cache)")
            && msg.contains(&format!("{} are available", 512 * 1024 - end)),
        "{msg}"
    );
    s.writeback_workspace().unwrap();
    let sched = RefCell::new(s);
    let hook = RefCell::new(|| {});
    let stats = RefCell::new(LaneStats::default());
    let mut rsp = RspLane::new(&sched, &hook, &stats, r0);
    let mut scalar = ScalarRunner::new(view, vec![0i16; workspace_len(&d)]).unwrap();
    let got = generate(&mut rsp, b"Q: What is the RSP?\nA:", 120);
    let want = generate(&mut scalar, b"Q: What is the RSP?\nA:", 120);
    assert_eq!(got, want, "{}", String::from_utf8_lossy(&want));
    let stats = stats.borrow();
    assert_eq!(stats.steps, 22 + 119);
    // Per layer: scores and values for each of the 2 groups, norm; edge twice; norm once.
    assert_eq!(
        stats.overlay_loads,
        stats.steps * (3 + 5 * d.n_layers as u64)
    );
    assert!(stats.failure.is_none());
}
