//! RSP cycles per token of the token program on rsp-sim (the figures of bench-results/token.md),
//! split by command, overlay loads, dispatch and DMA waits, at every position of a 64-slot
//! context.
//!
//! ```sh
//! cargo run --release -p rspnn-ucode --example token_cycles
//! cargo run --release -p rspnn-ucode --example token_cycles -- --weights models/x.rspw
//! cargo run --release -p rspnn-ucode --example token_cycles -- --q4-waw   # opt-in Q4 chain
//! ```
//!
//! Without `--weights` it measures the seed-v5 fixture (../shared; 4 layers, width 128, Q8) and
//! the same model requantised to Q4 and cut to its first 2 layers (rspnn-model `requant`; the
//! SEAI header's layer count is set to 2 and the file cut after layer 1). Each step's logits
//! are checked against rspnn-model's `ScalarRunner` first: a figure is only printed for a step
//! that computed the right thing. The bytes fed are the fixture corpus's first window (offset
//! 777), one model state, positions 0..63 (a full context).
//!
//! The simulator runs one issue group at a time; every group's cycles go to the PC's routine:
//! the overlay loader (`ovl_enter`..`ovl_run`: DMA of an overlay into IMEM), the dispatcher
//! (command fetch and dispatch), or else the command being run (the dispatcher's `k1`). "DMA
//! wait" is the simulator's count of cycles spent polling a busy DMA engine (already inside the
//! command's cycles).

use rsp_sim::{Rsp, SpReg};
use rspnn_model::convert::to_rspw_vec;
use rspnn_model::error::MatrixKind;
use rspnn_model::requant::Requantized;
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::seed::SeedModel;
use rspnn_ucode::command::op;
use rspnn_ucode::layout::{self, status};
use rspnn_ucode::program::{program_bytes, ProgramOptions, TokenProgram};
use rspnn_ucode::ucode::{self, imem};
use rspnn_ucode::RdramImage;
use std::collections::BTreeMap;

const CONTEXT_STEPS: usize = 64;
/// RSP clock (RSP-FACTS "Machine").
const RSP_HZ: f64 = 62.5e6;

/// Cycles and DMA-wait cycles per label for one step.
#[derive(Default, Clone)]
struct Split {
    cycles: BTreeMap<String, (u64, u64, u64)>, // label -> (cycles, dma wait, runs)
    total: u64,
    stats: rsp_sim::Stats,
    overlay_loads: u32,
}

struct Bench {
    rsp: Rsp,
    prog: TokenProgram,
    /// Label of each command of the list, by index.
    labels: Vec<String>,
}

fn matrix_name(view: &ModelView<'_>, file: &[u8], w_rdram: u32) -> String {
    let at = |recs: &[u8]| (recs.as_ptr() as usize - file.as_ptr() as usize) as u32;
    if view.embedding().map(|m| at(m.records())) == Ok(w_rdram) {
        return "MATVEC head".into();
    }
    for layer in 0..view.dims().n_layers {
        for k in MatrixKind::ALL {
            if view.matrix(layer, k).map(|m| at(m.records())) == Ok(w_rdram) {
                return format!("MATVEC {}", k.name());
            }
        }
    }
    "MATVEC ?".into()
}

impl Bench {
    fn new(file: &[u8]) -> Bench {
        let view = ModelView::parse(file).expect("RSPW parses");
        let d = *view.dims();
        let mut buf = vec![0u8; file.len() + 16 + program_bytes(&d, true)];
        let mut img = RdramImage::new(&mut buf, 0).unwrap();
        let w = img.put_bytes(file).unwrap();
        assert_eq!(w, 0, "the file is placed at RDRAM 0 (matrix names rely on it)");
        let prog = TokenProgram::build(file, w, &mut img, ProgramOptions { logits: true, argmax: (0, d.vocab as u16) })
            .expect("the token program builds");
        let len = img.len();
        buf.truncate(len);
        let mut labels = Vec::new();
        for i in 0..prog.commands {
            let at = prog.cmd_list as usize + 16 * i;
            let c = &buf[at..at + 16];
            labels.push(match c[0] {
                op::END => "END".to_string(),
                op::DMA_IN => "DMA_IN (x back)".into(),
                op::DMA_OUT => "DMA_OUT".into(),
                op::MATVEC => matrix_name(&view, file, u32::from_be_bytes([c[8], c[9], c[10], c[11]])),
                op::STEP => "STEP".into(),
                op::EMBED => "EMBED".into(),
                op::NORM => "NORM".into(),
                op::ATT_SCORES => "ATT_SCORES".into(),
                op::ATT_VALUES => "ATT_VALUES".into(),
                op::RELU => "RELU".into(),
                op::ADD => "ADD".into(),
                op::ARGMAX => "ARGMAX".into(),
                op::OVERLAYS => "OVERLAYS".into(),
                other => format!("op {other}"),
            });
        }
        let mut rsp = Rsp::with_rdram(buf);
        // `--q4-waw`: the IMEM image with the Q4 matvec's opt-in fast chain (ucode/README.md
        // "Assumptions"); it differs from TEXT in the Q4 loop only.
        let text: &[u8] = if std::env::args().any(|a| a == "--q4-waw") { &ucode::TEXT_Q4_WAW } else { &ucode::TEXT };
        rsp.load_imem(0, text).unwrap();
        rsp.load_dmem(0, &ucode::DATA).unwrap();
        Bench { rsp, prog, labels }
    }

