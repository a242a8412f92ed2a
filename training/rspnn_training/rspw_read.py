"""Reads an RSPW file back into numpy (to check what `rspnn convert` wrote).

Layout (model/src/rspw.rs, kernels/src/matvec.rs): big-endian; a 64-byte header (magic "RSPW",
version u16 @4, header size @6, n_layers, d_model, n_heads, d_ff, vocab, ctx as u16 @8..20,
weight bits @20, flags @21 (bit 0: real scales present), emb scale num/den u16 @32/@34, CRC-32
@52 over every other byte); the embedding as Q8 block records; per layer a 16-byte prefix and
the six matrices as block records; then, if flagged, the real float16 block scales.

A block record covers rows 8g..8g+7 and columns 32b..32b+31: Q8 = 256 bytes (byte c*8+j =
q[8g+j][32b+c]) then eight u16 integer scales; Q4 = 128 bytes (byte p*8+j: high nibble
q[8g+j][32b+2p], low nibble q[8g+j][32b+2p+1], two's complement) then the eight scales.
"""

import struct
import zlib

import numpy as np

from .modelfile import KINDS, Config

HEADER = 64


class RspwFile:
    def __init__(self, data):
        if len(data) < HEADER or data[:4] != b"RSPW":
            raise ValueError("not an RSPW file")
        version, = struct.unpack(">H", data[4:6])
        if version != 1:
            raise ValueError("RSPW version %d, this reader knows 1" % version)
        dims = struct.unpack(">6H", data[8:20])
        self.cfg = Config(n_layers=dims[0], d_model=dims[1], n_heads=dims[2], d_ff=dims[3],
                          vocab=dims[4], ctx=dims[5])
        self.bits = data[20]
        self.has_real_scales = bool(data[21] & 1)
        self.emb_num, self.emb_den = struct.unpack(">HH", data[32:36])
        stored, = struct.unpack(">I", data[52:56])
        # The CRC is the standard CRC-32 (model/src/crc32.rs) over every byte but its own.
        crc = zlib.crc32(data[56:], zlib.crc32(data[:52])) & 0xFFFFFFFF
        if crc != stored:
            raise ValueError("CRC mismatch: stored %08x, computed %08x" % (stored, crc))
        self.data = data
        at = HEADER
        cfg = self.cfg
        self.emb_codes, at = self._matrix(at, 8, cfg.vocab, cfg.d_model)
        self.codes = []
        self.shifts = []
        for _ in range(cfg.n_layers):
            self.shifts.append(list(data[at:at + 6]))
            at += 16
            mats = {}
            for k in KINDS:
                rows, cols = cfg.shape(k)
                mats[k], at = self._matrix(at, self.bits, rows, cols)
            self.codes.append(mats)
        self.real_scales = None
        if self.has_real_scales:
            self.real_scales = []
            for _ in range(cfg.n_layers):
                start = at
                mats = {}
                for k in KINDS:
                    rows, cols = cfg.shape(k)
                    n = rows * (cols // 32)
                    mats[k] = np.frombuffer(data[at:at + 2 * n], dtype=">f2").astype(
                        np.float16).reshape(rows, cols // 32)
                    at += 2 * n
                self.real_scales.append(mats)
                at = start + (at - start + 15) // 16 * 16
        if at != len(data):
            raise ValueError("RSPW size %d, layout says %d" % (len(data), at))

    def _matrix(self, at, bits, rows, cols):
        rec_w = 256 if bits == 8 else 128
        rec = rec_w + 16
        groups, blocks = rows // 8, cols // 32
        n = groups * blocks * rec
        raw = np.frombuffer(self.data[at:at + n], dtype=np.uint8).reshape(groups, blocks, rec)
        w = raw[:, :, :rec_w]
        if bits == 8:
            # [g][b][c][j] -> q[8g+j][32b+c]
            q = w.reshape(groups, blocks, 32, 8).view(np.int8)
            q = q.transpose(0, 3, 1, 2).reshape(rows, cols)
        else:
            p = w.reshape(groups, blocks, 16, 8)
            hi = (p >> 4).astype(np.int8)
            lo = (p & 0xF).astype(np.int8)
            hi = np.where(hi > 7, hi - 16, hi)
            lo = np.where(lo > 7, lo - 16, lo)
            # [g][b][p][j] x (hi, lo) -> q[8g+j][32b+2p+{0,1}]
            both = np.stack([hi, lo], axis=3)  # [g][b][p][2][j]
            q = both.transpose(0, 4, 1, 2, 3).reshape(rows, cols).astype(np.int8)
        return np.ascontiguousarray(q), at + n

    def emb_scale(self):
        return self.emb_num / self.emb_den


def read(path):
    with open(path, "rb") as f:
        return RspwFile(f.read())
