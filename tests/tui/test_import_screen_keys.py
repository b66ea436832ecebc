"""The import screen's keys: preview, import, close and the next field are in its footer, in `?` (`f1`
from a box, where `?` is typed) and in the command palette. Before, the screen had no footer, its
actions were reachable only by Tab and the mouse, and `?` did nothing (a modal screen leaves the
app's own keys out)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Button, DataTable, Input, Static

from trainer.tui.app import make_app, open_deck
from trainer.tui.commands import palette_commands
from trainer.tui.screens.help import HelpScreen, help_sections
from trainer.tui.screens.import_screen import ImportScreen

TODAY = dt.date(2024, 2, 1)


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "notes"
    (src / "img").mkdir(parents=True)
    (src / "img" / "qk.png").write_bytes(b"\x89PNG qk")
    (src / "a.md").write_text("# What is attention?\n\n## Short\n\nWeights.\n\n![QK [scaled]](img/qk.png)\n",
                              encoding="utf-8")
    (src / "b.md").write_text("# 为什么要除以根号 d_k？\n\n## 简答\n\n方差。\n", encoding="utf-8")
    return src


async def _open(pilot) -> ImportScreen:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("i")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ImportScreen)
    return screen


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def _until(pilot, done, seconds: float = 60) -> None:
    """Pause until ``done()`` (a worker's message is taken a few pauses after the worker ends, later
    on a busy machine)."""
    for _ in range(int(seconds / 0.05)):
        if done():
            return
        await pilot.pause(0.05)
    assert done()


def _rows(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".trainer" not in p.parts)


def _summary(screen) -> str:
    return str(screen.query_one("#import-summary", Static).render())


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_footer_shows_the_keys_and_the_form_still_fits(tmp_path: Path, size):
    (tmp_path / "deck").mkdir()
    app = make_app(open_deck(tmp_path / "deck", TODAY))
    async with app.run_test(size=size) as pilot:
        screen = await _open(pilot)
        footer = _rows(app)[-1]
        for key in ("tab Next field", "esc Close", "^r Preview", "^s Import"):
            assert key in footer, footer
        assert "? Help" not in footer  # the path box has the focus: ? is typed there, so not offered
        screen.query_one("#import-close", Button).focus()
        await pilot.pause()
        await pilot.pause()
        footer = _rows(app)[-1]
        assert "? Help" in footer and footer.rstrip().endswith("? Help"), footer  # whole, not cut
        # the box ends above the footer, its buttons on screen; the plan keeps the rows it had
        box = screen.query_one("#import-box")
        assert box.region.bottom <= size[1] - 1
        for button in screen.query("#import-buttons Button"):
            assert button.region.bottom <= box.region.bottom and "Preview" in " ".join(_rows(app))
        assert screen.query_one("#import-plan", DataTable).size.height >= (8 if size[1] < 24 else 10)


async def test_ctrl_r_previews_and_ctrl_s_imports(tmp_path: Path):
    src, deck = _source(tmp_path), tmp_path / "deck"
    deck.mkdir()
    app = make_app(open_deck(deck, TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await pilot.press("ctrl+s")  # nothing previewed: Import does nothing
        await _settle(pilot)
        assert _files(deck) == [] and not screen.check_action("import", ())
        await pilot.press(*str(src))
        await pilot.press("ctrl+r")
        await _settle(pilot)
        assert "would import 2" in _summary(screen) and "ctrl+s" in _summary(screen)
        assert _files(deck) == []
        assert screen.check_action("import", ())
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert "imported 2" in _summary(screen)
        assert _files(deck) == ["a.md", "b.md", "img/qk.png"]
        assert not screen.check_action("import", ())  # done: a second ctrl+s imports nothing again
        await pilot.press("escape")
        await _settle(pilot)
        assert not isinstance(app.screen, ImportScreen) and len(app.book.notes) == 2


async def test_tab_moves_to_the_next_field(tmp_path: Path):
    (tmp_path / "deck").mkdir()
    app = make_app(open_deck(tmp_path / "deck", TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert screen.focused is screen.query_one("#import-path", Input)
        await pilot.press("tab")
        assert screen.focused is screen.query_one("#import-into", Input)
        await pilot.press("shift+tab")
        assert screen.focused is screen.query_one("#import-path", Input)


async def test_the_palette_lists_the_screens_actions_and_runs_them(tmp_path: Path):
    src, deck = _source(tmp_path), tmp_path / "deck"
    deck.mkdir()
    app = make_app(open_deck(deck, TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        titles = [c.title for c in palette_commands(screen)]
        assert {"Preview", "Close", "Next field", "Help"} <= set(titles) and "Import" not in titles
        screen.query_one("#import-path", Input).value = str(src)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Preview")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await _settle(pilot)
        assert app.screen is screen and "would import 2" in _summary(screen)
        assert "Import" in [c.title for c in palette_commands(screen)]  # now it can run


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_help_lists_the_keys_from_the_box_and_from_a_button(tmp_path: Path, size):
    (tmp_path / "deck").mkdir()
    app = make_app(open_deck(tmp_path / "deck", TODAY))
    async with app.run_test(size=size) as pilot:
        screen = await _open(pilot)
        title, rows = help_sections(screen)[0]
        assert title == "This screen: Import"
        keys = [k for k, _ in rows]
        assert {"esc", "^r", "^s", "tab", "?"} <= set(keys), rows
        await pilot.press("question_mark")  # in the path box: typed, not help
        assert screen.query_one("#import-path", Input).value == "?" and app.screen is screen
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(_rows(app))
        assert "Preview" in shown and "^r" in shown and "^s" in shown
        await pilot.press("escape")
        await pilot.pause()
        screen.query_one("#import-close", Button).focus()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_single_files_row_names_the_file_not_its_whole_path(tmp_path: Path, size):
    """A .md typed whole showed as ``/tmp/…/no…`` (its path cut at the column's width); its name now,
    and the files it embeds are in the summary (a single note brings them)."""
    src, deck = _source(tmp_path), tmp_path / "deck"
    deck.mkdir()
    app = make_app(open_deck(deck, TODAY))
    async with app.run_test(size=size) as pilot:
        screen = await _open(pilot)
        screen.query_one("#import-path", Input).value = str(src / "a.md")
        await pilot.press("ctrl+r")
        await _settle(pilot)
        table = screen.query_one("#import-plan", DataTable)
        assert str(table.get_row_at(0)[1]) == "a.md"
        assert "would copy 1 embedded file" in " ".join(_summary(screen).split())


async def test_help_lists_only_the_app_keys_that_work_on_the_modal_screen(tmp_path: Path):
    """A modal screen gets none of the app's keys but its priority ones (and the palette): help says
    ctrl+q and ctrl+p there, not the theme's ctrl+t, which does nothing; ctrl+q quits from it."""
    (tmp_path / "deck").mkdir()
    app = make_app(open_deck(tmp_path / "deck", TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        title, rows = help_sections(screen)[1]
        assert title == "Everywhere"
        assert [k for k, _ in rows] == ["^q", "^p"], rows
        theme = app.theme
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert app.theme == theme  # (it does nothing here: not offered)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


NOTES_WRITTEN = 600
"""Enough for the import to be writing when ctrl+q's action runs right after ctrl+s's (the actions are
called in turn, with no wait between them); 3,000 took 17 s of a full run."""


async def test_ctrl_q_waits_for_an_import_that_is_writing(tmp_path: Path):
    """ctrl+q while an import writes notes says so and the app stays (it cannot stop halfway; before,
    the screen went and the process waited for the import with nothing said); once it is done ctrl+q quits."""
    src, deck = tmp_path / "many", tmp_path / "deck"
    src.mkdir()
    deck.mkdir()
    for i in range(NOTES_WRITTEN):
        (src / f"q{i:04}.md").write_text(f"# Question {i}?\n\n## Short\n\nAnswer {i}.\n", encoding="utf-8")
    app = make_app(open_deck(deck, TODAY))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open(pilot)
        await pilot.press(*str(src))
        await pilot.press("ctrl+r")
        await _until(pilot, lambda: screen.check_action("import", ()) is True)  # (the preview taken: Import offered)
        # the actions ctrl+s and ctrl+q run, called as the keys call them: a key pressed through Pilot
        # waits until the app is idle, here until the import has ended
        screen.action_import()
        assert screen.writing  # (each note written durably: about a second of writing)
        await app.action_quit()
        await pilot.pause()
        assert app.return_code is None and app.screen is screen
        assert any("import is writing" in n.message for n in app._notifications)  # noqa: SLF001
        await _until(pilot, lambda: not screen.writing)
        assert f"imported {NOTES_WRITTEN}" in _summary(screen)
        await app.action_quit()
        await pilot.pause()
    assert app.return_code == 0
    assert len([p for p in deck.glob("*.md")]) == NOTES_WRITTEN
