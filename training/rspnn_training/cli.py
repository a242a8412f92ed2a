"""Runs the project's `rspnn` command line (the Rust loader and runners) from Python.

The binary is found, in order: the `RSPNN` environment variable (a path to a built `rspnn`),
else `cargo run --release -p rspnn-cli --` in the repository (cargo builds it once; it honours
CARGO_TARGET_DIR). `available()` says whether either is possible, so tests can skip cleanly.
"""

import os
import shutil
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def command():
    exe = os.environ.get("RSPNN")
    if exe:
        return [exe]
    return ["cargo", "run", "-q", "--release", "-p", "rspnn-cli", "--"]


def available():
    exe = os.environ.get("RSPNN")
    if exe:
        return os.path.isfile(exe) and os.access(exe, os.X_OK)
    return shutil.which("cargo") is not None and os.path.isfile(os.path.join(REPO, "Cargo.toml"))


def run(args, binary_out=False):
    """Runs `rspnn ARGS`; returns stdout (bytes if binary_out) or raises RuntimeError with the
    command's stderr."""
    p = subprocess.run(command() + list(args), cwd=REPO, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("rspnn %s failed (%d): %s" % (
            " ".join(args), p.returncode, p.stderr.decode("utf-8", "replace").strip()))
    return p.stdout if binary_out else p.stdout.decode("ascii", "replace")
