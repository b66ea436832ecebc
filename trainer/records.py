"""A note as the scan cache keeps it: a flat tuple of plain values (and dates), and the checks
that a tuple read back (from the cache file, or from the worker that parses beside the scan:
:mod:`trainer.parse_ahead`) is one.

Unpickling such tuples is several times faster than rebuilding objects, and a note is built from
one only when used. (question, difficulty, tags, demos, present, problems, fatal, *schedule
fields); the note's path, size and mtime are its stamp, kept beside it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import pickle
from typing import TYPE_CHECKING

from trainer.notes.model import Problem

if TYPE_CHECKING:
    from trainer.notes.model import Note

_RECORD_LEN = 17
_QUESTION, _DIFFICULTY, _TAGS, _DEMOS, _PRESENT, _PROBLEMS, _FATAL = range(7)
_LAST_REVIEWED, _NEXT_REVIEW, _REVIEW_COUNT = 8, 9, 10


class _CacheUnpickler(pickle.Unpickler):
    """Plain values and dates only: a planted cache file cannot run code."""

    def find_class(self, module: str, name: str):
        if (module, name) != ("datetime", "date"):
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the scan cache")
        return super().find_class(module, name)


_date = dt.date
_RECORD_TYPES = (
    (str,), (str,), (tuple,), (tuple,), (frozenset,), (tuple,), (bool,), (_date,), (_date, type(None)), (_date,),
    (int,), (float, int), (float, int), (int,), (int,), (float, int, type(None)), (float, int, type(None)),
)
_RECORD_SIGNATURES = frozenset(itertools.product(*_RECORD_TYPES))
_join = "".join


def _record_ok(r: tuple) -> bool:
    """Whether a cache record holds what a parse gives (the load-time check only samples the
    cache, so a record is checked again where it becomes a note: ~1.4 µs each, a quarter of
    building it; a whole-cache check on load would cost that for notes never built)."""
    if tuple(map(type, r)) not in _RECORD_SIGNATURES:
        return False
    try:  # tags, demos and present keys: strings only (join refuses anything else, at C speed)
        _join(r[_TAGS]), _join(r[_DEMOS]), _join(r[_PRESENT])
    except TypeError:
        return False
    return not r[_PROBLEMS] or _problems_of((r,)) is not None


def _problems_of(records: list | tuple) -> list[Problem] | None:
    """The problems the records hold; None if one is not a (path, key, message) of strings."""
    out = []
    for r in records:
        if r[_PROBLEMS]:
            for p in r[_PROBLEMS]:
                if type(p) is not tuple or len(p) != 3 or any(type(v) is not str for v in p):
                    return None
                out.append(Problem(*p))
    return out


def _record_of(n: Note) -> tuple:
    s = n.schedule
    return (n.question, n.difficulty, n.tags, n.demos, n.present,
            tuple((p.path, p.key, p.message) for p in n.problems), n.fatal,
            s.created, s.last_reviewed, s.next_review, s.review_count, s.mastery_level, s.ease_factor,
            s.interval, s.repetitions, s.stability, s.fsrs_difficulty)
