"""`trainer import` of Anki packages (.apkg/.colpkg), modern (zstd, schema 18) and legacy (schema 11).

The packages are built here with sqlite3, zipfile and zstandard in the layouts Anki writes
(rslib/src/import_export/package/): nothing is read from outside the test's temp folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.deck import Deck
from trainer.importers import run_import
from trainer.importers.apkg_package import Limits, PackageError, open_package, read_protobuf
from trainer.reviewlog import ReviewLog

TODAY = dt.date(2024, 6, 1)
CRT_DAY = dt.date(2020, 1, 1)


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute)  # local time, as Anki counts days


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


# ---------------------------------------------------------------- protobuf writer (for building packages)


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb(*fields: tuple[int, int | bytes | str]) -> bytes:
    out = bytearray()
    for number, value in fields:
        if isinstance(value, int):
            out += varint(number << 3) + varint(value)
        else:
            raw = value.encode() if isinstance(value, str) else value
            out += varint(number << 3 | 2) + varint(len(raw)) + raw
    return bytes(out)


# ---------------------------------------------------------------- the collection


@dataclass
class Card:
    id: int
    nid: int
    did: int
    ord: int
    type: int = 0
    queue: int = 0
    due: int = 0
    ivl: int = 0
    factor: int = 0
    reps: int = 0
    lapses: int = 0
    odue: int = 0
    odid: int = 0
    data: str = ""


@dataclass
class Coll:
    notetypes: dict[int, tuple[str, list[str], bool, str]] = field(default_factory=dict)
    """id → (name, field names, cloze, first front template)"""
    decks: dict[int, str] = field(default_factory=dict)
    notes: list[tuple[int, int, list[str], str]] = field(default_factory=list)
    """(id, mid, fields, tags)"""
    cards: list[Card] = field(default_factory=list)
    revlog: list[tuple[int, int, int, int, int, int, int, int]] = field(default_factory=list)
    """(id, cid, ease, ivl, lastIvl, factor, time, type)"""
    media: dict[str, bytes] = field(default_factory=dict)
    rollover: int = 4
    crt: int = int(at(CRT_DAY, 4).timestamp())


def day_no(day: dt.date) -> int:
    return (day - CRT_DAY).days


def sample() -> Coll:
    c = Coll()
    c.notetypes = {
        10: ("Basic", ["Front", "Back"], False, "{{Front}}"),
        11: ("Basic (and reversed card)", ["Front", "Back"], False, "{{Front}}"),
        12: ("Cloze", ["Text", "Back Extra"], True, "{{cloze:Text}}"),
        13: ("Answer first", ["Extra", "Word", "Meaning"], False, "{{#Word}}{{Word}}{{/Word}}"),
    }
    c.decks = {1: "Default", 2: "Lang::Words"}
    n1 = ms(at(dt.date(2023, 1, 5)))
    c.notes = [
        (n1, 10, ["What is <b>Python</b>?", 'A language<br><img src="snake.png">'], " prog::python core "),
        (n1 + 1, 11, ["hund", "dog"], ""),
        (n1 + 2, 12, ["{{c1::Paris}} is the capital of {{c2::France::country}}", "geo"], "geo"),
        (n1 + 3, 10, ["Never seen", "yet [sound:missing.mp3]"], ""),
        (n1 + 4, 10, ['Bad name <img src="../../evil.png">', "x"], ""),
        (n1 + 5, 13, ["note", "chat", "cat"], ""),
    ]
    fsrs = json.dumps({"s": 21.5, "d": 5.25, "dr": 0.9})
    due = day_no(dt.date(2024, 6, 10))
    c.cards = [
        Card(101, n1, 2, 0, type=2, queue=2, due=due, ivl=20, factor=2300, reps=5, lapses=1, data=fsrs),
        Card(102, n1 + 1, 2, 0, type=2, queue=2, due=day_no(dt.date(2024, 5, 20)), ivl=7, factor=2500, reps=3),
        Card(103, n1 + 1, 2, 1),
        Card(104, n1 + 2, 1, 0, type=1, queue=1, due=int(at(TODAY, 9).timestamp()), reps=1),
        Card(105, n1 + 2, 1, 1, type=2, queue=-1, due=day_no(dt.date(2024, 7, 1)), ivl=30, factor=2500, reps=4),
        Card(106, n1 + 3, 1, 0),
        Card(107, n1 + 4, 1, 0),
        Card(108, n1 + 5, 1, 0),
    ]
    d = dt.date(2024, 4, 1)
    c.revlog = [
        (ms(at(d, 10)), 101, 1, -600, 0, 2500, 8000, 0),  # new → again (learning step in seconds)
        (ms(at(d, 10, 10)), 101, 3, 1, -600, 2500, 5000, 0),  # same day: a re-drill
        (ms(at(d + dt.timedelta(days=1), 2)), 101, 3, 3, 1, 2500, 4000, 1),  # 02:00 counts as Apr 1 (rollover 4)
        (ms(at(d + dt.timedelta(days=5))), 101, 2, 8, 3, 2350, 6000, 1),
        (ms(at(d + dt.timedelta(days=9))), 101, 0, 15, 8, 2350, 0, 4),  # a manual reschedule: no grade
        (ms(at(dt.date(2024, 5, 21))), 101, 4, 20, 8, 2300, 3000, 1),
        (ms(at(dt.date(2024, 5, 13))), 102, 3, 7, 3, 2500, 2000, 1),
        (ms(at(dt.date(2024, 5, 13), 13)), 103, 3, 1, 0, 2500, 2000, 0),  # the reversed card's own review
        (ms(at(dt.date(2024, 5, 2))), 105, 3, 30, 10, 2500, 2000, 1),
    ]
    c.media = {"snake.png": b"\x89PNG fake snake", "../../evil.png": b"evil bytes", "unused.jpg": b"u"}
    return c


def _common(con: sqlite3.Connection, c: Coll) -> None:
    con.executescript(
        """
        CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
          usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL, csum integer NOT NULL,
          flags integer NOT NULL, data text NOT NULL);
        CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
          mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL,
          due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL,
          lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL, odid integer NOT NULL,
          flags integer NOT NULL, data text NOT NULL);
        CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
          ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL,
          type integer NOT NULL);
        """
    )
    con.executemany(
        "INSERT INTO notes VALUES (?, ?, ?, 0, 0, ?, ?, '', 0, 0, '')",
        [(nid, f"g{nid}", mid, tags, "\x1f".join(f)) for nid, mid, f, tags in c.notes],
    )
    con.executemany(
        "INSERT INTO cards VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, ?)",
        [(k.id, k.nid, k.did, k.ord, k.type, k.queue, k.due, k.ivl, k.factor, k.reps, k.lapses, k.odue, k.odid, k.data)
         for k in c.cards],
    )
    con.executemany(
        "INSERT INTO revlog VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?)",
        [(i, cid, e, ivl, li, f, t, ty) for i, cid, e, ivl, li, f, t, ty in c.revlog],
    )


_COL = """CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL,
  ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL, conf text NOT NULL,
  models text NOT NULL, decks text NOT NULL, dconf text NOT NULL, tags text NOT NULL);"""


def schema11(path: Path, c: Coll) -> None:
    con = sqlite3.connect(path)
    con.executescript(_COL)
    models = {
        str(mid): {
            "name": name,
            "type": 1 if cloze else 0,
            "flds": [{"name": f, "ord": i} for i, f in enumerate(fields)],
            "tmpls": [{"name": "Card 1", "ord": 0, "qfmt": qfmt, "afmt": "{{FrontSide}}"}],
        }
        for mid, (name, fields, cloze, qfmt) in c.notetypes.items()
    }
    decks = {str(did): {"name": name} for did, name in c.decks.items()}
    con.execute(
        "INSERT INTO col VALUES (1, ?, 0, 0, 11, 0, 0, 0, ?, ?, ?, '{}', '{}')",
        (c.crt, json.dumps({"rollover": c.rollover}), json.dumps(models), json.dumps(decks)),
    )
    _common(con, c)
    con.commit()
    con.close()


def schema18(path: Path, c: Coll) -> None:
    con = sqlite3.connect(path)
    con.executescript(
        _COL
        + """
        CREATE TABLE notetypes (id integer NOT NULL PRIMARY KEY, name text NOT NULL, mtime_secs integer NOT NULL,
          usn integer NOT NULL, config blob NOT NULL);
        CREATE TABLE fields (ntid integer NOT NULL, ord integer NOT NULL, name text NOT NULL, config blob NOT NULL,
          PRIMARY KEY (ntid, ord)) without rowid;
        CREATE TABLE templates (ntid integer NOT NULL, ord integer NOT NULL, name text NOT NULL,
          mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL, PRIMARY KEY (ntid, ord)) without rowid;
        CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL, mtime_secs integer NOT NULL,
          usn integer NOT NULL, common blob NOT NULL, kind blob NOT NULL);
        CREATE TABLE config (KEY text NOT NULL PRIMARY KEY, usn integer NOT NULL, mtime_secs integer NOT NULL,
          val blob NOT NULL) without rowid;
        """
    )
    con.execute("INSERT INTO col VALUES (1, ?, 0, 0, 18, 0, 0, 0, '', '', '', '', '')", (c.crt,))
    for mid, (name, fields, cloze, qfmt) in c.notetypes.items():
        config = pb((1, 1), (3, ".card {}")) if cloze else pb((3, ".card {}"))
        con.execute("INSERT INTO notetypes VALUES (?, ?, 0, 0, ?)", (mid, name, config))
        for i, f in enumerate(fields):
            con.execute("INSERT INTO fields VALUES (?, ?, ?, ?)", (mid, i, f, pb((3, "Arial"))))
        con.execute("INSERT INTO templates VALUES (?, 0, 'Card 1', 0, 0, ?)", (mid, pb((1, qfmt), (2, "{{FrontSide}}"))))
    for did, name in c.decks.items():
        con.execute("INSERT INTO decks VALUES (?, ?, 0, 0, x'', x'')", (did, name.replace("::", "\x1f")))
    con.execute("INSERT INTO config VALUES ('rollover', 0, 0, ?)", (json.dumps(c.rollover).encode(),))
    _common(con, c)
    con.commit()
    con.close()


def package(path: Path, c: Coll, *, modern: bool) -> Path:
    """An .apkg in Anki's modern (zstd) or legacy layout."""
    tmp = path.parent / (path.name + ".db")
    z = zstandard.ZstdCompressor()
    names = list(c.media)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if modern:
            schema18(tmp, c)
            placeholder = path.parent / (path.name + ".old")
            schema11(placeholder, Coll(notes=[(1, 1, ["Please update to the latest Anki version", ""], "")],
                                      notetypes={1: ("Basic", ["Front", "Back"], False, "{{Front}}")},
                                      cards=[Card(1, 1, 1, 0)], decks={1: "Default"}))
            zf.write(placeholder, "collection.anki2")
            zf.writestr("collection.anki21b", z.compress(tmp.read_bytes()))
            entries = b"".join(pb((1, pb((1, n), (2, len(c.media[n])), (3, b"\x01" * 20)))) for n in names)
            zf.writestr("media", z.compress(entries))
            for i, n in enumerate(names):
                zf.writestr(str(i), z.compress(c.media[n]))
            zf.writestr("meta", pb((1, 3)))
            placeholder.unlink()
        else:
            schema11(tmp, c)
            zf.write(tmp, "collection.anki21")
            zf.writestr("media", json.dumps({str(i): n for i, n in enumerate(names)}))
            for i, n in enumerate(names):
                zf.writestr(str(i), c.media[n])
    tmp.unlink()
    return path


