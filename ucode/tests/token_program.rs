//! The token program builder (`rspnn_ucode::program`) on models other than the fixture:
//! seeded synthetic models of other shapes (a context that is not a multiple of 8, other head
//! widths, an FFN small enough that x stays in DMEM, Q4 and Q8) run on rsp-sim step by step
//! against `ScalarRunner`, logits bit for bit, past the context; the command list's order; and
//! the builder's refusals.

use kernels::matvec::WeightBits;
use rspnn_model::convert::{to_rspw_vec, SourceModel};
use rspnn_model::dims::ModelDims;
use rspnn_model::error::MatrixKind;
use rspnn_model::rspw::ModelView;
use rspnn_model::runner::{workspace_len, ScalarRunner};
use rspnn_ucode::command::op;
use rspnn_ucode::program::{heads_per_group, plan_homes, program_bytes, ProgramError, ProgramOptions, TokenProgram};
use rspnn_ucode::sim::SimBackend;
use rspnn_ucode::RdramImage;

/// A model whose codes and scales come from a seeded hash of their coordinates.
struct Synthetic {
    dims: ModelDims,
    bits: WeightBits,
    seed: u64,
}

impl Synthetic {
    fn hash(&self, a: usize, b: usize, c: usize, d: usize) -> u64 {
        let mut h = self.seed ^ 0x9E37_79B9_7F4A_7C15;
        for v in [a, b, c, d] {
            h = (h ^ v as u64).wrapping_mul(0x100_0000_01B3).rotate_left(29);
        }
        h ^ (h >> 31)
    }
}

impl SourceModel for Synthetic {
    fn dims(&self) -> ModelDims {
        self.dims
    }
    fn bits(&self) -> WeightBits {
        self.bits
    }
    fn emb_q(&self, token: usize, d: usize) -> i8 {
        (self.hash(1, token, d, 0) % 255) as i8
    }
    fn emb_scale(&self) -> (u16, u16) {
        (56, 2032)
    }
    fn q(&self, layer: usize, kind: MatrixKind, row: usize, col: usize) -> i8 {
        let h = self.hash(2 + layer, kind.index(), row, col);
        match self.bits {
            WeightBits::Q8 => (h % 255) as i8,
            WeightBits::Q4 => (h % 16) as i8 - 8,
        }
    }
    fn scale_bits(&self, layer: usize, kind: MatrixKind, row: usize, block: usize) -> u16 {
        // float16 scales between ~0.004 and ~0.03 (exponents 2^-8 .. 2^-6): activations of the
        // size the formats expect. Q4 codes are 16x smaller, so their scales are 16x larger.
        let e = 0x1C00 + (self.hash(9, layer * 8 + kind.index(), row, block) % 0x0C00) as u16;
        if self.bits == WeightBits::Q4 {
            e + 0x1000
        } else {
            e
        }
    }
}

fn model(
    n_layers: usize,
    d_model: usize,
    n_heads: usize,
    d_ff: usize,
    vocab: usize,
    ctx: usize,
    bits: WeightBits,
) -> Vec<u8> {
    let dims = ModelDims { n_layers, d_model, n_heads, d_ff, vocab, ctx };
    to_rspw_vec(&Synthetic { dims, bits, seed: (d_model * 31 + ctx) as u64 }).expect("the synthetic model converts")
}

/// `steps` steps of one model state (the plain ring cache) on both backends, logits compared.
fn logits_match(file: &[u8], steps: usize, what: &str) {
    let view = ModelView::parse(file).unwrap();
    let vocab = view.dims().vocab;
    let mut scalar = ScalarRunner::new(view, vec![0i16; workspace_len(view.dims())]).unwrap();
    let mut sim = SimBackend::new(file, true).unwrap();
    let mut got = vec![0i16; vocab];
    let mut distinct = std::collections::BTreeSet::new();
    for pos in 0..steps {
        let token = (pos * 37 + 11) % vocab;
        let want = scalar.step(token).unwrap().to_vec();
        sim.run_step(token, 0, vocab).unwrap_or_else(|e| panic!("{what}: step {pos}: {e}"));
        sim.logits(&mut got).unwrap();
        assert_eq!(got, want, "{what}: logits of step {pos}");
        distinct.insert(want);
    }
    // The model computes something (the logits move with the input).
    assert!(distinct.len() > steps / 2, "{what}: the logits hardly change ({} distinct)", distinct.len());
}

