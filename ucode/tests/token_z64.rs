//! The token program's kernels on the z64 RSP (mupen64plus's plugin, a second opinion beside
//! rsp-sim): each case runs on both and must equal `kernels`. Skipped with a message when the
//! plugin is absent; fails under `CI=true` (CI installs it).
//!
//! RSP-FACTS "Emulators" lists z64's known differences from the hardware (one VMULU case, VMRG's
//! VCO, VRCPL, MTC2 into lane 15); the kernels meet none of them in a way that changes a result:
//! VMRG is always followed by an op that clears VCO or ignores it, and the 32-bit VRCPL/VRSQL
//! inputs of the softmax and the norm (positive, at least 32513) agree here on every case. All
//! kernels are therefore compared in full.

mod common;
mod token_common;

use common::{records, z64_available, Finished, Lcg};
use kernels::attention::{attention, AttentionShape};
use kernels::matvec::{BlockMatrix, WeightBits};
use rspnn_ucode::token_cmd::{AttendArgs, EmbedArgs, NormArgs, NormKind};
use rspnn_ucode::Command;
use token_common::{home, Job, KvLayout, Out};

/// Runs `build` twice (it must build the same job), on rsp-sim and on z64; returns both runs and
/// the outputs `build` registered.
fn both(build: impl Fn() -> (Job, Vec<Out>)) -> (Finished, Finished, Vec<Out>) {
    let (job, outs) = build();
    let sim = job.run_sim();
    sim.assert_done("rsp-sim");
    let (job, _) = build();
    let z64 = job.run_z64();
    z64.assert_done("z64");
    (sim, z64, outs)
}

#[test]
fn embed_relu_add_argmax_agree_on_z64() {
    if !z64_available() {
        return;
    }
    let mut rng = Lcg(91);
    let (vocab, cols, token, g_emb) = (64usize, 128usize, 45usize, 113u16);
    let q: Vec<Vec<i8>> = (0..vocab).map(|_| (0..cols).map(|_| rng.range(-128, 127) as i8).collect()).collect();
    let g: Vec<Vec<u16>> = (0..vocab).map(|_| vec![7; cols / 32]).collect();
    let rec = records(WeightBits::Q8, &q, &g);
    let m = BlockMatrix::new(WeightBits::Q8, vocab, cols, 0, &rec).unwrap();
    let mut emb_want = vec![0i16; cols];
    kernels::elementwise::embedding_lookup(&m, token, g_emb, &mut emb_want).unwrap();
    let x: Vec<i16> = (0..128).map(|_| rng.i16()).collect();
    let y: Vec<i16> = (0..128).map(|_| rng.i16()).collect();
    let mut relu_want = x.clone();
    kernels::elementwise::relu_in_place(&mut relu_want);
    let mut add_want = x.clone();
    kernels::elementwise::residual_add(&mut add_want, &y).unwrap();
    let mut v: Vec<i16> = (0..256).map(|_| rng.range(-900, 900) as i16).collect();
    v[200] = 1000;
    v[70] = 1000;
    let arg_want = kernels::elementwise::argmax_in(&v, 32, 127).unwrap();

    let (sim, z64, outs) = both(|| {
        let mut job = Job::new();
        let emb = job.put_bytes(&rec);
        job.push(Command::Step { token: token as u16, pos: 0, ctx: 1 });
        job.push(Command::Embed(EmbedArgs {
            cols: cols as u16,
            vocab: vocab as u16,
            g_emb,
            emb_rdram: emb,
            x_dmem: home(0) as u16,
        }));
        let e = job.store(home(0), cols);
        job.load(home(0), &x);
        job.push(Command::Relu { n: 128, x_dmem: home(0) as u16 });
        let r = job.store(home(0), 128);
        job.load(home(0), &x);
        job.load(home(256), &y);
        job.push(Command::Add { n: 128, x_dmem: home(0) as u16, y_dmem: home(256) as u16 });
        let a = job.store(home(0), 128);
        job.load(home(0), &v);
        job.push(Command::Argmax { lo: 32, hi: 127, v_dmem: home(0) as u16, out_dmem: home(512) as u16 });
        let m = job.store(home(512), 2);
        (job, vec![e, r, a, m])
    });
    for f in [&sim, &z64] {
        assert_eq!(outs[0].read(f), emb_want, "EMBED");
        assert_eq!(outs[1].read(f), relu_want, "RELU");
        assert_eq!(outs[2].read(f), add_want, "ADD");
        assert_eq!(outs[3].read(f), vec![arg_want as i16, v[arg_want]], "ARGMAX");
    }
}

