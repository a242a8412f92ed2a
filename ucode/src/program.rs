//! The token program: one command list in RDRAM that runs a whole forward step of an RSPW
//! model on the RSP (numerics.md 8, the step of `rspnn_model::runner::ScalarRunner`, bit for
//! bit): embedding, every layer, the final norm, the tied head and the argmax.
//!
//! [`TokenProgram::build`] lays out, in a caller-provided [`RdramImage`] (no allocation, so the
//! N64 scheduler uses it unchanged), the overlay images, the KV cache, a spill slot, the result
//! and the command list, and returns the addresses. The weights are not copied: the caller
//! has put the RSPW file in RDRAM (at `weights_rdram`) and the commands point into it. Per
//! step the CPU only patches the STEP command's token and position
//! ([`TokenProgram::patch_step`]) — and the ARGMAX range when the decode mask changes — starts
//! the RSP on `cmd_list` and reads the result.
//!
//! Command list (L layers):
//!
//! ```text
//! OVERLAYS, STEP token pos ctx, EMBED -> x
//! per layer: NORM x -> u; MATVEC wq u -> q, wk u -> k, wv u -> v; ATT_SCORES q k, ATT_VALUES v -> u;
//!            MATVEC wo u -> q; ADD x += q; NORM x -> u';
//!            [DMA_OUT x -> spill]; MATVEC wff1 u' -> h; RELU h; MATVEC wff2 h -> t;
//!            [DMA_IN spill -> x]; ADD x += t
//! NORM x -> x; MATVEC head x -> logits; [DMA_OUT logits]; ARGMAX logits -> result;
//! DMA_OUT result; END
//! ```
//!
//! When `heads * ctx8 > 256` (every head's scores do not fit `MV_HG` for one attention pair),
//! the layer's `MATVEC wk, wv; ATT_SCORES; ATT_VALUES` becomes one such run per group of
//! [`heads_per_group`] heads (wk and wv on the group's rows, the output over the group's q),
//! and `MATVEC wo` reads q and writes u, `ADD x += u`.
//!
//! DMEM homes ([`Homes`]): slots of `2 d_model` bytes in the activation area: x, u, q, k, v
//! (the attention needs v right after k). The FFN needs `2 d_ff` contiguous bytes for h plus u'; when
//! x does not fit beside them, x is spilled to RDRAM around the FFN (2 DMAs of `2 d_model`
//! bytes). The builder refuses, with the numbers, a model whose activations do not fit.

use crate::command::{Command, CommandError, MatvecArgs};
use crate::image::{matvec_args, ImageError, MatvecHomes, RdramImage};
use crate::layout::{ACT, ACT_BYTES, CMDBUF_BYTES, CMD_BYTES};
use crate::token_cmd::{
    kv_layer_bytes, AttendArgs, EmbedArgs, NormArgs, NormKind, ARGMAX_HI_OFFSET, ARGMAX_LO_OFFSET, ATT_MAX_CTX,
    STEP_POS_OFFSET, STEP_TOKEN_OFFSET,
};
use crate::ucode::{consts, imem, overlay};
use core::fmt;
use kernels::matvec::{BlockMatrix, BLOCK_COLS, RECORD_ROWS};
use rspnn_model::dims::ModelDims;
use rspnn_model::error::MatrixKind;
use rspnn_model::rspw::ModelView;
use rspnn_model::ModelError;

/// Why a token program could not be built or patched.
#[derive(Clone, Debug, PartialEq)]
pub enum ProgramError {
    /// The RSPW file did not parse.
    Model(ModelError),
    /// The RDRAM image is too small, or an address is out of the RSP's reach.
    Image(ImageError),
    /// A command the ucode would refuse (a shape it does not support).
    Command(CommandError),
    /// The activations of a phase of the step do not fit the DMEM activation area.
    DoesNotFit { phase: &'static str, needed: usize, available: usize },
    /// A model parameter or a step argument the program cannot take.
    Unsupported { what: &'static str, value: usize, rule: &'static str },
    /// The model and its token program do not fit the RDRAM they are given: `needed` bytes in
    /// all (weights, KV cache, overlays, command list), `available` bytes there. Found from the
    /// header's dimensions before anything is written.
    RdramTooSmall { needed: usize, available: usize, kv_cache: usize },
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ProgramError::Model(ref e) => write!(f, "model: {e}"),
            ProgramError::Image(ref e) => write!(f, "RDRAM image: {e}"),
            ProgramError::Command(ref e) => write!(f, "command: {e}"),
            ProgramError::DoesNotFit { phase, needed, available } => write!(
                f,
                "the activations of the {phase} need {needed} bytes of DMEM, the activation area has {available} \
                 (RSPNN_UCODE_ACT_BYTES)"
            ),
            ProgramError::Unsupported { what, value, rule } => write!(f, "{what} = {value}: {rule}"),
            ProgramError::RdramTooSmall { needed, available, kv_cache } => write!(
                f,
                "the model and its token program need {needed} bytes of RDRAM (of which {kv_cache} of KV \
                 cache), {available} are available"
            ),
        }
    }
}

