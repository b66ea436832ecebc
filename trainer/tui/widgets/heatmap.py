"""A small matrix heatmap drawn with two-cell-wide coloured cells.

Row/column labels may be CJK (widths are measured in terminal cells).  The
colour scale is diverging (blue < 0 < red) around a symmetric ``vmax`` so two
heatmaps given the same ``vmax`` are directly comparable; a legend line shows
the scale.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rich.cells import cell_len, set_cell_size
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

__all__ = ["Heatmap", "bar_text", "diverging_color", "legend_text", "matrix_text"]

_NEUTRAL = (46, 48, 58)
_POS = (232, 86, 62)
_NEG = (58, 132, 232)


def diverging_color(v: float) -> Color:
    """Colour for a value scaled to [-1, 1]."""
    v = float(np.clip(v, -1.0, 1.0)) if np.isfinite(v) else 0.0
    target = _POS if v >= 0 else _NEG
    m = abs(v) ** 0.8
    rgb = tuple(int(round(a + (b - a) * m)) for a, b in zip(_NEUTRAL, target))
    return Color.from_rgb(*rgb)


def legend_text(vmax: float, width: int = 12) -> Text:
    text = Text(f"{-vmax:+.2f} ", style="dim")
    for k in range(width):
        v = -1.0 + 2.0 * k / (width - 1)
        text.append(" ", Style(bgcolor=diverging_color(v)))
    text.append(f" {vmax:+.2f}", style="dim")
    return text


def _fit(label: str, width: int) -> str:
    """Pad/truncate to exactly ``width`` cells (wide characters are not split)."""
    if cell_len(label) > width:
        out, used = "", 0
        for ch in label:
            w = cell_len(ch)
            if used + w > width:
                break
            out += ch
            used += w
        label = out
    return set_cell_size(label, width)


def matrix_text(
    M: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str] | None = None,
    *,
    vmax: float | None = None,
    title: str = "",
    label_width: int = 6,
    cell_width: int = 2,
    mark: set[tuple[int, int]] | None = None,
    legend: bool = True,
) -> Text:
    """Render ``M`` as rich Text: title, column header, rows, legend."""
    M = np.asarray(M, dtype=float)
    n_rows, n_cols = M.shape
    col_labels = list(col_labels if col_labels is not None else row_labels)
    if vmax is None:
        vmax = float(np.abs(M).max()) if M.size else 1.0
    vmax = vmax or 1.0
    out = Text(no_wrap=True, overflow="crop")
    if title:
        out.append(title + "\n", style="bold")
    out.append(" " * label_width)
    for j in range(n_cols):
        out.append(_fit(str(col_labels[j]), cell_width), style="dim")
    out.append("\n")
    for i in range(n_rows):
        out.append(_fit(str(row_labels[i]), label_width - 1) + " ", style="dim")
        for j in range(n_cols):
            glyph = " " * cell_width
            style = Style(bgcolor=diverging_color(M[i, j] / vmax))
            if mark and (i, j) in mark:
                glyph = _fit("◆", cell_width)
                style = style + Style(color="white", bold=True)
            out.append(glyph, style)
        out.append("\n")
    if legend:
        out.append(" " * label_width)
        out.append_text(legend_text(vmax, max(6, min(12, n_cols * cell_width - 12))))
    else:
        out.rstrip()
    return out


class Heatmap(Static):
    """A labelled heatmap of a small matrix."""

    DEFAULT_CSS = """
    Heatmap {
        width: auto;
        height: auto;
    }
    """

    def __init__(self, *, label_width: int = 6, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.label_width = label_width
        self.matrix: np.ndarray | None = None

    def set_matrix(
        self,
        M: np.ndarray,
        row_labels: Sequence[str],
        col_labels: Sequence[str] | None = None,
        *,
        vmax: float | None = None,
        title: str = "",
        mark: set[tuple[int, int]] | None = None,
    ) -> None:
        self.matrix = np.array(M, copy=True)
        self.update(
            matrix_text(
                M,
                row_labels,
                col_labels,
                vmax=vmax,
                title=title,
                label_width=self.label_width,
                mark=mark,
            )
        )


_BLOCKS = " ▁▂▃▄▅▆▇█"


def bar_text(
    values: Sequence[float],
    *,
    vmin: float = 0.0,
    vmax: float = 1.0,
    cell_width: int = 2,
    style: str = "",
    mark: int | None = None,
    mark_style: str = "bold yellow",
) -> Text:
    """One line of block bars (8 levels) on a fixed scale [vmin, vmax]."""
    out = Text(no_wrap=True, overflow="crop")
    span = (vmax - vmin) or 1.0
    for k, v in enumerate(values):
        frac = float(np.clip((float(v) - vmin) / span, 0.0, 1.0))
        level = int(round(frac * (len(_BLOCKS) - 1)))
        if frac > 0 and level == 0:
            level = 1
        out.append(_BLOCKS[level] * cell_width, mark_style if k == mark else style)
    return out
