//! The weight-tile stream of a job: which tiles of weights the RSP fetches, in which order, into
//! which DMEM buffer.
//!
//! The tiles are sized to what the DMEM layout leaves free: rspnn-ucode's `layout.inc` gives the
//! fixed area and the activations their room and splits the rest into two tile buffers of
//! `TILE_BYTES` (as large as fits); a tile is as many whole block records as fit a buffer
//! (`TILE_LEN_Q8`/`TILE_LEN_Q4` bytes, one DMA each). MATVEC (ucode `rsp/matvec.inc`
//! "Streaming") fetches a matrix's records in storage order, tile `t` into buffer `t % 2`,
//! starting again at TILE0 for every command, the last tile holding what is left. The matvec
//! routine is resident in IMEM: no overlay runs on the tiles (the embedding and the tied head
//! are MATVECs and EMBEDs over the same records).
//!
//! The token program's other kernels (STEP, EMBED, NORM, the attention, ARGMAX...) run in IMEM
//! overlays the dispatcher loads when a command needs one that is not in IMEM ([`ListPlan`]
//! says which, from the ucode's own jump table).
//!
//! This module computes that stream from the command list alone, so the CPU knows ahead what
//! each token costs in DMA, and the host tests check it against the DMAs the simulated RSP
//! really makes. It also builds jobs from the ucode crate's own builders ([`MatvecChain`]).

use core::fmt;
use kernels::matvec::BlockMatrix;
use rspnn_ucode::command::{op as opcode, CmdMatvec, Command, MatvecArgs};
use rspnn_ucode::image::{matvec_args, ImageError, MatvecHomes, RdramImage};
use rspnn_ucode::layout::{ACT, ACT_BYTES, CMDBUF_BYTES, CMD_BYTES, TILE0, TILE1, TILE_BYTES};
use rspnn_ucode::program::{is_overlay_block, OVERLAY_BLOCK_BYTES};
use rspnn_ucode::token_cmd::kv_layer_bytes;
use rspnn_ucode::ucode::{consts, imem, TEXT};

/// Bytes of one block record (docs/weight-format.md "Block records").
pub const fn record_bytes(bits: u8) -> usize {
    if bits == 4 {
        consts::Q4_RECORD_BYTES as usize
    } else {
        consts::Q8_RECORD_BYTES as usize
    }
}

/// Bytes of a full tile: whole records that fit a tile buffer.
pub const fn tile_len(bits: u8) -> usize {
    if bits == 4 {
        consts::TILE_LEN_Q4 as usize
    } else {
        consts::TILE_LEN_Q8 as usize
    }
}

/// One weight tile: where it comes from and where it lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    /// Its number within its MATVEC (0, 1, ...).
    pub index: usize,
    /// RDRAM address of its first byte.
    pub rdram: u32,
    /// Bytes (one DMA).
    pub len: usize,
    /// DMEM buffer it lands in (TILE0 or TILE1).
    pub dmem: usize,
}

/// The tiles of one MATVEC, in fetch order.
#[derive(Clone, Debug)]
pub struct MatvecTiles {
    rdram: u32,
    total: usize,
    tile: usize,
    index: usize,
}

impl MatvecTiles {
    /// The stream of `args` (a command the ucode accepts).
    pub fn new(args: &MatvecArgs) -> MatvecTiles {
        let records = (args.rows as usize / 8) * (args.cols as usize / 32);
        MatvecTiles {
            rdram: args.w_rdram,
            total: records * record_bytes(args.bits),
            tile: tile_len(args.bits),
            index: 0,
        }
    }

    /// Bytes of weights the command streams.
    pub fn weight_bytes(&self) -> usize {
        self.total
    }

    /// Tiles in all.
    pub fn tile_count(&self) -> usize {
        self.total.div_ceil(self.tile)
    }
}

impl Iterator for MatvecTiles {
    type Item = Tile;

    fn next(&mut self) -> Option<Tile> {
        let start = self.index * self.tile;
        if start >= self.total {
            return None;
        }
        let tile = Tile {
            index: self.index,
            rdram: self.rdram + start as u32,
            len: self.tile.min(self.total - start),
            dmem: if self.index % 2 == 0 { TILE0 } else { TILE1 },
        };
        self.index += 1;
        Some(tile)
    }
}

/// What a command list streams, in total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamSummary {
    pub matvecs: usize,
    pub tiles: usize,
    pub weight_bytes: usize,
}

