"""A compact columnar copy of the scan cache: what `due`, `stats` and the overview need, with no
Note built per card (#17).

The scan cache (``deck.py``) keeps a pickled record per note, and building 100k notes from it
costs more than walking the deck. This file keeps, beside it, only what the counts, the queue
and the JSON need: the due day, kind, last review, interval, ease, FSRS state and mastery per
note as flat arrays; the review and new queues pre-sorted by their static order (so the cards due
on a day are a prefix found by bisection); each note's tag closure as ids into one tag table with
the static per-tag figures; and each card's ``due --json`` row as JSON fragments around the parts
that depend on the day. It is used only when the digest of the walk's stamps (path, size,
mtime, ctime, inode of every note) equals the one it was built from, so an edit in any editor is
seen exactly as by the scan cache; anything else about it — a flipped byte, another version, a
shape that does not add up — and it is not used (the notes are scanned as before and it is
rebuilt). It is read with ``array.frombytes`` and UTF-8 decoding only: nothing in it is unpickled.
"""

from __future__ import annotations

import datetime as dt
import os
import heapq
import zlib
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import chain, islice, repeat
from operator import truediv
from pathlib import Path

from trainer import paths
from trainer.walk import COLUMNS_FILE as FILE_NAME
from trainer.walk import COLUMNS_HEADER as _HEADER
from trainer.walk import columns_digest as _digest_of
from trainer.walk import open_state_file, stamp_digest, stamp_parts

_UNDATED = 1  # dt.date.min.toordinal(): the scan's NEW_CARD_DUE, "due the day asked"
BROKEN, NEW, STUDIED = 0, 1, 2

_SECTIONS = (  # name, array typecode ("" for bytes): per note unless said. Three groups, each read only when asked for:
    # the core: counts and queues
    ("kind", ""), ("day", "i"), ("last", "i"), ("interval", "d"), ("ease", "d"), ("stability", "d"),
    ("fsrs_d", "d"), ("mastery", "d"), ("sortkey", "q"),
    ("review_dated", "i"), ("review_dated_days", "i"), ("review_undated", "i"),
    ("new_dated", "i"), ("new_dated_days", "i"), ("new_undated", "i"), ("problems", ""), ("meta", ""),
    # tags and difficulties: per-tag figures and recall (stats, the overview)
    ("difficulty", "i"), ("difficulty_names", ""),
    ("tag_ptr", "i"), ("tag_ids", "i"),  # each note's tag closure (figures: "" for untagged)
    ("tag_cards", "i"), ("tag_mastery", "d"), ("recall_order", "i"),  # per tag
    ("tag_names", ""), ("tag_a", ""), ("tag_b", ""), ("tag_r", ""),
    # the rows of `due --json`
    ("frag_a_off", "q"), ("frag_b_off", "q"), ("frag_a", ""), ("frag_b", ""),
    # the stamps they were built from: to update them note by note (:func:`patch`)
    ("rels", ""), ("stamp_nums", "q"),
)
_NAMES = [name for name, _ in _SECTIONS]
_GROUPS = {"core": (0, _NAMES.index("difficulty")), "tags": (_NAMES.index("difficulty"), _NAMES.index("frag_a_off")),
           "rows": (_NAMES.index("frag_a_off"), _NAMES.index("rels")), "stamps": (_NAMES.index("rels"), len(_SECTIONS))}


