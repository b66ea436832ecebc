"""The review log: every grade, re-drill, undo and import, in SQLite at ``<deck>/.trainer/trainer.db``.

A row is written *before* its note (state ``pending``) and marked ``done`` after, so a crash
between the two is found on the next start and settled by looking at the note (:func:`repair`).
"""

from __future__ import annotations

import _thread
import contextlib
import datetime as dt
import json
import os
import sqlite3
import time
import weakref
from dataclasses import dataclass, field, fields
from enum import StrEnum
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
CREATE INDEX IF NOT EXISTS reviews_new_day ON reviews(day, was_new, kind, undone, state, note);
CREATE INDEX IF NOT EXISTS reviews_pending ON reviews(id) WHERE state = 'pending';
"""
#: ``reviews_pending`` holds the rows a crash may have left (a grade's own for a moment): every open
#: for writing asks for them (:func:`trainer.grading.repair`), which read the whole table without
#: it (25 ms at 100k rows, #17); it costs a grade 3-8 µs (two more pages). A log made before it
#: gets it on its next open for writing.
#: ``reviews_new_day`` answers :meth:`ReviewLog.new_cards_on` from the index alone (#17): the study
#: app asks it after every grade, and through ``reviews_day`` it read every row of the day (0.23 ms
#: after 900 grades in a day, a third of a grade); now it reads the day's new cards only.

#: Reviews brought from an Anki package (issue 16): ``imported`` marks them (never undone),
#: ``anki_revlog_id`` (Anki's revlog id, the review time in ms) keeps a second import of the same
#: package from adding them twice. Added in place to a log made before they existed.
IMPORTED_COLUMNS = (
    ("imported", "INTEGER NOT NULL DEFAULT 0"),
    ("anki_revlog_id", "INTEGER"),
)


def _migrate_imported(conn: sqlite3.Connection, *, readonly: bool = False) -> None:
    """Add the imported-review columns to an older log (idempotent).

    A read-only connection cannot alter the table: a temporary view of the same name (the temp
    schema is searched first) shows the missing columns with their defaults instead.
    """
    have = {row[1] for row in conn.execute("PRAGMA table_info(reviews)")}
    missing = [(n, d) for n, d in IMPORTED_COLUMNS if n not in have]
    if readonly:
        if missing and have:
            extra = ", ".join(f"{'0' if n == 'imported' else 'NULL'} AS {n}" for n, _ in missing)
            conn.execute(f"CREATE TEMP VIEW reviews AS SELECT *, {extra} FROM main.reviews")
        return
    for name, decl in missing:
        try:
            conn.execute(f"ALTER TABLE reviews ADD COLUMN {name} {decl}")
        except sqlite3.OperationalError as exc:  # another process opening the log added it meanwhile
            if "duplicate column name" not in str(exc):
                raise
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS reviews_anki_revlog ON reviews(anki_revlog_id)")


@dataclass(frozen=True, slots=True)
class ImportedReview:
    """One review from another program's history (an Anki revlog row), as the log keeps it."""

    anki_revlog_id: int
    note: str
    ts: str
    day: dt.date
    kind: str
    """``review`` for the first grade of its day, ``redrill`` for the later ones (as our own rows)."""
    grade: int
    duration_ms: int | None
    was_new: bool
    after: dict | None


@dataclass(frozen=True, slots=True)
class Tally:
    """What :meth:`ReviewLog.tally` counts."""

    reviews: int
    passed: int
    per_day: dict[dt.date, int]
    """Grades a day, re-drills included."""
    imported_per_day: dict[dt.date, int]


class LogKind(StrEnum):
    """What a log row records (a ``str``: it is stored and compared as its value)."""

    REVIEW = "review"
    """A scheduling grade: the first grade of a card on a day."""
    REDRILL = "redrill"
    """A later grade the same day: logged, the schedule is unchanged."""
    UNDO = "undo"
    IMPORT = "import"


KINDS = tuple(LogKind)


@dataclass(frozen=True, slots=True)
class LogRow:
    id: int
    note: str
    ts: str
    day: dt.date
    kind: LogKind
    grade: int | None
    duration_ms: int | None
    was_new: bool
    before: LoggedSchedule | None
    after: LoggedSchedule | None
    state: str
    undone: bool
    undo_of: int | None
    imported: bool = False
    """Brought from another program's history (an Anki package), not graded here."""


def schedule_to_json(s: Schedule, present: frozenset[str] | None = None) -> dict:
    """The scheduling values as JSON; with ``present``, the keys the note lacks as ``restore.absent``."""
    return LoggedSchedule.of(s, present).to_json()


