"""Exporter and quantiser tests: numpy and the Rust CLI only (no PyTorch anywhere).

Run from the repository root:
    python3 -m unittest discover -s training/tests -v
The CLI tests use `$RSPNN` (a built `rspnn` binary) or `cargo run --release -p rspnn-cli`; if
neither is possible they skip with a message, and fail instead under CI=true (house rules).
"""

import os
import struct
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, TRAINING)

from rspnn_training import cli, export, quant, reference, seai  # noqa: E402
from rspnn_training.modelfile import KINDS, Config, key, random_weights  # noqa: E402
from rspnn_training.rspw_read import RspwFile  # noqa: E402


def under_ci():
    return os.environ.get("CI") == "true"


def need_cli(test):
    if cli.available():
        return True
    msg = "rspnn CLI not available (set RSPNN to a built binary, or install cargo)"
    if under_ci():
        test.fail(msg + " and CI=true")
    print("SKIP: " + msg, file=sys.stderr)
    test.skipTest(msg)
    return False


def half_bits(x):
    return int(np.array([x], dtype=np.float16).view(np.uint16)[0])


class QuantRules(unittest.TestCase):
    def test_round_half_away_from_zero(self):
        got = quant.round_half_away([0.5, 1.5, 2.5, -0.5, -2.5, 0.49, -0.51])
        self.assertEqual(got.tolist(), [1, 2, 3, -1, -3, 0, -1])

    def test_q4_block_by_hand(self):
        # amax = 0.7 -> scale = float16(0.1); 0.35 / 0.1 = 3.5 -> 4 (half away from zero).
        w = np.zeros((1, 32), dtype=np.float32)
        w[0, :4] = [0.7, -0.7, 0.35, -0.049]
        q, s = quant.quantize_matrix(w, 4)
        self.assertEqual(half_bits(s[0, 0]), half_bits(0.1))
        s32 = float(np.float16(0.1))
        self.assertEqual(q[0, 0], 7)
        self.assertEqual(q[0, 1], -7)
        self.assertEqual(q[0, 2], int(np.floor(0.35 / s32 + 0.5)))
        self.assertEqual(q[0, 3], 0)
        self.assertTrue(np.all(q[0, 4:] == 0))

    def test_q8_block_largest_code_is_127_and_zero_block_is_zero(self):
        rng = np.random.default_rng(5)
        w = rng.normal(0, 0.1, (8, 64)).astype(np.float32)
        w[3, 32:] = 0.0
        q, s = quant.quantize_matrix(w, 8)
        self.assertEqual(q.dtype, np.int8)
        self.assertEqual(s.shape, (8, 2))
        self.assertEqual(float(s[3, 1]), 0.0)
        self.assertTrue(np.all(q[3, 32:] == 0))
        for r in range(8):
            for b in range(2):
                if s[r, b] > 0:
                    self.assertEqual(int(np.abs(q[r, 32 * b:32 * b + 32]).max()), 127)
        # Dequantisation error is at most half a step (plus float16 scale rounding).
        err = np.abs(quant.dequantize_matrix(q, s) - w).reshape(8, 2, 32).max(axis=2)
        self.assertTrue(np.all(err <= s.astype(np.float32) * 0.5001 + 1e-7))

    def test_q4_largest_code_is_seven_so_requantising_is_exact(self):
        # The reason `rspnn convert --q4` reproduces our codes: every nonzero block has +-7.
        rng = np.random.default_rng(6)
        w = rng.normal(0, 0.05, (64, 128)).astype(np.float32)
        q, s = quant.quantize_matrix(w, 4)
        amax = np.abs(q.reshape(64, 4, 32)).max(axis=2)
        self.assertTrue(np.all(amax == 7))
        self.assertTrue(np.all((q >= -7) & (q <= 7)))

    def test_embedding_range_and_codes(self):
        e = np.array([[0.0, 1.0], [-2.03, 0.5]], dtype=np.float32)
        q, em16 = quant.quantize_embedding(e)
        self.assertEqual(em16, 33)  # ceil(2.03 * 16)
        step = 33 / (16 * 127)
        self.assertEqual(q.tolist(), [[0, int(np.floor(1.0 / step + 0.5))],
                                      [-int(np.floor(2.03 / step + 0.5)),
                                       int(np.floor(0.5 / step + 0.5))]])
        with self.assertRaises(ValueError):
            quant.quantize_embedding(np.array([[16.0]], dtype=np.float32))

    def test_columns_must_be_blocks_of_32(self):
        with self.assertRaises(ValueError):
            quant.quantize_matrix(np.zeros((8, 48), dtype=np.float32), 8)


