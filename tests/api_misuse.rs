//! Misuse of the library API is refused with an error naming it, never a panic, a silent
//! clamp or a stale result (issue 17 item 10): deadlines, job handles of another scheduler,
//! `TokenRunner::finish` after a fault or twice, a runner used on another scheduler or laid
//! out over another, `patch_sealed` with any index, `poll` while a timed-out job drains.

mod common;

use common::*;
use rspnn::memory::AddressError;
use rspnn::sealed::Field;
use rspnn::sim::SimRsp;
use rspnn::token::{TokenError, TokenRunner};
use rspnn::{
    Completion, Config, ConfigError, Fault, Job, Poll, PollError, Scheduler, Span, SubmitError,
    Ucode,
};
use rspnn_model::backend::DecodeMask;
use rspnn_ucode::{Command, RdramImage};

const WS: usize = 16 * 1024;

fn program(name: &str, source: &str) -> Vec<u8> {
    rsp_asm::assemble_str(name, source)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .text
}

/// A list that only ends, laid out at workspace offset 0.
fn end_list(s: &mut Scheduler<SimRsp>) -> Job<'static> {
    let base = s.workspace_rdram();
    let ws = s.workspace_mut().unwrap();
    RdramImage::new(ws, base)
        .unwrap()
        .put_commands_unchecked(&[Command::End])
        .unwrap();
    s.writeback_workspace().unwrap();
    Job {
        cmd_list: 0,
        to_rsp: &[],
        from_rsp: &[],
    }
}

#[test]
fn deadlines_of_zero_or_past_the_tick_counter_are_refused() {
    let sim = SimRsp::new(RDRAM_BYTES);
    let status = Completion::Status;
    assert_eq!(
        Config::with_deadline_micros(&sim, 0, status),
        Err(ConfigError::ZeroDeadline)
    );
    assert_eq!(
        Config::with_deadline_ticks(0, status),
        Err(ConfigError::ZeroDeadline)
    );
    // 2^32 - 1 ticks of 62.5 MHz last 68,719,476.7 us: one more microsecond does not fit (it
    // used to be clamped to u32::MAX ticks, a deadline that never came).
    assert_eq!(
        Config::with_deadline_micros(&sim, 68_719_477, status),
        Err(ConfigError::DeadlineTooLong {
            micros: 68_719_477,
            max_micros: 68_719_476
        })
    );
    let longest = Config::with_deadline_micros(&sim, 68_719_476, status).unwrap();
    assert_eq!(longest.deadline_ticks(), 4_294_967_250);
    // Rounded up: 1 us is 62.5 ticks.
    let shortest = Config::with_deadline_micros(&sim, 1, status).unwrap();
    assert_eq!(shortest.deadline_ticks(), 63);
    assert_eq!(
        shortest.with_completion(Completion::Interrupt).completion(),
        Completion::Interrupt
    );
}

#[test]
fn the_longest_deadline_still_times_out_across_the_counter_wrap() {
    let mut s = scheduler(WS, Completion::Status);
    let config = Config::with_deadline_ticks(u32::MAX, Completion::Status).unwrap();
    s.set_config(config).unwrap();
    let spin = program("spin.S", ".text\nspin: j spin\nnop\n");
    s.load_ucode(&Ucode {
        text: &spin,
        data: &[],
        entry: 0,
    })
    .unwrap();
    let h = {
        let job = end_list(&mut s);
        s.submit(&job)
    }
    .unwrap();
    // Two gaps of 2^31 + 1 ticks between polls: 2^32 + 2 in all, past the deadline, although
    // the wrapping difference of the 32-bit counter is only a few thousand ticks.
    s.hardware().skip_ticks((1 << 31) + 1);
    assert!(matches!(s.poll(h), Ok(Poll::Running { .. })));
    s.hardware().skip_ticks((1 << 31) + 1);
    match s.poll(h) {
        Err(PollError::Fault(Fault::Timeout { elapsed_ticks, .. })) => {
            assert_eq!(elapsed_ticks, u32::MAX, "saturated")
        }
        other => panic!("a job past a u32::MAX-tick deadline gave {other:?}"),
    }
}

