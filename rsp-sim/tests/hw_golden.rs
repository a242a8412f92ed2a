//! The simulator against 1,380 RSP cases measured on a real N64
//! (`../shared/fixtures/rsp/rsp_hw_golden.json`, see its README).
//!
//! Each suite runs its cases in index order on one simulator with all state carried over, as the
//! hardware did: IMEM gets the case's program, DMEM 0.. its input words, the PC is set to 0 and
//! the RSP runs to BREAK. The expected fields lie back to back from DMEM 0x800. For the cases
//! with their own instruction trace, the executed PCs (the trace leaves out branches, jumps and
//! NOPs) and every scalar register value the trace records (10,948) are checked as well.
//!
//! The test prints a table of suites with pass counts and fails if any case outside
//! `KNOWN_FAILING` fails, or if a known-failing case passes (so the list stays true).

mod common;

use common::fixture::{field_bytes, hex_u32, load_suites, words_to_bytes, Case};
use rsp_sim::{Change, Rsp, StopReason};
use std::cell::RefCell;
use std::rc::Rc;

/// Cases that do not pass, each with the reason. Empty: every case passes.
const KNOWN_FAILING: &[(&str, &str, &str)] = &[];

/// Register values in the traces the cases carry themselves (a "same_as" trace points at
/// another case's and holds none), counted in the fixture: a skipped comparison fails. The
/// check used to look only for a change record of `rt`, which skipped every value the
/// instruction did not change and all 490 R-type records (their value is `rd`'s).
const TRACE_VALUES: usize = 10_948;

/// The PCs the simulator executed with what each instruction changed.
type Executed = Rc<RefCell<Vec<(u32, Vec<Change>)>>>;

