//! Text output through the IS-Viewer debug port (emulators print it; some flashcarts too).
//!
//! Protocol (mupen64plus-core `src/device/cart/is_viewer.c`, n64brew "IS-Viewer 64"): the text
//! goes into the buffer at cartridge address 0x13FF_0020 as big-endian 32-bit words, then writing
//! the byte count to 0x13FF_0014 prints it. mupen64plus prints the text as `IS64: <line>`.
//!
//! Two details of mupen64plus shape the writer:
//! - it stores every write as a whole word (a byte store would zero the other three bytes), so
//!   bytes are packed into words here and only whole words are written;
//! - the Debian build (2.5.9+341, commit f82b37bf) prints up to the first newline of the text
//!   accumulated so far and drops everything after it, so the writer flushes right after every
//!   `\n`: one line per length write. Text without a newline is flushed in chunks of at most
//!   [`CHUNK_BYTES`] and accumulates there until its newline (up to 4 KiB per line).

use core::fmt;

/// Offset of the text buffer in the IS-Viewer window.
pub const BUFFER_OFFSET: u32 = 0x20;
/// Most bytes sent in one length write. mupen64plus maps a 4 KiB window (0xFE0 bytes of buffer);
/// cen64's IS-Viewer buffer holds 0x200 bytes (../shared/RSP-FACTS.md "Emulators": keep each
/// write under 480 bytes), so 448.
pub const CHUNK_BYTES: usize = 448;

/// Where the words and lengths go: the real port on the N64, a recorder in tests.
pub trait IsViewerPort {
    /// Stores one big-endian word at `offset` in the IS-Viewer window.
    fn write_word(&mut self, offset: u32, word: u32);
    /// Prints `len` bytes from the buffer.
    fn write_length(&mut self, len: u32);
}

/// Packs text into IS-Viewer words and flushes it line by line.
pub struct IsViewer<P: IsViewerPort> {
    port: P,
    /// The word being filled (bytes enter from the most significant end: big-endian).
    pending_word: u32,
    /// Bytes written into the buffer since the last flush.
    len: usize,
}

impl<P: IsViewerPort> IsViewer<P> {
    pub const fn new(port: P) -> Self {
        Self {
            port,
            pending_word: 0,
            len: 0,
        }
    }

    /// Adds bytes; flushes after each newline and whenever a chunk is full.
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            let shift = 24 - 8 * (self.len % 4) as u32;
            self.pending_word |= u32::from(byte) << shift;
            self.len += 1;
            if self.len % 4 == 0 {
                self.store_pending_word();
            }
            if byte == b'\n' || self.len == CHUNK_BYTES {
                self.flush();
            }
        }
    }

    /// Sends whatever is buffered (a partial last word included).
    pub fn flush(&mut self) {
        if self.len % 4 != 0 {
            self.store_pending_word();
        }
        if self.len > 0 {
            self.port.write_length(self.len as u32);
        }
        self.len = 0;
        self.pending_word = 0;
    }

    /// Gives the port back (tests read what was recorded).
    pub fn into_port(self) -> P {
        self.port
    }

    fn store_pending_word(&mut self) {
        let word_start = (self.len - 1) & !3;
        self.port
            .write_word(BUFFER_OFFSET + word_start as u32, self.pending_word);
        self.pending_word = 0;
    }
}

impl<P: IsViewerPort> fmt::Write for IsViewer<P> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.write_bytes(text.as_bytes());
        Ok(())
    }
}

/// The IS-Viewer on the cartridge bus of a real or emulated N64.
#[cfg(target_arch = "mips")]
pub struct CartPort;

#[cfg(target_arch = "mips")]
impl IsViewerPort for CartPort {
    fn write_word(&mut self, offset: u32, word: u32) {
        write_cart_word(crate::regs::ISVIEWER_BASE + offset, word);
    }

    fn write_length(&mut self, len: u32) {
        write_cart_word(crate::regs::ISVIEWER_LENGTH, len);
    }
}

