"""The stats summary breaks its line between facts, never between a label and its value: at 80x24
it read ``… retention –`` / ``(no reviews yet)``, at 60x20 ``… mastery`` / ``0.27 …``."""

from __future__ import annotations

import pytest
from rich.text import Text
from tuihelp import open_stats

from trainer.tui.screens.stats import StatsScreen
from trainer.tui.widgets.fact_line import join_facts

LABELS = ("to study ", "overdue ", "cards ", "mastery ", "retention ", "recall today ", "interviews ")


def fact(label: str, value: str) -> Text:
    return Text().append(label + " ", style="dim").append(value, style="bold")


def test_join_facts_breaks_only_between_facts():
    facts = [fact("cards", "8"), fact("mastery", "0.27"), fact("注意力", "三")]  # 7, 12, 9 cells (5 characters)
    assert join_facts(facts, 0).plain == "cards 8  mastery 0.27  注意力 三"
    assert join_facts(facts, 32).plain == "cards 8  mastery 0.27  注意力 三"  # exactly 32 cells
    assert join_facts(facts, 31).plain == "cards 8  mastery 0.27\n注意力 三"  # counted in cells, not characters
    assert join_facts(facts, 12).plain == "cards 8\nmastery 0.27\n注意力 三"
    assert join_facts(facts, 3).plain == "cards 8\nmastery 0.27\n注意力 三"  # a fact too wide is left whole
    styled = join_facts(facts, 12)
    assert [styled.plain[s.start:s.end] for s in styled.spans if s.style == "bold"] == ["8", "0.27", "三"]


def summary_lines(app) -> list[str]:
    widget = app.screen.query_one("#stats-summary")
    top, height = widget.region.y, widget.region.height
    return [s.text.strip() for s in app.screen._compositor.render_strips()[top:top + height]]


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 30)])
async def test_every_summary_line_starts_with_a_label(make, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await open_stats(pilot)
        assert isinstance(app.screen, StatsScreen)
        lines = summary_lines(app)
        assert lines and all(line.startswith(LABELS) for line in lines), lines
        assert "recall today" in " ".join(lines)  # the worker's figure was laid out with the rest
        assert all(len(line) <= size[0] - 2 for line in lines)
        if size[0] >= 120:
            assert len(lines) == 1


async def test_laid_out_again_after_a_resize(make):
    app = make()
    async with app.run_test(size=(120, 30)) as pilot:
        await open_stats(pilot)
        assert len(summary_lines(app)) == 1
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        await pilot.pause()
        lines = summary_lines(app)
        assert len(lines) > 1 and all(line.startswith(LABELS) for line in lines), lines
