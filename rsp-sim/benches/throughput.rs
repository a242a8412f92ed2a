//! Simulated RSP instructions per second on a realistic ucode inner loop: a matrix-vector
//! multiply-accumulate step (LQV weights, LPV packed inputs, VMACF into four accumulators, a
//! counted BGTZ loop with a vector op in the delay slot), run to BREAK.
//!
//! Run with `cargo bench -p rsp-sim`; criterion prints the throughput in elements (= simulated
//! instructions) per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rsp_isa::{AluImmOp, BranchCond, Instr, VMemOp, VecOp};
use rsp_sim::Rsp;

const ITERATIONS: u16 = 20_000;

fn program() -> Vec<u8> {
    let addiu = |rt, rs, imm: i16| Instr::AluImm {
        op: AluImmOp::Addiu,
        rt,
        rs,
        imm: imm as u16,
    };
    let lqv = |vt, offset, base| Instr::VLoad {
        op: VMemOp::Qv,
        vt,
        e: 0,
        base,
        offset,
    };
    let lpv = |vt, offset, base| Instr::VLoad {
        op: VMemOp::Pv,
        vt,
        e: 0,
        base,
        offset,
    };
    let vmacf = |vd, vs, vt, e| Instr::Vector {
        op: VecOp::Vmacf,
        vd,
        vs,
        vt,
        e,
    };
    let (s0, s1, t0) = (16, 17, 8);
    let mut p = vec![
        addiu(s0, 0, 0x000),
        addiu(s1, 0, 0x800),
        addiu(t0, 0, ITERATIONS as i16),
        Instr::Shift {
            op: rsp_isa::ShiftOp::Sll,
            rd: 0,
            rt: 0,
            sa: 0,
        },
    ];
    // loop (at 0x10, 8-byte aligned):
    let body = [
        lqv(1, 0, s0),
        vmacf(16, 3, 20, 8),
        lqv(2, 1, s0),
        vmacf(17, 4, 20, 9),
        lpv(3, 0, s1),
        vmacf(18, 1, 20, 10),
        lpv(4, 1, s1),
        vmacf(19, 2, 20, 11),
        addiu(s0, s0, 0x20),
        addiu(s1, s1, 0x10),
        addiu(t0, t0, -1),
    ];
    p.extend_from_slice(&body);
    let branch_index = p.len() as i16;
    p.push(Instr::Branch {
        cond: BranchCond::Bgtz,
        rs: t0,
        rt: 0,
        offset: 4 - (branch_index + 1),
    });
    p.push(Instr::Vector {
        op: VecOp::Vmulf,
        vd: 21,
        vs: 16,
        vt: 17,
        e: 0,
    });
    p.push(Instr::Break { code: 0 });
    p.iter().flat_map(|i| i.encode().to_be_bytes()).collect()
}

fn bench(c: &mut Criterion) {
    let mut rsp = Rsp::new();
    rsp.load_imem(0, &program()).unwrap();
    let dmem: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    rsp.load_dmem(0, &dmem).unwrap();
    rsp.set_pc(0);
    rsp.run(10_000_000).unwrap();
    let per_run = rsp.stats().instructions;
    println!(
        "one run: {} instructions, {} cycles, {} stall cycles, {} dual-issued groups",
        per_run,
        rsp.stats().cycles,
        rsp.stats().stalls.total(),
        rsp.stats().dual_issued
    );
    let mut group = c.benchmark_group("rsp-sim");
    group.throughput(Throughput::Elements(per_run));
    group.bench_function("mac_loop_instructions", |b| {
        b.iter(|| {
            rsp.set_pc(0);
            rsp.run(10_000_000).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
