//! Fuzzes the scheduler's command-list checks (`Scheduler::submit`, `seal_list`,
//! `patch_sealed`, `submit_sealed`) against what the ucode really does on rsp-sim.
//!
//! The input is a command list (after one mode byte) placed in the workspace of a scheduler
//! over rsp-sim, with every other RDRAM byte set to a pattern. The properties:
//! - `submit` accepts the list exactly when `plan::check_writes` does (one rule, two callers);
//! - a list the scheduler accepts, and a sealed list after any patches (mode bit 1, patches
//!   from the input's last bytes), runs on the ucode until it ends or its deadline
//!   without the RSP writing one byte of RDRAM outside the workspace or over the list itself:
//!   the scheduler's promise ("What the RSP may write", `src/scheduler.rs`);
//! - no call panics, whatever the list, command index, field or value.
//!
//! Mode bits 4..7 choose the list's offset (64-byte steps), so lists also sit away from 0.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspnn::plan::check_writes;
use rspnn::sealed::Field;
use rspnn::sim::SimRsp;
use rspnn::{Completion, Config, Job, JobHandle, Poll, Scheduler, Span, Ucode};
use std::cell::Cell;

const RDRAM_BYTES: usize = 16 * 1024;
const WS_RDRAM: u32 = 0x2000;
const WS_BYTES: usize = 8 * 1024;
/// What every RDRAM byte outside the workspace holds before a run.
const PATTERN: u8 = 0xA5;

const SEAL: u8 = 2;

thread_local! {
    /// One workspace for all runs (the scheduler wants `&'static mut`; leaking one per input
    /// would run out of memory), handed back by `Scheduler::into_parts` after each.
    static WORKSPACE: Cell<Option<&'static mut [u8]>> = const { Cell::new(None) };
}

fn workspace() -> &'static mut [u8] {
    WORKSPACE
        .take()
        .unwrap_or_else(|| Box::leak(vec![0u8; WS_BYTES].into_boxed_slice()))
}

/// Polls `h` until it ends (done, refused, crashed, or halted at the deadline).
fn run_to_end(s: &mut Scheduler<SimRsp>, h: JobHandle) {
    for _ in 0..10_000 {
        match s.poll(h) {
            Ok(Poll::Running { .. }) => {}
            _ => return,
        }
    }
    panic!("the job outlived its deadline by 10,000 polls");
}

/// Asserts that the RSP wrote nothing outside the workspace nor over the list (`list`, the
/// bytes the dispatcher fetched, at workspace offset `at`).
fn check_rdram(s: &mut Scheduler<SimRsp>, at: usize, list: &[u8]) {
    let rdram = s.hardware().rsp().rdram();
    let ws = WS_RDRAM as usize..WS_RDRAM as usize + WS_BYTES;
    if let Some(i) = (0..RDRAM_BYTES).find(|&i| !ws.contains(&i) && rdram[i] != PATTERN) {
        panic!("the RSP wrote RDRAM {i:#x} outside the workspace");
    }
    let start = ws.start + at;
    assert_eq!(
        &rdram[start..start + list.len()],
        list,
        "the RSP wrote over its command list"
    );
}

fn patches(tail: &[u8]) -> impl Iterator<Item = (usize, Field, u16)> + '_ {
    tail.chunks_exact(4).map(|c| {
        let field = [
            Field::StepToken,
            Field::StepPos,
            Field::ArgmaxLo,
            Field::ArgmaxHi,
        ][(c[0] & 3) as usize];
        // Mostly small indices; sometimes any usize (the index arithmetic must not wrap).
        let command = if c[0] & 4 != 0 {
            usize::MAX - c[1] as usize
        } else {
            c[1] as usize
        };
        (command, field, u16::from_be_bytes([c[2], c[3]]))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let at = (mode >> 4) as usize * 64;
    let ws = workspace();
    ws.fill(0);
    let n = body.len().min(WS_BYTES - at);
    ws[at..at + n].copy_from_slice(&body[..n]);
    let mut sim = SimRsp::new(RDRAM_BYTES);
    sim.rsp_mut().rdram_mut().fill(PATTERN);
    sim.map(ws, WS_RDRAM).expect("the workspace maps");
    // A short deadline (20,000 RSP cycles) keeps runs short: the property holds for every
    // prefix of a run, and many runs find more than a few long ones.
    sim.cycles_per_poll = 2_000;
    let config = Config::with_deadline_ticks(20_000, Completion::Status).expect("a deadline");
    let mut s = Scheduler::new(sim, ws, config).expect("the workspace is accepted");
    s.load_ucode(&Ucode::RSPNN).expect("the ucode loads");

    let snapshot = s.workspace().expect("idle").to_vec();
    let allowed = (WS_RDRAM, WS_RDRAM + WS_BYTES as u32);
    let direct = check_writes(&snapshot[at..], WS_RDRAM + at as u32, allowed, &snapshot, &[]);
    let job = Job {
        cmd_list: at,
        to_rsp: &[],
        from_rsp: &[],
    };
    let submitted = s.submit(&job);
    assert_eq!(
        submitted.is_ok(),
        direct.is_ok(),
        "submit {submitted:?} but check_writes {direct:?}"
    );
    if let Ok(h) = submitted {
        let fetched = direct.expect("accepted");
        run_to_end(&mut s, h);
        check_rdram(&mut s, at, &snapshot[at..at + fetched]);
    }
    if mode & SEAL != 0 {
        if let Ok(list) = s.seal_list(at) {
            let tail = &body[body.len().saturating_sub(16)..];
            for (command, field, value) in patches(tail) {
                let _ = s.patch_sealed(&list, command, field, value);
            }
            let patched = s.workspace().expect("idle").to_vec();
            let span: Span = list.span();
            if let Ok(h) = s.submit_sealed(&list, &[]) {
                run_to_end(&mut s, h);
                check_rdram(&mut s, at, &patched[span.offset..span.end()]);
            }
        }
    }
    match s.into_parts() {
        Ok((_, ws)) => WORKSPACE.set(Some(ws)),
        Err(_) => panic!("a job still runs after run_to_end"),
    }
});
