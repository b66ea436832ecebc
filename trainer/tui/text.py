"""Making note text safe to show: no control characters reach the terminal, no markup is parsed."""

from __future__ import annotations


from rich.text import Text

from trainer.textsafe import strip_controls

def clean(text: str) -> str:
    """Strip control characters and bidi overrides, keeping newlines and tabs (Markdown bodies)."""
    return strip_controls(text.replace("\r\n", "\n"))


def one_line(text: str, limit: int | None = None) -> str:
    """A title for a Label or a Tree node: controls stripped, whitespace collapsed."""
    out = " ".join(clean(text).split())
    if limit is not None and len(out) > limit:
        out = out[: max(0, limit - 1)] + "…"
    return out


def plain(text: str, style: str = "") -> Text:
    """Note text as a Rich ``Text``: shown literally, never parsed as markup."""
    return Text(one_line(text), style=style)