impl From<ModelError> for ProgramError {
    fn from(e: ModelError) -> Self {
        ProgramError::Model(e)
    }
}
impl From<ImageError> for ProgramError {
    fn from(e: ImageError) -> Self {
        ProgramError::Image(e)
    }
}
impl From<CommandError> for ProgramError {
    fn from(e: CommandError) -> Self {
        ProgramError::Command(e)
    }
}

/// Build options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramOptions {
    /// Also DMA the logits (vocab int16, big-endian, Q7.8) to RDRAM every step.
    pub logits: bool,
    /// The ARGMAX range `[lo, hi)` (the decode mask; [`TokenProgram::patch_argmax`] changes it).
    pub argmax: (u16, u16),
}

/// DMEM homes of the activations (addresses in the activation area).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Homes {
    /// The residual stream.
    pub x: u16,
    /// The attention block's norm output, then the attention output.
    pub u: u16,
    /// q, then wo's output.
    pub q: u16,
    /// This position's k (v follows at `k + 2 d_model`).
    pub k: u16,
    /// This position's v.
    pub v: u16,
    /// The FFN's norm output, then wff2's output.
    pub ffn_u: u16,
    /// The FFN's hidden layer (`d_ff` int16).
    pub ffh: u16,
    /// Whether x goes to RDRAM around the FFN (it does not fit beside h and u').
    pub spill_x: bool,
    /// The logits (`vocab` int16); the final norm writes u in place of x.
    pub logits: u16,
    /// ARGMAX's result (index u16, maximum int16), 16 bytes.
    pub result: u16,
}

/// Plans the homes for a model of width `d`, FFN width `d_ff` and vocabulary `vocab`.
pub fn plan_homes(d: usize, d_ff: usize, vocab: usize) -> Result<Homes, ProgramError> {
    let slot = 2 * d;
    let fit = |phase, needed: usize| {
        if needed > ACT_BYTES {
            Err(ProgramError::DoesNotFit { phase, needed, available: ACT_BYTES })
        } else {
            Ok(())
        }
    };
    fit("attention block (x, u, q, k, v)", 5 * slot)?;
    fit("FFN (u' and the hidden layer; x spilled to RDRAM)", slot + 2 * d_ff)?;
    fit("output head (u and the logits)", slot + 2 * vocab)?;
    let at = |off: usize| (ACT + off) as u16;
    let spill_x = 2 * slot + 2 * d_ff > ACT_BYTES;
    let (ffn_u, ffh) = if spill_x { (at(2 * d_ff), at(0)) } else { (at(slot), at(2 * slot)) };
    Ok(Homes {
        x: at(0),
        u: at(slot),
        q: at(2 * slot),
        k: at(3 * slot),
        v: at(4 * slot),
        ffn_u,
        ffh,
        spill_x,
        logits: at(slot),
        result: at(0),
    })
}

