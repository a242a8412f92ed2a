//! Stopping a ROM cleanly.
//!
//! The VR4300 (MIPS III) has no WAIT instruction, so halting is a branch-to-self with interrupts
//! off (the entry code cleared Status.IE). mupen64plus recognises such an idle loop and skips
//! ahead to its next event, so a halted ROM costs the emulator little until the runner stops it.

use crate::sentinel;

/// Prints [`sentinel::DONE`] and halts: what the runtime does when `main` returns.
pub fn finish() -> ! {
    crate::println!("{}", sentinel::DONE);
    halt()
}

/// Stops here for good.
pub fn halt() -> ! {
    loop {
        core::hint::spin_loop();
    }
}
