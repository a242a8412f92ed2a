//! The one error type of the kernels: a caller passed buffers whose sizes do not fit together.
//! Kernels never panic on such input (house rule); they say what did not fit.

use core::fmt;

/// Why a kernel refused its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// A slice had `actual` elements where `expected` were needed.
    Length {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    /// A dimension broke a layout rule (rows a multiple of 8, columns of 32, limits).
    Shape { what: &'static str, value: usize },
    /// An index (a token, a head) was out of range.
    Index {
        what: &'static str,
        index: usize,
        limit: usize,
    },
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KernelError::Length {
                what,
                expected,
                actual,
            } => write!(f, "{what}: expected {expected} elements, got {actual}"),
            KernelError::Shape { what, value } => write!(f, "{what}: invalid dimension {value}"),
            KernelError::Index { what, index, limit } => {
                write!(f, "{what}: index {index} out of range 0..{limit}")
            }
        }
    }
}

/// `Ok` when a slice has the `expected` length, else [`KernelError::Length`] naming `what`
/// (also used by the tuned path, `kernels-vr4300`).
pub fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<(), KernelError> {
    if expected == actual {
        Ok(())
    } else {
        Err(KernelError::Length {
            what,
            expected,
            actual,
        })
    }
}
