//! rsp-sim's data-cache model (`rspnn::sim`, issue 17 item 12): 16-byte lines, dirty lines that
//! land over the RSP's results unless written back before it runs, partial-line invalidates
//! and cache calls on unmapped memory refused. The direct tests play the RSP's write with the
//! simulator's RDRAM; the scheduler tests show a job through it coming out right only with
//! every cache call the scheduler makes.

mod common;

use common::*;
use rspnn::hw::RspHardware;
use rspnn::sim::SimRsp;
use rspnn::{Completion, Job, Span};
use rspnn_ucode::{Command, RdramImage};

const AT: u32 = 0x2000;

/// A simulator with a mapped 64-byte buffer at RDRAM [`AT`], written back once.
fn mapped() -> (SimRsp, &'static mut [u8]) {
    let mut sim = SimRsp::new(RDRAM_BYTES);
    let buf = leak(64);
    sim.map(buf, AT).unwrap();
    sim.writeback_invalidate(buf);
    (sim, buf)
}

/// The RSP writes `byte` over RDRAM [AT + from, AT + to).
fn rsp_writes(sim: &mut SimRsp, from: usize, to: usize, byte: u8) {
    let at = AT as usize;
    sim.rsp_mut().rdram_mut()[at + from..at + to].fill(byte);
}

fn rdram(sim: &SimRsp, from: usize, to: usize) -> Vec<u8> {
    sim.rsp().rdram()[AT as usize + from..AT as usize + to].to_vec()
}

#[test]
fn a_dirty_line_not_written_back_before_the_rsp_runs_lands_over_its_result() {
    // Without the writeback-invalidate: the CPU's dirty line is evicted over the result.
    let (mut sim, buf) = mapped();
    buf[..16].fill(0x11);
    rsp_writes(&mut sim, 0, 16, 0xEE);
    sim.invalidate(&mut buf[..16]);
    assert_eq!(&buf[..16], &[0x11; 16], "the CPU reads its own stale bytes");
    assert_eq!(rdram(&sim, 0, 16), [0x11; 16], "and RDRAM lost the result");

    // With it (what the scheduler does with Job::from_rsp): the CPU reads the RSP's bytes.
    let (mut sim, buf) = mapped();
    buf[..16].fill(0x11);
    sim.writeback_invalidate(&mut buf[..16]);
    rsp_writes(&mut sim, 0, 16, 0xEE);
    sim.invalidate(&mut buf[..16]);
    assert_eq!(&buf[..16], &[0xEE; 16]);
}

#[test]
fn a_missing_writeback_leaves_the_rsp_reading_stale_rdram_and_a_missing_invalidate_the_cpu() {
    let (mut sim, buf) = mapped();
    buf[16..32].fill(0x22);
    assert_eq!(
        rdram(&sim, 16, 32),
        [0; 16],
        "a dirty line is never evicted early"
    );
    sim.writeback(&buf[16..32]);
    assert_eq!(rdram(&sim, 16, 32), [0x22; 16]);
    rsp_writes(&mut sim, 16, 32, 0x33);
    assert_eq!(
        &buf[16..32],
        &[0x22; 16],
        "clean but stale until invalidated"
    );
    // A writeback of a clean stale line writes nothing: the RSP's bytes stay.
    sim.writeback(&buf[16..32]);
    assert_eq!(rdram(&sim, 16, 32), [0x33; 16]);
    sim.invalidate(&mut buf[16..32]);
    assert_eq!(&buf[16..32], &[0x33; 16]);
}

#[test]
fn a_dirty_line_is_written_back_whole() {
    let (mut sim, buf) = mapped();
    // The RSP changed bytes 0..16; the CPU, holding the line stale, writes one byte of it.
    rsp_writes(&mut sim, 0, 16, 0x44);
    buf[3] = 0x55;
    sim.writeback(&buf[..16]);
    // The whole line goes out: the CPU's stale zeros overwrite the RSP's other 15 bytes.
    let mut want = [0u8; 16];
    want[3] = 0x55;
    assert_eq!(rdram(&sim, 0, 16), want);
}

#[test]
#[should_panic(expected = "is not whole 16-byte lines")]
fn an_invalidate_of_part_of_a_line_is_refused() {
    let (mut sim, buf) = mapped();
    sim.invalidate(&mut buf[8..24]);
}

#[test]
#[should_panic(expected = "which no SimRsp::map covers")]
fn a_cache_call_on_unmapped_memory_is_refused() {
    let (mut sim, _) = mapped();
    let elsewhere = leak(32);
    sim.writeback(elsewhere);
}

#[test]
#[should_panic(expected = "which no SimRsp::map covers")]
fn a_cache_call_running_past_a_mapping_is_refused() {
    let mut sim = SimRsp::new(RDRAM_BYTES);
    let buf = leak(64);
    sim.map(&buf[..32], AT).unwrap();
    sim.invalidate(&mut buf[16..48]);
}

#[test]
fn a_job_reads_back_the_rsp_result_over_a_line_the_cpu_dirtied() {
    // The CPU scribbles over the result area before the job (a dirty line there): the
    // scheduler's writeback-invalidate of Job::from_rsp at submit keeps it off the result.
    let mut s = scheduler(4096, Completion::Status);
    let base = s.workspace_rdram();
    let ws = s.workspace_mut().unwrap();
    let list = [
        Command::DmaIn {
            dmem: 0x400,
            len: 16,
            rdram: base + 1024,
        },
        Command::DmaOut {
            dmem: 0x400,
            len: 16,
            rdram: base + 2048,
        },
        Command::End,
    ];
    ws[1024..1040].copy_from_slice(b"from the RSP....");
    RdramImage::new(&mut ws[..1024], base)
        .unwrap()
        .put_commands_unchecked(&list)
        .unwrap();
    s.writeback_workspace().unwrap();
    s.workspace_mut().unwrap()[2048..2064].fill(b'x');
    let from = [Span::new(2048, 16)];
    let h = s
        .submit(&Job {
            cmd_list: 0,
            to_rsp: &[],
            from_rsp: &from,
        })
        .unwrap();
    s.wait(h, || {}).unwrap();
    assert_eq!(&s.workspace().unwrap()[2048..2064], b"from the RSP....");
}
