//! Physical addresses and bits of the hardware registers the runtime uses.
//!
//! Sources: n64brew "Peripheral Interface", "RSP Interface"; mupen64plus-core
//! `src/device/rcp/pi/pi_controller.h`, `src/device/device.h` (IS-Viewer mapping). Access them
//! through KSEG1 ([`crate::addr::uncached`]).

/// PI (cartridge bus) register block.
pub const PI_BASE: u32 = 0x0460_0000;
/// PI DMA: RDRAM address (physical).
pub const PI_DRAM_ADDR: u32 = PI_BASE;
/// PI DMA: cartridge bus address.
pub const PI_CART_ADDR: u32 = PI_BASE + 0x04;
/// PI DMA length - 1, cartridge -> RDRAM; writing it starts the transfer.
pub const PI_WR_LEN: u32 = PI_BASE + 0x0C;
/// PI status (read) / control (write).
pub const PI_STATUS: u32 = PI_BASE + 0x10;
/// PI_STATUS read: a DMA is running.
pub const PI_STATUS_DMA_BUSY: u32 = 0x01;
/// PI_STATUS read: a direct (CPU) cartridge access is running.
pub const PI_STATUS_IO_BUSY: u32 = 0x02;
/// PI_STATUS read: the last DMA failed.
pub const PI_STATUS_ERROR: u32 = 0x04;
/// PI_STATUS write: acknowledge the PI interrupt.
pub const PI_STATUS_CLEAR_INTERRUPT: u32 = 0x02;

/// Start of the cartridge ROM on the PI bus (domain 1, address 2).
pub const CART_ROM_BASE: u32 = 0x1000_0000;

/// The IS-Viewer debug port's register window on the cartridge bus.
pub const ISVIEWER_BASE: u32 = 0x13FF_0000;
/// Writing a byte count here prints that many bytes from the text buffer.
pub const ISVIEWER_LENGTH: u32 = ISVIEWER_BASE + 0x14;
/// The text buffer (written as big-endian 32-bit words).
pub const ISVIEWER_BUFFER: u32 = ISVIEWER_BASE + 0x20;

/// SP (RSP) status register.
pub const SP_STATUS: u32 = 0x0404_0010;
/// SP_STATUS write: raise the SP interrupt when the RSP executes BREAK. Needed under mupen64plus
/// for the RSP to read as halted after a task (see the crate docs).
pub const SP_STATUS_SET_INTR_BREAK: u32 = 0x100;
