//! Lays out what the RSP reads from RDRAM: command lists, weights, inputs, room for outputs.
//!
//! [`RdramImage`] places items one after another in a caller-provided buffer (no allocation, so
//! the N64 scheduler can use it on its own memory), aligning each as the RSP's DMA needs
//! (RSP-FACTS "Timing": 8-byte aligned addresses; we use 16 so vector loads of the same data
//! are aligned too). Addresses are offsets into the buffer, which stands for RDRAM from the
//! address the buffer is loaded at (`base`).

use crate::command::{Command, CommandError, MatvecArgs};
use crate::layout::{ACT, CMDBUF_BYTES};
use core::fmt;
use kernels::matvec::{BlockMatrix, WeightBits};

/// Why an image could not be laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// The buffer is too small: `needed` bytes in all, `available` in the buffer.
    OutOfSpace { needed: usize, available: usize },
    /// An address past what the RSP's DMA can reach (24 bits, RSP-FACTS / ares DMA masks).
    AddressRange { address: u64 },
    /// A command the ucode would refuse.
    Command(CommandError),
    /// An argument out of range, with what and why.
    Invalid { what: &'static str, value: usize, rule: &'static str },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ImageError::OutOfSpace { needed, available } => {
                write!(f, "RDRAM image needs {needed} bytes, the buffer has {available}")
            }
            ImageError::AddressRange { address } => {
                write!(f, "RDRAM address 0x{address:x} is past the 16 MiB the RSP DMA can address")
            }
            ImageError::Command(e) => write!(f, "bad command: {e}"),
            ImageError::Invalid { what, value, rule } => write!(f, "{what} = {value}: {rule}"),
        }
    }
}

impl From<CommandError> for ImageError {
    fn from(e: CommandError) -> Self {
        ImageError::Command(e)
    }
}

/// Alignment of every item placed by [`RdramImage`].
pub const ITEM_ALIGN: usize = 16;

/// A bump allocator over an RDRAM image.
pub struct RdramImage<'a> {
    buf: &'a mut [u8],
    base: u32,
    used: usize,
}

/// Rounds `v` up to a multiple of `a` (a power of two).
const fn align_up(v: usize, a: usize) -> usize {
    (v + a - 1) & !(a - 1)
}

impl<'a> RdramImage<'a> {
    /// An empty image over `buf`, which the RSP will see at RDRAM address `base` (a multiple
    /// of 16).
    pub fn new(buf: &'a mut [u8], base: u32) -> Result<Self, ImageError> {
        if base as usize % ITEM_ALIGN != 0 {
            return Err(ImageError::Invalid {
                what: "image base",
                value: base as usize,
                rule: "must be a multiple of 16",
            });
        }
        Ok(RdramImage { buf, base, used: 0 })
    }

    /// Bytes used so far (the image's length).
    pub fn len(&self) -> usize {
        self.used
    }

    /// Bytes the image may grow to (its buffer's length).
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was placed yet.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// The bytes placed so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.used]
    }

    /// Reserves `len` zeroed bytes, 16-byte aligned; returns their RDRAM address.
    pub fn reserve(&mut self, len: usize) -> Result<u32, ImageError> {
        let start = align_up(self.used, ITEM_ALIGN);
        let end =
            start.checked_add(len).ok_or(ImageError::OutOfSpace { needed: usize::MAX, available: self.buf.len() })?;
        if end > self.buf.len() {
            return Err(ImageError::OutOfSpace { needed: end, available: self.buf.len() });
        }
        let address = self.base as u64 + start as u64;
        // The DMA's RDRAM address register has 24 bits (ares `n64/rsp/io.cpp` masks).
        if self.base as u64 + end as u64 > 1 << 24 {
            return Err(ImageError::AddressRange { address: self.base as u64 + end as u64 });
        }
        self.buf[self.used..end].fill(0);
        self.used = end;
        Ok(address as u32)
    }

    /// Places `bytes`; returns their RDRAM address.
    pub fn put_bytes(&mut self, bytes: &[u8]) -> Result<u32, ImageError> {
        let at = self.reserve(bytes.len())?;
        let start = (at - self.base) as usize;
        self.buf[start..start + bytes.len()].copy_from_slice(bytes);
        Ok(at)
    }

    /// Overwrites bytes already placed (reserved) at RDRAM address `at`: for builders that
    /// reserve a region first and fill it piece by piece (src/program.rs).
    pub fn write_at(&mut self, at: u32, bytes: &[u8]) -> Result<(), ImageError> {
        let start = at.checked_sub(self.base).map(|s| s as usize);
        match start.and_then(|s| s.checked_add(bytes.len()).map(|e| (s, e))) {
            Some((s, e)) if e <= self.used => {
                self.buf[s..e].copy_from_slice(bytes);
                Ok(())
            }
            _ => Err(ImageError::Invalid {
                what: "write_at address",
                value: at as usize,
                rule: "must lie inside what the image has placed",
            }),
        }
    }

    /// Places int16 values big-endian (as the RSP's vector loads read them).
    pub fn put_i16s(&mut self, values: &[i16]) -> Result<u32, ImageError> {
        let at = self.reserve(values.len() * 2)?;
        let start = (at - self.base) as usize;
        for (chunk, v) in self.buf[start..start + values.len() * 2].chunks_exact_mut(2).zip(values) {
            chunk.copy_from_slice(&v.to_be_bytes());
        }
        Ok(at)
    }

    /// Places a command list: every command checked ([`Command::check`]), then END commands up
    /// to the next multiple of the dispatcher's fetch size (it reads whole chunks). Returns the
    /// list's RDRAM address (for `Boot.cmd_list`).
    pub fn put_commands(&mut self, commands: &[Command]) -> Result<u32, ImageError> {
        for c in commands {
            c.check()?;
        }
        self.put_commands_unchecked(commands)
    }

    /// [`put_commands`](Self::put_commands) without the checks (to test the ucode's own).
    pub fn put_commands_unchecked(&mut self, commands: &[Command]) -> Result<u32, ImageError> {
        let len = align_up((commands.len() + 1) * 16, CMDBUF_BYTES);
        let at = self.reserve(len)?;
        let start = (at - self.base) as usize;
        for (i, slot) in self.buf[start..start + len].chunks_exact_mut(16).enumerate() {
            let c = commands.get(i).copied().unwrap_or(Command::End);
            slot.copy_from_slice(&c.encode());
        }
        Ok(at)
    }
}

