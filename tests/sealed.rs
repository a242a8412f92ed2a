//! Sealed command lists on rsp-sim: checked once, protected from every other list, patched only
//! in their write-neutral fields, unsealed when the CPU takes the workspace.

mod common;

use common::*;
use rspnn::plan::ListError;
use rspnn::sealed::{Field, MAX_SEALED};
use rspnn::sim::{Event, SimRsp};
use rspnn::{Completion, Job, Poll, Scheduler, Span, SubmitError};
use rspnn_ucode::program::place_overlays;
use rspnn_ucode::{Command, RdramImage};

const WS: usize = 16 * 1024;

/// Lays out `lists` (each a command list) one after another; returns their offsets.
fn lay_out(s: &mut Scheduler<SimRsp>, lists: &[&[Command]]) -> Vec<usize> {
    let base = s.workspace_rdram();
    let ws = s.workspace_mut().unwrap();
    ws.fill(0);
    let mut img = RdramImage::new(ws, base).unwrap();
    let offsets = lists
        .iter()
        .map(|l| (img.put_commands_unchecked(l).unwrap() - base) as usize)
        .collect();
    s.writeback_workspace().unwrap();
    offsets
}

fn dma_out(rdram: u32) -> Command {
    Command::DmaOut {
        dmem: 0x280,
        len: 16,
        rdram,
    }
}

fn run_to_end(s: &mut Scheduler<SimRsp>, h: rspnn::JobHandle) {
    while let Poll::Running { .. } = s.poll(h).unwrap() {}
}

#[test]
fn a_sealed_list_runs_patched_until_the_cpu_takes_the_workspace() {
    let mut s = scheduler(WS, Completion::Status);
    let base = s.workspace_rdram();
    // The overlays (STEP runs in one), then OVERLAYS, STEP (patchable), and a DMA_OUT of 16
    // DMEM bytes to offset 8192.
    let at = {
        let ws = s.workspace_mut().unwrap();
        let mut img = RdramImage::new(ws, base).unwrap();
        let overlays = place_overlays(&mut img).unwrap();
        let list = [
            Command::Overlays { rdram: overlays },
            Command::Step {
                token: 1,
                pos: 0,
                ctx: 64,
            },
            dma_out(base + 8192),
        ];
        (img.put_commands(&list).unwrap() - base) as usize
    };
    s.writeback_workspace().unwrap();
    let sealed = s.seal_list(at).unwrap();
    assert_eq!(sealed.span(), Span::new(at, 64));
    // Sealing it again gives the same handle.
    assert_eq!(s.seal_list(at).unwrap(), sealed);
    // Patch and run, twice: no walk of the list, only the patched command written back.
    for pos in [3u16, 4] {
        s.patch_sealed(&sealed, 1, Field::StepPos, pos).unwrap();
        s.hardware().take_events();
        let h = s.submit_sealed(&sealed, &[Span::new(8192, 16)]).unwrap();
        assert!(!s
            .hardware()
            .events()
            .iter()
            .any(|e| matches!(e, Event::WritebackInvalidate { len: 64, .. })));
        run_to_end(&mut s, h);
        // The RSP fetched the patched position (big-endian u16 at +4 of STEP).
        let rdram = s.hardware().rsp().rdram();
        let step = (base as usize) + at + 16;
        assert_eq!(rdram[step + 4..step + 6], pos.to_be_bytes());
    }
    // Only STEP's and ARGMAX's fields, and only at their commands.
    assert!(matches!(
        s.patch_sealed(&sealed, 2, Field::StepPos, 9),
        Err(SubmitError::NotPatchable { command: 2, .. })
    ));
    assert!(matches!(
        s.patch_sealed(&sealed, 1, Field::ArgmaxLo, 9),
        Err(SubmitError::NotPatchable { command: 1, .. })
    ));
    assert!(matches!(
        s.patch_sealed(&sealed, 4, Field::StepPos, 9),
        Err(SubmitError::NotPatchable { command: 4, .. })
    ));
    // The CPU takes the workspace: unsealed.
    s.workspace_mut().unwrap();
    assert_eq!(s.submit_sealed(&sealed, &[]), Err(SubmitError::NotSealed));
    assert_eq!(
        s.patch_sealed(&sealed, 1, Field::StepPos, 1),
        Err(SubmitError::NotSealed)
    );
    let again = s.seal_list(at).unwrap();
    assert_ne!(again, sealed);
    let h = s.submit_sealed(&again, &[]).unwrap();
    run_to_end(&mut s, h);
}

#[test]
fn no_list_may_write_over_a_sealed_one() {
    let mut s = scheduler(WS, Completion::Status);
    let base = s.workspace_rdram();
    // Laid out at offsets 0 and 64 (64-byte lists).
    let victim: &[Command] = &[dma_out(base + 8192)];
    let attacker: &[Command] = &[dma_out(base)];
    let at = lay_out(&mut s, &[victim, attacker]);
    assert_eq!(at, [0, 64]);
    let sealed = s.seal_list(at[0]).unwrap();
    // A plain submit of a list that writes over the sealed one is refused...
    let job = Job {
        cmd_list: at[1],
        to_rsp: &[],
        from_rsp: &[],
    };
    assert!(matches!(
        s.submit(&job),
        Err(SubmitError::List(ListError::WriteIntoList { index: 0, .. }))
    ));
    // ... and so is sealing it.
    assert!(matches!(
        s.seal_list(at[1]),
        Err(SubmitError::List(ListError::WriteIntoList { .. }))
    ));
    // Unsealed (the CPU took the workspace), the same list is fine: nothing protects offset 0.
    let _ = s.workspace_mut().unwrap();
    let h = s.submit(&job).unwrap();
    run_to_end(&mut s, h);
    let _ = sealed;

    // The other way round: a sealed list that writes where a new list would lie.
    let writer: &[Command] = &[dma_out(base + 64)];
    let target: &[Command] = &[Command::End];
    let at = lay_out(&mut s, &[writer, target]);
    s.seal_list(at[0]).unwrap();
    assert!(matches!(
        s.seal_list(at[1]),
        Err(SubmitError::List(ListError::WriteIntoList { .. }))
    ));
}

#[test]
fn sealing_slots_are_few() {
    let mut s = scheduler(WS, Completion::Status);
    let lists: Vec<&[Command]> = vec![&[Command::End]; MAX_SEALED + 1];
    let at = lay_out(&mut s, &lists);
    for &a in &at[..MAX_SEALED] {
        s.seal_list(a).unwrap();
    }
    assert_eq!(s.seal_list(at[MAX_SEALED]), Err(SubmitError::TooManySealed));
}
