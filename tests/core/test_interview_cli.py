"""`trainer interview` from the command line: past interviews as JSON, a list and markdown; bad input exits 2.

An interview is run through the core (the TUI needs a terminal) on a temp copy of the fixture deck,
then the real CLI reads it back from the review log in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from trainer.deck import Deck
from trainer.interview.session import InterviewSession
from trainer.reviewlog import ReviewLog

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "interview_deck"
TODAY = "2026-11-25"
EN = "attention/scaled-dot-product.md"
ZH = "attention/为什么要除以根号dk.md"


@pytest.fixture
def iv_deck(tmp_path: Path) -> Path:
    dst = tmp_path / "ivdeck"
    shutil.copytree(FIXTURE, dst)
    return dst


def run_interview(root: Path, answers: list[tuple[str, str, float, int]]) -> None:
    """(rel, answer, seconds, grade) per question, through the same session the TUI drives."""
    deck = Deck(root)
    today = dt.date.fromisoformat(TODAY)
    notes = deck.scan(today).by_rel()
    log = ReviewLog.open(deck.root)
    session = InterviewSession(deck, log, today, [notes[rel] for rel, *_ in answers])
    for _, text, seconds, grade in answers:
        session.answer(text, seconds)
        session.grade(grade)
        session.next()
    session.finish()
    log.close()


def test_last_json_has_the_transcript_shape(cli, iv_deck):
    run_interview(iv_deck, [(EN, "softmax saturation and unit variance", 70.0, 4),
                            (ZH, "点积的方差等于 d_k", 200.0, 2)])
    r = cli(iv_deck, "interview", "--last", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == {"started", "finished", "questions"} and data["finished"]
    q1, q2 = data["questions"]
    assert q1["note"] == EN and q1["grade"] == 4 and q1["suggested_grade"] == 3 and not q1["overtime"]
    assert [p["covered"] for p in q1["key_points"]] == [False, True, True]
    assert q1["key_points"][1]["matched"] == ["softmax", "saturation"]
    assert q2["note"] == ZH and q2["overtime"] and q2["seconds"] == 200.0 and q2["answer"] == "点积的方差等于 d_k"


def test_history_lists_past_interviews(cli, iv_deck):
    run_interview(iv_deck, [(EN, "softmax saturation", 30.0, 2)])
    run_interview(iv_deck, [(ZH, "不知道", 10.0, 0)])
    r = cli(iv_deck, "interview", "--history", "--json")
    assert r.returncode == 0
    rows = json.loads(r.stdout)
    assert [(x["questions"], x["coverage"], x["mean_grade"]) for x in rows] == [(1, round(1 / 3, 4), 2.0), (1, 0.0, 0.0)]
    text = cli(iv_deck, "interview", "--history").stdout.decode()
    assert "33%" in text and "0%" in text and "coverage" in text


def test_last_markdown_writes_the_transcript(cli, iv_deck, tmp_path):
    run_interview(iv_deck, [(ZH, "除以根号 d_k 以后，打分的方差回到 1。\n第二段", 90.0, 3)])
    out = tmp_path / "review.md"
    r = cli(iv_deck, "interview", "--last", "--markdown", str(out))
    assert r.returncode == 0, r.stderr
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# Mock interview ")
    assert "- [x] 缩放回单位方差" in md and "- [ ] softmax 饱和" in md
    assert "> 第二段" in md and "grade 3" in md


def test_last_text_summary(cli, iv_deck):
    run_interview(iv_deck, [(EN, "softmax saturation", 30.0, 2)])
    r = cli(iv_deck, "interview", "--last")
    assert r.returncode == 0 and "1/3" in r.stdout.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tag", ""), b"--tag needs a tag name"),
        (("--tag", "  / "), b"--tag needs a tag name"),
        (("--tag", "Nope"), b"no cards to ask with tag 'Nope'"),
        (("--difficulty", "hard", "--tag", "Transformer/Inference"), b"no cards to ask"),
        (("--bogus",), b"unrecognized arguments: --bogus"),
        (("--questions", "0"), b"must be 1-100"),
        (("--minutes", "abc"), b"not a number of minutes"),
        (("--minutes", "nan"), b"must be more than 0"),
        (("--json",), b"--json goes with --last or --history"),
        (("--markdown", "x.md"), b"--markdown goes with --last"),
        (("--last", "--history"), b"not allowed with argument"),
    ],
)
def test_bad_input_exits_2_with_a_message(cli, iv_deck, args, message):
    r = cli(iv_deck, "interview", *args)
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stdout == b""


def test_no_cards_at_all(cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli(empty, "interview")
    assert r.returncode == 2 and b"no cards to ask in" in r.stderr


def test_running_needs_a_terminal(cli, iv_deck):
    r = cli(iv_deck, "interview", "--questions", "2")
    assert r.returncode == 2 and b"needs a terminal" in r.stderr


def test_markdown_to_an_unwritable_place(cli, iv_deck, tmp_path):
    run_interview(iv_deck, [(EN, "x", 1.0, 1)])
    r = cli(iv_deck, "interview", "--last", "--markdown", str(tmp_path / "no" / "such" / "dir" / "x.md"))
    assert r.returncode == 2 and b"cannot write" in r.stderr


def test_help(cli, iv_deck):
    r = cli(iv_deck, "interview", "-h")
    assert r.returncode == 0 and b"--minutes" in r.stdout and b"--history" in r.stdout


def test_stats_show_coverage_over_past_interviews(cli, iv_deck):
    run_interview(iv_deck, [(EN, "softmax saturation", 30.0, 2)])
    run_interview(iv_deck, [(EN, "softmax saturation and unit variance; the dot product variance", 30.0, 5)])
    r = cli(iv_deck, "stats", "--json")
    assert r.returncode == 0, r.stderr
    assert [(x["questions"], x["coverage"]) for x in json.loads(r.stdout)["interviews"]] == [(1, 0.3333), (1, 1.0)]
    text = cli(iv_deck, "stats").stdout.decode()
    assert "Mock interviews, key points covered (last 2 of 2): 2026-" in text and "33%" in text and "100%" in text


def test_reading_interviews_does_not_import_the_tui(iv_deck):
    import subprocess
    import sys

    run_interview(iv_deck, [(EN, "softmax saturation", 30.0, 2)])
    code = ("import sys, json; from trainer.cli import main; rc = main(['--deck', sys.argv[1], '--today', '2026-11-25', "
            "'interview', '--last', '--json']); "
            "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'numpy'))]), "
            "file=sys.stderr)")
    repo = Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-c", code, str(iv_deck)], capture_output=True, text=True, timeout=60,
                       env={**__import__("os").environ, "PYTHONPATH": str(repo)})
    assert json.loads(r.stderr.strip().splitlines()[-1]) == [0, []]


def test_broken_settings_file_exits_2(cli, iv_deck):
    (iv_deck / "trainer.toml").write_text("[scheduler\nalgorithm = 'fsrs'\n", encoding="utf-8")
    r = cli(iv_deck, "interview")
    assert r.returncode == 2 and b"trainer.toml" in r.stderr
