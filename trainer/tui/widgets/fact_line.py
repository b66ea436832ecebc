"""Facts such as ``mastery 0.04`` side by side, a line broken only between two facts.

Rich breaks a line at any space, so the stats summary read ``… mastery`` / ``0.04 …`` and
``retention 0%`` / ``of 3`` at 80 and 60 columns: a label on one line and its value on the next.
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

__all__ = ["FactLine", "join_facts"]

GAP = "  "


def join_facts(facts: list[Text], width: int) -> Text:
    """``facts`` two spaces apart, a new line before a fact that would pass ``width`` cells
    (``width`` 0: all on one line). A fact wider than the whole line is left to Rich to wrap."""
    out = Text()
    used = 0
    for fact in facts:
        cells = fact.cell_len
        if used and width and used + len(GAP) + cells > width:
            out.append("\n")
            used = 0
        elif used:
            out.append(GAP)
            used += len(GAP)
        out.append_text(fact)
        used += cells
    return out


class FactLine(Static):
    """A :class:`Static` of facts (each a styled ``Text``) laid out again whenever its width changes."""

    DEFAULT_CSS = """
    FactLine {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._facts: list[Text] = []
        self._laid_out_at: int | None = None

    def show(self, facts: list[Text]) -> None:
        self._facts = [fact for fact in facts if fact.plain]
        self._lay_out(self.content_size.width)

    def on_resize(self, event: Resize) -> None:
        if self.content_size.width != self._laid_out_at:
            self._lay_out(self.content_size.width)

    def _lay_out(self, width: int) -> None:
        """At width 0 (not laid out yet) one line; the first resize lays it out at its width."""
        self._laid_out_at = width
        self.update(join_facts(self._facts, width))
