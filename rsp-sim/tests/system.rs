//! The SP interface, DMA engine, scalar unit and host API on small programs with results worked
//! out by hand from the documented behaviour (RSP-FACTS.md, n64brew "RSP Interface").

mod common;

use common::*;
use rsp_isa::{AluRegOp, BranchCond, Instr, LoadWidth, ShiftOp, StoreWidth};
use rsp_sim::sp::{status, status_write};
use rsp_sim::{Advance, Rsp, SimError, SpReg, StopReason};

#[test]
fn break_sets_halt_and_broke_and_raises_the_interrupt_only_when_enabled() {
    let mut rsp = load(&[brk()]);
    rsp.run(10).unwrap();
    assert_eq!(
        rsp.status() & (status::HALT | status::BROKE),
        status::HALT | status::BROKE
    );
    assert!(!rsp.sp_interrupt());

    let mut rsp = load(&[brk()]);
    rsp.cpu_write(SpReg::Status, status_write::SET_INTERRUPT_ON_BREAK)
        .unwrap();
    rsp.run(10).unwrap();
    assert!(rsp.sp_interrupt());
    // The CPU acknowledges it through SP_STATUS.
    rsp.cpu_write(SpReg::Status, status_write::CLEAR_INTERRUPT)
        .unwrap();
    assert!(!rsp.sp_interrupt());
    rsp.cpu_write(SpReg::Status, status_write::CLEAR_BROKE)
        .unwrap();
    assert_eq!(rsp.status() & status::BROKE, 0);
}

#[test]
fn ucode_sets_signals_and_halts_itself_through_sp_status() {
    // ori t0, zero, SET_SIGNAL(0)|SET_SIGNAL(2)|SET_HALT ; mtc0 t0, SP_STATUS ; addiu t1,zero,1 ; break
    let bits = status_write::set_signal(0) | status_write::set_signal(2) | status_write::SET_HALT;
    let mut rsp = load(&[
        ori(T0, 0, bits as u16),
        mtc0(T0, SP_STATUS),
        addiu(T1, 0, 1),
        brk(),
    ]);
    assert_eq!(rsp.run(100).unwrap(), StopReason::Halted);
    assert_eq!(
        rsp.status(),
        status::HALT | status::signal(0) | status::signal(2)
    );
    // Halted after the MTC0: the next instruction did not run.
    assert_eq!(rsp.gpr(T1), 0);
    assert_eq!(rsp.pc(), 8);
}

#[test]
fn semaphore_read_sets_write_clears() {
    let mut rsp = Rsp::new();
    assert_eq!(rsp.cpu_read(SpReg::Semaphore), 0);
    assert_eq!(rsp.cpu_read(SpReg::Semaphore), 1);
    rsp.cpu_write(SpReg::Semaphore, 0).unwrap();
    // The RSP side: mfc0 t0, SEMAPHORE (acquire) ; mfc0 t1, SEMAPHORE ; mtc0 zero, SEMAPHORE ;
    // mfc0 t2, SEMAPHORE ; sw t0/t1/t2
    let mut rsp = load(&[
        mfc0(T0, SP_SEMAPHORE),
        mfc0(T1, SP_SEMAPHORE),
        mtc0(0, SP_SEMAPHORE),
        mfc0(T2, SP_SEMAPHORE),
        brk(),
    ]);
    rsp.run(100).unwrap();
    assert_eq!((rsp.gpr(T0), rsp.gpr(T1), rsp.gpr(T2)), (0, 1, 0));
    assert_eq!(rsp.cpu_read(SpReg::Semaphore), 1);
}

