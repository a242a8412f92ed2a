//! Issue #17 items 1-9 for the `rspnn` binary: hostile or mistaken input gives a clear message
//! naming the file, field or argument and a nonzero exit, never wrong output, a panic, an
//! unbounded read or a damaged file. Every test runs the real binary on real weight files made
//! by the project's own writer (`rspnn_model::convert`).

use rspnn_model::convert::{to_rspw_vec, SourceModel};
use rspnn_model::dims::ModelDims;
use rspnn_model::error::MatrixKind;
use rspnn_model::rspw::{self, HEADER_BYTES};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rspnn<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rspnn"))
        .args(args)
        .output()
        .expect("rspnn runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status 1 (a refused input) and a message containing every `needle`.
fn refused<S: AsRef<OsStr>>(args: &[S], needles: &[&str]) -> Output {
    let o = rspnn(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "stdout {:?} stderr {e}", o.stdout);
    for n in needles {
        assert!(e.contains(n), "{n:?} not in: {e}");
    }
    assert!(!e.contains("panicked"), "{e}");
    o
}

/// A usage error from clap: exit status 2, naming the argument.
fn usage_error(args: &[&str], arg: &str) {
    let o = rspnn(args);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains(arg), "{arg:?} not in: {e}");
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rspnn-bad-input-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn demo_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/nibble-4l-q8.rspw")
}

/// A one-layer model whose layer matrices are zero, so each prediction is decided by the
/// embedding alone: token `b'a'` has every code 10 and token `favourite` every code 20, all
/// other rows are zero. After feeding `a` the head's logit of `favourite` is twice that of `a`
/// and every other logit is 0, so the model predicts `favourite`.
struct Tiny {
    dims: ModelDims,
    favourite: usize,
    scale: u16,
}

impl Tiny {
    fn new(vocab: usize, favourite: usize) -> Self {
        Tiny {
            dims: ModelDims {
                n_layers: 1,
                d_model: 32,
                n_heads: 1,
                d_ff: 32,
                vocab,
                ctx: 8,
            },
            favourite,
            scale: 0x3C00,
        }
    }
}

impl SourceModel for Tiny {
    fn dims(&self) -> ModelDims {
        self.dims
    }
    fn bits(&self) -> kernels::matvec::WeightBits {
        kernels::matvec::WeightBits::Q8
    }
    fn emb_q(&self, token: usize, _d: usize) -> i8 {
        match token {
            t if t == self.favourite => 20,
            t if t == b'a' as usize => 10,
            _ => 0,
        }
    }
    fn emb_scale(&self) -> (u16, u16) {
        (16, 16 * 127)
    }
    fn q(&self, _: usize, _: MatrixKind, _: usize, _: usize) -> i8 {
        0
    }
    fn scale_bits(&self, _: usize, _: MatrixKind, _: usize, _: usize) -> u16 {
        self.scale
    }
}

// ---- Item 1: vocab > 256 ---------------------------------------------------------------

