//! The check of rspnn's first rspq overlay (`examples/libdragon-matvec`, issue 18): builds the
//! Rust reference library (`libdragon/reference`, kernels::matvec for the console CPU) and the
//! example with the libdragon SDK, whose n64.mk assembles the overlay `libdragon/rsp_rspnn.S`
//! against that libdragon; runs the ROM in cen64 behind libdragon's IPL3 and compares its lines
//! with the ones computed here: the same matrices (the example's xorshift32), multiplied on the
//! host by kernels::matvec, give the checksums the console must print for the RSP's output.

use crate::libdragon_sdk::{build_and_run, compare_lines, Sdk};
use crate::Result;
use kernels::matvec::{matvec, BlockMatrix, WeightBits, Q4_RECORD_BYTES, Q8_RECORD_BYTES};
use std::path::Path;

/// The example project.
pub const MATVEC_EXAMPLE: &str = "examples/libdragon-matvec";
/// The reference library's crate (its manifest is `Cargo.toml` in it).
pub const REFERENCE_CRATE: &str = "libdragon/reference";

/// The example's matrices, in its frame order (main.c `SHAPES`): rows, cols, out_shift, seed.
const SHAPES: [(usize, usize, u8, u32); 3] = [(64, 512, 1, 1), (24, 96, 0, 2), (136, 256, 3, 3)];
/// Frames the example draws (each with one matvec, SHAPES in turn).
const FRAMES: usize = 6;
/// main.c's `Q4_SHAPES`, one Q4 matvec per frame after the Q8 frames.
const Q4_SHAPES: [(usize, usize, u8, u32); 2] = [(64, 512, 2, 4), (40, 160, 0, 5)];
/// main.c's UNDER_LOAD_FRAMES and UNDER_LOAD_MATVECS.
pub const UNDER_LOAD_FRAMES: usize = 30;
const UNDER_LOAD_MATVECS: usize = 4;
/// The line main.c prints with the vertical blanks its under-load frames took.
const VBLANKS_PREFIX: &str = "under load: vblanks=";

/// main.c's xorshift32.
struct XorShift32(u32);