#[test]
fn semaphore_wait_is_counted() {
    // 0: mfc0 t0, SEMAPHORE ; 4: bne t0, zero, 0 ; 8: nop ; c: break
    let program = [mfc0(T0, SP_SEMAPHORE), bne(T0, 0, -2), nop(), brk()];
    let mut rsp = load(&program);
    // The CPU holds the semaphore.
    rsp.cpu_read(SpReg::Semaphore);
    rsp.cpu_write(SpReg::Status, status_write::CLEAR_HALT)
        .unwrap();
    assert_eq!(rsp.advance(100).unwrap(), Advance::Running);
    // The CPU releases it; the RSP acquires it on its next poll.
    rsp.cpu_write(SpReg::Semaphore, 0).unwrap();
    assert_eq!(rsp.advance(100).unwrap(), Advance::Halted);
    let s = rsp.stats();
    assert!(
        s.semaphore_wait_cycles >= 100 && s.semaphore_wait_cycles < 100 + 6,
        "{s}"
    );
}

#[test]
fn dma_moves_rows_with_skip_in_both_directions() {
    let mut rsp = Rsp::with_rdram((0..4096u32).map(|i| (i % 251) as u8).collect());
    // RDRAM -> DMEM: 3 rows of 16 bytes from 0x100, skipping 32 bytes between rows.
    rsp.cpu_write(SpReg::MemAddr, 0x200).unwrap();
    rsp.cpu_write(SpReg::DramAddr, 0x100).unwrap();
    rsp.cpu_write(SpReg::RdLen, 15 | (2 << 12) | (32 << 20))
        .unwrap();
    rsp.wait_dma_idle();
    let rd = rsp.rdram().to_vec();
    let expected: Vec<u8> = [0x100..0x110, 0x130..0x140, 0x160..0x170]
        .into_iter()
        .flat_map(|r| rd[r].to_vec())
        .collect();
    assert_eq!(&rsp.dmem()[0x200..0x230], &expected[..]);
    // The address registers read back where the transfer ended.
    assert_eq!(rsp.cpu_read(SpReg::MemAddr), 0x230);
    assert_eq!(rsp.cpu_read(SpReg::DramAddr), 0x170);
    // DMEM -> RDRAM, one row of 24 bytes (length 23 -> 3 units of 8).
    rsp.cpu_write(SpReg::MemAddr, 0x200).unwrap();
    rsp.cpu_write(SpReg::DramAddr, 0x800).unwrap();
    rsp.cpu_write(SpReg::WrLen, 23).unwrap();
    rsp.wait_dma_idle();
    assert_eq!(&rsp.rdram()[0x800..0x818], &expected[..24]);
    assert_eq!(rsp.rdram()[0x818], rd[0x818]);
}

#[test]
fn dma_addresses_and_lengths_ignore_the_low_three_bits() {
    let mut rsp = Rsp::with_rdram((0..256u32).map(|i| i as u8).collect());
    rsp.cpu_write(SpReg::MemAddr, 0x13).unwrap();
    rsp.cpu_write(SpReg::DramAddr, 0x27).unwrap();
    // Length 1 means 2 bytes, rounded up to one 8-byte unit.
    rsp.cpu_write(SpReg::RdLen, 1).unwrap();
    rsp.wait_dma_idle();
    assert_eq!(
        &rsp.dmem()[0x10..0x18],
        &[0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27]
    );
    assert_eq!(rsp.dmem()[0x18], 0);
}

#[test]
fn second_dma_queues_and_sets_full() {
    let mut rsp = Rsp::with_rdram(vec![7; 8192]);
    rsp.cpu_write(SpReg::RdLen, 4095).unwrap();
    assert_eq!(
        rsp.status() & (status::DMA_BUSY | status::DMA_FULL),
        status::DMA_BUSY
    );
    rsp.cpu_write(SpReg::MemAddr, 0x1000).unwrap(); // IMEM
    rsp.cpu_write(SpReg::RdLen, 7).unwrap();
    assert_eq!(
        rsp.status() & (status::DMA_BUSY | status::DMA_FULL),
        status::DMA_BUSY | status::DMA_FULL
    );
    assert_eq!(rsp.cpu_read(SpReg::DmaFull), 1);
    rsp.wait_dma_idle();
    assert_eq!(rsp.status() & (status::DMA_BUSY | status::DMA_FULL), 0);
    assert_eq!(rsp.stats().dma.transfers, 2);
    assert_eq!(&rsp.imem()[..8], &[7; 8]);
}

