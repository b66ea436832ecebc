"""dpo-bandit: Direct Preference Optimization on a K-armed toy.

Each arm is a response.  A hidden reward r scores the arms; pairs (a, b) are drawn from
the reference policy π_ref and labelled by Bradley–Terry, P(a ≻ b) = σ(r_a − r_b).
DPO (Rafailov et al. 2023, §4, Eq. 7) minimises

    −log σ(β [log π(w)/π_ref(w) − log π(l)/π_ref(l)])

over the pairs.  Its optimum is the KL-regularised RLHF optimum π ∝ π_ref · exp(r/β)
(ibid. Eq. 4), so h = log π/π_ref tracks r/β up to a constant, and a smaller β moves the
policy further from the reference.  The policy is a softmax over K logits, fitted here by
Newton's method on the (convex) DPO loss.  Pure NumPy, seeded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

__all__ = ["BETAS", "BetaRow", "DPOResult", "compute", "dpo_fit", "figures", "preference_counts"]

#: the live parameter steps through these β
BETAS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
CORR_BETA = 0.1


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def bandit(seed: int, arms: int) -> tuple[np.ndarray, np.ndarray]:
    """(hidden reward r, reference policy π_ref)."""
    rng = np.random.default_rng([int(seed), 0xD90])
    r = rng.standard_normal(arms)
    ref = _softmax(rng.standard_normal(arms) * 0.7)
    return r, ref


def preference_counts(r: np.ndarray, ref: np.ndarray, pairs: int, rng: np.random.Generator) -> np.ndarray:
    """W[a, b] = how often a was preferred to b, over pairs a ≠ b drawn from π_ref."""
    k = len(r)
    a = rng.choice(k, size=pairs, p=ref)
    b = rng.choice(k, size=pairs, p=ref)
    keep = a != b
    a, b = a[keep], b[keep]
    a_wins = rng.random(len(a)) < 1.0 / (1.0 + np.exp(-(r[a] - r[b])))
    win, lose = np.where(a_wins, a, b), np.where(a_wins, b, a)
    W = np.zeros((k, k))
    np.add.at(W, (win, lose), 1.0)
    return W


def dpo_loss(theta: np.ndarray, ref: np.ndarray, W: np.ndarray, beta: float) -> float:
    h = theta - np.log(np.exp(theta - theta.max()).sum()) - theta.max() - np.log(ref)
    m = beta * (h[:, None] - h[None, :])  # margin of w over l
    return float((W * np.logaddexp(0.0, -m)).sum() / W.sum())


def dpo_fit(ref: np.ndarray, W: np.ndarray, beta: float, iters: int = 100) -> np.ndarray:
    """Policy logits θ minimising the DPO loss (Newton steps with a line search).

    The loss depends on θ only through differences θ_a − θ_b, so the mean of θ is
    pinned to 0 (a ridge of 1e-9 keeps the Hessian invertible)."""
    k = len(ref)
    theta = np.log(ref).copy()  # start at the reference
    n = W.sum()
    lr = np.log(ref)
    for _ in range(iters):
        h = theta - lr
        m = beta * (h[:, None] - h[None, :])
        s = 1.0 / (1.0 + np.exp(m))  # σ(−m): d/dm of log(1 + e^{−m}) is −σ(−m)
        G = W * s  # weight of each (w, l)
        grad = -beta * (G.sum(1) - G.sum(0)) / n
        C = W * s * (1.0 - s) * beta * beta / n
        Csym = C + C.T
        H = np.diag(Csym.sum(1)) - Csym + 1e-9 * np.eye(k)
        step = np.linalg.solve(H, grad)
        f0 = dpo_loss(theta, ref, W, beta)
        t = 1.0
        while t > 1e-6 and dpo_loss(theta - t * step, ref, W, beta) > f0 - 1e-4 * t * grad @ step:
            t *= 0.5
        theta = theta - t * step
        theta -= theta.mean()
        if np.abs(grad).max() < 1e-12:
            break
    return theta


@dataclass(frozen=True)
class BetaRow:
    beta: float
    policy: np.ndarray
    log_ratio: np.ndarray  # log π/π_ref
    corr: float  # corr(log π/π_ref, r)
    kl_to_ref: float
    max_prob: float


@dataclass(frozen=True)
class DPOResult:
    reward: np.ndarray
    ref: np.ndarray
    pairs: int
    rows: list[BetaRow]
    corr_logratio_reward: float  # at β = CORR_BETA


def _row(beta: float, r: np.ndarray, ref: np.ndarray, W: np.ndarray) -> BetaRow:
    theta = dpo_fit(ref, W, beta)
    pi = _softmax(theta)
    h = np.log(pi) - np.log(ref)
    return BetaRow(
        beta=float(beta),
        policy=pi,
        log_ratio=h,
        corr=float(np.corrcoef(h, r)[0, 1]),
        kl_to_ref=float((pi * h).sum()),
        max_prob=float(pi.max()),
    )


def compute(seed: int = 0, arms: int = 8, pairs: int = 20_000, betas: tuple[float, ...] = BETAS) -> DPOResult:
    r, ref = bandit(seed, arms)
    W = preference_counts(r, ref, int(pairs), np.random.default_rng([int(seed), 0xBA1]))
    rows = [_row(b, r, ref, W) for b in betas]
    corr_row = next((x for x in rows if x.beta == CORR_BETA), None) or _row(CORR_BETA, r, ref, W)
    return DPOResult(reward=r, ref=ref, pairs=int(W.sum()), rows=rows, corr_logratio_reward=corr_row.corr)


def figures(seed: int = 0, arms: int = 8, pairs: int = 20_000) -> dict:
    t0 = time.perf_counter()
    res = compute(seed=seed, arms=arms, pairs=pairs)
    return {
        "demo": "dpo-bandit",
        "seed": int(seed),
        "arms": len(res.reward),
        "pairs": res.pairs,
        "reward": res.reward.tolist(),
        "ref": res.ref.tolist(),
        "corr_beta": CORR_BETA,
        "corr_logratio_reward": res.corr_logratio_reward,
        "betas": [
            {
                "beta": x.beta,
                "corr_logratio_reward": x.corr,
                "kl_to_ref": x.kl_to_ref,
                "max_prob": x.max_prob,
                "policy": x.policy.tolist(),
            }
            for x in res.rows
        ],
        "elapsed_ms": (time.perf_counter() - t0) * 1000.0,
    }
