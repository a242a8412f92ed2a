//! VRCP/VRSQ: our `vrcp32`/`vrsq32` against results measured on a real N64
//! (fixtures/rsp/rsp_hw_golden.json, suites vrcp, vrsq and vrcpl; see its README).
//!
//! Each vrcp/vrsq case loads 16 vectors of consecutive 16-bit inputs and, per lane, runs the
//! instruction (low half of the result into `resNlo`) then VRCPH/VRSQH (high half, DIVOUT,
//! into `resNhi`). The 512 cases of each suite cover all 65,536 inputs.

use kernels::rcp::{vrcp32, vrsq32};
use serde_json::Value;

fn hex16(v: &Value) -> u16 {
    u16::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn load() -> Option<Vec<Value>> {
    let bytes = shared_fixtures::read("fixtures/rsp/rsp_hw_golden.json")?;
    let v: Value = serde_json::from_slice(&bytes).expect("golden JSON parses");
    Some(v.as_array().expect("array").clone())
}

fn check_suite(cases: &[Value], suite: &str, f: fn(i32) -> i32) -> usize {
    let mut checked = 0;
    for case in cases.iter().filter(|c| c["suite"] == suite) {
        for n in 0..16 {
            let input = &case["inputs"][format!("v128:v{n}")];
            let lo = &case["expected"][format!("v128:res{n}lo")];
            let hi = &case["expected"][format!("v128:res{n}hi")];
            for lane in 0..8 {
                let x = hex16(&input[lane]) as i16;
                let want = ((hex16(&hi[lane]) as u32) << 16) | hex16(&lo[lane]) as u32;
                let got = f(x as i32) as u32;
                assert_eq!(
                    got, want,
                    "{suite}({x}) = {got:#010x}, hardware {want:#010x}"
                );
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn vrcp_matches_hardware_on_all_16_bit_inputs() {
    let Some(cases) = load() else { return };
    assert_eq!(check_suite(&cases, "vrcp", vrcp32), 65536);
}

#[test]
fn vrsq_matches_hardware_on_all_16_bit_inputs() {
    let Some(cases) = load() else { return };
    assert_eq!(check_suite(&cases, "vrsq", vrsq32), 65536);
}

#[test]
fn vrcpl_32_bit_inputs_match_hardware() {
    let Some(cases) = load() else { return };
    let case = cases
        .iter()
        .find(|c| c["suite"] == "vrcpl")
        .expect("vrcpl case");
    let v0: Vec<u16> = case["inputs"]["v128:v0"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex16)
        .collect();
    let rcp1: Vec<u16> = case["expected"]["v128:rcp1"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex16)
        .collect();
    let rcp2: Vec<u16> = case["expected"]["v128:rcp2"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex16)
        .collect();
    // Lane 2: VRCPH loaded DIVIN = v0[2], then VRCPL of v0[0]: input (v0[2] << 16) | v0[0].
    let a = vrcp32(((v0[2] as u32) << 16 | v0[0] as u32) as i32) as u32;
    assert_eq!(a as u16, rcp1[2]);
    // Lane 5 repeats that input after VRCPH with v0[2]; VRSQH then reads its DIVOUT (rcp2[5]).
    assert_eq!(a as u16, rcp1[5]);
    assert_eq!((a >> 16) as u16, rcp2[5]);
    // Lane 6: VRCPL of v0[2] with DIVIN = v0[2].
    let b = vrcp32(((v0[2] as u32) << 16 | v0[2] as u32) as i32) as u32;
    assert_eq!(b as u16, rcp1[6]);
    assert_eq!((b >> 16) as u16, rcp2[6]);
    // Lane 4: VRCPL without a preceding VRCPH is a 16-bit VRCP of v0[1]; VRCPH gives DIVOUT.
    let c = vrcp32(v0[1] as i16 as i32) as u32;
    assert_eq!(c as u16, rcp1[4]);
    assert_eq!((c >> 16) as u16, rcp2[4]);
    // Lane 0: 16-bit VRCP of the negative v0[0]; lane 0 of rcp2 is its DIVOUT.
    let d = vrcp32(v0[0] as i16 as i32) as u32;
    assert_eq!(d as u16, rcp1[0]);
    assert_eq!((d >> 16) as u16, rcp2[0]);
}
