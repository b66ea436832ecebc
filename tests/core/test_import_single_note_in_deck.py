"""A single note reached through a symlink that lives in the deck (its real file outside, so the
import takes it) brings nothing from the deck: its folder as named is the deck's, and the deck is
never a source of attachments (its files would be copied into it again under ``--into``)."""

from __future__ import annotations

import json
from pathlib import Path


def _deck_files(deck: Path) -> dict[str, bytes]:
    return {p.relative_to(deck).as_posix(): p.read_bytes() for p in deck.rglob("*")
            if p.is_file() and not p.is_symlink() and ".trainer" not in p.parts}


def test_a_note_linked_from_inside_the_deck_takes_no_file_of_the_deck(tmp_path: Path, cli):
    deck, outside = tmp_path / "deck", tmp_path / "outside"
    (deck / "img").mkdir(parents=True)
    outside.mkdir()
    (deck / "img" / "in-deck.png").write_bytes(b"the deck's own")
    (deck / "beside.png").write_bytes(b"the deck's too")
    (outside / "n.md").write_text("# Q?\n\n![a](img/in-deck.png) ![[beside.png]] ![[in-deck.png]]\n", encoding="utf-8")
    (deck / "link.md").symlink_to(outside / "n.md")
    before = _deck_files(deck)
    r = cli(deck, "import", str(deck / "link.md"), "--into", "v", "--json")
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout)["attachments"] == []
    after = _deck_files(deck)
    assert sorted(set(after) - set(before)) == ["v/link.md"]
