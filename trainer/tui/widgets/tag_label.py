"""A tag's label in the overview's tree, ``name  to study/cards ██▋░░░ 0.43``, and the same label made
narrower for a narrow tree: the bar shrinks first, then goes, then the name is cut with ``…``; the
counts and the mastery figure are never cut (a number cut short reads as another number)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from trainer.figures import TagFigures
from trainer.tui.text import fit_cells, one_line, styled_text
from trainer.tui.widgets.mastery_bar import mastery_bar_parts

TAG_NAME_CELLS = 24
"""A tag's name in the tree is cut to this many terminal cells (a Chinese character is two)."""
BAR_CELLS = 6
"""The mastery bar's width when the row has room for it."""
VALUE_CELLS = 5
"""`` 0.43``: the mastery figure with its space."""


class TagLabel(Text):
    """A whole tag label that remembers its name and figures, so the tree can make a narrower one
    when it draws the row (only rows drawn are made again; the tree keeps this one)."""

    __slots__ = ("name", "figures", "_name_cells")

    def name_cells(self, cells: int | None = None) -> int:
        """The name's width in cells, from the label's own ``cells`` if known (everything after the
        name is a cell a character); measured once: the tree asks it of every row it lays out."""
        try:
            return self._name_cells
        except AttributeError:
            if cells is None:
                self._name_cells = cell_len(self.name)
            else:
                self._name_cells = cells - len(self.plain) + len(self.name)
            return self._name_cells

    def counts_cells(self) -> int:
        return len(f"  {self.figures.to_study}/{self.figures.cards}")

    def fitted_cells(self, room: int, cells: int | None = None) -> int:
        """The width of :meth:`fit` ``(room)``, without making it (``cells``: the label's width, if known)."""
        counts = self.counts_cells()
        return fitted_width(counts, *fit_plan(self.name_cells(cells), counts, room))

    def fit(self, room: int) -> Text:
        """This label in at most ``room`` cells (itself when it fits; see :func:`fit_plan`)."""
        name_cells, counts = self.name_cells(), self.counts_cells()
        plan = fit_plan(name_cells, counts, room)
        if plan == (name_cells, BAR_CELLS, True):
            return self
        budget, bar, value = plan
        name = self.name
        if budget < name_cells:
            name = fit_cells(name, budget)
            name += " " * (budget - cell_len(name))  # (a wide character left out leaves a cell)
        return styled_text(label_parts(name, self.figures, bar, show_value=value))


def tag_label(name: str, fig: TagFigures) -> TagLabel:
    """``name  to study/cards ▇▇▁ 0.43`` (made in one piece: a topic may have 20k tags)."""
    shown = one_line(name, TAG_NAME_CELLS)
    label = styled_text(label_parts(shown, fig, BAR_CELLS), TagLabel)
    label.name = shown
    label.figures = fig
    return label


def label_parts(name: str, fig: TagFigures, bar: int, *, show_value: bool = True) -> list[tuple[str, str]]:
    """The label's (text, style) parts with a bar ``bar`` cells wide (0: none)."""
    return [(name, ""), (f"  {fig.to_study}", "bold" if fig.to_study else "dim"),
            (f"/{fig.cards}" + (" " if bar else ""), "dim"), *mastery_bar_parts(fig.mastery, bar, show_value=show_value)]


def fit_plan(name_cells: int, counts_cells: int, room: int) -> tuple[int, int, bool]:
    """(cells for the name, bar width, mastery figure shown) for a label in ``room`` cells: the bar
    shorter, then gone, then the name cut (``…``, one cell at least), and only when even ``…`` and
    the counts leave no room for it, the figure left out whole. A label that cannot fit then is
    wider than ``room`` (the tree cuts it at its edge)."""
    rest = counts_cells + VALUE_CELLS
    bar = min(BAR_CELLS, room - name_cells - rest - 1)
    if bar >= 1:
        return name_cells, bar, True
    if name_cells + rest <= room:
        return name_cells, 0, True
    if room - rest >= 1:
        return room - rest, 0, True
    return min(name_cells, max(1, room - counts_cells)), 0, False


def fitted_width(counts_cells: int, name_cells: int, bar: int, show_value: bool) -> int:
    """The width of a label laid out by :func:`fit_plan`."""
    return name_cells + counts_cells + (bar + 1 if bar else 0) + (VALUE_CELLS if show_value else 0)
