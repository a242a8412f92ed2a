#!/usr/bin/env python3
"""Trains a character-level model of the family rspnn runs (PyTorch, CPU).

Architecture (fixtures/seed-v5/README.md "The model", the same as training/rspnn_training/
reference.py): byte vocabulary, pre-norm blocks, parameter-free RMSNorm
`x / sqrt(mean(x^2) + 1e-6)` before attention, before the FFN and before the head, causal
attention scaled by 1/sqrt(head_dim), ReLU FFN, no biases, no positional embedding, head tied to
the embedding.

Quantisation-aware training, in two parts:
* From the first step, the residual stream is rounded to our fixed-point residual format
  (Q11.4, kernels/src/formats.rs F_RES = 4: steps of 1/16) after the embedding lookup and after
  each sublayer's output, with a straight-through gradient: the fixed-point runner rounds
  exactly there (the embedding lookup and the wo/ff2 matvecs write Q11.4), and 1/16 is coarse
  next to the embedding's typical size, so the model has to learn with it.
* From `--qat-start` (a fraction of the steps) on, every weight is fake-quantised by the export
  rule (training/rspnn_training/quant.py: float16 block scale of 32 weights, codes rounded half
  away from zero, int4 or int8; embedding int8 with one em16/16 range), straight-through.
* A small penalty keeps activations inside the other fixed-point ranges (formats.rs): logits
  Q7.8 (|v| < 128), FFN hidden Q7.8, query/sqrt(head_dim) Q3.12 (< 8), key/value Q5.10 (< 32).

The result is a float32 .npz checkpoint of the master weights; training/export.py quantises it
by the same rules (numpy) and writes the weight file. Seeds are fixed; on one machine with the
same thread count a run is repeatable.

Example (the shipped 2-layer Q4 model):
  nice -n 10 /work/venv-train/bin/python training/train.py --layers 2 --width 128 --bits 4 \
      --steps 4000 --out training/runs/nibble-2l-q4.npz
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rspnn_training.modelfile import KINDS, Config, key, save_npz  # noqa: E402

RES_STEP = 1.0 / 16.0  # Q11.4 (formats.rs F_RES = 4)
RES_LIMIT = 2047.0
QMAX = {4: 7, 8: 127}
# Soft limits at 3/4 of each fixed-point range (formats.rs).
LIMITS = {"logit": 96.0, "ffh": 96.0, "q_scaled": 6.0, "k": 24.0, "v": 24.0, "res": 1536.0}


def ste(x, xq):
    """Forward xq, backward identity."""
    return x + (xq - x).detach()


def round_half_away(x):
    return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)


def fake_quant_matrix(w, bits):
    """quant.quantize_matrix then dequantize, in torch (same float16 scale, same rounding)."""
    rows, cols = w.shape
    wb = w.detach().reshape(rows, cols // 32, 32)
    amax = wb.abs().amax(dim=2, keepdim=True)
    s = (amax / QMAX[bits]).to(torch.float16).to(torch.float32)
    safe = torch.where(s > 0, s, torch.ones_like(s))
    q = torch.clamp(round_half_away(wb / safe), -QMAX[bits], QMAX[bits])
    q = torch.where(s > 0, q, torch.zeros_like(q))
    return ste(w, (q * s).reshape(rows, cols))


def fake_quant_embedding(e):
    """quant.quantize_embedding then dequantize, in torch."""
    amax = e.detach().abs().max()
    em16 = torch.clamp(torch.ceil(amax * 16.0), 1.0, 255.0)
    step = (em16 / (16.0 * 127.0)).to(torch.float32)
    q = torch.clamp(round_half_away(e.detach() / step), -127, 127)
    return ste(e, q * step)


def round_residual(x):
    return ste(x, torch.round(x / RES_STEP) * RES_STEP)


def rms_norm(x):
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + 1e-6)


def over(x, limit):
    return F.relu(x.abs() - limit).pow(2).mean()


class Model(torch.nn.Module):
    def __init__(self, cfg, emb_std):
        super().__init__()
        self.cfg = cfg
        self.emb = torch.nn.Parameter(torch.randn(cfg.vocab, cfg.d_model) * emb_std)
        self.mats = torch.nn.ParameterDict()
        for l in range(cfg.n_layers):
            for k in KINDS:
                rows, cols = cfg.shape(k)
                std = cols ** -0.5
                # Output projections start small (residual branches near identity at init).
                if k in ("wo", "ff2"):
                    std /= math.sqrt(2 * cfg.n_layers)
                self.mats[key(l, k).replace(".", "_")] = torch.nn.Parameter(
                    torch.randn(rows, cols) * std)

    def weight(self, l, k):
        return self.mats[key(l, k).replace(".", "_")]

    def forward(self, tokens, bits=None, round_res=True):
        """Logits `[B, T, vocab]` and the activation-range penalty. `bits` set = fake-quantise
        weights (QAT); `round_res` rounds the residual to Q11.4 (always, in training)."""
        cfg = self.cfg
        B, T = tokens.shape
        E = fake_quant_embedding(self.emb) if bits else self.emb
        W = {}
        for l in range(cfg.n_layers):
            for k in KINDS:
                w = self.weight(l, k)
                W[(l, k)] = fake_quant_matrix(w, bits) if bits else w
        hd = cfg.head_dim
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        rr = round_residual if round_res else (lambda v: v)
        x = rr(E[tokens])
        pen = 0.0
        for l in range(cfg.n_layers):
            h = rms_norm(x)
            q = (h @ W[(l, "wq")].T).view(B, T, cfg.n_heads, hd).transpose(1, 2)
            k_ = (h @ W[(l, "wk")].T).view(B, T, cfg.n_heads, hd).transpose(1, 2)
            v = (h @ W[(l, "wv")].T).view(B, T, cfg.n_heads, hd).transpose(1, 2)
            pen = pen + over(q / math.sqrt(hd), LIMITS["q_scaled"]) + over(k_, LIMITS["k"]) \
                + over(v, LIMITS["v"])
            s = (q @ k_.transpose(-1, -2)) / math.sqrt(hd)
            s = s.masked_fill(~mask, float("-inf"))
            a = torch.softmax(s, dim=-1) @ v
            a = a.transpose(1, 2).reshape(B, T, cfg.d_model)
            x = x + rr(a @ W[(l, "wo")].T)
            h = rms_norm(x)
            f = F.relu(h @ W[(l, "ff1")].T)
            pen = pen + over(f, LIMITS["ffh"])
            x = x + rr(f @ W[(l, "ff2")].T)
            pen = pen + over(x, LIMITS["res"])
        logits = rms_norm(x) @ E.T
        pen = pen + over(logits, LIMITS["logit"])
        return logits, pen


def load_text(path):
    with open(path, "rb") as f:
        data = f.read()
    if any(b > 126 or (b < 32 and b != 10) for b in data):
        raise ValueError("%s: not printable ASCII + newlines" % path)
    return data


def main():
    ap = argparse.ArgumentParser(description="Train an rspnn character model (CPU).")
    ap.add_argument("--train", default=os.path.join(HERE, "corpus", "train.txt"))
    ap.add_argument("--heldout", default=os.path.join(HERE, "corpus", "heldout.txt"))
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--bits", type=int, choices=(4, 8), default=4)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--qat-start", type=float, default=0.5,
                    help="fraction of the steps after which weights are fake-quantised")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--wd", type=float, default=0.02)
    ap.add_argument("--emb-std", type=float, default=0.3)
    ap.add_argument("--penalty", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--out", required=True, help="output .npz checkpoint")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cfg = Config(args.layers, args.width, args.heads, vocab=256, ctx=args.ctx)
    train = np.frombuffer(load_text(args.train), dtype=np.uint8)
    held = np.frombuffer(load_text(args.heldout), dtype=np.uint8)
    # Exchange starts: the demo resets the model and feeds "Q: ..." from position 0, so half of
    # each batch starts exactly there.
    q_starts = np.array([i for i in range(len(train) - 3)
                         if train[i:i + 3].tobytes() == b"Q: " and (i == 0 or train[i - 1] == 10)])
    q_starts = q_starts[q_starts + cfg.ctx + 1 <= len(train)]
    T = cfg.ctx

    def batch():
        half = args.batch // 2
        offs = np.concatenate([rng.integers(0, len(train) - T - 1, args.batch - half),
                               rng.choice(q_starts, half)])
        win = np.stack([train[o:o + T + 1] for o in offs]).astype(np.int64)
        t = torch.from_numpy(win)
        return t[:, :-1], t[:, 1:]

    # Held-out windows: consecutive, non-overlapping, each from a fresh start.
    n_eval = (len(held) - 1) // T
    ev = np.stack([held[i * T:i * T + T + 1] for i in range(n_eval)]).astype(np.int64)
    ev = torch.from_numpy(ev)

    model = Model(cfg, args.emb_std)
    decay = [p for p in model.parameters()]
    opt = torch.optim.AdamW(decay, lr=args.lr, betas=(0.9, 0.95), weight_decay=args.wd)
    warm = min(200, args.steps // 10)
    qat_step = int(args.steps * args.qat_start)

    def lr_at(step):
        if step < warm:
            return args.lr * (step + 1) / warm
        p = (step - warm) / max(1, args.steps - warm)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))

    def evaluate(bits):
        model.eval()
        with torch.no_grad():
            losses, correct, total = [], 0, 0
            for i in range(0, len(ev), 64):
                chunk = ev[i:i + 64]
                logits, _ = model(chunk[:, :-1], bits)
                losses.append(F.cross_entropy(logits.reshape(-1, 256), chunk[:, 1:].reshape(-1),
                                              reduction="sum").item())
                correct += (logits.argmax(-1) == chunk[:, 1:]).sum().item()
                total += chunk[:, 1:].numel()
        model.train()
        return sum(losses) / total, correct / total

    log = {"config": cfg.as_dict(), "args": vars(args), "evals": []}
    print("config %r, %d parameters, train %d bytes, heldout %d bytes (%d windows)" % (
        cfg, sum(p.numel() for p in model.parameters()), len(train), len(held), n_eval),
        flush=True)
    t0 = time.time()
    run_loss = None
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        bits = args.bits if step >= qat_step else None
        x, y = batch()
        logits, pen = model(x, bits)
        loss = F.cross_entropy(logits.reshape(-1, 256), y.reshape(-1))
        total = loss + args.penalty * pen
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run_loss = loss.item() if run_loss is None else 0.98 * run_loss + 0.02 * loss.item()
        last = step + 1 == args.steps
        if (step + 1) % args.eval_every == 0 or last:
            hl, ha = evaluate(bits)
            rec = {"step": step + 1, "train_loss_ema": round(run_loss, 4),
                   "heldout_loss": round(hl, 4), "heldout_acc": round(ha, 4),
                   "qat": bool(bits), "penalty": round(float(pen.detach() if torch.is_tensor(pen) else pen), 6),
                   "seconds": round(time.time() - t0, 1)}
            log["evals"].append(rec)
            print(json.dumps(rec), flush=True)
    # Final figures: float master weights and the quantised weights.
    fl, fa = evaluate(None)
    ql, qa = evaluate(args.bits)
    log["final"] = {"float_heldout_loss": round(fl, 4), "float_heldout_acc": round(fa, 4),
                    "quant_heldout_loss": round(ql, 4), "quant_heldout_acc": round(qa, 4),
                    "steps": args.steps, "seconds": round(time.time() - t0, 1)}
    print(json.dumps(log["final"]), flush=True)
    weights = {"emb": model.emb.detach().numpy().copy()}
    for l in range(cfg.n_layers):
        for k in KINDS:
            weights[key(l, k)] = model.weight(l, k).detach().numpy().copy()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_npz(args.out, cfg, weights)
    with open(os.path.splitext(args.out)[0] + ".log.json", "w") as f:
        json.dump(log, f, indent=1)
    print("wrote %s" % args.out)


if __name__ == "__main__":
    main()
