//! The fixed-point model runner: any number of layers, width, heads, FFN width and context,
//! built only from the kernels (numerics.md "The model step").
//!
//! The KV cache is a ring buffer of `ctx` slots: position `t` writes slot `t % ctx` and attends
//! to every filled slot. The model has no positional embedding and attention is a sum over
//! positions whose result does not depend on slot order (kernels `attention`), so once the
//! context is full the oldest position is simply overwritten: this is exactly "attend to the
//! last `ctx` tokens", with no cost per step beyond the attention itself and no degradation
//! past the context (the seed's shifting cache lost accuracy there).
//!
//! All state lives in one caller-provided `i16` workspace ([`workspace_len`] elements), so the
//! runner needs no allocator on the N64.

use crate::dims::ModelDims;
use crate::error::{MatrixKind, ModelError};
use crate::rspw::ModelView;
use kernels::attention::AttentionShape;
#[cfg(not(target_arch = "mips"))]
use kernels::elementwise::tied_head;
use kernels::elementwise::{argmax_in, embedding_lookup, relu_in_place, residual_add};
use kernels::matvec::{BlockMatrix, Saturations};
// The VR4300 runs the tuned matvec and attention (hand-written MIPS inner loops, bit-identical,
// checked in the bench ROM); every other target runs the spec itself.
#[cfg(not(target_arch = "mips"))]
use kernels::attention::attention;
#[cfg(not(target_arch = "mips"))]
use kernels::matvec::matvec;
use kernels::norm::rms_norm;
#[cfg(target_arch = "mips")]
use kernels_vr4300::attention::attention;
#[cfg(target_arch = "mips")]
use kernels_vr4300::matvec;

/// Offsets of the workspace regions.
#[derive(Clone, Copy, Debug)]
struct Regions {
    k_cache: usize,
    v_cache: usize,
    x: usize,
    u: usize,
    q: usize,
    att: usize,
    tmp: usize,
    ffh: usize,
    logits: usize,
    scores: usize,
    probs: usize,
    end: usize,
}

fn regions(d: &ModelDims) -> Regions {
    let cache = d.n_layers * d.ctx * d.d_model;
    let mut at = 0;
    let mut take = |n: usize| {
        let start = at;
        at += n;
        start
    };
    let k_cache = take(cache);
    let v_cache = take(cache);
    let x = take(d.d_model);
    let u = take(d.d_model);
    let q = take(d.d_model);
    let att = take(d.d_model);
    let tmp = take(d.d_model);
    let ffh = take(d.d_ff);
    let logits = take(d.vocab);
    let scores = take(d.ctx);
    let probs = take(d.ctx);
    Regions {
        k_cache,
        v_cache,
        x,
        u,
        q,
        att,
        tmp,
        ffh,
        logits,
        scores,
        probs,
        end: at,
    }
}

/// Number of `i16` the runner's workspace needs.
pub fn workspace_len(d: &ModelDims) -> usize {
    regions(d).end
}

/// The fixed-point runner over an RSPW model; `W` is the workspace (`&mut [i16]` on the N64,
/// a `Vec<i16>` on a host).
pub struct ScalarRunner<'m, W> {
    model: ModelView<'m>,
    ws: W,
    r: Regions,
    pos: usize,
    saturations: Saturations,
    by_matrix: [Saturations; 7],
    /// The matvec a stepped token ([`ScalarRunner::start_step`]) waits for, if any.
    pending: Option<Pending>,
}

/// Which matvec of a token a stepped run waits for: a layer's matrix, or the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pending {
    Layer(usize, MatrixKind),
    Head,
}

/// One matrix-vector product a stepped token needs done: `ws[y..y + rows] = matrix *
/// ws[x..x + cols]` (offsets in `i16` elements of the runner's workspace; the two ranges never
/// overlap), computed exactly as `kernels::matvec` does (the RSP's ucode and rspnn's rspq
/// overlay do so bit for bit).
#[derive(Clone, Copy, Debug)]
pub struct MatvecJob<'m> {
    pub matrix: BlockMatrix<'m>,
    pub x: usize,
    pub y: usize,
}