@dataclass(slots=True)
class Columns:
    n: int
    kind: bytes
    """Per note: BROKEN (frontmatter unreadable), NEW (never studied) or STUDIED."""
    digest: bytes
    """:func:`stamp_digest` of the walk this was built from."""
    day: array
    """``next_review`` as a proleptic ordinal; 1 (``date.min``) when the note has none: due the day asked."""
    last: array
    """``last_reviewed`` as an ordinal, 0 for never."""
    interval: array
    ease: array
    stability: array
    """NaN where the note has no FSRS state (nor ``fsrs_d``)."""
    fsrs_d: array
    mastery: array
    sortkey: array
    """Difficulty rank and path as one integer: ``scheduler.study_key`` after the day."""
    difficulty: array
    """Index into ``difficulty_names``; -1 for a broken note."""
    review_dated: array
    """Studied notes with a ``next_review``, in ``study_key`` order; their days beside them."""
    review_dated_days: array
    review_undated: array
    new_dated: array
    new_dated_days: array
    new_undated: array
    tag_ptr: array
    tag_ids: array
    tag_names: list[str]
    """Every tag and prefix in the figures' order (``""`` last, for untagged notes)."""
    tag_cards: array
    tag_mastery: array
    recall_order: array
    """Tag ids in plain string order, ``""`` left out (``memory.recall_summary``'s order)."""
    difficulty_names: list[str]
    problems: list[tuple[str, str, str]]
    """The notes' problems, in walk order (the walk's own are not kept here)."""
    mastery_sum: float
    """Summed as ``figures.compute`` sums it (by tag set), so the mean is the same to the last bit."""
    frag_a: bytes | memoryview
    frag_a_off: array
    frag_b: bytes | memoryview
    frag_b_off: array
    tag_a: bytes | memoryview = b""
    """Per tag, NUL-separated: its row of ``stats --json``'s tags up to ``"due": `` (:func:`stats_json`)…"""
    tag_b: bytes | memoryview = b""
    """…its row from ``"mastery"`` on…"""
    tag_r: bytes | memoryview = b""
    """…and its key in the recall's tags, up to ``"studied": ``."""
    has_rows: bool = True
    """False when loaded without the rows of ``due --json`` (the four ``frag`` fields are empty)."""
    rels: bytes | memoryview = b""
    """The notes' paths, NUL-separated (``stamps`` group)."""
    stamp_nums: array = None  # type: ignore[assignment]
    """Their sizes, then mtimes, ctimes and inodes (``walk.stamp_parts``)."""
    has_stamps: bool = True
    has_tags: bool = True
    """False when loaded without tags and difficulties (their fields are empty)."""
    appearance: str = ""
    """:func:`_appearance` of the tags: the next build keeps ``tag_names``' order only if it is the same."""

    def due_indices(self, today: dt.date, new_room: int) -> tuple[list[int], list[int]]:
        """(due reviews, the first ``new_room`` new cards): ``scheduler.due_queue``'s order."""
        t = today.toordinal()
        reviews = _on_or_before(self.review_dated, self.review_dated_days, self.review_undated, t, self.sortkey)
        new = _on_or_before(self.new_dated, self.new_dated_days, self.new_undated, t, self.sortkey)
        return list(reviews), list(islice(new, max(0, new_room)))

    def studied_good(self) -> int:
        return self.n - self.kind.count(BROKEN)


def _on_or_before(dated: array, days: array, undated: array, t: int, sortkey: array):
    """Notes due on day ``t`` or before: the dated ones before it, then those of that day merged
    with the undated ones (due the day asked) by difficulty and path."""
    k = bisect_left(days, t)
    j = bisect_right(days, t, k)
    head = dated[:k]
    if not len(undated):
        return chain(head, dated[k:j])
    if j == k:
        return chain(head, undated)
    return chain(head, heapq.merge(dated[k:j], undated, key=sortkey.__getitem__))


# ---------------------------------------------------------------- building


