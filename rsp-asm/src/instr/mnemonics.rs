//! Names: which mnemonics exist, why an unknown one is refused, and "did you mean" hints.

use rsp_isa::{AluImmOp, AluRegOp, BranchCond, LoadWidth, ShiftOp, StoreWidth, VMemOp, VecOp};

use super::*;

pub(super) fn not_an_instruction(m: &str, ops: &[Operand], at: usize) -> ExprError {
    let start = at.saturating_sub(m.len());
    let end = ops.last().map(|o| o.end).unwrap_or(at).max(at);
    let message = unknown_mnemonic(m).unwrap_or_else(|| format!("bad use of `{m}`"));
    ExprError { start, end: end.min(at).max(start + 1), message }
}

/// Why `m` is not an instruction of this assembler, or `None` if it is one.
pub(crate) fn unknown_mnemonic(m: &str) -> Option<String> {
    if all_mnemonics().contains(&m) {
        return None;
    }
    let reason = match m {
        "mult" | "multu" | "div" | "divu" | "mfhi" | "mflo" | "mthi" | "mtlo" => {
            "the RSP has no multiply/divide unit (use the vector unit)"
        }
        "lwl" | "lwr" | "swl" | "swr" => "the RSP has no unaligned-word loads/stores (its lw/sw accept any alignment)",
        "beql" | "bnel" | "blezl" | "bgtzl" | "bltzl" | "bgezl" | "bltzall" | "bgezall" => {
            "the RSP has no branch-likely instructions"
        }
        "syscall" | "sync" | "eret" | "cache" | "ll" | "sc" => "the RSP does not have it",
        "teq" | "tne" | "tge" | "tgeu" | "tlt" | "tltu" | "teqi" | "tnei" | "tgei" | "tgeiu" | "tlti" | "tltiu" => {
            "the RSP has no trap instructions"
        }
        _ if is_mips64_name(m) => "the RSP is a 32-bit MIPS (no 64-bit instructions)",
        _ if m.ends_with("c1") || m.starts_with("bc1") || m.ends_with(".s") || m.ends_with(".d") => {
            "the RSP has no floating-point unit"
        }
        _ => "",
    };
    Some(if reason.is_empty() {
        match suggestion(m) {
            Some(k) => format!("unknown instruction `{m}` (did you mean `{k}`?)"),
            None => format!("unknown instruction `{m}`"),
        }
    } else {
        format!("`{m}` is not an RSP instruction: {reason}")
    })
}

fn is_mips64_name(m: &str) -> bool {
    matches!(
        m,
        "dadd"
            | "daddu"
            | "daddi"
            | "daddiu"
            | "dsub"
            | "dsubu"
            | "dmult"
            | "dmultu"
            | "ddiv"
            | "ddivu"
            | "dsll"
            | "dsrl"
            | "dsra"
            | "dsll32"
            | "dsrl32"
            | "dsra32"
            | "dsllv"
            | "dsrlv"
            | "dsrav"
            | "ld"
            | "sd"
            | "ldl"
            | "ldr"
            | "sdl"
            | "sdr"
            | "lld"
            | "scd"
            | "dmfc0"
            | "dmtc0"
            | "dmfc2"
            | "dmtc2"
    )
}

/// Every mnemonic [`encode`] accepts (for "did you mean" hints).
pub(super) fn all_mnemonics() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = vec![
        "nop", "lui", "li", "la", "move", "neg", "negu", "not", "j", "jal", "jr", "jalr", "break", "mfc0", "mtc0",
        "cfc2", "ctc2", "mfc2", "mtc2", "b", "bal", "beqz", "bnez", "blt", "bltu", "bge", "bgeu", "bgt", "bgtu", "ble",
        "bleu", "vrndp16", "vrndn16", "seq", "sne", "sge", "sgeu", "sgt", "sgtu", "sle", "sleu", "cop2", "lwc2",
        "swc2",
    ];
    v.extend(ShiftOp::ALL.iter().flat_map(|o| [o.mnemonic(), o.variable_mnemonic()]));
    v.extend(AluRegOp::ALL.iter().map(|o| o.mnemonic()));
    v.extend(AluImmOp::ALL.iter().map(|o| o.mnemonic()));
    v.extend(BranchCond::ALL.iter().map(|c| c.mnemonic()));
    v.extend(LoadWidth::ALL.iter().map(|w| w.mnemonic()));
    v.extend(StoreWidth::ALL.iter().map(|w| w.mnemonic()));
    v.extend(VMemOp::ALL.iter().flat_map(|o| [o.load_mnemonic(), o.store_mnemonic()]));
    v.extend(VecOp::ALL.iter().map(|o| o.mnemonic()));
    v
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + (ca != *cb) as usize).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The known mnemonic closest to `m` if it is a likely typo.
fn suggestion(m: &str) -> Option<&'static str> {
    if m.len() > 16 {
        return None;
    }
    all_mnemonics()
        .into_iter()
        .map(|k| (distance(m, k), k))
        .filter(|(d, _)| *d <= 1 || (*d == 2 && m.len() > 4))
        .min()
        .map(|(_, k)| k)
}
