//! The token program's kernels on rsp-sim, bit for bit against the `kernels` crate, on random
//! and edge inputs: STEP, EMBED, NORM (RMS and Layer), ATTEND (KV cache update, scores,
//! softmax, weighted sum), RELU, ADD, ARGMAX; and the ucode's refusals of bad commands.

mod common;
mod token_common;

use common::{records, Finished, Lcg};
use kernels::attention::{attention, AttentionShape};
use kernels::matvec::{BlockMatrix, WeightBits};
use rspnn_ucode::layout::{status, KVEC};
use rspnn_ucode::token_cmd::{AttendArgs, EmbedArgs, NormArgs, NormKind};
use rspnn_ucode::Command;
use token_common::{home, Job, KvLayout};

fn run(job: Job) -> Finished {
    let f = job.run_sim();
    f.assert_done("rsp-sim");
    f
}

fn kvec_lane(f: &Finished, lane: usize) -> u16 {
    u16::from_be_bytes([f.dmem[KVEC + 2 * lane], f.dmem[KVEC + 2 * lane + 1]])
}

// ---- STEP --------------------------------------------------------------------------------------

#[test]
fn step_sets_slot_and_valid_positions() {
    let mut rng = Lcg(11);
    let mut cases =
        vec![(0u16, 1u16), (0, 64), (63, 64), (64, 64), (65, 64), (127, 64), (65535, 64), (7, 256), (300, 256), (5, 3)];
    for _ in 0..20 {
        let ctx = rng.range(1, 256) as u16;
        cases.push((rng.range(0, 65535) as u16, ctx));
    }
    for (pos, ctx) in cases {
        let mut job = Job::new();
        job.push(Command::Step { token: 0xAB, pos, ctx });
        let f = run(job);
        let (slot, npos) = (pos as u32 % ctx as u32, (pos as u32 + 1).min(ctx as u32));
        assert_eq!(kvec_lane(&f, 3), 0xAB, "token, pos {pos} ctx {ctx}");
        assert_eq!(kvec_lane(&f, 6) as u32, slot, "slot, pos {pos} ctx {ctx}");
        assert_eq!(kvec_lane(&f, 7) as u32, npos, "n_pos, pos {pos} ctx {ctx}");
    }
}

// ---- EMBED -------------------------------------------------------------------------------------

fn embed_case(rng: &mut Lcg, vocab: usize, cols: usize, token: usize, g_emb: u16) {
    let q: Vec<Vec<i8>> = (0..vocab).map(|_| (0..cols).map(|_| rng.range(-128, 127) as i8).collect()).collect();
    let g: Vec<Vec<u16>> = (0..vocab).map(|_| (0..cols / 32).map(|_| rng.range(0, 65535) as u16).collect()).collect();
    let rec = records(WeightBits::Q8, &q, &g);
    let m = BlockMatrix::new(WeightBits::Q8, vocab, cols, 0, &rec).unwrap();
    let mut want = vec![0i16; cols];
    kernels::elementwise::embedding_lookup(&m, token, g_emb, &mut want).unwrap();
    let mut job = Job::new();
    let emb = job.put_bytes(&rec);
    job.push(Command::Step { token: token as u16, pos: 0, ctx: 1 });
    let x = home(0);
    job.push(Command::Embed(EmbedArgs {
        cols: cols as u16,
        vocab: vocab as u16,
        g_emb,
        emb_rdram: emb,
        x_dmem: x as u16,
    }));
    let out = job.store(x, cols);
    let f = run(job);
    assert_eq!(out.read(&f), want, "EMBED vocab {vocab} cols {cols} token {token} G {g_emb}");
}

#[test]
fn embed_matches_the_kernel() {
    let mut rng = Lcg(21);
    for &(vocab, cols) in &[(256usize, 128usize), (16, 32), (64, 512), (40, 96)] {
        for token in [0, vocab - 1, rng.range(0, vocab as i32 - 1) as usize, 7.min(vocab - 1), 8.min(vocab - 1)] {
            for g in [113u16, 0, 65535, rng.range(1, 65534) as u16] {
                embed_case(&mut rng, vocab, cols, token, g);
            }
        }
    }
}

#[test]
fn embed_refuses_a_token_outside_the_vocabulary() {
    let mut job = Job::new();
    let emb = job.reserve(272);
    job.push(Command::Step { token: 8, pos: 0, ctx: 1 });
    job.push(Command::Embed(EmbedArgs { cols: 32, vocab: 8, g_emb: 1, emb_rdram: emb, x_dmem: home(0) as u16 }));
    let f = job.run_sim();
    assert_eq!(f.status, status::BAD_EMBED);
}

