"""The review log (SPEC §4): WAL, rows per kind, undo marks, concurrent graders."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.notes.parse import parse_note
from trainer.reviewlog import _COLUMNS, ReviewLog

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def deck(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    for i in range(30):
        write_note(root / f"n{i:02d}.md", seed(f"问题 {i}"))
    return Deck(root)


def test_wal_mode_and_gitignore(deck):
    log = ReviewLog.open(deck.root)
    log.close()
    db = deck.root / ".trainer" / "trainer.db"
    assert db.exists()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert (deck.root / ".trainer" / ".gitignore").read_text().strip().endswith("*")


def test_rows_for_review_redrill_undo(deck):
    log = ReviewLog.open(deck.root)
    try:
        g = grading.grade(deck, log, deck.load("n00.md", TODAY), 2, TODAY, duration_ms=1234)
        grading.grade(deck, log, deck.load("n00.md", TODAY), 4, TODAY, duration_ms=50)
        grading.undo_last(deck, log, TODAY)  # undoes the redrill
        all_rows = list(log.rows())
        assert [(r.kind, r.grade, r.undone) for r in all_rows] == [("review", 2, False), ("redrill", 4, True),
                                                                   ("undo", 4, False)]
        first = all_rows[0]
        assert first.id == g.log_id and first.note == "n00.md" and first.day == TODAY
        assert first.duration_ms == 1234 and first.was_new
        assert first.before["review_count"] == 0 and first.after["review_count"] == 1
        assert first.after["next_review"] == "2026-11-26"
        assert all(r.state == "done" for r in all_rows)
        assert dt.datetime.fromisoformat(first.ts).tzinfo is not None
        assert all_rows[2].undo_of == all_rows[1].id
    finally:
        log.close()


def test_undo_after_someone_rescheduled_is_a_conflict(deck):
    log = ReviewLog.open(deck.root)
    try:
        grading.grade(deck, log, deck.load("n01.md", TODAY), 4, TODAY)
        p = deck.root / "n01.md"
        theirs = p.read_text().replace("review_count: 1", "review_count: 9").encode()
        p.write_bytes(theirs)
        with pytest.raises(grading.Conflict):
            grading.undo_last(deck, log, TODAY)
        assert p.read_bytes() == theirs
        assert [r.kind for r in log.rows()] == ["review"] and not next(log.rows()).undone
    finally:
        log.close()


def test_log_survives_note_edits_and_readonly_open(deck):
    log = ReviewLog.open(deck.root)
    grading.grade(deck, log, deck.load("n02.md", TODAY), 5, TODAY)
    log.close()
    ro = ReviewLog.open(deck.root, readonly=True)
    try:
        assert [r.note for r in ro.rows()] == ["n02.md"]
        with pytest.raises(sqlite3.OperationalError):
            ro.conn.execute("DELETE FROM reviews")
    finally:
        ro.close()


def _cli(deck_root, *args):
    return subprocess.Popen([sys.executable, "-m", "trainer", "--deck", str(deck_root), "--today", TODAY.isoformat(),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=deck_root.parent)


def test_two_processes_grading_different_notes(deck, tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("path,grade\n" + "".join(f"n{i:02d}.md,{i % 6}\n" for i in range(0, 30, 2)))
    b.write_text("".join(f"n{i:02d}.md,{i % 6}\n" for i in range(1, 30, 2)))
    procs = [_cli(deck.root, "review", "--from", str(a)), _cli(deck.root, "review", "--from", str(b))]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
        assert b"Traceback" not in err
    conn = sqlite3.connect(deck.root / ".trainer" / "trainer.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        got = sorted(conn.execute("SELECT note, grade, kind, state FROM reviews").fetchall())
    finally:
        conn.close()
    assert got == sorted((f"n{i:02d}.md", i % 6, "review", "done") for i in range(30))
    for i in range(30):
        s = parse_note((deck.root / f"n{i:02d}.md").read_bytes(), "x.md").schedule
        assert s.review_count == 1 and s.last_reviewed == TODAY


@pytest.mark.parametrize("round_", range(3))
def test_same_note_by_two_processes_is_scheduled_once(deck, round_):
    """Whatever the interleaving, the note is scheduled once: the other gets a conflict or a re-drill."""
    rel = f"n{10 + round_:02d}.md"
    procs = [_cli(deck.root, "review", rel, "--grade", "4", "--json") for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert b"Traceback" not in err
        assert p.returncode in (0, 1)
    conn = sqlite3.connect(deck.root / ".trainer" / "trainer.db")
    try:
        kinds = sorted(k for (k,) in conn.execute("SELECT kind FROM reviews WHERE note = ? AND state = 'done'", (rel,)))
    finally:
        conn.close()
    assert kinds.count("review") == 1, kinds
    s = parse_note((deck.root / rel).read_bytes(), rel).schedule
    assert s.review_count == 1 and s.interval == 1


LIVE_GRADER = r"""
import datetime as dt, sys, time
from trainer import grading
from trainer.deck import Deck
from trainer.reviewlog import _COLUMNS, ReviewLog
deck = Deck(sys.argv[1])
log = ReviewLog.open(deck.root)
with grading._in_progress(deck):          # what grading.grade holds while its row is pending
    log.begin("n05.md", "review", dt.date(2026, 11, 25), grade=4, before={}, after={})
    print("pending", flush=True)
    time.sleep(60)
