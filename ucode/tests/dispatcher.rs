//! The dispatcher and the DMA commands, on rsp-sim and on the z64 RSP.

mod common;

use common::{run_sim, run_z64, z64_available, Lcg};
use rspnn_ucode::command::op;
use rspnn_ucode::layout::{self, status};
use rspnn_ucode::{Command, RdramImage};

#[test]
fn an_end_only_list_stops_with_done() {
    let mut buf = vec![0u8; 256];
    let mut img = RdramImage::new(&mut buf, 0).unwrap();
    let list = img.put_commands(&[]).unwrap();
    let len = img.len();
    let out = run_sim(buf[..len].to_vec(), list);
    out.assert_done("rsp-sim");
    assert_eq!(out.fault_cmd, 0);
}

/// Random bytes go RDRAM -> DMEM -> RDRAM through several DMA_IN/DMA_OUT pairs, more commands
/// than one fetch holds (4), with sizes up to a whole 4,096-byte row. The bytes that come back
/// must be the bytes sent, and DMEM must hold the last block.
fn dma_round_trip(run: impl Fn(Vec<u8>, u32) -> common::Finished, who: &str) {
    let mut rng = Lcg(7);
    let mut buf = vec![0u8; 64 * 1024];
    let mut img = RdramImage::new(&mut buf, 0).unwrap();
    let sizes = [8usize, 64, 1280, 16, 8 * 37];
    let mut sent = Vec::new();
    let mut commands = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        let data: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
        let src = img.put_bytes(&data).unwrap();
        let dst = img.reserve(n).unwrap();
        // Alternate DMEM homes inside the activation area (8-aligned, not 16, on purpose).
        let dmem = (layout::ACT + 8 * i) as u16;
        commands.push(Command::DmaIn { dmem, len: n as u16, rdram: src });
        commands.push(Command::DmaOut { dmem, len: n as u16, rdram: dst });
        sent.push((data, dst, dmem));
    }
    let list = img.put_commands(&commands).unwrap();
    let len = img.len();
    let out = run(buf[..len].to_vec(), list);
    out.assert_done(who);
    for (data, dst, _) in &sent {
        let d = *dst as usize;
        assert_eq!(&out.rdram[d..d + data.len()], &data[..], "{who}: bytes at 0x{d:x} differ after the round trip");
    }
    let (last, _, dmem) = sent.last().unwrap();
    let at = *dmem as usize;
    assert_eq!(&out.dmem[at..at + last.len()], &last[..], "{who}: DMEM does not hold the last block");
}

#[test]
fn dma_commands_round_trip_bytes_on_the_simulator() {
    dma_round_trip(run_sim, "rsp-sim");
}

#[test]
fn dma_commands_round_trip_bytes_on_z64() {
    if !z64_available() {
        return;
    }
    dma_round_trip(|rdram, list| run_z64(&rdram, list), "z64");
}

#[test]
fn a_whole_dmem_transfer_reads_every_byte() {
    // DMA_OUT of all 4,096 bytes (one maximal row): RDRAM must receive DMEM as the program left
    // it (only Boot.status changes afterwards, at END).
    let mut buf = vec![0u8; 16 * 1024];
    let mut img = RdramImage::new(&mut buf, 0).unwrap();
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 7 + 3) as u8).collect();
    let src = img.put_bytes(&data).unwrap();
    let dst = img.reserve(4096).unwrap();
    let act = layout::ACT as u16;
    let list = img
        .put_commands_unchecked(&[
            Command::DmaIn { dmem: act, len: 1024, rdram: src },
            Command::DmaOut { dmem: 0, len: 4096, rdram: dst },
        ])
        .unwrap();
    let len = img.len();
    let out = run_sim(buf[..len].to_vec(), list);
    out.assert_done("rsp-sim");
    let d = dst as usize;
    assert_eq!(&out.rdram[d + 16..d + 4096], &out.dmem[16..4096]);
    assert_eq!(&out.rdram[d + layout::ACT..d + layout::ACT + 1024], &data[..]);
}

