//! Runs a ROM in cen64, the most accurate N64 emulator we have (it models the VR4300 pipeline
//! and caches and runs the RSP cycle by cycle), and collects what it prints on the IS-Viewer.
//!
//! cen64 emulates the console from the PIF's boot program on, so three things stand between
//! our ROMs and it (../shared/RSP-FACTS.md "Emulators", checked against cen64's sources):
//! 1. **A PIF boot program**: cen64 maps the file it is given at 0x1FC0_0000 (0x7C0 bytes,
//!    `bus/address.h`) and the VR4300 starts at its reset vector 0xBFC0_0000. Ours
//!    ([`pif_code`]) does what the console's does before the IPL3 runs, and no more.
//! 2. **The CIC check**: cen64 picks the CIC from the zlib CRC-32 of ROM 0x40..0x1000 and
//!    refuses any other value ("Unknown CIC type", `si/cic.c`). [`adjust_cic_crc`] changes four
//!    zero bytes of the boot code's unused padding so the CRC becomes CIC-6102's, on a copy of
//!    the ROM: a real console checks the IPL3 with the CIC itself, so the ROM file we ship stays
//!    as packed.
//! 3. **A display**: `-headless` and `-novideo` end at once without output, so cen64 runs in
//!    a private Xvfb server.
//!
//! cen64 prints IS-Viewer text on stdout with `-is-viewer` (`pi/is_viewer.c`: a line is printed
//! once a length write brings a newline). Its own messages also go to stdout; they are told
//! apart by [`CEN64_MESSAGES`]. Debian's build (0.3+git20200723) runs LL, SC and TEQ as no-ops;
//! a newer source in ../shared/third-party/cen64 implements them, so `cargo xtask setup`
//! builds it once into `$HOME/.cache/rspnn/` and [`locate`] prefers it.

use crate::emulator::{spawn_line_readers, watch, RomRun, Stream};
use crate::mips::*;
use crate::process::{describe, stdout_bytes_of, stdout_of};
use crate::Result;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Size of the PIF boot ROM cen64 maps at 0x1FC0_0000 (`PIF_ROM_ADDRESS_LEN`).
pub const PIF_ROM_BYTES: usize = 0x7C0;
/// The CRC-32 of ROM 0x40..0x1000 cen64 takes for a CIC-6102 cartridge (`CRC_NUS_6102`).
pub const CIC_6102_CRC: u32 = 0x90BB_6CB5;
/// The boot code the CIC checks: ROM 0x40..0x1000.
pub const BOOT_CODE: std::ops::Range<usize> = 0x40..0x1000;
/// RDRAM size the PIF program reports at 0x8000_0318: 8 MiB, the Expansion Pak that cen64
/// always emulates (it writes the same value itself for CIC-6102 cartridges, `si/controller.c`).
pub const RDRAM_BYTES: u32 = 0x0080_0000;

/// How long after the ROM's end line the screen is captured.
const SCREENSHOT_DELAY: Duration = Duration::from_millis(500);

/// Lines cen64 itself prints on stdout (everything else there is IS-Viewer text).
const CEN64_MESSAGES: &[&str] = &[
    "Unknown or corrupted",
    "Unknown CIC type",
    "Failed to ",
    "ISViewer debugging output detected",
    "Run cen64 with option",
    "Using ",
    "Detected ",
    "unimplemented",
    "Unimplemented",
];

const PI_BASE_KSEG1_HI: u16 = 0xA460;
/// PI_BSD_DOM1_LAT/PWD/PGS/RLS: the cartridge bus timings (n64brew "Peripheral Interface").
const PI_DOM1_LAT: i16 = 0x14;
const PI_DOM1_PWD: i16 = 0x18;
const PI_DOM1_PGS: i16 = 0x1C;
const PI_DOM1_RLS: i16 = 0x20;
const CART_KSEG1_HI: u16 = 0xB000;
const SP_DMEM_KSEG1_HI: u16 = 0xA400;
/// CP0 Status after the PIF: CU0|CU1 usable, FR=1 (64-bit FPU registers); the value libdragon
/// and mupen64plus's high-level PIF both leave.
const BOOT_STATUS: u32 = 0x3400_0000;
/// CP0 Config after the PIF (big-endian, cached KSEG0, EP/BE fields as on a console).
const BOOT_CONFIG: u32 = 0x0006_E463;
/// Where the IPL3 finds the RDRAM size (the IPL3 of a CIC-6102 console stores it there).
const RDRAM_SIZE_OFFSET: i16 = 0x0318;

