//! `rsp-asm FILE.S --text-bin OUT.text --data-bin OUT.data [--listing]`
//!
//! Writes raw big-endian images (text at IMEM offset 0, data at DMEM offset 0). Other options:
//! `-I DIR` (include directory, repeatable), `--overlay-dir DIR` (one `NAME.bin` per overlay),
//! `--rust OUT.rs` (the Rust source a build script would get), `--symbols` (print the symbol
//! table), `--layout libdragon|offsets` (how labels are placed: by default as libdragon's rsp.ld
//! links, `rsp_asm::AddressMap::LIBDRAGON`, so libdragon's ucode comes out as GNU's; `offsets`
//! for plain IMEM/DMEM offsets and unpadded images, what `ucode/build.rs` uses through the
//! library), `--text-origin ADDR` / `--data-origin ADDR` for an rsp.ld with other ORIGINs, and
//! `--disassemble FILE.bin [--base ADDR]` (words back to source syntax).
//!
//! Every output is written to a temporary file beside it and renamed into place only when all
//! of them were written, so a failure leaves no output partial or changed. Exit status: 0 on
//! success (and for `--help`), 1 for an assembly or file error, 2 for a usage error.

use clap::Parser;
use rsp_asm::SymbolKind;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// IMEM (and DMEM) size: 4 KiB each (RSP-FACTS "Memory").
const IMEM_BYTES: u32 = 4096;

#[derive(Parser)]
#[command(name = "rsp-asm", version, about = "Assemble (or disassemble) N64 RSP code")]
struct Options {
    /// The source file to assemble.
    #[arg(required_unless_present = "disassemble", conflicts_with = "disassemble")]
    input: Option<PathBuf>,
    /// Write the IMEM image (big-endian, from IMEM offset 0).
    #[arg(long, value_name = "OUT")]
    text_bin: Option<PathBuf>,
    /// Write the DMEM image (big-endian, from DMEM offset 0).
    #[arg(long, value_name = "OUT")]
    data_bin: Option<PathBuf>,
    /// Write one NAME.bin per overlay into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    overlay_dir: Option<PathBuf>,
    /// Write the Rust source a build script would get.
    #[arg(long, value_name = "OUT.rs")]
    rust: Option<PathBuf>,
    /// An include directory (repeatable; `-IDIR` works too).
    #[arg(short = 'I', value_name = "DIR")]
    include_dirs: Vec<PathBuf>,
    /// Print the listing.
    #[arg(long)]
    listing: bool,
    /// Print the symbol table.
    #[arg(long)]
    symbols: bool,
    /// Where labels lie: `libdragon` as libdragon's rsp.ld links (text at 0xA4001000, data at
    /// 0xA4000000, sections padded to 16 bytes: GNU's bytes for ucode written against
    /// rsp.inc); `offsets`: IMEM/DMEM offsets from 0, images unpadded (rspnn's own build).
    #[arg(long, value_enum, default_value_t = Layout::Libdragon)]
    layout: Layout,
    /// With --layout libdragon: the text ORIGIN of an rsp.ld other than today's (older ones
    /// used 0).
    #[arg(long, value_name = "ADDR", value_parser = parse_number)]
    text_origin: Option<u32>,
    /// With --layout libdragon: the data ORIGIN of an rsp.ld other than today's.
    #[arg(long, value_name = "ADDR", value_parser = parse_number)]
    data_origin: Option<u32>,
    /// Disassemble an IMEM image (at most 4096 bytes, a whole number of 4-byte words).
    #[arg(long, value_name = "FILE.bin")]
    disassemble: Option<PathBuf>,
    /// IMEM address of the image's first word (0x.. or decimal; word-aligned, below 0x1000).
    #[arg(long, value_name = "ADDR", default_value = "0", value_parser = parse_base, requires = "disassemble")]
    base: u32,
}

/// A 32-bit number, 0x.. or decimal.
fn parse_number(s: &str) -> Result<u32, String> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    }
    .map_err(|_| format!("`{s}` is not a 32-bit number (0x.. or decimal)"))
}

/// `--base`: an IMEM offset, word-aligned and inside IMEM.
fn parse_base(s: &str) -> Result<u32, String> {
    let v = parse_number(s)?;
    if v % 4 != 0 {
        return Err(format!("{v:#x} is not word-aligned (instructions are 4-byte aligned)"));
    }
    if v >= IMEM_BYTES {
        return Err(format!("{v:#x} is outside IMEM (0x000..0xffc)"));
    }
    Ok(v)
}

fn disassemble(bin: &Path, base: u32) -> Result<(), String> {
    // The image must fit between --base and the end of IMEM.
    let room = u64::from(IMEM_BYTES - base);
    let bytes = tool_io::read_bounded(bin, "IMEM image", room).map_err(|e| {
        if base == 0 {
            e.to_string()
        } else {
            format!("{e} (from --base {base:#x} to the end of IMEM)")
        }
    })?;
    if bytes.len() % 4 != 0 {
        return Err(format!(
            "{}: {} bytes is not a whole number of 4-byte instruction words",
            bin.display(),
            bytes.len()
        ));
    }
    print!("{}", rsp_asm::disassemble(&bytes, base));
    Ok(())
}

/// The largest source file read: 16 MiB (IMEM holds 1024 instructions; no real source comes
/// near it, and an endless file is refused instead of read until memory runs out).
const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// Loads the main file by its real path (the library names sources by UTF-8 display names, so
/// a non-UTF-8 path would not be found again from its name) and includes with the library's
/// `FsLoader`, first next to the main file's real directory.
struct CliLoader {
    main_name: String,
    main_path: PathBuf,
    fs: rsp_asm::FsLoader,
}

