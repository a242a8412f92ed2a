"""Our integer weight formats, in numpy: the one definition the exporter uses.

Rules (they match what the Rust side stores and reads, see model/src/seed.rs and
model/src/requant.rs):

* Layer matrices are `[out][in]` (y = W x). Each row is cut into blocks of 32 consecutive
  weights; a block has one real scale `s`, stored as IEEE float16, and integer codes `q` with
  real weight `q * s`.
* `s = float16(amax / QMAX)` with `amax = max |w|` over the block and QMAX = 7 (Q4) or
  127 (Q8); `q = clamp(round_half_away(w / s), -QMAX, QMAX)` (an all-zero block gets s = 0 and
  q = 0). This is the rule of model/src/requant.rs `quantize_block_q4` (float16 scale rounded
  to nearest even, codes rounded half away from zero), so a Q4 model written through the seed
  "v5" layout and requantised by `rspnn convert --q4` gets back exactly these codes and scales:
  the block's largest code is always +-7, so the requantiser recomputes the same `amax`, the
  same scale and the same codes (tests/test_export.py checks it on the converted file).
* The embedding is int8 with one scale for the whole table: `real = q * em / 127` with
  `em = em16 / 16`, em16 an integer 1..255 (the seed header's byte 11, fixtures/seed-v5/README).

The training script's fake quantisation (train.py) implements the same rules in torch; the
dev-only test tests/test_torch_agrees.py checks the two agree.
"""

import numpy as np

BLOCK = 32
QMAX = {4: 7, 8: 127}


def round_half_away(x):
    """Round to nearest, ties away from zero (Rust's f32::round)."""
    x = np.asarray(x, dtype=np.float32)
    return (np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))).astype(np.float32)


def block_scales(w, bits):
    """float16 block scales of a `[rows][cols]` float matrix (cols a multiple of 32).

    Returns float16 array `[rows][cols // 32]`."""
    w = np.asarray(w, dtype=np.float32)
    rows, cols = w.shape
    if cols % BLOCK:
        raise ValueError("matrix columns %d are not a multiple of %d" % (cols, BLOCK))
    amax = np.abs(w.reshape(rows, cols // BLOCK, BLOCK)).max(axis=2)
    return (amax / np.float32(QMAX[bits])).astype(np.float16)


def quantize_matrix(w, bits):
    """Quantises `w` by the block rule. Returns (codes int8 `[rows][cols]`,
    scales float16 `[rows][cols // 32]`)."""
    w = np.asarray(w, dtype=np.float32)
    rows, cols = w.shape
    s16 = block_scales(w, bits)
    s = s16.astype(np.float32)
    qmax = QMAX[bits]
    wb = w.reshape(rows, cols // BLOCK, BLOCK)
    safe = np.where(s > 0, s, np.float32(1.0))[:, :, None]
    q = np.clip(round_half_away(wb / safe), -qmax, qmax)
    q = np.where(s[:, :, None] > 0, q, 0).astype(np.int8)
    return q.reshape(rows, cols), s16


def dequantize_matrix(q, s16):
    """Real weights of codes `q` `[rows][cols]` and float16 scales `[rows][cols // 32]`."""
    q = np.asarray(q, dtype=np.float32)
    rows, cols = q.shape
    s = np.asarray(s16, dtype=np.float16).astype(np.float32)
    return (q.reshape(rows, cols // BLOCK, BLOCK) * s[:, :, None]).reshape(rows, cols)


def embedding_em16(e):
    """The embedding range byte: em16 = ceil(16 * max|E|), in 1..255."""
    amax = float(np.abs(np.asarray(e, dtype=np.float32)).max())
    em16 = int(np.ceil(amax * 16.0))
    if em16 > 255:
        raise ValueError("embedding max |E| = %.3f is above 255/16, the seed header's limit"
                         % amax)
    return max(em16, 1)


def quantize_embedding(e, em16=None):
    """int8 codes of the embedding and em16 (real = q * em16 / (16 * 127))."""
    e = np.asarray(e, dtype=np.float32)
    if em16 is None:
        em16 = embedding_em16(e)
    step = np.float32(em16) / np.float32(16 * 127)
    q = np.clip(round_half_away(e / step), -127, 127).astype(np.int8)
    return q, em16


def dequantize_embedding(q, em16):
    return np.asarray(q, dtype=np.float32) * (np.float32(em16) / np.float32(16 * 127))
