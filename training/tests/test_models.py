"""Checks on the shipped weight files in models/ (numpy and the Rust CLI, no PyTorch).

* Each file is a valid RSPW file (CRC, layout) of the architecture the card states.
* Through the Rust CLI, the fixed-point path predicts the next byte of held-out text (never
  trained on) far better than chance: a floor well under the card's measured figure, so a broken
  export, a changed format or a wrong file fails, while tiny numeric changes do not.
* Asked who it is, the model answers as Nibble (the corpus's character), greedily.
"""

import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
REPO = os.path.dirname(TRAINING)
sys.path.insert(0, TRAINING)

from rspnn_training import cli  # noqa: E402
from rspnn_training.rspw_read import RspwFile  # noqa: E402
from test_export import need_cli  # noqa: E402

HELDOUT = os.path.join("training", "corpus", "heldout.txt")
# (file, layers, weight bits, floor for scalar next-char accuracy on 2,000 held-out bytes)
MODELS = [
    ("nibble-2l-q4.rspw", 2, 4, 0.70),
    ("nibble-4l-q8.rspw", 4, 8, 0.70),
]


class ShippedModels(unittest.TestCase):
    def path(self, name):
        p = os.path.join(REPO, "models", name)
        self.assertTrue(os.path.isfile(p), "%s is missing" % p)
        return p

    def test_files_are_the_stated_architecture(self):
        for name, layers, bits, _ in MODELS:
            with open(self.path(name), "rb") as f:
                m = RspwFile(f.read())
            self.assertEqual(m.cfg.as_dict(), {"n_layers": layers, "d_model": 128,
                                               "n_heads": 4, "d_ff": 512, "vocab": 256,
                                               "ctx": 64}, name)
            self.assertEqual(m.bits, bits, name)
            self.assertTrue(m.has_real_scales, name)

    def test_fixed_point_accuracy_on_heldout_text(self):
        if not need_cli(self):
            return
        for name, _, _, floor in MODELS:
            out = cli.run(["accuracy", "--weights", self.path(name), "--corpus", HELDOUT,
                           "--windows", "1", "--stream", "2000", "--backend", "scalar"])
            m = re.search(r"next-char accuracy (\d+)/(\d+)", out)
            self.assertIsNotNone(m, out)
            acc = int(m.group(1)) / int(m.group(2))
            self.assertEqual(int(m.group(2)), 2000)
            self.assertGreater(acc, floor, "%s: %s" % (name, out))

    def test_answers_as_nibble(self):
        if not need_cli(self):
            return
        for name, _, _, _ in MODELS:
            out = cli.run(["generate", "--weights", self.path(name), "--prompt",
                           "Q: Who are you?\nA:", "--max", "60"])
            self.assertIn("Nibble", out.split("\n")[0], "%s answered %r" % (name, out))


if __name__ == "__main__":
    unittest.main()