/// The tile streams of a command list, command by command (commands without weights stream
/// nothing).
pub fn stream_of(commands: &[Command]) -> impl Iterator<Item = (usize, MatvecTiles)> + '_ {
    commands.iter().enumerate().filter_map(|(i, c)| match c {
        Command::Matvec(args) => Some((i, MatvecTiles::new(args))),
        _ => None,
    })
}

/// Totals of [`stream_of`].
pub fn summarize(commands: &[Command]) -> StreamSummary {
    stream_of(commands).fold(StreamSummary::default(), |s, (_, tiles)| StreamSummary {
        matvecs: s.matvecs + 1,
        tiles: s.tiles + tiles.tile_count(),
        weight_bytes: s.weight_bytes + tiles.weight_bytes(),
    })
}

/// The overlay that runs opcode `op`, read from the assembled ucode itself: an overlaid
/// command's `op_table` entry is `j ovl_enter` with `ori t9, $zero, overlay << 12 | routine` in
/// its delay slot (ucode `rsp/rspnn.S`, `rsp/overlay.inc`); a resident one jumps straight to
/// its routine. `None` for resident commands and opcodes past the table.
pub fn overlay_of(op: u8) -> Option<u8> {
    let at = imem::op_table as usize + 8 * op as usize;
    if at + 8 > imem::op_table_end as usize {
        return None;
    }
    let word = |i: usize| u32::from_be_bytes([TEXT[i], TEXT[i + 1], TEXT[i + 2], TEXT[i + 3]]);
    let (jump, slot) = (word(at), word(at + 4));
    // J: opcode 2, target = (word & 0x3FF_FFFF) << 2 (IMEM addresses are 12 bits).
    let target = (jump & 0x03FF_FFFF) << 2;
    if jump >> 26 != 2 || target & 0xFFF != imem::ovl_enter {
        return None;
    }
    // ORI: opcode 13, immediate in the low 16 bits.
    (slot >> 26 == 13).then_some(((slot & 0xFFFF) >> 12) as u8)
}

/// One command of a list, as the RSP will run it.
#[derive(Clone, Debug)]
pub struct PlannedCommand {
    /// Its position in the list.
    pub index: usize,
    pub op: u8,
    /// The overlay it runs in (`None`: resident code).
    pub overlay: Option<u8>,
    /// Whether the dispatcher must load that overlay first (another one is in IMEM).
    pub loads_overlay: bool,
    /// The weight tiles it streams (MATVEC only).
    pub tiles: Option<MatvecTiles>,
}

/// Why a command list could not be planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The list runs past the bytes given without an END.
    NoEnd { commands: usize },
    /// An opcode the ucode does not have.
    BadOpcode { index: usize, op: u8 },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PlanError::NoEnd { commands } => write!(f, "no END in the {commands} commands given"),
            PlanError::BadOpcode { index, op } => write!(f, "command {index}: unknown opcode {op}"),
        }
    }
}

/// Walks a command list (its bytes, from its first command) the way the dispatcher does,
/// up to END: the overlay each command needs and the loads that causes (an OVERLAYS command
/// makes the dispatcher forget what IMEM holds), and each MATVEC's tiles.
pub struct ListPlan<'a> {
    list: &'a [u8],
    index: usize,
    in_imem: Option<u8>,
    done: bool,
}

impl<'a> ListPlan<'a> {
    pub fn new(list: &'a [u8]) -> ListPlan<'a> {
        ListPlan {
            list,
            index: 0,
            in_imem: None,
            done: false,
        }
    }
}

impl Iterator for ListPlan<'_> {
    type Item = Result<PlannedCommand, PlanError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let at = self.index * CMD_BYTES;
        let Some(bytes) = self.list.get(at..at + CMD_BYTES) else {
            self.done = true;
            return Some(Err(PlanError::NoEnd {
                commands: self.index,
            }));
        };
        let op = bytes[0];
        let index = self.index;
        self.index += 1;
        if op >= opcode::COUNT {
            self.done = true;
            return Some(Err(PlanError::BadOpcode { index, op }));
        }
        if op == opcode::END {
            self.done = true;
        }
        if op == opcode::OVERLAYS {
            self.in_imem = None;
        }
        let overlay = overlay_of(op);
        let loads_overlay = overlay.is_some() && overlay != self.in_imem;
        if overlay.is_some() {
            self.in_imem = overlay;
        }
        let tiles = (op == opcode::MATVEC).then(|| {
            let m: CmdMatvec = bytemuck::pod_read_unaligned(bytes);
            MatvecTiles::new(&MatvecArgs {
                bits: m.bits,
                shift: m.shift,
                rows: m.rows.get(),
                cols: m.cols.get(),
                w_rdram: m.w_rdram.get(),
                x_dmem: m.x_dmem.get(),
                y_dmem: m.y_dmem.get(),
            })
        });
        Some(Ok(PlannedCommand {
            index,
            op,
            overlay,
            loads_overlay,
            tiles,
        }))
    }
}

