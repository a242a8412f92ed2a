//! `rspnn`: run, measure and convert rspnn models from the command line.
//!
//! Arguments are parsed by clap (`--help` on every command, exit status 2 for a usage error);
//! paths are `PathBuf`s and the prompt an `OsString`, so non-UTF-8 arguments work. Every other
//! failure prints `rspnn: <file or argument>: <why>` and exits with status 1.

mod load;

use clap::{Args, Parser, Subcommand};
use load::{load_rspw, BackendKind, BackendStore, CacheKind, VocabKind};
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::rspw::ModelView;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The fixture's window placement (fixtures/seed-v5/README.md "The accuracy yardstick").
const WINDOW_STRIDE: u64 = 100_003;
const WINDOW_START: u64 = 777;
const WINDOW_LEN: usize = 64;

/// The most bytes read from a text, corpus or predictions file: the commands read only the
/// prefix their windows need, and a window reaching further than this is refused up front.
const MAX_TEXT_BYTES: u64 = 256 << 20;
/// The most bytes `generate --max` may produce.
const MAX_GENERATE: u64 = 1 << 20;
/// The most accuracy windows whose start lies within [`MAX_TEXT_BYTES`].
const MAX_WINDOWS: u64 = (MAX_TEXT_BYTES - WINDOW_START) / WINDOW_STRIDE;

#[derive(Parser)]
#[command(
    name = "rspnn",
    version,
    about = "Run, measure and convert rspnn models (RSPW files, or the seed demo's SEAI v5 Q8 / v2 Q4)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Greedy text generation from a prompt.
    Generate(GenerateArgs),
    /// The model's prediction after each byte of a stretch of a text file (raw bytes on stdout).
    NextChar(NextCharArgs),
    /// Next-byte accuracy over the fixture's windows of a corpus.
    Accuracy(AccuracyArgs),
    /// Convert a seed SEAI file to RSPW (optionally requantised to Q4).
    Convert(ConvertArgs),
    /// Print a weight file's header.
    Info(InfoArgs),
    /// RSP cycles per token on rsp-sim over the model's full context (each step checked
    /// against the scalar runner); prints, last, `cycles_per_token=<n> tokens_per_s=<x>`.
    Bench(BenchArgs),
}

/// How the model runs.
#[derive(Args)]
struct RunArgs {
    /// Weight file: RSPW (ours) or a seed SEAI file (v5 Q8 or v2 Q4).
    #[arg(long, value_name = "FILE")]
    weights: PathBuf,
    /// scalar: the fixed-point runner (what the VR4300 runs); float: the float32 reference;
    /// rsp-sim: the RSP token program on the simulated RSP (the same bits as scalar).
    #[arg(long, value_enum, default_value_t = BackendKind::Scalar)]
    backend: BackendKind,
    /// Which bytes greedy decoding may choose.
    #[arg(long, value_enum, default_value_t = VocabKind::All)]
    vocab: VocabKind,
    /// Past the context: two staggered windows, or a plain ring-buffer KV cache.
    #[arg(long, value_enum, default_value_t = CacheKind::Staggered)]
    cache: CacheKind,
}

#[derive(Args)]
struct GenerateArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The prompt (any bytes).
    #[arg(long)]
    prompt: OsString,
    /// Bytes to generate, 1..=1048576.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=MAX_GENERATE))]
    max: u64,
    /// Stop at the first generated newline (the models answer one line).
    #[arg(long)]
    stop_at_newline: bool,
}

#[derive(Args)]
struct NextCharArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The text file.
    #[arg(long, value_name = "FILE")]
    text: PathBuf,
    /// Byte offset of the stretch in the text.
    #[arg(long, default_value_t = 0)]
    offset: u64,
    /// Length of the stretch, 1..=268435456.
    #[arg(long, default_value_t = WINDOW_LEN as u64, value_parser = clap::value_parser!(u64).range(1..=MAX_TEXT_BYTES))]
    len: u64,
}