#[test]
fn an_unknown_opcode_stops_with_its_address() {
    // The image sits at RDRAM 0x100 (a non-zero base); command 0 is a valid DMA_IN, command 1
    // gets the first opcode that has no routine.
    let base = 0x100u32;
    let mut buf = vec![0u8; 256];
    let mut img = RdramImage::new(&mut buf, base).unwrap();
    let src = img.put_bytes(&[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
    let list =
        img.put_commands(&[Command::DmaIn { dmem: layout::ACT as u16, len: 8, rdram: src }, Command::End]).unwrap();
    let len = img.len();
    let second = (list - base) as usize + 16;
    buf[second] = op::COUNT;
    let mut rdram = vec![0u8; base as usize];
    rdram.extend_from_slice(&buf[..len]);
    let out = run_sim(rdram.clone(), list);
    assert_eq!((out.status, out.fault_cmd), (status::BAD_OPCODE, list + 16));
    assert_eq!(&out.dmem[layout::ACT..layout::ACT + 8], &[1, 2, 3, 4, 5, 6, 7, 8], "the first command ran");
    if z64_available() {
        let z = run_z64(&rdram, list);
        assert_eq!((z.status, z.fault_cmd), (status::BAD_OPCODE, list + 16));
    }
}

/// The ucode's checks of DMA commands, case by case at every rule's boundary: each case states
/// whether DMA_IN and DMA_OUT must run or be refused, and both the ucode and
/// `Command::check` must give exactly that.
#[test]
fn the_ucode_refuses_exactly_the_dma_commands_the_builder_refuses() {
    let budget = layout::DMEM_BUDGET as u16;
    let act = layout::ACT as u16;
    // A whole 4 KB row from DMEM 0 fits the standard build's budget (4096), not the rspq one.
    let whole_row_fits = budget == 4096;
    // (dmem, len, rdram, DMA_IN runs, DMA_OUT runs)
    let cases: [(u16, u16, u32, bool, bool); 12] = [
        (act, 8, 0x200, true, true),
        (act, 0, 0x200, false, false),           // length 0
        (act, 12, 0x200, false, false),          // length not a multiple of 8
        (act + 4, 8, 0x200, false, false),       // DMEM misaligned
        (act, 8, 0x204, false, false),           // RDRAM misaligned
        (budget - 8, 8, 0x200, true, true),      // last 8 bytes of the budget: fine
        (budget - 8, 16, 0x200, false, false),   // past the budget
        (0, 4096, 0x200, false, whole_row_fits), // a whole row; DMA_IN below ACT
        (0, 4104, 0x200, false, false),          // longer than one row
        (act, 4096, 0x200, false, false),        // past the budget from ACT
        (act - 8, 8, 0x200, false, true),        // below ACT: refused for DMA_IN only
        (0, 8, 0x200, false, true),
    ];
    let mut rng = Lcg(3);
    for (dmem, len, rdram, in_runs, out_runs) in cases {
        for dir in 0..2 {
            let (c, runs) = if dir == 0 {
                (Command::DmaIn { dmem, len, rdram }, in_runs)
            } else {
                (Command::DmaOut { dmem, len, rdram }, out_runs)
            };
            let mut buf = vec![0u8; 0x2000];
            for b in buf.iter_mut() {
                *b = rng.byte();
            }
            let mut img = RdramImage::new(&mut buf, 0).unwrap();
            // Keep the random bytes at 0x200.. as the DMA source/target: place the list past it.
            img.reserve(0x1200).unwrap();
            let list = img.put_commands_unchecked(&[c]).unwrap();
            let len_img = img.len();
            let out = run_sim(buf[..len_img].to_vec(), list);
            let expected = if runs { status::DONE } else { status::BAD_DMA };
            assert_eq!(out.status, expected, "{c:?}: ucode status 0x{:x}", out.status);
            assert_eq!(c.check().is_ok(), runs, "{c:?}: Command::check {:?}", c.check());
            if !runs {
                assert_eq!(out.fault_cmd, list, "{c:?}");
            }
        }
    }
}