/// Why a command list may not be run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListError {
    /// The list runs past the bytes given without an END.
    NoEnd { commands: usize },
    /// An opcode the ucode does not have.
    BadOpcode { index: usize, op: u8 },
    /// A command would make the RSP write RDRAM outside the memory it may write.
    WriteOutside {
        index: usize,
        op: u8,
        rdram: u32,
        len: u32,
    },
    /// A command would make the RSP write over the command list itself, or over another
    /// command list the scheduler protects.
    WriteIntoList {
        index: usize,
        op: u8,
        rdram: u32,
        len: u32,
    },
    /// ATT_VALUES takes its arguments from the registers ATT_SCORES leaves (ucode
    /// `rsp/attend_values.inc`): anywhere else it would write where stale registers point.
    ValuesWithoutScores { index: usize },
    /// An OVERLAYS command points at bytes that are not the ucode's overlay images inside the
    /// workspace: the dispatcher would load them into IMEM and run them as code.
    OverlaysNotCode { index: usize, rdram: u32 },
    /// A second OVERLAYS command names another overlay block than the first (one list, one
    /// block: that block is what the list and, once sealed, the scheduler protect).
    TwoOverlayBlocks {
        index: usize,
        first: u32,
        rdram: u32,
    },
    /// A command would make the RSP write over the overlay block the list loads code from.
    WriteIntoOverlays {
        index: usize,
        op: u8,
        rdram: u32,
        len: u32,
    },
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ListError::NoEnd { commands } => write!(f, "no END in the {commands} commands given"),
            ListError::BadOpcode { index, op } => write!(f, "command {index}: unknown opcode {op}"),
            ListError::WriteOutside { index, op, rdram, len } => write!(
                f,
                "command {index} (opcode {op}) writes RDRAM {rdram:#x}..{:#x}, outside the workspace",
                rdram as u64 + len as u64
            ),
            ListError::WriteIntoList { index, op, rdram, len } => write!(
                f,
                "command {index} (opcode {op}) writes RDRAM {rdram:#x}..{:#x}, over a command \
                 list or the overlay code of a sealed one",
                rdram as u64 + len as u64
            ),
            ListError::ValuesWithoutScores { index } => {
                write!(f, "command {index}: ATT_VALUES not right after ATT_SCORES")
            }
            ListError::OverlaysNotCode { index, rdram } => write!(
                f,
                "command {index} (OVERLAYS) points at RDRAM {rdram:#x}, which does not hold the \
                 ucode's overlay images inside the workspace (the RSP would run those bytes)"
            ),
            ListError::TwoOverlayBlocks { index, first, rdram } => write!(
                f,
                "command {index} (OVERLAYS) names the overlay block {rdram:#x}, the list \
                 already named {first:#x}"
            ),
            ListError::WriteIntoOverlays { index, op, rdram, len } => write!(
                f,
                "command {index} (opcode {op}) writes RDRAM {rdram:#x}..{:#x}, over the overlay \
                 code the list loads",
                rdram as u64 + len as u64
            ),
        }
    }
}

/// Where a command of the rspnn dispatcher writes RDRAM, if it does: DMA_OUT writes its range;
/// ATT_SCORES and ATT_VALUES write this position's k and v into the layer's KV cache, which
/// lies inside `kv_rdram .. kv_rdram + kv_layer_bytes(heads * hd, ctx)` (ucode
/// `rsp/attend_common.inc`, `token_cmd::kv_layer_bytes`; the ucode refuses a slot at or past
/// ctx). No other command writes RDRAM (the ucode's only SP DMA writes are in those three).
fn rdram_write(bytes: &[u8], op: u8, last_scores: Option<(u32, u32)>) -> Option<(u32, u32)> {
    let be16 = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]) as u32;
    let be32 =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    match op {
        opcode::DMA_OUT => Some((
            be32(consts::CmdDma_rdram as usize),
            be16(consts::CmdDma_len as usize),
        )),
        opcode::ATT_SCORES => {
            let heads = bytes[consts::CmdAttend_heads as usize] as usize;
            let hd = be16(consts::CmdAttend_hd as usize) as usize;
            let ctx = be16(consts::CmdAttend_ctx as usize) as usize;
            let len = kv_layer_bytes(heads * hd, ctx).min(u32::MAX as usize) as u32;
            Some((be32(consts::CmdAttend_kv_rdram as usize), len))
        }
        opcode::ATT_VALUES => last_scores,
        _ => None,
    }
}

