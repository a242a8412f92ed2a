"""The float weights of a model in the supported family, and their .npz checkpoint form.

Architecture (fixtures/seed-v5/README.md "The model"): byte vocabulary, pre-norm blocks,
parameter-free RMSNorm before attention, before the FFN and before the head, `n_heads` heads,
FFN `d_ff` wide with ReLU, no biases, no positional embedding, causal attention scaled by
1/sqrt(head_dim), head tied to the embedding. Matrices are `[out][in]` (y = W x).
"""

import numpy as np

KINDS = ("wq", "wk", "wv", "wo", "ff1", "ff2")


class Config:
    def __init__(self, n_layers, d_model, n_heads, d_ff=None, vocab=256, ctx=64):
        self.n_layers = int(n_layers)
        self.d_model = int(d_model)
        self.n_heads = int(n_heads)
        self.d_ff = int(d_ff if d_ff is not None else 4 * d_model)
        self.vocab = int(vocab)
        self.ctx = int(ctx)
        self.validate()

    def validate(self):
        # The rules of model/src/dims.rs, checked here so a bad size fails before training.
        if not 1 <= self.n_layers <= 64:
            raise ValueError("n_layers must be 1..64")
        if self.d_model <= 0 or self.d_model % 32:
            raise ValueError("d_model must be a positive multiple of 32")
        if self.n_heads <= 0 or self.d_model % self.n_heads:
            raise ValueError("n_heads must divide d_model")
        if self.d_ff <= 0 or self.d_ff % 32:
            raise ValueError("d_ff must be a positive multiple of 32")
        if self.vocab <= 0 or self.vocab % 8:
            raise ValueError("vocab must be a positive multiple of 8")
        if not 1 <= self.ctx <= 4096:
            raise ValueError("ctx must be 1..4096")

    @property
    def head_dim(self):
        return self.d_model // self.n_heads

    def shape(self, kind):
        d, f = self.d_model, self.d_ff
        return {"wq": (d, d), "wk": (d, d), "wv": (d, d), "wo": (d, d),
                "ff1": (f, d), "ff2": (d, f)}[kind]

    def as_dict(self):
        return {"n_layers": self.n_layers, "d_model": self.d_model, "n_heads": self.n_heads,
                "d_ff": self.d_ff, "vocab": self.vocab, "ctx": self.ctx}

    def __repr__(self):
        return "Config(%s)" % ", ".join("%s=%d" % kv for kv in self.as_dict().items())


def key(layer, kind):
    return "l%d.%s" % (layer, kind)


def random_weights(cfg, rng, emb_std=0.5):
    """A random model (for tests): the embedding N(0, emb_std), matrices N(0, 1/fan_in)."""
    w = {"emb": rng.normal(0.0, emb_std, (cfg.vocab, cfg.d_model)).astype(np.float32)}
    for l in range(cfg.n_layers):
        for k in KINDS:
            rows, cols = cfg.shape(k)
            w[key(l, k)] = rng.normal(0.0, cols ** -0.5, (rows, cols)).astype(np.float32)
    return w


def save_npz(path, cfg, weights):
    arrays = {"config." + k: np.int64(v) for k, v in cfg.as_dict().items()}
    arrays.update({k: np.asarray(v, dtype=np.float32) for k, v in weights.items()})
    np.savez(path, **arrays)


def load_npz(path):
    z = np.load(path)
    cfg = Config(**{k[len("config."):]: int(z[k]) for k in z.files if k.startswith("config.")})
    weights = {k: z[k].astype(np.float32) for k in z.files if not k.startswith("config.")}
    check_shapes(cfg, weights)
    return cfg, weights


def check_shapes(cfg, weights):
    want = {"emb": (cfg.vocab, cfg.d_model)}
    for l in range(cfg.n_layers):
        for k in KINDS:
            want[key(l, k)] = cfg.shape(k)
    for name, shape in want.items():
        if name not in weights:
            raise ValueError("weights lack %s" % name)
        if tuple(weights[name].shape) != shape:
            raise ValueError("%s has shape %s, expected %s" % (name, weights[name].shape, shape))
