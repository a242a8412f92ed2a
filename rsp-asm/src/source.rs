//! Where source text comes from: the file system (with include directories) or memory (tests,
//! the fuzzer, build scripts that generate source).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest source file read (main file or include). The biggest libdragon ucode source
/// with its includes is under 200 KB; the bound keeps a mistaken include of a device
/// (`/dev/zero`) or a huge binary from exhausting memory.
pub const MAX_SOURCE_BYTES: u64 = 8 << 20;

/// Reads at most `MAX_SOURCE_BYTES` of `path`: `Ok(None)` when it cannot be opened, an error
/// when it is larger (or unreadable).
fn read_bounded(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(format!("`{}` is larger than {} bytes: not a source file", path.display(), MAX_SOURCE_BYTES));
    }
    Ok(Some(bytes))
}

/// Loads the main file and every file named by `.include` / `#include`.
pub trait SourceLoader {
    /// Loads `name`. `from` is the display name of the including file (`None` for the main
    /// file). Returns the display name used in diagnostics and the text.
    fn load(&self, name: &str, from: Option<&str>) -> Result<(String, String), String>;

    /// Loads `name` for `#include <name>`, which (as in GNU cpp) is not looked up beside the
    /// including file. By default the same as [`SourceLoader::load`] from no file.
    fn load_angled(&self, name: &str) -> Result<(String, String), String> {
        self.load(name, None)
    }
}

/// Reads files from disk. Includes are looked up next to the including file first, then in
/// each include directory in order (like `-I` for GNU as).
#[derive(Clone, Debug, Default)]
pub struct FsLoader {
    pub include_dirs: Vec<PathBuf>,
}

impl FsLoader {
    pub fn new() -> FsLoader {
        FsLoader::default()
    }

    pub fn with_include_dirs(include_dirs: Vec<PathBuf>) -> FsLoader {
        FsLoader { include_dirs }
    }

    fn candidates(&self, name: &str, from: Option<&str>, beside: bool) -> Vec<PathBuf> {
        let path = Path::new(name);
        if path.is_absolute() || from.is_none() {
            return vec![path.to_path_buf()];
        }
        let mut out = Vec::new();
        if let Some(dir) = from.and_then(|f| Path::new(f).parent()).filter(|_| beside) {
            out.push(dir.join(path));
        }
        out.extend(self.include_dirs.iter().map(|d| d.join(path)));
        out
    }

    fn load_from(&self, candidates: Vec<PathBuf>, name: &str) -> Result<(String, String), String> {
        for candidate in &candidates {
            if let Some(bytes) = read_bounded(candidate)? {
                // Source is ASCII in practice; stray bytes in comments must not stop a build.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                return Ok((candidate.display().to_string(), text));
            }
        }
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        Err(format!("cannot read `{name}` (looked for {})", looked.join(", ")))
    }
}

impl SourceLoader for FsLoader {
    fn load(&self, name: &str, from: Option<&str>) -> Result<(String, String), String> {
        self.load_from(self.candidates(name, from, true), name)
    }

    fn load_angled(&self, name: &str) -> Result<(String, String), String> {
        // Any non-`None` `from` selects the include-directory search.
        self.load_from(self.candidates(name, Some(""), false), name)
    }
}

/// Source files held in memory, by exact name.
#[derive(Clone, Debug, Default)]
pub struct MemoryLoader {
    pub files: HashMap<String, String>,
}

impl MemoryLoader {
    pub fn new() -> MemoryLoader {
        MemoryLoader::default()
    }

    pub fn with(mut self, name: &str, text: &str) -> MemoryLoader {
        self.files.insert(name.to_string(), text.to_string());
        self
    }
}

impl SourceLoader for MemoryLoader {
    fn load(&self, name: &str, _from: Option<&str>) -> Result<(String, String), String> {
        self.files.get(name).map(|t| (name.to_string(), t.clone())).ok_or_else(|| format!("cannot read `{name}`"))
    }
}