# ---------------------------------------------------------------- helpers


@pytest.fixture
def deck(tmp_path: Path) -> Deck:
    d = tmp_path / "deck"
    d.mkdir()
    return Deck(d)


def imp(deck: Deck, sources, **kw):
    kw.setdefault("today", TODAY)
    log = kw.pop("log", None)
    own = log is None and not kw.get("dry_run")
    if own:
        log = ReviewLog.open(deck.root)
    try:
        return run_import(deck, [Path(s) for s in sources], log=log, **kw)
    finally:
        if own:
            log.close()


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8").split("---", 2)[1])


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".trainer" not in p.relative_to(root).parts}


def by_id(root: Path) -> dict[tuple[int, int], Path]:
    out = {}
    for p in root.rglob("*.md"):
        fm = front(p)
        out[(fm["anki_note_id"], fm.get("anki_cloze", 0))] = p
    return out


@pytest.fixture(params=["modern", "legacy"])
def apkg(request, tmp_path: Path) -> Path:
    return package(tmp_path / f"{request.param}.apkg", sample(), modern=request.param == "modern")


# ---------------------------------------------------------------- what a card becomes


def test_cards_become_notes_with_their_schedule(deck: Deck, apkg: Path):
    c = sample()
    report = imp(deck, [apkg])
    assert report.ok, report.render_lines()
    notes = by_id(deck.root)
    n1 = c.notes[0][0]
    # Basic: into the deck's folder, question from the first field, answer from the second
    basic = notes[(n1, 0)]
    assert basic.relative_to(deck.root).parts[:2] == ("Lang", "Words")
    text = basic.read_text("utf-8")
    assert "# What is Python?" in text
    assert "## Answer\n\nA language" in text
    fm = front(basic)
    assert fm["next_review"] == "2024-06-10"
    assert fm["interval"] == 20 and fm["ease_factor"] == 2.3 and fm["review_count"] == 5
    assert fm["last_reviewed"] == "2024-05-21"
    assert fm["stability"] == 21.5 and fm["fsrs_difficulty"] == 5.25
    assert fm["tags"] == ["prog/python", "core"]
    assert fm["created"] == "2023-01-05"
    # new card: new
    new = front(notes[(n1 + 3, 0)])
    assert new["next_review"] == TODAY.isoformat() and new["review_count"] == 0 and new["last_reviewed"] is None
    # the question field is the one the front template shows, not always the first
    assert "# chat" in notes[(n1 + 5, 0)].read_text("utf-8")


