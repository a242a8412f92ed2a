//! Prints, as Markdown, the RSP cycles per rspq command of rspnn's libdragon overlay on
//! rsp-sim (see the library's docs for the harness): for the value of
//! RSPNN_MAX_RECORDS_PER_COMMAND in include/rspnn.h and for other candidate values, the max and
//! mean cycles per command over the measured shapes. bench-results/libdragon.md is its output.
//!
//!     cargo run --release -p rspnn-overlay-cycles
use kernels::matvec::WeightBits;
use rspnn_overlay_cycles::*;
use std::path::PathBuf;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let libdragon = shared_fixtures::shared_dir().join("third-party/libdragon");
    if !libdragon.join("include/rsp_queue.inc").is_file() {
        return Err(format!(
            "no libdragon headers at {} (the team's ../shared folder; RSPNN_SHARED points elsewhere)",
            libdragon.display()
        ));
    }
    let header = std::fs::read_to_string(root.join("include/rspnn.h"))
        .map_err(|e| format!("include/rspnn.h: {e}"))?;
    let current = max_records_per_command(&header)?;
    let overlay = assemble_overlay(&root.join(OVERLAY_SOURCE), &libdragon)?;
    println!("RSP cycles per rspnn command (rsp-sim, RSP at 62.5 MHz; bound {MAX_CYCLES_PER_COMMAND} = 500 us)\n");
    println!("RSPNN_MAX_RECORDS_PER_COMMAND in include/rspnn.h: {current}\n");
    println!(
        "Not in the figures (rspq's costs per command, the same for any overlay): rspq's dispatch, and \
         when the previous command was another overlay's, the switch to rspnn's: {} cycles of DMA \
         (its data and text; rsp-sim's DMA model).\n",
        overlay_switch_dma_cycles(&overlay)?
    );
    print_shape_table(&overlay, WeightBits::Q8, measured_shapes(), 1, current)?;
    println!("\nQ4 records (RSPNN_CMD_MATVEC_Q4, the same RSPNN_MAX_RECORDS_PER_COMMAND):\n");
    print_shape_table(&overlay, WeightBits::Q4, measured_q4_shapes(), 21, current)?;
    println!("\nOther values of RSPNN_MAX_RECORDS_PER_COMMAND (max cycles of any command over the same shapes):\n");
    println!("| records per command | max cycles | max us | within 500 us |");
    println!("|---|---|---|---|");
    for candidate in [16, 32, 64, 96, 128, 160, 192, 224, 255] {
        let mut worst = 0;
        for (seed, (_, shape)) in measured_shapes().into_iter().enumerate() {
            let (records, x) = inputs(shape, seed as u32 + 1);
            let m = measure_checked(&overlay, shape, &records, &x, candidate)?;
            worst = worst.max(m.commands.iter().map(|(_, c)| *c).max().unwrap());
        }
        println!(
            "| {candidate} | {worst} | {:.1} | {} |",
            worst as f64 / RSP_HZ * 1e6,
            if worst <= MAX_CYCLES_PER_COMMAND {
                "yes"
            } else {
                "no"
            }
        );
    }
    Ok(())
}

/// One Markdown table: each shape's commands at `max_records` records per command (inputs from
/// `seed_base` + the shape's index), max and mean RSP cycles, checked against kernels::matvec.
fn print_shape_table(
    overlay: &Overlay,
    bits: WeightBits,
    shapes: Vec<(&'static str, Shape)>,
    seed_base: u32,
    max_records: usize,
) -> Result<(), String> {
    println!("| shape | rows x cols | commands | records/command (max) | max cycles | mean cycles | max us | cycles/record (max command) |");
    println!("|---|---|---|---|---|---|---|---|");
    for (seed, (name, shape)) in shapes.into_iter().enumerate() {
        let (records, x) = inputs_bits(bits, shape, seed as u32 + seed_base);
        let m = measure_checked_bits(overlay, bits, shape, &records, &x, max_records)?;
        let (max_cmd, max) = m.commands.iter().max_by_key(|(_, c)| *c).copied().unwrap();
        let mean = m.commands.iter().map(|(_, c)| *c as f64).sum::<f64>() / m.commands.len() as f64;
        println!(
            "| {name} | {}x{} | {} | {} | {max} | {mean:.0} | {:.1} | {:.1} |",
            shape.rows,
            shape.cols,
            m.commands.len(),
            m.commands.iter().map(|(c, _)| c.records).max().unwrap(),
            max as f64 / RSP_HZ * 1e6,
            max as f64 / max_cmd.records as f64
        );
    }
    Ok(())
}
