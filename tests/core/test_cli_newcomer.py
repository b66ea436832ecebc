"""The command line as a newcomer meets it: decks they cannot open, options a command does not
have, writes that fail. Each case is what a user saw (a traceback, a misleading message, a
summary that said the opposite of what happened) before its fix."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534
NOTE = "---\nnext_review: '2026-11-20'\n---\n# A question?\n\n## Answer\n\nAn answer.\n"


def _as_other_user(*args: str) -> subprocess.CompletedProcess:
    """``python -m trainer ARGS`` where permission bits count: as ``nobody`` when this is root
    (root reads any folder), else as this user."""
    cmd = [sys.executable, "-m", "trainer", "--today", "2026-11-25", *args]
    if os.geteuid() == 0:
        cmd = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/", timeout=60)


@pytest.fixture
def shut_folder():
    """A folder under /tmp (``nobody`` can reach it) whose mode the test sets; opened again after."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("root without setpriv: permission bits do not stop root")
    top = Path(tempfile.mkdtemp(prefix="trainer-newcomer-", dir="/tmp"))
    os.chmod(top, 0o755)
    yield top
    for p in [top, *top.rglob("*")]:
        if p.is_dir() and not p.is_symlink():
            os.chmod(p, 0o755)
    shutil.rmtree(top, ignore_errors=True)


@pytest.mark.parametrize("command", [["due"], ["check"], ["stats", "--json"], ["review", "n.md", "-g", "3"]])
def test_a_deck_in_a_folder_that_may_not_be_searched_is_bad_usage_not_a_traceback(shut_folder, command):
    """Path.exists() raised PermissionError out of Deck(): a traceback and exit 1."""
    deck = shut_folder / "private" / "deck"
    deck.mkdir(parents=True)
    (deck / "n.md").write_text(NOTE, encoding="utf-8")
    os.chmod(shut_folder / "private", 0o700 if os.geteuid() == 0 else 0o000)
    r = _as_other_user("--deck", str(deck), *command)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 2, r.stderr
    assert f"{deck}: deck folder: cannot open it (Permission denied)" in r.stderr


@pytest.mark.parametrize("command", [["due"], ["check"], ["review", "n.md", "-g", "3"]])
def test_a_deck_folder_that_may_not_be_read_says_so(shut_folder, command):
    """`due` said 'trainer.toml: file: cannot read it' (there is no trainer.toml); `check` said
    '0 notes checked' and exit 1."""
    deck = shut_folder / "deck"
    deck.mkdir()
    (deck / "n.md").write_text(NOTE, encoding="utf-8")
    before = (deck / "n.md").read_bytes()
    os.chmod(deck, 0o700 if os.geteuid() == 0 else 0o000)
    r = _as_other_user("--deck", str(deck), *command)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 2, r.stderr
    assert f"{deck}: deck folder: cannot read it (permission denied)" in r.stderr
    assert "trainer.toml" not in r.stderr
    os.chmod(deck, 0o755)
    assert (deck / "n.md").read_bytes() == before


@pytest.mark.parametrize("args, command", [
    (["due", "--bogus"], "due"),
    (["review", "n.md", "-g", "3", "--bogus"], "review"),
    (["review", "n.md", "extra", "-g", "3"], "review"),
    (["stats", "--json", "--days", "3", "--bogus"], "stats"),
    (["import", "src", "--bogus"], "import"),
])
def test_an_option_a_command_lacks_is_said_by_that_command(tmp_path, cli, args, command):
    """`trainer due --bogus` printed the top-level usage and 'trainer: error:', not due's."""
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "n.md").write_text(NOTE, encoding="utf-8")
    before = (deck / "n.md").read_bytes()
    r = cli(deck, *args)
    assert r.returncode == 2
    err = r.stderr.decode()
    assert err.startswith(f"usage: trainer {command} "), err
    assert f"trainer {command}: error: unrecognized arguments: " in err
    assert (deck / "n.md").read_bytes() == before


def test_an_unknown_option_before_any_command_is_still_said_by_trainer(tmp_path, cli):
    r = cli(tmp_path, "--bogus")
    assert r.returncode == 2
    assert b"trainer: error: unrecognized arguments: --bogus" in r.stderr