def test_cloze_is_one_note_per_cloze_number(deck: Deck, apkg: Path):
    n = sample().notes[2][0]
    imp(deck, [apkg])
    notes = by_id(deck.root)
    c1, c2 = notes[(n, 1)].read_text("utf-8"), notes[(n, 2)].read_text("utf-8")
    assert "# [...] is the capital of France" in c1 and "**Paris**" in c1
    assert "# Paris is the capital of [country]" in c2 and "**France**" in c2
    assert "## Back Extra\n\ngeo" in c1
    fm1, fm2 = front(notes[(n, 1)]), front(notes[(n, 2)])
    assert fm1["next_review"] == TODAY.isoformat()  # learning: due today
    assert fm2["next_review"] == "2024-07-01" and "anki/suspended" in fm2["tags"]  # suspended keeps its date


def test_reversed_cards_fold_into_one_note(deck: Deck, apkg: Path):
    n = sample().notes[1][0]
    report = imp(deck, [apkg])
    notes = by_id(deck.root)
    assert (n, 0) in notes and len([k for k in notes if k[0] == n]) == 1
    assert front(notes[(n, 0)])["next_review"] == "2024-05-20"  # the forward card's schedule
    assert any("reversed" in w.reason for w in report.warnings)


def test_media_copied_safely_and_linked_relatively(deck: Deck, apkg: Path):
    c = sample()
    report = imp(deck, [apkg])
    notes = by_id(deck.root)
    basic = notes[(c.notes[0][0], 0)]
    att = basic.parent / "attachments" / "snake.png"
    assert att.read_bytes() == c.media["snake.png"]
    assert "![](attachments/snake.png)" in basic.read_text("utf-8")
    evil = notes[(c.notes[4][0], 0)]
    assert (evil.parent / "attachments" / "evil.png").read_bytes() == b"evil bytes"
    assert "](attachments/evil.png)" in evil.read_text("utf-8")
    assert not (deck.root.parent / "evil.png").exists() and not (deck.root / "evil.png").exists()
    assert not any(p.name == "unused.jpg" for p in deck.root.rglob("*"))
    assert any("missing.mp3" in w.reason for w in report.warnings)
    assert not [p for p in (deck.root / ".trainer").iterdir() if p.name.startswith("import-")]


