"""The import screen lists the import's warnings (a missing picture first of all: ``embed: pics/missing.png:
not found; the note is imported without it``) as rows of its table, and counts them on the summary's
counts line. Before, the screen showed none of them: a note imported without its picture said nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.widgets import DataTable, Input, Static
from tuihelp import import_host
from tuihelp import loaded as _settle

from trainer.deck import Deck

TODAY = dt.date(2026, 12, 1)


def _rows(screen) -> list[tuple[str, str, str, str]]:
    table = screen.query_one("#import-plan", DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def test_a_missing_picture_is_a_warning_row_and_counted(tmp_path: Path):
    src = tmp_path / "notes"
    (src / "pics").mkdir(parents=True)
    (src / "pics" / "there.png").write_bytes(b"\x89PNG")
    (src / "q.md").write_text("# 注意力？\n\n![](pics/missing.png) ![](pics/there.png)\n", encoding="utf-8")
    (tmp_path / "deck").mkdir()
    app = import_host(Deck(tmp_path / "deck"), TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#import-path", Input).value = str(src)
        await pilot.press("enter")
        await _settle(pilot)
        summary = str(screen.query_one("#import-summary", Static).render())
        assert "would import 1, update 0, skip 0, fail 0; 1 warning (in the list)" in summary
        assert _rows(screen) == [
            ("import", "q.md", "q.md", ""),
            ("warning", "q.md", "q.md", "embed: pics/missing.png: not found; the note would be imported without it"),
        ]
        await pilot.press("ctrl+s")
        await _settle(pilot)
        summary = str(screen.query_one("#import-summary", Static).render())
        assert "imported 1, updated 0, skipped 0, failed 0; 1 warning (in the list)" in summary
        assert _rows(screen)[1] == ("warning", "q.md", "q.md",
                                    "embed: pics/missing.png: not found; the note is imported without it")
    assert (tmp_path / "deck" / "q.md").exists() and (tmp_path / "deck" / "pics" / "there.png").exists()
