"""The last few frontmatter texts parsed are kept (#17: a grade parsed the same text four times).

A hit must be exactly what parsing the text gives, each caller's mapping its own, and a text
that differs by one byte (an editor's same-size save) must be parsed afresh.
"""

from __future__ import annotations

import datetime as dt

import pytest

from trainer import grading
from trainer.deck import Deck
from trainer.notes.parse import compose, load_yaml
from trainer.reviewlog import ReviewLog

TODAY = dt.date(2026, 11, 25)
FM = "tags: [a, b]\nnext_review: 2026-11-20\ninterval: 3\n"


def test_each_caller_gets_its_own_mapping():
    first, _ = load_yaml(FM)
    first["tags"].append("mutated")
    first["interval"] = 99
    again, dups = load_yaml(FM)
    assert again == {"tags": ["a", "b"], "next_review": dt.date(2026, 11, 20), "interval": 3}
    assert dups == []
    assert compose(FM).value[0][0].value == "tags"


def test_a_same_size_edit_is_parsed_afresh():
    assert load_yaml(FM)[0]["interval"] == 3
    assert load_yaml(FM.replace("3", "4"))[0]["interval"] == 4
    assert load_yaml(FM)[0]["interval"] == 3


def test_duplicates_and_anchors_as_before():
    text = "a: 1\na: 2\n"
    for _ in range(2):
        assert load_yaml(text) == ({"a": 2}, ["a"])
    anchored = "x: &v [1]\ny: *v\n"
    for _ in range(2):
        data, _ = load_yaml(anchored)
        assert data == {"x": [1], "y": [1]}


@pytest.fixture
def one_note(tmp_path, seed, write_note):
    """A deck of one note (``a.md``, due 2026-11-20) and its open log."""
    root = tmp_path / "d"
    write_note(root / "a.md", seed("A", next_review="2026-11-20"))
    deck = Deck(root)
    log = ReviewLog.open(deck.root)
    yield deck, log, root / "a.md"
    log.close()


def _grade_is_a_conflict(deck, log, note, path, theirs: bytes) -> None:
    """``theirs`` saved over the note (same size): the grade refuses and their bytes stay."""
    path.write_bytes(theirs)
    with pytest.raises(grading.Conflict):
        grading.grade(deck, log, note, 4, TODAY)
    assert path.read_bytes() == theirs


def test_grade_after_a_same_size_save_sees_the_new_schedule(one_note):
    """Read, then another program rewrites the schedule with the same size: the grade's re-read
    under the lock parses the new text (not the text parsed at the read) and keeps their version."""
    deck, log, path = one_note
    note = deck.load("a.md", TODAY)
    ours = path.read_bytes()
    theirs = ours.replace(b"review_count: 0", b"review_count: 7")
    assert theirs != ours and len(theirs) == len(ours)
    _grade_is_a_conflict(deck, log, note, path, theirs)


def test_the_card_read_for_the_screen_is_parsed_for_its_grade(tmp_path, seed, write_note):
    """``read_card`` (the study screen's read) parses the frontmatter on the way: the grade's read
    under the lock then finds that text parsed, and writes from what it read itself."""
    from trainer.notes import parse

    root = tmp_path / "d"
    write_note(root / "a.md", seed("A", next_review="2026-11-20"))
    path = root / "a.md"
    parse._recent.clear()
    body = parse.read_card(path)
    assert body.question == "A"
    yaml_text = parse.split_frontmatter(path.read_text(encoding="utf-8")).yaml
    assert yaml_text in parse._recent
    parse._recent.clear()
    parse.read_body(path)  # the plain read (search, interview) parses nothing
    assert yaml_text not in parse._recent


def test_a_save_between_the_card_shown_and_its_grade_is_seen(one_note):
    """The card is read for the screen, then another program changes its schedule (same size):
    the grade parses the text it reads under the lock, reports the conflict and keeps theirs."""
    from trainer.notes.parse import read_card

    deck, log, path = one_note
    note = deck.load("a.md", TODAY)
    read_card(path)
    theirs = path.read_bytes().replace(b"next_review: '2026-11-20'", b"next_review: '2026-11-21'")
    _grade_is_a_conflict(deck, log, note, path, theirs)
    # a body edit instead: the grade goes onto their text
    note = deck.load("a.md", TODAY)
    read_card(path)
    path.write_bytes(path.read_bytes().replace("短答案".encode(), "长答案".encode()))
    grading.grade(deck, log, note, 4, TODAY)
    assert "长答案" in path.read_text(encoding="utf-8")
    assert deck.load("a.md", TODAY).schedule.review_count == 1


def test_a_scan_keeps_none_of_its_texts_and_a_single_load_keeps_its_own(tmp_path, seed, write_note):
    """A scan parses each note once: keeping its texts cost a cold scan ~10 % and pushed out the
    text of the card on screen. ``Deck.load`` (one note, about to be graded) keeps its own."""
    from trainer.notes import parse

    root = tmp_path / "d"
    for i in range(6):
        write_note(root / f"n{i}.md", seed(f"Q{i}", next_review=f"2026-11-{10 + i}"))  # six texts
    parse._recent.clear()
    parse.read_card(root / "n0.md")  # the card on screen
    shown = parse.split_frontmatter((root / "n0.md").read_text(encoding="utf-8")).yaml
    scan = Deck(root).scan(TODAY)
    assert scan.parsed == 6 and len(scan.notes) == 6
    assert list(parse._recent) == [shown]
    Deck(root).load("n3.md", TODAY)
    assert parse.split_frontmatter((root / "n3.md").read_text(encoding="utf-8")).yaml in parse._recent
