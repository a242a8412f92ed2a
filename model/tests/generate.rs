//! The stepped generator (what the libdragon C API drives, one matvec per rspq submission)
//! against the plain path of `rspnn generate` (window::Staggered over ScalarRunner::step), on
//! the demo model: byte-identical answers for several prompts, caches, masks and lengths past
//! the context (where the staggered windows restart).

use kernels::matvec::matvec;
use rspnn_model::backend::{Backend, DecodeMask};
use rspnn_model::generate::{Cache, Event, GenerateError, Generator, MAX_PROMPT};
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_model::window::Staggered;

fn demo_model() -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/nibble-4l-q8.rspw");
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `rspnn generate`'s loop (cli/src/main.rs `generate`) over a Backend, without the final
/// newline the CLI prints.
fn reference(
    be: &mut dyn Backend,
    prompt: &[u8],
    max: usize,
    stop: bool,
    mask: DecodeMask,
) -> Vec<u8> {
    be.reset();
    let mut next = 0u8;
    for &b in prompt {
        next = be.step(b, mask).unwrap();
    }
    let mut out = Vec::new();
    for i in 0..max {
        if stop && next == b'\n' {
            break;
        }
        out.push(next);
        if i + 1 < max {
            next = be.step(next, mask).unwrap();
        }
    }
    out
}

/// Runs the generator to Done with kernels::matvec as the matvec service; also counts the
/// matvecs it asked for.
fn stepped(
    g: &mut Generator<'_, Vec<i16>>,
    prompt: &[u8],
    max: usize,
    stop: bool,
) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut matvecs = 0;
    let mut ev = g.begin(prompt, max, stop).unwrap();
    loop {
        match ev {
            Event::Matvec { lane, job } => {
                matvecs += 1;
                let ws = g.workspace_mut(lane);
                let (rows, cols) = (job.matrix.rows(), job.matrix.cols());
                assert!(
                    job.x + cols <= job.y || job.y + rows <= job.x,
                    "x and y overlap"
                );
                let x: Vec<i16> = ws[job.x..job.x + cols].to_vec();
                matvec(&job.matrix, &x, &mut ws[job.y..job.y + rows]).unwrap();
            }
            Event::Byte(b) => out.push(b),
            Event::Done => return (out, matvecs),
        }
        ev = g.resume().unwrap();
    }
}

fn staggered(view: ModelView<'_>) -> Staggered<ScalarRunner<'_, Vec<i16>>> {
    let n = workspace_len(view.dims());
    Staggered::new(
        ScalarRunner::new(view, vec![0; n]).unwrap(),
        ScalarRunner::new(view, vec![0; n]).unwrap(),
        view.dims().ctx,
    )
}

/// A generator as `rspnn generate` runs by default: two staggered lanes of `n`-byte
/// workspaces, every byte decodable.
fn staggered_generator(view: ModelView<'_>, n: usize) -> Generator<'_, Vec<i16>> {
    Generator::new(
        view,
        vec![0; n],
        vec![0; n],
        Cache::Staggered,
        DecodeMask::All,
    )
    .unwrap()
}

const PROMPTS: [&str; 4] = [
    "Q: Who are you?\nA:",
    "Q: How fast is the CPU?\nA:",
    "Q: What is the RSP?\nA:",
    "Q: What do you eat?\nA:",
];

#[test]
fn stepped_generation_is_byte_identical_to_rspnn_generate_on_the_demo_model() {
    let bytes = demo_model();
    let view = ModelView::parse(&bytes).unwrap();
    let n = workspace_len(view.dims());
    let mut g = staggered_generator(view, n);
    let mut plain = staggered(view);
    let mut answers = Vec::new();
    for p in PROMPTS {
        let want = reference(&mut plain, p.as_bytes(), 64, true, DecodeMask::All);
        let (got, matvecs) = stepped(&mut g, p.as_bytes(), 64, true);
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&want),
            "prompt {p:?}"
        );
        assert!(!got.is_empty());
        // 4 layers x 6 matrices + the head per token and live lane.
        assert_eq!(matvecs % 25, 0);
        answers.push(got);
    }
    // The answer the chat ROM shows on its screen (README "Two commands").
    assert_eq!(
        answers[2],
        b" The RSP runs microcode for geometry, sound and me."
    );
}

#[test]
fn past_the_context_the_staggered_windows_match_too() {
    let bytes = demo_model();
    let view = ModelView::parse(&bytes).unwrap();
    let n = workspace_len(view.dims());
    let mut g = staggered_generator(view, n);
    let mut plain = staggered(view);
    // 150 bytes without stopping: 168 fed bytes, past 2 x ctx (64), so both lanes restart.
    let prompt = PROMPTS[0].as_bytes();
    let want = reference(&mut plain, prompt, 150, false, DecodeMask::All);
    let (got, matvecs) = stepped(&mut g, prompt, 150, false);
    assert_eq!(got, want);
    assert_eq!(got.len(), 150);
    // Lane 1 runs from t = 32 on: (prompt + 149 fed bytes) + (that - 32) token steps.
    let fed = prompt.len() + 149;
    assert_eq!(matvecs, 25 * (fed + fed - 32));
}

#[test]
fn ring_cache_and_printable_mask_match_their_cli_options() {
    let bytes = demo_model();
    let view = ModelView::parse(&bytes).unwrap();
    let n = workspace_len(view.dims());
    let mut g = Generator::new(
        view,
        vec![0; n],
        Vec::new(),
        Cache::Ring,
        DecodeMask::Printable,
    )
    .unwrap();
    let mut plain = ScalarRunner::new(view, vec![0; n]).unwrap();
    for p in ["Q: Can you see me?\nA:", "x"] {
        let want = reference(&mut plain, p.as_bytes(), 100, false, DecodeMask::Printable);
        let (got, matvecs) = stepped(&mut g, p.as_bytes(), 100, false);
        assert_eq!(got, want, "prompt {p:?}");
        assert!(got.iter().all(|b| (32..127).contains(b)));
        assert_eq!(matvecs, 25 * (p.len() + 99));
    }
}

#[test]
fn bad_requests_are_refused_with_their_reason() {
    let bytes = demo_model();
    let view = ModelView::parse(&bytes).unwrap();
    let n = workspace_len(view.dims());
    let mut g = staggered_generator(view, n);
    assert_eq!(g.resume().unwrap_err(), GenerateError::NotGenerating);
    assert_eq!(
        g.begin(b"", 4, false).unwrap_err(),
        GenerateError::EmptyPrompt
    );
    assert_eq!(g.begin(b"Q", 0, false).unwrap_err(), GenerateError::ZeroMax);
    let long = vec![b'a'; MAX_PROMPT + 1];
    assert_eq!(
        g.begin(&long, 4, false).unwrap_err(),
        GenerateError::PromptTooLong {
            len: MAX_PROMPT + 1,
            max: MAX_PROMPT
        }
    );
    // A workspace too small for the second lane is refused at creation.
    assert!(Generator::new(
        view,
        vec![0; n],
        vec![0; n - 1],
        Cache::Staggered,
        DecodeMask::All
    )
    .is_err());
    // After Done, Done again.
    let (out, _) = stepped(&mut g, b"Q: Who are you?\nA:", 1, false);
    assert_eq!(out.len(), 1);
    assert!(matches!(g.resume().unwrap(), Event::Done));
}
