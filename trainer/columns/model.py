"""The columns' shape: what one file holds for a deck, per note and per tag (see ``trainer.columns``)."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
import datetime as dt
import heapq
from itertools import chain, islice

_UNDATED = 1  # dt.date.min.toordinal(): the scan's NEW_CARD_DUE, "due the day asked"
ROW_CHUNK = 1 << 20
"""The rows of ``due --json`` are checked (XXH3-64) a MiB at a time, only the parts a command uses."""


class DamagedColumns(ValueError):
    """A part of the columns' file read only when used does not match its checksum."""
BROKEN, NEW, STUDIED = 0, 1, 2

_SECTIONS = (  # name, array typecode ("" for bytes): per note unless said. In groups, each read only when asked for:
    # the core: counts and queues
    ("kind", ""), ("day", "i"), ("last", "i"), ("interval", "d"), ("ease", "d"), ("stability", "d"),
    ("fsrs_d", "d"), ("mastery", "d"), ("sortkey", "q"),
    ("review_dated", "i"), ("review_dated_days", "i"), ("review_undated", "i"),
    ("new_dated", "i"), ("new_dated_days", "i"), ("new_undated", "i"), ("problems", ""), ("meta", ""),
    ("sm2_key", "I"), ("sm2_key_note", "i"), ("fsrs_key", "I"), ("fsrs_key_note", "i"),  # schedules (recalls; "I": below)
    # tags and difficulties: per-tag figures and recall (stats, the overview)
    ("difficulty", "i"), ("difficulty_names", ""),
    ("tag_cards", "i"), ("tag_mastery", "d"), ("recall_order", "I"),  # per tag ("I": read unsigned, so that
    ("tag_studied", "i"), ("tag_note_ptr", "I"), ("tag_notes", "I"), ("tag_multi", "I"),  # a bad index fails)
    ("tag_first", "I"), ("recall_shown", "I"),
    ("tag_rows", ""), ("recall_rows", ""),  # stats --json's per-tag parts as %-templates
    # the tags' names and each note's tag closure (figures: "" for untagged): the overview, stats' table
    ("tag_names", ""), ("tag_ptr", "i"), ("tag_ids", "i"),
    # the rows of `due --json` as %-templates, in the queues' order (:func:`layout`)
    ("row_off", "q"), ("row_sums", "Q"), ("rows", ""),  # (rows: checked a MiB at a time, those used: ROW_CHUNK)
    # the stamps they were built from: to update them note by note (:func:`patch`)
    ("rels", ""), ("stamp_nums", "q"),
)
_NAMES = [name for name, _ in _SECTIONS]
_GROUPS = {"core": (0, _NAMES.index("difficulty")), "tags": (_NAMES.index("difficulty"), _NAMES.index("tag_names")),
           "names": (_NAMES.index("tag_names"), _NAMES.index("row_off")),
           "rows": (_NAMES.index("row_off"), _NAMES.index("rels")), "stamps": (_NAMES.index("rels"), len(_SECTIONS))}


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
    sm2_key: array
    """Per note: the id of its schedule as SM-2's recall reads it (last review, interval): notes
    sharing one share their recall, computed once a day asked."""
    sm2_key_note: array
    """Per id: one note that has it."""
    fsrs_key: array
    """As ``sm2_key``, for FSRS's recall (kind, last review, interval, ease, FSRS state)."""
    fsrs_key_note: array
    rows: bytes | memoryview
    """Each card's row of ``due --json`` (and ``",\n"``), a ``bytes % values`` template (its own ``%``
    doubled) with two fields: ``%d`` its days overdue (``%s``, the day asked and 0, when the note has no
    ``next_review``) and ``%s`` its recall; in :func:`layout` order, so a queue's run of cards is one slice."""
    row_off: array
    row_sums: array | None = None
    """Loaded from the file: the checksum (XXH3-64) of each ``ROW_CHUNK`` of ``rows``, checked when a chunk is first
    used (:meth:`checked_rows`); None when built here."""
    tag_studied: array = None  # type: ignore[assignment]
    """Per tag: its studied cards (the recall's count; a note's recall is None only when never studied)."""
    tag_note_ptr: array = None  # type: ignore[assignment]
    """Per tag: where its notes start in ``tag_notes`` (the notes of each tag, in the deck's order)."""
    tag_notes: array = None  # type: ignore[assignment]
    tag_multi: array = None  # type: ignore[assignment]
    """The tags of more than one note (the others' figures are their one note's)."""
    tag_first: array = None  # type: ignore[assignment]
    """Per tag: its first note (a tag of one note: that note)."""
    recall_shown: array = None  # type: ignore[assignment]
    """The tags with studied cards, in ``recall_order``: the recall's ``tags``."""
    tag_rows: bytes | memoryview = b""
    """``stats --json``'s ``tags`` (the list), a ``bytes % values`` template (``%`` doubled): per
    tag one ``%s`` for its day-dependent counts (due, new, new today, to study) (:func:`stats_json`)…"""
    recall_rows: bytes | memoryview = b""
    """…and the recall's ``tags`` (the object): per tag with studied cards one ``%s``, its mean recall."""
    difficulty_counts: list[int] | None = None
    """Loaded from the file: the notes of each difficulty (None when built here: counted when asked)."""
    has_names: bool = True
    """False when loaded without ``tag_names``, ``tag_ptr`` and ``tag_ids`` (``names`` group: decoding
    100k names costs more than ``stats --json``'s whole answer, which needs none of them)."""
    has_rows: bool = True
    """False when loaded without the rows of ``due --json`` (``rows`` and ``row_off`` are empty)."""
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

    def due_runs(self, today: dt.date, new_room: int, limit: int | None = None) -> tuple[list[tuple[int, int]], int, int]:
        """``due_indices``' cards as runs ``[a, b)`` of positions in :func:`layout` order (the
        rows due before the day are one run), at most ``limit`` cards; and (cards to study, new ones)."""
        t = today.toordinal()
        base = 0
        parts: list[list[tuple[int, int]]] = []
        counts = []
        for dated, days, undated, room in ((self.review_dated, self.review_dated_days, self.review_undated, None),
                                           (self.new_dated, self.new_dated_days, self.new_undated, max(0, new_room))):
            u0 = base + len(dated)
            runs = _runs_on_or_before(dated, days, undated, t, self.sortkey, base, u0, room)
            parts.append(runs)
            counts.append(sum(b - a for a, b in runs))
            base = u0 + len(undated)
        runs = parts[0] + parts[1]
        if limit is not None:
            runs = _cut(runs, max(0, limit))
        return runs, counts[0] + counts[1], counts[1]

    def schedule_keys(self, algorithm: str) -> tuple[array, array]:
        """(each note's schedule id, a note of each id) for this algorithm's recall."""
        return (self.fsrs_key, self.fsrs_key_note) if algorithm == "fsrs" else (self.sm2_key, self.sm2_key_note)

    def checked_rows(self, runs: list[tuple[int, int]]) -> None:
        """DamagedColumns unless the chunks of ``rows`` these runs use match their checksums (a due list
        uses about half of a deck's rows: the rest is never read)."""
        sums = self.row_sums
        if sums is None:
            return
        from xxhash import xxh3_64_intdigest

        rows, off = self.rows, self.row_off
        chunks = set()
        for a, b in runs:
            if b > a:
                chunks.update(range(off[a] // ROW_CHUNK, (off[b] - 1) // ROW_CHUNK + 1))
        for c in chunks:
            if xxh3_64_intdigest(rows[c * ROW_CHUNK:(c + 1) * ROW_CHUNK]) != sums[c]:
                raise DamagedColumns("the columns' rows do not match their checksums")

    def studied_good(self) -> int:
        return self.n - self.kind.count(BROKEN)


def layout_of(queues) -> array:
    """The notes in the order the rows are kept: the dated review queue, the undated one, the dated
    new queue, the undated one (broken notes have no row); ``queues``: Columns or their dict."""
    get = queues.__getitem__ if isinstance(queues, dict) else queues.__getattribute__
    out = array("i", get("review_dated"))
    for q in ("review_undated", "new_dated", "new_undated"):
        out.extend(get(q))
    return out


def _runs_on_or_before(dated: array, days: array, undated: array, t: int, sortkey: array, base: int, u0: int,
                       room: int | None) -> list[tuple[int, int]]:
    """:func:`_on_or_before` (the first ``room``) as runs of positions: ``dated[i]`` at ``base + i``,
    ``undated[i]`` at ``u0 + i``; runs never cross from one to the other."""
    k = bisect_left(days, t)
    j = bisect_right(days, t, k)
    if not len(undated):
        runs = [(base, base + j)]
    elif j == k:
        runs = [(base, base + k), (u0, u0 + len(undated))]
    else:
        runs = [(base, base + k)]
        merged = heapq.merge(range(base + k, base + j), range(u0, u0 + len(undated)),
                             key=lambda p: sortkey[dated[p - base]] if p < u0 else sortkey[undated[p - u0]])
        if room is not None:
            merged = islice(merged, max(0, room - k))
        for p in merged:
            a, b = runs[-1]
            if p == b and (p != u0 or a >= u0):
                runs[-1] = (a, p + 1)
            else:
                runs.append((p, p + 1))
    runs = [(a, b) for a, b in runs if b > a]
    return _cut(runs, room) if room is not None else runs


def _cut(runs: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    out = []
    for a, b in runs:
        if limit <= 0:
            break
        out.append((a, min(b, a + limit)))
        limit -= out[-1][1] - a
    return out


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
