"""A deck: a folder tree of notes, scanned with a cache so only changed notes are parsed again."""

from __future__ import annotations

import copyreg
import datetime as dt
import gc
import io
import os
import pickle
from stat import S_ISREG
import time
import operator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from trainer import paths
from trainer.notes.model import Note, Problem, Schedule
from trainer.notes.parse import NEW_CARD_DUE, parse_note, resolve_today
from trainer.notes.write import atomic_write, is_temp_name, temp_owner_alive

CACHE_VERSION = 4
_TEMP_GRACE_S = 3600


class DeckError(Exception):
    """The deck itself cannot be used (missing folder, not a folder)."""


@dataclass(slots=True)
class Scan:
    notes: list[Note]
    """Every note, broken ones included (``fatal`` ones cannot be graded)."""
    problems: list[Problem] = field(default_factory=list)
    parsed: int = 0
    """How many notes had to be parsed (the rest came from the cache)."""
    removed_temp: int = 0

    def by_rel(self) -> dict[str, Note]:
        return {n.rel: n for n in self.notes}


class Deck:
    def __init__(self, root: Path | str):
        self.root = Path(root)
        if not self.root.exists():
            raise DeckError(f"deck folder not found: {self.root}")
        if not self.root.is_dir():
            raise DeckError(f"deck is not a folder: {self.root}")
        self.root = self.root.resolve()

    @property
    def state_dir(self) -> Path:
        return paths.state_dir(self.root)

    # ------------------------------------------------------------ walking

    def walk(self, *, clean_temp: bool = True) -> tuple[list[tuple[str, int, int]], list[Problem], int]:
        """(rel, size, mtime_ns) of every note; hidden folders skipped, symlinks kept inside the deck."""
        root = str(self.root)
        prefix = len(root) + 1
        found: list[tuple[str, int, int]] = []
        problems: list[Problem] = []
        removed = 0
        stack = [root]
        now = time.time()
        while stack:
            folder = stack.pop()
            try:
                it = os.scandir(folder)
            except OSError as exc:
                rel = folder[prefix:] or "."
                problems.append(Problem(rel, "folder", f"cannot be read: {exc.strerror}"))
                continue
            with it:
                for entry in it:
                    name = entry.name
                    if name[0] == ".":
                        if clean_temp and is_temp_name(name):
                            removed += _remove_leftover(entry, now)
                        continue
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                            continue
                        if not (name.endswith(".md") or name.lower().endswith(".md")):
                            continue
                        if entry.is_symlink():
                            real = os.path.realpath(entry.path)
                            if not (real.startswith(root + os.sep)) or not os.path.isfile(real):
                                problems.append(Problem(entry.path[prefix:], "file", "symlink points outside the deck; skipped"))
                                continue
                            st = os.stat(real)
                        else:
                            st = entry.stat(follow_symlinks=False)
                            if not S_ISREG(st.st_mode):
                                continue
                    except OSError as exc:
                        problems.append(Problem(entry.path[prefix:], "file", f"cannot be read: {exc.strerror}"))
                        continue
                    rel = entry.path[prefix:]
                    if os.sep != "/":
                        rel = rel.replace(os.sep, "/")
                    found.append((rel, st.st_size, st.st_mtime_ns))
        if clean_temp:  # a crash while the cache was being written leaves its temp file here
            try:
                with os.scandir(self.state_dir) as it:
                    for entry in it:
                        if is_temp_name(entry.name):
                            removed += _remove_leftover(entry, now)
            except OSError:
                pass
        return found, problems, removed

    # ------------------------------------------------------------ scanning

    def scan(self, today: dt.date, *, use_cache: bool = True, clean_temp: bool = True, save_cache: bool = True) -> Scan:
        """Every note, parsed or from the cache, with due dates resolved for ``today``."""
        # Tens of thousands of long-lived objects are made here and none of them is garbage:
        # the cyclic collector's passes over them would only cost time (up to a third of a scan).
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            found, problems, removed = self.walk(clean_temp=clean_temp)
            cache = self._load_cache() if use_cache else {}
            cache_get = cache.get
            parsed_now: dict[str, tuple[int, int, Note]] = {}
            out: list[Note] = []
            root = self.root
            root_s = str(root) + os.sep
            for rel, size, mtime_ns in found:
                hit = cache_get(rel)
                if hit is not None and hit[0] == size and hit[1] == mtime_ns:
                    note = hit[2]
                    note.root = root
                else:
                    try:
                        with open(root_s + rel, "rb") as fh:
                            raw = fh.read()
                    except OSError as exc:
                        problems.append(Problem(rel, "file", f"cannot be read: {exc.strerror}"))
                        continue
                    note = parse_note(raw, rel, mtime_ns=mtime_ns, size=size, root=root)
                    parsed_now[rel] = (size, mtime_ns, note)
                if note.problems:
                    problems.extend(note.problems)
                out.append(for_day(note, today) if note.schedule.next_review == NEW_CARD_DUE else note)
            parsed = len(parsed_now)
            if use_cache and save_cache and (parsed or len(out) != len(cache)):
                # the cache keeps each note as parsed (a missing next_review stays "new, due the day asked")
                fresh = {}
                for note in out:
                    rel = note.rel  # the same string object as the note's: pickled once
                    fresh[rel] = parsed_now.get(rel) or cache[rel]
                self._save_cache(fresh)
        finally:
            if gc_was_on:
                gc.enable()
        return Scan(out, problems, parsed, removed)

    def load(self, rel: str, today: dt.date) -> Note:
        """One note, read fresh from disk (after an edit, before a grade)."""
        path = self.root / rel
        raw = path.read_bytes()
        st = os.stat(path)
        return for_day(parse_note(raw, rel, mtime_ns=st.st_mtime_ns, size=st.st_size, root=self.root), today)

    def rel_of(self, path: Path | str) -> str:
        """The deck-relative name of a note given as a path (relative to cwd or to the deck)."""
        p = Path(path)
        candidates = [p] if p.is_absolute() else [Path.cwd() / p, self.root / p]
        for c in candidates:
            try:
                resolved = c.resolve()
            except OSError:
                continue
            if resolved.is_file():
                try:
                    return resolved.relative_to(self.root).as_posix()
                except ValueError:
                    raise DeckError(f"{path}: not inside the deck {self.root}") from None
        raise DeckError(f"{path}: note not found")

    # ------------------------------------------------------------ cache

    def _cache_path(self) -> Path:
        return self.state_dir / "scan-cache.pickle"

    def _load_cache(self) -> dict[str, tuple[int, int, Note]]:
        try:
            with open(self._cache_path(), "rb") as fh:
                data = _CacheUnpickler(fh).load()
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, ImportError):
            return {}
        if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _save_cache(self, entries: dict[str, tuple[int, int, Note]]) -> None:
        for _, _, note in entries.values():
            note.root = None
        try:
            paths.ensure_state_dir(self.root)
            buf = io.BytesIO()
            pickler = pickle.Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = _CACHE_REDUCERS
            pickler.dump({"version": CACHE_VERSION, "entries": entries})
            blob = buf.getvalue()
            atomic_write(paths.state_file(self.root, "scan-cache.pickle"), blob, mode=0o644, durable=False,
                         follow_symlinks=False)
        except OSError:
            pass  # a read-only deck still works, just without a cache
        finally:
            for _, _, note in entries.values():
                note.root = self.root