impl XorShift32 {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

/// main.c's `fill`: the records and x of one Q8 shape.
fn example_inputs(rows: usize, cols: usize, seed: u32) -> (Vec<u8>, Vec<i16>) {
    example_inputs_bits(Q8_RECORD_BYTES, rows, cols, seed)
}

/// main.c's `fill_bits`: the same with records of `record_bytes` (Q8 or Q4).
fn example_inputs_bits(
    record_bytes: usize,
    rows: usize,
    cols: usize,
    seed: u32,
) -> (Vec<u8>, Vec<i16>) {
    let weight_bytes = record_bytes - 16;
    let mut rng = XorShift32(0x9E37_79B9u32.wrapping_mul(seed));
    let count = rows / 8 * cols / 32;
    let mut records = vec![0u8; count * record_bytes];
    for rec in records.chunks_mut(record_bytes) {
        for byte in &mut rec[..weight_bytes] {
            *byte = (rng.next() >> 24) as u8;
        }
        for j in 0..8 {
            let scale = (rng.next() >> 20) as u16;
            let at = weight_bytes + 2 * j;
            rec[at..at + 2].copy_from_slice(&scale.to_be_bytes());
        }
    }
    let x = (0..cols)
        .map(|_| ((rng.next() >> 21).wrapping_sub(1024)) as i16)
        .collect();
    (records, x)
}

/// main.c's `checksum`.
fn checksum(y: &[i16]) -> u32 {
    y.iter().fold(0u32, |sum, &v| {
        sum.wrapping_mul(31).wrapping_add(v as u16 as u32)
    })
}

/// What the example must print, with every checksum computed here by kernels::matvec.
pub fn expected_lines() -> Result<Vec<String>> {
    let mut lines = vec!["libdragon-matvec: main reached".to_string()];
    for frame in 0..FRAMES {
        let (rows, cols, k, seed) = SHAPES[frame % SHAPES.len()];
        let (records, x) = example_inputs(rows, cols, seed);
        let m = BlockMatrix::new(WeightBits::Q8, rows, cols, k, &records)
            .map_err(|e| format!("libdragon-matvec shape {rows}x{cols}: {e:?}"))?;
        let mut y = vec![0i16; rows];
        matvec(&m, &x, &mut y).map_err(|e| format!("libdragon-matvec matvec: {e:?}"))?;
        lines.push(format!(
            "frame {frame} {rows}x{cols} k={k} ref=0 sync=1 y={:08x} identical=yes \
             pixels=f801,f801,0001",
            checksum(&y)
        ));
    }
    for (frame, &(rows, cols, k, seed)) in Q4_SHAPES.iter().enumerate() {
        let (records, x) = example_inputs_bits(Q4_RECORD_BYTES, rows, cols, seed);
        let m = BlockMatrix::new(WeightBits::Q4, rows, cols, k, &records)
            .map_err(|e| format!("libdragon-matvec Q4 shape {rows}x{cols}: {e:?}"))?;
        let mut y = vec![0i16; rows];
        matvec(&m, &x, &mut y).map_err(|e| format!("libdragon-matvec Q4 matvec: {e:?}"))?;
        lines.push(format!(
            "q4 frame {frame} {rows}x{cols} k={k} ref=0 sync=1 y={:08x} identical=yes \
             pixels=f801,f801,0001",
            checksum(&y)
        ));
    }
    // main.c's "under load" phase: 30 frames, each with 4 matvecs of SHAPES[2] (3 commands
    // each with RSPNN_MAX_RECORDS_PER_COMMAND = 64) between its rdpq fills.
    let (rows, cols, _, _) = SHAPES[2];
    let commands_per_matvec = (rows / 8).div_ceil(64 / (cols / 32));
    lines.push(format!(
        "under load: frames={UNDER_LOAD_FRAMES} matvecs={} commands={} identical=yes \
         pixels=f801,f801,0001",
        UNDER_LOAD_FRAMES * UNDER_LOAD_MATVECS,
        UNDER_LOAD_FRAMES * UNDER_LOAD_MATVECS * commands_per_matvec
    ));
    lines.push(
        "cols=544: matrix cols above RSPNN_MAX_COLS (512): x would not fit the overlay's DMEM \
         (1,024 bytes of x in rspq's 3,584-byte overlay budget)"
            .into(),
    );
    lines.push("y+1: matrix records and x must be 8-byte aligned, y 16-byte aligned".into());
    lines.push("identical=yes".into());
    Ok(lines)
}

/// Builds libdragon/reference (the Rust half of rspnn's C API, a static library for the N64)
/// and returns the path of its `.a`, which rspnn.mk takes as RSPNN_REFERENCE_LIB.
pub fn build_reference_lib(ws: &crate::workspace::Workspace) -> Result<std::path::PathBuf> {
    crate::n64_build::build_static_lib(
        ws,
        &ws.root.join(REFERENCE_CRATE).join("Cargo.toml"),
        "librspnn_libdragon_reference.a",
    )
}

/// Builds the reference library and the example with `sdk`, runs it in cen64 and compares.
pub fn check(ws: &crate::workspace::Workspace, sdk: &Sdk) -> Result<String> {
    let project = ws.root.join(MATVEC_EXAMPLE);
    let lib = build_reference_lib(ws)?;
    let lib_var = format!("RSPNN_REFERENCE_LIB={}", lib.display());
    let mut lines = build_and_run(sdk, &project, "libdragon-matvec.z64", &[&lib_var])?;
    let vblanks = take_vblanks(&mut lines).map_err(|e| format!("{}: {e}", project.display()))?;
    compare_lines(&lines, &expected_lines()?).map_err(|e| format!("{}: {e}", project.display()))?;
    let refused = check_other_libdragon(ws, sdk, &lib_var)?;
    println!("{refused}");
    Ok(format!(
        "{FRAMES} Q8 and {} Q4 matvecs on the RSP through rspq (rspnn's overlay) while rdpq drew: \
         identical=yes; under load {UNDER_LOAD_FRAMES} frames with {} matvecs took {vblanks} \
         vblanks; an overlay built against another libdragon is refused by rspnn_init",
        Q4_SHAPES.len(),
        UNDER_LOAD_FRAMES * UNDER_LOAD_MATVECS
    ))
}

/// The anchor in libdragon's `rsp_queue.inc` after which [`other_libdragon`] adds one `nop`.
const CORE_PATCH_ANCHOR: &str = "\nRSPQ_Loop:\n";

/// Where an SDK keeps libdragon's RSP headers (n64.mk's `N64_INCLUDEDIR`).
const RSP_QUEUE_INC: &str = "mips64-elf/include/rsp_queue.inc";

/// A libdragon that differs from `sdk`'s as a newer or older one would: `rsp_queue.inc` (the
/// rspq core every overlay embeds) has one more instruction; everything else is `sdk`'s,
/// linked. Made in `dir` (replaced).
fn other_libdragon(sdk: &Sdk, dir: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    mirror_except(&sdk.n64_inst, dir, Path::new(RSP_QUEUE_INC))?;
    let original = sdk.n64_inst.join(RSP_QUEUE_INC);
    let text =
        std::fs::read_to_string(&original).map_err(|e| format!("{}: {e}", original.display()))?;
    if text.matches(CORE_PATCH_ANCHOR).count() != 1 {
        return Err(format!(
            "{}: no single `RSPQ_Loop:` line to change",
            original.display()
        ));
    }
    let changed = text.replace(CORE_PATCH_ANCHOR, "\nRSPQ_Loop:\n    nop\n");
    let to = dir.join(RSP_QUEUE_INC);
    std::fs::write(&to, changed).map_err(|e| format!("{}: {e}", to.display()))
}

/// `to` as a copy of `from` made of symbolic links, except the folders on the way to `except`
/// (real folders) and `except` itself (left out).
fn mirror_except(from: &Path, to: &Path, except: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let mut parts = except.components();
    let first = parts.next().ok_or("empty path")?.as_os_str().to_owned();
    let rest = parts.as_path();
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let name = entry.file_name();
        if name == first {
            if !rest.as_os_str().is_empty() {
                mirror_except(&entry.path(), &to.join(&name), rest)?;
            }
        } else {
            std::os::unix::fs::symlink(entry.path(), to.join(&name))
                .map_err(|e| format!("symlink {}: {e}", to.join(&name).display()))?;
        }
    }
    Ok(())
}

