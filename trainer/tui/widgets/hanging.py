"""Rows of a marker and a text that wraps under itself (a hanging indent), never back under the marker.

Rich wraps a ``Text`` back to the first column, so a wrapped prediction, key point or missed point
read ``  ✓ Q1. With one shared projection …`` / `` symmetric?``: the second line under the tick, the
list no longer a list. :class:`Hanging` is a Rich renderable: Textual lays it out at the widget's
width, again on each resize; the text still breaks at any CJK character (``trainer.tui.cjk``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

__all__ = ["Hanging", "MIN_ROOM"]

MIN_ROOM = 8
"""Narrower than this beside its marker, a row is drawn as one text and wrapped as Rich wraps it."""


@dataclass
class Hanging:
    rows: list[tuple[Text, Text]]
    """(marker, text): the marker on the row's first line, its width in blanks before the others."""

    def __str__(self) -> str:
        """The rows' plain text, one a line (what a test or a copy reads)."""
        return "\n".join(marker.plain + text.plain for marker, text in self.rows)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for marker, text in self.rows:
            indent = marker.cell_len
            if width - indent < MIN_ROOM:
                yield marker + text
                continue
            lines = text.wrap(console, width - indent) or [Text()]
            for i, line in enumerate(lines):
                line.rstrip()
                yield (marker if i == 0 else Text(" " * indent)) + line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(options.max_width, MIN_ROOM), options.max_width)