/// Where [`TokenProgram::build`] put things, and what the CPU patches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenProgram {
    /// The command list (for `Boot.cmd_list`).
    pub cmd_list: u32,
    /// Commands in the list (END included).
    pub commands: usize,
    /// The STEP command: token at +[`STEP_TOKEN_OFFSET`], position at +[`STEP_POS_OFFSET`]
    /// (big-endian u16).
    pub step_cmd: u32,
    /// The ARGMAX command: lo at +[`ARGMAX_LO_OFFSET`], hi at +[`ARGMAX_HI_OFFSET`].
    pub argmax_cmd: u32,
    /// 16 bytes the step writes: the predicted index (u16 BE) and its logit (int16 BE).
    pub result: u32,
    /// The logits (vocab int16 BE), if [`ProgramOptions::logits`].
    pub logits: Option<u32>,
    /// The KV cache (zeroed by the builder; never needs clearing: a step only reads slots
    /// written since the position was 0).
    pub kv_cache: u32,
    /// Bytes of the KV cache (all layers).
    pub kv_bytes: usize,
    /// The overlay images (the OVERLAYS command points at them).
    pub overlays: u32,
    /// The DMEM homes.
    pub homes: Homes,
    /// The model's context and vocabulary.
    pub ctx: usize,
    pub vocab: usize,
    /// Overlay loads one step makes (`Boot.overlay_loads`): edge (STEP, EMBED), then per layer
    /// scores and values per head group and norm, and edge again for ARGMAX: 3 per layer + 3
    /// with one group.
    pub overlay_loads_per_step: usize,
}

/// Bytes of one overlay slot: the IMEM from the end of the resident code up (the ucode's
/// OVL_SLOT, rsp/overlay.inc: a load moves a whole slot).
pub const OVERLAY_SLOT_BYTES: usize = 4096 - imem::text_end as usize;

/// The overlay images in the ucode's id order (rsp/overlay.inc: OVL_SCORES = 1, OVL_VALUES,
/// OVL_NORM, OVL_EDGE).
const OVERLAYS: [&[u8]; 4] =
    [&overlay::scores::TEXT, &overlay::values::TEXT, &overlay::norm::TEXT, &overlay::edge::TEXT];
static_assertions::const_assert!(overlay::scores::SIZE <= OVERLAY_SLOT_BYTES);
static_assertions::const_assert!(overlay::values::SIZE <= OVERLAY_SLOT_BYTES);
static_assertions::const_assert!(overlay::norm::SIZE <= OVERLAY_SLOT_BYTES);
static_assertions::const_assert!(overlay::edge::SIZE <= OVERLAY_SLOT_BYTES);
static_assertions::const_assert_eq!(overlay::scores::IMEM_ADDR, imem::text_end);
static_assertions::const_assert_eq!(consts::OVL_SCORES, 1);
static_assertions::const_assert_eq!(consts::OVL_EDGE, 4);
static_assertions::const_assert_eq!(consts::OVL_SLOT as usize, OVERLAY_SLOT_BYTES);

/// Bytes of the overlay block.
pub const OVERLAY_BLOCK_BYTES: usize = OVERLAYS.len() * OVERLAY_SLOT_BYTES;

/// Whether `block` (at least [`OVERLAY_BLOCK_BYTES`]) holds the ucode's overlay images where
/// [`place_overlays`] puts them. An OVERLAYS command makes the dispatcher load IMEM from its
/// address and run what it loaded, so the scheduler runs a list only after checking that its
/// OVERLAYS points at these bytes (rspnn `plan::check_writes`, `Scheduler::submit`): the
/// address comes from data, the code it selects must not. The slot bytes after each image are
/// never executed (an overlay branches only within its own text) and are not compared.
pub fn is_overlay_block(block: &[u8]) -> bool {
    block.len() >= OVERLAY_BLOCK_BYTES
        && OVERLAYS.iter().enumerate().all(|(i, text)| {
            let at = i * OVERLAY_SLOT_BYTES;
            block[at..at + text.len()] == **text
        })
}

/// Places the overlay block (what an OVERLAYS command points at); returns its address. Any
/// command list that uses STEP, EMBED, NORM, ATT_SCORES, ATT_VALUES, RELU, ADD or ARGMAX needs
/// one.
pub fn place_overlays(img: &mut RdramImage<'_>) -> Result<u32, ImageError> {
    let at = img.reserve(OVERLAY_BLOCK_BYTES)?;
    for (i, text) in OVERLAYS.iter().enumerate() {
        img.write_at(at + (i * OVERLAY_SLOT_BYTES) as u32, text)?;
    }
    Ok(at)
}

