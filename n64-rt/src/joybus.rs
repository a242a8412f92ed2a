//! Controller 1 through the PIF (joybus), read once per frame.
//!
//! The CPU talks to the PIF through a 64-byte block in PIF RAM (physical 0x1FC0_07C0), moved by
//! SI DMA (n64brew "PIF-NUS", "Joybus Protocol", "Serial Interface"). A block holds one
//! command per channel, starting at channel 0 (controller 1): tx length, rx length, the
//! command byte, then room for the reply; 0xFE ends the commands, and byte 63 = 1 makes the
//! PIF run them. Command 0x01 (read buttons) answers 4 bytes: buttons (16 bits, A in the top
//! bit), stick X, stick Y (signed). An empty port sets bit 7 of the rx byte ("no response").
//!
//! Building and reading the block is pure code, tested on the host; only the SI transfer
//! needs the console.

/// PIF RAM block size.
pub const BLOCK_BYTES: usize = 64;

/// Buttons, as the bits of the first two reply bytes (n64brew "Joybus Protocol").
pub mod button {
    pub const A: u16 = 0x8000;
    pub const B: u16 = 0x4000;
    pub const Z: u16 = 0x2000;
    pub const START: u16 = 0x1000;
    pub const UP: u16 = 0x0800;
    pub const DOWN: u16 = 0x0400;
    pub const LEFT: u16 = 0x0200;
    pub const RIGHT: u16 = 0x0100;
    pub const L: u16 = 0x0020;
    pub const R: u16 = 0x0010;
    pub const C_UP: u16 = 0x0008;
    pub const C_DOWN: u16 = 0x0004;
    pub const C_LEFT: u16 = 0x0002;
    pub const C_RIGHT: u16 = 0x0001;
}

/// What controller 1 reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pad {
    pub buttons: u16,
    pub stick_x: i8,
    pub stick_y: i8,
}

impl Pad {
    /// Buttons down now that were up in `before`.
    pub fn pressed_since(&self, before: &Pad) -> u16 {
        self.buttons & !before.buttons
    }
}

const READ_BUTTONS: u8 = 0x01;
const END_OF_COMMANDS: u8 = 0xFE;
/// Byte 63: run the joybus commands.
const CONTROL_RUN: u8 = 0x01;
const NO_RESPONSE: u8 = 0x80;

/// The block that reads controller 1's buttons and stick.
pub fn read_request() -> [u8; BLOCK_BYTES] {
    let mut block = [0u8; BLOCK_BYTES];
    // tx 1 byte, rx 4 bytes, the command, 4 reply bytes (0xFF until the PIF writes them).
    block[..8].copy_from_slice(&[0x01, 0x04, READ_BUTTONS, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    block[7] = END_OF_COMMANDS;
    block[BLOCK_BYTES - 1] = CONTROL_RUN;
    block
}

/// Controller 1's state from the block the PIF wrote back; None when no controller answered.
pub fn parse_reply(block: &[u8; BLOCK_BYTES]) -> Option<Pad> {
    if block[1] & NO_RESPONSE != 0 || block[1] & 0x3F != 4 {
        return None;
    }
    Some(Pad {
        buttons: u16::from_be_bytes([block[3], block[4]]),
        stick_x: block[5] as i8,
        stick_y: block[6] as i8,
    })
}

#[cfg(target_arch = "mips")]
mod si {
    use super::*;
    use crate::addr::{physical, uncached};
    use crate::cache::CacheAligned;

    const SI_DRAM_ADDR: u32 = 0x0480_0000;
    const SI_PIF_ADDR_RD64B: u32 = 0x0480_0004;
    const SI_PIF_ADDR_WR64B: u32 = 0x0480_0010;
    const SI_STATUS: u32 = 0x0480_0018;
    /// SI_STATUS: DMA busy | IO busy.
    const SI_BUSY: u32 = 0x3;
    const PIF_RAM: u32 = 0x1FC0_07C0;

    fn reg(addr: u32) -> *mut u32 {
        uncached(addr) as usize as *mut u32
    }

    fn wait_idle() {
        // SAFETY: SI registers are device registers in KSEG1.
        unsafe { while core::ptr::read_volatile(reg(SI_STATUS)) & SI_BUSY != 0 {} }
    }

    /// Sends `block` to PIF RAM, lets the PIF run it, and reads the block back.
    pub fn exchange(block: &[u8; BLOCK_BYTES]) -> [u8; BLOCK_BYTES] {
        let mut buf = CacheAligned(*block);
        let at = physical(buf.0.as_ptr() as usize as u32);
        crate::cache::data_writeback(buf.0.as_ptr(), BLOCK_BYTES);
        wait_idle();
        // SAFETY: as in wait_idle; the buffer is cache-line aligned and written back.
        unsafe {
            core::ptr::write_volatile(reg(SI_DRAM_ADDR), at);
            core::ptr::write_volatile(reg(SI_PIF_ADDR_WR64B), PIF_RAM);
        }
        wait_idle();
        crate::cache::data_invalidate(buf.0.as_ptr(), BLOCK_BYTES);
        // SAFETY: as above.
        unsafe {
            core::ptr::write_volatile(reg(SI_DRAM_ADDR), at);
            core::ptr::write_volatile(reg(SI_PIF_ADDR_RD64B), PIF_RAM);
        }
        wait_idle();
        // Acknowledge the SI interrupt (any write to SI_STATUS).
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(reg(SI_STATUS), 0) };
        crate::cache::data_invalidate(buf.0.as_ptr(), BLOCK_BYTES);
        // SAFETY: the DMA wrote the buffer; reading through KSEG1 sees RDRAM as it is.
        unsafe { core::ptr::read_volatile(crate::addr::uncached_ptr(&mut buf.0)) }
    }
}

/// Reads controller 1 (None: no controller in port 1).
#[cfg(target_arch = "mips")]
pub fn read_pad() -> Option<Pad> {
    parse_reply(&si::exchange(&read_request()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_reads_channel_0_and_runs() {
        let block = read_request();
        assert_eq!(block[..8], [0x01, 0x04, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]);
        assert!(block[8..63].iter().all(|&b| b == 0));
        assert_eq!(block[63], 0x01);
    }

    #[test]
    fn replies_give_buttons_and_stick_or_nothing() {
        let mut reply = read_request();
        reply[3..7].copy_from_slice(&[0x84, 0x00, 0x50, 0xB0]); // A + d-pad down, x 80, y -80
        let pad = parse_reply(&reply).unwrap();
        assert_eq!(pad.buttons, button::A | button::DOWN);
        assert_eq!((pad.stick_x, pad.stick_y), (80, -80));
        let before = Pad {
            buttons: button::A,
            ..Pad::default()
        };
        assert_eq!(pad.pressed_since(&before), button::DOWN);
        // No controller: the PIF sets bit 7 of the rx byte.
        reply[1] = 0x84;
        assert_eq!(parse_reply(&reply), None);
    }
}
