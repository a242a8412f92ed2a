//! The scheduler on rsp-sim: jobs built from the ucode crate's builders run to the oracle's
//! answer without the CPU waiting; overlapping submissions are refused; bad addresses are
//! refused before anything starts; hung, crashed and refused jobs are reported; cache
//! maintenance happens in the right order, and is needed (the simulated cache is real).

mod common;

use common::*;
use kernels::matvec::{BlockMatrix, WeightBits};
use rspnn::memory::{AddressError, Span};
use rspnn::plan::MatvecChain;
use rspnn::regs;
use rspnn::sim::{Event, SimRsp};
use rspnn::{
    Completion, Config, Fault, Job, LoadError, Poll, PollError, RspHardware, Scheduler,
    SubmitError, Ucode,
};
use rspnn_ucode::command::op;
use rspnn_ucode::layout::status;
use rspnn_ucode::{Command, RdramImage};

const WS: usize = 64 * 1024;

/// Two random matrices (Q8 256x128, then Q4 128x256), an input, the oracle's output.
struct Case {
    recs: Vec<Vec<u8>>,
    x: Vec<i16>,
}

impl Case {
    fn new(seed: u64) -> Case {
        let mut rng = Lcg(seed);
        let recs = vec![
            random_records(&mut rng, WeightBits::Q8, 256, 128),
            random_records(&mut rng, WeightBits::Q4, 128, 256),
        ];
        let x = (0..128).map(|_| rng.i16_within(3000)).collect();
        Case { recs, x }
    }
    fn matrices(&self) -> Vec<BlockMatrix<'_>> {
        vec![
            BlockMatrix::new(WeightBits::Q8, 256, 128, 0, &self.recs[0]).unwrap(),
            BlockMatrix::new(WeightBits::Q4, 128, 256, 2, &self.recs[1]).unwrap(),
        ]
    }
    fn want(&self) -> Vec<i16> {
        chain_oracle(&self.matrices(), &self.x)
    }
}

/// Lays the case out in the scheduler's workspace and writes it all back.
fn lay_out(s: &mut Scheduler<SimRsp>, case: &Case) -> MatvecChain {
    let base = s.workspace_rdram();
    let ws = s.workspace_mut().expect("idle");
    let mut img = RdramImage::new(ws, base).unwrap();
    let chain = MatvecChain::build(&mut img, base, &case.matrices(), &case.x).unwrap();
    s.writeback_workspace().unwrap();
    chain
}

#[test]
fn a_chain_runs_while_the_game_loop_keeps_going() {
    let case = Case::new(7);
    for completion in [Completion::Status, Completion::Interrupt] {
        let mut s = scheduler(WS, completion);
        let chain = lay_out(&mut s, &case);
        let from = [Span::new(chain.y, chain.y_bytes)];
        let h = s
            .submit(&Job {
                cmd_list: chain.cmd_list,
                to_rsp: &[],
                from_rsp: &from,
            })
            .unwrap();
        // The game loop: one frame per poll; the simulated RSP advances 2,000 cycles per poll.
        let mut frames = 0u32;
        let done = loop {
            match s.poll(h).unwrap() {
                Poll::Running { .. } => frames += 1,
                Poll::Done(d) => break d,
            }
        };
        let got = be_i16s(&s.workspace().unwrap()[chain.y..chain.y + 256]);
        assert_eq!(got, case.want(), "{completion:?}");
        // 34,816 + 18,432 bytes of weights alone take > 10,000 RSP cycles of DMA
        // (RSP-FACTS: ~5.5 bytes per RSP cycle), so the game got several frames.
        assert!(
            frames >= 5,
            "{completion:?}: only {frames} frames ran while the RSP worked"
        );
        assert!(done.elapsed_ticks >= 10_000, "{done:?}");
        assert_eq!(s.running(), None);
        // The handle is spent.
        assert_eq!(s.poll(h), Err(PollError::NotRunning { handle: h }));
    }
}

