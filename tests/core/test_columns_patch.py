"""A few edited notes update the columns in place (``trainer.columns.patch``, #17): what the
commands print afterwards is what ``--no-cache`` prints, and an edit the patch cannot take
(tags, a broken note, a new difficulty, a note added or removed) builds the columns again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from trainer import clock, columns
from trainer.cli import main
from trainer.deck import Deck

TODAY = "2026-11-25"
VARIANTS = (("due", "--json"), ("stats", "--json"), ("stats",), ("due",))

NOTE = """---
difficulty: {difficulty}
mastery_level: {mastery}
review_count: {count}
{last}{next}tags: {tags}
---
# Q{i}: 为什么 {i}?

Answer {i}.
"""


def note_text(i: int, *, difficulty="medium", mastery=0.5, count=2, last="2026-11-20", nxt="2026-11-24",
              tags="[ml, ml/attention]") -> str:
    return NOTE.format(i=i, difficulty=difficulty, mastery=mastery, count=count,
                       last=f"last_reviewed: {last}\n" if last else "", next=f"next_review: {nxt}\n" if nxt else "",
                       tags=tags)


@pytest.fixture(autouse=True)
def _no_day_override():
    yield
    clock.set_today(None)


def make_deck(root: Path, n: int = 150) -> Path:
    for i in range(n):
        p = root / f"t{i % 3}" / f"n{i:03d}.md"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(note_text(i, difficulty=("easy", "medium", "hard")[i % 3], mastery=round((i % 10) / 10, 2),
                               count=0 if i % 4 == 0 else 2, last=None if i % 4 == 0 else "2026-11-20",
                               nxt=f"2026-11-{10 + i % 20:02d}", tags=f"[t{i % 5}, t{i % 5}/s{i % 7}]"),
                     encoding="utf-8")
    return root


def run(capsysbinary, deck: Path, *args: str):
    capsysbinary.readouterr()
    rc = main(["--deck", str(deck), "--today", TODAY, *args])
    out, err = capsysbinary.readouterr()
    assert b"Traceback" not in err
    return rc, out, err


def same_as_no_cache(capsysbinary, deck: Path) -> None:
    for args in VARIANTS:
        got = run(capsysbinary, deck, *args)
        ref = run(capsysbinary, deck, *args, "--no-cache")
        assert got == ref, args


def how_updated(deck: Path) -> str:
    """What the next command would do with the columns: 'same', 'patched' or 'rebuilt' (saves nothing)."""
    fresh = columns.fresh(Deck(deck), dt.date.fromisoformat(TODAY), save=False)
    return "same" if not fresh.rebuilt else "patched" if fresh.scan is None else "rebuilt"


EDITS = {  # name: (an edit of note i, what the columns do with it)
    "grade": (lambda i: note_text(i, mastery=0.93, count=3, last="2026-11-25", nxt="2026-12-09"), "patched"),
    "first grade of a new card": (lambda i: note_text(i, count=1, last="2026-11-25", nxt="2026-11-26"), "patched"),
    "back to new, no next_review": (lambda i: note_text(i, count=0, last=None, nxt=None), "patched"),
    "difficulty within the deck's": (lambda i: note_text(i, difficulty="hard"), "patched"),
    "mastery at a rounding edge": (lambda i: note_text(i, mastery=0.0005), "patched"),
    "tags changed": (lambda i: note_text(i, tags="[other]"), "rebuilt"),
    "tags reordered": (lambda i: note_text(i, tags="[ml/attention, ml]"), "rebuilt"),
    "a new difficulty name": (lambda i: note_text(i, difficulty="brutal"), "rebuilt"),
    "broken frontmatter": (lambda i: "---\nfoo: [\n---\nbody\n", "rebuilt"),
    "a bad value": (lambda i: note_text(i, mastery="lots"), "rebuilt"),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_an_edit_is_patched_or_rebuilt_and_prints_what_no_cache_prints(tmp_path, capsysbinary, name):
    deck = make_deck(tmp_path / "deck")
    run(capsysbinary, deck, "due", "--json")  # the columns are built
    edit, expected = EDITS[name]
    for i in (7, 64):  # (an edit of the same note that keeps the tags is still patched)
        (deck / f"t{i % 3}" / f"n{i:03d}.md").write_text(edit(i).replace("ml/attention", f"t{i % 5}/s{i % 7}")
                                                       .replace("[ml, ", f"[t{i % 5}, ").replace(", ml]", f", t{i % 5}]"),
                                                       encoding="utf-8")
    assert how_updated(deck) == expected
    same_as_no_cache(capsysbinary, deck)
    assert how_updated(deck) == "same"  # (the command saved what it computed)


def test_added_removed_and_renamed_notes_rebuild(tmp_path, capsysbinary):
    deck = make_deck(tmp_path / "deck")
    run(capsysbinary, deck, "stats", "--json")
    (deck / "t0" / "extra.md").write_text(note_text(999), encoding="utf-8")
    assert how_updated(deck) == "rebuilt"
    same_as_no_cache(capsysbinary, deck)
    (deck / "t0" / "n000.md").unlink()
    assert how_updated(deck) == "rebuilt"
    same_as_no_cache(capsysbinary, deck)
    (deck / "t1" / "n001.md").rename(deck / "t1" / "renamed.md")
    assert how_updated(deck) == "rebuilt"
    same_as_no_cache(capsysbinary, deck)


def test_too_many_edits_rebuild(tmp_path, capsysbinary):
    deck = make_deck(tmp_path / "deck", n=150)
    run(capsysbinary, deck, "due", "--json")
    for i in range(0, 20):  # more than 16 (and 1 % of 150)
        (deck / f"t{i % 3}" / f"n{i:03d}.md").write_text(
            note_text(i, mastery=0.11, tags=f"[t{i % 5}, t{i % 5}/s{i % 7}]", difficulty=("easy", "medium", "hard")[i % 3]),
            encoding="utf-8")
    assert how_updated(deck) == "rebuilt"
    same_as_no_cache(capsysbinary, deck)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 149), st.sampled_from(list(EDITS))), min_size=1, max_size=3))
def test_random_edits_print_what_no_cache_prints(tmp_path_factory, capsysbinary, edits):
    deck = make_deck(tmp_path_factory.mktemp("deck"))
    run(capsysbinary, deck, "due", "--json")
    for i, name in edits:
        text = EDITS[name][0](i).replace("ml/attention", f"t{i % 5}/s{i % 7}").replace("[ml, ", f"[t{i % 5}, ") \
            .replace(", ml]", f", t{i % 5}]")
        (deck / f"t{i % 3}" / f"n{i:03d}.md").write_text(text, encoding="utf-8")
    same_as_no_cache(capsysbinary, deck)


@pytest.mark.parametrize("numpy_from", [0, 10**9])
def test_numpy_and_plain_python_counts_print_the_same(tmp_path, capsysbinary, monkeypatch, numpy_from):
    """Large decks count per tag with numpy, small ones in plain Python: both print --no-cache's bytes."""
    monkeypatch.setattr(columns.answers, "NUMPY_FROM", numpy_from)
    deck = make_deck(tmp_path / "deck", n=90)
    (deck / "t0" / "untagged.md").write_text(note_text(500, tags="[]"), encoding="utf-8")
    (deck / "t1" / "fsrs.md").write_text(note_text(501, tags="[t1, x/y/z]").replace(
        "tags:", "stability: 3.2\nfsrs_difficulty: 5.5\ntags:"), encoding="utf-8")
    run(capsysbinary, deck, "due", "--json")
    same_as_no_cache(capsysbinary, deck)
    (deck / "trainer.toml").write_text('[scheduler]\nalgorithm = "fsrs"\n', encoding="utf-8")
    same_as_no_cache(capsysbinary, deck)


