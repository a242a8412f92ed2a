//! Files packed into a ROM beside the program (the demo's model), and how a ROM finds them.
//!
//! `cargo xtask n64-build` / `pack --asset FILE` write an asset directory at the fixed cartridge
//! offset [`DIRECTORY_OFFSET`], after the program; the ROM reads it with PI DMA. The offset is
//! fixed rather than stored in the header so that both boot paths (our IPL3, libdragon's) find
//! it the same way; the packer refuses a program that would reach it.
//!
//! Directory (big-endian, 16-byte aligned, [`DIRECTORY_BYTES`] long):
//!
//! ```text
//! 0x00  8   magic "RSPNASST"
//! 0x08  4   number of assets (at most MAX_ASSETS)
//! 0x0C  4   zero
//! 0x10  16 per asset: cartridge offset (u32, 16-aligned), length (u32), CRC-32 (u32), zero
//! ```
//!
//! Asset data is padded with zeros to whole 16-byte lines, so a PI DMA of the rounded-up
//! length (what n64-rt's `pi::read` needs: whole cache lines) stays inside the ROM.

use core::fmt;

/// Cartridge offset of the directory (1 MiB: far past any of our programs).
pub const DIRECTORY_OFFSET: u32 = 0x0010_0000;
/// The directory's first bytes.
pub const MAGIC: [u8; 8] = *b"RSPNASST";
/// Most assets a ROM carries.
pub const MAX_ASSETS: usize = 7;
/// Bytes of the directory (header + entries), a multiple of 16.
pub const DIRECTORY_BYTES: usize = 16 + 16 * MAX_ASSETS;
/// Alignment of asset data in the cartridge and of lengths read back.
pub const ASSET_ALIGN: usize = 16;

/// One asset's place in the cartridge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Asset {
    /// Offset from the start of the cartridge ROM (PI address 0x1000_0000).
    pub offset: u32,
    pub len: u32,
    /// CRC-32 (IEEE) of the asset's bytes.
    pub crc32: u32,
}

impl Asset {
    /// The length rounded up to whole lines (what a PI DMA of it reads).
    pub fn padded_len(&self) -> usize {
        (self.len as usize).div_ceil(ASSET_ALIGN) * ASSET_ALIGN
    }
}

/// Why a directory was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetError {
    BadMagic,
    TooMany {
        count: u32,
    },
    Misaligned {
        index: usize,
        offset: u32,
    },
    NoSuchAsset {
        index: usize,
        count: usize,
    },
    CrcMismatch {
        index: usize,
        expected: u32,
        actual: u32,
    },
}

impl fmt::Display for AssetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AssetError::BadMagic => write!(f, "no asset directory at cartridge offset {DIRECTORY_OFFSET:#x} (packed without assets?)"),
            AssetError::TooMany { count } => write!(f, "asset directory claims {count} assets, at most {MAX_ASSETS}"),
            AssetError::Misaligned { index, offset } => {
                write!(f, "asset {index} at cartridge offset {offset:#x} is not 16-byte aligned")
            }
            AssetError::NoSuchAsset { index, count } => write!(f, "asset {index} asked for, the ROM has {count}"),
            AssetError::CrcMismatch { index, expected, actual } => {
                write!(f, "asset {index}: CRC-32 {actual:#010x}, the directory says {expected:#010x}")
            }
        }
    }
}