#[test]
fn the_same_job_runs_again_after_the_cpu_patches_its_input() {
    let case = Case::new(11);
    let mut s = scheduler(WS, Completion::Status);
    let chain = lay_out(&mut s, &case);
    let from = [Span::new(chain.y, chain.y_bytes)];
    let first = s
        .submit(&Job {
            cmd_list: chain.cmd_list,
            to_rsp: &[],
            from_rsp: &from,
        })
        .unwrap();
    s.wait(first, || {}).unwrap();

    // New x, written by the CPU and named in to_rsp.
    let mut other = Case::new(12);
    other.recs = case.recs.clone();
    let ws = s.workspace_mut().unwrap();
    for (i, v) in other.x.iter().enumerate() {
        ws[chain.x + 2 * i..chain.x + 2 * i + 2].copy_from_slice(&v.to_be_bytes());
    }
    let x_span = [Span::new(chain.x, 256)];
    let second = s
        .submit(&Job {
            cmd_list: chain.cmd_list,
            to_rsp: &x_span,
            from_rsp: &from,
        })
        .unwrap();
    assert_ne!(second, first);
    s.wait(second, || {}).unwrap();
    let got = be_i16s(&s.workspace().unwrap()[chain.y..chain.y + 256]);
    assert_eq!(got, other.want());
    assert_ne!(got, case.want());
}

#[test]
fn forgetting_a_cache_call_gives_stale_data() {
    let case = Case::new(13);
    let mut s = scheduler(WS, Completion::Status);
    let chain = lay_out(&mut s, &case);
    let from = [Span::new(chain.y, chain.y_bytes)];
    // Without from_rsp the CPU's view of y is never refreshed: still the zeros laid out.
    let h = s
        .submit(&Job {
            cmd_list: chain.cmd_list,
            to_rsp: &[],
            from_rsp: &[],
        })
        .unwrap();
    s.wait(h, || {}).unwrap();
    assert!(s.workspace().unwrap()[chain.y..chain.y + 256]
        .iter()
        .all(|&b| b == 0));
    // Without to_rsp the RSP never sees the CPU's new x: y stays the old input's.
    let other = Case::new(14);
    let ws = s.workspace_mut().unwrap();
    for (i, v) in other.x.iter().enumerate() {
        ws[chain.x + 2 * i..chain.x + 2 * i + 2].copy_from_slice(&v.to_be_bytes());
    }
    let h = s
        .submit(&Job {
            cmd_list: chain.cmd_list,
            to_rsp: &[],
            from_rsp: &from,
        })
        .unwrap();
    s.wait(h, || {}).unwrap();
    assert_eq!(
        be_i16s(&s.workspace().unwrap()[chain.y..chain.y + 256]),
        case.want()
    );
}

#[test]
fn cache_maintenance_and_register_writes_come_in_order() {
    let case = Case::new(15);
    let mut s = scheduler(WS, Completion::Status);
    let chain = lay_out(&mut s, &case);
    s.hardware().take_events();
    let to = [Span::new(chain.x, 256)];
    let from = [Span::new(chain.y, chain.y_bytes)];
    let h = s
        .submit(&Job {
            cmd_list: chain.cmd_list,
            to_rsp: &to,
            from_rsp: &from,
        })
        .unwrap();
    let at_submit = s.hardware().take_events();
    let base = WORKSPACE_RDRAM;
    assert_eq!(
        at_submit,
        vec![
            // The command list (DMA_IN, 2 MATVECs, DMA_OUT, END: two 64-byte fetches), made
            // RDRAM's and checked; then the job's spans; then the registers.
            Event::WritebackInvalidate {
                rdram: base + chain.cmd_list as u32,
                len: 128
            },
            Event::Writeback {
                rdram: base + chain.x as u32,
                len: 256
            },
            Event::WritebackInvalidate {
                rdram: base + chain.y as u32,
                len: chain.y_bytes
            },
            Event::DmemWrite { addr: 0, len: 16 },
            Event::SetPc(0),
            Event::StatusWrite(regs::START),
        ]
    );
    // Nothing is invalidated while the RSP runs: only the final poll does it, after it has
    // seen the halt, and before handing the workspace back.
    let mut seen_running = false;
    while let Poll::Running { .. } = s.poll(h).unwrap() {
        seen_running = true;
        assert!(
            s.hardware().events().is_empty(),
            "{:?}",
            s.hardware().events()
        );
        assert!(s.workspace().is_err());
    }
    assert!(seen_running);
    assert_eq!(
        s.hardware().take_events(),
        vec![
            Event::StatusWrite(regs::ACKNOWLEDGE),
            Event::Invalidate {
                rdram: base + chain.y as u32,
                len: chain.y_bytes
            },
            Event::DmemRead { addr: 0, len: 16 },
        ]
    );
}