/// Heads one attention command pair takes for a context of `ctx` slots: `ATT_SCORES` leaves
/// every head's scores in `MV_HG` for `ATT_VALUES`, 2 bytes per slot rounded up to 8 slots, 512
/// bytes in all (`heads * ctx8 <= 256`, rsp/token_layout.inc). A longer context splits the
/// heads into groups of this many, one command pair each (the last group may be smaller).
pub fn heads_per_group(heads: usize, ctx: usize) -> usize {
    let ctx8 = ctx.div_ceil(8).max(1) * 8;
    (ATT_MAX_SCORES / ctx8).clamp(1, heads.max(1))
}

/// Scores one `ATT_SCORES` may leave in `MV_HG` (heads times the context rounded up to 8).
pub const ATT_MAX_SCORES: usize = 256;

/// Commands of a step for `layers` layers whose heads split into `groups` attention groups:
/// OVERLAYS, STEP, EMBED, per layer NORM, MATVEC wq, 4 per group (MATVEC wk, MATVEC wv,
/// ATT_SCORES, ATT_VALUES), MATVEC wo, ADD, NORM, MATVEC, RELU, MATVEC, ADD (+2 with the x
/// spill), then NORM, MATVEC, [DMA_OUT], ARGMAX, DMA_OUT, END.
fn command_count(layers: usize, groups: usize, spill_x: bool, logits: bool) -> usize {
    3 + layers * (9 + 4 * groups + 2 * spill_x as usize) + 4 + logits as usize + 1
}

/// Fills the reserved command list one command at a time.
struct ListWriter {
    at: u32,
    end: u32,
}

impl ListWriter {
    fn push(&mut self, img: &mut RdramImage<'_>, c: Command) -> Result<u32, ProgramError> {
        if self.at >= self.end {
            return Err(ProgramError::Unsupported { what: "commands", value: 0, rule: "more than were counted" });
        }
        c.check()?;
        img.write_at(self.at, &c.encode())?;
        let here = self.at;
        self.at += CMD_BYTES as u32;
        Ok(here)
    }
}

fn to16(what: &'static str, v: usize) -> Result<u16, ProgramError> {
    u16::try_from(v).map_err(|_| ProgramError::Unsupported { what, value: v, rule: "must fit in 16 bits" })
}

impl TokenProgram {
    /// Lays out the token program of the RSPW model `file` (whose bytes the RSP sees at RDRAM
    /// `weights_rdram`, a multiple of 8) in `img`.
    pub fn build(
        file: &[u8],
        weights_rdram: u32,
        img: &mut RdramImage<'_>,
        opts: ProgramOptions,
    ) -> Result<TokenProgram, ProgramError> {
        let view = ModelView::parse(file)?;
        let info = *view.info();
        let dm = info.dims;
        if weights_rdram % 8 != 0 {
            return Err(ProgramError::Unsupported {
                what: "weights_rdram",
                value: weights_rdram as usize,
                rule: "must be a multiple of 8 (RSP DMA)",
            });
        }
        if dm.ctx > ATT_MAX_CTX {
            return Err(ProgramError::Unsupported { what: "ctx", value: dm.ctx, rule: "must be at most 256" });
        }
        let (lo, hi) = opts.argmax;
        if lo >= hi || hi as usize > dm.vocab {
            return Err(ProgramError::Unsupported {
                what: "argmax hi",
                value: hi as usize,
                rule: "the range must be non-empty and inside the vocabulary",
            });
        }
        let homes = plan_homes(dm.d_model, dm.d_ff, dm.vocab)?;
        // Everything the program places, counted from the dimensions before anything is
        // written: a workspace that is too small is refused whole, with the numbers.
        let needed = img.len().next_multiple_of(16) + program_bytes(&dm, opts.logits);
        if needed > img.capacity() {
            return Err(ProgramError::RdramTooSmall {
                needed,
                available: img.capacity(),
                kv_cache: kv_layer_bytes(dm.d_model, dm.ctx) * dm.n_layers,
            });
        }
        let (d, d_ff, vocab) = (to16("d_model", dm.d_model)?, to16("d_ff", dm.d_ff)?, to16("vocab", dm.vocab)?);
        let heads = u8::try_from(dm.n_heads).map_err(|_| ProgramError::Unsupported {
            what: "heads",
            value: dm.n_heads,
            rule: "must be at most 255",
        })?;
        let hd = to16("head width", dm.head_dim())?;
        let ctx = dm.ctx as u16;
        // RDRAM address of a matrix's records: the file is in RDRAM as it is in `file`.
        let rdram_of = |m: &BlockMatrix<'_>| -> Result<u32, ProgramError> {
            let offset = m.records().as_ptr() as usize - file.as_ptr() as usize;
            u32::try_from(offset).ok().and_then(|o| weights_rdram.checked_add(o)).filter(|&a| a < 1 << 24).ok_or(
                ProgramError::Unsupported {
                    what: "weights_rdram",
                    value: weights_rdram as usize,
                    rule: "the file must lie inside the 16 MiB the RSP DMA addresses",
                },
            )
        };

