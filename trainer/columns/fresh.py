"""The columns matching the deck now: the saved ones while the walk agrees, patched for a few edits, else built again."""

from __future__ import annotations

import datetime as dt
from array import array
from dataclasses import dataclass

from trainer.columns.model import _UNDATED, BROKEN, NEW, STUDIED, Columns, layout_of
from trainer.columns.store import load, peek_digest, save_columns
from trainer.walk import stamp_digest, stamp_parts


PATCH_LIMIT = 256
"""More changed notes than this (or than 16 and 1 % of the deck), and the columns are built again."""


def patch(prev: Columns, found: list[tuple], deck, parts: tuple | None = None) -> Columns | None:
    """The columns for a walk in which only a few notes were edited (same paths, in the same
    order), from ``prev`` and those notes read again; None when a full build is needed: a note
    added, removed or renamed, one that is or was broken or has problems, one whose tags or
    difficulty name changed (the tag table and its order would change), or too many edits.

    Every value that depends on more than one note is computed again from the updated arrays
    (the queues' order, each tag's mastery), as :func:`build` computes it: the result is what a
    build from scratch gives."""
    import dataclasses

    import numpy as np

    from trainer.columns.build import _keys, _queues, _row_template, _static_mastery, _tag_index, _tag_templates, tag_json_of
    from trainer.deck import record_of_item
    from trainer.scheduler import DIFFICULTY_RANK

    n = prev.n
    prev.checked_rows([(0, len(prev.row_off) - 1)])  # (every old row may be kept: none taken unchecked)
    if not (prev.has_rows and prev.has_tags and prev.has_stamps and prev.has_names) or len(found) != n or not n:
        return None
    parts = parts if parts is not None else stamp_parts(found)
    if parts[0] != bytes(prev.rels):
        return None
    nums = parts[1]
    changed = np.flatnonzero((np.frombuffer(nums, dtype=np.int64).reshape(4, n)
                              != np.frombuffer(prev.stamp_nums, dtype=np.int64).reshape(4, n)).any(axis=0)).tolist()
    if not changed or len(changed) > min(PATCH_LIMIT, max(16, n // 100)):
        return None
    with_problems = {p[0] for p in prev.problems}
    problems: list = []
    read, items, _ = deck._merge([found[i] for i in changed], [], [], problems)  # noqa: SLF001 - the scan's reader
    if problems or len(read) != len(changed):
        return None
    kind, day, last = bytearray(prev.kind), array("i", prev.day), array("i", prev.last)
    interval, ease, stability, fsrs_d, mastery = (array("d", getattr(prev, a)) for a in
                                                  ("interval", "ease", "stability", "fsrs_d", "mastery"))
    sortkey, difficulty = array("q", prev.sortkey), array("i", prev.difficulty)
    difficulty_ids = {name: i for i, name in enumerate(prev.difficulty_names)}
    old_layout = np.frombuffer(layout_of(prev), dtype=np.int32)
    pos = np.full(n, -1, dtype=np.int64)
    pos[old_layout] = np.arange(len(old_layout))  # each note's row in the file (broken notes: none)
    old_off = np.frombuffer(prev.row_off, dtype=np.int64)
    new_rows: dict[int, bytes] = {}
    nan = float("nan")
    from trainer.notes.parse import NEW_CARD_DUE

    for i, item in zip(changed, items):
        r = record_of_item(item)
        (_q, diff, _tags, _demos, _present, probs, fatal, _created, lr, nr, rc, ml, ef, ivl, _reps, st, fd) = r
        rel = found[i][0]
        if fatal or probs or prev.kind[i] == BROKEN or rel in with_problems or diff not in difficulty_ids:
            return None
        k = NEW if rc == 0 and lr is None else STUDIED
        row = _row_template(rel, r, k)
        old = bytes(prev.rows[old_off[pos[i]]:old_off[pos[i] + 1]])
        if row[row.rindex(b'"tags": '):] != old[old.rindex(b'"tags": '):]:  # tags changed: the tag table may
            return None
        kind[i] = k
        day[i] = nr.toordinal() if nr != NEW_CARD_DUE else _UNDATED
        last[i] = 0 if lr is None else lr.toordinal()
        interval[i], ease[i], mastery[i] = ivl, ef, ml
        stability[i] = nan if st is None else st
        fsrs_d[i] = nan if fd is None else fd
        sortkey[i] = DIFFICULTY_RANK.get(diff, 1) * (n + 1) + sortkey[i] % (n + 1)  # the path's place stays
        difficulty[i] = difficulty_ids[diff]
        new_rows[i] = row
    codes = np.frombuffer(difficulty, dtype=np.int32)
    used, first = np.unique(codes[codes >= 0], return_index=True)
    if used.tolist() != list(range(len(difficulty_ids))) or np.argsort(first, kind="stable").tolist() != used.tolist():
        return None  # a difficulty gone, or another first: the stats' difficulty counts would change order
    queues = _queues(kind, day, sortkey)
    order = layout_of(queues)  # the rows laid out again in the queues' new order
    at = pos[np.frombuffer(order, dtype=np.int32)]
    old_rows = prev.rows
    placed = [new_rows[i] if i in new_rows else old_rows[a:b]
              for i, a, b in zip(order, old_off[at].tolist(), old_off[at + 1].tolist())]
    from itertools import accumulate

    tag_mastery, mastery_sum = _static_mastery(kind, mastery, prev.tag_ptr, prev.tag_ids, prev.tag_cards)
    index = _tag_index(kind, last, prev.tag_ptr, prev.tag_ids, len(prev.tag_cards), prev.recall_order)  # (a first grade: one more studied)
    templates = _tag_templates(tag_json_of(prev.tag_names), prev.tag_cards, tag_mastery, index["tag_studied"],
                               prev.recall_order)
    return dataclasses.replace(
        prev, kind=bytes(kind), day=day, last=last, interval=interval, ease=ease, stability=stability, fsrs_d=fsrs_d,
        mastery=mastery, sortkey=sortkey, difficulty=difficulty, **queues,
        tag_mastery=tag_mastery, mastery_sum=mastery_sum, **index, **templates,
        rows=b"".join(placed), row_off=array("q", accumulate(map(len, placed), initial=0)), row_crcs=None, difficulty_counts=None,
        **_keys(kind, last, interval, ease, stability, fsrs_d),
        digest=stamp_digest(found, parts), stamp_nums=nums,
    )


@dataclass(slots=True)
class Fresh:
    """The deck as the columns see it now: ``columns`` is None only when they cannot be built
    (then ``scan`` holds the notes, and the caller falls back to them)."""

    columns: Columns | None
    problems: list
    """The walk's problems, then the notes' (as ``Scan.problems`` lists them)."""
    scan: object | None = None
    notice: str | None = None
    rebuilt: bool = False


class Pending:
    """The columns as last saved, loaded while the deck is walked in a forked child on the other
    core (``deck.Walk``, sent back as "unchanged" when its stamps' digest is theirs): a command
    can compute its answer from them meanwhile, and :meth:`finish` says whether it stands."""

    def __init__(self, deck, *, clean_temp: bool = True, rows: bool = True, tags: bool = True, names: bool = True) -> None:
        from trainer.deck import Walk
        from trainer.walk import take_early

        self.deck = deck
        self.clean_temp = clean_temp
        expect = peek_digest(deck.root)
        early = take_early(str(deck.root), expect)  # the `trainer` command may have started it already
        self._walk = Walk(deck, expect, started=early) if expect is not None and clean_temp else None
        self.columns = load(deck.root, expect, rows=rows, tags=tags, names=names) if expect is not None else None

    def abandon(self) -> None:
        """The command stops before :meth:`finish` (a usage error while answering from the columns):
        the forked walk is reaped and its file closed."""
        if self._walk is not None:
            self._walk.result_or_unchanged()
            self._walk = None

    def finish(self, today: dt.date, *, save: bool = True) -> Fresh:
        """The columns if the walk found the notes they were built from, else a scan (parsing what
        changed, as every command does) and columns built again and kept for next time."""
        from trainer.deck import _collector_paused
        from trainer.notes.model import Problem

        deck, cols = self.deck, self.columns
        with _collector_paused():
            parts = None
            if self._walk is not None:
                found, walk_problems, removed = self._walk.result_or_unchanged()
                if found is None and cols is not None:  # the child's digest is the one the columns hold
                    return Fresh(cols, walk_problems + [Problem(*p) for p in cols.problems])
                if found is None:  # the file changed under us after the child compared: walk here
                    found, walk_problems, removed = deck.walk(clean_temp=self.clean_temp)
                else:
                    parts = self._walk.parts  # (the child made them: not again here)
            else:
                found, walk_problems, removed = deck.walk(clean_temp=self.clean_temp)
            if cols is not None and cols.digest == stamp_digest(found, parts):  # (walked here: no fork)
                return Fresh(cols, walk_problems + [Problem(*p) for p in cols.problems])
            whole = load(deck.root, None, stamps=True)
            try:
                patched = patch(whole, found, deck, parts) if whole is not None else None
            except (ValueError, TypeError, OverflowError, KeyError, AttributeError, IndexError):
                patched = None
            if patched is not None:  # a few notes edited: their rows updated, the rest kept
                if save:
                    save_columns(deck.root, patched)
                return Fresh(patched, walk_problems + [Problem(*p) for p in patched.problems], None, None, rebuilt=True)
            scan = deck.scan(today, save_cache=save, clean_temp=self.clean_temp,
                             prewalked=(found, walk_problems, removed))
            notice = getattr(deck, "cache_notice", None)
            deck.cache_notice = None
            from trainer.columns.build import build  # (only here: a command whose columns are current never loads it)

            try:
                new = build(scan._stamps, scan._items, previous=whole if whole is not None
                            else cols if cols is not None and cols.has_tags and cols.has_names else load(deck.root, None, rows=False))
            except (ValueError, TypeError, OverflowError, KeyError, AttributeError):  # a value the columns cannot hold
                return Fresh(None, scan.problems, scan, notice)
            if save and scan._stamps == found:  # (an unreadable note is in the walk but not the scan)
                save_columns(deck.root, new)
            return Fresh(new, scan.problems, scan, notice, rebuilt=True)


def fresh(deck, today: dt.date, *, save: bool = True, clean_temp: bool = True, rows: bool = True,
          tags: bool = True) -> Fresh:
    """The deck's columns, matching its notes now (see :class:`Pending`)."""
    return Pending(deck, clean_temp=clean_temp, rows=rows, tags=tags).finish(today, save=save)
