//! Reads a ROM program's ELF (32-bit, big-endian, MIPS executable) and writes the minimal ELF
//! that libdragon's IPL3 loads (ELF header, PT_LOAD program headers and their data; no
//! sections, so no debug info travels into the ROM).
//!
//! Field offsets: the System V ABI "ELF header" and "Program header" tables (ELF32).

use std::fmt;

const ELF_MAGIC: [u8; 4] = [0x7F, b'E', b'L', b'F'];
const ELFCLASS32: u8 = 1;
const ELFDATA2MSB: u8 = 2;
const ET_EXEC: u16 = 2;
const EM_MIPS: u16 = 8;
const PT_LOAD: u32 = 1;
const EHDR_SIZE: usize = 52;
const PHDR_SIZE: usize = 32;
/// Alignment of segment data in the ELFs we write (libdragon's IPL3 needs 2; DMA likes 8).
const SEGMENT_FILE_ALIGN: usize = 16;
/// Largest span a flat image may cover: the N64's RDRAM with the Expansion Pak (8 MiB).
pub const MAX_IMAGE_SPAN: u64 = 8 * 1024 * 1024;

/// Why an ELF file was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfError(pub String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ELF: {}", self.0)
    }
}

fn error<T>(message: impl Into<String>) -> Result<T, ElfError> {
    Err(ElfError(message.into()))
}

/// One loadable segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u32,
    /// The bytes stored in the file (`p_filesz` of them).
    pub data: Vec<u8>,
    /// Size in memory; the part past `data` is zero-filled (`.bss`).
    pub mem_size: u32,
    /// `p_flags` (read/write/execute bits).
    pub flags: u32,
}

/// What a loader needs from an executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub entry: u32,
    /// `e_flags` (for MIPS: ABI and ISA level), kept when writing the minimal ELF.
    pub flags: u32,
    /// The PT_LOAD segments with a non-zero size in memory, in file order.
    pub segments: Vec<Segment>,
}

/// The program's bytes laid out from its lowest address, as our IPL3 copies them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatImage {
    pub load_addr: u32,
    /// From `load_addr` to the end of the last segment's file data; gaps are zero.
    pub bytes: Vec<u8>,
    /// One past the last byte any segment occupies in memory (`.bss` included).
    pub mem_end: u32,
}

fn u16_at(bytes: &[u8], offset: usize) -> u16 {
    u16::from_be_bytes([bytes[offset], bytes[offset + 1]])
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes([
        bytes[offset],
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ])
}

/// Parses an N64 executable.
pub fn parse(bytes: &[u8]) -> Result<Program, ElfError> {
    if bytes.len() < EHDR_SIZE || bytes[..4] != ELF_MAGIC {
        return error("not an ELF file (no ELF header)");
    }
    if bytes[4] != ELFCLASS32 {
        return error(format!(
            "class {} is not 32-bit; the N64 target builds ELF32",
            bytes[4]
        ));
    }
    if bytes[5] != ELFDATA2MSB {
        return error("not big-endian; the N64 runs big-endian code");
    }
    let (e_type, machine) = (u16_at(bytes, 16), u16_at(bytes, 18));
    if machine != EM_MIPS {
        return error(format!("machine {machine} is not MIPS ({EM_MIPS})"));
    }
    if e_type != ET_EXEC {
        return error(format!("type {e_type} is not an executable ({ET_EXEC})"));
    }
    let entry = u32_at(bytes, 24);
    let phoff = u32_at(bytes, 28) as usize;
    let flags = u32_at(bytes, 36);
    let phentsize = u16_at(bytes, 42) as usize;
    let phnum = u16_at(bytes, 44) as usize;
    if phentsize < PHDR_SIZE {
        return error(format!(
            "program header size {phentsize} is below {PHDR_SIZE}"
        ));
    }
    let table_end = phoff as u64 + (phentsize * phnum) as u64;
    if table_end > bytes.len() as u64 {
        return error(format!(
            "the program header table ({phnum} x {phentsize} bytes at {phoff:#x}) runs past the \
             end of the file ({} bytes)",
            bytes.len()
        ));
    }

    let mut segments = Vec::new();
    for index in 0..phnum {
        let header = &bytes[phoff + index * phentsize..][..PHDR_SIZE];
        if u32_at(header, 0) != PT_LOAD {
            continue;
        }
        let offset = u32_at(header, 4) as usize;
        let vaddr = u32_at(header, 8);
        let file_size = u32_at(header, 16) as usize;
        let mem_size = u32_at(header, 20);
        let seg_flags = u32_at(header, 24);
        if file_size as u64 > mem_size as u64 {
            return error(format!(
                "segment {index}: file size {file_size} exceeds memory size {mem_size}"
            ));
        }
        if offset as u64 + file_size as u64 > bytes.len() as u64 {
            return error(format!(
                "segment {index}: data ({file_size} bytes at {offset:#x}) runs past the end of the file"
            ));
        }
        if vaddr as u64 + mem_size as u64 > 1 << 32 {
            return error(format!(
                "segment {index}: {vaddr:#x} + {mem_size} wraps the address space"
            ));
        }
        if mem_size == 0 {
            continue;
        }
        let data = bytes[offset..offset + file_size].to_vec();
        segments.push(Segment {
            vaddr,
            data,
            mem_size,
            flags: seg_flags,
        });
    }
    if segments.is_empty() {
        return error("no loadable segment");
    }
    Ok(Program {
        entry,
        flags,
        segments,
    })
}