def _deck_with_note(tmp_path: Path) -> tuple[Path, bytes]:
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "n.md").write_text(NOTE, encoding="utf-8")
    return deck, (deck / "n.md").read_bytes()


def test_a_file_where_the_state_folder_goes_is_said_as_path_problem(tmp_path, cli):
    """Said '[Errno 17] File exists: …/.trainer'."""
    deck, before = _deck_with_note(tmp_path)
    (deck / ".trainer").write_bytes(b"mine")
    r = cli(deck, "review", "n.md", "-g", "4")
    assert r.returncode == 2
    err = r.stderr.decode()
    assert f"trainer review: {deck / '.trainer'}: cannot open the review log: not a folder" in err, err
    assert "Errno" not in err
    assert (deck / "n.md").read_bytes() == before
    assert (deck / ".trainer").read_bytes() == b"mine"


def test_a_damaged_review_log_is_said_not_read_as_empty(tmp_path, cli):
    """`stats` and `eval` read a log that is not a database as 'no reviews yet', silently."""
    deck, before = _deck_with_note(tmp_path)
    (deck / ".trainer").mkdir()
    (deck / ".trainer" / "trainer.db").write_bytes(b"\x00garbage, not SQLite\n" * 300)
    db = deck / ".trainer" / "trainer.db"
    r = cli(deck, "review", "n.md", "-g", "4")
    assert r.returncode == 2
    assert f"trainer review: {db}: cannot open the review log: file is not a database" in r.stderr.decode()
    assert (deck / "n.md").read_bytes() == before
    for command in (["stats"], ["stats", "--json"], ["eval"], ["due"]):
        r = cli(deck, *command)
        assert r.returncode == 0, r.stderr
        err = r.stderr.decode()
        assert err.count(f"trainer: {db}: cannot read the review log (file is not a database)") == 1, (command, err)


def test_schedule_does_not_list_a_note_it_could_not_write_as_changed(tmp_path, cli):
    """On a read-only note `schedule` listed its change on stdout as made and summed up
    '0 notes changed: 0 with missing keys filled, 1 moved'."""
    deck = tmp_path / "deck"
    deck.mkdir()
    for name in ("a", "b", "c"):
        (deck / f"{name}.md").write_text(f"# Bare question {name}?\n\nA body.\n", encoding="utf-8")
    locked = deck / "b.md"
    before = locked.read_bytes()
    os.chmod(locked, 0o444)
    try:
        r = cli(deck, "schedule")
    finally:
        os.chmod(locked, 0o644)
    assert r.returncode == 1
    out, err = r.stdout.decode(), r.stderr.decode()
    assert "b.md:" in err and "b.md" not in out, out
    assert "b.md: schedule: read-only (no one may write it); not changed\n" in err  # the note named once
    assert "a.md: " in out and "c.md: " in out
    assert "\n2 notes changed of 3 planned (3 with missing keys filled, 0 moved" in out, out
    assert "1 could not be written (listed on stderr)." in out
    assert locked.read_bytes() == before
    assert (deck / "a.md").read_text(encoding="utf-8").startswith("---\ncreated: ")
    r = cli(deck, "schedule")  # nothing left to do once it is written: the summary as before
    assert r.returncode == 0, r.stderr
    assert "\n1 note changed: 1 with missing keys filled, 0 moved" in r.stdout.decode()


def test_schedule_spreads_new_cards_by_the_decks_new_per_day(tmp_path, cli):
    """trainer.toml's new_per_day = 2: `due` showed 2 new a day, `schedule` still spread 20 a day
    (its forecast promised a day of 5 new cards that study would never show)."""
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "trainer.toml").write_text("[scheduler]\nnew_per_day = 2\n", encoding="utf-8")
    for i in range(5):
        (deck / f"n{i}.md").write_text(f"---\nnext_review: '2026-11-25'\n---\n# New {i}?\n", encoding="utf-8")
    r = cli(deck, "schedule", "--dry-run", "--json", "--days", "4")
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert [(d["day"], d["new"]) for d in plan["forecast"]] == [
        ("2026-11-25", 2), ("2026-11-26", 2), ("2026-11-27", 1), ("2026-11-28", 0)]
    r = cli(deck, "schedule", "--dry-run")
    assert "(at most 2 of them new)" in r.stdout.decode()
    r = cli(deck, "schedule", "--dry-run", "--json", "--new-per-day", "4", "--days", "2")
    assert [d["new"] for d in json.loads(r.stdout)["forecast"]] == [4, 1]  # the option still overrides
    (deck / "trainer.toml").write_text("[scheduler]\nnew_per_day = 0\n", encoding="utf-8")  # no new cards
    r = cli(deck, "schedule", "--dry-run", "--days", "2")
    assert "(at most 1 of them new)" in r.stdout.decode()  # said 'at most 0', then placed 1 a day
    assert "default: new_per_day in trainer.toml" in " ".join(cli(None, "schedule", "-h", today=None).stdout.decode().split())