#[test]
fn a_poll_while_a_timed_out_job_drains_its_dma_reports_the_real_elapsed_ticks() {
    let mut s = scheduler(WS, Completion::Status);
    s.set_config(Config::with_deadline_ticks(5_000, Completion::Status).unwrap())
        .unwrap();
    // Queues 4 KiB DMAs back to back, so one is always in flight when the RSP is halted.
    let dma_loop = program(
        "dma_loop.S",
        ".text\nloop:\nmtc0 $0, COP0_DMA_SPADDR\nmtc0 $0, COP0_DMA_RAMADDR\nori t0, $0, 0xFFF\nmtc0 t0, COP0_DMA_READ\nj loop\nnop\n",
    );
    s.load_ucode(&Ucode {
        text: &dma_loop,
        data: &[],
        entry: 0,
    })
    .unwrap();
    let h = {
        let job = end_list(&mut s);
        s.submit(&job)
    }
    .unwrap();
    // Polls see little time pass, so the halted RSP's last DMA is still moving.
    s.hardware().cycles_per_poll = 10;
    let mut draining = Vec::new();
    let fault = loop {
        match s.poll(h) {
            Ok(Poll::Running { elapsed_ticks }) => {
                if elapsed_ticks > 5_000 {
                    draining.push(elapsed_ticks);
                }
                assert!(draining.len() < 10_000, "the DMA never drained");
            }
            Err(PollError::Fault(f)) => break f,
            other => panic!("{other:?}"),
        }
    };
    assert!(matches!(fault, Fault::Timeout { .. }), "{fault:?}");
    // Each poll past the deadline (draining) reports more ticks than the one before, never 0.
    assert!(
        !draining.is_empty(),
        "the DMA was already quiet at the halt"
    );
    assert!(draining.windows(2).all(|w| w[1] > w[0]), "{draining:?}");
}

#[test]
fn a_job_handle_is_refused_by_another_scheduler() {
    let mut a = scheduler(WS, Completion::Status);
    let mut b = scheduler(WS, Completion::Status);
    assert_ne!(a.id(), b.id());
    let ha = {
        let job = end_list(&mut a);
        a.submit(&job)
    }
    .unwrap();
    let hb = {
        let job = end_list(&mut b);
        b.submit(&job)
    }
    .unwrap();
    // Both are job 1 of their scheduler, but not the same job.
    assert_eq!((ha.id(), hb.id()), (1, 1));
    assert_ne!(ha, hb);
    assert_eq!(b.poll(ha), Err(PollError::NotRunning { handle: ha }));
    b.wait(hb, || {}).unwrap();
    a.wait(ha, || {}).unwrap();
    assert!(a.outcome(ha).is_some_and(|o| o.is_ok()));
    assert_eq!(b.outcome(ha), None);
}

#[test]
fn into_parts_waits_for_the_job_and_hands_back_the_workspace() {
    let mut s = scheduler(WS, Completion::Status);
    let h = {
        let job = end_list(&mut s);
        s.submit(&job)
    }
    .unwrap();
    let mut s = match s.into_parts() {
        Err(s) => s,
        Ok(_) => panic!("a running job's workspace was handed back"),
    };
    s.wait(h, || {}).unwrap();
    let (_, ws) = s.into_parts().ok().expect("idle");
    assert_eq!(ws.len(), WS);
}

#[test]
fn patch_sealed_takes_any_command_index_without_overflow() {
    let mut s = scheduler(WS, Completion::Status);
    let job = end_list(&mut s);
    let list = s.seal_list(job.cmd_list).unwrap();
    for command in [1, 4, usize::MAX / 16, usize::MAX / 16 + 1, usize::MAX] {
        assert_eq!(
            s.patch_sealed(&list, command, Field::StepToken, 7),
            Err(SubmitError::NotPatchable {
                command,
                field: Field::StepToken
            }),
            "command {command}"
        );
    }
    let refused = s.patch_sealed(&list, 1, Field::ArgmaxHi, 7).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "command 1 has no ARGMAX hi field to patch"
    );
    // A sealed list of another scheduler is not this one's to patch or start.
    let mut other = scheduler(WS, Completion::Status);
    let theirs = {
        let job = end_list(&mut other);
        other.seal_list(job.cmd_list)
    }
    .unwrap();
    assert_eq!(
        s.patch_sealed(&theirs, 0, Field::StepToken, 1),
        Err(SubmitError::NotYours)
    );
    assert_eq!(s.submit_sealed(&theirs, &[]), Err(SubmitError::NotYours));
}

/// The demo model (in the repository) in a scheduler with room for two token programs.
fn model_scheduler() -> (Scheduler<SimRsp>, &'static [u8]) {
    let model: &'static [u8] = Box::leak(
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/nibble-4l-q8.rspw"
        ))
        .expect("models/nibble-4l-q8.rspw")
        .into_boxed_slice(),
    );
    let mut sim = SimRsp::new(2 << 20);
    let ws = leak(512 * 1024);
    sim.map(ws, WORKSPACE_RDRAM).unwrap();
    sim.map(model, 0x10_0000).unwrap();
    let config = Config::with_deadline_micros(&sim, 50_000, Completion::Status).unwrap();
    let mut s = Scheduler::new(sim, ws, config).unwrap();
    s.load_ucode(&Ucode::RSPNN).unwrap();
    (s, model)
}