/// The overlay block an OVERLAYS command names (`None` for any other command).
pub fn overlays_rdram(command: &[u8]) -> Option<u32> {
    (command[0] == opcode::OVERLAYS).then(|| {
        let at = consts::CmdOverlays_rdram as usize;
        u32::from_be_bytes([
            command[at],
            command[at + 1],
            command[at + 2],
            command[at + 3],
        ])
    })
}

/// The RDRAM range (start, end) of the overlay block at `rdram`.
pub fn overlay_block_range(rdram: u32) -> (u64, u64) {
    (rdram as u64, rdram as u64 + OVERLAY_BLOCK_BYTES as u64)
}

/// Checks that running `list` (whose first byte the RSP reads at `list_rdram`) can make the
/// rspnn dispatcher write RDRAM only inside `allowed` (start, end), never over the list itself
/// (which would let the RSP rewrite the commands it runs next), never over the `protected`
/// RDRAM ranges (other command lists and their overlay code), and run only the ucode's own
/// code: an OVERLAYS command must point at the overlay images inside `allowed`, whose bytes as
/// the RSP will read them are `memory` (`allowed.0` is `memory[0]`), one block per list, which
/// no command of the list overwrites. Returns the bytes the dispatcher fetches: up to END,
/// rounded up to its 64-byte fetches.
pub fn check_writes(
    list: &[u8],
    list_rdram: u32,
    allowed: (u32, u32),
    memory: &[u8],
    protected: &[(u32, u32)],
) -> Result<usize, ListError> {
    // Pass 1: the list's extent.
    let mut commands = 0;
    loop {
        let at = commands * CMD_BYTES;
        let op = list
            .get(at..at + CMD_BYTES)
            .ok_or(ListError::NoEnd { commands })?[0];
        if op >= opcode::COUNT {
            return Err(ListError::BadOpcode {
                index: commands,
                op,
            });
        }
        commands += 1;
        if op == opcode::END {
            break;
        }
    }
    let fetched = (commands * CMD_BYTES).div_ceil(CMDBUF_BYTES) * CMDBUF_BYTES;
    let list_end = list_rdram as u64 + fetched as u64;
    // Pass 2: the overlay block, if the list names one: the ucode's images, inside `allowed`.
    let mut overlays: Option<u32> = None;
    for (index, bytes) in list[..commands * CMD_BYTES]
        .chunks_exact(CMD_BYTES)
        .enumerate()
    {
        let Some(rdram) = overlays_rdram(bytes) else {
            continue;
        };
        match overlays {
            Some(first) if first != rdram => {
                return Err(ListError::TwoOverlayBlocks {
                    index,
                    first,
                    rdram,
                })
            }
            Some(_) => {}
            None => {
                let (start, end) = overlay_block_range(rdram);
                let inside = start >= allowed.0 as u64 && end <= allowed.1 as u64;
                let block = inside
                    .then(|| memory.get((start - allowed.0 as u64) as usize..))
                    .flatten();
                if !block.is_some_and(is_overlay_block) {
                    return Err(ListError::OverlaysNotCode { index, rdram });
                }
                overlays = Some(rdram);
            }
        }
    }
    // Pass 3: every write.
    let mut last_scores = None;
    let mut prev = opcode::END;
    for (index, bytes) in list[..commands * CMD_BYTES]
        .chunks_exact(CMD_BYTES)
        .enumerate()
    {
        let op = bytes[0];
        if op == opcode::ATT_VALUES && prev != opcode::ATT_SCORES {
            return Err(ListError::ValuesWithoutScores { index });
        }
        if let Some((rdram, len)) = rdram_write(bytes, op, last_scores) {
            let end = rdram as u64 + len as u64;
            if (rdram as u64) < allowed.0 as u64 || end > allowed.1 as u64 {
                return Err(ListError::WriteOutside {
                    index,
                    op,
                    rdram,
                    len,
                });
            }
            let hits = |(start, stop): (u64, u64)| (rdram as u64) < stop && start < end;
            let hits_protected = protected.iter().any(|&(a, b)| hits((a as u64, b as u64)));
            if hits((list_rdram as u64, list_end)) || hits_protected {
                return Err(ListError::WriteIntoList {
                    index,
                    op,
                    rdram,
                    len,
                });
            }
            if overlays.is_some_and(|block| hits(overlay_block_range(block))) {
                return Err(ListError::WriteIntoOverlays {
                    index,
                    op,
                    rdram,
                    len,
                });
            }
            if op == opcode::ATT_SCORES {
                last_scores = Some((rdram, len));
            }
        }
        prev = op;
    }
    Ok(fetched.min(list.len()))
}

