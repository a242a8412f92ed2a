//! RSP cycles of each rspq command of rspnn's libdragon overlay (`libdragon/rsp_rspnn.S`),
//! measured on rsp-sim, so that `RSPNN_MAX_RECORDS_PER_COMMAND` (include/rspnn.h) can be set
//! from a measurement: issue 18 asks that every rspnn command take at most 500 us of RSP time
//! (31,250 cycles at the RSP's 62.5 MHz) so that rspq's high-priority queue and the other
//! overlays (rdpq, the mixer) interleave between them.
//!
//! The harness, and what it leaves out:
//! - The overlay is assembled by rsp-asm against libdragon's own `rsp_queue.inc`, so IMEM and
//!   DMEM hold rspq's real resident core and data plus rspnn's command. (Its .text and .data
//!   were compared with `cmp` to those of the SDK build's `build/rsp_rspnn.elf`, GNU as through
//!   n64.mk, on 2026-12-07, before and after the double buffer: identical; and after the Q4
//!   command: .text identical, .data identical but for 8 zero bytes of padding rsp-asm adds
//!   at its end.)
//! - Each command runs as rspq would start it: a0..a3 = the command's four words, exactly as
//!   `rspnn_matvec_q8_submit`/`_q4_submit` (libdragon/rspnn.c) split a matvec, the PC at the
//!   command's entry; it ends when the PC reaches `RSPQ_Loop` (the command's `j RSPQ_Loop`).
//!   The cycles include every DMA the command makes (x, each 272- or 144-byte record, each
//!   16-byte output), timed by rsp-sim's RDRAM model.
//! - Left out: rspq's own dispatch of each command (fetching the command words from RDRAM,
//!   the jump table: a few dozen cycles, the same for every overlay's command) and the overlay
//!   switch when the previous command was another overlay's (a DMA of rspnn's data and text).
//!   Both are rspq's costs per command, not rspnn's; they are why the bound keeps a margin.

use kernels::matvec::{matvec, BlockMatrix, WeightBits, Q4_RECORD_BYTES, Q8_RECORD_BYTES};
use rsp_asm::{AddressMap, Ucode};
use rsp_sim::sp::status_write::CLEAR_HALT;
use rsp_sim::{Rsp, SpReg};
use std::path::Path;

/// RSP clock: 62.5 MHz (RSP-FACTS.md), so one microsecond is 62.5 cycles.
pub const RSP_HZ: f64 = 62_500_000.0;
/// Issue 18's bound per command: 500 us of RSP time.
pub const MAX_CYCLES_PER_COMMAND: u64 = 31_250;
/// The command id of RSPNN_CMD_MATVEC_Q8 within the overlay (its first command).
pub const CMD_MATVEC_Q8: u32 = 0;
/// The command id of RSPNN_CMD_MATVEC_Q4 (the overlay's second command).
pub const CMD_MATVEC_Q4: u32 = 1;
/// The overlay's source, relative to the repository root.
pub const OVERLAY_SOURCE: &str = "libdragon/rsp_rspnn.S";
/// The most row groups one command can carry (the 8-bit `groups` field of its first word).
pub const MAX_GROUPS_PER_COMMAND: usize = 255;

/// Where the simulated RDRAM holds each operand (8 MiB of RDRAM, as with the Expansion Pak).
const RDRAM_BYTES: usize = 8 << 20;
const X_ADDR: u32 = 0x0010_0000;
const Y_ADDR: u32 = 0x0011_0000;
const RECORDS_ADDR: u32 = 0x0020_0000;
/// A command that has not reached RSPQ_Loop after this many cycles is an error (a hang).
const CYCLE_LIMIT: u64 = 10_000_000;

/// rspnn's overlay, assembled with libdragon's rspq core.
pub struct Overlay {
    pub ucode: Ucode,
    /// IMEM address of `RspnnCmd_MatvecQ8`.
    pub command_pc: u32,
    /// IMEM address of `RspnnCmd_MatvecQ4`.
    pub command_q4_pc: u32,
    /// IMEM address of `RSPQ_Loop`, where every rspq command returns.
    pub loop_pc: u32,
}

