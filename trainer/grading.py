"""Grading and undoing: the one path by which the CLI, the TUI and demos change a note's schedule."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, replace

from trainer import paths, scheduler
from trainer.config import Settings
from trainer.deck import Deck, DeckError
from trainer.notes.model import MEMORY_KEYS, SCHEDULING_KEYS, Note, Schedule
from trainer.notes.parse import NoteError
from trainer.notes.store import Conflict, NoteGone, update_note
from trainer.notes.write import REMOVE, Raw
from trainer.reviewlog import LoggedSchedule, LogRow, ReviewLog, schedule_to_json

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["Graded", "Undone", "grade", "undo_last", "repair", "open_log", "Conflict", "NoteGone", "NoteError"]


@dataclass(frozen=True, slots=True)
class Graded:
    note: Note
    """The note as it is now on disk."""
    grade: int
    kind: str
    """``review`` (scheduled) or ``redrill`` (a later grade the same day: logged only)."""
    before: Schedule
    after: Schedule
    log_id: int
    reapplied: bool = False
    notice: str = ""
    """Said after the grade: another program saved into the note meanwhile, kept where (issue #11)."""


@dataclass(frozen=True, slots=True)
class Undone:
    row: LogRow
    note: Note | None
    """The note as restored (``None`` if it is gone)."""


def grade(
    deck: Deck,
    log: ReviewLog,
    note: Note,
    q: int,
    today: dt.date,
    *,
    duration_ms: int | None = None,
    max_interval: int = scheduler.MAX_INTERVAL,
    settings: Settings | None = None,
) -> Graded:
    """Grade ``note`` (as the caller last read it) with ``q`` on ``today``.

    Raises Conflict when someone else rescheduled the note meanwhile (their version is kept),
    NoteGone when it was deleted, NoteError when it can no longer be read, WriteError on I/O.
    """
    scheduler.check_grade(q)
    if note.fatal:
        raise NoteError(note.problems[0].message if note.problems else "note cannot be read")
    before = note.schedule
    first_today = scheduler.schedules_today(before, today)
    after = _scheduled(deck, log, note, q, today, max_interval, settings) if first_today else before
    kind = "review" if first_today else "redrill"
    with _in_progress(deck, log):
        return _grade_logged(log, note, q, today, kind, before, after, duration_ms, first_today, deck.root)


def _scheduled(deck: Deck, log: ReviewLog, note: Note, q: int, today: dt.date, max_interval: int, settings) -> Schedule:
    """The new schedule: SM-2, or FSRS when the deck's trainer.toml says so (trainer.memory)."""
    from trainer import config, memory

    settings = settings or config.load_cached(deck.root)
    cap = min(max_interval, settings.max_interval)
    s = note.schedule
    if settings.algorithm != "fsrs":
        return memory.forget_sm2(scheduler.review(s, q, today, cap))
    history = None if memory.stored(s) is not None or s.is_new else memory.history_from_log(log, note.rel)
    start = memory.initial_state(s, settings.weights, history)
    return memory.fsrs_review(s, q, today, settings, before=start, max_interval=cap)


def _updates(after: Schedule) -> dict[str, object]:
    """The keys a review writes; an absent FSRS state is taken out of the note, not written as null."""
    updates = after.values()
    for key in MEMORY_KEYS:
        if updates[key] is None:
            updates[key] = REMOVE
    return updates


def _grade_logged(log, note, q, today, kind, before, after, duration_ms, first_today, root) -> Graded:
    """Log the grade and, for a review, write the note: the row is committed ``pending`` before the
    note changes and marked ``done`` after (a crash in between is settled by :func:`repair`).

    The pending row is written under the note's lock, once the edit is made (#17): it already holds
    the source text an undo puts back, so marking it done changes its state alone, and a grade
    refused before any write (a conflict, a note gone) never adds a row. A re-drill writes no
    note: its row is written done at once.
    """
    logged_before = LoggedSchedule.of(before, note.present)
    logged_after = LoggedSchedule.of(after)
    was_new = first_today and before.is_new

    def add_row(logged: LoggedSchedule, *, pending: bool) -> int:
        return log.begin(note.rel, kind, today, grade=q, duration_ms=duration_ms, was_new=was_new,
                         before=logged, after=logged_after, pending=pending)

    if kind != "review":
        row = add_row(logged_before, pending=False)
        return Graded(_refreshed(note, after), q, kind, before, after, row, False, "")
    row: int | None = None

    def restore_of(edit) -> LoggedSchedule:
        return replace(logged_before, raw=dict(edit.old_raw), created_frontmatter=bool(edit.created_frontmatter),
                       added=tuple(edit.added))  # lines appended (a merge key's value too)

    def log_pending(edit) -> None:
        nonlocal row
        if row is None:
            row = add_row(restore_of(edit), pending=True)
        else:  # the note changed meanwhile and the edit was made again: the row follows it
            log.set_pending_before(row, restore_of(edit))

    try:
        written = update_note(note.path, _updates(after), expect=before, read_mtime_ns=note.mtime_ns or None,
                              read_size=note.size or None, root=root, before_write=log_pending)
    except BaseException:
        if row is not None:
            try:
                _settle_own(root, log, row, note.rel, today, logged_after)
            except sqlite3.Error:
                pass  # a full disk: the row stays pending and the next open settles it (the note says what happened)
        raise
    if row is None:  # nothing to write (the note already holds these values): the row, done
        row = add_row(restore_of(written), pending=False)
    else:
        log.finish(row)
    return Graded(_refreshed(note, after, written.stat), q, kind, before, after, row, written.reapplied, written.notice)


def _settle_own(root, log: ReviewLog, row: int, rel: str, today: dt.date, after: LoggedSchedule) -> None:
    """A grade that raised once its pending row was written: the row goes only if the note does not
    hold the grade. An error or Ctrl-C after the rename (an editor's save being looked at) leaves
    the note written: its row is kept, done, so the log knows it and an undo takes it back."""
    try:
        held = _matches(Deck(root).load(rel, today).schedule, after.values)
    except (OSError, NoteError, DeckError):
        held = False  # gone or unreadable: dropped, as repair() drops it
    if held:
        log.finish(row)
    else:
        log.abandon(row)


def _refreshed(note: Note, schedule: Schedule, st: os.stat_result | None = None) -> Note:
    """``note`` with ``schedule``, and the size and time of the file as written (``st``, from the
    write itself: a save by another program right after ours is then still seen as a change)."""
    if st is None:
        try:
            st = os.stat(note.path)
        except OSError:
            st = None
    size, mtime = (st.st_size, st.st_mtime_ns) if st is not None else (note.size, note.mtime_ns)
    written = frozenset(k for k in SCHEDULING_KEYS if getattr(schedule, k) is not None or k not in MEMORY_KEYS)
    present = (note.present - frozenset(MEMORY_KEYS)) | written
    return replace(note, schedule=schedule, present=present, size=size, mtime_ns=mtime)


def undo_last(deck: Deck, log: ReviewLog, today: dt.date) -> Undone | None:
    """Undo the most recent grade: the note gets its previous values back, the row is marked undone."""
    with _in_progress(deck, log):
        row = log.last_undoable()
        if row is None:
            return None
        return _undo_row(deck, log, row, today)


def _undo_row(deck: Deck, log: ReviewLog, row: LogRow, today: dt.date) -> Undone:
    undo_id = log.begin(row.note, "undo", today, grade=row.grade, before=row.after, after=row.before, undo_of=row.id)
    note: Note | None = None
    try:
        if row.kind == "review" and row.before and row.after:
            current = deck.load(row.note, today)
            expect = row.after.schedule(current.schedule)
            update_note(
                current.path,
                _restoring(row.before, current.schedule),
                expect=expect,
                drop_empty=row.before.created_frontmatter,
                root=deck.root,
            )
            note = deck.load(row.note, today)
        else:
            try:
                note = deck.load(row.note, today)
            except FileNotFoundError:
                note = None
    except FileNotFoundError:
        log.abandon(undo_id)
        raise NoteGone(f"{row.note} was deleted or renamed; nothing to undo there") from None
    except BaseException:
        log.abandon(undo_id)
        raise
    log.mark_undone(row.id, undo_id)
    return Undone(row, note)


def _restoring(before: LoggedSchedule, base: Schedule) -> dict[str, object]:
    """Updates that put back the note's values as they were: exact source text where logged."""
    absent = set(before.absent) | set(before.added)
    raw = before.raw
    restored = before.schedule(base)
    updates: dict[str, object] = {}
    for key in SCHEDULING_KEYS:
        if key in absent:
            updates[key] = REMOVE
        elif raw is not None:
            if key in raw:
                updates[key] = Raw(raw[key])
        else:
            updates[key] = getattr(restored, key)
    return updates


def open_log(deck: Deck, today: dt.date) -> tuple[ReviewLog, list[str]]:
    """The deck's review log, with rows left unfinished by a crash settled first."""
    log = ReviewLog.open(deck.root)
    return log, repair(deck, log, today)


def repair(deck: Deck, log: ReviewLog, today: dt.date) -> list[str]:
    """Settle rows left ``pending`` by a crash: keep those whose note was written, drop the rest."""
    with _in_progress(deck, exclusive=True) as alone:
        if not alone:
            return []  # another process is grading: its pending rows are not leftovers
        return _settle(deck, log, today)


@contextmanager
def _in_progress(deck: Deck, log: ReviewLog | None = None, *, exclusive: bool = False):
    """A shared lock held from a grade's pending log row to its finish; :func:`repair` takes it
    exclusively (without waiting), so it never settles a row that a live process is still writing.

    ``log``: the deck's open log, which keeps the lock file open from one grade to the next
    (:func:`_kept_lock`). Yields False when ``exclusive`` and some other process holds it.
    """
    kept = _kept_lock(deck.root, log) if log is not None and not exclusive and fcntl is not None else None
    fd = kept if kept is not None else _open_grading_lock(deck.root) if fcntl is not None else None
    try:
        if fd is not None:
            if exclusive:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    yield False
                    return
            else:
                fcntl.flock(fd, fcntl.LOCK_SH)
        yield True
    finally:
        if kept is not None:
            try:
                fcntl.flock(kept, fcntl.LOCK_UN)
            finally:
                log.held_lock.release()  # type: ignore[union-attr]
        elif fd is not None:
            os.close(fd)


def _kept_lock(root, log: ReviewLog) -> int | None:
    """The log's descriptor on ``.trainer/grading.lock``, opened at its first grade and kept (two
    opens and a close a grade, 0.02-0.05 ms, #17), taken for this grade; None when another thread
    of this process is grading with it (a lock taken by two threads through one descriptor is
    released by the first to finish), the log is not a file's or is closed. Each use looks at the
    deck's path first (one lstat): a lock file deleted or replaced is opened again, so the lock is
    the one another process would take. (A ``.trainer`` swapped for a symlink to itself still
    leads to the kept file; every other process's open of the log refuses such a folder, so no
    one else locks anything there.)"""
    if log.path is None or log.closed or not log.held_lock.acquire(blocking=False):
        return None
    fd = None
    try:
        if not log.closed:
            fd = _held_lock_file(root, log)
    finally:
        if fd is None:
            log.held_lock.release()
    return fd


def _held_lock_file(root, log: ReviewLog) -> int | None:
    held = log.held_fd
    path = os.path.join(root, paths.STATE_DIR, "grading.lock")  # this deck's, whichever log holds it
    if held is not None:
        try:
            st = os.lstat(path)
            if (st.st_dev, st.st_ino) == held[1]:
                return held[0]
        except OSError:
            pass
        log.keep_lock_file(None)
    fd = _open_grading_lock(root)
    if fd is not None:
        st = os.fstat(fd)
        log.keep_lock_file(fd, (st.st_dev, st.st_ino))
    return fd


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _open_grading_lock(root) -> int | None:
    """``.trainer/grading.lock``, opened (made if missing) without following a symlink at either
    step; None on a read-only deck (nothing to coordinate with).

    Through a descriptor on ``.trainer`` opened ``O_NOFOLLOW``: two opens, where
    :func:`paths.state_file` makes sure of the folder and its ``.gitignore`` each time (~0.04 ms a
    grade here, #17). The folder exists once the log is open; when it does not, or the
    system cannot open relative to a folder, :func:`paths.state_file` makes it (or refuses a
    symlinked ``.trainer``) as before.
    """
    flags = os.O_RDWR | os.O_CREAT | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    if _NOFOLLOW and os.open in os.supports_dir_fd:
        try:
            dfd = os.open(paths.state_dir(root), os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW)
        except OSError:
            dfd = -1
        if dfd >= 0:
            try:
                return os.open("grading.lock", flags, 0o644, dir_fd=dfd)
            except OSError:
                pass
            finally:
                os.close(dfd)
    try:
        return os.open(paths.state_file(root, "grading.lock"), flags, 0o644)
    except OSError:
        return None


def _settle(deck: Deck, log: ReviewLog, today: dt.date) -> list[str]:
    messages = []
    for row in log.pending():
        try:
            current = deck.load(row.note, today).schedule
        except (OSError, NoteError):
            log.abandon(row.id)
            messages.append(f"{row.note}: log: dropped an unfinished {row.kind} (note unreadable)")
            continue
        if row.kind == "redrill":
            log.finish(row.id)
            continue
        target = row.after
        if target is not None and _matches(current, target.values):
            if row.kind == "undo" and row.undo_of is not None:
                log.mark_undone(row.undo_of, row.id)
            else:
                log.finish(row.id)
            messages.append(f"{row.note}: log: completed an interrupted {row.kind}")
        else:
            log.abandon(row.id)
            messages.append(f"{row.note}: log: dropped an interrupted {row.kind} (note was not changed)")
    return messages


def _matches(s: Schedule, values: dict) -> bool:
    return schedule_to_json(s) == {k: values.get(k) for k in SCHEDULING_KEYS}
