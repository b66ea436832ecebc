"""The last prediction brings the demo's results on screen: at 60x20 they appeared wholly below it,
and the keys that drive them (play, ←/→) changed nothing one could see."""

from __future__ import annotations

import pytest

from trainer.tui.demo_app import DemoApp
from trainer.tui.widgets.demo_predict import PredictPanel


@pytest.mark.parametrize("demo_id, keys", [("sqrt-dk-scaling", "yn"), ("kv-cache-budget", "yyn")])
async def test_the_last_prediction_brings_the_results_on_screen(demo_id, keys):
    """At 60x20 the results appeared wholly below the screen: play and ←/→ changed nothing one saw."""
    async with DemoApp(demo_id).run_test(size=(60, 20)) as pilot:  # what `trainer demo ID` runs
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await pilot.app.workers.wait_for_complete()  # the view's figures are measured in a thread
        await pilot.pause()
        await pilot.pause()
        screen = pilot.app.screen
        body, view = screen.query_one("#demo-body"), screen.view
        shown = body.region.intersection(view.region)
        assert shown.height >= 5, (body.region, view.region)
        assert screen.query_one(PredictPanel).finished
