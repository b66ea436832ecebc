"""qkv-symmetry: why attention uses separate query and key projections.

Pure NumPy, seeded, no Textual.  Everything shown by the TUI / CLI is
computed here and returned as plain dataclasses.

* shared projection:   S = (X W)(X W)^T / sqrt(d_k)   -> symmetric, PSD
* separate projections: S = (X W_Q)(X W_K)^T / sqrt(d_k) -> not symmetric
* blend:  W_K(t) = (1 - t) W_Q + t W_K',  asymmetry ||S - S^T||_F / ||S||_F
* softmax honesty: A = softmax_rows(S) is *not* symmetric even for shared S,
  but A_ij / A_ji = Z_j / Z_i with Z_i = sum_k exp(S_ik) (exp(S) is symmetric)
* mini-experiment: train shared vs separate single-head attention on a
  previous-token task with hand-derived gradients, measured on fresh data.
"""

from __future__ import annotations

import hashlib
import math
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Iterator

import numpy as np

__all__ = [
    "CONTROLS",
    "ControlResult",
    "ExperimentConfig",
    "ExperimentProgress",
    "ExperimentResult",
    "LearnedAttention",
    "attention",
    "learned_attention",
    "QKVDemo",
    "QKVFrame",
    "SharedChecks",
    "SoftmaxPair",
    "compute",
    "embed_word",
    "figures",
    "loss_and_grads",
    "make_batch",
    "run_experiment",
    "scores",
    "sinusoidal_pe",
    "softmax_rows",
    "tokenize",
]


# --------------------------------------------------------------------------
# tokens


def _is_cjk(ch: str) -> bool:
    # East Asian wide/fullwidth letters (Han, Kana, Hangul, ...)
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalnum()


def tokenize(sentence: str) -> list[str]:
    """Split on whitespace; a sentence without spaces that contains CJK is
    split per character (punctuation dropped)."""
    sentence = sentence.strip()
    if not sentence:
        return []
    words = sentence.split()
    if len(words) == 1 and any(_is_cjk(ch) for ch in sentence):
        return [ch for ch in sentence if ch.isalnum()]
    return words


def embed_word(word: str, d_model: int) -> np.ndarray:
    """Deterministic embedding of a word: an rng seeded from blake2b(UTF-8).

    Stable across calls and processes (unlike ``hash()``)."""
    digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
    rng = np.random.default_rng(int.from_bytes(digest, "little"))
    return rng.standard_normal(d_model)


# --------------------------------------------------------------------------
# scores


def scores(Q: np.ndarray, K: np.ndarray) -> np.ndarray:
    """S = Q K^T / sqrt(d_k).

    Computed as an elementwise product summed over the last axis, so when
    ``K`` equals ``Q`` the result is *exactly* symmetric: S_ij and S_ji sum the
    same products in the same order (no reliance on BLAS kernels)."""
    d_k = Q.shape[-1]
    return (Q[:, None, :] * K[None, :, :]).sum(axis=-1) / math.sqrt(d_k)


def asymmetry(S: np.ndarray) -> float:
    """||S - S^T||_F / ||S||_F (0 for a symmetric matrix)."""
    denom = float(np.linalg.norm(S))
    if denom == 0.0:
        return 0.0
    return float(np.linalg.norm(S - S.T)) / denom


def softmax_rows(S: np.ndarray) -> np.ndarray:
    m = S.max(axis=-1, keepdims=True)
    e = np.exp(S - m)
    return e / e.sum(axis=-1, keepdims=True)


def _logsumexp_rows(S: np.ndarray) -> np.ndarray:
    m = S.max(axis=-1)
    return m + np.log(np.exp(S - m[:, None]).sum(axis=-1))


# --------------------------------------------------------------------------
# frames and checks


@dataclass(frozen=True)
class QKVFrame:
    t: float
    S: np.ndarray
    asymmetry: float
    labels: tuple[str, ...]


@dataclass(frozen=True)
class SharedChecks:
    max_abs_asym: float  # max |S - S^T|
    symmetric: bool
    min_eig: float
    max_eig: float
    psd: bool
    max_cosine: float  # max_{i!=j} S_ij / sqrt(S_ii S_jj)  (<= 1)
    max_cs_excess: float  # max_ij S_ij - sqrt(S_ii S_jj)  (<= tol)
    cauchy_schwarz: bool