def build(found: list[tuple], items: list, previous: "Columns | None" = None) -> Columns:
    """Columns for a scan's stamps and items (notes or cache records, as ``Deck.scan`` keeps them)."""
    import orjson

    from trainer.deck import record_of_item
    from trainer.figures import sum_by_tag, tag_closure_memo
    from trainer.notes.parse import NEW_CARD_DUE
    from trainer.scheduler import DIFFICULTY_RANK
    from trainer.tags import sort_tags

    n = len(found)
    parts = stamp_parts(found)  # (OverflowError: a stamp past 64 bits, no columns)
    records = [record_of_item(it) for it in items]
    kind = bytearray(n)
    day = array("i", bytes(4 * n))
    last = array("i", bytes(4 * n))
    interval, ease, stability, fsrs_d, mastery = (array("d", bytes(8 * n)) for _ in range(5))
    difficulty = array("i", bytes(4 * n))
    nan = float("nan")
    difficulty_ids: dict[str, int] = {}
    problems: list[tuple[str, str, str]] = []
    groups: dict[tuple[str, ...], list] = {}  # tag set -> [cards], as figures.compute groups
    rank_of = DIFFICULTY_RANK.get
    for i, r in enumerate(records):
        (question, diff, tags, _demos, _present, probs, fatal, _created, lr, nr, rc, ml, ef, ivl, _reps, st, fd) = r
        if probs:
            problems.extend(probs)
        day[i] = nr.toordinal() if nr != NEW_CARD_DUE else _UNDATED
        if fatal:
            kind[i] = BROKEN
            difficulty[i] = -1
            continue
        kind[i] = NEW if rc == 0 and lr is None else STUDIED
        last[i] = 0 if lr is None else lr.toordinal()
        interval[i] = ivl
        ease[i] = ef
        stability[i] = nan if st is None else st
        fsrs_d[i] = nan if fd is None else fd
        mastery[i] = ml
        d = difficulty_ids.get(diff)
        if d is None:
            d = difficulty_ids[diff] = len(difficulty_ids)
        difficulty[i] = d
        g = groups.get(tags)
        if g is None:
            groups[tags] = [1]
        else:
            g[0] += 1

    # the static per-tag figures: cards (mastery: below, note by note as figures.compute sums it)
    closure = tag_closure_memo()
    closures = {tags: closure(tags) for tags in groups}
    agg = sum_by_tag(groups, closures)
    untagged = agg.pop("", None)
    appearance = _appearance(agg)
    if previous is not None and len(previous.tag_names) == len(agg) + (untagged is not None) \
            and set(previous.tag_names) == set(agg) | ({""} if untagged is not None else set()) \
            and previous.appearance == appearance:
        names = previous.tag_names  # the same tags as last time: their order too (sorting 100k tags is the cost)
    else:
        names = sort_tags(agg)
        if untagged is not None:
            names.append("")
    if untagged is not None:
        agg[""] = untagged
    tag_id = {t: i for i, t in enumerate(names)}
    tag_cards = array("i", (agg[t][0] for t in names))
    recall_order = array("i", sorted((tag_id[t] for t in names if t), key=names.__getitem__))

    # each note's closure, as tag ids (broken notes: none)
    tag_ptr = array("i", [0])
    tag_ids = array("i")
    closure_ids: dict[tuple[str, ...], tuple[int, ...]] = {}
    for i, r in enumerate(records):
        if kind[i] != BROKEN:
            tags = r[2]
            ids = closure_ids.get(tags)
            if ids is None:
                ids = closure_ids[tags] = tuple(tag_id[t] for t in _ordered_closure(closures[tags]))
            tag_ids.extend(ids)
        tag_ptr.append(len(tag_ids))

    tag_mastery, mastery_sum = _static_mastery(kind, mastery, tag_ptr, tag_ids, tag_cards)

    # the queues' static order: scheduler.study_key is (day, difficulty rank, path)
    rels = [s[0] for s in found]
    by_path = sorted(range(n), key=rels.__getitem__)
    sortkey = array("q", bytes(8 * n))
    for pos, i in enumerate(by_path):
        sortkey[i] = rank_of(records[i][1], 1) * (n + 1) + pos
    queues = _queues(kind, day, sortkey)

    # `due --json` rows around their day-dependent parts (trainer.cli.cmd_due writes the same keys)
    frag_a, frag_b = [], []
    for i, r in enumerate(records):
        a, b = _row_frags(rels[i], r, kind[i]) if kind[i] != BROKEN else (b"", b"")
        frag_a.append(a)
        frag_b.append(b)
    from trainer.textsafe import json_safe_bytes

    tag_json = [orjson.dumps(t) for t in names]
    if json_safe_bytes(b"".join(tag_json)) != b"".join(tag_json):  # a raw C1/bidi character in a tag: escaped
        tag_json = [json_safe_bytes(t) for t in tag_json]
    # each tag's rows of `stats --json` around their day-dependent parts, NUL-separated (no JSON holds a raw NUL)
    tag_a = b"\0".join([b'    {\n      "tag": %s,\n      "cards": %d,\n      "due": ' % (name, cards)
                         for name, cards in zip(tag_json, tag_cards.tolist())])
    tag_b = _tag_b(tag_mastery)
    tag_r = b"\0".join([b'      %s: {\n        "studied": ' % name for name in tag_json])
    return Columns(
        tag_a=tag_a, tag_b=tag_b, tag_r=tag_r,
        n=n, kind=bytes(kind), digest=stamp_digest(found, parts), day=day, last=last, interval=interval, ease=ease,
        stability=stability, fsrs_d=fsrs_d, mastery=mastery, sortkey=sortkey, difficulty=difficulty,
        **queues,
        tag_ptr=tag_ptr, tag_ids=tag_ids, tag_names=names, tag_cards=tag_cards, tag_mastery=tag_mastery,
        recall_order=recall_order, difficulty_names=list(difficulty_ids), problems=problems,
        mastery_sum=mastery_sum, appearance=appearance,
        frag_a=b"".join(frag_a), frag_a_off=_offsets(frag_a), frag_b=b"".join(frag_b), frag_b_off=_offsets(frag_b),
        rels=parts[0], stamp_nums=parts[1],
    )


