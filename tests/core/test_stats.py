"""Deck statistics (SPEC §5 `trainer stats`): counts, retention, mastery by nested tag, forecast."""

from __future__ import annotations

import datetime as dt

from trainer import grading, stats
from trainer.deck import Deck
from trainer.reviewlog import ReviewLog

TODAY = dt.date(2026, 11, 25)


def make(root, seed, write_note):
    write_note(root / "a.md", seed("A", tags=("Transformer", "Transformer/Attention")))
    write_note(root / "b.md", seed("B", tags=("Transformer/Attention/QKV",), next_review="2026-11-27"))
    write_note(root / "c.md", seed("C", tags=("Training",), next_review="2026-12-31", difficulty="hard"))
    write_note(root / "bad.md", "---\n- x\n---\n")


def test_compute(tmp_path, seed, write_note):
    root = tmp_path / "d"
    make(root, seed, write_note)
    deck = Deck(root)
    log = ReviewLog.open(deck.root)
    try:
        grading.grade(deck, log, deck.load("a.md", TODAY), 5, TODAY)
        grading.grade(deck, log, deck.load("a.md", TODAY), 1, TODAY)  # re-drill: not a retention sample
        grading.grade(deck, log, deck.load("b.md", TODAY), 2, TODAY)
        grading.grade(deck, log, deck.load("c.md", TODAY), 3, TODAY)
        grading.undo_last(deck, log, TODAY)  # c's review no longer counts
        s = stats.compute(deck.scan(TODAY).notes, log, TODAY, days=7, history=7)
    finally:
        log.close()
    assert s.reviews_total == 2
    assert s.retention == 0.5
    assert s.counts == {"due": 0, "overdue": 0, "new": 0, "total": 4, "problems": 1}
    assert s.difficulty == {"medium": 2, "hard": 1}
    assert s.mean_mastery == round((0.3 + 0.12 + 0.0) / 3, 3)
    assert s.reviews_per_day[-1] == (TODAY, 3)  # two reviews and a re-drill today
    assert [d for d, _ in s.reviews_per_day] == [TODAY - dt.timedelta(days=6 - i) for i in range(7)]
    # forecast: a due 2026-11-26 (graded 5, interval 1), b due 11-26 (graded 2), c beyond the window
    assert s.forecast[1] == (TODAY + dt.timedelta(days=1), 2)
    assert sum(n for _, n in s.forecast) == 2
    tags = {t.tag: t for t in s.tags}
    assert tags["Transformer"].cards == 2  # nested tags count for their parents
    assert tags["Transformer/Attention"].cards == 2
    assert tags["Transformer/Attention/QKV"].cards == 1
    assert tags["Transformer"].mastery == round((0.3 + 0.12) / 2, 3)
    assert tags["Training"].cards == 1
    j = s.to_json()
    assert j["today"] == "2026-11-25" and j["forecast"][0] == {"day": "2026-11-25", "due": 0}


def test_empty_deck(tmp_path):
    (tmp_path / "e").mkdir()
    s = stats.compute([], ReviewLog.memory(), TODAY)
    assert s.retention is None and s.mean_mastery == 0.0 and s.reviews_total == 0
    assert len(s.forecast) == 30


def test_tag_prefixes_and_sort():
    assert stats.tag_prefixes("A/B/C") == ["A", "A/B", "A/B/C"]
    assert stats.tag_prefixes("/A//B/") == ["A", "A/B"]
    assert sorted(["item10", "Item2", "item1"], key=stats.sort_key) == ["item1", "Item2", "item10"]