        // The overlay block, the KV cache, the x spill, the logits and the result.
        let overlays = place_overlays(img)?;
        let kv_one = kv_layer_bytes(dm.d_model, dm.ctx);
        let kv_bytes = kv_one * dm.n_layers;
        let kv_cache = img.reserve(kv_bytes)?;
        let spill = img.reserve(2 * dm.d_model)?;
        let logits = if opts.logits { Some(img.reserve(2 * dm.vocab)?) } else { None };
        let result = img.reserve(16)?;

        let per_group = heads_per_group(dm.n_heads, dm.ctx);
        let groups = dm.n_heads.div_ceil(per_group);
        let count = command_count(dm.n_layers, groups, homes.spill_x, opts.logits);
        let list_len = (count * CMD_BYTES).div_ceil(CMDBUF_BYTES) * CMDBUF_BYTES;
        let cmd_list = img.reserve(list_len)?;
        let mut w = ListWriter { at: cmd_list, end: cmd_list + list_len as u32 };

        let mv = |m: &BlockMatrix<'_>, x: u16, y: u16| -> Result<Command, ProgramError> {
            let a: MatvecArgs = matvec_args(m, rdram_of(m)?, MatvecHomes { x_dmem: x, y_dmem: y })?;
            Ok(Command::Matvec(a))
        };
        // Rows [row0, row0 + rows) of `m` (whole row groups of 8): their records are
        // contiguous, row group major (docs/weight-format.md).
        let mv_rows =
            |m: &BlockMatrix<'_>, row0: usize, rows: usize, x: u16, y: u16| -> Result<Command, ProgramError> {
                let mut a: MatvecArgs = matvec_args(m, rdram_of(m)?, MatvecHomes { x_dmem: x, y_dmem: y })?;
                let per_group = (m.cols() / BLOCK_COLS) * m.bits().record_bytes();
                a.w_rdram += ((row0 / RECORD_ROWS) * per_group) as u32;
                a.rows = to16("rows", rows)?;
                Ok(Command::Matvec(a))
            };
        let norm = |x: u16, u: u16| {
            Command::Norm(NormArgs { kind: NormKind::Rms, n: d, x_dmem: x, u_dmem: u, eps_ss: info.eps_ss })
        };
        let emb = view.embedding()?;

        w.push(img, Command::Overlays { rdram: overlays })?;
        let step_cmd = w.push(img, Command::Step { token: 0, pos: 0, ctx })?;
        w.push(
            img,
            Command::Embed(EmbedArgs {
                cols: d,
                vocab,
                g_emb: info.g_emb,
                emb_rdram: rdram_of(&emb)?,
                x_dmem: homes.x,
            }),
        )?;
        for layer in 0..dm.n_layers {
            let m = |k| view.matrix(layer, k);
            let kv_layer = kv_cache + (layer * kv_one) as u32;
            w.push(img, norm(homes.x, homes.u))?;
            w.push(img, mv(&m(MatrixKind::Wq)?, homes.u, homes.q)?)?;
            if groups == 1 {
                w.push(img, mv(&m(MatrixKind::Wk)?, homes.u, homes.k)?)?;
                w.push(img, mv(&m(MatrixKind::Wv)?, homes.u, homes.v)?)?;
                w.push(
                    img,
                    Command::AttScores(AttendArgs {
                        heads,
                        hd,
                        ctx,
                        q_dmem: homes.q,
                        kv_rdram: kv_layer,
                        k_dmem: homes.k,
                        out_dmem: homes.u,
                    }),
                )?;
                w.push(img, Command::AttValues)?;
                w.push(img, mv(&m(MatrixKind::Wo)?, homes.u, homes.q)?)?;
                w.push(img, Command::Add { n: d, x_dmem: homes.x, y_dmem: homes.q })?;
            } else {
                // A context too long for every head's scores at once: one command pair per
                // group of heads, each on the group's rows of k and v (which the pair wants
                // contiguous: v at k + 2 rows, so wk and wv run per group, on the group's
                // row groups of records) and on its own stretch of the layer's cache (the
                // cache of a model of the group's width). u (the norm output) feeds every
                // group's wk and wv, so each group's output goes over its own q, which only
                // its ATT_SCORES read; wo then reads q and writes u.
                let (wk, wv) = (m(MatrixKind::Wk)?, m(MatrixKind::Wv)?);
                for g in 0..groups {
                    let h0 = g * per_group;
                    let gh = per_group.min(dm.n_heads - h0);
                    let (row0, rows) = (h0 * dm.head_dim(), gh * dm.head_dim());
                    let k_home = homes.k;
                    let v_home = homes.k + to16("k + v", 2 * rows)?;
                    w.push(img, mv_rows(&wk, row0, rows, homes.u, k_home)?)?;
                    w.push(img, mv_rows(&wv, row0, rows, homes.u, v_home)?)?;
                    let q_group = homes.q + to16("q home", 2 * row0)?;
                    w.push(
                        img,
                        Command::AttScores(AttendArgs {
                            heads: gh as u8,
                            hd,
                            ctx,
                            q_dmem: q_group,
                            kv_rdram: kv_layer + kv_layer_bytes(row0, dm.ctx) as u32,
                            k_dmem: k_home,
                            out_dmem: q_group,
                        }),
                    )?;
                    w.push(img, Command::AttValues)?;
                }
                w.push(img, mv(&m(MatrixKind::Wo)?, homes.q, homes.u)?)?;
                w.push(img, Command::Add { n: d, x_dmem: homes.x, y_dmem: homes.u })?;
            }
            w.push(img, norm(homes.x, homes.ffn_u))?;
            if homes.spill_x {
                w.push(img, Command::DmaOut { dmem: homes.x, len: 2 * d, rdram: spill })?;
            }
            w.push(img, mv(&m(MatrixKind::Ff1)?, homes.ffn_u, homes.ffh)?)?;
            w.push(img, Command::Relu { n: d_ff, x_dmem: homes.ffh })?;
            w.push(img, mv(&m(MatrixKind::Ff2)?, homes.ffh, homes.ffn_u)?)?;
            if homes.spill_x {
                w.push(img, Command::DmaIn { dmem: homes.x, len: 2 * d, rdram: spill })?;
            }
            w.push(img, Command::Add { n: d, x_dmem: homes.x, y_dmem: homes.ffn_u })?;
        }
        w.push(img, norm(homes.x, homes.x))?;
        w.push(img, mv(&emb, homes.x, homes.logits)?)?;
        if let Some(at) = logits {
            w.push(img, Command::DmaOut { dmem: homes.logits, len: 2 * vocab, rdram: at })?;
        }
        let argmax_cmd = w.push(img, Command::Argmax { lo, hi, v_dmem: homes.logits, out_dmem: homes.result })?;
        w.push(img, Command::DmaOut { dmem: homes.result, len: 16, rdram: result })?;
        while w.at < w.end {
            w.push(img, Command::End)?;
        }
        Ok(TokenProgram {
            cmd_list,
            commands: count,
            step_cmd,
            argmax_cmd,
            result,
            logits,
            kv_cache,
            kv_bytes,
            overlays,
            homes,
            ctx: dm.ctx,
            vocab: dm.vocab,
            overlay_loads_per_step: 3 + (1 + 2 * groups) * dm.n_layers,
        })
    }

    /// The STEP fields for `token` at position `pos` (positions since the reset, any size):
    /// positions at or past the context go in as `ctx + pos % ctx`, which gives the ucode the
    /// same slot (`pos mod ctx`) and the same count of valid slots (`ctx`).
    pub fn step_fields(&self, token: usize, pos: usize) -> Result<(u16, u16), ProgramError> {
        if token >= self.vocab {
            return Err(ProgramError::Unsupported {
                what: "token",
                value: token,
                rule: "must be below the vocabulary",
            });
        }
        let p = if pos < self.ctx { pos } else { self.ctx + pos % self.ctx };
        Ok((token as u16, p as u16))
    }

    /// Writes `token` and `pos` into the STEP command of `rdram` (RDRAM from address `base`).
    pub fn patch_step(&self, rdram: &mut [u8], base: u32, token: usize, pos: usize) -> Result<(), ProgramError> {
        let (t, p) = self.step_fields(token, pos)?;
        put16(rdram, base, self.step_cmd + STEP_TOKEN_OFFSET as u32, t)?;
        put16(rdram, base, self.step_cmd + STEP_POS_OFFSET as u32, p)
    }

    /// Sets the ARGMAX range `[lo, hi)` (the decode mask).
    pub fn patch_argmax(&self, rdram: &mut [u8], base: u32, lo: usize, hi: usize) -> Result<(), ProgramError> {
        if lo >= hi || hi > self.vocab {
            return Err(ProgramError::Unsupported {
                what: "argmax hi",
                value: hi,
                rule: "the range must be non-empty and inside the vocabulary",
            });
        }
        put16(rdram, base, self.argmax_cmd + ARGMAX_LO_OFFSET as u32, lo as u16)?;
        put16(rdram, base, self.argmax_cmd + ARGMAX_HI_OFFSET as u32, hi as u16)
    }

    /// The step's result: the predicted index and its logit.
    pub fn read_result(&self, rdram: &[u8], base: u32) -> Result<(u16, i16), ProgramError> {
        let at = index(rdram, base, self.result, 4)?;
        let idx = u16::from_be_bytes([rdram[at], rdram[at + 1]]);
        let val = i16::from_be_bytes([rdram[at + 2], rdram[at + 3]]);
        Ok((idx, val))
    }

    /// The step's logits (if built with them) into `out` (`vocab` values).
    pub fn read_logits(&self, rdram: &[u8], base: u32, out: &mut [i16]) -> Result<(), ProgramError> {
        let Some(addr) = self.logits else {
            return Err(ProgramError::Unsupported {
                what: "logits",
                value: 0,
                rule: "the program was built without them",
            });
        };
        if out.len() != self.vocab {
            return Err(ProgramError::Unsupported {
                what: "logits length",
                value: out.len(),
                rule: "must equal vocab",
            });
        }
        let at = index(rdram, base, addr, 2 * out.len())?;
        for (v, b) in out.iter_mut().zip(rdram[at..].chunks_exact(2)) {
            *v = i16::from_be_bytes([b[0], b[1]]);
        }
        Ok(())
    }
}

