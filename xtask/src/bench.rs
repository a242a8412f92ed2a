//! `cargo xtask bench`: the micro-benchmark tables and plots in `bench-results/`.
//!
//! Runs the bench ROM (`n64-demo/src/bin/bench.rs`) in cen64 (CPU cycles: it models the
//! VR4300 pipeline and caches; its RSP has no dual issue and its SP DMA takes no time) and in
//! mupen64plus (`CountPerOp=1`: instruction counts), and the host example `bench_predict`
//! (rsp-sim's cycle model: the RSP prediction for the same work, and per context position).
//! Writes `bench-results/kernels.md` (tables and the command), `kernels.csv` (every figure,
//! long form) and four PNG plots drawn with plotters.

use crate::emulator::{Emulator, RomRun};
use crate::workspace::Workspace;
use crate::{cen64, n64_build, pack_all, process, setup, Result};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// VR4300 and RSP clocks (RSP-FACTS "Machine").
const CPU_HZ: f64 = 93.75e6;
const RSP_HZ: f64 = 62.5e6;
/// The DejaVu font `setup` installs (fonts-dejavu-core), for the plots' text.
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// The sources of figures, as named in the tables.
pub const CEN64: &str = "cen64";
pub const MUPEN: &str = "mupen64plus";
pub const RSP_SIM: &str = "rsp-sim";

/// `kernel.path.unit` -> value, per source.
pub type Figures = BTreeMap<String, String>;

/// The `bench.` lines of a run, without the prefix.
pub fn figures(lines: &[String]) -> Figures {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("bench."))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// `rsp_sim.<kernel>.position.<p>=<cycles>` lines: kernel -> cycles by position.
pub fn positions(lines: &[String]) -> BTreeMap<String, Vec<(u32, u64)>> {
    let mut out: BTreeMap<String, Vec<(u32, u64)>> = BTreeMap::new();
    for l in lines {
        let Some(rest) = l.strip_prefix("rsp_sim.") else {
            continue;
        };
        let Some((key, value)) = rest.split_once('=') else {
            continue;
        };
        let Some((kernel, pos)) = key.split_once(".position.") else {
            continue;
        };
        if let (Ok(p), Ok(c)) = (pos.parse(), value.trim().parse()) {
            out.entry(kernel.to_string()).or_default().push((p, c));
        }
    }
    out
}

fn number(f: &Figures, key: &str) -> Option<f64> {
    f.get(key)?.parse().ok()
}

/// Weights one run of `kernel` multiplies: from a matvec's shape in its name, or the token's
/// `model.weights_per_token` line.
pub fn weights(kernel: &str, f: &Figures) -> Option<f64> {
    if let Some(shape) = kernel
        .rsplit('_')
        .next()
        .filter(|_| kernel.starts_with("matvec_"))
    {
        let (r, c) = shape.split_once('x')?;
        return Some(r.parse::<f64>().ok()? * c.parse::<f64>().ok()?);
    }
    number(f, &format!("{kernel}.model.weights_per_token"))
}

/// One row of the kernels table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub kernel: String,
    pub path: String,
    pub weights: f64,
    /// cen64: CPU cycles (Count x 2) from start to result.
    pub cen64_cycles: Option<f64>,
    /// mupen64plus: instructions (Count at CountPerOp=1).
    pub mupen_instructions: Option<f64>,
    /// rsp-sim: RSP cycles (RSP paths only).
    pub rsp_sim_cycles: Option<f64>,
    /// The ROM's bit-for-bit comparison with the scalar spec (spec rows: the reference).
    pub identical: Option<String>,
}

