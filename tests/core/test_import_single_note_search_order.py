"""A single note in a huge folder (a home folder): a ``![[name]]`` not beside it searches the folder
and stops after ``SEARCH_LIMIT`` entries; a link by path in the same note is still looked up where
it says, whatever came first in the note (after a search that stopped early, a path the search had
not reached was not found: ``![[far.png]] ![a](assets/a.png)`` lost ``assets/a.png``, and
``![[far.png]] ![[b.png]]`` the ``b.png`` beside the note)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trainer.deck import Deck
from trainer.importers import attachments
from trainer.importers.run import run_import


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "zz" / "assets").mkdir(parents=True)
    (home / "zz" / "assets" / "a.png").write_bytes(b"\x89PNG a")
    (home / "b.png").write_bytes(b"\x89PNG b")
    for i in range(40):
        (home / f"pad{i:02}").mkdir()
        (home / f"pad{i:02}" / "x.txt").write_bytes(b"")
    return home


def test_a_path_after_a_search_that_stopped_is_still_looked_up(tmp_path: Path, monkeypatch):
    home = _home(tmp_path)
    monkeypatch.setattr(attachments, "SEARCH_LIMIT", 20)  # (the real one: 100,000 entries)
    files = attachments.SourceFiles(home, deck=tmp_path / "deck")
    assert attachments.resolve(files, ("n.md",), "far.png", True) is None  # searched, stopped, not found
    assert files.walked
    assert attachments.resolve(files, ("n.md",), "zz/assets/a.png", False) == ("zz", "assets", "a.png")
    assert attachments.resolve(files, ("n.md",), "b.png", True) == ("b.png",)  # a name beside the note too


def test_a_single_note_brings_its_path_linked_file_after_a_bare_name(tmp_path: Path, monkeypatch):
    home = _home(tmp_path)
    (home / "n.md").write_text("# Q?\n\n![[far.png]]\n\n![a](zz/assets/a.png)\n", encoding="utf-8")
    deck = tmp_path / "deck"
    deck.mkdir()
    monkeypatch.setattr(attachments, "SEARCH_LIMIT", 20)
    report = run_import(Deck(deck), [home / "n.md"], into="v", today=dt.date(2026, 12, 1))
    assert report.attachments == ["v/zz/assets/a.png"]
    assert (deck / "v" / "zz" / "assets" / "a.png").read_bytes() == b"\x89PNG a"
