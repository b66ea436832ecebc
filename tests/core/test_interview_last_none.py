"""`trainer interview --last` before any interview: nothing to show is not bad usage (exit 2 said the
user had typed the command wrong). It says so in one line on stderr and exits 1, whatever the output
asked for; stdout stays empty (no command prints a JSON error object: a script sees the exit code) and
no markdown file is made."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "interview_deck"


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    dst = tmp_path / "deck"
    shutil.copytree(FIXTURE, dst)
    return dst


@pytest.mark.parametrize("extra", [(), ("--json",), ("--markdown", "-")])
def test_no_interview_yet_exits_1_with_one_line(cli, deck, extra):
    r = cli(deck, "interview", "--last", *extra)
    assert r.returncode == 1, r.stderr
    assert r.stdout == b""
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("trainer interview: no interview yet: ")
    assert str(deck) in lines[0] and "run `trainer interview`" in lines[0]


def test_no_markdown_file_is_made(cli, deck, tmp_path):
    out = tmp_path / "last.md"
    r = cli(deck, "interview", "--last", "--markdown", str(out))
    assert r.returncode == 1 and b"no interview yet" in r.stderr
    assert not out.exists()


def test_a_deck_without_a_review_log_is_the_same_case(cli, tmp_path):
    """A fresh folder (no .trainer/ yet): still 'no interview yet', and reading creates no log."""
    empty = tmp_path / "fresh"
    empty.mkdir()
    r = cli(empty, "interview", "--last", "--json")
    assert r.returncode == 1 and b"no interview yet" in r.stderr and r.stdout == b""
    assert list(empty.iterdir()) == []


def test_bad_usage_still_exits_2(cli, deck):
    r = cli(deck, "interview", "--last", "--history")
    assert r.returncode == 2
