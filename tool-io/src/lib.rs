//! File input and output for the command-line tools (`rspnn`, `rsp-asm`, `rsp-sim`).
//!
//! * Reads are bounded: a caller says how many bytes its format allows, and an endless or huge
//!   file (`/dev/zero`, a mistaken path) is refused after at most that many bytes plus one,
//!   never read until memory runs out.
//! * Writes are all or nothing: [`Outputs`] writes every output of a command to a temporary
//!   file in its destination's directory and renames them into place only when all were
//!   written, so a failing command (full disk, a later output that cannot be created) leaves no
//!   partial or modified file behind. A rename within one directory replaces the destination
//!   atomically (POSIX `rename(2)`).
//!
//! Every error names the file and carries the operating system's reason.

use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A failed read or write: what was being done to which file, and why.
#[derive(Debug)]
pub struct FileError {
    path: PathBuf,
    what: String,
}

impl FileError {
    fn new(path: &Path, what: impl Into<String>) -> Self {
        FileError {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }
}

impl FileError {
    /// What went wrong, without the path (for messages that name the file already).
    pub fn reason(&self) -> &str {
        &self.what
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.what)
    }
}

impl std::error::Error for FileError {}

fn open(path: &Path, role: &str) -> Result<File, FileError> {
    let file =
        File::open(path).map_err(|e| FileError::new(path, format!("cannot read {role}: {e}")))?;
    // Opening a directory succeeds on Linux; reading it fails with EISDIR, which is the reason
    // the user needs.
    Ok(file)
}

/// Reads at most `limit` bytes from the start of `path` (fewer if the file is shorter).
/// `role` says what the file is for in messages ("weight file", "corpus").
pub fn read_prefix(path: &Path, role: &str, limit: u64) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::new();
    open(path, role)?
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::new(path, format!("cannot read {role}: {e}")))?;
    Ok(bytes)
}

/// Reads a file whose header says how long it may be: the first `header_len` bytes go to
/// `limit`, which returns the most bytes the whole file may be read to (or refuses the header),
/// and reading continues on the same handle up to that many (so pipes and FIFOs work too).
pub fn read_declared(
    path: &Path,
    role: &str,
    header_len: u64,
    limit: impl FnOnce(&[u8]) -> Result<u64, String>,
) -> Result<Vec<u8>, String> {
    let mut file = open(path, role).map_err(|e| e.to_string())?;
    let fail =
        |e: std::io::Error| FileError::new(path, format!("cannot read {role}: {e}")).to_string();
    let mut bytes = Vec::new();
    (&mut file)
        .take(header_len)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    let total = limit(&bytes)?;
    let rest = total.saturating_sub(bytes.len() as u64);
    file.take(rest).read_to_end(&mut bytes).map_err(fail)?;
    Ok(bytes)
}

/// Reads all of `path`, which may hold at most `max` bytes: a longer (or endless) file is
/// refused after reading `max + 1` bytes.
pub fn read_bounded(path: &Path, role: &str, max: u64) -> Result<Vec<u8>, FileError> {
    let bytes = read_prefix(path, role, max.saturating_add(1))?;
    if bytes.len() as u64 > max {
        return Err(FileError::new(
            path,
            format!("{role} is larger than the {max} bytes it can hold"),
        ));
    }
    Ok(bytes)
}

/// Whether `a` and `b` name the same existing file (same device and inode, so hard links and
/// different spellings of one path count as the same).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => same_inode(&ma, &mb),
        _ => false,
    }
}

#[cfg(unix)]
fn same_inode(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// The outputs of one command, written together: [`Outputs::stage`] each, then
/// [`Outputs::commit`]. Dropping an uncommitted `Outputs` deletes its temporary files.
#[derive(Default)]
pub struct Outputs {
    staged: Vec<(tempfile::NamedTempFile, PathBuf)>,
}

impl Outputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `bytes` to a temporary file beside `path` (nothing at `path` changes yet).
    pub fn stage(&mut self, path: &Path, bytes: &[u8]) -> Result<(), FileError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let fail = |e: std::io::Error| FileError::new(path, format!("cannot write: {e}"));
        if path.file_name().is_none() {
            return Err(FileError::new(path, "cannot write: not a file name"));
        }
        if path.is_dir() {
            return Err(FileError::new(path, "cannot write: is a directory"));
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(dir)
            .map_err(fail)?;
        tmp.write_all(bytes).map_err(fail)?;
        tmp.as_file().sync_all().map_err(fail)?;
        set_permissions(&tmp, path).map_err(fail)?;
        self.staged.push((tmp, path.to_path_buf()));
        Ok(())
    }

    /// Renames every staged file over its destination.
    pub fn commit(self) -> Result<(), FileError> {
        for (tmp, path) in self.staged {
            tmp.persist(&path)
                .map_err(|e| FileError::new(&path, format!("cannot write: {}", e.error)))?;
        }
        Ok(())
    }
}

/// The temporary file is created private (0600); give it the destination's permissions if it
/// exists, else the usual 0644 a plain `create` would give under the common umask 022.
#[cfg(unix)]
fn set_permissions(tmp: &tempfile::NamedTempFile, dest: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let perms = match std::fs::metadata(dest) {
        Ok(m) => m.permissions(),
        Err(_) => std::fs::Permissions::from_mode(0o644),
    };
    tmp.as_file().set_permissions(perms)
}

#[cfg(not(unix))]
fn set_permissions(_: &tempfile::NamedTempFile, _: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Writes one file all or nothing.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut out = Outputs::new();
    out.stage(path, bytes)?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tool-io-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn endless_file_is_refused_after_the_bound() {
        let e = read_bounded(Path::new("/dev/zero"), "image", 4096).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/zero: image is larger than the 4096 bytes it can hold"
        );
        assert_eq!(
            read_prefix(Path::new("/dev/zero"), "t", 10).unwrap(),
            vec![0; 10]
        );
    }

    #[test]
    fn directory_and_missing_file_give_the_os_reason() {
        let d = scratch("dir");
        let e = read_bounded(&d, "corpus", 10).unwrap_err().to_string();
        assert!(
            e.ends_with("cannot read corpus: Is a directory (os error 21)"),
            "{e}"
        );
        let e = read_bounded(&d.join("nope"), "corpus", 10)
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("No such file or directory (os error 2)"), "{e}");
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn a_failing_output_leaves_every_output_untouched() {
        let d = scratch("outs");
        let a = d.join("a.bin");
        std::fs::write(&a, b"old").unwrap();
        let mut out = Outputs::new();
        out.stage(&a, b"new contents").unwrap();
        let e = out.stage(&d.join("missing-dir/b.bin"), b"x").unwrap_err();
        assert!(e.to_string().contains("No such file or directory"), "{e}");
        drop(out);
        assert_eq!(std::fs::read(&a).unwrap(), b"old");
        // Only a.bin remains: the temporary file was removed.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        write_atomic(&a, b"new").unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"new");
        assert!(same_file(&a, &d.join(".").join("a.bin")));
        assert!(!same_file(&a, &d.join("b.bin")));
        std::fs::remove_dir_all(&d).ok();
    }
}