/// Builds the example with its overlay assembled against [`other_libdragon`] and runs it: the
/// game must go on (main reached, its end line) with `rspnn_init` refusing the overlay and
/// naming both libdragons and their rspq cores' CRC-32s (text ones different). Returns the
/// message.
fn check_other_libdragon(
    ws: &crate::workspace::Workspace,
    sdk: &Sdk,
    lib_var: &str,
) -> Result<String> {
    let project = ws.root.join(MATVEC_EXAMPLE);
    let other = ws.n64_target_dir().join("libdragon-other-sdk");
    other_libdragon(sdk, &other)?;
    let var = format!("RSPNN_OVERLAY_N64_INST={}", other.display());
    let lines = build_and_run(sdk, &project, "libdragon-matvec.z64", &[lib_var, &var])?;
    let fail = |why: &str| format!("{} with {var}: {why}; got {lines:?}", project.display());
    if lines.len() != 2 || lines[0] != "libdragon-matvec: main reached" {
        return Err(fail("expected main reached, then rspnn_init's error"));
    }
    let prefix = format!(
        "rspnn_init: rspnn's overlay was assembled against another libdragon ({}: rspq core crc32 ",
        other.display()
    );
    let rest = lines[1]
        .strip_prefix(&prefix)
        .ok_or_else(|| fail("not the mismatch message"))?;
    let middle = format!(") than the game runs ({}: ", sdk.n64_inst.display());
    let (ours, rest) = rest
        .split_once(&middle)
        .ok_or_else(|| fail("the game's libdragon is not named"))?;
    let (theirs, _) = rest
        .split_once(", text/data)")
        .ok_or_else(|| fail("no CRCs of the game's core"))?;
    let pair = |s: &str| {
        s.split_once('/')
            .map(|(t, d)| (t.to_string(), d.to_string()))
    };
    let ((ot, od), (gt, gd)) = (
        pair(ours).ok_or_else(|| fail("CRCs"))?,
        pair(theirs).ok_or_else(|| fail("CRCs"))?,
    );
    // The data differ too: rspq's command table holds text addresses, moved by the nop.
    let hex8 = |v: &str| v.len() == 8 && v.bytes().all(|b| b.is_ascii_hexdigit());
    if ![&ot, &od, &gt, &gd].iter().all(|v| hex8(v)) || ot == gt {
        return Err(fail(
            "expected four CRC-32s, the two cores' text ones different",
        ));
    }
    Ok(lines[1].clone())
}

