//! Every encoding of `../shared/fixtures/rsp/rsp_asm_golden.json` (armips's RSP opcode test),
//! written in our syntax, assembles to the word armips produced; and each word's disassembly
//! (rsp-isa's Display) assembles back to the same word.

use serde_json::Value;

fn load() -> Option<Vec<(String, u32, Value)>> {
    let bytes = shared_fixtures::read("fixtures/rsp/rsp_asm_golden.json")?;
    let records: Vec<Value> = serde_json::from_slice(&bytes).expect("valid JSON");
    Some(
        records
            .into_iter()
            .map(|r| {
                let word = u32::from_str_radix(r["word"].as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
                (r["armips_syntax"].as_str().unwrap().to_string(), word, r["fields"].clone())
            })
            .collect(),
    )
}

/// armips `v1[14]` style element on a load/store/move operand: a byte index. libdragon's
/// spelling: `.eN` = lane N (byte 2N) for most forms, `.eN` = N for lpv/luv/spv/suv, `.bN` =
/// byte N.
fn byte_element(mnemonic: &str, byte: u32) -> String {
    let lane_style = matches!(mnemonic, "lpv" | "luv" | "spv" | "suv");
    match byte {
        0 => String::new(),
        b if lane_style => format!(".e{b}"),
        b if b % 2 == 0 => format!(".e{}", b / 2),
        b => format!(".b{b}"),
    }
}

fn vreg(n: &str) -> String {
    format!("$v{:02}", n.parse::<u32>().unwrap())
}

/// Translates one operand of the armips test into our syntax.
fn operand(mnemonic: &str, op: &str, index: usize) -> String {
    let op = op.trim();
    if let Some(r) = op.strip_prefix('r').filter(|r| r.chars().all(|c| c.is_ascii_digit())) {
        return format!("${r}");
    }
    if op == "SP_STATUS" {
        return "COP0_SP_STATUS".into();
    }
    if let Some((off, base)) = op.split_once('(') {
        return format!("{off}({})", operand(mnemonic, base.trim_end_matches(')'), index));
    }
    if let Some(v) = op.strip_prefix('v') {
        if mnemonic.starts_with("vrnd") && index == 1 {
            // armips writes VRNDP/VRNDN's vs slot as a register; it is a flag (0/1).
            return v.to_string();
        }
        return match v.split_once('[') {
            None => vreg(v),
            Some((reg, el)) => {
                let el = el.trim_end_matches(']');
                let suffix = if let Some(lane) = el.strip_suffix('w') {
                    format!(".e{lane}") // [Nw]: broadcast lane N
                } else if mnemonic.starts_with('v') {
                    format!(".e{el}") // single-lane ops: lane N
                } else {
                    byte_element(mnemonic, el.parse().unwrap())
                };
                format!("{}{suffix}", vreg(reg))
            }
        };
    }
    op.to_string()
}

fn translate(armips: &str) -> String {
    let (mnemonic, ops) = armips.split_once(' ').unwrap_or((armips, ""));
    if ops.is_empty() {
        return mnemonic.to_string();
    }
    let ops: Vec<String> = ops.split(',').enumerate().map(|(i, o)| operand(mnemonic, o, i)).collect();
    format!("{mnemonic} {}", ops.join(", "))
}

#[test]
fn armips_encodings_assemble_from_our_syntax() {
    let Some(records) = load() else { return };
    let source: Vec<String> = records.iter().map(|(s, _, _)| translate(s)).collect();
    let text = source.join("\n");
    let ucode = rsp_asm::assemble_str("golden.S", &text).unwrap_or_else(|e| panic!("{e}\n--- source ---\n{text}"));
    let words = ucode.text_words();
    assert_eq!(words.len(), records.len());
    for (k, ((armips, want, _), ours)) in records.iter().zip(&source).enumerate() {
        assert_eq!(words[k], *want, "{armips}  =>  {ours}: got {:#010x}, armips {want:#010x}", words[k]);
    }
}

#[test]
fn disassembly_of_each_golden_word_reassembles() {
    let Some(records) = load() else { return };
    for (armips, word, _) in &records {
        let text = rsp_isa::decode(*word).unwrap().to_string();
        let ucode = rsp_asm::assemble_str("d.S", &text).unwrap_or_else(|e| panic!("{armips}: `{text}`: {e}"));
        assert_eq!(ucode.text_words(), vec![*word], "{armips}: `{text}`");
    }
}

/// A few of the translations spelled out, so the expected syntax is visible here.
#[test]
fn translation_examples() {
    assert_eq!(translate("mfc2 r1,v1[15]"), "mfc2 $1, $v01.b15");
    assert_eq!(translate("vmulf v1,v1,v1[7w]"), "vmulf $v01, $v01, $v01.e7");
    assert_eq!(translate("vrcp v1[1],v1[7]"), "vrcp $v01.e1, $v01.e7");
    assert_eq!(translate("lsv v1[14],2(r31)"), "lsv $v01.e7, 2($31)");
    assert_eq!(translate("mfc0 r8,SP_STATUS"), "mfc0 $8, COP0_SP_STATUS");
}
