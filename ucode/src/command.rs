//! The command encoding: 16-byte big-endian records the dispatcher reads from RDRAM.
//!
//! Each command has a `#[repr(C)]` struct of byte arrays mirroring its `.struct` in
//! `rsp/layout.inc`; the assertions below fail the build when a size or an offset differs from
//! the assembler's symbols. [`Command`] is the typed form: [`Command::check`] applies the same
//! rules the ucode applies (so a builder can refuse a command before the RSP sees it), and
//! [`Command::encode`] writes the bytes without checking (tests use it to feed the ucode bad
//! commands).

use crate::layout::{Be16, Be32, ACT, ACT_BYTES, DMEM_BUDGET};
use crate::token_cmd::{self, AttendArgs, EmbedArgs, NormArgs};
use crate::ucode::consts;
use bytemuck::{Pod, Zeroable};
use core::fmt;
use core::mem::{offset_of, size_of};
use static_assertions::const_assert_eq;

/// Opcodes (byte 0 of a command).
pub mod op {
    use super::consts;
    /// Stop with status DONE.
    pub const END: u8 = consts::OP_END as u8;
    /// RDRAM -> DMEM.
    pub const DMA_IN: u8 = consts::OP_DMA_IN as u8;
    /// DMEM -> RDRAM.
    pub const DMA_OUT: u8 = consts::OP_DMA_OUT as u8;
    /// y = W x.
    pub const MATVEC: u8 = consts::OP_MATVEC as u8;
    /// The step's token and position (token program).
    pub const STEP: u8 = consts::OP_STEP as u8;
    /// Embedding lookup of the step's token.
    pub const EMBED: u8 = consts::OP_EMBED as u8;
    /// RMSNorm / LayerNorm.
    pub const NORM: u8 = consts::OP_NORM as u8;
    /// k into the KV cache, every head's scores.
    pub const ATT_SCORES: u8 = consts::OP_ATT_SCORES as u8;
    /// v into the KV cache, softmax, weighted sums (right after ATT_SCORES).
    pub const ATT_VALUES: u8 = consts::OP_ATT_VALUES as u8;
    /// v = max(v, 0).
    pub const RELU: u8 = consts::OP_RELU as u8;
    /// x = sat16(x + y).
    pub const ADD: u8 = consts::OP_ADD as u8;
    /// Index of the first maximum in a range.
    pub const ARGMAX: u8 = consts::OP_ARGMAX as u8;
    /// Where the overlay images are.
    pub const OVERLAYS: u8 = consts::OP_OVERLAYS as u8;
    /// Number of opcodes; larger ones stop the ucode with STATUS_BAD_OPCODE.
    pub const COUNT: u8 = consts::OP_COUNT as u8;
}

/// `END`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdEnd {
    pub op: u8,
    pub pad: [u8; 15],
}

/// `DMA_IN` / `DMA_OUT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdDma {
    pub op: u8,
    pub pad0: u8,
    /// DMEM address, multiple of 8.
    pub dmem: Be16,
    /// Bytes, multiple of 8, 8..4096.
    pub len: Be16,
    pub pad1: [u8; 2],
    /// RDRAM address, multiple of 8.
    pub rdram: Be32,
    pub pad2: [u8; 4],
}

/// `MATVEC`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdMatvec {
    pub op: u8,
    /// 4 or 8.
    pub bits: u8,
    /// Output shift k, 0..15.
    pub shift: u8,
    pub pad0: u8,
    pub rows: Be16,
    pub cols: Be16,
    /// RDRAM address of the block records.
    pub w_rdram: Be32,
    /// DMEM home of x.
    pub x_dmem: Be16,
    /// DMEM home of y.
    pub y_dmem: Be16,
}

