//! Checks that an N64 program contains no FPU (COP1) instruction.
//!
//! The target spec uses soft-float (`targets/README.md`): with the FPU ABI alone, LLVM turns
//! float arithmetic into COP1 instructions. This check disassembles every ROM program with
//! binutils' `mips-linux-gnu-objdump` (an independent decoder) and looks for FPU mnemonics:
//! COP1 loads/stores and moves (lwc1, ldc1, swc1, sdc1, mfc1, mtc1, dmfc1, dmtc1, cfc1, ctc1),
//! COP1 branches (bc1f, bc1t, ...), and any operation with a format suffix (add.s, cvt.d.w,
//! c.lt.s, ...).

use crate::process::stdout_of;
use crate::Result;
use std::path::Path;
use std::process::Command;

pub const OBJDUMP: &str = "mips-linux-gnu-objdump";

/// True for the mnemonic of an FPU instruction.
pub fn is_fpu_mnemonic(mnemonic: &str) -> bool {
    const COP1_MOVES: [&str; 10] = [
        "lwc1", "ldc1", "swc1", "sdc1", "mfc1", "mtc1", "dmfc1", "dmtc1", "cfc1", "ctc1",
    ];
    if COP1_MOVES.contains(&mnemonic) || mnemonic.starts_with("bc1") {
        return true;
    }
    // Format suffixes of COP1 operations: .s (single), .d (double), .w (word), .l (long).
    // Assembler directives such as `.word` start with a dot and are not instructions.
    !mnemonic.starts_with('.')
        && matches!(mnemonic.rsplit_once('.'), Some((_, "s" | "d" | "w" | "l")))
}

/// The FPU instructions in `elf`'s disassembly, as objdump prints them.
pub fn fpu_instructions(elf: &Path) -> Result<Vec<String>> {
    let listing = stdout_of(Command::new(OBJDUMP).arg("-d").arg(elf))?;
    Ok(fpu_lines(&listing))
}

/// The lines of an objdump listing whose mnemonic is an FPU one.
fn fpu_lines(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|line| {
            // Instruction lines: "<address>:\t<raw word>\t<mnemonic>\t<operands>".
            let mut fields = line.split('\t');
            let is_instruction = fields.next().is_some_and(|a| a.trim_end().ends_with(':'));
            is_instruction && fields.nth(1).is_some_and(|m| is_fpu_mnemonic(m.trim()))
        })
        .map(|line| line.trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{assemble, tool_present, Scratch, ASSEMBLER};

    #[test]
    fn classifies_mnemonics() {
        for fpu in [
            "lwc1",
            "sdc1",
            "mtc1",
            "dmfc1",
            "ctc1",
            "bc1f",
            "bc1tl",
            "add.s",
            "mul.d",
            "cvt.s.w",
            "cvt.d.l",
            "c.ult.s",
            "trunc.w.s",
            "mov.d",
        ] {
            assert!(is_fpu_mnemonic(fpu), "{fpu} is FPU");
        }
        for integer in [
            "addu", "lw", "sd", "mtc0", "mfc0", "cache", ".word", "daddiu", "lwc2", "sll",
            "dsll32", "bnez", "mult",
        ] {
            assert!(!is_fpu_mnemonic(integer), "{integer} is not FPU");
        }
    }

    /// On a real objdump listing of assembled code: one FPU instruction among integer ones.
    #[test]
    fn finds_fpu_instructions_in_objdump_output() {
        if !tool_present(ASSEMBLER) {
            return;
        }
        let scratch = Scratch::new("fpu");
        let object = assemble(
            &scratch,
            "lw $t0, 0($t1)\nadd.s $f0, $f2, $f4\naddu $t0, $t0, $t1\n",
        );
        let found = fpu_instructions(&object).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("add.s"), "{found:?}");
    }
}
