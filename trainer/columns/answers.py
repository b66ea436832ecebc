"""What ``due``, ``stats`` and the overview ask of the columns: the same values and bytes as from the notes."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator, Mapping
from bisect import bisect_left, bisect_right
from array import array
from functools import reduce
from operator import add, mul

from trainer.columns.model import _UNDATED, BROKEN, NEW, STUDIED, Columns, layout_of


def tag_counts(cols: Columns, today: dt.date, *, numpy: bool | None = None) -> tuple[list[int], list[int]]:
    """(due, new) per tag on ``today``: one ``bincount`` over every note's closure each (``numpy=False``:
    counted in plain Python at any size, for a process that would rather not import numpy)."""
    if not numpy if numpy is not None else cols.n < NUMPY_FROM:
        return _tag_counts_python(cols, today)
    np = _numpy()
    t = today.toordinal()
    kind = np.frombuffer(cols.kind, dtype=np.uint8)
    day = np.frombuffer(cols.day, dtype=np.int32)
    available = (day <= t) | (day == _UNDATED)
    entry_note = _entry_notes(cols)
    tag_ids = np.frombuffer(cols.tag_ids, dtype=np.int32)
    size = len(cols.tag_names)
    due = np.bincount(tag_ids, weights=((kind == STUDIED) & available)[entry_note], minlength=size)
    new = np.bincount(tag_ids, weights=((kind == NEW) & available)[entry_note], minlength=size)
    return due.astype(np.int64).tolist(), new.astype(np.int64).tolist()


NUMPY_FROM = 25_000
"""Decks of fewer notes are counted in plain Python: numpy's import (~0.06-0.1 s) costs more there."""


def _tag_counts_python(cols: Columns, today: dt.date) -> tuple[list[int], list[int]]:
    by_tag = tag_counts_by_tag_notes(cols, today)
    if by_tag is not None:
        return by_tag
    t = today.toordinal()
    size = len(cols.tag_names)
    due, new = [0] * size, [0] * size
    kind, day, ptr, ids = cols.kind, cols.day, cols.tag_ptr.tolist(), cols.tag_ids.tolist()
    for i, k in enumerate(kind):
        if k != BROKEN and (day[i] <= t or day[i] == _UNDATED):
            target = due if k == STUDIED else new
            for x in ids[ptr[i]:ptr[i + 1]]:
                target[x] += 1
    return due, new


def figures(cols: Columns, today: dt.date, *, new_per_day: int, new_started: int = 0, days: int | None = None,
            tags: bool = True, numpy: bool | None = None):
    """``figures.compute`` over the notes these columns were built from: the same values
    (``tags=False``: without the per-tag figures, which :func:`stats_json` writes itself)."""
    from trainer import figures as fig

    days = fig.FORECAST_DAYS if days is None else days
    room = fig.new_room(new_per_day, new_started)
    t = today.toordinal()
    days = max(1, min(days, dt.date.max.toordinal() - t + 1))
    rd, nd = cols.review_dated_days, cols.new_dated_days
    due_n = bisect_right(rd, t) + len(cols.review_undated)
    new_n = bisect_right(nd, t) + len(cols.new_undated)
    overdue = bisect_left(rd, t)
    forecast = [(today, due_n + min(new_n, room))]
    for i in range(1, days):
        d = t + i
        forecast.append((dt.date.fromordinal(d), bisect_right(rd, d) - bisect_left(rd, d) + bisect_right(nd, d) - bisect_left(nd, d)))
    good = cols.studied_good()
    per_tag: Mapping = {}
    if tags:
        per_tag_due, per_tag_new = tag_counts(cols, today, numpy=numpy)
        per_tag = TagFiguresView(cols, per_tag_due, per_tag_new, room)
    return fig.Figures(
        today=today, total=cols.n, broken=cols.n - good, due=due_n, overdue=overdue, new=new_n,
        new_today=min(new_n, room), new_per_day=new_per_day, new_started=new_started,
        mastery=round(cols.mastery_sum / good, 3) if good else 0.0, forecast=tuple(forecast), tags=per_tag,
    )


