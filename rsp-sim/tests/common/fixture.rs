//! Reading `fixtures/rsp/rsp_hw_golden.json` (format: `fixtures/rsp/README.md`).
//!
//! The `expected`/`inputs` objects describe DMEM layouts whose order matters (fields lie back
//! to back in key order), so they are read into ordered lists rather than serde_json maps.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A JSON object with its keys in file order.
#[derive(Debug, Clone)]
pub struct Ordered(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One hardware case.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Case {
    pub suite: String,
    pub case: String,
    pub index_in_suite: usize,
    pub program: Value,
    pub imem_words: Vec<String>,
    pub input_words: Vec<String>,
    pub expected: Ordered,
    #[serde(default)]
    pub notes: Vec<String>,
}

pub fn hex_u32(s: &str) -> u32 {
    u32::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex u32 in fixture")
}

pub fn words_to_bytes(words: &[String]) -> Vec<u8> {
    words
        .iter()
        .flat_map(|w| hex_u32(w).to_be_bytes())
        .collect()
}

/// The bytes an expected field describes: `v128` = 8 big-endian lanes, `u32` = one word.
pub fn field_bytes(key: &str, value: &Value) -> Vec<u8> {
    let kind = key.split(':').next().unwrap_or("");
    match kind {
        "v128" => value
            .as_array()
            .expect("v128 is a list")
            .iter()
            .flat_map(|l| (hex_u32(l.as_str().expect("lane hex")) as u16).to_be_bytes())
            .collect(),
        "u32" => hex_u32(value.as_str().expect("u32 hex"))
            .to_be_bytes()
            .to_vec(),
        other => panic!("unknown field type {other} in {key}"),
    }
}

/// All cases, grouped by suite (file order of first appearance), each suite in index order.
pub fn load_suites(json: &[u8]) -> Vec<(String, Vec<Case>)> {
    let cases: Vec<Case> = serde_json::from_slice(json).expect("rsp_hw_golden.json parses");
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    for c in cases {
        match suites.iter_mut().find(|(s, _)| *s == c.suite) {
            Some((_, v)) => v.push(c),
            None => suites.push((c.suite.clone(), vec![c])),
        }
    }
    for (_, v) in suites.iter_mut() {
        v.sort_by_key(|c| c.index_in_suite);
    }
    suites
}
