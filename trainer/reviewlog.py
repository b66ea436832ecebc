"""The review log: every grade, re-drill, undo and import, in SQLite at ``<deck>/.trainer/trainer.db``.

A row is written *before* its note (state ``pending``) and marked ``done`` after, so a crash
between the two is found on the next start and settled by looking at the note (:func:`repair`).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from trainer import clock, paths
from trainer.notes.model import SCHEDULING_KEYS, Schedule

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    id          INTEGER PRIMARY KEY,
    note        TEXT NOT NULL,
    ts          TEXT NOT NULL,
    day         TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('review', 'redrill', 'undo', 'import')),
    grade       INTEGER CHECK (grade BETWEEN 0 AND 5),
    duration_ms INTEGER,
    was_new     INTEGER NOT NULL DEFAULT 0,
    before      TEXT,
    after       TEXT,
    state       TEXT NOT NULL DEFAULT 'done' CHECK (state IN ('pending', 'done')),
    undone      INTEGER NOT NULL DEFAULT 0,
    undo_of     INTEGER REFERENCES reviews(id)
);
CREATE INDEX IF NOT EXISTS reviews_day ON reviews(day);
CREATE INDEX IF NOT EXISTS reviews_note ON reviews(note);
"""

KINDS = ("review", "redrill", "undo", "import")


@dataclass(frozen=True, slots=True)
class LogRow:
    id: int
    note: str
    ts: str
    day: dt.date
    kind: str
    grade: int | None
    duration_ms: int | None
    was_new: bool
    before: dict | None
    after: dict | None
    state: str
    undone: bool
    undo_of: int | None


def schedule_to_json(s: Schedule, present: frozenset[str] | None = None) -> dict:
    """The scheduling values; keys absent from the note are listed so undo can take them out again."""
    out: dict[str, object] = {}
    for key in SCHEDULING_KEYS:
        v = getattr(s, key)
        out[key] = v.isoformat() if isinstance(v, dt.date) else v
    if present is not None:
        out["_absent"] = [k for k in SCHEDULING_KEYS if k not in present]
    return out


def schedule_from_json(d: dict, base: Schedule) -> Schedule:
    from dataclasses import replace

    values = {}
    for key in SCHEDULING_KEYS:
        if key in d:
            v = d[key]
            if key in ("last_reviewed", "next_review") and isinstance(v, str):
                v = dt.date.fromisoformat(v)
            values[key] = v
    return replace(base, **values)


class ReviewLog:
    def __init__(self, conn: sqlite3.Connection, path: Path | None):
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, deck_root: Path, *, readonly: bool = False) -> "ReviewLog":
        """Open (creating if needed) the deck's log; WAL so readers never block the writer."""
        if readonly:
            db = paths.state_dir(deck_root) / "trainer.db"
            if not db.exists() or db.is_symlink() or paths.state_dir(deck_root).is_symlink():
                return cls.memory()
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            conn.execute("PRAGMA busy_timeout = 10000")
            try:
                conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            except sqlite3.OperationalError:
                # A WAL log on a read-only file system (no -shm can be made): read it as a
                # file that cannot change rather than fail the command.
                conn.close()
                conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True, timeout=10)
            return cls(conn, db)
        db = paths.state_file(deck_root, "trainer.db")
        conn = sqlite3.connect(db, timeout=10, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 10000")
        # Two processes opening a new log at once: switching to WAL can fail with "database is
        # locked" at once, without the busy timeout; it succeeds when tried again.
        for attempt in range(100):
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.executescript(SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 99:
                    conn.close()
                    raise
                time.sleep(0.05)
        return cls(conn, db)

    @classmethod
    def memory(cls) -> "ReviewLog":
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.executescript(SCHEMA)
        return cls(conn, None)

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------ writing

    def begin(
        self,
        note: str,
        kind: str,
        day: dt.date,
        *,
        grade: int | None = None,
        duration_ms: int | None = None,
        was_new: bool = False,
        before: dict | None = None,
        after: dict | None = None,
        undo_of: int | None = None,
        pending: bool = True,
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO reviews (note, ts, day, kind, grade, duration_ms, was_new, before, after, state, undo_of)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                note,
                clock.now().isoformat(timespec="milliseconds"),
                day.isoformat(),
                kind,
                grade,
                duration_ms,
                int(was_new),
                json.dumps(before, ensure_ascii=False) if before is not None else None,
                json.dumps(after, ensure_ascii=False) if after is not None else None,
                "pending" if pending else "done",
                undo_of,
            ),
        )
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def finish(self, row_id: int, *, before: dict | None = None) -> None:
        if before is not None:
            self.conn.execute(
                "UPDATE reviews SET state = 'done', before = ? WHERE id = ?",
                (json.dumps(before, ensure_ascii=False), row_id),
            )
        else:
            self.conn.execute("UPDATE reviews SET state = 'done' WHERE id = ?", (row_id,))

    def abandon(self, row_id: int) -> None:
        """The note was not written after all: the row never happened."""
        self.conn.execute("DELETE FROM reviews WHERE id = ? AND state = 'pending'", (row_id,))

    def mark_undone(self, row_id: int, undo_row: int) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE reviews SET undone = 1 WHERE id = ?", (row_id,))
            self.conn.execute("UPDATE reviews SET state = 'done' WHERE id = ?", (undo_row,))

    # ------------------------------------------------------------ reading

    def last_undoable(self) -> LogRow | None:
        row = self.conn.execute(
            "SELECT * FROM reviews WHERE kind IN ('review', 'redrill') AND undone = 0 AND state = 'done'"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return _row(row) if row else None

    def rows(self, *, since: dt.date | None = None, kinds: tuple[str, ...] = KINDS) -> Iterator[LogRow]:
        q = f"SELECT * FROM reviews WHERE kind IN ({','.join('?' * len(kinds))}) AND state = 'done'"
        args: list[object] = list(kinds)
        if since is not None:
            q += " AND day >= ?"
            args.append(since.isoformat())
        for row in self.conn.execute(q + " ORDER BY id", args):
            yield _row(row)

    def pending(self) -> list[LogRow]:
        return [_row(r) for r in self.conn.execute("SELECT * FROM reviews WHERE state = 'pending' ORDER BY id")]

    def new_cards_on(self, day: dt.date) -> int:
        """New cards introduced on ``day`` (scheduling reviews of never-reviewed cards, not undone)."""
        (n,) = self.conn.execute(
            "SELECT COUNT(DISTINCT note) FROM reviews WHERE day = ? AND kind = 'review' AND was_new = 1"
            " AND undone = 0 AND state = 'done'",
            (day.isoformat(),),
        ).fetchone()
        return int(n)


def _row(r: tuple) -> LogRow:
    return LogRow(
        id=r[0],
        note=r[1],
        ts=r[2],
        day=dt.date.fromisoformat(r[3]),
        kind=r[4],
        grade=r[5],
        duration_ms=r[6],
        was_new=bool(r[7]),
        before=json.loads(r[8]) if r[8] else None,
        after=json.loads(r[9]) if r[9] else None,
        state=r[10],
        undone=bool(r[11]),
        undo_of=r[12],
    )
