"""An Obsidian vault's notes come with the files they embed (``![[diagram.png]]``, ``![loss](../assets/
loss%20curve.png)``): copied into the deck at the same place relative to each note, so the notes' links,
whose bytes an import never changes, find them. Nothing outside the source is read, nothing in the deck
replaced; a dry run copies nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.importers import attachments


def _vault(tmp_path: Path) -> Path:
    v = tmp_path / "vault"
    (v / ".obsidian").mkdir(parents=True)
    (v / "notes" / "深度").mkdir(parents=True)
    (v / "assets").mkdir()
    (v / "assets" / "diagram.png").write_bytes(b"\x89PNG diagram")
    (v / "assets" / "loss curve.png").write_bytes(b"\x89PNG loss")
    (v / "notes" / "深度" / "图.png").write_bytes(b"\x89PNG beside")
    (v / "notes" / "a.md").write_text("# 注意力图\n\n![[diagram.png|300]]\n\n![[Other note]]\n", encoding="utf-8")
    (v / "notes" / "b.md").write_text(
        '# Loss?\n\n![loss](../assets/loss%20curve.png "the curve")\n![web](https://example.com/x.png)\n'
        "```\n![[never.png]]\n```\n", encoding="utf-8")
    (v / "notes" / "深度" / "c.md").write_text("# 深度？\n\n![[图.png]] and ![[diagram.png]]\n", encoding="utf-8")
    return v


def _files(deck: Path) -> dict[str, bytes]:
    return {p.relative_to(deck).as_posix(): p.read_bytes() for p in deck.rglob("*")
            if p.is_file() and ".trainer" not in p.parts}


def test_embedded_files_come_with_their_notes(tmp_path: Path, cli):
    vault, deck = _vault(tmp_path), tmp_path / "deck"
    deck.mkdir()
    dry = cli(deck, "import", str(vault), "--into", "v", "--dry-run", "--json")
    assert dry.returncode == 0 and _files(deck) == {}
    planned = sorted(json.loads(dry.stdout)["attachments"])
    r = cli(deck, "import", str(vault), "--into", "v")
    assert r.returncode == 0, r.stderr.decode()
    assert b"attachments: copied 3 embedded files (placed as in the source)" in r.stdout
    files = _files(deck)
    assert {k: v for k, v in files.items() if not k.endswith(".md")} == {
        "v/assets/diagram.png": b"\x89PNG diagram",  # found by name, as Obsidian finds it; copied once for two notes
        "v/assets/loss curve.png": b"\x89PNG loss",  # the markdown link's path, %20 read as a space
        "v/notes/深度/图.png": b"\x89PNG beside",
    }
    assert planned == sorted(k for k in files if not k.endswith(".md"))
    for name in ("a.md", "b.md"):  # the notes' bodies byte for byte: their links lead to the copies
        assert files[f"v/notes/{name}"].endswith((vault / "notes" / name).read_bytes())
    again = cli(deck, "import", str(vault), "--into", "v")
    assert again.returncode == 0 and b"attachments" not in again.stdout and _files(deck) == files


def test_nothing_outside_the_source_is_read_and_nothing_in_the_deck_replaced(tmp_path: Path, cli):
    vault, deck = _vault(tmp_path), tmp_path / "deck"
    (tmp_path / "secret.png").write_bytes(b"not the vault's")
    (vault / "notes" / "out.md").write_text("# Out?\n\n![x](../../secret.png) ![y](/etc/hostname)\n", encoding="utf-8")
    (vault / "assets" / "link.png").symlink_to(tmp_path / "secret.png")
    (vault / "notes" / "sym.md").write_text("# Sym?\n\n![[link.png]]\n", encoding="utf-8")
    (deck / "v" / "assets").mkdir(parents=True)
    (deck / "v" / "assets" / "diagram.png").write_bytes(b"the deck's own")
    r = cli(deck, "import", str(vault), "--into", "v", "--json")
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads(r.stdout)
    files = _files(deck)
    assert files["v/assets/diagram.png"] == b"the deck's own"
    assert b"not the vault's" not in files.values()
    assert not any(k.endswith(("secret.png", "hostname", "link.png")) for k in files)
    [warning] = [w for w in report["warnings"] if "diagram.png" in w["reason"]]
    assert "is in the deck already (not the same file); not replaced" in warning["reason"]
    assert sorted(report["attachments"]) == ["v/assets/loss curve.png", "v/notes/深度/图.png"]


@pytest.mark.parametrize(("link", "wiki", "want"), [
    ("diagram.png", True, ("assets", "diagram.png")),
    ("assets/diagram.png", True, ("assets", "diagram.png")),  # a path from the vault's top
    ("Other note", True, None),  # a note's text, not a file
    ("../assets/diagram.png", False, ("assets", "diagram.png")),
    ("<../assets/diagram.png>", False, ("assets", "diagram.png")),
    ("../../x.png", False, None),
    ("https://example.com/a.png", False, None),
    ("/assets/diagram.png", False, None),
])
def test_resolve(tmp_path: Path, link, wiki, want):
    files = attachments.SourceFiles(tmp_path)
    files.add(tmp_path / "assets" / "diagram.png", ("assets", "diagram.png"), 0)
    assert attachments.resolve(files, ("notes", "a.md"), link, wiki) == want


def test_the_embed_beside_the_note_wins_then_the_shortest_path(tmp_path: Path):
    files = attachments.SourceFiles(tmp_path)
    for rel in (("z", "deep", "x.png"), ("b", "x.png"), ("notes", "x.png")):
        files.add(tmp_path.joinpath(*rel), rel, 0)
    assert attachments.resolve(files, ("notes", "a.md"), "x.png", True) == ("notes", "x.png")
    assert attachments.resolve(files, ("other", "a.md"), "x.png", True) == ("b", "x.png")


def test_a_link_with_parentheses_and_a_wiki_path_from_the_top():
    assert attachments.embeds("![](img%20(1).png) ![[/assets/x.png]]") == [("img%20(1).png", False), ("/assets/x.png", True)]
    files = attachments.SourceFiles(Path("/v"))
    files.add(Path("/v/assets/x.png"), ("assets", "x.png"), 0)
    files.add(Path("/v/notes/img (1).png"), ("notes", "img (1).png"), 0)
    assert attachments.resolve(files, ("notes", "a.md"), "img%20(1).png", False) == ("notes", "img (1).png")
    assert attachments.resolve(files, ("notes", "a.md"), "/assets/x.png", True) == ("assets", "x.png")


def test_only_what_obsidian_embeds_as_a_file_is_copied():
    files = attachments.SourceFiles(Path("/v"))
    for name in ("trainer.toml", "script.sh", "n.md", "a.PNG", "b.pdf"):
        files.add(Path("/v", name), (name,), 0)
    assert sorted(files.by_name) == ["a.PNG", "b.pdf"]


def test_embeds_outside_code_in_order():
    body = "![[a.png]] x ![b](b.png)\n```\n![[c.png]]\n```\n![[d.pdf#page=2]] ![e](<e f.png> 'E')\n"
    assert attachments.embeds(body) == [("a.png", True), ("b.png", False), ("d.pdf", True), ("<e f.png>", False)]

