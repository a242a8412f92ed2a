"""Writes the seed demo's "SEAI v5" (Q8) layout, which `rspnn convert` imports.

Layout (fixtures/seed-v5/README.md "The file layout", model/src/seed.rs): a 12-byte header
("SEAI", n_layers u8 @4, n_embed u16 little-endian @5, n_heads u8 @7, vocab u16 LE @8, ctx u8
@10, em*16 u8 @11), the embedding as vocab x n_embed int8 (real = q * em / 127), then per layer
the int8 weights of wq, wk, wv, wo, wff1, wff2 (each row-major [out][in]) followed by their
float16 block scales, little-endian, one per 32 consecutive weights in the same order.

The header fixes the FFN width at 4 * n_embed and the context at most 255; `write_v5` refuses
anything else rather than writing a file the importer would read differently.
"""

import struct

import numpy as np

from .modelfile import KINDS

MAGIC = b"SEAI"


def v5_bytes(cfg, emb_q, em16, layers):
    """The file as bytes. `layers[l][kind]` = (int8 codes [rows][cols], float16 scales
    [rows][cols // 32])."""
    if cfg.d_ff != 4 * cfg.d_model:
        raise ValueError("the SEAI layout fixes d_ff = 4 * d_model; got %d" % cfg.d_ff)
    for name, v, hi in (("n_layers", cfg.n_layers, 255), ("n_heads", cfg.n_heads, 255),
                        ("ctx", cfg.ctx, 255), ("d_model", cfg.d_model, 65535),
                        ("vocab", cfg.vocab, 65535), ("em16", em16, 255)):
        if not 1 <= v <= hi:
            raise ValueError("%s = %d does not fit the SEAI header (1..%d)" % (name, v, hi))
    emb_q = np.asarray(emb_q)
    if emb_q.shape != (cfg.vocab, cfg.d_model) or emb_q.dtype != np.int8:
        raise ValueError("embedding codes must be int8 %r" % ((cfg.vocab, cfg.d_model),))
    out = [MAGIC, struct.pack("<BHBHBB", cfg.n_layers, cfg.d_model, cfg.n_heads, cfg.vocab,
                              cfg.ctx, em16), emb_q.tobytes()]
    if len(layers) != cfg.n_layers:
        raise ValueError("%d layers given, config has %d" % (len(layers), cfg.n_layers))
    for l, mats in enumerate(layers):
        codes, scales = [], []
        for k in KINDS:
            q, s = mats[k]
            rows, cols = cfg.shape(k)
            q = np.asarray(q)
            s = np.asarray(s)
            if q.shape != (rows, cols) or q.dtype != np.int8:
                raise ValueError("layer %d %s: codes must be int8 %r" % (l, k, (rows, cols)))
            if s.shape != (rows, cols // 32) or s.dtype != np.float16:
                raise ValueError("layer %d %s: scales must be float16 %r"
                                 % (l, k, (rows, cols // 32)))
            if not np.all(np.isfinite(s)) or np.any(s < 0):
                raise ValueError("layer %d %s: scales must be finite and >= 0" % (l, k))
            codes.append(q.tobytes())
            scales.append(s.astype("<f2").tobytes())
        out.extend(codes)
        out.extend(scales)
    return b"".join(out)


def write_v5(path, cfg, emb_q, em16, layers):
    data = v5_bytes(cfg, emb_q, em16, layers)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)
