"""Quantises float weights by our block rules and turns them into an RSPW file.

Path: float weights -> codes and float16 scales (quant.py) -> a seed "SEAI v5" file (seai.py)
-> `rspnn convert` (the Rust importer computes the integer scales and output shifts, one
implementation for every source) -> RSPW. For a Q4 model the v5 file carries the int4 codes
(-7..7) in its int8 slots with the int4 scales, and `rspnn convert --q4` requantises: because
each block's largest code is +-7, the requantiser (model/src/requant.rs) recomputes exactly
the same scale and codes. `verify_rspw` reads the result back and checks every code and scale.
"""

import os

import numpy as np

from . import cli, quant, seai
from .modelfile import KINDS, key
from .rspw_read import RspwFile


def quantize(cfg, weights, bits):
    """Returns (emb codes, em16, layers) with layers[l][kind] = (codes, float16 scales)."""
    emb_q, em16 = quant.quantize_embedding(weights["emb"])
    layers = []
    for l in range(cfg.n_layers):
        layers.append({k: quant.quantize_matrix(weights[key(l, k)], bits) for k in KINDS})
    return emb_q, em16, layers


def dequantized(cfg, emb_q, em16, layers):
    """The real weights the quantised model stands for (what `--backend float` computes with)."""
    w = {"emb": quant.dequantize_embedding(emb_q, em16)}
    for l in range(cfg.n_layers):
        for k in KINDS:
            w[key(l, k)] = quant.dequantize_matrix(*layers[l][k])
    return w


def verify_rspw(path, cfg, emb_q, em16, layers, bits):
    """Checks that the RSPW file holds exactly these codes and scales; raises ValueError."""
    with open(path, "rb") as fh:
        f = RspwFile(fh.read())
    if f.cfg.as_dict() != cfg.as_dict():
        raise ValueError("dimensions differ: %r vs %r" % (f.cfg, cfg))
    if f.bits != bits:
        raise ValueError("file is Q%d, expected Q%d" % (f.bits, bits))
    if not np.array_equal(f.emb_codes, emb_q):
        raise ValueError("embedding codes differ")
    if f.emb_num * 16 * 127 != em16 * f.emb_den:
        raise ValueError("embedding scale %d/%d, expected %d/%d" % (
            f.emb_num, f.emb_den, em16, 16 * 127))
    if not f.has_real_scales:
        raise ValueError("file lacks the real scales")
    for l in range(cfg.n_layers):
        for k in KINDS:
            q, s = layers[l][k]
            if not np.array_equal(f.codes[l][k], q):
                n = int(np.sum(f.codes[l][k] != q))
                raise ValueError("layer %d %s: %d codes differ" % (l, k, n))
            if not np.array_equal(f.real_scales[l][k].view(np.uint16), s.view(np.uint16)):
                raise ValueError("layer %d %s: scales differ" % (l, k))
    return f


def export(cfg, weights, bits, out_path, seai_path=None):
    """Quantises, writes the v5 file (kept at `seai_path`, else next to `out_path` with
    .seai), converts it with the Rust CLI and verifies the result. Returns the quantised model
    (emb_q, em16, layers)."""
    emb_q, em16, layers = quantize(cfg, weights, bits)
    seai_path = seai_path or os.path.splitext(out_path)[0] + ".seai"
    seai.write_v5(seai_path, cfg, emb_q, em16, layers)
    args = ["convert", "--in", os.path.abspath(seai_path), "--out", os.path.abspath(out_path)]
    if bits == 4:
        args.append("--q4")
    cli.run(args)
    verify_rspw(out_path, cfg, emb_q, em16, layers, bits)
    return emb_q, em16, layers
