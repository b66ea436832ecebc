"""Updating one note on disk without ever overwriting someone else's edit (SPEC §2).

Three writers can meet at a note: another grader (it takes the same lock), an editor that
replaces the file (a new inode: the lock and the last look before the rename see it), and an
editor that saves *in place* (truncate, then write, no lock). Against the last one a note read
empty or cut short is never graded, and after our rename the replaced file is looked at once
more: bytes an editor wrote into it after we read it are put back and the update re-applied.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from trainer.notes import closer
from trainer.notes.model import SCHEDULING_KEYS, Schedule
from trainer.notes.parse import NEW_CARD_DUE, NoteError, decode, load_yaml, read_fields, split_frontmatter
from trainer.notes.write import (
    REMOVE, Edit, Moved, Raw, WriteError, _same, atomic_write, check_writable, edit_frontmatter, encode,
    refuse_read_only,
)

SETTLE_S = 0.5
"""How long a note read empty or cut short is waited for (an editor saving in place) before we give up."""
POLL_S = 0.002
QUIET_EMPTY_S = 5.0
"""An empty note last changed this long ago is empty, not being saved (a save that empties a
file first changes its time as it does): a grade says so instead of "being saved"."""
QUIET_S = 0.02
"""After our rename, a replaced file written to less than this long ago is watched until it is
this quiet: an editor that was saving into it has then written its last piece."""
MAX_NOTE_BYTES = 20 * 1024 * 1024
"""Notes larger than this are reported, never read whole (a 3 GB file named .md is not a note)."""

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock, the mtime check still applies
    fcntl = None  # type: ignore[assignment]


class Conflict(Exception):
    """The note's scheduling keys were changed by someone else since it was read: theirs are kept."""


class BeingSaved(Conflict, NoteError):
    """The note stayed empty or cut short while we waited: another program is saving it."""


class NoteGone(Exception):
    """The note was deleted or renamed since it was read."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
"""In ``planned``: the key was absent when the write was planned (fill it only if still absent)."""


@dataclass(frozen=True, slots=True)
class Written:
    changed: bool
    reapplied: bool
    """The file had changed on disk (not its schedule): the update went onto the new content."""
    old_raw: dict[str, str] = field(default_factory=dict)
    """The replaced values' source text, so an undo can put back exactly what was there."""
    created_frontmatter: bool = False
    skipped: tuple[str, ...] = ()
    """Keys of ``planned`` left alone: the note no longer held what the plan was made from."""
    notice: str = ""
    """Said to the user after a write that went through: where bytes we could not put back were kept."""
    added: tuple[str, ...] = ()
    """Keys whose lines the write appended (an undo removes them)."""
    stat: os.stat_result | None = None
    """The written file's stat (size, times) as the write left it; None when nothing was written."""


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
    planned: dict[str, object] | None = None,
    before_write: Callable[[Edit], None] | None = None,
) -> Written:
    """Set ``updates`` in the note at ``path``, surgically and atomically.

    ``expect`` is the schedule the caller based its new values on; if the file's own schedule
    now differs, someone else rescheduled it and :class:`Conflict` is raised, nothing written.
    ``planned`` maps a key of ``updates`` to the value it held when the change was planned
    (:data:`MISSING` for "absent"): the key is written only if the note, read again under the
    lock, still holds that (a batch plan made from a scan never writes over a newer edit).
    ``root`` is the deck: a path that is not one of its notes (outside it, hidden, not ``.md``)
    is refused. ``read_mtime_ns`` is when the caller read the note: a file changed since is
    reported as ``reapplied``. Every write reads the note again under the lock whatever the
    caller read (``read_size`` is accepted for callers' sake). ``before_write`` is called under the
    lock with the edit about to be written, before the file is touched (a grade logs its pending
    row there, with the source text an undo needs); it may be called again if the note changed
    meanwhile and the edit is made anew, and what it raises leaves the note unwritten.
    """
    top = os.path.realpath(root) if root is not None else None  # once per write: both checks below use it
    if root is not None:
        problem = _not_a_note_fast(root, path, top)
        if problem:
            raise WriteError(errno.EPERM, f"{path}: {problem}")
    reapplied = False
    for _ in range(attempts):
        with _locked(path) as (moved, fd):
            if moved:  # another grader replaced the note while we waited for the lock: look again
                reapplied = True
                continue
            try:
                done = _update_once(path, fd, updates, expect, drop_empty, planned, root, read_mtime_ns, top,
                                    before_write)
            except Moved:
                done = None
        if done is None:
            reapplied = True
            continue
        return done if not reapplied else Written(done.changed, True, done.old_raw, done.created_frontmatter,
                                                  done.skipped, done.notice, done.added, done.stat)
    raise Conflict(f"{path} kept changing while it was being written; not changed")