/// Removes main.c's vblank line from `lines` and returns its count: an error without it, or
/// when the frames under load took more than two vblanks each (rdpq stalled behind rspnn) or
/// fewer than one each less two (impossible with two framebuffers: a miscount).
fn take_vblanks(lines: &mut Vec<String>) -> Result<usize> {
    let at = lines
        .iter()
        .position(|l| l.starts_with(VBLANKS_PREFIX))
        .ok_or("no `under load: vblanks=` line")?;
    let line = lines.remove(at);
    let vblanks: usize = line[VBLANKS_PREFIX.len()..]
        .trim()
        .parse()
        .map_err(|e| format!("{line:?}: {e}"))?;
    if vblanks > 2 * UNDER_LOAD_FRAMES || vblanks + 2 < UNDER_LOAD_FRAMES {
        return Err(format!(
            "{UNDER_LOAD_FRAMES} frames under load took {vblanks} vblanks (expected \
             {}..={})",
            UNDER_LOAD_FRAMES - 2,
            2 * UNDER_LOAD_FRAMES
        ));
    }
    Ok(vblanks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vblank_line_is_taken_out_and_bounded() {
        let mut lines = vec!["a".to_string(), "under load: vblanks=31".into(), "b".into()];
        assert_eq!(take_vblanks(&mut lines).unwrap(), 31);
        assert_eq!(lines, ["a", "b"]);
        assert!(take_vblanks(&mut vec!["under load: vblanks=61".into()]).is_err());
        assert!(take_vblanks(&mut vec!["under load: vblanks=27".into()]).is_err());
        assert!(take_vblanks(&mut vec!["a".into()]).is_err());
    }

    #[test]
    fn the_expected_checksums_come_from_real_nonzero_outputs() {
        let (records, x) = example_inputs(24, 96, 2);
        assert_eq!(records.len(), 3 * 3 * Q8_RECORD_BYTES);
        assert!(x.iter().all(|&v| (-1024..1024).contains(&v)));
        let m = BlockMatrix::new(WeightBits::Q8, 24, 96, 0, &records).unwrap();
        let mut y = vec![0i16; 24];
        matvec(&m, &x, &mut y).unwrap();
        assert!(y.iter().filter(|&&v| v != 0).count() > 12);
        let lines = expected_lines().unwrap();
        assert_eq!(lines.len(), 1 + FRAMES + Q4_SHAPES.len() + 4);
        assert!(lines[1 + FRAMES].starts_with("q4 frame 0 64x512 k=2 "));
        let (q4, x) = example_inputs_bits(Q4_RECORD_BYTES, 40, 160, 5);
        assert_eq!(q4.len(), 5 * 5 * Q4_RECORD_BYTES);
        let m = BlockMatrix::new(WeightBits::Q4, 40, 160, 0, &q4).unwrap();
        let mut y = vec![0i16; 40];
        matvec(&m, &x, &mut y).unwrap();
        assert!(y.iter().filter(|&&v| v != 0).count() > 20);
        assert_eq!(
            lines[1 + FRAMES + Q4_SHAPES.len()],
            "under load: frames=30 matvecs=120 commands=360 identical=yes pixels=f801,f801,0001"
        );
        let sums: Vec<&str> = lines[1..=FRAMES]
            .iter()
            .map(|l| l.split(" y=").nth(1).unwrap().split(' ').next().unwrap())
            .collect();
        // The same matrix (frames 0 and 3) gives the same outputs; different ones differ.
        assert_eq!(sums[0], sums[3]);
        assert_ne!(sums[0], sums[1]);
        assert_ne!(sums[1], sums[2]);
    }
}