    /// Runs one step group by group; returns the split and the logits.
    fn step(&mut self, token: usize, pos: usize) -> (Split, Vec<i16>) {
        let prog = self.prog;
        prog.patch_step(self.rsp.rdram_mut(), 0, token, pos).unwrap();
        self.rsp.load_dmem(layout::BOOT as u32, &prog.cmd_list.to_be_bytes()).unwrap();
        self.rsp.set_pc(ucode::ENTRY);
        self.rsp.cpu_write(SpReg::Status, 1 | 4).unwrap(); // clear HALT and BROKE: start
        let start = *self.rsp.stats();
        let mut split = Split::default();
        while !self.rsp.is_halted() {
            let (pc, k1) = (self.rsp.pc(), self.rsp.gpr(27));
            let (c0, w0) = (self.rsp.stats().cycles, self.rsp.stats().dma_wait_cycles);
            self.rsp.step().expect("the simulator runs");
            let (dc, dw) = (self.rsp.stats().cycles - c0, self.rsp.stats().dma_wait_cycles - w0);
            let label = if (imem::ovl_enter..imem::ovl_missing).contains(&pc) {
                "overlay loads".to_string()
            } else if pc < imem::op_table_end || (imem::cmd_next..imem::cmd_fail).contains(&pc) {
                "dispatch".to_string()
            } else {
                let i = (k1.wrapping_sub(prog.cmd_list) / 16) as usize;
                self.labels.get(i).cloned().unwrap_or_else(|| "?".into())
            };
            let e = split.cycles.entry(label).or_default();
            e.0 += dc;
            e.1 += dw;
            split.total += dc;
            assert!(split.total < 50_000_000, "runaway step");
        }
        let st = self.rsp.dmem_u32(layout::BOOT as u32 + 4);
        assert_eq!(st, status::DONE, "the step failed: status 0x{st:x}");
        split.overlay_loads = self.rsp.dmem_u32(layout::BOOT as u32 + 12);
        let end = *self.rsp.stats();
        split.stats = end;
        split.stats.cycles -= start.cycles;
        split.stats.instructions -= start.instructions;
        split.stats.groups -= start.groups;
        split.stats.dual_issued -= start.dual_issued;
        split.stats.dma_wait_cycles -= start.dma_wait_cycles;
        split.stats.dma.bytes -= start.dma.bytes;
        split.stats.dma.transfers -= start.dma.transfers;
        split.stats.dma.busy_cycles -= start.dma.busy_cycles;
        let mut logits = vec![0i16; prog.vocab];
        prog.read_logits(self.rsp.rdram(), 0, &mut logits).unwrap();
        // Count the runs of each label: a command index appears once per step.
        for l in &self.labels {
            if let Some(e) = split.cycles.get_mut(l) {
                e.2 += 1;
            }
        }
        (split, logits)
    }
}

/// The first `layers` layers of a SEAI v5 file (header byte 4 and the file length).
fn truncate_seai(seai: &[u8], layers: usize) -> Vec<u8> {
    let per_layer = 208_896;
    let mut out = seai[..12 + 32_768 + layers * per_layer].to_vec();
    out[4] = layers as u8;
    out
}