# ---------------------------------------------------------------- history


def test_history_goes_into_the_review_log_once(deck: Deck, apkg: Path):
    c = sample()
    report = imp(deck, [apkg])
    graded = [r for r in c.revlog if r[2] > 0 and r[1] != 103]  # the reversed card is not imported
    assert report.reviews_imported == len(graded)
    log = ReviewLog.open(deck.root)
    try:
        rows = [r for r in log.rows() if r.imported]
        assert len(rows) == len(graded)
        basic = [r for r in rows if r.note.startswith("Lang/Words/What is Python")]
        # the 02:00 answer of April 2 belongs to Anki's April 1 (rollover 4): a re-drill of that day
        assert [r.kind for r in basic] == ["review", "redrill", "redrill", "review", "review"]
        assert [r.grade for r in basic] == [1, 4, 4, 3, 5]  # Again, Good, Good, Hard, Easy; the reschedule left out
        assert [r.day.isoformat() for r in basic] == ["2024-04-01"] * 3 + ["2024-04-06", "2024-05-21"]
        assert basic[0].was_new and not basic[1].was_new
        assert basic[0].duration_ms == 8000 and basic[0].after.to_json() == {"rating": 1, "interval": 0, "anki_type": 0}
        assert log.last_undoable() is None  # imported reviews are not ours to undo
        assert sum(1 for r in rows if r.kind == "review") == 5  # what stats and eval count as scheduling reviews
    finally:
        log.close()
    before = tree(deck.root)
    again = imp(deck, [apkg])
    assert again.reviews_imported == 0 and not again.imported
    assert tree(deck.root) == before
    log = ReviewLog.open(deck.root)
    try:
        assert sum(1 for r in log.rows() if r.imported) == len(graded)
    finally:
        log.close()


