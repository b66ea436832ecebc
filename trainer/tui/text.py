"""Making note text safe to show: no control characters reach the terminal, no markup is parsed."""

from __future__ import annotations

import re

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls except ``\\t`` and ``\\n``; bidi overrides that could disguise a line."""


def clean(text: str) -> str:
    """Strip control characters, keeping newlines and tabs (for Markdown bodies)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def one_line(text: str, limit: int | None = None) -> str:
    """A title for a Label or a Tree node: controls stripped, whitespace collapsed."""
    out = " ".join(clean(text).split())
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 1)] + "…"
    return out


def plain(text: str, style: str = "") -> Text:
    """Note text as a Rich ``Text``: shown literally, never parsed as markup."""
    return Text(one_line(text), style=style)