fn measure(name: &str, file: &[u8], text: &[u8]) {
    let view = ModelView::parse(file).expect("RSPW parses");
    let d = *view.dims();
    println!("## {name}\n");
    println!(
        "dims {d:?}, weights Q{}, overlay loads per step {}\n",
        view.info().bits.bits(),
        TokenProgram::build(
            file,
            0,
            &mut RdramImage::new(&mut vec![0u8; 2 * file.len() + (1 << 20)], 0).unwrap(),
            ProgramOptions { logits: false, argmax: (0, 1) }
        )
        .map(|p| p.overlay_loads_per_step)
        .unwrap_or(0)
    );
    let mut bench = Bench::new(file);
    let mut scalar = ScalarRunner::new(view, vec![0i16; workspace_len(view.dims())]).unwrap();
    let mut per_pos = Vec::new();
    let steps = CONTEXT_STEPS.min(d.ctx);
    for pos in 0..steps {
        let token = text[777 + pos] as usize;
        let (split, logits) = bench.step(token, pos);
        assert_eq!(logits, scalar.step(token).unwrap(), "{name}: logits of step {pos} differ from the scalar runner");
        per_pos.push(split);
    }
    println!("| position | cycles | tokens/s at 62.5 MHz | attention (SCORES + VALUES) | overlay loads | DMA wait |");
    println!("|---|---|---|---|---|---|");
    for (pos, s) in per_pos.iter().enumerate() {
        if pos % 8 != 0 && pos != steps / 2 - 1 && pos != steps - 1 {
            continue;
        }
        let att: u64 = ["ATT_SCORES", "ATT_VALUES"].iter().map(|l| s.cycles.get(*l).map_or(0, |e| e.0)).sum();
        let ovl = s.cycles.get("overlay loads").map_or(0, |e| e.0);
        println!(
            "| {pos} | {} | {:.0} | {att} | {ovl} | {} |",
            s.total,
            RSP_HZ / s.total as f64,
            s.stats.dma_wait_cycles
        );
    }
    let mean = per_pos.iter().map(|s| s.total).sum::<u64>() as f64 / per_pos.len() as f64;
    println!("\nmean over positions 0..{}: {mean:.0} cycles = {:.0} tokens/s\n", steps - 1, RSP_HZ / mean);
    for &pos in &[0, steps / 2 - 1, steps - 1] {
        let s = &per_pos[pos];
        println!("### position {pos}: {} cycles\n", s.total);
        println!(
            "instructions {}, issue groups {} ({} dual), DMA {} transfers / {} bytes / {} busy cycles ({:.0}% of the step), DMA wait {} cycles, overlay loads {}\n",
            s.stats.instructions,
            s.stats.groups,
            s.stats.dual_issued,
            s.stats.dma.transfers,
            s.stats.dma.bytes,
            s.stats.dma.busy_cycles,
            100.0 * s.stats.dma.busy_cycles as f64 / s.total as f64,
            s.stats.dma_wait_cycles,
            s.overlay_loads
        );
        println!("| part | runs | cycles | share | of which DMA wait |");
        println!("|---|---|---|---|---|");
        let mut rows: Vec<_> = s.cycles.iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1 .0));
        for (label, (c, w, runs)) in rows {
            let runs = if *runs == 0 { "-".to_string() } else { runs.to_string() };
            println!("| {label} | {runs} | {c} | {:.1}% | {w} |", 100.0 * *c as f64 / s.total as f64);
        }
        println!();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = shared_fixtures::read("fixtures/seed-v5/corpus_v5_expanded.txt")
        .expect("the fixture corpus (../shared) gives the bytes fed");
    if let Some(i) = args.iter().position(|a| a == "--weights") {
        let path = args.get(i + 1).expect("--weights needs a path");
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let file =
            if bytes.starts_with(b"SEAI") { to_rspw_vec(&SeedModel::parse(&bytes).unwrap()).unwrap() } else { bytes };
        measure(path, &file, &text);
        return;
    }
    let seai = shared_fixtures::read("fixtures/seed-v5/weights_v5_q8.seai").expect("the seed-v5 fixture (../shared)");
    let seed = SeedModel::parse(&seai).unwrap();
    measure("seed-v5, Q8, 4 layers", &to_rspw_vec(&seed).unwrap(), &text);
    let cut = truncate_seai(&seai, 2);
    let seed2 = SeedModel::parse(&cut).unwrap();
    measure(
        "seed-v5 requantised to Q4, first 2 layers",
        &to_rspw_vec(&Requantized::to_q4(&seed2).unwrap()).unwrap(),
        &text,
    );
}