@dataclass(frozen=True)
class SoftmaxPair:
    i: int
    j: int
    A_ij: float
    A_ji: float
    ratio: float  # A_ij / A_ji
    z_ratio: float  # Z_j / Z_i
    A_max_abs_asym: float  # max |A - A^T|
    expS_max_abs_asym: float  # max |exp(S) - exp(S)^T| (0: exp(S) is symmetric)


def shared_checks(S: np.ndarray) -> SharedChecks:
    scale = max(float(np.abs(S).max()), 1e-300)
    max_abs = float(np.abs(S - S.T).max())
    eig = np.linalg.eigvalsh((S + S.T) / 2.0)
    min_eig, max_eig = float(eig.min()), float(eig.max())
    d = np.sqrt(np.clip(np.diag(S), 0.0, None))
    bound = np.outer(d, d)
    excess = float((S - bound).max())
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.where(bound > 0, S / np.where(bound > 0, bound, 1.0), 0.0)
    if cos.shape[0] > 1:  # off-diagonal only (the diagonal is 1 by definition)
        cos = cos[~np.eye(cos.shape[0], dtype=bool)]
    return SharedChecks(
        max_abs_asym=max_abs,
        symmetric=max_abs <= 1e-12 * scale,
        min_eig=min_eig,
        max_eig=max_eig,
        psd=min_eig >= -1e-9 * max(abs(max_eig), 1.0),
        max_cosine=float(cos.max()),
        max_cs_excess=excess,
        cauchy_schwarz=excess <= 1e-9 * scale,
    )


def softmax_pair(S: np.ndarray) -> SoftmaxPair:
    """The off-diagonal pair with the largest |A_ij - A_ji| (oriented so that
    A_ij >= A_ji) and both sides of A_ij / A_ji = Z_j / Z_i."""
    n = S.shape[0]
    A = softmax_rows(S)
    diff = np.abs(A - A.T)
    if n < 2:
        return SoftmaxPair(0, 0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)
    flat = int(np.argmax(diff))
    i, j = divmod(flat, n)
    if i == j:  # all zero: pick any off-diagonal pair
        i, j = 0, 1
    if A[i, j] < A[j, i]:
        i, j = j, i
    lse = _logsumexp_rows(S)
    expS = np.exp(S)
    return SoftmaxPair(
        i=int(i),
        j=int(j),
        A_ij=float(A[i, j]),
        A_ji=float(A[j, i]),
        ratio=float(A[i, j] / A[j, i]),
        z_ratio=float(math.exp(lse[j] - lse[i])),
        A_max_abs_asym=float(diff.max()),
        expS_max_abs_asym=float(np.abs(expS - expS.T).max()),
    )


class QKVDemo:
    """Tokens, projections and cheap blend frames for one seed.

    ``X @ W_Q`` and ``X @ W_K'`` are computed once; :meth:`frame` only blends
    two small (n x d_k) matrices and forms an n x n score matrix.
    """

    def __init__(
        self,
        seed: int = 0,
        n: int = 8,
        d_model: int = 16,
        d_k: int = 8,
        sentence: str | None = None,
    ) -> None:
        self.seed = int(seed)
        self.d_model = int(d_model)
        self.d_k = int(d_k)
        rng = np.random.default_rng(self.seed)
        words = tokenize(sentence) if sentence else []
        if words:
            self.labels: tuple[str, ...] = tuple(words)
            self.X = np.stack([embed_word(w, self.d_model) for w in words])
        else:
            self.labels = tuple(f"t{i}" for i in range(int(n)))
            self.X = rng.standard_normal((int(n), self.d_model))
        w_scale = 1.0 / math.sqrt(self.d_model)
        self.W_Q = rng.standard_normal((self.d_model, self.d_k)) * w_scale
        self.W_K = rng.standard_normal((self.d_model, self.d_k)) * w_scale
        self.Q = self.X @ self.W_Q
        self.K_sep = self.X @ self.W_K
        self.S_shared = scores(self.Q, self.Q)
        self.S_separate = scores(self.Q, self.K_sep)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    def frame(self, t: float) -> QKVFrame:
        t = float(min(max(t, 0.0), 1.0))
        K = (1.0 - t) * self.Q + t * self.K_sep
        S = scores(self.Q, K)
        return QKVFrame(t=t, S=S, asymmetry=asymmetry(S), labels=self.labels)

    def checks(self) -> SharedChecks:
        return shared_checks(self.S_shared)

    def softmax_pair(self) -> SoftmaxPair:
        return softmax_pair(self.S_shared)

    def blend_curve(self, steps: int = 11) -> list[tuple[float, float]]:
        return [(round(float(t), 6), self.frame(float(t)).asymmetry) for t in np.linspace(0.0, 1.0, steps)]


