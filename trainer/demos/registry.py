"""Registry of live NumPy demos.

A demo is a registered, pure-NumPy computation (``trainer.demos.<module>``)
plus a TUI view (``trainer.tui.screens.demo``).  Notes never carry code: a
note only *names* demos through its ``demos:`` frontmatter key, or a demo
attaches itself through its tag / title patterns.

This module is deliberately cheap to import (no NumPy, no Textual): the heavy
demo modules are imported lazily the first time a demo's ``compute`` or
``figures`` is called, so the CLI can list demos instantly.
"""

from __future__ import annotations

import fnmatch
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

    ``tags`` are fnmatch-style patterns matched case-insensitively against a
    note's tags (a pattern also matches any tag nested below a matching tag,
    so ``Transformer/Attention`` matches ``Transformer/Attention/QKV``).
    ``title_patterns`` are case-insensitive regular expressions (or plain
    substrings, if a pattern is not a valid regex) searched in the note's
    question; CJK is fine.
    """

    id: str
    title: str
    summary: str
    view: str = ""
    """The TUI view, ``"module.Class"`` under ``trainer.tui.screens.demo`` (named, never imported here)."""
    tags: tuple[str, ...] = ()
    title_patterns: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    compute: Callable[..., Any] = field(default=lambda **_: None, compare=False)
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


def _tag_variants(tag: str) -> list[str]:
    """The tag itself and every ancestor: a/b/c -> [a/b/c, a/b, a]."""
    tag = tag.strip().lstrip("#").strip().lower()
    parts = [p for p in tag.split("/") if p]
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _tags_match(patterns: tuple[str, ...], tags: list[str]) -> bool:
    if not patterns or not tags:
        return False
    pats = [p.strip().lstrip("#").lower() for p in patterns]
    for tag in tags:
        for variant in _tag_variants(str(tag)):
            if any(fnmatch.fnmatchcase(variant, p) for p in pats):
                return True
    return False


def _title_matches(patterns: tuple[str, ...], question: str) -> bool:
    if not patterns or not question:
        return False
    for pattern in patterns:
        try:
            if re.search(pattern, question, flags=re.IGNORECASE):
                return True
        except re.error:
            if pattern.lower() in question.lower():
                return True
    return False


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
        tags=("*attention/qkv*", "qkv", "*/qkv"),
        title_patterns=(
            r"三个.*矩阵",
            r"three .*(projection|matri)",
            r"(?-i:\bQ\W{0,3}K\W{0,3}V\b)",
            r"quer(y|ies).*\bkeys?\b.*\bvalues?\b",
            # "symmetric" alone is too broad (symmetric encryption, 对称加密):
            # require an attention context on either side.
            r"(attention|注意力|score|分数|\bQ\b|\bK\b|quer(y|ies)|projection|投影).*(symmetr|对称)",
            r"(symmetr|对称).*(attention|注意力|score|分数|\bQ\b|\bK\b|quer(y|ies)|projection|投影)",
            r"\bW_?Q\b.*\bW_?K\b",
        ),
        params=(
            Param("seed", 0, "random seed for tokens, projections and the experiment", int),
            Param("n", 8, "number of tokens (ignored with --sentence)", int),
            Param("d_model", 16, "token embedding width", int),
            Param("d_k", 8, "query/key width", int),
            Param("sentence", None, "use the words of this sentence as tokens", str),
        ),
        compute=_lazy("qkv", "compute"),
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
        tags=("*attention/scaling*", "*scaled-dot-product*"),
        title_patterns=(
            r"sqrt",
            r"√",
            r"根号",
            r"缩放",
            r"scaled[ -]dot",
            r"scal(e|ed|ing)\b.*(attention|dot|softmax|d_?k)",
            r"(attention|dot[ -]product|softmax|d_?k).*\bscal(e|ed|ing)\b",
        ),
        params=(
            Param("seed", 0, "random seed", int),
            Param("n_scores", 16, "scores per softmax row", int),
        ),
        compute=_lazy("scaling", "compute"),
        figures=_lazy("scaling", "figures"),
    ),
    Demo(
        id="positional-encoding",
        view="posenc_view.PosEncView",
        title="Sinusoidal positional encoding: relative offsets are rotations",
        summary=(
            "PE(p).PE(p+k) depends only on k (the Gram matrix is Toeplitz) and "
            "PE(p+k) = M_k PE(p) for a block rotation M_k that does not depend on p."
        ),
        tags=("*positional*encoding*", "*位置编码*"),
        title_patterns=(r"positional", r"位置编码", r"sinusoid"),
        params=(
            Param("seed", 0, "unused (the encoding is deterministic); kept for a uniform CLI", int),
            Param("d_model", 16, "encoding width (even)", int),
            Param("n_pos", 64, "number of positions", int),
        ),
        compute=_lazy("posenc", "compute"),
        figures=_lazy("posenc", "figures"),
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