#[test]
fn dma_into_imem_replaces_the_code_that_runs() {
    // The first program DMAs a second one over IMEM 0x100 and jumps to it.
    let second = bytes(&[addiu(T1, 0, 0x55), sw(T1, 0x40, 0), brk()]);
    let mut rdram = vec![0u8; 4096];
    rdram[0x400..0x400 + second.len()].copy_from_slice(&second);
    let program = [
        ori(T0, 0, 0x1100), // IMEM 0x100
        mtc0(T0, SP_MEM_ADDR),
        ori(T0, 0, 0x400),
        mtc0(T0, SP_DRAM_ADDR),
        ori(T0, 0, 15),
        mtc0(T0, SP_RD_LEN),
        // wait: mfc0 t0, DMA_BUSY ; bne t0, zero, wait ; nop
        mfc0(T0, SP_DMA_BUSY),
        bne(T0, 0, -2),
        nop(),
        Instr::Jump {
            link: false,
            target: 0x100 >> 2,
        },
        nop(),
    ];
    let mut rsp = load(&program);
    rsp.set_rdram(rdram);
    // IMEM 0x100 holds NOPs before the DMA: running them would fall through to zeros forever.
    assert_eq!(rsp.run(10_000).unwrap(), StopReason::Break);
    assert_eq!(rsp.dmem_u32(0x40), 0x55);
}

#[test]
fn dma_beyond_the_rdram_buffer_is_an_error_naming_the_pc() {
    let mut rsp = load(&[
        ori(T0, 0, 0xFF0),
        mtc0(T0, SP_DRAM_ADDR),
        ori(T0, 0, 31),
        mtc0(T0, SP_RD_LEN),
        brk(),
    ]);
    rsp.set_rdram(vec![0; 4096]);
    match rsp.run(100) {
        Err(SimError::DmaOutOfRange {
            pc: Some(0xC),
            dram_addr: 0xFF0,
            dram_end: 0x1010,
            rdram_len: 4096,
        }) => {}
        other => panic!("{other:?}"),
    }
    let mut rsp = Rsp::new();
    assert!(matches!(
        rsp.cpu_write(SpReg::RdLen, 7),
        Err(SimError::DmaOutOfRange { pc: None, .. })
    ));
}

