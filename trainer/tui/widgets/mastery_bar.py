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
    value = min(1.0, max(0.0, float(value)))
    eighths = round(value * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    rest = width - len(bar)
    text = Text()
    text.append(bar, style=mastery_style(value))
    text.append("░" * rest, style="dim")
    if show_value:
        text.append(f" {value:.2f}")
    return text
