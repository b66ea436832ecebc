"""Transcripts in the review-log database (``<deck>/.trainer/trainer.db``), in tables of their own.

The connection is the :class:`~trainer.reviewlog.ReviewLog`'s, so the same file, WAL mode, busy
timeout and crash safety apply. The tables are created in place on first use (``CREATE TABLE IF
NOT EXISTS``: an older log gains them, its rows untouched). A grade given in an interview is an
ordinary scheduling row of ``reviews`` (so stats, undo and crash repair treat it as any grade);
``interview_grades`` marks it as an interview grade.
"""

from __future__ import annotations

import json
import sqlite3

from trainer.interview.transcript import Transcript
from trainer.reviewlog import ReviewLog

SCHEMA = """
CREATE TABLE IF NOT EXISTS interviews (
    id          INTEGER PRIMARY KEY,
    started     TEXT NOT NULL,
    finished    TEXT,
    transcript  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS interview_grades (
    review_id    INTEGER PRIMARY KEY REFERENCES reviews(id),
    interview_id INTEGER NOT NULL REFERENCES interviews(id),
    position     INTEGER NOT NULL
);
"""


def ensure_tables(log: ReviewLog) -> None:
    log.conn.executescript(SCHEMA)


def _dump(t: Transcript) -> str:
    return json.dumps(t.to_json(), ensure_ascii=False)


def create(log: ReviewLog, t: Transcript) -> int:
    """Store a new interview; returns its id (saved again after every question)."""
    ensure_tables(log)
    cur = log.conn.execute(
        "INSERT INTO interviews (started, finished, transcript) VALUES (?, ?, ?)", (t.started, t.finished, _dump(t))
    )
    return int(cur.lastrowid)  # type: ignore[arg-type]


def save(log: ReviewLog, interview_id: int, t: Transcript) -> None:
    log.conn.execute(
        "UPDATE interviews SET finished = ?, transcript = ? WHERE id = ?", (t.finished, _dump(t), interview_id)
    )


def link_grade(log: ReviewLog, interview_id: int, review_id: int, position: int) -> None:
    """Mark the review-log row ``review_id`` as the grade of question ``position`` of an interview."""
    log.conn.execute(
        "INSERT OR REPLACE INTO interview_grades (review_id, interview_id, position) VALUES (?, ?, ?)",
        (review_id, interview_id, position),
    )


def unlink_grade(log: ReviewLog, review_id: int) -> None:
    log.conn.execute("DELETE FROM interview_grades WHERE review_id = ?", (review_id,))


def _missing_table(exc: sqlite3.OperationalError) -> bool:
    return "no such table" in str(exc)


def history(log: ReviewLog) -> list[tuple[int, Transcript]]:
    """Every stored interview, oldest first (none if the log has never held one)."""
    try:
        rows = log.conn.execute("SELECT id, transcript FROM interviews ORDER BY id").fetchall()
    except sqlite3.OperationalError as exc:
        if _missing_table(exc):
            return []
        raise
    out = []
    for row_id, text in rows:
        try:
            out.append((int(row_id), Transcript.from_json(json.loads(text))))
        except (ValueError, TypeError, AttributeError):
            continue  # a row damaged by hand: the others still list
    return out


def last(log: ReviewLog) -> Transcript | None:
    items = history(log)
    return items[-1][1] if items else None


def interview_review_ids(log: ReviewLog) -> set[int]:
    """Review-log rows that are interview grades."""
    try:
        return {r for (r,) in log.conn.execute("SELECT review_id FROM interview_grades")}
    except sqlite3.OperationalError as exc:
        if _missing_table(exc):
            return set()
        raise
