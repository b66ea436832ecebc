"""The stats screen's "Mastery by tag" table fits the screen's width: its mastery and recall columns
are read without scrolling sideways (at 60x20 they were past the edge, and at 80x24 recall was cut);
the tag column takes what is left and cuts long names with ``…`` at cell width (a Chinese character
is two cells and is never cut in half)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable
from tuihelp import open_stats

CHINESE = "注意力机制与长上下文的计算复杂度分析"
LONG = "Reinforcement learning from human feedback"


@pytest.fixture
def wide_tags_deck(deck, seed, write_note):
    """The fixture deck and notes whose tags are long: Chinese at the top, English nested, counts of
    three digits (wider than some headers)."""
    write_note(deck / "wide" / "zh.md", seed("长标签的问题？", tags=(CHINESE, f"{CHINESE}/{CHINESE}")))
    for i in range(120):
        write_note(deck / "wide" / f"en{i}.md", seed(f"Question {i}?", tags=("LLM", f"LLM/{LONG}")))
    return deck


def _cell_text(table: DataTable, tag: str, column: str) -> str:
    return table.get_cell(tag, column).plain


@pytest.mark.parametrize("size", [(60, 20), (80, 24)], ids=["60x20", "80x24"])
async def test_tag_table_fits_the_width(make, wide_tags_deck, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_stats(pilot)
        await pilot.press("3")
        await pilot.pause()
        table = app.screen.query_one("#tags-table", DataTable)
        shown = table.scrollable_content_region.width
        assert table.virtual_size.width <= shown, (table.virtual_size.width, shown)
        assert table.max_scroll_x == 0

        # The recall column ends inside the table (the worker has filled it in).
        recall_end = sum(c.get_render_width(table) for c in table.ordered_columns)
        assert recall_end <= shown
        assert _cell_text(table, "LLM", "recall").strip() not in ("", "…")
        header = table.render_line(0).text
        assert "mastery" in header and "recall" in header

        tag_width = table.ordered_columns[0].content_width
        for tag, name in ((CHINESE, CHINESE), (f"{CHINESE}/{CHINESE}", "  " + CHINESE), (f"LLM/{LONG}", "  " + LONG)):
            text = _cell_text(table, tag, table.ordered_columns[0].key)
            assert cell_len(text) <= tag_width, (text, tag_width)
            if cell_len(name) > tag_width:
                assert text.endswith("…") and name.startswith(text[:-1]), text
                assert cell_len(text) >= tag_width - 1  # at most the cell a wide character left out
            else:
                assert text == name
        # The Chinese row as drawn: its name whole-charactered and its recall in view.
        table.focus()
        table.move_cursor(row=table.get_row_index(CHINESE))
        await pilot.pause()
        y = table.get_row_index(CHINESE) + 1 - table.scroll_offset.y  # (+1: the header)
        drawn = table.render_line(y).crop(0, shown).text
        assert _cell_text(table, CHINESE, table.ordered_columns[0].key) in drawn
        assert drawn.rstrip().endswith(_cell_text(table, CHINESE, "recall").strip())


async def test_tag_table_widens_again_when_the_terminal_does(make, wide_tags_deck):
    app = make()
    async with app.run_test(size=(60, 20)) as pilot:
        await open_stats(pilot)
        await pilot.press("3")
        await pilot.pause()
        table = app.screen.query_one("#tags-table", DataTable)
        narrow = _cell_text(table, f"LLM/{LONG}", table.ordered_columns[0].key)
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        table = app.screen.query_one("#tags-table", DataTable)
        wide = _cell_text(table, f"LLM/{LONG}", table.ordered_columns[0].key)
        assert cell_len(wide) > cell_len(narrow)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert _cell_text(table, "LLM", "recall").strip() not in ("", "…")


def test_the_bar_grows_before_the_tag_column_and_never_past_eight():
    from trainer.tui.screens.stats import MASTERY_BAR_CELLS, TagColumns, tag_columns

    numbers = [5, 8, 3, 3]
    low, high = MASTERY_BAR_CELLS
    at_60 = tag_columns(58, numbers, natural_tag=30)
    at_80 = tag_columns(78, numbers, natural_tag=30)
    assert at_60 == TagColumns(tag=12, bar=low)
    assert at_80.bar == high and at_80.tag == 78 - 39 - (high + 5)
    assert tag_columns(200, numbers, natural_tag=30) == TagColumns(tag=30, bar=high)
    assert tag_columns(200, numbers, natural_tag=5) == TagColumns(tag=5, bar=high)
