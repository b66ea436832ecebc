"""The tag tree's labels are made in one piece (a topic may have 20k tags, #17): they are exactly
the labels appended part by part, and the tree measures them as Textual would by rendering them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.text import Text

from trainer import textsafe
from trainer.figures import TagFigures
from trainer.tui.screens.overview import OverviewScreen
from trainer.tui.text import fit_cells, one_line
from trainer.tui.widgets.mastery_bar import mastery_bar, mastery_style
from trainer.tui.widgets.tag_label import TAG_NAME_CELLS

names = st.text(alphabet=st.sampled_from(["a", "Z", " ", "语", "题", "（", "é", "\t", "\x1b", "#", "1", "/", "ｗ"]),
                max_size=40)
figs = st.builds(TagFigures, st.integers(0, 10**6), st.integers(0, 10**5), st.integers(0, 10**5),
                 st.integers(0, 10**5), st.floats(-0.5, 1.5, allow_nan=False))


def _label_by_parts(name: str, fig: TagFigures) -> Text:
    """The label as it was made before: appended part by part."""
    text = Text(one_line(name, TAG_NAME_CELLS))
    text.append(f"  {fig.to_study}", style="bold" if fig.to_study else "dim")
    text.append(f"/{fig.cards} ", style="dim")
    text.append_text(mastery_bar(fig.mastery, 6))
    return text


@settings(max_examples=400, deadline=None)
@given(names, figs)
def test_a_label_in_one_piece_is_the_label_by_parts(name, fig):
    made = OverviewScreen._label(name, fig)
    want = _label_by_parts(name, fig)
    assert made.plain == want.plain and made.spans == want.spans and made == want


@settings(max_examples=300, deadline=None)
@given(names, st.integers(0, 30))
def test_fit_cells_cuts_as_the_core_does(text, limit):
    assert fit_cells(text, limit) == textsafe.fit_cells(text, limit, cell_len)


def test_mastery_bar_parts_keep_the_bar():
    bar = mastery_bar(0.43, 6)
    assert bar.plain == "██▋░░░ 0.43" and [(s.start, s.end, s.style) for s in bar.spans] == [
        (0, 3, mastery_style(0.43)), (3, 6, "dim")]
    assert mastery_bar(1.0, 4, show_value=False).plain == "████" and mastery_bar(0.0, 3).plain == "░░░ 0.00"