/// What one run of a command list costs in transfers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListSummary {
    /// Commands up to and including END.
    pub commands: usize,
    pub overlay_loads: usize,
    pub stream: StreamSummary,
}

/// Totals of [`ListPlan`].
pub fn summarize_list(list: &[u8]) -> Result<ListSummary, PlanError> {
    let mut s = ListSummary::default();
    for c in ListPlan::new(list) {
        let c = c?;
        s.commands += 1;
        s.overlay_loads += c.loads_overlay as usize;
        if let Some(tiles) = c.tiles {
            s.stream.matvecs += 1;
            s.stream.tiles += tiles.tile_count();
            s.stream.weight_bytes += tiles.weight_bytes();
        }
    }
    Ok(s)
}

/// The DMEM budget split that sizes the tiles, for reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmemSplit {
    pub activations: usize,
    pub tile_buffer: usize,
    pub q8_tile: usize,
    pub q4_tile: usize,
}

/// The layout the ucode was built with.
pub const DMEM_SPLIT: DmemSplit = DmemSplit {
    activations: ACT_BYTES,
    tile_buffer: TILE_BYTES,
    q8_tile: tile_len(8),
    q4_tile: tile_len(4),
};

/// Up to this many matrices in one [`MatvecChain`].
pub const MAX_CHAIN: usize = 8;

/// A job built from the ucode crate's builders: `x` through a chain of matrices,
/// `DMA_IN x; MATVEC W0; MATVEC W1; ...; DMA_OUT y; END`, activations ping-ponging between two
/// homes in DMEM. Each matrix's records are placed in the image; the weights are streamed tile
/// by tile by the RSP itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatvecChain {
    /// The command list (an offset in the image, as [`crate::Job::cmd_list`] wants).
    pub cmd_list: usize,
    /// Where y lands (offset, bytes: whole cache lines).
    pub y: usize,
    pub y_bytes: usize,
    /// Where x was placed.
    pub x: usize,
    pub commands: [Option<Command>; MAX_CHAIN + 3],
}

