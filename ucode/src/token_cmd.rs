//! The token program's commands (`rsp/token_layout.inc`): STEP, EMBED, NORM, ATT_SCORES,
//! ATT_VALUES, RELU, ADD, ARGMAX and OVERLAYS. Each has a `#[repr(C)]` struct of byte arrays checked against the
//! assembler's `.struct` symbols, argument types, the checks the ucode applies (so a builder
//! refuses a command before the RSP sees it) and the encoder [`crate::Command`] calls.

use crate::command::CommandError;
use crate::layout::{Be16, Be32, ACT, ACT_BYTES, TILE_BYTES};
use crate::ucode::consts;
use bytemuck::{Pod, Zeroable};
use core::mem::{offset_of, size_of};
use static_assertions::const_assert_eq;

/// `STEP`: the token and position of this step (the fields the CPU patches).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdStep {
    pub op: u8,
    pub pad0: u8,
    pub token: Be16,
    pub pos: Be16,
    pub ctx: Be16,
    pub pad1: [u8; 8],
}

/// `EMBED`: x = the embedding row of the step's token.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdEmbed {
    pub op: u8,
    pub pad0: u8,
    pub cols: Be16,
    pub vocab: Be16,
    pub g_emb: Be16,
    pub emb_rdram: Be32,
    pub x_dmem: Be16,
    pub pad1: [u8; 2],
}

/// `NORM`: RMSNorm or LayerNorm into Q1.14.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdNorm {
    pub op: u8,
    pub kind: u8,
    pub n: Be16,
    pub x_dmem: Be16,
    pub u_dmem: Be16,
    pub eps_ss: Be32,
    pub pad1: [u8; 4],
}

/// `ATT_SCORES` (and the arguments `ATT_VALUES` takes over from it).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdAttend {
    pub op: u8,
    pub heads: u8,
    pub hd: Be16,
    pub ctx: Be16,
    pub q_dmem: Be16,
    pub kv_rdram: Be32,
    pub k_dmem: Be16,
    pub out_dmem: Be16,
}

/// `RELU` / `ADD`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdVec {
    pub op: u8,
    pub pad0: u8,
    pub n: Be16,
    pub x_dmem: Be16,
    pub y_dmem: Be16,
    pub pad1: [u8; 8],
}

/// `ARGMAX`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdArgmax {
    pub op: u8,
    pub pad0: u8,
    pub lo: Be16,
    pub hi: Be16,
    pub v_dmem: Be16,
    pub out_dmem: Be16,
    pub pad1: [u8; 6],
}

/// `OVERLAYS`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
pub struct CmdOverlays {
    pub op: u8,
    pub pad0: [u8; 3],
    pub rdram: Be32,
    pub pad1: [u8; 8],
}

macro_rules! check_struct {
    ($ty:ident, $size:ident, $($field:ident => $sym:ident),*) => {
        const_assert_eq!(size_of::<$ty>(), consts::$size as usize);
        const_assert_eq!(size_of::<$ty>(), consts::CMD_BYTES as usize);
        $(const_assert_eq!(offset_of!($ty, $field), consts::$sym as usize);)*
    };
}
check_struct!(CmdStep, CmdStep_SIZE, op => CmdStep_op, token => CmdStep_token, pos => CmdStep_pos, ctx => CmdStep_ctx);
check_struct!(CmdEmbed, CmdEmbed_SIZE, op => CmdEmbed_op, cols => CmdEmbed_cols, vocab => CmdEmbed_vocab,
    g_emb => CmdEmbed_g_emb, emb_rdram => CmdEmbed_emb_rdram, x_dmem => CmdEmbed_x_dmem);
check_struct!(CmdNorm, CmdNorm_SIZE, op => CmdNorm_op, kind => CmdNorm_kind, n => CmdNorm_n,
    x_dmem => CmdNorm_x_dmem, u_dmem => CmdNorm_u_dmem, eps_ss => CmdNorm_eps_ss);
