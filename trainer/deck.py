"""A deck: a folder tree of notes, scanned with a cache so only changed notes are parsed again."""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import pickle
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from stat import S_ISDIR

from xxhash import xxh3_64_intdigest

from trainer import parse_ahead, paths
from trainer.errors import UsageError
from trainer.notes.model import NEW_CARD_DUE, Note, Problem, Schedule
from trainer.records import (  # the cache's record format (trainer/records.py)
    _DEMOS, _DIFFICULTY, _FATAL, _LAST_REVIEWED, _NEXT_REVIEW, _PROBLEMS, _RECORD_LEN, _RECORD_TYPES,
    _REVIEW_COUNT, _TAGS, _CacheUnpickler, _problems_of, _record_of, _record_ok,
)
from trainer.walk import BackgroundWalk, open_state_file, stamp_digest, walk_tree  # noqa: F401 - stamp_digest: the deck's

CACHE_VERSION = 8

Progress = Callable[[int, int], None]
"""Told ``(parsed, to_parse)`` while a scan parses notes (the first open of a deck, or after many
edits: 100k notes take seconds), so a screen or a terminal can say how far it is. Called from the
scan's thread, at the start, every :data:`PROGRESS_EVERY` notes and at the end, and only when
there are :data:`PROGRESS_FROM` notes or more to parse."""
PROGRESS_EVERY = 500
PROGRESS_FROM = 1000


class DeckError(UsageError):
    """The deck itself cannot be used (missing folder, not a folder)."""


class Scan:
    """Every note of the deck, broken ones included (``fatal`` ones cannot be graded).

    Notes that came from the cache stay compact records until asked for: ``due_queue()`` builds
    only the cards it returns, so ``trainer due`` on a large deck never builds the others at all.
    """

    __slots__ = ("_items", "_notes", "_stamps", "parsed", "problems", "removed_temp", "root", "today")

    def __init__(self, stamps: list[tuple[str, int, int]], items: list, today: dt.date, root: Path | None,
                 problems: list[Problem], parsed: int = 0, removed_temp: int = 0) -> None:
        self._stamps = stamps
        """(rel, size, mtime_ns, ctime_ns, inode) per note, in walk order."""
        self._items = items
        """The note or its cache record, for each stamp."""
        self._notes: list[Note] | None = None
        self.today = today
        self.root = root
        self.problems = problems
        self.parsed = parsed
        """How many notes had to be parsed (the rest came from the cache)."""
        self.removed_temp = removed_temp

    @property
    def notes(self) -> list[Note]:
        if self._notes is None:
            today, root = self.today, self.root
            with _collector_paused():
                self._notes = [_note_of(stamp, item, today, root) for stamp, item in zip(self._stamps, self._items)]
        return self._notes

    def __len__(self) -> int:
        return len(self._items)

    def due_queue(self, *, new_limit: int, new_seen_today: int = 0,
                  keep: Callable[[tuple[str, ...], str], bool] | None = None) -> list[Note]:
        """``scheduler.due_queue`` over this scan (``keep(tags, difficulty)`` filters first),
        building only the notes it returns: most of a large deck stays a cache record."""
        from trainer import scheduler
        if self._notes is not None:
            notes = self._notes if keep is None else [n for n in self._notes if keep(n.tags, n.difficulty)]
            return scheduler.due_queue(notes, self.today, new_limit=new_limit, new_seen_today=new_seen_today)
        with _collector_paused():
            try:
                queue = self._due_queue(new_limit, new_seen_today, keep)
            except (TypeError, AttributeError):  # a cache record of the wrong types (the queue's notes are checked)
                queue = None
        if queue is None:  # a damaged cache record: build every note (a bad record is read again from disk)
            notes = self.notes if keep is None else [n for n in self.notes if keep(n.tags, n.difficulty)]
            return scheduler.due_queue(notes, self.today, new_limit=new_limit, new_seen_today=new_seen_today)
        return queue

    def _due_queue(self, new_limit: int, new_seen_today: int, keep: Callable[[tuple[str, ...], str], bool] | None) -> list[Note]:
        from trainer import scheduler

        today, root = self.today, self.root
        study_key = scheduler.study_key
        reviews: list[tuple] = []
        new: list[tuple] = []
        for stamp, item in zip(self._stamps, self._items):
            if type(item) is Note:
                s = item.schedule
                day, difficulty = s.next_review, item.difficulty
                if item.fatal or day > today or (keep is not None and not keep(item.tags, difficulty)):
                    continue
                is_new = s.review_count == 0 and s.last_reviewed is None
            else:
                day, difficulty = item[_NEXT_REVIEW], item[_DIFFICULTY]
                if item[_FATAL] or day > today or (keep is not None and not keep(item[_TAGS], difficulty)):
                    continue
                is_new = item[_REVIEW_COUNT] == 0 and item[_LAST_REVIEWED] is None
            (new if is_new else reviews).append(
                (study_key(today if day == NEW_CARD_DUE else day, difficulty, stamp[0]), (stamp, item)))
        chosen = scheduler.pick(reviews, new, max(0, new_limit - new_seen_today))
        return [_note_of(stamp, item, today, root) for _, (stamp, item) in chosen]

    def by_rel(self) -> dict[str, Note]:
        return {n.rel: n for n in self.notes}