# ---------------------------------------------------------------- re-import and --on-conflict update


def test_update_never_loses_local_reviews(deck: Deck, tmp_path: Path):
    from trainer import grading

    c = sample()
    first = package(tmp_path / "v1.apkg", c, modern=True)
    imp(deck, [first])
    basic = by_id(deck.root)[(c.notes[0][0], 0)]
    rel = basic.relative_to(deck.root).as_posix()
    log = ReviewLog.open(deck.root)
    try:
        grading.grade(deck, log, deck.load(rel, TODAY), 4, TODAY)
    finally:
        log.close()
    local = front(basic)
    assert local["last_reviewed"] == TODAY.isoformat()
    # Anki's copy changes its tags but was last reviewed before the local review: the schedule stays ours
    c.notes[0] = (c.notes[0][0], 10, c.notes[0][2], "prog::python core extra")
    second = package(tmp_path / "v2.apkg", c, modern=False)
    report = imp(deck, [second])
    assert not report.updated and front(basic) == local  # without --on-conflict update: nothing
    report = imp(deck, [second], on_conflict="update")
    assert [e.target for e in report.updated] == [rel]
    after = front(basic)
    assert after["tags"] == ["prog/python", "core", "extra"]
    assert {k: v for k, v in after.items() if k != "tags"} == {k: v for k, v in local.items() if k != "tags"}
    log = ReviewLog.open(deck.root, readonly=True)
    try:
        mine = [r for r in log.rows(kinds=("review",)) if r.note == rel and not r.imported]
        assert len(mine) == 1 and mine[0].grade == 4
    finally:
        log.close()