check_struct!(CmdAttend, CmdAttend_SIZE, op => CmdAttend_op, heads => CmdAttend_heads, hd => CmdAttend_hd,
    ctx => CmdAttend_ctx, q_dmem => CmdAttend_q_dmem, kv_rdram => CmdAttend_kv_rdram, k_dmem => CmdAttend_k_dmem,
    out_dmem => CmdAttend_out_dmem);
check_struct!(CmdVec, CmdVec_SIZE, op => CmdVec_op, n => CmdVec_n, x_dmem => CmdVec_x_dmem, y_dmem => CmdVec_y_dmem);
check_struct!(CmdArgmax, CmdArgmax_SIZE, op => CmdArgmax_op, lo => CmdArgmax_lo, hi => CmdArgmax_hi,
    v_dmem => CmdArgmax_v_dmem, out_dmem => CmdArgmax_out_dmem);
check_struct!(CmdOverlays, CmdOverlays_SIZE, op => CmdOverlays_op, rdram => CmdOverlays_rdram);

/// Byte offset of the token in a STEP command (what the CPU patches every step).
pub const STEP_TOKEN_OFFSET: usize = offset_of!(CmdStep, token);
/// Byte offset of the position in a STEP command.
pub const STEP_POS_OFFSET: usize = offset_of!(CmdStep, pos);
/// Byte offsets of `lo` and `hi` in an ARGMAX command (patched when the decode mask changes).
pub const ARGMAX_LO_OFFSET: usize = offset_of!(CmdArgmax, lo);
/// See [`ARGMAX_LO_OFFSET`].
pub const ARGMAX_HI_OFFSET: usize = offset_of!(CmdArgmax, hi);

/// Largest context the attention commands accept; also `heads * ctx8 <= 256` (every head's
/// scores stay in the matvec scratch between ATT_SCORES and ATT_VALUES).
pub const ATT_MAX_CTX: usize = consts::ATT_MAX_CTX as usize;
/// Largest vector NORM accepts (|c| is kept in a tile buffer).
pub const NORM_MAX_N: usize = consts::NORM_MAX_N as usize;
/// Largest embedding width (EMBED) and matvec width.
pub const EMBED_MAX_COLS: usize = consts::MV_MAX_COLS as usize;

/// Which norm (numerics.md 6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NormKind {
    /// `x / ||x||`.
    Rms,
    /// `(x - mean) / ||x - mean||`.
    Layer,
}

/// EMBED's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmbedArgs {
    /// d_model: a multiple of 32 in 32..=512.
    pub cols: u16,
    /// Rows of the table (the step's token must be below it; the ucode checks).
    pub vocab: u16,
    /// The lookup scale `G_emb`.
    pub g_emb: u16,
    /// RDRAM address of the table's Q8 block records (multiple of 8).
    pub emb_rdram: u32,
    /// DMEM home of x (cols int16).
    pub x_dmem: u16,
}

/// NORM's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormArgs {
    pub kind: NormKind,
    /// Elements: a multiple of 8 in 8..=[`NORM_MAX_N`].
    pub n: u16,
    /// Input home (Q11.4).
    pub x_dmem: u16,
    /// Output home (Q1.14); may equal `x_dmem`.
    pub u_dmem: u16,
    /// The epsilon in units of the sum of squares.
    pub eps_ss: u32,
}

/// The attention commands' arguments (`ATT_SCORES` carries them; `ATT_VALUES`, which must
/// follow it, takes them over). The cache layout: `rsp/attend_common.inc`, [`kv_layer_bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttendArgs {
    /// Heads, 1..=255.
    pub heads: u8,
    /// Head width: a multiple of 8 with `16 hd` bytes fitting a tile.
    pub hd: u16,
    /// Cache slots, 1..=[`ATT_MAX_CTX`] (the STEP's ctx), with `heads * ctx8 <= 256`.
    pub ctx: u16,
    /// q's home (Q3.12, `heads * hd` int16).
    pub q_dmem: u16,
    /// This layer's cache ([`kv_layer_bytes`] bytes, multiple of 8).
    pub kv_rdram: u32,
    /// k's home; v must follow at `k_dmem + 2 d_model`.
    pub k_dmem: u16,
    /// The output's home (Q5.10).
    pub out_dmem: u16,
}

