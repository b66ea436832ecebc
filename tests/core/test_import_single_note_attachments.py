"""A single ``.md`` file imported alone brings the files it embeds, as its folder's import would: from
inside its own folder only, only pictures/sound/video/PDF, never through a symlink, a hidden folder or the
deck, never over a file in the deck, nothing over the size limit; a dry run lists them (JSON
``attachments``). Before, it brought its note only: a user importing one note from an Obsidian vault got
its text and broken pictures. Also: an image whose alt text holds brackets (``![a [b]](c.png)``, valid
CommonMark) is an embed (its alt text ended at the first ``]``, so the picture was not found)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.deck import Deck
from trainer.importers import attachments
from trainer.importers.run import run_import

TODAY = dt.date(2026, 12, 1)


def _deck_files(deck: Path) -> dict[str, bytes]:
    return {p.relative_to(deck).as_posix(): p.read_bytes() for p in deck.rglob("*")
            if p.is_file() and ".trainer" not in p.parts}


def _source(tmp_path: Path) -> Path:
    """A vault-like folder: the note in ``notes/``, its files beside it, below it, outside it, hidden."""
    notes = tmp_path / "vault" / "notes"
    for sub in ("assets", "sub/deeper", ".hidden"):
        (notes / sub).mkdir(parents=True)
    (tmp_path / "vault" / "pics").mkdir()
    (notes / "assets" / "loss curve.png").write_bytes(b"\x89PNG loss")
    (notes / "beside.png").write_bytes(b"\x89PNG beside")
    (notes / "sub" / "deeper" / "deep.pdf").write_bytes(b"%PDF deep")
    (notes / ".hidden" / "h.png").write_bytes(b"hidden")
    (notes / "settings.toml").write_bytes(b"not a picture")
    (tmp_path / "vault" / "pics" / "up.png").write_bytes(b"outside the note's folder")
    (notes / "注意力.md").write_text(
        "# 注意力是什么？\n\n"
        "![loss [log scale]](assets/loss%20curve.png \"the curve\")\n"  # brackets in the alt text
        "![[beside.png|200]] ![[deep.pdf]]\n"  # by name: beside the note, then anywhere below it
        "![up](../pics/up.png) ![h](.hidden/h.png) ![cfg](settings.toml) ![web](https://example.com/w.png)\n"
        "```\n![[never.png]]\n```\n", encoding="utf-8")
    return notes / "注意力.md"


WANTED = {
    "v/assets/loss curve.png": b"\x89PNG loss",
    "v/beside.png": b"\x89PNG beside",
    "v/sub/deeper/deep.pdf": b"%PDF deep",
}


def test_a_single_note_brings_what_it_embeds_from_its_folder(tmp_path: Path, cli):
    note, deck = _source(tmp_path), tmp_path / "deck"
    deck.mkdir()
    dry = cli(deck, "import", str(note), "--into", "v", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr.decode()
    assert sorted(json.loads(dry.stdout)["attachments"]) == sorted(WANTED) and _deck_files(deck) == {}
    r = cli(deck, "import", str(note), "--into", "v", "--json")
    assert r.returncode == 0, r.stderr.decode()
    assert sorted(json.loads(r.stdout)["attachments"]) == sorted(WANTED)
    files = _deck_files(deck)
    assert {k: v for k, v in files.items() if not k.endswith(".md")} == WANTED
    assert files["v/注意力.md"].endswith(note.read_bytes())  # the body byte for byte: its links find the copies
    text = cli(deck, "import", str(note), "--into", "v")
    assert text.returncode == 0 and b"attachments" not in text.stdout and _deck_files(deck) == files


def test_nothing_replaced_nothing_over_the_limit_nothing_through_a_symlink(tmp_path: Path, cli):
    note, deck = _source(tmp_path), tmp_path / "deck"
    folder = note.parent
    (deck / "v").mkdir(parents=True)
    (deck / "v" / "beside.png").write_bytes(b"the deck's own")
    with open(folder / "sub" / "deeper" / "deep.pdf", "r+b") as fh:  # sparse: over the limit, no disk used
        fh.truncate(attachments.MAX_BYTES + 1)
    (tmp_path / "secret.png").write_bytes(b"secret")
    (folder / "link.png").symlink_to(tmp_path / "secret.png")
    (folder / "linked").symlink_to(tmp_path / "vault" / "pics", target_is_directory=True)
    with open(note, "a", encoding="utf-8") as fh:
        fh.write("![[link.png]] ![s](link.png) ![p](linked/up.png)\n")
    r = cli(deck, "import", str(note), "--into", "v", "--json")
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads(r.stdout)
    assert report["attachments"] == ["v/assets/loss curve.png"]
    files = _deck_files(deck)
    assert files["v/beside.png"] == b"the deck's own"
    assert b"secret" not in files.values() and b"outside the note's folder" not in files.values()
    reasons = " | ".join(w["reason"] for w in report["warnings"])
    assert "v/beside.png is in the deck already (not the same file); not replaced" in reasons
    assert "MB, over 50 MB; not copied" in reasons and "deep.pdf" in reasons


def test_the_deck_inside_the_notes_folder_is_not_a_source(tmp_path: Path, cli):
    """A note in a folder that holds the deck: neither a link into the deck nor a name found only there
    is copied (the walk of a folder import leaves the deck out too)."""
    folder, deck = tmp_path / "notes", tmp_path / "notes" / "deck"
    (deck / "img").mkdir(parents=True)
    (deck / "img" / "in-deck.png").write_bytes(b"already the deck's")
    (folder / "n.md").write_text("# Q?\n\n![a](deck/img/in-deck.png) ![[in-deck.png]]\n", encoding="utf-8")
    r = cli(deck, "import", str(folder / "n.md"), "--into", "v", "--json")
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout)["attachments"] == []
    assert sorted(_deck_files(deck)) == ["img/in-deck.png", "v/n.md"]


def test_two_notes_of_one_folder_one_copy(tmp_path: Path):
    note, root = _source(tmp_path), tmp_path / "deck"
    root.mkdir()
    (note.parent / "other.md").write_text("# Other?\n\n![[beside.png]]\n", encoding="utf-8")
    report = run_import(Deck(root), [note, note.parent / "other.md"], into="v", today=TODAY)
    assert sorted(report.attachments) == sorted(WANTED)
    assert _deck_files(root)["v/beside.png"] == b"\x89PNG beside"


def test_a_link_is_looked_up_without_walking_the_folder(tmp_path: Path):
    """A note in a big folder (a home folder) costs no walk of it: a path is looked up part by part,
    a bare name found beside the note too; only a bare name not beside it walks the folder, once."""
    note = _source(tmp_path)
    files = attachments.SourceFiles(note.parent, deck=tmp_path / "deck")
    assert attachments.resolve(files, (note.name,), "assets/loss%20curve.png", False) == ("assets", "loss curve.png")
    assert attachments.resolve(files, (note.name,), "beside.png", True) == ("beside.png",)
    assert attachments.resolve(files, (note.name,), "settings.toml", False) is None
    assert not files.walked
    assert attachments.resolve(files, (note.name,), "deep.pdf", True) == ("sub", "deeper", "deep.pdf")
    assert files.walked
    assert attachments.resolve(files, (note.name,), "h.png", True) is None  # hidden: a walk skips it


def test_a_search_through_a_huge_folder_stops(tmp_path: Path, monkeypatch):
    """A ``![[name]]`` not beside a note in a home folder searches it, but not without end: past
    ``SEARCH_LIMIT`` entries what the search has not reached is not found (as a missing file)."""
    note = _source(tmp_path)
    for i in range(30):
        (note.parent / f"pad{i:02}.txt").write_bytes(b"")
    monkeypatch.setattr(attachments, "SEARCH_LIMIT", 20)  # (the real one: 100,000 entries)
    files = attachments.SourceFiles(note.parent, deck=tmp_path / "deck")
    assert attachments.resolve(files, (note.name,), "deep.pdf", True) is None
    assert files.walked
    monkeypatch.setattr(attachments, "SEARCH_LIMIT", 100)
    files = attachments.SourceFiles(note.parent, deck=tmp_path / "deck")
    assert attachments.resolve(files, (note.name,), "deep.pdf", True) == ("sub", "deeper", "deep.pdf")


@pytest.mark.parametrize(("body", "want"), [
    ("![a [b]](c.png)", ["c.png"]),
    ("![[b] a](c.png)", ["c.png"]),  # an alt text that starts with a bracketed run
    ("![x [y [z]] w](d/e.png 't')", ["d/e.png"]),
    ("![a [b [c [d]]]](x.png)", ["x.png"]),  # three deep
    ("![a \\[ b](c.png)", ["c.png"]),  # an escaped bracket needs no partner
    ("![图 [注]](图.png)", ["图.png"]),
    ("![a [b](c.png)", []),  # unbalanced: CommonMark reads a link [b](c.png) after the text '![a '
    ("![a\\](c.png)", []),  # the escaped ] does not close the alt text
    ("![a [b]] (c.png)", []),  # a space before ( : not a link
])
def test_brackets_in_an_images_alt_text(body, want):
    assert [link for link, wiki in attachments.embeds(body) if not wiki] == want


_PLAIN = st.text(st.characters(blacklist_characters="[]\\", blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=6)
"""Text without brackets, backslashes or anything that ends a line."""


def _alt(depth: int):
    if depth == 0:
        return _PLAIN
    return st.lists(st.one_of(_PLAIN, _alt(depth - 1).map(lambda t: f"[{t}]")), max_size=4).map("".join)


@settings(max_examples=300, deadline=None)
@given(alt=_alt(attachments.ALT_DEPTH), name=st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True),
       before=_PLAIN, after=_PLAIN)
def test_any_alt_text_with_balanced_brackets_is_an_image(alt, name, before, after):
    """CommonMark: brackets balanced in an image's link text are part of it. Whatever the text around."""
    link = f"assets/{name}.png"
    found = [t for t, wiki in attachments.embeds(f"x {before}![{alt}]({link}){after}") if not wiki]  # x: no fence
    assert link in found


def test_the_folder_import_reads_brackets_in_alt_text_too(tmp_path: Path):
    src, root = tmp_path / "src", tmp_path / "deck"
    (src / "img").mkdir(parents=True)
    root.mkdir()
    (src / "img" / "a.png").write_bytes(b"\x89PNG a")
    (src / "n.md").write_text("# Q?\n\n![Figure [1]: loss](img/a.png)\n", encoding="utf-8")
    report = run_import(Deck(root), [src], today=TODAY)
    assert report.attachments == ["img/a.png"] and (root / "img" / "a.png").read_bytes() == b"\x89PNG a"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_as_a_picture_is_not_read(tmp_path: Path):
    note, root = _source(tmp_path), tmp_path / "deck"
    root.mkdir()
    os.mkfifo(note.parent / "pipe.png")
    with open(note, "a", encoding="utf-8") as fh:
        fh.write("![p](pipe.png) ![[pipe.png]]\n")
    report = run_import(Deck(root), [note], into="v", today=TODAY)
    assert sorted(report.attachments) == sorted(WANTED) and "v/pipe.png" not in _deck_files(root)