/// The PIF boot program's instruction words. It:
/// - sets CP0 Status and Config as the console's PIF leaves them;
/// - configures PI domain 1 from the cartridge header's first word (latency = bits 0..7, pulse
///   width 8..15, page size 16..19, release 20..21), as the console's PIF does;
/// - copies ROM 0x40..0x1000 (the IPL3) to SP DMEM 0x040..0x1000 with word reads of the
///   cartridge;
/// - stores the RDRAM size at 0x8000_0318 (through KSEG1: the caches are not initialised);
/// - sets the boot registers the IPL3 reads: s3 = 0 (cartridge), s4 = 1 (NTSC), s5 = 0 (cold
///   reset), s6 = 0x3F (CIC-6102 seed), s7 = 0 (version), sp = 0xA400_1FF0 (top of IMEM);
/// - jumps to the IPL3 at 0xA400_0040.
pub fn pif_code() -> Vec<u32> {
    let mut code = Vec::new();
    code.extend(load_u32(T4, BOOT_STATUS));
    code.push(mtc0(T4, CP0_STATUS));
    code.extend(load_u32(T4, BOOT_CONFIG));
    code.push(mtc0(T4, CP0_CONFIG));

    code.push(lui(T0, PI_BASE_KSEG1_HI));
    code.push(lui(T1, CART_KSEG1_HI));
    code.push(lw(T2, 0, T1));
    for (shift, mask, register) in [
        (0, 0xFF, PI_DOM1_LAT),
        (8, 0xFF, PI_DOM1_PWD),
        (16, 0x0F, PI_DOM1_PGS),
        (20, 0x03, PI_DOM1_RLS),
    ] {
        code.push(srl(T3, T2, shift));
        code.push(andi(T3, T3, mask));
        code.push(sw(T3, register, T0));
    }

    // t1 = source (cartridge), t2 = destination (DMEM), t3 = end of the destination.
    code.push(ori(T1, T1, BOOT_CODE.start as u16));
    code.push(lui(T2, SP_DMEM_KSEG1_HI));
    code.push(ori(T2, T2, BOOT_CODE.start as u16));
    code.push(lui(T3, SP_DMEM_KSEG1_HI));
    code.push(ori(T3, T3, BOOT_CODE.end as u16));
    code.push(lw(T4, 0, T1));
    code.push(addiu(T1, T1, 4));
    code.push(sw(T4, 0, T2));
    code.push(addiu(T2, T2, 4));
    code.push(bne(T2, T3, -5)); // back to the lw
    code.push(nop());

    code.push(lui(T1, 0xA000));
    code.extend(load_u32(T4, RDRAM_BYTES));
    code.push(sw(T4, RDRAM_SIZE_OFFSET, T1));

    code.push(ori(S3, ZERO, 0));
    code.push(ori(S4, ZERO, 1));
    code.push(ori(S5, ZERO, 0));
    code.push(ori(S6, ZERO, 0x3F));
    code.push(ori(S7, ZERO, 0));
    code.extend(load_u32(SP, 0xA400_1FF0));
    code.extend(load_u32(T9, 0xA400_0000 | BOOT_CODE.start as u32));
    code.push(jr(T9));
    code.push(nop());
    code
}

/// The PIF boot ROM file: [`pif_code`] as big-endian words, zero-padded to 0x7C0 bytes.
pub fn pif_rom() -> Vec<u8> {
    let mut bytes: Vec<u8> = pif_code().iter().flat_map(|w| w.to_be_bytes()).collect();
    bytes.resize(PIF_ROM_BYTES, 0);
    bytes
}