#[derive(Args)]
struct AccuracyArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The corpus; window s starts at byte 777 + 100003 * s.
    #[arg(long, value_name = "FILE")]
    corpus: PathBuf,
    /// Reference predictions, 64 bytes per window (the fixture's pred_f32_public.bin).
    #[arg(long, value_name = "FILE")]
    preds: Option<PathBuf>,
    /// Number of windows, 1..=2684.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=MAX_WINDOWS))]
    windows: u64,
    /// Bytes fed per window, 1..=268435456.
    #[arg(long, default_value_t = WINDOW_LEN as u64, value_parser = clap::value_parser!(u64).range(1..=MAX_TEXT_BYTES))]
    stream: u64,
    /// A second backend to count agreement with.
    #[arg(long, value_enum)]
    against: Option<BackendKind>,
}

#[derive(Args)]
struct ConvertArgs {
    /// The seed (or RSPW) file to read.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// The RSPW file to write (written whole or not at all; must not be --in).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Requantise the layer matrices to Q4 first (seed files only).
    #[arg(long)]
    q4: bool,
}

#[derive(Args)]
struct InfoArgs {
    /// Weight file: RSPW or seed SEAI.
    #[arg(long, value_name = "FILE")]
    weights: PathBuf,
}

#[derive(Args)]
struct BenchArgs {
    /// Weight file: RSPW or seed SEAI.
    #[arg(long, value_name = "FILE")]
    weights: PathBuf,
    /// Sequences decoded together, 1..=4. Only 1 runs today: batched lanes (one MATVEC pass
    /// for several sequences) are not in the ucode yet, and a larger batch is refused.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=4))]
    batch: u64,
    /// The bytes fed first (any bytes); after them the model's own greedy predictions, up to
    /// the end of its context.
    #[arg(long, default_value = "Q: Who are you?\nA:")]
    prompt: OsString,
    /// Run the model with its context set to N slots, 1..=256 (the KV cache and the positions
    /// measured; no weight depends on it): how the cycles grow with a longer context.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    ctx: Option<u16>,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(a) => generate(a),
        Command::NextChar(a) => next_char(a),
        Command::Accuracy(a) => accuracy(a),
        Command::Convert(a) => convert(a),
        Command::Info(a) => info(a),
        Command::Bench(a) => bench(a),
    };
    if let Err(e) = result {
        eprintln!("rspnn: {e}");
        std::process::exit(1);
    }
}

/// A model error while running `path`'s model.
fn model_err(path: &Path) -> impl Fn(rspnn_model::ModelError) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// A message about the model in `path`, prefixed with the file.
fn in_file(path: &Path) -> impl Fn(String) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

fn generate(a: GenerateArgs) -> Result<(), String> {
    let prompt = a.prompt.as_encoded_bytes();
    if prompt.is_empty() {
        return Err("--prompt must not be empty".into());
    }
    let w = &a.run.weights;
    let out = with_backend(&a.run, |be, mask| {
        let mut next = 0u8;
        for &b in prompt {
            next = be.step(b, mask).map_err(model_err(w))?;
        }
        // The models answer one line (`Q: ...\nA: answer\n`) and then invent the next question.
        let mut out = Vec::new();
        for i in 0..a.max {
            if a.stop_at_newline && next == b'\n' {
                break;
            }
            out.push(next);
            if i + 1 < a.max {
                next = be.step(next, mask).map_err(model_err(w))?;
            }
        }
        out.push(b'\n');
        Ok(out)
    })?;
    write_stdout(&out)
}

/// Loads `--weights`, builds the `--backend` (with the `--cache` kind) over it and runs `f`
/// with it and the `--vocab` mask; a load error names the file.
fn with_backend<T>(
    run: &RunArgs,
    f: impl FnOnce(&mut dyn Backend, DecodeMask) -> Result<T, String>,
) -> Result<T, String> {
    let w = &run.weights;
    let bytes = load_rspw(w, false)?;
    let view = ModelView::parse(&bytes).map_err(model_err(w))?;
    let store = BackendStore::new(run.backend, &view, &bytes).map_err(in_file(w))?;
    let mut be = store
        .backend(view, run.cache == CacheKind::Ring)
        .map_err(in_file(w))?;
    f(be.as_mut(), run.vocab.mask())
}

fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut so = std::io::stdout().lock();
    so.write_all(bytes)
        .and_then(|_| so.flush())
        .map_err(|e| format!("standard output: {e}"))
}

fn next_char(a: NextCharArgs) -> Result<(), String> {
    let w = &a.run.weights;
    let path = &a.text;
    let end = a
        .offset
        .checked_add(a.len)
        .filter(|&e| e <= MAX_TEXT_BYTES)
        .ok_or_else(|| {
            format!(
                "--offset {} + --len {} reaches past the {MAX_TEXT_BYTES} bytes this tool reads of a text",
                a.offset, a.len
            )
        })?;
    let text = tool_io::read_prefix(path, "text", end).map_err(|e| e.to_string())?;
    if (text.len() as u64) < end {
        return Err(format!(
            "{}: --offset {} + --len {} is past the end ({} bytes)",
            path.display(),
            a.offset,
            a.len,
            text.len()
        ));
    }
    let preds = with_backend(&a.run, |be, mask| {
        be.reset();
        let mut preds = Vec::with_capacity(a.len as usize);
        for &b in &text[a.offset as usize..] {
            preds.push(be.step(b, mask).map_err(model_err(w))?);
        }
        Ok(preds)
    })?;
    write_stdout(&preds)
}

fn accuracy(a: AccuracyArgs) -> Result<(), String> {
    let (windows, len) = (a.windows, a.stream);
    // The last window's last target byte, in u64 with overflow checked, before anything is read.
    let needed = (windows - 1)
        .checked_mul(WINDOW_STRIDE)
        .and_then(|o| o.checked_add(WINDOW_START + 1))
        .and_then(|o| o.checked_add(len))
        .filter(|&n| n <= MAX_TEXT_BYTES)
        .ok_or_else(|| {
            format!(
                "--windows {windows} --stream {len} reach past the {MAX_TEXT_BYTES} bytes this tool reads of a corpus"
            )
        })?;
    let preds_needed = if a.preds.is_some() {
        if len != WINDOW_LEN as u64 {
            return Err(format!(
                "--preds holds 64-byte windows: it needs --stream 64, not {len}"
            ));
        }
        windows * WINDOW_LEN as u64 // <= needed, so within MAX_TEXT_BYTES
    } else {
        0
    };
    let cpath = &a.corpus;
    let text = tool_io::read_prefix(cpath, "corpus", needed).map_err(|e| e.to_string())?;
    if (text.len() as u64) < needed {
        // The first window that does not fit (windows <= MAX_TEXT_BYTES / WINDOW_STRIDE here).
        let have = text.len() as u64;
        let s = (0..windows)
            .find(|s| s * WINDOW_STRIDE + WINDOW_START + len + 1 > have)
            .unwrap_or(windows - 1);
        return Err(format!(
            "{}: window {s} at offset {} is past the end ({} bytes; --windows {windows} --stream {len} need {needed})",
            cpath.display(),
            s * WINDOW_STRIDE + WINDOW_START,
            text.len()
        ));
    }
    let preds = match &a.preds {
        Some(p) => {
            let v =
                tool_io::read_prefix(p, "predictions", preds_needed).map_err(|e| e.to_string())?;
            if (v.len() as u64) < preds_needed {
                return Err(format!(
                    "{}: {} bytes, --windows {windows} needs {preds_needed} (64 per window)",
                    p.display(),
                    v.len()
                ));
            }
            Some(v)
        }
        None => None,
    };
    let w = &a.run.weights;
    let bytes = load_rspw(w, false)?;
    let view = ModelView::parse(&bytes).map_err(model_err(w))?;
    let ctx = view.dims().ctx;
    let mask = a.run.vocab.mask();
    let ring = a.run.cache == CacheKind::Ring;
    let store = BackendStore::new(a.run.backend, &view, &bytes).map_err(in_file(w))?;
    let mut be = store.backend(view, ring).map_err(in_file(w))?;
    let other_store = match a.against {
        Some(k) => Some(BackendStore::new(k, &view, &bytes).map_err(in_file(w))?),
        None => None,
    };
    let mut other = match &other_store {
        Some(s) => Some(s.backend(view, ring).map_err(in_file(w))?),
        None => None,
    };
    let (windows, len) = (windows as usize, len as usize);
    // [within the context, past it]
    let (mut correct, mut total) = ([0usize; 2], [0usize; 2]);
    let (mut agree, mut agree_other) = (0usize, 0usize);
    let start = std::time::Instant::now();
    for s in 0..windows {
        let off = s * WINDOW_STRIDE as usize + WINDOW_START as usize;
        be.reset();
        if let Some(o) = other.as_mut() {
            o.reset();
        }
        for i in 0..len {
            let p = be.step(text[off + i], mask).map_err(model_err(w))?;
            let part = usize::from(i >= ctx);
            correct[part] += usize::from(p == text[off + i + 1]);
            total[part] += 1;
            if let Some(r) = &preds {
                agree += usize::from(p == r[s * WINDOW_LEN + i]);
            }
            if let Some(o) = other.as_mut() {
                agree_other += usize::from(p == o.step(text[off + i], mask).map_err(model_err(w))?);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let all = total[0] + total[1];
    let frac = |n: usize, d: usize| n as f64 / d.max(1) as f64;
    let mut report = format!(
        "backend {} vocab {} cache {} windows {windows} x {len} bytes\n",
        be.name(),
        a.run.vocab.name(),
        a.run.cache.name()
    );
    report += &format!(
        "next-char accuracy {}/{all} = {:.4}\n",
        correct[0] + correct[1],
        frac(correct[0] + correct[1], all)
    );
    if total[1] > 0 {
        report += &format!(
            "  positions < {ctx}: {:.4}; positions >= {ctx}: {:.4} ({} predictions)\n",
            frac(correct[0], total[0]),
            frac(correct[1], total[1]),
            total[1]
        );
    }
    if preds.is_some() {
        report += &format!(
            "agreement with --preds {agree}/{all} = {:.4}\n",
            frac(agree, all)
        );
    }
    if let Some(k) = a.against {
        report += &format!(
            "agreement with backend {} {agree_other}/{all} = {:.4}\n",
            k.name(),
            frac(agree_other, all)
        );
    }
    report += &format!(
        "host time {:.3} s for {} backend step(s) per byte\n",
        secs,
        1 + usize::from(other.is_some())
    );
    write_stdout(report.as_bytes())
}

fn convert(a: ConvertArgs) -> Result<(), String> {
    if tool_io::same_file(&a.input, &a.out) {
        return Err(format!(
            "--out {} is the input file: write the converted model to another path",
            a.out.display()
        ));
    }
    let bytes = load_rspw(&a.input, a.q4)?;
    let view = ModelView::parse(&bytes).map_err(model_err(&a.input))?;
    tool_io::write_atomic(&a.out, &bytes).map_err(|e| e.to_string())?;
    let d = view.dims();
    eprintln!(
        "wrote {}: {} bytes, {} layers, width {}, {} heads, FFN {}, vocab {}, context {}, Q{}",
        a.out.display(),
        bytes.len(),
        d.n_layers,
        d.d_model,
        d.n_heads,
        d.d_ff,
        d.vocab,
        d.ctx,
        view.info().bits.bits()
    );
    Ok(())
}

fn info(a: InfoArgs) -> Result<(), String> {
    let w = &a.weights;
    let bytes = load_rspw(w, false)?;
    let view = ModelView::parse(&bytes).map_err(model_err(w))?;
    let i = view.info();
    let d = view.dims();
    // The header's field names (docs/weight-format.md), one `name: value` each, for scripts.
    let mut out = format!(
        "dims: n_layers: {}, d_model: {}, n_heads: {}, d_ff: {}, vocab: {}, ctx: {}\n",
        d.n_layers, d.d_model, d.n_heads, d.d_ff, d.vocab, d.ctx
    );
    out += &format!(
        "weights Q{}, RSPW size {} bytes, real scales {}\n",
        i.bits.bits(),
        bytes.len(),
        i.has_real_scales
    );
    out += &format!(
        "embedding scale {}/{}, lookup G {}, head shift {}, eps_ss {}\n",
        i.emb_scale_num, i.emb_scale_den, i.g_emb, i.head_shift, i.eps_ss
    );
    for l in 0..d.n_layers {
        out += &format!("layer {l} output shifts:");
        for k in rspnn_model::error::MatrixKind::ALL {
            let m = view.matrix(l, k).map_err(model_err(w))?;
            out += &format!(" {}={}", k.name(), m.out_shift());
        }
        out += "\n";
    }
    write_stdout(out.as_bytes())
}

/// The RSP's clock (RSP-FACTS "Machine"): tokens/s = this / cycles per token.
const RSP_HZ: f64 = 62.5e6;

fn bench(a: BenchArgs) -> Result<(), String> {
    if a.batch != 1 {
        return Err(format!(
            "--batch {}: batched lanes (several sequences sharing one MATVEC pass) are not built yet; only --batch 1 runs",
            a.batch
        ));
    }
    let prompt = a.prompt.as_encoded_bytes();
    if prompt.is_empty() {
        return Err("--prompt must not be empty".into());
    }
    let w = &a.weights;
    let mut bytes = load_rspw(w, false)?;
    if let Some(c) = a.ctx {
        // The header's ctx field (u16 BE at 18, docs/weight-format.md), then the CRC again.
        bytes[18..20].copy_from_slice(&c.to_be_bytes());
        rspnn_model::rspw::finish_crc(&mut bytes);
    }
    let view = ModelView::parse(&bytes).map_err(model_err(w))?;
    let ctx = view.dims().ctx;
    if prompt.len() > ctx {
        return Err(format!(
            "--prompt: {} bytes, more than the model's context of {ctx} positions",
            prompt.len()
        ));
    }
    let mut sim = rspnn_ucode::sim::SimBackend::new(&bytes, false)
        .map_err(|e| format!("{}: rsp-sim backend: {e}", w.display()))?;
    let mut scalar = rspnn_model::runner::ScalarRunner::new(
        view,
        vec![0i16; rspnn_model::runner::workspace_len(view.dims())],
    )
    .map_err(model_err(w))?;
    let mut out = String::new();
    let mut total = 0u64;
    let mut next = prompt[0];
    // One model state, positions 0..ctx-1: the attention grows with the position, so the
    // mean over the whole context is the figure a full conversation sees.
    for pos in 0..ctx {
        let fed = if pos < prompt.len() {
            prompt[pos]
        } else {
            next
        };
        next = sim.step(fed, DecodeMask::All).map_err(model_err(w))?;
        let want = Backend::step(&mut scalar, fed, DecodeMask::All).map_err(model_err(w))?;
        if next != want {
            return Err(format!(
                "{}: position {pos}: rsp-sim predicted byte {next}, the scalar runner {want}: the ucode is not bit-exact on this model",
                w.display()
            ));
        }
        let cycles = sim.last().stats.cycles;
        total += cycles;
        out += &format!(
            "position {pos}: {cycles} cycles = {:.1} tokens/s\n",
            RSP_HZ / cycles as f64
        );
    }
    let mean = total as f64 / ctx as f64;
    out += &format!(
        "rsp-sim cycle model, {ctx} positions, batch 1, every prediction equal to the scalar runner's\n"
    );
    out += &format!(
        "cycles_per_token={:.0} tokens_per_s={:.1}\n",
        mean,
        RSP_HZ / mean
    );
    write_stdout(out.as_bytes())
}