def not_a_note(root: Path, path: Path | str, *, top: str | None = None) -> str | None:
    """Why ``path`` is not a note the scan of ``root`` would list (None: it is one).

    Only notes are ever written: no hidden folder (``.git``, ``.obsidian``), nothing but
    ``*.md``, nothing a symlink leads out of the deck to. ``top`` is ``os.path.realpath(root)``
    when the caller has it already.
    """
    if top is None:
        top = os.path.realpath(root)
    real = os.path.realpath(path)
    try:  # one lstat for lexists + isfile (real is resolved: a link left in it is dangling or a loop)
        mode: int | None = os.lstat(real).st_mode
    except OSError:  # absent (or unreadable), as lexists said
        mode = None
    return _refusal(top, real, mode)


def _refusal(top: str, real: str, mode: int | None) -> str | None:
    """:func:`not_a_note` for a resolved path ``real`` whose file has ``mode`` (None: absent)."""
    if not real.startswith(top.rstrip(os.sep) + os.sep):
        return "not a note of this deck (outside it)"
    rel = real[len(top.rstrip(os.sep)) + 1 :]
    parts = rel.split(os.sep)
    if any(p.startswith(".") for p in parts) or not parts[-1].lower().endswith(".md"):
        return "not a note of this deck"
    if mode is not None and not stat.S_ISREG(mode):
        return "not a note of this deck (not a regular file)"
    return None


# ---------------------------------------------------------------- the same checks from a descriptor
#
# os.path.realpath lstats every folder on the way (~10 calls for a note four folders deep) and a
# write asked it three times (#17). On Linux the kernel names the file a descriptor is open on
# (/proc/self/fd/N, one readlink): the same resolved path, for the file actually opened. A
# descriptor's name is only ever used to *accept* a note; whatever it does not accept is asked
# again the usual way (realpath), so a refusal and its message are always :func:`not_a_note`'s.

_O_PATH = getattr(os, "O_PATH", 0)
_PROC_FD = "/proc/self/fd/"
_proc_fd_works = os.path.isdir(_PROC_FD)


def _name_of_fd(fd: int) -> str | None:
    """The resolved path of the file ``fd`` is open on, or None (no /proc, file deleted, odd answer)."""
    if not _proc_fd_works:
        return None
    try:
        real = os.readlink(f"{_PROC_FD}{fd}")
    except OSError:
        return None
    if not real.startswith(os.sep) or real.endswith(" (deleted)"):
        return None
    return real


def _not_a_note_fast(root: Path, path: Path, top: str) -> str | None:
    """:func:`not_a_note`, from a path-only descriptor (``O_PATH``: nothing is read, a FIFO does not
    block, a device is not opened) when the system has one; else, or when in doubt, the usual way."""
    if _O_PATH and _proc_fd_works:
        try:
            fd = os.open(path, _O_PATH | os.O_CLOEXEC)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                real, mode = _name_of_fd(fd), os.fstat(fd).st_mode
            finally:
                os.close(fd)
            if real is not None and _refusal(top, real, mode) is None:
                return None
    return not_a_note(root, path, top=top)


