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
    let mut rsp = rsp_sim::Rsp::with_rdram(rdram);
    rsp.load_imem(0, &ucode::TEXT).expect("TEXT fits IMEM");
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
    let dmem = dmem_image(cmd_list);
    let out = z64_rsp::run(&z64_rsp::Job { imem: &ucode::TEXT, dmem: &dmem, rdram, pc: ucode::ENTRY })
        .expect("z64 plugin runs");
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