/// A CPU write on the cartridge bus. It must wait until the PI is idle: a write while a DMA or
/// another access is running is lost (n64brew "Peripheral Interface"; libdragon waits the same
/// way before every cartridge I/O access).
#[cfg(target_arch = "mips")]
fn write_cart_word(physical_addr: u32, word: u32) {
    use crate::addr::uncached;
    use crate::regs::{PI_STATUS, PI_STATUS_DMA_BUSY, PI_STATUS_IO_BUSY};
    let status = uncached(PI_STATUS) as usize as *const u32;
    // SAFETY: PI_STATUS and the IS-Viewer window are device registers in KSEG1, always mapped.
    unsafe {
        while core::ptr::read_volatile(status) & (PI_STATUS_DMA_BUSY | PI_STATUS_IO_BUSY) != 0 {}
        core::ptr::write_volatile(uncached(physical_addr) as usize as *mut u32, word);
    }
}

/// Used by [`print!`](crate::print) and [`println!`](crate::println).
#[cfg(target_arch = "mips")]
#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    let mut viewer = IsViewer::new(CartPort);
    // Writing to the port cannot fail; only a user Display impl can return an error, and then
    // the text printed so far is still worth having.
    let _ = fmt::Write::write_fmt(&mut viewer, args);
    viewer.flush();
}

/// Prints to the IS-Viewer, like `std::print!`.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::isviewer::_print(format_args!($($arg)*)) };
}

/// Prints a line to the IS-Viewer, like `std::println!`.
#[macro_export]
macro_rules! println {
    () => { $crate::isviewer::_print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::isviewer::_print(format_args!("{}\n", format_args!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::fmt::Write;
    use std::string::String;
    use std::vec::Vec;

    /// A model of mupen64plus's IS-Viewer at the Debian version (is_viewer.c, f82b37bf), written
    /// from its description in the module docs: a 4 KiB window of words; a length write appends
    /// that many buffer bytes to the output and, if a newline is in it, prints up to the first
    /// newline and drops the rest.
    struct MupenModel {
        window: [u8; 0x1000],
        output: Vec<u8>,
        lines: Vec<String>,
        writes: usize,
    }

    impl MupenModel {
        fn new() -> Self {
            Self {
                window: [0; 0x1000],
                output: Vec::new(),
                lines: Vec::new(),
                writes: 0,
            }
        }
    }

    impl IsViewerPort for MupenModel {
        fn write_word(&mut self, offset: u32, word: u32) {
            assert_eq!(offset % 4, 0, "unaligned word write at {offset:#x}");
            assert!(
                offset >= BUFFER_OFFSET && offset + 4 <= 0x1000,
                "write outside the buffer"
            );
            self.window[offset as usize..offset as usize + 4].copy_from_slice(&word.to_be_bytes());
            self.writes += 1;
        }

        fn write_length(&mut self, len: u32) {
            let start = BUFFER_OFFSET as usize;
            self.output
                .extend_from_slice(&self.window[start..start + len as usize]);
            if let Some(newline) = self.output.iter().position(|&b| b == b'\n') {
                self.lines
                    .push(String::from_utf8(self.output[..newline].to_vec()).unwrap());
                self.output.clear();
            }
        }
    }

    fn printed(text: &str) -> MupenModel {
        let mut viewer = IsViewer::new(MupenModel::new());
        viewer.write_str(text).unwrap();
        viewer.flush();
        viewer.into_port()
    }

    #[test]
    fn several_lines_in_one_write_all_come_out() {
        let model = printed("first line\nsecond\n\nlast, no newline yet");
        assert_eq!(model.lines, ["first line", "second", ""]);
        // The unterminated tail waits in the emulator's buffer for its newline.
        assert_eq!(model.output, b"last, no newline yet");
    }

    #[test]
    fn words_are_big_endian_and_only_whole_words_are_written() {
        let model = printed("ABCDEFG\n");
        // "ABCD" then "EFG\n": two word writes, the bytes in address order.
        assert_eq!(model.writes, 2);
        assert_eq!(&model.window[0x20..0x28], b"ABCDEFG\n");
    }

    #[test]
    fn a_line_longer_than_a_chunk_arrives_whole() {
        let long: String = (0..1500)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let mut text = long.clone();
        text.push('\n');
        text.push_str("after\n");
        let model = printed(&text);
        assert_eq!(model.lines, [long, String::from("after")]);
    }

    #[test]
    fn formatting_goes_through_core_fmt() {
        let mut viewer = IsViewer::new(MupenModel::new());
        writeln!(
            viewer,
            "q4dot.result={} ticks={:#x}",
            -123_456i32, 0xBEEFu32
        )
        .unwrap();
        assert_eq!(
            viewer.into_port().lines,
            ["q4dot.result=-123456 ticks=0xbeef"]
        );
    }
}