/// The table's rows, in the ROM's order (kernels as first printed, paths spec/tuned/scalar/rsp).
pub fn rows(cen: &Figures, mupen: &Figures, sim: &Figures, order: &[String]) -> Vec<Row> {
    let mut seen = Vec::new();
    for key in order {
        let mut parts = key.splitn(3, '.');
        let (Some(k), Some(p), Some(u)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if u == "count_ticks" && !seen.contains(&(k.to_string(), p.to_string())) {
            seen.push((k.to_string(), p.to_string()));
        }
    }
    seen.into_iter()
        .filter_map(|(kernel, path)| {
            let weights = weights(&kernel, cen).or_else(|| weights(&kernel, mupen))?;
            Some(Row {
                cen64_cycles: number(cen, &format!("{kernel}.{path}.cpu_cycles")),
                mupen_instructions: number(mupen, &format!("{kernel}.{path}.count_ticks")),
                // `rsp` and `rsp_q4waw` (the opt-in Q4 chain's image) both have a prediction.
                rsp_sim_cycles: path
                    .starts_with("rsp")
                    .then(|| number(sim, &format!("{kernel}.{path}.rsp_sim_cycles")))
                    .flatten(),
                identical: cen
                    .get(&format!("{kernel}.{path}.identical"))
                    .or_else(|| mupen.get(&format!("{kernel}.{path}.identical")))
                    .cloned(),
                kernel,
                path,
                weights,
            })
        })
        .collect()
}

fn fmt_int(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) => {
            let digits = format!("{:.0}", v);
            let mut out = String::new();
            for (i, ch) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 && ch != '-' {
                    out.push(',');
                }
                out.push(ch);
            }
            out
        }
    }
}

fn fmt_ratio(v: Option<f64>, w: f64) -> String {
    v.map(|v| format!("{:.2}", v / w))
        .unwrap_or_else(|| "-".into())
}