const_assert_eq!(size_of::<CmdMatvec>(), consts::CmdMatvec_SIZE as usize);
const_assert_eq!(size_of::<CmdMatvec>(), consts::CMD_BYTES as usize);
const_assert_eq!(offset_of!(CmdMatvec, op), consts::CmdMatvec_op as usize);
const_assert_eq!(offset_of!(CmdMatvec, bits), consts::CmdMatvec_bits as usize);
const_assert_eq!(offset_of!(CmdMatvec, shift), consts::CmdMatvec_shift as usize);
const_assert_eq!(offset_of!(CmdMatvec, rows), consts::CmdMatvec_rows as usize);
const_assert_eq!(offset_of!(CmdMatvec, cols), consts::CmdMatvec_cols as usize);
const_assert_eq!(offset_of!(CmdMatvec, w_rdram), consts::CmdMatvec_w_rdram as usize);
const_assert_eq!(offset_of!(CmdMatvec, x_dmem), consts::CmdMatvec_x_dmem as usize);
const_assert_eq!(offset_of!(CmdMatvec, y_dmem), consts::CmdMatvec_y_dmem as usize);

/// Largest `cols` of a matvec (the MV_HG scratch holds 16 blocks).
pub const MATVEC_MAX_COLS: usize = consts::MV_MAX_COLS as usize;

/// The arguments of `MATVEC`: `y = W x` over block records (docs/numerics.md section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatvecArgs {
    /// Weight bits: 4 or 8.
    pub bits: u8,
    /// Output shift `k`, 0..=15.
    pub shift: u8,
    /// Rows: a multiple of 8, 8..=4088.
    pub rows: u16,
    /// Columns: a multiple of 32, 32..=[`MATVEC_MAX_COLS`].
    pub cols: u16,
    /// RDRAM address of the block records (multiple of 8).
    pub w_rdram: u32,
    /// DMEM home of x (`cols` int16): 16-aligned, inside the activation area.
    pub x_dmem: u16,
    /// DMEM home of y (`rows` int16): 16-aligned, inside the activation area, not overlapping x.
    pub y_dmem: u16,
}

const_assert_eq!(size_of::<CmdEnd>(), consts::CmdEnd_SIZE as usize);
const_assert_eq!(size_of::<CmdEnd>(), consts::CMD_BYTES as usize);
const_assert_eq!(offset_of!(CmdEnd, op), consts::CmdEnd_op as usize);
const_assert_eq!(size_of::<CmdDma>(), consts::CmdDma_SIZE as usize);
const_assert_eq!(size_of::<CmdDma>(), consts::CMD_BYTES as usize);
const_assert_eq!(offset_of!(CmdDma, op), consts::CmdDma_op as usize);
const_assert_eq!(offset_of!(CmdDma, dmem), consts::CmdDma_dmem as usize);
const_assert_eq!(offset_of!(CmdDma, len), consts::CmdDma_len as usize);
const_assert_eq!(offset_of!(CmdDma, rdram), consts::CmdDma_rdram as usize);

/// A command in typed form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Stop: Boot.status = DONE, BREAK.
    End,
    /// Copy `len` bytes from RDRAM `rdram` to DMEM `dmem` (at or above `layout::ACT`) and wait
    /// for them.
    DmaIn { dmem: u16, len: u16, rdram: u32 },
    /// Copy `len` bytes from DMEM `dmem` to RDRAM `rdram` and wait.
    DmaOut { dmem: u16, len: u16, rdram: u32 },
    /// `y = W x`, weights streamed from RDRAM, x and y in DMEM.
    Matvec(MatvecArgs),
    /// The step's token and position (`ctx` = the model's context): what the CPU patches.
    Step { token: u16, pos: u16, ctx: u16 },
    /// x = the embedding row of the step's token.
    Embed(EmbedArgs),
    /// u = RMSNorm(x) or LayerNorm(x), Q1.14.
    Norm(NormArgs),
    /// This position's k into the KV cache, the scores of every head.
    AttScores(AttendArgs),
    /// This position's v into the KV cache, the softmax and the weighted sums; takes its
    /// arguments over from the `AttScores` that must come right before it.
    AttValues,
    /// `v = max(v, 0)` over `n` elements.
    Relu { n: u16, x_dmem: u16 },
    /// `x = sat16(x + y)` over `n` elements.
    Add { n: u16, x_dmem: u16, y_dmem: u16 },
    /// Index (u16) and value (int16) of the first maximum of `v[lo..hi)`, written at `out_dmem`.
    Argmax { lo: u16, hi: u16, v_dmem: u16, out_dmem: u16 },
    /// The RDRAM address of the overlay images (src/program.rs lays them out).
    Overlays { rdram: u32 },
}

