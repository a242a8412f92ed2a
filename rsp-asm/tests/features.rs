//! Directives, preprocessor, overlays, DMEM struct layouts and the generated Rust source.
//! Expected words are computed here from the encoding formulas (RSP-FACTS "Encodings") and
//! MIPS I opcode numbers, not taken from the assembler.

use rsp_asm::{assemble, assemble_str, MemoryLoader, SymbolKind, Ucode};

fn asm(src: &str) -> Ucode {
    assemble_str("f.S", src).unwrap_or_else(|e| panic!("{e}"))
}

fn vec_op(funct: u32, vd: u32, vs: u32, vt: u32, e: u32) -> u32 {
    0x4a00_0000 | e << 21 | vt << 16 | vs << 11 | vd << 6 | funct
}

fn vmem(store: bool, sub: u32, vt: u32, e: u32, base: u32, off7: i32) -> u32 {
    (if store { 0x3a } else { 0x32 }) << 26 | base << 21 | vt << 16 | sub << 11 | e << 7 | (off7 as u32 & 0x7f)
}

fn itype(op: u32, rs: u32, rt: u32, imm: u16) -> u32 {
    op << 26 | rs << 21 | rt << 16 | imm as u32
}

fn value(u: &Ucode, name: &str) -> i64 {
    u.symbol(name).unwrap_or_else(|| panic!("no symbol {name}")).value
}