// ---- NORM --------------------------------------------------------------------------------------

fn norm_case(x: &[i16], kind: NormKind, eps: u32, in_place: bool) {
    let n = x.len();
    let mut want = vec![0i16; n];
    match kind {
        NormKind::Rms => kernels::norm::rms_norm(x, eps as u64, &mut want).unwrap(),
        NormKind::Layer => {
            let mut c = vec![0i16; n];
            kernels::norm::layer_norm(x, eps as u64, &mut c, &mut want).unwrap()
        }
    }
    let mut job = Job::new();
    // Separate homes when both fit the activation area (1,280 bytes by default).
    let in_place = in_place || 4 * n > rspnn_ucode::layout::ACT_BYTES;
    let (xh, uh) = (home(0), if in_place { home(0) } else { home(2 * n) });
    job.load(xh, x);
    job.push(Command::Norm(NormArgs { kind, n: n as u16, x_dmem: xh as u16, u_dmem: uh as u16, eps_ss: eps }));
    let out = job.store(uh, n);
    let f = run(job);
    assert_eq!(out.read(&f), want, "NORM {kind:?} n {n} eps {eps} x[..8] {:?}", &x[..8]);
}

#[test]
fn norms_match_the_kernels_on_random_vectors() {
    let mut rng = Lcg(31);
    for kind in [NormKind::Rms, NormKind::Layer] {
        for &n in &[8usize, 128, 512, 136, 64] {
            for (i, m) in [16i32, 2000, 32767, 300].into_iter().enumerate() {
                let x: Vec<i16> = (0..n).map(|_| rng.range(-m, m) as i16).collect();
                norm_case(&x, kind, [1, 0, 12345, u32::MAX / 2][i], i % 2 == 0);
            }
        }
    }
}

#[test]
fn norms_match_the_kernels_on_edges() {
    let mut rng = Lcg(32);
    let n = 128;
    let mut edges: Vec<Vec<i16>> = vec![
        vec![0; n],
        vec![-32768; n],
        vec![32767; n],
        (0..n).map(|i| if i % 2 == 0 { -32768 } else { 32767 }).collect(),
        (0..n).map(|i| if i == 5 { 17520 } else { 1 }).collect(), // one massive dimension
        (0..n).map(|i| if i == 0 { -1 } else { 0 }).collect(),
    ];
    edges.push((0..n).map(|_| rng.range(-3, 3) as i16).collect());
    for x in &edges {
        for kind in [NormKind::Rms, NormKind::Layer] {
            for eps in [0u32, 1, 4_000_000_000] {
                norm_case(x, kind, eps, false);
            }
        }
    }
    // Layer norm with sums that round the mean both ways, negative and positive.
    for s in [-5i16, 5, -4, 4, -3] {
        let x: Vec<i16> = (0..8).map(|i| if i == 0 { s } else { 0 }).collect();
        norm_case(&x, NormKind::Layer, 1, false);
    }
}

// ---- ATTEND ------------------------------------------------------------------------------------

struct AttendCase {
    d_model: usize,
    heads: usize,
    ctx: usize,
    pos: usize,
    /// How large the random q, k, v are (to reach saturating and dominant scores).
    q_max: i32,
    k_max: i32,
    v_max: i32,
    same_scores: bool,
}