#[test]
fn a_second_submission_while_one_runs_is_refused() {
    let case = Case::new(17);
    let mut s = scheduler(WS, Completion::Status);
    let chain = lay_out(&mut s, &case);
    let from = [Span::new(chain.y, chain.y_bytes)];
    let job = Job {
        cmd_list: chain.cmd_list,
        to_rsp: &[],
        from_rsp: &from,
    };
    let h = s.submit(&job).unwrap();
    assert_eq!(s.submit(&job), Err(SubmitError::Busy { running: h }));
    assert_eq!(
        s.load_imem(0x800, &[0; 8]),
        Err(LoadError::Busy { running: h })
    );
    assert_eq!(
        s.load_ucode(&Ucode::RSPNN),
        Err(LoadError::Busy { running: h })
    );
    assert_eq!(s.workspace_mut().err(), Some(h));
    assert_eq!(s.writeback_workspace(), Err(h));
    assert_eq!(s.set_config(s.config()), Err(h));
    s.wait(h, || {}).unwrap();
    // Idle again: the same job is accepted.
    let again = s.submit(&job).unwrap();
    s.wait(again, || {}).unwrap();
    assert_eq!(
        be_i16s(&s.workspace().unwrap()[chain.y..chain.y + 256]),
        case.want()
    );
}

#[test]
fn bad_addresses_are_refused_before_anything_starts() {
    let case = Case::new(19);
    let mut s = scheduler(WS, Completion::Status);
    let chain = lay_out(&mut s, &case);
    s.hardware().take_events();
    let misaligned_list = Job {
        cmd_list: chain.cmd_list + 4,
        to_rsp: &[],
        from_rsp: &[],
    };
    assert_eq!(
        s.submit(&misaligned_list),
        Err(SubmitError::Address(AddressError::Misaligned {
            what: "command list offset",
            value: chain.cmd_list + 4,
            align: 8
        }))
    );
    let outside = Job {
        cmd_list: WS - 16,
        to_rsp: &[],
        from_rsp: &[],
    };
    assert!(matches!(
        s.submit(&outside),
        Err(SubmitError::Address(AddressError::OutsideWorkspace { .. }))
    ));
    let half_line = [Span::new(chain.y + 8, 16)];
    let bad_result = Job {
        cmd_list: chain.cmd_list,
        to_rsp: &[],
        from_rsp: &half_line,
    };
    assert!(matches!(
        s.submit(&bad_result),
        Err(SubmitError::Address(AddressError::Misaligned { value, align: 16, .. })) if value == chain.y + 8
    ));
    let past_end = [Span::new(WS - 16, 32)];
    let bad_input = Job {
        cmd_list: chain.cmd_list,
        to_rsp: &past_end,
        from_rsp: &[],
    };
    assert!(matches!(
        s.submit(&bad_input),
        Err(SubmitError::Address(AddressError::OutsideWorkspace { .. }))
    ));
    let five = [Span::new(0, 16); 5];
    let too_many = Job {
        cmd_list: chain.cmd_list,
        to_rsp: &[],
        from_rsp: &five,
    };
    assert!(matches!(
        s.submit(&too_many),
        Err(SubmitError::Address(AddressError::TooManySpans { .. }))
    ));
    // Nothing was touched: no cache call, no register write.
    assert!(
        s.hardware().events().is_empty(),
        "{:?}",
        s.hardware().events()
    );
    assert_eq!(s.running(), None);

    // SP memory loads: whole words inside 4 KiB.
    assert!(matches!(
        s.load_imem(2, &[0; 4]),
        Err(LoadError::Range { .. })
    ));
    assert!(matches!(
        s.load_dmem(4092, &[0; 8]),
        Err(LoadError::Range { .. })
    ));
    assert!(matches!(
        s.load_dmem(0, &[0; 6]),
        Err(LoadError::Range { .. })
    ));

    // Shared data: reachable and 8-aligned in RDRAM.
    let unmapped: &'static [u8] = leak(64);
    assert_eq!(
        s.share(unmapped),
        Err(AddressError::Unreachable {
            what: "shared data",
            len: 64
        })
    );
    let weights: &'static mut [u8] = leak(64);
    s.hardware().map(weights, SHARED_RDRAM + 4).unwrap();
    assert_eq!(
        s.share(weights),
        Err(AddressError::Misaligned {
            what: "shared data RDRAM address",
            value: SHARED_RDRAM as usize + 4,
            align: 8
        })
    );
}

