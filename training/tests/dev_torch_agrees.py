#!/usr/bin/env python3
"""Developer check, needs PyTorch (not run by CI, hence not named test_*):

    /work/venv-train/bin/python training/tests/dev_torch_agrees.py [CHECKPOINT.npz]

1. train.py's fake quantisation (torch) gives bit-identical real weights to quant.py's
   quantise + dequantise (numpy), for Q4, Q8 and the embedding: what the model was fine-tuned
   with is exactly what the exporter writes.
2. train.py's forward pass (residual rounding off) matches the numpy reference forward pass on
   windows up to the context, to float32 tolerance.
Random weights unless a checkpoint is given.
"""

import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import train  # noqa: E402
from rspnn_training import export, modelfile, quant, reference  # noqa: E402


def main():
    torch.set_num_threads(1)
    if len(sys.argv) > 1:
        cfg, w = modelfile.load_npz(sys.argv[1])
    else:
        cfg = modelfile.Config(2, 64, 2, ctx=32)
        w = modelfile.random_weights(cfg, np.random.default_rng(3), emb_std=0.4)
    failures = 0
    for bits in (4, 8):
        for name, m in w.items():
            if name == "emb":
                continue
            t = train.fake_quant_matrix(torch.from_numpy(m), bits).numpy()
            n = quant.dequantize_matrix(*quant.quantize_matrix(m, bits))
            if not np.array_equal(t, n):
                failures += 1
                print("MISMATCH Q%d %s: %d weights differ" % (bits, name, int((t != n).sum())))
    te = train.fake_quant_embedding(torch.from_numpy(w["emb"])).numpy()
    ne = quant.dequantize_embedding(*quant.quantize_embedding(w["emb"]))
    if not np.array_equal(te, ne):
        failures += 1
        print("MISMATCH embedding: %d values differ" % int((te != ne).sum()))
    print("fake quantisation vs exporter: %s" % ("identical" if failures == 0 else "DIFFERENT"))

    model = train.Model(cfg, 0.3)
    with torch.no_grad():
        model.emb.copy_(torch.from_numpy(w["emb"]))
        for l in range(cfg.n_layers):
            for k in modelfile.KINDS:
                model.weight(l, k).copy_(torch.from_numpy(w[modelfile.key(l, k)]))
        with open(os.path.join(os.path.dirname(HERE), "corpus", "heldout.txt"), "rb") as f:
            text = f.read()
        toks = np.frombuffer(text[:cfg.ctx], dtype=np.uint8)
        tl, _ = model(torch.from_numpy(toks.astype(np.int64))[None], None, round_res=False)
    _, nl = reference.greedy_predictions(cfg, w, toks.tolist(), cache="ring")
    err = float(np.abs(tl[0].numpy() - nl).max())
    scale = float(np.abs(nl).max())
    ok = err <= 1e-4 * max(1.0, scale)
    print("torch forward vs numpy reference over %d bytes: max |diff| %.2e (logits up to %.1f)"
          " %s" % (cfg.ctx, err, scale, "ok" if ok else "TOO LARGE"))
    return 0 if failures == 0 and ok else 1


if __name__ == "__main__":
    sys.exit(main())