def compute(
    seed: int = 0, n: int = 8, d_model: int = 16, d_k: int = 8, sentence: str | None = None
) -> QKVDemo:
    return QKVDemo(seed=seed, n=n, d_model=d_model, d_k=d_k, sentence=sentence)


# --------------------------------------------------------------------------
# mini-experiment: previous-token attention, shared vs separate projections


def sinusoidal_pe(positions: np.ndarray, d: int, base: float = 10000.0) -> np.ndarray:
    """Vaswani et al. (2017) encoding, (…, d): [sin(p w_0), cos(p w_0), …]."""
    positions = np.asarray(positions, dtype=float)
    w = base ** (-np.arange(0, d, 2) / d)
    ang = positions[..., None] * w
    pe = np.empty(positions.shape + (d,))
    pe[..., 0::2] = np.sin(ang)
    pe[..., 1::2] = np.cos(ang)
    return pe


@dataclass(frozen=True)
class ExperimentConfig:
    n: int = 8  # tokens per sequence
    d_content: int = 8  # random content dims
    d_pe: int = 8  # sinusoidal positional dims
    d_k: int = 8
    pe_base: float = 100.0
    max_offset: int = 1000  # positions are offset+0..offset+n-1, offset ~ U[0, max_offset)
    batch: int = 64
    steps: int = 400
    lr: float = 0.05
    eval_sequences: int = 512
    eval_every: int = 20

    @property
    def d_model(self) -> int:
        return self.d_content + self.d_pe


def make_batch(rng: np.random.Generator, cfg: ExperimentConfig, batch: int) -> np.ndarray:
    """(batch, n, d_model): [content ; PE(offset + position)], random offset per sequence."""
    content = rng.standard_normal((batch, cfg.n, cfg.d_content))
    offset = rng.integers(0, cfg.max_offset, size=batch)
    pos = offset[:, None] + np.arange(cfg.n)[None, :]
    pe = sinusoidal_pe(pos, cfg.d_pe, cfg.pe_base)
    return np.concatenate([content, pe], axis=-1)


def _targets(n: int) -> np.ndarray:
    """One-hot (n, n): row i -> column i-1; row 0 has no target (all zero)."""
    Y = np.zeros((n, n))
    Y[np.arange(1, n), np.arange(0, n - 1)] = 1.0
    return Y


#: The attention masks of the controls: ``None`` (none), ``"causal"`` (j <= i),
#: ``"causal_no_self"`` (j < i; row 0 then has no key and is left out of the loss anyway).
MASKS: tuple[str | None, ...] = (None, "causal", "causal_no_self")

_MASKED = -1e30  # finite, so a fully masked row stays a (uniform, ignored) row instead of NaN


def allowed(n: int, mask: str | None) -> np.ndarray:
    """(n, n) boolean: which keys row i may attend to under ``mask``."""
    if mask is None:
        return np.ones((n, n), dtype=bool)
    if mask == "causal":
        return np.tril(np.ones((n, n), dtype=bool))
    if mask == "causal_no_self":
        return np.tril(np.ones((n, n), dtype=bool), -1)
    raise ValueError(f"unknown mask {mask!r}")


