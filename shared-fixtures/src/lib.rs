//! Where tests find `../shared/` (the folder beside the repository that holds the
//! hardware-measured RSP vectors, the assembler encodings and the seed demo's weight file).
//!
//! The policy every test follows: on a user's clone the folder is absent and the test is
//! skipped with a message saying why; under `CI=true` an absent fixture is a failure, because
//! CI always has it and a silently skipped check proves nothing.
//!
//! `RSPNN_SHARED` overrides the location (for running the tests from elsewhere).

use std::path::{Path, PathBuf};

/// The `shared/` folder beside the repository root (or `$RSPNN_SHARED`), whether or not it
/// exists.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RSPNN_SHARED") {
        return PathBuf::from(dir);
    }
    // This crate lives at <repo>/shared-fixtures, so <repo>/../shared is two levels up.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("shared")
}

/// True when running under CI (`CI=true`, as `.ci/run` is invoked).
pub fn under_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// The path of `relative` inside the shared folder if it exists.
///
/// When it does not exist: under CI this panics (the test fails); otherwise it prints a line
/// saying which test input is missing and returns `None`, and the caller returns early.
pub fn require(relative: &str) -> Option<PathBuf> {
    let path = shared_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    if under_ci() {
        panic!(
            "fixture {} is missing (looked in {}); CI must have ../shared beside the repository",
            relative,
            path.display()
        );
    }
    eprintln!(
        "SKIPPED: fixture {relative} not found at {} (the team's ../shared folder is not beside \
         this clone; set RSPNN_SHARED to its location to run this test)",
        path.display()
    );
    None
}

/// Reads a shared fixture file, with the same skip/fail policy as [`require`].
pub fn read(relative: &str) -> Option<Vec<u8>> {
    let path = require(relative)?;
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => panic!("fixture {} exists but cannot be read: {e}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fixture_is_skipped_or_fails_under_ci() {
        let name = "no-such-fixture/surely-absent.bin";
        if under_ci() {
            let outcome = std::panic::catch_unwind(|| require(name));
            assert!(
                outcome.is_err(),
                "under CI a missing fixture must fail the test"
            );
        } else {
            assert_eq!(require(name), None);
        }
    }

    #[test]
    fn shared_dir_is_beside_the_repository() {
        if std::env::var_os("RSPNN_SHARED").is_some() {
            return;
        }
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert_eq!(
            shared_dir().canonicalize().ok(),
            repo.join("../shared").canonicalize().ok()
        );
        assert!(repo.join("Cargo.toml").exists());
    }
}
