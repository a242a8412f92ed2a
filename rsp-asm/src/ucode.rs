//! The result of an assembly: IMEM and DMEM images, overlays, symbols, listing.

use std::fmt::Write as _;

/// RSP IMEM and DMEM are 4 KB each (RSP-FACTS "Machine").
pub const IMEM_SIZE: u32 = 4096;
pub const DMEM_SIZE: u32 = 4096;

/// What a symbol is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A label in resident IMEM code.
    Text,
    /// A label in the overlay of this name (an IMEM address inside the overlay region).
    Overlay(String),
    /// A label in DMEM (`.data` / `.bss`).
    Data,
    /// A constant (`.equ`, `.set`, `=`, `.struct` fields and sizes).
    Constant,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    /// Address (IMEM/DMEM byte offset) for labels; the value for constants.
    pub value: i64,
    pub kind: SymbolKind,
    /// Named by `.global` / `.globl`.
    pub global: bool,
    /// `file:line` of the definition.
    pub defined_at: String,
}

/// Code that is loaded into the shared overlay region of IMEM on demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlay {
    pub name: String,
    /// IMEM address the image must be DMA'd to (8-byte aligned; the same for every overlay).
    pub load_address: u32,
    /// Big-endian instruction words, padded to a multiple of 8 bytes (the RSP DMA unit).
    pub image: Vec<u8>,
}

impl Overlay {
    pub fn size(&self) -> u32 {
        self.image.len() as u32
    }
}

/// One line of the listing: where it went, the bytes, and the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingEntry {
    /// `"imem"`, `"dmem"` or the overlay name.
    pub memory: String,
    pub address: u32,
    pub bytes: Vec<u8>,
    pub file: String,
    pub line: u32,
    pub source: String,
}

/// An assembled microcode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ucode {
    /// Resident code, to load at IMEM offset 0 (big-endian words).
    pub text: Vec<u8>,
    /// Initialised DMEM, to load at DMEM offset 0.
    pub data: Vec<u8>,
    /// Zero-initialised DMEM after `data` (`.bss`); the loader may skip it.
    pub bss_size: u32,
    /// IMEM address of the overlay region (all overlays load here); equals the end of the
    /// resident code rounded up to 8 when there are overlays.
    pub overlay_base: u32,
    pub overlays: Vec<Overlay>,
    pub symbols: Vec<Symbol>,
    /// Where execution starts (`.entry`, default 0).
    pub entry: u32,
    pub listing: Vec<ListingEntry>,
    /// Every source file read (for `cargo:rerun-if-changed`).
    pub source_files: Vec<String>,
}

impl Ucode {
    /// IMEM bytes taken: resident code plus the largest overlay.
    pub fn imem_used(&self) -> u32 {
        match self.overlays.iter().map(Overlay::size).max() {
            Some(biggest) => self.overlay_base + biggest,
            None => self.text.len() as u32,
        }
    }

    /// DMEM bytes taken: data plus bss.
    pub fn dmem_used(&self) -> u32 {
        self.data.len() as u32 + self.bss_size
    }

    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbols.iter().find(|s| s.name == name)
    }

    /// The resident text as instruction words.
    pub fn text_words(&self) -> Vec<u32> {
        words(&self.text)
    }

    pub fn overlay(&self, name: &str) -> Option<&Overlay> {
        self.overlays.iter().find(|o| o.name == name)
    }

    /// `address word source` lines (`--listing`): one line per 4 bytes emitted; the source text
    /// is shown on the first line of each statement.
    pub fn listing_text(&self) -> String {
        let mut out = String::new();
        for e in &self.listing {
            let prefix = if e.memory == "dmem" {
                "D"
            } else if e.memory == "imem" {
                "I"
            } else {
                "O"
            };
            if e.bytes.is_empty() {
                let _ = writeln!(out, "{prefix} {:04x}           {}", e.address, e.source);
                continue;
            }
            for (k, chunk) in e.bytes.chunks(4).enumerate() {
                let hex: String = chunk.iter().map(|b| format!("{b:02x}")).collect();
                let src = if k == 0 { e.source.as_str() } else { "" };
                let _ = writeln!(out, "{prefix} {:04x} {hex:<8}  {src}", e.address + 4 * k as u32);
                if k >= 63 {
                    let _ = writeln!(out, "  ... ({} bytes in all)", e.bytes.len());
                    break;
                }
            }
        }
        out
    }
}

/// Big-endian bytes to words (a trailing partial word is padded with zeros).
pub fn words(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks(4).map(|c| c.iter().enumerate().fold(0u32, |w, (i, b)| w | (*b as u32) << (24 - 8 * i))).collect()
}
