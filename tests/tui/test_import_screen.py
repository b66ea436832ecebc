"""The import modal in a tiny host app: preview writes nothing, Import writes and reports."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from textual.widgets import Button, DataTable, Input, ProgressBar, Static
from tuihelp import import_host

from trainer.deck import Deck
from trainer.reviewlog import ReviewLog
from trainer.tui.screens.import_screen import ImportScreen

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TODAY = dt.date(2024, 2, 1)


def Host(deck: Deck):  # noqa: N802 - (the import screen in a bare app: tuihelp.import_host)
    return import_host(deck, TODAY)


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def summary(app) -> str:
    return str(app.screen.query_one("#import-summary", Static).render())


async def test_preview_then_import(tmp_path: Path):
    src = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", src)
    (tmp_path / "deck").mkdir()
    deck = Deck(tmp_path / "deck")
    app = Host(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        assert screen.query_one("#import-run", Button).disabled
        screen.query_one("#import-path", Input).value = str(src)
        screen.query_one("#import-into", Input).value = "obsidian"
        await pilot.press("enter")
        await settle(pilot)
        assert files(deck.root) == {}  # a preview writes nothing, not even .trainer/
        table = screen.query_one("#import-plan", DataTable)
        assert table.row_count == 11 + 1  # 11 notes + 1 flagged row
        actions = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert actions.count("import") == 9 and actions.count("failed") == 1 and actions.count("skipped") == 1
        assert "would import 9, update 0, skip 1, fail 1" in summary(app)
        assert not screen.query_one("#import-run", Button).disabled

        # changing an option invalidates the preview
        screen.query_one("#import-into", Input).value = "other"
        await pilot.pause()
        assert screen.query_one("#import-run", Button).disabled
        screen.query_one("#import-into", Input).value = "obsidian"
        await pilot.pause()
        assert not screen.query_one("#import-run", Button).disabled

        await pilot.click("#import-run")
        await settle(pilot)
        bar = screen.query_one("#import-progress", ProgressBar)
        assert bar.total == 11 and bar.progress == 11
        assert "imported 9, updated 0, skipped 1, failed 1" in summary(app)
        written = files(deck.root / "obsidian")
        assert len(written) == 9 and "attention/self-attention.md" in written
        log = ReviewLog.open(deck.root)
        assert len(list(log.rows(kinds=("import",)))) == 9
        log.close()

        await pilot.click("#import-close")
        await pilot.pause()
        assert len(app.results) == 1 and app.results[0] is not None
        assert len(app.results[0].imported) == 9


async def test_refusal_and_close_without_import(tmp_path: Path):
    (tmp_path / "deck").mkdir()
    deck = Deck(tmp_path / "deck")
    app = Host(deck)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#import-path", Input).value = str(deck.root)
        await pilot.press("enter")
        await settle(pilot)
        assert "inside the deck" in summary(app) or "is the deck" in summary(app)
        assert screen.query_one("#import-run", Button).disabled
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_import_from_the_overview_rescans_the_deck(tmp_path: Path):
    """`i` on the overview opens the import modal; after an import the deck is scanned again."""
    from trainer.tui.app import make_app, open_deck

    src = tmp_path / "vault"
    shutil.copytree(FIXTURES / "vault", src)
    (tmp_path / "deck").mkdir()
    app = make_app(open_deck(tmp_path / "deck", TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.book.loaded and len(app.book.notes) == 0
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        screen.query_one("#import-path", Input).value = str(src)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.click("#import-run")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ImportScreen)
        assert app.book.loaded and len(app.book.notes) == 9


def _empty_deck(tmp_path: Path) -> Deck:
    (tmp_path / "deck").mkdir()
    return Deck(tmp_path / "deck")


async def _preview(pilot, path: Path) -> None:
    """Type ``path`` into the screen and press Enter: a preview (nothing written)."""
    pilot.app.screen.query_one("#import-path", Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)


def _apkg_builders():
    """The package builders of tests/core/test_import_apkg.py (real Anki packages, written here)."""
    import importlib.util
    import sys

    if "apkg_builders" in sys.modules:
        return sys.modules["apkg_builders"]
    path = Path(__file__).resolve().parents[1] / "core" / "test_import_apkg.py"
    spec = importlib.util.spec_from_file_location("apkg_builders", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["apkg_builders"] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


async def test_import_an_anki_package_from_the_screen(tmp_path: Path):
    """The label names Anki packages, and an .apkg typed into the screen is previewed and imported:
    its cards become notes with their Anki schedule, their reviews go into the log."""
    builders = _apkg_builders()
    apkg = builders.package(tmp_path / "words.apkg", builders.sample(), modern=True)
    deck = _empty_deck(tmp_path)
    async with Host(deck).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        label = " ".join(str(w.render()) for w in pilot.app.screen.query("#import-box > Label"))
        assert ".apkg" in label and ".colpkg" in label
        await _preview(pilot, apkg)
        assert files(deck.root) == {}
        app = pilot.app
        assert "would import 7, update 0, skip 0, fail 0" in summary(app)
        await pilot.click("#import-run")
        await settle(pilot)
        assert "imported 7, updated 0, skipped 0, failed 0" in summary(app)
    notes = builders.by_id(deck.root)
    assert len(notes) == 7
    basic = builders.front(notes[(builders.sample().notes[0][0], 0)])
    assert basic["next_review"] == "2024-06-10" and basic["interval"] == 20 and basic["stability"] == 21.5
    log = ReviewLog.open(deck.root)
    assert len(list(log.rows(kinds=("import",)))) == 7
    assert any(r.kind == "review" for r in log.rows())  # the package's own reviews came with it
    log.close()


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_title_wraps_whole_at_small_sizes(tmp_path: Path, size):
    """The title names every kind of source: at 80 columns it was cut mid-word (``… .txt export o``);
    the ``into`` box's placeholder is whole."""
    (tmp_path / "deck").mkdir()
    async with Host(Deck(tmp_path / "deck")).run_test(size=size) as pilot:
        await pilot.pause()
        lines = [strip.text for strip in pilot.app.screen._compositor.render_strips()]
        shown = " ".join(line.strip("█ ") for line in lines[1:4])
        assert "an Anki package (.apkg, .colpkg)" in shown, lines[:4]
        assert pilot.app.screen.query_one("#import-path", Input).region.y > 1  # the form below the title
        assert "into (optional)" in " ".join(lines)  # the placeholder was cut to ``into (optional``


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_path_box_takes_the_width(tmp_path: Path, size):
    """The path box has a row of its own, the whole width of the form (beside ``into`` and the
    conflict choice it was 14 cells at 60 columns); a long Chinese path typed shows whole. On a
    short screen the boxes have no border, so the plan keeps its rows."""
    (tmp_path / "deck").mkdir()
    async with Host(Deck(tmp_path / "deck")).run_test(size=size) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        path_box = screen.query_one("#import-path", Input)
        form = screen.query_one("#import-box")
        assert path_box.outer_size.width == form.content_region.width
        into, conflict = screen.query_one("#import-into", Input), screen.query_one("#import-conflict")
        assert into.region.y > path_box.region.y and into.region.right <= conflict.region.x
        typed = "/导入/一个很长的文件夹名字/export.txt"
        path_box.value = typed
        await pilot.pause()
        row = screen._compositor.render_strips()[path_box.content_region.y].text
        assert typed in row
        lines = [strip.text for strip in screen._compositor.render_strips()]
        assert "into (optional)" in " ".join(lines) and "Preview" in " ".join(lines)
        # Below 24 rows the boxes are a row each: the plan keeps the rows it had (8 at 60x20).
        short = size[1] < 24
        assert path_box.compact == into.compact == conflict.compact == short
        assert screen.query_one("#import-form").outer_size.height == (3 if short else 6)
        assert screen.query_one("#import-plan").size.height >= (8 if short else 10)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_failure_reason_is_shown_whole(tmp_path: Path, size):
    """The reason column ran off the table's right edge: "frontmatter:" and nothing after it at
    80 columns, not even that at 60."""
    src = tmp_path / "notes"
    src.mkdir()
    (src / "broken.md").write_text("---\ntags: [x\n---\nbody\n", encoding="utf-8")
    (tmp_path / "deck").mkdir()
    app = Host(Deck(tmp_path / "deck"))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.query_one("#import-path", Input).value = str(src)
        await pilot.press("enter")
        await settle(pilot)
        table = screen.query_one("#import-plan", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert table.rows[table.coordinate_to_cell_key((0, 0)).row_key].height >= 3  # wrapped, not cut
        if size == (80, 24):  # at 60x20 the wrapped reason scrolls
            shown = "".join(str(strip.text) for strip in (table.render_line(y) for y in range(table.size.height)))
            squeezed = "".join(shown.split())
            assert "YAMLdoesnotparse" in squeezed and "(frontmatterline2,column1)" in squeezed, shown