#[test]
fn invalid_instruction_is_an_error_with_pc_and_word() {
    // MULT $t0, $t1 (SPECIAL funct 0x18) does not exist on the RSP.
    let mut rsp = Rsp::new();
    rsp.load_imem(0, &[0, 0, 0, 0, 0x01, 0x09, 0x00, 0x18])
        .unwrap();
    rsp.set_pc(0);
    match rsp.run(100) {
        Err(SimError::InvalidInstruction {
            pc: 4,
            word: 0x0109_0018,
            reason,
        }) => assert!(reason.contains("mult"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn host_accesses_outside_the_memories_are_errors() {
    let mut rsp = Rsp::new();
    assert!(matches!(
        rsp.load_dmem(4090, &[0; 8]),
        Err(SimError::OutOfRange { what: "DMEM", .. })
    ));
    assert!(matches!(
        rsp.load_imem(0, &[0; 4097]),
        Err(SimError::OutOfRange { what: "IMEM", .. })
    ));
}

#[test]
fn scalar_alu_and_shifts() {
    let r = |op, rd, rs, rt| Instr::AluReg { op, rd, rs, rt };
    let program = [
        addiu(T0, 0, -5),              // t0 = 0xFFFFFFFB
        addiu(T1, 0, 3),               // t1 = 3
        r(AluRegOp::Slt, 12, T0, T1),  // -5 < 3 -> 1
        r(AluRegOp::Sltu, 13, T0, T1), // 0xFFFFFFFB < 3 -> 0
        r(AluRegOp::Add, 14, T0, T1),  // -2 (no overflow trap)
        r(AluRegOp::Nor, 15, T0, T1),  // !(0xFFFFFFFB | 3) = 4
        Instr::Shift {
            op: ShiftOp::Sra,
            rd: 16,
            rt: T0,
            sa: 1,
        }, // -3
        Instr::Shift {
            op: ShiftOp::Srl,
            rd: 17,
            rt: T0,
            sa: 28,
        }, // 0xF
        Instr::ShiftVar {
            op: ShiftOp::Sll,
            rd: 18,
            rt: T1,
            rs: T0,
        }, // 3 << (0xFB & 31 = 27)
        Instr::Lui {
            rt: 19,
            imm: 0x8001,
        },
        Instr::AluImm {
            op: rsp_isa::AluImmOp::Sltiu,
            rt: 20,
            rs: T1,
            imm: 0xFFFF,
        }, // 3 < 0xFFFFFFFF
        Instr::AluImm {
            op: rsp_isa::AluImmOp::Xori,
            rt: 21,
            rs: T0,
            imm: 0xFFFF,
        }, // 0xFFFF0004
        addiu(0, 0, 1), // $zero stays 0
        brk(),
    ];
    let mut rsp = load(&program);
    rsp.run(100).unwrap();
    let got: Vec<u32> = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 0]
        .iter()
        .map(|&r| rsp.gpr(r))
        .collect();
    assert_eq!(
        got,
        [
            1,
            0,
            0xFFFF_FFFE,
            4,
            0xFFFF_FFFD,
            0xF,
            3 << 27,
            0x8001_0000,
            1,
            0xFFFF_0004,
            0
        ]
    );
}

#[test]
fn loads_and_stores_of_any_alignment_wrap_at_4k() {
    let program = [
        ori(T0, 0, 0xFFE),
        lw(T1, 0, T0), // bytes FFE FFF 000 001
        Instr::Load {
            width: LoadWidth::Lh,
            rt: T2,
            base: T0,
            offset: 1,
        }, // FFF 000, sign-extended
        Instr::Load {
            width: LoadWidth::Lbu,
            rt: T3,
            base: T0,
            offset: 1,
        },
        Instr::Store {
            width: StoreWidth::Sw,
            rt: T1,
            base: 0,
            offset: 0x101,
        }, // unaligned
        Instr::Store {
            width: StoreWidth::Sh,
            rt: T1,
            base: T0,
            offset: 1,
        }, // FFF, 000
        brk(),
    ];
    let mut rsp = load(&program);
    rsp.load_dmem(0xFFE, &[0x81, 0x82]).unwrap();
    rsp.load_dmem(0, &[0x83, 0x84]).unwrap();
    rsp.run(100).unwrap();
    assert_eq!(rsp.gpr(T1), 0x8182_8384);
    assert_eq!(rsp.gpr(T2), 0xFFFF_8283);
    assert_eq!(rsp.gpr(T3), 0x82);
    assert_eq!(&rsp.dmem()[0x101..0x105], &[0x81, 0x82, 0x83, 0x84]);
    assert_eq!((rsp.dmem()[0xFFF], rsp.dmem()[0]), (0x83, 0x84));
}

#[test]
fn jal_jalr_and_bgezal_link_and_the_pc_wraps() {
    let program = [
        Instr::Jump {
            link: true,
            target: 0x10 >> 2,
        }, // 0x00 -> 0x10, ra = 8
        addiu(T0, 0, 1), // 0x04 delay slot runs
        brk(),           // 0x08 (return lands here)
        nop(),           // 0x0c
        sw(RA, 0x20, 0), // 0x10
        Instr::Branch {
            cond: BranchCond::Bgezal,
            rs: 0,
            rt: 0,
            offset: 2,
        }, // 0x14 -> 0x20, ra = 0x1c
        nop(),           // 0x18
        nop(),           // 0x1c
        sw(RA, 0x24, 0), // 0x20
        ori(T1, 0, 8),   // 0x24
        Instr::Jalr { rd: 12, rs: T1 }, // 0x28 -> 0x08, t4 = 0x30
        nop(),           // 0x2c
    ];
    let mut rsp = load(&program);
    rsp.run(100).unwrap();
    assert_eq!(rsp.dmem_u32(0x20), 8);
    assert_eq!(rsp.dmem_u32(0x24), 0x1C);
    assert_eq!(rsp.gpr(12), 0x30);
    assert_eq!(rsp.gpr(T0), 1);
    assert_eq!(rsp.pc(), 0x0C);

    // A branch from the end of IMEM to "0x1000" lands at 0.
    let mut rsp = Rsp::new();
    rsp.load_imem(0, &bytes(&[brk()])).unwrap();
    rsp.load_imem(0xFF8, &bytes(&[beq(0, 0, 0), nop()]))
        .unwrap();
    rsp.set_pc(0xFF8);
    assert_eq!(rsp.run(100).unwrap(), StopReason::Break);
    assert_eq!(rsp.pc(), 4);
}

#[test]
fn lwu_runs_as_lw() {
    // LWU $t0, 0($zero): opcode 0x27, which the RSP executes as LW (ares decoder).
    let mut rsp = Rsp::new();
    rsp.load_imem(0, &[0x9C, 0x08, 0x00, 0x00, 0, 0, 0, 0x0D])
        .unwrap();
    rsp.load_dmem(0, &[0x89, 0xAB, 0xCD, 0xEF]).unwrap();
    rsp.set_pc(0);
    rsp.run(10).unwrap();
    assert_eq!(rsp.gpr(T0), 0x89AB_CDEF);
}

#[test]
fn trace_records_each_instruction_with_its_changes() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let records: Rc<RefCell<Vec<rsp_sim::TraceRecord>>> = Rc::default();
    let sink = records.clone();
    let mut rsp = load(&[addiu(T0, 0, 0x10), lqv(1, 0, T0), sqv(1, 4, 0), brk()]);
    rsp.load_dmem(
        0x10,
        &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
    )
    .unwrap();
    rsp.set_tracer(Some(Box::new(move |r| sink.borrow_mut().push(r.clone()))));
    rsp.run(100).unwrap();
    let records = records.borrow();
    assert_eq!(records.len(), 4);
    assert_eq!(records[0].pc, 0);
    assert_eq!(
        records[0].changes,
        vec![rsp_sim::Change::Gpr {
            reg: T0,
            value: 0x10
        }]
    );
    assert!(records[1].text.starts_with("lqv"), "{}", records[1].text);
    assert_eq!(
        records[1].changes,
        vec![rsp_sim::Change::Vreg {
            reg: 1,
            value: [0x0102, 0x0304, 0x0506, 0x0708, 0x090A, 0x0B0C, 0x0D0E, 0x0F10]
        }]
    );
    assert_eq!(
        records[2].changes,
        vec![rsp_sim::Change::Dmem {
            addr: 0x40,
            bytes: (1..=16).collect()
        }]
    );
    assert!(records[3]
        .changes
        .contains(&rsp_sim::Change::Status(status::HALT | status::BROKE)));
    let line = records[0].to_string();
    assert!(line.contains("$t0=00000010"), "{line}");
}

#[test]
fn advance_idles_a_halted_rsp_while_dma_runs() {
    let mut rsp = Rsp::with_rdram(vec![9; 4096]);
    rsp.cpu_write(SpReg::RdLen, 1023).unwrap();
    assert_eq!(rsp.advance(50).unwrap(), Advance::Halted);
    assert!(rsp.status() & status::DMA_BUSY != 0);
    rsp.advance(10_000).unwrap();
    assert_eq!(rsp.status() & status::DMA_BUSY, 0);
    assert_eq!(rsp.stats().cycles, 10_050);
    assert_eq!(rsp.stats().halted_cycles, 10_050);
    assert_eq!(&rsp.dmem()[..1024], &[9; 1024][..]);
}