/// The parsed directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Directory {
    entries: [Asset; MAX_ASSETS],
    count: usize,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Directory {
    /// Parses the directory bytes as read from [`DIRECTORY_OFFSET`].
    pub fn parse(bytes: &[u8; DIRECTORY_BYTES]) -> Result<Directory, AssetError> {
        if bytes[..8] != MAGIC {
            return Err(AssetError::BadMagic);
        }
        let count = be32(bytes, 8);
        if count as usize > MAX_ASSETS {
            return Err(AssetError::TooMany { count });
        }
        let mut entries = [Asset::default(); MAX_ASSETS];
        for (i, e) in entries.iter_mut().enumerate().take(count as usize) {
            let at = 16 + 16 * i;
            *e = Asset {
                offset: be32(bytes, at),
                len: be32(bytes, at + 4),
                crc32: be32(bytes, at + 8),
            };
            if e.offset as usize % ASSET_ALIGN != 0 {
                return Err(AssetError::Misaligned {
                    index: i,
                    offset: e.offset,
                });
            }
        }
        Ok(Directory {
            entries,
            count: count as usize,
        })
    }

    /// Asset `index`.
    pub fn get(&self, index: usize) -> Result<Asset, AssetError> {
        if index < self.count {
            Ok(self.entries[index])
        } else {
            Err(AssetError::NoSuchAsset {
                index,
                count: self.count,
            })
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Writes the directory for `assets` into `out`.
pub fn encode_directory(
    assets: &[Asset],
    out: &mut [u8; DIRECTORY_BYTES],
) -> Result<(), AssetError> {
    if assets.len() > MAX_ASSETS {
        return Err(AssetError::TooMany {
            count: assets.len() as u32,
        });
    }
    out.fill(0);
    out[..8].copy_from_slice(&MAGIC);
    out[8..12].copy_from_slice(&(assets.len() as u32).to_be_bytes());
    for (i, a) in assets.iter().enumerate() {
        if a.offset as usize % ASSET_ALIGN != 0 {
            return Err(AssetError::Misaligned {
                index: i,
                offset: a.offset,
            });
        }
        let at = 16 + 16 * i;
        out[at..at + 4].copy_from_slice(&a.offset.to_be_bytes());
        out[at + 4..at + 8].copy_from_slice(&a.len.to_be_bytes());
        out[at + 8..at + 12].copy_from_slice(&a.crc32.to_be_bytes());
    }
    Ok(())
}

/// Checks `bytes` (the asset as read) against the directory's CRC.
pub fn verify(index: usize, asset: &Asset, bytes: &[u8]) -> Result<(), AssetError> {
    let actual = rspnn_model::crc32fast::hash(bytes);
    if actual == asset.crc32 {
        Ok(())
    } else {
        Err(AssetError::CrcMismatch {
            index,
            expected: asset.crc32,
            actual,
        })
    }
}

/// Why [`load`] returned no asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The PI DMA of the directory (`asset: None`) or of asset `Some(i)` failed.
    Dma {
        asset: Option<usize>,
        error: n64_rt::pi::PiDmaError,
    },
    /// The directory is missing or refused, it lacks the asset, or the CRC-32 does not match.
    Asset(AssetError),
    /// Asset `index` (`len` bytes, read as whole 16-byte lines) does not fit the buffer given.
    TooBig {
        index: usize,
        len: usize,
        available: usize,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LoadError::Dma { asset: None, error } => {
                write!(f, "PI DMA of the asset directory failed: {error}")
            }
            LoadError::Dma {
                asset: Some(index),
                error,
            } => write!(f, "PI DMA of asset {index} failed: {error}"),
            LoadError::Asset(e) => e.fmt(f),
            LoadError::TooBig {
                index,
                len,
                available,
            } => write!(
                f,
                "asset {index} of {len} bytes does not fit the ROM's {available}-byte buffer"
            ),
        }
    }
}

/// Reads asset `index` from the cartridge into `buf` with PI DMA and checks its CRC-32;
/// returns its `len` bytes. The directory is read first; the asset is read as whole 16-byte
/// lines (PI DMA into cached RDRAM, see n64-rt's `pi::read`), so `buf` must be line-aligned
/// and hold the padded length. What every ROM that carries a model starts with.
#[cfg(target_arch = "mips")]
pub fn load(index: usize, buf: &'static mut [u8]) -> Result<&'static [u8], LoadError> {
    use n64_rt::{cache::CacheAligned, pi, regs::CART_ROM_BASE};
    let mut dir = CacheAligned([0u8; DIRECTORY_BYTES]);
    pi::read(&mut dir.0, CART_ROM_BASE + DIRECTORY_OFFSET)
        .map_err(|error| LoadError::Dma { asset: None, error })?;
    let dir = Directory::parse(&dir.0).map_err(LoadError::Asset)?;
    let asset = dir.get(index).map_err(LoadError::Asset)?;
    let padded = asset.padded_len();
    if padded > buf.len() {
        return Err(LoadError::TooBig {
            index,
            len: asset.len as usize,
            available: buf.len(),
        });
    }
    pi::read(&mut buf[..padded], CART_ROM_BASE + asset.offset).map_err(|error| LoadError::Dma {
        asset: Some(index),
        error,
    })?;
    let bytes: &'static [u8] = &buf[..asset.len as usize];
    verify(index, &asset, bytes).map_err(LoadError::Asset)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_reads_back_what_was_written() {
        let assets = [
            Asset {
                offset: 0x10_0080,
                len: 280_672,
                crc32: 0xDEAD_BEEF,
            },
            Asset {
                offset: 0x14_0000,
                len: 3,
                crc32: 1,
            },
        ];
        let mut out = [0u8; DIRECTORY_BYTES];
        encode_directory(&assets, &mut out).unwrap();
        // Byte layout, spelled out: magic, count 2, first entry big-endian.
        assert_eq!(&out[..8], b"RSPNASST");
        assert_eq!(out[8..12], [0, 0, 0, 2]);
        assert_eq!(
            out[16..28],
            [0x00, 0x10, 0x00, 0x80, 0x00, 0x04, 0x48, 0x60, 0xDE, 0xAD, 0xBE, 0xEF]
        );
        let dir = Directory::parse(&out).unwrap();
        assert_eq!(dir.len(), 2);
        assert_eq!(dir.get(0), Ok(assets[0]));
        assert_eq!(dir.get(1).unwrap().padded_len(), 16);
        assert_eq!(
            dir.get(2),
            Err(AssetError::NoSuchAsset { index: 2, count: 2 })
        );
    }

    #[test]
    fn bad_directories_are_refused() {
        let mut out = [0u8; DIRECTORY_BYTES];
        assert_eq!(Directory::parse(&out), Err(AssetError::BadMagic));
        out[..8].copy_from_slice(&MAGIC);
        out[11] = 8;
        assert_eq!(
            Directory::parse(&out),
            Err(AssetError::TooMany { count: 8 })
        );
        let misaligned = [Asset {
            offset: 0x10_0088,
            len: 1,
            crc32: 0,
        }];
        assert!(encode_directory(&misaligned, &mut out).is_err());
    }

    /// CRC-32 of "123456789" is 0xCBF43926 (the standard check value).
    #[test]
    fn verify_uses_the_ieee_crc() {
        let a = Asset {
            offset: 0,
            len: 9,
            crc32: 0xCBF4_3926,
        };
        assert_eq!(verify(0, &a, b"123456789"), Ok(()));
        assert!(verify(0, &a, b"123456780").is_err());
    }

    /// What a ROM prints or shows when its model cannot be loaded names the asset and the sizes.
    #[test]
    fn load_errors_name_the_asset() {
        extern crate std;
        use std::string::ToString;
        let too_big = LoadError::TooBig {
            index: 1,
            len: 4_259_840,
            available: 1 << 20,
        };
        assert_eq!(
            too_big.to_string(),
            "asset 1 of 4259840 bytes does not fit the ROM's 1048576-byte buffer"
        );
        let dma = LoadError::Dma {
            asset: None,
            error: n64_rt::pi::PiDmaError::CartAddressOdd {
                cart_addr: 0x1010_0001,
            },
        };
        assert!(dma
            .to_string()
            .starts_with("PI DMA of the asset directory failed: "));
        let missing = LoadError::Asset(AssetError::NoSuchAsset { index: 1, count: 1 });
        assert_eq!(missing.to_string(), "asset 1 asked for, the ROM has 1");
    }
}