def _row_frags(rel: str, r: tuple, kind: int) -> tuple[bytes, bytes]:
    """A card's row of ``due --json`` (as ``emit_json`` indents it in the list) around its day-dependent
    parts: up to ``"next_review": `` (its day, when the note has one, and ``"overdue_days": ``), and
    from ``, "new": `` to ``"recall": ``."""
    import orjson

    row = orjson.dumps([{
        "path": rel, "question": r[0], "next_review": None, "overdue_days": 0, "new": kind == NEW,
        "difficulty": r[1], "mastery_level": r[11], "review_count": r[10], "interval": r[13], "tags": list(r[2]),
        "recall": None,
    }], option=orjson.OPT_INDENT_2)[2:-2]
    a_end = row.index(b'\n    "next_review": ') + 20
    b_start = row.index(b',\n    "new": ')
    b_end = row.rindex(b'\n    "recall": ') + 15
    from trainer.notes.parse import NEW_CARD_DUE

    dated = r[9] != NEW_CARD_DUE
    from trainer.textsafe import json_safe_bytes  # here, not over the 17 MB of a 100k deck's answer

    return (json_safe_bytes(row[:a_end] + (b'"%s",\n    "overdue_days": ' % r[9].isoformat().encode() if dated else b"")),
            json_safe_bytes(row[b_start:b_end]))


def _tag_b(tag_mastery: array) -> bytes:
    import orjson

    m_text = {m: orjson.dumps(m) for m in set(tag_mastery.tolist())}
    return b"\0".join([b',\n      "mastery": %s\n    }' % m_text[m] for m in tag_mastery.tolist()])


def _appearance(agg: dict) -> str:
    """A digest of the tags in order of first appearance: ``sort_tags`` keeps that order among tags
    that sort as equals (``A/b`` and ``a/B``), so the last build's order holds only while it is the same."""
    import hashlib

    import orjson

    return hashlib.blake2b(orjson.dumps(list(agg)), digest_size=16).hexdigest()


def _static_mastery(kind, mastery: array, tag_ptr: array, tag_ids: array, tag_cards: array) -> tuple[array, float]:
    """(each tag's mean mastery, the deck's mastery sum), added note by note in the deck's order as
    ``figures.compute`` adds them (``bincount`` adds its weights in order; 0.0 + x for the first)."""
    import numpy as np

    kinds = np.frombuffer(bytes(kind), dtype=np.uint8)
    m = np.where(kinds != BROKEN, np.frombuffer(mastery, dtype=np.float64), 0.0)
    total = float(np.bincount(np.zeros(len(m), dtype=np.int32), weights=m, minlength=1)[0]) if len(m) else 0.0
    ptr = np.frombuffer(tag_ptr, dtype=np.int32)
    entry_note = np.repeat(np.arange(len(m), dtype=np.int32), np.diff(ptr))
    sums = np.bincount(np.frombuffer(tag_ids, dtype=np.int32), weights=m[entry_note], minlength=len(tag_cards)).tolist()
    return array("d", (round(s / c, 3) if c else 0.0 for s, c in zip(sums, tag_cards.tolist()))), total


def _queues(kind, day: array, sortkey: array) -> dict[str, array]:
    """The review and new queues in ``scheduler.study_key`` order: dated ones by day, then
    difficulty and path; undated ones (due the day asked) by difficulty and path."""
    import numpy as np

    queues = {}
    kinds, days, keys = np.frombuffer(bytes(kind), dtype=np.uint8), np.frombuffer(day, dtype=np.int32), np.frombuffer(sortkey, dtype=np.int64)
    for name, want in (("review", STUDIED), ("new", NEW)):
        dated = np.flatnonzero((kinds == want) & (days != _UNDATED))
        dated = dated[np.lexsort((keys[dated], days[dated]))]  # (keys are unique)
        undated = np.flatnonzero((kinds == want) & (days == _UNDATED))
        undated = undated[np.argsort(keys[undated], kind="stable")]
        queues[name + "_dated"] = array("i", dated.astype(np.int32).tobytes())
        queues[name + "_dated_days"] = array("i", days[dated].astype(np.int32).tobytes())
        queues[name + "_undated"] = array("i", undated.astype(np.int32).tobytes())
    return queues


def _ordered_closure(tags) -> list[str]:
    return tags if isinstance(tags, tuple) else sorted(tags)  # a set (several tags): a fixed order


def _offsets(parts: list[bytes]) -> array:
    from itertools import accumulate

    return array("q", accumulate(map(len, parts), initial=0))


# ---------------------------------------------------------------- the file


def _path(root: Path) -> Path:
    return paths.state_dir(root) / FILE_NAME