COMMENTED_CRLF = ("---\r\ncreated: 2026-10-01   # when I wrote it\r\nlast_reviewed: null\r\nnext_review: '2026-11-20'\r\n"
                  "review_count: 0\r\ntags: [注意力]  # 我的标签\r\n---\r\n# 自注意力的复杂度是多少？\r\n\r\n## 答案\r\n\r\nO(n²d)。\r\n")


def test_undo_from_the_shell_gives_back_the_notes_exact_bytes(tmp_path, cli):
    """A grade typed wrong in `trainer review` could only be undone in the study app."""
    deck = tmp_path / "deck"
    deck.mkdir()
    note = deck / "注意力.md"
    note.write_bytes(COMMENTED_CRLF.encode("utf-8"))
    r = cli(deck, "undo")
    assert r.returncode == 0 and "Nothing to undo" in r.stdout.decode()
    assert cli(deck, "review", "注意力.md", "-g", "1").returncode == 0
    after_first = note.read_bytes()
    assert after_first != COMMENTED_CRLF.encode("utf-8")
    assert cli(deck, "review", "注意力.md", "-g", "4").returncode == 0  # a re-drill: logged, schedule unchanged
    r = cli(deck, "undo", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"path": "注意力.md", "grade": 4, "kind": "redrill", "day": "2026-11-25",
                                    "next_review": "2026-11-26"}
    assert note.read_bytes() == after_first
    r = cli(deck, "undo")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "注意力.md: undid grade 1 of 2026-11-25 → next review 2026-11-20 again\n"
    assert note.read_bytes() == COMMENTED_CRLF.encode("utf-8")
    r = cli(deck, "undo", "--json")
    assert r.returncode == 0 and json.loads(r.stdout) is None
    r = cli(None, "undo", "-h", today=None)
    assert r.returncode == 0 and b"--json" in r.stdout and b"--deck" in r.stdout


def test_undo_keeps_a_schedule_edited_since_the_grade(tmp_path, cli):
    deck = tmp_path / "deck"
    deck.mkdir()
    note = deck / "n.md"
    note.write_text(NOTE, encoding="utf-8")
    assert cli(deck, "review", "n.md", "-g", "5").returncode == 0
    edited = note.read_text(encoding="utf-8").replace("next_review: '2026-11-26'", "next_review: '2027-01-01'")
    note.write_text(edited, encoding="utf-8")
    r = cli(deck, "undo")
    assert r.returncode == 1
    assert r.stderr.decode().startswith("n.md: ") and "their version is kept" in r.stderr.decode()
    assert str(deck) not in r.stderr.decode()  # the note named once, as the deck names it (it said the path twice)
    assert note.read_text(encoding="utf-8") == edited


def test_eval_of_one_review_says_one_review(tmp_path, cli):
    """'1 reviews of 1 cards in log.csv'."""
    log = tmp_path / "log.csv"
    log.write_text("card_id,review_time,review_rating\n1,2026-01-01T10:00:00,3\n", encoding="utf-8")
    r = cli(tmp_path, "eval", "--log", str(log))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith(f"1 review of 1 card in {log}; 0 scored")


