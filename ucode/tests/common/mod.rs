//! Test harness: runs the assembled ucode on rsp-sim and on the z64 RSP (mupen64plus plugin)
//! with an RDRAM image built by `rspnn_ucode::image`, and a seeded random generator.
#![allow(dead_code)]

use rspnn_ucode::layout::{self, status};
use rspnn_ucode::ucode;

/// The ucode's DMEM image with `Boot.cmd_list` = `cmd_list`.
pub fn dmem_image(cmd_list: u32) -> Vec<u8> {
    let mut dmem = ucode::DATA.to_vec();
    dmem.resize(dmem.len().max(layout::BOOT + 16), 0);
    dmem[layout::BOOT..layout::BOOT + 4].copy_from_slice(&cmd_list.to_be_bytes());
    dmem
}

/// What a run left behind.
pub struct Finished {
    pub dmem: Vec<u8>,
    pub rdram: Vec<u8>,
    pub status: u32,
    pub fault_cmd: u32,
    pub stats: Option<rsp_sim::Stats>,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Cycle limit for one simulated run (a 512x512 matvec takes well under a million).
pub const SIM_CYCLE_LIMIT: u64 = 20_000_000;

/// Runs the command list at `cmd_list` on rsp-sim, RDRAM = `rdram`.
pub fn run_sim(rdram: Vec<u8>, cmd_list: u32) -> Finished {
    run_sim_text(&ucode::TEXT, rdram, cmd_list)
}

/// [`run_sim`] with another IMEM image (`ucode::TEXT_Q4_WAW`, the opt-in Q4 chain).
pub fn run_sim_text(text: &[u8], rdram: Vec<u8>, cmd_list: u32) -> Finished {
    let mut rsp = rsp_sim::Rsp::with_rdram(rdram);
    rsp.load_imem(0, text).expect("TEXT fits IMEM");
    rsp.load_dmem(0, &dmem_image(cmd_list)).expect("DATA fits DMEM");
    rsp.set_pc(ucode::ENTRY);
    match rsp.run(SIM_CYCLE_LIMIT) {
        Ok(rsp_sim::StopReason::Break) => {}
        other => panic!("rsp-sim: the ucode did not stop at BREAK: {other:?}"),
    }
    let dmem = rsp.dmem().to_vec();
    Finished {
        status: be32(&dmem, layout::BOOT + 4),
        fault_cmd: be32(&dmem, layout::BOOT + 8),
        stats: Some(*rsp.stats()),
        rdram: rsp.rdram().to_vec(),
        dmem,
    }
}

/// True when the z64 plugin can run; otherwise prints why (the test then returns early), and
/// under `CI=true` fails, because CI installs it (`cargo xtask setup`).
pub fn z64_available() -> bool {
    if z64_rsp::is_available() {
        return true;
    }
    let why = match z64_rsp::run(&z64_rsp::Job::default()) {
        Err(e) => e.to_string(),
        Ok(_) => "unknown reason".into(),
    };
    if shared_fixtures::under_ci() {
        panic!("the z64 RSP plugin must be installed in CI (cargo xtask setup): {why}");
    }
    eprintln!("SKIPPED: {why}");
    false
}

/// Runs the command list on the z64 RSP. Call [`z64_available`] first.
pub fn run_z64(rdram: &[u8], cmd_list: u32) -> Finished {
    run_z64_text(&ucode::TEXT, rdram, cmd_list)
}

/// [`run_z64`] with another IMEM image (`ucode::TEXT_Q4_WAW`, the opt-in Q4 chain).
pub fn run_z64_text(text: &[u8], rdram: &[u8], cmd_list: u32) -> Finished {
    let dmem = dmem_image(cmd_list);
    let out =
        z64_rsp::run(&z64_rsp::Job { imem: text, dmem: &dmem, rdram, pc: ucode::ENTRY }).expect("z64 plugin runs");
    assert!(
        out.broke(),
        "z64: the ucode did not stop at BREAK (status {:08x}, messages {:?})",
        out.status,
        out.messages
    );
    Finished {
        status: be32(&out.dmem, layout::BOOT + 4),
        fault_cmd: be32(&out.dmem, layout::BOOT + 8),
        stats: None,
        rdram: out.rdram,
        dmem: out.dmem,
    }
}

impl Finished {
    /// Panics unless the program reached END.
    pub fn assert_done(&self, who: &str) {
        assert_eq!(
            self.status,
            status::DONE,
            "{who}: status 0x{:x}, fault at command 0x{:x}",
            self.status,
            self.fault_cmd
        );
    }
}

/// A small seeded generator (PCG-style LCG), so every test run sees the same inputs.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next_u32() as u64 % (hi as i64 - lo as i64 + 1) as u64) as i32
    }
    pub fn i16(&mut self) -> i16 {
        self.next_u32() as i16
    }
    pub fn byte(&mut self) -> u8 {
        self.next_u32() as u8
    }
}

use kernels::matvec::{BlockMatrix, WeightBits};
use rspnn_ucode::image::{matvec_image_bytes, read_i16s, MatvecHomes};