/// Bytes of one layer's KV cache for ATTEND: K (transposed per head) and V (by 8 dimensions),
/// `2 * 2 * ctx8 * d_model` with ctx8 = ctx rounded up to 8.
pub const fn kv_layer_bytes(d_model: usize, ctx: usize) -> usize {
    let ctx8 = ctx.div_ceil(8) * 8;
    2 * 2 * ctx8 * d_model
}

fn bad(command: &'static str, what: &'static str, value: u32, rule: &'static str) -> Result<(), CommandError> {
    Err(CommandError::Arg { command, what, value, rule })
}

/// A home of `bytes` at `at`: 16-aligned, inside the activation area (the ucode's home_check).
fn check_home(command: &'static str, what: &'static str, at: u16, bytes: usize) -> Result<(), CommandError> {
    let (start, end) = (at as usize, at as usize + bytes);
    if start % 16 != 0 || start < ACT || end > ACT + ACT_BYTES {
        return bad(command, what, at as u32, "must be 16-aligned with its data inside the activation area");
    }
    Ok(())
}

pub(crate) fn check_step(ctx: u16) -> Result<(), CommandError> {
    if ctx == 0 || ctx as usize > ATT_MAX_CTX {
        return bad("STEP", "ctx", ctx as u32, "must be 1..=256");
    }
    Ok(())
}

pub(crate) fn check_embed(a: &EmbedArgs) -> Result<(), CommandError> {
    if a.cols % 32 != 0 || !(32..=EMBED_MAX_COLS as u16).contains(&a.cols) {
        return bad("EMBED", "cols", a.cols as u32, "must be a multiple of 32 in 32..=512");
    }
    if a.emb_rdram % 8 != 0 {
        return bad("EMBED", "emb_rdram", a.emb_rdram, "must be a multiple of 8 (RSP DMA)");
    }
    if a.vocab == 0 {
        return bad("EMBED", "vocab", 0, "must be at least 1");
    }
    check_home("EMBED", "x_dmem", a.x_dmem, 2 * a.cols as usize)
}

pub(crate) fn check_norm(a: &NormArgs) -> Result<(), CommandError> {
    if a.n % 8 != 0 || !(8..=NORM_MAX_N as u16).contains(&a.n) {
        return bad("NORM", "n", a.n as u32, "must be a multiple of 8 in 8..=512");
    }
    check_home("NORM", "x_dmem", a.x_dmem, 2 * a.n as usize)?;
    check_home("NORM", "u_dmem", a.u_dmem, 2 * a.n as usize)
}

pub(crate) fn check_attend(a: &AttendArgs) -> Result<(), CommandError> {
    let (hd, heads) = (a.hd as usize, a.heads as usize);
    if heads == 0 {
        return bad("ATT_SCORES", "heads", 0, "must be at least 1");
    }
    if hd == 0 || hd % 8 != 0 || 16 * hd > TILE_BYTES {
        return bad(
            "ATT_SCORES",
            "hd",
            hd as u32,
            "must be a multiple of 8 with 16 bytes per dimension fitting a tile",
        );
    }
    if a.ctx == 0 || a.ctx as usize > ATT_MAX_CTX {
        return bad("ATT_SCORES", "ctx", a.ctx as u32, "must be 1..=256");
    }
    if heads * (a.ctx as usize).div_ceil(8) * 8 > 256 {
        return bad("ATT_SCORES", "ctx", a.ctx as u32, "heads * ctx (rounded up to 8) must be at most 256");
    }
    if a.kv_rdram % 8 != 0 {
        return bad("ATT_SCORES", "kv_rdram", a.kv_rdram, "must be a multiple of 8 (RSP DMA)");
    }
    let d = heads * hd;
    check_home("ATT_SCORES", "q_dmem", a.q_dmem, 2 * d)?;
    check_home("ATT_SCORES", "out_dmem", a.out_dmem, 2 * d)?;
    check_home("ATT_SCORES", "k_dmem", a.k_dmem, 4 * d)
}