_LEGACY_RESTORE = {"_absent": "absent", "_added": "added", "_raw": "raw", "_created_frontmatter": "created_frontmatter"}


@dataclass(frozen=True, slots=True)
class LoggedSchedule:
    """A schedule as a log row keeps it, and what undo needs to put the note back exactly.

    Stored as the scheduling values (ISO dates), a ``restore`` object when there is something to
    restore, and any other value the row carries (an import's ``source``); rows written before
    this shape (``_absent``, ``_raw``… beside the values) are read the same way.
    """

    values: dict[str, object]
    """Scheduling key -> value as JSON (dates ISO)."""
    absent: tuple[str, ...] = ()
    """Keys the note did not have: undo takes them out again."""
    added: tuple[str, ...] = ()
    """Lines the write appended (a merge key's value too): undo takes them out."""
    raw: dict[str, str] | None = None
    """Each key's source text before the write, for a byte-exact undo."""
    created_frontmatter: bool = False
    """The write gave the note its frontmatter: undo drops it when it is empty again."""
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, s: Schedule, present: frozenset[str] | None = None) -> LoggedSchedule:
        values = {key: (v.isoformat() if isinstance(v := getattr(s, key), dt.date) else v) for key in SCHEDULING_KEYS}
        absent = tuple(k for k in SCHEDULING_KEYS if k not in present) if present is not None else ()
        return cls(values, absent)

    def schedule(self, base: Schedule) -> Schedule:
        """``base`` with the logged values."""
        return schedule_from_json(self.values, base)

    def __getitem__(self, key: str) -> object:
        return self.values[key]

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def to_json(self) -> dict:
        out: dict[str, object] = {**self.extra, **self.values}
        restore: dict[str, object] = {}
        if self.absent:
            restore["absent"] = list(self.absent)
        if self.added:
            restore["added"] = list(self.added)
        if self.raw is not None:
            restore["raw"] = self.raw
        if self.created_frontmatter:
            restore["created_frontmatter"] = True
        if restore:
            out["restore"] = restore
        return out

    @classmethod
    def from_json(cls, d: dict) -> LoggedSchedule:
        d = dict(d)
        restore = d.pop("restore", None)
        restore = dict(restore) if isinstance(restore, dict) else {}
        for old, new in _LEGACY_RESTORE.items():
            if old in d:
                restore.setdefault(new, d.pop(old))
        values = {k: d.pop(k) for k in SCHEDULING_KEYS if k in d}
        raw = restore.get("raw")
        return cls(values, tuple(restore.get("absent") or ()), tuple(restore.get("added") or ()),
                   raw if isinstance(raw, dict) else None, bool(restore.get("created_frontmatter")), d)


def _logged_json(v: LoggedSchedule | dict | None) -> str | None:
    if v is None:
        return None
    logged = v if isinstance(v, LoggedSchedule) else LoggedSchedule.from_json(v)
    return _dumps(logged.to_json())


def _dumps(data: dict) -> str:
    """A row's JSON by orjson (a dependency already, for ``--json``): a grade writes two of these,
    0.01 ms each through the standard library inside a grade (#17). The standard library stays
    the fallback for what orjson refuses (an integer past 64 bits in an imported row)."""
    import orjson

    try:
        return orjson.dumps(data).decode()
    except TypeError:  # orjson.JSONEncodeError
        return _ENCODER.encode(data)


