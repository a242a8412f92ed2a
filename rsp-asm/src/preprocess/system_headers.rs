//! The system headers an RSP source may include that come with a MIPS toolchain rather than
//! with the source: GNU cpp finds `<regdef.h>` in the cross compiler's sysroot, and libdragon's
//! `rsp.inc` includes it. rsp-asm carries its own equivalent so that no toolchain is needed.
//! It is used only when the include directories do not hold the file (as a sysroot comes last
//! in GNU cpp's search order).

/// o32 ABI register names (the ABI libdragon's ucode is built with, `-mabi=32`): the same
/// names and numbers `<regdef.h>` defines for `_MIPS_SIM == _ABIO32`.
const GPR_NAMES: [(&str, u8); 36] = [
    ("zero", 0),
    ("AT", 1),
    ("v0", 2),
    ("v1", 3),
    ("a0", 4),
    ("a1", 5),
    ("a2", 6),
    ("a3", 7),
    ("t0", 8),
    ("t1", 9),
    ("t2", 10),
    ("t3", 11),
    ("t4", 12),
    ("t5", 13),
    ("t6", 14),
    ("t7", 15),
    ("ta0", 12),
    ("ta1", 13),
    ("ta2", 14),
    ("ta3", 15),
    ("s0", 16),
    ("s1", 17),
    ("s2", 18),
    ("s3", 19),
    ("s4", 20),
    ("s5", 21),
    ("s6", 22),
    ("s7", 23),
    ("t8", 24),
    ("t9", 25),
    ("jp", 25),
    ("k0", 26),
    ("k1", 27),
    ("gp", 28),
    ("sp", 29),
    ("ra", 31),
];

/// o32 floating-point register names (`<regdef.h>` includes `<sys/fpregdef.h>`). The RSP has
/// no FPU; they are defined anyway so a source means the same as under GNU cpp (a symbol named
/// `ft0` would be replaced there too).
const FPR_NAMES: [(&str, u8); 32] = [
    ("fv0", 0),
    ("fv0f", 1),
    ("fv1", 2),
    ("fv1f", 3),
    ("ft0", 4),
    ("ft0f", 5),
    ("ft1", 6),
    ("ft1f", 7),
    ("ft2", 8),
    ("ft2f", 9),
    ("ft3", 10),
    ("ft3f", 11),
    ("fa0", 12),
    ("fa0f", 13),
    ("fa1", 14),
    ("fa1f", 15),
    ("ft4", 16),
    ("ft4f", 17),
    ("ft5", 18),
    ("ft5f", 19),
    ("fs0", 20),
    ("fs0f", 21),
    ("fs1", 22),
    ("fs1f", 23),
    ("fs2", 24),
    ("fs2f", 25),
    ("fs3", 26),
    ("fs3f", 27),
    ("fs4", 28),
    ("fs4f", 29),
    ("fs5", 30),
    ("fs5f", 31),
];

/// The text of a built-in system header, by the name it is included as.
pub(super) fn system_header(name: &str) -> Option<String> {
    let gprs = || GPR_NAMES.iter().map(|(n, r)| format!("#define {n} ${r}\n")).collect::<String>();
    let fprs =
        || FPR_NAMES.iter().map(|(n, r)| format!("#define {n} $f{r}\n")).collect::<String>() + "#define fcr31 $31\n";
    let guarded = |guard: &str, body: String| format!("#ifndef {guard}\n#define {guard}\n{body}#endif\n");
    match name {
        "regdef.h" => Some(guarded("_REGDEF_H", "#include <sys/regdef.h>\n#include <sys/fpregdef.h>\n".into())),
        "sys/regdef.h" => Some(guarded("_SYS_REGDEF_H", format!("{}#define fp $30\n#define s8 $30\n", gprs()))),
        "sys/fpregdef.h" => Some(guarded("_SYS_FPREGDEF_H", fprs())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regdef_names_the_o32_registers() {
        let text = system_header("sys/regdef.h").unwrap();
        for line in ["#define zero $0\n", "#define t0 $8\n", "#define t7 $15\n", "#define s8 $30\n", "#define ra $31\n"]
        {
            assert!(text.contains(line), "{line}");
        }
        assert!(system_header("sys/fpregdef.h").unwrap().contains("#define fs5f $f31\n"));
        assert!(system_header("stdio.h").is_none());
    }
}
