//! Errors: `file:line:col: error: message`, the line, a caret; every error of a file in one
//! run; IMEM/DMEM overflow naming the biggest contributors; clear refusals of what the RSP
//! lacks.

use rsp_asm::{assemble, assemble_str, MemoryLoader};

fn errors(src: &str) -> rsp_asm::Errors {
    match assemble_str("t.S", src) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(e) => e,
    }
}

/// The single error's message (asserting there is exactly one).
fn one(src: &str) -> String {
    let e = errors(src);
    assert_eq!(e.len(), 1, "{e}");
    e.0[0].message.clone()
}

#[test]
fn typo_gives_file_line_column_and_caret() {
    let e = errors(".text\nstart:\n    vmulff $v01, $v02, $v03.e1\n");
    assert_eq!(e.len(), 1);
    let shown = e.to_string();
    let expected = "t.S:3:5: error: unknown instruction `vmulff` (did you mean `vmulf`?)\n        vmulff $v01, $v02, $v03.e1\n        ^~~~~~\n1 error";
    assert_eq!(shown, expected);
    assert_eq!(e.0[0].line_col(), Some((3, 5)));
}

#[test]
fn caret_points_at_the_bad_operand() {
    let e = errors("\tlqv $v01, 20($s0)\n");
    let d = &e.0[0];
    assert_eq!(d.message, "offset 20 of `lqv` must be a multiple of 16");
    assert_eq!(d.line_col(), Some((1, 12)));
    assert!(e.to_string().contains("\n    \tlqv $v01, 20($s0)\n    \t          ^~~~~~~\n"), "{e}");
}

#[test]
fn all_errors_of_a_file_are_reported_together() {
    let src = "\
.text
    addiu $t0, $t0, 70000
    nop
    vadd $v01, $v02, $t3
    lw $t0, 4($t0)
    mult $t0, $t1
    j nowhere
    sh $t0, 3($v07)
";
    let e = errors(src);
    let lines: Vec<u32> = e.iter().map(|d| d.line_col().unwrap().0).collect();
    assert_eq!(lines, vec![2, 4, 6, 7, 8], "{e}");
    let text = e.to_string();
    assert!(text.contains("t.S:2:21: error: immediate 70000 does not fit (-32768..65535)"), "{text}");
    assert!(text.contains("t.S:4:22: error: expected a vector register (`$v00`..`$v31`), found a GPR"), "{text}");
    assert!(
        text.contains("t.S:6:5: error: `mult` is not an RSP instruction: the RSP has no multiply/divide unit"),
        "{text}"
    );
    assert!(text.contains("t.S:7:7: error: undefined symbol `nowhere`"), "{text}");
    assert!(text.contains("t.S:8:15: error: the base of an address must be a GPR, not a vector register"), "{text}");
    assert!(text.ends_with("5 errors"));
}

#[test]
fn errors_in_included_files_name_that_file() {
    let loader =
        MemoryLoader::new().with("main.S", ".include \"inc.S\"\n    nop\n").with("inc.S", "\n\n  lw $t0, 1($t99)\n");
    let e = assemble(&loader, "main.S").unwrap_err();
    assert_eq!(e.0[0].location.as_ref().unwrap().file, "inc.S");
    assert_eq!(e.0[0].line_col(), Some((3, 13)));
    assert_eq!(e.0[0].message, "unknown register `$t99`");
}

#[test]
fn errors_in_macro_expansions_say_where_they_came_from() {
    let src = ".macro twice op, reg\n  \\op \\reg, \\reg\n  \\op \\reg, \\reg\n.endm\n  twice addu, $t0\n  twice addu, $v01\n";
    let e = errors(src);
    assert_eq!(e.len(), 2, "{e}");
    for d in e.iter() {
        assert_eq!(d.line_col().unwrap().0, 6);
        assert!(d.notes[0].starts_with("in expansion of macro `twice` (defined at t.S:1)"), "{:?}", d.notes);
    }
}