def attention(W_Q: np.ndarray, W_K: np.ndarray, X: np.ndarray, mask: str | None = None) -> np.ndarray:
    """Row-softmax attention (B, n, n) of scores X W_Q (X W_K)^T / sqrt(d_k) under ``mask``."""
    n = X.shape[1]
    S = ((X @ W_Q) @ (X @ W_K).transpose(0, 2, 1)) / math.sqrt(W_Q.shape[1])
    S = np.where(allowed(n, mask), S, _MASKED)
    S = S - S.max(axis=-1, keepdims=True)
    E = np.exp(S)
    return E / E.sum(axis=-1, keepdims=True)


def chance_accuracy(n: int, mask: str | None = None) -> float:
    """Accuracy of a uniform guess over the keys each row (1..n-1) may see."""
    ok = allowed(n, mask)
    return float(np.mean([1.0 / ok[i].sum() for i in range(1, n)]))


def uniform_loss(n: int, mask: str | None = None) -> float:
    """Cross-entropy of uniform attention over the allowed keys (log n with no mask)."""
    ok = allowed(n, mask)
    return float(np.mean([math.log(ok[i].sum()) for i in range(1, n)]))


def loss_and_grads(
    W_Q: np.ndarray, W_K: np.ndarray, X: np.ndarray, shared: bool, mask: str | None = None
) -> tuple[float, float, np.ndarray, np.ndarray | None]:
    """Cross-entropy of each attention row (positions 1..n-1) against the
    one-hot previous position, with hand-derived gradients.

    The attention rows are supervised directly: there is no W_V and no output,
    so this measures what the *scores* can express.  ``mask`` hides keys
    (see :data:`MASKS`); a hidden key gets weight 0 and no gradient.

    Returns (loss, accuracy, dW_Q, dW_K); for ``shared`` W_K is ignored (W_Q
    is used as both projections), the single gradient is returned as dW_Q and
    dW_K is None."""
    B, n, _ = X.shape
    if shared:
        W_K = W_Q
    c = 1.0 / math.sqrt(W_Q.shape[1])
    Q = X @ W_Q  # (B, n, k)
    K = X @ W_K
    A = attention(W_Q, W_K, X, mask)
    Y = _targets(n)
    N = B * (n - 1)
    rows = np.arange(1, n)
    p_prev = A[:, rows, rows - 1]
    loss = float(-np.log(np.maximum(p_prev, 1e-300)).sum() / N)
    acc = float((A[:, 1:, :].argmax(axis=-1) == (rows - 1)[None, :]).mean())
    rowmask = np.zeros((n, 1))
    rowmask[1:] = 1.0
    G = (A - Y) * rowmask / N  # dL/dS (A is 0 on hidden keys, so they get no gradient)
    dQ = (G @ K) * c
    dK = (G.transpose(0, 2, 1) @ Q) * c
    Xf = X.reshape(B * n, -1)
    dWq = Xf.T @ dQ.reshape(B * n, -1)
    dWk = Xf.T @ dK.reshape(B * n, -1)
    if shared:
        return loss, acc, dWq + dWk, None
    return loss, acc, dWq, dWk


@dataclass(frozen=True)
class LearnedAttention:
    """Mean attention weight of rows 1..n-2 on themselves and their two neighbours."""

    self: float
    prev: float
    next: float


def learned_attention(W_Q: np.ndarray, W_K: np.ndarray, X: np.ndarray, mask: str | None = None) -> LearnedAttention:
    A = attention(W_Q, W_K, X, mask)
    n = X.shape[1]
    rows = np.arange(1, n - 1)
    return LearnedAttention(
        self=float(A[:, rows, rows].mean()),
        prev=float(A[:, rows, rows - 1].mean()),
        next=float(A[:, rows, rows + 1].mean()),
    )


class _Adam:
    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        self.params = params
        self.lr = lr
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2, eps = 0.9, 0.999, 1e-8
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            mhat = m / (1 - b1**self.t)
            vhat = v / (1 - b2**self.t)
            p -= self.lr * mhat / (np.sqrt(vhat) + eps)


@dataclass
class Curves:
    loss: list[float] = field(default_factory=list)
    acc: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class ControlResult:
    """A shared-W control trained under an attention mask: final held-out figures."""

    mask: str
    acc: float
    loss: float
    chance_acc: float  # uniform guess over the keys the mask leaves
    uniform_loss: float