/// Why [`Command::check`] refused a command (the ucode would stop with an error status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// A DMA length outside 8..=4096 (one RSP DMA row, RSP-FACTS "Timing").
    DmaLength { len: u16 },
    /// A DMA address or length that is not a multiple of 8 (RSP-FACTS "Timing").
    DmaAlignment { dmem: u16, len: u16, rdram: u32 },
    /// `dmem + len` past the ucode's DMEM budget.
    DmaRange { dmem: u16, len: u16, budget: usize },
    /// A DMA_IN into the ucode's fixed area (below `layout::ACT`).
    DmaIntoFixedArea { dmem: u16 },
    /// A MATVEC argument out of range: which, its value and the rule.
    Matvec { what: &'static str, value: u32, rule: &'static str },
    /// An argument of a token-program command out of range: the command, which argument, its
    /// value and the rule.
    Arg { command: &'static str, what: &'static str, value: u32, rule: &'static str },
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CommandError::DmaLength { len } => write!(f, "DMA length {len} is outside 8..=4096"),
            CommandError::DmaAlignment { dmem, len, rdram } => {
                write!(f, "DMA dmem 0x{dmem:03x}, length {len} and rdram 0x{rdram:06x} must all be multiples of 8")
            }
            CommandError::DmaRange { dmem, len, budget } => {
                write!(f, "DMA of {len} bytes at dmem 0x{dmem:03x} runs past the DMEM budget of {budget} bytes")
            }
            CommandError::DmaIntoFixedArea { dmem } => {
                write!(f, "DMA_IN to dmem 0x{dmem:03x} would overwrite the ucode's fixed area (below 0x{ACT:03x})")
            }
            CommandError::Matvec { what, value, rule } => write!(f, "MATVEC {what} = {value}: {rule}"),
            CommandError::Arg { command, what, value, rule } => write!(f, "{command} {what} = {value}: {rule}"),
        }
    }
}

fn check_dma(dmem: u16, len: u16, rdram: u32) -> Result<(), CommandError> {
    if (dmem as u32 | len as u32 | rdram) & 7 != 0 {
        return Err(CommandError::DmaAlignment { dmem, len, rdram });
    }
    if len == 0 || len > 4096 {
        return Err(CommandError::DmaLength { len });
    }
    if dmem as usize + len as usize > DMEM_BUDGET {
        return Err(CommandError::DmaRange { dmem, len, budget: DMEM_BUDGET });
    }
    Ok(())
}

fn check_matvec(a: &MatvecArgs) -> Result<(), CommandError> {
    let bad = |what, value: u32, rule| Err(CommandError::Matvec { what, value, rule });
    if a.bits != 4 && a.bits != 8 {
        return bad("bits", a.bits as u32, "must be 4 or 8");
    }
    if a.shift > 15 {
        return bad("shift", a.shift as u32, "must be at most 15");
    }
    if a.rows % 8 != 0 || !(8..=4088).contains(&a.rows) {
        return bad("rows", a.rows as u32, "must be a multiple of 8 in 8..=4088");
    }
    if a.cols % 32 != 0 || !(32..=MATVEC_MAX_COLS as u16).contains(&a.cols) {
        return bad("cols", a.cols as u32, "must be a multiple of 32 in 32..=512");
    }
    if a.w_rdram % 8 != 0 {
        return bad("w_rdram", a.w_rdram, "must be a multiple of 8 (RSP DMA)");
    }
    let act = ACT as u32..=(ACT + ACT_BYTES) as u32;
    let (x, x_end) = (a.x_dmem as u32, a.x_dmem as u32 + 2 * a.cols as u32);
    let (y, y_end) = (a.y_dmem as u32, a.y_dmem as u32 + 2 * a.rows as u32);
    if x % 16 != 0 || !act.contains(&x) || !act.contains(&x_end) {
        return bad("x_dmem", x, "must be 16-aligned with x inside the activation area");
    }
    if y % 16 != 0 || !act.contains(&y) || !act.contains(&y_end) {
        return bad("y_dmem", y, "must be 16-aligned with y inside the activation area");
    }
    // Not checked by the ucode: y is written while x is still being read.
    if x < y_end && y < x_end {
        return bad("y_dmem", y, "y must not overlap x");
    }
    Ok(())
}