#[test]
fn imem_overflow_names_the_biggest_contributors() {
    let mut src = String::from(".text\nsmall: nop\nbig:\n");
    src.push_str(&"    vmudh $v01, $v02, $v03\n".repeat(900));
    src.push_str("medium:\n");
    src.push_str(&"    nop\n".repeat(200));
    let e = errors(&src);
    assert_eq!(e.len(), 1);
    let d = &e.0[0];
    assert_eq!(d.message, "IMEM overflow: 4404 bytes used, 4096 available (308 too many)");
    assert_eq!(d.notes[0], "sections: .text 4404 bytes");
    assert_eq!(d.notes[1], "`big` takes 3600 bytes (t.S:3)");
    assert_eq!(d.notes[2], "`medium` takes 800 bytes (t.S:904)");
    assert_eq!(d.notes[3], "`small` takes 4 bytes (t.S:2)");
}

#[test]
fn dmem_overflow_names_the_biggest_contributors() {
    let src = ".data\ntable: .space 3000\nweights: .space 1000\n.bss\nscratch: .space 512\n";
    let d = &errors(src).0[0];
    assert_eq!(d.message, "DMEM overflow: 4512 bytes used, 4096 available (416 too many)");
    assert_eq!(d.notes[0], "sections: .data 4000 bytes, .bss 512 bytes");
    assert_eq!(
        &d.notes[1..],
        ["`table` takes 3000 bytes (t.S:2)", "`weights` takes 1000 bytes (t.S:3)", "`scratch` takes 512 bytes (t.S:5)"]
    );
}

#[test]
fn overlays_overflowing_the_shared_region_are_an_imem_overflow() {
    let src = format!(".text\n{}\n.overlay a\n{}\n.overlay b\nnop\n", "nop\n".repeat(600), "nop\n".repeat(500));
    let d = &errors(&src).0[0];
    assert_eq!(d.message, "IMEM overflow: 4400 bytes used, 4096 available (304 too many)");
    // Resident code 2400 bytes, then the shared overlay region sized by the larger overlay.
    assert_eq!(d.notes[0], "sections: .text 2400 bytes, .overlay a 2000 bytes, .overlay b 4 bytes");
}

#[test]
fn what_the_rsp_lacks_is_refused_with_the_reason() {
    assert_eq!(
        one("div $t0, $t1"),
        "`div` is not an RSP instruction: the RSP has no multiply/divide unit (use the vector unit)"
    );
    assert_eq!(
        one("lwl $t0, 0($t1)"),
        "`lwl` is not an RSP instruction: the RSP has no unaligned-word loads/stores (its lw/sw accept any alignment)"
    );
    assert_eq!(
        one("beql $t0, $t1, x\nx: nop"),
        "`beql` is not an RSP instruction: the RSP has no branch-likely instructions"
    );
    assert_eq!(
        one("daddu $t0, $t1, $t2"),
        "`daddu` is not an RSP instruction: the RSP is a 32-bit MIPS (no 64-bit instructions)"
    );
    assert_eq!(one("mfc1 $t0, $f1"), "`mfc1` is not an RSP instruction: the RSP has no floating-point unit");
    assert_eq!(
        one(".set reorder"),
        "rsp-asm never reorders or fills delay slots; `.set reorder` is not supported (write the delay slots)"
    );
}

#[test]
fn vector_memory_offsets_and_elements_are_checked() {
    assert_eq!(one("lqv $v01, 1024($s0)"), "offset 1024 of `lqv` is out of range (-1024..1008)");
    assert_eq!(one("ldv $v01, -520($s0)"), "offset -520 of `ldv` is out of range (-512..504)");
    assert_eq!(one("lsv $v01, 3($s0)"), "offset 3 of `lsv` must be a multiple of 2");
    assert_eq!(
        one("lqv $v01.h1, 0($s0)"),
        "`.h` is a broadcast selector of vector computational ops; `lqv` takes `.e0`-`.e7` or `.b0`-`.b15`"
    );
    assert_eq!(one("ltv $v01.b3, 0($s0)"), "`ltv` takes lane elements `.e0`-`.e7` only");
    assert_eq!(
        one("vadd $v01, $v02, $v03.b2"),
        "`.bN` is a byte index for loads/stores; computational ops take .v/.qN/.hN/.eN"
    );
    assert_eq!(one("vadd $v01, $v02, $v03.e8"), "`.e8` is out of range (.e0-.e7)");
    assert_eq!(one("vadd $v5, $v02, $v03"), "vector registers are written with two digits: `$v05`");
    assert_eq!(one("vadd $v32, $v02, $v03"), "no vector register `$v32` (they are $v00..$v31)");
    assert_eq!(one("vrcp $v01, $v02.e1"), "`vrcp` needs the destination element: `vrcp $vd.eN, $vt.eN`");
    assert_eq!(
        one("vsar $v01, 3"),
        "accumulator slice (COP2_ACC_HI = 8, COP2_ACC_MD = 9, COP2_ACC_LO = 10) 3 is out of range (8..10)"
    );
}