class Deck:
    def __init__(self, root: Path | str):
        self.root = Path(root)
        try:  # (Path.exists raises on a folder above it that may not be searched: a traceback)
            st = os.stat(self.root)
        except (FileNotFoundError, NotADirectoryError):
            raise DeckError(f"deck folder not found: {self.root}") from None
        except OSError as exc:
            raise DeckError(f"{self.root}: deck folder: cannot open it ({exc.strerror})") from None
        if not S_ISDIR(st.st_mode):
            raise DeckError(f"deck is not a folder: {self.root}")
        if not os.access(self.root, os.R_OK | os.X_OK):  # else every note would be missing, said as another problem
            raise DeckError(f"{self.root}: deck folder: cannot read it (permission denied)")
        self.root = self.root.resolve()

    @property
    def state_dir(self) -> Path:
        return paths.state_dir(self.root)

    # ------------------------------------------------------------ walking

    def walk(self, *, clean_temp: bool = True) -> tuple[list[tuple[str, int, int]], list[Problem], int]:
        """(rel, size, mtime_ns, ctime_ns, inode) of every note; hidden folders skipped, a symlink to a
        note of the deck skipped too (the note is listed itself), one pointing elsewhere reported
        (``trainer.walk.walk_tree``)."""
        found, problems, removed = walk_tree(str(self.root), clean_temp=clean_temp)
        return found, [Problem(*p) for p in problems], removed

    def walk_in_background(self) -> Walk:
        """Start :meth:`walk` in a forked child, as git's ``core.preloadIndex`` stats in parallel.

        The walk is one stat per note, and the GIL lets a thread do them only while the main
        thread sleeps; a child process does them on the other core while the app starts.
        Call early, before any thread exists; where ``fork`` is missing, the walk runs when its
        result is asked for.
        """
        return Walk(self)

    # ------------------------------------------------------------ scanning

    def scan(self, today: dt.date, *, use_cache: bool = True, clean_temp: bool = True, save_cache: bool = True,
             walked: Walk | None = None, prewalked: tuple | None = None, progress: Progress | None = None) -> Scan:
        """Every note, parsed or from the cache, with due dates resolved for ``today``
        (``prewalked``: what :meth:`walk` just returned, not walked again; ``progress``: told how
        many of the notes to parse are parsed, see :data:`Progress`)."""
        # Tens of thousands of long-lived objects are made here and none of them is garbage:
        # the cyclic collector's passes over them would only cost time (up to a third of a scan).
        with _collector_paused():
            if prewalked is not None:
                found, problems, removed = prewalked[0], list(prewalked[1]), prewalked[2]
                stamps, records = self._load_cache() if use_cache else ([], [])
            elif walked is not None and walked.deck.root == self.root:
                stamps, records = self._load_cache() if use_cache else ([], [])  # while the child walks
                found, problems, removed = walked.result()
            else:
                found, problems, removed = self.walk(clean_temp=clean_temp)
                stamps, records = self._load_cache() if use_cache else ([], [])
            parsed = 0
            changed = found != stamps  # one comparison in C
            cached_problems = _problems_of(records) if not changed else None
            if cached_problems is None and not changed:  # a record's problems of the wrong shape
                self.cache_notice = _WRONG_TYPES
                stamps, records, changed = [], [], True
            if not changed:  # nothing changed, nothing moved: no loop over the notes
                items = records
                problems.extend(cached_problems)
            else:
                found, items, parsed = self._merge(found, stamps, records, problems, progress)
                changed = found != stamps  # (an unreadable note is left out of both)
            if use_cache and save_cache and changed:
                # the cache keeps each note as parsed (a missing next_review stays "new, due the day asked")
                self._save_cache(found, [item if type(item) is tuple else _record_of(item) for item in items])
        return Scan(found, items, today, self.root, problems, parsed, removed)

    def _merge(self, found: list[tuple[str, int, int]], stamps: list[tuple[str, int, int]], records: list[tuple],
               problems: list[Problem], progress: Progress | None = None) -> tuple[list[tuple[str, int, int]], list, int]:
        """Cached records for unchanged notes, the others parsed: (stamps read, items, parsed)."""
        from trainer.notes.parse import parse_note
        from trainer.notes.store import MAX_NOTE_BYTES

        try:
            cached = dict(zip(stamps, records))
        except TypeError:  # a damaged cache
            cached = {}
        cached_get = cached.get
        total = len(found) - sum(map(cached.__contains__, found))  # (about the notes to parse: what takes time)
        if progress is not None:
            if total < PROGRESS_FROM:
                progress = None
            else:
                progress(0, total)
        ahead = self._parse_ahead(found, cached_get, progress, total) if parse_ahead.worth_it(total) else None
        read: list[tuple[str, int, int]] = []
        items: list[Note | tuple] = []
        parsed = 0
        root = self.root
        root_s = str(root) + os.sep
        for stamp in found:
            hit = cached_get(stamp)
            if hit is not None and (not hit[_PROBLEMS] or _problems_of((hit,)) is not None):
                if hit[_PROBLEMS]:
                    problems.extend(Problem(*p) for p in hit[_PROBLEMS])
                read.append(stamp)
                items.append(hit)
                continue
            rel, size, mtime_ns = stamp[0], stamp[1], stamp[2]
            if size > MAX_NOTE_BYTES:  # a 3 GB file named .md: reported, never read
                note = parse_note(b"", rel, mtime_ns=mtime_ns, size=size, root=root)
                note = replace(note, fatal=True, problems=(Problem(
                    rel, "file", f"{size / 1e6:.0f} MB, over the {MAX_NOTE_BYTES // (1024 * 1024)} MB limit for a note; not read"),))
                problems.extend(note.problems)
                read.append(stamp)
                items.append(note)
                continue
            if ahead is not None and stamp in ahead:  # parsed on two cores (a first open of a big deck)
                kind, value = ahead[stamp]
                if kind != "ok":
                    problems.append(Problem(rel, "file", value))
                    continue
                parsed += 1
                if value[_PROBLEMS]:
                    problems.extend(Problem(*p) for p in value[_PROBLEMS])
                read.append(stamp)
                items.append(value)
                continue
            try:
                with open(root_s + rel, "rb") as fh:
                    raw = fh.read()
            except OSError as exc:
                problems.append(Problem(rel, "file", f"cannot be read: {exc.strerror}"))
                continue
            note = parse_note(raw, rel, mtime_ns=mtime_ns, size=size, root=root, remember=False)
            parsed += 1
            if progress is not None and ahead is None and not parsed % PROGRESS_EVERY:
                progress(parsed, total)
            if note.problems:
                problems.extend(note.problems)
            read.append(stamp)
            items.append(note)
        if progress is not None:
            progress(total, total)
        return read, items, parsed

    def _parse_ahead(self, found: list, cached_get, progress: Progress | None, total: int) -> dict[tuple, tuple]:
        """The notes :meth:`_merge` would parse, parsed on two cores first (:mod:`trainer.parse_ahead`):
        each one's stamp -> ("ok", its cache record) or ("error", why it could not be read).
        ``progress`` is told against ``total``, as :meth:`_merge` tells it (a note over the size
        limit is never given to the worker: told of fewer, a bar would say 5,000 notes, then 5,003)."""
        from trainer.notes.store import MAX_NOTE_BYTES

        todo = []
        for stamp in found:
            hit = cached_get(stamp)
            if hit is not None and (not hit[_PROBLEMS] or _problems_of((hit,)) is not None):
                continue
            if stamp[1] <= MAX_NOTE_BYTES:
                todo.append(stamp)
        told = None if progress is None else (lambda done, _of: progress(min(done, total), total))
        results = parse_ahead.parse_many(self.root, [(s[0], s[1], s[2]) for s in todo], told)
        return dict(zip(todo, results))

    def load(self, rel: str, today: dt.date) -> Note:
        """One note, read fresh from disk (after an edit, before a grade)."""
        from trainer.notes.parse import NoteError, parse_note
        from trainer.notes.store import read_settled

        path = self.root / rel
        try:
            raw, st = read_settled(path)  # an editor mid-save is waited for, never parsed half-written
        except NoteError as exc:  # still mid-save, or too large to read: listed as broken, never graded
            st = os.stat(path)
            note = parse_note(b"", rel, mtime_ns=st.st_mtime_ns, size=st.st_size, root=self.root)
            return for_day(replace(note, fatal=True, problems=(Problem(rel, "file", str(exc)),)), today)
        return for_day(parse_note(raw, rel, mtime_ns=st.st_mtime_ns, size=st.st_size, root=self.root), today)

    def rel_of(self, path: Path | str) -> str:
        """The deck-relative name of a note given as a path (relative to cwd or to the deck)."""
        from trainer.notes.store import not_a_note

        p = Path(path)
        candidates = [p] if p.is_absolute() else [Path.cwd() / p, self.root / p]
        refused = folder = None
        for c in candidates:  # `n.md` in a folder outside the deck with its own n.md: the deck's
            try:
                resolved = c.resolve()
            except OSError:
                continue
            if not resolved.is_file():
                folder = folder or resolved.is_dir()
                continue
            problem = not_a_note(self.root, resolved)
            if problem is None:
                return resolved.relative_to(self.root).as_posix()
            refused = refused or problem
        if refused:  # .git/config, .obsidian/…, notes.txt, a symlink out: only notes are written
            raise DeckError(f"{path}: not a note of this deck")
        if folder:  # `review attention -g 4` said 'note not found' of a folder that is there
            raise DeckError(f"{path}: a folder, not a note (give the note's path)")
        raise DeckError(f"{path}: note not found")

    # ------------------------------------------------------------ cache

    def _cache_path(self) -> Path:
        return self.state_dir / "scan-cache.pickle"

    def _load_cache(self) -> tuple[list[tuple[str, int, int]], list[tuple]]:
        """(stamps, records) as the last scan left them; empty lists when missing or unusable."""
        try:
            # read whole, then unpickle: one read instead of one per 64 KB frame, each of which
            # gives up the GIL (and waits to get it back while the app starts on the main thread)
            with open_state_file(str(self._cache_path())) as fh:
                blob = fh.read()
            header, _, payload = blob.partition(b"\n")
            # a checksum first: a damaged file (a flipped byte, a torn copy) is thrown away
            # before it is unpickled, instead of loading wrong dates or failing later
            if header != _CACHE_HEADER + b"%016x" % xxh3_64_intdigest(payload):
                return [], []
            data = _CacheUnpickler(io.BytesIO(payload)).load()
        except Exception:  # noqa: BLE001 - the cache is only a hint: whatever is wrong with it, parse again
            return [], []
        if not (type(data) is tuple and len(data) == 4 and data[:2] == (_CACHE_MAGIC, CACHE_VERSION)):
            return [], []
        stamps, records = data[2], data[3]
        if not (type(stamps) is list and type(records) is list and len(stamps) == len(records)):
            return [], []
        # a damaged (not a planted) file is what this guards against: shapes, not every value
        if records and (set(map(type, records)) != {tuple} or set(map(len, records)) != {_RECORD_LEN}):
            return [], []  # (stamps are compared with the walk's, whole, before any is used)
        if not _plausible(stamps, records):
            # the checksum is right, so this is no flipped byte: say so once, then parse again
            self.cache_notice = _WRONG_TYPES
            return [], []
        return stamps, records

    def _save_cache(self, stamps: list[tuple[str, int, int]], records: list[tuple]) -> None:
        from trainer.notes.write import atomic_write

        try:
            paths.ensure_state_dir(self.root)
            payload = pickle.dumps((_CACHE_MAGIC, CACHE_VERSION, stamps, records), protocol=pickle.HIGHEST_PROTOCOL)
            blob = _CACHE_HEADER + b"%016x\n" % xxh3_64_intdigest(payload) + payload
            atomic_write(paths.state_file(self.root, "scan-cache.pickle"), blob, mode=0o644, durable=False,
                         follow_symlinks=False)
        except OSError:
            pass  # a read-only deck still works, just without a cache