/// Makes the CRC-32 of ROM 0x40..0x1000 equal [`CIC_6102_CRC`] by changing one 32-bit word of
/// zeros in the boot code's padding (the middle of its longest run of zero bytes, so code and
/// data on either side stay as they were). Returns the offset of the changed word.
///
/// CRC-32 is affine over GF(2): crc(x ^ d) = crc(x) ^ L(d) for a linear L. The 32 bits of one
/// word map to 32 vectors L(e_i) that span all 32 bits (a CRC's generator polynomial makes any
/// 32 consecutive bits invertible), so Gaussian elimination finds the bits to flip.
pub fn adjust_cic_crc(rom: &mut [u8]) -> Result<usize> {
    if rom.len() < BOOT_CODE.end {
        return Err(format!(
            "the ROM is {} bytes, shorter than its boot code (ends at {:#x})",
            rom.len(),
            BOOT_CODE.end
        ));
    }
    let crc = |rom: &[u8]| crc32fast::hash(&rom[BOOT_CODE]);
    if crc(rom) == CIC_6102_CRC {
        return Ok(0);
    }
    let at = free_word(&rom[BOOT_CODE])
        .map(|offset| offset + BOOT_CODE.start)
        .ok_or("the boot code (ROM 0x40..0x1000) has no aligned 4 zero bytes to adjust its CRC")?;
    let base = crc(rom);
    // pivots[b]: a combination of flipped bits (`combo`) whose CRC change has its top bit at b.
    let mut pivots: [Option<(u32, u32)>; 32] = [None; 32];
    for bit in 0..32 {
        let flip = 1u32 << bit;
        xor_word(rom, at, flip);
        let mut change = crc(rom) ^ base;
        xor_word(rom, at, flip);
        let mut combo = flip;
        while change != 0 {
            let top = 31 - change.leading_zeros() as usize;
            match pivots[top] {
                Some((pivot_change, pivot_combo)) => {
                    change ^= pivot_change;
                    combo ^= pivot_combo;
                }
                None => {
                    pivots[top] = Some((change, combo));
                    break;
                }
            }
        }
    }
    let mut wanted = base ^ CIC_6102_CRC;
    let mut flips = 0u32;
    while wanted != 0 {
        let top = 31 - wanted.leading_zeros() as usize;
        let (change, combo) = pivots[top].ok_or("the CRC adjustment has no solution")?;
        wanted ^= change;
        flips ^= combo;
    }
    xor_word(rom, at, flips);
    debug_assert_eq!(crc(rom), CIC_6102_CRC);
    Ok(at)
}

fn xor_word(rom: &mut [u8], at: usize, value: u32) {
    for (byte, v) in rom[at..at + 4].iter_mut().zip(value.to_be_bytes()) {
        *byte ^= v;
    }
}

/// The offset of a 4-aligned zero word in the middle of the longest run of zero bytes.
fn free_word(code: &[u8]) -> Option<usize> {
    let (mut best_start, mut best_len) = (0, 0);
    let mut start = None;
    for (i, &byte) in code.iter().chain([1u8].iter()).enumerate() {
        match (byte, start) {
            (0, None) => start = Some(i),
            (0, Some(_)) => {}
            (_, Some(s)) => {
                if i - s > best_len {
                    (best_start, best_len) = (s, i - s);
                }
                start = None;
            }
            (_, None) => {}
        }
    }
    let middle = (best_start + best_len / 2) & !3;
    (best_len >= 12 && middle >= best_start && middle + 4 <= best_start + best_len)
        .then_some(middle)
}

/// What [`run_rom`] does besides collecting IS-Viewer lines.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Print IS-Viewer lines as they arrive.
    pub echo: bool,
    /// When the ROM prints its end line, capture the emulator's window into this PNG file.
    pub screenshot: Option<PathBuf>,
}

/// Runs `rom` in cen64 until it prints a sentinel line or `timeout` passes: the same endings
/// as the mupen64plus runner ([`crate::emulator::Emulator::run`]).
pub fn run_rom(rom: &Path, timeout: Duration, options: &RunOptions) -> Result<RomRun> {
    let cen64 = locate()?;
    let bytes =
        std::fs::read(rom).map_err(|e| format!("cannot read ROM {}: {e}", rom.display()))?;
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rspnn-cen64-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = run_in(&cen64, rom, bytes, &dir, timeout, options);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(
    cen64: &Path,
    rom: &Path,
    mut bytes: Vec<u8>,
    dir: &Path,
    timeout: Duration,
    options: &RunOptions,
) -> Result<RomRun> {
    adjust_cic_crc(&mut bytes).map_err(|e| format!("{}: {e}", rom.display()))?;
    let rom_copy = dir.join("rom.z64");
    let pif = dir.join("pif.bin");
    let write = |path: &Path, data: &[u8]| {
        std::fs::write(path, data).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(&rom_copy, &bytes)?;
    write(&pif, &pif_rom())?;

    let display = Xvfb::start()?;
    let mut cmd = Command::new("stdbuf");
    cmd.arg("-oL")
        .arg(cen64)
        .args(["-is-viewer", "-noaudio"])
        .arg(&pif)
        .arg(&rom_copy)
        .env("DISPLAY", &display.name)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(&cmd)))?;
    let lines = spawn_line_readers(&mut child);
    let outcome = watch(
        lines,
        Instant::now() + timeout,
        options.echo,
        cen64_isviewer_text,
    );
    let screenshot = match (&options.screenshot, &outcome) {
        (Some(png), crate::emulator::Watched::Sentinel(_)) => {
            // The end line comes right after the ROM presented its last frame; cen64 draws it
            // at its next vertical blank.
            std::thread::sleep(SCREENSHOT_DELAY);
            Some(display.capture(png))
        }
        _ => None,
    };
    let _ = child.kill();
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cen64: {e}"))?;
    drop(display);
    let run = outcome.into_result("cen64", rom, timeout, status)?;
    if let Some(captured) = screenshot {
        captured?;
    }
    Ok(run)
}