impl Command {
    /// Applies the checks the ucode applies to this command (and, for MATVEC, that x and y do
    /// not overlap, which the ucode does not check).
    pub fn check(&self) -> Result<(), CommandError> {
        match *self {
            Command::End => Ok(()),
            Command::DmaIn { dmem, .. } if (dmem as usize) < ACT => Err(CommandError::DmaIntoFixedArea { dmem }),
            Command::DmaIn { dmem, len, rdram } | Command::DmaOut { dmem, len, rdram } => check_dma(dmem, len, rdram),
            Command::Matvec(ref a) => check_matvec(a),
            Command::Step { ctx, .. } => token_cmd::check_step(ctx),
            Command::Embed(ref a) => token_cmd::check_embed(a),
            Command::Norm(ref a) => token_cmd::check_norm(a),
            Command::AttScores(ref a) => token_cmd::check_attend(a),
            Command::AttValues => Ok(()),
            Command::Relu { n, x_dmem } => token_cmd::check_vec("RELU", n, x_dmem, None),
            Command::Add { n, x_dmem, y_dmem } => token_cmd::check_vec("ADD", n, x_dmem, Some(y_dmem)),
            Command::Argmax { lo, hi, v_dmem, out_dmem } => token_cmd::check_argmax(lo, hi, v_dmem, out_dmem),
            Command::Overlays { rdram } => token_cmd::check_overlays(rdram),
        }
    }

    /// The command's 16 bytes, as the ucode reads them (no checks).
    pub fn encode(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        match *self {
            Command::End => out.copy_from_slice(bytemuck::bytes_of(&CmdEnd { op: op::END, pad: [0; 15] })),
            Command::DmaIn { dmem, len, rdram } | Command::DmaOut { dmem, len, rdram } => {
                let opcode = if matches!(self, Command::DmaIn { .. }) { op::DMA_IN } else { op::DMA_OUT };
                let c = CmdDma {
                    op: opcode,
                    pad0: 0,
                    dmem: Be16::new(dmem),
                    len: Be16::new(len),
                    pad1: [0; 2],
                    rdram: Be32::new(rdram),
                    pad2: [0; 4],
                };
                out.copy_from_slice(bytemuck::bytes_of(&c));
            }
            Command::Matvec(a) => {
                let c = CmdMatvec {
                    op: op::MATVEC,
                    bits: a.bits,
                    shift: a.shift,
                    pad0: 0,
                    rows: Be16::new(a.rows),
                    cols: Be16::new(a.cols),
                    w_rdram: Be32::new(a.w_rdram),
                    x_dmem: Be16::new(a.x_dmem),
                    y_dmem: Be16::new(a.y_dmem),
                };
                out.copy_from_slice(bytemuck::bytes_of(&c));
            }
            Command::Step { token, pos, ctx } => {
                out.copy_from_slice(bytemuck::bytes_of(&token_cmd::encode_step(token, pos, ctx)))
            }
            Command::Embed(ref a) => out.copy_from_slice(bytemuck::bytes_of(&token_cmd::encode_embed(a))),
            Command::Norm(ref a) => out.copy_from_slice(bytemuck::bytes_of(&token_cmd::encode_norm(a))),
            Command::AttScores(ref a) => out.copy_from_slice(bytemuck::bytes_of(&token_cmd::encode_attend(a))),
            Command::AttValues => out.copy_from_slice(bytemuck::bytes_of(&CmdEnd { op: op::ATT_VALUES, pad: [0; 15] })),
            Command::Relu { n, x_dmem } => {
                out.copy_from_slice(bytemuck::bytes_of(&token_cmd::encode_vec(op::RELU, n, x_dmem, 0)))
            }
            Command::Add { n, x_dmem, y_dmem } => {
                out.copy_from_slice(bytemuck::bytes_of(&token_cmd::encode_vec(op::ADD, n, x_dmem, y_dmem)))
            }
            Command::Argmax { lo, hi, v_dmem, out_dmem } => {
                out.copy_from_slice(bytemuck::bytes_of(&token_cmd::encode_argmax(lo, hi, v_dmem, out_dmem)))
            }
            Command::Overlays { rdram } => out.copy_from_slice(bytemuck::bytes_of(&token_cmd::encode_overlays(rdram))),
        }
        out
    }
}
