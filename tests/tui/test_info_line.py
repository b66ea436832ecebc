"""The study screen's card info line fits its width: whole items or ``…``, never a cut number or a dangling separator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from tuihelp import current_rel, start_session

from trainer.tui.widgets.info_line import InfoLine, fit_items, list_forms

LONG_TAGS = ["LLM", "LLM/Inference", "Transformer/Attention", "注意力机制/多头"]


def test_tags_drop_whole_from_the_end():
    assert list_forms(["a", "b", "c"]) == ("a, b, c", "a, b, …", "a, …", "…", "")
    assert list_forms([]) == ("",)


def test_the_line_gives_way_in_the_order_asked():
    items = [("hard", ""), list_forms(["LLM", "LLM/Inference"]), ("interval 6d", "ivl 6d"), ("mastery 0.41",)]
    order = (1, 1, 1, 1, 2, 0)
    assert fit_items(items, 54, order) == "hard · LLM, LLM/Inference · interval 6d · mastery 0.41"
    assert fit_items(items, 53, order) == "hard · LLM, … · interval 6d · mastery 0.41"
    assert fit_items(items, 41, order) == "hard · … · interval 6d · mastery 0.41"
    assert fit_items(items, 36, order) == "hard · interval 6d · mastery 0.41"
    assert fit_items(items, 32, order) == "hard · ivl 6d · mastery 0.41"
    assert fit_items(items, 27, order) == "ivl 6d · mastery 0.41"
    assert fit_items(items, 8, order) == "ivl 6d …"  # nothing left to give way: cut, with the ellipsis


FORM = st.text(st.sampled_from("ab中文/ 0.5"), min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(FORM, min_size=1, max_size=4), min_size=1, max_size=5),
       st.integers(min_value=0, max_value=60), st.booleans())
def test_fits_with_whole_forms(names, width, droppable):
    items = [list_forms(n) if droppable else (", ".join(n),) for n in names]
    line = fit_items(items, width)
    assert cell_len(line) <= width
    narrowest = " · ".join(f for forms in items if (f := forms[-1]))
    if cell_len(narrowest) <= width:  # then no cut: the line is built of whole forms
        parts = line.split(" · ") if line else []
        assert all(p for p in parts), line  # no empty item, so no doubled or dangling separator
        every_form = {f for forms in items for f in forms}
        assert all(p in every_form for p in parts), (line, items)


def with_long_tags_and_demo(deck: Path) -> None:
    """The first card of the session: reviewed before, four tags (one Chinese) and a demo."""
    path = deck / "attention" / "multi-head.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace("tags:\n- Transformer/Attention\n", "tags:\n" + "".join(f"- {t}\n" for t in LONG_TAGS)
                        + "demos:\n- qkv-symmetry\n")
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_card_info_line_keeps_its_numbers(make, deck, size):
    with_long_tags_and_demo(deck)
    app = make()
    async with app.run_test(size=size) as pilot:
        await start_session(pilot)
        assert current_rel(app) == "attention/multi-head.md"
        info = app.screen.query_one("#card-meta", InfoLine)
        shown = info.text
        assert cell_len(shown) <= info.content_size.width
        assert re.search(r"interval 6d · mastery 0\.41$|ivl 6d · mastery 0\.41$", shown), shown
        assert shown.startswith("hard · LLM"), shown
        assert not re.search(r"[,·]\s*$|, ·|· ·", shown), shown
        flag = app.screen.query_one("#card-flag")
        assert info.region.right <= flag.region.x  # the flag is beside the line, not over it
        assert info.render_line(0).text.strip() == shown  # what the terminal shows
