"""Regressions from the write-back safety review: each case once damaged a note or a file."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainer import grading
from trainer.batch import apply_plan, plan_schedule
from trainer.deck import Deck
from trainer.importers import run_import
from trainer.notes.parse import NoteError, parse_note
from trainer.notes.write import REMOVE, Raw, edit_frontmatter
from trainer.reviewlog import ReviewLog

TODAY = dt.date(2026, 1, 10)


def test_block_list_as_last_key_keeps_the_closing_line():
    text = "---\nrelated_outlines: []\ntags:\n- Transformer/Attention\n---\n# Q\n\n---\nrule above\n"
    out = edit_frontmatter(text, {"tags": ["a", "b"]}).text
    assert out == "---\nrelated_outlines: []\ntags: [a, b]\n---\n# Q\n\n---\nrule above\n"


def test_block_scalar_edit_keeps_blank_lines_and_comments_and_undoes_exactly():
    text = "---\nrepetitions: |\n  1\n\n# keep me\nnext_review: 2025-01-01\n---\nbody\n"
    edit = edit_frontmatter(text, {"repetitions": 2})
    assert edit.text == "---\nrepetitions: 2\n\n# keep me\nnext_review: 2025-01-01\n---\nbody\n"
    assert edit_frontmatter(edit.text, {"repetitions": Raw(edit.old_raw["repetitions"])}).text == text


def test_flow_mapping_comment_survives_grade_and_undo():
    text = "---\n{a: 1 # c, d\n}\n---\nx\n"
    added = edit_frontmatter(text, {"last_reviewed": dt.date(2026, 1, 1)}).text
    assert added.startswith("---\n{a: 1 # c, d\n, last_reviewed: '2026-01-01'}")
    assert edit_frontmatter(added, {"last_reviewed": REMOVE}).text == text


@pytest.mark.parametrize("text", ["---\n~\n---\nx\n", "---\na: 1\n? next_review\n---\nx\n", "---\n? next_review\nother: 1\n---\nx\n"])
def test_frontmatter_that_cannot_be_edited_is_a_note_error(text):
    with pytest.raises(NoteError):
        edit_frontmatter(text, {"next_review": dt.date(2026, 1, 1)})


def test_cache_symlink_pointing_outside_is_never_written_through(tmp_path: Path):
    deck_dir = tmp_path / "deck"
    (deck_dir / ".trainer").mkdir(parents=True)
    (deck_dir / "n.md").write_text("# Q\n")
    precious = tmp_path / "bashrc"
    precious.write_text("export PATH=/usr/bin\n")
    (deck_dir / ".trainer" / "scan-cache.pickle").symlink_to(precious)
    Deck(deck_dir).scan(TODAY)
    assert precious.read_text() == "export PATH=/usr/bin\n"


def test_symlinked_state_folder_is_refused_for_the_log(tmp_path: Path):
    deck_dir = tmp_path / "deck"
    deck_dir.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (deck_dir / ".trainer").symlink_to(elsewhere)
    with pytest.raises(OSError):
        ReviewLog.open(deck_dir)
    assert list(elsewhere.iterdir()) == []


def test_note_emptied_mid_save_is_not_graded(tmp_path: Path):
    """An editor saving in place truncates first: a grade in that instant must not write."""
    (tmp_path / "n.md").write_text("# Q\n\n## A\n" + "long answer\n" * 100)
    deck = Deck(tmp_path)
    log = ReviewLog.open(deck.root)
    note = deck.scan(TODAY).notes[0]
    os.truncate(tmp_path / "n.md", 0)
    os.utime(tmp_path / "n.md", ns=(note.mtime_ns + 10**9, note.mtime_ns + 10**9))
    with pytest.raises(grading.Conflict):
        grading.grade(deck, log, note, 4, TODAY)
    assert (tmp_path / "n.md").read_bytes() == b""
    assert list(log.rows()) == []


def test_undo_never_writes_through_a_folder_swapped_for_a_symlink(tmp_path: Path):
    deck_dir = tmp_path / "deck"
    (deck_dir / "sub").mkdir(parents=True)
    (deck_dir / "sub" / "n.md").write_text("# Q\n")
    deck = Deck(deck_dir)
    log = ReviewLog.open(deck.root)
    grading.grade(deck, log, deck.scan(TODAY).notes[0], 4, TODAY)
    outside = tmp_path / "moved"
    (deck_dir / "sub").rename(outside)
    (deck_dir / "sub").symlink_to(outside)
    before = (outside / "n.md").read_bytes()
    with pytest.raises(OSError):
        grading.undo_last(deck, log, TODAY)
    assert (outside / "n.md").read_bytes() == before


def test_schedule_leaves_a_bad_next_review_alone(tmp_path: Path):
    for i in range(4):
        (tmp_path / f"n{i}.md").write_text(
            f"---\nnext_review: 2026-01-0{i + 1}\nreview_count: 3\nlast_reviewed: 2025-12-20\n---\n# Q{i}\n"
        )
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\nnext_review: someday   # when I feel like it\nreview_count: 2\nlast_reviewed: 2025-12-20\n---\n# Q\n")
    original = bad.read_bytes()
    deck = Deck(tmp_path)
    plan = plan_schedule(deck.scan(TODAY).notes, TODAY, per_day=1)
    assert plan.moved >= 3
    assert [n.rel for n in plan.held] == ["bad.md"]
    assert apply_plan(deck, plan) == []
    assert bad.read_bytes() == original


def test_import_update_keeps_the_schedule_of_a_studied_card(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "n.md").write_text("---\ntags: [ml]\n---\n# Why separate Q and K?\n\nBecause.\n")
    deck = Deck(_mkdir(tmp_path / "deck"))
    log = ReviewLog.open(deck.root)
    run_import(deck, [src], today=TODAY, log=log)
    note = deck.scan(TODAY).notes[0]
    graded = grading.grade(deck, log, note, 5, TODAY)
    (src / "n.md").write_text("---\ntags: [ml, nlp]\n---\n# Why separate Q and K?\n\nBecause.\n")
    run_import(deck, [src], today=TODAY, log=log, on_conflict="update")
    after = parse_note((deck.root / note.rel).read_bytes(), note.rel)
    assert after.schedule.next_review == graded.after.next_review
    assert after.schedule.review_count == 1


def test_cli_review_of_an_uneditable_frontmatter_is_a_clean_error(tmp_path: Path):
    (tmp_path / "n.md").write_text("---\n? next_review\nother: 1\n---\n# Q\n")
    original = (tmp_path / "n.md").read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", "--deck", str(tmp_path), "--today", "2026-01-10", "review", "n.md", "-g", "4"],
        capture_output=True, cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert b"Traceback" not in proc.stderr and b"n.md" in proc.stderr
    assert (tmp_path / "n.md").read_bytes() == original


def _mkdir(p: Path) -> Path:
    p.mkdir()
    return p
