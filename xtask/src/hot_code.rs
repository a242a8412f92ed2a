//! Checks that the linker script's hot-code grouping (`n64-rt/n64.ld`) really holds in the
//! linked ROM programs.
//!
//! The script puts the scalar model step's hot functions first in `.text` and together, by
//! patterns over their mangled section names (`*(.text.*14kernels_vr43006matvec*)`: crate
//! `kernels_vr4300`, module `matvec`), because the VR4300's I-cache is 16 KiB and direct-mapped
//! (VR4300 User's Manual, caches): spread over the image, the matvec loop and the attention,
//! norms and softmax evict each other's lines every layer. A pattern that no longer matches (a
//! crate or module renamed, a function inlined away) is not an error to the linker: the code
//! silently goes back to `*(.text .text.*)` and the scalar token gets slower. So after every N64
//! build, each ROM that runs the scalar model must have, in its ELF's symbol table:
//! * for every pattern, at least one function whose name contains it (the section name is
//!   `.text.<symbol>`, so the symbol name is what the linker matched);
//! * all those functions at the start of `.text` (after the entry stub) and contiguous: no other
//!   function between the first and the end of the last.

use crate::Result;
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};
use std::path::Path;

/// The ROM programs that run the scalar model step (`ScalarRunner`): the grouping is for them.
/// The others (q4dot, panic-probe) contain none of that code.
pub const HOT_CODE_ROMS: &[&str] = &["bench", "chat", "textgen"];

/// Bytes of `.text` the entry stub (`.text.n64_rt_entry`, kept first) may take before the hot
/// group starts.
const ENTRY_STUB_MAX: u64 = 0x100;

/// The hot-code patterns of the linker script: the part between `*` and `*` of each
/// `*(.text.*PATTERN*)` input section line of the `.text` output section.
pub fn patterns(script: &str) -> Vec<String> {
    script
        .lines()
        .filter_map(|l| {
            let inner = l.trim().strip_prefix("*(.text.*")?.strip_suffix("*)")?;
            (!inner.is_empty() && !inner.contains(['*', ' '])).then(|| inner.to_string())
        })
        .collect()
}

/// A function of the linked program: name, address, size in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub address: u64,
    pub size: u64,
}

/// Where the hot group lies: its first address, its end, how many functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotRange {
    pub start: u64,
    pub end: u64,
    pub functions: usize,
}

/// Checks the grouping over a program's functions (`text_start`: the `.text` section's address).
pub fn check_layout(
    text_start: u64,
    functions: &[Function],
    patterns: &[String],
) -> Result<HotRange> {
    if patterns.is_empty() {
        return Err("n64-rt/n64.ld has no `*(.text.*PATTERN*)` line: the hot-code check found nothing to check \
                    (its parser no longer recognises the script)"
            .into());
    }
    let is_hot = |f: &Function| patterns.iter().any(|p| f.name.contains(p.as_str()));
    let missing: Vec<&str> = patterns
        .iter()
        .filter(|p| !functions.iter().any(|f| f.name.contains(p.as_str())))
        .map(|p| p.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "n64-rt/n64.ld groups `*(.text.*{}*)`, but no function of the linked program has that in its name: \
             a crate or module was renamed (or the code inlined), so that code is no longer in the hot group; \
             fix the pattern in n64-rt/n64.ld",
            missing.join("*)`, `*(.text.*")
        ));
    }
    let hot: Vec<&Function> = functions.iter().filter(|f| is_hot(f)).collect();
    let start = hot.iter().map(|f| f.address).min().unwrap_or(0);
    let end = hot.iter().map(|f| f.address + f.size).max().unwrap_or(0);
    if start < text_start || start - text_start > ENTRY_STUB_MAX {
        return Err(format!(
            "the hot code starts at 0x{start:x}, .text at 0x{text_start:x}: it should come first, right after the \
             entry stub (n64-rt/n64.ld)"
        ));
    }
    if let Some(intruder) = functions
        .iter()
        .find(|f| !is_hot(f) && f.address < end && f.address + f.size > start)
    {
        return Err(format!(
            "{} (0x{:x}, {} bytes) lies inside the hot code 0x{start:x}..0x{end:x} without matching any pattern \
             of n64-rt/n64.ld: the group is not contiguous",
            intruder.name, intruder.address, intruder.size
        ));
    }
    Ok(HotRange {
        start,
        end,
        functions: hot.len(),
    })
}

