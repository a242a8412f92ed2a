"""Corpus tests (standard library only): the checked-in corpus is what the generator makes, it
is ASCII in the demo's prompt format, and no held-out question appears in the training text."""

import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(os.path.dirname(HERE), "corpus")


def read(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


class Corpus(unittest.TestCase):
    def test_checked_in_files_are_the_generators_output(self):
        p = subprocess.run([sys.executable, os.path.join(CORPUS, "generate.py"), "--check"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_ascii_and_exchange_format(self):
        for name in ("train.txt", "heldout.txt"):
            data = read(name)
            self.assertTrue(all(b == 10 or 32 <= b <= 126 for b in data), name)
            lines = data.decode("ascii").split("\n")
            self.assertEqual(lines[-1], "", "%s must end with a newline" % name)
            lines = lines[:-1]
            i, exchanges = 0, 0
            while i < len(lines):
                if lines[i].startswith("Q: "):
                    self.assertTrue(lines[i + 1].startswith("A: "),
                                    "%s line %d: a question without an answer" % (name, i + 1))
                    self.assertGreater(len(lines[i + 1]), len("A: "))
                    exchanges += 1
                    i += 2
                else:
                    # Lore lines only in the training text; never a stray answer.
                    self.assertEqual(name, "train.txt", "%s line %d" % (name, i + 1))
                    self.assertFalse(lines[i].startswith("A: "), "%s line %d" % (name, i + 1))
                    i += 1
            self.assertGreater(exchanges, 300)

    def test_sizes(self):
        self.assertGreater(len(read("train.txt")), 300_000)
        self.assertGreater(len(read("heldout.txt")), 20_000)

    def test_heldout_questions_are_unseen(self):
        train_qs = set(re.findall(rb"^Q: (.*)$", read("train.txt"), re.M))
        held_qs = set(re.findall(rb"^Q: (.*)$", read("heldout.txt"), re.M))
        self.assertGreater(len(held_qs), 100)
        self.assertEqual(train_qs & held_qs, set())

    def test_variety_not_one_memorised_string(self):
        train = read("train.txt")
        questions = re.findall(rb"^Q: (.*)$", train, re.M)
        answers = re.findall(rb"^A: (.*)$", train, re.M)
        self.assertGreater(len(set(questions)), 1500)
        self.assertGreater(len(set(answers)), 150)
        # No single exchange dominates: the most common answer is under 2% of all answers.
        top = max(answers.count(a) for a in set(answers))
        self.assertLess(top, len(answers) * 0.02)


if __name__ == "__main__":
    unittest.main()
