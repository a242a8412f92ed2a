//! `rspnn`: run, measure and convert rspnn models from the command line.

mod args;
mod load;

use args::Args;
use load::{load_rspw, parse_cache, parse_mask, BackendKind, BackendStore};
use rspnn_model::rspw::ModelView;
use std::io::Write;

const USAGE: &str = "usage:
  rspnn generate  --weights W --prompt TEXT [--max N] [--stop-at-newline] [--backend B] [--vocab all|printable]
                  [--cache staggered|ring]
  rspnn next-char --weights W --text FILE --offset O [--len 64] [--backend B] [--vocab all|printable] [--cache staggered|ring]
  rspnn accuracy  --weights W --corpus FILE [--preds FILE] [--windows 60] [--stream 64] [--against B]
                  [--backend B] [--vocab all|printable] [--cache staggered|ring]
  rspnn convert   --in FILE --out FILE [--q4]
  rspnn info      --weights W
W may be an RSPW file (ours) or a seed SEAI file (v5 Q8 or v2 Q4).
B is scalar (the fixed-point runner, default), float (the float32 reference) or rsp-sim (the
RSP token program on the simulated RSP: the same bits as scalar).";

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

const GEN_OPTS: [&str; 6] = ["weights", "prompt", "max", "backend", "vocab", "cache"];

fn backend_of(a: &Args) -> Result<BackendKind, String> {
    BackendKind::parse(a.opt("backend").unwrap_or("scalar"))
}

fn generate(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &GEN_OPTS, &["stop-at-newline"])?;
    // The models answer one line (`Q: ...\nA: answer\n`) and then invent the next question.
    let stop_at_newline = a.has("stop-at-newline");
    let bytes = load_rspw(a.req("weights")?, false)?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    let prompt = a.req("prompt")?.as_bytes().to_vec();
    if prompt.is_empty() {
        return Err("--prompt must not be empty".into());
    }
    let max = a.num("max", 64)?;
    let mask = parse_mask(a.opt("vocab"))?;
    let store = BackendStore::new(backend_of(&a)?, &view, &bytes)?;
    let mut be = store.backend(view, parse_cache(a.opt("cache"))?)?;
    let mut next = 0u8;
    for &b in &prompt {
        next = be.step(b, mask).map_err(|e| e.to_string())?;
    }
    let mut out = Vec::with_capacity(max);
    for i in 0..max {
        if stop_at_newline && next == b'\n' {
            break;
        }
        out.push(next);
        if i + 1 < max {
            next = be.step(next, mask).map_err(|e| e.to_string())?;
        }
    }
    let mut so = std::io::stdout().lock();
    so.write_all(&out)
        .and_then(|_| so.write_all(b"\n"))
        .map_err(|e| e.to_string())
}

fn next_char(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(
        argv,
        &[
            "weights", "text", "offset", "len", "backend", "vocab", "cache",
        ],
        &[],
    )?;
    let bytes = load_rspw(a.req("weights")?, false)?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    let path = a.req("text")?;
    let text = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let off = a.num("offset", 0)?;
    let len = a.num("len", WINDOW_LEN)?;
    let end = off
        .checked_add(len)
        .filter(|&e| e <= text.len())
        .ok_or_else(|| {
            format!(
                "{path}: offset {off} + len {len} is past the end ({} bytes)",
                text.len()
            )
        })?;
    let mask = parse_mask(a.opt("vocab"))?;
    let store = BackendStore::new(backend_of(&a)?, &view, &bytes)?;
    let mut be = store.backend(view, parse_cache(a.opt("cache"))?)?;
    be.reset();
    let mut preds = Vec::with_capacity(len);
    for &b in &text[off..end] {
        preds.push(be.step(b, mask).map_err(|e| e.to_string())?);
    }
    std::io::stdout()
        .lock()
        .write_all(&preds)
        .map_err(|e| e.to_string())
}

