"""The `trainer` command leaves without tearing its heap down (``trainer.launch.leave``): every
byte of its output and its exit code still come out, into files as into pipes, and exit
handlers still run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TODAY = "2026-11-25"


def _trainer(deck: Path, *args: str, stdout, stderr, code: str = "") -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    program = code + "import sys; from trainer.launch import main; sys.argv[0] = 'trainer'; raise SystemExit(main())"
    argv = [sys.executable, "-c", program, "--deck", str(deck), "--today", TODAY, *args]
    return subprocess.run(argv, stdout=stdout, stderr=stderr, env=env, timeout=60).returncode


def _deck(root: Path, seed, write_note, notes: int) -> Path:
    for i in range(notes):
        write_note(root / f"t{i // 50}" / f"n{i}.md", seed(f"问题 {i}：为什么？", next_review="2026-11-01"))
    write_note(root / "broken.md", "---\ntags: [unclosed\n---\n# Broken\n")
    return root


def test_output_written_to_files_is_whole_with_the_exit_code(tmp_path, seed, write_note):
    deck = _deck(tmp_path / "deck", seed, write_note, 600)  # rows past any buffer's size
    out, err = tmp_path / "out.json", tmp_path / "err.txt"
    for _ in range(2):  # the columns built, then used
        with out.open("wb") as o, err.open("wb") as e:
            assert _trainer(deck, "due", "--json", stdout=o, stderr=e) == 1  # the broken note: exit 1
        rows = json.loads(out.read_bytes())
        assert len(rows) == 20 and {r["new"] for r in rows} == {True}  # new cards: the day's limit
        assert "broken.md: frontmatter:" in err.read_text("utf-8")
    with out.open("wb") as o, err.open("wb") as e:
        assert _trainer(deck, "stats", "--json", stdout=o, stderr=e) == 1
    stats = out.read_bytes()
    with out.open("wb") as o, err.open("wb") as e:
        assert _trainer(deck, "--no-cache", "stats", "--json", stdout=o, stderr=e) == 1
    assert stats == out.read_bytes() and json.loads(stats)["counts"]["new"] == 600
    with out.open("wb") as o, err.open("wb") as e:
        assert _trainer(deck, "due", "--no-such-option", stdout=o, stderr=e) == 2
    assert "--no-such-option" in err.read_text("utf-8")


def test_exit_handlers_still_run(tmp_path, seed, write_note):
    deck = _deck(tmp_path / "deck", seed, write_note, 3)
    mark = tmp_path / "handler-ran"
    code = f"import atexit, pathlib; atexit.register(pathlib.Path({str(mark)!r}).touch); "
    with (tmp_path / "out").open("wb") as o:
        assert _trainer(deck, "stats", "--json", stdout=o, stderr=subprocess.PIPE, code=code) == 1
    assert mark.exists()


def test_a_reader_that_leaves_early_is_no_error(tmp_path, seed, write_note):
    deck = _deck(tmp_path / "deck", seed, write_note, 600)
    env = {k: v for k, v in os.environ.items() if k not in ("TRAINER_DECK", "TRAINER_TODAY")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    with subprocess.Popen([sys.executable, "-m", "trainer", "--deck", str(deck), "--today", TODAY, "due"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        proc.stdout.read(10)
        proc.stdout.close()  # as `trainer due | head -c 10`
        err = proc.stderr.read()
        proc.wait(timeout=60)
    assert b"Traceback" not in err and b"Exception ignored" not in err


def _python(program: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("daemon", [True, False])
def test_a_daemon_thread_does_not_keep_the_quick_exit_from_happening(daemon):
    """A daemon thread (the one that closes replaced notes' descriptors) does not hold the
    interpreter at its exit, so ``leave`` still leaves; a thread it would wait for keeps it out."""
    program = (
        "import threading, time, sys\n"
        "from trainer.launch import leave\n"
        f"threading.Thread(target=time.sleep, args=(0.3,), daemon={daemon}).start()\n"
        "print('answer', flush=True)\n"
        "leave(0)\n"
        "print('left to the interpreter')\n"
    )
    done = _python(program)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == ("answer\n" if daemon else "answer\nleft to the interpreter\n")


def test_the_quick_exit_after_grades_with_the_closer_thread_running(tmp_path, seed, write_note):
    """After grades the closer thread runs (trainer.notes.closer): ``leave`` still leaves at once,
    and the notes hold their grades."""
    deck = _deck(tmp_path / "deck", seed, write_note, 3)
    program = (
        "import datetime as dt, threading\n"
        "from trainer import grading\n"
        "from trainer.deck import Deck\n"
        "from trainer.launch import leave\n"
        "from trainer.notes import closer\n"
        "from trainer.reviewlog import ReviewLog\n"
        f"deck = Deck({str(deck)!r}); log = ReviewLog.open(deck.root); day = dt.date.fromisoformat({TODAY!r})\n"
        "for i in range(3):\n"
        "    grading.grade(deck, log, deck.load(f't0/n{i}.md', day), 4, day)\n"
        "print('graded', closer.running(), threading.active_count(), flush=True)\n"
        "leave(0)\n"
        "print('left to the interpreter')\n"
    )
    done = _python(program)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == "graded True 2\n"
    assert all(f"last_reviewed: '{TODAY}'" in (deck / "t0" / f"n{i}.md").read_text("utf-8") for i in range(3))
