//! Every encoding of `../shared/fixtures/rsp/rsp_asm_golden.json` (the armips assembler's RSP
//! opcode test, re-expressed as words and fields) decodes to exactly the fields the fixture
//! lists and encodes back to the same word.

use rsp_isa::{decode, Instr, VMemOp};
use serde_json::Value;

fn field(fields: &Value, name: &str) -> u64 {
    fields[name]
        .as_u64()
        .unwrap_or_else(|| panic!("field {name} missing in {fields}"))
}

fn parse_word(s: &str) -> u32 {
    u32::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex word")
}

#[test]
fn golden_words_decode_to_their_fields_and_reencode() {
    let Some(bytes) = shared_fixtures::read("fixtures/rsp/rsp_asm_golden.json") else {
        return;
    };
    let records: Vec<Value> = serde_json::from_slice(&bytes).expect("valid JSON");
    assert_eq!(records.len(), 90, "the fixture README promises 90 records");
    for rec in &records {
        let word = parse_word(rec["word"].as_str().unwrap());
        let f = &rec["fields"];
        let source = rec["armips_syntax"].as_str().unwrap();
        let mnemonic = f["mnemonic"].as_str().unwrap();
        let instr = decode(word).unwrap_or_else(|e| panic!("{source}: {word:#010x} -> {e:?}"));
        assert_eq!(instr.encode(), word, "{source}: re-encode");
        assert!(instr.is_well_formed(), "{source}");
        let class = f["class"].as_str().unwrap();
        match (class, instr) {
            ("cop0_move", Instr::Mfc0 { rt, rd } | Instr::Mtc0 { rt, rd }) => {
                let is_mfc = matches!(instr, Instr::Mfc0 { .. });
                assert_eq!(mnemonic, if is_mfc { "mfc0" } else { "mtc0" }, "{source}");
                assert_eq!(
                    (rt as u64, rd as u64),
                    (field(f, "rt"), field(f, "rd")),
                    "{source}"
                );
            }
            ("cop2_control", Instr::Cfc2 { rt, rd } | Instr::Ctc2 { rt, rd }) => {
                let is_cfc = matches!(instr, Instr::Cfc2 { .. });
                assert_eq!(mnemonic, if is_cfc { "cfc2" } else { "ctc2" }, "{source}");
                assert_eq!(
                    (rt as u64, rd as u64),
                    (field(f, "rt"), field(f, "rd")),
                    "{source}"
                );
            }
            ("cop2_move", Instr::Mfc2 { rt, vs, e } | Instr::Mtc2 { rt, vs, e }) => {
                let is_mfc = matches!(instr, Instr::Mfc2 { .. });
                assert_eq!(mnemonic, if is_mfc { "mfc2" } else { "mtc2" }, "{source}");
                assert_eq!(
                    (rt as u64, vs as u64, e as u64),
                    (field(f, "rt"), field(f, "vs"), field(f, "e")),
                    "{source}"
                );
            }
            ("cop2_vector", Instr::Vector { op, vd, vs, vt, e }) => {
                assert_eq!(op.mnemonic(), mnemonic, "{source}");
                assert_eq!(op.funct() as u64, field(f, "funct"), "{source}");
                // Single-lane ops carry the vs slot as "de" (destination element).
                let vs_name = if op.is_single_lane() { "de" } else { "vs" };
                assert_eq!(f.get("de").is_some(), op.is_single_lane(), "{source}");
                assert_eq!(
                    (vd as u64, vs as u64, vt as u64, e as u64),
                    (
                        field(f, "vd"),
                        field(f, vs_name),
                        field(f, "vt"),
                        field(f, "e")
                    ),
                    "{source}"
                );
            }
            (
                "lwc2" | "swc2",
                Instr::VLoad {
                    op,
                    vt,
                    e,
                    base,
                    offset,
                }
                | Instr::VStore {
                    op,
                    vt,
                    e,
                    base,
                    offset,
                },
            ) => {
                let is_load = matches!(instr, Instr::VLoad { .. });
                assert_eq!(class == "lwc2", is_load, "{source}");
                let name = if is_load {
                    op.load_mnemonic()
                } else {
                    op.store_mnemonic()
                };
                assert_eq!(name, mnemonic, "{source}");
                assert_eq!(op as u64, field(f, "sub_op"), "{source}");
                assert_eq!(
                    op.offset_scale() as u64,
                    field(f, "access_size"),
                    "{source}"
                );
                assert_eq!(
                    offset as i64,
                    f["offset_field"].as_i64().unwrap(),
                    "{source}"
                );
                assert_eq!(
                    offset as i64 * op.offset_scale() as i64,
                    f["offset_bytes"].as_i64().unwrap(),
                    "{source}"
                );
                assert_eq!(
                    (vt as u64, e as u64, base as u64),
                    (field(f, "vt"), field(f, "e"), field(f, "base")),
                    "{source}"
                );
                assert_eq!(VMemOp::from_sub(op as u32), Some(op));
            }
            (class, other) => panic!("{source}: class {class} but decoded {other:?}"),
        }
    }
}