#[test]
fn finish_needs_a_step_that_completed_and_runs_once_per_step() {
    let (mut s, model) = model_scheduler();
    let (mut r, _) = TokenRunner::build(&mut s, model, 0).unwrap();
    s.writeback_workspace().unwrap();
    assert_eq!(r.finish(&s), Err(TokenError::NothingToFinish));
    let h = r.start(&mut s, b'Q', DecodeMask::All).unwrap();
    assert_eq!(r.finish(&s), Err(TokenError::NotFinished(None)));
    assert_eq!(
        s.poll(h).map(|p| matches!(p, Poll::Running { .. })),
        Ok(true)
    );
    assert_eq!(r.finish(&s), Err(TokenError::NotFinished(None)));
    s.wait(h, || {}).unwrap();
    let (first, _) = r.finish(&s).unwrap();
    assert_eq!(r.position(), 1);
    // A second finish has no step to read: refused, the position unchanged.
    assert_eq!(r.finish(&s), Err(TokenError::NothingToFinish));
    assert_eq!(r.position(), 1);

    // A step that times out: its result bytes are the previous step's, so finish refuses.
    let config = s.config();
    s.set_config(Config::with_deadline_ticks(1, Completion::Status).unwrap())
        .unwrap();
    let h = r.start(&mut s, first, DecodeMask::All).unwrap();
    let fault = match s.wait(h, || {}) {
        Err(PollError::Fault(f)) => f,
        other => panic!("a 1-tick deadline gave {other:?}"),
    };
    assert!(matches!(fault, Fault::Timeout { .. }));
    assert_eq!(r.finish(&s), Err(TokenError::NotFinished(Some(fault))));
    assert_eq!(r.position(), 1);
    assert_eq!(r.finish(&s), Err(TokenError::NothingToFinish));
    // The same position runs again once the deadline is sane.
    s.set_config(config).unwrap();
    let h = r.start(&mut s, first, DecodeMask::All).unwrap();
    s.wait(h, || {}).unwrap();
    r.finish(&s).unwrap();
    assert_eq!(r.position(), 2);
}

#[test]
fn a_runner_is_bound_to_its_scheduler_and_its_own_bytes() {
    let (mut s, model) = model_scheduler();
    let (mut r, end) = TokenRunner::build(&mut s, model, 0).unwrap();
    // A second program over the first, or straddling its end, is refused before it writes.
    let before = s.workspace().unwrap().to_vec();
    for at in [0, end - 16] {
        match TokenRunner::build(&mut s, model, at) {
            Err(TokenError::Address(AddressError::Claimed { by, .. })) => {
                assert_eq!(by, Span::new(0, end))
            }
            Err(e) => panic!("build at {at}: {e}"),
            Ok(_) => panic!("build at {at}: two programs in the same bytes"),
        }
    }
    assert!(
        s.workspace().unwrap() == &before[..],
        "a refused build wrote"
    );
    let (_, end2) = TokenRunner::build(&mut s, model, end).unwrap();
    assert!(end2 > end);

    // Another scheduler (its workspace at another RDRAM address) is refused, not a panic.
    let mut sim = SimRsp::new(2 << 20);
    let ws = leak(512 * 1024);
    sim.map(ws, 0x400).unwrap();
    let config = Config::with_deadline_ticks(1 << 24, Completion::Status).unwrap();
    let mut other = Scheduler::new(sim, ws, config).unwrap();
    other.load_ucode(&Ucode::RSPNN).unwrap();
    assert_eq!(
        r.start(&mut other, b'Q', DecodeMask::All),
        Err(TokenError::NotLaidOut)
    );
    assert_eq!(r.finish(&other), Err(TokenError::NotLaidOut));
    assert!(matches!(r.plan(&other), Err(TokenError::NotLaidOut)));

    // Forgetting the layouts retires the runners built on them.
    s.forget_layouts().unwrap();
    assert_eq!(
        r.start(&mut s, b'Q', DecodeMask::All),
        Err(TokenError::NotLaidOut)
    );
    let (mut fresh, _) = TokenRunner::build(&mut s, model, 0).unwrap();
    s.writeback_workspace().unwrap();
    let h = fresh.start(&mut s, b'Q', DecodeMask::All).unwrap();
    s.wait(h, || {}).unwrap();
    fresh.finish(&s).unwrap();
}

#[test]
fn errors_read_as_sentences_not_debug_output() {
    use rspnn::plan::PlanError;
    let plan = TokenError::Plan(PlanError::BadOpcode { index: 3, op: 200 });
    assert_eq!(plan.to_string(), "plan: command 3: unknown opcode 200");
    assert_eq!(
        ConfigError::DeadlineTooLong {
            micros: 68_719_477,
            max_micros: 68_719_476
        }
        .to_string(),
        "a deadline of 68719477 us is longer than the 68719476 us the 32-bit tick counter measures"
    );
    assert_eq!(
        TokenError::NotFinished(None).to_string(),
        "the step has not finished (poll its job to the end first)"
    );
}
