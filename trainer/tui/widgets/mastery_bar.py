"""Mastery (0–1) as a small bar of block characters, for tree labels and tables."""

from __future__ import annotations

from rich.text import Text

_EIGHTHS = " ▏▎▍▌▋▊▉█"


def mastery_style(value: float) -> str:
    if value >= 0.7:
        return "green"
    if value >= 0.4:
        return "yellow"
    return "red"


def mastery_bar(value: float, width: int = 8, *, show_value: bool = True) -> Text:
    """``███▍░░░░ 0.43``: the filled part coloured by level, the rest dim."""
    text = Text()
    for part, style in mastery_bar_parts(value, width, show_value=show_value):
        text.append(part, style=style or None)
    return text


def mastery_bar_parts(value: float, width: int = 8, *, show_value: bool = True) -> list[tuple[str, str]]:
    """:func:`mastery_bar` as (text, style) parts (``""``: unstyled), for a label made in one piece."""
    value = min(1.0, max(0.0, float(value)))
    eighths = round(value * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    parts = [(bar, mastery_style(value)), ("░" * (width - len(bar)), "dim")]
    if show_value:
        parts.append((f" {value:.2f}", ""))
    return parts