def test_update_brings_a_newer_anki_schedule(deck: Deck, tmp_path: Path):
    c = sample()
    imp(deck, [package(tmp_path / "v1.apkg", c, modern=True)])
    card = c.cards[0]
    card.due, card.ivl, card.reps = day_no(dt.date(2024, 8, 1)), 60, 6
    c.revlog.append((ms(at(dt.date(2024, 5, 31))), 101, 3, 60, 20, 2300, 2500, 1))
    report = imp(deck, [package(tmp_path / "v2.apkg", c, modern=True)], on_conflict="update")
    basic = by_id(deck.root)[(c.notes[0][0], 0)]
    fm = front(basic)
    assert fm["next_review"] == "2024-08-01" and fm["interval"] == 60 and fm["last_reviewed"] == "2024-05-31"
    assert report.reviews_imported == 1  # only the new review


# ---------------------------------------------------------------- safety


def _broken(tmp_path: Path, name: str, members: dict[str, bytes]) -> Path:
    p = tmp_path / name
    with zipfile.ZipFile(p, "w") as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return p


@pytest.mark.parametrize(
    "kind",
    ["not-zip", "no-collection", "bad-zstd", "not-sqlite", "unknown-version", "placeholder-only", "truncated"],
)
def test_broken_package_is_one_error_and_nothing_written(deck: Deck, tmp_path: Path, kind: str):
    good = package(tmp_path / "good.apkg", sample(), modern=True)
    z = zstandard.ZstdCompressor()
    if kind == "not-zip":
        bad = tmp_path / "x.apkg"
        bad.write_bytes(b"PK\x03\x04 not really")
    elif kind == "no-collection":
        bad = _broken(tmp_path, "x.apkg", {"media": b"{}"})
    elif kind == "bad-zstd":
        bad = _broken(tmp_path, "x.apkg", {"meta": pb((1, 3)), "collection.anki21b": b"\x28\xb5\x2f\xfd garbage"})
    elif kind == "not-sqlite":
        bad = _broken(tmp_path, "x.apkg", {"meta": pb((1, 3)), "collection.anki21b": z.compress(b"hello" * 100)})
    elif kind == "unknown-version":
        bad = _broken(tmp_path, "x.apkg", {"meta": pb((1, 9)), "collection.anki21b": b""})
    elif kind == "placeholder-only":
        with zipfile.ZipFile(good) as zf:
            bad = _broken(tmp_path, "x.apkg", {"meta": pb((1, 3)), "collection.anki2": zf.read("collection.anki2")})
    else:
        bad = tmp_path / "x.apkg"
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (deck.root / "keep.md").write_text("# mine\n")
    before = tree(deck.root)
    report = imp(deck, [bad])
    assert not report.ok and len(report.failed) == 1 and not report.imported
    assert "Anki package" in report.failed[0].reason
    assert tree(deck.root) == before
    assert not [p for p in (deck.root / ".trainer").iterdir() if p.name.startswith("import-")]
    if kind not in ("not-zip", "bad-zstd"):  # the CLI's exit code, twice is enough (a process each)
        return
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", "--deck", str(deck.root), "import", str(bad)],
        capture_output=True, text=True, env={**os.environ, "TRAINER_TODAY": TODAY.isoformat()},
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout
    assert tree(deck.root) == before


def test_zip_bombs_are_refused(tmp_path: Path):
    c = sample()
    c.media["snake.png"] = b"\0" * (3 << 20)  # 3 MiB of zeros: a few hundred bytes packed
    for modern in (True, False):
        p = package(tmp_path / f"bomb{modern}.apkg", c, modern=modern)
        pkg = open_package(p, Limits(media_file=1 << 20))
        try:
            with pytest.raises(PackageError, match="zip bomb"):
                pkg.media_bytes("snake.png")
        finally:
            pkg.close()
        pkg = open_package(p, Limits(collection=4096))
        try:
            with pytest.raises(PackageError, match="zip bomb"):
                pkg.extract_collection(tmp_path)
        finally:
            pkg.close()


