"""The stats' review history is counted by SQLite (#17), and says what reading every row said.

The reference below is the loop ``stats.history`` ran before: every done row read as a
``LogRow``. Logs are made by hypothesis: reviews, re-drills, undos, imports, Anki's reviews, rows
left pending, grades missing, days on either side of the window."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer import scheduler, stats
from trainer.reviewlog import ImportedReview, LogKind, ReviewLog

TODAY = dt.date(2026, 12, 1)


def reference(log: ReviewLog, today: dt.date, days: int) -> stats.History:
    days = max(1, min(days, (today - dt.date.min).days + 1))
    since = today - dt.timedelta(days=days - 1)
    per_day: Counter[dt.date] = Counter()
    new_per_day: Counter[dt.date] = Counter()
    passed = total = 0
    for row in log.rows(kinds=(LogKind.REVIEW, LogKind.REDRILL, LogKind.IMPORT)):
        if row.undone:
            continue
        if row.kind is LogKind.IMPORT:
            if row.day >= since:
                new_per_day[row.day] += 1
            continue
        if row.day >= since:
            per_day[row.day] += 1
        if row.kind is LogKind.REVIEW:
            total += 1
            passed += (row.grade or 0) >= scheduler.PASS
    span = [since + dt.timedelta(days=i) for i in range(days)]
    return stats.History(
        retention=round(passed / total, 3) if total else None,
        reviews_total=total,
        reviews_per_day=[(d, per_day[d]) for d in span],
        new_per_day=[(d, new_per_day[d]) for d in span],
    )


ROW = st.tuples(
    st.sampled_from(["review", "redrill", "undo", "import", "anki"]),
    st.integers(-60, 3),  # days from today (a few in the future: --today in the past)
    st.one_of(st.none(), st.integers(0, 5)),
    st.booleans(),  # pending
    st.booleans(),  # undone afterwards
)


def make_log(rows) -> ReviewLog:
    log = ReviewLog.memory()
    anki = []
    for i, (kind, offset, grade, pending, undone) in enumerate(rows):
        day = TODAY + dt.timedelta(days=offset)
        if kind == "anki":
            anki.append(ImportedReview(i + 1, f"n{i % 7}.md", f"{day}T10:00:00", day,
                                       "review" if grade is not None and grade % 2 else "redrill",
                                       grade if grade is not None else 3, None, False, None))
            continue
        row = log.begin(f"n{i % 7}.md", kind, day, grade=grade, pending=pending)
        if undone:
            log.conn.execute("UPDATE reviews SET undone = 1 WHERE id = ?", (row,))
    with log.transaction():
        log.add_imported(anki)
    return log


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, max_size=40), st.integers(1, 90))
def test_history_counts_what_every_row_said(rows, days):
    log = make_log(rows)
    try:
        assert stats.history(log, TODAY, days) == reference(log, TODAY, days)
    finally:
        log.close()


def test_history_at_the_start_of_the_calendar():
    log = make_log([("review", 0, 4, False, False)])
    try:
        start = dt.date.min + dt.timedelta(days=2)
        assert stats.history(log, start, 30) == reference(log, start, 30)
    finally:
        log.close()


def test_history_of_a_file_log_read_only(tmp_path):
    log = ReviewLog.open(tmp_path)
    for offset, grade in [(0, 5), (0, 1), (-1, 3), (-40, 4)]:
        log.begin("a.md", "review", TODAY + dt.timedelta(days=offset), grade=grade, pending=False)
    log.begin("a.md", "redrill", TODAY, grade=2, pending=False)
    log.begin("b.md", "import", TODAY, pending=False)
    log.close()
    ro = ReviewLog.open(tmp_path, readonly=True)
    try:
        h = stats.history(ro, TODAY, 7)
        assert h == reference(ro, TODAY, 7)
        assert (h.reviews_total, h.retention) == (4, 0.75)
        assert h.reviews_per_day[-1] == (TODAY, 3) and h.reviews_per_day[-2] == (TODAY - dt.timedelta(days=1), 1)
        assert h.new_per_day[-1] == (TODAY, 1)
    finally:
        ro.close()


def test_a_row_whose_day_trainer_did_not_write_is_on_no_day():
    """A row edited by hand (a day that is no date): counted among the reviews, on no day; never a traceback."""
    log = make_log([("review", 0, 4, False, False)])
    try:
        log.conn.execute("INSERT INTO reviews (note, ts, day, kind, grade, state)"
                         " VALUES ('x.md', 't', '2026-12-9x', 'review', 1, 'done')")
        h = stats.history(log, TODAY, 7)
        assert (h.reviews_total, h.retention) == (2, 0.5)
        assert sum(n for _, n in h.reviews_per_day) == 1
    finally:
        log.close()


@pytest.mark.parametrize("made", ["empty", "no table"])
def test_a_log_file_without_its_table_reads_as_an_empty_log(tmp_path, cli, seed, write_note, made):
    """``.trainer/trainer.db`` left empty (a sync tool's placeholder, a first open cut off) or with no
    ``reviews`` table: ``stats`` and ``due`` answer from the notes, with nothing logged, no traceback."""
    import sqlite3

    deck = tmp_path / "deck"
    write_note(deck / "a.md", seed("问题"))
    db = deck / ".trainer" / "trainer.db"
    db.parent.mkdir()
    if made == "empty":
        db.write_bytes(b"")
    else:
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        conn.close()
    log = ReviewLog.open(deck, readonly=True)
    try:
        assert list(log.rows()) == [] and stats.history(log, TODAY, 7).reviews_total == 0
    finally:
        log.close()
    for args in (("stats",), ("stats", "--json"), ("due", "--json")):
        done = cli(deck, *args)
        assert done.returncode == 0, done.stderr