/// cen64 prints IS-Viewer text as it is, on stdout, beside a few messages of its own.
fn cen64_isviewer_text(stream: Stream, line: &str) -> Option<&str> {
    let own_message = CEN64_MESSAGES.iter().any(|m| line.starts_with(m));
    (stream == Stream::Stdout && !own_message).then_some(line)
}

/// A private X server for one cen64 run; stopped when dropped.
struct Xvfb {
    child: Child,
    name: String,
}

impl Xvfb {
    /// Starts Xvfb on a free display number (`-displayfd`: the server picks it and prints it).
    fn start() -> Result<Self> {
        let mut cmd = Command::new("Xvfb");
        cmd.args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "640x480x24",
            "-nolisten",
            "tcp",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        let mut child = cmd.spawn().map_err(|e| {
            format!("cannot start Xvfb ({e}); `cargo xtask setup` installs the package xvfb")
        })?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        let read = BufReader::new(stdout).read_line(&mut line);
        let number = line.trim();
        if read.is_err() || number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "Xvfb did not report a display number (got {line:?})"
            ));
        }
        Ok(Self {
            name: format!(":{number}"),
            child,
        })
    }

    /// Saves the whole screen as a PNG (`xwd -root`, converted by ImageMagick).
    fn capture(&self, png: &Path) -> Result<()> {
        let xwd = stdout_bytes_of(
            Command::new("xwd").args(["-root", "-silent", "-display", &self.name]),
        )?;
        let mut convert = Command::new("convert");
        convert
            .args(["xwd:-", &format!("png:{}", png.display())])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = convert
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", describe(&convert)))?;
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("piped");
            stdin
                .write_all(&xwd)
                .map_err(|e| format!("writing to convert: {e}"))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| format!("waiting for convert: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "convert failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(())
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where `cargo xtask setup` keeps the cen64 built from ../shared/third-party/cen64: one folder
/// per hash of the source and of [`CEN64_SOURCE_FIXES`], so a changed source or fix builds anew and
/// an unchanged one costs nothing.
pub fn cached_build_dir(source: &Path) -> Result<PathBuf> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&source_hash(source)?.to_be_bytes());
    for fix in CEN64_SOURCE_FIXES {
        hasher.update(fix.find.as_bytes());
        hasher.update(fix.replace.as_bytes());
    }
    Ok(PathBuf::from(home)
        .join(".cache/rspnn")
        .join(format!("cen64-{:08x}", hasher.finalize())))
}

/// One change to cen64's source: `find` must occur exactly `count` times in `file`.
pub struct SourceFix {
    pub file: &'static str,
    pub find: &'static str,
    pub replace: &'static str,
    pub count: usize,
}