def _real_of_read(root: Path, path: Path, top: str, fd: int, st: os.stat_result, now: os.stat_result) -> str:
    """The note's resolved path, checked (WriteError when it is not a note): asked again of the file
    read (``fd``, ``st``), which may have been swapped for a symlink out while we waited for the lock.

    The descriptor's name is the path's only when the path still leads to that file (``now``, the
    path just looked at: same device and inode) and the file has one name (a hard-linked one is
    refused after)."""
    if st.st_nlink == 1 and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
        real = _name_of_fd(fd)
        if real is not None and _refusal(top, real, st.st_mode) is None:
            return real
    problem = not_a_note(root, path, top=top)
    if problem:
        raise WriteError(errno.EPERM, f"{path}: {problem}")
    return os.path.realpath(path)


def _still_named(fd: int, path: Path, real: str | None) -> bool:
    """Whether the file read is still where its path was checked (``real``): a folder on the way
    renamed, or swapped for a link out of the deck, since the check would put the write elsewhere
    (one readlink; realpath where the descriptor cannot be named)."""
    if real is None:
        return True
    return (_name_of_fd(fd) or os.path.realpath(path)) == real


@contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on the note from the read to the replace, so two graders (two
    processes, or the TUI and a script) never both schedule it from the same old state.

    The lock sits on the note's inode; a writer that got there first replaces the file (new
    inode), so after waiting we say whether the path still names the file we locked. The
    descriptor is yielded too: the note is read through it, and looked at through it again
    once it has been replaced.
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
        yield moved, fd
    finally:
        _release(fd)


def _release(fd: int) -> None:
    """Unlock and close the note's descriptor. When our rename replaced the file it holds, this
    close is the file's last and the system frees it there (0.02-0.14 ms of a grade, #17): the
    lock is released here and the close left to :mod:`trainer.notes.closer`."""
    try:
        replaced = os.fstat(fd).st_nlink == 0
    except OSError:
        replaced = False
    if not replaced:
        os.close(fd)  # releases the lock
        return
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        os.close(fd)
        return
    closer.close_later(fd)


# ---------------------------------------------------------------- reading while an editor saves


def _pread_all(fd: int, limit: int = MAX_NOTE_BYTES, *, size: int | None = None) -> bytes:
    """The whole file. ``size`` is what a stat just said: one read of a byte more than that, and a
    shorter answer is the end of the file (the callers compare what they got with a stat or with
    bytes read before, so a file that changed meanwhile is seen either way)."""
    chunks: list[bytes] = []
    offset = 0
    if size is not None and size < limit:
        first = os.pread(fd, size + 1, 0)
        if len(first) <= size:
            return first
        chunks, offset = [first], len(first)
    while True:
        chunk = os.pread(fd, 1 << 20, offset)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        offset += len(chunk)
        if offset > limit:
            raise NoteError(f"note is larger than {limit // (1024 * 1024)} MB; not read")


def unsettled(raw: bytes) -> str | None:
    """Why these bytes look like a save caught half-way (None: they look whole)."""
    return _looked(raw)[0]


def _looked(raw: bytes) -> tuple[str | None, tuple | None]:
    """:func:`unsettled`, and the text, BOM and frontmatter split it decoded on the way (None
    when it could not): the update under the lock goes on from them instead of decoding again."""
    if not raw.strip():
        return "it is empty", None
    try:
        text, bom = decode(raw)
    except NoteError as exc:
        # a multi-byte character cut at the very end: the rest is still being written
        if "UTF-8" in str(exc) and _cut_utf8(raw):
            return "it ends inside a character", None
        return None, None
    try:
        split = split_frontmatter(text)
    except NoteError as exc:
        if "not closed" in str(exc):
            return "its frontmatter has no closing '---'", None
        return None, None
    return None, (text, bom, split)


def _cut_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data"
    return False


