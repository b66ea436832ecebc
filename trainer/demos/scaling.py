"""sqrt-dk-scaling: why attention divides scores by sqrt(d_k).

For q, k with iid N(0, 1) components, Var(q.k) = d_k.  Unscaled scores
therefore grow like sqrt(d_k), the row softmax saturates (max weight -> 1) and
its Jacobian diag(a) - a a^T collapses (vanishing gradients).  Dividing by
sqrt(d_k) keeps Var ~ 1 at every width.  Pure NumPy, seeded, no Textual.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["DK_VALUES", "jac_raw_not_smaller_at", "ScalingFrame", "ScalingResult", "ScalingRow", "compute", "figures", "frame"]

DK_VALUES: tuple[int, ...] = (4, 16, 64, 256, 1024)
#: the live parameter steps through these widths
DK_LADDER: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def softmax(s: np.ndarray) -> np.ndarray:
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def jacobian_norm(a: np.ndarray) -> np.ndarray:
    """Frobenius norm of diag(a) - a a^T for each row of ``a`` (…, n)."""
    # ||diag(a) - a a^T||_F^2 = sum a_i^2 - 2 sum a_i^3 + (sum a_i^2)^2
    s2 = (a * a).sum(axis=-1)
    s3 = (a * a * a).sum(axis=-1)
    return np.sqrt(np.maximum(s2 - 2.0 * s3 + s2 * s2, 0.0))


@dataclass(frozen=True)
class ScalingRow:
    d_k: int
    var_raw: float  # empirical Var(q.k)
    var_scaled: float  # empirical Var(q.k / sqrt(d_k)) = var_raw / d_k  (~1)
    max_attn_raw: float  # mean over rows of max softmax weight, unscaled
    max_attn_scaled: float
    jac_norm_raw: float  # mean ||diag(a) - a a^T||_F, unscaled
    jac_norm_scaled: float


@dataclass(frozen=True)
class ScalingResult:
    seed: int
    n_scores: int
    samples: int
    rows: list[ScalingRow]


@dataclass(frozen=True)
class ScalingFrame:
    """One softmax row at width d_k, unscaled vs scaled (for the live view)."""

    d_k: int
    scores_raw: np.ndarray
    weights_raw: np.ndarray
    weights_scaled: np.ndarray
    max_raw: float
    max_scaled: float
    jac_raw: float
    jac_scaled: float


def _row(rng: np.random.Generator, d_k: int, samples: int, n_scores: int, trials: int) -> ScalingRow:
    # variance of q.k, in chunks to bound memory at large d_k
    dots = []
    left = samples
    while left > 0:
        m = min(left, 1024)
        q = rng.standard_normal((m, d_k))
        k = rng.standard_normal((m, d_k))
        dots.append((q * k).sum(axis=1))
        left -= m
    dot = np.concatenate(dots)
    var_raw = float(dot.var())
    # softmax rows of n_scores keys against one query
    q = rng.standard_normal((trials, 1, d_k))
    K = rng.standard_normal((trials, n_scores, d_k))
    s = (q * K).sum(axis=-1)  # (trials, n_scores)
    a_raw = softmax(s)
    a_scl = softmax(s / math.sqrt(d_k))
    return ScalingRow(
        d_k=int(d_k),
        var_raw=var_raw,
        var_scaled=var_raw / d_k,
        max_attn_raw=float(a_raw.max(axis=-1).mean()),
        max_attn_scaled=float(a_scl.max(axis=-1).mean()),
        jac_norm_raw=float(jacobian_norm(a_raw).mean()),
        jac_norm_scaled=float(jacobian_norm(a_scl).mean()),
    )


def compute(
    seed: int = 0,
    d_ks: tuple[int, ...] = DK_VALUES,
    samples: int = 4096,
    n_scores: int = 16,
    trials: int = 256,
) -> ScalingResult:
    root = np.random.SeedSequence([int(seed), 0x5CA1E])
    rows = [
        _row(np.random.default_rng(ss), d, samples, n_scores, trials)
        for d, ss in zip(d_ks, root.spawn(len(d_ks)))
    ]
    return ScalingResult(seed=int(seed), n_scores=n_scores, samples=samples, rows=rows)


def frame(d_k: int, seed: int = 0, n_scores: int = 16) -> ScalingFrame:
    """One query against ``n_scores`` keys at width d_k (seeded per d_k)."""
    rng = np.random.default_rng([int(seed), int(d_k), 0xF4A3E])
    q = rng.standard_normal(d_k)
    K = rng.standard_normal((n_scores, d_k))
    s = K @ q
    a_raw = softmax(s)
    a_scl = softmax(s / math.sqrt(d_k))
    return ScalingFrame(
        d_k=int(d_k),
        scores_raw=s,
        weights_raw=a_raw,
        weights_scaled=a_scl,
        max_raw=float(a_raw.max()),
        max_scaled=float(a_scl.max()),
        jac_raw=float(jacobian_norm(a_raw)),
        jac_scaled=float(jacobian_norm(a_scl)),
    )


def jac_raw_not_smaller_at(res: ScalingResult) -> list[int]:
    """The widths at which the unscaled softmax Jacobian is at least as large as the scaled one.

    Near-uniform rows (small d_k) have a *smaller* Jacobian than moderately peaked ones, so
    scaling only protects gradients once unscaled scores have grown enough to saturate."""
    return [r.d_k for r in res.rows if r.jac_norm_raw >= r.jac_norm_scaled]


def figures(seed: int = 0, n_scores: int = 16) -> dict:
    t0 = time.perf_counter()
    res = compute(seed=seed, n_scores=n_scores)
    return {
        "demo": "sqrt-dk-scaling",
        "seed": int(seed),
        "n_scores": res.n_scores,
        "samples": res.samples,
        "rows": [{k: (int(v) if k == "d_k" else float(v)) for k, v in asdict(r).items()} for r in res.rows],
        # the prediction the card makes: at small d_k the unscaled Jacobian is not the smaller one
        "jac_raw_not_smaller_at": jac_raw_not_smaller_at(res),
        "elapsed_ms": (time.perf_counter() - t0) * 1000.0,
    }
