#!/usr/bin/env python3
"""Exports a trained checkpoint (.npz from train.py) to an RSPW weight file. numpy only.

  python3 training/export.py --ckpt training/runs/nibble-2l-q4.npz --bits 4 \
      --out models/nibble-2l-q4.rspw

Writes the intermediate seed v5 file next to the checkpoint, runs `rspnn convert` on it and
checks every code and scale of the result (rspnn_training/export.py).
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rspnn_training import export, modelfile  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--bits", type=int, choices=(4, 8), required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cfg, weights = modelfile.load_npz(args.ckpt)
    seai_path = os.path.splitext(args.ckpt)[0] + "-q%d.seai" % args.bits
    emb_q, em16, _ = export.export(cfg, weights, args.bits, args.out, seai_path)
    print("wrote %s (%d bytes) from %s: %r, Q%d, embedding range %d/16; codes and scales "
          "verified" % (args.out, os.path.getsize(args.out), args.ckpt, cfg, args.bits, em16))


if __name__ == "__main__":
    main()
