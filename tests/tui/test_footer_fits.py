"""The footer leaves out whole keys it has no room for: ``? Help`` is never cut (the demo screen's footer ended ``? Hel``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey
from tuihelp import start_session

from trainer.tui.screens.demo import DemoScreen


def with_demo(deck: Path) -> None:
    path = deck / "attention" / "multi-head.md"
    path.write_text(path.read_text(encoding="utf-8").replace("tags:\n", "demos:\n- qkv-symmetry\ntags:\n"), encoding="utf-8")


def footer_keys(screen) -> list[FooterKey]:
    return [k for k in screen.query(FooterKey) if k.display]


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 30)])
async def test_demo_footer_keeps_help_whole(make, deck, size):
    with_demo(deck)
    app = make()
    async with app.run_test(size=size) as pilot:
        await start_session(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, DemoScreen)
        for _ in range(len(app.screen.predictions)):  # predictions answered: every key of the demo is active
            await pilot.press("y")
        await pilot.pause()
        await pilot.pause()
        keys = footer_keys(app.screen)
        palette = next(k for k in keys if k.has_class("-command-palette"))
        row = [k for k in keys if k is not palette]
        assert [k.key for k in row][0] == "escape" and "question_mark" in [k.key for k in row]
        for key in row:  # every key whole, left of the palette key
            assert key.region.right <= palette.region.x, (size, key.key_display, key.region, palette.region)
        assert palette.region.right <= size[0]
        shown = {k.description for k in row}
        if size[0] >= 120:
            assert {"Play", "Sentence", "Seed", "Experiment"} <= shown  # room for all: none dropped
        else:
            assert "Experiment" not in shown  # the screen's last key gives way first


async def test_footer_follows_a_resize(make, deck):
    with_demo(deck)
    app = make()
    async with app.run_test(size=(120, 30)) as pilot:
        await start_session(pilot)
        await pilot.press("m")
        await pilot.pause()
        for _ in range(len(app.screen.predictions)):
            await pilot.press("y")
        await pilot.pause()
        assert "Experiment" in {k.description for k in footer_keys(app.screen)}
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        await pilot.pause()
        assert "Experiment" not in {k.description for k in footer_keys(app.screen)}
        assert "?" in {k.key_display for k in footer_keys(app.screen)}


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_study_footer_on_a_card_with_a_demo(make, deck, size):
    """At 60 columns ``m Demo`` made ``? Help`` half hidden under the palette key; ``q`` and ``?`` stay."""
    with_demo(deck)
    app = make()
    async with app.run_test(size=size) as pilot:
        await start_session(pilot)
        await pilot.pause()
        keys = footer_keys(app.screen)
        palette = next(k for k in keys if k.has_class("-command-palette"))
        row = [k for k in keys if k is not palette]
        assert {"q", "?"} <= {k.key_display for k in row}
        for key in row:
            assert key.region.right <= palette.region.x, (size, key.key_display, key.region, palette.region)
        assert ("Demo" in {k.description for k in row}) == (size[0] >= 80)  # the card's flag still says "◆ demo (m)"
