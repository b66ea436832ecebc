"""The stats screen's mastery bars by top-level tag come in the order of the table below them."""

from __future__ import annotations

from textual.widgets import DataTable, Static
from tuihelp import open_stats


async def test_bars_follow_the_table_order(make, deck):
    # Three more top-level tags, with card counts that differ from their places in the tag order.
    for i, tag in enumerate(["Alpha", "Zeta", "Zeta", "Zeta", "Mid", "Mid"]):
        (deck / f"extra-{i}.md").write_text(
            f"---\ndifficulty: easy\ntags:\n- {tag}\n---\n# Question {i}?\n\n## Answer\n\nAnswer {i}.\n", encoding="utf-8")
    app = make()
    async with app.run_test(size=(80, 40)) as pilot:
        await open_stats(pilot)
        table = app.screen.query_one("#tags-table", DataTable)
        in_table = [row.key.value for row in table.ordered_rows]
        top_level = [t or "(untagged)" for t in in_table if "/" not in t]
        chart = str(app.screen.query_one("#tags-chart", Static).render())
        bars = [line.split("│")[0].strip() for line in chart.splitlines() if "│" in line]
        assert sorted(bars) == sorted(top_level)
        assert bars == top_level, (bars, top_level)
