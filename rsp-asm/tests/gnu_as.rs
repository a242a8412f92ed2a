//! Scalar encodings agree with GNU as (`mips-linux-gnu-as -march=mips1 -EB`, Debian's
//! binutils-mips-linux-gnu) over a few thousand generated MIPS I instructions the RSP shares,
//! and the pseudo-instructions expand as GNU as expands them.
//!
//! Without the tool the tests are skipped with a message; under `CI=true` they fail (CI
//! installs it through `cargo xtask setup`).

use std::path::PathBuf;
use std::process::Command;

const AS: &str = "mips-linux-gnu-as";
const OBJCOPY: &str = "mips-linux-gnu-objcopy";

/// xorshift64*, deterministic.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const GPRS: [&str; 32] = [
    "$zero", "$at", "$v0", "$v1", "$a0", "$a1", "$a2", "$a3", "$t0", "$t1", "$t2", "$t3", "$t4", "$t5", "$t6", "$t7",
    "$s0", "$s1", "$s2", "$s3", "$s4", "$s5", "$s6", "$s7", "$t8", "$t9", "$k0", "$k1", "$gp", "$sp", "$fp", "$ra",
];

fn tools_present() -> bool {
    let ok = Command::new(AS).arg("--version").output().is_ok_and(|o| o.status.success())
        && Command::new(OBJCOPY).arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !shared_fixtures::under_ci(),
            "{AS}/{OBJCOPY} missing under CI (cargo xtask setup installs binutils-mips-linux-gnu)"
        );
        eprintln!("SKIPPED: {AS} not installed (apt install binutils-mips-linux-gnu)");
    }
    ok
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rsp-asm-gnu-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Assembles `source` with GNU as and returns the .text words.
fn gnu_words(source: &str, tag: &str) -> Vec<u32> {
    let dir = temp_dir(tag);
    let (s, o, bin) = (dir.join("t.s"), dir.join("t.o"), dir.join("t.bin"));
    std::fs::write(&s, source).unwrap();
    let out = Command::new(AS).args(["-march=mips1", "-EB", "-o"]).arg(&o).arg(&s).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // "branch bgeu is always true" is GNU as remarking on a generated compare against 0; any
    // other message means the generated source is not what both assemblers should accept.
    let unexpected =
        stderr.lines().filter(|l| !l.ends_with("Assembler messages:") && !l.contains("is always true")).count();
    assert!(out.status.success() && unexpected == 0, "GNU as: {stderr}");
    let out = Command::new(OBJCOPY).args(["-O", "binary", "-j", ".text"]).arg(&o).arg(&bin).output().unwrap();
    assert!(out.status.success(), "objcopy: {}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&bin).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    rsp_asm::words(&bytes)
}

fn compare(source: &str, tag: &str) {
    if let Some(dir) = std::env::var_os("RSP_ASM_DUMP_DIR") {
        // Debugging aid: keep the generated source to reproduce a difference by hand.
        let _ = std::fs::write(PathBuf::from(dir).join(format!("{tag}.s")), source);
    }
    let gnu = gnu_words(source, tag);
    let ucode = rsp_asm::assemble_str("gen.S", source).unwrap_or_else(|e| panic!("{e}"));
    let ours = ucode.text_words();
    let mut gnu = gnu;
    // GNU as pads .text to its 16-byte section alignment with zero words.
    if gnu.len() > ours.len() && gnu.len() == ours.len().div_ceil(4) * 4 && gnu[ours.len()..].iter().all(|w| *w == 0) {
        gnu.truncate(ours.len());
    }
    if gnu != ours {
        let first = gnu.iter().zip(&ours).position(|(a, b)| a != b).unwrap_or(gnu.len().min(ours.len()));
        let addr = 4 * first as u32;
        let near: Vec<String> = ucode
            .listing
            .iter()
            .filter(|e| e.address + 16 >= addr && e.address <= addr + 4)
            .map(|e| format!("{:04x} line {}: {}", e.address, e.line, e.source))
            .collect();
        panic!(
            "first difference at word {first} (GNU {:08x?}, ours {:08x?}); GNU has {} words, we have {}; source near it:\n{}",
            gnu.get(first),
            ours.get(first),
            gnu.len(),
            ours.len(),
            near.join("\n")
        );
    }
    assert!(gnu.len() > 10);
}

/// One random MIPS I instruction the RSP has, in syntax both assemblers read.
fn random_instruction(rng: &mut Rng, labels: usize) -> String {
    let r = |rng: &mut Rng| GPRS[rng.below(32) as usize];
    let label = |rng: &mut Rng| format!("L{}", rng.below(labels as u64));
    match rng.below(13) {
        0 => format!(
            "{} {}, {}, {}",
            rng.pick(&["add", "addu", "sub", "subu", "and", "or", "xor", "nor", "slt", "sltu"]),
            r(rng),
            r(rng),
            r(rng)
        ),
        1 => format!("{} {}, {}, {}", rng.pick(&["sll", "srl", "sra"]), r(rng), r(rng), rng.below(32)),
        2 => format!("{} {}, {}, {}", rng.pick(&["sllv", "srlv", "srav"]), r(rng), r(rng), r(rng)),
        3 => format!(
            "{} {}, {}, {}",
            rng.pick(&["addi", "addiu", "slti", "sltiu"]),
            r(rng),
            r(rng),
            rng.below(65536) - 32768
        ),
        4 => format!("{} {}, {}, 0x{:x}", rng.pick(&["andi", "ori", "xori"]), r(rng), r(rng), rng.below(65536)),
        5 => format!("lui {}, 0x{:x}", r(rng), rng.below(65536)),
        6 => format!(
            "{} {}, {}({})",
            rng.pick(&["lb", "lbu", "lh", "lhu", "lw", "sb", "sh", "sw"]),
            r(rng),
            rng.below(65536) - 32768,
            r(rng)
        ),
        7 => format!("{} {}, {}, {}", rng.pick(&["beq", "bne"]), r(rng), r(rng), label(rng)),
        8 => {
            // GNU as refuses BLTZAL/BGEZAL on $ra (the link overwrites the tested register);
            // rsp-asm accepts it (the RSP reads rs first, ares `BGEZAL`), so leave it out here.
            let m = rng.pick(&["blez", "bgtz", "bltz", "bgez", "bltzal", "bgezal"]);
            let rs = if m.ends_with("al") { GPRS[rng.below(31) as usize] } else { r(rng) };
            format!("{m} {rs}, {}", label(rng))
        }
        9 => format!("{} {}", rng.pick(&["j", "jal"]), label(rng)),
        10 => {
            // JALR with rd == rs is undefined on MIPS; GNU as refuses it.
            let (a, b) = (1 + rng.below(31), 1 + rng.below(31));
            let b = if a == b { (b % 31) + 1 } else { b };
            match rng.below(3) {
                0 => format!("jr {}", GPRS[a as usize]),
                1 if a != 31 => format!("jalr {}", GPRS[a as usize]),
                _ => format!("jalr {}, {}", GPRS[b as usize], GPRS[a as usize]),
            }
        }
        11 => match rng.below(4) {
            0 => "break".to_string(),
            1 => format!("break {}", rng.below(1024)),
            2 => format!("break {}, {}", rng.below(1024), rng.below(1024)),
            _ => "nop".to_string(),
        },
        _ => format!("{} {}, ${}", rng.pick(&["mfc0", "mtc0"]), r(rng), rng.below(16)),
    }
}

#[test]
fn mips1_instructions_match_gnu_as() {
    if !tools_present() {
        return;
    }
    // 3 x 1000 instructions: each chunk fits IMEM (4 KB) and gets its own GNU as run, so that
    // J/JAL targets (absolute) mean the same thing in both assemblers.
    let mut rng = Rng(0x5eed_1234);
    let labels = 20;
    for chunk in 0..3 {
        let mut src = String::from(".set noreorder\n.set nomacro\n.set noat\n.text\n");
        for i in 0..1000 {
            if i % 50 == 0 {
                src.push_str(&format!("L{}:\n", i / 50));
            }
            src.push_str(&random_instruction(&mut rng, labels));
            src.push('\n');
        }
        compare(&src, &format!("mips1-{chunk}"));
    }
}

#[test]
fn pseudo_instructions_expand_as_gnu_as_does() {
    if !tools_present() {
        return;
    }
    let mut rng = Rng(99);
    // Registers other than $zero/$at: GNU as special-cases some of those (bltz for blt $x,$zero).
    let reg = |rng: &mut Rng| GPRS[2 + rng.below(30) as usize];
    let values = [
        0i64,
        1,
        -1,
        5,
        -5,
        0x7fff,
        0x8000,
        -0x8000,
        -0x8001,
        0xffff,
        0x10000,
        0x12345678,
        -0x12345678,
        0x7fff_ffff,
        0x8000_0000u32 as i64,
        0xffff_0000u32 as i64,
        // 32-bit patterns GNU as takes as negative numbers (one ADDIU for the last two).
        0xffff_ffff,
        0xffff_8000,
        0xffff_7fff,
    ];
    let mut src = String::from(".set noreorder\n.set at\n.text\nL0:\n");
    for i in 0..300 {
        let v = values[rng.below(values.len() as u64) as usize];
        let line = match rng.below(12) {
            0 => format!("li {}, {v}", reg(&mut rng)),
            1 => format!("move {}, {}", reg(&mut rng), reg(&mut rng)),
            2 => format!("{} {}, {}", rng.pick(&["neg", "negu", "not"]), reg(&mut rng), reg(&mut rng)),
            3 => format!("{} L{}", rng.pick(&["b", "bal"]), rng.below(8)),
            4 => format!("{} {}, L{}", rng.pick(&["beqz", "bnez"]), reg(&mut rng), rng.below(8)),
            5 => {
                let m = rng.pick(&["blt", "bltu", "bge", "bgeu", "bgt", "bgtu", "ble", "bleu"]);
                // Now and then `$zero` on either side, which GNU as turns into one instruction.
                let (a, b) = match rng.below(6) {
                    0 => ("$zero", reg(&mut rng)),
                    1 => (reg(&mut rng), "$zero"),
                    _ => (reg(&mut rng), reg(&mut rng)),
                };
                format!("{m} {a}, {b}, L{}", rng.below(8))
            }
            6 => {
                let imm = [0i64, 1, -1, 5, -5, 100, 0x7ffe, 0x12345, 0xffff_ffff][rng.below(9) as usize];
                let m = rng.pick(&["blt", "bltu", "bge", "bgeu", "bgt", "bgtu", "ble", "bleu"]);
                format!("{m} {}, {imm}, L{}", reg(&mut rng), rng.below(8))
            }
            7 => format!(
                "{} {}, {}, {v}",
                rng.pick(&["add", "addu", "sub", "subu", "and", "or", "xor", "slt", "sltu"]),
                reg(&mut rng),
                reg(&mut rng)
            ),
            8 => format!(
                "{} {}, {}, L{}",
                rng.pick(&["beq", "bne"]),
                reg(&mut rng),
                [1, 5, -5, 0x12345][rng.below(4) as usize],
                rng.below(8)
            ),
            9 => format!(
                "{} {}, {}",
                rng.pick(&["addiu", "andi", "ori", "xori", "addi"]),
                reg(&mut rng),
                rng.below(0x7fff)
            ),
            10 => format!("{} {}, {}", rng.pick(&["addu", "and", "or", "xor", "subu"]), reg(&mut rng), reg(&mut rng)),
            _ => format!("{} {}, {}", rng.pick(&["sll", "srl", "sra"]), reg(&mut rng), rng.below(32)),
        };
        src.push_str(&line);
        src.push('\n');
        if line.starts_with('b') {
            // Keep multi-instruction macros out of delay slots (both assemblers object).
            src.push_str("nop\n");
        }
        if i % 40 == 39 {
            src.push_str(&format!("L{}:\n", i / 40 + 1));
        }
    }
    compare(&src, "pseudo");
}
