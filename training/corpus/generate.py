#!/usr/bin/env python3
"""Generates the Nibble corpus (train.txt, heldout.txt) from content.py, deterministically.

Format, one exchange per two lines (the prompt format the demo ROM uses):

    Q: <question>
    A: <answer>

with an occasional plain lore line between exchanges (train only). ASCII only.

Held-out split: every distinct question string with a friendly prefix ("Hey, ", "Nibble, ",
...) is assigned to train or held-out by a seeded shuffle, so held-out questions are phrasings
the model never saw verbatim (the facts behind them are shared, which is the point of a chat
corpus). Bare question forms (no prefix) always stay in train: they are what the demo ROM asks,
and they are the most frequent strings (a prefix is drawn with content.PREFIXES' weights, where
the empty prefix counts six times of fourteen).

Usage: python3 training/corpus/generate.py [--out-dir training/corpus] [--check]
`--check` regenerates in memory and fails if the checked-in files differ.
Standard library only.
"""

import argparse
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import content  # noqa: E402

SEED = 20240608
TRAIN_BYTES = 420_000
HELDOUT_BYTES = 32_000
HELDOUT_FRACTION = 0.12
LORE_PROBABILITY = 0.06
# Hand-written topics (Nibble itself, small talk, the fallback) are drawn this many times as
# often as one table-made family: they are what a player asks first, and with weight 1 a bare
# "Who are you?" occurred only twice in 420 KB (the 4-layer model then mixed it up with
# "How are you?").
TOPIC_WEIGHT = 3


def families():
    """Every question family as (name, [question forms], [answers], sampling weight)."""
    fams = []
    for name, (forms, answers) in content.TOPICS.items():
        fams.append((name, list(forms), list(answers), TOPIC_WEIGHT))
    for name, aliases, answers in content.PARTS:
        forms = [t.format(p=a) for a in aliases for t in content.PART_QUESTIONS]
        fams.append(("part:" + name, forms, list(answers), 1))
    for i, (forms, answers) in enumerate(content.FACTS):
        fams.append(("fact:%d" % i, list(forms), list(answers), 1))
    for i, (phrases, answers) in enumerate(content.TASKS):
        forms = [t.format(t=p) for p in phrases for t in content.TASK_QUESTIONS]
        fams.append(("task:%d" % i, forms, list(answers), 1))
    for table, templates, kind in (
        (content.PLACES, content.PLACE_QUESTIONS, "place"),
        (content.FOLK, content.FOLK_QUESTIONS, "folk"),
        (content.ITEMS, content.ITEM_QUESTIONS, "item"),
    ):
        for name, what, where in table:
            for col, answers in ((1, what), (2, where)):
                forms = [t.format(x=name) for t, c in templates if c == col]
                fams.append(("%s:%s:%d" % (kind, name, col), forms, list(answers), 1))
    return fams


def capitalise_first(s):
    return s[:1].upper() + s[1:] if s else s


def question_strings(forms):
    """All (question string, sampling weight, has a prefix) for prefix + form combinations;
    after a prefix the form's first letter is lower-cased (not after "Hi Nibble! ")."""
    weight = {p: content.PREFIXES.count(p) for p in content.PREFIXES}
    out = []
    for f in forms:
        for p in sorted(weight):
            if p and f[:1].isupper() and not p.endswith("! "):
                q = p + f[:1].lower() + f[1:]
            else:
                q = p + f
            out.append((capitalise_first(q) if p else q, weight[p], bool(p)))
    return out


def build(seed=SEED):
    rng = random.Random(seed)
    fams = families()
    train_pools, held_pools = [], []
    for name, forms, answers, weight in fams:
        qs = question_strings(forms)
        prefixed = [q for q in qs if q[2]]
        rng.shuffle(prefixed)
        n_held = max(1, int(round(len(qs) * HELDOUT_FRACTION)))
        held_pools.append((prefixed[:n_held], answers, weight))
        train_pools.append(([q for q in qs if not q[2]] + prefixed[n_held:], answers, weight))

    def sample(pools, budget, lore):
        out, size = [], 0
        while size < budget:
            if lore and rng.random() < LORE_PROBABILITY:
                rec = rng.choice(content.LORE) + "\n"
            else:
                qs, answers, _ = rng.choices(pools, weights=[p[2] for p in pools])[0]
                q = rng.choices(qs, weights=[w for _, w, _ in qs])[0][0]
                rec = "Q: %s\nA: %s\n" % (q, rng.choice(answers))
            out.append(rec)
            size += len(rec)
        return "".join(out)

    train = sample(train_pools, TRAIN_BYTES, lore=True)
    held = sample(held_pools, HELDOUT_BYTES, lore=False)
    for text, what in ((train, "train"), (held, "heldout")):
        bad = [c for c in set(text) if ord(c) > 126 or (ord(c) < 32 and c != "\n")]
        if bad:
            raise ValueError("%s corpus has non-ASCII or control characters: %r" % (what, bad))
    return train, held


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--check", action="store_true",
                    help="fail if the files in --out-dir differ from a fresh generation")
    args = ap.parse_args()
    train, held = build()
    files = {"train.txt": train, "heldout.txt": held}
    if args.check:
        for name, text in files.items():
            path = os.path.join(args.out_dir, name)
            with open(path, "r", encoding="ascii") as f:
                if f.read() != text:
                    print("%s differs from a fresh generation" % path, file=sys.stderr)
                    return 1
        print("corpus files match the generator")
        return 0
    for name, text in files.items():
        with open(os.path.join(args.out_dir, name), "w", encoding="ascii", newline="\n") as f:
            f.write(text)
        print("wrote %s: %d bytes, %d lines" % (name, len(text), text.count("\n")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