"""


def test_repair_leaves_a_live_graders_pending_row_alone(deck):
    child = subprocess.Popen([sys.executable, "-c", LIVE_GRADER, str(deck.root)], stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == b"pending"
        log = ReviewLog.open(deck.root)
        try:
            assert grading.repair(deck, log, TODAY) == []
            assert [r.note for r in log.pending()] == ["n05.md"]
            child.kill()
            child.wait()
            # now the writer is dead: its row is a leftover and is settled
            assert grading.repair(deck, log, TODAY)
            assert log.pending() == []
        finally:
            log.close()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()


def test_three_racing_graders_of_one_note_never_drop_or_double(deck):
    rel = "n20.md"
    procs = [_cli(deck.root, "review", rel, "--grade", "3") for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert b"Traceback" not in err and b"dropped" not in err, err
        assert p.returncode in (0, 1), err
    conn = sqlite3.connect(deck.root / ".trainer" / "trainer.db")
    try:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM reviews WHERE note = ?", (rel,))]
        pending = conn.execute("SELECT COUNT(*) FROM reviews WHERE state = 'pending'").fetchone()[0]
    finally:
        conn.close()
    assert kinds.count("review") == 1 and pending == 0
    assert set(kinds) <= {"review", "redrill"}


def test_logged_schedule_is_typed_and_its_json_has_no_private_keys(deck):
    """A grade's before/after are LoggedSchedule values; the JSON keeps the scheduling values and
    one ``restore`` object (no ``_raw``/``_absent`` keys), and rows written the old way still undo."""
    import json

    from trainer.reviewlog import LogKind, LoggedSchedule

    log = ReviewLog.open(deck.root)
    try:
        original = (deck.root / "n00.md").read_bytes()
        grading.grade(deck, log, deck.load("n00.md", TODAY), 4, TODAY)
        [row] = list(log.rows())
        assert row.kind is LogKind.REVIEW
        assert isinstance(row.before, LoggedSchedule) and isinstance(row.after, LoggedSchedule)
        assert row.after["review_count"] == 1 and "ease_factor" in row.before.absent and row.before.raw is not None
        stored = json.loads(log.conn.execute("SELECT before FROM reviews WHERE id = ?", (row.id,)).fetchone()[0])
        assert not [k for k in stored if k.startswith("_")] and set(stored["restore"]) >= {"absent", "raw"}
        # a row as older versions wrote it: private keys beside the values
        legacy = {k: v for k, v in stored.items() if k != "restore"}
        legacy.update({"_absent": stored["restore"]["absent"], "_raw": stored["restore"]["raw"],
                       "_added": stored["restore"].get("added", [])})
        log.conn.execute("UPDATE reviews SET before = ? WHERE id = ?", (json.dumps(legacy), row.id))
        assert LoggedSchedule.from_json(legacy) == row.before
        grading.undo_last(deck, log, TODAY)
        assert (deck.root / "n00.md").read_bytes() == original
    finally:
        log.close()


def test_transaction_keeps_all_rows_or_none(deck):
    """The importer logs a batch through ``transaction()``: a failure half-way leaves no row of it."""
    log = ReviewLog.open(deck.root)
    with log.transaction():
        log.begin("n00.md", "import", TODAY, pending=False)
        log.begin("n01.md", "import", TODAY, pending=False)
    with pytest.raises(sqlite3.IntegrityError):
        with log.transaction():
            log.begin("n02.md", "import", TODAY, pending=False)
            log.begin("n03.md", "import", TODAY, grade=9, pending=False)  # outside the CHECK: the batch fails
    log.close()
    again = ReviewLog.open(deck.root, readonly=True)
    assert [r.note for r in again.rows(kinds=("import",))] == ["n00.md", "n01.md"]
    again.close()


def test_new_cards_today_are_counted_from_their_index_alone(deck):
    """``new_cards_on`` (asked after every grade in the app) reads the day's new cards from the
    ``reviews_new_day`` index, never every row of the day; pending, undone, re-drilled and other
    days' rows are not counted, a note started twice counts once; an older log gets the index."""
    db = deck.root / ".trainer" / "trainer.db"
    log = ReviewLog.open(deck.root)
    notes = deck.scan(TODAY).notes
    new = [n for n in notes if n.schedule.is_new]
    assert len(new) >= 4
    grading.grade(deck, log, new[0], 4, TODAY)
    grading.grade(deck, log, deck.load(new[0].rel, TODAY), 2, TODAY)  # a re-drill: not a new card
    g = grading.grade(deck, log, new[1], 5, TODAY)
    grading.grade(deck, log, new[2], 3, TODAY)
    grading.undo_last(deck, log, TODAY)  # new[2] undone
    log.begin(new[3].rel, "review", TODAY, grade=4, was_new=True)  # pending: a grade still being written
    log.begin(new[3].rel, "review", TODAY - dt.timedelta(days=1), grade=4, was_new=True, pending=False)
    log.begin(new[1].rel, "review", TODAY, grade=4, was_new=True, pending=False)  # started twice
    assert g.kind == "review" and log.new_cards_on(TODAY) == 2
    assert log.new_cards_on(TODAY - dt.timedelta(days=1)) == 1
    plan = " ".join(r[-1] for r in log.conn.execute(
        "EXPLAIN QUERY PLAN SELECT COUNT(DISTINCT note) FROM reviews WHERE day = ? AND kind = 'review'"
        " AND was_new = 1 AND undone = 0 AND state = 'done'", (TODAY.isoformat(),)))
    assert "COVERING INDEX reviews_new_day" in plan
    log.close()
    conn = sqlite3.connect(db)  # a log made before the index existed
    conn.execute("DROP INDEX reviews_new_day")
    conn.close()
    log = ReviewLog.open(deck.root)
    assert log.new_cards_on(TODAY) == 2
    assert log.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'reviews_new_day'").fetchone()
    log.close()