#[test]
fn item1_a_token_above_255_is_an_error_not_a_cut_byte() {
    let d = scratch("vocab512");
    let w = d.join("v512.rspw");
    std::fs::write(&w, to_rspw_vec(&Tiny::new(512, 300)).unwrap()).unwrap();
    let t = d.join("text.txt");
    std::fs::write(&t, b"aaaa").unwrap();
    for backend in ["scalar", "float"] {
        let o = refused(
            &[
                OsStr::new("generate"),
                "--weights".as_ref(),
                w.as_os_str(),
                "--prompt".as_ref(),
                "a".as_ref(),
                "--max".as_ref(),
                "4".as_ref(),
                "--backend".as_ref(),
                backend.as_ref(),
            ],
            &[
                "v512.rspw",
                "predicted token 300",
                "vocabulary 0..512",
                "not a byte",
            ],
        );
        assert!(
            o.stdout.is_empty(),
            "{backend}: no cut byte (300 & 0xFF = ',') printed"
        );
        refused(
            &[
                OsStr::new("next-char"),
                "--weights".as_ref(),
                w.as_os_str(),
                "--text".as_ref(),
                t.as_os_str(),
                "--len".as_ref(),
                "4".as_ref(),
                "--backend".as_ref(),
                backend.as_ref(),
            ],
            &["predicted token 300"],
        );
    }
    // The same model with its favourite inside the bytes runs, and predicts exactly it.
    std::fs::write(&w, to_rspw_vec(&Tiny::new(512, 200)).unwrap()).unwrap();
    let o = rspnn(&[
        OsStr::new("generate"),
        "--weights".as_ref(),
        w.as_os_str(),
        "--prompt".as_ref(),
        "a".as_ref(),
        "--max".as_ref(),
        "1".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout, [200, b'\n']);
    std::fs::remove_dir_all(&d).ok();
}

// ---- Items 2 and 4: RSPW fields the reader must refuse -----------------------------------

/// The demo model with `patch` applied and its CRC recomputed (so only the patched field is
/// wrong).
fn patched_demo(dir: &Path, name: &str, patch: impl Fn(&mut Vec<u8>)) -> PathBuf {
    let mut b = std::fs::read(demo_model()).unwrap();
    patch(&mut b);
    rspw::finish_crc(&mut b);
    let p = dir.join(name);
    std::fs::write(&p, b).unwrap();
    p
}

/// Offset of the real-scale section of the demo model (4 layers, width 128, FFN 512, vocab
/// 256, Q8): 64 + 256*128/256*272 + 4 * (16 + 4*128*128/256*272 + 2*512*128/256*272).
fn demo_real_scales() -> usize {
    let b = std::fs::read(demo_model()).unwrap();
    let v = rspw::ModelView::parse(&b).unwrap();
    let l = v.layout();
    HEADER_BYTES + (l.embedding + 4 * l.layer) as usize
}

#[test]
fn item2_real_scales_nan_infinite_or_negative_are_refused() {
    let d = scratch("realscales");
    let at = demo_real_scales();
    for (name, bits, why) in [
        ("nan", 0x7E00u16, "infinite or NaN"),
        ("inf", 0x7C00, "infinite or NaN"),
        ("neg", 0xBC00, "negative"),
    ] {
        // Row 0 block 1 of layer 0 wq.
        let p = patched_demo(&d, name, |b| {
            b[at + 2..at + 4].copy_from_slice(&bits.to_be_bytes())
        });
        let f16 = format!("{bits:#06x}");
        for cmd in [
            &["info"][..],
            &["generate", "--prompt", "Q:", "--backend", "float"][..],
        ] {
            let mut args: Vec<&OsStr> = cmd.iter().map(OsStr::new).collect();
            args.extend([OsStr::new("--weights"), p.as_os_str()]);
            let o = refused(&args, &[name, "layer 0 wq", "row 0 block 1", &f16, why]);
            assert!(o.stdout.is_empty());
        }
    }
    // The section's last scale (layer 3 wff2 row 127 block 15; the demo's layers need no
    // padding: 12,288 scale bytes each) is checked too.
    let end = std::fs::metadata(demo_model()).unwrap().len() as usize;
    let p = patched_demo(&d, "last", |b| {
        b[end - 2..end].copy_from_slice(&0xFC00u16.to_be_bytes())
    });
    refused(
        &[OsStr::new("info"), "--weights".as_ref(), p.as_os_str()],
        &["layer 3 wff2: block scale at row 127 block 15 (f16 bits 0xfc00)"],
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn item4_reserved_bytes_and_an_inconsistent_g_emb_are_refused() {
    let d = scratch("reserved");
    for at in [29usize, 41, 47, 56, 63] {
        let p = patched_demo(&d, "r", |b| b[at] = 1);
        refused(
            &[OsStr::new("info"), "--weights".as_ref(), p.as_os_str()],
            &[&format!(
                "header field reserved at offset {at} = 1: must be zero"
            )],
        );
    }
    // The demo's G_emb is 44 = round(22/2032 * 4096); 45 disagrees with the scale.
    let p = patched_demo(&d, "g", |b| b[30..32].copy_from_slice(&45u16.to_be_bytes()));
    refused(
        &[OsStr::new("info"), "--weights".as_ref(), p.as_os_str()],
        &[
            "header field g_emb at offset 30 = 45",
            "disagrees with the embedding scale",
        ],
    );
    std::fs::remove_dir_all(&d).ok();
}

// ---- Item 3: convert --q4 of a seed file with a bad block scale --------------------------

/// A seed v5 file (1 layer, width 32, 1 head, vocab 8, ctx 8): every weight code `code`,
/// every scale 1.0 except wq's row 0 block 0, which is `bad`.
fn seed_v5(code: i8, bad: u16) -> Vec<u8> {
    let (n, vocab) = (32usize, 8usize);
    let mut f = b"SEAI".to_vec();
    f.push(1);
    f.extend_from_slice(&(n as u16).to_le_bytes());
    f.push(1);
    f.extend_from_slice(&(vocab as u16).to_le_bytes());
    f.push(8);
    f.push(16);
    f.extend(std::iter::repeat_n(1u8, vocab * n));
    let weights = 4 * n * n + 2 * 4 * n * n;
    f.extend(std::iter::repeat_n(code as u8, weights));
    let mut scales = vec![0x3C00u16; weights / 32];
    scales[0] = bad;
    for s in scales {
        f.extend_from_slice(&s.to_le_bytes());
    }
    f
}

#[test]
fn item3_convert_q4_refuses_bad_block_scales_like_every_other_path() {
    let d = scratch("q4");
    let out = d.join("out.rspw");
    for (name, bits, why) in [
        ("nan.seai", 0x7E00u16, "infinite or NaN"),
        ("neg.seai", 0xC000, "negative"),
        ("max.seai", 0x7BFF, "too large to requantise"),
    ] {
        let p = d.join(name);
        std::fs::write(&p, seed_v5(127, bits)).unwrap();
        let f16 = format!("(f16 bits {bits:#06x})");
        let o = refused(
            &[
                OsStr::new("convert"),
                "--in".as_ref(),
                p.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
                "--q4".as_ref(),
            ],
            &[name, "layer 0 wq: block scale at row 0 block 0", &f16, why],
        );
        assert!(o.stdout.is_empty());
        assert!(!out.exists(), "no output written");
    }
    // The same file with a good scale converts.
    let p = d.join("good.seai");
    std::fs::write(&p, seed_v5(127, 0x3C00)).unwrap();
    let o = rspnn(&[
        OsStr::new("convert"),
        "--in".as_ref(),
        p.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--q4".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("Q4"));
    std::fs::remove_dir_all(&d).ok();
}

// ---- Item 5: no data loss ----------------------------------------------------------------

#[test]
fn item5_convert_never_damages_its_input_or_leaves_a_partial_output() {
    let d = scratch("convert");
    let input = d.join("in.rspw");
    std::fs::copy(demo_model(), &input).unwrap();
    let original = std::fs::read(&input).unwrap();
    // --out equal to --in, also spelled differently and through a hard link.
    let link = d.join("link.rspw");
    std::fs::hard_link(&input, &link).unwrap();
    for out in [input.clone(), d.join(".").join("in.rspw"), link] {
        refused(
            &[
                OsStr::new("convert"),
                "--in".as_ref(),
                input.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
            &["is the input file"],
        );
        assert_eq!(std::fs::read(&input).unwrap(), original);
    }
    // An output that cannot be created: nothing is left behind.
    refused(
        &[
            OsStr::new("convert"),
            "--in".as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            d.join("no-such-dir/out.rspw").as_os_str(),
        ],
        &["no-such-dir/out.rspw", "No such file or directory"],
    );
    // A failing conversion leaves an existing output as it was, and no temporary file.
    let out = d.join("out.rspw");
    std::fs::write(&out, b"keep me").unwrap();
    let bad = d.join("bad.seai");
    std::fs::write(&bad, seed_v5(1, 0x7E00)).unwrap();
    refused(
        &[
            OsStr::new("convert"),
            "--in".as_ref(),
            bad.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
        &["NaN"],
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    let mut names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bad.seai", "in.rspw", "link.rspw", "out.rspw"]);
    std::fs::remove_dir_all(&d).ok();
}

// ---- Items 6-9: arguments ----------------------------------------------------------------

#[test]
#[cfg(unix)]
fn item6_non_utf8_arguments_do_not_panic() {
    use std::os::unix::ffi::OsStrExt;
    let d = scratch("utf8");
    let odd = d.join(OsStr::from_bytes(b"w\xff.rspw"));
    // A non-UTF-8 path is reported (lossily displayed), not a panic.
    refused(
        &[OsStr::new("info"), "--weights".as_ref(), odd.as_os_str()],
        &["w\u{FFFD}.rspw", "No such file or directory"],
    );
    // ... and works when the file exists.
    std::fs::copy(demo_model(), &odd).unwrap();
    let o = rspnn(&[OsStr::new("info"), "--weights".as_ref(), odd.as_os_str()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A non-UTF-8 prompt is fed as its bytes.
    let o = rspnn(&[
        OsStr::new("generate"),
        "--weights".as_ref(),
        odd.as_os_str(),
        "--prompt".as_ref(),
        OsStr::from_bytes(b"Q: \xff?\nA:"),
        "--max".as_ref(),
        "3".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout.len(), 4);
    // A non-UTF-8 subcommand or option is a usage error.
    let o = rspnn(&[OsStr::from_bytes(b"gen\xffrate")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("panicked"));
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn item7_huge_or_zero_counts_are_refused_before_any_work() {
    let w = demo_model();
    let w = w.to_str().unwrap();
    for max in ["18446744073709551615", "100000000000", "1048577", "0"] {
        usage_error(
            &["generate", "--weights", w, "--prompt", "Q:", "--max", max],
            "--max",
        );
    }
    // (subcommand, its input file option, the count option, a refused value)
    for (command, input, option, value) in [
        ("accuracy", "--corpus", "--windows", "0"),
        ("accuracy", "--corpus", "--stream", "0"),
        ("accuracy", "--corpus", "--stream", "18446744073709551615"),
        ("accuracy", "--corpus", "--windows", "4611686018427387904"),
        ("next-char", "--text", "--len", "0"),
    ] {
        usage_error(
            &[command, "--weights", w, input, "/dev/zero", option, value],
            option,
        );
    }
    // Within each bound but reaching past what is read: refused up front with the arguments.
    refused(
        &[
            "accuracy",
            "--weights",
            w,
            "--corpus",
            "/dev/zero",
            "--windows",
            "2684",
            "--stream",
            "268435456",
        ],
        &["--windows 2684 --stream 268435456 reach past the 268435456 bytes"],
    );
    refused(
        &[
            "next-char",
            "--weights",
            w,
            "--text",
            "/dev/zero",
            "--offset",
            "18446744073709551615",
        ],
        &["--offset 18446744073709551615 + --len 64 reaches past"],
    );
}

#[test]
fn item8_endless_files_are_read_only_as_far_as_the_format_allows() {
    let w = demo_model();
    let w = w.to_str().unwrap();
    // /dev/zero as the weight file: its first 64 bytes show the magic is wrong.
    refused(
        &["info", "--weights", "/dev/zero"],
        &["/dev/zero", "magic 00 00 00 00"],
    );
    // An RSPW header followed by endless bytes: read to the declared size + 1, then refused.
    let d = scratch("endless");
    let fifo = d.join("endless.rspw");
    let header = std::fs::read(demo_model()).unwrap()[..64].to_vec();
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let _ = f.write_all(&header);
            let zeros = [0u8; 65536];
            // Until the reader closes its end (EPIPE), up to 64 MiB.
            for _ in 0..1024 {
                if f.write_all(&zeros).is_err() {
                    break;
                }
            }
        })
    };
    refused(
        &[OsStr::new("info"), "--weights".as_ref(), fifo.as_os_str()],
        &[
            "endless.rspw",
            "unexpected bytes after offset 919680 (size 919681)",
        ],
    );
    writer.join().unwrap();
    // /dev/zero as text, corpus and predictions: only the needed prefix is read.
    let o = rspnn(&[
        "next-char",
        "--weights",
        w,
        "--text",
        "/dev/zero",
        "--len",
        "8",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout.len(), 8);
    let o = rspnn(&[
        "accuracy",
        "--weights",
        w,
        "--corpus",
        "/dev/zero",
        "--windows",
        "2",
        "--preds",
        "/dev/zero",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("windows 2 x 64 bytes") && out.contains("agreement with --preds"),
        "{out}"
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn item9_help_exits_0_and_messages_name_their_subject_without_debug_formatting() {
    for args in [
        &["--help"][..],
        &["generate", "--help"],
        &["accuracy", "--help"],
        &["help", "convert"],
    ] {
        let o = rspnn(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage: rspnn"),
            "{args:?}"
        );
    }
    let w = demo_model();
    let o = rspnn(&[OsStr::new("info"), "--weights".as_ref(), w.as_os_str()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with(
            "dims: n_layers: 4, d_model: 128, n_heads: 4, d_ff: 512, vocab: 256, ctx: 64\n"
        ),
        "{out}"
    );
    assert!(!out.contains("ModelDims") && !out.contains('{'), "{out}");
    // A directory: the OS reason, with the file named.
    let d = scratch("dir");
    refused(
        &[OsStr::new("info"), "--weights".as_ref(), d.as_os_str()],
        &["cannot read weight file: Is a directory"],
    );
    // A 3-byte seed file is reported against the seed header.
    let p = d.join("three.seai");
    std::fs::write(&p, b"SEA").unwrap();
    refused(
        &[OsStr::new("info"), "--weights".as_ref(), p.as_os_str()],
        &["three.seai: file truncated: needs 12 bytes, has 3"],
    );
    // The float backend on a file without real scales names the file.
    let mut b = std::fs::read(demo_model()).unwrap();
    let real = rspw::ModelView::parse(&b).unwrap().layout().real_scales as usize;
    b.truncate(b.len() - real);
    b[21] = 0;
    let payload = (b.len() - HEADER_BYTES) as u32;
    b[48..52].copy_from_slice(&payload.to_be_bytes());
    rspw::finish_crc(&mut b);
    let p = d.join("noreal.rspw");
    std::fs::write(&p, &b).unwrap();
    refused(
        &[
            OsStr::new("generate"),
            "--weights".as_ref(),
            p.as_os_str(),
            "--prompt".as_ref(),
            "Q".as_ref(),
            "--backend".as_ref(),
            "float".as_ref(),
        ],
        &["noreal.rspw: the weight file carries no real-valued scales"],
    );
    // --preds needs 64-byte windows.
    refused(
        &[
            "accuracy",
            "--weights",
            w.to_str().unwrap(),
            "--corpus",
            "/dev/zero",
            "--preds",
            "/dev/zero",
            "--stream",
            "30",
        ],
        &["--preds holds 64-byte windows: it needs --stream 64, not 30"],
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn bench_refuses_a_batch_it_cannot_run_and_a_prompt_past_the_context() {
    let w = demo_model();
    let w = w.to_str().unwrap();
    refused(
        &["bench", "--weights", w, "--batch", "2"],
        &["--batch 2", "only --batch 1"],
    );
    usage_error(&["bench", "--weights", w, "--batch", "5"], "--batch");
    usage_error(&["bench", "--weights", w, "--batch", "0"], "--batch");
    usage_error(&["bench", "--weights", w, "--ctx", "257"], "--ctx");
    usage_error(&["bench", "--weights", w, "--ctx", "0"], "--ctx");
    let long = "x".repeat(65);
    refused(
        &["bench", "--weights", w, "--prompt", &long],
        &["--prompt", "65 bytes", "context of 64"],
    );
}

#[test]
fn bench_refuses_a_model_larger_than_the_consoles_rdram_naming_the_bytes() {
    // 64 layers of the demo model's shape: 13.4 MB of Q8 records, past the 8 MiB of an N64
    // with the Expansion Pak.
    let mut big = Tiny::new(256, b'b' as usize);
    big.dims = ModelDims {
        n_layers: 64,
        d_model: 128,
        n_heads: 4,
        d_ff: 512,
        vocab: 256,
        ctx: 64,
    };
    let d = scratch("too-big");
    let w = d.join("big.rspw");
    std::fs::write(&w, to_rspw_vec(&big).unwrap()).unwrap();
    let o = refused(
        &[OsStr::new("bench"), "--weights".as_ref(), w.as_os_str()],
        &["big.rspw", "bytes of RDRAM", "8388608 are available"],
    );
    assert!(o.stdout.is_empty(), "nothing measured");
    let _ = std::fs::remove_dir_all(&d);
}
