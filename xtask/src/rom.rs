//! The ROM packer: an ELF program into a big-endian `.z64` cartridge image.
//!
//! Two boot paths:
//! - **our IPL3** (default, emulators): header, our IPL3 at 0x40 (see [`crate::ipl3`]), the
//!   program's flat image at 0x1000, which the IPL3 copies to its load address;
//! - **libdragon's IPL3** (`--ipl3 FILE`, real hardware): the user's IPL3 file (header + signed
//!   boot code, possibly longer than 4 KiB), then a minimal ELF of the program at the next
//!   256-byte boundary, where that IPL3 searches for it and loads its PT_LOAD segments
//!   (libdragon boot/README.md). It is signed for CIC-6102 and checks no header checksum.
//!
//! The header (n64brew "ROM Header"): 0x00 PI BSD DOM1 configuration 0x80371240 (what every
//! cartridge uses; the PIF sets the PI timing from it), 0x04 clock rate 0x0F, 0x08 entry
//! point, 0x10/0x14 checksum (left 0: neither IPL3 checks it), 0x20 title (20 bytes, ASCII,
//! space padded), 0x3B game code ('N', two ID bytes, region 'E' = North America/NTSC, which
//! mupen64plus uses to pick NTSC timing), 0x3F version.
//! ROMs are padded to a multiple of 16 KiB (what libdragon's n64tool does: flashcarts load in
//! 512-byte blocks, the iQue in 16 KiB ones).

use crate::elf::{align_up, Program};
use crate::ipl3::{self, Ipl3Params};

pub const HEADER_SIZE: usize = 0x40;
/// Where the program starts in a ROM booted by our IPL3.
pub const OWN_IPL3_IMAGE_OFFSET: usize = 0x1000;
/// Cartridge ROM on the PI bus.
pub const CART_ROM_BASE: u32 = 0x1000_0000;
/// ROM sizes are multiples of this.
pub const ROM_SIZE_ALIGN: usize = 16 * 1024;
/// libdragon's IPL3 looks for the ELF at 256-byte boundaries.
pub const LIBDRAGON_ELF_ALIGN: usize = 256;
/// libdragon's IPL3 keeps the last 64 KiB of RDRAM while it boots.
pub const LIBDRAGON_RESERVED_TOP: u32 = 64 * 1024;
/// The first word of every cartridge (and of a libdragon IPL3 `.z64` file).
pub const PI_DOM1_CONFIG: [u8; 4] = [0x80, 0x37, 0x12, 0x40];
pub const TITLE_OFFSET: usize = 0x20;
pub const TITLE_LEN: usize = 20;
const ENTRY_OFFSET: usize = 0x08;

/// RDRAM every console has, as KSEG0 addresses (4 MiB without the Expansion Pak).
const RDRAM_START: u32 = 0x8000_0000;
const RDRAM_END: u32 = 0x8040_0000;

/// How the ROM boots.
pub enum BootPath {
    /// Our IPL3: emulators (mupen64plus's high-level PIF) only.
    OwnIpl3,
    /// A libdragon IPL3 file's bytes: real hardware (and emulators with a low-level PIF).
    LibdragonIpl3(Vec<u8>),
}

/// The default title of a ROM built from program `name`.
pub fn default_title(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("rspnn {ascii}").chars().take(TITLE_LEN).collect()
}

/// The 64-byte header.
pub fn header(title: &str, entry: u32) -> Result<[u8; HEADER_SIZE], String> {
    let mut header = [0u8; HEADER_SIZE];
    header[..4].copy_from_slice(&PI_DOM1_CONFIG);
    header[4..8].copy_from_slice(&0x0000_000Fu32.to_be_bytes());
    header[ENTRY_OFFSET..ENTRY_OFFSET + 4].copy_from_slice(&entry.to_be_bytes());
    header[TITLE_OFFSET..TITLE_OFFSET + TITLE_LEN].copy_from_slice(&title_field(title)?);
    header[0x3B..0x3F].copy_from_slice(b"NRNE");
    Ok(header)
}

fn title_field(title: &str) -> Result<[u8; TITLE_LEN], String> {
    if title.len() > TITLE_LEN || !title.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return Err(format!(
            "ROM title {title:?} must be at most {TITLE_LEN} printable ASCII characters"
        ));
    }
    let mut field = [b' '; TITLE_LEN];
    field[..title.len()].copy_from_slice(title.as_bytes());
    Ok(field)
}

