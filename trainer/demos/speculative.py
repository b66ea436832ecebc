"""speculative-sampling: the accept/resample rule keeps the target distribution.

A draft model proposes x ~ q; the target accepts it with probability min(1, p(x)/q(x)),
otherwise it samples from the residual norm(max(0, p − q)).  The output is distributed
exactly as p (Leviathan et al. 2023, "Fast Inference from Transformers via Speculative
Decoding", §2.3 and Appendix A.1; Chen et al. 2023, Theorem 1).  The acceptance rate is
α = Σ_x min(p(x), q(x)), and with γ drafts per verification and i.i.d. acceptances a
round yields (1 − α^(γ+1)) / (1 − α) tokens on average (Leviathan et al. §3.1, Eq. 1).

Pure NumPy, seeded; the sampling is vectorised over all draws.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

__all__ = ["GAMMAS", "SpecResult", "compute", "expected_tokens", "figures", "speculative_sample", "tv"]

#: the live parameter steps through these draft lengths
GAMMAS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 8, 10)


def tv(a: np.ndarray, b: np.ndarray) -> float:
    """Total variation distance ½ Σ |a − b|."""
    return 0.5 * float(np.abs(np.asarray(a) - np.asarray(b)).sum())


def expected_tokens(alpha: float, gamma: int) -> float:
    """(1 − α^(γ+1)) / (1 − α): accepted drafts plus the one token the target always adds."""
    if alpha >= 1.0:
        return float(gamma + 1)
    return (1.0 - alpha ** (gamma + 1)) / (1.0 - alpha)


def _sample(rng: np.random.Generator, probs: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(probs), rng.random(n), side="right"), len(probs) - 1)


def speculative_sample(p: np.ndarray, q: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n tokens by the speculative rule; returns (tokens, accepted mask)."""
    x = _sample(rng, q, n)
    accept = rng.random(n) < np.minimum(1.0, p[x] / q[x])
    residual = np.maximum(p - q, 0.0)
    total = residual.sum()
    out = x.copy()
    rejected = ~accept
    if total > 0 and rejected.any():
        out[rejected] = _sample(rng, residual / total, int(rejected.sum()))
    return out, accept


def simulate_rounds(alpha: float, gamma: int, rounds: int, rng: np.random.Generator) -> float:
    """Mean tokens per verification when each draft is accepted independently with prob α."""
    acc = rng.random((rounds, gamma)) < alpha
    prefix = np.cumprod(acc, axis=1).sum(axis=1)  # drafts accepted before the first rejection
    return float((prefix + 1).mean())


@dataclass(frozen=True)
class SpecResult:
    p: np.ndarray
    q: np.ndarray
    draws: int
    empirical: np.ndarray
    tv_distance: float
    tv_draft_only: float  # what sampling the draft alone would cost
    acceptance: float
    expected_acceptance: float
    gamma: int
    tokens_per_round: float  # simulated
    expected_tokens_per_round: float


def distributions(seed: int, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """A target p and a draft q that roughly agrees with it (a perturbed copy)."""
    rng = np.random.default_rng([int(seed), 0x5BEC])
    logits = rng.standard_normal(vocab) * 1.5
    p = np.exp(logits) / np.exp(logits).sum()
    ql = logits + rng.standard_normal(vocab) * 0.8
    q = np.exp(ql) / np.exp(ql).sum()
    return p, q


def compute(seed: int = 0, vocab: int = 8, draws: int = 200_000, gamma: int = 4) -> SpecResult:
    p, q = distributions(seed, vocab)
    rng = np.random.default_rng([int(seed), 0xD2A5])
    tokens, accepted = speculative_sample(p, q, int(draws), rng)
    emp = np.bincount(tokens, minlength=vocab) / draws
    alpha = float(np.minimum(p, q).sum())
    return SpecResult(
        p=p,
        q=q,
        draws=int(draws),
        empirical=emp,
        tv_distance=tv(emp, p),
        tv_draft_only=tv(q, p),
        acceptance=float(accepted.mean()),
        expected_acceptance=alpha,
        gamma=int(gamma),
        tokens_per_round=simulate_rounds(alpha, int(gamma), 100_000, rng),
        expected_tokens_per_round=expected_tokens(alpha, int(gamma)),
    )


def figures(seed: int = 0, vocab: int = 8, draws: int = 200_000, gamma: int = 4) -> dict:
    t0 = time.perf_counter()
    r = compute(seed=seed, vocab=vocab, draws=draws, gamma=gamma)
    return {
        "demo": "speculative-sampling",
        "seed": int(seed),
        "vocab": len(r.p),
        "draws": r.draws,
        "p": r.p.tolist(),
        "q": r.q.tolist(),
        "empirical": r.empirical.tolist(),
        "tv_distance": r.tv_distance,
        "tv_draft_only": r.tv_draft_only,
        "acceptance": r.acceptance,
        "expected_acceptance": r.expected_acceptance,
        "gamma": r.gamma,
        "tokens_per_round": r.tokens_per_round,
        "expected_tokens_per_round": r.expected_tokens_per_round,
        "elapsed_ms": (time.perf_counter() - t0) * 1000.0,
    }