/// The functions (sized text symbols) of an ELF and its `.text` address.
pub fn functions(elf: &[u8]) -> Result<(u64, Vec<Function>)> {
    let file = object::File::parse(elf).map_err(|e| format!("not an ELF object: {e}"))?;
    let text = file
        .section_by_name(".text")
        .ok_or("the ELF has no .text section")?;
    let functions = file
        .symbols()
        .filter(|s| {
            s.kind() == SymbolKind::Text && s.size() > 0 && s.section_index() == Some(text.index())
        })
        .filter_map(|s| {
            Some(Function {
                name: s.name().ok()?.to_string(),
                address: s.address(),
                size: s.size(),
            })
        })
        .collect();
    Ok((text.address(), functions))
}

/// Checks the ELF of ROM `name` at `path` against the linker script at `script`.
pub fn check_elf(name: &str, path: &Path, script: &Path) -> Result<HotRange> {
    let text = std::fs::read_to_string(script).map_err(|e| format!("{}: {e}", script.display()))?;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (text_start, funcs) = functions(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    check_layout(text_start, &funcs, &patterns(&text)).map_err(|e| {
        format!(
            "hot-code grouping of the {name} ROM ({}): {e}",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, address: u64, size: u64) -> Function {
        Function {
            name: name.into(),
            address,
            size,
        }
    }

    fn pats() -> Vec<String> {
        vec!["14kernels_vr43006matvec".into(), "7kernels7softmax".into()]
    }

    #[test]
    fn the_scripts_patterns_are_read() {
        let script =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../n64-rt/n64.ld"))
                .unwrap();
        let p = patterns(&script);
        assert!(p.contains(&"14kernels_vr43006matvec".to_string()), "{p:?}");
        assert!(p.contains(&"11rspnn_model6runner".to_string()), "{p:?}");
        // The catch-all `*(.text .text.*)` and the entry stub are not hot-code patterns.
        assert!(
            !p.iter().any(|x| x.contains("n64_rt_entry") || x.is_empty()),
            "{p:?}"
        );
    }

    #[test]
    fn a_grouped_layout_passes() {
        let funcs = [
            f(
                "_RNvNtCs1_14kernels_vr43006matvec6matvec",
                0x8000_0460,
                0x100,
            ),
            f("_RNvNtCs2_7kernels7softmax7softmax", 0x8000_0560, 0x40),
            f("n64_rt_main", 0x8000_05a0, 0x200),
        ];
        let r = check_layout(0x8000_0400, &funcs, &pats()).unwrap();
        assert_eq!(
            r,
            HotRange {
                start: 0x8000_0460,
                end: 0x8000_05a0,
                functions: 2
            }
        );
    }

    #[test]
    fn a_renamed_crate_fails_naming_the_pattern() {
        let funcs = [
            f(
                "_RNvNtCs1_15kernels_mips3006matvec6matvec",
                0x8000_0460,
                0x100,
            ),
            f("_RNvNtCs2_7kernels7softmax7softmax", 0x8000_0560, 0x40),
        ];
        let e = check_layout(0x8000_0400, &funcs, &pats()).unwrap_err();
        assert!(
            e.contains("14kernels_vr43006matvec") && e.contains("renamed"),
            "{e}"
        );
    }

    #[test]
    fn an_intruder_or_a_late_group_fails() {
        let funcs = [
            f(
                "_RNvNtCs1_14kernels_vr43006matvec6matvec",
                0x8000_0460,
                0x100,
            ),
            f("n64_rt_main", 0x8000_0560, 0x20),
            f("_RNvNtCs2_7kernels7softmax7softmax", 0x8000_0580, 0x40),
        ];
        let e = check_layout(0x8000_0400, &funcs, &pats()).unwrap_err();
        assert!(
            e.contains("n64_rt_main") && e.contains("not contiguous"),
            "{e}"
        );
        let late = [
            f("n64_rt_main", 0x8000_0460, 0x400),
            f(
                "_RNvNtCs1_14kernels_vr43006matvec6matvec",
                0x8000_0860,
                0x100,
            ),
            f("_RNvNtCs2_7kernels7softmax7softmax", 0x8000_0960, 0x40),
        ];
        let e = check_layout(0x8000_0400, &late, &pats()).unwrap_err();
        assert!(e.contains("should come first"), "{e}");
    }
}
