//! `rsp-sim`: run an RSP program image from the command line.
//!
//! ```text
//! rsp-sim run --imem TEXT.bin --dmem DATA.bin [--rdram FILE] --out-dmem OUT.bin
//!             [--out-rdram FILE] [--max-cycles N] [--trace]
//! ```
//! Starts at PC 0 and runs until BREAK; prints the cycle and instruction counts and the rest of
//! the statistics. Exceeding `--max-cycles` (default 10,000,000) is an error that shows the PC
//! and the last instructions executed.
//!
//! Images are read at most as large as the memory they fill (IMEM and DMEM 4 KiB, RDRAM 8 MiB);
//! the outputs are written together or not at all. Exit status: 0 on success and for `--help`,
//! 1 for a failed run or file, 2 for a usage error.

use clap::{Parser, Subcommand};
use rsp_sim::{Rsp, StopReason};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// IMEM and DMEM hold 4 KiB each (RSP-FACTS "Memory").
const SP_MEM_BYTES: u64 = 4096;
/// The largest RDRAM image: 8 MiB, an N64 with the Expansion Pak (4 MiB without).
const MAX_RDRAM_BYTES: u64 = 8 << 20;

#[derive(Parser)]
#[command(
    name = "rsp-sim",
    version,
    about = "Run an N64 RSP program on the simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run from PC 0 to BREAK, write DMEM (and RDRAM), print the statistics.
    Run(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// IMEM image (big-endian, at most 4096 bytes, loaded at IMEM 0).
    #[arg(long, value_name = "TEXT.bin")]
    imem: PathBuf,
    /// DMEM image (big-endian, at most 4096 bytes, loaded at DMEM 0).
    #[arg(long, value_name = "DATA.bin")]
    dmem: PathBuf,
    /// RDRAM image (at most 8 MiB); without it the RSP has no RDRAM to DMA from.
    #[arg(long, value_name = "FILE")]
    rdram: Option<PathBuf>,
    /// Where to write DMEM after the run.
    #[arg(long, value_name = "OUT.bin")]
    out_dmem: PathBuf,
    /// Where to write RDRAM after the run.
    #[arg(long, value_name = "FILE")]
    out_rdram: Option<PathBuf>,
    /// Cycle budget, 1 to 10_000_000_000 (underscores allowed: 10_000_000).
    #[arg(long, value_name = "N", default_value = "10_000_000", value_parser = parse_cycles)]
    max_cycles: u64,
    /// Print every instruction and what it changed (stderr).
    #[arg(long)]
    trace: bool,
}

/// The largest `--max-cycles`: 10,000,000,000 RSP cycles, 160 s of RSP time at 62.5 MHz and a
/// few minutes of the simulator's (30-48 M instructions/s), so a program that never reaches
/// BREAK ends within a bound the user can wait for.
const MAX_CYCLES: u64 = 10_000_000_000;

fn parse_cycles(s: &str) -> Result<u64, String> {
    match s.replace('_', "").parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) if n > MAX_CYCLES => Err(format!(
            "{n} is more than the {MAX_CYCLES} cycles rsp-sim runs at most"
        )),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("`{s}` is not a cycle count: {e}")),
    }
}

fn read(path: &Path, role: &str, max: u64) -> Result<Vec<u8>, String> {
    tool_io::read_bounded(path, role, max).map_err(|e| e.to_string())
}

fn run(o: &RunArgs) -> Result<(), String> {
    let imem = read(&o.imem, "IMEM image", SP_MEM_BYTES)?;
    let dmem = read(&o.dmem, "DMEM image", SP_MEM_BYTES)?;
    let rdram = match &o.rdram {
        Some(p) => read(p, "RDRAM image", MAX_RDRAM_BYTES)?,
        None => Vec::new(),
    };
    if o.out_rdram.is_some() && o.rdram.is_none() {
        return Err("--out-rdram needs --rdram (without it the RSP has no RDRAM)".into());
    }
    let mut rsp = Rsp::with_rdram(rdram);
    rsp.load_imem(0, &imem)
        .map_err(|e| format!("{}: {e}", o.imem.display()))?;
    rsp.load_dmem(0, &dmem)
        .map_err(|e| format!("{}: {e}", o.dmem.display()))?;
    rsp.set_pc(0);
    if o.trace {
        rsp.set_tracer(Some(Box::new(|r| eprintln!("{r}"))));
    }
    let stop = rsp.run(o.max_cycles).map_err(|e| e.to_string())?;
    let mut outputs = tool_io::Outputs::new();
    outputs
        .stage(&o.out_dmem, rsp.dmem())
        .map_err(|e| e.to_string())?;
    if let Some(p) = &o.out_rdram {
        outputs.stage(p, rsp.rdram()).map_err(|e| e.to_string())?;
    }
    outputs.commit().map_err(|e| e.to_string())?;
    let s = rsp.stats();
    println!(
        "stopped by {} at pc {:03x}",
        match stop {
            StopReason::Break => "BREAK",
            StopReason::Halted => "a write of SP_STATUS (halt)",
        },
        rsp.pc()
    );
    println!("{s}");
    Ok(())
}

fn main() -> ExitCode {
    let Command::Run(args) = Cli::parse().command;
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rsp-sim: error: {e}");
            ExitCode::FAILURE
        }
    }
}
