//! `rsp-sim`: run an RSP program image from the command line.
//!
//! ```text
//! rsp-sim run --imem TEXT.bin --dmem DATA.bin [--rdram FILE] --out-dmem OUT.bin
//!             [--out-rdram FILE] [--max-cycles N] [--trace]
//! ```
//! Starts at PC 0 and runs until BREAK; prints the cycle and instruction counts and the rest of
//! the statistics. Exceeding `--max-cycles` (default 10,000,000) is an error that shows the PC
//! and the last instructions executed.

use rsp_sim::{Rsp, StopReason};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str =
    "usage: rsp-sim run --imem TEXT.bin --dmem DATA.bin [--rdram FILE] --out-dmem OUT.bin \
[--out-rdram FILE] [--max-cycles N] [--trace]";

#[derive(Debug, Default)]
struct Options {
    imem: Option<PathBuf>,
    dmem: Option<PathBuf>,
    rdram: Option<PathBuf>,
    out_dmem: Option<PathBuf>,
    out_rdram: Option<PathBuf>,
    max_cycles: u64,
    trace: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("run") => {}
        Some(other) => return Err(format!("unknown command `{other}`")),
        None => return Err("missing command".into()),
    }
    let mut o = Options {
        max_cycles: 10_000_000,
        ..Default::default()
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--imem" => o.imem = Some(value("--imem")?.into()),
            "--dmem" => o.dmem = Some(value("--dmem")?.into()),
            "--rdram" => o.rdram = Some(value("--rdram")?.into()),
            "--out-dmem" => o.out_dmem = Some(value("--out-dmem")?.into()),
            "--out-rdram" => o.out_rdram = Some(value("--out-rdram")?.into()),
            "--max-cycles" => {
                let v = value("--max-cycles")?;
                o.max_cycles = v
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("--max-cycles: `{v}` is not a number"))?;
            }
            "--trace" => o.trace = true,
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if o.imem.is_none() {
        return Err("--imem is required".into());
    }
    if o.dmem.is_none() {
        return Err("--dmem is required".into());
    }
    if o.out_dmem.is_none() {
        return Err("--out-dmem is required".into());
    }
    Ok(o)
}

fn read(path: &PathBuf, what: &str, max: Option<usize>) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{what} {}: {e}", path.display()))?;
    if let Some(max) = max {
        if bytes.len() > max {
            return Err(format!(
                "{what} {}: {} bytes, more than the {max} it holds",
                path.display(),
                bytes.len()
            ));
        }
    }
    Ok(bytes)
}

fn run(o: &Options) -> Result<(), String> {
    let imem = read(o.imem.as_ref().unwrap(), "IMEM image", Some(4096))?;
    let dmem = read(o.dmem.as_ref().unwrap(), "DMEM image", Some(4096))?;
    let rdram = match &o.rdram {
        Some(p) => read(p, "RDRAM image", None)?,
        None => Vec::new(),
    };
    let mut rsp = Rsp::with_rdram(rdram);
    rsp.load_imem(0, &imem).map_err(|e| e.to_string())?;
    rsp.load_dmem(0, &dmem).map_err(|e| e.to_string())?;
    rsp.set_pc(0);
    if o.trace {
        rsp.set_tracer(Some(Box::new(|r| eprintln!("{r}"))));
    }
    let stop = rsp.run(o.max_cycles).map_err(|e| e.to_string())?;
    std::fs::write(o.out_dmem.as_ref().unwrap(), rsp.dmem())
        .map_err(|e| format!("writing {}: {e}", o.out_dmem.as_ref().unwrap().display()))?;
    if let Some(p) = &o.out_rdram {
        std::fs::write(p, rsp.rdram()).map_err(|e| format!("writing {}: {e}", p.display()))?;
    }
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("rsp-sim: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rsp-sim: error: {e}");
            ExitCode::FAILURE
        }
    }
}