def save_columns(root: Path, cols: Columns) -> None:
    """Written atomically beside the scan cache; a read-only deck simply has none.

    The first line names the stamp digest and the crc32 of the index that follows (each
    section's length and crc32); the sections come after it, the rows' fragments last, so a
    command that needs no rows reads only the part before them."""
    import orjson

    from trainer.notes.write import atomic_write

    texts = {
        "kind": cols.kind, "frag_a": cols.frag_a, "frag_b": cols.frag_b, "rels": cols.rels,
        "tag_a": cols.tag_a, "tag_b": cols.tag_b, "tag_r": cols.tag_r,
        "tag_names": orjson.dumps(cols.tag_names), "difficulty_names": orjson.dumps(cols.difficulty_names),
        "problems": orjson.dumps(cols.problems), "meta": orjson.dumps({"n": cols.n, "mastery_sum": cols.mastery_sum,
                                                                      "appearance": cols.appearance}),
    }
    sections = [getattr(cols, name).tobytes() if code else texts[name] for name, code in _SECTIONS]
    index = array("q", map(len, sections)).tobytes() + array("I", map(zlib.crc32, sections)).tobytes()
    blob = b"%s digest %s index %08x\n" % (_HEADER, cols.digest.hex().encode(), zlib.crc32(index)) + index + b"".join(sections)
    try:
        paths.ensure_state_dir(root)
        atomic_write(paths.state_file(root, FILE_NAME), blob, mode=0o644, durable=False, follow_symlinks=False)
    except OSError:
        pass


def peek_digest(root: Path) -> bytes | None:
    """The stamp digest the columns were built from, from their first line (not checked yet)."""
    from trainer.walk import peek_digest as peek

    return peek(str(root))


def load(root: Path, digest: bytes | None, *, rows: bool = True, tags: bool = True, stamps: bool = False) -> Columns | None:
    """The columns if they were built from a walk with this digest (None: any) and are whole; else None.
    ``rows=False`` leaves out the rows of ``due --json`` (most of the file), ``tags=False`` the
    tags and difficulties (a seed-shaped deck's 100k tags)."""
    import orjson

    count = len(_SECTIONS)
    groups = ["core"] + (["tags"] if tags else []) + (["rows"] if rows else []) + (["stamps"] if stamps else [])
    try:
        with open_state_file(str(_path(root))) as fh:  # (a FIFO in its place: refused, not waited on)
            line = fh.readline(300)
            found = _digest_of(line)
            if found is None or (digest is not None and found != digest):
                return None
            index = fh.read(12 * count)
            if len(index) != 12 * count or line.split()[7] != b"%08x" % zlib.crc32(index):
                return None
            lengths, crcs = array("q"), array("I")
            lengths.frombytes(index[:8 * count])
            crcs.frombytes(index[8 * count:])
            start = len(line) + 12 * count
            if os.fstat(fh.fileno()).st_size != start + sum(lengths):
                return None
            values: dict[str, object] = {}
            for group in groups:
                first, end = _GROUPS[group]
                fh.seek(start + sum(lengths[:first]))
                view = memoryview(fh.read(sum(lengths[first:end])))  # views, not copies, of the rows
                pos = 0
                for (name, code), size, crc in zip(_SECTIONS[first:end], lengths[first:end], crcs[first:end]):
                    part = view[pos:pos + size]
                    pos += size
                    if len(part) != size or zlib.crc32(part) != crc:
                        return None
                    if code:
                        a = array(code)
                        a.frombytes(part)
                        values[name] = a
                    else:
                        values[name] = part
        for name, code in _SECTIONS:  # the groups not asked for: empty
            values.setdefault(name, array(code) if code else b"[]" if name in ("tag_names", "difficulty_names") else b"")
        meta = orjson.loads(values.pop("meta"))
        cols = Columns(
            n=meta["n"], mastery_sum=float(meta["mastery_sum"]), appearance=str(meta.get("appearance", "")), digest=found, kind=bytes(values.pop("kind")),
            tag_names=orjson.loads(values.pop("tag_names")), difficulty_names=orjson.loads(values.pop("difficulty_names")),
            problems=[tuple(p) for p in orjson.loads(values.pop("problems"))], has_rows=rows, has_tags=tags, has_stamps=stamps,
            **values,  # type: ignore[arg-type]
        )
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return None
    return cols if _consistent(cols) else None


def _consistent(c: Columns) -> bool:
    """The shapes add up (a file with the right checksums but not written by this code is refused)."""
    n, t = c.n, len(c.tag_names)
    try:
        return (
            type(n) is int and len(c.kind) == n
            and all(len(getattr(c, a)) == n for a in ("day", "last", "interval", "ease", "stability", "fsrs_d",
                                                       "mastery", "sortkey"))
            and set(c.kind) <= {BROKEN, NEW, STUDIED}
            and all(len(p) == 3 and all(type(v) is str for v in p) for p in c.problems)
            and len(c.review_dated) == len(c.review_dated_days) and len(c.new_dated) == len(c.new_dated_days)
            and all(not len(q) or (0 <= min(q) and max(q) < n) for q in (
                c.review_dated, c.review_undated, c.new_dated, c.new_undated))
            and (not c.has_tags or (
                len(c.difficulty) == n and len(c.tag_ptr) == n + 1 and c.tag_ptr[-1] == len(c.tag_ids)
                and c.tag_ptr[0] == 0 and _rising(c.tag_ptr)
                and len(c.tag_cards) == t == len(c.tag_mastery)
                and all(bytes(b).count(b"\0") == max(0, t - 1) and (t or not len(b)) for b in (c.tag_a, c.tag_b, c.tag_r))
                and (not c.tag_ids or 0 <= min(c.tag_ids) and max(c.tag_ids) < t)
                and all(type(x) is str for x in c.tag_names) and all(type(x) is str for x in c.difficulty_names)
                and (not c.difficulty or max(c.difficulty) < len(c.difficulty_names))
                and (not len(c.recall_order) or (0 <= min(c.recall_order) and max(c.recall_order) < t))))
            and (not c.has_stamps or (len(c.stamp_nums) == 4 * n and bytes(c.rels).count(b"\0") == max(0, n - 1)))
            and (not c.has_rows or (len(c.frag_a_off) == n + 1 == len(c.frag_b_off)
                                    and c.frag_a_off[-1] == len(c.frag_a) and c.frag_b_off[-1] == len(c.frag_b)))
        )
    except (TypeError, ValueError):
        return False