/// Assembles `source` (libdragon/rsp_rspnn.S) with libdragon's `include` and `src` folders
/// under `libdragon_root`, laid out as libdragon's rsp.ld links it.
pub fn assemble_overlay(source: &Path, libdragon_root: &Path) -> Result<Overlay, String> {
    let include = libdragon_root.join("include");
    let src = libdragon_root.join("src");
    let ucode = rsp_asm::assemble_file_with(source, &[&include, &src], AddressMap::LIBDRAGON)
        .map_err(|e| format!("rsp-asm {}: {e:?}", source.display()))?;
    let address = |name: &str| -> Result<u32, String> {
        ucode
            .symbols
            .iter()
            .find(|s| s.name == name)
            .map(|s| (s.value as u32) & 0xFFF)
            .ok_or_else(|| format!("{}: no symbol {name}", source.display()))
    };
    let command_pc = address("RspnnCmd_MatvecQ8")?;
    let command_q4_pc = address("RspnnCmd_MatvecQ4")?;
    let loop_pc = address("RSPQ_Loop")?;
    Ok(Overlay {
        ucode,
        command_pc,
        command_q4_pc,
        loop_pc,
    })
}

/// RSP cycles rspq spends switching to rspnn's overlay after another overlay's command: the DMA
/// of rspnn's data (from `_ovl_data_start`) and text (from `_ovl_text_start`), by rsp-sim's
/// row model (the save of the previous overlay's state comes on top and depends on it).
pub fn overlay_switch_dma_cycles(overlay: &Overlay) -> Result<u64, String> {
    let find = |name: &str| {
        overlay
            .ucode
            .symbols
            .iter()
            .find(|s| s.name == name)
            .map(|s| (s.value as u32 & 0xFFF) as usize)
            .ok_or_else(|| format!("no symbol {name}"))
    };
    let data = overlay.ucode.data.len() - find("_ovl_data_start")?;
    let text = overlay.ucode.text.len() - find("_ovl_text_start")?;
    Ok(rsp_sim::dma_row_cycles(data as u32) + rsp_sim::dma_row_cycles(text as u32))
}

/// The value of `#define RSPNN_MAX_RECORDS_PER_COMMAND` in include/rspnn.h's text.
pub fn max_records_per_command(header: &str) -> Result<usize, String> {
    header
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("#define RSPNN_MAX_RECORDS_PER_COMMAND")
        })
        .ok_or("include/rspnn.h has no #define RSPNN_MAX_RECORDS_PER_COMMAND")?
        .trim()
        .parse()
        .map_err(|e| format!("RSPNN_MAX_RECORDS_PER_COMMAND is not a number: {e}"))
}

/// A Q8 matrix shape as the C API takes it.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub rows: usize,
    pub cols: usize,
    pub out_shift: u32,
}

/// One command's words and what it covers, as `rspnn_matvec_q8_submit` issues it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    pub words: [u32; 4],
    pub groups: usize,
    pub records: usize,
}

/// The commands `rspnn_matvec_q8_submit` (libdragon/rspnn.c) writes for `shape` with at most
/// `max_records` records per command: whole row groups, `max_records / blocks` per command.
pub fn split_commands(
    shape: Shape,
    max_records: usize,
    records_addr: u32,
    x_addr: u32,
    y_addr: u32,
) -> Result<Vec<Command>, String> {
    split_commands_bits(
        WeightBits::Q8,
        shape,
        max_records,
        records_addr,
        x_addr,
        y_addr,
    )
}

/// [`split_commands`] for Q8 or Q4 records (`rspnn_matvec_q4_submit` splits the same way,
/// with RSPNN_CMD_MATVEC_Q4 and 144-byte records).
pub fn split_commands_bits(
    bits: WeightBits,
    shape: Shape,
    max_records: usize,
    records_addr: u32,
    x_addr: u32,
    y_addr: u32,
) -> Result<Vec<Command>, String> {
    let (cmd, record_bytes) = match bits {
        WeightBits::Q8 => (CMD_MATVEC_Q8, Q8_RECORD_BYTES),
        WeightBits::Q4 => (CMD_MATVEC_Q4, Q4_RECORD_BYTES),
    };
    let blocks = shape.cols / 32;
    let groups = shape.rows / 8;
    let per_command = max_records / blocks.max(1);
    if per_command == 0 || per_command > MAX_GROUPS_PER_COMMAND {
        return Err(format!(
            "{max_records} records per command gives {per_command} row groups of {blocks} \
             blocks per command; it must be 1..{MAX_GROUPS_PER_COMMAND}"
        ));
    }
    let mut commands = Vec::new();
    let (mut records, mut y) = (records_addr, y_addr);
    let mut g = 0;
    while g < groups {
        let n = (groups - g).min(per_command);
        let first = (cmd << 24) | (shape.out_shift << 16) | ((n as u32) << 8) | blocks as u32;
        commands.push(Command {
            words: [first, records, x_addr, y],
            groups: n,
            records: n * blocks,
        });
        records += (n * blocks * record_bytes) as u32;
        y += (n * 16) as u32;
        g += n;
    }
    Ok(commands)
}

