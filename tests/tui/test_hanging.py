"""Wrapped predictions, key points and missed points stay under their text, never under their tick:
the qkv demo read ``  ✓ Q1. With one shared projection … matrix S`` / `` symmetric?``."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from trainer.tui import cjk
from trainer.tui.demo_app import DemoApp
from trainer.tui.widgets.demo_predict import PredictPanel
from trainer.tui.widgets.hanging import Hanging


def rendered(renderable, width: int) -> list[str]:
    console = Console(width=width, file=None, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get().splitlines()


def test_continuation_lines_hang_under_the_text():
    cjk.install()
    rows = [
        (Text(" ✓ "), Text("Q1. With one shared projection, is the score matrix S symmetric?")),
        (Text("    "), Text("you: yes · measured: yes — 缩放点积注意力为什么要除以根号，因为方差随维度增大。")),
        (Text(""), Text("Predict first")),
    ]
    lines = rendered(Hanging(rows), 30)
    assert lines[0] == " ✓ Q1. With one shared"
    assert lines[1].startswith("   projection") and lines[2].startswith("   ")
    you = next(i for i, line in enumerate(lines) if line.startswith("    you:"))
    rest = lines[you + 1:-1]
    assert rest and all(line.startswith("    ") and not line[4].isspace() for line in rest), lines
    assert all(cell_len(line) <= 30 for line in lines)
    assert "缩放点积注意力为什么要除以根号" in "".join(line.strip() for line in rest + [lines[you]])
    assert lines[-1] == "Predict first"
    assert str(Hanging(rows)).splitlines()[0] == " ✓ Q1. With one shared projection, is the score matrix S symmetric?"


def test_a_marker_leaving_no_room_is_drawn_as_one_text():
    lines = rendered(Hanging([(Text("×12 "), Text("a point that needs wrapping"))]), 10)
    assert lines[0].rstrip() == "×12 a" and "".join(lines).replace(" ", "") == "×12apointthatneedswrapping"


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_demo_predictions_hang_at_the_app_sizes(size):
    async with DemoApp("qkv-symmetry").run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        panel = pilot.app.screen.query_one(PredictPanel)
        top, height = panel.region.y, panel.region.height
        lines = [s.text.rstrip() for s in pilot.app.screen._compositor.render_strips()[top:top + height]]
        assert len(lines) >= 5, lines  # Q1's prompt or evidence wraps at both sizes
        for line in lines[1:]:
            body = line[panel.region.x:]
            assert body.startswith((" ✓ Q", " ? Q", "   ", " ✗ Q")), lines