def _rising(a: array) -> bool:
    """Never falling (each note's tags start where the last note's end); ~2 ms for 100k notes."""
    values = a.tolist()
    return values == sorted(values)


# ---------------------------------------------------------------- what the commands ask


def tag_counts(cols: Columns, today: dt.date) -> tuple[list[int], list[int]]:
    """(due, new) per tag on ``today``: one ``bincount`` over every note's closure each."""
    if cols.n < NUMPY_FROM:
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
            tags: bool = True):
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
    per_tag = {}
    if tags:
        per_tag_due, per_tag_new = tag_counts(cols, today)
        TagFigures = fig.TagFigures
        per_tag = {name: TagFigures(cards, due, nw, nw if nw < room else room, mastery) for name, cards, due, nw, mastery
                   in zip(cols.tag_names, cols.tag_cards.tolist(), per_tag_due, per_tag_new, cols.tag_mastery.tolist())}
    return fig.Figures(
        today=today, total=cols.n, broken=cols.n - good, due=due_n, overdue=overdue, new=new_n,
        new_today=min(new_n, room), new_per_day=new_per_day, new_started=new_started,
        mastery=round(cols.mastery_sum / good, 3) if good else 0.0, forecast=tuple(forecast), tags=per_tag,
    )


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
    counts = [0] * len(cols.difficulty_names)
    for d in cols.difficulty:
        if d >= 0:
            counts[d] += 1
    return dict(zip(cols.difficulty_names, counts))


def recalls(cols: Columns, today: dt.date, settings, notes: list[int]) -> list[float | None]:
    """``memory.recall`` of each of these notes on ``today`` (one computation per distinct schedule)."""
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


def recall_summary(cols: Columns, today: dt.date, settings, *, tags: bool = True) -> dict:
    """``memory.recall_summary`` over the notes these columns were built from (``tags=False``:
    without the per-tag part, which :func:`stats_json` writes itself)."""
    count, total, counts, sums = _recall_sums(cols, today, settings)
    names = cols.tag_names
    return {
        "day": today.isoformat(),
        "model": settings.algorithm,
        "studied": count,
        "deck": round(total / count, 4) if count else None,
        "tags": {names[i]: {"studied": counts[i], "recall": round(sums[i] / counts[i], 4)}
                 for i in cols.recall_order.tolist() if counts[i]} if tags else {},
    }


def stats_json(cols: Columns, doc: dict, today: dt.date, settings, *, new_per_day: int, new_started: int) -> bytes:
    """``trainer stats --json``'s bytes: ``doc`` (made with the figures and recall of ``tags=False``)
    with the per-tag figures and recalls written in from the columns, as ``emit_json`` would write
    them (a 100k-tag deck: 200k objects never built as Python dicts)."""
    import os

    import orjson

    from trainer.figures import new_room
    from trainer.textsafe import json_safe_bytes

    room = new_room(new_per_day, new_started)
    due, new = tag_counts(cols, today)
    dumps = orjson.dumps
    num = b"%d".__mod__
    # the rows: static pieces cut from the columns, day-dependent ones from a few distinct values,
    # joined in C (zip, map, join): no Python statement runs per tag
    middle = {(d, nw): b'%d,\n      "new": %d,\n      "new_today": %d,\n      "to_study": %d' % (
        d, nw, min(nw, room), d + min(nw, room)) for d, nw in set(zip(due, new))}
    tags = b"".join(chain.from_iterable(zip(
        bytes(cols.tag_a).split(b"\0"), map(middle.__getitem__, zip(due, new)), bytes(cols.tag_b).split(b"\0"),
        repeat(b",\n")))) if cols.tag_names else b""
    tags = b"[\n" + tags[:-2] + b"\n  ]" if tags else b"[]"
    _, _, counts, sums = _recall_sums(cols, today, settings)
    shown = [i for i in cols.recall_order.tolist() if counts[i]]
    studied = [counts[i] for i in shown]
    recall_texts = dumps(list(map(round, map(truediv, [sums[i] for i in shown], studied), repeat(4))))[1:-1].split(b",")
    keys = bytes(cols.tag_r).split(b"\0")
    recall_tags = b"".join(chain.from_iterable(zip(
        map(keys.__getitem__, shown), map(num, studied), repeat(b',\n        "recall": '), recall_texts,
        repeat(b"\n      },\n"))))
    recall_tags = b"{\n" + recall_tags[:-2] + b"\n    }" if shown else b"{}"
    # the rest through orjson, each part's place held by a marker no note can contain (a fresh nonce)
    nonce = os.urandom(12).hex()
    doc = {**doc, "tags": nonce + "t", "recall": {**doc["recall"], "tags": nonce + "r"}}
    blob = json_safe_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    head, _, rest = blob.partition(b'"%st"' % nonce.encode())
    middle, _, tail = rest.partition(b'"%sr"' % nonce.encode())
    return b"".join((head, tags, middle, recall_tags, tail))  # one copy of the 100k rows, not two