/// Packs `program` into a ROM image, with `assets` (files the program reads by PI DMA, such as
/// a model) behind it in an asset directory (`n64_demo::assets`).
pub fn pack(
    program: &Program,
    title: &str,
    boot: &BootPath,
    assets: &[Vec<u8>],
) -> Result<Vec<u8>, String> {
    let mut rom = match boot {
        BootPath::OwnIpl3 => pack_own_ipl3(program, title)?,
        BootPath::LibdragonIpl3(ipl3_file) => pack_libdragon(program, title, ipl3_file)?,
    };
    if !assets.is_empty() {
        append_assets(&mut rom, assets)?;
    }
    rom.resize(align_up(rom.len(), ROM_SIZE_ALIGN), 0);
    Ok(rom)
}

/// Puts the asset directory at its fixed cartridge offset and each asset after it, 16-byte
/// aligned and zero-padded to whole lines (so the ROM reads them with line-sized PI DMAs).
fn append_assets(rom: &mut Vec<u8>, assets: &[Vec<u8>]) -> Result<(), String> {
    use n64_demo::assets::{self, Asset, ASSET_ALIGN, DIRECTORY_BYTES, DIRECTORY_OFFSET};
    let dir_at = DIRECTORY_OFFSET as usize;
    if rom.len() > dir_at {
        return Err(format!(
            "the program ends at ROM offset {:#x}, past the asset directory at {dir_at:#x}",
            rom.len()
        ));
    }
    rom.resize(dir_at + DIRECTORY_BYTES, 0);
    let mut entries = Vec::new();
    for data in assets {
        let offset = align_up(rom.len(), ASSET_ALIGN);
        rom.resize(offset, 0);
        rom.extend_from_slice(data);
        rom.resize(align_up(rom.len(), ASSET_ALIGN), 0);
        entries.push(Asset {
            offset: u32::try_from(offset).map_err(|_| "ROM larger than 4 GiB")?,
            len: u32::try_from(data.len()).map_err(|_| "asset larger than 4 GiB")?,
            crc32: rspnn_model::crc32fast::hash(data),
        });
    }
    let mut directory = [0u8; DIRECTORY_BYTES];
    assets::encode_directory(&entries, &mut directory).map_err(|e| e.to_string())?;
    rom[dir_at..dir_at + DIRECTORY_BYTES].copy_from_slice(&directory);
    Ok(())
}

fn pack_own_ipl3(program: &Program, title: &str) -> Result<Vec<u8>, String> {
    let mut image = program.flat_image().map_err(|e| e.to_string())?;
    if image.bytes.is_empty() {
        return Err("the program has no bytes to load (only .bss)".into());
    }
    if image.load_addr % 8 != 0 {
        return Err(format!(
            "load address {:#010x} is not 8-byte aligned (the PI DMA needs that)",
            image.load_addr
        ));
    }
    if image.load_addr < RDRAM_START || image.mem_end > RDRAM_END {
        return Err(format!(
            "program occupies {:#010x}..{:#010x}, outside KSEG0 RDRAM {RDRAM_START:#010x}..\
             {RDRAM_END:#010x} (4 MiB)",
            image.load_addr, image.mem_end
        ));
    }
    let image_end = image.load_addr as u64 + image.bytes.len() as u64;
    if program.entry < image.load_addr || program.entry as u64 >= image_end {
        return Err(format!(
            "entry point {:#010x} is outside the loaded image {:#010x}..{image_end:#010x}",
            program.entry, image.load_addr
        ));
    }
    // PI DMA lengths must be even; whole 8-byte units keep the copy simple.
    image.bytes.resize(align_up(image.bytes.len(), 8), 0);

    let params = Ipl3Params {
        cart_addr: CART_ROM_BASE + OWN_IPL3_IMAGE_OFFSET as u32,
        dram_addr: image.load_addr & 0x1FFF_FFFF,
        length: image.bytes.len() as u32,
        entry: program.entry,
    };
    let mut rom = header(title, program.entry)?.to_vec();
    rom.extend_from_slice(&ipl3::bytes(&params));
    debug_assert_eq!(rom.len(), OWN_IPL3_IMAGE_OFFSET);
    rom.extend_from_slice(&image.bytes);
    Ok(rom)
}