#[test]
fn small_models_match_scalar_past_the_context() {
    // x stays in DMEM around the FFN (2 d_model + 2 d_ff <= 1,280), ctx not a multiple of 8.
    let file = model(3, 64, 2, 128, 64, 20, WeightBits::Q8);
    assert!(!plan_homes(64, 128, 64).unwrap().spill_x);
    logits_match(&file, 47, "Q8 3 layers, width 64, 2 heads of 32, ctx 20");
    let file = model(2, 64, 4, 128, 96, 13, WeightBits::Q4);
    logits_match(&file, 30, "Q4 2 layers, width 64, 4 heads of 16, ctx 13");
    // Heads of 8 and of 64, one layer; a 1-slot context.
    let file = model(1, 64, 8, 256, 32, 32, WeightBits::Q8);
    logits_match(&file, 40, "Q8 1 layer, 8 heads of 8, ctx 32");
    let file = model(1, 128, 2, 512, 256, 1, WeightBits::Q4);
    logits_match(&file, 5, "Q4 1 layer, 2 heads of 64, ctx 1");
}

#[test]
fn the_command_list_is_the_documented_step() {
    let file = model(2, 128, 4, 512, 256, 64, WeightBits::Q8);
    let view = ModelView::parse(&file).unwrap();
    let mut buf = vec![0u8; file.len() + program_bytes(view.dims(), true)];
    let mut img = RdramImage::new(&mut buf, 0x1000).unwrap();
    let w = img.put_bytes(&file).unwrap();
    let prog = TokenProgram::build(&file, w, &mut img, ProgramOptions { logits: true, argmax: (32, 127) }).unwrap();
    let used = img.len();
    assert!(used <= buf.len());
    // The order written in src/program.rs's documentation (x spilled: 2 d_model + 2 d_ff > 1,280).
    let layer = [
        op::NORM,
        op::MATVEC,
        op::MATVEC,
        op::MATVEC,
        op::ATT_SCORES,
        op::ATT_VALUES,
        op::MATVEC,
        op::ADD,
        op::NORM,
        op::DMA_OUT,
        op::MATVEC,
        op::RELU,
        op::MATVEC,
        op::DMA_IN,
        op::ADD,
    ];
    let mut want = vec![op::OVERLAYS, op::STEP, op::EMBED];
    want.extend(layer);
    want.extend(layer);
    want.extend([op::NORM, op::MATVEC, op::DMA_OUT, op::ARGMAX, op::DMA_OUT, op::END]);
    let list = (prog.cmd_list - 0x1000) as usize;
    let got: Vec<u8> = (0..want.len()).map(|i| buf[list + 16 * i]).collect();
    assert_eq!(got, want);
    assert_eq!(prog.commands, want.len());
    assert_eq!(prog.overlay_loads_per_step, 3 + 3 * 2);
    // The matvecs point into the file where its matrices are, the head at the embedding.
    let w_of = |i: usize| u32::from_be_bytes(buf[list + 16 * i + 8..list + 16 * i + 12].try_into().unwrap());
    let at = |m: &kernels::matvec::BlockMatrix<'_>| w + (m.records().as_ptr() as usize - file.as_ptr() as usize) as u32;
    assert_eq!(w_of(4), at(&view.matrix(0, MatrixKind::Wq).unwrap()));
    assert_eq!(w_of(15 + 13), at(&view.matrix(1, MatrixKind::Ff1).unwrap()));
    assert_eq!(w_of(3 + 30 + 1), at(&view.embedding().unwrap()));
    // STEP at the address the CPU patches; ARGMAX with the range asked for.
    assert_eq!(prog.step_cmd, prog.cmd_list + 16);
    let a = (prog.argmax_cmd - 0x1000) as usize;
    assert_eq!(
        (buf[a], u16::from_be_bytes([buf[a + 2], buf[a + 3]]), u16::from_be_bytes([buf[a + 4], buf[a + 5]])),
        (op::ARGMAX, 32, 127)
    );
}