impl rsp_asm::SourceLoader for CliLoader {
    fn load(&self, name: &str, from: Option<&str>) -> Result<(String, String), String> {
        if from.is_none() && name == self.main_name {
            let bytes = tool_io::read_bounded(&self.main_path, "source file", MAX_SOURCE_BYTES)
                .map_err(|e| e.reason().to_string())?;
            // As the library's loader: stray non-UTF-8 bytes in comments must not stop a build.
            return Ok((name.to_string(), String::from_utf8_lossy(&bytes).into_owned()));
        }
        if from == Some(self.main_name.as_str()) && !Path::new(name).is_absolute() {
            if let Some(dir) = self.main_path.parent() {
                let beside = dir.join(name);
                if beside.is_file() {
                    if let Some(real) = beside.to_str() {
                        return self.fs.load(real, None);
                    }
                }
            }
        }
        self.fs.load(name, from)
    }

    fn load_angled(&self, name: &str) -> Result<(String, String), String> {
        self.fs.load_angled(name)
    }
}

fn symbol_kind(k: &SymbolKind) -> String {
    match k {
        SymbolKind::Text => "text".into(),
        SymbolKind::Overlay(name) => format!("overlay {name}"),
        SymbolKind::Data => "data".into(),
        SymbolKind::Constant => "constant".into(),
    }
}

fn run(o: Options) -> Result<(), Failure> {
    if let Some(bin) = &o.disassemble {
        return Ok(disassemble(bin, o.base)?);
    }
    let Some(input) = o.input.as_deref() else {
        return Err(Failure::Other("no input file".into()));
    };
    let name = input.display().to_string();
    let loader = CliLoader {
        main_name: name.clone(),
        main_path: input.to_path_buf(),
        fs: rsp_asm::FsLoader::with_include_dirs(o.include_dirs.clone()),
    };
    let map = match rsp_asm::AddressMap::LIBDRAGON {
        rsp_asm::AddressMap::Libdragon { text_origin, data_origin } if o.layout == Layout::Libdragon => {
            rsp_asm::AddressMap::Libdragon {
                text_origin: o.text_origin.unwrap_or(text_origin),
                data_origin: o.data_origin.unwrap_or(data_origin),
            }
        }
        _ => rsp_asm::AddressMap::Rspnn,
    };
    let ucode = rsp_asm::assemble_with(&loader, &name, map).map_err(|e| Failure::Assembly(e.to_string()))?;
    // Everything that can fail before a byte is written: the Rust source, then every output
    // staged beside its destination; only then are they renamed into place.
    let rust = match &o.rust {
        Some(_) => Some(rsp_asm::rust_source(&ucode, &name).map_err(|e| Failure::Assembly(e.to_string()))?),
        None => None,
    };
    let mut outputs = tool_io::Outputs::new();
    let mut made_dir = None;
    let staged = (|| -> Result<(), String> {
        let err = |e: tool_io::FileError| e.to_string();
        if let Some(p) = &o.text_bin {
            outputs.stage(p, &ucode.text).map_err(err)?;
        }
        if let Some(p) = &o.data_bin {
            outputs.stage(p, &ucode.data).map_err(err)?;
        }
        if let Some(dir) = &o.overlay_dir {
            if !dir.is_dir() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("{}: cannot create the overlay directory: {e}", dir.display()))?;
                made_dir = Some(dir.clone());
            }
            for ov in &ucode.overlays {
                outputs.stage(&dir.join(format!("{}.bin", ov.name)), &ov.image).map_err(err)?;
            }
        }
        if let (Some(p), Some(text)) = (&o.rust, &rust) {
            outputs.stage(p, text.as_bytes()).map_err(err)?;
        }
        Ok(())
    })();
    if let Err(e) = staged {
        drop(outputs);
        if let Some(dir) = made_dir {
            // Only if still empty: it holds nothing of ours once the temporary files are gone.
            let _ = std::fs::remove_dir(dir);
        }
        return Err(Failure::Other(e));
    }
    outputs.commit().map_err(|e| e.to_string())?;
    if o.listing {
        print!("{}", ucode.listing_text());
    }
    if o.symbols {
        for s in &ucode.symbols {
            println!(
                "{:<32} {:>10} {}{}",
                s.name,
                format!("0x{:x}", s.value),
                symbol_kind(&s.kind),
                if s.global { " global" } else { "" }
            );
        }
    }
    eprintln!(
        "rsp-asm: {name}: IMEM {} / 4096 bytes, DMEM {} / 4096 bytes, {} overlay(s)",
        ucode.imem_used(),
        ucode.dmem_used(),
        ucode.overlays.len()
    );
    Ok(())
}

/// `--layout`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Layout {
    Libdragon,
    Offsets,
}

fn main() -> ExitCode {
    let options = Options::parse();
    if options.layout == Layout::Offsets && (options.text_origin.is_some() || options.data_origin.is_some()) {
        use clap::CommandFactory;
        Options::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--text-origin and --data-origin place libdragon's sections: they go with --layout libdragon",
            )
            .exit();
    }
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Assembly(e)) => {
            // file:line:col diagnostics with the line and a caret, and the error count.
            eprintln!("{e}");
            ExitCode::FAILURE
        }
        Err(Failure::Other(e)) => {
            eprintln!("rsp-asm: {e}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Assembly(String),
    Other(String),
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure::Other(e)
    }
}
