"""Updating one note on disk without ever overwriting someone else's edit (SPEC §2)."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from trainer.notes.model import Schedule
from trainer.notes.parse import NEW_CARD_DUE, NoteError, parse_note
from trainer.notes.write import Moved, WriteError, atomic_write, check_writable, edit_frontmatter, encode, read_text

SETTLE_S = 0.05
"""A note that changed since it was scanned must hold still this long before we write onto it
(an editor saving in place truncates first, then writes)."""

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock, the mtime check still applies
    fcntl = None  # type: ignore[assignment]


class Conflict(Exception):
    """The note's scheduling keys were changed by someone else since it was read: theirs are kept."""


class NoteGone(Exception):
    """The note was deleted or renamed since it was read."""


@dataclass(frozen=True, slots=True)
class Written:
    changed: bool
    reapplied: bool
    """The file had changed on disk (not its schedule): the update went onto the new content."""
    old_raw: dict[str, str] = field(default_factory=dict)
    """The replaced values' source text, so an undo can put back exactly what was there."""
    created_frontmatter: bool = False


def update_note(
    path: Path,
    updates: dict[str, object],
    *,
    expect: Schedule | None = None,
    read_mtime_ns: int | None = None,
    attempts: int = 5,
    drop_empty: bool = False,
    root: Path | None = None,
    read_size: int | None = None,
) -> Written:
    """Set ``updates`` in the note at ``path``, surgically and atomically.

    ``expect`` is the schedule the caller based its new values on; if the file's own schedule
    now differs, someone else rescheduled it and :class:`Conflict` is raised, nothing written.
    ``root`` is the deck: a path that resolves outside it (a folder swapped for a symlink) is
    refused.
    """
    if root is not None:
        real, top = os.path.realpath(path), os.path.realpath(root)
        if not real.startswith(top.rstrip(os.sep) + os.sep):
            raise WriteError(13, f"{path} resolves outside the deck ({real}); not changed")
    reapplied = False
    for _ in range(attempts):
        with _locked(path) as moved:
            if moved:  # another grader replaced the note while we waited for the lock: look again
                reapplied = True
                continue
            try:
                done = _update_once(path, updates, expect, read_mtime_ns, drop_empty, read_size)
            except Moved:
                done = None
        if done is None:
            reapplied = True
            continue
        written, moved_before = done
        return Written(written.changed, reapplied or moved_before, written.old_raw, written.created_frontmatter)
    raise Conflict(f"{path} kept changing while it was being written; not changed")


@contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on the note from the read to the replace, so two graders (two
    processes, or the TUI and a script) never both schedule it from the same old state.

    The lock sits on the note's inode; a writer that got there first replaces the file (new
    inode), so after waiting we say whether the path still names the file we locked.
    """
    try:
        check_writable(path)
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise NoteGone(f"{path} was deleted or renamed") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            moved = os.stat(path).st_ino != os.fstat(fd).st_ino
        except FileNotFoundError:
            raise NoteGone(f"{path} was deleted or renamed") from None
        yield moved
    finally:
        os.close(fd)  # releases the lock


def _update_once(path, updates, expect, read_mtime_ns, drop_empty, read_size=None) -> tuple[Written, bool] | None:
    """One read-check-write under the lock; ``None`` when the file moved under us (try again)."""
    reapplied = False
    try:
        st = check_writable(path)
        raw, text, bom = read_text(path)
    except FileNotFoundError:
        raise NoteGone(f"{path} was deleted or renamed") from None
    if read_mtime_ns is not None and st.st_mtime_ns != read_mtime_ns:
        reapplied = True
        time.sleep(SETTLE_S)
        if _identity(os.stat(path)) != _identity(st):
            return None
        if not raw and read_size:
            # Emptied since it was read: an editor truncating before it writes. Never write a
            # schedule into that; the user grades again once the save is done.
            raise Conflict(f"{path} is empty on disk now (being saved?); not graded, nothing written")
    if expect is not None:
        current = parse_note(raw, path.name)
        if current.fatal:
            raise NoteError(current.problems[0].message)
        if not _same_schedule(current.schedule, expect):
            raise Conflict(f"{path}: scheduling keys were changed by another program; their version is kept")
    edit = edit_frontmatter(text, updates, drop_empty=drop_empty)
    if edit.text == text:
        return Written(False, reapplied, edit.old_raw), reapplied
    data = encode(edit.text, bom)
    if st.st_size != len(raw):
        return None

    def unchanged() -> bool:
        """Last look, after the fsync and just before the replace: an editor that saved
        meanwhile (without taking our lock) makes us read again and re-apply."""
        try:
            return _identity(os.stat(path)) == _identity(st)
        except FileNotFoundError:
            return False

    atomic_write(path, data, mode=st.st_mode & 0o7777, before_replace=unchanged)
    return Written(True, reapplied, edit.old_raw, edit.created_frontmatter), reapplied


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _same_schedule(a: Schedule, b: Schedule) -> bool:
    """Equal for the keys a review writes (``created`` defaults to mtime, so it is left out)."""
    return (
        a.last_reviewed == b.last_reviewed
        and (a.next_review == b.next_review or NEW_CARD_DUE in (a.next_review, b.next_review))
        and a.review_count == b.review_count
        and abs(a.mastery_level - b.mastery_level) < 1e-9
        and abs(a.ease_factor - b.ease_factor) < 1e-9
        and a.interval == b.interval
        and a.repetitions == b.repetitions
    )


__all__ = ["Conflict", "NoteGone", "Written", "update_note", "WriteError", "NoteError"]
