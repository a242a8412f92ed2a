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

    let fetched: Vec<(u32, u32, u32)> = reads
        .borrow()
        .iter()
        .filter(|r| r.sp == TILE0 as u32 || r.sp == TILE1 as u32)
        .map(|r| (r.sp, r.rdram, r.len))
        .collect();
    let expected: Vec<(u32, u32, u32)> = planned
        .iter()
        .map(|t| (t.dmem as u32, t.rdram, t.len as u32))
        .collect();
    assert_eq!(fetched, expected);
    // And the job computed the chain.
    assert_eq!(
        be_i16s(&s.workspace().unwrap()[chain.y..chain.y + 2 * 96]),
        chain_oracle(&m, &x)
    );
}