class TagFiguresView(Mapping):
    """``Figures.tags`` over the columns: the tags in their order, each ``TagFigures`` made when
    asked for (a seed-shaped deck has 100k tags; the overview's first frame shows a handful)."""

    __slots__ = ("_cards", "_due", "_index", "_lookups", "_mastery", "_names", "_new", "_room")

    def __init__(self, cols: Columns, due: list[int], new: list[int], room: int) -> None:
        self._names = cols.tag_names
        self._index: dict[str, int] | None = None
        """Each tag's place, made at the ninth tag looked up (the overview's first frame looks up the
        handful it shows: a scan of the list each; 100k names indexed cost it ~20 ms)."""
        self._lookups = 0
        self._cards, self._mastery = cols.tag_cards, cols.tag_mastery
        self._due, self._new, self._room = due, new, room

    def _place(self, tag: object) -> int:
        index = self._index
        if index is None:
            self._lookups += 1
            if self._lookups <= 8:
                try:
                    return self._names.index(tag)
                except ValueError:
                    raise KeyError(tag) from None
            index = self._index = {name: i for i, name in enumerate(self._names)}
        return index[tag]

    def __getitem__(self, tag: str):
        from trainer.figures import TagFigures

        i = self._place(tag)
        nw = self._new[i]
        return TagFigures(self._cards[i], self._due[i], nw, nw if nw < self._room else self._room, self._mastery[i])

    def __contains__(self, tag: object) -> bool:
        try:
            self._place(tag)
        except (KeyError, TypeError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        return dict(self.items()) == (dict(other.items()) if isinstance(other, Mapping) else other)

    __hash__ = None  # type: ignore[assignment]


def _numpy():
    """numpy, imported when first asked for: ``due`` never needs it (its import costs ~0.1 s)."""
    import numpy

    return numpy


def _entry_notes(cols: Columns):
    """For each entry of ``tag_ids``, the note it belongs to (entries are in note order)."""
    np = _numpy()
    ptr = np.frombuffer(cols.tag_ptr, dtype=np.int32)
    return np.repeat(np.arange(cols.n, dtype=np.int32), np.diff(ptr))


def difficulty_counts(cols: Columns) -> dict[str, int]:
    """``Counter(n.difficulty for n in notes if not n.fatal)``, in the same order."""
    counts = cols.difficulty_counts
    if counts is None:
        counts = list(map(cols.difficulty.count, range(len(cols.difficulty_names))))
    return dict(zip(cols.difficulty_names, counts))


def recalls(cols: Columns, today: dt.date, settings, notes: list[int], *, distinct: bool = False) -> list[float | None]:
    """``memory.recall`` of each of these notes on ``today`` (one computation per distinct schedule;
    ``distinct``: the notes' schedules are known to differ)."""
    from trainer import memory

    t = today.toordinal()
    kind, last, interval = cols.kind, cols.last, cols.interval
    out: list[float | None] = []
    memo: dict[tuple, float] = {}
    if settings.algorithm == "fsrs":
        decay = settings.weights[20]
        stability, fsrs_d, ease = cols.stability, cols.fsrs_d, cols.ease
        for i in notes:
            lr = last[i]
            if not lr or kind[i] != STUDIED:
                out.append(None)
                continue
            st, fd = stability[i], fsrs_d[i]
            if st != st or fd != fd:  # no stored state (NaN): fsrs-rs's conversion from SM-2
                key = (lr, interval[i], ease[i])
                r = memo.get(key)
                if r is None:
                    m = memory.engine(tuple(settings.weights)).memory_state_from_sm2(
                        ease[i], float(max(1.0, interval[i])), memory.SM2_RECALL_AT_INTERVAL)
                    r = memo[key] = memory.fsrs_curve(t - lr, m.stability, decay)
            else:
                r = memory.fsrs_curve(t - lr, st, decay)
            out.append(r)
        return out
    p = memory.SM2_RECALL_AT_INTERVAL
    if distinct:  # one note per schedule (answers._key_notes): nothing to remember
        out = []
        for i in notes:
            lr = last[i]
            if not lr:
                out.append(None)
            else:
                e, iv = t - lr, interval[i]
                out.append(p ** ((e if e > 0 else 0.0) / (iv if iv > 1.0 else 1.0)))
        return out
    for i in notes:
        lr = last[i]
        if not lr:  # never studied: recall() says None
            out.append(None)
            continue
        key = (lr, interval[i])
        r = memo.get(key)
        if r is None:
            e = t - lr
            iv = interval[i]
            r = memo[key] = p ** ((e if e > 0 else 0.0) / (iv if iv > 1.0 else 1.0))
        out.append(r)
    return out


def _recall_sums(cols: Columns, today: dt.date, settings) -> tuple[int, float, list[int], list[float]]:
    """(studied cards, their summed recall, per tag: studied cards, summed recall).

    The same sums as ``memory.recall_summary``, added in the same order (``bincount`` adds its
    weights in order), of recalls computed by Python's own ``pow``: numpy's vectorised ``pow``
    may differ in the last bit, and a mean rounded to 4 places could then differ."""
    if cols.n < NUMPY_FROM:
        return _recall_sums_python(cols, today, settings)
    np = _numpy()
    n = cols.n
    kind = np.frombuffer(cols.kind, dtype=np.uint8)
    last = np.frombuffer(cols.last, dtype=np.int32)
    studied = (kind != BROKEN) & (last != 0)
    idx = np.flatnonzero(studied)
    r = np.zeros(n)
    if settings.algorithm == "fsrs":
        r[idx] = recalls(cols, today, settings, idx.tolist())
    elif len(idx):  # SM-2: 0.9 ** (elapsed / interval), elapsed and interval as recall() takes them
        elapsed = np.maximum(today.toordinal() - last[idx], 0).astype(np.float64)
        interval = np.maximum(np.frombuffer(cols.interval, dtype=np.float64)[idx], 1.0)
        r[idx] = _python_pow(memory_sm2_base(), elapsed / interval)
    count = int(len(idx))
    total = float(np.bincount(np.zeros(n, dtype=np.int32), weights=r, minlength=1)[0]) if count else 0.0
    entry_note = _entry_notes(cols)
    tag_ids = np.frombuffer(cols.tag_ids, dtype=np.int32)
    size = len(cols.tag_names)
    counts = np.bincount(tag_ids, weights=studied[entry_note], minlength=size).astype(np.int64).tolist()
    sums = np.bincount(tag_ids, weights=r[entry_note], minlength=size).tolist()
    return count, total, counts, sums


def _recall_sums_python(cols: Columns, today: dt.date, settings) -> tuple[int, float, list[int], list[float]]:
    """:func:`_recall_sums` in plain Python: the same recalls, added in the same order."""
    kind, last = cols.kind, cols.last
    studied_notes = [i for i, k in enumerate(kind) if k != BROKEN and last[i]]
    size = len(cols.tag_names)
    counts, sums = [0] * size, [0.0] * size
    total = 0.0
    ptr, ids = cols.tag_ptr.tolist(), cols.tag_ids.tolist()
    for i, r in zip(studied_notes, recalls(cols, today, settings, studied_notes)):
        total += r
        for x in ids[ptr[i]:ptr[i + 1]]:
            counts[x] += 1
            sums[x] += r
    return len(studied_notes), total, counts, sums


def memory_sm2_base() -> float:
    from trainer.memory import SM2_RECALL_AT_INTERVAL

    return SM2_RECALL_AT_INTERVAL


def _python_pow(base: float, exponents):
    """``base ** x`` for each x by Python's float power (the C library's ``pow``), as an array."""
    np = _numpy()
    return np.frompyfunc(base.__pow__, 1, 1)(exponents).astype(np.float64)


if sys.version_info < (3, 12):
    def ordered_sum(values) -> float:
        """``0.0 + v1 + v2 + ...`` in this order, as a Python loop adds (``memory.recall_summary``):
        3.11's ``sum`` of floats adds so, in C."""
        return sum(values, 0.0)
else:
    def ordered_sum(values) -> float:
        """As above; from 3.12 ``sum`` compensates its float sums (another last bit): reduce instead."""
        return reduce(add, values, 0.0)


class RecallState:
    """The recalls of a day, once per schedule id (``Columns.schedule_keys``): what ``stats --json`` needs.
    ``total``: summed note by note in the deck's order, as ``memory.recall_summary`` sums (0.0 for
    the others); ``key_texts``: each schedule's recall rounded to 4 places, as JSON (``null``: never
    studied). (A plain class: a dataclass costs its making at every command's start.)"""

    __slots__ = ("key_texts", "per_note", "studied", "total")

    def __init__(self, studied: int, total: float, per_note: list[float], key_texts: list[bytes]) -> None:
        self.studied, self.total, self.per_note, self.key_texts = studied, total, per_note, key_texts


def recall_state(cols: Columns, today: dt.date, settings) -> RecallState:
    import orjson

    note_key, key_note = cols.schedule_keys(settings.algorithm)  # (read unsigned: a bad id is an IndexError below)
    per_key = recalls(cols, today, settings, _key_notes(cols, key_note, range(len(key_note))), distinct=True)
    key_texts = orjson.dumps([None if r is None else round(r, 4) for r in per_key])[1:-1].split(b",") if per_key else []
    studied = cols.n - cols.last.count(0)  # (a recall is None exactly when never reviewed; a broken note's last is 0)
    per_note = list(map([0.0 if r is None else r for r in per_key].__getitem__, note_key))
    return RecallState(studied, ordered_sum(per_note), per_note, key_texts)


def recall_summary(cols: Columns, today: dt.date, settings, *, tags: bool = True, state: RecallState | None = None) -> dict:
    """``memory.recall_summary`` over the notes these columns were built from (``tags=False``:
    without the per-tag part, which :func:`stats_json` writes itself)."""
    if tags:
        count, total, counts, sums = _recall_sums(cols, today, settings)
    else:
        state = state or recall_state(cols, today, settings)
        count, total = state.studied, state.total
    names = cols.tag_names
    return {
        "day": today.isoformat(),
        "model": settings.algorithm,
        "studied": count,
        "deck": round(total / count, 4) if count else None,
        "tags": {names[i]: {"studied": counts[i], "recall": round(sums[i] / counts[i], 4)}
                 for i in cols.recall_order.tolist() if counts[i]} if tags else {},
    }


def stats_json(cols: Columns, doc: dict, today: dt.date, settings, *, new_per_day: int, new_started: int,
               state: RecallState | None = None) -> list[bytes]:
    """``trainer stats --json``'s bytes, in parts: ``doc`` (made with the figures and recall of ``tags=False``)
    with the per-tag figures and recalls written in from the columns' templates, as ``emit_json``
    would write them. A tag of one note takes its figures from that note (gathered in C: map), a tag
    of several adds its notes up: no Python statement runs per tag of a seed-shaped deck's 100k."""
    import os

    import orjson

    from trainer.figures import new_room
    from trainer.textsafe import json_safe_bytes

    state = state or recall_state(cols, today, settings)
    room = new_room(new_per_day, new_started)
    t = today.toordinal()
    # per note: 2 a studied card due by the day, 1 a new one (BROKEN 0, NEW 1, STUDIED 2; an undated day is 1)
    codes = bytes(map(mul, cols.kind, map(t.__ge__, cols.day)))
    middles: dict[tuple[int, int], bytes] = {}

    def middle(d: int, nw: int) -> bytes:
        text = middles.get((d, nw))
        if text is None:
            text = middles[d, nw] = b'%d,\n      "new": %d,\n      "new_today": %d,\n      "to_study": %d' % (
                d, nw, min(nw, room), d + min(nw, room))
        return text

    ptr, notes, studied, firsts = cols.tag_note_ptr, cols.tag_notes, cols.tag_studied, cols.tag_first
    tag_mid = list(map({0: middle(0, 0), 1: middle(0, 1), 2: middle(1, 0)}.__getitem__, map(codes.__getitem__, firsts)))
    note_key = cols.schedule_keys(settings.algorithm)[0]
    tag_recall = list(map(state.key_texts.__getitem__, map(note_key.__getitem__, firsts)))
    per_note = state.per_note
    multi = cols.tag_multi
    weight = list(map([0, 1, 1 << 32].__getitem__, codes)) if len(multi) else []  # a tag's sum: due << 32 | new
    for i in multi:
        mine = notes[ptr[i]:ptr[i + 1]]
        d, nw = divmod(sum(map(weight.__getitem__, mine)), 1 << 32)
        tag_mid[i] = middle(d, nw)
        if studied[i]:  # summed in the deck's order, as memory.recall_summary sums
            tag_recall[i] = orjson.dumps(round(ordered_sum(map(per_note.__getitem__, mine)) / studied[i], 4))
    tags = bytes(cols.tag_rows) % tuple(tag_mid)
    recall_tags = bytes(cols.recall_rows) % tuple(map(tag_recall.__getitem__, cols.recall_shown))
    # the rest through orjson, each part's place held by a marker no note can contain (a fresh nonce)
    nonce = os.urandom(12).hex()
    doc = {**doc, "tags": nonce + "t", "recall": {**doc["recall"], "tags": nonce + "r"}}
    blob = json_safe_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    head, _, rest = blob.partition(b'"%st"' % nonce.encode())
    between, _, tail = rest.partition(b'"%sr"' % nonce.encode())
    return [head, tags, between, recall_tags, tail]  # (written as they are: no copy of the 100k rows)


def _key_notes(cols: Columns, key_note: array, keys: list[int]) -> list[int]:
    """A note of each of these schedule ids (ValueError for an id or a note no build writes: a planted file)."""
    if keys and (min(keys) < 0 or max(keys) >= len(key_note)):
        raise ValueError("the columns' schedule ids are out of range")
    notes = list(map(key_note.__getitem__, keys))
    if notes and (min(notes) < 0 or max(notes) >= cols.n):
        raise ValueError("the columns' schedules' notes are out of range")
    return notes


def due_json(cols: Columns, today: dt.date, settings, runs: list[tuple[int, int]]) -> bytes:
    """``trainer due --json``'s bytes for the cards of these runs (``Columns.due_runs``), as ``emit_json``
    writes the rows: the runs' templates joined and filled by one ``bytes % values``, the values made
    in C (map, zip): no Python statement runs per card, and a recall is computed once per schedule."""
    import orjson

    runs = [(a, b) for a, b in runs if b > a]
    if not runs:
        return b"[]\n"
    t = today.toordinal()
    notes, (note_key, key_note) = layout_of(cols), cols.schedule_keys(settings.algorithm)
    run_keys = [list(map(note_key.__getitem__, notes[a:b])) for a, b in runs]
    need = list(set().union(*run_keys))
    texts = dict(zip(need, orjson.dumps([None if r is None else round(r, 4) for r in recalls(
        cols, today, settings, _key_notes(cols, key_note, need), distinct=True)])[1:-1].split(b",")))
    undated = b'"%s",\n    "overdue_days": 0' % today.isoformat().encode()
    rd, ru, nd = len(cols.review_dated), len(cols.review_undated), len(cols.new_dated)
    rows, off = cols.rows, cols.row_off
    cols.checked_rows(runs)
    values: list = [None] * (2 * sum(b - a for a, b in runs))  # (each row's two fields, side by side)
    at = 0
    for (a, b), keys in zip(runs, run_keys):
        if a < rd:
            overdue = list(map(t.__sub__, cols.review_dated_days[a:b]))
        elif rd + ru <= a < rd + ru + nd:
            overdue = list(map(t.__sub__, cols.new_dated_days[a - rd - ru:b - rd - ru]))
        else:
            overdue = [undated] * (b - a)
        values[at:at + 2 * (b - a):2] = overdue
        values[at + 1:at + 2 * (b - a):2] = list(map(texts.__getitem__, keys))
        at += 2 * (b - a)
    template = [b"[\n", *(rows[off[a]:off[b]] for a, b in runs), b"\n]\n"]
    template[-2] = template[-2][:-2]  # (",\n" after the last row: the list's end instead)
    return b"".join(template) % tuple(values)


_DUE_FLAG = bytes.maketrans(b"\0\1\2", b"\0\1\0")
_NEW_FLAG = bytes.maketrans(b"\0\1\2", b"\0\0\1")


def tag_counts_by_tag_notes(cols: Columns, today: dt.date) -> tuple[list[int], list[int]] | None:
    """:func:`tag_counts` in plain Python from each tag's notes (``tag_first``, ``tag_multi``): a tag of
    one note counts that note, the others count theirs, all by C loops over one flag per note (due 1,
    new 2; from the queues). The app's first frame on a seed-shaped deck (100k tags of one note each):
    ~2x faster than by every note's closure (#17). None when the columns lack those arrays or they
    do not add up (a tag of no note): then counted by closures."""
    from collections import deque
    from itertools import chain, repeat

    first, multi, ptr, notes = cols.tag_first, cols.tag_multi, cols.tag_note_ptr, cols.tag_notes
    size = len(cols.tag_cards)
    if first is None or multi is None or ptr is None or notes is None or len(first) != size or len(ptr) != size + 1:
        return None
    if len(notes) - sum(ptr[x + 1] - ptr[x] for x in multi) != size - len(multi):
        return None  # (a tag outside tag_multi with no note, or with several)
    t = today.toordinal()
    flags = bytearray(cols.n)
    put = flags.__setitem__
    for mark, dated, days, undated in ((1, cols.review_dated, cols.review_dated_days, cols.review_undated),
                                       (2, cols.new_dated, cols.new_dated_days, cols.new_undated)):
        deque(map(put, chain(dated[:bisect_right(days, t)], undated), repeat(mark)), maxlen=0)
    get = flags.__getitem__
    each = bytes(map(get, first))
    due, new = list(each.translate(_DUE_FLAG)), list(each.translate(_NEW_FLAG))
    for x in multi:
        theirs = bytes(map(get, notes[ptr[x]:ptr[x + 1]]))
        due[x], new[x] = theirs.count(1), theirs.count(2)
    return due, new
