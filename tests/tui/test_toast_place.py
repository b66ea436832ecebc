"""Toasts show at the top right, below the header: never over the study screen's buttons and grades
at the bottom (Textual docks its toast rack at the bottom; aligning it to the top alone left the
toasts there, over "Show answer")."""

from __future__ import annotations

import pytest
from tuihelp import start_session


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_toast_is_not_over_the_study_buttons(make, size):
    app = make()
    async with app.run_test(size=size, notifications=True) as pilot:
        await start_session(pilot)
        await pilot.press("3")  # a grade before the answer is shown: a toast says what to do
        await pilot.pause()
        await pilot.pause()
        toasts = list(app.screen.query("Toast"))
        assert toasts, "no toast"
        reveal = app.screen.query_one("#reveal").region
        header = app.screen.query_one("Header").region
        for toast in toasts:
            assert not toast.region.overlaps(reveal)
            assert not toast.region.overlaps(header)
            assert toast.region.y < size[1] // 2 and toast.region.right >= size[0] - 3  # (top right)