@pytest.mark.parametrize("into", ["n.md", "n.md/sub"])
def test_import_into_a_file_of_the_deck_is_bad_usage(tmp_path, cli, into):
    """Every note failed with 'cannot write n.md/x.md: File exists' (exit 1), once per note."""
    deck, before = _deck_with_note(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        (src / f"q{i}.md").write_text(f"# Question {i}?\n\nAnswer.\n", encoding="utf-8")
    for dry in ([], ["--dry-run"]):
        r = cli(deck, "import", str(src), "--into", into, *dry)
        assert r.returncode == 2
        assert r.stderr.decode() == f"trainer import: --into {into}: n.md is a file of the deck, not a folder\n"
    assert (deck / "n.md").read_bytes() == before
    assert sorted(p.name for p in deck.iterdir()) == [".trainer", "n.md"] or sorted(
        p.name for p in deck.iterdir()) == ["n.md"]
    r = cli(deck, "import", str(src), "--into", "sub/dir")  # a folder not there yet is made, as before
    assert r.returncode == 0, r.stderr
    assert (deck / "sub" / "dir" / "q0.md").is_file()


def test_review_of_a_folder_says_it_is_a_folder(tmp_path, cli):
    """'attention: note not found' of a folder that is there."""
    deck, _ = _deck_with_note(tmp_path)
    (deck / "attention").mkdir()
    (deck / "attention" / "q.md").write_text(NOTE, encoding="utf-8")
    r = cli(deck, "review", "attention", "-g", "4")
    assert r.returncode == 1
    assert r.stderr.decode() == "attention: a folder, not a note (give the note's path)\n"
    r = cli(deck, "review", "nowhere", "-g", "4")
    assert r.returncode == 1 and r.stderr.decode() == "nowhere: note not found\n"


def test_difficulty_option_takes_any_case_as_notes_do(tmp_path, cli):
    """A note's `difficulty: Hard` is hard; `due --difficulty Hard` was refused as an invalid choice."""
    deck = tmp_path / "deck"
    deck.mkdir()
    for name, level in (("a", "Hard"), ("b", "easy")):
        (deck / f"{name}.md").write_text(f"---\ndifficulty: {level}\n---\n# {name}?\n", encoding="utf-8")
    r = cli(deck, "due", "--json", "--difficulty", "Hard")
    assert r.returncode == 0, r.stderr
    assert [c["path"] for c in json.loads(r.stdout)] == ["a.md"]
    assert r.stdout == cli(deck, "due", "--json", "--difficulty", "hard").stdout
    r = cli(deck, "interview", "--difficulty", "EASY", "--last")
    assert b"invalid choice" not in r.stderr


def test_a_deck_path_with_a_name_too_long_is_bad_usage(tmp_path, cli):
    """Path.exists() raised 'File name too long' out of Deck(): a traceback, exit 1 (as root too)."""
    deck = tmp_path / ("a" * 300)
    r = cli(deck, "due")
    assert r.returncode == 2
    assert f"{deck}: deck folder: cannot open it (File name too long)" in r.stderr.decode()


def test_due_on_a_folder_without_notes_says_so(tmp_path, cli):
    """'Nothing to study on 2026-11-25. 0 of 0 cards in … match.' for a --deck naming the wrong folder."""
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "readme.txt").write_text("not a note\n", encoding="utf-8")
    r = cli(deck, "due")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith(f"No notes in {deck}: a note is a markdown file (*.md)")
    (deck / "n.md").write_text("---\nnext_review: '2027-01-01'\nlast_reviewed: '2026-11-01'\n---\n# Later?\n",
                               encoding="utf-8")
    r = cli(deck, "due")
    assert r.stdout.decode() == f"Nothing to study on 2026-11-25. 1 of 1 card in {deck} match.\n"


def test_stats_counts_broken_notes_under_broken_and_lists_every_problem(tmp_path, cli):
    # Its table said "problems 0" while stderr listed a problem: the column counts unreadable notes.
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "ok.md").write_text(NOTE, encoding="utf-8")
    (deck / "odd.md").write_text(NOTE.replace("---\n#", "review_count: -3\n---\n#", 1), encoding="utf-8")
    (deck / "坏.md").write_text("---\nnext_review: [\n---\n# Q\n", encoding="utf-8")
    r = cli(deck, "stats")
    assert r.returncode == 1
    header, _, row = r.stdout.decode().splitlines()[1:4]
    at = header.index("broken")
    assert row[at:].split()[0] == "1" and "problems" not in header
    err = r.stderr.decode()
    assert "odd.md: review_count:" in err and "坏.md: frontmatter:" in err
    assert json.loads(cli(deck, "stats", "--json").stdout)["counts"]["problems"] == 1
