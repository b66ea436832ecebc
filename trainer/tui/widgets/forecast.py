"""A strip of bars with numbers: how many cards fall due on each of the next days."""

from __future__ import annotations

import datetime as dt

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

_LEVELS = " ▁▂▃▄▅▆▇█"


class ForecastStrip(Widget):
    """One column per day: the count, a bar, and the day (``Mo 25``)."""

    DEFAULT_CSS = """
    ForecastStrip { height: 3; }
    """

    days: reactive[tuple[tuple[dt.date, int], ...]] = reactive(())
    """(day, cards due that day); the first day includes the overdue cards."""

    waiting: reactive[str] = reactive("")
    """Said while there is no forecast (how far the first reading of the notes is)."""

    def set_days(self, days: list[tuple[dt.date, int]]) -> None:
        self.days = tuple(days)

    def render(self) -> Text:
        days = self.days
        if not days:
            return Text(self.waiting or "no forecast yet", style="dim")
        width = max(3, self.size.width // len(days)) if self.size.width else 5
        top = max(n for _, n in days) or 1
        numbers, bars, labels = Text(), Text(), Text()
        for i, (day, n) in enumerate(days):
            level = 0 if n == 0 else max(1, round(n / top * 8))
            style = "bold dark_orange" if i == 0 else "dodger_blue2"
            numbers.append(_center(_count(n, width) if n else "·", width), style="bold" if n else "dim")
            bars.append(_center(_LEVELS[level] * max(1, width - 2), width), style=style)
            label = _label(day, i == 0, width)
            labels.append(_center(label, width), style="dim" if i else "bold")
        return Text("\n").join([numbers, bars, labels])


def _count(n: int, width: int) -> str:
    """The count, shortened (``7.8k``, ``45k``, ``1.2M``) when it would touch the next column's."""
    text = str(n)
    for scale, unit in ((1000, "k"), (1_000_000, "M")):
        if len(text) < width:
            break
        short = f"{n / scale:.1f}".rstrip("0").rstrip(".") + unit
        text = short if len(short) < width else f"{round(n / scale)}{unit}"
    return text


def _label(day: dt.date, today: bool, width: int) -> str:
    """``today`` / ``Mo 25`` with room for them, else ``Mo25``, else the day of the month: a
    column always keeps a blank cell between its label and the next one."""
    if width >= 6:
        return "today" if today else f"{day:%a}"[:2] + f"{day.day:>2}"
    if width >= 5:
        return "now" if today else f"{day:%a}"[:2] + f"{day.day}"
    return f"{day.day}"


def _center(text: str, width: int) -> str:
    pad = width - cell_len(text)
    if pad <= 0:
        return text[:width]
    left = pad // 2
    return " " * left + text + " " * (pad - left)
