"""positional-encoding: sinusoidal PE (Vaswani et al. 2017).

PE(p)_{2i} = sin(p w_i), PE(p)_{2i+1} = cos(p w_i), w_i = base^(-2i/d).

* PE(p).PE(p+k) = sum_i cos(k w_i) depends only on k: the Gram matrix of the
  encodings is Toeplitz (constant along each diagonal).
* PE(p+k) = M_k PE(p) where M_k is block-diagonal with 2x2 rotations
  [[cos k w_i, sin k w_i], [-sin k w_i, cos k w_i]] that do not depend on p.

Pure NumPy, deterministic, no Textual.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

__all__ = ["even_in_k_deviation", "projected_scores", "PosEncFrame", "PosEncResult", "compute", "figures", "frame", "gram", "rotation", "sinusoidal"]


def sinusoidal(n_pos: int, d_model: int, base: float = 10000.0, start: int = 0) -> np.ndarray:
    """(n_pos, d_model) encodings of positions start..start+n_pos-1."""
    if d_model % 2:
        raise ValueError("d_model must be even")
    p = np.arange(start, start + n_pos, dtype=float)[:, None]
    w = base ** (-np.arange(0, d_model, 2, dtype=float) / d_model)
    ang = p * w
    pe = np.empty((n_pos, d_model))
    pe[:, 0::2] = np.sin(ang)
    pe[:, 1::2] = np.cos(ang)
    return pe


def frequencies(d_model: int, base: float = 10000.0) -> np.ndarray:
    return base ** (-np.arange(0, d_model, 2, dtype=float) / d_model)


def rotation(k: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """M_k with PE(p+k) = M_k PE(p) for every p."""
    M = np.zeros((d_model, d_model))
    for i, w in enumerate(frequencies(d_model, base)):
        c, s = np.cos(k * w), np.sin(k * w)
        a = 2 * i
        M[a, a], M[a, a + 1] = c, s
        M[a + 1, a], M[a + 1, a + 1] = -s, c
    return M


def gram(pe: np.ndarray) -> np.ndarray:
    return pe @ pe.T


def toeplitz_deviation(G: np.ndarray) -> float:
    """max over diagonals of (max - min) along the diagonal."""
    n = G.shape[0]
    dev = 0.0
    for off in range(-(n - 1), n):
        d = np.diagonal(G, offset=off)
        dev = max(dev, float(d.max() - d.min()))
    return dev


def rotation_error(k: int, pe: np.ndarray, d_model: int, base: float = 10000.0) -> float:
    """max_p |PE(p+k) - M_k PE(p)| over the available positions."""
    if k >= pe.shape[0]:
        return 0.0
    M = rotation(k, d_model, base)
    return float(np.abs(pe[k:] - pe[:-k or None] @ M.T).max()) if k else float(np.abs(pe - pe @ M.T).max())


def projected_scores(pe: np.ndarray, seed: int = 0, d_k: int | None = None) -> np.ndarray:
    """Position-position scores (PE W_Q)(PE W_K)^T / sqrt(d_k) after random projections.

    The card's caveat: the model never sees PE(p).PE(q) itself, and W_Q^T W_K mixes the
    (sin, cos) pairs, so the score is no longer a function of q - p alone."""
    d_model = pe.shape[1]
    d_k = d_k or d_model
    rng = np.random.default_rng([int(seed), 0x9E0])
    Wq = rng.standard_normal((d_model, d_k)) / np.sqrt(d_model)
    Wk = rng.standard_normal((d_model, d_k)) / np.sqrt(d_model)
    return (pe @ Wq) @ (pe @ Wk).T / np.sqrt(d_k)


def even_in_k_deviation(G: np.ndarray) -> float:
    """max_{p,k} |G[p, p+k] - G[p, p-k]|: the raw dot product cannot tell before from after."""
    n = G.shape[0]
    dev = 0.0
    for k in range(1, n // 2 + 1):
        p = np.arange(k, n - k)
        if p.size:
            dev = max(dev, float(np.abs(G[p, p + k] - G[p, p - k]).max()))
    return dev


def relative_spread(G: np.ndarray) -> float:
    """toeplitz_deviation relative to the matrix's own range (order 1 = not relative at all)."""
    rng_ = float(G.max() - G.min())
    return toeplitz_deviation(G) / rng_ if rng_ else 0.0


