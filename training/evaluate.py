#!/usr/bin/env python3
"""Measures a shipped weight file with the Rust CLI: the figures of the model card.

  python3 training/evaluate.py --weights models/nibble-2l-q4.rspw [--len 8000]

Prints, each with the exact `rspnn` command it ran:
* next-char accuracy on the held-out corpus (training/corpus/heldout.txt, never trained on),
  `rspnn accuracy` fed one stream of `--len` bytes from a reset (the runner's default staggered
  windows past 64 bytes), for `--backend float` (float32 math on the dequantised weights) and
  `--backend scalar` (our fixed-point path, the RSP's oracle), and how often the two agree;
* greedy answers to the demo's sample questions (`rspnn generate`, prompt "Q: ...\\nA:"), the
  first line of each output. Standard library only.
"""

import argparse
import os
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rspnn_training import cli  # noqa: E402

SAMPLE_QUESTIONS = [
    "Who are you?",
    "Where do you live?",
    "What is the RSP?",
    "How fast is the CPU?",
    "What does the Expansion Pak do?",
    "How much does a Controller Pak hold?",
    "What batteries does the Rumble Pak use?",
    "How do I align DMA?",
    "Where is Vector Tower?",
    "Who is Old Ipl?",
    "Tell me a joke.",
    "What is the weather today?",
]

# Phrasings that occur only in the held-out text (checked below): how the model does on
# questions it never saw verbatim.
HELDOUT_QUESTIONS = [
    "Say, how big is TMEM?",
    "Nibble, should I blow on the cartridge?",
    "Quick one: are you a robot?",
    "Hi Nibble! How many vector registers are there?",
    "Spirit, where is Vector Tower?",
]


def quote(a):
    """Shell quoting that keeps a newline visible: bash's $'...' form for such arguments."""
    if "\n" in a:
        return "$'" + a.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"
    return shlex.quote(a)


def shown(args):
    return "rspnn " + " ".join(quote(a) for a in args)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", required=True)
    ap.add_argument("--text", default=os.path.relpath(
        os.path.join(HERE, "corpus", "heldout.txt"), cli.REPO))
    ap.add_argument("--len", type=int, default=30000,
                    help="bytes of held-out text to score (from byte 777, one stream)")
    ap.add_argument("--max", type=int, default=80, help="bytes generated per sample question")
    ap.add_argument("--no-samples", action="store_true")
    args = ap.parse_args()

    size = os.path.getsize(os.path.join(cli.REPO, args.text))
    # `rspnn accuracy` places window 0 at byte 777 (the fixture's yardstick) and, with
    # --stream N, feeds N bytes from one reset; the held-out file has room for one window.
    length = min(args.len, size - 777 - 1)
    for backend, extra in (("float", []), ("scalar", ["--against", "float"])):
        cmd = ["accuracy", "--weights", args.weights, "--corpus", args.text, "--windows", "1",
               "--stream", str(length), "--backend", backend] + extra
        print("$ %s" % shown(cmd))
        for line in cli.run(cmd).strip().split("\n"):
            print("  " + line)
    if args.no_samples:
        return
    corpus = os.path.join(HERE, "corpus")
    with open(os.path.join(corpus, "train.txt"), "rb") as f:
        train = f.read()
    with open(os.path.join(corpus, "heldout.txt"), "rb") as f:
        held = f.read()
    for q in HELDOUT_QUESTIONS:
        line = b"\nQ: " + q.encode() + b"\n"
        if line in b"\n" + train or line not in b"\n" + held:
            raise SystemExit("%r is not a held-out-only question" % q)
    for title, questions in (("sample questions", SAMPLE_QUESTIONS),
                             ("held-out phrasings (never in train.txt)", HELDOUT_QUESTIONS)):
        print("\n# %s" % title)
        answer(args, questions)


def answer(args, questions):
    for q in questions:
        cmd = ["generate", "--weights", args.weights, "--prompt", "Q: %s\nA:" % q,
               "--max", str(args.max)]
        out = cli.run(cmd)
        first = out.split("\n", 1)[0]
        print("$ %s" % shown(cmd))
        print("  Q: %s\n  A:%s" % (q, first))


if __name__ == "__main__":
    main()