fn attend_case(rng: &mut Lcg, c: &AttendCase) {
    let d = c.d_model;
    let lay = KvLayout { d_model: d, heads: c.heads, ctx: c.ctx };
    let slot = c.pos % c.ctx;
    let n_pos = (c.pos + 1).min(c.ctx);
    let vec_of = |rng: &mut Lcg, m: i32| -> Vec<i16> { (0..d).map(|_| rng.range(-m, m) as i16).collect() };
    // Cache slots before this step (every slot, stale ones included), and this step's q, k, v.
    let mut k_all: Vec<Vec<i16>> = (0..c.ctx.div_ceil(8) * 8).map(|_| vec_of(rng, c.k_max)).collect();
    let mut v_all: Vec<Vec<i16>> = (0..c.ctx.div_ceil(8) * 8).map(|_| vec_of(rng, c.v_max)).collect();
    let q = if c.same_scores { vec![0i16; d] } else { vec_of(rng, c.q_max) };
    let k_new = vec_of(rng, c.k_max);
    let v_new = vec_of(rng, c.v_max);
    let mut cache = vec![0u8; lay.bytes()];
    lay.write(&mut cache, &k_all, &v_all);
    k_all[slot] = k_new.clone();
    v_all[slot] = v_new.clone();
    // The oracle over slots 0..n_pos (the cache after this position's k and v went in).
    let kc: Vec<i16> = k_all[..n_pos].concat();
    let vc: Vec<i16> = v_all[..n_pos].concat();
    let (mut scores, mut probs, mut want) = (vec![0i16; n_pos], vec![0i16; n_pos], vec![0i16; d]);
    let shape = AttentionShape { d_model: d, n_heads: c.heads, slot_stride: d, n_pos };
    attention(shape, &q, &kc, &vc, &mut scores, &mut probs, &mut want).unwrap();

    let mut job = Job::new();
    let kv = job.put_bytes(&cache);
    let (qh, kh, oh) = (home(0), home(2 * d), home(6 * d));
    let args = AttendArgs {
        heads: c.heads as u8,
        hd: (d / c.heads) as u16,
        ctx: c.ctx as u16,
        q_dmem: qh as u16,
        kv_rdram: kv,
        k_dmem: kh as u16,
        out_dmem: oh as u16,
    };
    if Command::AttScores(args).check().is_err() {
        // A head too wide for this build's tiles (the rspq build's are 832 bytes): the ucode
        // must refuse it as the host does.
        assert!(16 * args.hd as usize > rspnn_ucode::layout::TILE_BYTES, "{args:?}");
        job.push(Command::Step { token: 0, pos: c.pos as u16, ctx: c.ctx as u16 });
        job.push(Command::AttScores(args));
        assert_eq!(job.run_sim().status, status::BAD_ATTEND, "{args:?}");
        return;
    }
    job.push(Command::Step { token: 0, pos: c.pos as u16, ctx: c.ctx as u16 });
    job.load(qh, &q);
    job.load(kh, &k_new);
    job.load(kh + 2 * d, &v_new);
    job.push(Command::AttScores(args));
    job.push(Command::AttValues);
    let out = job.store(oh, d);
    let f = run(job);
    let what = format!("ATTEND d {d} heads {} ctx {} pos {}", c.heads, c.ctx, c.pos);
    assert_eq!(out.read(&f), want, "{what}: output");
    let after = &f.rdram[kv as usize..kv as usize + lay.bytes()];
    assert_eq!(lay.read(after, slot), (k_new, v_new), "{what}: this position's k and v in the cache");
    for other in [0, n_pos - 1, c.ctx - 1] {
        if other != slot {
            assert_eq!(
                lay.read(after, other),
                (k_all[other].clone(), v_all[other].clone()),
                "{what}: slot {other} changed"
            );
        }
    }
}

fn typical(d_model: usize, heads: usize, ctx: usize, pos: usize) -> AttendCase {
    // The seed-v5 ranges (numerics.md 3): q up to 1.74 in Q3.12, k 20.8 and v 10.4 in Q5.10.
    AttendCase { d_model, heads, ctx, pos, q_max: 7000, k_max: 21000, v_max: 11000, same_scores: false }
}

#[test]
fn attend_matches_the_kernel_at_every_position_of_a_64_context() {
    let mut rng = Lcg(41);
    for pos in (0..64).chain([64, 65, 100, 127, 128, 1000]) {
        attend_case(&mut rng, &typical(128, 4, 64, pos));
    }
}

#[test]
fn attend_matches_the_kernel_for_other_shapes() {
    let mut rng = Lcg(42);
    // (q, k + v and the output take 8 d_model bytes of the 1,280-byte activation area here;
    // every head's scores fit the 512-byte scratch: heads * ctx8 <= 256.)
    for &(d, heads, ctx) in &[
        (64usize, 8usize, 8usize),
        (32, 1, 20),
        (64, 1, 256),
        (128, 2, 13),
        (96, 3, 5),
        (160, 5, 1),
        (16, 1, 256),
        (128, 8, 32),
        (128, 2, 128),
    ] {
        for pos in [0, 1, ctx / 2, ctx.saturating_sub(2), ctx - 1, ctx, 3 * ctx + 1] {
            attend_case(&mut rng, &typical(d, heads, ctx, pos));
        }
    }
}

#[test]
fn attend_matches_the_kernel_on_edges() {
    let mut rng = Lcg(43);
    // All scores equal (q = 0), saturating scores (large q and k: dominant and clamped), the
    // full int16 range everywhere.
    for pos in [0usize, 5, 37, 63, 64] {
        attend_case(&mut rng, &AttendCase { same_scores: true, ..typical(128, 4, 64, pos) });
        attend_case(&mut rng, &AttendCase { q_max: 32767, k_max: 32767, v_max: 32767, ..typical(128, 4, 64, pos) });
        attend_case(&mut rng, &AttendCase { q_max: 32767, k_max: 3000, v_max: 32767, ..typical(64, 2, 40, pos) });
    }
}

