"""Review of session 11's writing changes: problems found, each shown with real files and the real CLI.

Each test says what should happen (all four fixed in the same session).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from trainer.deck import Deck
from trainer.grading import open_log
from trainer.opendeck import OpenDeck
from trainer.session import Outcome


def _bodies(deck: Path) -> dict[str, str]:
    return {p.relative_to(deck).as_posix(): p.read_text(encoding="utf-8").split("\n---\n", 1)[1] for p in deck.rglob("*.md")}


def test_an_anki_question_keeps_its_maths_as_written(imported):
    [body] = _bodies(imported("#separator:tab\n#html:true\nWhy is \\(x&lt;y\\) here?\tBecause \\(a&lt;b\\).\n")).values()
    assert body.startswith("# Why is $x<y$ here?\n")  # the answer's $a<b$ is right already


def test_a_plain_text_export_keeps_code_as_it_is(imported):
    [body] = _bodies(imported("#separator:tab\n#html:false\nWhat is `Map<K>`?\tUse `List<T>`.\n")).values()
    assert "`List<T>`" in body and "`Map<K>`" in body


def test_a_note_whose_code_differs_by_a_backslash_is_not_the_same_note(tmp_path: Path, cli):
    deck, src = tmp_path / "deck", tmp_path / "src"
    deck.mkdir()
    src.mkdir()
    (deck / "word.md").write_text('# In GNU grep, what does this match?\n\n```\ngrep "<if" f\n```\n\nWords starting with if.\n',
                                  encoding="utf-8")
    (src / "word.md").write_text('# In GNU grep, what does this match?\n\n```\ngrep "\\<if" f\n```\n\nWords starting with if.\n',
                                 encoding="utf-8")
    r = cli(deck, "import", str(src), "--on-conflict", "rename")
    assert r.returncode == 0, r.stderr.decode()
    assert b"unchanged" not in r.stdout and b"imported 1" in r.stdout


def test_a_note_emptied_by_a_slow_save_stays_in_the_open_deck(tmp_path: Path):
    root = tmp_path / "deck"
    root.mkdir()
    for i in (1, 2):
        (root / f"n{i}.md").write_text(f"---\nnext_review: 2026-01-0{i}\n---\n# 问题 {i}\n\n答案\n", encoding="utf-8")
    deck, today = Deck(root), dt.date(2026, 12, 1)
    log, _ = open_log(deck, today)
    book = OpenDeck(deck, today, new_per_day=5, log=log)
    book.load()
    s = book.start_session(book.notes)
    cur = s.current
    p = root / cur.rel
    keep = p.read_bytes()
    open(p, "wb").close()  # an editor saving in place truncated it 6 s ago and has not written yet
    os.utime(p, (time.time() - 6, time.time() - 6))
    event = s.grade_current(4)
    assert event.outcome is Outcome.BROKEN and p.read_bytes() == b""  # never graded: held
    p.write_bytes(keep)  # the save ends
    assert cur.rel in {n.rel for n in book.notes} and book.figures().total == 2
