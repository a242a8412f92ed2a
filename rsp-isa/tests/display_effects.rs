//! The disassembly syntax (what `rsp-asm` reads, libdragon's spelling) and the read/write sets
//! the simulator's cycle model uses, for hand-picked words.

use rsp_isa::*;

fn show(word: u32) -> String {
    decode(word).unwrap().to_string()
}

fn vec_op(funct: u32, vd: u32, vs: u32, vt: u32, e: u32) -> u32 {
    0x4a00_0000 | e << 21 | vt << 16 | vs << 11 | vd << 6 | funct
}

#[test]
fn disassembly_syntax() {
    let cases: &[(u32, &str)] = &[
        (0x0000_0000, "nop"),
        (0x2408_fffb, "addiu $t0, $zero, -5"),
        (0x3508_8000, "ori $t0, $t0, 0x8000"),
        (0x8fbf_0010, "lw $ra, 16($sp)"),
        (0x1000_ffff, "beq $zero, $zero, . + 0"),
        (0x0501_0003, "bgez $t0, . + 16"),
        (0x0c00_0010, "jal 0x040"),
        (0x0003_010d, "break 3, 4"),
        (0x4008_2000, "mfc0 $t0, COP0_SP_STATUS"),
        (0x4088_8000, "mtc0 $t0, $16"),
        (0x4848_0800, "cfc2 $t0, COP2_CTRL_VCC"),
        (0x4808_0b00, "mfc2 $t0, $v01.e3"),
        (0x4888_0b80, "mtc2 $t0, $v01.b7"),
        (vec_op(0x07, 1, 2, 3, 0), "vmudh $v01, $v02, $v03"),
        (vec_op(0x07, 1, 2, 3, 1), "vmudh $v01, $v02, $v03, 1"),
        (vec_op(0x07, 1, 2, 3, 3), "vmudh $v01, $v02, $v03.q1"),
        (vec_op(0x07, 1, 2, 3, 6), "vmudh $v01, $v02, $v03.h2"),
        (vec_op(0x07, 1, 2, 3, 13), "vmudh $v01, $v02, $v03.e5"),
        (vec_op(0x32, 4, 11, 5, 12), "vrcph $v04.e3, $v05.e4"),
        (vec_op(0x32, 4, 3, 5, 12), "vrcph $v04, 3, $v05, 12"),
        (vec_op(0x1d, 6, 0, 0, 9), "vsar $v06, COP2_ACC_MD"),
        (vec_op(0x1d, 6, 1, 0, 9), "vsar $v06, $v01, $v00.e1"),
        (vec_op(0x02, 7, 1, 8, 8), "vrndp16 $v07, $v08.e0"),
        (vec_op(0x0a, 7, 0, 8, 0), "vrndn $v07, $v08"),
        (vec_op(0x0b, 9, 0, 0, 0), "vmacq $v09"),
        (vec_op(0x37, 0, 0, 0, 0), "vnop"),
        // lqv $v01, 32($s0): sub 4, offset field 2.
        (
            0x32 << 26 | 16 << 21 | 1 << 16 | 4 << 11 | 2,
            "lqv $v01, 32($s0)",
        ),
        // ssv $v02, byte 6 (lane 3), -2($t0).
        (
            0x3a << 26 | 8 << 21 | 2 << 16 | 1 << 11 | 6 << 7 | 0x7f,
            "ssv $v02.e3, -2($t0)",
        ),
        // lbv byte 5.
        (0x32 << 26 | 2 << 16 | 5 << 7, "lbv $v02.b5, 0($zero)"),
        // lpv field 5 (lane style), but field 9 has no suffix: four-operand form.
        (
            0x32 << 26 | 3 << 16 | 6 << 11 | 5 << 7 | 1,
            "lpv $v03.e5, 8($zero)",
        ),
        (
            0x32 << 26 | 3 << 16 | 6 << 11 | 9 << 7 | 1,
            "lpv $v03, 9, 8, $zero",
        ),
        // ltv odd byte: four-operand form.
        (
            0x32 << 26 | 3 << 16 | 11 << 11 | 3 << 7,
            "ltv $v03, 3, 0, $zero",
        ),
    ];
    for (word, text) in cases {
        assert_eq!(show(*word), *text, "{word:#010x}");
    }
    // With the address known, branch targets are absolute.
    assert_eq!(
        decode(0x0501_0003).unwrap().at(0x100).to_string(),
        "bgez $t0, 0x110"
    );
}

