//! `rspnn`: run, measure and convert rspnn models from the command line.

mod args;
mod load;

use args::Args;
use load::{load_rspw, parse_mask, BackendKind, BackendStore};
use rspnn_model::rspw::ModelView;
use std::io::Write;

const USAGE: &str = "usage:
  rspnn generate  --weights W --prompt TEXT [--max N] [--backend scalar|float] [--vocab all|printable]
  rspnn next-char --weights W --text FILE --offset O [--len 64] [--backend scalar|float] [--vocab all|printable]
  rspnn accuracy  --weights W --corpus FILE [--preds FILE] [--windows 60] [--backend scalar|float] [--vocab all|printable]
  rspnn convert   --in FILE --out FILE [--q4]
  rspnn info      --weights W
W may be an RSPW file (ours) or a seed SEAI file (v5 Q8 or v2 Q4).";

/// The fixture's window placement (fixtures/seed-v5/README.md "The accuracy yardstick").
const WINDOW_STRIDE: usize = 100_003;
const WINDOW_START: usize = 777;
const WINDOW_LEN: usize = 64;

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = argv.first() else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let rest = &argv[1..];
    let result = match cmd.as_str() {
        "generate" => generate(rest),
        "next-char" => next_char(rest),
        "accuracy" => accuracy(rest),
        "convert" => convert(rest),
        "info" => info(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command '{other}'\n{USAGE}")),
    };
    if let Err(e) = result {
        eprintln!("rspnn: {e}");
        std::process::exit(1);
    }
}

const RUN_OPTS: [&str; 8] = ["weights", "prompt", "max", "backend", "vocab", "text", "offset", "len"];

fn backend_of(a: &Args) -> Result<BackendKind, String> {
    BackendKind::parse(a.opt("backend").unwrap_or("scalar"))
}

fn generate(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &RUN_OPTS[..5], &[])?;
    let bytes = load_rspw(a.req("weights")?, false)?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    let prompt = a.req("prompt")?.as_bytes().to_vec();
    if prompt.is_empty() {
        return Err("--prompt must not be empty".into());
    }
    let max = a.num("max", 64)?;
    let mask = parse_mask(a.opt("vocab"))?;
    let store = BackendStore::new(backend_of(&a)?, &view)?;
    let mut be = store.backend(view)?;
    let mut next = 0u8;
    for &b in &prompt {
        next = be.step(b, mask).map_err(|e| e.to_string())?;
    }
    let mut out = Vec::with_capacity(max);
    for i in 0..max {
        out.push(next);
        if i + 1 < max {
            next = be.step(next, mask).map_err(|e| e.to_string())?;
        }
    }
    let mut so = std::io::stdout().lock();
    so.write_all(&out).and_then(|_| so.write_all(b"\n")).map_err(|e| e.to_string())
}

fn next_char(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &["weights", "text", "offset", "len", "backend", "vocab"], &[])?;
    let bytes = load_rspw(a.req("weights")?, false)?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    let path = a.req("text")?;
    let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let off = a.num("offset", 0)?;
    let len = a.num("len", WINDOW_LEN)?;
    let end = off.checked_add(len).filter(|&e| e <= text.len()).ok_or_else(|| {
        format!("{path}: offset {off} + len {len} is past the end ({} bytes)", text.len())
    })?;
    let mask = parse_mask(a.opt("vocab"))?;
    let store = BackendStore::new(backend_of(&a)?, &view)?;
    let mut be = store.backend(view)?;
    be.reset();
    let mut preds = Vec::with_capacity(len);
    for &b in &text[off..end] {
        preds.push(be.step(b, mask).map_err(|e| e.to_string())?);
    }
    std::io::stdout().lock().write_all(&preds).map_err(|e| e.to_string())
}

fn accuracy(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &["weights", "corpus", "preds", "windows", "backend", "vocab"], &[])?;
    let wpath = a.req("weights")?;
    let bytes = load_rspw(wpath, false)?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    let cpath = a.req("corpus")?;
    let text = std::fs::read(cpath).map_err(|e| format!("{cpath}: {e}"))?;
    let windows = a.num("windows", 60)?;
    let preds = match a.opt("preds") {
        Some(p) => Some(std::fs::read(p).map_err(|e| format!("{p}: {e}"))?),
        None => None,
    };
    if let Some(p) = &preds {
        if p.len() < windows * WINDOW_LEN {
            return Err(format!("--preds has {} bytes, {windows} windows need {}", p.len(), windows * WINDOW_LEN));
        }
    }
    let mask = parse_mask(a.opt("vocab"))?;
    let kind = backend_of(&a)?;
    let store = BackendStore::new(kind, &view)?;
    let mut be = store.backend(view)?;
    let (mut correct, mut agree, mut total) = (0usize, 0usize, 0usize);
    let start = std::time::Instant::now();
    for s in 0..windows {
        let off = s * WINDOW_STRIDE + WINDOW_START;
        if off + WINDOW_LEN + 1 > text.len() {
            return Err(format!("{cpath}: window {s} at offset {off} is past the end"));
        }
        be.reset();
        for i in 0..WINDOW_LEN {
            let p = be.step(text[off + i], mask).map_err(|e| e.to_string())?;
            correct += usize::from(p == text[off + i + 1]);
            if let Some(r) = &preds {
                agree += usize::from(p == r[s * WINDOW_LEN + i]);
            }
            total += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("backend {} vocab {:?} windows {windows}", be.name(), mask);
    println!("next-char accuracy {correct}/{total} = {:.4}", correct as f64 / total.max(1) as f64);
    if preds.is_some() {
        println!("agreement with --preds {agree}/{total} = {:.4}", agree as f64 / total.max(1) as f64);
    }
    println!("host time {:.3} s, {:.1} us/token", secs, secs * 1e6 / total.max(1) as f64);
    Ok(())
}

fn convert(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &["in", "out"], &["q4"])?;
    let input = a.req("in")?;
    let out = a.req("out")?;
    let bytes = load_rspw(input, a.has("q4"))?;
    std::fs::write(out, &bytes).map_err(|e| format!("{out}: {e}"))?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    eprintln!("wrote {out}: {} bytes, {:?}, Q{}", bytes.len(), view.dims(), view.info().bits.bits());
    Ok(())
}

fn info(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &["weights"], &[])?;
    let bytes = load_rspw(a.req("weights")?, false)?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    let i = view.info();
    println!("dims {:?}", view.dims());
    println!("weights Q{}, RSPW size {} bytes, real scales {}", i.bits.bits(), bytes.len(), i.has_real_scales);
    println!("embedding scale {}/{}, lookup G {}, head shift {}, eps_ss {}", i.emb_scale_num, i.emb_scale_den, i.g_emb, i.head_shift, i.eps_ss);
    for l in 0..view.dims().n_layers {
        let mut line = format!("layer {l} output shifts:");
        for k in rspnn_model::error::MatrixKind::ALL {
            let m = view.matrix(l, k).map_err(|e| e.to_string())?;
            line += &format!(" {}={}", k.name(), m.out_shift());
        }
        println!("{line}");
    }
    Ok(())
}