class SeaiLayout(unittest.TestCase):
    def test_header_and_size_by_hand(self):
        cfg = Config(2, 64, 2, vocab=256, ctx=16)
        w = random_weights(cfg, np.random.default_rng(1))
        emb_q, em16, layers = export.quantize(cfg, w, 8)
        data = seai.v5_bytes(cfg, emb_q, em16, layers)
        self.assertEqual(data[:4], b"SEAI")
        self.assertEqual(struct.unpack("<BHBHBB", data[4:12]), (2, 64, 2, 256, 16, em16))
        per_layer = 4 * 64 * 64 + 2 * 256 * 64
        self.assertEqual(len(data), 12 + 256 * 64 + 2 * (per_layer + per_layer // 32 * 2))
        # First layer: wq's first row's codes right after the embedding, its first scale
        # right after all of the layer's codes.
        at = 12 + 256 * 64
        self.assertEqual(np.frombuffer(data[at:at + 64], np.int8).tolist(),
                         layers[0]["wq"][0][0].tolist())
        s0 = struct.unpack("<e", data[at + per_layer:at + per_layer + 2])[0]
        self.assertEqual(s0, float(layers[0]["wq"][1][0, 0]))

    def test_refuses_shapes_the_header_cannot_say(self):
        cfg = Config(1, 32, 1, d_ff=64, vocab=256, ctx=8)
        w = random_weights(cfg, np.random.default_rng(2))
        emb_q, em16, layers = export.quantize(cfg, w, 8)
        with self.assertRaises(ValueError):
            seai.v5_bytes(cfg, emb_q, em16, layers)  # d_ff != 4 * d_model
        cfg = Config(1, 32, 1, vocab=256, ctx=300)
        with self.assertRaises(ValueError):
            seai.v5_bytes(cfg, emb_q, em16, [layers[0]])


class ExportThroughRustCli(unittest.TestCase):
    """The real exporter on a small random model, loaded and run by the Rust CLI."""

    TEXT = (b"Q: What is the RSP?\nA: The RSP is a vector processor: 8 lanes of 16 bits.\n"
            b"Q: Where is Lake Tmem?\n")

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cfg = Config(2, 64, 2, vocab=256, ctx=16)
        # Embedding entries ~N(0, 1): large next to the residual's 1/16 step (Q11.4), so the
        # fixed-point rounding moves logits by far less than the typical top-2 margin, while
        # the largest logit (~55) stays inside Q7.8. (With entries ~N(0, 0.5) the margins
        # shrink to ~1.5 and a few predictions flip: measured, not a bug.)
        cls.weights = random_weights(cls.cfg, np.random.default_rng(42), emb_std=1.0)
        cls.text_path = os.path.join(cls.tmp.name, "text.txt")
        with open(cls.text_path, "wb") as f:
            f.write(cls.TEXT)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def exported(self, bits):
        out = os.path.join(self.tmp.name, "m%d.rspw" % bits)
        model = export.export(self.cfg, self.weights, bits, out)
        return out, model

    def cli_preds(self, path, backend, cache="staggered"):
        n = len(self.TEXT)
        out = cli.run(["next-char", "--weights", path, "--text", self.text_path, "--offset",
                       "0", "--len", str(n), "--backend", backend, "--cache", cache],
                      binary_out=True)
        self.assertEqual(len(out), n)
        return list(out)

    def check_model(self, bits):
        path, (emb_q, em16, layers) = self.exported(bits)
        # export() already compared every code and scale; read it once more independently.
        with open(path, "rb") as fh:
            f = RspwFile(fh.read())
        self.assertEqual(f.bits, bits)
        self.assertEqual(f.cfg.as_dict(), self.cfg.as_dict())
        deq = export.dequantized(self.cfg, emb_q, em16, layers)
        # The text is longer than 4 contexts (16), so both policies past the context run.
        self.assertGreater(len(self.TEXT), 4 * self.cfg.ctx)
        for cache in ("staggered", "ring"):
            ref_preds, ref_logits = reference.greedy_predictions(self.cfg, deq, self.TEXT,
                                                                 cache)
            top2 = np.sort(ref_logits, axis=1)[:, -2:]
            gap = top2[:, 1] - top2[:, 0]
            # The CLI's float backend computes the same real weights in f32: identical argmax
            # except where the top two logits are within float rounding of each other.
            fl = self.cli_preds(path, "float", cache)
            for i, (a, b) in enumerate(zip(fl, ref_preds)):
                if gap[i] > 1e-3:
                    self.assertEqual(a, b, "%s float backend differs at byte %d (gap %.4f)"
                                     % (cache, i, gap[i]))
            # The fixed-point path: the same argmax wherever the margin exceeds its rounding.
            sc = self.cli_preds(path, "scalar", cache)
            clear = gap > 0.25
            self.assertGreater(int(clear.sum()), len(self.TEXT) * 3 // 4)
            for i in np.nonzero(clear)[0]:
                self.assertEqual(sc[i], ref_preds[i], "%s scalar backend differs at byte %d "
                                 "(gap %.3f)" % (cache, i, gap[i]))
        return path

    def test_q8_model_loads_and_predicts_like_numpy(self):
        if need_cli(self):
            self.check_model(8)

    def test_q4_model_loads_and_predicts_like_numpy(self):
        if need_cli(self):
            path = self.check_model(4)
            info = cli.run(["info", "--weights", path])
            self.assertIn("weights Q4", info)
            self.assertIn("n_layers: 2, d_model: 64, n_heads: 2, d_ff: 256", info)

    def test_generate_matches_numpy_greedy_decoding(self):
        if not need_cli(self):
            return
        path, model = self.exported(8)
        deq = export.dequantized(self.cfg, *model)
        prompt = b"Q: Who are you?\nA:"
        out = cli.run(["generate", "--weights", path, "--prompt", prompt.decode(), "--max",
                       "24", "--backend", "float"], binary_out=True)
        r = reference.Staggered(self.cfg, deq)  # the CLI's default cache policy
        for b in prompt:
            lg = r.step(b)
        want = []
        for _ in range(24):
            nxt = int(np.argmax(lg))
            want.append(nxt)
            lg = r.step(nxt)
        self.assertEqual(list(out[:-1]), want)  # the CLI ends its output with a newline
        self.assertEqual(out[-1:], b"\n")

    def test_verify_catches_a_changed_code(self):
        if not need_cli(self):
            return
        path, (emb_q, em16, layers) = self.exported(4)
        bad = {k: (q.copy(), s) for k, (q, s) in layers[1].items()}
        q = bad["ff2"][0]
        q[5, 9] = 3 if q[5, 9] != 3 else -3
        with self.assertRaisesRegex(ValueError, "layer 1 ff2: 1 codes differ"):
            export.verify_rspw(path, self.cfg, emb_q, em16, [layers[0], bad], 4)


class NoTorch(unittest.TestCase):
    def test_exporter_path_never_imports_torch(self):
        import rspnn_training.cli  # noqa: F401
        import rspnn_training.rspw_read  # noqa: F401
        self.assertNotIn("torch", sys.modules)


if __name__ == "__main__":
    unittest.main()