#[test]
fn a_workspace_must_be_reachable_and_whole_cache_lines() {
    let config = Config::with_deadline_ticks(1000, Completion::Status).unwrap();
    let mut sim = SimRsp::new(RDRAM_BYTES);
    let ws = leak(256);
    sim.map(ws, 0x2008).unwrap();
    assert!(matches!(
        Scheduler::new(sim, ws, config),
        Err(AddressError::Misaligned {
            what: "workspace RDRAM address",
            value: 0x2008,
            align: 16
        })
    ));
    let mut sim = SimRsp::new(RDRAM_BYTES);
    let ws = leak(250);
    sim.map(ws, 0x2000).unwrap();
    assert!(matches!(
        Scheduler::new(sim, ws, config),
        Err(AddressError::Misaligned { value: 250, .. })
    ));
    let sim = SimRsp::new(RDRAM_BYTES);
    assert!(matches!(
        Scheduler::new(sim, leak(256), config),
        Err(AddressError::Unreachable { .. })
    ));
}

/// Assembles a test program with rsp-asm.
fn program(name: &str, source: &str) -> Vec<u8> {
    rsp_asm::assemble_str(name, source)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .text
}

#[test]
fn a_ucode_that_never_breaks_is_halted_at_the_deadline() {
    for completion in [Completion::Status, Completion::Interrupt] {
        let mut s = scheduler(WS, completion);
        let spin = program("spin.S", ".text\nspin: j spin\nnop\n");
        s.load_ucode(&Ucode {
            text: &spin,
            data: &[],
            entry: 0,
        })
        .unwrap();
        let cmd = [Span::new(0, 64)];
        let h = s
            .submit(&Job {
                cmd_list: 0,
                to_rsp: &cmd,
                from_rsp: &[Span::new(0, 64)],
            })
            .unwrap();
        let mut polls = 0;
        let fault = loop {
            polls += 1;
            match s.poll(h) {
                Ok(Poll::Running { .. }) => assert!(polls < 10_000, "the deadline never came"),
                Err(PollError::Fault(f)) => break f,
                other => panic!("a spinning ucode gave {other:?}"),
            }
        };
        let Fault::Timeout {
            pc, elapsed_ticks, ..
        } = fault
        else {
            panic!("{fault:?}")
        };
        assert!(pc == 0 || pc == 4, "{completion:?}: pc {pc:#x}");
        // 10 ms at 62.5 MHz = 625,000 cycles; polls let 2,000 pass each.
        assert!(
            elapsed_ticks > 625_000 && elapsed_ticks <= 625_000 + 3 * 2_000,
            "{elapsed_ticks}"
        );
        assert!(polls >= 300, "{polls}");
        // Halted, and the scheduler takes work again.
        assert_ne!(s.hardware().rsp().status() & regs::status::HALT, 0);
        assert_eq!(s.running(), None);
        assert_eq!(s.counters().faults, 1);
        s.load_ucode(&Ucode::RSPNN).unwrap();
        let case = Case::new(23);
        let chain = lay_out(&mut s, &case);
        let from = [Span::new(chain.y, chain.y_bytes)];
        let h = s
            .submit(&Job {
                cmd_list: chain.cmd_list,
                to_rsp: &[],
                from_rsp: &from,
            })
            .unwrap();
        s.wait(h, || {}).unwrap();
        assert_eq!(
            be_i16s(&s.workspace().unwrap()[chain.y..chain.y + 256]),
            case.want()
        );
    }
}

#[test]
fn a_command_the_ucode_refuses_is_reported_with_its_address() {
    let mut s = scheduler(WS, Completion::Status);
    let base = s.workspace_rdram();
    let ws = s.workspace_mut().unwrap();
    let mut img = RdramImage::new(ws, base).unwrap();
    // A DMA of 12 bytes: not a multiple of 8 (the ucode checks it: STATUS_BAD_DMA).
    let bad = Command::DmaIn {
        dmem: 0x280,
        len: 12,
        rdram: base,
    };
    let list = img
        .put_commands_unchecked(&[Command::End, bad][1..])
        .unwrap();
    s.writeback_workspace().unwrap();
    let h = s
        .submit(&Job {
            cmd_list: (list - base) as usize,
            to_rsp: &[],
            from_rsp: &[],
        })
        .unwrap();
    assert_eq!(
        s.wait(h, || {}),
        Err(PollError::Fault(Fault::Refused {
            status: status::BAD_DMA,
            fault_cmd: list,
            pc: s.hardware().rsp().pc()
        }))
    );
}

