"""A patch recomputes only the edited notes' tags (``columns.fresh._tag_values``, ``_splice``,
``_patched_keys``, #17): its per-tag values, templates and schedule ids are what a build from
scratch gives (the ids: the same grouping), on a deck where most tags have one note, as the seed's."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from trainer import columns
from trainer.cli import main
from trainer.deck import Deck

TODAY = "2026-11-25"
NOTE = """---
difficulty: {difficulty}
mastery_level: {mastery}
review_count: {count}
{dates}tags: {tags}
---
# Q{i}

Answer {i}.
"""
NAMES = ["a%b", 'q"uote', "x/y", "中文/标签", "plain"]


def note(i: int, *, studied: bool, mastery: float = 0.5, difficulty: str = "", due: str = "2026-11-24") -> str:
    dates = f"last_reviewed: 2026-11-20\nnext_review: {due}\n" if studied else ""
    difficulty = difficulty or ("easy", "medium", "hard")[i % 3]
    tags = f'["{NAMES[i % 5]}/n{i}", "shared"]' if i % 2 else f'["solo {i}%"]'
    return NOTE.format(i=i, difficulty=difficulty, mastery=mastery, count=2 if studied else 0, dates=dates, tags=tags.replace('q"', 'q\\"'))


def write(deck: Path, i: int, text: str) -> None:
    (deck / f"n{i:03d}.md").write_text(text, encoding="utf-8")


def current(deck: Path) -> columns.Columns:
    main(["--deck", str(deck), "--today", TODAY, "due", "--json"])
    return columns.load(deck, None, stamps=True)


EDITS = {  # note -> (studied, mastery[, difficulty, next review]) after the edit
    "a body-only edit": {5: (True, 0.5)},
    "a grade": {5: (True, 0.93), 8: (True, 0.1)},
    "first grades (recall rows added, one at each end)": {0: (True, 0.3), 3: (True, 0.3), 39: (True, 0.7)},
    "back to new (recall rows dropped)": {1: (False, 0.5), 2: (False, 0.0), 38: (False, 0.5)},
    "both at once": {0: (True, 0.25), 1: (False, 0.5), 20: (True, 0.123456), 21: (False, 0.5)},
    "a difficulty and days (the queues' order)": {4: (True, 0.5, "hard", "2026-12-01"), 5: (True, 0.5, "easy", "2026-11-02"),
                                                  6: (False, 0.5, "easy"), 7: (True, 0.5, "medium", "2026-11-24")},
}


@pytest.mark.parametrize("name", EDITS)
def test_a_patch_is_a_build(tmp_path, capsys, name):
    deck = tmp_path / "deck"
    deck.mkdir()
    for i in range(40):
        write(deck, i, note(i, studied=i % 3 != 0, mastery=round(i / 40, 2)))
    time.sleep(0.03)
    current(deck)
    for i, edit in EDITS[name].items():
        write(deck, i, note(i, studied=edit[0], mastery=edit[1], difficulty=edit[2] if len(edit) > 2 else "",
                            due=edit[3] if len(edit) > 3 else "2026-11-24") + "\nedited\n")
    time.sleep(0.03)
    fresh = columns.fresh(Deck(deck), dt.date.fromisoformat(TODAY), save=False)
    assert fresh.rebuilt and fresh.scan is None  # patched
    got = fresh.columns
    (deck / ".trainer" / "scan-columns.bin").unlink()
    want = current(deck)
    capsys.readouterr()
    for field in ("tag_rows", "recall_rows", "rows", "kind"):
        assert bytes(getattr(got, field)) == bytes(getattr(want, field)), field
    for field in ("tag_mastery", "tag_studied", "recall_shown", "tag_note_ptr", "tag_notes", "tag_first", "row_off",
                  "review_dated", "review_dated_days", "review_undated", "new_dated", "new_dated_days", "new_undated",
                  "sortkey", "difficulty", "day", "last"):
        assert getattr(got, field).tobytes() == getattr(want, field).tobytes(), field
    assert got.mastery_sum == want.mastery_sum
    for algorithm in ("sm2", "fsrs"):
        (key, key_note), (ref, ref_note) = got.schedule_keys(algorithm), want.schedule_keys(algorithm)
        assert len(key_note) == len(ref_note)
        assert all(key[key_note[k]] == k for k in range(len(key_note)))
        pairs = set(zip(key.tolist(), ref.tolist()))  # the same grouping: a one-to-one map of ids
        assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs}) == len(ref_note)
