"""The day's count of new cards (ReviewLog.new_cards_on) is kept between grades (#17) and must
always equal what the log holds: checked against a second connection's count of the same file
after every step of random sequences of grades, re-drills, crashes settled, undos, imports,
rolled-back batches and other processes' writes."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from trainer.reviewlog import ImportedReview, ReviewLog

DAY = dt.date(2026, 11, 25)
NEXT = DAY + dt.timedelta(days=1)


def truth(path, day: dt.date) -> int:
    """The count by a connection of its own, opened for this question alone."""
    conn = sqlite3.connect(path)
    try:
        (n,) = conn.execute(
            "SELECT COUNT(DISTINCT note) FROM reviews WHERE day = ? AND kind = 'review' AND was_new = 1"
            " AND undone = 0 AND state = 'done'", (day.isoformat(),)).fetchone()
        return n
    finally:
        conn.close()


ops = st.lists(st.tuples(st.sampled_from(["grade", "grade_done", "redrill", "abandon", "undo", "other", "import",
                                          "rollback", "ask_next_day"]),
                         st.integers(0, 5), st.booleans()), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
@example(steps=[("abandon", 0, True), ("grade", 0, False)])  # an abandoned row's id given again (SQLite reuses it)
def test_the_kept_count_is_always_the_logs(tmp_path, steps):
    root = tmp_path / f"deck{len(list(tmp_path.iterdir()))}"
    root.mkdir()
    log = ReviewLog.open(root)
    other = ReviewLog.open(root)  # another process's connection to the same log
    db = root / ".trainer" / "trainer.db"
    try:
        assert log.new_cards_on(DAY) == 0
        for op, n, was_new in steps:
            note = f"n{n}.md"
            if op == "grade":  # the study app's grade: pending, then done
                row = log.begin(note, "review", DAY, grade=4, was_new=was_new)
                log.finish(row)
            elif op == "grade_done":
                log.begin(note, "review", DAY, grade=4, was_new=was_new, pending=False)
            elif op == "redrill":
                log.begin(note, "redrill", DAY, grade=2, was_new=was_new, pending=False)
            elif op == "abandon":  # a grade refused or cut off after its pending row
                log.abandon(log.begin(note, "review", DAY, grade=4, was_new=was_new))
            elif op == "undo":
                last = log.last_undoable()
                if last is not None:
                    undo = log.begin(last.note, "undo", DAY, undo_of=last.id)
                    log.mark_undone(last.id, undo)
            elif op == "other":  # another process grades a new card
                row = other.begin(note, "review", DAY, grade=5, was_new=True)
                other.finish(row)
            elif op == "import":
                log.add_imported([ImportedReview(anki_revlog_id=1_700_000_000_000 + n, note=note,
                                                 ts=f"2026-11-25T09:0{n}:00.000", day=DAY, kind="review", grade=4,
                                                 duration_ms=None, was_new=True, after=None)])
            elif op == "rollback":  # a batch that fails takes its rows back
                with pytest.raises(RuntimeError):
                    with log.transaction():
                        log.begin(note, "review", DAY, grade=4, was_new=True, pending=False)
                        raise RuntimeError("the batch failed")
            elif op == "ask_next_day":
                assert log.new_cards_on(NEXT) == truth(db, NEXT)
            assert log.new_cards_on(DAY) == truth(db, DAY), (op, n, was_new)
    finally:
        log.close()
        other.close()


def test_the_count_after_a_grade_is_read_from_memory_not_the_log(tmp_path):
    """After the first count, a grade of this connection updates it without the query; a write
    it does not follow (here a row changed by hand through the same connection) reads it again."""
    log = ReviewLog.open(tmp_path)
    try:
        assert log.new_cards_on(DAY) == 0
        row = log.begin("a.md", "review", DAY, grade=4, was_new=True)
        log.finish(row)
        assert log._new_kept() and log._new_notes == {"a.md"}
        assert log.new_cards_on(DAY) == 1
        log.conn.execute("UPDATE reviews SET undone = 1 WHERE id = ?", (row,))
        assert not log._new_kept()
        assert log.new_cards_on(DAY) == 0
    finally:
        log.close()