@dataclass(frozen=True)
class PosEncResult:
    d_model: int
    n_pos: int
    base: float
    toeplitz_deviation: float
    rotation_errors: dict[int, float]  # k -> max error
    dot_by_offset: list[float]  # PE(0).PE(k), k = 0..n_pos-1
    even_in_k_deviation: float  # max |PE(p).PE(p+k) - PE(p).PE(p-k)|  (~1e-15)
    projected_toeplitz_deviation: float  # same Toeplitz check after random W_Q, W_K (order 1)
    projected_relative_spread: float  # that deviation / the projected scores' range


@dataclass(frozen=True)
class PosEncFrame:
    """Live view at offset k: the Gram matrix and the rotation check."""

    k: int
    d_model: int
    gram: np.ndarray  # (n_show, n_show)
    dot_k: float  # PE(p).PE(p+k)  (same for every p)
    dot_k_spread: float  # max - min over p of PE(p).PE(p+k)
    rotation_error: float
    dot_by_offset: np.ndarray


def compute(seed: int = 0, d_model: int = 16, n_pos: int = 64, base: float = 10000.0,
            ks: tuple[int, ...] = (1, 2, 5, 10, 25)) -> PosEncResult:
    """The encoding is deterministic; ``seed`` draws only the random W_Q, W_K of the caveat."""
    pe = sinusoidal(n_pos, d_model, base)
    G = gram(pe)
    P = projected_scores(pe, seed)
    return PosEncResult(
        d_model=d_model,
        n_pos=n_pos,
        base=base,
        toeplitz_deviation=toeplitz_deviation(G),
        rotation_errors={int(k): rotation_error(k, pe, d_model, base) for k in ks},
        dot_by_offset=[float(x) for x in G[0]],
        even_in_k_deviation=even_in_k_deviation(G),
        projected_toeplitz_deviation=toeplitz_deviation(P),
        projected_relative_spread=relative_spread(P),
    )


def frame(k: int, d_model: int = 16, n_pos: int = 64, n_show: int = 12, base: float = 10000.0) -> PosEncFrame:
    pe = sinusoidal(n_pos, d_model, base)
    G = gram(pe)
    k = int(max(0, min(k, n_pos - 1)))
    diag = np.diagonal(G, offset=k)
    return PosEncFrame(
        k=k,
        d_model=d_model,
        gram=G[:n_show, :n_show],
        dot_k=float(diag[0]),
        dot_k_spread=float(diag.max() - diag.min()),
        rotation_error=rotation_error(k, pe, d_model, base),
        dot_by_offset=G[0].copy(),
    )


def figures(seed: int = 0, d_model: int = 16, n_pos: int = 64) -> dict:
    t0 = time.perf_counter()
    res = compute(seed=seed, d_model=d_model, n_pos=n_pos)
    return {
        "demo": "positional-encoding",
        "seed": int(seed),
        "d_model": res.d_model,
        "n_pos": res.n_pos,
        "base": res.base,
        "toeplitz_deviation": res.toeplitz_deviation,
        "rotation_errors": {str(k): v for k, v in res.rotation_errors.items()},
        "dot_by_offset": res.dot_by_offset[:17],
        "even_in_k_deviation": res.even_in_k_deviation,
        "projected": {
            "note": "scores (PE W_Q)(PE W_K)^T/sqrt(d_k) with random W_Q, W_K: no longer a function of the offset",
            "toeplitz_deviation": res.projected_toeplitz_deviation,
            "relative_spread": res.projected_relative_spread,
        },
        "elapsed_ms": (time.perf_counter() - t0) * 1000.0,
    }
