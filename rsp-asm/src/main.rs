//! `rsp-asm FILE.S --text-bin OUT.text --data-bin OUT.data [--listing]`
//!
//! Writes raw big-endian images (text at IMEM offset 0, data at DMEM offset 0). Other options:
//! `-I DIR` (include directory, repeatable), `--overlay-dir DIR` (one `NAME.bin` per overlay),
//! `--rust OUT.rs` (the Rust source a build script would get), `--symbols` (print the symbol
//! table), `--libdragon` (link as libdragon's rsp.ld does: `rsp_asm::AddressMap::LIBDRAGON`;
//! `--text-origin ADDR` / `--data-origin ADDR` for an rsp.ld with other ORIGINs),
//! and `--disassemble FILE.bin [--base ADDR]` (words back to source syntax).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: rsp-asm FILE.S [--text-bin OUT] [--data-bin OUT] [--listing] [--symbols]
               [--overlay-dir DIR] [--rust OUT.rs] [-I DIR]...
               [--libdragon [--text-origin ADDR] [--data-origin ADDR]]
       rsp-asm --disassemble FILE.bin [--base ADDR]";

#[derive(Default)]
struct Options {
    input: Option<String>,
    text_bin: Option<PathBuf>,
    data_bin: Option<PathBuf>,
    overlay_dir: Option<PathBuf>,
    rust: Option<PathBuf>,
    include_dirs: Vec<PathBuf>,
    listing: bool,
    symbols: bool,
    libdragon: bool,
    text_origin: Option<u32>,
    data_origin: Option<u32>,
    disassemble: Option<PathBuf>,
    base: u32,
}

fn parse_number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut value = || {
            i += 1;
            args.get(i).cloned().ok_or_else(|| format!("{a} needs a value"))
        };
        match a {
            "--text-bin" => o.text_bin = Some(value()?.into()),
            "--data-bin" => o.data_bin = Some(value()?.into()),
            "--overlay-dir" => o.overlay_dir = Some(value()?.into()),
            "--rust" => o.rust = Some(value()?.into()),
            "-I" => o.include_dirs.push(value()?.into()),
            "--disassemble" => o.disassemble = Some(value()?.into()),
            "--base" => {
                let v = value()?;
                o.base = parse_number(&v).ok_or_else(|| format!("bad --base `{v}`"))?;
            }
            "--listing" => o.listing = true,
            "--symbols" => o.symbols = true,
            "--libdragon" => o.libdragon = true,
            "--text-origin" | "--data-origin" => {
                let v = value()?;
                let n = parse_number(&v).ok_or_else(|| format!("bad {a} `{v}`"))?;
                if a == "--text-origin" {
                    o.text_origin = Some(n);
                } else {
                    o.data_origin = Some(n);
                }
            }
            "-h" | "--help" => return Err(String::new()),
            _ if a.starts_with("-I") && a.len() > 2 => o.include_dirs.push(a[2..].into()),
            _ if a.starts_with('-') => return Err(format!("unknown option {a}")),
            _ if o.input.is_none() => o.input = Some(a.to_string()),
            _ => return Err(format!("more than one input file ({a})")),
        }
        i += 1;
    }
    Ok(o)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("rsp-asm: cannot write {}: {e}", path.display()))
}

fn run(o: Options) -> Result<(), String> {
    if let Some(bin) = &o.disassemble {
        let bytes = std::fs::read(bin).map_err(|e| format!("rsp-asm: cannot read {}: {e}", bin.display()))?;
        print!("{}", rsp_asm::disassemble(&bytes, o.base));
        return Ok(());
    }
    let input = o.input.as_deref().ok_or_else(|| USAGE.to_string())?;
    let dirs: Vec<&Path> = o.include_dirs.iter().map(PathBuf::as_path).collect();
    let map = match (o.libdragon, rsp_asm::AddressMap::LIBDRAGON) {
        (true, rsp_asm::AddressMap::Libdragon { text_origin, data_origin }) => rsp_asm::AddressMap::Libdragon {
            text_origin: o.text_origin.unwrap_or(text_origin),
            data_origin: o.data_origin.unwrap_or(data_origin),
        },
        _ if o.text_origin.is_some() || o.data_origin.is_some() => {
            return Err("rsp-asm: --text-origin/--data-origin go with --libdragon".to_string())
        }
        _ => rsp_asm::AddressMap::Rspnn,
    };
    let ucode = rsp_asm::assemble_file_with(input, &dirs, map).map_err(|e| e.to_string())?;
    if let Some(p) = &o.text_bin {
        write(p, &ucode.text)?;
    }
    if let Some(p) = &o.data_bin {
        write(p, &ucode.data)?;
    }
    if let Some(dir) = &o.overlay_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("rsp-asm: cannot create {}: {e}", dir.display()))?;
        for ov in &ucode.overlays {
            write(&dir.join(format!("{}.bin", ov.name)), &ov.image)?;
        }
    }
    if let Some(p) = &o.rust {
        let text = rsp_asm::rust_source(&ucode, input).map_err(|e| e.to_string())?;
        write(p, text.as_bytes())?;
    }
    if o.listing {
        print!("{}", ucode.listing_text());
    }
    if o.symbols {
        for s in &ucode.symbols {
            println!(
                "{:<32} {:>10} {:?}{}",
                s.name,
                format!("0x{:x}", s.value),
                s.kind,
                if s.global { " global" } else { "" }
            );
        }
    }
    eprintln!(
        "rsp-asm: {input}: IMEM {} / 4096 bytes, DMEM {} / 4096 bytes, {} overlay(s)",
        ucode.imem_used(),
        ucode.dmem_used(),
        ucode.overlays.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = parse_args(&args)
        .map_err(|e| if e.is_empty() { USAGE.to_string() } else { format!("rsp-asm: {e}\n{USAGE}") })
        .and_then(run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