@dataclass(frozen=True)
class ExperimentResult:
    seed: int
    config: ExperimentConfig
    steps: list[int]  # evaluation steps
    shared: Curves  # held-out loss / accuracy at each evaluation step
    separate: Curves
    shared_acc: float  # final held-out accuracy
    separate_acc: float
    shared_loss: float  # final held-out loss
    separate_loss: float
    chance_acc: float
    uniform_loss: float  # log n: the loss of uniform attention
    shared_attention: LearnedAttention  # what the shared W learned instead
    controls: dict[str, ControlResult]  # "shared_causal", "shared_causal_no_self"
    elapsed_ms: float

    @property
    def separate_wins(self) -> bool:
        if self.separate_acc != self.shared_acc:
            return self.separate_acc > self.shared_acc
        return self.separate_loss < self.shared_loss


@dataclass(frozen=True)
class ExperimentProgress:
    step: int
    total: int
    steps: list[int]
    shared: Curves
    separate: Curves
    result: ExperimentResult | None = None  # set on the final item

    @property
    def done(self) -> bool:
        return self.result is not None


#: control name -> attention mask; each is one more shared W trained on the same batches
CONTROLS: dict[str, str] = {"shared_causal": "causal", "shared_causal_no_self": "causal_no_self"}


def run_experiment(
    seed: int = 0, config: ExperimentConfig | None = None
) -> Iterator[ExperimentProgress]:
    """Train shared vs separate projections (and the masked shared controls)
    in lockstep on the same batches; yield progress after every evaluation
    (partial held-out curves).  The last item carries the
    :class:`ExperimentResult`.  Deterministic per seed."""
    cfg = config or ExperimentConfig()
    t0 = time.perf_counter()
    root = np.random.SeedSequence([int(seed), 0x51CE])
    init_ss, data_ss, eval_ss = root.spawn(3)
    init = np.random.default_rng(init_ss)
    data = np.random.default_rng(data_ss)
    X_eval = make_batch(np.random.default_rng(eval_ss), cfg, cfg.eval_sequences)

    scale = 1.0 / math.sqrt(cfg.d_model)
    Wq = init.standard_normal((cfg.d_model, cfg.d_k)) * scale
    Wk = init.standard_normal((cfg.d_model, cfg.d_k)) * scale
    W = Wq.copy()  # shared model starts from the separate model's W_Q
    opt_shared = _Adam([W], cfg.lr)
    opt_sep = _Adam([Wq, Wk], cfg.lr)
    W_ctl = {name: Wq.copy() for name in CONTROLS}  # the controls start there too
    opt_ctl = {name: _Adam([W_ctl[name]], cfg.lr) for name in CONTROLS}

    steps: list[int] = []
    shared, separate = Curves(), Curves()

    def evaluate(step: int) -> None:
        ls, as_, _, _ = loss_and_grads(W, W, X_eval, shared=True)
        lp, ap, _, _ = loss_and_grads(Wq, Wk, X_eval, shared=False)
        steps.append(step)
        shared.loss.append(ls)
        shared.acc.append(as_)
        separate.loss.append(lp)
        separate.acc.append(ap)

    def snapshot(step: int, result: ExperimentResult | None = None) -> ExperimentProgress:
        return ExperimentProgress(
            step=step,
            total=cfg.steps,
            steps=list(steps),
            shared=Curves(list(shared.loss), list(shared.acc)),
            separate=Curves(list(separate.loss), list(separate.acc)),
            result=result,
        )

    evaluate(0)
    yield snapshot(0)
    for step in range(1, cfg.steps + 1):
        X = make_batch(data, cfg, cfg.batch)
        _, _, gW, _ = loss_and_grads(W, W, X, shared=True)
        opt_shared.step([gW])
        _, _, gq, gk = loss_and_grads(Wq, Wk, X, shared=False)
        opt_sep.step([gq, gk])  # type: ignore[list-item]
        for name, mask in CONTROLS.items():
            _, _, gc, _ = loss_and_grads(W_ctl[name], W_ctl[name], X, shared=True, mask=mask)
            opt_ctl[name].step([gc])
        if step % cfg.eval_every == 0 or step == cfg.steps:
            evaluate(step)
            if step < cfg.steps:
                yield snapshot(step)

    controls = {}
    for name, mask in CONTROLS.items():
        loss, acc, _, _ = loss_and_grads(W_ctl[name], W_ctl[name], X_eval, shared=True, mask=mask)
        controls[name] = ControlResult(
            mask=mask, acc=acc, loss=loss, chance_acc=chance_accuracy(cfg.n, mask), uniform_loss=uniform_loss(cfg.n, mask)
        )
    result = ExperimentResult(
        seed=int(seed),
        config=cfg,
        steps=list(steps),
        shared=Curves(list(shared.loss), list(shared.acc)),
        separate=Curves(list(separate.loss), list(separate.acc)),
        shared_acc=shared.acc[-1],
        separate_acc=separate.acc[-1],
        shared_loss=shared.loss[-1],
        separate_loss=separate.loss[-1],
        chance_acc=1.0 / cfg.n,
        uniform_loss=uniform_loss(cfg.n),
        shared_attention=learned_attention(W, W, X_eval),
        controls=controls,
        elapsed_ms=(time.perf_counter() - t0) * 1000.0,
    )
    yield snapshot(cfg.steps, result)