#[test]
fn a_crashed_or_foreign_ucode_is_reported() {
    // BREAK at once: the boot block still says RUNNING.
    let mut s = scheduler(WS, Completion::Status);
    let brk = program("brk.S", ".text\nnop\nbreak\n");
    s.load_ucode(&Ucode {
        text: &brk,
        data: &[],
        entry: 0,
    })
    .unwrap();
    let h = s
        .submit(&Job {
            cmd_list: 0,
            to_rsp: &[],
            from_rsp: &[],
        })
        .unwrap();
    assert!(matches!(
        s.wait(h, || {}),
        Err(PollError::Fault(Fault::NoStatus { status: 0, .. }))
    ));

    // A jump into a word that is no RSP instruction: rsp-sim stops, the CPU sees a halt
    // without BREAK.
    let mut s = scheduler(WS, Completion::Status);
    let mut text = program("crash.S", ".text\nj 0x100\nnop\n");
    text.resize(0x104, 0);
    text[0x100..0x104].copy_from_slice(&0xFC00_0000u32.to_be_bytes()); // opcode 63: not on the RSP
    s.load_ucode(&Ucode {
        text: &text,
        data: &[],
        entry: 0,
    })
    .unwrap();
    let h = s
        .submit(&Job {
            cmd_list: 0,
            to_rsp: &[],
            from_rsp: &[],
        })
        .unwrap();
    let got = s.wait(h, || {});
    assert!(
        matches!(
            got,
            Err(PollError::Fault(Fault::HaltedWithoutBreak {
                pc: 0x100,
                ..
            }))
        ),
        "{got:?}"
    );
    assert!(
        s.hardware().error().is_some_and(|e| e.contains("100")),
        "{:?}",
        s.hardware().error()
    );
}

#[test]
fn submit_needs_a_ucode_and_a_halted_rsp() {
    let mut sim = SimRsp::new(RDRAM_BYTES);
    let ws = leak(4096);
    sim.map(ws, WORKSPACE_RDRAM).unwrap();
    let config = Config::with_deadline_ticks(100_000, Completion::Status).unwrap();
    let mut s = Scheduler::new(sim, ws, config).unwrap();
    let job = Job {
        cmd_list: 0,
        to_rsp: &[],
        from_rsp: &[],
    };
    assert_eq!(s.submit(&job), Err(SubmitError::NoUcode));
    s.load_ucode(&Ucode::RSPNN).unwrap();
    // Someone else started the RSP (a spin loop, behind the scheduler's back).
    let spin = program("spin.S", ".text\nspin: j spin\nnop\n");
    s.load_imem(0, &spin).unwrap();
    s.hardware().set_sp_pc(0);
    s.hardware().write_sp_status(regs::START);
    assert!(matches!(
        s.submit(&job),
        Err(SubmitError::RspNotHalted { .. })
    ));
    assert!(matches!(
        s.load_dmem(0, &[0; 4]),
        Err(LoadError::RspNotHalted { .. })
    ));
}

