//! The cycle model on small programs whose cycle counts follow from the rules
//! (RSP-FACTS.md "Timing"; the rules are listed in `src/pipeline.rs`):
//! - one scalar + one vector op issue together unless the second uses a vector register (or
//!   flag) the first writes;
//! - a vector result is ready 4 cycles after issue: a reader 1/2/3 groups later stalls 3/2/1;
//! - a scalar load's result is ready 3 cycles after issue: a reader 1/2 groups later stalls 2/1;
//! - a store two groups after a load costs one bubble;
//! - a delay slot issues alone, a taken branch costs one cycle, an unaligned target issues alone;
//! - a DMA row of N bytes takes ceil((41 + 0.2724 N) * 2/3) RSP cycles.
//!
//! Each expected count is written out as its sum of groups and stalls.

mod common;

use common::*;
use rsp_isa::{Instr, VecOp};
use rsp_sim::{SpReg, StopReason};

fn run(program: &[Instr]) -> rsp_sim::Stats {
    let mut rsp = load(program);
    assert_eq!(rsp.run(10_000).unwrap(), StopReason::Break);
    *rsp.stats()
}

#[test]
fn scalar_and_vector_ops_pair() {
    let s = run(&[
        vmulf(1, 2, 3),
        addiu(T0, T0, 1),
        vmulf(4, 5, 6),
        addiu(T1, T1, 1),
        brk(),
    ]);
    // (vmulf, addiu) (vmulf, addiu) (break)
    assert_eq!(
        (s.cycles, s.instructions, s.dual_issued, s.stalls.total()),
        (3, 5, 2, 0)
    );
}

#[test]
fn two_vector_ops_do_not_pair() {
    let s = run(&[
        vmulf(1, 2, 3),
        vmulf(4, 5, 6),
        addiu(T0, T0, 1),
        addiu(T1, T1, 1),
        brk(),
    ]);
    // (vmulf) (vmulf, addiu) (addiu) (break): two scalar ops do not pair either.
    assert_eq!((s.cycles, s.dual_issued), (4, 1));
}

#[test]
fn a_vector_load_does_not_pair_with_its_reader() {
    let s = run(&[lqv(1, 0, 0), vmulf(2, 1, 1), brk()]);
    // (lqv) then vmulf waits 3 for v1 and issues with break: 1 + 3 + 1.
    assert_eq!(
        (s.cycles, s.stalls.vector_dependency, s.dual_issued),
        (5, 3, 1)
    );
    let s = run(&[lqv(1, 0, 0), vmulf(2, 3, 3), brk()]);
    // (lqv, vmulf) (break)
    assert_eq!((s.cycles, s.dual_issued), (2, 1));
}

#[test]
fn dependent_vector_chain_stalls_three_cycles_per_link() {
    let s = run(&[vmulf(1, 2, 3), vmulf(4, 1, 3), vmulf(5, 4, 3), brk()]);
    // (vmulf) [3] (vmulf) [3] (vmulf, break)
    assert_eq!(
        (s.cycles, s.stalls.vector_dependency),
        (1 + 3 + 1 + 3 + 1, 6)
    );
    let s = run(&[vmulf(1, 2, 3), vmulf(7, 8, 9), vmulf(4, 1, 3), brk()]);
    // One independent op in between: the reader is 2 groups later and waits 2.
    assert_eq!((s.cycles, s.stalls.vector_dependency), (1 + 1 + 2 + 1, 2));
    let s = run(&[
        vmulf(1, 2, 3),
        vmulf(7, 8, 9),
        vmulf(10, 8, 9),
        vmulf(4, 1, 3),
        brk(),
    ]);
    // Three groups later: 1 stall; four groups later: none.
    assert_eq!(
        (s.cycles, s.stalls.vector_dependency),
        (1 + 1 + 1 + 1 + 1, 1)
    );
}

#[test]
fn accumulator_chains_run_one_per_cycle() {
    let s = run(&[
        vmulf(1, 2, 3),
        vmacf(4, 5, 6),
        vmacf(7, 8, 9),
        vmacf(10, 11, 12),
        brk(),
    ]);
    // The accumulator is not a register dependency: (vmulf)(vmacf)(vmacf)(vmacf, break).
    assert_eq!((s.cycles, s.stalls.total()), (4, 0));
}

#[test]
fn scalar_load_use_stalls_two_then_one() {
    let s = run(&[lw(T0, 0, 0), addiu(T1, T0, 1), brk()]);
    // (lw) [2] (addiu) (break)
    assert_eq!((s.cycles, s.stalls.scalar_load_use), (1 + 2 + 1 + 1, 2));
    let s = run(&[lw(T0, 0, 0), addiu(T2, T2, 1), addiu(T1, T0, 1), brk()]);
    // (lw) (addiu) [1] (addiu) (break)
    assert_eq!((s.cycles, s.stalls.scalar_load_use), (1 + 1 + 1 + 1 + 1, 1));
    let s = run(&[addiu(T0, 0, 5), addiu(T1, T0, 1), brk()]);
    // ALU results are bypassed.
    assert_eq!((s.cycles, s.stalls.total()), (3, 0));
}