def due_json(cols: Columns, today: dt.date, settings, order: list[int]) -> bytes:
    """``trainer due --json``'s bytes for these notes, in this order (as ``emit_json`` writes the rows)."""
    import orjson

    if not order:
        return b"[]\n"
    t = today.toordinal()
    undated_part = b'"%s",\n    "overdue_days": 0' % today.isoformat().encode()
    late: dict[int, bytes] = {}
    recall_bytes: dict[float | None, bytes] = {None: b"null"}
    fa, fa_off, fb, fb_off = cols.frag_a, cols.frag_a_off, cols.frag_b, cols.frag_b_off
    day = cols.day
    dumps = orjson.dumps
    parts = [b"[\n"]
    add = parts.extend
    end = b"\n  },\n"
    for i, r in zip(order, recalls(cols, today, settings, order)):
        d = day[i]
        if d == _UNDATED:
            od = undated_part
        else:
            od = late.get(d)
            if od is None:
                od = late[d] = b"%d" % (t - d)
        rb = recall_bytes.get(r)
        if rb is None:
            rb = recall_bytes[r] = dumps(round(r, 4))
        add((fa[fa_off[i]:fa_off[i + 1]], od, fb[fb_off[i]:fb_off[i + 1]], rb, end))
    parts[-1] = b"\n  }\n]\n"
    return b"".join(parts)


# ---------------------------------------------------------------- a deck's columns, fresh


# ---------------------------------------------------------------- a few notes changed: updated in place

PATCH_LIMIT = 256
"""More changed notes than this (or than 16 and 1 % of the deck), and the columns are built again."""