def experiment(seed: int = 0, config: ExperimentConfig | None = None) -> ExperimentResult:
    """Run :func:`run_experiment` to completion."""
    last = None
    for last in run_experiment(seed, config):
        pass
    assert last is not None and last.result is not None
    return last.result


# --------------------------------------------------------------------------
# JSON figures


def figures(
    seed: int = 0,
    n: int = 8,
    d_model: int = 16,
    d_k: int = 8,
    sentence: str | None = None,
    experiment_steps: int | None = None,
) -> dict:
    """Plain-JSON summary for ``trainer demo qkv-symmetry --json``."""
    t0 = time.perf_counter()
    demo = QKVDemo(seed=seed, n=n, d_model=d_model, d_k=d_k, sentence=sentence)
    cfg = ExperimentConfig()
    if experiment_steps is not None:
        cfg = ExperimentConfig(steps=int(experiment_steps))
    res = experiment(seed, cfg)
    checks = demo.checks()
    pair = demo.softmax_pair()
    return {
        "demo": "qkv-symmetry",
        "seed": int(seed),
        "shape": {"n": demo.n, "d_model": demo.d_model, "d_k": demo.d_k},
        "labels": list(demo.labels),
        "tokens": "sentence words, random embeddings (the pattern means nothing linguistically)"
        if sentence
        else "random vectors",
        "asymmetry": {
            "shared": asymmetry(demo.S_shared),
            "separate": asymmetry(demo.S_separate),
        },
        "blend_curve": [[t, a] for t, a in demo.blend_curve(11)],
        "checks": {k: (bool(v) if isinstance(v, (bool, np.bool_)) else float(v)) for k, v in asdict(checks).items()},
        "softmax_pair": {
            k: (int(v) if k in ("i", "j") else float(v)) for k, v in asdict(pair).items()
        },
        "experiment": {
            "task": "attend to the previous token (random content, sinusoidal PE at a random offset)",
            "supervision": "attention rows are supervised directly (cross-entropy on the previous position); no W_V",
            "steps": res.config.steps,
            "eval_sequences": res.config.eval_sequences,
            "chance_acc": res.chance_acc,
            "uniform_loss": res.uniform_loss,
            "shared": {"acc": res.shared_acc, "loss": res.shared_loss},
            "separate": {"acc": res.separate_acc, "loss": res.separate_loss},
            "shared_learned_attention": asdict(res.shared_attention),
            "controls": {
                name: {"acc": c.acc, "loss": c.loss, "mask": c.mask, "chance_acc": c.chance_acc,
                       "uniform_loss": c.uniform_loss}
                for name, c in res.controls.items()
            },
            "separate_wins": bool(res.separate_wins),
            "elapsed_ms": res.elapsed_ms,
        },
        "elapsed_ms": (time.perf_counter() - t0) * 1000.0,
    }
