"""The import preview's paths take the room short reasons leave: at 80 columns a clean preview cut
``What is 注意力.md`` to ``What is 注意力.…`` beside an empty reason column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.widgets import DataTable, Input
from tuihelp import import_host

from trainer.deck import Deck

TODAY = dt.date(2024, 2, 1)


async def preview(tmp_path: Path, source: Path, size) -> list[str]:
    (tmp_path / "deck").mkdir()
    app = import_host(Deck(tmp_path / "deck"), TODAY)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.screen.query_one("#import-path", Input).value = str(source)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        table = app.screen.query_one("#import-plan", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width  # nothing off the right edge
        return [str(table.render_line(y).text) for y in range(table.size.height)]


async def test_short_reasons_leave_their_room_to_the_paths(tmp_path: Path):
    src = tmp_path / "export.txt"
    src.write_text("#separator:tab\nWhat is 注意力?\tWeights\nQ2\tA2\n", encoding="utf-8")
    text = "\n".join(await preview(tmp_path, src, (80, 24)))
    assert "What is 注意力.md" in text and "export.txt row 1" in text, text


async def test_at_60_columns_a_folders_short_names_show_whole(tmp_path: Path):
    src = tmp_path / "notes"
    src.mkdir()
    for name in ("scheduled.md", "crlf-bom.md", "plain.md"):  # "scheduled…" at 10 cells a column
        (src / name).write_text(f"# What is in {name}?\n\nA\n", encoding="utf-8")
    text = "\n".join(await preview(tmp_path, src, (60, 20)))
    assert text.count("scheduled.md") == 2 and text.count("crlf-bom.md") == 2 and "…" not in text, text


async def test_long_reasons_still_get_their_share(tmp_path: Path):
    src = tmp_path / "notes"
    src.mkdir()
    (src / "a-rather-long-note-name-here.md").write_text("---\ntags: [x\n---\nbody\n", encoding="utf-8")
    lines = await preview(tmp_path, src, (80, 24))
    squeezed = "".join("".join(lines).split())
    assert "YAMLdoesnotparse" in squeezed and "(frontmatterline2,column1)" in squeezed, lines
    assert any("a-rather-long-n" in line and "…" in line for line in lines), lines  # the path gives way, cut