#[test]
fn layout_mistakes_are_caught() {
    assert_eq!(one("x: nop\nx: nop"), "label `x` is already defined at t.S:1");
    assert_eq!(one(".data\nbuf: .word 0\n.text\nj buf\nnop"), "jump target is a DMEM label");
    assert_eq!(one(".data\nbuf: .word 0\n.text\nbeqz $t0, buf\nnop"), "branch target is a DMEM label");
    assert_eq!(
        one("beqz $t0, x\nli $t0, 0x12345\nx: nop"),
        "`li` expands to 2 instructions here, in a branch delay slot: only the first would be in the slot"
    );
    assert_eq!(
        one(".set noat\nbgt $t0, $t1, x\nnop\nx: nop"),
        "`bgt` with this operand needs `$at`, but `.set noat` is in effect"
    );
    assert_eq!(
        one(".overlay a\nfa: nop\n.overlay b\nj fa\nnop"),
        "jump into another overlay (both occupy the same IMEM; only one is loaded)"
    );
    assert_eq!(one(".data\nnop"), "instructions belong in `.text` or an `.overlay` (this is DMEM)");
    assert_eq!(
        one(".byte 1\nnop"),
        "instruction at an address that is not a multiple of 4 (offset 1); add `.align 2` before it"
    );
    assert_eq!(one("lw $t0, 0x100000000"), "offset 4294967296 does not fit 32 bits");
    assert_eq!(
        one(".set noat\nsw $t0, 0x12345($t1)"),
        "`sw` with this operand needs `$at`, but `.set noat` is in effect"
    );
    assert_eq!(one(".bss\n.word 5"), "`.bss` holds only zeros (use `.space`, or put initialised data in `.data`)");
    assert_eq!(one(".space 100000"), "size 100000 is out of range (0..65536)");
}

#[test]
fn preprocessor_mistakes_are_caught() {
    assert_eq!(one(".if 1\nnop\n"), "conditional is never closed (missing `.endif`/`#endif`)");
    assert_eq!(one(".macro m\nnop\n"), "macro `m` is never closed (missing `.endm`)");
    assert_eq!(one(".endif"), "`.endif` without `.if`");
    assert_eq!(
        one(".if later\n.endif\n.equ later, 1"),
        "undefined symbol `later` (conditions can use only constants defined above them)"
    );
    assert_eq!(one(".include \"missing.S\""), "cannot read `missing.S`");
    assert_eq!(one(".macro r\nr\n.endm\nr"), "macro `r` expands too deeply (recursive macro?)");
    assert_eq!(one("#define F(a) a\nli $t0, F(1, 2)"), "`F` takes 1 argument(s), given 2");
    assert_eq!(one(".error \"stop here\""), "stop here");
    let e = errors("#include <rsp.inc>\n");
    assert!(e.0[0].notes[0].contains("rsp.inc is not needed"), "{e}");
}

