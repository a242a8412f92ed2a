//! Where things are: the workspace root, the target directory (as cargo reports it, so that
//! `CARGO_TARGET_DIR` and cargo config are respected) and the N64 build's own directory.

use crate::process::{host_cargo, stdout_of};
use crate::Result;
use std::path::{Path, PathBuf};

/// The JSON target spec of the N64 (inside the workspace).
pub const TARGET_SPEC: &str = "targets/mips-nintendo64-none.json";

pub struct Workspace {
    pub root: PathBuf,
    pub target_dir: PathBuf,
}

impl Workspace {
    /// Asks `cargo metadata` (of the workspace this xtask belongs to).
    pub fn locate() -> Result<Self> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("Cargo.toml");
        let json = stdout_of(
            host_cargo()
                .args([
                    "metadata",
                    "--format-version",
                    "1",
                    "--no-deps",
                    "--manifest-path",
                ])
                .arg(&manifest),
        )?;
        let metadata: serde_json::Value = serde_json::from_str(&json)
            .map_err(|e| format!("cannot parse `cargo metadata` output: {e}"))?;
        let field = |name: &str| -> Result<PathBuf> {
            metadata[name]
                .as_str()
                .map(PathBuf::from)
                .ok_or_else(|| format!("`cargo metadata` output has no {name}"))
        };
        Ok(Self {
            root: field("workspace_root")?,
            target_dir: field("target_directory")?,
        })
    }

    /// The N64 build's target directory: separate from the host's, so that the Debian and
    /// rustup toolchains never rebuild each other's host artifacts.
    pub fn n64_target_dir(&self) -> PathBuf {
        self.target_dir.join("n64")
    }

    /// Where packed ROMs go.
    pub fn rom_dir(&self) -> PathBuf {
        self.n64_target_dir().join("roms")
    }

    pub fn target_spec(&self) -> PathBuf {
        self.root.join(TARGET_SPEC)
    }
}