def patch(prev: Columns, found: list[tuple], deck) -> Columns | None:
    """The columns for a walk in which only a few notes were edited (same paths, in the same
    order), from ``prev`` and those notes read again; None when a full build is needed: a note
    added, removed or renamed, one that is or was broken or has problems, one whose tags or
    difficulty name changed (the tag table and its order would change), or too many edits.

    Every value that depends on more than one note is computed again from the updated arrays
    (the queues' order, each tag's mastery), as :func:`build` computes it: the result is what a
    build from scratch gives."""
    import dataclasses

    import numpy as np

    from trainer.deck import record_of_item
    from trainer.scheduler import DIFFICULTY_RANK

    n = prev.n
    if not (prev.has_rows and prev.has_tags and prev.has_stamps) or len(found) != n or not n:
        return None
    parts = stamp_parts(found)
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
    fa_off, fb_off = prev.frag_a_off, prev.frag_b_off
    new_frags: dict[int, tuple[bytes, bytes]] = {}
    nan = float("nan")
    from trainer.notes.parse import NEW_CARD_DUE

    for i, item in zip(changed, items):
        r = record_of_item(item)
        (_q, diff, _tags, _demos, _present, probs, fatal, _created, lr, nr, rc, ml, ef, ivl, _reps, st, fd) = r
        rel = found[i][0]
        if fatal or probs or prev.kind[i] == BROKEN or rel in with_problems or diff not in difficulty_ids:
            return None
        k = NEW if rc == 0 and lr is None else STUDIED
        a, b = _row_frags(rel, r, k)
        old_b = bytes(prev.frag_b[fb_off[i]:fb_off[i + 1]])
        if b[b.index(b'"tags": '):] != old_b[old_b.index(b'"tags": '):]:  # tags changed: the tag table may
            return None
        kind[i] = k
        day[i] = nr.toordinal() if nr != NEW_CARD_DUE else _UNDATED
        last[i] = 0 if lr is None else lr.toordinal()
        interval[i], ease[i], mastery[i] = ivl, ef, ml
        stability[i] = nan if st is None else st
        fsrs_d[i] = nan if fd is None else fd
        sortkey[i] = DIFFICULTY_RANK.get(diff, 1) * (n + 1) + sortkey[i] % (n + 1)  # the path's place stays
        difficulty[i] = difficulty_ids[diff]
        new_frags[i] = (a, b)
    codes = np.frombuffer(difficulty, dtype=np.int32)
    used, first = np.unique(codes[codes >= 0], return_index=True)
    if used.tolist() != list(range(len(difficulty_ids))) or np.argsort(first, kind="stable").tolist() != used.tolist():
        return None  # a difficulty gone, or another first: the stats' difficulty counts would change order
    frag_a, frag_a_off = _splice(prev.frag_a, fa_off, {i: ab[0] for i, ab in new_frags.items()})
    frag_b, frag_b_off = _splice(prev.frag_b, fb_off, {i: ab[1] for i, ab in new_frags.items()})
    tag_mastery, mastery_sum = _static_mastery(kind, mastery, prev.tag_ptr, prev.tag_ids, prev.tag_cards)
    return dataclasses.replace(
        prev, kind=bytes(kind), day=day, last=last, interval=interval, ease=ease, stability=stability, fsrs_d=fsrs_d,
        mastery=mastery, sortkey=sortkey, difficulty=difficulty, **_queues(kind, day, sortkey),
        tag_mastery=tag_mastery, mastery_sum=mastery_sum, tag_b=_tag_b(tag_mastery),
        frag_a=frag_a, frag_a_off=frag_a_off, frag_b=frag_b, frag_b_off=frag_b_off,
        digest=stamp_digest(found, parts), stamp_nums=nums,
    )


def _splice(blob, offsets: array, parts: dict[int, bytes]) -> tuple[bytes, array]:
    """``blob`` (parts cut at ``offsets``) with the parts at these indices replaced."""
    from itertools import accumulate

    pieces, lengths, at = [], array("q", (b - a for a, b in zip(offsets, offsets[1:]))), 0
    for i in sorted(parts):
        pieces.append(blob[at:offsets[i]])
        pieces.append(parts[i])
        lengths[i] = len(parts[i])
        at = offsets[i + 1]
    pieces.append(blob[at:])
    return b"".join(pieces), array("q", accumulate(lengths, initial=0))


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

    def __init__(self, deck, *, clean_temp: bool = True, rows: bool = True, tags: bool = True) -> None:
        from trainer.deck import Walk

        self.deck = deck
        self.clean_temp = clean_temp
        from trainer.walk import take_early

        expect = peek_digest(deck.root)
        early = take_early(str(deck.root), expect)  # the `trainer` command may have started it already
        self._walk = Walk(deck, expect, started=early) if expect is not None and clean_temp else None
        self.columns = load(deck.root, expect, rows=rows, tags=tags) if expect is not None else None

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
            if self._walk is not None:
                found, walk_problems, removed = self._walk.result_or_unchanged()
                if found is None and cols is not None:  # the child's digest is the one the columns hold
                    return Fresh(cols, walk_problems + [Problem(*p) for p in cols.problems])
                if found is None:  # the file changed under us after the child compared: walk here
                    found, walk_problems, removed = deck.walk(clean_temp=self.clean_temp)
            else:
                found, walk_problems, removed = deck.walk(clean_temp=self.clean_temp)
            if cols is not None and cols.digest == stamp_digest(found):  # (walked here: no fork)
                return Fresh(cols, walk_problems + [Problem(*p) for p in cols.problems])
            whole = load(deck.root, None, stamps=True)
            try:
                patched = patch(whole, found, deck) if whole is not None else None
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
            try:
                new = build(scan._stamps, scan._items, previous=whole if whole is not None
                            else cols if cols is not None and cols.has_tags else load(deck.root, None, rows=False))
            except (ValueError, TypeError, OverflowError, KeyError, AttributeError):  # a value the columns cannot hold
                return Fresh(None, scan.problems, scan, notice)
            if save and scan._stamps == found:  # (an unreadable note is in the walk but not the scan)
                save_columns(deck.root, new)
            return Fresh(new, scan.problems, scan, notice, rebuilt=True)


def fresh(deck, today: dt.date, *, save: bool = True, clean_temp: bool = True, rows: bool = True,
          tags: bool = True) -> Fresh:
    """The deck's columns, matching its notes now (see :class:`Pending`)."""
    return Pending(deck, clean_temp=clean_temp, rows=rows, tags=tags).finish(today, save=save)