#[test]
fn patching_folds_positions_and_refuses_bad_arguments() {
    let file = model(1, 64, 2, 128, 64, 20, WeightBits::Q8);
    let mut buf = vec![0u8; file.len() + program_bytes(ModelView::parse(&file).unwrap().dims(), false)];
    let mut img = RdramImage::new(&mut buf, 0).unwrap();
    let w = img.put_bytes(&file).unwrap();
    let prog = TokenProgram::build(&file, w, &mut img, ProgramOptions { logits: false, argmax: (0, 64) }).unwrap();
    // Positions at or past the context keep their slot (pos mod 20) and the full count.
    for (pos, want) in [(0usize, 0u16), (19, 19), (20, 20), (21, 21), (39, 39), (40, 20), (1_000_003, 20 + 3)] {
        assert_eq!(prog.step_fields(5, pos).unwrap(), (5, want), "position {pos}");
        assert_eq!(want as usize % 20, pos % 20);
    }
    prog.patch_step(&mut buf, 0, 63, 45).unwrap();
    let s = prog.step_cmd as usize;
    assert_eq!((u16::from_be_bytes([buf[s + 2], buf[s + 3]]), u16::from_be_bytes([buf[s + 4], buf[s + 5]])), (63, 25));
    assert!(matches!(prog.step_fields(64, 0), Err(ProgramError::Unsupported { what: "token", .. })));
    assert!(prog.patch_argmax(&mut buf, 0, 10, 10).is_err());
    assert!(prog.patch_argmax(&mut buf, 0, 0, 65).is_err());
    assert!(prog.patch_step(&mut buf[..16], 0, 1, 1).is_err(), "an address outside the given bytes");
    assert!(prog.read_logits(&buf, 0, &mut [0i16; 64]).is_err(), "built without logits");
}

#[test]
fn the_builder_refuses_what_does_not_fit_with_the_numbers() {
    let build = |file: &[u8]| {
        let mut buf = vec![0u8; 4 << 20];
        let mut img = RdramImage::new(&mut buf, 0).unwrap();
        let w = img.put_bytes(file).unwrap();
        TokenProgram::build(file, w, &mut img, ProgramOptions { logits: false, argmax: (0, 8) })
    };
    // Width 256: x, u, q, k, v need 2,560 bytes of the 1,280.
    let e = build(&model(1, 256, 4, 256, 64, 16, WeightBits::Q8)).unwrap_err();
    assert_eq!(e, ProgramError::DoesNotFit { phase: "attention block (x, u, q, k, v)", needed: 2560, available: 1280 });
    assert!(e.to_string().contains("2560") && e.to_string().contains("1280"), "{e}");
    // An FFN of 1,024: its hidden layer alone is 2,048 bytes.
    let e = build(&model(1, 64, 2, 1024, 64, 16, WeightBits::Q8)).unwrap_err();
    assert!(matches!(e, ProgramError::DoesNotFit { needed: 2176, .. }), "{e:?}");
    // A context past 256.
    let e = build(&model(1, 64, 1, 128, 64, 300, WeightBits::Q8)).unwrap_err();
    assert!(matches!(e, ProgramError::Unsupported { what: "ctx", .. }), "{e:?}");
    // An image too small, weights not 8-aligned, an argmax range past the vocabulary.
    let file = model(1, 64, 2, 128, 64, 16, WeightBits::Q8);
    let mut small = vec![0u8; file.len() + 1000];
    let mut img = RdramImage::new(&mut small, 0).unwrap();
    let w = img.put_bytes(&file).unwrap();
    let e = TokenProgram::build(&file, w, &mut img, ProgramOptions { logits: false, argmax: (0, 64) }).unwrap_err();
    let dims = *ModelView::parse(&file).unwrap().dims();
    // Refused whole before anything is written, with the bytes it needs (weights + program),
    // the bytes it has and the KV cache's share (1 layer: 4 x 16 slots x 64 dims).
    let needed = file.len().next_multiple_of(16) + program_bytes(&dims, false);
    assert_eq!(e, ProgramError::RdramTooSmall { needed, available: file.len() + 1000, kv_cache: 4 * 16 * 64 });
    let msg = e.to_string();
    assert!(msg.contains(&needed.to_string()) && msg.contains(&(file.len() + 1000).to_string()), "{msg}");
    drop(img);
    assert!(small[file.len()..].iter().all(|&b| b == 0), "nothing written past the weights");
    let mut buf = vec![0u8; 1 << 20];
    let mut img = RdramImage::new(&mut buf, 0).unwrap();
    assert!(TokenProgram::build(&file, 4, &mut img, ProgramOptions { logits: false, argmax: (0, 64) }).is_err());
    assert!(TokenProgram::build(&file, 0, &mut img, ProgramOptions { logits: false, argmax: (0, 65) }).is_err());
    assert!(matches!(
        TokenProgram::build(b"not a model", 0, &mut img, ProgramOptions { logits: false, argmax: (0, 1) }),
        Err(ProgramError::Model(_))
    ));
}