#[test]
fn command_lists_that_would_write_outside_the_workspace_are_refused() {
    use rspnn::plan::ListError;
    use rspnn_ucode::token_cmd::AttendArgs;
    let mut s = scheduler(WS, Completion::Status);
    let base = s.workspace_rdram();
    let end = base + WS as u32;
    let attend = |kv_rdram| {
        Command::AttScores(AttendArgs {
            heads: 4,
            hd: 32,
            ctx: 64,
            q_dmem: 0x280,
            kv_rdram,
            k_dmem: 0x300,
            out_dmem: 0x400,
        })
    };
    // One layer's KV cache for 4 heads of 32 and context 64: 2 * 2 * 64 * 128 = 32 KiB.
    let kv = 32 * 1024;
    type Expect = fn(&ListError) -> bool;
    let cases: Vec<(Vec<Command>, Expect)> = vec![
        // Past the end by one 8-byte unit.
        (
            vec![Command::DmaOut {
                dmem: 0x280,
                len: 16,
                rdram: end - 8,
            }],
            |e| {
                matches!(
                    e,
                    ListError::WriteOutside {
                        index: 0,
                        len: 16,
                        ..
                    }
                )
            },
        ),
        // Below the workspace.
        (
            vec![Command::DmaOut {
                dmem: 0x280,
                len: 16,
                rdram: base - 16,
            }],
            |e| matches!(e, ListError::WriteOutside { .. }),
        ),
        // Over the list itself (the list is laid out first, at offset 0).
        (
            vec![
                Command::End,
                Command::DmaOut {
                    dmem: 0x280,
                    len: 16,
                    rdram: base + 16,
                },
            ][1..]
                .to_vec(),
            |e| matches!(e, ListError::WriteIntoList { .. }),
        ),
        // A KV cache that runs past the end.
        (
            vec![attend(end - kv + 8), Command::AttValues],
            |e| matches!(e, ListError::WriteOutside { op, .. } if *op == rspnn_ucode::command::op::ATT_SCORES),
        ),
        // ATT_VALUES on stale registers.
        (vec![Command::AttValues], |e| {
            matches!(e, ListError::ValuesWithoutScores { index: 0 })
        }),
    ];
    for (i, (commands, expected)) in cases.iter().enumerate() {
        let ws = s.workspace_mut().unwrap();
        ws.fill(0);
        let mut img = RdramImage::new(ws, base).unwrap();
        let list = img.put_commands_unchecked(commands).unwrap();
        s.hardware().take_events();
        let job = Job {
            cmd_list: (list - base) as usize,
            to_rsp: &[],
            from_rsp: &[],
        };
        match s.submit(&job) {
            Err(SubmitError::List(e)) => assert!(expected(&e), "case {i}: {e}"),
            other => panic!("case {i}: {other:?}"),
        }
        // The RSP was not started.
        assert!(
            !s.hardware()
                .events()
                .iter()
                .any(|e| matches!(e, Event::StatusWrite(_))),
            "case {i}"
        );
        assert_eq!(s.running(), None);
    }
    // The same shapes inside the workspace are accepted (and run: the KV write goes where the
    // list said; STEP was never run, so ATT_SCORES refuses the position, a ucode refusal).
    let ws = s.workspace_mut().unwrap();
    ws.fill(0);
    let mut img = RdramImage::new(ws, base).unwrap();
    let list = img
        .put_commands_unchecked(&[attend(base + 4096), Command::AttValues])
        .unwrap();
    let h = s
        .submit(&Job {
            cmd_list: (list - base) as usize,
            to_rsp: &[],
            from_rsp: &[],
        })
        .unwrap();
    assert!(matches!(
        s.wait(h, || {}),
        Err(PollError::Fault(Fault::Refused { .. }))
    ));

    // A list with no END before the end of the workspace, and an unknown opcode.
    let ws = s.workspace_mut().unwrap();
    ws.fill(op::DMA_IN);
    let job = Job {
        cmd_list: WS - 128,
        to_rsp: &[],
        from_rsp: &[],
    };
    assert!(matches!(
        s.submit(&job),
        Err(SubmitError::List(ListError::NoEnd { commands: 8 }))
    ));
    let ws = s.workspace_mut().unwrap();
    ws.fill(0);
    ws[0] = 200;
    let job = Job {
        cmd_list: 0,
        to_rsp: &[],
        from_rsp: &[],
    };
    assert!(matches!(
        s.submit(&job),
        Err(SubmitError::List(ListError::BadOpcode {
            index: 0,
            op: 200
        }))
    ));
}

