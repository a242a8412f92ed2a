//! rsp-asm: an assembler for the N64 RSP, for `build.rs` scripts and the command line.
//!
//! It reads the syntax libdragon ucode is written in (GNU as for MIPS plus libdragon's
//! `rsp.inc` vector syntax, built in) and produces an [`Ucode`]: the IMEM and DMEM images,
//! overlays, symbols and a listing. See `README.md` for the syntax reference.
//!
//! ```
//! let ucode = rsp_asm::assemble_str("add.S", "
//!     .data
//! ones: .half 1, 1, 1, 1, 1, 1, 1, 1
//!     .text
//!     lqv $v01, %lo(ones)($zero)
//!     vadd $v02, $v01, $v01.e0
//!     break
//! ").unwrap();
//! assert_eq!(ucode.text_words()[1], 0x4b01_0890); // vadd $v02, $v01, $v01.e0
//! assert_eq!(ucode.data.len(), 16);
//! ```
//!
//! Errors come back all at once as [`Errors`], each `file:line:col: error: message` with the
//! source line and a caret; no input makes the assembler panic.

mod assemble;
mod diag;
mod directive;
mod expr;
mod instr;
mod lexer;
mod operand;
mod parse;
mod preprocess;
pub mod rust_out;
mod source;
mod ucode;

use std::path::Path;

pub use assemble::AddressMap;
pub use diag::{Diagnostic, Errors, Location};
pub use rust_out::{build, rust_source};
pub use source::{FsLoader, MemoryLoader, SourceLoader};
pub use ucode::{words, ListingEntry, Overlay, Symbol, SymbolKind, Ucode, DMEM_SIZE, IMEM_SIZE};

/// Assembles `main` (and what it includes) read through `loader`.
pub fn assemble(loader: &dyn SourceLoader, main: &str) -> Result<Ucode, Errors> {
    assemble_with(loader, main, AddressMap::Rspnn)
}

/// [`assemble`] with the given [`AddressMap`] (`AddressMap::LIBDRAGON` for ucode written
/// against libdragon's `rsp.inc` and linked by its `rsp.ld`).
pub fn assemble_with(loader: &dyn SourceLoader, main: &str, map: AddressMap) -> Result<Ucode, Errors> {
    let pre = preprocess::preprocess(loader, main);
    assemble::assemble(pre, main, map)
}

/// Assembles a file from disk; includes are found next to the including file and in
/// `include_dirs`.
pub fn assemble_file(path: impl AsRef<Path>, include_dirs: &[&Path]) -> Result<Ucode, Errors> {
    assemble_file_with(path, include_dirs, AddressMap::Rspnn)
}

/// [`assemble_file`] with the given [`AddressMap`].
pub fn assemble_file_with(path: impl AsRef<Path>, include_dirs: &[&Path], map: AddressMap) -> Result<Ucode, Errors> {
    let loader = FsLoader::with_include_dirs(include_dirs.iter().map(|p| p.to_path_buf()).collect());
    assemble_with(&loader, &path.as_ref().display().to_string(), map)
}

/// Assembles source held in a string (`name` is used in diagnostics; it cannot include files).
pub fn assemble_str(name: &str, text: &str) -> Result<Ucode, Errors> {
    let loader = MemoryLoader::new().with(name, text);
    assemble(&loader, name)
}

/// Disassembles big-endian instruction words loaded at IMEM `base`: one `address: word  text`
/// line each, in the syntax this assembler reads (rsp-isa's `Display`), with branch targets as
/// absolute addresses. Words that are not RSP instructions are shown as `.word`.
pub fn disassemble(bytes: &[u8], base: u32) -> String {
    let mut out = String::new();
    for (i, w) in words(bytes).into_iter().enumerate() {
        let pc = base + 4 * i as u32;
        let text = match rsp_isa::decode(w) {
            Ok(instr) => instr.at(pc).to_string(),
            Err(_) => format!(".word 0x{w:08x}"),
        };
        out.push_str(&format!("{pc:04x}: {w:08x}  {text}\n"));
    }
    out
}