fn gprs(list: &[u8]) -> u32 {
    list.iter().fold(0, |m, r| m | 1 << r)
}

#[test]
fn effects_for_the_cycle_model() {
    let fx = |w: u32| decode(w).unwrap().effects();
    // vmadh $v01, $v02, $v03.e5: reads vs, vt and the accumulator, writes vd and the accumulator.
    let e = fx(vec_op(0x0f, 1, 2, 3, 13));
    assert_eq!((e.vr_reads, e.vr_writes), (1 << 2 | 1 << 3, 1 << 1));
    assert_eq!((e.vu_reads, e.vu_writes), (VuState::ACC, VuState::ACC));
    assert_eq!(
        decode(vec_op(0x0f, 1, 2, 3, 13)).unwrap().unit(),
        Unit::Vector
    );
    // vaddc writes VCO without reading it; vadd reads and clears it.
    assert_eq!(fx(vec_op(0x14, 1, 2, 3, 0)).vu_reads, VuState::NONE);
    assert_eq!(fx(vec_op(0x10, 1, 2, 3, 0)).vu_reads, VuState::VCO);
    // vcl reads all three flags; vch reads none and writes all three.
    assert!(fx(vec_op(0x24, 1, 2, 3, 0))
        .vu_reads
        .contains(VuState::VCO | VuState::VCC | VuState::VCE));
    assert_eq!(fx(vec_op(0x25, 1, 2, 3, 0)).vu_reads, VuState::NONE);
    // vrcpl: the vs slot is an element, not a register; reads the divider latch.
    let e = fx(vec_op(0x31, 4, 11, 5, 12));
    assert_eq!((e.vr_reads, e.vu_reads), (1 << 5, VuState::DIV));
    // vsar reads only the accumulator.
    assert_eq!(fx(vec_op(0x1d, 6, 0, 0, 9)).vr_reads, 0);
    // ltv $v09: writes the group $v08..$v15; stv reads it; lwv writes nothing (no-op on the RSP).
    assert_eq!(fx(0x32 << 26 | 9 << 16 | 11 << 11).vr_writes, 0xff00);
    assert_eq!(fx(0x3a << 26 | 17 << 16 | 11 << 11).vr_reads, 0x00ff_0000);
    assert_eq!(fx(0x32 << 26 | 9 << 16 | 10 << 11).vr_writes, 0);
    // Vector loads and coprocessor moves issue on the scalar unit.
    assert_eq!(decode(0x32 << 26 | 4 << 11).unwrap().unit(), Unit::Scalar);
    // mtc2 $t0, $v01.e3 writes the vector register; cfc2 of control register 3 reads VCE.
    let e = fx(0x4888_0b00);
    assert_eq!((e.gpr_reads, e.vr_writes), (gprs(&[8]), 1 << 1));
    assert_eq!(fx(0x4848_1800).vu_reads, VuState::VCE);
    // lw $ra, 16($sp); jal; bgezal writes $ra; $zero never appears.
    let e = fx(0x8fbf_0010);
    assert_eq!(
        (e.gpr_reads, e.gpr_writes, e.reads_dmem),
        (gprs(&[29]), gprs(&[31]), true)
    );
    assert_eq!(fx(0x0c00_0010).gpr_writes, gprs(&[31]));
    assert_eq!(fx(0x0411_0000).gpr_writes, gprs(&[31]));
    let e = fx(0x0000_4021); // addu $t0, $zero, $zero
    assert_eq!((e.gpr_reads, e.gpr_writes), (0, gprs(&[8])));
}

#[test]
fn branch_targets_wrap_like_the_12_bit_pc() {
    // beq at 0xffc with offset 0: delay slot at 0x1000 wraps to 0x000.
    assert_eq!(
        decode(0x1000_0000).unwrap().static_target(0xffc),
        Some(0x000)
    );
    assert_eq!(
        decode(0x1000_ffff).unwrap().static_target(0x000),
        Some(0x000)
    );
    assert_eq!(decode(0x0800_0401).unwrap().static_target(0), Some(0x004));
    assert_eq!(decode(0x03e0_0008).unwrap().static_target(0), None);
    assert!(decode(0x03e0_0008).unwrap().has_delay_slot());
}