class Walk:
    """A deck walk running in a forked child (``trainer.walk.BackgroundWalk``); :meth:`result` is
    :meth:`Deck.walk`'s."""

    def __init__(self, deck: Deck, expect: bytes | None = None, started: BackgroundWalk | None = None) -> None:
        """``expect``: a stamp digest (:func:`stamp_digest`); when the walk's equals it the child
        sends back only "unchanged" (and the walk's problems), not the 100k stamps. ``started``:
        that child, already forked (``trainer.walk.start_early``)."""
        self.deck = deck
        self.expect = expect
        self._child = started if started is not None else BackgroundWalk(str(deck.root), expect)

    @property
    def parts(self):
        """The child's stamps as ``walk.stamp_parts`` gives them, when it sent them so (else None)."""
        return self._child.parts

    @property
    def pid(self) -> int:
        """The child's process id; 0 when none was forked (the walk then runs when asked for)."""
        return self._child._pid  # noqa: SLF001

    def result(self) -> tuple[list[tuple[str, int, int]], list[Problem], int]:
        found, problems, removed = self.result_or_unchanged()
        if found is None:
            raise RuntimeError("the walk matched the expected digest: ask result_or_unchanged()")
        return found, problems, removed

    def result_or_unchanged(self, *, lazy: bool = False) -> tuple[list[tuple[str, int, int]] | None, list[Problem], int]:
        """:meth:`Deck.walk`'s result, with ``None`` for the stamps when they match ``expect``
        (``lazy``: the stamps the child sent may come as ``walk.PackedStamps``, built when asked for)."""
        got = self._child.result(lazy=lazy)
        if got is None:  # no fork here, or the child failed: walk in this process
            return self.deck.walk()
        found, problems, removed = got
        return found, [Problem(*p) for p in problems], removed


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a deck's worth of long-lived objects is built.

    None of them is garbage, yet every few hundred allocations the collector would walk the
    young ones again: on 100k notes that doubles the time of a scan or of building the notes.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def for_day(note: Note, today: dt.date) -> Note:
    """A note with no ``next_review`` is a new card due on the day asked about (SPEC §1)."""
    if note.schedule.next_review != NEW_CARD_DUE:
        return note
    from trainer.notes.parse import resolve_today

    return replace(note, schedule=resolve_today(note.schedule, today))