def test_pending_rows_are_found_from_their_index_alone(deck):
    """``pending`` (asked by every open for writing, to repair) reads ``reviews_pending``, never the
    whole log; a row marked done or abandoned leaves it; an older log gets the index."""
    db = deck.root / ".trainer" / "trainer.db"
    log = ReviewLog.open(deck.root)
    rel = deck.scan(TODAY).notes[0].rel
    done = log.begin(rel, "review", TODAY, grade=4)
    log.finish(done)
    kept = log.begin(rel, "review", TODAY, grade=3)
    dropped = log.begin(rel, "review", TODAY, grade=2)
    log.abandon(dropped)
    assert [r.id for r in log.pending()] == [kept]
    plan = " ".join(r[-1] for r in log.conn.execute(
        f"EXPLAIN QUERY PLAN SELECT {_COLUMNS} FROM reviews WHERE state = 'pending' ORDER BY id"))
    assert "USING INDEX reviews_pending" in plan
    indexed = log.conn.execute("SELECT id FROM reviews INDEXED BY reviews_pending WHERE state = 'pending'")
    assert [r for (r,) in indexed] == [kept]
    log.close()
    conn = sqlite3.connect(db)  # a log made before the index existed
    conn.execute("DROP INDEX reviews_pending")
    conn.close()
    log = ReviewLog.open(deck.root)
    assert log.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'reviews_pending'").fetchone()
    assert [r.id for r in log.pending()] == [kept]
    log.close()
