//! The planned weight-tile stream is exactly what the RSP fetches: every SP DMA the simulated
//! RSP requests into a tile buffer is recorded (from its MTC0 writes of SP_MEM_ADDR,
//! SP_DRAM_ADDR and SP_RD_LEN in an instruction trace) and compared with `rspnn::plan`.

mod common;

use common::*;
use kernels::matvec::{BlockMatrix, WeightBits};
use rspnn::memory::Span;
use rspnn::plan::{stream_of, summarize, MatvecChain, Tile};
use rspnn::{Completion, Job};
use rspnn_ucode::layout::{TILE0, TILE1};
use rspnn_ucode::{Command, RdramImage};
use std::cell::RefCell;
use std::rc::Rc;

/// An RDRAM -> DMEM request as the RSP made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct DmaRead {
    dmem: u32,
    rdram: u32,
    len: u32,
}

/// Follows the GPRs through the trace and records each write of SP_RD_LEN (COP0 register 2)
/// with the address registers (COP0 0 and 1) as last written. MTC0 is `0x10 << 26 | 4 << 21 |
/// rt << 16 | rd << 11` (RSP-FACTS "Encodings").
fn record_dma_reads(rsp: &mut rsp_sim::Rsp) -> Rc<RefCell<Vec<DmaRead>>> {
    let reads = Rc::new(RefCell::new(Vec::new()));
    let sink = reads.clone();
    let mut gpr: [u32; 32] = std::array::from_fn(|r| rsp.gpr(r as u8));
    let (mut mem_addr, mut dram_addr) = (0u32, 0u32);
    rsp.set_tracer(Some(Box::new(move |rec: &rsp_sim::TraceRecord| {
        let w = rec.word;
        if w >> 26 == 0x10 && (w >> 21) & 31 == 4 {
            let value = gpr[((w >> 16) & 31) as usize];
            match (w >> 11) & 31 {
                0 => mem_addr = value & 0x1FF8,
                1 => dram_addr = value & 0x00FF_FFF8,
                2 => sink.borrow_mut().push(DmaRead {
                    dmem: mem_addr,
                    rdram: dram_addr,
                    len: (value & 0xFFF) + 1,
                }),
                _ => {}
            }
        }
        for c in &rec.changes {
            if let rsp_sim::Change::Gpr { reg, value } = c {
                gpr[*reg as usize] = *value;
            }
        }
    })));
    reads
}

#[test]
fn the_rsp_fetches_exactly_the_planned_tiles() {
    let mut rng = Lcg(0x7113);
    // Q8 and Q4, full and partial last tiles: 256x128 Q8 (128 records, 32 tiles of 4), 128x256
    // Q4 (128 records: 18 tiles of 7 and one of 2), 96x128 Q8 (48 records, 12 tiles).
    let recs = [
        random_records(&mut rng, WeightBits::Q8, 256, 128),
        random_records(&mut rng, WeightBits::Q4, 128, 256),
        random_records(&mut rng, WeightBits::Q8, 96, 128),
    ];
    let m = [
        BlockMatrix::new(WeightBits::Q8, 256, 128, 0, &recs[0]).unwrap(),
        BlockMatrix::new(WeightBits::Q4, 128, 256, 1, &recs[1]).unwrap(),
        BlockMatrix::new(WeightBits::Q8, 96, 128, 0, &recs[2]).unwrap(),
    ];
    let x: Vec<i16> = (0..128).map(|_| rng.i16_within(2000)).collect();

    let mut s = scheduler(96 * 1024, Completion::Status);
    let base = s.workspace_rdram();
    let chain = {
        let ws = s.workspace_mut().unwrap();
        let mut img = RdramImage::new(ws, base).unwrap();
        MatvecChain::build(&mut img, base, &m, &x).unwrap()
    };
    s.writeback_workspace().unwrap();
    let commands: Vec<Command> = chain.command_list().collect();
    let planned: Vec<Tile> = stream_of(&commands).flat_map(|(_, tiles)| tiles).collect();
    let summary = summarize(&commands);
    assert_eq!((summary.matvecs, summary.tiles), (3, 32 + 19 + 12));
    assert_eq!(
        summary.weight_bytes,
        recs.iter().map(Vec::len).sum::<usize>()
    );
    assert_eq!(planned.len(), summary.tiles);

    let reads = record_dma_reads(s.hardware().rsp_mut());
    let from = [Span::new(chain.y, chain.y_bytes)];
    let h = s
        .submit(&Job {
            cmd_list: chain.cmd_list,
            to_rsp: &[],
            from_rsp: &from,
        })
        .unwrap();
    s.wait(h, || {}).unwrap();
    s.hardware().rsp_mut().set_tracer(None);

    let fetched: Vec<DmaRead> = reads
        .borrow()
        .iter()
        .copied()
        .filter(|r| r.dmem == TILE0 as u32 || r.dmem == TILE1 as u32)
        .collect();
    let expected: Vec<DmaRead> = planned
        .iter()
        .map(|t| DmaRead {
            dmem: t.dmem as u32,
            rdram: t.rdram,
            len: t.len as u32,
        })
        .collect();
    assert_eq!(fetched, expected);
    // And the job computed the chain.
    assert_eq!(
        be_i16s(&s.workspace().unwrap()[chain.y..chain.y + 2 * 96]),
        chain_oracle(&m, &x)
    );
}