# ---------------------------------------------------------------- cache records
#
# The cache holds each note as a flat tuple of plain values (and dates): unpickling that is
# several times faster than rebuilding objects, and a note is only built from it when used.
# (question, difficulty, tags, demos, present, problems, fatal, *schedule fields); the note's
# path, size and mtime are its stamp, kept beside it.
_CACHE_MAGIC = "trainer scan cache"
_CACHE_HEADER = b"trainer scan cache %d xxh3 " % CACHE_VERSION


def record_of_item(item: Note | tuple) -> tuple:
    """A scan item as a cache record; a record of the wrong types is refused (ValueError)."""
    if type(item) is Note:
        return _record_of(item)
    if not _record_ok(item):
        raise ValueError("a scan cache record of the wrong types")
    return item


def _note_of(stamp: tuple[str, int, int], item: Note | tuple, today: dt.date, root: Path | None) -> Note:
    """A scan item as a note: a freshly parsed one as it is, a cache record built (one whose
    values have the wrong types is no record: the note is read from disk instead)."""
    if type(item) is Note:
        return for_day(item, today)
    if _record_ok(item):
        return _note_from_record(stamp, item, today, root)
    return _note_read_again(stamp, today, root)


def _note_read_again(stamp: tuple, today: dt.date, root: Path | None) -> Note:
    from trainer.notes.parse import parse_note
    from trainer.notes.store import MAX_NOTE_BYTES

    rel = stamp[0]
    try:
        if root is None:
            raise OSError(0, "no deck folder to read it from")
        st = os.stat(root / rel)
        if st.st_size > MAX_NOTE_BYTES:
            raise OSError(0, f"over the {MAX_NOTE_BYTES // (1024 * 1024)} MB limit for a note; not read")
        raw = (root / rel).read_bytes()
    except OSError as exc:
        note = parse_note(b"", rel, mtime_ns=stamp[2], size=stamp[1], root=root)
        return for_day(replace(note, fatal=True, problems=(Problem(rel, "file", f"cannot be read: {exc.strerror}"),)), today)
    return for_day(parse_note(raw, rel, mtime_ns=st.st_mtime_ns, size=st.st_size, root=root), today)


