"""mixed-precision: what 16-bit floats lose, computed bit by bit.

* bf16 keeps fp32's 8 exponent bits and 7 mantissa bits: it is fp32 with the low 16 bits
  rounded away (round to nearest, ties to even), done here on the uint32 bit pattern.
  fp16 (5 exponent, 10 mantissa bits) is NumPy's IEEE float16.
* 1 + 1e-4 is 1 in both: the spacing just above 1 is 2^-7 (bf16) and 2^-10 (fp16).  So
  10,000 updates of 1e-4 applied to a bf16 weight are all lost, while fp32 master
  weights (Micikevicius et al. 2018, "Mixed Precision Training", §3.1) keep them.
* fp16's smallest subnormal is 2^-24 ≈ 6e-8: smaller gradients flush to zero.  Scaling
  the loss (and so every gradient) by S before the cast and dividing afterwards in fp32
  keeps them (ibid. §3.2); bf16 has fp32's exponent range and needs no scaling.

Pure NumPy, seeded (only the gradient sample is random).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

__all__ = ["PrecisionResult", "UPDATE_SIZES", "accumulate", "bf16", "compute", "fp16", "figures", "underflow_share"]

#: the live parameter steps through these update sizes
UPDATE_SIZES: tuple[float, ...] = (1e-1, 1e-2, 4e-3, 1e-3, 4e-4, 1e-4, 1e-5, 1e-6)


def bf16(x: np.ndarray | float) -> np.ndarray:
    """Round fp32 values to bfloat16 (kept in an fp32 array): nearest, ties to even."""
    a = np.asarray(x, dtype=np.float32)
    bits = a.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(np.float32).reshape(a.shape)


def fp16(x: np.ndarray | float) -> np.ndarray:
    """Round to IEEE half precision (kept in an fp32 array)."""
    return np.asarray(x, dtype=np.float32).astype(np.float16).astype(np.float32)


def accumulate(update: float, steps: int, start: float = 1.0) -> dict[str, float]:
    """w ← w + update, ``steps`` times, stored in fp32, in bf16, and in bf16 with an fp32 master."""
    u = np.float32(update)
    w32 = np.float32(start)
    wbf = bf16(start)
    master = np.float32(start)
    for _ in range(int(steps)):
        w32 = np.float32(w32 + u)
        wbf = bf16(wbf + u)
        master = np.float32(master + u)  # the optimizer updates the fp32 master copy
    return {
        "fp32": float(w32),
        "bf16": float(wbf),
        "bf16_with_fp32_master": float(bf16(master)),  # the bf16 copy the forward pass uses
        "exact": float(start + steps * update),
    }


def underflow_share(grads: np.ndarray, scale: float = 1.0) -> float:
    """Share of nonzero gradients that become 0 after (g · scale) → fp16 → ÷ scale."""
    back = fp16(grads * scale) / np.float32(scale)
    return float(np.mean(back == 0.0))


@dataclass(frozen=True)
class PrecisionResult:
    bf16_one_plus: float
    fp16_one_plus: float
    steps: int
    update: float
    sums: dict[str, float]
    grad_range: tuple[float, float]
    loss_scale: int
    underflow_fp16: float
    underflow_fp16_scaled: float
    underflow_bf16: float
    overflow_fp16_scaled: float


def gradients(seed: int, n: int = 100_000) -> np.ndarray:
    """Synthetic gradients: |g| log-uniform in [1e-10, 1e-2], random signs (fp32)."""
    rng = np.random.default_rng([int(seed), 0xF16])
    mag = 10.0 ** rng.uniform(-10, -2, n)
    return (mag * rng.choice([-1.0, 1.0], n)).astype(np.float32)


def compute(seed: int = 0, steps: int = 10_000, loss_scale: int = 1024, update: float = 1e-4) -> PrecisionResult:
    g = gradients(seed)
    return PrecisionResult(
        bf16_one_plus=float(bf16(1.0 + update)),
        fp16_one_plus=float(fp16(1.0 + update)),
        steps=int(steps),
        update=float(update),
        sums=accumulate(update, steps),
        grad_range=(1e-10, 1e-2),
        loss_scale=int(loss_scale),
        underflow_fp16=underflow_share(g),
        underflow_fp16_scaled=underflow_share(g, loss_scale),
        underflow_bf16=float(np.mean(bf16(g) == 0.0)),
        overflow_fp16_scaled=float(np.mean(~np.isfinite(fp16(g * loss_scale)))),
    )


def figures(seed: int = 0, steps: int = 10_000, loss_scale: int = 1024) -> dict:
    t0 = time.perf_counter()
    r = compute(seed=seed, steps=steps, loss_scale=loss_scale)
    return {
        "demo": "mixed-precision",
        "seed": int(seed),
        "bf16_one_plus_1e-4": r.bf16_one_plus,
        "fp16_one_plus_1e-4": r.fp16_one_plus,
        "spacing_above_one": {"bf16": 2.0**-7, "fp16": 2.0**-10, "fp32": 2.0**-23},
        "updates": {"steps": r.steps, "size": r.update, **r.sums},
        "gradients": {
            "sample": "100,000 synthetic gradients, |g| log-uniform in [1e-10, 1e-2]",
            "fp16_underflow_share": r.underflow_fp16,
            "fp16_underflow_share_scaled": r.underflow_fp16_scaled,
            "loss_scale": r.loss_scale,
            "fp16_overflow_share_scaled": r.overflow_fp16_scaled,
            "bf16_underflow_share": r.underflow_bf16,
        },
        "elapsed_ms": (time.perf_counter() - t0) * 1000.0,
    }