/// What a stepped token needs next.
#[derive(Clone, Copy, Debug)]
pub enum StepNeed<'m> {
    /// This matvec, then [`ScalarRunner::resume_step`].
    Matvec(MatvecJob<'m>),
    /// The token is done: [`ScalarRunner::logits`] holds the logits for the next one.
    Logits,
}

impl<'m, W: AsMut<[i16]> + AsRef<[i16]>> ScalarRunner<'m, W> {
    /// A runner over `model` using `workspace` (at least [`workspace_len`] elements).
    pub fn new(model: ModelView<'m>, workspace: W) -> Result<Self, ModelError> {
        let r = regions(model.dims());
        let have = workspace.as_ref().len();
        if have < r.end {
            return Err(ModelError::BufferTooSmall {
                needed: r.end,
                actual: have,
            });
        }
        let mut s = ScalarRunner {
            model,
            ws: workspace,
            r,
            pos: 0,
            saturations: Saturations::default(),
            by_matrix: [Saturations::default(); 7],
            pending: None,
        };
        s.reset();
        Ok(s)
    }

    /// Forgets every fed token.
    pub fn reset(&mut self) {
        self.pos = 0;
        self.pending = None;
        let end = self.r.end;
        self.ws.as_mut()[..end].fill(0);
    }

    /// Tokens fed since the last reset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// How often the kernels' clamps engaged since creation.
    pub fn saturations(&self) -> Saturations {
        self.saturations
    }

    /// Clamp counts per matrix kind since creation: indices follow `MatrixKind::ALL` (wq, wk,
    /// wv, wo, wff1, wff2), index 6 is the output head.
    pub fn saturations_by_matrix(&self) -> [Saturations; 7] {
        self.by_matrix
    }

