"""grading.grade / undo_last on real files and the real SQLite log (SPEC §2–4)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.notes.parse import parse_note
from trainer.notes.write import WriteError
from trainer.reviewlog import ReviewLog

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def deck(tmp_path, seed, write_note):
    root = tmp_path / "deck"
    write_note(root / "a.md", seed("问题 A"))
    write_note(root / "sub" / "b.md", seed("问题 B", difficulty="hard"))
    write_note(root / "c.md", "# bare note\n\nno frontmatter\n")
    return Deck(root)


def rows(log):
    return log.conn.execute("SELECT note, kind, grade, state, undone, undo_of FROM reviews ORDER BY id").fetchall()


def test_seed_note_graded_4_exact_bytes(deck, log, seed):
    path = deck.root / "a.md"
    g = grading.grade(deck, log, deck.load("a.md", TODAY), 4, TODAY)
    assert g.kind == "review"
    expected = (
        "---\n"
        "created: '2026-03-09'\n"
        "last_reviewed: '2026-11-25'\n"
        "next_review: '2026-11-26'\n"
        "review_count: 1\n"
        "difficulty: medium\n"
        "mastery_level: 0.24\n"
        "tags:\n"
        "- Transformer\n"
        "related_outlines: []\n"
        "ease_factor: 2.5\n"
        "interval: 1\n"
        "repetitions: 1\n"
        "---\n"
        "# 问题 A\n\n## 面试标准答案\n\n短答案。\n\n## 详细解析\n\n细节。\n"
    )
    assert path.read_bytes().decode() == expected
    assert rows(log) == [("a.md", "review", 4, "done", 0, None)]


def test_same_day_second_grade_is_a_redrill(deck, log):
    g1 = grading.grade(deck, log, deck.load("a.md", TODAY), 2, TODAY)
    after_first = (deck.root / "a.md").read_bytes()
    g2 = grading.grade(deck, log, deck.load("a.md", TODAY), 5, TODAY)
    assert g1.kind == "review" and g2.kind == "redrill"
    assert (deck.root / "a.md").read_bytes() == after_first
    assert g2.after == g2.before
    assert [r[1] for r in rows(log)] == ["review", "redrill"]
    # next day it schedules again
    g3 = grading.grade(deck, log, deck.load("a.md", TODAY + dt.timedelta(days=1)), 4, TODAY + dt.timedelta(days=1))
    assert g3.kind == "review" and g3.after.review_count == 2


def test_undo_restores_bytes_and_marks_row(deck, log):
    path = deck.root / "sub" / "b.md"
    original = path.read_bytes()
    g = grading.grade(deck, log, deck.load("sub/b.md", TODAY), 5, TODAY)
    assert path.read_bytes() != original
    u = grading.undo_last(deck, log, TODAY)
    assert u.row.id == g.log_id
    assert path.read_bytes() == original
    assert rows(log) == [("sub/b.md", "review", 5, "done", 1, None), ("sub/b.md", "undo", 5, "done", 0, g.log_id)]
    assert grading.undo_last(deck, log, TODAY) is None  # nothing left to undo
    assert log.new_cards_on(TODAY) == 0


def test_undo_of_redrill_touches_nothing(deck, log):
    grading.grade(deck, log, deck.load("a.md", TODAY), 1, TODAY)
    after = (deck.root / "a.md").read_bytes()
    grading.grade(deck, log, deck.load("a.md", TODAY), 4, TODAY)
    u = grading.undo_last(deck, log, TODAY)
    assert u.row.kind == "redrill"
    assert (deck.root / "a.md").read_bytes() == after
    u = grading.undo_last(deck, log, TODAY)
    assert u.row.kind == "review"


def test_bare_note_gets_frontmatter_undo_removes_it(deck, log):
    path = deck.root / "c.md"
    original = path.read_bytes()
    grading.grade(deck, log, deck.load("c.md", TODAY), 3, TODAY)
    text = path.read_text()
    assert text.startswith("---\nlast_reviewed: '2026-11-25'\nnext_review: '2026-11-26'\n")
    assert text.endswith("---\n# bare note\n\nno frontmatter\n")
    grading.undo_last(deck, log, TODAY)
    assert path.read_bytes() == original


def test_body_edit_between_read_and_grade_is_reapplied(deck, log):
    path = deck.root / "a.md"
    note = deck.load("a.md", TODAY)
    text = path.read_text()
    path.write_text(text + "\nAdded in my editor.\n")
    os.utime(path, ns=(note.mtime_ns + 5_000_000, note.mtime_ns + 5_000_000))
    g = grading.grade(deck, log, note, 4, TODAY)
    assert g.reapplied
    new = path.read_text()
    assert new.endswith("细节。\n\nAdded in my editor.\n")
    assert parse_note(path.read_bytes(), "a.md").schedule.review_count == 1


def test_scheduling_edit_between_read_and_grade_is_a_conflict(deck, log):
    path = deck.root / "a.md"
    note = deck.load("a.md", TODAY)
    theirs = path.read_text().replace("review_count: 0", "review_count: 7").encode()
    path.write_bytes(theirs)
    with pytest.raises(grading.Conflict):
        grading.grade(deck, log, note, 4, TODAY)
    assert path.read_bytes() == theirs
    assert rows(log) == []  # the pending row was abandoned


def test_stale_read_by_second_grader_is_scheduled_once(deck, log):
    """Two graders read the same note; the first schedules it, the second must not schedule again."""
    other = ReviewLog.open(deck.root)
    try:
        mine = deck.load("a.md", TODAY)
        theirs = deck.load("a.md", TODAY)
        grading.grade(deck, log, mine, 4, TODAY)
        after_first = (deck.root / "a.md").read_bytes()
        with pytest.raises(grading.Conflict):
            grading.grade(deck, other, theirs, 4, TODAY)
        assert (deck.root / "a.md").read_bytes() == after_first
        # reading again, the second grader gets a re-drill
        assert grading.grade(deck, other, deck.load("a.md", TODAY), 4, TODAY).kind == "redrill"
    finally:
        other.close()
    kinds = [r[1] for r in rows(log)]
    assert kinds == ["review", "redrill"]


def test_deleted_note_is_note_gone(deck, log):
    note = deck.load("a.md", TODAY)
    (deck.root / "a.md").unlink()
    with pytest.raises(grading.NoteGone):
        grading.grade(deck, log, note, 4, TODAY)
    assert rows(log) == []


def test_read_only_note_refused_untouched(deck, log):
    path = deck.root / "a.md"
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.raises(WriteError, match="read-only"):
            grading.grade(deck, log, deck.load("a.md", TODAY), 4, TODAY)
        assert path.read_bytes() == before
        assert rows(log) == []
    finally:
        path.chmod(0o644)


def test_file_mode_kept(deck, log):
    path = deck.root / "a.md"
    path.chmod(0o640)
    grading.grade(deck, log, deck.load("a.md", TODAY), 4, TODAY)
    assert path.stat().st_mode & 0o777 == 0o640


def test_fatal_note_is_not_graded(deck, log, write_note):
    write_note(deck.root / "bad.md", "---\n- a list\n---\n# Q\n")
    with pytest.raises(grading.NoteError):
        grading.grade(deck, log, deck.load("bad.md", TODAY), 4, TODAY)
    assert (deck.root / "bad.md").read_text() == "---\n- a list\n---\n# Q\n"


def test_interval_past_the_calendar_is_capped(deck, log, write_note):
    write_note(deck.root / "old.md", "---\ninterval: 99999999\nease_factor: 2.5\nrepetitions: 5\nreview_count: 5\n"
               "last_reviewed: '2020-01-01'\nnext_review: '2020-01-01'\n---\n# Q\n")
    grading.grade(deck, log, deck.load("old.md", TODAY), 5, TODAY)
    s = parse_note((deck.root / "old.md").read_bytes(), "old.md").schedule
    assert s.interval == 36500
    assert s.next_review == TODAY + dt.timedelta(days=36500)


def test_grading_at_the_end_of_the_calendar_clamps(deck, log, write_note):
    write_note(deck.root / "late.md", "---\ninterval: 400\nease_factor: 2.5\nrepetitions: 5\n---\n# Q\n")
    day = dt.date(9999, 12, 1)
    grading.grade(deck, log, deck.load("late.md", day), 5, day)
    s = parse_note((deck.root / "late.md").read_bytes(), "late.md").schedule
    assert s.next_review == dt.date(9999, 12, 31)
    assert s.last_reviewed == day


def test_bad_grade_refused_before_anything(deck, log):
    before = (deck.root / "a.md").read_bytes()
    with pytest.raises(ValueError):
        grading.grade(deck, log, deck.load("a.md", TODAY), 7, TODAY)
    assert (deck.root / "a.md").read_bytes() == before and rows(log) == []


def test_repair_settles_pending_rows_both_ways(deck, log):
    from trainer.notes.store import update_note
    from trainer import scheduler
    from trainer.reviewlog import schedule_to_json

    # crash before the note was written: the row is dropped
    a = deck.load("a.md", TODAY)
    after_a = scheduler.review(a.schedule, 4, TODAY)
    log.begin("a.md", "review", TODAY, grade=4, was_new=True, before=schedule_to_json(a.schedule, a.present),
              after=schedule_to_json(after_a))
    # crash after the note was written, before the row was finished: the row is kept
    b = deck.load("sub/b.md", TODAY)
    after_b = scheduler.review(b.schedule, 5, TODAY)
    rb = log.begin("sub/b.md", "review", TODAY, grade=5, was_new=True, before=schedule_to_json(b.schedule, b.present),
                   after=schedule_to_json(after_b))
    update_note(b.path, after_b.values(), expect=b.schedule)

    a_bytes = (deck.root / "a.md").read_bytes()
    msgs = grading.repair(deck, log, TODAY)
    assert len(msgs) == 2
    assert log.pending() == []
    assert rows(log) == [("sub/b.md", "review", 5, "done", 0, None)]
    assert (deck.root / "a.md").read_bytes() == a_bytes
    assert log.new_cards_on(TODAY) == 1
    # the kept row can be undone
    assert grading.undo_last(deck, log, TODAY).row.id == rb
    assert parse_note((deck.root / "sub/b.md").read_bytes(), "b.md").schedule.review_count == 0


def test_repair_drops_row_of_deleted_note(deck, log):
    log.begin("gone.md", "review", TODAY, grade=4, before={}, after={})
    assert grading.repair(deck, log, TODAY)
    assert log.pending() == [] and rows(log) == []