def test_planted_values_no_build_writes_are_answered_from_the_notes(tmp_path, capsysbinary):
    """A file with right checksums and shapes but values no build writes (a negative FSRS stability,
    a NaN ease, an interval of zero): the command answers from the notes, no traceback."""
    import dataclasses
    from array import array

    deck = make_deck(tmp_path / "deck", n=30)
    (deck / "trainer.toml").write_text('[scheduler]\nalgorithm = "fsrs"\n', encoding="utf-8")
    run(capsysbinary, deck, "stats", "--json")
    cols = columns.load(deck, None, stamps=True)
    n = cols.n
    bad = dataclasses.replace(cols, stability=array("d", [-1.0] * n), fsrs_d=array("d", [5.0] * n),
                              ease=array("d", [float("nan")] * n), interval=array("d", [0.0] * n))
    columns.save_columns(deck, bad)
    assert columns.load(deck, cols.digest) is not None  # it passes every check of the file itself
    same_as_no_cache(capsysbinary, deck)


@pytest.mark.parametrize("first", VARIANTS)
def test_the_command_that_patches_answers_from_the_patched_columns(tmp_path, capsysbinary, first):
    """The first command after an edit answers from the columns it has just patched (nothing carried
    over from the file read before the patch: a difficulty's count, the rows' checksums)."""
    deck = make_deck(tmp_path / "deck", n=60)
    run(capsysbinary, deck, "stats", "--json")
    for i in (7, 8):
        (deck / f"t{i % 3}" / f"n{i:03d}.md").write_text(
            note_text(i, difficulty="hard", mastery=0.75, tags=f"[t{i % 5}, t{i % 5}/s{i % 7}]"), encoding="utf-8")
    assert how_updated(deck) == "patched"
    got = run(capsysbinary, deck, *first)
    assert got == run(capsysbinary, deck, *first, "--no-cache"), first
