//! libdragon's CIC-6102-signed IPL3 (public domain), the boot code a console accepts.
//!
//! We do not ship it. It comes from a libdragon source tree: `boot/bin/ipl3_prod.z64` once
//! built (`make -C boot PROD=1`), or `tools/ipl3.h`, the same bytes as a C array that
//! libdragon's `boot/Makefile` target `install` writes with `xxd -i -n default_ipl3` (n64tool
//! embeds it; r8's md5 419c2133... matches boot/README.md). `pack --ipl3 FILE` takes either
//! form; the tests and `n64-build` take `$RSPNN_LIBDRAGON_IPL3` when set (a user's own
//! libdragon), else ../shared/third-party/libdragon's ([`find`]).

use crate::Result;
use std::path::{Path, PathBuf};

/// The libdragon source tree in the team's shared folder.
const SHARED_LIBDRAGON: &str = "third-party/libdragon";
/// Paths inside a libdragon tree, first found wins: the signed r8 bytes libdragon ships, then
/// a local build.
const CANDIDATES: &[&str] = &["tools/ipl3.h", "boot/bin/ipl3_prod.z64"];

/// Reads an IPL3 file: a `.z64` as it is, a `.h` as the `xxd -i` C array it holds.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read IPL3 file {}: {e}", path.display()))?;
    let bytes = if path.extension().is_some_and(|e| e == "h") {
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("IPL3 header {} is not UTF-8 text", path.display()))?;
        parse_c_array(&text).map_err(|e| format!("IPL3 header {}: {e}", path.display()))?
    } else {
        bytes
    };
    Ok(bytes)
}

/// The bytes of the first `{ 0x.., 0x.., ... }` array in C source.
pub fn parse_c_array(text: &str) -> Result<Vec<u8>> {
    let open = text.find('{').ok_or("no `{` opening a byte array")?;
    let close = text[open..]
        .find('}')
        .map(|i| open + i)
        .ok_or("the byte array has no closing `}`")?;
    let mut bytes = Vec::new();
    for (index, item) in text[open + 1..close].split(',').enumerate() {
        let item = item.trim();
        if item.is_empty() {
            continue; // a trailing comma
        }
        let hex = item
            .strip_prefix("0x")
            .or_else(|| item.strip_prefix("0X"))
            .ok_or_else(|| format!("array item {index} is {item:?}, not a 0x.. byte"))?;
        bytes.push(
            u8::from_str_radix(hex, 16)
                .map_err(|_| format!("array item {index} is {item:?}, not a byte"))?,
        );
    }
    Ok(bytes)
}

/// Names the libdragon IPL3 file to use instead of ../shared's (either form).
pub const ENV_VAR: &str = "RSPNN_LIBDRAGON_IPL3";

/// The IPL3 named by [`ENV_VAR`], else [`from_shared`]'s.
pub fn find() -> Option<Result<(PathBuf, Vec<u8>)>> {
    match std::env::var_os(ENV_VAR) {
        Some(file) => {
            let path = PathBuf::from(file);
            Some(
                read(&path)
                    .map_err(|e| format!("{ENV_VAR}: {e}"))
                    .map(|bytes| (path, bytes)),
            )
        }
        None => from_shared(),
    }
}

/// The IPL3 in ../shared/third-party/libdragon, with the skip/fail policy of
/// `shared_fixtures::require` (None: skipped, with a message).
pub fn from_shared() -> Option<Result<(PathBuf, Vec<u8>)>> {
    let tree = shared_fixtures::require(SHARED_LIBDRAGON)?;
    let found = CANDIDATES
        .iter()
        .map(|c| tree.join(c))
        .find(|p| p.is_file());
    Some(match found {
        Some(path) => read(&path).map(|bytes| (path, bytes)),
        None => Err(format!(
            "{} has neither of {}",
            tree.display(),
            CANDIDATES.join(", ")
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_xxd_arrays_and_names_bad_items() {
        let text =
            "unsigned char x[] = {\n  0x80, 0x37, 0x12,\n  0x40\n};\nunsigned int x_len = 4;";
        assert_eq!(parse_c_array(text).unwrap(), [0x80, 0x37, 0x12, 0x40]);
        let error = parse_c_array("char x[] = { 0x80, 12 };").unwrap_err();
        assert!(error.contains("item 1") && error.contains("12"), "{error}");
        assert!(parse_c_array("no array").is_err());
    }

    #[test]
    fn the_shared_ipl3_is_libdragons_signed_boot_code() {
        let Some(found) = from_shared() else { return };
        let (path, ipl3) = found.unwrap();
        // Header word 0 of every cartridge, then boot code up to at least 0x1000.
        assert_eq!(ipl3[..4], [0x80, 0x37, 0x12, 0x40], "{}", path.display());
        assert!(ipl3.len() >= 0x1000, "{} bytes", ipl3.len());
        // CRC-32 of r8's ipl3_prod.z64 boot area (0x40..0x1000), measured on the file whose md5
        // boot/README.md lists for r8; another revision is a different IPL3 to try first.
        assert_eq!(crc32fast::hash(&ipl3[0x40..0x1000]), 0x345E_1229);
    }
}