#[test]
fn mfc2_and_cfc2_have_load_latency() {
    let mfc2 = Instr::Mfc2 {
        rt: T0,
        vs: 1,
        e: 0,
    };
    let s = run(&[mfc2, addiu(T1, T0, 1), brk()]);
    assert_eq!(s.stalls.scalar_load_use, 2);
    let cfc2 = Instr::Cfc2 { rt: T0, rd: 0 };
    let s = run(&[cfc2, addiu(T1, T0, 1), brk()]);
    assert_eq!(s.stalls.scalar_load_use, 2);
}

#[test]
fn store_two_groups_after_a_load_costs_a_bubble() {
    let s = run(&[lw(T0, 0, 0), addiu(T2, T2, 1), sw(T2, 4, 0), brk()]);
    // (lw) (addiu) [1] (sw) (break)
    assert_eq!((s.cycles, s.stalls.load_store), (1 + 1 + 1 + 1 + 1, 1));
    let s = run(&[lw(T0, 0, 0), sw(T2, 4, 0), brk()]);
    // Right after the load there is no bubble.
    assert_eq!((s.cycles, s.stalls.total()), (3, 0));
}

#[test]
fn flag_writer_does_not_pair_with_flag_reader() {
    let vaddc = vop(VecOp::Vaddc, 1, 2, 3);
    let s = run(&[vaddc, Instr::Cfc2 { rt: T0, rd: 0 }, brk()]);
    // (vaddc) (cfc2) (break): cfc2 reads VCO, which vaddc writes.
    assert_eq!((s.cycles, s.dual_issued), (3, 0));
    let s = run(&[vaddc, Instr::Cfc2 { rt: T0, rd: 1 }, brk()]);
    // VCC is not written by vaddc: (vaddc, cfc2) (break)
    assert_eq!((s.cycles, s.dual_issued), (2, 1));
}

#[test]
fn taken_branch_costs_one_cycle_and_its_delay_slot_issues_alone() {
    // 0x00 addiu ; 0x04 beq -> 0x10 ; 0x08 vmulf (delay slot) ; 0x0c addiu (skipped) ; 0x10 break
    let s = run(&[
        addiu(T0, 0, 1),
        beq(0, 0, 2),
        vmulf(1, 2, 3),
        addiu(T1, 0, 1),
        brk(),
    ]);
    // (addiu) (beq) (vmulf) [taken 1] (break). The vmulf would pair with break otherwise.
    assert_eq!(
        (s.cycles, s.instructions, s.stalls.taken_branch),
        (1 + 1 + 1 + 1 + 1, 4, 1)
    );
    // Not taken: no extra cycle, the delay slot still issues alone.
    let s = run(&[
        addiu(T0, 0, 1),
        bne(0, 0, 2),
        vmulf(1, 2, 3),
        addiu(T1, 0, 1),
        brk(),
    ]);
    // (addiu) (bne) (vmulf) (addiu) (break)
    assert_eq!((s.cycles, s.instructions, s.stalls.total()), (5, 5, 0));
}

#[test]
fn unaligned_branch_target_issues_alone() {
    // Target 0x10 (aligned): (vmulf, addiu) pair at the target.
    let aligned = [
        beq(0, 0, 3),
        nop(),
        nop(),
        nop(),
        vmulf(1, 2, 3),
        addiu(T0, 0, 1),
        brk(),
    ];
    let s = run(&aligned);
    // (beq) (nop) [1] (vmulf, addiu) (break)
    assert_eq!((s.cycles, s.dual_issued), (5, 1));
    // Target 0x0c (not 8-byte aligned): the group at the target issues alone.
    let unaligned = [
        beq(0, 0, 2),
        nop(),
        nop(),
        vmulf(1, 2, 3),
        addiu(T0, 0, 1),
        brk(),
    ];
    let s = run(&unaligned);
    // (beq) (nop) [1] (vmulf) (addiu) (break)
    assert_eq!((s.cycles, s.dual_issued), (6, 0));
}

/// ceil((41 + 0.2724 * bytes) * 2 / 3), computed here in floating point.
fn expected_row_cycles(bytes: u32) -> u64 {
    ((41.0 + 0.2724 * bytes as f64) * 2.0 / 3.0 - 1e-9).ceil() as u64
}

#[test]
fn dma_takes_the_measured_time() {
    for bytes in [8u32, 64, 1024, 4096] {
        let mut rsp = rsp_sim::Rsp::with_rdram((0..8192u32).map(|i| i as u8).collect());
        rsp.cpu_write(SpReg::MemAddr, 0).unwrap();
        rsp.cpu_write(SpReg::DramAddr, 0x400).unwrap();
        rsp.cpu_write(SpReg::RdLen, bytes - 1).unwrap();
        assert_ne!(rsp.status() & rsp_sim::sp::status::DMA_BUSY, 0);
        let waited = rsp.wait_dma_idle();
        assert_eq!(waited, expected_row_cycles(bytes), "{bytes} bytes");
        assert_eq!(
            &rsp.dmem()[..bytes as usize],
            &rsp.rdram()[0x400..0x400 + bytes as usize]
        );
    }
    // ~5.5 bytes per RSP cycle for large transfers (RSP-FACTS "Timing").
    let rate = 4096.0 / expected_row_cycles(4096) as f64;
    assert!((5.0..6.0).contains(&rate), "{rate}");
}