#[test]
fn norms_agree_on_z64() {
    if !z64_available() {
        return;
    }
    let mut rng = Lcg(92);
    for (i, kind) in [NormKind::Rms, NormKind::Layer, NormKind::Rms, NormKind::Layer].into_iter().enumerate() {
        let n = [128usize, 128, 512, 64][i];
        let m = [3000, 32767, 200, 17000][i];
        let x: Vec<i16> = (0..n).map(|_| rng.range(-m, m) as i16).collect();
        let mut want = vec![0i16; n];
        let mut c = vec![0i16; n];
        match kind {
            NormKind::Rms => kernels::norm::rms_norm(&x, 1, &mut want).unwrap(),
            NormKind::Layer => kernels::norm::layer_norm(&x, 1, &mut c, &mut want).unwrap(),
        }
        let (sim, z64, outs) = both(|| {
            let mut job = Job::new();
            job.load(home(0), &x);
            job.push(Command::Norm(NormArgs {
                kind,
                n: n as u16,
                x_dmem: home(0) as u16,
                u_dmem: home(0) as u16,
                eps_ss: 1,
            }));
            let u = job.store(home(0), n);
            (job, vec![u])
        });
        assert_eq!(outs[0].read(&sim), want, "rsp-sim NORM {kind:?} n {n}");
        assert_eq!(outs[0].read(&z64), want, "z64 NORM {kind:?} n {n}");
    }
}

#[test]
fn attention_agrees_on_z64() {
    if !z64_available() {
        return;
    }
    let mut rng = Lcg(93);
    let d = 128;
    let lay = KvLayout { d_model: d, heads: 4, ctx: 64 };
    for pos in [0usize, 9, 20, 63, 64, 100] {
        let (slot, n_pos) = (pos % 64, (pos + 1).min(64));
        let q: Vec<i16> = (0..d).map(|_| rng.range(-7000, 7000) as i16).collect();
        let k: Vec<i16> = (0..d).map(|_| rng.range(-21000, 21000) as i16).collect();
        let v: Vec<i16> = (0..d).map(|_| rng.range(-11000, 11000) as i16).collect();
        let mut all_k: Vec<Vec<i16>> =
            (0..64).map(|_| (0..d).map(|_| rng.range(-21000, 21000) as i16).collect()).collect();
        let mut all_v: Vec<Vec<i16>> =
            (0..64).map(|_| (0..d).map(|_| rng.range(-11000, 11000) as i16).collect()).collect();
        let mut cache = vec![0u8; lay.bytes()];
        lay.write(&mut cache, &all_k, &all_v);
        all_k[slot] = k.clone();
        all_v[slot] = v.clone();
        let (kc, vc) = (all_k[..n_pos].concat(), all_v[..n_pos].concat());
        let (mut sc, mut pr, mut want) = (vec![0i16; n_pos], vec![0i16; n_pos], vec![0i16; d]);
        let shape = AttentionShape { d_model: d, n_heads: 4, slot_stride: d, n_pos };
        attention(shape, &q, &kc, &vc, &mut sc, &mut pr, &mut want).unwrap();
        let (sim, z64, outs) = both(|| {
            let mut job = Job::new();
            let kv = job.put_bytes(&cache);
            job.push(Command::Step { token: 0, pos: pos as u16, ctx: 64 });
            job.load(home(0), &q);
            job.load(home(256), &k);
            job.load(home(512), &v);
            job.push(Command::AttScores(AttendArgs {
                heads: 4,
                hd: 32,
                ctx: 64,
                q_dmem: home(0) as u16,
                kv_rdram: kv,
                k_dmem: home(256) as u16,
                out_dmem: home(768) as u16,
            }));
            job.push(Command::AttValues);
            let o = job.store(home(768), d);
            (job, vec![o, Out { at: kv, n: 0 }])
        });
        let kv = outs[1].at as usize;
        for (who, f) in [("rsp-sim", &sim), ("z64", &z64)] {
            assert_eq!(outs[0].read(f), want, "{who}: attention output at position {pos}");
            let after = &f.rdram[kv..kv + lay.bytes()];
            assert_eq!(lay.read(after, slot), (k.clone(), v.clone()), "{who}: this position's k and v");
        }
    }
}

