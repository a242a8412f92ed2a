"""The float32 forward pass of the model family in numpy, one token at a time.

It is written from the architecture's definition (fixtures/seed-v5/README.md "The model"), not
from the Rust code: RMSNorm `x / sqrt(mean(x^2) + 1e-6)` without gain, causal attention scaled
by 1/sqrt(head_dim), ReLU FFN, tied head.

Past the context there are two policies, as in the runner (docs/numerics.md section 8):
* `Runner` alone is a ring buffer: position t overwrites slot t % ctx and attends to every
  filled slot (`rspnn ... --cache ring`);
* `Staggered` (the CLI's default) runs two fresh windows, restarted every ctx tokens half a
  context apart, and predicts from the one that started earlier.
"""

import numpy as np

from .modelfile import key


def rms_norm(x):
    return x / np.sqrt(np.mean(x * x) + np.float32(1e-6))


class Runner:
    def __init__(self, cfg, weights):
        self.cfg = cfg
        self.w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        self.reset()

    def reset(self):
        c = self.cfg
        self.k = np.zeros((c.n_layers, c.ctx, c.d_model), dtype=np.float32)
        self.v = np.zeros((c.n_layers, c.ctx, c.d_model), dtype=np.float32)
        self.pos = 0

    def step(self, token):
        """Feeds one byte; returns the float32 logits for the next one."""
        c, w = self.cfg, self.w
        slot = self.pos % c.ctx
        n = min(self.pos + 1, c.ctx)
        hd = c.head_dim
        x = w["emb"][token].copy()
        for l in range(c.n_layers):
            h = rms_norm(x)
            q = w[key(l, "wq")] @ h
            self.k[l, slot] = w[key(l, "wk")] @ h
            self.v[l, slot] = w[key(l, "wv")] @ h
            att = np.zeros(c.d_model, dtype=np.float32)
            for head in range(c.n_heads):
                sl = slice(head * hd, (head + 1) * hd)
                s = self.k[l, :n, sl] @ q[sl] / np.float32(np.sqrt(hd))
                p = np.exp(s - s.max())
                p /= p.sum()
                att[sl] = p @ self.v[l, :n, sl]
            x = x + w[key(l, "wo")] @ att
            h = rms_norm(x)
            x = x + w[key(l, "ff2")] @ np.maximum(w[key(l, "ff1")] @ h, 0)
        self.pos += 1
        return w["emb"] @ rms_norm(x)


class Staggered:
    """Two runners restarted from empty every `ctx` tokens, `max(ctx // 2, 1)` apart; the
    logits come from the one with the longer history (for t < ctx // 2 only the first runs, so
    the result equals a single `Runner`)."""

    def __init__(self, cfg, weights):
        self.ctx = cfg.ctx
        self.half = max(cfg.ctx // 2, 1)
        self.lanes = [Runner(cfg, weights), Runner(cfg, weights)]
        self.pos = 0

    def reset(self):
        self.pos = 0
        for r in self.lanes:
            r.reset()

    def step(self, token):
        t = self.pos
        out, out_start = None, None
        for lane, phase in enumerate((0, self.half)):
            if (lane == 1 and self.ctx == 1) or t < phase:
                continue
            start = t - (t - phase) % self.ctx
            if start == t:
                self.lanes[lane].reset()
            logits = self.lanes[lane].step(token)
            if out_start is None or start < out_start:
                out, out_start = logits, start
        self.pos += 1
        return out


def greedy_predictions(cfg, weights, data, cache="staggered"):
    """For each byte of `data` (fed from a reset), the argmax next byte and the logits."""
    r = Staggered(cfg, weights) if cache == "staggered" else Runner(cfg, weights)
    preds, logits = [], []
    for b in data:
        lg = r.step(b)
        logits.append(lg)
        preds.append(int(np.argmax(lg)))
    return preds, np.stack(logits)