def test_media_limits_fail_the_whole_package(deck: Deck, tmp_path: Path):
    """A media member that is a symlink or damaged is a broken package: nothing is written."""
    p = package(tmp_path / "x.apkg", sample(), modern=False)
    q = tmp_path / "y.apkg"
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(q, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "0":  # snake.png, as a symlink to /etc/passwd
                info = zipfile.ZipInfo("0")
                info.external_attr = (0o120777 << 16)
                data = b"/etc/passwd"
            dst.writestr(info, data)
    before = tree(deck.root)
    report = imp(deck, [q])
    assert len(report.failed) == 1 and "symlink" in report.failed[0].reason
    assert tree(deck.root) == before


def test_names_from_the_package_stay_inside_the_deck(deck: Deck, tmp_path: Path):
    c = sample()
    c.decks[2] = "../../outside::/etc::..::CON"
    c.notes[0] = (c.notes[0][0], 10, ["../../../escape", '<img src="/etc/passwd"> <img src="..\\..\\win.png">'], "")
    c.media = {"/etc/passwd": b"not the real one", "..\\..\\win.png": b"w", "snake.png": b"s"}
    report = imp(deck, [package(tmp_path / "x.apkg", c, modern=True)])
    assert report.ok, report.render_lines()
    root = deck.root.resolve()
    for p in tmp_path.rglob("*"):
        if p.is_file() and p.suffix in (".md", ".png", "") and p.name not in ("x.apkg",):
            assert root in p.resolve().parents or p.suffix == "", p
    written = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".trainer" not in p.parts]
    assert all(".." not in w.split("/") for w in written)
    assert any(w.endswith("attachments/passwd") for w in written) and any(w.endswith("attachments/win.png") for w in written)


def test_dry_run_writes_nothing(deck: Deck, apkg: Path):
    report = imp(deck, [apkg], dry_run=True)
    assert report.imported and report.ok
    assert tree(deck.root) == {} and not (deck.root / ".trainer").exists()


def test_cli_imports_a_colpkg(deck: Deck, tmp_path: Path):
    p = package(tmp_path / "whole.colpkg", sample(), modern=True)
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", "--deck", str(deck.root), "import", str(p)],
        capture_output=True, text=True, env={**os.environ, "TRAINER_TODAY": TODAY.isoformat()},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Anki package" in proc.stdout and "Anki reviews added to the review log" in proc.stdout
    assert len(list(deck.root.rglob("*.md"))) == 7  # 8 cards, the reversed one folded in


# ---------------------------------------------------------------- the review log's migration and the protobuf reader


def test_an_old_log_is_migrated_in_place(deck: Deck, tmp_path: Path):
    state = deck.root / ".trainer"
    state.mkdir()
    old = sqlite3.connect(state / "trainer.db")
    old.executescript(
        """CREATE TABLE reviews (id INTEGER PRIMARY KEY, note TEXT NOT NULL, ts TEXT NOT NULL, day TEXT NOT NULL,
        kind TEXT NOT NULL, grade INTEGER, duration_ms INTEGER, was_new INTEGER NOT NULL DEFAULT 0, before TEXT,
        after TEXT, state TEXT NOT NULL DEFAULT 'done', undone INTEGER NOT NULL DEFAULT 0, undo_of INTEGER);
        INSERT INTO reviews (note, ts, day, kind, grade) VALUES ('a.md', '2024-01-01T10:00:00', '2024-01-01', 'review', 4);"""
    )
    old.commit()
    old.close()
    ro = ReviewLog.open(deck.root, readonly=True)  # read-only: not altered, still readable
    try:
        assert [(r.note, r.imported) for r in ro.rows()] == [("a.md", False)]
    finally:
        ro.close()
    imp(deck, [package(tmp_path / "x.apkg", sample(), modern=True)])
    log = ReviewLog.open(deck.root, readonly=True)
    try:
        rows = list(log.rows())
        assert rows[0].note == "a.md" and not rows[0].imported
        assert any(r.imported for r in rows)
    finally:
        log.close()


def _encode(fields: list[tuple[int, int | bytes]]) -> bytes:
    return pb(*fields)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2000), st.one_of(st.integers(0, 2**64 - 1), st.binary(max_size=40)))))