#[test]
fn attend_refuses_bad_shapes_and_steps() {
    let args = AttendArgs {
        heads: 4,
        hd: 32,
        ctx: 64,
        q_dmem: home(0) as u16,
        kv_rdram: 0,
        k_dmem: home(256) as u16,
        out_dmem: home(768) as u16,
    };
    let bad = [
        AttendArgs { heads: 0, ..args },
        AttendArgs { hd: 4, ..args },  // not a multiple of 8
        AttendArgs { hd: 72, ..args }, // 16 hd past a tile
        AttendArgs { ctx: 0, ..args },
        AttendArgs { ctx: 257, ..args },
        AttendArgs { ctx: 72, ..args }, // 4 heads x 72 slots of scores
        AttendArgs { kv_rdram: 4, ..args },
        AttendArgs { q_dmem: home(8) as u16, ..args },    // not 16-aligned
        AttendArgs { k_dmem: home(1024) as u16, ..args }, // v would run past ACT
    ];
    for a in bad {
        assert!(Command::AttScores(a).check().is_err(), "the host check must refuse {a:?} too");
        let mut job = Job::new();
        let kv = job.reserve(64 * 1024);
        job.push(Command::Step { token: 0, pos: 3, ctx: 64 });
        job.push(Command::AttScores(AttendArgs { kv_rdram: kv + a.kv_rdram, ..a }));
        job.push(Command::AttValues);
        let f = job.run_sim();
        assert_eq!(f.status, status::BAD_ATTEND, "{a:?}");
    }
    // A step made for a larger context than the command's.
    let mut job = Job::new();
    let kv = job.reserve(64 * 1024);
    job.push(Command::Step { token: 0, pos: 100, ctx: 128 });
    job.push(Command::AttScores(AttendArgs { kv_rdram: kv, ..args }));
    assert_eq!(job.run_sim().status, status::BAD_ATTEND);
    // ATT_VALUES anywhere but right after ATT_SCORES: alone, after another command, twice.
    let lists: [&[Command]; 3] = [
        &[Command::AttValues],
        &[Command::AttScores(args), Command::Relu { n: 8, x_dmem: home(0) as u16 }, Command::AttValues],
        &[Command::AttScores(args), Command::AttValues, Command::AttValues],
    ];
    for list in lists {
        let mut job = Job::new();
        let kv = job.reserve(64 * 1024);
        job.push(Command::Step { token: 0, pos: 3, ctx: 64 });
        for c in list {
            job.push(match *c {
                Command::AttScores(a) => Command::AttScores(AttendArgs { kv_rdram: kv, ..a }),
                other => other,
            });
        }
        let f = job.run_sim();
        assert_eq!(f.status, status::BAD_ATTEND, "{list:?}");
    }
}

// ---- RELU, ADD ---------------------------------------------------------------------------------

#[test]
fn relu_and_add_match_the_kernels() {
    let mut rng = Lcg(51);
    for &n in &[8usize, 128, 320, 40] {
        let mut x: Vec<i16> = (0..n).map(|_| rng.i16()).collect();
        let mut y: Vec<i16> = (0..n).map(|_| rng.i16()).collect();
        x[0] = -32768;
        x[1 % n] = 32767;
        y[0] = -1;
        y[1 % n] = 1;
        x[2 % n] = 0;
        let mut relu = x.clone();
        kernels::elementwise::relu_in_place(&mut relu);
        let mut sum = x.clone();
        kernels::elementwise::residual_add(&mut sum, &y).unwrap();
        let mut job = Job::new();
        let (xh, yh, zh) = (home(0), home(2 * n), home(0));
        job.load(xh, &x);
        job.load(yh, &y);
        job.push(Command::Add { n: n as u16, x_dmem: xh as u16, y_dmem: yh as u16 });
        let got_sum = job.store(xh, n);
        job.load(zh, &x);
        job.push(Command::Relu { n: n as u16, x_dmem: zh as u16 });
        let got_relu = job.store(zh, n);
        let f = run(job);
        assert_eq!(got_sum.read(&f), sum, "ADD n {n}");
        assert_eq!(got_relu.read(&f), relu, "RELU n {n}");
    }
}

// ---- ARGMAX ------------------------------------------------------------------------------------