impl MatvecChain {
    /// Lays the chain out in `img` (whose buffer is the scheduler's workspace, `base` its RDRAM
    /// address). Shapes must chain (`cols` of each = `rows` of the previous).
    pub fn build(
        img: &mut RdramImage<'_>,
        base: u32,
        matrices: &[BlockMatrix<'_>],
        x: &[i16],
    ) -> Result<MatvecChain, ImageError> {
        let invalid = |what, value, rule| ImageError::Invalid { what, value, rule };
        if matrices.is_empty() || matrices.len() > MAX_CHAIN {
            return Err(invalid("matrices", matrices.len(), "must be 1..=8"));
        }
        let widest = matrices
            .iter()
            .map(|m| m.rows().max(m.cols()))
            .max()
            .unwrap_or(0);
        if 4 * widest > ACT_BYTES {
            return Err(invalid(
                "widest activation (bytes x2)",
                4 * widest,
                "two homes must fit the activation area",
            ));
        }
        let homes = [ACT as u16, (ACT + 2 * widest) as u16];
        let mut commands: [Option<Command>; MAX_CHAIN + 3] = [None; MAX_CHAIN + 3];
        let mut cols = x.len();
        for (i, m) in matrices.iter().enumerate() {
            if m.cols() != cols {
                return Err(invalid(
                    "matrix cols",
                    m.cols(),
                    "must equal the previous output length",
                ));
            }
            let w = img.put_bytes(m.records())?;
            let h = MatvecHomes {
                x_dmem: homes[i % 2],
                y_dmem: homes[(i + 1) % 2],
            };
            commands[i + 1] = Some(Command::Matvec(matvec_args(m, w, h)?));
            cols = m.rows();
        }
        let x_at = img.put_i16s(x)?;
        let y_bytes = (2 * cols).div_ceil(16) * 16;
        let y_at = img.reserve(y_bytes)?;
        let to16 =
            |v: usize| u16::try_from(v).map_err(|_| invalid("DMA length", v, "must fit 16 bits"));
        commands[0] = Some(Command::DmaIn {
            dmem: homes[0],
            len: to16(2 * x.len())?,
            rdram: x_at,
        });
        let last = homes[matrices.len() % 2];
        commands[matrices.len() + 1] = Some(Command::DmaOut {
            dmem: last,
            len: to16(2 * cols)?,
            rdram: y_at,
        });
        let mut list = [Command::End; MAX_CHAIN + 3];
        let n = matrices.len() + 2;
        for (slot, c) in list.iter_mut().zip(commands.iter()) {
            *slot = c.unwrap_or(Command::End);
        }
        let cmd_list = img.put_commands(&list[..n])?;
        let offset = |a: u32| (a - base) as usize;
        Ok(MatvecChain {
            cmd_list: offset(cmd_list),
            y: offset(y_at),
            y_bytes,
            x: offset(x_at),
            commands,
        })
    }

    /// The commands (without the END padding).
    pub fn command_list(&self) -> impl Iterator<Item = Command> + '_ {
        self.commands.iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(bits: u8, rows: u16, cols: u16) -> MatvecArgs {
        MatvecArgs {
            bits,
            shift: 0,
            rows,
            cols,
            w_rdram: 0x1000,
            x_dmem: ACT as u16,
            y_dmem: (ACT + 1024) as u16,
        }
    }

    /// The default layout (budget 4096, activations 1280) leaves 2 x 1088-byte buffers
    /// (ucode README "DMEM map"): 4 Q8 records of 272 bytes, 7 Q4 records of 144 bytes.
    #[test]
    fn tiles_hold_whole_records_of_the_default_layout() {
        assert_eq!(TILE_BYTES, 1088);
        assert_eq!(tile_len(8), 4 * 272);
        assert_eq!(tile_len(4), 7 * 144);
    }

    /// 128 x 128 Q8: 16 groups x 4 blocks = 64 records = 17,408 bytes = 16 tiles of 1,088,
    /// alternating buffers.
    #[test]
    fn q8_square_matrix_streams_sixteen_full_tiles() {
        let tiles: [Tile; 16] = {
            let mut it = MatvecTiles::new(&args(8, 128, 128));
            core::array::from_fn(|_| it.next().unwrap())
        };
        assert!(MatvecTiles::new(&args(8, 128, 128)).nth(16).is_none());
        for (i, t) in tiles.iter().enumerate() {
            assert_eq!(t.len, 1088);
            assert_eq!(t.rdram, 0x1000 + 1088 * i as u32);
            assert_eq!(t.dmem, if i % 2 == 0 { 0x780 } else { 0xBC0 });
        }
    }

    /// 512 x 128 Q4: 64 groups x 4 blocks = 256 records of 144 = 36,864 bytes; tiles of 1,008:
    /// 36 full tiles (36,288) and a last one of 576 (4 records).
    #[test]
    fn q4_stream_ends_with_a_partial_tile() {
        let s = MatvecTiles::new(&args(4, 512, 128));
        assert_eq!(s.weight_bytes(), 36_864);
        assert_eq!(s.tile_count(), 37);
        let last = s.last().unwrap();
        assert_eq!((last.index, last.len, last.dmem), (36, 576, 0x780));
        assert_eq!(last.rdram, 0x1000 + 36 * 1008);
    }

    #[test]
    fn summary_counts_only_matvecs() {
        let list = [
            Command::DmaIn {
                dmem: ACT as u16,
                len: 256,
                rdram: 0,
            },
            Command::Matvec(args(8, 128, 128)),
            Command::Matvec(args(4, 512, 128)),
            Command::End,
        ];
        assert_eq!(
            summarize(&list),
            StreamSummary {
                matvecs: 2,
                tiles: 16 + 37,
                weight_bytes: 17_408 + 36_864
            }
        );
    }
}