/// The fixes applied to the cen64 source from ../shared before it is built, each a console
/// behaviour cen64 gets wrong that libdragon relies on.
///
/// First, the SP DMA's RSP-side address keeps its memory: bit 12 (SP_DMA_SPADDR's IMEM/DMEM select)
/// stays as written and only the 12-bit offset advances and wraps, as on the console. cen64's
/// `rsp/interface.c` instead adds each row's length to the whole 13-bit address, so a transfer of
/// several rows (count > 0) that starts in IMEM carries into DMEM after 4 KiB, then back into
/// IMEM, and so on. libdragon's IPL3 clears RDRAM with exactly such transfers (IMEM, cleared
/// first, as the source of zeros: boot/ipl3.c `rsp_bzero_async`, "the size can be anything up
/// to 1 MiB, since the DMA would just wrap around in IMEM"), so under cen64 every other 4 KiB of
/// RDRAM after 0x408 received a copy of DMEM, which holds the IPL3 itself, instead of zeros.
/// libdragon does not clear .bss (entrypoint.S relies on the IPL3), so whichever .bss variables
/// fell in those blocks started non-zero: docs/libdragon.md "The layout-dependent fault".
/// Then (the last two entries) the RDP command registers keep only their 24 address bits:
/// docs/libdragon.md "rdpq text in cen64".
pub const CEN64_SOURCE_FIXES: &[SourceFix] = &[
    SourceFix {
        file: "rsp/interface.c",
        find: "uint32_t dest_addr = (dest + j) & 0x1FFC;",
        replace: "uint32_t dest_addr = (dest & 0x1000) | ((dest + j) & 0xFFC);",
        count: 1,
    },
    SourceFix {
        file: "rsp/interface.c",
        find: "uint32_t source_addr = (source + j) & 0x1FFC;",
        replace: "uint32_t source_addr = (source & 0x1000) | ((source + j) & 0xFFC);",
        count: 1,
    },
    SourceFix {
        file: "rsp/interface.c",
        find: "rsp->regs[RSP_CP0_REGISTER_DMA_CACHE] += length;",
        replace: "rsp->regs[RSP_CP0_REGISTER_DMA_CACHE] = \
                  (rsp->regs[RSP_CP0_REGISTER_DMA_CACHE] & 0x1000) | \
                  ((rsp->regs[RSP_CP0_REGISTER_DMA_CACHE] + length) & 0xFFF);",
        count: 2,
    },
    // The RDP's command-buffer registers hold 24-bit RDRAM addresses (DP_START/DP_END: bits
    // 23..0; the RDP ignores the rest). rspq's RSPQCmd_RdpSetBuffer and RSPQCmd_RdpAppendBuffer
    // (libdragon's rsp_queue.inc) move the first word of their command, command id 0x0A or 0x0B
    // in bits 31..24, straight into DP_START/DP_END, relying on that. cen64 kept the whole word,
    // so DP_END = 0x0A0A9320 made rdp_process_list read ~160 MB "to the end": the RDP ran the
    // rest of an rspq block's RDP buffer at once, NOPs where the RSP had not yet written its
    // fixups (SET_TEXTURE_IMAGE among them), so the next LOAD_TLUT saw cen64's initial 4-bit
    // texture image, angrylion's "RDP crashed" state stopped all RDP work, and the SYNC_FULL
    // interrupt never came. libdragon's built-in font records its atlas upload as such a block,
    // hence "rdpq text never finished a frame" (docs/libdragon.md).
    SourceFix {
        file: "rdp/interface.c",
        find: "rdp->regs[DPC_CURRENT_REG] = word;\n      rdp->regs[DPC_START_REG] = word;",
        replace: "rdp->regs[DPC_CURRENT_REG] = word & 0xFFFFFF;\n      \
                  rdp->regs[DPC_START_REG] = word & 0xFFFFFF;",
        count: 1,
    },
    SourceFix {
        file: "rdp/interface.c",
        find: "rdp->regs[DPC_END_REG] = word;",
        replace: "rdp->regs[DPC_END_REG] = word & 0xFFFFFF;",
        count: 1,
    },
];

/// Applies `fixes` to the text of `file`; an expected text that is missing (a changed cen64
/// source) is an error naming it, never a silently unfixed emulator.
pub fn apply_fixes(file: &str, text: &str, fixes: &[SourceFix]) -> Result<String> {
    let mut text = text.to_string();
    for fix in fixes.iter().filter(|fix| fix.file == file) {
        let found = text.matches(fix.find).count();
        if found != fix.count {
            return Err(format!(
                "cen64's {file}: expected {} occurrence(s) of `{}`, found {found}; the cen64 \
                 source changed, so its SP DMA and DP register fixes (xtask/src/cen64.rs \
                 CEN64_SOURCE_FIXES) must be redone",
                fix.count, fix.find
            ));
        }
        text = text.replace(fix.find, fix.replace);
    }
    Ok(text)
}

