"""A one-line row of items (``hard · LLM, Attention · interval 6d · mastery 0.41``) that fits its width.

A Label cut at its edge lost the last item's number (``mastery`` with no value) or left a
dangling comma. Here each item has forms, widest first (``""``: may be left out), and the
caller's ``order`` says which item gives way next, one form a step, until the line fits. Items are whole or
stand as ``…``: a number is never cut and a separator never dangles. Widths in cells (CJK: two).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from trainer.tui.text import fit_cells, one_line

SEPARATOR = " · "

Forms = tuple[str, ...]
"""One item's forms, widest first; a last ``""`` lets the item be left out."""


def list_forms(names: Sequence[str], joiner: str = ", ") -> Forms:
    """``a, b, c`` → ``a, b, …`` → ``a, …`` → ``…`` → left out: names drop whole, from the end."""
    names = [one_line(n) for n in names if one_line(n)]
    if not names:
        return ("",)
    forms = [joiner.join(names)]
    forms += [joiner.join([*names[:k], "…"]) for k in range(len(names) - 1, 0, -1)]
    return (*forms, "…", "")


def join_items(items: Sequence[Forms], chosen: Sequence[int], separator: str = SEPARATOR) -> str:
    return separator.join(form for forms, at in zip(items, chosen) if (form := forms[at]))


def fit_items(items: Sequence[Forms], width: int, order: Sequence[int] | None = None,
              separator: str = SEPARATOR) -> str:
    """The widest line of ``items`` within ``width`` cells: each entry of ``order`` moves that item
    to its next form while the line is too wide (default: every item through all its forms, the
    last item first). Only if ``order`` is spent and the line is still too wide is it cut (``…``)."""
    if order is None:
        order = [i for i in range(len(items) - 1, -1, -1) for _ in items[i][1:]]
    chosen = [0] * len(items)
    line = join_items(items, chosen, separator)
    for index in order:
        if cell_len(line) <= width:
            break
        if chosen[index] < len(items[index]) - 1:
            chosen[index] += 1
            line = join_items(items, chosen, separator)
    if cell_len(line) <= width:
        return line
    return fit_cells(line, width) if width > 0 else ""


class InfoLine(Widget):
    """:func:`fit_items` at the widget's own width, again on every resize."""

    DEFAULT_CSS = "InfoLine { height: 1; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._items: tuple[Forms, ...] = ()
        self._order: tuple[int, ...] | None = None

    def show(self, items: Sequence[Forms], order: Sequence[int] | None = None) -> None:
        """Show ``items``; ``order``: which give way first (see :func:`fit_items`)."""
        items, order = tuple(items), tuple(order) if order is not None else None
        if (items, order) != (self._items, self._order):
            self._items, self._order = items, order
            self.refresh()

    @property
    def text(self) -> str:
        """The line as shown at the current width."""
        return fit_items(self._items, self.content_size.width, self._order)

    def render(self) -> Text:
        return Text(self.text, no_wrap=True, overflow="ellipsis")
