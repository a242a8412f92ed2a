//! Memory the CPU shares with the RSP: the scheduler's workspace, read-only shared data, and
//! the alignment rules both must follow.
//!
//! Rules (and why):
//! - SP DMA moves 8-byte units from 8-byte aligned RDRAM addresses (RSP-FACTS "Timing"), so
//!   every RDRAM address handed to the RSP is a multiple of [`DMA_ALIGN`].
//! - Invalidating a data-cache line drops all 16 bytes of it (n64-rt `cache`), so memory the
//!   RSP writes and the CPU then reads starts and ends on a [`CACHE_LINE`] boundary: otherwise
//!   the invalidation would also drop a neighbour's unwritten data, or a dirty neighbour line
//!   written back later would overwrite the RSP's result.

use core::fmt;

/// Bytes in a VR4300 data-cache line.
pub const CACHE_LINE: usize = 16;
/// Alignment of every RDRAM address the SP DMA uses.
pub const DMA_ALIGN: usize = 8;
/// At most this many workspace spans per job direction (a fixed array: no allocator).
pub const MAX_SPANS: usize = 4;

/// A byte range of the scheduler's workspace, by offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub const fn new(offset: usize, len: usize) -> Span {
        Span { offset, len }
    }

    /// One past the last byte (saturating, so a bad span can be reported rather than wrap).
    pub const fn end(&self) -> usize {
        self.offset.saturating_add(self.len)
    }
}

/// Read-only memory the RSP reads (weights, constant tables): its RDRAM address and length.
/// Made by [`crate::Scheduler::share`], which writes it back once; being `&'static [u8]`, it
/// can never change afterwards, so it never needs writing back again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shared {
    pub rdram: u32,
    pub len: usize,
}

/// Why memory cannot be given to the RSP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressError {
    /// The RSP cannot reach this memory (not in RDRAM, or past the DMA's reach).
    Unreachable { what: &'static str, len: usize },
    /// An RDRAM address or length that is not a multiple of `align`.
    Misaligned {
        what: &'static str,
        value: usize,
        align: usize,
    },
    /// A span that does not lie inside the workspace.
    OutsideWorkspace {
        what: &'static str,
        span: Span,
        workspace: usize,
    },
    /// More spans than a job can carry.
    TooManySpans {
        what: &'static str,
        count: usize,
        max: usize,
    },
    /// The span overlaps one already laid out ([`crate::Scheduler::claim`]): two programs in
    /// the same bytes would overwrite each other's command lists.
    Claimed {
        what: &'static str,
        span: Span,
        by: Span,
    },
    /// Every layout slot is taken.
    TooManyLayouts { what: &'static str, max: usize },
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AddressError::Unreachable { what, len } => {
                write!(
                    f,
                    "{what} ({len} bytes) is not in RDRAM the RSP's DMA can reach"
                )
            }
            AddressError::Misaligned { what, value, align } => {
                write!(f, "{what} = {value:#x} is not a multiple of {align}")
            }
            AddressError::OutsideWorkspace {
                what,
                span,
                workspace,
            } => write!(
                f,
                "{what} {:#x}..{:#x} is not inside the {workspace}-byte workspace",
                span.offset,
                span.end()
            ),
            AddressError::TooManySpans { what, count, max } => {
                write!(f, "{count} {what} spans; a job carries at most {max}")
            }
            AddressError::Claimed { what, span, by } => write!(
                f,
                "{what} {:#x}..{:#x} overlaps the layout at {:#x}..{:#x}",
                span.offset,
                span.end(),
                by.offset,
                by.end()
            ),
            AddressError::TooManyLayouts { what, max } => {
                write!(
                    f,
                    "{what}: all {max} layout slots of the workspace are taken"
                )
            }
        }
    }
}

/// Checks that `value` is a multiple of `align`.
pub fn check_aligned(what: &'static str, value: usize, align: usize) -> Result<(), AddressError> {
    if value % align == 0 {
        Ok(())
    } else {
        Err(AddressError::Misaligned { what, value, align })
    }
}

/// Checks that `span` lies inside a workspace of `len` bytes.
pub fn check_inside(what: &'static str, span: Span, len: usize) -> Result<(), AddressError> {
    if span
        .offset
        .checked_add(span.len)
        .is_some_and(|end| end <= len)
    {
        Ok(())
    } else {
        Err(AddressError::OutsideWorkspace {
            what,
            span,
            workspace: len,
        })
    }
}

/// Checks a span the RSP writes and the CPU reads back: inside and whole cache lines.
pub fn check_result_span(span: Span, len: usize) -> Result<(), AddressError> {
    check_inside("RSP-written span", span, len)?;
    check_aligned("RSP-written span offset", span.offset, CACHE_LINE)?;
    check_aligned("RSP-written span length", span.len, CACHE_LINE)
}

/// Up to [`MAX_SPANS`] spans, kept by value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpanList {
    spans: [Span; MAX_SPANS],
    count: usize,
}

impl SpanList {
    /// The spans of `spans`, or an error when there are too many.
    pub fn from_slice(what: &'static str, spans: &[Span]) -> Result<SpanList, AddressError> {
        if spans.len() > MAX_SPANS {
            return Err(AddressError::TooManySpans {
                what,
                count: spans.len(),
                max: MAX_SPANS,
            });
        }
        let mut list = SpanList::default();
        list.spans[..spans.len()].copy_from_slice(spans);
        list.count = spans.len();
        Ok(list)
    }

    pub fn as_slice(&self) -> &[Span] {
        &self.spans[..self.count]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_must_lie_inside_the_workspace() {
        assert_eq!(check_inside("s", Span::new(0, 64), 64), Ok(()));
        assert_eq!(check_inside("s", Span::new(48, 16), 64), Ok(()));
        assert!(check_inside("s", Span::new(49, 16), 64).is_err());
        assert!(check_inside("s", Span::new(usize::MAX, 2), 64).is_err());
    }

    #[test]
    fn result_spans_are_whole_cache_lines() {
        assert_eq!(check_result_span(Span::new(32, 48), 128), Ok(()));
        assert_eq!(
            check_result_span(Span::new(40, 16), 128),
            Err(AddressError::Misaligned {
                what: "RSP-written span offset",
                value: 40,
                align: 16
            })
        );
        assert_eq!(
            check_result_span(Span::new(32, 8), 128),
            Err(AddressError::Misaligned {
                what: "RSP-written span length",
                value: 8,
                align: 16
            })
        );
    }

    #[test]
    fn span_lists_hold_at_most_four() {
        let four = [Span::new(0, 16); 4];
        assert_eq!(
            SpanList::from_slice("x", &four).unwrap().as_slice().len(),
            4
        );
        assert_eq!(
            SpanList::from_slice("x", &[Span::new(0, 16); 5]),
            Err(AddressError::TooManySpans {
                what: "x",
                count: 5,
                max: 4
            })
        );
    }
}