/// Reads `out.len()` big-endian int16 values at `address` of an image that starts at RDRAM
/// `base`. Returns false (and leaves `out`) if they are not all inside `image`.
pub fn read_i16s(image: &[u8], base: u32, address: u32, out: &mut [i16]) -> bool {
    let Some(start) = address.checked_sub(base).map(|s| s as usize) else { return false };
    let Some(end) = start.checked_add(out.len() * 2) else { return false };
    if end > image.len() {
        return false;
    }
    for (v, b) in out.iter_mut().zip(image[start..end].chunks_exact(2)) {
        *v = i16::from_be_bytes([b[0], b[1]]);
    }
    true
}

/// Where a matvec's x and y live in DMEM (inside the activation area).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatvecHomes {
    pub x_dmem: u16,
    pub y_dmem: u16,
}

impl MatvecHomes {
    /// x at the start of the activation area, y right after it.
    pub const fn packed(cols: usize) -> MatvecHomes {
        MatvecHomes { x_dmem: ACT as u16, y_dmem: (ACT + 2 * cols) as u16 }
    }
}

/// Where [`RdramImage::put_matvec`] put things (RDRAM addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatvecImage {
    /// The command list (for `Boot.cmd_list`).
    pub cmd_list: u32,
    /// The block records.
    pub weights: u32,
    /// x (big-endian int16).
    pub x: u32,
    /// Where the command list writes y back (big-endian int16).
    pub y: u32,
    /// y's length.
    pub rows: usize,
}

/// RDRAM bytes [`RdramImage::put_matvec`] needs for `m` (alignment padding included).
pub fn matvec_image_bytes(m: &BlockMatrix<'_>) -> usize {
    let item = |n: usize| align_up(n, ITEM_ALIGN);
    item(m.records().len()) + item(2 * m.cols()) + item(2 * m.rows()) + align_up(5 * 16, CMDBUF_BYTES)
}

/// The MATVEC arguments for `m` with weights at `w_rdram`.
pub fn matvec_args(m: &BlockMatrix<'_>, w_rdram: u32, homes: MatvecHomes) -> Result<MatvecArgs, ImageError> {
    let to16 = |what: &'static str, v: usize| {
        u16::try_from(v).map_err(|_| ImageError::Invalid { what, value: v, rule: "must fit in 16 bits" })
    };
    Ok(MatvecArgs {
        bits: match m.bits() {
            WeightBits::Q4 => 4,
            WeightBits::Q8 => 8,
        },
        shift: m.out_shift(),
        rows: to16("rows", m.rows())?,
        cols: to16("cols", m.cols())?,
        w_rdram,
        x_dmem: homes.x_dmem,
        y_dmem: homes.y_dmem,
    })
}

impl RdramImage<'_> {
    /// Lays out one matrix-vector product: the block records of `m`, `x`, room for y, and the
    /// command list `DMA_IN x -> x home; MATVEC; DMA_OUT y home -> y; END`.
    pub fn put_matvec(
        &mut self,
        m: &BlockMatrix<'_>,
        x: &[i16],
        homes: MatvecHomes,
    ) -> Result<MatvecImage, ImageError> {
        if x.len() != m.cols() {
            return Err(ImageError::Invalid { what: "x length", value: x.len(), rule: "must equal the matrix's cols" });
        }
        let weights = self.put_bytes(m.records())?;
        let args = matvec_args(m, weights, homes)?;
        Command::Matvec(args).check()?;
        let x_at = self.put_i16s(x)?;
        let y_at = self.reserve(2 * m.rows())?;
        let cmd_list = self.put_commands(&[
            Command::DmaIn { dmem: homes.x_dmem, len: 2 * args.cols, rdram: x_at },
            Command::Matvec(args),
            Command::DmaOut { dmem: homes.y_dmem, len: 2 * args.rows, rdram: y_at },
        ])?;
        Ok(MatvecImage { cmd_list, weights, x: x_at, y: y_at, rows: m.rows() })
    }
}