fn argmax_case(v: &[i16], lo: usize, hi: usize) {
    let want = kernels::elementwise::argmax_in(v, lo, hi).unwrap();
    let mut job = Job::new();
    let (vh, oh) = (home(0), home(2 * v.len().div_ceil(8) * 8));
    let mut padded = v.to_vec();
    padded.resize(v.len().div_ceil(8) * 8, 12345); // beyond hi: must be ignored
    job.load(vh, &padded);
    job.push(Command::Argmax { lo: lo as u16, hi: hi as u16, v_dmem: vh as u16, out_dmem: oh as u16 });
    let out = job.store(oh, 2);
    let f = run(job);
    let got = out.read(&f);
    assert_eq!((got[0] as u16 as usize, got[1]), (want, v[want]), "ARGMAX [{lo}, {hi}) of {} values", v.len());
}

#[test]
fn argmax_matches_the_kernel() {
    let mut rng = Lcg(61);
    for _ in 0..20 {
        let v: Vec<i16> = (0..256).map(|_| rng.range(-3000, 3000) as i16).collect();
        argmax_case(&v, 0, 256);
        argmax_case(&v, 32, 127);
        let lo = rng.range(0, 254) as usize;
        let hi = rng.range(lo as i32 + 1, 256) as usize;
        argmax_case(&v, lo, hi);
    }
    // Ties: the lowest index wins; the maximum outside the range is ignored; all -32768.
    let mut v = vec![5i16; 256];
    v[200] = 9;
    v[40] = 9;
    v[100] = 9;
    argmax_case(&v, 0, 256);
    argmax_case(&v, 41, 256);
    argmax_case(&v, 41, 100);
    argmax_case(&v, 7, 8);
    let v = vec![-32768i16; 256];
    argmax_case(&v, 0, 256);
    argmax_case(&v, 33, 127);
    let mut v = vec![-32768i16; 64];
    v[63] = -32767;
    argmax_case(&v, 0, 64);
    argmax_case(&v, 3, 63);
}

// ---- overlays and refusals ---------------------------------------------------------------------

#[test]
fn an_overlaid_command_without_overlays_is_refused() {
    let mut job = Job::new();
    job.commands.clear(); // no OVERLAYS
    job.push(Command::Relu { n: 8, x_dmem: home(0) as u16 });
    let f = job.run_sim();
    assert_eq!(f.status, status::NO_OVERLAYS);
    let mut job = Job::new();
    job.commands.clear();
    job.push(Command::Overlays { rdram: 4 });
    assert_eq!(job.run_sim().status, status::BAD_OVERLAYS);
}

#[test]
fn bad_arguments_are_refused_with_their_status() {
    let h = home(0) as u16;
    let cases: Vec<(Command, u32)> = vec![
        (Command::Step { token: 0, pos: 0, ctx: 0 }, status::BAD_STEP),
        (Command::Step { token: 0, pos: 0, ctx: 257 }, status::BAD_STEP),
        (Command::Norm(NormArgs { kind: NormKind::Rms, n: 12, x_dmem: h, u_dmem: h, eps_ss: 1 }), status::BAD_NORM),
        (Command::Norm(NormArgs { kind: NormKind::Rms, n: 520, x_dmem: h, u_dmem: h, eps_ss: 1 }), status::BAD_NORM),
        (Command::Norm(NormArgs { kind: NormKind::Rms, n: 8, x_dmem: h + 8, u_dmem: h, eps_ss: 1 }), status::BAD_NORM),
        (Command::Relu { n: 0, x_dmem: h }, status::BAD_VEC),
        (Command::Relu { n: 8, x_dmem: 0x20 }, status::BAD_VEC),
        (Command::Add { n: 16, x_dmem: h, y_dmem: 0xF00 }, status::BAD_VEC),
        (Command::Argmax { lo: 5, hi: 5, v_dmem: h, out_dmem: h }, status::BAD_ARGMAX),
        (Command::Embed(EmbedArgs { cols: 48, vocab: 8, g_emb: 1, emb_rdram: 0, x_dmem: h }), status::BAD_EMBED),
    ];
    for (c, want) in cases {
        assert!(c.check().is_err(), "the host check must refuse {c:?} too");
        let mut job = Job::new();
        job.push(Command::Step { token: 0, pos: 0, ctx: 1 });
        job.push(c);
        let f = job.run_sim();
        assert_eq!(f.status, want, "{c:?}");
    }
    // A NORM kind the ucode does not know (the host enum cannot make one: patch the byte).
    let mut job = Job::new();
    job.push(Command::Norm(NormArgs { kind: NormKind::Rms, n: 8, x_dmem: h, u_dmem: h, eps_ss: 1 }));
    let (mut rdram, list) = job.finish();
    rdram[list as usize + 16 + 1] = 2;
    assert_eq!(common::run_sim(rdram, list).status, status::BAD_NORM);
}
