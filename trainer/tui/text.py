"""Note text on its way into a widget: control characters stripped, widths counted in terminal cells."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Span, Text

from trainer import textsafe
from trainer.textsafe import strip_controls


def body_text(text: str) -> str:
    """A Markdown body for a widget: controls and bidi overrides stripped, newlines and tabs kept."""
    return strip_controls(text.replace("\r\n", "\n"))


def one_line(text: str, limit: int | None = None) -> str:
    """A title for a Label or a Tree node: controls stripped, whitespace collapsed, at most
    ``limit`` terminal cells wide (a Chinese character takes two)."""
    out = " ".join(strip_controls(text).split())
    if limit is not None and cell_len(out) > limit:
        return fit_cells(out, limit)
    return out


def fit_cells(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` cells with an ellipsis (never half a wide character)."""
    if text.isascii() and text.isprintable():  # a cell a character: cut at once (a tree of 20k long names)
        return text if len(text) <= limit else text[:max(0, limit - 1)] + "…"
    return textsafe.fit_cells(text, limit, cell_len)


def styled_text(parts: list[tuple[str, str]], cls: type[Text] = Text) -> Text:
    """``Text`` (or ``cls``) of (text, style) parts (``""``: unstyled) made in one piece: what appending
    them one by one gives, for a label made thousands of times (a topic's 20k tags)."""
    plain = "".join(part for part, _ in parts)
    spans, at = [], 0
    for part, style in parts:
        end = at + len(part)
        if style and end > at:
            spans.append(Span(at, end, style))
        at = end
    return cls(plain, spans=spans)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 card``, ``2 cards``."""
    return f"{n} {word if n == 1 else many or word + 's'}"
