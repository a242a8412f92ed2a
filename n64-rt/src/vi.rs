//! The screen: the VI scanning out a 320x240 RGBA5551 framebuffer, double-buffered, with a
//! [`TextScreen`] drawn into it and every printed line mirrored to the IS-Viewer.
//!
//! VI registers and the NTSC 320x240 progressive values (n64brew "Video Interface"; the same
//! numbers libdragon's `vi.h` and every homebrew SDK use): CTRL type 2 (16-bit) with AA mode 3
//! (pixels replicated, no resampling: cen64 then scales with nearest filtering,
//! `vi/render.c`) and pixel advance 3; H_VIDEO 108..748 (640 dots) with X_SCALE 0x200 (320
//! pixels over them), V_VIDEO 37..511 half-lines with Y_SCALE 0x400 (one pixel per line).
//!
//! Double buffering: the ROM draws into the back buffer through the data cache, writes the
//! cache back, waits for the vertical blank and points VI_ORIGIN at it (the VI latches ORIGIN
//! once per field, so a flip in the blank never tears).

use crate::addr::{physical, uncached};
use crate::text::{TextScreen, HEIGHT, RED, WIDTH};

const VI_BASE: u32 = 0x0440_0000;
const VI_CTRL: u32 = VI_BASE;
const VI_ORIGIN: u32 = VI_BASE + 0x04;
const VI_V_CURRENT: u32 = VI_BASE + 0x10;

/// RGBA5551 (type 2) | AA mode 3 (replicate, no interpolation) | pixel advance 3.
pub const CTRL_320X240_16BIT: u32 = 0x0000_3302;
/// VI registers 0x08..0x34 in order: WIDTH, V_INTR, V_CURRENT, BURST, V_SYNC, H_SYNC,
/// H_SYNC_LEAP, H_VIDEO, V_VIDEO, V_BURST, X_SCALE, Y_SCALE (NTSC, progressive).
const NTSC_TIMING: [u32; 12] = [
    WIDTH as u32,
    0x0000_0002,
    0,
    0x03E5_2239,
    0x0000_020D,
    0x0000_0C15,
    0x0C15_0C15,
    0x006C_02EC,
    0x0025_01FF,
    0x000E_0204,
    0x0000_0200,
    0x0000_0400,
];
/// Active video, in half-lines of VI_V_CURRENT (V_VIDEO start and end).
const ACTIVE_START: u32 = 0x25;
const ACTIVE_END: u32 = 0x1FF;

const PIXELS: usize = WIDTH * HEIGHT;

#[repr(C, align(64))]
struct Framebuffers([[u16; PIXELS]; 2]);

/// The two framebuffers (.bss, 300 KiB). Only [`Screen`] and the panic handler touch them.
static mut FRAMEBUFFERS: Framebuffers = Framebuffers([[0; PIXELS]; 2]);
/// Which framebuffer the VI shows, or `usize::MAX` before [`Screen::init`].
static mut FRONT: usize = usize::MAX;

fn write_reg(physical_addr: u32, value: u32) {
    // SAFETY: VI registers are device registers in KSEG1, always mapped.
    unsafe { core::ptr::write_volatile(uncached(physical_addr) as usize as *mut u32, value) }
}

fn read_reg(physical_addr: u32) -> u32 {
    // SAFETY: as in write_reg.
    unsafe { core::ptr::read_volatile(uncached(physical_addr) as usize as *const u32) }
}

fn framebuffer(index: usize) -> &'static mut [u16; PIXELS] {
    // SAFETY: index < 2; the ROM is single-threaded with interrupts off, and callers hold the
    // only reference for the duration of a draw.
    unsafe { &mut (*core::ptr::addr_of_mut!(FRAMEBUFFERS)).0[index] }
}

fn show(index: usize) {
    let buffer = framebuffer(index);
    crate::cache::data_writeback(buffer.as_ptr() as *const u8, PIXELS * 2);
    write_reg(VI_ORIGIN, physical(buffer.as_ptr() as usize as u32));
    // SAFETY: single-threaded, see `framebuffer`.
    unsafe { FRONT = index };
}

/// Waits for the start of the next vertical blank (so it paces a loop at 60 frames per second
/// on NTSC).
pub fn wait_vblank() {
    let in_active = || (ACTIVE_START..ACTIVE_END).contains(&(read_reg(VI_V_CURRENT) & 0x3FF));
    while !in_active() {}
    while in_active() {}
}

/// The text console on the TV.
pub struct Screen {
    pub text: TextScreen,
    back: usize,
}

impl Screen {
    /// Programs the VI for 320x240 16-bit and shows a blank screen.
    pub fn init() -> Self {
        let blank = TextScreen::new();
        blank.render(framebuffer(0));
        blank.render(framebuffer(1));
        show(0);
        for (i, value) in NTSC_TIMING.iter().enumerate() {
            write_reg(VI_BASE + 0x08 + 4 * i as u32, *value);
        }
        write_reg(VI_CTRL, CTRL_320X240_16BIT);
        Self {
            text: blank,
            back: 1,
        }
    }

    /// Draws the text into the back buffer and shows it at the next vertical blank.
    pub fn present(&mut self) {
        self.text.render(framebuffer(self.back));
        wait_vblank();
        show(self.back);
        self.back ^= 1;
    }

    /// Prints a line on the screen (at the cursor) and on the IS-Viewer.
    pub fn println(&mut self, args: core::fmt::Arguments) {
        let _ = core::fmt::Write::write_fmt(&mut self.text, args);
        self.text.write_bytes(b"\n");
        crate::println!("{}", args);
    }
}

/// Called by the panic handler: when a screen is up, draws `message` in red on the buffer the
/// VI shows, so a person sees why the ROM stopped.
pub fn show_panic(message: &dyn core::fmt::Display) {
    // SAFETY: single-threaded; the panic handler runs instead of the ROM.
    let front = unsafe { FRONT };
    if front > 1 {
        return;
    }
    let mut text = TextScreen::new();
    text.ink = RED;
    let _ = core::fmt::write(&mut text, format_args!("PANIC\n{message}\n"));
    text.render(framebuffer(front));
    show(front);
}