#[test]
fn nonsense_is_an_error_not_a_panic() {
    let inputs = [
        "$",
        "\"",
        "'",
        "'ab'",
        "%foo(1)",
        "li $t0, (((",
        "li $t0, 1 +",
        ")(",
        ".byte \"x",
        "\\",
        "1:",
        "1b",
        "j 1f",
        ".struct",
        ".field a, 1",
        ".endstruct",
        ".overlay",
        ".text -1",
        "vadd",
        "vadd $v01",
        "lqv",
        "lqv $v01, 1, 2, 3, 4",
        "e(9)",
        "vmudh $v01, $v02, $v03, e(x)",
        ".align 13",
        ".set",
        ".macro",
        "#define",
        "#if",
        "#else",
        "#endif",
        "#if 1/0\n#endif",
        ".equ x",
        "x = ",
        "= 1",
        ":",
        "a: b: c:",
        "li $t0, 99999999999999999999",
        "li $t0, 0x1ffffffff",
        "break 1024",
        "sll $t0, $t0, 32",
        "mfc0 $t0, $t1",
        "cfc2 $t0, 32",
        ".word 1 << 64",
    ];
    for src in inputs {
        // Either outcome is fine; what matters is an error value instead of a panic.
        let r = assemble_str("n.S", src);
        if let Err(e) = r {
            for d in e.iter() {
                assert!(!d.message.is_empty(), "{src:?}");
            }
        }
    }
}

#[test]
fn runaway_expansion_stops_with_an_error() {
    // Each level invokes the macro twice: 2^64 lines if nothing stopped it.
    let e = errors(".macro m\nm\nm\n.endm\nm\n");
    assert!(
        e.iter().any(|d| d.message.contains("expands too deeply") || d.message.contains("too much to preprocess")),
        "{e}"
    );
    // A file that includes itself twice per level.
    let loader = MemoryLoader::new().with("self.S", ".include \"self.S\"\n.include \"self.S\"\n");
    let e = assemble(&loader, "self.S").unwrap_err();
    assert!(
        e.iter().any(|d| d.message.contains("too much to preprocess") || d.message.contains("nested too deeply")),
        "{e}"
    );
}

#[test]
fn jump_and_branch_targets_outside_imem_are_errors() {
    // The RSP's PC has 12 bits: `j 0x1004` would run the instruction at 0x004.
    let e = errors(".text\n  nop\n  j 0x1004\n  nop\n  beq $t0, $t1, 0x2000\n  nop\n  jal -4\n  nop\n");
    let shown: Vec<String> = e.iter().map(|d| format!("{:?} {}", d.line_col().unwrap(), d.message)).collect();
    assert_eq!(
        shown,
        [
            "(3, 5) jump target 0x1004 is outside IMEM (0x000..0xfff)",
            "(5, 17) branch target 0x2000 is outside IMEM (0x000..0xfff)",
            "(7, 7) jump target -0x4 is outside IMEM (0x000..0xfff)",
        ]
    );
    // The last word of IMEM is still a valid target.
    let ok = assemble_str("t.S", ".text\n  j 0xffc\n  nop\n").unwrap();
    assert_eq!(ok.text_words()[0], 0x0800_03ff);
}

#[test]
fn unclosed_struct_names_its_line_and_column() {
    let e = errors(".data\nx: .word 1\n  .struct Job\n  .field a, 4\n");
    assert_eq!(e.len(), 1, "{e}");
    assert_eq!(e.0[0].message, "`.struct Job` is never closed with `.endstruct`");
    assert_eq!(e.0[0].line_col(), Some((3, 3)));
    assert!(e.to_string().starts_with("t.S:3:3: error: `.struct Job` is never closed"), "{e}");
}

#[cfg(unix)]
#[test]
fn include_of_an_endless_file_is_bounded() {
    // `/dev/zero` never ends: reading it whole would exhaust memory.
    let dir = std::env::temp_dir().join(format!("rsp-asm-devzero-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let main = dir.join("main.S");
    std::fs::write(&main, ".text\n  nop\n  .include \"/dev/zero\"\n").unwrap();
    let e = rsp_asm::assemble_file(&main, &[]).unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
    assert_eq!(e.0[0].message, "`/dev/zero` is larger than 8388608 bytes: not a source file");
    assert_eq!(e.0[0].line_col(), Some((3, 3)));
    let _ = std::fs::remove_dir_all(&dir);
}