fn pack_libdragon(program: &Program, title: &str, ipl3_file: &[u8]) -> Result<Vec<u8>, String> {
    if ipl3_file.len() < 0x1000 || ipl3_file[..4] != PI_DOM1_CONFIG {
        return Err(format!(
            "the IPL3 file ({} bytes) is not a .z64 IPL3: it must start with 80 37 12 40 and hold \
             at least the 4 KiB of header and boot code (libdragon's boot/bin/ipl3_*.z64)",
            ipl3_file.len()
        ));
    }
    for segment in &program.segments {
        let end = segment.vaddr as u64 + segment.mem_size as u64;
        if segment.vaddr % 8 != 0 {
            return Err(format!(
                "segment at {:#010x} is not 8-byte aligned",
                segment.vaddr
            ));
        }
        if segment.vaddr < RDRAM_START || end > (RDRAM_END - LIBDRAGON_RESERVED_TOP) as u64 {
            return Err(format!(
                "segment {:#010x}..{end:#010x} is outside RDRAM below libdragon's reserved top \
                 64 KiB ({RDRAM_START:#010x}..{:#010x})",
                segment.vaddr,
                RDRAM_END - LIBDRAGON_RESERVED_TOP
            ));
        }
    }
    let mut rom = ipl3_file.to_vec();
    // libdragon's IPL3 ignores the header; like its n64tool, set the title and the entry point.
    rom[TITLE_OFFSET..TITLE_OFFSET + TITLE_LEN].copy_from_slice(&title_field(title)?);
    rom[ENTRY_OFFSET..ENTRY_OFFSET + 4].copy_from_slice(&program.entry.to_be_bytes());
    rom.resize(align_up(rom.len(), LIBDRAGON_ELF_ALIGN), 0);
    rom.extend_from_slice(&program.to_minimal_elf());
    Ok(rom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{self, Segment};

    fn program() -> Program {
        Program {
            entry: 0x8000_0400,
            flags: 0x2000_1101,
            segments: vec![Segment {
                vaddr: 0x8000_0400,
                data: (0..0x123u32).map(|i| i as u8).collect(),
                mem_size: 0x200,
                flags: 7,
            }],
        }
    }

    #[test]
    fn header_fields_sit_where_the_pif_and_emulators_read_them() {
        let header = header("rspnn q4dot", 0x8000_0400).unwrap();
        assert_eq!(header[..4], [0x80, 0x37, 0x12, 0x40]);
        assert_eq!(header[8..12], [0x80, 0x00, 0x04, 0x00]);
        assert_eq!(&header[0x20..0x34], b"rspnn q4dot         ");
        assert_eq!(header[0x3E], b'E');
    }

    #[test]
    fn titles_must_be_short_printable_ascii() {
        assert!(header("twenty-one characters", 0)
            .unwrap_err()
            .contains("at most 20"));
        assert!(header("caf\u{e9}", 0).is_err());
        assert!(header("tab\there", 0).is_err());
        assert_eq!(default_title("panic-probe"), "rspnn panic-probe");
        assert_eq!(
            default_title("a-very-long-rom-name"),
            "rspnn a-very-long-ro"
        );
    }

    #[test]
    fn own_ipl3_rom_holds_the_image_at_0x1000() {
        let rom = pack(&program(), "t", &BootPath::OwnIpl3, &[]).unwrap();
        assert_eq!(rom.len(), 16 * 1024);
        // The image: 0x123 bytes of data, then zeros up to the next multiple of 8 (0x128).
        assert!((0..0x123).all(|i| rom[0x1000 + i] == i as u8));
        assert!(rom[0x1000 + 0x123..].iter().all(|&b| b == 0));
        // The IPL3's first instruction: lui $t0, 0xA460 (the PI registers).
        assert_eq!(rom[0x40..0x44], [0x3C, 0x08, 0xA4, 0x60]);
    }

    #[test]
    fn own_ipl3_refuses_programs_it_cannot_load() {
        let mut misaligned = program();
        misaligned.segments[0].vaddr = 0x8000_0404;
        misaligned.entry = 0x8000_0404;
        assert!(pack(&misaligned, "t", &BootPath::OwnIpl3, &[])
            .unwrap_err()
            .contains("8-byte"));

        let mut too_big = program();
        too_big.segments[0].mem_size = 0x0040_0000;
        assert!(pack(&too_big, "t", &BootPath::OwnIpl3, &[])
            .unwrap_err()
            .contains("outside KSEG0"));

        let mut only_bss = program();
        only_bss.segments[0].data.clear();
        assert!(pack(&only_bss, "t", &BootPath::OwnIpl3, &[])
            .unwrap_err()
            .contains("no bytes"));

        let mut bad_entry = program();
        bad_entry.entry = 0x8000_0000;
        assert!(pack(&bad_entry, "t", &BootPath::OwnIpl3, &[])
            .unwrap_err()
            .contains("entry point"));
    }

    #[test]
    fn assets_sit_behind_a_directory_at_one_mib() {
        let model: Vec<u8> = (0..1000u32).map(|i| (i * 13) as u8).collect();
        let rom = pack(
            &program(),
            "t",
            &BootPath::OwnIpl3,
            &[model.clone(), vec![7; 3]],
        )
        .unwrap();
        // Directory at 0x100000 (128 bytes), first asset right after it, the second at the next
        // 16-byte boundary after 1000 bytes (0x100080 + 0x3F0 = 0x100470).
        assert_eq!(&rom[0x10_0000..0x10_0008], b"RSPNASST");
        assert_eq!(rom[0x10_0008..0x10_000C], [0, 0, 0, 2]);
        assert_eq!(
            rom[0x10_0010..0x10_0018],
            [0x00, 0x10, 0x00, 0x80, 0, 0, 0x03, 0xE8]
        );
        assert_eq!(
            rom[0x10_0020..0x10_0028],
            [0x00, 0x10, 0x04, 0x70, 0, 0, 0, 3]
        );
        assert_eq!(rom[0x10_0080..0x10_0080 + 1000], model[..]);
        assert_eq!(rom[0x10_0470..0x10_0473], [7, 7, 7]);
        assert_eq!(rom.len() % (16 * 1024), 0);
        // The program is where it always was.
        assert!((0..0x123).all(|i| rom[0x1000 + i] == i as u8));
    }

    #[test]
    fn libdragon_rom_appends_the_elf_at_a_256_byte_boundary() {
        // A stand-in IPL3 file: the right first word, 0x18AB bytes of recognisable content.
        let mut ipl3_file: Vec<u8> = (0..0x18ABu32).map(|i| (i * 7) as u8).collect();
        ipl3_file[..4].copy_from_slice(&PI_DOM1_CONFIG);
        let rom = pack(
            &program(),
            "rspnn t",
            &BootPath::LibdragonIpl3(ipl3_file.clone()),
            &[],
        )
        .unwrap();
        // 0x18AB rounded up to 256 is 0x1900.
        assert_eq!(rom[0x1900..0x1904], [0x7F, b'E', b'L', b'F']);
        assert_eq!(elf::parse(&rom[0x1900..]).unwrap(), program());
        assert_eq!(rom.len() % (16 * 1024), 0);
        // The IPL3 code is untouched; title and entry are ours.
        assert_eq!(rom[0x40..0x18AB], ipl3_file[0x40..]);
        assert_eq!(&rom[0x20..0x34], b"rspnn t             ");
        assert_eq!(rom[8..12], [0x80, 0x00, 0x04, 0x00]);
    }

    #[test]
    fn libdragon_path_refuses_bad_files_and_segments() {
        let short = vec![0x80, 0x37, 0x12, 0x40];
        assert!(pack(&program(), "t", &BootPath::LibdragonIpl3(short), &[])
            .unwrap_err()
            .contains("4 KiB"));
        let mut wrong_magic = vec![0u8; 0x1000];
        wrong_magic[0] = 0x37;
        assert!(pack(&program(), "t", &BootPath::LibdragonIpl3(wrong_magic), &[]).is_err());

        let mut file = vec![0u8; 0x1000];
        file[..4].copy_from_slice(&PI_DOM1_CONFIG);
        let mut in_reserved = program();
        in_reserved.segments[0].vaddr = 0x803F_8000;
        in_reserved.entry = 0x803F_8000;
        let error = pack(&in_reserved, "t", &BootPath::LibdragonIpl3(file), &[]).unwrap_err();
        assert!(error.contains("reserved top"), "{error}");
    }
}