    /// The model.
    pub fn model(&self) -> &ModelView<'m> {
        &self.model
    }

    /// Feeds one token and returns the logits (Q7.8) for the next one.
    pub fn step(&mut self, token: usize) -> Result<&[i16], ModelError> {
        let d = *self.model.dims();
        if token >= d.vocab {
            return Err(ModelError::TokenOutOfRange {
                token,
                vocab: d.vocab,
            });
        }
        self.pending = None;
        let r = self.r;
        let n = d.d_model;
        let slot = self.pos % d.ctx;
        let n_pos = (self.pos + 1).min(d.ctx);
        let eps = self.model.info().eps_ss as u64;
        let emb = self.model.embedding()?;
        let ws = self.ws.as_mut();
        let mut sat = Saturations::default();

        embedding_lookup(&emb, token, self.model.info().g_emb, &mut ws[r.x..r.x + n])?;
        for layer in 0..d.n_layers {
            let cache_base = layer * d.ctx * n;
            self.norm_x_into_u(eps)?;
            // q, then k and v straight into this position's cache slot.
            sat.add(self.matvec_into(layer, MatrixKind::Wq, r.u, r.q)?);
            sat.add(self.matvec_into(
                layer,
                MatrixKind::Wk,
                r.u,
                r.k_cache + cache_base + slot * n,
            )?);
            sat.add(self.matvec_into(
                layer,
                MatrixKind::Wv,
                r.u,
                r.v_cache + cache_base + slot * n,
            )?);
            self.attend(cache_base, n_pos)?;
            sat.add(self.matvec_into(layer, MatrixKind::Wo, r.att, r.tmp)?);
            self.add_tmp_to_x()?;
            self.norm_x_into_u(eps)?;
            sat.add(self.matvec_into(layer, MatrixKind::Ff1, r.u, r.ffh)?);
            relu_in_place(&mut self.ws.as_mut()[r.ffh..r.ffh + d.d_ff]);
            sat.add(self.matvec_into(layer, MatrixKind::Ff2, r.ffh, r.tmp)?);
            self.add_tmp_to_x()?;
        }
        self.norm_x_into_u(eps)?;
        let ws = self.ws.as_mut();
        let (lo, hi) = ws.split_at_mut(r.logits);
        // The tied head is the embedding's matvec: the tuned one on the N64.
        #[cfg(not(target_arch = "mips"))]
        let head = tied_head(&emb, &lo[r.u..r.u + n], &mut hi[..d.vocab])?;
        #[cfg(target_arch = "mips")]
        let head = matvec(&emb, &lo[r.u..r.u + n], &mut hi[..d.vocab])?;
        self.by_matrix[6].add(head);
        sat.add(head);
        self.saturations.add(sat);
        self.pos += 1;
        Ok(&self.ws.as_ref()[r.logits..r.logits + d.vocab])
    }

    /// Starts feeding `token` the way [`ScalarRunner::step`] does, but stops at every matrix
    /// product and hands it to the caller (who may run it anywhere: on the RSP as rspq
    /// commands, on the simulator, or with `kernels::matvec`) instead of computing it. Returns
    /// the first product; after computing each one into [`ScalarRunner::workspace_mut`], call
    /// [`ScalarRunner::resume_step`]. Everything between the products (embedding, norms,
    /// attention, ReLU, residuals) runs here, with the same kernels as `step`, so the logits
    /// are the same bits as `step`'s. A step in progress is abandoned. Saturation counts do not
    /// include the caller's products.
    pub fn start_step(&mut self, token: usize) -> Result<MatvecJob<'m>, ModelError> {
        let d = *self.model.dims();
        if token >= d.vocab {
            return Err(ModelError::TokenOutOfRange {
                token,
                vocab: d.vocab,
            });
        }
        self.pending = None;
        let r = self.r;
        let emb = self.model.embedding()?;
        let g_emb = self.model.info().g_emb;
        embedding_lookup(
            &emb,
            token,
            g_emb,
            &mut self.ws.as_mut()[r.x..r.x + d.d_model],
        )?;
        self.norm_x_into_u(self.model.info().eps_ss as u64)?;
        self.job(Pending::Layer(0, MatrixKind::Wq))
    }

    /// Goes on with the stepped token once the product [`ScalarRunner::start_step`] or the
    /// previous `resume_step` returned is in the workspace: the next product, or
    /// [`StepNeed::Logits`] when the token is done (the position then advances). Without a
    /// step in progress, a [`ModelError::Backend`] error.
    pub fn resume_step(&mut self) -> Result<StepNeed<'m>, ModelError> {
        let Some(done) = self.pending.take() else {
            return Err(ModelError::Backend {
                backend: "stepper",
                position: self.pos,
                what: "resume_step without a step in progress",
                code: 0,
            });
        };
        let d = *self.model.dims();
        let eps = self.model.info().eps_ss as u64;
        let next = match done {
            Pending::Layer(l, MatrixKind::Wq) => Pending::Layer(l, MatrixKind::Wk),
            Pending::Layer(l, MatrixKind::Wk) => Pending::Layer(l, MatrixKind::Wv),
            Pending::Layer(l, MatrixKind::Wv) => {
                let n_pos = (self.pos + 1).min(d.ctx);
                self.attend(l * d.ctx * d.d_model, n_pos)?;
                Pending::Layer(l, MatrixKind::Wo)
            }
            Pending::Layer(l, MatrixKind::Wo) => {
                self.add_tmp_to_x()?;
                self.norm_x_into_u(eps)?;
                Pending::Layer(l, MatrixKind::Ff1)
            }
            Pending::Layer(l, MatrixKind::Ff1) => {
                let r = self.r;
                relu_in_place(&mut self.ws.as_mut()[r.ffh..r.ffh + d.d_ff]);
                Pending::Layer(l, MatrixKind::Ff2)
            }
            Pending::Layer(l, MatrixKind::Ff2) => {
                self.add_tmp_to_x()?;
                self.norm_x_into_u(eps)?;
                if l + 1 < d.n_layers {
                    Pending::Layer(l + 1, MatrixKind::Wq)
                } else {
                    Pending::Head
                }
            }
            Pending::Head => {
                self.pos += 1;
                return Ok(StepNeed::Logits);
            }
        };
        Ok(StepNeed::Matvec(self.job(next)?))
    }

    /// Records `p` as pending and describes its product.
    fn job(&mut self, p: Pending) -> Result<MatvecJob<'m>, ModelError> {
        let r = self.r;
        let d = *self.model.dims();
        let slot = (self.pos % d.ctx) * d.d_model;
        let (matrix, x, y) = match p {
            Pending::Layer(l, kind) => {
                let cache = l * d.ctx * d.d_model + slot;
                let (x, y) = match kind {
                    MatrixKind::Wq => (r.u, r.q),
                    MatrixKind::Wk => (r.u, r.k_cache + cache),
                    MatrixKind::Wv => (r.u, r.v_cache + cache),
                    MatrixKind::Wo => (r.att, r.tmp),
                    MatrixKind::Ff1 => (r.u, r.ffh),
                    MatrixKind::Ff2 => (r.ffh, r.tmp),
                };
                (self.model.matrix(l, kind)?, x, y)
            }
            // The tied head: the embedding's matvec (kernels `tied_head`).
            Pending::Head => (self.model.embedding()?, r.u, r.logits),
        };
        self.pending = Some(p);
        Ok(MatvecJob { matrix, x, y })
    }

    /// The workspace (the stepped token's products go into it).
    pub fn workspace_mut(&mut self) -> &mut [i16] {
        self.ws.as_mut()
    }

    /// The logits (Q7.8) of the last completed step.
    pub fn logits(&self) -> &[i16] {
        let r = self.r;
        &self.ws.as_ref()[r.logits..r.logits + self.model.dims().vocab]
    }

    /// `u = rms_norm(x)`.
    fn norm_x_into_u(&mut self, eps: u64) -> Result<(), ModelError> {
        let r = self.r;
        let n = self.model.dims().d_model;
        let ws = self.ws.as_mut();
        let (x, rest) = ws[r.x..].split_at_mut(n);
        rms_norm(x, eps, &mut rest[r.u - r.x - n..][..n])?;
        Ok(())
    }

    /// Attention of `q` over the layer's cache into `att`.
    fn attend(&mut self, cache_base: usize, n_pos: usize) -> Result<(), ModelError> {
        let r = self.r;
        let d = *self.model.dims();
        let n = d.d_model;
        let ws = self.ws.as_mut();
        let (caches, rest) = ws.split_at_mut(r.x);
        let kc = &caches[r.k_cache + cache_base..][..d.ctx * n];
        let vc = &caches[r.v_cache + cache_base..][..d.ctx * n];
        let (up_to_q, from_att) = rest.split_at_mut(r.att - r.x);
        let q = &up_to_q[r.q - r.x..][..n];
        let (att, after_att) = from_att.split_at_mut(n);
        let (scores, from_probs) =
            after_att[r.scores - r.att - n..].split_at_mut(r.probs - r.scores);
        let probs = &mut from_probs[..d.ctx];
        let shape = AttentionShape {
            d_model: n,
            n_heads: d.n_heads,
            slot_stride: n,
            n_pos,
        };
        attention(shape, q, kc, vc, scores, probs, att)?;
        Ok(())
    }

    /// `ws[out..] = W ws[inp..]` for a layer matrix (input and output regions never overlap).
    fn matvec_into(
        &mut self,
        layer: usize,
        kind: MatrixKind,
        inp: usize,
        out: usize,
    ) -> Result<Saturations, ModelError> {
        let m = self.model.matrix(layer, kind)?;
        let ws = self.ws.as_mut();
        let (rows, cols) = (m.rows(), m.cols());
        let s = if inp < out {
            let (a, b) = ws.split_at_mut(out);
            matvec(&m, &a[inp..inp + cols], &mut b[..rows])?
        } else {
            let (a, b) = ws.split_at_mut(inp);
            matvec(&m, &b[..cols], &mut a[out..out + rows])?
        };
        self.by_matrix[kind.index()].add(s);
        Ok(s)
    }

    fn add_tmp_to_x(&mut self) -> Result<(), ModelError> {
        let r = self.r;
        let n = self.model.dims().d_model;
        let ws = self.ws.as_mut();
        let (a, b) = ws.split_at_mut(r.tmp);
        residual_add(&mut a[r.x..r.x + n], &b[..n])?;
        Ok(())
    }

    /// Feeds `token` and returns the greedy next byte within `mask` (lowest index on ties).
    pub fn step_greedy(
        &mut self,
        token: usize,
        mask: crate::backend::DecodeMask,
    ) -> Result<usize, ModelError> {
        let (lo, hi) = mask.range(self.model.dims().vocab);
        let logits = self.step(token)?;
        argmax_in(logits, lo, hi).ok_or(ModelError::TokenOutOfRange {
            token: hi,
            vocab: logits.len(),
        })
    }
}