/// Runs one case; `Err` describes the first mismatch.
fn run_case(
    rsp: &mut Rsp,
    case: &Case,
    trace_of: Option<&[serde_json::Value]>,
) -> Result<(), String> {
    rsp.load_imem(0, &words_to_bytes(&case.imem_words))
        .map_err(|e| e.to_string())?;
    rsp.load_dmem(0, &words_to_bytes(&case.input_words))
        .map_err(|e| e.to_string())?;
    rsp.set_pc(0);
    let gprs_before: [u32; 32] = std::array::from_fn(|r| rsp.gpr(r as u8));

    let executed: Executed = Rc::default();
    if trace_of.is_some() {
        let sink = executed.clone();
        rsp.set_tracer(Some(Box::new(move |r| {
            sink.borrow_mut().push((r.pc, r.changes.clone()))
        })));
    }
    let stop = rsp.run(2_000_000);
    rsp.set_tracer(None);
    match stop {
        Ok(StopReason::Break) => {}
        other => return Err(format!("did not end in BREAK: {other:?}")),
    }

    if let Some(records) = trace_of {
        check_trace(rsp, records, gprs_before, &executed.borrow())?;
    }

    let mut addr = 0x800u32;
    for (key, value) in &case.expected.0 {
        let want = field_bytes(key, value);
        let got: Vec<u8> = (0..want.len() as u32)
            .map(|k| rsp.dmem()[((addr + k) & 0xFFF) as usize])
            .collect();
        if got != want {
            return Err(format!(
                "{key} at DMEM {addr:#05x}: expected {}, got {}",
                hex(&want),
                hex(&got)
            ));
        }
        addr += want.len() as u32;
    }
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The executed instructions (without branches/jumps/NOPs) must be the trace's records, and
/// every scalar value the trace gives must be the register's content after the instruction
/// in the simulator: the register file is followed from `gprs`, its state before the run,
/// through every change the simulator recorded, so a value is checked whether or not the
/// instruction changed the register (a store's source, a result equal to the old content).
fn check_trace(
    rsp: &Rsp,
    records: &[serde_json::Value],
    mut gprs: [u32; 32],
    executed: &[(u32, Vec<Change>)],
) -> Result<(), String> {
    let imem = rsp.imem();
    let mut listed: Vec<(u32, [u32; 32])> = Vec::new();
    for (pc, changes) in executed {
        for c in changes {
            if let Change::Gpr { reg, value } = c {
                gprs[*reg as usize] = *value;
            }
        }
        let p = *pc as usize;
        let word = u32::from_be_bytes([imem[p], imem[p + 1], imem[p + 2], imem[p + 3]]);
        let instr = rsp_isa::decode_lenient(word).ok();
        let is_nop = word == 0;
        let is_branch = instr.map(|i| i.has_delay_slot()).unwrap_or(false);
        if !is_nop && !is_branch {
            listed.push((*pc, gprs));
        }
    }
    if listed.len() != records.len() {
        return Err(format!(
            "executed {} listed instructions, trace has {}",
            listed.len(),
            records.len()
        ));
    }
    let mut checked = 0;
    for (k, (rec, (pc, after))) in records.iter().zip(listed.iter()).enumerate() {
        let want_pc = rec["pc"].as_u64().unwrap_or(u64::MAX) as u32;
        if want_pc != *pc {
            return Err(format!(
                "record {k}: trace pc {want_pc:#x}, simulator executed {pc:#x}"
            ));
        }
        if let Some(v) = rec.get("value").and_then(|v| v.as_str()) {
            let want = hex_u32(v);
            // The register the value is of: an R-type's destination `rd`, else `rt` (an
            // I-type's destination, a load's, a store's source).
            let reg = rec
                .get("rd")
                .or_else(|| rec.get("rt"))
                .and_then(|r| r.as_u64())
                .ok_or(format!("record {k}: a value without rd or rt"))?;
            let got = after[reg as usize & 31];
            if got != want {
                return Err(format!(
                    "record {k} at pc {pc:#x}: ${reg} = {want:#010x} on hardware, simulator {got:#010x}"
                ));
            }
            checked += 1;
        }
    }
    VALUES_CHECKED.with(|n| n.set(n.get() + checked));
    Ok(())
}

thread_local! {
    /// Trace values compared, over the whole test.
    static VALUES_CHECKED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

#[test]
fn hardware_golden_cases() {
    let Some(json) = shared_fixtures::read("fixtures/rsp/rsp_hw_golden.json") else {
        return;
    };
    let suites = load_suites(&json);

    // A case's own trace is checked; the vrcp/vrsq cases whose trace is "same_as" another
    // case's run the identical instruction sequence, which that case's check covers.
    let trace_for =
        |case: &Case| -> Option<Vec<serde_json::Value>> { case.program.as_array().cloned() };

    let mut total = 0;
    let mut passed = 0;
    let mut unexpected = Vec::new();
    println!("{:<12} {:>6} {:>6}", "suite", "passed", "cases");
    for (suite, cases) in &suites {
        let mut rsp = Rsp::new();
        let mut suite_pass = 0;
        for case in cases {
            let trace = trace_for(case);
            let outcome = run_case(&mut rsp, case, trace.as_deref());
            let known = KNOWN_FAILING
                .iter()
                .find(|(s, c, _)| s == suite && *c == case.case);
            match (&outcome, known) {
                (Ok(()), None) => suite_pass += 1,
                (Ok(()), Some((_, _, why))) => {
                    suite_pass += 1;
                    unexpected.push(format!(
                        "{suite}/{}: listed as failing ({why}) but passes",
                        case.case
                    ));
                }
                (Err(e), None) => unexpected.push(format!("{suite}/{}: {e}", case.case)),
                (Err(e), Some((_, _, why))) => {
                    println!("  known failure {suite}/{}: {why} ({e})", case.case)
                }
            }
        }
        println!("{:<12} {:>6} {:>6}", suite, suite_pass, cases.len());
        total += cases.len();
        passed += suite_pass;
    }
    println!("{:<12} {:>6} {:>6}", "total", passed, total);
    assert_eq!(total, 1380, "the fixture has 1,380 cases");
    // Every value of every trace was compared, none skipped.
    let values = VALUES_CHECKED.with(|n| n.get());
    println!("{values} trace register values compared");
    assert_eq!(values, TRACE_VALUES);
    assert!(
        unexpected.is_empty(),
        "{} unexpected results:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