/// OVERLAYS makes the dispatcher load IMEM from the address it names and run what it loaded:
/// the address is data, so the scheduler runs a list only when it names the ucode's own overlay
/// images inside the workspace, one block per list, which the list does not overwrite. (The
/// `command_list` fuzz target found the first case: a list naming RDRAM 0x00ff6000 made the
/// RSP run those bytes and write RDRAM 0x460, outside the workspace; fuzz/found/.)
#[test]
fn overlays_must_name_the_ucodes_overlay_images() {
    use rspnn::plan::ListError;
    use rspnn_ucode::program::{place_overlays, OVERLAY_BLOCK_BYTES};
    let mut s = scheduler(WS, Completion::Status);
    let base = s.workspace_rdram();
    type Expect = fn(&ListError) -> bool;
    // Each case: the commands, given the placed block's address; what must be refused.
    let cases: Vec<(fn(u32, u32) -> Vec<Command>, Expect)> = vec![
        // Outside the workspace (the fuzz input's address).
        (
            |_, _| vec![Command::Overlays { rdram: 0x00ff_6000 }],
            |e| {
                matches!(
                    e,
                    ListError::OverlaysNotCode {
                        index: 0,
                        rdram: 0x00ff_6000
                    }
                )
            },
        ),
        // Below the workspace (a second fuzz find: the check itself underflowed there).
        (
            |base, _| vec![Command::Overlays { rdram: base - 4096 }],
            |e| matches!(e, ListError::OverlaysNotCode { index: 0, .. }),
        ),
        // Inside the workspace, but not the overlay images (the list's own bytes).
        (
            |base, _| vec![Command::Overlays { rdram: base }],
            |e| matches!(e, ListError::OverlaysNotCode { index: 0, .. }),
        ),
        // One slot off the real block: the images shifted.
        (
            |_, block| vec![Command::Overlays { rdram: block + 8 }],
            |e| matches!(e, ListError::OverlaysNotCode { .. }),
        ),
        // The real block, then a write over it.
        (
            |_, block| {
                vec![
                    Command::Overlays { rdram: block },
                    Command::DmaOut {
                        dmem: 0x280,
                        len: 16,
                        rdram: block + 64,
                    },
                ]
            },
            |e| matches!(e, ListError::WriteIntoOverlays { index: 1, .. }),
        ),
        // A second, other block.
        (
            |base, block| {
                vec![
                    Command::Overlays { rdram: block },
                    Command::Overlays { rdram: base },
                ]
            },
            |e| matches!(e, ListError::TwoOverlayBlocks { index: 1, .. }),
        ),
    ];
    let place = |s: &mut Scheduler<SimRsp>, commands: fn(u32, u32) -> Vec<Command>| {
        let ws = s.workspace_mut().unwrap();
        ws.fill(0);
        let mut img = RdramImage::new(ws, base).unwrap();
        // The list first (at offset 0), then the block, as a token program lays them out.
        let list_at = img.reserve(256).unwrap();
        let block = place_overlays(&mut img).unwrap();
        let list = commands(base, block);
        let ws = s.workspace_mut().unwrap();
        let mut img = RdramImage::new(ws, base).unwrap();
        let at = img.put_commands_unchecked(&list).unwrap();
        assert_eq!(at, list_at, "the list goes where it was reserved");
        (at, block)
    };
    for (i, (commands, expected)) in cases.iter().enumerate() {
        let (list, _) = place(&mut s, *commands);
        let job = Job {
            cmd_list: (list - base) as usize,
            to_rsp: &[],
            from_rsp: &[],
        };
        match s.submit(&job) {
            Err(SubmitError::List(e)) => assert!(expected(&e), "case {i}: {e}"),
            other => panic!("case {i}: {other:?}"),
        }
        assert_eq!(s.running(), None);
    }
    // The real block, alone: accepted, run to END, sealable.
    let (list, block) = place(&mut s, |_, block| vec![Command::Overlays { rdram: block }]);
    assert_eq!(block % 8, 0);
    assert!(block + OVERLAY_BLOCK_BYTES as u32 <= base + WS as u32);
    let job = Job {
        cmd_list: (list - base) as usize,
        to_rsp: &[],
        from_rsp: &[],
    };
    let h = s
        .submit(&job)
        .expect("the ucode's own overlay images are accepted");
    s.wait(h, || {}).expect("runs to END");
    // Once sealed, its overlay block is protected from every later list: one placed after
    // the block (taking the workspace unseals, so the first list is sealed again after).
    let after = ((block - base) as usize + OVERLAY_BLOCK_BYTES).next_multiple_of(64);
    let bytes = s.workspace_mut().unwrap();
    let mut img = RdramImage::new(&mut bytes[after..], base + after as u32).unwrap();
    let writer = img
        .put_commands_unchecked(&[Command::DmaOut {
            dmem: 0x280,
            len: 16,
            rdram: block,
        }])
        .unwrap();
    s.seal_list((list - base) as usize).expect("seals");
    match s.submit(&Job {
        cmd_list: (writer - base) as usize,
        to_rsp: &[],
        from_rsp: &[],
    }) {
        Err(SubmitError::List(ListError::WriteIntoList { index: 0, .. })) => {}
        other => panic!("a write over a sealed list's overlay code: {other:?}"),
    }
}