def _note_from_record(stamp: tuple[str, int, int], r: tuple, today: dt.date, root: Path | None) -> Note:
    schedule = Schedule(r[7], r[8], r[9] if r[9] != NEW_CARD_DUE else today, r[10], r[11], r[12], r[13], r[14], r[15], r[16])
    problems = tuple(Problem(*p) for p in r[5]) if r[5] else ()
    return Note(stamp[0], r[0], r[1], r[2], r[3], schedule, r[4], problems, r[6], stamp[1], stamp[2], root)


_STAMP_TYPES = (str, int, int, int, int)
_WRONG_TYPES = "scan cache holds values of the wrong type; notes read again (the cache is rewritten)"
def _plausible(stamps: list, records: list) -> bool:
    """Spot-check the types of a cache the checksum accepted (a sample of ~128 notes: checking
    every value would cost more than the cache saves); a wrong one means parse again."""
    n = len(records)
    for i in {*range(0, n, max(1, n // 128)), n - 1} if n else ():
        stamp, record = stamps[i], records[i]
        if type(stamp) is not tuple or len(stamp) != len(_STAMP_TYPES):
            return False
        if any(type(v) is not t for v, t in zip(stamp, _STAMP_TYPES)):
            return False
        if any(type(v) not in ts for v, ts in zip(record, _RECORD_TYPES)):
            return False
        if any(type(t) is not str for t in record[_TAGS]) or any(type(t) is not str for t in record[_DEMOS]):
            return False
    return True
