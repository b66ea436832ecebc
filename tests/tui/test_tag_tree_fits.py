"""Each row of the overview's tag tree fits the tree's width: the bar shrinks, then goes, then the
name is cut with ``…`` (at cell width: a Chinese character is two); the counts and the mastery
figure are never cut, and the tree never scrolls sideways (at 60x20 it showed ``0.`` and a
horizontal scrollbar)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.widgets import Tree
from tuihelp import TODAY, loaded

from trainer.figures import TagFigures
from trainer.tui.app import make_app, open_deck
from trainer.tui.widgets.tag_label import BAR_CELLS, TAG_NAME_CELLS, tag_label

LONG = "Reinforcement learning from human feedback"
CHINESE = "注意力机制的计算复杂度与长上下文"


def _deck(tmp_path, seed, write_note):
    """Nested tags three deep, long English and Chinese names, enough rows for a vertical scrollbar."""
    root = tmp_path / "deck"
    tags = [("LLM", f"LLM/{LONG}", f"LLM/{LONG}/{CHINESE}"), ("LLM", "LLM/解码策略"), ("LLM", "LLM/Decoding"),
            ("基础", f"基础/{CHINESE}"), ("Maths", "Maths/Linear algebra/Singular value decomposition")]
    n = 0
    for group in tags:
        for i in range(3):
            text = seed(f"Q{n}", tags=group).replace("mastery_level: 0.0", f"mastery_level: 0.{(n * 37) % 90 + 5}")
            write_note(root / f"n{n}.md", text)
            n += 1
    for i in range(14):  # (more tags than rows: the vertical scrollbar takes its cells)
        write_note(root / f"flat{i}.md", seed(f"F{i}", tags=(f"Topic {i:02d} with a long name",)))
    return root


def _visible_rows(tree: Tree) -> list[tuple[str, str, int]]:
    """(text shown left of the scrollbar, text past it, line number) of each row in view."""
    shown = tree.scrollable_content_region.width
    rows = []
    for y in range(tree.size.height):
        line = y + tree.scroll_offset.y
        if line >= len(tree._tree_lines):
            break
        strip = tree.render_line(y)
        rows.append((strip.crop(0, shown).text, strip.crop(shown, strip.cell_length).text, line))
    return rows


def _check_rows(app) -> int:
    screen = app.screen
    tree = screen.query_one("#tags", Tree)
    assert not tree.show_horizontal_scrollbar and tree.scroll_offset.x == 0
    assert tree.virtual_size.width <= tree.scrollable_content_region.width
    rows = _visible_rows(tree)
    assert len(rows) >= 5
    for shown, beyond, line in rows:
        node = tree._tree_lines[line].node
        fig = screen.book.figures().all_cards if node.data is None else screen._tag_figures[node.data]
        assert not beyond.strip(), (shown, beyond)  # nothing drawn under the scrollbar
        assert cell_len(shown) <= tree.scrollable_content_region.width
        label = shown.rstrip()
        assert label.endswith(f" {fig.mastery:.2f}"), label  # the whole figure, last on the row
        assert f"  {fig.to_study}/{fig.cards} " in label, label
        name = node.label.name
        start = label.index(name[0])
        assert label[start:].startswith(name) or re.match(r"[^…]*…", label[start:]), label
    return len(rows)


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_every_row_fits_and_ends_with_its_mastery(tmp_path, seed, write_note, size):
    app = make_app(open_deck(_deck(tmp_path, seed, write_note), TODAY, None))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        tree = app.screen.query_one("#tags", Tree)
        assert tree.show_vertical_scrollbar
        _check_rows(app)
        await pilot.press("end")  # the rows further down, scrolled into view
        await pilot.pause()
        assert tree.scroll_offset.y > 0
        _check_rows(app)
        for node in [tree._tree_lines[i].node for i in range(len(tree._tree_lines))]:
            assert tree.get_label_width(node) == Tree.get_label_width(tree, node)  # measured as drawn


async def test_rows_refit_when_the_terminal_is_resized(tmp_path, seed, write_note):
    app = make_app(open_deck(_deck(tmp_path, seed, write_note), TODAY, None))
    async with app.run_test(size=(60, 20)) as pilot:
        await loaded(pilot)
        tree = app.screen.query_one("#tags", Tree)
        narrow = {line: shown.rstrip() for shown, _, line in _visible_rows(tree)}
        assert any("…" in row for row in narrow.values())  # a long name was cut there
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        _check_rows(app)
        wide = {line: shown.rstrip() for shown, _, line in _visible_rows(tree)}
        assert all(len(wide[line]) >= len(narrow[line]) for line in narrow)
        root_bar = wide[0].rsplit(" ", 2)[1]
        assert len(root_bar) == BAR_CELLS  # room again for the whole bar
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        _check_rows(app)
        assert {line: shown.rstrip() for shown, _, line in _visible_rows(tree)} == narrow


names = st.text(alphabet=st.sampled_from(["a", "Z", " ", "语", "题", "（", "é", "ｗ", "1"]), min_size=1, max_size=40)
figs = st.builds(TagFigures, st.integers(0, 10**6), st.integers(0, 10**5), st.integers(0, 10**5),
                 st.integers(0, 10**5), st.floats(-0.5, 1.5, allow_nan=False))


@settings(max_examples=500, deadline=None)
@given(names, figs, st.integers(0, 60))
def test_a_fitted_label_degrades_the_bar_then_the_name(name, fig, room):
    label = tag_label(name, fig)
    fitted = label.fit(room)
    assert fitted.cell_len == label.fitted_cells(room) == tag_label(name, fig).fitted_cells(room, label.cell_len)
    if label.cell_len <= room:
        assert fitted is label
        return
    counts = f"  {fig.to_study}/{fig.cards}"
    value = f" {min(1.0, max(0.0, fig.mastery)):.2f}"
    plain = fitted.plain
    shown_name = plain[:plain.index(counts)] if counts in plain else plain
    assert counts in plain  # the counts whole, always
    if room >= len(counts) + len(value) + 1:  # room for "…", the counts and the figure
        assert fitted.cell_len <= room and plain.endswith(value)
        bar = plain[len(shown_name) + len(counts):-len(value)].strip()
        if shown_name.rstrip() != label.name:  # the name cut only once the bar is gone
            assert bar == "" and "…" in shown_name
            assert cell_len(shown_name) == room - len(counts) - len(value)  # cut at cell width
        else:
            assert len(bar) < BAR_CELLS
    assert cell_len(label.name) <= TAG_NAME_CELLS
