"""A card's predicted recall over the coming days (trainer.memory: SM-2's or FSRS's curve), as a
small block chart that redraws to its width: a 60-column terminal still gets the whole span.

Only ASCII and block characters are drawn, so every cell is one column wide whatever the note's
script; a Chinese note's curve lines up like any other.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.widget import Widget

from trainer import memory
from trainer.config import Settings
from trainer.notes.model import Schedule

DAYS = 60
"""Days after today the curve covers."""
ROWS = 4
"""Chart rows (each a quarter of 0–100%, eighth blocks in between)."""
_BLOCKS = " ▁▂▃▄▅▆▇█"
_AXIS = 5
"""Cells of the y-axis labels (``100%│``)."""


def curve(s: Schedule, today: dt.date, settings: Settings, days: int = DAYS) -> list[tuple[dt.date, float]] | None:
    """Predicted recall on today and each of the next ``days`` days (``None``: never studied)."""
    if memory.recall(s, today, settings) is None:
        return None
    out = []
    for k in range(days + 1):
        try:
            day = today + dt.timedelta(days=k)
        except OverflowError:
            break
        r = memory.recall(s, day, settings)
        assert r is not None
        out.append((day, r))
    return out


def _style(value: float) -> str:
    return "green" if value >= 0.8 else "yellow" if value >= 0.6 else "red"


def chart(points: list[tuple[dt.date, float]], width: int, algorithm: str = "sm2") -> Text:
    """A headline (today, the middle, the end) over ``ROWS`` rows of columns, ``width`` cells wide."""
    model = "FSRS" if algorithm == "fsrs" else "SM-2"
    last = len(points) - 1
    mid = last // 2
    text = Text()
    text.append("recall ", style="bold")
    text.append(f"today {points[0][1]:.0%}")
    if last > 0:
        text.append(f" · +{mid}d {points[mid][1]:.0%} · +{last}d {points[last][1]:.0%}")
    text.append(f" ({model})", style="dim")
    plot = max(1, width - _AXIS)
    cols = [points[round(i * last / (plot - 1))][1] if plot > 1 else points[0][1] for i in range(plot)]
    for row in range(ROWS, 0, -1):  # top row first
        label = {ROWS: "100%", 2: " 50%", 1: "  0%"}.get(row, "    ")
        text.append("\n" + label + "│", style="dim")
        for value in cols:
            eighths = round((value * ROWS - (row - 1)) * 8)
            text.append(_BLOCKS[min(8, max(0, eighths))], style=_style(value))
    left, right = "today", f"+{last}d"
    gap = max(1, plot - len(left) - len(right))
    text.append("\n" + " " * _AXIS + left + " " * gap + right, style="dim")
    return text


class RecallCurve(Widget):
    """The predicted-recall curve of one card; :meth:`show` sets the card."""

    DEFAULT_CSS = """
    RecallCurve {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.points: list[tuple[dt.date, float]] | None = None
        """The values drawn (day, predicted recall); ``None`` for a card never studied."""
        self.algorithm = "sm2"
        self.message = ""

    def show(self, s: Schedule, today: dt.date, settings: Settings | None, days: int = DAYS) -> None:
        """Draw ``s``'s curve from ``today`` (``settings`` ``None``: trainer.toml is broken)."""
        if settings is None:
            self.points, self.message = None, "recall curve: trainer.toml cannot be read (trainer config says why)"
        else:
            self.algorithm = settings.algorithm
            self.points = curve(s, today, settings, days)
            self.message = "" if self.points else "recall curve: not studied yet"
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return 1 if not self.points else ROWS + 2

    def render(self) -> Text:
        if not self.points:
            return Text(self.message, style="dim")
        return chart(self.points, self.content_size.width, self.algorithm)
