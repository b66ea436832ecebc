"""Registry of live NumPy demos.

A demo is a registered, pure-NumPy computation (``trainer.demos.<module>``)
plus a TUI view (``trainer.tui.screens.demo``).  Notes never carry code: a
note only *names* demos through its ``demos:`` frontmatter key, or a demo
attaches itself through its tag / title patterns.

This module is deliberately cheap to import (no NumPy, no Textual): the heavy
demo modules are imported lazily the first time a demo's ``figures`` is
called, so the CLI can list demos instantly.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = [
    "Demo",
    "DemoResult",
    "Param",
    "UnknownDemo",
    "all_demos",
    "demos_for",
    "get",
    "suggest_grade",
    "word",
]


class UnknownDemo(ValueError):
    """Raised by :func:`get` for an id that is not registered."""

    def __init__(self, demo_id: str, known: list[str]) -> None:
        self.demo_id = demo_id
        self.known = list(known)
        super().__init__(
            f"unknown demo {demo_id!r}; known demos: {', '.join(self.known) or '(none)'}"
        )


@dataclass(frozen=True)
class Param:
    """A tunable parameter of a demo (for ``--help`` and the CLI)."""

    name: str
    default: Any
    help: str
    type: type = int


@dataclass(frozen=True)
class Demo:
    """A registered demo.

    ``tags`` are exact tags (case-insensitive, a leading ``#`` ignored): a note
    with ``Transformer/Attention/QKV`` gets the demo tagged so, a note tagged
    ``Transformer/Attention`` does not.  ``title_patterns`` are word-anchored,
    case-insensitive regular expressions searched in the note's question (see
    :func:`word`); tests hold them against a list of near misses.  The surest
    way to attach a demo is the note's ``demos:`` key.
    """

    id: str
    title: str
    summary: str
    view: str = ""
    """The TUI view, ``"module.Class"`` under ``trainer.tui.screens.demo`` (named, never imported here)."""
    tags: tuple[str, ...] = ()
    title_patterns: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    figures: Callable[..., dict] = field(default=lambda **_: {}, compare=False)

    def matches(self, tags: list[str], question: str) -> bool:
        return _tags_match(self.tags, tags) or _title_matches(self.title_patterns, question)


@dataclass
class DemoResult:
    """What a demo view hands back to the app when it is dismissed.

    ``suggested_grade`` follows :func:`suggest_grade`; ``None`` when no
    prediction was answered.
    """

    demo_id: str
    predictions_correct: int
    predictions_total: int
    suggested_grade: int | None


def suggest_grade(correct: int, total: int) -> int | None:
    """Map predict-first answers to a suggested review grade (0-5 scale).

    * nothing answered -> ``None`` (no suggestion)
    * all right -> 5
    * exactly one wrong -> 3
    * two or more wrong -> 2
    """
    if total <= 0:
        return None
    wrong = total - correct
    if wrong <= 0:
        return 5
    if wrong == 1:
        return 3
    return 2


# --------------------------------------------------------------------------
# matching helpers


def _norm_tag(tag: str) -> str:
    return str(tag).strip().lstrip("#").strip().lower()


def _tags_match(demo_tags: tuple[str, ...], tags: list[str]) -> bool:
    """An exact (case-insensitive) tag match; no wildcards, no parents, no children."""
    if not demo_tags or not tags:
        return False
    wanted = {_norm_tag(t) for t in demo_tags}
    return any(_norm_tag(t) in wanted for t in tags)


def word(pattern: str) -> str:
    """``pattern`` anchored so that no ASCII letter or digit touches either end.

    ``\\b`` is not enough for mixed text: CJK characters are word characters, so
    ``\\bdk`` fails in "根号dk"; and "scaling" must not match inside "rescaling"."""
    return rf"(?<![A-Za-z0-9_])(?:{pattern})(?![A-Za-z0-9_])"


def _title_matches(patterns: tuple[str, ...], question: str) -> bool:
    if not patterns or not question:
        return False
    return any(re.search(p, question, flags=re.IGNORECASE) for p in patterns)


# --------------------------------------------------------------------------
# registration


def _lazy(module: str, attr: str) -> Callable[..., Any]:
    """A callable that imports ``trainer.demos.<module>`` on first use."""

    def call(*args: Any, **kwargs: Any) -> Any:
        mod = importlib.import_module(f"trainer.demos.{module}")
        return getattr(mod, attr)(*args, **kwargs)

    call.__name__ = attr
    call.__qualname__ = f"{module}.{attr}"
    return call


_ATTENTION_CONTEXT = r"(attention|scores?|quer(y|ies)|projections?|W_?Q|W_?K)"

_DEMOS: list[Demo] = [
    Demo(
        id="qkv-symmetry",
        view="qkv_view.QKVView",
        title="Why Q and K need separate projections",
        summary=(
            "One shared projection makes the score matrix S = (XW)(XW)^T/sqrt(d_k) "
            "symmetric and PSD; separate W_Q, W_K break the symmetry. Blend between "
            "them, check the softmax honestly, and train both on a previous-token task."
        ),
        tags=("Transformer/Attention/QKV",),
        title_patterns=(
            r"三个.{0,8}(投影|变换)矩阵",
            word(r"three") + r".{0,20}" + word(r"(projections?|projection matri(x|ces))"),
            r"(?-i:" + word(r"Q\W{0,3}K\W{0,3}V") + ")",
            word(r"W_?Q") + ".*" + word(r"W_?K"),
            # "symmetric" alone is too broad (symmetric encryption, 对称加密):
            # require an attention context on either side.
            word(_ATTENTION_CONTEXT) + ".*" + word(r"(a?symmetric|symmetry)"),
            word(r"(a?symmetric|symmetry)") + ".*" + word(_ATTENTION_CONTEXT),
            r"(注意力|打分|分数).*对称|对称.*(注意力|打分|分数)",
        ),
        params=(
            Param("seed", 0, "random seed for tokens, projections and the experiment", int),
            Param("n", 8, "number of tokens (ignored with --sentence)", int),
            Param("d_model", 16, "token embedding width", int),
            Param("d_k", 8, "query/key width", int),
            Param("sentence", None, "use the words of this sentence as tokens", str),
        ),
        figures=_lazy("qkv", "figures"),
    ),
    Demo(
        id="sqrt-dk-scaling",
        view="scaling_view.ScalingView",
        title="Why scores are divided by sqrt(d_k)",
        summary=(
            "Var(q.k) grows like d_k for unit-variance components; unscaled softmax "
            "saturates and its Jacobian (diag(a) - a a^T) collapses. Dividing by "
            "sqrt(d_k) keeps the variance near 1."
        ),
        tags=("Transformer/Attention/Scaling",),
        title_patterns=(
            # sqrt(d_k), √d_k, sqrt dk, 根号dk, 根号 d_k: the d_k must be there
            word(r"(sqrt|√)\s*[({]?\s*d_?k"),
            r"根号\s*\(?\s*d_?k(?![A-Za-z0-9_])",
            word(r"scaled[ -]dot[ -]product"),
        ),
        params=(
            Param("seed", 0, "random seed", int),
            Param("n_scores", 16, "scores per softmax row", int),
        ),
        figures=_lazy("scaling", "figures"),
    ),
    Demo(
        id="positional-encoding",
        view="posenc_view.PosEncView",
        title="Sinusoidal positional encoding: relative offsets are rotations",
        summary=(
            "PE(p).PE(p+k) depends only on k (the Gram matrix is Toeplitz) and "
            "PE(p+k) = M_k PE(p) for a block rotation M_k that does not depend on p; "
            "the dot product is even in k, and after random W_Q, W_K it is no longer relative."
        ),
        tags=("Transformer/Positional-Encoding",),
        title_patterns=(
            word(r"sinusoidal"),
            r"正弦位置编码",
            r"(?<!旋转)(?<!相对)位置编码",
            r"(?<!rotary )(?<!relative )" + word(r"positional encodings?"),
        ),
        params=(
            Param("seed", 0, "draws the random W_Q, W_K of the caveat (the encoding is deterministic)", int),
            Param("d_model", 16, "encoding width (even)", int),
            Param("n_pos", 64, "number of positions", int),
        ),
        figures=_lazy("posenc", "figures"),
    ),
    Demo(
        id="kv-cache-budget",
        view="kvcache_view.KVCacheView",
        title="KV cache: bytes per token, and why caching is exact",
        summary=(
            "2 · layers · KV heads · head dim · bytes per token, for MHA, GQA, MQA and MLA with "
            "real model shapes; incremental decoding with a cache equals the full causal pass."
        ),
        tags=("LLM/Inference/KV-Cache",),
        title_patterns=(word(r"KV[ -]?cache"), r"KV\s*缓存"),
        params=(
            Param("seed", 0, "random seed of the small model that checks exactness", int),
            Param("context", 4096, "tokens of context for the totals", int),
            Param("batch", 1, "sequences in the batch for the totals", int),
        ),
        figures=_lazy("kvcache", "figures"),
    ),
    Demo(
        id="rope-relative",
        view="rope_view.RopeView",
        title="RoPE: the score depends only on n − m",
        summary=(
            "(R_m q)^T (R_n k) = q^T R_(n-m) k: the score matrix is Toeplitz for RoPE but not for "
            "additive sinusoidal PE after projection; past the training length, rotation angles leave "
            "the trained range unless positions are interpolated or the base is NTK-scaled."
        ),
        tags=("Transformer/Positional-Encoding/RoPE",),
        title_patterns=(r"(?-i:" + word(r"RoPE") + ")", word(r"rotary (position(al)? )?(embeddings?|encodings?)"), r"旋转位置编码"),
        params=(
            Param("seed", 0, "random seed of the query/key vectors", int),
            Param("d_head", 64, "head dimension (even)", int),
            Param("train_len", 4096, "training context length", int),
            Param("scale", 4, "context extension factor", int),
        ),
        figures=_lazy("rope", "figures"),
    ),
    Demo(
        id="speculative-sampling",
        view="speculative_view.SpeculativeView",
        title="Speculative sampling keeps the target distribution",
        summary=(
            "Accept a draft token with min(1, p/q), else resample from norm(max(0, p − q)): the output "
            "is distributed exactly as the target p; acceptance is Σ min(p, q) and a round yields "
            "(1 − α^(γ+1))/(1 − α) tokens on average."
        ),
        tags=("LLM/Inference/Speculative-Decoding",),
        title_patterns=(word(r"speculative (decoding|sampling)"), r"投机(解码|采样)"),
        params=(
            Param("seed", 0, "random seed of the distributions and the draws", int),
            Param("vocab", 8, "vocabulary size of the toy distributions", int),
            Param("draws", 200000, "sampled tokens", int),
            Param("gamma", 4, "draft tokens per verification", int),
        ),
        figures=_lazy("speculative", "figures"),
    ),
    Demo(
        id="mixed-precision",
        view="precision_view.PrecisionView",
        title="Mixed precision: lost updates and underflow, bit by bit",
        summary=(
            "bf16 and fp16 by rounding fp32 bits in NumPy: 1 + 1e-4 rounds back to 1, so 10k small "
            "updates vanish without fp32 master weights; small fp16 gradients flush to zero "
            "unless the loss is scaled."
        ),
        tags=("LLM/Training/Mixed-Precision",),
        title_patterns=(word(r"mixed[ -]precision"), word(r"(bf16|bfloat16|fp16|float16)"), r"混合精度"),
        params=(
            Param("seed", 0, "random seed of the gradient sample", int),
            Param("steps", 10000, "number of small updates", int),
            Param("loss_scale", 1024, "loss scale for fp16 gradients", int),
        ),
        figures=_lazy("precision", "figures"),
    ),
    Demo(
        id="dpo-bandit",
        view="dpo_view.DPOView",
        title="DPO on a bandit: log(π/π_ref) tracks r/β",
        summary=(
            "A K-armed toy with preference pairs from a hidden reward (Bradley–Terry): the DPO optimum "
            "makes log π/π_ref follow r/β up to a constant, and smaller β moves further from the reference."
        ),
        tags=("LLM/Alignment/DPO",),
        title_patterns=(r"(?-i:" + word(r"DPO") + ")", word(r"direct preference optimi[sz]ation")),
        params=(
            Param("seed", 0, "random seed of the rewards, reference and pairs", int),
            Param("arms", 8, "number of arms (responses)", int),
            Param("pairs", 20000, "sampled preference pairs", int),
        ),
        figures=_lazy("dpo", "figures"),
    ),
]


def all_demos() -> list[Demo]:
    """Every registered demo, in registration order."""
    return list(_DEMOS)


def get(demo_id: str) -> Demo:
    """The demo with this id; raises :class:`UnknownDemo` (a ValueError) otherwise."""
    for demo in _DEMOS:
        if demo.id == demo_id:
            return demo
    raise UnknownDemo(demo_id, [d.id for d in _DEMOS])


def demos_for(tags: list[str], question: str, explicit: list[str] | None = None) -> list[str]:
    """Demo ids for a note.

    Explicit ids (the note's ``demos:`` key) come first, in the note's order;
    unknown explicit ids are skipped (the caller reports them).  Then demos
    whose tag or title patterns match, in registration order.  No duplicates.
    """
    known = {d.id for d in _DEMOS}
    out: list[str] = []
    for demo_id in explicit or []:
        demo_id = str(demo_id).strip()
        if demo_id in known and demo_id not in out:
            out.append(demo_id)
    for demo in _DEMOS:
        if demo.id not in out and demo.matches(list(tags or []), question or ""):
            out.append(demo.id)
    return out