/// kernels.csv: every figure of every source, long form.
pub fn csv(sources: &[(&str, &Figures)]) -> String {
    let mut out = String::from("source,kernel,path,unit,value\n");
    for (source, f) in sources {
        for (key, value) in f.iter() {
            let mut parts = key.splitn(3, '.');
            let (Some(k), Some(p), Some(u)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let _ = writeln!(out, "{source},{k},{p},{u},{value}");
        }
    }
    out
}

/// kernels.md.
pub fn markdown(rows: &[Row], date: &str, commit: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Kernels on the VR4300 and the RSP: the bench ROM in cen64 and mupen64plus, and rsp-sim

Generated by `cargo xtask bench` on {date} at commit `{commit}` (the project's Debian 12
machine, 2 shared cores). Regenerate with:

```sh
cargo xtask bench
```

It builds the ROMs, runs `bench.z64` (`n64-demo/src/bin/bench.rs`) in **cen64** (the VR4300
pipeline and caches modelled: its Count x 2 is CPU cycles; the RSP runs concurrently but without
dual issue or vector latency, and SP DMA takes no time there: see the last section) and in **mupen64plus**
(`--set Core[CountPerOp]=1`: Count is an **instruction count**, no cache or pipeline; the RSP
finishes inside the CPU's start write, so its RSP rows are the CPU's own work only), and runs
`cargo run --release -p n64-demo --example bench_predict` for **rsp-sim**'s prediction of the
same RSP work (ares's hardware-tested timing rules, RSP-FACTS \"Timing\").

Paths: `spec` = `kernels::matvec` (the numerics spec, compiled by LLVM for the VR4300);
`tuned` = `kernels-vr4300` (hand-written MIPS III); `scalar` = the scalar model runner (on the
VR4300 its matvecs and attention are the tuned ones; the attention alone, spec and tuned, is in
`kernels.csv` as `attention_128x4h`); `rsp` = the ucode through
the scheduler, timed by the CPU from start to result. \"identical\" is the ROM's bit-for-bit
comparison with the scalar spec (matvecs: outputs and clamp counts; tokens: the predicted byte
and its logit at every position). Tokens are the mean over positions 0..21 (the bytes of
`Q: What is the RSP?\\nA:`). `rsp_q4waw` is the Q4 work again with the ucode image whose Q4 chain
relies on an unmeasured write-after-write order (opt-in, ucode/README.md \"Assumptions\"); `rsp`
is the default ucode.

| kernel | path | weights | cen64 CPU cycles | cen64 cycles/weight | mupen64plus instructions | instructions/weight | rsp-sim RSP cycles | cen64 RSP cycles (= CPU x 2/3) | identical |
|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let cen_rsp = r
            .path
            .starts_with("rsp")
            .then(|| r.cen64_cycles.map(|c| c * RSP_HZ / CPU_HZ))
            .flatten();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.kernel,
            r.path,
            fmt_int(Some(r.weights)),
            fmt_int(r.cen64_cycles),
            fmt_ratio(r.cen64_cycles, r.weights),
            fmt_int(r.mupen_instructions),
            fmt_ratio(r.mupen_instructions, r.weights),
            fmt_int(r.rsp_sim_cycles),
            fmt_int(cen_rsp),
            r.identical
                .as_deref()
                .unwrap_or(if r.path == "spec" { "(reference)" } else { "-" }),
        );
    }
    let _ = writeln!(
        md,
        "
## Tokens per second

| model | path | source | cycles per token | tokens/s |
|---|---|---|---|---|"
    );
    for r in rows.iter().filter(|r| r.kernel.starts_with("token_")) {
        if let Some(c) = r.cen64_cycles {
            let _ = writeln!(
                md,
                "| {} | {} | cen64 (CPU cycles) | {} | {:.1} |",
                r.kernel,
                r.path,
                fmt_int(Some(c)),
                CPU_HZ / c
            );
        }
        if let Some(c) = r.rsp_sim_cycles {
            let _ = writeln!(
                md,
                "| {} | {} | rsp-sim (RSP cycles) | {} | {:.1} |",
                r.kernel,
                r.path,
                fmt_int(Some(c)),
                RSP_HZ / c
            );
        }
    }
    let _ = writeln!(
        md,
        "
Plots: `kernels-cycles-per-weight.png` (cen64, log scale), `kernels-tokens-per-second.png`,
`kernels-rsp-cycles-by-position.png` (rsp-sim, a full context: the prompt, then the model's
own predictions), `kernels-measured-vs-predicted.png` (RSP cycles: rsp-sim against cen64's
figure: no dual issue, but free SP DMA). Every figure is also in `kernels.csv`."
    );
    md
}

/// The SP DMA section of kernels.md: CPU cycles from the first register write to SP_STATUS
/// showing the DMA idle, per tile size, one transfer and two queued, in both emulators and in
/// rsp-sim's model.
pub fn dma_table(cen: &Figures, mupen: &Figures) -> String {
    let mut md = String::from(
        "
## SP DMA, RDRAM to DMEM, timed by the CPU

The bench ROM programs the SP DMA itself before the scheduler starts (the RSP halted) and times
it with Count, polling SP_STATUS until neither DMA busy nor DMA full is set: CPU cycles for one
transfer and for two written back to back (the second queued behind the first), the minimum of
8 runs, so each figure includes a few uncached register accesses. \"model\" is what rsp-sim
charges (RSP-FACTS \"Timing\": 0.2724 CPU cycles per byte + 41 per transfer). cen64 does not
model the duration of an SP DMA (the same cycles for every length: only the register accesses),
so its RSP times are not an upper bound either: no dual issue makes them slower, free DMA faster.
mupen64plus's column counts instructions. A console's figures go here (bench-results/HARDWARE.md).

| transfer | cen64 CPU cycles | mupen64plus | model (CPU cycles) |
|---|---|---|---|
",
    );
    let size = |k: &str| -> (u32, u32) {
        let name = k.split('.').next().unwrap_or("");
        let (n, len) = name
            .trim_start_matches("sp_dma_")
            .split_once('x')
            .unwrap_or(("0", "0"));
        (len.parse().unwrap_or(0), n.parse().unwrap_or(0))
    };
    let mut keys: Vec<&String> = cen
        .keys()
        .filter(|k| k.starts_with("sp_dma_") && k.ends_with(".cpu.cpu_cycles"))
        .collect();
    keys.sort_by_key(|k| size(k));
    for key in keys {
        let name = key.split('.').next().unwrap_or("");
        let (len, n) = size(key);
        let _ = writeln!(
            md,
            "| {n} x {len} bytes | {} | {} | {} |",
            fmt_int(number(cen, key)),
            fmt_int(number(mupen, key)),
            fmt_int(number(cen, &format!("{name}.model.cpu_cycles"))),
        );
    }
    md.push_str(
        "
## SP DMA issued by the RSP, timed on the DP clock

The bench ROM's DP clock probe (`n64-demo/rsp/dp_clock_probe.S`, run before rspnn's ucode) issues
the same transfers from the RSP and reads the DP clock (RSP COP0 register 12) around each, after
timing a calibration loop of known length. An emulator whose DP clock does not advance reads 0
across the calibration loop; the ROM then prints \"not measured\" rather than 0, shown here as
\"clock not running\". rsp-sim's column is the same probe on rsp-sim (`bench_predict`), compiled
into the ROM. A console's figures go here (bench-results/HARDWARE.md).

| transfer | cen64 RSP cycles | mupen64plus RSP cycles | rsp-sim RSP cycles |
|---|---|---|---|
",
    );
    let cell = |f: &Figures, key: &str| -> String {
        match (number(f, key), f.get(key)) {
            (Some(v), _) => fmt_int(Some(v)),
            (None, Some(text)) if text.contains("not running") => "clock not running".into(),
            _ => "-".into(),
        }
    };
    let mut probe_rows = vec![(
        "calibration loop (256 iterations)".to_string(),
        "dp_clock.calibration".to_string(),
    )];
    for n in [1, 2] {
        for len in [256, 1088, 2048, 4096] {
            let path = if n == 1 {
                format!("dma.{len}")
            } else {
                format!("dma.2x{len}")
            };
            probe_rows.push((format!("{n} x {len} bytes"), path));
        }
    }
    for (what, key) in probe_rows {
        let _ = writeln!(
            md,
            "| {what} | {} | {} | {} |",
            cell(cen, &format!("{key}.rsp_cycles")),
            cell(mupen, &format!("{key}.rsp_cycles")),
            fmt_int(number(cen, &format!("{key}.rsp_sim_cycles"))),
        );
    }
    md
}

/// A bar chart of `series` (name, colour, one value per category; missing values skipped).
fn bars(
    path: &Path,
    title: &str,
    y_desc: &str,
    categories: &[String],
    series: &[(&str, RGBColor, Vec<Option<f64>>)],
) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let values = series.iter().flat_map(|s| s.2.iter().flatten().copied());
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return Err(format!("{}: nothing to plot", path.display()));
    }
    let root = BitMapBackend::new(path, (1000, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let n = categories.len();
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..n as f64, ((lo / 2.0)..(hi * 8.0)).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 0.01 && i < n {
                categories[i].clone()
            } else {
                String::new()
            }
        })
        .y_desc(y_desc)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| err(&e))?;
    let width = 0.8 / series.len() as f64;
    for (s, (name, color, vals)) in series.iter().enumerate() {
        let color = *color;
        let rects = vals.iter().enumerate().filter_map(move |(i, v)| {
            let x0 = i as f64 + 0.1 + s as f64 * width;
            v.map(|v| Rectangle::new([(x0, lo / 2.0), (x0 + width, v)], color.filled()))
        });
        chart
            .draw_series(rects)
            .map_err(|e| err(&e))?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

fn position_plot(path: &Path, by_position: &BTreeMap<String, Vec<(u32, u64)>>) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let max_pos = by_position
        .values()
        .flatten()
        .map(|p| p.0)
        .max()
        .ok_or("no per-position figures")?;
    let max_c = by_position
        .values()
        .flatten()
        .map(|p| p.1)
        .max()
        .unwrap_or(1);
    let root = BitMapBackend::new(path, (1000, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "RSP cycles per token over the context position (rsp-sim)",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(0u32..max_pos + 1, 0u64..max_c * 11 / 10)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("position")
        .y_desc("RSP cycles")
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (kernel, pts)) in by_position.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(kernel.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

/// Draws the four plots into `dir`.
pub fn plots(
    dir: &Path,
    rows: &[Row],
    by_position: &BTreeMap<String, Vec<(u32, u64)>>,
) -> Result<()> {
    let font = std::fs::read(FONT)
        .map_err(|e| format!("{FONT}: {e} (the fonts-dejavu-core package; `cargo xtask setup`)"))?;
    let font: &'static [u8] = Box::leak(font.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, font)
        .map_err(|_| format!("{FONT}: not a font plotters can read"))?;

    let kernels: Vec<String> = {
        let mut k: Vec<String> = Vec::new();
        for r in rows {
            if !k.contains(&r.kernel) {
                k.push(r.kernel.clone());
            }
        }
        k
    };
    let per_weight = |path: &str| -> Vec<Option<f64>> {
        kernels
            .iter()
            .map(|k| {
                rows.iter()
                    .find(|r| &r.kernel == k && r.path == path)
                    .and_then(|r| r.cen64_cycles.map(|c| c / r.weights))
            })
            .collect()
    };
    let scalar_or_spec = kernels
        .iter()
        .map(|k| {
            rows.iter()
                .find(|r| &r.kernel == k && (r.path == "spec" || r.path == "scalar"))
                .and_then(|r| r.cen64_cycles.map(|c| c / r.weights))
        })
        .collect();
    bars(
        &dir.join("kernels-cycles-per-weight.png"),
        "CPU cycles per weight by kernel and path (cen64)",
        "CPU cycles per weight",
        &kernels,
        &[
            (
                "spec / scalar runner (VR4300)",
                RGBColor(200, 80, 60),
                scalar_or_spec,
            ),
            (
                "tuned MIPS (VR4300)",
                RGBColor(230, 160, 40),
                per_weight("tuned"),
            ),
            (
                "RSP (CPU wall time)",
                RGBColor(60, 110, 200),
                per_weight("rsp"),
            ),
        ],
    )?;

    let tokens: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kernel.starts_with("token_"))
        .collect();
    let models: Vec<String> = {
        let mut m: Vec<String> = Vec::new();
        for r in &tokens {
            if !m.contains(&r.kernel) {
                m.push(r.kernel.clone());
            }
        }
        m
    };
    let pick = |path: &str, f: &dyn Fn(&Row) -> Option<f64>| -> Vec<Option<f64>> {
        models
            .iter()
            .map(|m| {
                tokens
                    .iter()
                    .find(|r| &r.kernel == m && r.path == path)
                    .and_then(|r| f(r))
            })
            .collect()
    };
    bars(
        &dir.join("kernels-tokens-per-second.png"),
        "Tokens per second by model and path",
        "tokens/s",
        &models,
        &[
            (
                "VR4300 scalar (cen64)",
                RGBColor(200, 80, 60),
                pick("scalar", &|r| r.cen64_cycles.map(|c| CPU_HZ / c)),
            ),
            (
                "RSP (cen64: no dual issue, free DMA)",
                RGBColor(120, 150, 220),
                pick("rsp", &|r| r.cen64_cycles.map(|c| CPU_HZ / c)),
            ),
            (
                "RSP (rsp-sim)",
                RGBColor(40, 80, 170),
                pick("rsp", &|r| r.rsp_sim_cycles.map(|c| RSP_HZ / c)),
            ),
        ],
    )?;

    let rsp_rows: Vec<&Row> = rows.iter().filter(|r| r.path == "rsp").collect();
    let names: Vec<String> = rsp_rows.iter().map(|r| r.kernel.clone()).collect();
    bars(
        &dir.join("kernels-measured-vs-predicted.png"),
        "RSP cycles: predicted (rsp-sim) vs measured (cen64: no dual issue, free SP DMA)",
        "RSP cycles",
        &names,
        &[
            (
                "rsp-sim",
                RGBColor(40, 80, 170),
                rsp_rows.iter().map(|r| r.rsp_sim_cycles).collect(),
            ),
            (
                "cen64 (CPU cycles x 2/3)",
                RGBColor(120, 150, 220),
                rsp_rows
                    .iter()
                    .map(|r| r.cen64_cycles.map(|c| c * RSP_HZ / CPU_HZ))
                    .collect(),
            ),
        ],
    )?;
    position_plot(&dir.join("kernels-rsp-cycles-by-position.png"), by_position)
}

/// `n64-demo/src/bench_predicted.rs` from bench_predict's `bench.<kernel>.rsp.rsp_sim_cycles`
/// lines, in their order: the prediction the ROM compiles in.
pub fn predicted_source(sim_lines: &[String]) -> Result<String> {
    let mut entries = String::new();
    for line in sim_lines {
        let Some(rest) = line.strip_prefix("bench.") else {
            continue;
        };
        let Some((key, value)) = rest.split_once('=') else {
            continue;
        };
        // `<kernel>.rsp` (the default ucode) is keyed by the kernel alone; another RSP path
        // (`rsp_q4waw`, the opt-in Q4 chain) by `<kernel>.<path>`.
        let kernel = match key.strip_suffix(".rsp.rsp_sim_cycles") {
            Some(kernel) => kernel,
            None => match key.strip_suffix(".rsp_sim_cycles") {
                Some(kernel_path) => kernel_path,
                None => continue,
            },
        };
        let cycles: u32 = value
            .trim()
            .parse()
            .map_err(|_| format!("bench_predict printed `{line}`: not a cycle count"))?;
        let _ = writeln!(entries, "    (\"{kernel}\", {cycles}),");
    }
    if entries.is_empty() {
        return Err("bench_predict printed no `bench.<kernel>.rsp.rsp_sim_cycles` line".into());
    }
    Ok(format!(
        "//! rsp-sim's RSP cycles for the bench ROM's RSP work (tokens: the mean over the prompt's
//! positions), compiled into the ROM so that a console shows measured against predicted.
//! Written by `cargo xtask bench` from `cargo run --release -p n64-demo --example
//! bench_predict`; `tests/predicted.rs` fails when rsp-sim or the ucode says otherwise.

/// (kernel, predicted RSP cycles).
pub const PREDICTED_RSP_CYCLES: &[(&str, u32)] = &[
{entries}];

/// The prediction for `kernel`, if there is one.
pub fn predicted_rsp_cycles(kernel: &str) -> Option<u32> {{
    PREDICTED_RSP_CYCLES
        .iter()
        .find(|(k, _)| *k == kernel)
        .map(|(_, c)| *c)
}}
"
    ))
}

fn example_lines(ws: &Workspace, extra: &[&str]) -> Result<Vec<String>> {
    let mut cmd = process::host_cargo();
    cmd.current_dir(&ws.root).args([
        "run",
        "--release",
        "-q",
        "-p",
        "n64-demo",
        "--example",
        "bench_predict",
    ]);
    if !extra.is_empty() {
        cmd.arg("--").args(extra);
    }
    let text = process::stdout_of(&mut cmd)?;
    Ok(text.lines().map(str::to_string).collect())
}

fn ended(run: RomRun, what: &str) -> Result<Vec<String>> {
    match run.ending {
        crate::emulator::Ending::Done => Ok(run.lines),
        crate::emulator::Ending::Panic => Err(format!(
            "the bench ROM panicked in {what}:\n{}",
            run.lines.join("\n")
        )),
    }
}

/// `cargo xtask bench`.
pub fn run() -> Result<()> {
    setup::ensure()?;
    let ws = Workspace::locate()?;
    // rsp-sim's prediction first: the ROM compiles it in.
    println!("bench: rsp-sim (bench_predict)");
    let sim = example_lines(&ws, &[])?;
    let predicted = ws.root.join("n64-demo/src/bench_predicted.rs");
    std::fs::write(&predicted, predicted_source(&sim)?)
        .map_err(|e| format!("cannot write {}: {e}", predicted.display()))?;
    let elfs = n64_build::build(&ws)?;
    let roms = pack_all(&ws, &elfs)?;
    let rom = roms
        .iter()
        .find(|r| r.name == "bench")
        .ok_or("the N64 build made no `bench` program")?;
    println!(
        "bench: {} in mupen64plus (CountPerOp=1)",
        rom.path.display()
    );
    let mupen = ended(
        Emulator::locate()?.run(&rom.path, Duration::from_secs(300), false)?,
        MUPEN,
    )?;
    println!("bench: {} in cen64", rom.path.display());
    let cen = ended(
        cen64::run_rom(
            &rom.path,
            Duration::from_secs(600),
            &cen64::RunOptions::default(),
        )?,
        CEN64,
    )?;
    let by_position = positions(&example_lines(&ws, &["--per-position"])?);

    let order: Vec<String> = cen
        .iter()
        .filter_map(|l| {
            l.strip_prefix("bench.")?
                .split_once('=')
                .map(|p| p.0.to_string())
        })
        .collect();
    let (cen, mupen, sim) = (figures(&cen), figures(&mupen), figures(&sim));
    if let Some((k, _)) = cen
        .iter()
        .chain(mupen.iter())
        .find(|(k, v)| k.ends_with(".identical") && *v != "yes")
    {
        return Err(format!("bench.{k}: a path differs from the scalar spec"));
    }
    let rows = rows(&cen, &mupen, &sim, &order);
    let dir = ws.root.join("bench-results");
    let date = process::stdout_of(std::process::Command::new("date").args(["-u", "+%Y-%m-%d"]))?;
    let commit = process::stdout_of(
        std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(&ws.root),
    )?;
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(
        "kernels.md",
        markdown(&rows, date.trim(), commit.trim()) + &dma_table(&cen, &mupen),
    )?;
    write(
        "kernels.csv",
        csv(&[(CEN64, &cen), (MUPEN, &mupen), (RSP_SIM, &sim)]),
    )?;
    plots(&dir, &rows, &by_position)?;
    for r in &rows {
        println!(
            "  {:<22} {:<7} cen64 {:>10} cycles ({} per weight)",
            r.kernel,
            r.path,
            fmt_int(r.cen64_cycles),
            fmt_ratio(r.cen64_cycles, r.weights)
        );
    }
    println!("bench: wrote bench-results/kernels.md, kernels.csv and kernels-*.png");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn rows_join_the_three_sources() {
        let cen_lines = lines(
            "rspnn bench: ...
bench.matvec_q8_128x128.spec.count_ticks=269797
bench.matvec_q8_128x128.spec.cpu_cycles=539594
bench.matvec_q8_128x128.rsp.count_ticks=8642
bench.matvec_q8_128x128.rsp.cpu_cycles=17284
bench.matvec_q8_128x128.rsp.identical=yes
bench.token_q8.model.weights_per_token=819200
bench.token_q8.scalar.count_ticks=3730000
bench.token_q8.scalar.cpu_cycles=7460000",
        );
        let cen = figures(&cen_lines);
        let mupen = figures(&lines("bench.matvec_q8_128x128.spec.count_ticks=260845"));
        let sim = figures(&lines("bench.matvec_q8_128x128.rsp.rsp_sim_cycles=4375"));
        let order: Vec<String> = cen.keys().cloned().collect();
        let rows = rows(&cen, &mupen, &sim, &order);
        assert_eq!(rows.len(), 3);
        let spec = rows.iter().find(|r| r.path == "spec").unwrap();
        assert_eq!(spec.weights, 16384.0);
        assert_eq!(spec.cen64_cycles, Some(539594.0));
        assert_eq!(spec.mupen_instructions, Some(260845.0));
        assert_eq!(spec.rsp_sim_cycles, None);
        let rsp = rows.iter().find(|r| r.path == "rsp").unwrap();
        assert_eq!(rsp.rsp_sim_cycles, Some(4375.0));
        assert_eq!(rsp.identical.as_deref(), Some("yes"));
        let token = rows.iter().find(|r| r.kernel == "token_q8").unwrap();
        assert_eq!(token.weights, 819200.0);
        let md = markdown(&rows, "2026-12-07", "abc1234");
        // 539,594 / 16,384 = 32.93; 7,460,000 / 819,200 = 9.11; 17,284 x 2/3 = 11,523.
        assert!(md.contains("| matvec_q8_128x128 | spec | 16,384 | 539,594 | 32.93 | 260,845 | 15.92 | - | - | (reference) |"), "{md}");
        assert!(
            md.contains("| token_q8 | scalar | 819,200 | 7,460,000 | 9.11 |"),
            "{md}"
        );
        assert!(md.contains("| 4,375 | 11,523 | yes |"), "{md}");
        assert!(
            md.contains("| token_q8 | scalar | cen64 (CPU cycles) | 7,460,000 | 12.6 |"),
            "{md}"
        );
    }

    #[test]
    fn the_predicted_file_is_what_the_rom_compiles() {
        // The ROM's compiled-in figures, as bench_predict prints them.
        let sim: Vec<String> = n64_demo::bench_predicted::PREDICTED_RSP_CYCLES
            .iter()
            .map(|(k, c)| format!("bench.{k}.rsp.rsp_sim_cycles={c}"))
            .collect();
        assert!(sim.len() >= 5);
        // The committed file is exactly this function's output for its own figures.
        let committed = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../n64-demo/src/bench_predicted.rs"),
        )
        .unwrap();
        assert_eq!(predicted_source(&sim).unwrap(), committed);
        assert!(predicted_source(&lines("nothing")).is_err());
        assert!(predicted_source(&lines("bench.a.rsp.rsp_sim_cycles=x")).is_err());
    }

    #[test]
    fn the_dma_table_sorts_by_size_and_names_its_sources() {
        let cen = figures(&lines(
            "bench.sp_dma_2x256.cpu.cpu_cycles=290
bench.sp_dma_1x4096.cpu.cpu_cycles=168
bench.sp_dma_1x4096.model.cpu_cycles=1157
bench.sp_dma_1x256.cpu.cpu_cycles=216",
        ));
        let mupen = figures(&lines("bench.sp_dma_1x4096.cpu.cpu_cycles=1046"));
        let md = dma_table(&cen, &mupen);
        let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("{s} missing:\n{md}"));
        assert!(at("| 1 x 256 bytes | 216 | - | - |") < at("| 2 x 256 bytes | 290 |"));
        assert!(at("| 2 x 256 bytes |") < at("| 1 x 4096 bytes | 168 | 1,046 | 1,157 |"));
        // The DP clock probe's table: "not measured" text is shown as such, numbers as numbers.
        let cen = figures(&lines(
            "bench.dma.2x1088.rsp_cycles=not measured (dp_clock not running)
bench.dma.2x1088.rsp_sim_cycles=458
bench.dp_clock.calibration.rsp_cycles=not measured (dp_clock not running)",
        ));
        let console = figures(&lines("bench.dma.2x1088.rsp_cycles=512"));
        let md = dma_table(&cen, &console);
        let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("{s} missing:\n{md}"));
        at("| calibration loop (256 iterations) | clock not running | - | - |");
        at("| 2 x 1088 bytes | clock not running | 512 | 458 |");
    }

    #[test]
    fn csv_and_positions_parse_what_they_print() {
        let f = figures(&lines("bench.a.b.c=1\nnot a figure\nbench.a.b.d=yes"));
        assert_eq!(
            csv(&[("cen64", &f)]),
            "source,kernel,path,unit,value\ncen64,a,b,c,1\ncen64,a,b,d,yes\n"
        );
        let p = positions(&lines(
            "rsp_sim.token_q8.position.0=231360\nrsp_sim.token_q8.position.1=231400\nrsp_sim.token_q4.position.0=144201\nx=1",
        ));
        assert_eq!(p["token_q8"], vec![(0, 231360), (1, 231400)]);
        assert_eq!(p["token_q4"], vec![(0, 144201)]);
    }

    #[test]
    fn plots_are_written() {
        if !Path::new(FONT).is_file() {
            if shared_fixtures::under_ci() {
                panic!("{FONT} is missing under CI (setup installs fonts-dejavu-core)");
            }
            eprintln!("skipping: {FONT} is missing (cargo xtask setup installs it)");
            return;
        }
        let dir = std::env::temp_dir().join(format!("rspnn-bench-plots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let row = |kernel: &str, path: &str, cen: f64, sim: Option<f64>| Row {
            kernel: kernel.into(),
            path: path.into(),
            weights: 819200.0,
            cen64_cycles: Some(cen),
            mupen_instructions: None,
            rsp_sim_cycles: sim,
            identical: Some("yes".into()),
        };
        let rows = vec![
            row("token_q8", "scalar", 7.46e6, None),
            row("token_q8", "rsp", 477792.0, Some(234781.0)),
        ];
        let mut pos = BTreeMap::new();
        pos.insert("token_q8".to_string(), vec![(0, 231360), (1, 232000)]);
        plots(&dir, &rows, &pos).unwrap();
        for name in [
            "kernels-cycles-per-weight.png",
            "kernels-tokens-per-second.png",
            "kernels-measured-vs-predicted.png",
            "kernels-rsp-cycles-by-position.png",
        ] {
            let bytes = std::fs::read(dir.join(name)).unwrap();
            assert_eq!(&bytes[1..4], b"PNG", "{name}");
            assert!(bytes.len() > 5000, "{name}: {} bytes", bytes.len());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