/// Block records for `q[row][col]` and `g[row][block]`, written from docs/weight-format.md
/// ("Block records") independently of the crates under test.
pub fn records(bits: WeightBits, q: &[Vec<i8>], g: &[Vec<u16>]) -> Vec<u8> {
    let rows = q.len();
    let cols = q[0].len();
    let mut out = Vec::new();
    for grp in 0..rows / 8 {
        for b in 0..cols / 32 {
            match bits {
                WeightBits::Q8 => {
                    for c in 0..32 {
                        for j in 0..8 {
                            out.push(q[8 * grp + j][32 * b + c] as u8);
                        }
                    }
                }
                WeightBits::Q4 => {
                    for p in 0..16 {
                        for j in 0..8 {
                            let hi = q[8 * grp + j][32 * b + 2 * p] as u8 & 0xF;
                            let lo = q[8 * grp + j][32 * b + 2 * p + 1] as u8 & 0xF;
                            out.push(hi << 4 | lo);
                        }
                    }
                }
            }
            for j in 0..8 {
                out.extend_from_slice(&g[8 * grp + j][b].to_be_bytes());
            }
        }
    }
    out
}

/// How to draw random values.
#[derive(Clone, Copy, Debug)]
pub enum Dist {
    /// Uniform over the whole type.
    Full,
    /// Uniform in -m..=m.
    Within(i32),
}

pub fn random_q(rng: &mut Lcg, bits: WeightBits, rows: usize, cols: usize) -> Vec<Vec<i8>> {
    let (lo, hi) = if bits == WeightBits::Q8 { (-128, 127) } else { (-8, 7) };
    (0..rows).map(|_| (0..cols).map(|_| rng.range(lo, hi) as i8).collect()).collect()
}

pub fn random_g(rng: &mut Lcg, rows: usize, cols: usize, max: i32) -> Vec<Vec<u16>> {
    (0..rows).map(|_| (0..cols / 32).map(|_| rng.range(0, max) as u16).collect()).collect()
}

pub fn random_x(rng: &mut Lcg, n: usize, d: Dist) -> Vec<i16> {
    (0..n)
        .map(|_| match d {
            Dist::Full => rng.i16(),
            Dist::Within(m) => rng.range(-m, m) as i16,
        })
        .collect()
}

/// The oracle: `kernels::matvec`.
pub fn oracle(m: &BlockMatrix<'_>, x: &[i16]) -> Vec<i16> {
    let mut y = vec![0i16; m.rows()];
    kernels::matvec::matvec(m, x, &mut y).expect("oracle accepts the matrix");
    y
}

/// An RDRAM image with one matvec (`put_matvec`), and where y comes back.
pub fn matvec_image(m: &BlockMatrix<'_>, x: &[i16], homes: MatvecHomes) -> (Vec<u8>, rspnn_ucode::MatvecImage) {
    let mut buf = vec![0u8; matvec_image_bytes(m)];
    let mut img = rspnn_ucode::RdramImage::new(&mut buf, 0).unwrap();
    let placed = img.put_matvec(m, x, homes).unwrap();
    let len = img.len();
    buf.truncate(len);
    (buf, placed)
}

/// y from a finished run.
pub fn y_of(out: &Finished, placed: &rspnn_ucode::MatvecImage) -> Vec<i16> {
    let mut y = vec![0i16; placed.rows];
    assert!(read_i16s(&out.rdram, 0, placed.y, &mut y));
    y
}

/// Runs one matvec on rsp-sim; returns y and the statistics.
pub fn matvec_sim(m: &BlockMatrix<'_>, x: &[i16]) -> (Vec<i16>, rsp_sim::Stats) {
    let (rdram, placed) = matvec_image(m, x, MatvecHomes::packed(m.cols()));
    let out = run_sim(rdram.clone(), placed.cmd_list);
    out.assert_done("rsp-sim");
    let y = y_of(&out, &placed);
    // Every Q4 case also runs the opt-in fast chain, which must give the same bytes.
    if m.bits() == WeightBits::Q4 {
        let fast = run_sim_text(&ucode::TEXT_Q4_WAW, rdram, placed.cmd_list);
        fast.assert_done("rsp-sim, Q4 fast chain");
        assert_same("rsp-sim, Q4 fast chain (TEXT_Q4_WAW) against the default chain", &y_of(&fast, &placed), &y);
    }
    (y, out.stats.unwrap())
}

/// Runs one matvec on the z64 RSP.
pub fn matvec_z64(m: &BlockMatrix<'_>, x: &[i16]) -> Vec<i16> {
    let (rdram, placed) = matvec_image(m, x, MatvecHomes::packed(m.cols()));
    let out = run_z64(&rdram, placed.cmd_list);
    out.assert_done("z64");
    let y = y_of(&out, &placed);
    if m.bits() == WeightBits::Q4 {
        let fast = run_z64_text(&ucode::TEXT_Q4_WAW, &rdram, placed.cmd_list);
        fast.assert_done("z64, Q4 fast chain");
        assert_same("z64, Q4 fast chain (TEXT_Q4_WAW) against the default chain", &y_of(&fast, &placed), &y);
    }
    y
}

/// Panics with the first differing rows.
pub fn assert_same(what: &str, got: &[i16], want: &[i16]) {
    if got != want {
        let diffs: Vec<String> = got
            .iter()
            .zip(want)
            .enumerate()
            .filter(|(_, (g, w))| g != w)
            .take(8)
            .map(|(i, (g, w))| format!("row {i}: got {g}, want {w}"))
            .collect();
        let n = got.iter().zip(want).filter(|(g, w)| g != w).count();
        panic!("{what}: {n} of {} rows differ: {}", want.len(), diffs.join("; "));
    }
}