/// The whole seed-v5 token program on z64 for the first steps of a fixture window, one RSP run
/// per step with the RDRAM (and so the KV cache) carried from run to run: every step's logits
/// must be the scalar runner's.
#[test]
fn whole_v5_steps_agree_on_z64() {
    v5_steps_on_z64(None);
}

/// The same with the model's context set to 128 (the SEAI header's ctx byte; the weights do not
/// depend on it): 4 heads x 128 slots of scores do not fit `MV_HG` at once, so the builder runs
/// each layer's attention as two groups of 2 heads (wk and wv on each group's rows).
#[test]
fn whole_v5_steps_at_context_128_agree_on_z64() {
    v5_steps_on_z64(Some(128));
}

fn v5_steps_on_z64(ctx: Option<u8>) {
    use rspnn_model::runner::{workspace_len, ScalarRunner};
    use rspnn_ucode::program::{program_bytes, ProgramOptions, TokenProgram};
    use rspnn_ucode::{layout, ucode, RdramImage};
    let Some(seai) = shared_fixtures::read("fixtures/seed-v5/weights_v5_q8.seai") else { return };
    let Some(text) = shared_fixtures::read("fixtures/seed-v5/corpus_v5_expanded.txt") else { return };
    if !z64_available() {
        return;
    }
    let mut seai = seai;
    if let Some(c) = ctx {
        seai[10] = c; // SEAI header: ctx u8 @10 (rspnn-model seed.rs)
    }
    let seed = rspnn_model::seed::SeedModel::parse(&seai).unwrap();
    let file = rspnn_model::convert::to_rspw_vec(&seed).unwrap();
    let view = rspnn_model::rspw::ModelView::parse(&file).unwrap();
    let d = *view.dims();
    let mut buf = vec![0u8; file.len() + program_bytes(&d, true) + 16];
    let mut img = RdramImage::new(&mut buf, 0).unwrap();
    let w = img.put_bytes(&file).unwrap();
    let prog = TokenProgram::build(&file, w, &mut img, ProgramOptions { logits: true, argmax: (0, 256) }).unwrap();
    let len = img.len();
    buf.truncate(len);
    let mut dmem = ucode::DATA.to_vec();
    dmem[layout::BOOT..layout::BOOT + 4].copy_from_slice(&prog.cmd_list.to_be_bytes());
    let mut scalar = ScalarRunner::new(view, vec![0i16; workspace_len(view.dims())]).unwrap();
    let off = 777 + 11 * 100_003;
    for pos in 0..10 {
        let token = text[off + pos] as usize;
        prog.patch_step(&mut buf, 0, token, pos).unwrap();
        let out =
            z64_rsp::run(&z64_rsp::Job { imem: &ucode::TEXT, dmem: &dmem, rdram: &buf, pc: ucode::ENTRY }).unwrap();
        assert!(out.broke(), "z64: no BREAK at step {pos}");
        let status = u32::from_be_bytes(out.dmem[layout::BOOT + 4..layout::BOOT + 8].try_into().unwrap());
        assert_eq!(status, layout::status::DONE, "z64: status at step {pos}");
        buf = out.rdram;
        let mut got = vec![0i16; d.vocab];
        prog.read_logits(&buf, 0, &mut got).unwrap();
        assert_eq!(got, scalar.step(token).unwrap(), "z64: logits of step {pos}");
    }
}
