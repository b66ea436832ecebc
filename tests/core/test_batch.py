"""`trainer schedule` planning (batch.plan_schedule / apply_plan) on real notes."""

from __future__ import annotations

import datetime as dt

from trainer.batch import apply_plan, plan_schedule
from trainer.deck import Deck
from trainer.notes.parse import parse_note

TODAY = dt.date(2026, 11, 25)


def test_plan_caps_each_day_and_keeps_order(tmp_path, seed, write_note):
    root = tmp_path / "d"
    for i in range(30):  # overdue reviews, most overdue = lowest i
        text = seed(f"r{i}", next_review=(TODAY - dt.timedelta(days=30 - i)).isoformat())
        text = text.replace("last_reviewed: null", "last_reviewed: '2026-01-01'").replace("review_count: 0", "review_count: 1")
        write_note(root / f"r{i:02d}.md", text)
    for i in range(12):
        write_note(root / f"n{i:02d}.md", seed(f"n{i}", next_review=TODAY.isoformat()))
    write_note(root / "future.md", seed("f", next_review=(TODAY + dt.timedelta(days=1)).isoformat()))
    deck = Deck(root)
    notes = deck.scan(TODAY).notes
    plan = plan_schedule(notes, TODAY, per_day=10, new_per_day=4, days=7)
    days = {d: (due, new) for d, due, new in plan.forecast}
    assert all(due + new <= 10 for due, new in days.values())
    assert all(new <= 4 for _, new in days.values())
    assert sum(due + new for due, new in days.values()) == 43
    moved = {c.rel: c.updates["next_review"] for c in plan.changes if "next_review" in c.updates}
    # the most overdue stay today; later ones move, in order
    assert "r00.md" not in moved and "r09.md" not in moved
    assert moved["r10.md"] <= moved["r29.md"]
    assert plan.filled == 0  # every standard key is there already
    assert apply_plan(deck, plan) == []
    after = Deck(root).scan(TODAY, use_cache=False).notes
    for n in after:
        if n.rel in moved:
            assert n.schedule.next_review == moved[n.rel]
    # nothing but next_review changed in a moved note
    p = root / "r29.md"
    lines = p.read_text().splitlines()
    assert [ln for ln in lines if not ln.startswith("next_review")] == [
        ln for ln in seed("r29", next_review="x").replace("last_reviewed: null", "last_reviewed: '2026-01-01'")
        .replace("review_count: 0", "review_count: 1").splitlines() if not ln.startswith("next_review")]


def test_fill_missing_keys(tmp_path, write_note):
    root = tmp_path / "d"
    p = write_note(root / "bare.md", "# Q\n\nanswer\n")
    deck = Deck(root)
    plan = plan_schedule(deck.scan(TODAY).notes, TODAY)
    assert plan.filled == 1
    assert apply_plan(deck, plan) == []
    n = parse_note(p.read_bytes(), "bare.md")
    assert not n.problems
    assert {"created", "last_reviewed", "next_review", "review_count", "difficulty", "mastery_level", "tags",
            "related_outlines"} <= n.present
    assert p.read_text().endswith("---\n# Q\n\nanswer\n")
    assert n.schedule.next_review == TODAY


def test_apply_plan_reports_conflict(tmp_path, seed, write_note):
    root = tmp_path / "d"
    p = write_note(root / "a.md", seed("A").replace("review_count: 0\n", ""))
    deck = Deck(root)
    plan = plan_schedule(deck.scan(TODAY).notes, TODAY)
    theirs = p.read_text().replace("last_reviewed: null", "last_reviewed: '2026-11-20'")
    p.write_text(theirs)
    failures = apply_plan(deck, plan)
    assert len(failures) == 1 and failures[0].startswith("a.md: schedule:")
    assert p.read_text() == theirs
