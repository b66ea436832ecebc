"""Snapshots of every screen at 80x24 on a fixed day (baselines in __snapshots__/; look at them before updating)."""

from __future__ import annotations

from tuihelp import loaded

SIZE = (80, 24)


async def _grade_some(pilot) -> None:
    await loaded(pilot)
    await pilot.press("enter")
    await pilot.pause()
    for q in (4, 2, 5):
        await pilot.press("space", str(q))
        await pilot.pause()


class TestOverview:
    def test_overview(self, snap_compare, make):
        assert snap_compare(make(), terminal_size=SIZE, run_before=loaded)

    def test_overview_light_theme(self, snap_compare, make):
        async def run_before(pilot):
            await loaded(pilot)
            await pilot.press("ctrl+t")

        assert snap_compare(make(), terminal_size=SIZE, run_before=run_before)


class TestStudy:
    def test_question(self, snap_compare, make):
        """The second card: its title looks like markup and must show literally."""

        async def run_before(pilot):
            await loaded(pilot)
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("s")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=SIZE, run_before=run_before)

    def test_answer_revealed_cjk(self, snap_compare, make):
        """A Chinese card from the Transformer/Architecture tag, answer and details shown."""

        async def run_before(pilot):
            await loaded(pilot)
            await pilot.press("down", "down", "down", "down")  # All > Training > Optimization > Transformer > Architecture
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("space", "d")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=SIZE, run_before=run_before)

    def test_summary(self, snap_compare, make):
        async def run_before(pilot):
            await _grade_some(pilot)
            await pilot.press("q")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=SIZE, run_before=run_before)


class TestOtherScreens:
    def test_stats(self, snap_compare, make):
        async def run_before(pilot):
            await _grade_some(pilot)
            await pilot.press("q", "escape")
            await pilot.pause()
            await pilot.press("t")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=SIZE, run_before=run_before)

    def test_help(self, snap_compare, make):
        async def run_before(pilot):
            await loaded(pilot)
            await pilot.press("question_mark")
            await pilot.pause()

        assert snap_compare(make(), terminal_size=SIZE, run_before=run_before)
