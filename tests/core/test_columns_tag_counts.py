"""Per-tag (due, new) counts from each tag's notes (``columns.answers.tag_counts_by_tag_notes``, the
app's first frame, #17) are the counts the notes give, on every day and deck shape."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from trainer import figures
from trainer.columns import answers, fresh
from trainer.deck import Deck

DAY = dt.date(2026, 11, 25)


def _deck(root, seed, write_note, shape: str):
    """Notes due, not due, undated, new, broken, untagged; ``seed`` shape: a nested tag per note."""
    rnd = random.Random(shape)
    for q in range(120):
        topic = f"Topic{q % 4}"
        tags = (topic, f"{topic}/Q {q}.md") if shape == "seed" else tuple(
            rnd.sample([topic, "Shared", "Shared/Deep", "Shared/Deep/Er", "语言"], rnd.randint(0, 3)))
        text = seed(f"Q {q}", tags=tags, next_review=f"2026-{rnd.randint(10, 12):02d}-{rnd.randint(1, 28):02d}")
        if q % 3:
            text = text.replace("last_reviewed: null", "last_reviewed: '2026-09-01'").replace("review_count: 0", "review_count: 2")
        if q % 17 == 0:
            text = text.replace("next_review: ", "old_next_review: ")
        write_note(root / f"d{q % 5}" / f"q{q}.md", text)
    write_note(root / "broken.md", "---\nthis: [is not yaml\n---\n# x\n")
    return root


@pytest.mark.parametrize("shape", ["seed", "mixed"])
def test_counts_by_tag_notes_are_the_notes_counts(tmp_path, seed, write_note, shape):
    root = _deck(tmp_path / shape, seed, write_note, shape)
    cols = fresh(Deck(root), DAY).columns
    assert cols is not None
    for day in (DAY - dt.timedelta(days=60), DAY, DAY + dt.timedelta(days=9), DAY + dt.timedelta(days=40)):
        got = answers.tag_counts_by_tag_notes(cols, day)
        assert got is not None
        want = figures.compute(Deck(root).scan(day).notes, day, new_per_day=10**6).tags  # (a note without a date: due the day asked)
        names = cols.tag_names
        assert {names[i]: (got[0][i], got[1][i]) for i in range(len(names))} == {
            tag: (f.due, f.new) for tag, f in want.items()}, day
        assert got == answers.tag_counts(cols, day, numpy=True)


def test_columns_without_the_tag_notes_are_counted_by_closures(tmp_path, seed, write_note):
    import dataclasses

    root = _deck(tmp_path / "d", seed, write_note, "mixed")
    cols = fresh(Deck(root), DAY).columns
    bare = dataclasses.replace(cols, tag_first=None)
    assert answers.tag_counts_by_tag_notes(bare, DAY) is None
    assert answers.tag_counts(bare, DAY, numpy=False) == answers.tag_counts(cols, DAY, numpy=True)
    odd = dataclasses.replace(cols, tag_multi=cols.tag_multi[:-1])  # a tag of several notes not listed
    assert answers.tag_counts_by_tag_notes(odd, DAY) is None
