//! Cycle figures of the MATVEC command on rsp-sim, for bench-results/matvec.md:
//!
//! ```sh
//! cargo run --release -p rspnn-ucode --example matvec_cycles            # the table
//! cargo run --release -p rspnn-ucode --example matvec_cycles -- --profile   # + cycles per routine
//! cargo run --release -p rspnn-ucode --example matvec_cycles -- --q4-waw    # the opt-in Q4 chain
//! ```
//!
//! For each shape and format it runs `DMA_IN x; MATVEC; END` and `DMA_IN x; END` on the same
//! RDRAM image and reports the difference: the MATVEC command as the RSP runs it inside a
//! command list (its dispatch, argument checks, weight streaming, compute and output shift).
//! The weights are random (timing does not depend on the values: the ucode has no data-dependent
//! branch), and the result is checked against `kernels::matvec` before a figure is printed.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{oracle, random_g, random_q, random_x, records, Dist, Lcg};
use kernels::matvec::{BlockMatrix, WeightBits};
use rsp_sim::{Rsp, Stats};
use rspnn_ucode::image::{matvec_args, read_i16s, MatvecHomes};
use rspnn_ucode::layout;
use rspnn_ucode::ucode;
use rspnn_ucode::{Command, RdramImage};
use std::cell::RefCell;
use std::rc::Rc;

/// RSP clock (RSP-FACTS "Machine").
const RSP_HZ: f64 = 62.5e6;

struct Run {
    stats: Stats,
    /// Cycles per IMEM word (profile mode).
    per_pc: Option<Vec<u64>>,
    rdram: Vec<u8>,
}

fn run(text: &[u8], rdram: Vec<u8>, list: u32, profile: bool) -> Run {
    let mut rsp = Rsp::with_rdram(rdram);
    rsp.load_imem(0, text).unwrap();
    rsp.load_dmem(0, &common::dmem_image(list)).unwrap();
    rsp.set_pc(ucode::ENTRY);
    let per_pc = Rc::new(RefCell::new(vec![0u64; 1024]));
    if profile {
        // Each instruction is charged the cycles until the next one issues.
        let last: Rc<RefCell<Option<(u32, u64)>>> = Rc::new(RefCell::new(None));
        let (pp, ll) = (per_pc.clone(), last.clone());
        rsp.set_tracer(Some(Box::new(move |r: &rsp_sim::TraceRecord| {
            let mut l = ll.borrow_mut();
            if let Some((pc, cycle)) = *l {
                pp.borrow_mut()[(pc / 4) as usize] += r.cycle - cycle;
            }
            *l = Some((r.pc, r.cycle));
        })));
    }
    rsp.run(common::SIM_CYCLE_LIMIT).expect("the ucode stops");
    assert_eq!(rsp.dmem_u32(layout::BOOT as u32 + 4), layout::status::DONE, "the command list failed");
    let per_pc = if profile { Some(per_pc.borrow().clone()) } else { None };
    Run { stats: *rsp.stats(), per_pc, rdram: rsp.rdram().to_vec() }
}