/// A measured matvec: y, and each command's RSP cycles in issue order.
pub struct Measured {
    pub y: Vec<i16>,
    pub commands: Vec<(Command, u64)>,
}

/// Runs y = W x for `shape` through the overlay on rsp-sim, one command at a time, as rspq
/// would run them back to back; checks nothing (see [`measure_checked`]).
pub fn measure(
    overlay: &Overlay,
    shape: Shape,
    records: &[u8],
    x: &[i16],
    max_records: usize,
) -> Result<Measured, String> {
    measure_bits(overlay, WeightBits::Q8, shape, records, x, max_records)
}

/// [`measure`] for Q8 or Q4 records (the Q4 command for Q4).
pub fn measure_bits(
    overlay: &Overlay,
    bits: WeightBits,
    shape: Shape,
    records: &[u8],
    x: &[i16],
    max_records: usize,
) -> Result<Measured, String> {
    let command_pc = match bits {
        WeightBits::Q8 => overlay.command_pc,
        WeightBits::Q4 => overlay.command_q4_pc,
    };
    let mut rsp = Rsp::with_rdram(vec![0u8; RDRAM_BYTES]);
    rsp.load_imem(0, &overlay.ucode.text)
        .map_err(|e| format!("IMEM: {e:?}"))?;
    rsp.load_dmem(0, &overlay.ucode.data)
        .map_err(|e| format!("DMEM: {e:?}"))?;
    let rdram = rsp.rdram_mut();
    let at = RECORDS_ADDR as usize;
    rdram[at..at + records.len()].copy_from_slice(records);
    for (i, v) in x.iter().enumerate() {
        let at = X_ADDR as usize + 2 * i;
        rdram[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }
    let commands = split_commands_bits(bits, shape, max_records, RECORDS_ADDR, X_ADDR, Y_ADDR)?;
    let mut measured = Vec::new();
    for command in commands {
        for (i, word) in command.words.iter().enumerate() {
            rsp.set_gpr(4 + i as u8, *word); // a0..a3: how rspq hands a command its words
        }
        rsp.set_pc(command_pc);
        rsp.cpu_write(SpReg::Status, CLEAR_HALT)
            .map_err(|e| format!("SP_STATUS: {e:?}"))?;
        let start = rsp.stats().cycles;
        while rsp.pc() != overlay.loop_pc {
            if rsp.is_halted() {
                return Err(format!(
                    "the command {:08x?} halted the RSP at {:#x}",
                    command.words,
                    rsp.pc()
                ));
            }
            if rsp.stats().cycles - start > CYCLE_LIMIT {
                return Err(format!(
                    "the command {:08x?} ran past {CYCLE_LIMIT} cycles",
                    command.words
                ));
            }
            rsp.step().map_err(|e| format!("rsp-sim: {e:?}"))?;
        }
        // A command is not over until its results have landed (its DMAOut waits, so this
        // adds nothing today; it would if the output DMA became asynchronous).
        rsp.wait_dma_idle();
        measured.push((command, rsp.stats().cycles - start));
    }
    let rdram = rsp.rdram();
    let y = (0..shape.rows)
        .map(|i| {
            let at = Y_ADDR as usize + 2 * i;
            i16::from_be_bytes([rdram[at], rdram[at + 1]])
        })
        .collect();
    Ok(Measured {
        y,
        commands: measured,
    })
}

/// [`measure`], then an error unless y equals kernels::matvec's for the same inputs: a cycle
/// count of a command that computed something else would measure nothing.
pub fn measure_checked(
    overlay: &Overlay,
    shape: Shape,
    records: &[u8],
    x: &[i16],
    max_records: usize,
) -> Result<Measured, String> {
    measure_checked_bits(overlay, WeightBits::Q8, shape, records, x, max_records)
}

/// [`measure_checked`] for Q8 or Q4 records.
pub fn measure_checked_bits(
    overlay: &Overlay,
    bits: WeightBits,
    shape: Shape,
    records: &[u8],
    x: &[i16],
    max_records: usize,
) -> Result<Measured, String> {
    let measured = measure_bits(overlay, bits, shape, records, x, max_records)?;
    let m = BlockMatrix::new(bits, shape.rows, shape.cols, shape.out_shift as u8, records)
        .map_err(|e| format!("{shape:?}: {e:?}"))?;
    let mut expected = vec![0i16; shape.rows];
    matvec(&m, x, &mut expected).map_err(|e| format!("kernels::matvec: {e:?}"))?;
    if let Some(i) = (0..shape.rows).find(|&i| measured.y[i] != expected[i]) {
        return Err(format!(
            "{bits:?} {shape:?} with {max_records} records per command: y[{i}] = {} on rsp-sim, {} from kernels::matvec",
            measured.y[i], expected[i]
        ));
    }
    Ok(measured)
}

/// Deterministic test data (xorshift32): random weight bytes, random block scales below 4096
/// and x in -1024..1024, the same kind as examples/libdragon-matvec's.
pub fn inputs(shape: Shape, seed: u32) -> (Vec<u8>, Vec<i16>) {
    inputs_bits(WeightBits::Q8, shape, seed)
}

/// [`inputs`] for Q8 or Q4 records: random weight bytes (for Q4 every nibble, -8..7, occurs),
/// the same scales and x.
pub fn inputs_bits(bits: WeightBits, shape: Shape, seed: u32) -> (Vec<u8>, Vec<i16>) {
    let (record_bytes, weight_bytes) = match bits {
        WeightBits::Q8 => (Q8_RECORD_BYTES, 256),
        WeightBits::Q4 => (Q4_RECORD_BYTES, 128),
    };
    let mut state = 0x9E37_79B9u32.wrapping_mul(seed.max(1));
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let count = shape.rows / 8 * shape.cols / 32;
    let mut records = vec![0u8; count * record_bytes];
    for rec in records.chunks_mut(record_bytes) {
        for byte in &mut rec[..weight_bytes] {
            *byte = (next() >> 24) as u8;
        }
        for j in 0..8 {
            let scale = (next() >> 20) as u16;
            let at = weight_bytes + 2 * j;
            rec[at..at + 2].copy_from_slice(&scale.to_be_bytes());
        }
    }
    let x = (0..shape.cols)
        .map(|_| ((next() >> 21).wrapping_sub(1024)) as i16)
        .collect();
    (records, x)
}

/// The shapes measured: the demo model's (models/README.md: nibble-4l-q8, width 128, FFN 512,
/// vocab 256: attention projections 128x128, FFN up 512x128 and down 128x512, the tied head
/// 256x128), the widest the overlay takes (8 x 512 and 2048 x 512), and examples/libdragon-matvec's.
pub fn measured_shapes() -> Vec<(&'static str, Shape)> {
    let s = |rows, cols, out_shift| Shape {
        rows,
        cols,
        out_shift,
    };
    vec![
        ("demo attention q/k/v/o", s(128, 128, 0)),
        ("demo FFN up", s(512, 128, 0)),
        ("demo FFN down", s(128, 512, 1)),
        ("demo head (tied embedding)", s(256, 128, 0)),
        ("widest row group", s(8, 512, 0)),
        ("widest, many groups", s(2048, 512, 0)),
        ("libdragon-matvec 64x512", s(64, 512, 1)),
        ("libdragon-matvec 24x96", s(24, 96, 0)),
        ("libdragon-matvec 136x256", s(136, 256, 3)),
    ]
}

/// The Q4 shapes measured: the 2-layer Q4 model's (models/README.md: nibble-2l-q4, width 128,
/// FFN 512, vocab 256: the same matrix shapes as the demo model's), the widest the overlay
/// takes, and examples/libdragon-matvec's Q4 ones.
pub fn measured_q4_shapes() -> Vec<(&'static str, Shape)> {
    let s = |rows, cols, out_shift| Shape {
        rows,
        cols,
        out_shift,
    };
    vec![
        ("2l-q4 attention q/k/v/o", s(128, 128, 0)),
        ("2l-q4 FFN up", s(512, 128, 0)),
        ("2l-q4 FFN down", s(128, 512, 1)),
        ("2l-q4 head (tied embedding)", s(256, 128, 0)),
        ("widest row group", s(8, 512, 0)),
        ("widest, many groups", s(2048, 512, 0)),
        ("libdragon-matvec Q4 64x512", s(64, 512, 2)),
        ("libdragon-matvec Q4 40x160", s(40, 160, 0)),
    ]
}