impl Program {
    /// Lays the segments out as one block of memory from the lowest address.
    pub fn flat_image(&self) -> Result<FlatImage, ElfError> {
        let mut sorted: Vec<&Segment> = self.segments.iter().collect();
        sorted.sort_by_key(|segment| segment.vaddr);
        for pair in sorted.windows(2) {
            let end = pair[0].vaddr as u64 + pair[0].mem_size as u64;
            if end > pair[1].vaddr as u64 {
                return error(format!(
                    "segments at {:#x} and {:#x} overlap",
                    pair[0].vaddr, pair[1].vaddr
                ));
            }
        }
        let load_addr = sorted[0].vaddr;
        let file_end = sorted
            .iter()
            .map(|s| s.vaddr as u64 + s.data.len() as u64)
            .max();
        let mem_end = sorted
            .iter()
            .map(|s| s.vaddr as u64 + s.mem_size as u64)
            .max();
        let (file_end, mem_end) = (file_end.unwrap_or(0), mem_end.unwrap_or(0));
        if mem_end - load_addr as u64 > MAX_IMAGE_SPAN {
            return error(format!(
                "segments span {load_addr:#x}..{mem_end:#x}, more than the N64's 8 MiB of RDRAM"
            ));
        }
        let mut bytes = vec![0u8; (file_end.max(load_addr as u64) - load_addr as u64) as usize];
        for segment in sorted {
            let start = (segment.vaddr - load_addr) as usize;
            bytes[start..start + segment.data.len()].copy_from_slice(&segment.data);
        }
        // mem_end never exceeds 2^32 (parse checks each segment), but fits u32 only below it.
        let mem_end = u32::try_from(mem_end).map_err(|_| ElfError("image ends at 4 GiB".into()))?;
        Ok(FlatImage {
            load_addr,
            bytes,
            mem_end,
        })
    }

    /// The minimal ELF of this program: header, PT_LOAD headers, segment data.
    pub fn to_minimal_elf(&self) -> Vec<u8> {
        let phnum = self.segments.len();
        let mut out = Vec::new();
        out.extend_from_slice(&ELF_MAGIC);
        out.extend_from_slice(&[ELFCLASS32, ELFDATA2MSB, 1, 0]);
        out.resize(16, 0);
        out.extend_from_slice(&ET_EXEC.to_be_bytes());
        out.extend_from_slice(&EM_MIPS.to_be_bytes());
        out.extend_from_slice(&1u32.to_be_bytes()); // e_version
        out.extend_from_slice(&self.entry.to_be_bytes());
        out.extend_from_slice(&(EHDR_SIZE as u32).to_be_bytes()); // e_phoff
        out.extend_from_slice(&0u32.to_be_bytes()); // e_shoff: no sections
        out.extend_from_slice(&self.flags.to_be_bytes());
        out.extend_from_slice(&(EHDR_SIZE as u16).to_be_bytes());
        out.extend_from_slice(&(PHDR_SIZE as u16).to_be_bytes());
        out.extend_from_slice(&(phnum as u16).to_be_bytes());
        out.extend_from_slice(&[0; 6]); // e_shentsize, e_shnum, e_shstrndx
        debug_assert_eq!(out.len(), EHDR_SIZE);

        let mut data_offset = align_up(EHDR_SIZE + PHDR_SIZE * phnum, SEGMENT_FILE_ALIGN);
        let mut offsets = Vec::with_capacity(phnum);
        for segment in &self.segments {
            offsets.push(data_offset);
            for field in [
                PT_LOAD,
                data_offset as u32,
                segment.vaddr,
                segment.vaddr, // p_paddr
                segment.data.len() as u32,
                segment.mem_size,
                segment.flags,
                SEGMENT_FILE_ALIGN as u32,
            ] {
                out.extend_from_slice(&field.to_be_bytes());
            }
            data_offset = align_up(data_offset + segment.data.len(), SEGMENT_FILE_ALIGN);
        }
        for (segment, offset) in self.segments.iter().zip(offsets) {
            out.resize(offset, 0);
            out.extend_from_slice(&segment.data);
        }
        out
    }
}

