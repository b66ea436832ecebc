"""Each demo whose live parameter is a ladder of values (``LadderView``) moves along it with →/←
and stops at its ends, redrawing what the value changes."""

from __future__ import annotations

import pytest

from trainer.demos.registry import all_demos
from trainer.tui.screens.demo.base import LadderView
from trainer.tui.screens.demo.screen import DemoScreen, view_class

LADDER_DEMOS = [d.id for d in all_demos() if issubclass(view_class(d), LadderView)]


def test_the_ladder_demos_are_found():
    assert len(LADDER_DEMOS) >= 6


def _shown(screen) -> str:
    return "\n".join(str(w.render()) for w in screen.view.query("Static"))


@pytest.mark.parametrize("demo_id", LADDER_DEMOS)
async def test_the_live_parameter_stops_at_the_ladders_ends(demo_id):
    from textual.app import App

    app = App()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = DemoScreen(demo_id)
        await app.push_screen(screen)
        await pilot.pause()
        for _ in screen.predictions:
            await pilot.press("y")
        await pilot.pause()
        view = screen.view
        assert screen.revealed and isinstance(view, LadderView)
        top = len(view.LADDER) - 1
        await pilot.press(*["right"] * (top + 2))
        assert view.index == top and view.rung == view.LADDER[top]
        at_top = _shown(screen)
        await pilot.press(*["left"] * (top + 2))
        assert view.index == 0 and view.rung == view.LADDER[0]
        assert _shown(screen) != at_top  # (the live part drawn again for the new value)
        await pilot.press(*["right"] * (top + 2), *["left"] * top)  # (stopped at the top: back at 0)
        assert view.index == 0
