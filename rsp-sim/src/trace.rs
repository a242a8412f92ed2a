//! Optional per-instruction trace for ucode authors: PC, disassembly, and what changed.

use crate::machine::Rsp;
use crate::vu::{AccSlice, VReg, VectorUnit};
use core::fmt;
use rsp_isa::Instr;

/// A state change made by one instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Gpr {
        reg: u8,
        value: u32,
    },
    Vreg {
        reg: u8,
        value: VReg,
    },
    /// The accumulator slices (high, mid, low) after the instruction.
    Acc {
        high: VReg,
        mid: VReg,
        low: VReg,
    },
    Vco(u16),
    Vcc(u16),
    Vce(u8),
    /// Consecutive DMEM bytes written (new values).
    Dmem {
        addr: u32,
        bytes: Vec<u8>,
    },
    /// SP_STATUS after the instruction.
    Status(u32),
}

/// One executed instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    pub pc: u32,
    pub word: u32,
    /// Disassembly (rsp-isa syntax, branch targets absolute).
    pub text: String,
    /// The cycle its group issued in.
    pub cycle: u64,
    pub changes: Vec<Change>,
}

fn lanes(v: &VReg) -> String {
    v.iter()
        .map(|l| format!("{l:04x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Gpr { reg, value } => write!(f, "${}={value:08x}", rsp_isa::gpr_name(*reg)),
            Change::Vreg { reg, value } => write!(f, "$v{reg:02}=[{}]", lanes(value)),
            Change::Acc { high, mid, low } => {
                write!(
                    f,
                    "acc.h=[{}] acc.m=[{}] acc.l=[{}]",
                    lanes(high),
                    lanes(mid),
                    lanes(low)
                )
            }
            Change::Vco(v) => write!(f, "vco={v:04x}"),
            Change::Vcc(v) => write!(f, "vcc={v:04x}"),
            Change::Vce(v) => write!(f, "vce={v:02x}"),
            Change::Dmem { addr, bytes } => {
                write!(f, "dmem[{addr:03x}]=")?;
                for b in bytes {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
            Change::Status(v) => write!(f, "status={v:08x}"),
        }
    }
}

impl fmt::Display for TraceRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>8} {:03x}: {:08x}  {:<36}",
            self.cycle, self.pc, self.word, self.text
        )?;
        for c in &self.changes {
            write!(f, " {c}")?;
        }
        Ok(())
    }
}

/// State before an instruction, for the diff.
pub(crate) struct Snapshot {
    gpr: [u32; 32],
    vu: VectorUnit,
    dmem: Box<[u8; 4096]>,
    status: u32,
}

impl Snapshot {
    pub fn take(rsp: &Rsp) -> Snapshot {
        Snapshot {
            gpr: rsp.gpr,
            vu: rsp.vu.clone(),
            dmem: Box::new(*rsp.dmem.bytes()),
            status: rsp.status(),
        }
    }
}

/// A receiver of trace records.
pub type TraceSink = Box<dyn FnMut(&TraceRecord)>;

/// Receives trace records.
pub(crate) struct Tracer {
    sink: TraceSink,
}

impl Tracer {
    pub fn emit(
        &mut self,
        pc: u32,
        word: u32,
        instr: &Instr,
        cycle: u64,
        before: &Snapshot,
        after: &Rsp,
    ) {
        let mut changes = Vec::new();
        for r in 1..32 {
            if before.gpr[r] != after.gpr[r] {
                changes.push(Change::Gpr {
                    reg: r as u8,
                    value: after.gpr[r],
                });
            }
        }
        for r in 0..32 {
            if before.vu.regs[r] != after.vu.regs[r] {
                changes.push(Change::Vreg {
                    reg: r as u8,
                    value: after.vu.regs[r],
                });
            }
        }
        if before.vu.acc != after.vu.acc {
            changes.push(Change::Acc {
                high: after.vu.acc_slice(AccSlice::High),
                mid: after.vu.acc_slice(AccSlice::Mid),
                low: after.vu.acc_slice(AccSlice::Low),
            });
        }
        if before.vu.vco != after.vu.vco {
            changes.push(Change::Vco(after.vu.vco));
        }
        if before.vu.vcc != after.vu.vcc {
            changes.push(Change::Vcc(after.vu.vcc));
        }
        if before.vu.vce != after.vu.vce {
            changes.push(Change::Vce(after.vu.vce));
        }
        let now = after.dmem.bytes();
        let mut i = 0;
        while i < 4096 {
            if before.dmem[i] != now[i] {
                let start = i;
                while i < 4096 && before.dmem[i] != now[i] {
                    i += 1;
                }
                changes.push(Change::Dmem {
                    addr: start as u32,
                    bytes: now[start..i].to_vec(),
                });
            } else {
                i += 1;
            }
        }
        let status = after.status();
        if status != before.status {
            changes.push(Change::Status(status));
        }
        let record = TraceRecord {
            pc,
            word,
            text: instr.at(pc).to_string(),
            cycle,
            changes,
        };
        (self.sink)(&record);
    }
}

impl Rsp {
    /// Installs (or with `None` removes) a per-instruction trace sink. Tracing slows the
    /// simulator down a lot; without a sink the run loop has no tracing cost.
    pub fn set_tracer(&mut self, sink: Option<TraceSink>) {
        self.tracer = sink.map(|sink| Tracer { sink });
    }
}