pub(crate) fn check_vec(command: &'static str, n: u16, x: u16, y: Option<u16>) -> Result<(), CommandError> {
    if n == 0 || n % 8 != 0 {
        return bad(command, "n", n as u32, "must be a positive multiple of 8");
    }
    check_home(command, "x_dmem", x, 2 * n as usize)?;
    match y {
        Some(y) => check_home(command, "y_dmem", y, 2 * n as usize),
        None => Ok(()),
    }
}

pub(crate) fn check_argmax(lo: u16, hi: u16, v: u16, out: u16) -> Result<(), CommandError> {
    if lo >= hi {
        return bad("ARGMAX", "lo", lo as u32, "must be below hi");
    }
    check_home("ARGMAX", "v_dmem", v, 16 * (hi as usize).div_ceil(8))?;
    check_home("ARGMAX", "out_dmem", out, 16)
}

pub(crate) fn check_overlays(rdram: u32) -> Result<(), CommandError> {
    if rdram % 8 != 0 {
        return bad("OVERLAYS", "rdram", rdram, "must be a multiple of 8 (RSP DMA)");
    }
    Ok(())
}

pub(crate) fn encode_step(token: u16, pos: u16, ctx: u16) -> CmdStep {
    CmdStep {
        op: consts::OP_STEP as u8,
        pad0: 0,
        token: Be16::new(token),
        pos: Be16::new(pos),
        ctx: Be16::new(ctx),
        pad1: [0; 8],
    }
}

pub(crate) fn encode_embed(a: &EmbedArgs) -> CmdEmbed {
    CmdEmbed {
        op: consts::OP_EMBED as u8,
        pad0: 0,
        cols: Be16::new(a.cols),
        vocab: Be16::new(a.vocab),
        g_emb: Be16::new(a.g_emb),
        emb_rdram: Be32::new(a.emb_rdram),
        x_dmem: Be16::new(a.x_dmem),
        pad1: [0; 2],
    }
}

pub(crate) fn encode_norm(a: &NormArgs) -> CmdNorm {
    CmdNorm {
        op: consts::OP_NORM as u8,
        kind: match a.kind {
            NormKind::Rms => consts::NORM_RMS as u8,
            NormKind::Layer => consts::NORM_LAYER as u8,
        },
        n: Be16::new(a.n),
        x_dmem: Be16::new(a.x_dmem),
        u_dmem: Be16::new(a.u_dmem),
        eps_ss: Be32::new(a.eps_ss),
        pad1: [0; 4],
    }
}

pub(crate) fn encode_attend(a: &AttendArgs) -> CmdAttend {
    CmdAttend {
        op: consts::OP_ATT_SCORES as u8,
        heads: a.heads,
        hd: Be16::new(a.hd),
        ctx: Be16::new(a.ctx),
        q_dmem: Be16::new(a.q_dmem),
        kv_rdram: Be32::new(a.kv_rdram),
        k_dmem: Be16::new(a.k_dmem),
        out_dmem: Be16::new(a.out_dmem),
    }
}

pub(crate) fn encode_vec(op: u8, n: u16, x: u16, y: u16) -> CmdVec {
    CmdVec { op, pad0: 0, n: Be16::new(n), x_dmem: Be16::new(x), y_dmem: Be16::new(y), pad1: [0; 8] }
}

pub(crate) fn encode_argmax(lo: u16, hi: u16, v: u16, out: u16) -> CmdArgmax {
    CmdArgmax {
        op: consts::OP_ARGMAX as u8,
        pad0: 0,
        lo: Be16::new(lo),
        hi: Be16::new(hi),
        v_dmem: Be16::new(v),
        out_dmem: Be16::new(out),
        pad1: [0; 6],
    }
}

pub(crate) fn encode_overlays(rdram: u32) -> CmdOverlays {
    CmdOverlays { op: consts::OP_OVERLAYS as u8, pad0: [0; 3], rdram: Be32::new(rdram), pad1: [0; 8] }
}