def read_fd_settled(fd: int, *, wait: float = SETTLE_S) -> tuple[bytes, os.stat_result]:
    """The note's bytes once they hold still and look whole, with the stat they were read at.

    Read whole with a look at the file before and after: a size or time that moved, an empty
    file or a frontmatter without its closing line mean an editor is mid-save; we wait briefly
    and read again, else :class:`BeingSaved` (nothing is written on such a read).
    """
    raw, st, _ = _read_fd_settled(fd, wait)
    return raw, st


def _read_fd_settled(fd: int, wait: float = SETTLE_S) -> tuple[bytes, os.stat_result, tuple | None]:
    """:func:`read_fd_settled`, with the decoded parts of :func:`_looked`."""
    deadline = time.monotonic() + wait
    while True:
        st = os.fstat(fd)
        if st.st_size > MAX_NOTE_BYTES:
            raise NoteError(f"note is {st.st_size / 1e6:.0f} MB, over the {MAX_NOTE_BYTES // (1024 * 1024)} MB limit; not read")
        raw = _pread_all(fd, size=st.st_size)
        after = os.fstat(fd)
        parts = None
        if _identity(st) != _identity(after) or len(raw) != after.st_size:
            why: str | None = "it changed while it was read"
        else:
            why, parts = _looked(raw)
        if why is None:
            return raw, after, parts
        if time.monotonic() >= deadline:
            if not raw.strip() and time.time() - after.st_mtime > QUIET_EMPTY_S:
                # (a BeingSaved still: the study app keeps the note in the deck, as for a save in progress;
                # a slow sync may leave a note empty for longer)
                raise BeingSaved("the note is empty: nothing to grade; nothing written")
            raise BeingSaved(f"{why}: being saved by another program? not graded, nothing written")
        time.sleep(POLL_S)