#[test]
fn libdragon_vector_syntax() {
    const VMUDH: u32 = 0x07;
    const VMADN: u32 = 0x0e;
    const VADD: u32 = 0x10;
    const VRCPH: u32 = 0x32;
    const VSAR: u32 = 0x1d;
    const VRNDP: u32 = 0x02;
    let u = asm("
        vmudh $v01, $v02, $v03          # whole vector: e = 0
        vmudh $v01, $v02, $v03.q1       # quarters: e = 3
        vmudh $v01, $v02, $v03.h2       # halves: e = 6
        vmudh $v01, $v02, $v03.e7       # one lane: e = 15
        vmudh $v01, $v02, $v03, e(2)    # libdragon e(): lane 2 = 10
        vmudh $v01, $v02, $v03, e(1h)   # e(1h) = 5
        vmadn $v04, $v05.e0             # two operands: vs = vd
        vadd $v06, $v07, e(0)           # `vd, vt, element`: vs = vd
        vrcph $v08.e3, $v09.e4          # single lane: de = 8 + 3, e = 8 + 4
        vsar $v10, COP2_ACC_LO          # e = 10, vs = vt = 0
        vrndp16 $v11, $v12.e1           # vs slot = 1 (shift flag)
    ");
    assert_eq!(
        u.text_words(),
        vec![
            vec_op(VMUDH, 1, 2, 3, 0),
            vec_op(VMUDH, 1, 2, 3, 3),
            vec_op(VMUDH, 1, 2, 3, 6),
            vec_op(VMUDH, 1, 2, 3, 15),
            vec_op(VMUDH, 1, 2, 3, 10),
            vec_op(VMUDH, 1, 2, 3, 5),
            vec_op(VMADN, 4, 4, 5, 8),
            vec_op(VADD, 6, 6, 7, 8),
            vec_op(VRCPH, 8, 11, 9, 12),
            vec_op(VSAR, 10, 0, 0, 10),
            vec_op(VRNDP, 11, 1, 12, 9),
        ]
    );
}

#[test]
fn libdragon_load_store_forms() {
    // lqv: sub 4, offsets in units of 16; lsv: sub 1, units of 2; lpv: sub 6, units of 8 with
    // `.eN` meaning element field N; ltv: sub 11, `.eN` = byte 2N.
    let u = asm("
        lqv $v01, 0x20, s0              # libdragon: vt, offset, base
        lqv $v01, 0, 0x20, s0           # vt, element, offset, base
        lqv $v01.e1, -16(s0)            # GNU-style address, lane 1 = byte 2
        lsv $v02.e7, 6($t0)
        lsv $v02.b3, 6($t0)
        lpv $v03.e5, -8, $a0            # lane style: field 5
        ltv $v08.e2, 32(zero)           # byte 4
        sqv $v31, ($sp)
        stv $v16.e4, -1024(s1)
    ");
    assert_eq!(
        u.text_words(),
        vec![
            vmem(false, 4, 1, 0, 16, 2),
            vmem(false, 4, 1, 0, 16, 2),
            vmem(false, 4, 1, 2, 16, -1),
            vmem(false, 1, 2, 14, 8, 3),
            vmem(false, 1, 2, 3, 8, 3),
            vmem(false, 6, 3, 5, 4, -1),
            vmem(false, 11, 8, 4, 0, 2),
            vmem(true, 4, 31, 0, 29, 0),
            vmem(true, 11, 16, 8, 17, -64),
        ]
    );
}

#[test]
fn scalar_forms_libdragon_relies_on() {
    let u = asm("
        .data
        .space 0x10
    GLOBAL_VOLUME: .half 0
        .text
        andi a0, 0xFFFF                  # two-operand immediate form
        sh a0, %lo(GLOBAL_VOLUME)        # absolute DMEM address, base $zero
        sub k1, t1                       # two-operand register form
        addi s8, 4
        li t0, %lo(GLOBAL_VOLUME) + 2
        lui t1, %hi(0x12348000)
        addiu t1, t1, %lo(0x12348000)    # 0x8000 pattern accepted in a signed field
        mfc0 t2, COP0_DMA_BUSY
        mtc0 t2, $9
        cfc2 t3, COP2_CTRL_VCE
        mtc2 t3, $v04.e2
        mfc2 t4, $v04, 3
    ");
    let w = u.text_words();
    assert_eq!(w[0], itype(0x0c, 4, 4, 0xffff));
    assert_eq!(w[1], itype(0x29, 0, 4, 0x10));
    assert_eq!(w[2], 27 << 21 | 9 << 16 | 27 << 11 | 0x22);
    assert_eq!(w[3], itype(0x08, 30, 30, 4));
    assert_eq!(w[4], itype(0x09, 0, 8, 0x12));
    assert_eq!(w[5], itype(0x0f, 0, 9, 0x1235));
    assert_eq!(w[6], itype(0x09, 9, 9, 0x8000));
    assert_eq!(w[7], 0x10 << 26 | 10 << 16 | 6 << 11);
    assert_eq!(w[8], 0x10 << 26 | 4 << 21 | 10 << 16 | 9 << 11);
    assert_eq!(w[9], 0x12 << 26 | 2 << 21 | 11 << 16 | 2 << 11);
    assert_eq!(w[10], 0x12 << 26 | 4 << 21 | 11 << 16 | 4 << 11 | 4 << 7);
    assert_eq!(w[11], 0x12 << 26 | 12 << 16 | 4 << 11 | 3 << 7);
}

#[test]
fn data_directives_align_like_gnu_as() {
    let u = asm("
        .data
    a:  .byte 1, -1, 'x'
    b:  .half 0x1234               # aligned to 2, label moves with it
    c:  .word b + 1                # aligned to 4
    s:  .ascii \"ab\"
    z:  .asciz \"c\"
        .align 3
    d:  .dcb.w 2, 0x7fff
        .fill 2, 1, 0xee
        .balign 4, 0xaa
    q:  .quad -2
        .bss
    buf: .space 6
    ");
    let want: Vec<u8> = vec![
        1, 0xff, b'x', 0, // a + pad
        0x12, 0x34, 0, 0, // b + pad
        0, 0, 0, 5, // c = b + 1
        b'a', b'b', b'c', 0, // s, z
        0x7f, 0xff, 0x7f, 0xff, 0xee, 0xee, 0xaa, 0xaa, // d, fill, balign
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, // q
    ];
    assert_eq!(u.data, want);
    assert_eq!((value(&u, "b"), value(&u, "c"), value(&u, "d"), value(&u, "q")), (4, 8, 16, 24));
    assert_eq!(u.bss_size, 6);
    assert_eq!(value(&u, "buf"), 32);
    assert_eq!(u.dmem_used(), 38);
}

#[test]
fn symbols_expressions_and_local_labels() {
    let u = asm("
        .equ SIZE, 4 * 8
        .set STEP, SIZE / 2
        LIMIT = SIZE + STEP - 1
        .global entry, LIMIT
        .text
        nop
    entry:
    1:  addiu t0, t0, -STEP
        bgtz t0, 1b
        nop
        beqz t1, 1f
        nop
        j . + 8
        nop
    1:  .entry entry
        break
    ");
    assert_eq!((value(&u, "SIZE"), value(&u, "STEP"), value(&u, "LIMIT")), (32, 16, 47));
    assert!(u.symbol("LIMIT").unwrap().global && u.symbol("entry").unwrap().global);
    assert_eq!(u.entry, 4);
    let w = u.text_words();
    assert_eq!(w[1], itype(0x09, 8, 8, (-16i16) as u16));
    assert_eq!(w[2], itype(0x07, 8, 0, (-2i16) as u16)); // back to 1: at 4 from 8
    assert_eq!(w[4], itype(0x04, 9, 0, 3)); // forward to 1: at 0x20 from 0x10
    assert_eq!(w[6], 0x02 << 26 | (0x18 + 8) >> 2);
}

#[test]
fn sections_and_subsections() {
    let u = asm("
        .text 1
    late: nop
        .text
    early: nop
        .data 1
    d1: .word 1
        .data
    d0: .word 0
        .previous
    d1b: .word 2
    ");
    assert_eq!((value(&u, "early"), value(&u, "late")), (0, 4));
    assert_eq!((value(&u, "d0"), value(&u, "d1"), value(&u, "d1b")), (0, 4, 8));
}

#[test]
fn macros_conditionals_and_defines() {
    let loader = MemoryLoader::new()
        .with(
            "defs.inc",
            "#define STRIDE 16\n#define ADDR(i) ((i) * STRIDE)\n.macro load_row vreg, row, base=s0\n    lqv \\vreg, ADDR(\\row), \\base\n.endm\n",
        )
        .with(
            "main.S",
            "#include \"defs.inc\"
#ifdef STRIDE
    load_row $v01, 2
#else
    break
#endif
    load_row $v02, 1, s1
    .macro count_to n
    .if \\n
        count_to (\\n - 1)
        addiu t0, t0, \\n
    .endif
    .endm
    count_to 3
    .macro unique
    \\@: nop
    .endm
    unique
    unique
    .macro stop_early
        nop
        .exitm
        break
    .endm
    stop_early
    .ifndef UNDEFINED_THING
    ori t1, t1, 1
    .elseif 1
    break
    .else
    break
    .endif
",
        );
    let u = assemble(&loader, "main.S").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        u.text_words(),
        vec![
            vmem(false, 4, 1, 0, 16, 2),
            vmem(false, 4, 2, 0, 17, 1),
            itype(0x09, 8, 8, 1),
            itype(0x09, 8, 8, 2),
            itype(0x09, 8, 8, 3),
            0,
            0,
            0,
            itype(0x0d, 9, 9, 1),
        ]
    );
    assert_eq!(u.source_files, vec!["main.S".to_string(), "defs.inc".to_string()]);
}

#[test]
fn overlays_share_one_imem_region() {
    let u = asm("
        .text
    main:
        jal ov_a_entry
        nop
        break
        .overlay a
    ov_a_entry:
        addiu t0, t0, 1
        jr ra
        nop
        .overlay b
    ov_b_entry:
        j main
        nop
    ");
    assert_eq!(u.text.len(), 12);
    assert_eq!(u.overlay_base, 16); // resident end rounded up to 8 (RSP DMA granularity)
    let (a, b) = (u.overlay("a").unwrap(), u.overlay("b").unwrap());
    assert_eq!((a.load_address, a.size(), b.load_address, b.size()), (16, 16, 16, 8));
    assert_eq!(u.text_words()[0], 0x03 << 26 | 16 >> 2);
    assert_eq!(rsp_asm::words(&a.image), vec![itype(0x09, 8, 8, 1), 31 << 21 | 8, 0, 0]);
    assert_eq!(rsp_asm::words(&b.image), vec![0x02 << 26, 0]);
    assert_eq!(u.symbol("ov_a_entry").unwrap().kind, SymbolKind::Overlay("a".into()));
    assert_eq!(value(&u, "ov_b_entry"), 16);
    assert_eq!(u.imem_used(), 32);
}

#[test]
fn struct_layout_constants() {
    let u = asm("
        .struct Layer
        .field n_in, 2
        .field n_out, 2
        .field weights, 4
        .field bias, 16          # a vector: 16-byte aligned
        .field scale, 1
        .endstruct
        .data
        .align 4
    layer0: .space Layer.SIZE
        .text
        lhu t0, %lo(layer0) + Layer.n_out(zero)
    ");
    let offsets: Vec<i64> = ["n_in", "n_out", "weights", "bias", "scale", "SIZE", "ALIGN"]
        .iter()
        .map(|f| value(&u, &format!("Layer.{f}")))
        .collect();
    assert_eq!(offsets, vec![0, 2, 4, 16, 32, 48, 16]);
    assert_eq!(u.dmem_used(), 48);
    assert_eq!(u.text_words(), vec![itype(0x25, 0, 8, 2)]);
}

#[test]
fn listing_shows_address_word_and_source() {
    let u = asm("start: li t0, 0x12345\n  .data\nv: .half 7\n");
    let text = u.listing_text();
    assert_eq!(text, "I 0000 3c080001  start: li t0, 0x12345\nI 0004 35082345  \nD 0000 0007      v: .half 7\n");
}

fn rustc_available() -> bool {
    let ok = std::process::Command::new("rustc").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!shared_fixtures::under_ci(), "rustc missing under CI");
        eprintln!("SKIPPED: rustc not on PATH");
    }
    ok
}

/// Compiles `lib_rs` (with `ucode.rs` beside it) as a library; returns rustc's verdict.
fn compile(generated: &str, lib_rs: &str, tag: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("rsp-asm-rust-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ucode.rs"), generated).unwrap();
    std::fs::write(dir.join("lib.rs"), lib_rs).unwrap();
    let out = std::process::Command::new("rustc")
        .args(["--edition", "2021", "--crate-type", "lib", "--crate-name", "probe", "--emit", "metadata", "-o"])
        .arg(dir.join("probe.rmeta"))
        .arg(dir.join("lib.rs"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn generated_rust_compiles_and_checks_a_mirrored_struct() {
    if !rustc_available() {
        return;
    }
    let u = asm("
        .struct Layer
        .field n_in, 2
        .field n_out, 2
        .field weights, 4
        .field bias, 16
        .endstruct
        .data
    layer: .space Layer.SIZE
        .text
    main: nop
        .overlay attention
    attn: jr ra
        nop
    ");
    let generated = rsp_asm::rust_source(&u, "probe.S").unwrap();
    let lib = |bias_offset_check: &str| {
        format!(
            "#![allow(dead_code)]
mod ucode {{ include!(\"ucode.rs\"); }}
/// A vector as the RSP loads it with lqv: 16 bytes, 16-aligned (`.field x, 16` defaults to that).
#[repr(C, align(16))]
struct V8([i16; 8]);
#[repr(C)]
struct Layer {{ n_in: u16, n_out: u16, weights: u32, bias: V8 }}
const _: () = assert!(core::mem::offset_of!(Layer, weights) == ucode::consts::Layer_weights as usize);
const _: () = assert!({bias_offset_check});
const _: () = assert!(core::mem::size_of::<Layer>() == ucode::consts::Layer_SIZE as usize);
const _: () = assert!(ucode::TEXT.len() == 4 && ucode::ENTRY == 0 && ucode::dmem::layer == 0);
const _: () = assert!(ucode::overlay::attention::IMEM_ADDR == ucode::imem::attn);
const _: () = assert!(ucode::overlay::attention::TEXT.len() == ucode::overlay::attention::SIZE);
pub fn text() -> &'static [u8] {{ &ucode::TEXT }}
"
        )
    };
    compile(&generated, &lib("core::mem::offset_of!(Layer, bias) == ucode::consts::Layer_bias as usize"), "ok")
        .unwrap_or_else(|e| panic!("generated Rust does not compile:\n{e}\n{generated}"));
    // The same check against a wrong offset must fail to compile: the assertions bite.
    let wrong =
        compile(&generated, &lib("core::mem::offset_of!(Layer, bias) == ucode::consts::Layer_weights as usize"), "bad");
    assert!(wrong.is_err_and(|e| e.contains("evaluation panicked") || e.contains("error[E0080]")));
}

#[test]
fn set_push_pop_restores_at() {
    // After `.set pop` the macro may use $at again: slt $at, $t1, $t0; bne $at, $zero, x.
    let u = asm(".set push\n.set noat\n.set pop\nbgt $t0, $t1, x\nnop\nx: nop\n");
    assert_eq!(u.text_words()[..2], [9 << 21 | 8 << 16 | 1 << 11 | 0x2a, itype(0x05, 1, 0, 1)]); // bne at 4, x at 12
    assert!(assemble_str("f.S", ".set push\n.set noat\nbgt $t0, $t1, x\nnop\nx: nop\n").is_err());
    assert!(assemble_str("f.S", ".set pop\n").is_err());
}

#[test]
fn libdragon_conveniences() {
    // `ra2` is $sp (rsp.inc), `.ds.b`/`.ds.w` reserve storage.
    let u = asm("move ra2, ra\njr ra2\nnop\n.data\na: .ds.b 3\nb: .ds.w 2\n");
    assert_eq!(u.text_words()[..2], [31 << 21 | 29 << 11 | 0x25, 29 << 21 | 8]);
    assert_eq!((value(&u, "a"), value(&u, "b"), u.dmem_used()), (0, 4, 8));
}

#[test]
fn cpp_token_pasting_stringizing_and_varargs() {
    // libdragon's rsp.inc builds `e(x)` this way: `_PPCAT(VE_, 3)` -> `VE_3`.
    let src = "\
#define _PPCAT2(n,x) n ## x
#define _PPCAT(n,x) _PPCAT2(n,x)
#define SUFFIX 3
#define CAT(a, b) a ## b
#define STR(x) #x
#define FIRST(a, ...) a
#define REST(a, ...) __VA_ARGS__
#define JOIN 1 ## 2
.data
VE_3 = 7
VE_SUFFIX = 9
  .byte _PPCAT(VE_, SUFFIX), CAT(VE_, SUFFIX), JOIN
  .ascii STR(a  +   \"q\")
  .byte FIRST(4, 5, 6), REST(4, 5, 6)
";
    let u = assemble_str("cpp.S", src).unwrap();
    // _PPCAT expands SUFFIX first (it is not next to `##` there); CAT pastes it unexpanded.
    assert_eq!(u.data, [7, 9, 12, b'a', b' ', b'+', b' ', b'"', b'q', b'"', 4, 5, 6]);
}

#[test]
fn regdef_h_and_assembler_predefines_come_built_in() {
    // `<regdef.h>` (a toolchain header that libdragon's rsp.inc includes) gives the o32 names.
    let src = "#include <regdef.h>\n#ifdef __ASSEMBLER__\n  addu t0, AT, ra\n#endif\n#if _MIPS_SIM == _ABIO32\n  or s8, jp, zero\n#endif\n";
    let u = assemble_str("r.S", src).unwrap();
    assert_eq!(u.text_words(), [0x003f_4021, 0x0320_f025]); // mips-linux-gnu-as
}

#[test]
fn angled_include_is_not_looked_up_beside_the_including_file() {
    let dir = std::env::temp_dir().join(format!("rsp-asm-angled-{}", std::process::id()));
    let (src, inc) = (dir.join("src"), dir.join("inc"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&inc).unwrap();
    std::fs::write(src.join("main.S"), "#include <v.inc>\n#include \"v.inc\"\n.data\n.byte A, B\n").unwrap();
    std::fs::write(src.join("v.inc"), "B = 2\n").unwrap();
    std::fs::write(inc.join("v.inc"), "A = 1\n").unwrap();
    let u = rsp_asm::assemble_file(src.join("main.S"), &[&inc]).unwrap();
    assert_eq!(u.data, [1, 2]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dollar_symbols_register_aliases_and_generic_cop2_forms() {
    // What libdragon's rsp.inc does to encode a vector op: `$vNN` redefined as symbols, a
    // symbol equated to a register, and the generic `cop2`/`lwc2`/`swc2` forms.
    let src = "\
.macro op vd, vt
    .set $v01, 1
    .set $v03, 3
    cop2 (\\vt << 16 | \\vd << 6 | 0b010000)
.endm
.text
    op $v01, $v03
    .set reg.x, $1
    .set $v02, $2
    lwc2 reg.x, (4 << 11 | 1) ($16)
    swc2 $v02, (4 << 11 | 0x7f)($0)
    .if $v03 == 3
    nop
    .endif
    vadd $v04, $v05, $v06
";
    let u = assemble_str("s.S", src).unwrap();
    // cop2 -> vadd $v01, $v01, $v03 (mips-linux-gnu-as); lqv $v01, 16($s0); sqv $v02, -16($zero).
    // `$v04..$v06` were never redefined: still rsp-asm's vector registers.
    assert_eq!(u.text_words(), [0x4a03_0050, 0xca01_2001, 0xe802_207f, 0, 0x4a06_2910]);
}

#[test]
fn cpp_applies_to_a_macro_body_where_it_is_defined() {
    // As gcc runs cpp over the whole file first: the parameter names and the body both see
    // `#define v0 $2`, and a #define made after the macro does not reach into it.
    let src = "\
#define v0 $2
LATER = 4
.macro load v0
    lw \\v0, LATER($0)
.endm
#define LATER 8
.text
    load $t1
";
    let u = assemble_str("m.S", src).unwrap();
    assert_eq!(u.text_words(), [0x8c09_0004]); // lw $t1, 4($zero), as mips-linux-gnu-gcc gives
}

#[test]
fn large_load_store_offsets_expand_as_gnu_as_does() {
    // `mips-linux-gnu-gcc -march=mips1 -mabi=32` output for the same lines: a load uses its
    // own register as the temporary unless that is the base or $zero, a store uses $at.
    let src = "\
    lw $8, 0x12345($8)
    sw $8, 0x12345($9)
    lbu $8, 0x18000($0)
    sh $8, 0x12345
    lw $8, 0xA4008010($9)
    lwc2 $1, 0x12345($8)
";
    let u = assemble_str("l.S", src).unwrap();
    assert_eq!(
        u.text_words(),
        [
            0x3c01_0001,
            0x0028_0821,
            0x8c28_2345, // lw via $at (t0 is the base)
            0x3c01_0001,
            0x0029_0821,
            0xac28_2345, // sw via $at
            0x3c08_0002,
            0x9108_8000, // lbu via t0, %hi rounds up for a negative %lo
            0x3c01_0001,
            0xa428_2345, // sh, no base
            0x3c08_a401,
            0x0109_4021,
            0x8d08_8010, // lw via t0
            0x3c01_0001,
            0x0028_0821,
            0xc821_2345, // lwc2 via $at
        ]
    );
}

#[test]
fn cpp_and_as_conditionals_nest_separately() {
    // A guarded header included twice: cpp skips the second copy whole, even `.if` lines
    // that would not lex there. And cpp acts inside a region `.if 0` skips (it runs first).
    let loader = rsp_asm::MemoryLoader::new()
        .with(
            "g.inc",
            "#ifndef G_INC\n#define G_INC\n.macro m a\n  .if (\\a > 1)\n  .byte \\a\n  .endif\n.endm\n#endif\n",
        )
        .with("main.S", "#include \"g.inc\"\n#include \"g.inc\"\n.data\n.if 0\n#define N 7\n.endif\n  m N\n");
    let u = rsp_asm::assemble(&loader, "main.S").unwrap();
    assert_eq!(u.data, [7]);
    let e = assemble_str("c.S", "#if 1\n.endif\n#endif\n").unwrap_err();
    assert_eq!(e.0[0].message, "`.endif` without `.if`");
}

#[test]
fn blank_separated_macro_arguments_and_li_of_a_label() {
    // libdragon writes `RSPQ_DefineCommand cmd_x     4`; `m a + b` stays one argument.
    // `li` of a label is one `addiu rt, $zero, %lo(label)` as with GNU as.
    let src = ".macro two a, b\n  .byte \\a, \\b\n.endm\n.macro one a\n  .byte \\a\n.endm\n.data\n  two 1     2\n  one 3 + 4\n.text\nx: nop\n  li $t0, x + 8\n";
    let u = assemble_str("a.S", src).unwrap();
    assert_eq!(u.data, [1, 2, 7]);
    assert_eq!(u.text_words()[1], 0x2408_0008); // addiu $t0, $zero, 8
}

#[test]
fn named_sections_are_collected_like_gnu_ld_gc_sections() {
    // `.text.used` is kept because `.text` jumps into it; `.text.unused` and `.data.unused`
    // are dropped (libdragon's rsp.ld with --gc-sections). `.bssovl1` starts where `.bss`
    // does. With libdragon's map labels are 0xA400xxxx and sections end padded to 16.
    let src = "\
.data
d: .word 0x11223344
.section .data.unused
.word 0x55
.bss
b: .space 8
.section .bssovl1
o: .space 4
.text
    jal used
    nop
    lui $t0, %hi(o)
    ori $t0, $t0, %lo(b)
.section .text.unused
    break
.section .text.used
used: jr $ra
    nop
";
    let loader = rsp_asm::MemoryLoader::new().with("s.S", src);
    let u = rsp_asm::assemble_with(&loader, "s.S", rsp_asm::AddressMap::LIBDRAGON).unwrap();
    // .text (4 words, 16 bytes) then .text.used at 0xA4001010.
    assert_eq!(u.text_words(), [0x0d00_0404, 0, 0x3c08_a400, 0x3508_0010, 0x03e0_0008, 0]);
    assert_eq!(u.data, [0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn set_on_condition_macros_expand_as_gnu_as_does() {
    // Words from `mips-linux-gnu-as -march=mips1` for the same lines.
    let src = "\
    sne $8, $9, $10
    sne $8, $9, $0
    sge $8, $9, $0
    seq $8, $9, -5
    sgtu $8, $9, 5
";
    let u = assemble_str("s.S", src).unwrap();
    assert_eq!(
        u.text_words(),
        [
            0x012a_4026,
            0x0008_402b, // xor; sltu t0, zero, t0
            0x0009_402b, // sltu t0, zero, t1
            0x0120_402a,
            0x3908_0001, // slt t0, t1, zero; xori t0, t0, 1
            0x2528_0005,
            0x2d08_0001, // addiu t0, t1, 5; sltiu t0, t0, 1
            0x2401_0005,
            0x0029_402b, // li at, 5; sltu t0, at, t1
        ]
    );
}

#[test]
fn quoted_macro_arguments_lose_their_quotes_and_asciiz() {
    // mips-linux-gnu-as: `m "ab"` with `.ascii "<\s>"` gives `<ab>`; `"g,h"` is one argument.
    let src = ".macro m s\n.ascii \"<\\s>\"\n.endm\n.data\nm \"ab\"\nm ef\nm \"g,h\"\n.asciiz \"z\"\n";
    let u = assemble_str("q.S", src).unwrap();
    assert_eq!(u.data, b"<ab><ef><g,h>z\0");
}

#[test]
fn dollar_is_no_cpp_identifier_char_and_16_bit_patterns() {
    // gcc -x assembler-with-cpp: with `#define vcc 1`, `$vcc` is `$1` (tiny3d's RSPL output
    // writes `cfc2 $t4, $vcc`). GNU as takes `addiu t0, t1, 65500` as -36.
    let src = "#define vcc 1\n  cfc2 $t4, $vcc\n  addiu $t0, $t1, 65500\n";
    let u = assemble_str("d.S", src).unwrap();
    assert_eq!(u.text_words(), [0x484c_0800, 0x2528_ffdc]);
}

/// Unary operators evaluate their operand once: a chain of n unary `+` used to cost 2^n
/// evaluations (the assemble fuzz target hung on `lqv $v01, ++...+0, s0` with 42 of them).
/// 60 deep (the parser's nesting limit is 64) would never finish with the old code; a label
/// keeps its value through the chain.
#[test]
fn long_unary_chains_evaluate_in_linear_time() {
    let plus = "+".repeat(60);
    let mixed = "-~".repeat(30);
    let u =
        asm(&format!(".data\npad: .half 0\nthere: .half 1\n.set a, {plus}3\n.set b, {mixed}5\n.set c, {plus}there\n"));
    assert_eq!(value(&u, "a"), 3);
    // -~x = x + 1, applied 30 times.
    assert_eq!(value(&u, "b"), 35);
    assert_eq!(value(&u, "c"), value(&u, "there"));
}
