"""Per-tag figures (``figures.compute``'s tags, ``memory.recall_summary``'s tags) stay exactly what
the straightforward algorithm gives, whatever the shape of the deck's tags (#17 made them fast).

``_reference_tags`` and ``_reference_recall_tags`` are the code as it was before #17: a prefix list
per tag per note, summed per prefix, sorted with ``tag_sort_key``. The fast code must give the
same dict in the same order, on decks of random tags (hypothesis) and on a real seed-shaped deck.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from pathlib import Path

from hypothesis import given, settings, strategies as st

from trainer import figures, memory
from trainer.config import Settings
from trainer.deck import Deck
from trainer.notes.model import Note, Schedule
from trainer.tags import sort_tags, tag_order_key, tag_prefixes, tag_sort_key

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 25)


def _reference_tags(notes, today, new_per_day, new_started=0) -> dict[str, figures.TagFigures]:
    room = figures.new_room(new_per_day, new_started)
    agg: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0.0])
    for n in notes:
        if n.fatal:
            continue
        s = n.schedule
        due = new = 0
        if s.next_review <= today:
            if s.review_count == 0 and s.last_reviewed is None:
                new = 1
            else:
                due = 1
        seen: dict[str, None] = {}  # in the tags' order (tags that sort as equals keep their first appearance)
        for tag in n.tags:
            seen.update(dict.fromkeys(tag_prefixes(tag)))
        if not n.tags:
            seen[""] = None
        for t in seen:
            a = agg[t]
            a[0] += 1
            a[1] += due
            a[2] += new
            a[3] += s.mastery_level
    return {
        t: figures.TagFigures(a[0], a[1], a[2], min(a[2], room), round(a[3] / a[0], 3) if a[0] else 0.0)
        for t, a in sorted(agg.items(), key=lambda kv: (kv[0] == "", tag_sort_key(kv[0])))
    }


def _reference_recall_tags(notes, day, settings) -> dict:
    tags: dict[str, list[float]] = {}
    for n in notes:
        if n.fatal:
            continue
        r = memory.recall(n.schedule, day, settings)
        if r is None:
            continue
        seen: set[str] = set()
        for tag in n.tags:
            # One prefix rule for counts and recall: empty parts are ignored (``A//B`` counts for A, A/B).
            parts = [p for p in tag.strip("/").split("/") if p]
            for k in range(1, len(parts) + 1):
                prefix = "/".join(parts[:k])
                if prefix and prefix not in seen:
                    seen.add(prefix)
                    acc = tags.setdefault(prefix, [0, 0.0])
                    acc[0] += 1
                    acc[1] += r
    return {t: {"studied": int(n), "recall": round(s / n, 4)} for t, (n, s) in sorted(tags.items())}


def _check(notes, new_per_day=5, new_started=1) -> None:
    got = figures.compute(notes, TODAY, new_per_day=new_per_day, new_started=new_started, days=7).tags
    want = _reference_tags(notes, TODAY, new_per_day, new_started)
    assert list(got.items()) == list(want.items())  # same figures, same order
    for algorithm in ("sm2", "fsrs"):
        s = Settings(algorithm=algorithm)
        got_r = memory.recall_summary(notes, TODAY, s)["tags"]
        want_r = _reference_recall_tags(notes, TODAY, s)
        assert list(got_r.items()) == list(want_r.items())


_PART = st.text(alphabet="aAbB09 ._-注意力Ω", min_size=0, max_size=4)
_TAG = st.lists(_PART, min_size=1, max_size=4).map("/".join) | st.sampled_from(
    ["A", "a", "A/B", "/A//B/", "item2", "Item10", "x/", "/", "", "注意力/多头", "Transformer/Q 1.md"])


@st.composite
def _notes(draw):
    out = []
    for i in range(draw(st.integers(0, 25))):
        new = draw(st.booleans())
        last = None if new else TODAY - dt.timedelta(days=draw(st.integers(0, 60)))
        sched = Schedule(
            created=TODAY - dt.timedelta(days=90),
            last_reviewed=last,
            next_review=TODAY + dt.timedelta(days=draw(st.integers(-5, 10))),
            review_count=0 if new else draw(st.integers(1, 9)),
            mastery_level=draw(st.sampled_from([0.0, 0.1, 0.333, 0.5, 1.0])),
            ease_factor=draw(st.sampled_from([1.3, 2.5, 2.8])),
            interval=0 if new else draw(st.integers(1, 40)),
            stability=None if new or draw(st.booleans()) else draw(st.sampled_from([0.5, 3.0, 40.0])),
            fsrs_difficulty=None,
        )
        if sched.stability is not None:
            sched.fsrs_difficulty = 5.0
        tags = tuple(draw(st.lists(_TAG, max_size=4)))
        out.append(Note(rel=f"n{i}.md", question=f"Q{i}", difficulty="medium", tags=tags, demos=(),
                        schedule=sched, present=frozenset(), fatal=draw(st.integers(0, 9)) == 0))
    return out


@settings(max_examples=300, deadline=None)
@given(_notes(), st.integers(0, 30), st.integers(0, 30))
def test_random_tags_same_figures_as_reference(notes, new_per_day, new_started):
    _check(notes, new_per_day, new_started)


def test_seed_shaped_deck_same_figures_as_reference(tmp_path):
    """A real deck on disk, one distinct nested tag per note (the seed's shape), plus the mixed shape."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import gen_deck

    for shape in ("seed", "mixed"):
        root = tmp_path / shape
        gen_deck.generate(root, 300, seed=7, shape=shape)
        notes = Deck(root).scan(TODAY).notes
        assert len(notes) == 300
        if shape == "seed":
            assert len({t for n in notes for t in n.tags}) > 250  # the shape the test is about
        _check(notes, new_per_day=20, new_started=3)


_TAG_TEXT = st.text(alphabet=st.sampled_from(list("aAbBzZß09１٣²/ ._-注意力Ωİ\x01")), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TAG_TEXT, max_size=30))
def test_sort_tags_orders_as_tag_sort_key(tags):
    """The string key sorts exactly as the tuple key, ties (``A``/``a``, ``07``/``7``) in input order."""
    try:
        want = sorted(tags, key=tag_sort_key)
    except ValueError:  # a run of '²'-like characters after a digit: tag_sort_key cannot int() it
        return
    assert sort_tags(tags) == want
    clean = [t for t in tags if "\x01" not in t]
    assert sort_tags(clean) == sorted(clean, key=tag_sort_key)  # the fast key's own path
    for a, b in zip(clean, clean[1:]):
        assert (tag_order_key(a) < tag_order_key(b)) == (tag_sort_key(a) < tag_sort_key(b))
        assert (tag_order_key(a) == tag_order_key(b)) == (tag_sort_key(a) == tag_sort_key(b))
