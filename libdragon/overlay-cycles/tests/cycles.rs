//! Every rspq command that `rspnn_matvec_q8_submit` issues, with include/rspnn.h's
//! RSPNN_MAX_RECORDS_PER_COMMAND, stays within issue 18's 500 us of RSP time (31,250 cycles on
//! rsp-sim) for every measured shape, and computes exactly kernels::matvec's y. Needs
//! libdragon's headers from ../shared (skips with a message without them; fails under CI=true).
use kernels::matvec::WeightBits;
use rspnn_overlay_cycles::*;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn overlay() -> Option<Overlay> {
    shared_fixtures::require("third-party/libdragon/include/rsp_queue.inc")?;
    let libdragon = shared_fixtures::shared_dir().join("third-party/libdragon");
    Some(assemble_overlay(&root().join(OVERLAY_SOURCE), &libdragon).unwrap())
}

fn header_value() -> usize {
    max_records_per_command(&std::fs::read_to_string(root().join("include/rspnn.h")).unwrap())
        .unwrap()
}

/// Runs every measured shape of `bits` through the overlay with the header's
/// RSPNN_MAX_RECORDS_PER_COMMAND (inputs from `seed_base` + the shape's index) and checks each
/// command: y exact (measure_checked_bits), the commands cover every record once, each within
/// the record bound, of the right command id, longer than its records' DMA alone and within
/// 500 us; prints the worst command's cycles.
fn check_every_command(
    overlay: &Overlay,
    bits: WeightBits,
    shapes: Vec<(&'static str, Shape)>,
    seed_base: u32,
) {
    let max_records = header_value();
    let (record_bytes, command_id) = match bits {
        WeightBits::Q8 => (272, CMD_MATVEC_Q8),
        WeightBits::Q4 => (144, CMD_MATVEC_Q4),
    };
    let mut worst = 0;
    for (seed, (name, shape)) in shapes.into_iter().enumerate() {
        let (records, x) = inputs_bits(bits, shape, seed as u32 + seed_base);
        let m = measure_checked_bits(overlay, bits, shape, &records, &x, max_records).unwrap();
        // Random weights give mostly non-zero outputs: an all-zero y would check little.
        assert!(
            m.y.iter().filter(|&&v| v != 0).count() * 2 > shape.rows,
            "{name}"
        );
        assert_eq!(
            m.commands.iter().map(|(c, _)| c.records).sum::<usize>(),
            shape.rows / 8 * shape.cols / 32,
            "{name}"
        );
        for (command, cycles) in &m.commands {
            assert!(command.records <= max_records, "{name}: {command:?}");
            assert_eq!(command.words[0] >> 24, command_id, "{name}");
            // Each record's DMA alone takes rsp_sim::dma_row_cycles(record bytes) cycles.
            assert!(
                *cycles > command.records as u64 * rsp_sim::dma_row_cycles(record_bytes),
                "{name}: {cycles}"
            );
            assert!(
                *cycles <= MAX_CYCLES_PER_COMMAND,
                "{name}: a {bits:?} command of {} records took {cycles} RSP cycles, over {MAX_CYCLES_PER_COMMAND} (500 us)",
                command.records
            );
            worst = worst.max(*cycles);
        }
    }
    eprintln!(
        "worst {bits:?} command: {worst} RSP cycles with RSPNN_MAX_RECORDS_PER_COMMAND = {max_records}"
    );
}

#[test]
fn every_command_of_the_header_value_is_within_500_us_and_exact() {
    let Some(overlay) = overlay() else { return };
    check_every_command(&overlay, WeightBits::Q8, measured_shapes(), 1);
}

#[test]
fn every_q4_command_of_the_header_value_is_within_500_us_and_exact() {
    // RSPNN_CMD_MATVEC_Q4 with the same RSPNN_MAX_RECORDS_PER_COMMAND as Q8 (rspnn.c splits
    // both alike): y equals kernels::matvec's for Q4 weights, every command within the bound.
    let Some(overlay) = overlay() else { return };
    check_every_command(&overlay, WeightBits::Q4, measured_q4_shapes(), 21);
}

#[test]
fn the_q4_command_reads_q4_records_not_q8_ones() {
    // The same bytes run as Q8 give another y: the Q4 check above is not passing by accident.
    let Some(overlay) = overlay() else { return };
    let shape = Shape {
        rows: 16,
        cols: 64,
        out_shift: 0,
    };
    let (records, x) = inputs_bits(WeightBits::Q4, shape, 5);
    let q4 = measure_checked_bits(&overlay, WeightBits::Q4, shape, &records, &x, 64).unwrap();
    let mut q8_records = records.clone();
    q8_records.resize(shape.rows / 8 * shape.cols / 32 * 272, 0x11);
    let q8 = measure(&overlay, shape, &q8_records, &x, 64).unwrap();
    assert_ne!(q4.y, q8.y);
}

#[test]
fn too_many_records_per_command_break_the_bound() {
    // The bound is not met by construction: 255 records (the most a command can carry) take
    // longer than 500 us, so the header's value is what keeps commands short.
    let Some(overlay) = overlay() else { return };
    let shape = Shape {
        rows: 2048,
        cols: 32,
        out_shift: 0,
    };
    let (records, x) = inputs(shape, 7);
    let m = measure_checked(&overlay, shape, &records, &x, 255).unwrap();
    assert!(
        m.commands[0].1 > MAX_CYCLES_PER_COMMAND,
        "{}",
        m.commands[0].1
    );
}

#[test]
fn commands_are_split_as_rspnn_c_splits_them() {
    let shape = Shape {
        rows: 136,
        cols: 256,
        out_shift: 3,
    };
    let commands = split_commands(shape, 64, 0x1000, 0x2000, 0x3000).unwrap();
    let groups: Vec<usize> = commands.iter().map(|c| c.groups).collect();
    assert_eq!(groups, [8, 8, 1]);
    assert_eq!(
        commands[0].words,
        [(3 << 16) | (8 << 8) | 8, 0x1000, 0x2000, 0x3000]
    );
    assert_eq!(commands[1].words[1], 0x1000 + 64 * 272);
    assert_eq!(commands[2].words[3], 0x3000 + 16 * 16);
    assert!(split_commands(
        Shape {
            rows: 8,
            cols: 512,
            out_shift: 0
        },
        8,
        0,
        0,
        0
    )
    .is_err());
}

#[test]
fn the_header_value_is_read_from_rspnn_h() {
    assert_eq!(
        max_records_per_command("#define RSPNN_MAX_RECORDS_PER_COMMAND 64\n").unwrap(),
        64
    );
    assert!(max_records_per_command("#define OTHER 1\n").is_err());
    assert!((1..=255).contains(&header_value()));
}

#[test]
fn rspnn_h_max_cols_is_what_the_overlay_dmem_holds() {
    // rspnn_matvec_q8_submit refuses cols > RSPNN_MAX_COLS with RSPNN_ERR_DMEM because the
    // overlay's x buffer (X_BUF, up to REC_BUF) holds that many int16 and no more.
    let Some(overlay) = overlay() else { return };
    let header = std::fs::read_to_string(root().join("include/rspnn.h")).unwrap();
    let max_cols: u32 = header
        .lines()
        .find_map(|l| l.trim().strip_prefix("#define RSPNN_MAX_COLS"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let at = |name: &str| {
        overlay
            .ucode
            .symbols
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.value as u32 & 0xFFF)
            .unwrap()
    };
    assert_eq!(at("REC_BUF") - at("X_BUF"), 2 * max_cols);
    // And the overlay's DMEM (rspq's data, rspnn's data and bss) ends inside DMEM.
    assert!(at("Y_BUF") + 16 <= 4096);
    assert!(at("UNP_BUF") + 512 <= 4096);
    // The widest accepted x is computed exactly; the shape check is the C side's.
    let shape = Shape {
        rows: 8,
        cols: max_cols as usize,
        out_shift: 0,
    };
    let (records, x) = inputs(shape, 11);
    measure_checked(&overlay, shape, &records, &x, header_value()).unwrap();
}
