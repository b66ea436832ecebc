"""kv-cache-budget: how many bytes the KV cache takes, and why caching is exact.

* bytes per token = 2 · layers · KV heads · head dim · bytes per element (K and V),
  for MHA (KV heads = heads), GQA (fewer KV heads), MQA (one KV head); MLA caches
  one compressed latent plus a shared RoPE key per layer: layers · (d_c + d_rope) · bytes.
* exactness: with a causal mask the keys/values of earlier positions never change,
  so decoding token by token with a cache reproduces the full causal pass (up to
  floating-point summation order).

Shapes are the published configs (each preset names its source).  Pure NumPy.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["PRESETS", "CONTEXTS", "KVPreset", "KVResult", "bytes_per_token", "compute", "decode_vs_full", "figures"]

GIB = 1024**3


@dataclass(frozen=True)
class KVPreset:
    name: str
    attention: str  # "MHA" | "GQA" | "MQA" | "MLA"
    layers: int
    heads: int
    kv_heads: int  # for MLA: 0 (one latent per layer)
    head_dim: int
    bytes_per_element: int = 2  # bf16 / fp16
    latent_dim: int = 0  # MLA: d_c (kv_lora_rank) + decoupled RoPE key dim
    source: str = ""


PRESETS: tuple[KVPreset, ...] = (
    KVPreset("llama-2-7b", "MHA", 32, 32, 32, 128,
             source="LLaMA 6.7B shape (Touvron et al. 2023a, Table 2), kept by Llama 2 (§2.2): 32 layers, 32 heads, hidden 4096"),
    KVPreset("llama-2-70b", "GQA", 80, 64, 8, 128,
             source="Touvron et al. 2023 (Llama 2) §2.2 (GQA for 34B/70B); HF config: 80 layers, 8 KV heads"),
    KVPreset("llama-3-8b", "GQA", 32, 32, 8, 128,
             source="Llama 3 Herd of Models 2024, Table 3: 32 layers, 8 KV heads, hidden 4096"),
    KVPreset("falcon-7b", "MQA", 32, 71, 1, 64,
             source="Falcon-7B HF config: 32 layers, 71 heads, hidden 4544, multi_query"),
    KVPreset("deepseek-v2", "MLA", 60, 128, 0, 128, latent_dim=512 + 64,
             source="DeepSeek-AI 2024 (DeepSeek-V2) §2.1.2-2.1.3: d_c = 512, d_h^R = 64, 60 layers"),
)

#: the live parameter steps through these context lengths
CONTEXTS: tuple[int, ...] = (1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072)


def bytes_per_token(p: KVPreset) -> int:
    """Cache bytes one token adds across all layers."""
    if p.attention == "MLA":
        return p.layers * p.latent_dim * p.bytes_per_element
    return 2 * p.layers * p.kv_heads * p.head_dim * p.bytes_per_element


# --------------------------------------------------------------------------
# exactness on a small random decoder


@dataclass(frozen=True)
class TinyModel:
    layers: list[dict[str, np.ndarray]]
    heads: int
    kv_heads: int
    head_dim: int


def _tiny_model(seed: int, d_model: int = 32, heads: int = 4, kv_heads: int = 2, n_layers: int = 2) -> TinyModel:
    rng = np.random.default_rng([int(seed), 0xCAC4E])
    hd = d_model // heads
    s = 1.0 / math.sqrt(d_model)
    layers = [
        {
            "Wq": rng.standard_normal((d_model, heads * hd)) * s,
            "Wk": rng.standard_normal((d_model, kv_heads * hd)) * s,
            "Wv": rng.standard_normal((d_model, kv_heads * hd)) * s,
            "Wo": rng.standard_normal((heads * hd, d_model)) * s,
            "W1": rng.standard_normal((d_model, 4 * d_model)) * s,
            "W2": rng.standard_normal((4 * d_model, d_model)) * s / 2,
        }
        for _ in range(n_layers)
    ]
    return TinyModel(layers, heads, kv_heads, hd)


def _rms(x: np.ndarray) -> np.ndarray:
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6)


def _attend(q: np.ndarray, K: np.ndarray, V: np.ndarray, m: TinyModel, causal: bool) -> np.ndarray:
    """q (t, H, hd), K/V (n, H_kv, hd) -> (t, H*hd); query heads share KV heads in groups (GQA)."""
    group = m.heads // m.kv_heads
    K = np.repeat(K, group, axis=1)
    V = np.repeat(V, group, axis=1)
    S = np.einsum("thd,nhd->htn", q, K) / math.sqrt(m.head_dim)
    if causal:
        t, n = q.shape[0], K.shape[0]
        S = np.where(np.tril(np.ones((t, n), dtype=bool), n - t), S, -np.inf)
    S = S - S.max(-1, keepdims=True)
    A = np.exp(S)
    A /= A.sum(-1, keepdims=True)
    return np.einsum("htn,nhd->thd", A, V).reshape(q.shape[0], -1)


def _block(x: np.ndarray, L: dict, m: TinyModel, cache: list | None) -> np.ndarray:
    h = _rms(x)
    q = (h @ L["Wq"]).reshape(len(x), m.heads, m.head_dim)
    k = (h @ L["Wk"]).reshape(len(x), m.kv_heads, m.head_dim)
    v = (h @ L["Wv"]).reshape(len(x), m.kv_heads, m.head_dim)
    if cache is not None:  # append this step's K, V; attend over everything cached
        cache[0].append(k)
        cache[1].append(v)
        k, v = np.concatenate(cache[0]), np.concatenate(cache[1])
    x = x + _attend(q, k, v, m, causal=True) @ L["Wo"]
    return x + np.maximum(_rms(x) @ L["W1"], 0.0) @ L["W2"]


def decode_vs_full(seed: int = 0, n_tokens: int = 12, d_model: int = 32) -> float:
    """max |incremental decoding with a cache − one full causal pass| over every output."""
    m = _tiny_model(seed, d_model)
    X = np.random.default_rng([int(seed), 0x70C]).standard_normal((n_tokens, d_model))
    full = X
    for L in m.layers:
        full = _block(full, L, m, None)
    caches: list[list] = [[[], []] for _ in m.layers]
    outs = []
    for t in range(n_tokens):
        x = X[t : t + 1]
        for L, c in zip(m.layers, caches):
            x = _block(x, L, m, c)
        outs.append(x[0])
    return float(np.abs(np.array(outs) - full).max())


# --------------------------------------------------------------------------


@dataclass(frozen=True)
class KVResult:
    context: int
    batch: int
    rows: list[tuple[KVPreset, int, int]]  # preset, bytes per token, total bytes
    decode_vs_full_max_abs: float


def compute(seed: int = 0, context: int = 4096, batch: int = 1) -> KVResult:
    rows = [(p, bytes_per_token(p), bytes_per_token(p) * int(context) * int(batch)) for p in PRESETS]
    return KVResult(int(context), int(batch), rows, decode_vs_full(seed))


def figures(seed: int = 0, context: int = 4096, batch: int = 1) -> dict:
    t0 = time.perf_counter()
    res = compute(seed=seed, context=context, batch=batch)
    return {
        "demo": "kv-cache-budget",
        "seed": int(seed),
        "formula": "2 * layers * kv_heads * head_dim * bytes (MLA: layers * latent_dim * bytes)",
        "context": res.context,
        "batch": res.batch,
        "presets": [
            {
                "name": p.name,
                "attention": p.attention,
                "layers": p.layers,
                "heads": p.heads,
                "kv_heads": p.kv_heads,
                "head_dim": p.head_dim,
                "latent_dim": p.latent_dim,
                "bytes_per_element": p.bytes_per_element,
                "bytes_per_token": bpt,
                "total_bytes": total,
                "total_gib": total / GIB,
                "source": p.source,
            }
            for p, bpt, total in res.rows
        ],
        "decode_vs_full_max_abs": res.decode_vs_full_max_abs,
        "elapsed_ms": (time.perf_counter() - t0) * 1000.0,
    }
