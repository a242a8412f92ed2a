//! A bit-exact simulator of the Nintendo 64's RSP with a cycle model.
//!
//! - Scalar unit, vector unit (48-bit accumulators, VCO/VCC/VCE, all clamps, reciprocal
//!   tables), every vector load/store with the hardware's byte rules, DMEM/IMEM with 12-bit
//!   wrap, the SP COP0 registers with the DMA engine, semaphore, BREAK and SP_STATUS.
//! - A cycle model (dual issue, result latencies, load/store bubble, branch costs, DMA time from
//!   the measured RDRAM rate) reporting cycles, instructions, stall cycles by cause and the
//!   cycles the ucode spent waiting on DMA or the semaphore ([`Stats`]).
//! - Speed: IMEM is pre-decoded (re-decoded on IMEM writes and DMA) and the run loop does not
//!   allocate.
//!
//! Facts come from `../shared/RSP-FACTS.md` and the public sources it names; each module says
//! which. `tests/hw_golden.rs` checks the simulator against 1,380 hardware-measured cases.
//!
//! ```
//! use rsp_sim::{Rsp, StopReason};
//! let mut rsp = Rsp::new();
//! // addiu $t0, $zero, 5 ; sw $t0, 0x10($zero) ; break
//! let program: Vec<u8> = [0x2408_0005u32, 0xAC08_0010, 0x0000_000D]
//!     .iter().flat_map(|w| w.to_be_bytes()).collect();
//! rsp.load_imem(0, &program).unwrap();
//! rsp.set_pc(0);
//! assert_eq!(rsp.run(1000).unwrap(), StopReason::Break);
//! assert_eq!(rsp.dmem_u32(0x10), 5);
//! assert_eq!(rsp.stats().instructions, 3);
//! ```

mod dma;
mod error;
mod exec;
mod icache;
mod machine;
mod mem;
mod pipeline;
pub mod sp;
mod stats;
mod trace;
pub mod vu;

pub use dma::{row_cycles as dma_row_cycles, DmaStats};
pub use error::{RecentInstr, SimError};
pub use exec::{Advance, StopReason};
pub use machine::Rsp;
pub use mem::{Mem4K, MEM_SIZE};
pub use pipeline::StallCycles;
pub use sp::SpReg;
pub use stats::Stats;
pub use trace::{Change, TraceRecord, TraceSink};
pub use vu::{AccSlice, VReg, VectorUnit};