/// A step the ucode refuses comes back through the `Backend` trait as `ModelError::Backend`
/// with the ucode's status, and the backend keeps the faulting command's address.
#[test]
fn a_refused_step_is_a_backend_error_with_the_ucode_status() {
    use rspnn_model::backend::{Backend, DecodeMask};
    use rspnn_model::error::ModelError;
    use rspnn_ucode::layout::status;
    use rspnn_ucode::sim::StepFailure;
    let file = model(1, 64, 2, 128, 64, 16, WeightBits::Q8);
    let mut sim = SimBackend::new(&file, false).unwrap();
    assert!(Backend::step(&mut sim, 5, DecodeMask::All).is_ok());
    // Byte 0 of a command is its opcode; 0xEE has no routine.
    let first = sim.program().cmd_list as usize;
    sim.rdram_mut()[first] = 0xEE;
    match Backend::step(&mut sim, 6, DecodeMask::All) {
        Err(ModelError::Backend { backend: "rsp-sim", position: 1, code, .. }) => {
            assert_eq!(code, status::BAD_OPCODE)
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
    match sim.last_failure() {
        Some(StepFailure::Status { status, fault_cmd }) => {
            assert_eq!((*status, *fault_cmd as usize), (status::BAD_OPCODE, first))
        }
        other => panic!("expected the ucode status to be kept, got {other:?}"),
    }
}

/// Contexts whose scores do not fit `MV_HG` for every head at once (heads x ctx > 256): the
/// builder splits the heads into groups, one attention pair each, and the step stays bit-exact
/// with the scalar runner past the context (the ring wraps: positions past 256 and 128 fold).
#[test]
fn long_contexts_split_the_heads_and_match_scalar() {
    assert_eq!(heads_per_group(4, 64), 4);
    assert_eq!(heads_per_group(4, 96), 2);
    assert_eq!(heads_per_group(4, 128), 2);
    assert_eq!(heads_per_group(4, 256), 1);
    assert_eq!(heads_per_group(3, 100), 2); // 104 slots: groups of 2 and 1
                                            // 4 heads of 16 at context 256: four groups of one head (ctx 256 = the ucode's maximum).
    let file = model(1, 64, 4, 128, 64, 256, WeightBits::Q8);
    logits_match(&file, 270, "Q8 1 layer, 4 heads of 16, ctx 256");
    // 4 heads of 32 at context 128, two layers, x spilled around a 512-wide FFN: two groups.
    let file = model(2, 128, 4, 512, 256, 128, WeightBits::Q8);
    logits_match(&file, 140, "Q8 2 layers, 4 heads of 32, ctx 128");
    // Uneven groups (2 + 1 heads of 32) at a context that is not a multiple of 8, Q4.
    let file = model(1, 96, 3, 128, 32, 100, WeightBits::Q4);
    logits_match(&file, 110, "Q4 1 layer, 3 heads of 32, ctx 100");
}

/// The command list of a 4-head, context-128 layer: two groups, each MATVEC wk and wv on the
/// group's rows, then its attention pair; wo reads the attention output from q.
#[test]
fn a_long_context_layer_runs_one_attention_pair_per_head_group() {
    let file = model(1, 128, 4, 512, 256, 128, WeightBits::Q8);
    let view = ModelView::parse(&file).unwrap();
    let mut buf = vec![0u8; file.len() + program_bytes(view.dims(), false)];
    let mut img = RdramImage::new(&mut buf, 0).unwrap();
    let w = img.put_bytes(&file).unwrap();
    let prog = TokenProgram::build(&file, w, &mut img, ProgramOptions { logits: false, argmax: (0, 256) }).unwrap();
    assert!(img.len() <= buf.len());
    let mut want = vec![op::OVERLAYS, op::STEP, op::EMBED, op::NORM, op::MATVEC];
    for _ in 0..2 {
        want.extend([op::MATVEC, op::MATVEC, op::ATT_SCORES, op::ATT_VALUES]);
    }
    want.extend([op::MATVEC, op::ADD, op::NORM, op::DMA_OUT, op::MATVEC, op::RELU, op::MATVEC, op::DMA_IN, op::ADD]);
    want.extend([op::NORM, op::MATVEC, op::ARGMAX, op::DMA_OUT, op::END]);
    let list = prog.cmd_list as usize;
    let got: Vec<u8> = (0..want.len()).map(|i| buf[list + 16 * i]).collect();
    assert_eq!(got, want);
    assert_eq!(prog.commands, want.len());
    assert_eq!(prog.overlay_loads_per_step, 3 + 5);
    // Group 1's wk starts at its rows' records: 64 rows = 8 row groups of 4 Q8 records of 272.
    let be32 =
        |i: usize, at: usize| u32::from_be_bytes(buf[list + 16 * i + at..list + 16 * i + at + 4].try_into().unwrap());
    let be16 = |i: usize, at: usize| u16::from_be_bytes([buf[list + 16 * i + at], buf[list + 16 * i + at + 1]]);
    let wk = view.matrix(0, MatrixKind::Wk).unwrap();
    let wk_at = w + (wk.records().as_ptr() as usize - file.as_ptr() as usize) as u32;
    assert_eq!(be32(5, 8), wk_at);
    assert_eq!(be32(9, 8), wk_at + 8 * 4 * 272);
    assert_eq!((be16(5, 4), be16(9, 4)), (64, 64), "rows of each group's wk");
    // The second pair's cache: after the first group's 4 x 128 slots x 64 dims.
    assert_eq!(be32(11, 8), be32(7, 8) + 4 * 128 * 64);
    assert_eq!(buf[list + 16 * 7 + 1], 2, "heads of the first ATT_SCORES");
}

/// A model the console's 8 MiB could not hold (64 layers of the demo's shape: 13.4 MB of Q8
/// weights) is refused by the simulated RSP before its RDRAM is allocated, with the bytes.
#[test]
fn a_model_larger_than_the_expansion_pak_rdram_is_refused_with_the_numbers() {
    let file = model(64, 128, 4, 512, 256, 64, WeightBits::Q8);
    let dims = *ModelView::parse(&file).unwrap().dims();
    let needed = file.len().next_multiple_of(16) + program_bytes(&dims, false);
    assert!(needed > 8 << 20);
    let e = SimBackend::new(&file, false).err().expect("refused");
    assert_eq!(e, ProgramError::RdramTooSmall { needed, available: 8 << 20, kv_cache: 64 * 4 * 64 * 128 });
    assert!(e.to_string().contains(&format!("need {needed} bytes of RDRAM")), "{e}");
    assert!(e.to_string().contains("8388608 are available"), "{e}");
}