/// Copies the cen64 source tree to `to` with [`CEN64_SOURCE_FIXES`] applied.
fn copy_fixed_source(source: &Path, to: &Path) -> Result<()> {
    let status = Command::new("cp")
        .arg("-r")
        .arg(source)
        .arg(to)
        .status()
        .map_err(|e| format!("cannot run cp: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cp -r {} {} failed ({status})",
            source.display(),
            to.display()
        ));
    }
    let mut files: Vec<&str> = CEN64_SOURCE_FIXES.iter().map(|fix| fix.file).collect();
    files.dedup();
    for file in files {
        let path = to.join(file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let fixed = apply_fixes(file, &text, CEN64_SOURCE_FIXES)?;
        std::fs::write(&path, fixed)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The cen64 source in the team's shared folder, if it is there.
pub fn shared_source() -> Option<PathBuf> {
    let dir = shared_fixtures::shared_dir().join("third-party/cen64");
    dir.join("CMakeLists.txt").is_file().then_some(dir)
}

/// CRC-32 over the relative path and contents of every file of the source tree, in path order.
fn source_hash(source: &Path) -> Result<u32> {
    let mut files = Vec::new();
    let mut pending = vec![source.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hasher = crc32fast::Hasher::new();
    for file in files {
        let relative = file.strip_prefix(source).unwrap_or(&file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(
            &std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?,
        );
    }
    Ok(hasher.finalize())
}

/// Builds the shared cen64 source, with [`CEN64_SOURCE_FIXES`] applied to a copy of it, into its
/// cache folder unless it is there already (about a minute on 2 cores, with cmake and the -dev
/// packages of `APT_PACKAGES`). Returns the binary, or None when ../shared has no cen64 source.
pub fn ensure_built() -> Result<Option<PathBuf>> {
    let Some(source) = shared_source() else {
        return Ok(None);
    };
    let dir = cached_build_dir(&source)?;
    let binary = dir.join("cen64");
    if binary.is_file() {
        return Ok(Some(binary));
    }
    eprintln!(
        "setup: building cen64 from {} into {}",
        source.display(),
        dir.display()
    );
    // Per process, so that two builds at once (two engineers' runs) cannot mix their files;
    // the binary is renamed into place, which is atomic.
    let build = dir.join(format!("build-{}", std::process::id()));
    let fixed_source = dir.join(format!("source-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&build);
    let _ = std::fs::remove_dir_all(&fixed_source);
    std::fs::create_dir_all(&build)
        .map_err(|e| format!("cannot create {}: {e}", build.display()))?;
    copy_fixed_source(&source, &fixed_source)?;
    // The compiler's warnings about cen64's code would bury setup's own lines: they go to a
    // log, shown when the build fails.
    let log_path = dir.join("build.log");
    let log = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot write {}: {e}", log_path.display()))
    };
    let configure_and_build = [
        vec![
            "-S".into(),
            fixed_source.clone().into_os_string(),
            "-B".into(),
            build.clone().into_os_string(),
            "-DCMAKE_BUILD_TYPE=Release".into(),
        ],
        vec![
            "--build".into(),
            build.clone().into_os_string(),
            "--parallel".into(),
            "2".into(),
        ],
    ];
    for args in configure_and_build {
        let mut cmake = Command::new("cmake");
        cmake.args(&args).stdout(log()?).stderr(log()?);
        if let Err(e) = crate::process::run(&mut cmake) {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "{e} (is cmake installed? `cargo xtask setup` installs it); last lines of {}:\n{}",
                log_path.display(),
                tail.join("\n")
            ));
        }
    }
    let staged = dir.join(format!("cen64-{}", std::process::id()));
    std::fs::copy(build.join("cen64"), &staged)
        .and_then(|_| std::fs::rename(&staged, &binary))
        .map_err(|e| format!("cannot copy the built cen64 into {}: {e}", dir.display()))?;
    let _ = std::fs::remove_dir_all(&build);
    let _ = std::fs::remove_dir_all(&fixed_source);
    Ok(Some(binary))
}

/// The cen64 to run: `$RSPNN_CEN64` when set, else the one built from ../shared (built here if
/// `cargo xtask setup` has not yet), else Debian's package (which has cen64's SP DMA bug and
/// runs TEQ, LL and SC as no-ops: libdragon programs fail there).
pub fn locate() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("RSPNN_CEN64") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("RSPNN_CEN64={} is not a file", path.display()))
        };
    }
    // Built on first use too (not only by `cargo xtask setup`): a cache folder from before a
    // change of CEN64_SOURCE_FIXES must not leave the runs on Debian's cen64 without a word.
    if let Some(built) = ensure_built()? {
        return Ok(built);
    }
    let files = stdout_of(Command::new("dpkg-query").args(["-L", "cen64"])).map_err(|e| {
        format!("{e} (no cen64: `cargo xtask setup` installs Debian's package `cen64`)")
    })?;
    files
        .lines()
        .find(|line| line.ends_with("bin/cen64") && Path::new(line).is_file())
        .map(PathBuf::from)
        .ok_or_else(|| "the package cen64 has no bin/cen64".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assemble, run_tool, tool_present, Scratch, ASSEMBLER};

    /// The cen64 source in ../shared; `None` (the test skips) where it is absent, a failure
    /// under CI.
    fn shared_source_or_skip() -> Option<PathBuf> {
        let source = shared_source();
        if source.is_none() {
            assert!(
                !shared_fixtures::under_ci(),
                "../shared/third-party/cen64 is missing under CI"
            );
            eprintln!("SKIPPED: no ../shared/third-party/cen64");
        }
        source
    }

    #[test]
    fn the_sp_dma_fix_applies_to_the_shared_cen64_source_and_keeps_the_memory_bit() {
        let Some(source) = shared_source_or_skip() else {
            return;
        };
        let file = "rsp/interface.c";
        let text = std::fs::read_to_string(source.join(file)).unwrap();
        let fixed = apply_fixes(file, &text, CEN64_SOURCE_FIXES).unwrap();
        // Nothing of the wrapping arithmetic is left, and every row keeps bit 12.
        assert!(!fixed.contains("(dest + j) & 0x1FFC"));
        assert!(!fixed.contains("(source + j) & 0x1FFC"));
        assert_eq!(
            fixed
                .matches("(dest & 0x1000) | ((dest + j) & 0xFFC)")
                .count(),
            1
        );
        assert_eq!(
            fixed
                .matches("(source & 0x1000) | ((source + j) & 0xFFC)")
                .count(),
            1
        );
        assert_eq!(fixed.matches("& 0x1000) |").count(), 4);
        assert_eq!(fixed.matches("DMA_CACHE] += length").count(), 0);
    }

    #[test]
    fn the_dp_register_fix_applies_to_the_shared_cen64_source_and_keeps_24_bits() {
        let Some(source) = shared_source_or_skip() else {
            return;
        };
        let file = "rdp/interface.c";
        let text = std::fs::read_to_string(source.join(file)).unwrap();
        let fixed = apply_fixes(file, &text, CEN64_SOURCE_FIXES).unwrap();
        // START, CURRENT (set with START) and END keep only the RDRAM address.
        assert_eq!(fixed.matches("= word & 0xFFFFFF;").count(), 3, "{fixed}");
        assert!(!fixed.contains("rdp->regs[DPC_END_REG] = word;"));
        assert!(!fixed.contains("rdp->regs[DPC_START_REG] = word;"));
    }

    #[test]
    fn a_cen64_source_without_the_expected_text_is_refused_by_name() {
        let err = apply_fixes(
            "rsp/interface.c",
            "int main(void) { return 0; }",
            CEN64_SOURCE_FIXES,
        )
        .unwrap_err();
        assert!(err.contains("rsp/interface.c"), "{err}");
        assert!(err.contains("found 0"), "{err}");
        assert!(err.contains("CEN64_SOURCE_FIXES"), "{err}");
    }

    #[test]
    fn the_crc_adjustment_reaches_cic_6102_and_changes_one_padding_word() {
        let mut rom = vec![0u8; 0x2000];
        // Some "code" at the start of the boot area and behind it.
        for (i, byte) in rom[0x40..0x200].iter_mut().enumerate() {
            *byte = (i * 7 + 3) as u8;
        }
        rom[0x1000..].fill(0x55);
        let before = rom.clone();
        let at = adjust_cic_crc(&mut rom).unwrap();
        assert_eq!(crc32fast::hash(&rom[BOOT_CODE]), CIC_6102_CRC);
        assert_eq!(at % 4, 0);
        assert!((0x200..0xFFC).contains(&at), "changed {at:#x}");
        let changed: Vec<usize> = (0..rom.len()).filter(|&i| rom[i] != before[i]).collect();
        assert!(!changed.is_empty() && changed.iter().all(|&i| (at..at + 4).contains(&i)));
        // Already right: nothing to change.
        assert_eq!(adjust_cic_crc(&mut rom).unwrap(), 0);
    }

    #[test]
    fn a_boot_area_without_free_bytes_is_an_error() {
        let mut rom: Vec<u8> = (0..0x1000).map(|i| (i % 251) as u8 | 1).collect();
        let error = adjust_cic_crc(&mut rom).unwrap_err();
        assert!(error.contains("no aligned 4 zero bytes"), "{error}");
        let error = adjust_cic_crc(&mut [0u8; 0x800]).unwrap_err();
        assert!(error.contains("shorter than its boot code"), "{error}");
    }

    /// The same program as GNU assembler source, written independently of the encoder.
    const GNU_SOURCE: &str = "
        .set noreorder
        .set noat
        lui   $t4, 0x3400
        ori   $t4, $t4, 0
        mtc0  $t4, $12
        lui   $t4, 0x0006
        ori   $t4, $t4, 0xE463
        mtc0  $t4, $16
        lui   $t0, 0xA460
        lui   $t1, 0xB000
        lw    $t2, 0($t1)
        .macro pi_field shift, mask, reg
        srl   $t3, $t2, \\shift
        andi  $t3, $t3, \\mask
        sw    $t3, \\reg($t0)
        .endm
        pi_field 0, 0xFF, 0x14
        pi_field 8, 0xFF, 0x18
        pi_field 16, 0x0F, 0x1C
        pi_field 20, 0x03, 0x20
        ori   $t1, $t1, 0x40
        lui   $t2, 0xA400
        ori   $t2, $t2, 0x40
        lui   $t3, 0xA400
        ori   $t3, $t3, 0x1000
    1:  lw    $t4, 0($t1)
        addiu $t1, $t1, 4
        sw    $t4, 0($t2)
        addiu $t2, $t2, 4
        bne   $t2, $t3, 1b
        nop
        lui   $t1, 0xA000
        lui   $t4, 0x0080
        ori   $t4, $t4, 0
        sw    $t4, 0x318($t1)
        ori   $s3, $zero, 0
        ori   $s4, $zero, 1
        ori   $s5, $zero, 0
        ori   $s6, $zero, 0x3F
        ori   $s7, $zero, 0
        lui   $sp, 0xA400
        ori   $sp, $sp, 0x1FF0
        lui   $t9, 0xA400
        ori   $t9, $t9, 0x40
        jr    $t9
        nop
    ";

    #[test]
    fn gnu_as_assembles_the_same_pif_program() {
        if !tool_present(ASSEMBLER) {
            return;
        }
        let scratch = Scratch::new("pif");
        let object = assemble(&scratch, GNU_SOURCE);
        let binary = scratch.file("pif.bin");
        run_tool(
            Command::new("mips-linux-gnu-objcopy")
                .args(["-O", "binary", "--only-section=.text"])
                .arg(&object)
                .arg(&binary),
        );
        let gnu = std::fs::read(&binary).unwrap();
        let ours: Vec<u8> = pif_code().iter().flat_map(|w| w.to_be_bytes()).collect();
        assert_eq!(gnu.len(), ours.len().div_ceil(16) * 16);
        for (index, (a, b)) in ours.chunks(4).zip(gnu.chunks(4)).enumerate() {
            assert_eq!(a, b, "instruction {index} differs");
        }
        assert_eq!(
            pif_code().len(),
            47,
            "README.md gives the PIF program's size"
        );
        let rom = pif_rom();
        assert_eq!(rom.len(), PIF_ROM_BYTES);
        assert_eq!(rom[..ours.len()], ours[..]);
    }

    #[test]
    fn only_isviewer_text_counts_as_rom_output() {
        assert_eq!(
            cen64_isviewer_text(Stream::Stdout, "q4dot.result=1"),
            Some("q4dot.result=1")
        );
        assert_eq!(
            cen64_isviewer_text(Stream::Stdout, "Unknown or corrupted PIFROM: x"),
            None
        );
        assert_eq!(cen64_isviewer_text(Stream::Stderr, "q4dot.result=1"), None);
    }
}