pub fn align_up(value: usize, align: usize) -> usize {
    value.div_ceil(align) * align
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{run_tool, tool_present, Scratch};
    use std::process::Command;

    fn sample_program() -> Program {
        Program {
            entry: 0x8000_0400,
            flags: 0x2000_1101,
            segments: vec![
                Segment {
                    vaddr: 0x8000_0400,
                    data: vec![0x11; 0x30],
                    mem_size: 0x30,
                    flags: 5,
                },
                // A gap of 0x10 bytes, then data followed by 0x20 bytes of .bss.
                Segment {
                    vaddr: 0x8000_0440,
                    data: vec![0x22; 8],
                    mem_size: 0x28,
                    flags: 6,
                },
            ],
        }
    }

    #[test]
    fn minimal_elf_parses_back_to_the_same_program() {
        let program = sample_program();
        assert_eq!(parse(&program.to_minimal_elf()), Ok(program));
    }

    #[test]
    fn flat_image_fills_gaps_and_reports_bss_end() {
        let image = sample_program().flat_image().unwrap();
        assert_eq!(image.load_addr, 0x8000_0400);
        assert_eq!(image.bytes.len(), 0x48);
        assert!(image.bytes[..0x30].iter().all(|&b| b == 0x11));
        assert!(image.bytes[0x30..0x40].iter().all(|&b| b == 0));
        assert!(image.bytes[0x40..].iter().all(|&b| b == 0x22));
        assert_eq!(image.mem_end, 0x8000_0468);
    }

    #[test]
    fn images_larger_than_rdram_are_refused() {
        let mut program = sample_program();
        // Data at 0x8000_0400 and .bss reaching past 8 MiB further on.
        program.segments[1].vaddr = 0x8080_0000;
        program.segments[1].mem_size = 0x1000;
        assert!(program.flat_image().unwrap_err().0.contains("8 MiB"));
    }

    #[test]
    fn overlapping_segments_are_refused() {
        let mut program = sample_program();
        program.segments[1].vaddr = 0x8000_0420;
        assert!(program.flat_image().unwrap_err().0.contains("overlap"));
    }

    #[test]
    fn refuses_files_that_are_not_n64_executables() {
        let good = sample_program().to_minimal_elf();
        let with = |offset: usize, value: u8| {
            let mut bytes = good.clone();
            bytes[offset] = value;
            parse(&bytes).unwrap_err().0
        };
        assert!(with(0, 0).contains("not an ELF"));
        assert!(with(4, 2).contains("not 32-bit"));
        assert!(with(5, 1).contains("not big-endian"));
        assert!(with(19, 62).contains("not MIPS"));
        assert!(with(17, 3).contains("not an executable"));
        assert!(parse(&good[..40]).unwrap_err().0.contains("not an ELF"));
        assert!(parse(&good[..EHDR_SIZE + 10])
            .unwrap_err()
            .0
            .contains("runs past the end"));
        // Segment 1's data cut off.
        let cut = parse(&good[..good.len() - 4]).unwrap_err().0;
        assert!(
            cut.contains("segment 1") && cut.contains("runs past"),
            "{cut}"
        );
    }

    /// binutils' readelf, an independent reader, sees the same header and segments.
    #[test]
    fn readelf_agrees_with_the_minimal_elf() {
        let readelf = "mips-linux-gnu-readelf";
        if !tool_present(readelf) {
            return;
        }
        let scratch = Scratch::new("elf");
        let path = scratch.file("minimal.elf");
        std::fs::write(&path, sample_program().to_minimal_elf()).unwrap();
        let text = run_tool(Command::new(readelf).args(["-h", "-l", "-W"]).arg(&path));
        assert!(text.contains("big endian"), "{text}");
        assert!(
            text.contains("Entry point address:               0x80000400"),
            "{text}"
        );
        // Type, offset, vaddr, paddr, filesz, memsz, flags, align. Data starts after the
        // 52-byte header and two 32-byte program headers (116), rounded up to 16: 0x80.
        let loads: Vec<Vec<&str>> = text
            .lines()
            .filter(|line| line.trim_start().starts_with("LOAD"))
            .map(|line| line.split_whitespace().collect())
            .collect();
        assert_eq!(loads.len(), 2, "{text}");
        assert_eq!(
            loads[0],
            [
                "LOAD",
                "0x000080",
                "0x80000400",
                "0x80000400",
                "0x00030",
                "0x00030",
                "R",
                "E",
                "0x10"
            ]
        );
        assert_eq!(
            loads[1],
            [
                "LOAD",
                "0x0000b0",
                "0x80000440",
                "0x80000440",
                "0x00008",
                "0x00028",
                "RW",
                "0x10"
            ]
        );
    }
}