_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""``json.dumps(..., ensure_ascii=False)`` makes an encoder per call."""


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
        # The day's new cards as last counted (:meth:`new_cards_on`), kept up to date by this
        # connection's own grades; see :meth:`_new_kept`.
        self._new_day: str | None = None
        self._new_notes: set[str] = set()
        self._new_version = -1
        self._new_changes = -1
        self._new_pending: dict[int, tuple[str, str]] = {}
        # The deck's grading lock file, kept open by trainer.grading from one grade to the next:
        # (descriptor, (device, inode)), and who is using it now (see keep_lock_file).
        self.held_fd: tuple[int, tuple[int, int]] | None = None
        self.held_lock = _thread.allocate_lock()
        self.closed = False
        self._held_close: weakref.finalize | None = None

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
            _migrate_imported(conn, readonly=True)
            if not conn.execute("PRAGMA table_info(reviews)").fetchone():
                conn.close()  # an empty file, or a log cut off as it was first made: nothing logged yet
                return cls.memory()
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
                _migrate_imported(conn)
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
        _migrate_imported(conn)
        return cls(conn, None)

    def close(self) -> None:
        self.closed = True
        if self.held_lock.acquire(blocking=False):  # (else a grade on another thread holds it: the
            try:                                     # descriptor is closed with this object)
                self.keep_lock_file(None)
            finally:
                self.held_lock.release()
        self.conn.close()

    def keep_lock_file(self, fd: int | None, ident: tuple[int, int] | None = None) -> None:
        """Keep ``fd`` (the grading lock file, ``ident`` its device and inode) open with this log,
        closing the one kept before; None: close it. A log dropped without :meth:`close` closes it
        when it is collected. Called with :attr:`held_lock` held."""
        if self._held_close is not None:
            self._held_close()  # closes the old descriptor, once
            self._held_close = None
        self.held_fd = None
        if fd is not None:
            self.held_fd = (fd, ident)  # type: ignore[assignment]
            self._held_close = weakref.finalize(self, os.close, fd)

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
        before: LoggedSchedule | dict | None = None,
        after: LoggedSchedule | dict | None = None,
        undo_of: int | None = None,
        pending: bool = True,
    ) -> int:
        kept = self._new_follows()
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
                _logged_json(before),
                _logged_json(after),
                "pending" if pending else "done",
                undo_of,
            ),
        )
        row_id = int(cur.lastrowid)  # type: ignore[arg-type]
        self._new_pending.pop(row_id, None)  # (an abandoned row's id, given again: not its new card)
        if kind == "review" and was_new:
            if pending:
                self._new_pending[row_id] = (day.isoformat(), note)
            elif kept:
                self._count_new(day.isoformat(), note)
        if kept:
            self._new_changes = self.conn.total_changes
        return row_id

    def finish(self, row_id: int, *, before: LoggedSchedule | dict | None = None) -> None:
        kept = self._new_follows()
        if before is not None:
            self.conn.execute(
                "UPDATE reviews SET state = 'done', before = ? WHERE id = ?",
                (_logged_json(before), row_id),
            )
        else:
            self.conn.execute("UPDATE reviews SET state = 'done' WHERE id = ?", (row_id,))
        new = self._new_pending.pop(row_id, None)
        if kept:
            if new is not None:
                self._count_new(*new)
            self._new_changes = self.conn.total_changes

    def set_pending_before(self, row_id: int, before: LoggedSchedule | dict) -> None:
        """A pending row's ``before`` made again (its note changed before it was written)."""
        self.conn.execute("UPDATE reviews SET before = ? WHERE id = ? AND state = 'pending'",
                          (_logged_json(before), row_id))

    def abandon(self, row_id: int) -> None:
        """The note was not written after all: the row never happened."""
        self._new_pending.pop(row_id, None)
        self.conn.execute("DELETE FROM reviews WHERE id = ? AND state = 'pending'", (row_id,))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """The writes inside as one: all of them or none (an error rolls back and is raised again)."""
        self.conn.execute("BEGIN")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise

    def mark_undone(self, row_id: int, undo_row: int) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE reviews SET undone = 1 WHERE id = ?", (row_id,))
            self.conn.execute("UPDATE reviews SET state = 'done' WHERE id = ?", (undo_row,))

    # ------------------------------------------------------------ reading

    def last_undoable(self) -> LogRow | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM reviews WHERE kind IN ('review', 'redrill') AND undone = 0 AND state = 'done'"
            " AND imported = 0"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return _row(row) if row else None

    def rows(self, *, since: dt.date | None = None, kinds: tuple[str, ...] = KINDS) -> Iterator[LogRow]:
        q = f"SELECT {_COLUMNS} FROM reviews WHERE kind IN ({','.join('?' * len(kinds))}) AND state = 'done'"
        args: list[object] = list(kinds)
        if since is not None:
            q += " AND day >= ?"
            args.append(since.isoformat())
        for row in self.conn.execute(q + " ORDER BY id", args):
            yield _row(row)

    def tally(self, since: dt.date, *, passing: int) -> Tally:
        """The log's figures for the stats, counted by SQLite: scheduling reviews in all (and how many
        graded ``passing`` or more), grades per day and imports per day from ``since`` on; done rows
        only, undone ones left out. A row's JSON is never read (reading every row as a
        :class:`LogRow` cost 25 µs a row: 86 ms of ``stats`` for a log of 3,500 grades, #17)."""
        total, passed = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(COALESCE(grade, 0) >= ?), 0) FROM reviews"
            " WHERE kind = 'review' AND state = 'done' AND undone = 0",
            (passing,),
        ).fetchone()
        per_day: dict[dt.date, int] = {}
        imported: dict[dt.date, int] = {}
        for day, kind, n in self.conn.execute(
            "SELECT day, kind, COUNT(*) FROM reviews WHERE day >= ? AND kind IN ('review', 'redrill', 'import')"
            " AND state = 'done' AND undone = 0 GROUP BY day, kind",
            (since.isoformat(),),
        ):
            try:
                d = dt.date.fromisoformat(day)
            except (TypeError, ValueError):  # a row not written by trainer (edited by hand): on no day
                continue
            counts = imported if kind == "import" else per_day
            counts[d] = counts.get(d, 0) + n
        return Tally(total, passed, per_day, imported)

    def pending(self) -> list[LogRow]:
        return [_row(r) for r in self.conn.execute(f"SELECT {_COLUMNS} FROM reviews WHERE state = 'pending' ORDER BY id")]

    def seconds_spent(self, row_ids: list[int]) -> float:
        """Time spent on these grades (each row's ``duration_ms``), in seconds."""
        total = 0
        for start in range(0, len(row_ids), 500):
            chunk = row_ids[start:start + 500]
            (ms,) = self.conn.execute(
                f"SELECT COALESCE(SUM(duration_ms), 0) FROM reviews WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchone()
            total += ms
        return total / 1000

    def add_imported(self, reviews: list[ImportedReview]) -> int:
        """Append reviews from another program's history; one already here (same Anki revlog id)
        is left as it is, so importing a package twice adds nothing. Returns how many were added.
        The caller holds the transaction."""
        before = self.conn.total_changes
        self.conn.executemany(
            "INSERT OR IGNORE INTO reviews (note, ts, day, kind, grade, duration_ms, was_new, after, state,"
            " imported, anki_revlog_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'done', 1, ?)",
            [
                (
                    r.note,
                    r.ts,
                    r.day.isoformat(),
                    r.kind,
                    r.grade,
                    r.duration_ms,
                    int(r.was_new),
                    json.dumps(r.after, ensure_ascii=False) if r.after is not None else None,
                    r.anki_revlog_id,
                )
                for r in reviews
            ],
        )
        return self.conn.total_changes - before

    def new_cards_on(self, day: dt.date) -> int:
        """New cards introduced on ``day`` (scheduling reviews of never-reviewed cards, not undone).

        The study app asks after every grade (#17): the day's notes are read once and then kept
        up to date by this connection's grades, and read again when anything else changed the
        log (another process's commit: ``PRAGMA data_version``; any other write of ours, an undo
        or an import: ``total_changes``) or the day is another.
        """
        iso = day.isoformat()
        if self._new_day == iso and self._new_kept():
            return len(self._new_notes)
        version = self._data_version()
        changes = self.conn.total_changes
        notes = {note for (note,) in self.conn.execute(
            "SELECT DISTINCT note FROM reviews WHERE day = ? AND kind = 'review' AND was_new = 1"
            " AND undone = 0 AND state = 'done'",
            (iso,),
        )}
        self._new_day, self._new_notes, self._new_version, self._new_changes = iso, notes, version, changes
        return len(notes)

    def _new_kept(self) -> bool:
        """Whether the kept count of the day's new cards still holds: no commit by another
        connection and no write of ours that was not counted since it was read."""
        return self._new_follows() and self._data_version() == self._new_version

    def _new_follows(self) -> bool:
        """Whether a write of ours about to be made can be counted in: every write of ours since
        the count was read was. Not inside an explicit transaction (a rollback would take back a
        write that was counted): the next count reads the log again. Another connection's commit
        meanwhile is left to :meth:`new_cards_on`, which then reads the log again anyway."""
        return self._new_day is not None and self.conn.total_changes == self._new_changes and not self.conn.in_transaction

    def _data_version(self) -> int:
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _count_new(self, day: str, note: str) -> None:
        if day == self._new_day:
            self._new_notes.add(note)


_FIELDS = tuple(f.name for f in fields(LogRow))
_COLUMNS = ", ".join(_FIELDS)
"""Every query names its columns: a row is read by name, whatever order the table has them in."""


def _row(r: tuple) -> LogRow:
    v = dict(zip(_FIELDS, r))
    v["day"] = dt.date.fromisoformat(v["day"])
    v["kind"] = LogKind(v["kind"])
    v["was_new"] = bool(v["was_new"])
    v["before"] = LoggedSchedule.from_json(json.loads(v["before"])) if v["before"] else None
    v["after"] = LoggedSchedule.from_json(json.loads(v["after"])) if v["after"] else None
    v["undone"] = bool(v["undone"])
    v["imported"] = bool(v["imported"])
    return LogRow(**v)