fn main() {
    let profile = std::env::args().any(|a| a == "--profile");
    // The opt-in Q4 chain (ucode/README.md "Assumptions"); Q8 is the same code in both images.
    let q4_waw = std::env::args().any(|a| a == "--q4-waw");
    let text: &[u8] = if q4_waw { &ucode::TEXT_Q4_WAW } else { &ucode::TEXT };
    println!(
        "rspnn-ucode MATVEC on rsp-sim, {} (DMEM budget {} bytes, tiles {} bytes: {} Q8 / {} Q4 records)",
        if q4_waw { "IMEM image TEXT_Q4_WAW (the opt-in Q4 chain)" } else { "IMEM image TEXT (the default)" },
        layout::DMEM_BUDGET,
        layout::TILE_BYTES,
        layout::TILE_BYTES / 272,
        layout::TILE_BYTES / 144
    );
    println!();
    println!(
        "| format | shape | cycles | cycles/weight | M weights/s | stalls: vector / scalar load / load-store / branch | DMA busy (share) | DMA wait | DMA hidden |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut profiles = Vec::new();
    let mut rng = Lcg(0xC1C1E5);
    for bits in [WeightBits::Q8, WeightBits::Q4] {
        for &(rows, cols) in &[(512usize, 128usize), (128, 512), (256, 128), (128, 128)] {
            let q = random_q(&mut rng, bits, rows, cols);
            let g = random_g(&mut rng, rows, cols, 65535);
            let rec = records(bits, &q, &g);
            let m = BlockMatrix::new(bits, rows, cols, 0, &rec).unwrap();
            let x = random_x(&mut rng, cols, Dist::Within(1 << 12));
            let homes = MatvecHomes::packed(cols);

            let mut buf = vec![0u8; 256 * 1024];
            let mut img = RdramImage::new(&mut buf, 0).unwrap();
            let w = img.put_bytes(&rec).unwrap();
            let x_at = img.put_i16s(&x).unwrap();
            let y_at = img.reserve(2 * rows).unwrap();
            let load = Command::DmaIn { dmem: homes.x_dmem, len: 2 * cols as u16, rdram: x_at };
            let mv = Command::Matvec(matvec_args(&m, w, homes).unwrap());
            let store = Command::DmaOut { dmem: homes.y_dmem, len: 2 * rows as u16, rdram: y_at };
            let with = img.put_commands(&[load, mv, store]).unwrap();
            let without = img.put_commands(&[load, store]).unwrap();
            let len = img.len();
            let image = buf[..len].to_vec();

            let a = run(text, image.clone(), with, profile);
            let b = run(text, image, without, false);
            let mut y = vec![0i16; rows];
            assert!(read_i16s(&a.rdram, 0, y_at, &mut y));
            assert_eq!(y, oracle(&m, &x), "{bits:?} {rows}x{cols}: the RSP result differs from kernels::matvec");

            let d = |f: fn(&Stats) -> u64| f(&a.stats) - f(&b.stats);
            let cycles = d(|s| s.cycles);
            let weights = (rows * cols) as f64;
            let busy = d(|s| s.dma.busy_cycles);
            let wait = d(|s| s.dma_wait_cycles);
            println!(
                "| {bits:?} | {rows}x{cols} | {cycles} | {:.3} | {:.0} | {} / {} / {} / {} | {busy} ({:.0}%) | {wait} | {:.0}% |",
                cycles as f64 / weights,
                weights / cycles as f64 * RSP_HZ / 1e6,
                d(|s| s.stalls.vector_dependency),
                d(|s| s.stalls.scalar_load_use),
                d(|s| s.stalls.load_store),
                d(|s| s.stalls.taken_branch),
                100.0 * busy as f64 / cycles as f64,
                100.0 * (1.0 - wait as f64 / busy.max(1) as f64),
            );
            if let Some(pp) = a.per_pc {
                profiles.push((format!("{bits:?} {rows}x{cols}"), pp));
            }
        }
    }
    println!();
    println!("cycles: the MATVEC command (list with it minus list without it); M weights/s at 62.5 MHz;");
    println!("DMA busy: cycles the DMA engine ran the weight tiles (share of the command's cycles); DMA wait: cycles");
    println!("the ucode polled a busy engine;");
    println!("DMA hidden: share of the DMA time during which the RSP was computing (1 - wait / busy).");
    for (name, pp) in profiles {
        println!();
        println!("profile {name} (whole command list, cycles charged to the routine holding the PC):");
        let mut rows: Vec<(&str, u64)> = Vec::new();
        for (i, &c) in pp.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let pc = 4 * i as u32;
            let label = ucode::IMEM_LABELS.iter().rev().find(|&&(_, a)| a <= pc).map(|&(n, _)| n).unwrap_or("?");
            match rows.iter_mut().find(|(n, _)| *n == label) {
                Some(r) => r.1 += c,
                None => rows.push((label, c)),
            }
        }
        for (label, c) in rows {
            println!("  {label:24} {c:7}");
        }
    }
}