/// The offset of `[addr, addr + len)` in `rdram` (which starts at RDRAM `base`).
fn index(rdram: &[u8], base: u32, addr: u32, len: usize) -> Result<usize, ProgramError> {
    match addr.checked_sub(base).map(|a| a as usize) {
        Some(a) if a + len <= rdram.len() => Ok(a),
        _ => Err(ProgramError::Unsupported {
            what: "RDRAM address",
            value: addr as usize,
            rule: "must lie inside the given RDRAM bytes",
        }),
    }
}

fn put16(rdram: &mut [u8], base: u32, addr: u32, v: u16) -> Result<(), ProgramError> {
    let at = index(rdram, base, addr, 2)?;
    rdram[at..at + 2].copy_from_slice(&v.to_be_bytes());
    Ok(())
}

/// RDRAM bytes [`TokenProgram::build`] reserves beside the weights (16-byte alignment included).
pub fn program_bytes(dims: &ModelDims, logits: bool) -> usize {
    let ModelDims { n_layers: layers, d_model, n_heads, d_ff, vocab, ctx } = *dims;
    let item = |n: usize| n.div_ceil(16) * 16;
    let spill = plan_homes(d_model, d_ff, vocab).map(|h| h.spill_x).unwrap_or(true);
    let groups = n_heads.div_ceil(heads_per_group(n_heads, ctx));
    let list = (command_count(layers, groups, spill, logits) * CMD_BYTES).div_ceil(CMDBUF_BYTES) * CMDBUF_BYTES;
    item(OVERLAY_BLOCK_BYTES)
        + item(kv_layer_bytes(d_model, ctx) * layers)
        + item(2 * d_model)
        + if logits { item(2 * vocab) } else { 0 }
        + 16
        + item(list)
}