def read_settled(path: Path, *, wait: float = SETTLE_S) -> tuple[bytes, os.stat_result]:
    """:func:`read_fd_settled` on a path (FileNotFoundError when it is gone)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return read_fd_settled(fd, wait=wait)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- one locked update


def _update_once(path, fd, updates, expect, drop_empty, planned, root, read_mtime_ns=None, top=None,
                 before_write=None) -> Written | None:
    """One read-check-write under the lock; ``None`` when the file moved under us (try again)."""
    try:
        raw, st, parts = _read_fd_settled(fd)
        now = os.stat(path)
    except FileNotFoundError:
        raise NoteGone(f"{path} was deleted or renamed") from None
    if now.st_ino != st.st_ino:
        return None
    refuse_read_only(path, st)  # the file read is the one at the path: its mode is the path's
    real = _real_of_read(root, path, top, fd, st, now) if root is not None else None
    if st.st_nlink > 1:
        raise WriteError(
            errno.EMLINK,
            f"{path}: has {st.st_nlink} hard links; not changed (replacing it would split them: the other "
            "names would keep the old text). Copy it to a file of its own to grade it",
        )
    if parts is not None:
        text, bom, split = parts
    else:
        text, bom = decode(raw)
        split = split_frontmatter(text)  # NoteError: the note is broken, as parse_note would say
    edited = read_mtime_ns is not None and st.st_mtime_ns != read_mtime_ns
    if expect is not None and not _same_schedule(_schedule_in(split), expect):
        raise Conflict(f"{path}: scheduling keys were changed by another program; their version is kept")
    skipped: tuple[str, ...] = ()
    if planned:
        updates, skipped = _still_planned(text, updates, planned)
    edit = edit_frontmatter(text, updates, drop_empty=drop_empty, split=split)
    if edit.text == text:
        return Written(False, edited, edit.old_raw, skipped=skipped)
    data = encode(edit.text, bom)
    ident = _identity(st)
    removed = any(updates.get(k) is REMOVE for k in edit.old_raw)
    inexact = "" if _undo_is_exact(text, edit, removed, split) else (
        f"{path}: note: an undo of this write cannot give back the exact bytes (YAML merge keys, anchors, a "
        "flow mapping, or a line taken out that an undo appends at the end); it restores the values")

    def unchanged() -> bool:
        """Last look, after the fsync and just before the replace: an editor that saved
        meanwhile (without taking our lock) makes us read again and re-apply."""
        try:
            return (_identity(os.stat(path)) == ident and _pread_all(fd, size=len(raw)) == raw
                    and _still_named(fd, path, real))
        except FileNotFoundError:
            return False

    if before_write is not None:
        before_write(edit)
    new_st = atomic_write(path, data, mode=st.st_mode & 0o7777, before_replace=unchanged, real=real, old_stat=st)
    put_back, notice = _saved_into_replaced(path, fd, raw, st, data, root)
    if put_back:
        return None  # their bytes are back at the path: read them and apply the update on them
    return Written(True, edited, edit.old_raw, edit.created_frontmatter, skipped,
                   "\n".join(m for m in (inexact, notice) if m), edit.added, new_st)


def _undo_is_exact(text: str, edit, removed: bool = False, split=False) -> bool:
    """Whether putting back the replaced source text and removing the appended lines gives
    ``text`` again byte for byte. Tried (before the write) only where it could fail: YAML's
    merge keys, anchors and flow mappings, and lines taken out (an undo appends them at the end).
    ``split`` is ``split_frontmatter(text)`` when the caller has it."""
    if split is False:
        split = split_frontmatter(text)
    if split is None or not (removed or any(mark in split.yaml for mark in ("<<", "{", "&"))):
        return True
    undo: dict[str, object] = {k: Raw(v) for k, v in edit.old_raw.items()}
    undo.update({k: REMOVE for k in edit.added})
    try:
        return edit_frontmatter(edit.text, undo, drop_empty=edit.created_frontmatter).text == text
    except NoteError:
        return False


_SCHEDULE_FIELDS = ("created",) + SCHEDULING_KEYS


def _schedule_in(split) -> Schedule:
    """The schedule :func:`parse_note` reads from a note's frontmatter (``split``), for the check
    under the lock: the same loader and the same field checks, without building the whole note
    (question, tags, problems: #17). NoteError where parse_note calls the note broken."""
    data: object = {}
    if split is not None:
        data = load_yaml(split.yaml)[0]
        if data is None:
            data = {}
        elif not isinstance(data, dict):
            raise NoteError(f"frontmatter must be a mapping of keys to values, not a {type(data).__name__}")
    values, _ = read_fields(data, "", NEW_CARD_DUE, NEW_CARD_DUE)  # type: ignore[arg-type]
    return Schedule(**{k: values[k] for k in _SCHEDULE_FIELDS})  # type: ignore[arg-type]


def _still_planned(text: str, updates: dict[str, object], planned: dict[str, object]) -> tuple[dict[str, object], tuple[str, ...]]:
    """``updates`` without the keys whose value is no longer the one the plan was made from."""
    split = split_frontmatter(text)
    data: object = load_yaml(split.yaml)[0] if split is not None else {}
    if not isinstance(data, dict):
        data = {}
    keep, skipped = {}, []
    for key, value in updates.items():
        if key in planned:
            was = planned[key]
            now = data.get(key, MISSING)
            same = (now is MISSING) if was is MISSING else (now is not MISSING and _same(now, was))
            if not same:
                skipped.append(key)
                continue
        keep[key] = value
    return keep, tuple(skipped)


def _saved_into_replaced(path: Path, fd: int, raw: bytes, st: os.stat_result, data: bytes,
                         root: Path | None) -> tuple[bool, str]:
    """After our rename: did a writer that still held the old file open save into it?

    ``fd`` still holds the replaced file. If its bytes are no longer what we read, an editor
    saved in place after our read; once it holds still, its bytes are put back at the path
    (the caller then re-applies the update on them): (True, ""). Bytes that never settle, or
    that cannot go back because the note changed again, are kept in a copy: (False, where).
    """
    theirs = _quiet_bytes(fd)  # (read mid-save, the editor's last piece lands within QUIET_S)
    if theirs == raw:
        return False, ""
    if unsettled(theirs):
        if not theirs.strip():
            return False, ""  # nothing of theirs to keep: the file at the path stands
        kept = _keep_copy(path, theirs, root)
        return False, (f"{path}: another program was saving it while it was graded; the grade stands and "
                       f"what it was saving is kept in {kept}")
    return _put_back(path, theirs, data, root)


def _quiet_bytes(fd: int, *, wait: float = 1.0) -> bytes:
    """The file's bytes once nothing has written to it for ``QUIET_S`` (or after ``wait``):
    an editor that saved into it in several writes has finished."""
    deadline = time.monotonic() + wait
    while True:
        before = os.fstat(fd)
        age = time.time() - before.st_mtime
        if age < QUIET_S and time.monotonic() < deadline:
            time.sleep(QUIET_S - max(age, 0.0))
            continue
        data = _pread_all(fd, size=before.st_size)  # one read of the size known (a 1 MB read buffer cost 12 µs, #17)
        if _identity(os.fstat(fd)) == _identity(before) or time.monotonic() >= deadline:
            return data


def _put_back(path: Path, theirs: bytes, ours: bytes, root: Path | None) -> tuple[bool, str]:
    """Replace our just-written note by their bytes, under the lock, if it is still ours."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        fd = -1
    try:
        if fd >= 0 and fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        if fd >= 0 and os.stat(path).st_ino == os.fstat(fd).st_ino and _pread_all(fd) == ours:
            st = os.fstat(fd)
            try:
                atomic_write(path, theirs, mode=st.st_mode & 0o7777,
                             before_replace=lambda: os.stat(path).st_ino == st.st_ino)
                return True, ""
            except Moved:
                pass
    finally:
        if fd >= 0:
            os.close(fd)
    kept = _keep_copy(path, theirs, root)
    return False, (f"{path}: another program saved it while it was graded and it changed again since; "
                   f"what it saved is kept in {kept}")


def _keep_copy(path: Path, data: bytes, root: Path | None) -> Path:
    """Bytes we must not drop and cannot put back: a copy in the deck's state folder (or beside the note)."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    if root is not None:
        from trainer import paths

        rel = os.path.relpath(os.path.realpath(path), os.path.realpath(root)).replace(os.sep, "%")
        folder = paths.ensure_state_dir(Path(root)) / "conflicts"
        folder.mkdir(exist_ok=True)
        target = folder / f"{rel}.{stamp}"
    else:
        target = Path(path).parent / f".{Path(path).name}.conflict-{stamp}"
    atomic_write(target, data, mode=0o644, follow_symlinks=False)
    return target


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _close(a: float, b: float) -> bool:
    return a == b or (a != a and b != b) or abs(a - b) < 1e-9


def _same_schedule(a: Schedule, b: Schedule) -> bool:
    """Equal for the keys a review writes (``created`` defaults to mtime, so it is left out)."""
    return (
        a.last_reviewed == b.last_reviewed
        and (a.next_review == b.next_review or NEW_CARD_DUE in (a.next_review, b.next_review))
        and a.review_count == b.review_count
        and _close(a.mastery_level, b.mastery_level)
        and _close(a.ease_factor, b.ease_factor)
        and a.interval == b.interval
        and a.repetitions == b.repetitions
        and _same_memory(a.stability, b.stability)
        and _same_memory(a.fsrs_difficulty, b.fsrs_difficulty)
    )


def _same_memory(a: float | None, b: float | None) -> bool:
    """FSRS state keys (trainer.memory): absent on both, or the same number."""
    return a == b if a is None or b is None else _close(a, b)


__all__ = ["BeingSaved", "Conflict", "MISSING", "NoteGone", "Written", "update_note", "not_a_note",
           "read_settled", "WriteError", "NoteError"]