def for_day(note: Note, today: dt.date) -> Note:
    """A note with no ``next_review`` is a new card due on the day asked about (SPEC §1)."""
    if note.schedule.next_review != NEW_CARD_DUE:
        return note
    return replace(note, schedule=resolve_today(note.schedule, today))


# The cache stores notes as constructor calls: unpickling a slots dataclass through its default
# __setstate__ costs several times more (it looks up the fields for every object).
_note_args = operator.attrgetter(*(f.name for f in fields(Note) if f.name != "root"))
_schedule_args = operator.attrgetter(*(f.name for f in fields(Schedule)))


def _reduce_note(n: Note):
    return Note, _note_args(n)


def _reduce_schedule(s: Schedule):
    return Schedule, _schedule_args(s)


class _CacheUnpickler(pickle.Unpickler):
    """Only the classes the cache is made of: a planted cache file cannot run code."""

    _allowed = {("trainer.notes.model", "Note"), ("trainer.notes.model", "Schedule"),
                ("trainer.notes.model", "Problem"), ("datetime", "date")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self._allowed:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the scan cache")
        return super().find_class(module, name)


_CACHE_REDUCERS = copyreg.dispatch_table.copy()
_CACHE_REDUCERS[Note] = _reduce_note
_CACHE_REDUCERS[Schedule] = _reduce_schedule


def _remove_leftover(entry: os.DirEntry, now: float) -> int:
    """A temp file from a crashed write: remove it unless its writer is still running."""
    try:
        if temp_owner_alive(entry.name) and now - entry.stat(follow_symlinks=False).st_mtime < _TEMP_GRACE_S:
            return 0
        os.unlink(entry.path)
        return 1
    except OSError:
        return 0
