"""Deck statistics (SPEC §5 `trainer stats`): counts, retention, mastery by nested tag, forecast."""

from __future__ import annotations

import datetime as dt

from trainer import figures, grading, stats
from trainer.deck import Deck
from trainer.tags import tag_prefixes, tag_sort_key
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
        notes = deck.scan(TODAY).notes
        figs = figures.compute(notes, TODAY, new_per_day=20, new_started=log.new_cards_on(TODAY), days=7)
        s = stats.compute(notes, figs, log, history_days=7)
    finally:
        log.close()
    h, f = s.history, s.figures
    assert h.reviews_total == 2
    assert h.retention == 0.5
    assert f.counts() == {"to_study": 0, "due": 0, "overdue": 0, "new": 0, "new_today": 0, "new_per_day": 20,
                          "new_started": 2, "total": 4, "problems": 1}
    assert s.difficulty == {"medium": 2, "hard": 1}
    assert f.mastery == round((0.3 + 0.12 + 0.0) / 3, 3)
    assert h.reviews_per_day[-1] == (TODAY, 3)  # two reviews and a re-drill today
    assert [d for d, _ in h.reviews_per_day] == [TODAY - dt.timedelta(days=6 - i) for i in range(7)]
    # forecast: a due 2026-11-26 (graded 5, interval 1), b due 11-26 (graded 2), c beyond the window
    assert f.forecast[1] == (TODAY + dt.timedelta(days=1), 2)
    assert sum(n for _, n in f.forecast) == 2
    tags = {t: g for t, g in f.tags.items()}
    assert tags["Transformer"].cards == 2  # nested tags count for their parents
    assert tags["Transformer/Attention"].cards == 2
    assert tags["Transformer/Attention/QKV"].cards == 1
    assert tags["Transformer"].mastery == round((0.3 + 0.12) / 2, 3)
    assert tags["Training"].cards == 1
    j = s.to_json()
    assert j["today"] == "2026-11-25" and j["forecast"][0] == {"day": "2026-11-25", "cards": 0}


def test_empty_deck(tmp_path):
    (tmp_path / "e").mkdir()
    s = stats.compute([], figures.compute([], TODAY, new_per_day=20), ReviewLog.memory())
    assert s.history.retention is None and s.figures.mastery == 0.0 and s.history.reviews_total == 0
    assert len(s.figures.forecast) == 30


def test_tag_prefixes_and_sort():
    assert tag_prefixes("A/B/C") == ["A", "A/B", "A/B/C"]
    assert tag_prefixes("/A//B/") == ["A", "A/B"]
    assert sorted(["item10", "Item2", "item1"], key=tag_sort_key) == ["item1", "Item2", "item10"]