fn accuracy(argv: &[String]) -> Result<(), String> {
    let opts = [
        "weights", "corpus", "preds", "windows", "backend", "vocab", "cache", "stream", "against",
    ];
    let a = Args::parse(argv, &opts, &[])?;
    let wpath = a.req("weights")?;
    let bytes = load_rspw(wpath, false)?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    let ctx = view.dims().ctx;
    let cpath = a.req("corpus")?;
    let text = std::fs::read(cpath).map_err(|e| format!("{cpath}: {e}"))?;
    let windows = a.num("windows", 60)?;
    let len = a.num("stream", WINDOW_LEN)?;
    let preds = match a.opt("preds") {
        Some(p) => Some(std::fs::read(p).map_err(|e| format!("{p}: {e}"))?),
        None => None,
    };
    if let Some(p) = &preds {
        if len != WINDOW_LEN || p.len() < windows * WINDOW_LEN {
            return Err(format!(
                "--preds needs 64-byte windows and {} bytes",
                windows * WINDOW_LEN
            ));
        }
    }
    let mask = parse_mask(a.opt("vocab"))?;
    let ring = parse_cache(a.opt("cache"))?;
    let store = BackendStore::new(backend_of(&a)?, &view, &bytes)?;
    let mut be = store.backend(view, ring)?;
    let other_store = match a.opt("against") {
        Some(k) => Some(BackendStore::new(BackendKind::parse(k)?, &view, &bytes)?),
        None => None,
    };
    let mut other = match &other_store {
        Some(s) => Some(s.backend(view, ring)?),
        None => None,
    };
    // [within the context, past it]
    let (mut correct, mut total) = ([0usize; 2], [0usize; 2]);
    let (mut agree, mut agree_other) = (0usize, 0usize);
    let start = std::time::Instant::now();
    for s in 0..windows {
        let off = s * WINDOW_STRIDE + WINDOW_START;
        if off + len + 1 > text.len() {
            return Err(format!(
                "{cpath}: window {s} at offset {off} is past the end"
            ));
        }
        be.reset();
        if let Some(o) = other.as_mut() {
            o.reset();
        }
        for i in 0..len {
            let p = be.step(text[off + i], mask).map_err(|e| e.to_string())?;
            let part = usize::from(i >= ctx);
            correct[part] += usize::from(p == text[off + i + 1]);
            total[part] += 1;
            if let Some(r) = &preds {
                agree += usize::from(p == r[s * WINDOW_LEN + i]);
            }
            if let Some(o) = other.as_mut() {
                agree_other +=
                    usize::from(p == o.step(text[off + i], mask).map_err(|e| e.to_string())?);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let all = total[0] + total[1];
    let frac = |n: usize, d: usize| n as f64 / d.max(1) as f64;
    println!(
        "backend {} vocab {:?} cache {} windows {windows} x {len} bytes",
        be.name(),
        mask,
        if ring { "ring" } else { "staggered" }
    );
    println!(
        "next-char accuracy {}/{all} = {:.4}",
        correct[0] + correct[1],
        frac(correct[0] + correct[1], all)
    );
    if total[1] > 0 {
        println!(
            "  positions < {ctx}: {:.4}; positions >= {ctx}: {:.4} ({} predictions)",
            frac(correct[0], total[0]),
            frac(correct[1], total[1]),
            total[1]
        );
    }
    if preds.is_some() {
        println!(
            "agreement with --preds {agree}/{all} = {:.4}",
            frac(agree, all)
        );
    }
    if let Some(k) = a.opt("against") {
        println!(
            "agreement with backend {k} {agree_other}/{all} = {:.4}",
            frac(agree_other, all)
        );
    }
    println!(
        "host time {:.3} s for {} backend step(s) per byte",
        secs,
        1 + usize::from(other.is_some())
    );
    Ok(())
}

fn convert(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &["in", "out"], &["q4"])?;
    let input = a.req("in")?;
    let out = a.req("out")?;
    let bytes = load_rspw(input, a.has("q4"))?;
    std::fs::write(out, &bytes).map_err(|e| format!("{out}: {e}"))?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    eprintln!(
        "wrote {out}: {} bytes, {:?}, Q{}",
        bytes.len(),
        view.dims(),
        view.info().bits.bits()
    );
    Ok(())
}

fn info(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &["weights"], &[])?;
    let bytes = load_rspw(a.req("weights")?, false)?;
    let view = ModelView::parse(&bytes).map_err(|e| e.to_string())?;
    let i = view.info();
    println!("dims {:?}", view.dims());
    println!(
        "weights Q{}, RSPW size {} bytes, real scales {}",
        i.bits.bits(),
        bytes.len(),
        i.has_real_scales
    );
    println!(
        "embedding scale {}/{}, lookup G {}, head shift {}, eps_ss {}",
        i.emb_scale_num, i.emb_scale_den, i.g_emb, i.head_shift, i.eps_ss
    );
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
