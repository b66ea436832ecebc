"""What the palette's search compares: text folded so that what a user types meets what a card shows.

A question's formulas are shown as Unicode (``$\\alpha$`` → ``α``, ``\\sqrt{d_k}`` → ``√(dₖ)``:
:mod:`trainer.tui.math`), and a user types ``alpha``, ``α`` or ``\\alpha``, ``sqrt``, ``d_k``. So
both sides are folded to one spelling: casefolded, full-width letters as half-width ones, a Greek
letter as its name (``α`` → ``alpha``), a maths sign as its TeX name (``√`` → ``sqrt``, ``∑`` →
``sum``), a script character as ``_``/``^`` and its letter (``ₖ`` → ``_k``, ``ᵀ`` → ``^t``), a
styled letter as the letter (``ℝ`` → ``r``), accents over a letter dropped (``ŷ``, ``x̂`` → ``y``, ``x``). Chinese
and every other character stay as they are. :func:`fold_mapped` keeps where each folded character
came from, so a match is highlighted on the characters shown.
"""

from __future__ import annotations

import re
import unicodedata

_GREEK = dict(zip(
    "αβγδεζηθικλμνξοπρςστυφχψω",
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma "
    "sigma tau upsilon phi chi psi omega".split()))
_GREEK.update({"ϵ": "epsilon", "ϑ": "theta", "ϕ": "phi", "ϖ": "pi", "ϱ": "rho", "ϐ": "beta", "ϰ": "kappa"})
"""Greek letters (casefolded: a capital is its small letter) as the names TeX and a user give them."""

_SIGNS = {
    "√": "sqrt", "∑": "sum", "∏": "prod", "∫": "int", "∞": "infty", "∂": "partial", "∇": "nabla",
    "×": "times", "⋅": "cdot", "∈": "in", "∉": "notin", "⊂": "subset", "⊆": "subseteq", "∪": "cup",
    "∩": "cap", "∀": "forall", "∃": "exists", "∅": "emptyset", "∝": "propto", "≈": "approx",
    "≡": "equiv", "∼": "sim", "⊤": "top", "⊥": "perp", "∘": "circ", "⊙": "odot", "⊕": "oplus",
    "⊗": "otimes", "⟨": "langle", "⟩": "rangle",
    "−": "-", "≤": "<=", "≥": ">=", "≠": "!=", "±": "+-", "→": "->", "←": "<-", "⇒": "=>", "⇔": "<=>", "↔": "<->",
}
"""Maths signs pylatexenc writes for TeX's commands: as the command's name (what a TeX user
types), or as the ASCII a user types for it (``<=``, ``->``). Not ``·``: Chinese names use it."""


def _base(text: str) -> str:
    return "".join(_GREEK.get(c) or _SIGNS.get(c) or c for c in text.casefold())


def _derived() -> dict[str, str]:
    """Script characters (``ₖ``, ``ᵀ``, ``²``, ``ᵝ``), styled letters (``ℝ``, ``𝐱``, ``𝛼``) and
    combining accents, read off Unicode's own decompositions."""
    out: dict[str, str] = {}
    blocks = [(0xB2, 0xB3), (0xB9, 0xB9), (0x2B0, 0x2FF), (0x1D2C, 0x1D6A), (0x1D9B, 0x1DBF), (0x2070, 0x209F),
              (0x2C7C, 0x2C7D), (0x2100, 0x214F), (0x1D400, 0x1D7FF)]
    for first, last in blocks:
        for code in range(first, last + 1):
            c = chr(code)
            kind = unicodedata.decomposition(c).partition(" ")[0]
            plain = unicodedata.normalize("NFKC", c)
            if kind in ("<super>", "<sub>") and len(plain) == 1:
                out[c] = ("^" if kind == "<super>" else "_") + _base(plain)
            elif kind == "<font>" and len(plain) == 1:
                out[c] = _base(plain)
    for first, last in [(0xC0, 0x24F), (0x1E00, 0x1EFF)]:  # (``ŷ``, ``é``: a letter and its accent in one)
        for code in range(first, last + 1):
            parts = unicodedata.normalize("NFD", chr(code))
            if len(parts) > 1 and parts[0].isascii() and all(unicodedata.combining(p) for p in parts[1:]):
                out[chr(code)] = parts[0].casefold()
    for first, last in [(0x300, 0x36F), (0x20D0, 0x20FF)]:
        out.update((chr(code), "") for code in range(first, last + 1))
    return out


_TABLE: dict[int, str] = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
"""Full-width letters, digits and signs (a Chinese input method types ``ｋｖ``) as half-width ones."""
_DERIVED = _derived()
_TABLE.update((ord(c), v) for c, v in {**_DERIVED, **_GREEK, **_SIGNS}.items())


def _ranges(codes: list[int]) -> str:
    out, start = [], codes[0]
    for a, b in zip(codes, codes[1:] + [-1]):
        if b != a + 1:
            out.append(re.escape(chr(start)) + ("" if a == start else "-" + re.escape(chr(a))))
            start = b
    return "".join(out)


_SCRIPT = {c: v[0] for c, v in _DERIVED.items() if v[:1] in ("_", "^") and len(v) > 1}
"""A script character's kind (``_`` or ``^``): a run of them is one script (``ₜ₋₁``: ``_t-1``, as
``x_{t-1}`` is typed, not ``_t_-_1``)."""

_FOLDED = re.compile(f"[{_ranges(sorted(_TABLE))}]+")
_QUERY_MARKS = re.compile(r"[\\${}]")
"""TeX's marks a user may type (``\\alpha``, ``$QK^T$``, ``\\sqrt{d_k}``): shown nowhere in a
formula's Unicode, so read as spaces between the words."""


def fold(text: str) -> str:
    """``text`` as the search compares it. Not NFKC: it tripled the time to build a 100k deck's
    search lines; a regex finds the few characters to replace (ASCII text: only casefolded)."""
    text = text.casefold()
    return text if text.isascii() else _FOLDED.sub(_fold_run, text)


def _fold_run(m: re.Match[str]) -> str:
    run = m.group()
    if not any(c in _SCRIPT for c in run):
        return run.translate(_TABLE)
    return "".join(_fold_char(c, run[i - 1] if i else "") for i, c in enumerate(run))


def _fold_char(c: str, before: str) -> str:
    """``c`` folded alone, a script character after one of its kind without its ``_``/``^``."""
    f = _TABLE.get(ord(c), c)
    kind = _SCRIPT.get(c)
    return f[1:] if kind is not None and _SCRIPT.get(before) == kind else f


def query_words(query: str) -> list[str]:
    """The words of what was typed, folded, TeX's ``\\ $ { }`` taken as spaces."""
    return fold(_QUERY_MARKS.sub(" ", query)).split()


def fold_mapped(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each of its characters, the index in ``text`` it comes from (a
    character folds alone: casefolding and the table do not look at neighbours, but for a script
    character after one of its kind)."""
    parts, origins = [], []
    for i, c in enumerate(text):
        f = fold(c)
        if i and c in _SCRIPT and _SCRIPT.get(text[i - 1]) == _SCRIPT[c]:
            f = f[1:]
        parts.append(f)
        origins.extend([i] * len(f))
    return "".join(parts), origins


def shown_span(text: str, origins: list[int], start: int, end: int) -> tuple[int, int]:
    """The characters of ``text`` that the folded ``[start, end)`` comes from: every character a
    part of it comes from (``lph`` of ``alpha``: the whole ``α``), and the accents over the last."""
    first, last = origins[start], origins[end - 1] + 1
    while last < len(text) and not fold(text[last]):
        last += 1
    return first, last
