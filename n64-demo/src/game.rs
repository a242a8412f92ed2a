//! The stand-in game of the text ROMs (`textgen`, `chat`): what runs on the VR4300 between
//! the scheduler's polls while the RSP computes a token, so that the ROMs can measure how much
//! CPU time a game keeps (bench-results/chat.md, bench-results/scheduler.md).

use core::cell::Cell;

/// A frame counter, the game's state and the CP0 Count ticks its frames took.
pub struct Game {
    pub frames: Cell<u64>,
    // Read by `frame`, which exists on the N64 only (CP0 Count).
    #[cfg_attr(not(target_arch = "mips"), allow(dead_code))]
    state: Cell<u32>,
    pub ticks: Cell<u64>,
}

impl Game {
    /// Both ROMs start from the same state, so their games do the same work.
    pub fn new() -> Self {
        Self {
            frames: Cell::new(0),
            state: Cell::new(0x2545_F491),
            ticks: Cell::new(0),
        }
    }

    /// The game's logic for one frame: 64 steps of xorshift32, kept by `black_box` from being
    /// optimised away.
    pub fn logic(state: u32) -> u32 {
        let mut x = state;
        for _ in 0..64 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
        }
        core::hint::black_box(x)
    }

    /// One frame, timed by CP0 Count (what counts as the game's time is the logic alone).
    #[cfg(target_arch = "mips")]
    pub fn frame(&self) {
        let start = n64_rt::timing::read_count();
        self.state.set(Self::logic(self.state.get()));
        self.ticks
            .set(self.ticks.get() + n64_rt::timing::read_count().wrapping_sub(start) as u64);
        self.frames.set(self.frames.get() + 1);
    }
}

impl Default for Game {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 64 steps of Marsaglia's xorshift32 (13, 17, 5), values computed apart from this code.
    #[test]
    fn logic_is_64_xorshift32_steps() {
        assert_eq!(Game::logic(1), 0x3796_86C7);
        assert_eq!(Game::logic(0x2545_F491), 0x643E_98DC);
    }
}
