"""A note that embeds a file its source does not have (``![](pics/missing.png)``, ``![[missing.png]]``)
is imported all the same, and the import says so, once a note for each link, as ``path: embed: link:
not found; the note is imported without it`` (in the summary, in ``--json``'s ``warnings``; exit 0 as
for every import warning). Before, it was imported silently: the picture was simply not there in review.
Only a missing file is named so: a note (``![[Other note]]``), a URL, a file that is there but not copied
(hidden, a symlink, outside the source) is not "not found"."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.deck import Deck
from trainer.importers import attachments
from trainer.importers.run import run_import

TODAY = dt.date(2026, 12, 1)
IMPORTED = "the note is imported without it"


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "notes" / "pics").mkdir(parents=True)
    (src / "notes" / ".hidden").mkdir()
    (src / "notes" / "pics" / "there.png").write_bytes(b"\x89PNG there")
    (src / "notes" / ".hidden" / "h.png").write_bytes(b"hidden")
    (tmp_path / "outside.png").write_bytes(b"outside")
    (src / "notes" / "link.png").symlink_to(tmp_path / "outside.png")
    (src / "notes" / "q.md").write_text(
        "# 注意力图？\n\n"
        "![](pics/missing.png) ![ok](pics/there.png) ![[missing.png|300]] ![[there.png]]\n"
        "![[Other note]] ![w](https://example.com/w.png) ![cfg](missing.toml) ![](pics/missing.png)\n"
        "![h](.hidden/h.png) ![s](link.png) ![o](../../outside.png) ![[缺少 的图.png]]\n"
        "```\n![](pics/in-code.png)\n```\n", encoding="utf-8")
    return src


WARNED = [
    f"src/notes/q.md: embed: pics/missing.png: not found; {IMPORTED}",
    f"src/notes/q.md: embed: missing.png: not found; {IMPORTED}",
    f"src/notes/q.md: embed: 缺少 的图.png: not found; {IMPORTED}",
]


def test_a_missing_embed_is_named_and_the_note_imported(tmp_path: Path, cli):
    src, deck = _source(tmp_path), tmp_path / "deck"
    deck.mkdir()
    r = cli(deck, "import", "src")  # (cwd: tmp_path, so the source is named as typed)
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode()
    assert [ln.strip()[len("warning  "):] for ln in out.splitlines() if ln.startswith("  warning  ")] == WARNED
    assert "imported 1, updated 0, skipped 0, failed 0" in out
    assert (deck / "notes" / "q.md").read_bytes().endswith((src / "notes" / "q.md").read_bytes())
    assert (deck / "notes" / "pics" / "there.png").read_bytes() == b"\x89PNG there"
    again = cli(deck, "import", "src")  # skipped (already in the deck): nothing to say of its pictures
    assert again.returncode == 0 and "embed:" not in again.stdout.decode()


def test_json_and_dry_run_say_it_too(tmp_path: Path, cli):
    _source(tmp_path)
    deck = tmp_path / "deck"
    deck.mkdir()
    dry = cli(deck, "import", "src", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr.decode()
    warnings = json.loads(dry.stdout)["warnings"]
    assert [w["reason"] for w in warnings] == [
        w.split(": ", 1)[1].replace(IMPORTED, "the note would be imported without it") for w in WARNED]
    assert {(w["source"], w["target"]) for w in warnings} == {("src/notes/q.md", "notes/q.md")}
    real = json.loads(cli(deck, "import", "src", "--json").stdout)
    assert [f"{w['source']}: {w['reason']}" for w in real["warnings"]] == WARNED


def test_a_single_note_names_its_missing_embeds(tmp_path: Path, cli):
    src, deck = _source(tmp_path), tmp_path / "deck"
    deck.mkdir()
    r = cli(deck, "import", str(src / "notes" / "q.md"), "--into", "v", "--json")
    assert r.returncode == 0, r.stderr.decode()
    report = json.loads(r.stdout)
    assert [w["reason"].split(":")[1].strip() for w in report["warnings"]] == ["pics/missing.png", "missing.png",
                                                                             "缺少 的图.png"]
    assert sorted(report["attachments"]) == ["v/pics/there.png"]


def test_a_search_that_stopped_says_how_far_it_looked(tmp_path: Path, monkeypatch):
    """A bare ``![[name]]`` in a note of a huge folder: not found within the search's limit is said so
    (the file may be further in), not as plainly missing."""
    home = tmp_path / "home"
    for i in range(30):
        (home / f"pad{i:02}").mkdir(parents=True)
    (home / "n.md").write_text("# Q?\n\n![[far.png]] ![](near/gone.png)\n", encoding="utf-8")
    (tmp_path / "deck").mkdir()
    monkeypatch.setattr(attachments, "SEARCH_LIMIT", 20)  # (the real one: 100,000 entries)
    report = run_import(Deck(tmp_path / "deck"), [home / "n.md"], today=TODAY)
    assert [w.reason for w in report.warnings] == [
        f"embed: far.png: not found in the first 20 entries of its folder; {IMPORTED}",
        f"embed: near/gone.png: not found; {IMPORTED}",
    ]
    assert [e.target for e in report.imported] == ["n.md"]


_NAME = st.from_regex(r"[a-z0-9_\-]{1,8}|[注意力图]{1,3}", fullmatch=True)
_LINK = st.tuples(_NAME, st.sampled_from(["png", "PDF", "mp3"]), st.booleans(),
                  st.sampled_from(["wiki", "wiki-path", "md", "md-angle", "md-escaped"]))


def _write(kind: str, folder: str, name: str) -> tuple[str, str]:
    """The embed of ``folder/name`` as a note writes it (a wiki link by bare name: by name only), and
    the link as a warning names it."""
    if kind == "wiki":
        return f"![[{name}]]", name
    if kind == "wiki-path":
        return f"![[{folder}/{name}|alt]]", f"{folder}/{name}"
    if kind == "md-angle":
        return f"![a](<{folder}/{name}>)", f"{folder}/{name}"
    if kind == "md-escaped":
        escaped = f"{folder}/{name.replace('_', '%5F')}"
        return f"![a]({escaped} \"t\")", escaped
    return f"![a [b]]({folder}/{name})", f"{folder}/{name}"


@settings(max_examples=40, deadline=None)
@given(links=st.lists(_LINK, min_size=1, max_size=6, unique_by=lambda t: (t[0], t[1])), single=st.booleans())
def test_exactly_the_missing_ones_are_named(links, single):
    """Whatever the embeds' forms and whichever of their files are there: one warning for each missing
    file, none for a file that is there (it is copied instead)."""
    tmp = Path(tempfile.mkdtemp())
    try:
        src, deck = tmp / "src", tmp / "deck"
        (src / "img").mkdir(parents=True)
        deck.mkdir()
        body, want_missing, want_copied = "# Q?\n\n", [], []
        for stem, ext, there, kind in links:
            name = f"{stem}.{ext}"
            if there:
                (src / "img" / name).write_bytes(name.encode())
                want_copied.append(f"img/{name}")
            written, shown = _write(kind, "img", name)
            body += written + "\n"
            if not there:
                want_missing.append(f"embed: {shown}: not found; {IMPORTED}")
        (src / "n.md").write_text(body, encoding="utf-8")
        report = run_import(Deck(deck), [src / "n.md" if single else src], today=TODAY)
        assert [e.target for e in report.imported] == ["n.md"]
        assert sorted(report.attachments) == sorted(want_copied)
        assert [w.reason for w in report.warnings] == want_missing
    finally:
        shutil.rmtree(tmp)
