"""Snapshots of every screen at 80x24 and at 60x20 on a fixed day (baselines in __snapshots__/; look at
them before updating)."""

from __future__ import annotations

import pytest
from tuihelp import loaded, open_stats

SIZES = pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])


async def _grade_some(pilot) -> None:
    await loaded(pilot)
    await pilot.press("enter")
    await pilot.pause()
    for q in (4, 2, 5):
        await pilot.press("space", str(q))
        await pilot.pause()


@SIZES
class TestOverview:
    def test_overview(self, snap_compare, make, size):
        assert snap_compare(make(), terminal_size=size, run_before=loaded)

    def test_overview_light_theme(self, snap_compare, make, size):
        async def run_before(pilot):
            await loaded(pilot)
            await pilot.press("ctrl+t")

        assert snap_compare(make(), terminal_size=size, run_before=run_before)


@SIZES
class TestStudy:
    def test_question(self, snap_compare, make, size):
        """The second card: its title looks like markup and must show literally."""

        async def run_before(pilot):
            await loaded(pilot)
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("s")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=size, run_before=run_before)

    def test_answer_revealed_cjk(self, snap_compare, make, size):
        """A Chinese card from the Transformer/Architecture tag, answer and details shown."""

        async def run_before(pilot):
            await loaded(pilot)
            await pilot.press("down", "down", "down", "down")  # All > Training > Optimization > Transformer > Architecture
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("space", "d")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=size, run_before=run_before)

    def test_summary(self, snap_compare, make, size):
        async def run_before(pilot):
            await _grade_some(pilot)
            await pilot.press("q")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=size, run_before=run_before)


@SIZES
class TestOtherScreens:
    def test_stats(self, snap_compare, make, size):
        async def run_before(pilot):
            await _grade_some(pilot)
            await pilot.press("q", "escape")
            await pilot.pause()
            await pilot.press("t")
            await pilot.app.workers.wait_for_complete()  # expected recall (#12) fills in from a worker
            await pilot.pause()

        assert snap_compare(make(), terminal_size=size, run_before=run_before)

    def test_help(self, snap_compare, make, size):
        async def run_before(pilot):
            await loaded(pilot)
            await pilot.press("question_mark")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=size, run_before=run_before)

    def test_stats_mastery_by_tag_with_chinese_tags(self, snap_compare, make, size):
        """The chart's frame holds with Chinese tag names (each character two columns)."""

        async def run_before(pilot):
            await open_stats(pilot)  # (expected recall, #12, fills in from a worker)
            await pilot.press("3")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=size, run_before=run_before)
