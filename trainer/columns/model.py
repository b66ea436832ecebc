"""The columns' shape: what one file holds for a deck, per note and per tag (see ``trainer.columns``)."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
import datetime as dt
import heapq
from itertools import chain, islice

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
