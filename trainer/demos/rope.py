"""rope-relative: RoPE scores depend only on n − m; extending the context moves angles out of range.

* RoPE rotates each pair (2i, 2i+1) of q and k by p·θ_i, θ_i = base^(-2i/d).  Because
  R_m^T R_n = R_(n-m), (R_m q)^T (R_n k) = q^T R_(n-m) k: with the same q, k at every
  position the score matrix is Toeplitz (constant along diagonals) to rounding error.
* Additive sinusoidal PE after projection, (W_Q(c + PE_m))^T (W_K(c + PE_n)), has cross
  terms c^T W_Q^T W_K PE_n that depend on the absolute position: not Toeplitz.
* Past the training length L, pairs whose angle never wrapped during training
  (L·θ_i < 2π) see angles they never saw.  Position interpolation (Chen et al. 2023)
  divides positions by the extension factor s; NTK-aware scaling raises the base to
  base·s^(d/(d−2)) so the slowest pair is interpolated and fast pairs barely move.

The rotation uses the interleaved pair layout (Su et al. 2021, Eq. 34); the rotate-half layout
(GPT-NeoX / Hugging Face) pairs i with i + d/2 and gives the same scores up to a permutation.
Pure NumPy, seeded.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from trainer.demos.posenc import sinusoidal, toeplitz_deviation

__all__ = ["RopeResult", "SCALES", "compute", "figures", "frequencies", "out_of_range_share", "rope_rotate"]

#: the live parameter steps through these extension factors
SCALES: tuple[int, ...] = (1, 2, 4, 8, 16, 32)


def frequencies(d: int, base: float = 10000.0) -> np.ndarray:
    return base ** (-np.arange(0, d, 2, dtype=float) / d)


def rope_rotate(x: np.ndarray, positions: np.ndarray, base: float = 10000.0) -> np.ndarray:
    """Rotate x (d,) or (n, d) at ``positions`` (n,): pair (2i, 2i+1) by p·θ_i."""
    x = np.broadcast_to(x, (len(positions), x.shape[-1]))
    ang = np.asarray(positions, dtype=float)[:, None] * frequencies(x.shape[-1], base)[None, :]
    c, s = np.cos(ang), np.sin(ang)
    out = np.empty_like(x, dtype=float)
    out[:, 0::2] = x[:, 0::2] * c - x[:, 1::2] * s
    out[:, 1::2] = x[:, 0::2] * s + x[:, 1::2] * c
    return out


def rope_scores(q: np.ndarray, k: np.ndarray, n_pos: int, base: float = 10000.0) -> np.ndarray:
    """S[m, n] = (R_m q)^T (R_n k) for the same q, k at every position."""
    pos = np.arange(n_pos)
    return rope_rotate(q, pos, base) @ rope_rotate(k, pos, base).T


def additive_scores(c: np.ndarray, Wq: np.ndarray, Wk: np.ndarray, n_pos: int) -> np.ndarray:
    """S[m, n] = (W_Q (c + PE_m))^T (W_K (c + PE_n)): one content vector at every position."""
    X = c[None, :] + sinusoidal(n_pos, c.shape[0])
    return (X @ Wq) @ (X @ Wk).T


def out_of_range_share(d: int, train_len: int, scale: int, scheme: str, base: float = 10000.0) -> float:
    """Share of (position, pair) angles at positions L..sL−1 that training never produced.

    A pair whose angle wrapped past 2π during training has seen every angle; otherwise
    the trained angles are [0, (L−1)·θ_i].  ``scheme``: "none", "pi" (positions ÷ s) or
    "ntk" (base × s^(d/(d−2)))."""
    if scale <= 1:
        return 0.0
    theta = frequencies(d, base)
    wrapped = train_len * theta >= 2 * math.pi
    pos = np.arange(train_len, train_len * scale, dtype=float)
    if scheme == "none":
        ang = pos[:, None] * theta[None, :]
    elif scheme == "pi":
        ang = (pos / scale)[:, None] * theta[None, :]
    elif scheme == "ntk":
        ang = pos[:, None] * frequencies(d, base * scale ** (d / (d - 2)))[None, :]
    else:
        raise ValueError(f"unknown scheme {scheme!r}")
    outside = (ang > (train_len - 1) * theta[None, :] + 1e-9) & ~wrapped[None, :]
    return float(outside.mean())


@dataclass(frozen=True)
class RopeResult:
    d_head: int
    n_pos: int
    rope_scores: np.ndarray
    additive_scores: np.ndarray
    rope_toeplitz_dev: float
    additive_projected_toeplitz_dev: float
    additive_range: float  # max - min of the additive scores (to read the deviation against)
    train_len: int
    scale: int
    unwrapped_pairs: int  # pairs with L·θ_i < 2π
    out_of_range: dict[str, float]  # scheme -> share


def compute(seed: int = 0, d_head: int = 128, train_len: int = 4096, scale: int = 4,
            n_pos: int = 48, base: float = 10000.0) -> RopeResult:
    rng = np.random.default_rng([int(seed), 0x2095E])
    q, k = rng.standard_normal(d_head), rng.standard_normal(d_head)
    c = rng.standard_normal(d_head)
    Wq = rng.standard_normal((d_head, d_head)) / math.sqrt(d_head)
    Wk = rng.standard_normal((d_head, d_head)) / math.sqrt(d_head)
    R = rope_scores(q, k, n_pos, base)
    A = additive_scores(c, Wq, Wk, n_pos)
    theta = frequencies(d_head, base)
    return RopeResult(
        d_head=d_head,
        n_pos=n_pos,
        rope_scores=R,
        additive_scores=A,
        rope_toeplitz_dev=toeplitz_deviation(R),
        additive_projected_toeplitz_dev=toeplitz_deviation(A),
        additive_range=float(A.max() - A.min()),
        train_len=train_len,
        scale=scale,
        unwrapped_pairs=int((train_len * theta < 2 * math.pi).sum()),
        out_of_range={s: out_of_range_share(d_head, train_len, scale, s, base) for s in ("none", "pi", "ntk")},
    )


def figures(seed: int = 0, d_head: int = 128, train_len: int = 4096, scale: int = 4) -> dict:
    t0 = time.perf_counter()
    r = compute(seed=seed, d_head=d_head, train_len=train_len, scale=scale)
    return {
        "demo": "rope-relative",
        "seed": int(seed),
        "d_head": r.d_head,
        "n_pos": r.n_pos,
        "rope_toeplitz_dev": r.rope_toeplitz_dev,
        "additive_projected_toeplitz_dev": r.additive_projected_toeplitz_dev,
        "additive_score_range": r.additive_range,
        "extension": {
            "train_len": r.train_len,
            "scale": r.scale,
            "pairs": r.d_head // 2,
            "unwrapped_pairs": r.unwrapped_pairs,
            "out_of_range_share": {
                "none": r.out_of_range["none"],
                "position_interpolation": r.out_of_range["pi"],
                "ntk_scaling": r.out_of_range["ntk"],
            },
        },
        "elapsed_ms": (time.perf_counter() - t0) * 1000.0,
    }