#[test]
fn dma_rows_each_take_a_row_time() {
    let mut rsp = rsp_sim::Rsp::with_rdram(vec![0xAB; 8192]);
    rsp.cpu_write(SpReg::DramAddr, 0).unwrap();
    // 4 rows of 64 bytes, 64 bytes skipped between rows.
    rsp.cpu_write(SpReg::RdLen, 63 | (3 << 12) | (64 << 20))
        .unwrap();
    assert_eq!(rsp.wait_dma_idle(), 4 * expected_row_cycles(64));
}

/// Ucode that starts a DMA of `bytes` into DMEM 0x100, optionally does `work` groups of
/// independent work, then polls SP_DMA_BUSY until the transfer is done.
fn dma_then_poll(bytes: u32, work: usize) -> (rsp_sim::Rsp, u64) {
    let mut program = vec![
        ori(T0, 0, 0x100),
        mtc0(T0, SP_MEM_ADDR),
        ori(T1, 0, 0x800),
        mtc0(T1, SP_DRAM_ADDR),
        ori(T2, 0, (bytes - 1) as u16),
        mtc0(T2, SP_RD_LEN),
    ];
    for k in 0..work {
        program.push(addiu(T3, T3, k as i16));
    }
    let poll = program.len() as i16;
    program.push(mfc0(T0, SP_DMA_BUSY));
    program.push(bne(T0, 0, poll - (poll + 2)));
    program.push(nop());
    program.push(brk());
    let mut rsp = load(&program);
    for (i, b) in rsp.rdram_mut()[0x800..0x800 + bytes as usize]
        .iter_mut()
        .enumerate()
    {
        *b = (i * 3) as u8;
    }
    rsp.run(100_000).unwrap();
    // Six single-issue scalar ops, plus one bubble before each of the second and third MTC0:
    // coprocessor moves count as loads and as stores, so each MTC0 is a store two groups
    // after a load. The MTC0 to SP_RD_LEN issues in cycle 7 (from 0).
    assert_eq!(rsp.stats().stalls.load_store, 2);
    let rd_len_issue = 7;
    (rsp, rd_len_issue)
}

#[test]
fn polling_ucode_waits_for_the_dma_and_the_wait_is_reported() {
    let bytes = 2048;
    let (rsp, issue) = dma_then_poll(bytes, 0);
    let s = rsp.stats();
    let transfer = expected_row_cycles(bytes);
    assert_eq!(
        &rsp.dmem()[0x100..0x100 + bytes as usize],
        &rsp.rdram()[0x800..0x800 + bytes as usize]
    );
    // The transfer ends in cycle issue + transfer. The poll loop takes 6 cycles per iteration
    // (mfc0, 2 cycles until bne can read its result, bne, the delay slot, the taken-branch
    // cycle), so the first poll that sees it done issues at most 5 cycles later, and that
    // poll, bne, nop and break take 6 more.
    let done = issue + transfer;
    assert!(s.cycles >= done + 6 && s.cycles <= done + 5 + 6, "{s}");
    // All of the transfer after the first poll (issued 1 cycle after the MTC0) was spent
    // waiting, up to the poll that saw it done.
    assert!(
        s.dma_wait_cycles >= transfer - 1 && s.dma_wait_cycles <= transfer - 1 + 5,
        "{s}"
    );
    assert_eq!(s.dma.transfers, 1);
    assert_eq!(s.dma.bytes, bytes as u64);
}

#[test]
fn work_that_covers_the_transfer_hides_it() {
    let bytes = 512;
    let transfer = expected_row_cycles(bytes) as usize;
    let (rsp, _) = dma_then_poll(bytes, transfer + 2);
    assert_eq!(rsp.stats().dma_wait_cycles, 0);
    assert_eq!(
        &rsp.dmem()[0x100..0x100 + bytes as usize],
        &rsp.rdram()[0x800..0x800 + bytes as usize]
    );
}

#[test]
fn dp_clock_counts_rsp_cycles() {
    // mfc0 t0, DPC_CLOCK ; nop x3 ; mfc0 t1, DPC_CLOCK ; sw t0 ; sw t1 ; break
    let program = [
        mfc0(T0, DPC_CLOCK),
        nop(),
        nop(),
        nop(),
        mfc0(T1, DPC_CLOCK),
        sw(T0, 0, 0),
        sw(T1, 4, 0),
        brk(),
    ];
    let mut rsp = load(&program);
    rsp.run(1000).unwrap();
    let (a, b) = (rsp.dmem_u32(0), rsp.dmem_u32(4));
    // Four single-issue groups between the two reads.
    assert_eq!(b - a, 4);
}