def test_protobuf_reader_reads_what_was_written(fields):
    assert read_protobuf(_encode(fields)) == fields


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_protobuf_reader_never_crashes(data: bytes):
    try:
        read_protobuf(data)
    except ValueError:
        pass


def test_an_attachments_symlink_out_of_the_deck_is_not_followed(deck: Deck, tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (deck.root / "Lang" / "Words").mkdir(parents=True)
    (deck.root / "Lang" / "Words" / "attachments").symlink_to(outside)
    report = imp(deck, [package(tmp_path / "x.apkg", sample(), modern=True)])
    assert list(outside.iterdir()) == []
    failed = [e for e in report.failed if "outside the deck" in e.reason]
    assert len(failed) == 1 and not any(p.name.startswith("What is Python") for p in deck.root.rglob("*.md"))


def test_web_images_are_left_as_they_are_and_stale_staging_is_removed(deck: Deck, tmp_path: Path):
    c = sample()
    c.notes[3] = (c.notes[3][0], 10, ["Never seen", '<img src="https://example.org/x.png">'], "")
    stale = deck.root / ".trainer" / "import-999999999-dead"
    stale.mkdir(parents=True)
    report = imp(deck, [package(tmp_path / "x.apkg", c, modern=True)])
    note = by_id(deck.root)[(c.notes[3][0], 0)]
    assert "](https://example.org/x.png)" in note.read_text("utf-8")
    assert not any("example.org" in w.reason for w in report.warnings)
    assert not stale.exists()


def test_a_card_in_a_filtered_deck_keeps_its_home_deck_and_due(deck: Deck, tmp_path: Path):
    c = sample()
    c.decks[99] = "Filtered Deck 1"
    home = c.cards[0]
    home.odid, home.did, home.odue, home.due = 2, 99, home.due, -100000  # due: the filtered deck's position
    imp(deck, [package(tmp_path / "f.apkg", c, modern=True)])
    note = by_id(deck.root)[(c.notes[0][0], 0)]
    assert note.relative_to(deck.root).parts[:2] == ("Lang", "Words")
    assert front(note)["next_review"] == "2024-06-10"


def test_oldest_legacy_layout_collection_anki2(deck: Deck, tmp_path: Path):
    p = package(tmp_path / "old.apkg", sample(), modern=False)
    q = tmp_path / "older.apkg"
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(q, "w") as dst:
        for info in src.infolist():
            dst.writestr("collection.anki2" if info.filename == "collection.anki21" else info.filename, src.read(info))
    report = imp(deck, [q])
    assert report.ok and len(report.imported) == 7


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_media_names_are_always_one_safe_name(name: str):
    from trainer.importers import names
    from trainer.importers.apkg_cards import safe_media_name

    safe = safe_media_name(name)
    assert names.is_safe_name(safe) and "/" not in safe and "\\" not in safe and ".." != safe


def test_a_package_without_media_is_one_summary_line(deck: Deck, tmp_path: Path):
    c = sample()
    c.media = {}
    report = imp(deck, [package(tmp_path / "nomedia.apkg", c, modern=False)])
    assert report.ok
    lines = [w.reason for w in report.warnings if "media" in w.reason]
    assert len(lines) == 1 and "holds none" in lines[0]
    assert not list(deck.root.rglob("attachments"))


def test_a_url_encoded_media_name_finds_its_file(deck: Deck, tmp_path: Path):
    c = sample()
    c.notes[3] = (c.notes[3][0], 10, ["Never seen", '<img src="my%20cat.png">'], "")
    c.media["my cat.png"] = b"meow"
    report = imp(deck, [package(tmp_path / "x.apkg", c, modern=True)])
    note = by_id(deck.root)[(c.notes[3][0], 0)]
    assert (note.parent / "attachments" / "my cat.png").read_bytes() == b"meow"
    assert "](attachments/my%20cat.png)" in note.read_text("utf-8")
    assert not any("my%20cat" in w.reason for w in report.warnings)
